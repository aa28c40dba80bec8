/* The filters the core itself provides. */
#ifndef X0_CORE_FILTERS_H
#define X0_CORE_FILTERS_H

#include "x0/filter.h"

namespace x0 {

/** Register the filters below (core_module's register_hooks). */
void register_core_filters();

/** CORE_IN: ctx is the conn_active. */
apr_status_t core_input_filter(x0_filter_t* f, apr_bucket_brigade* bb, x0_input_mode_e mode,
                               apr_off_t readbytes);
/**
 * HTTP_IN: the request body, de-framed (Content-Length or chunked, RFC 9112
 * section 6), ending with EOS. Added to requests that have a body.
 */
apr_status_t http_in_filter(x0_filter_t* f, apr_bucket_brigade* bb, x0_input_mode_e mode,
                            apr_off_t readbytes);
/**
 * BYTERANGE: Range requests (RFC 9110 section 14) for any 200 response whose
 * length is known at header time. Added to GET requests with a Range field.
 */
apr_status_t byterange_filter(x0_filter_t* f, apr_bucket_brigade* bb);
/** HTTP_HEADER: writes the response head; added to every request. */
apr_status_t http_header_filter(x0_filter_t* f, apr_bucket_brigade* bb);
/** CHUNK: HTTP/1.1 chunked transfer coding (RFC 9112 section 7.1). */
apr_status_t chunk_filter(x0_filter_t* f, apr_bucket_brigade* bb);

} // namespace x0

#endif
