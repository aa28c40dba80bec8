/*
 * The scoreboard's writing side: the master creates it once, each worker
 * takes a slot, connections and requests update their worker's slot with
 * plain stores (no lock, no system call). The reading side is the public
 * x0/scoreboard.h. Layout, cost and restarts: docs/status.md.
 */
#ifndef X0_SCOREBOARD_INTERNAL_H
#define X0_SCOREBOARD_INTERNAL_H

#include <ev.h>

#include "connection.h"
#include "x0/scoreboard.h"

namespace x0 {

/** Request rows per worker slot: requests in flight past this are counted, not shown. */
constexpr int scoreboard_rows = 32;

/** Slots for @a s: 1 for a single process, else room for two generations and respawns. */
int scoreboard_slots_for(x0_server_t* s, bool single_process);

/**
 * Map the scoreboard (anonymous shared memory, inherited by every worker
 * forked later). Once per process life: a second call keeps the first one
 * and returns true. False (and a log line) if the memory cannot be mapped;
 * x0 then runs without one and every update is a store into a private slot.
 */
bool scoreboard_create(int slots);

/** The master starts generation @a g; workers forked from now on record it. */
void scoreboard_set_generation(int g);

/**
 * The calling worker takes a free slot and resets what belongs to its
 * occupant (the totals carry on). @a pool is the worker's pool: the slot is
 * given back by its cleanup. With @a loop, the memory figures are sampled
 * once a second (a timer that does not keep the loop alive).
 */
void scoreboard_attach(apr_pool_t* pool, struct ev_loop* loop);

/** A connection was accepted (it starts in conn_phase::idle). */
void scoreboard_conn_opened();
/** @a c goes from its current phase to @a to; call just before the assignment. */
void scoreboard_conn_move(const connection* c, conn_phase to);
/** A connection pool is about to be destroyed: its size goes into the figures. */
void scoreboard_conn_pool_done(apr_pool_t* p);
/**
 * A request's head was read: it takes a row until its pool is destroyed
 * (a pool cleanup, whichever way the request ends), when it is counted with
 * its status and r->bytes_sent.
 */
void scoreboard_request_start(x0_request_t* r);
/** What @a r's response has put on the wire so far, while it is still going out. */
void scoreboard_request_progress(const x0_request_t* r, apr_uint64_t sent);

/**
 * Bytes of the blocks @a p holds (its own, not its subpools'), or 0 when the
 * APR in use does not build pools the way this relies on (checked once).
 */
apr_size_t pool_block_bytes(apr_pool_t* p);

/** Unit tests: forget the scoreboard (unmap it) so that a test can create another. */
void scoreboard_reset_for_tests();

} // namespace x0

#endif
