/*
 * The entity-tag of a static file (RFC 9110 section 8.8.3).
 */
#ifndef X0_MOD_STATIC_ETAG_H
#define X0_MOD_STATIC_ETAG_H

#include <apr_pools.h>
#include <apr_time.h>

namespace x0 {

/**
 * The entity-tag of a file, made like nginx's from its modification time in
 * whole seconds and its size, both in lower-case hex: "\"<mtime>-<size>\""
 * (quotes included). Allocated in @a p.
 */
const char* make_etag(apr_pool_t* p, apr_time_t mtime, apr_off_t size);

} // namespace x0

#endif
