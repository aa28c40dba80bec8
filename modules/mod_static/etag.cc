/* The validators of a static file; see etag.h. */
#include "etag.h"

#include <apr_strings.h>

namespace x0 {

namespace {

/** The last version's strings (workers are single-threaded processes). */
struct last_validators {
    apr_time_t mtime = -1;
    apr_time_t stated = -1;
    apr_off_t size = -1;
    char etag[2 * 16 + 4];  // two 64-bit hex numbers, '-', the quotes, NUL
    char last_modified[APR_RFC822_DATE_LEN];
} last;

} // namespace

file_validators validators_of(apr_pool_t* p, apr_time_t mtime, apr_time_t stated,
                              apr_off_t size)
{
    // Whole seconds: what both strings show.
    mtime = apr_time_from_sec(apr_time_sec(mtime));
    stated = apr_time_from_sec(apr_time_sec(stated));
    if (mtime != last.mtime || stated != last.stated || size != last.size) {
        apr_snprintf(last.etag, sizeof last.etag,
                     "\"%" APR_UINT64_T_HEX_FMT "-%" APR_UINT64_T_HEX_FMT "\"",
                     static_cast<apr_uint64_t>(apr_time_sec(mtime)),
                     static_cast<apr_uint64_t>(size));
        apr_rfc822_date(last.last_modified, stated);
        last.mtime = mtime;
        last.stated = stated;
        last.size = size;
    }
    // Copies: an earlier response's headers may still point at them when
    // the next version is asked for (the access log reads them at the end).
    return {apr_pstrdup(p, last.etag), apr_pstrdup(p, last.last_modified)};
}

} // namespace x0
