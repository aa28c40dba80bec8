/* The module registry: which modules are in, and their config vectors. */
#ifndef X0_MODULES_H
#define X0_MODULES_H

#include <apr_tables.h>
#include "x0/http.h"

namespace x0 {

/** Modules compiled into x0d, NULL-terminated (builtin_modules.cc). */
extern x0_module_t* const builtin_modules[];

/**
 * Add @a m to the running set: check its ABI, give it its index, run its
 * register_hooks. Returns an error message or NULL.
 */
const char* add_module(x0_module_t* m, apr_pool_t* p);

/** The modules added so far, in order. */
int module_count();
x0_module_t* module_at(int index);
x0_module_t* find_module(const char* name);

/** A vector with each module's create_dir_config(p, path) result. */
x0_config_vector_t* create_dir_configs(apr_pool_t* p, const char* path);
/** A vector with each module's create_server_config result. */
x0_config_vector_t* create_server_configs(apr_pool_t* p, x0_server_t* s);
/** Merge @a add over @a base, module by module, into a new vector. */
x0_config_vector_t* merge_dir_configs(apr_pool_t* p, x0_config_vector_t* base,
                                      x0_config_vector_t* add);

/** One <Location> section. */
struct location_section {
    const char* path;
    x0_config_vector_t* dir_config;
};

/**
 * The per-directory config for @a path: the server defaults merged with every
 * <Location> that is a prefix of @a path, in file order. Allocates in @a p only
 * when a location matches.
 */
x0_config_vector_t* location_walk(apr_pool_t* p, x0_server_t* s, const char* path);

/** Forget all modules and hooks (unit tests; before a config is re-read). */
void reset_modules();

} // namespace x0

#endif
