/* The filters the core itself provides. */
#ifndef X0_CORE_FILTERS_H
#define X0_CORE_FILTERS_H

#include "x0/filter.h"

namespace x0 {

/** Register CORE_IN, CORE_OUT, HTTP_HEADER and CHUNK (core_module's register_hooks). */
void register_core_filters();

/** CORE_IN: ctx is the conn_active. */
apr_status_t core_input_filter(x0_filter_t* f, apr_bucket_brigade* bb, x0_input_mode_e mode,
                               apr_off_t readbytes);
/** HTTP_HEADER: writes the response head; added to every request. */
apr_status_t http_header_filter(x0_filter_t* f, apr_bucket_brigade* bb);
/** CHUNK: HTTP/1.1 chunked transfer coding (RFC 9112 section 7.1). */
apr_status_t chunk_filter(x0_filter_t* f, apr_bucket_brigade* bb);

} // namespace x0

#endif
