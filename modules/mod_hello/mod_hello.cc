/*
 * mod_hello: `SetHandler x0-hello` streams "hello, world N" lines, each in a
 * brigade of its own and without a Content-Length, so the response shows the
 * framing the core picks (chunked on HTTP/1.1, close-delimited on 1.0) and
 * how a handler suspends on X0_FLOW_STOP and resumes when the client reads.
 * Its ETag lets conditional requests (If-Match, If-None-Match) act on a
 * module's response.
 *
 *   GET /hello?n=1000
 */
#include <apr_strings.h>
#include <cstdlib>
#include <cstring>

#include "x0/http.h"
#include "x0/log.h"

namespace {

constexpr long default_lines = 3;
constexpr long max_lines = 10 * 1000 * 1000;

struct hello_state {
    long next;
    long last;
    apr_bucket_brigade* bb;
};

long lines_wanted(const char* args)
{
    if (!args)
        return default_lines;
    for (const char* p = args; p; p = strchr(p, '&')) {
        if (*p == '&')
            ++p;
        if (strncmp(p, "n=", 2) == 0) {
            long n = strtol(p + 2, nullptr, 10);
            return n < 0 ? 0 : n > max_lines ? max_lines : n;
        }
    }
    return default_lines;
}

/** Send lines until done or told to wait; true when the response is complete. */
bool hello_send(x0_request_t* r, hello_state* st)
{
    while (st->next <= st->last) {
        char line[48];
        int n = apr_snprintf(line, sizeof(line), "hello, world %ld\n", st->next++);
        APR_BRIGADE_INSERT_TAIL(st->bb, apr_bucket_heap_create(line, n, nullptr,
                                                               st->bb->bucket_alloc));
        apr_status_t rv = x0_pass_brigade(r->output_filters, st->bb);
        apr_brigade_cleanup(st->bb);
        if (rv == X0_FLOW_STOP)
            return false;
        if (rv != APR_SUCCESS)
            return true;  // the client is gone; the core closes the connection
    }
    APR_BRIGADE_INSERT_TAIL(st->bb, apr_bucket_eos_create(st->bb->bucket_alloc));
    x0_pass_brigade(r->output_filters, st->bb);
    return true;
}

void hello_resume(x0_request_t* r)
{
    auto* st = static_cast<hello_state*>(r->handler_ctx);
    if (hello_send(r, st))
        x0_request_finished(r);
}

int hello_handler(x0_request_t* r)
{
    if (!r->handler || strcmp(r->handler, "x0-hello") != 0)
        return X0_DECLINED;
    if (r->method_number != X0_M_GET && r->method_number != X0_M_HEAD) {
        apr_table_setn(r->headers_out, "Allow", "GET, HEAD");
        return 405;
    }
    // The body depends on nothing but the line count, so the count makes a
    // strong validator (RFC 9110 section 8.8.3), and conditional requests
    // work on this response as on a file.
    long lines = lines_wanted(r->args);
    apr_table_setn(r->headers_out, "ETag", apr_psprintf(r->pool, "\"hello-%ld\"", lines));
    int status = x0_meets_conditions(r);
    if (status == 412)
        return 412;
    if (status == 304)
        r->status = 304;  // no body (section 15.4.5): the EOS alone

    auto* st = static_cast<hello_state*>(apr_pcalloc(r->pool, sizeof(hello_state)));
    st->next = 1;
    st->last = r->header_only || status == 304 ? 0 : lines;
    st->bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    r->content_type = "text/plain; charset=utf-8";
    r->handler_ctx = st;
    if (hello_send(r, st))
        return X0_OK;
    r->resume = hello_resume;
    return X0_SUSPENDED;
}

void hello_register_hooks(apr_pool_t*)
{
    x0_hook_handler(hello_handler, nullptr, nullptr, X0_HOOK_MIDDLE);
}

} // namespace

X0_MODULE(hello) = {
    X0_MODULE_HEADER, "hello", nullptr, nullptr, nullptr, nullptr, nullptr, hello_register_hooks,
};
