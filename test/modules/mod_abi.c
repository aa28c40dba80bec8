/* A module whose header lies: another ABI (-DMAJOR_DELTA=1, -DMINOR_DELTA=1)
 * or not an x0 module at all (-DMAGIC=0xdeadbeef). Its register_hooks must
 * never run: it would abort x0d. */
#include <stdlib.h>

#include <x0/module.h>

#ifndef MAJOR_DELTA
#define MAJOR_DELTA 0
#endif
#ifndef MINOR_DELTA
#define MINOR_DELTA 0
#endif
#ifndef MAGIC
#define MAGIC X0_MODULE_MAGIC
#endif

static void abi_register_hooks(apr_pool_t* p)
{
    (void)p;
    abort();
}

X0_MODULE(abi) = {
    MAGIC, X0_ABI_MAJOR + MAJOR_DELTA, X0_ABI_MINOR + MINOR_DELTA, -1,
    "abi", NULL, NULL, NULL, NULL, NULL, abi_register_hooks,
};
