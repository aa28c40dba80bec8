/* The master process: listeners, pid file, and the worker processes. */
#ifndef X0_MASTER_H
#define X0_MASTER_H

#include "worker.h"

namespace x0 {

/**
 * Bind every Listen of @a s. On failure returns NULL and sets @a error to
 * "FILE:LINE: could not bind to ADDR: reason".
 */
listener* open_listeners(apr_pool_t* p, x0_server_t* s, int* count, const char** error);

/** Write the PidFile, if any; an error message or NULL. */
const char* write_pid_file(apr_pool_t* p, x0_server_t* s);
void remove_pid_file(x0_server_t* s);

/**
 * Run `Workers` worker processes and replace any that dies, until SIGTERM or
 * SIGINT; then stop them all. Returns the exit status.
 */
int master_main(x0_server_t* s, listener* listeners, int count);

} // namespace x0

#endif
