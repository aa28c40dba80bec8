/*
 * HTTP_IN: the request body as a handler sees it -- de-framed, ending with
 * EOS, pulled without blocking (RFC 9112 section 6).
 *
 * Bytes come first from the HTTP layer's carry-over (what was read along
 * with the head), then from the connection's input chain (CORE_IN, or a TLS
 * filter above it). A Content-Length body asks for no more than what
 * remains, so the next request's bytes are never taken; a chunked body is
 * decoded in place (data buckets are split out, never copied) and whatever
 * follows the last chunk goes back to the carry-over for the next request.
 */
#include <apr_strings.h>

#include "connection.h"
#include "core_filters.h"
#include "request.h"

namespace x0 {
namespace {

/** Read per call when the handler asks for "any amount". */
constexpr apr_off_t default_read = 64 * 1024;

/**
 * RFC 9110 section 10.1.1: the client waits for this before sending the
 * body; it goes out straight to the connection, in order behind earlier
 * responses, and is flushed.
 */
void send_continue(x0_request_t* r)
{
    static const char interim[] = "HTTP/1.1 100 Continue\r\n\r\n";
    apr_bucket_alloc_t* ba = r->connection->bucket_alloc;
    apr_bucket_brigade* bb = apr_brigade_create(r->pool, ba);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_immortal_create(interim, sizeof(interim) - 1, ba));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(ba));
    x0_pass_brigade(r->connection->output_filters, bb);
}

/** Map the network's answer: nothing yet is flow, EOF mid-body is an error. */
apr_status_t network_status(body_state& b, apr_status_t rv)
{
    if (APR_STATUS_IS_EAGAIN(rv))
        b.waiting = true;
    else if (rv == APR_EOF)
        rv = APR_ECONNABORTED;  // the client closed before the body ended
    return rv;
}

/** Up to @a want bytes into b.scratch: the carry-over first, else the connection. */
apr_status_t read_network(x0_filter_t* f, body_state& b, apr_off_t want)
{
    apr_bucket_brigade* carry = active_of(f->r->connection)->in;
    if (APR_BRIGADE_EMPTY(carry))
        return x0_get_brigade(f->next, b.scratch, X0_MODE_READBYTES, want);
    apr_bucket* after;
    if (apr_brigade_partition(carry, want, &after) == APR_INCOMPLETE)
        after = APR_BRIGADE_SENTINEL(carry);
    while (APR_BRIGADE_FIRST(carry) != after) {
        apr_bucket* e = APR_BRIGADE_FIRST(carry);
        APR_BUCKET_REMOVE(e);
        APR_BRIGADE_INSERT_TAIL(b.scratch, e);
    }
    return APR_SUCCESS;
}

apr_status_t read_length(x0_filter_t* f, body_state& b, apr_bucket_brigade* bb, apr_off_t want)
{
    if (want > b.remaining)
        want = b.remaining;
    apr_status_t rv = read_network(f, b, want);
    if (rv != APR_SUCCESS)
        return network_status(b, rv);
    apr_off_t got = 0;
    apr_brigade_length(b.scratch, 0, &got);
    b.remaining -= got;
    APR_BRIGADE_CONCAT(bb, b.scratch);
    if (b.remaining == 0) {
        b.done = true;
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(bb->bucket_alloc));
    }
    return APR_SUCCESS;
}

/** Decode what the network gave; data spans move to @a bb. */
apr_status_t decode_chunks(x0_filter_t* f, body_state& b, apr_bucket_brigade* bb)
{
    while (!APR_BRIGADE_EMPTY(b.scratch)) {
        apr_bucket* e = APR_BRIGADE_FIRST(b.scratch);
        const char* data;
        apr_size_t len;
        apr_bucket_read(e, &data, &len, APR_BLOCK_READ);
        apr_size_t used, at, span;
        chunk_status st = b.decoder->feed(data, len, &used, &at, &span);
        if (st == chunk_status::error) {
            f->r->connection->keepalive = 0;
            apr_brigade_cleanup(b.scratch);
            return b.decoder->error_status() == 413 ? X0_BODY_TOO_LARGE : X0_BODY_MALFORMED;
        }
        // Cut e into [framing][span][rest]: the span travels, framing goes.
        if (used < len)
            apr_bucket_split(e, used);
        if (st == chunk_status::data) {
            if (at > 0) {
                apr_bucket_split(e, at);
                apr_bucket* framing = e;
                e = APR_BUCKET_NEXT(e);
                apr_bucket_delete(framing);
            }
            APR_BUCKET_REMOVE(e);
            APR_BRIGADE_INSERT_TAIL(bb, e);
            continue;
        }
        apr_bucket_delete(e);
        if (st == chunk_status::done) {
            b.done = true;
            // What follows the body is the next request's.
            APR_BRIGADE_PREPEND(active_of(f->r->connection)->in, b.scratch);
            APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(bb->bucket_alloc));
            return APR_SUCCESS;
        }
    }
    return APR_SUCCESS;
}

apr_status_t read_chunked(x0_filter_t* f, body_state& b, apr_bucket_brigade* bb, apr_off_t want)
{
    // Framing alone (a size line, a CRLF) gives the handler nothing: read on
    // until there are body bytes, the end, or nothing more to read.
    while (APR_BRIGADE_EMPTY(bb)) {
        apr_status_t rv = read_network(f, b, want);
        if (rv != APR_SUCCESS)
            return network_status(b, rv);
        rv = decode_chunks(f, b, bb);
        if (rv != APR_SUCCESS)
            return rv;
    }
    return APR_SUCCESS;
}

} // namespace

apr_status_t http_in_filter(x0_filter_t* f, apr_bucket_brigade* bb, x0_input_mode_e,
                            apr_off_t readbytes)
{
    body_state& b = state_of(f->r)->body;
    if (b.kind == body_state::framing::none || b.done) {
        b.done = true;
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(bb->bucket_alloc));
        return APR_SUCCESS;
    }
    b.started = true;
    b.waiting = false;
    if (b.expect_continue) {
        b.expect_continue = false;
        send_continue(f->r);
    }
    apr_off_t want = readbytes > 0 ? readbytes : default_read;
    if (b.kind == body_state::framing::length)
        return read_length(f, b, bb, want);
    return read_chunked(f, b, bb, want);
}

bool request_discard_body(x0_request_t* r)
{
    body_state& b = state_of(r)->body;
    if (b.kind == body_state::framing::none || b.done)
        return true;
    if (b.expect_continue)
        return false;  // the client waits for us and has sent no body
    apr_bucket_brigade* bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    apr_status_t rv;
    do {
        apr_brigade_cleanup(bb);
        rv = x0_get_brigade(r->input_filters, bb, X0_MODE_READBYTES, default_read);
    } while (rv == APR_SUCCESS && !b.done);
    apr_brigade_cleanup(bb);
    b.waiting = false;
    return b.done;
}

} // namespace x0

extern "C" int x0_body_error_status(apr_status_t rv)
{
    if (rv == X0_BODY_TOO_LARGE)
        return 413;
    if (rv == X0_BODY_MALFORMED)
        return 400;
    return 0;
}
