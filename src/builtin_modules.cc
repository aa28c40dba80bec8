/* The modules linked into x0d. */
#include "modules.h"

extern "C" x0_module_t core_module;
extern "C" x0_module_t static_module;
extern "C" x0_module_t hello_module;
extern "C" x0_module_t echo_module;

namespace x0 {

x0_module_t* const builtin_modules[] = {&core_module, &static_module, &hello_module, &echo_module, nullptr};

} // namespace x0
