/* A shared object without the symbol LoadModule is told to find
 * (nosym_module): its module is exported under another name. */
#include <x0/module.h>

X0_MODULE(other) = {
    X0_MODULE_HEADER, "other", NULL, NULL, NULL, NULL, NULL, NULL,
};
