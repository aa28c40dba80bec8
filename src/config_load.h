/*
 * A configuration as x0d holds it: read into a pool of its own, with the
 * module, hook and filter registries emptied first, so that a restart reads
 * the next one from scratch, as httpd does.
 */
#ifndef X0_CONFIG_LOAD_H
#define X0_CONFIG_LOAD_H

#include <apr_pools.h>
#include "x0/http.h"

namespace x0 {

/** One configuration read; everything it made lives in @a pool. */
struct loaded_config {
    apr_pool_t* pool;           /**< a root pool: destroy it with discard_config */
    x0_server_t* server;        /**< the main server */
    const char* user_warning;   /**< check_worker_user's warning, or NULL */
};

/** How far load_config goes. */
enum class load_stage {
    read,        /**< the file only (-M, -S, finding the PidFile for -k stop) */
    test,        /**< and post_config (-t) */
    start,       /**< and who the workers may run as (check_worker_user) */
};

/**
 * Empty the registries and read @a file, then what @a stage asks. Every
 * read starts from the server root -d gave, not from one a previous
 * ServerRoot set. Returns NULL on failure, with @a *error ("FILE:LINE:
 * message") in @a errpool; what the read made is destroyed then.
 */
loaded_config* load_config(const char* file, load_stage stage, apr_pool_t* errpool,
                           const char** error);

/**
 * Empty the registries and destroy @a c's pool: its cleanups run, and the
 * shared objects it loaded are unloaded (the next LoadModule maps the file
 * afresh).
 */
void discard_config(loaded_config* c);

/**
 * Open @a s's ErrorLog for appending: the fd, -1 when there is no ErrorLog
 * (messages stay on stderr), or -2 with @a *error set (in @a p).
 */
int open_error_log(apr_pool_t* p, x0_server_t* s, const char** error);

/**
 * Make @a fd (from open_error_log; consumed) standard error, where log lines
 * and anything else written to stderr go, and take @a s's LogLevel.
 */
void install_error_log(int fd, x0_server_t* s);

} // namespace x0

#endif
