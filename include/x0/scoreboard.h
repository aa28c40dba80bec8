/**
 * @file x0/scoreboard.h
 * @brief The scoreboard, read-only: what every worker process is doing, as
 *        mod_status shows it (docs/status.md).
 *
 * The master creates the scoreboard once, at the first start, in anonymous
 * shared memory, and keeps it across restarts: a worker takes a free slot
 * when it starts and gives it back when it exits, and the slot's counters
 * carry on with its next occupant, so totals cover the server's whole life.
 * Each slot has one writer (its worker); readers copy it with plain loads
 * and may see a figure that is a moment old or half updated, never a lock.
 *
 * Callable in a worker (and in the master after the scoreboard exists).
 * The structs below are filled by x0; @a size arguments let x0 append
 * fields in a later minor ABI without breaking a module built against this
 * one: x0 fills min(size, sizeof its own struct) bytes.
 */
#ifndef X0_SCOREBOARD_H
#define X0_SCOREBOARD_H

#include <apr_time.h>
#include "x0/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How a worker's connections stand, as counted in x0_scoreboard_worker_t::conns. */
typedef enum {
    /** Waiting for a request: a new connection, or keep-alive between requests (no pool). */
    X0_SB_CONN_IDLE = 0,
    /** Reading a request head, or writing responses whose handlers are done. */
    X0_SB_CONN_BUSY = 1,
    /** A handler is suspended: it waits for the request body or for the client to read. */
    X0_SB_CONN_HANDLER = 2,
    /** The response is out; draining what the client still sends before the close. */
    X0_SB_CONN_CLOSING = 3,
    X0_SB_CONN_STATES = 4
} x0_sb_conn_state_e;

/** One worker slot, as x0_scoreboard_worker() copies it. */
typedef struct {
    /* Totals over every occupant of the slot since the first start. */
    apr_uint64_t requests;        /**< requests ended (their response done or cut off) */
    apr_uint64_t bytes_sent;      /**< sum of their r->bytes_sent */
    apr_uint64_t connections;     /**< connections accepted */
    apr_uint64_t request_pool_bytes; /**< sum of request pool sizes at their end */
    apr_uint64_t conn_pool_releases; /**< connection pools destroyed (idle or close) */
    apr_uint64_t conn_pool_bytes; /**< sum of their sizes when destroyed */
    /* The current occupant; 0 when the slot is free. */
    int pid;                      /**< the worker process, 0: free */
    int generation;               /**< the configuration generation it was started with */
    apr_time_t started;           /**< when it took the slot */
    int conns[X0_SB_CONN_STATES]; /**< its open connections by x0_sb_conn_state_e */
    int requests_active;          /**< requests between head and last byte */
    /* Memory (docs/status.md says exactly what each is). */
    apr_uint64_t heap_bytes;      /**< malloc'd bytes in use by the process, sampled each second */
    apr_uint64_t heap_bytes_max;  /**< the largest sample */
    apr_uint64_t worker_pool_bytes;     /**< blocks of the worker's own pool, sampled */
    apr_uint64_t conn_pool_bytes_max;   /**< the largest connection pool when destroyed */
    apr_uint64_t request_pool_bytes_max; /**< the largest request pool at its end */
    apr_time_t sampled;           /**< when the sampled figures were taken */
} x0_scoreboard_worker_t;

/** Lengths of the text fields of a request row, terminating NUL included. */
#define X0_SB_CLIENT_LEN 48
#define X0_SB_VHOST_LEN 64
#define X0_SB_REQUEST_LEN 128

/** One request in flight, as x0_scoreboard_request() copies it. */
typedef struct {
    apr_time_t started;           /**< when its head was read */
    int conn_state;               /**< its connection's x0_sb_conn_state_e */
    apr_uint64_t bytes_sent;      /**< what its response has put on the wire so far */
    apr_uint64_t pool_bytes;      /**< its pool's blocks when its head was read */
    char client[X0_SB_CLIENT_LEN]; /**< client address */
    char vhost[X0_SB_VHOST_LEN];   /**< the Host it named, else its server's name */
    char request[X0_SB_REQUEST_LEN]; /**< the request line, cut to fit */
} x0_scoreboard_request_t;

/** Worker slots (1 under -X); 0 when there is no scoreboard. */
X0_API int x0_scoreboard_slots(void);
/** Request rows per worker slot. */
X0_API int x0_scoreboard_rows(void);
/** When the server first started (kept across restarts); 0 without a scoreboard. */
X0_API apr_time_t x0_scoreboard_started(void);
/** The newest configuration generation (1 at the first start, +1 per restart). */
X0_API int x0_scoreboard_generation(void);
/**
 * Copy slot @a i (0 <= i < x0_scoreboard_slots()) into @a out (its @a size
 * bytes). A slot whose worker died without giving it back reads as free.
 * Returns 1 if a worker holds the slot, 0 if it is free (totals still
 * filled), -1 if @a i is out of range.
 */
X0_API int x0_scoreboard_worker(int i, x0_scoreboard_worker_t* out, apr_size_t size);
/**
 * Copy request row @a row of slot @a i into @a out. Returns 1 for a request
 * in flight, 0 for a free row, -1 out of range. The text may be torn if the
 * worker reused the row meanwhile.
 */
X0_API int x0_scoreboard_request(int i, int row, x0_scoreboard_request_t* out, apr_size_t size);

#ifdef __cplusplus
}
#endif

#endif
