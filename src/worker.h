/* A worker process: one libev loop that accepts and serves connections. */
#ifndef X0_WORKER_H
#define X0_WORKER_H

#include <apr_allocator.h>
#include <ev.h>

#include "x0/http.h"

namespace x0 {

struct connection;
struct record_block;

/** A bound, listening socket the master opened. */
struct listener {
    int fd;
    const char* name;   /**< "addr:port", for logs */
    const char* host;   /**< the address it is bound to, or NULL for all */
    int port;
    const char* protocol; /**< Listen's protocol argument: "http" or "https" */
    /**
     * LoopbackCongestionControl for each accepted connection from this host,
     * or NULL: none is set, or the socket carries it (bound to loopback).
     */
    const char* loopback_congestion;
    /** AcceptFilter data: the kernel hands a connection over with its first bytes in. */
    bool defers_accept;
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
    ev_signal stop_signal;          /**< SIGTERM: stop; in-flight requests get a short grace */
    ev_signal interrupt_signal;     /**< SIGINT (Ctrl-C reaches the whole group): as SIGTERM */
    ev_signal graceful_signal;      /**< SIGUSR1 from the master: finish what is in flight */
    ev_timer stop_grace;            /**< a stop cuts what is still in flight when it fires */
    /**
     * Set once the worker stops (worker_stop): it accepts no more, every
     * request from now on is answered with `Connection: close`, idle
     * connections are closed (after idle_grace), and the loop ends when the
     * last connection closes.
     */
    bool stopping;
    ev_tstamp idle_grace;           /**< how long an idle connection is kept while stopping */
    record_block* record_blocks;    /**< where every record lives, for a stop to walk them */
    connection* free_connections;   /**< records to reuse */
    void** free_states;             /**< module-state arrays to reuse (linked by slot 0) */
    int connection_count;
    int max_connections;
    bool accepting;
    char read_buffer[64 * 1024];    /**< every read lands here first; see core_input.cc */
};

/**
 * Run a worker until it is stopped: SIGTERM or SIGINT (in-flight requests
 * are cut after a second), SIGUSR1 (graceful: they finish first). Drops
 * privileges (User, Group) before child_init. Once it accepts, writes one
 * byte to @a ready_fd and closes it (-1: nobody waits). Returns the process
 * exit status.
 */
int worker_main(x0_server_t* s, listener* listeners, int listener_count, int ready_fd);

/**
 * A zeroed array of one slot per module, for a connection's module state
 * (x0_set_conn_state); from the worker's pool, reused after a close.
 */
void** worker_take_state(worker* w);
void worker_release_state(worker* w, void** slots);

/** A connection closed: let the worker reuse its record, resume accepting. */
void worker_release(worker* w, connection* c);

} // namespace x0

#endif
