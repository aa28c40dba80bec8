/* The module registry: which modules are in, and their config vectors. */
#ifndef X0_MODULES_H
#define X0_MODULES_H

#include <apr_tables.h>
#include "x0/http.h"

namespace x0 {

/** Modules compiled into x0d, NULL-terminated (builtin_modules.cc). */
extern x0_module_t* const builtin_modules[];

/** At most this many modules in one configuration. */
constexpr int max_modules = 64;

/**
 * Add @a m to the running set: check its magic and ABI, give it its index,
 * run its register_hooks. @a origin names where it came from in errors
 * (the .so path, or "built-in"). Returns an error message (in @a p) or NULL.
 */
const char* add_module(x0_module_t* m, const char* origin, apr_pool_t* p);

/** The module whose register_hooks is running, or NULL (hooks record it). */
x0_module_t* hooking_module();

/** The modules added so far, in order. */
int module_count();
x0_module_t* module_at(int index);
x0_module_t* find_module(const char* name);
/** Where module @a index came from: a .so path, or NULL for a built-in one. */
const char* module_origin(int index);

/** A vector with each module's create_dir_config(p, path) result. */
x0_config_vector_t* create_dir_configs(apr_pool_t* p, const char* path);
/** A vector with each module's create_server_config result. */
x0_config_vector_t* create_server_configs(apr_pool_t* p, x0_server_t* s);
/** Merge @a add over @a base, module by module, into a new vector. */
x0_config_vector_t* merge_dir_configs(apr_pool_t* p, x0_config_vector_t* base,
                                      x0_config_vector_t* add);
/** A virtual host's server configs over the main server's, into a new vector. */
x0_config_vector_t* merge_server_configs(apr_pool_t* p, x0_config_vector_t* base,
                                         x0_config_vector_t* add);

/**
 * Forget all modules, hooks and filters, before a configuration is read
 * again. Loaded shared objects stay mapped until the pool they were loaded
 * into is destroyed: destroy the old configuration pool only after this,
 * when nothing points into them any more.
 */
void reset_modules();

} // namespace x0

#endif
