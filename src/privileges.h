/* User and Group: who the workers run as (httpd's unixd: ap_unixd_setup_child). */
#ifndef X0_PRIVILEGES_H
#define X0_PRIVILEGES_H

#include <sys/types.h>
#include "x0/http.h"

namespace x0 {

/**
 * `User name` or `User #uid`: the uid and the user's primary group. Returns
 * NULL, or an error message in @a p (no such user).
 */
const char* lookup_user(apr_pool_t* p, const char* spec, uid_t* uid, gid_t* primary_gid);

/** `Group name` or `Group #gid`. Returns NULL or an error message in @a p. */
const char* lookup_group(apr_pool_t* p, const char* spec, gid_t* gid);

/**
 * Before workers start: may they? When x0d runs as root, the configuration
 * must name the workers' user; running them as root needs `User root` (or
 * another uid-0 name) written out, and gets a warning in @a *warning.
 * Returns NULL, or why x0d refuses (in @a p). Not root: User and Group are
 * ignored, as httpd ignores them.
 */
const char* check_worker_user(apr_pool_t* p, x0_server_t* s, const char** warning);

/**
 * In a worker, after fork and before child_init: setgid, initgroups, setuid
 * to User/Group (only when running as root). Returns NULL, or why it failed
 * (in @a p): the worker must not go on then.
 */
const char* drop_privileges(apr_pool_t* p, x0_server_t* s);

} // namespace x0

#endif
