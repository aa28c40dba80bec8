/* The listening sockets: bound by the master, carried over a reload by address. */
#ifndef X0_LISTENERS_H
#define X0_LISTENERS_H

#include "worker.h"

namespace x0 {

/** The listeners of one configuration. */
struct listener_set {
    listener* items;
    int count;
};

/**
 * Bind every Listen of @a s, in @a p. A Listen whose address and port are
 * in @a carried (the set in force, or NULL) takes that socket's fd instead
 * of binding again, so connections waiting in its queue are not lost and
 * no other process can take the port meanwhile; only its backlog and
 * protocol are updated. On failure closes what it bound, returns false and
 * sets @a error to "FILE:LINE: could not bind to ADDR: reason".
 */
bool open_listeners(apr_pool_t* p, x0_server_t* s, const listener_set* carried,
                    listener_set* out, const char** error);

/**
 * For a reload's test, in a process of its own: bind, and close again, each
 * Listen of @a s whose address the running master does not hold. @a held
 * is "ADDR:PORT ..." as held_addresses gives it (ADDR is * for all).
 * Returns NULL or "FILE:LINE: could not bind to ADDR: reason" (in @a p).
 */
const char* try_new_listeners(apr_pool_t* p, x0_server_t* s, const char* held);

/** The addresses of @a set, space-separated, for try_new_listeners (in @a p). */
const char* held_addresses(apr_pool_t* p, const listener_set* set);

/** Is @a fd one of @a set's? */
bool holds_fd(const listener_set* set, int fd);

/** Close the sockets of @a old that @a now does not carry over. */
void close_dropped_listeners(const listener_set* old, const listener_set* now);

/** Close the sockets of @a now that @a old did not have (a reload undone). */
void close_new_listeners(const listener_set* old, const listener_set* now);

} // namespace x0

#endif
