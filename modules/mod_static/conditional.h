/*
 * Validators and conditional requests for static files (RFC 9110 sections
 * 8.8 and 13).
 */
#ifndef X0_MOD_STATIC_CONDITIONAL_H
#define X0_MOD_STATIC_CONDITIONAL_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

namespace x0 {

/**
 * The entity-tag of a file, made like nginx's from its modification time in
 * whole seconds and its size, both in lower-case hex: "\"<mtime>-<size>\""
 * (quotes included). Allocated in @a p.
 */
const char* make_etag(apr_pool_t* p, apr_time_t mtime, apr_off_t size);

/**
 * Evaluate the preconditions of a GET or HEAD of an existing file in the
 * order of RFC 9110 section 13.2.2.
 * @param headers_in the request header fields
 * @param etag       the file's entity-tag as make_etag() makes it
 * @param mtime      the file's modification time
 * @return 0 to serve the file normally, or 304 (Not Modified).
 */
int evaluate_preconditions(apr_table_t* headers_in, const char* etag, apr_time_t mtime);

} // namespace x0

#endif
