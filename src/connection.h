/*
 * A client connection and its state machine.
 *
 * A connection is two parts. The record (struct connection) is all an idle
 * keep-alive connection costs: its watchers, fd, peer address and timeout,
 * about 200 bytes from the worker's pool. When bytes arrive it gets an
 * active part (struct conn_active) allocated from a fresh connection pool,
 * with the bucket allocator, the input brigade, the parser and the output
 * state. When the connection is idle again -- nothing buffered either way,
 * no request in flight -- that pool is destroyed and its blocks go back to
 * the worker's allocator. What a module keeps across idle hangs off the
 * record's module_state (x0_set_conn_state), owned by the module.
 */
#ifndef X0_CONNECTION_H
#define X0_CONNECTION_H

#include <netinet/in.h>
#include <ev.h>

#include "core_output.h"
#include "http_parser.h"
#include "worker.h"

namespace x0 {

enum class conn_phase : unsigned char {
    idle,       /**< waiting for a request's first byte; no pool */
    reading,    /**< a head is partly read, or a response is being written */
    handling,   /**< a handler is suspended (waiting on a resume) */
    lingering,  /**< the write side is shut; draining input until EOF, then close */
    closed
};

/**
 * What an operation on the socket waits for. The input operation (reading
 * the next head, or a body a suspended handler waits for) and the output
 * operation (writing what the connection filters and CORE_OUT hold) each
 * wait for one of these; a TLS filter can make either wait for either
 * (x0_filter_wait). arm() turns the pair into the watcher's events.
 */
enum class wait_for : unsigned char { nothing, readable, writable };

struct conn_active;

struct connection {
    ev_io io;
    ev_timer timer;
    worker* w;
    const listener* via;     /**< the listener it was accepted on */
    conn_active* active;     /**< NULL while idle */
    /** x0_set_conn_state: one slot per module, NULL until a module sets one. */
    void** module_state;
    ev_tstamp deadline;      /**< when the running timeout expires */
    long requests;           /**< served so far, for MaxKeepAliveRequests */
    int fd;
    conn_phase phase;
    bool opened;             /**< connection_opened ran: connection_closing will */
    union {
        sockaddr sa;
        sockaddr_in in4;
        sockaddr_in6 in6;
    } peer;
    connection* next_free;
};

struct conn_active {
    x0_conn_t pub;               /**< what modules see; pub.pool owns all of this */
    connection* rec;
    /**
     * The HTTP layer's carry-over: bytes the input chain gave that are not
     * parsed yet, and what follows a chunked body. Plaintext; the layers
     * below keep their own (CORE_IN's is core_in).
     */
    apr_bucket_brigade* in;
    apr_bucket_brigade* core_in; /**< CORE_IN's: read beyond what was asked */
    request_parser* parser;      /**< separate, so that this struct stays standard-layout */
    x0_request_t* parsing;       /**< the request whose head is being read */
    x0_request_t* handling;      /**< the request whose handler is suspended */
    output_state out;
    /**
     * The brigade request_end passes each EOR in: the connection's, because
     * the EOR destroys the request pool inside that very pass. Empty between
     * passes.
     */
    apr_bucket_brigade* request_end;
    apr_bucket_brigade* drive;   /**< holds the FLUSH that drives the output chain */
    ev_io source;                /**< CORE_OUT waits for a pipe's data (out.source_fd) */
    wait_for input_waits;        /**< the input operation is parked on this */
    wait_for output_waits;       /**< a connection filter holds output and waits */
    bool input_more;             /**< the input chain has more without waiting */
    bool eoc_sent;               /**< the end-of-connection bucket went down */
};
/** pub is the first member of a standard-layout struct: the addresses coincide. */
inline conn_active* active_of(x0_conn_t* c)
{
    return reinterpret_cast<conn_active*>(c);
}

/** Start serving an accepted socket (non-blocking already). */
void connection_start(worker* w, connection* c, int fd, const listener* via);

/**
 * The worker stops (worker_stop): an idle connection is closed after
 * @a idle_grace seconds at most (0: now), unless a request comes first,
 * which is then answered with `Connection: close`. Busy connections are
 * left to finish their request.
 */
void connection_worker_stopping(connection* c, ev_tstamp idle_grace);

/** A suspended handler finished its response (x0_request_finished). */
void connection_request_finished(conn_active* a, x0_request_t* r);

} // namespace x0

#endif
