/* The entity-tag of a static file; see etag.h. */
#include "etag.h"

#include <apr_strings.h>

namespace x0 {

const char* make_etag(apr_pool_t* p, apr_time_t mtime, apr_off_t size)
{
    return apr_psprintf(p, "\"%" APR_UINT64_T_HEX_FMT "-%" APR_UINT64_T_HEX_FMT "\"",
                        static_cast<apr_uint64_t>(apr_time_sec(mtime)),
                        static_cast<apr_uint64_t>(size));
}

} // namespace x0
