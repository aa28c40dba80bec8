/* A worker process: one libev loop that accepts and serves connections. */
#ifndef X0_WORKER_H
#define X0_WORKER_H

#include <apr_allocator.h>
#include <ev.h>

#include "x0/http.h"

namespace x0 {

struct connection;

/** A bound, listening socket the master opened. */
struct listener {
    int fd;
    const char* name;   /**< "addr:port", for logs */
    const char* host;   /**< the address it is bound to, or NULL for all */
    int port;
};

struct worker {
    struct ev_loop* loop;
    apr_pool_t* pool;               /**< the worker's pool; connection records live here */
    apr_allocator_t* allocator;     /**< shared by every connection pool; caches free blocks */
    x0_server_t* server;
    listener* listeners;
    ev_io* accept_watchers;
    int listener_count;
    ev_timer accept_pause;          /**< accepting resumes when it fires (after EMFILE) */
    ev_signal stop_signal;
    connection* free_connections;   /**< records to reuse */
    int connection_count;
    int max_connections;
    bool accepting;
    char read_buffer[64 * 1024];    /**< every read lands here first; see core_input.cc */
};

/** Run a worker until SIGTERM; returns the process exit status. */
int worker_main(x0_server_t* s, listener* listeners, int listener_count);

/** A connection closed: let the worker reuse its record, resume accepting. */
void worker_release(worker* w, connection* c);

} // namespace x0

#endif
