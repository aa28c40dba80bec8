/*
 * The validators of a static file: its entity-tag (RFC 9110 section 8.8.3)
 * and its Last-Modified date (section 8.8.2).
 */
#ifndef X0_MOD_STATIC_ETAG_H
#define X0_MOD_STATIC_ETAG_H

#include <apr_pools.h>
#include <apr_time.h>

namespace x0 {

/** Header values, in the pool they were asked for with. */
struct file_validators {
    const char* etag;
    const char* last_modified;
};

/**
 * The ETag of a file version (@a mtime, @a size) and the Last-Modified date
 * @a stated for it (its mtime, or the request time for a file from the
 * future). The tag is made like nginx's from the modification time in whole
 * seconds and the size, both in lower-case hex: "\"<mtime>-<size>\""
 * (quotes included). The strings of the version asked for last are kept, per worker
 * process, and copied into @a p instead of formatted again: a worker serves
 * the same file many times in a row.
 */
file_validators validators_of(apr_pool_t* p, apr_time_t mtime, apr_time_t stated,
                              apr_off_t size);

} // namespace x0

#endif
