/*
 * mod_echo: `SetHandler echo` answers with the request body, streaming.
 *
 * The example of a handler that reads its input: it pulls the body from
 * HTTP_IN a piece at a time and passes each piece on at once. When the body
 * has not arrived yet it suspends until it does; when the client does not
 * read the answer fast enough (X0_FLOW_STOP) it suspends until the socket
 * drains -- so an upload of any size costs a bounded amount of memory.
 */
#include <apr_strings.h>
#include <cstring>

#include "x0/http.h"

namespace {

/** Bytes asked of HTTP_IN per read. */
constexpr apr_off_t piece = 64 * 1024;

struct echo_state {
    apr_bucket_brigade* bb;
    bool passed;  /**< something went down the output chain: too late for an error page */
};

/** The handler's outcome when reading failed. */
int echo_failed(x0_request_t* r, echo_state* st, apr_status_t rv)
{
    int status = x0_body_error_status(rv);
    if (!st->passed)
        return status ? status : 400;
    // The answer has begun: break it off so the client sees it incomplete.
    APR_BRIGADE_INSERT_TAIL(st->bb, x0_bucket_error_create(status ? status : 400,
                                                           st->bb->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(st->bb, apr_bucket_eos_create(st->bb->bucket_alloc));
    x0_pass_brigade(r->output_filters, st->bb);
    return X0_OK;
}

/** Move body to answer until done or blocked: X0_OK, X0_SUSPENDED or a status. */
int echo_pump(x0_request_t* r, echo_state* st)
{
    for (;;) {
        apr_status_t rv = x0_get_brigade(r->input_filters, st->bb, X0_MODE_READBYTES, piece);
        if (APR_STATUS_IS_EAGAIN(rv))
            return X0_SUSPENDED;  // the core resumes us when the body comes
        if (rv != APR_SUCCESS)
            return echo_failed(r, st, rv);
        bool last = !APR_BRIGADE_EMPTY(st->bb) && APR_BUCKET_IS_EOS(APR_BRIGADE_LAST(st->bb));
        st->passed = true;
        rv = x0_pass_brigade(r->output_filters, st->bb);
        apr_brigade_cleanup(st->bb);
        if (last || (rv != APR_SUCCESS && rv != X0_FLOW_STOP))
            return X0_OK;  // done, or the client is gone (the core closes)
        if (rv == X0_FLOW_STOP)
            return X0_SUSPENDED;  // resumed when the client has read enough
    }
}

void echo_resume(x0_request_t* r)
{
    auto* st = static_cast<echo_state*>(r->handler_ctx);
    int rv = echo_pump(r, st);
    if (rv == X0_SUSPENDED)
        return;
    if (rv != X0_OK)
        x0_send_error_response(r, rv);
    x0_request_finished(r);
}

int echo_handler(x0_request_t* r)
{
    if (!r->handler || strcmp(r->handler, "echo") != 0)
        return X0_DECLINED;
    auto* st = static_cast<echo_state*>(apr_pcalloc(r->pool, sizeof(echo_state)));
    st->bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    r->handler_ctx = st;
    const char* type = apr_table_get(r->headers_in, "Content-Type");
    r->content_type = type ? type : "application/octet-stream";
    // A known length is answered with the same length; else chunked.
    const char* length = apr_table_get(r->headers_in, "Content-Length");
    x0_set_content_length(r, length && !apr_table_get(r->headers_in, "Transfer-Encoding")
                                 ? apr_atoi64(length) : -1);
    int rv = echo_pump(r, st);
    if (rv == X0_SUSPENDED)
        r->resume = echo_resume;
    return rv;
}

void echo_register_hooks(apr_pool_t*)
{
    x0_hook_handler(echo_handler, nullptr, nullptr, X0_HOOK_MIDDLE);
}

} // namespace

X0_MODULE(echo) = {
    X0_MODULE_HEADER, "echo", nullptr, nullptr, nullptr, nullptr, nullptr, echo_register_hooks,
};
