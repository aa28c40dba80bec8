/* The small HTML page x0 answers an error status with, or an ErrorDocument text. */
#include <apr_strings.h>

#include "request.h"

namespace x0 {

apr_status_t send_error_body(x0_request_t* r, int status, const char* body)
{
    apr_size_t len = strlen(body);
    r->status = status;
    // The error page is not the resource: none of its validators apply.
    apr_table_unset(r->headers_out, "ETag");
    apr_table_unset(r->headers_out, "Last-Modified");
    r->content_type = "text/html; charset=utf-8";
    x0_set_content_length(r, static_cast<apr_off_t>(len));
    apr_bucket_alloc_t* ba = r->connection->bucket_alloc;
    apr_bucket_brigade* bb = apr_brigade_create(r->pool, ba);
    // The body lives in the request pool or the config pool, and the request
    // pool outlives every bucket of its response (EOR comes last).
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_immortal_create(body, len, ba));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba));
    return x0_pass_brigade(r->output_filters, bb);
}

} // namespace x0

extern "C" apr_status_t x0_send_error_response(x0_request_t* r, int status)
{
    const char* reason = x0_status_reason(status);
    if (!reason)
        reason = "Error";
    return x0::send_error_body(r, status,
                               apr_psprintf(r->pool,
                                            "<!DOCTYPE html>\n<html><head><title>%d %s</title>"
                                            "</head><body><h1>%s</h1></body></html>\n",
                                            status, reason, reason));
}
