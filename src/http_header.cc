/*
 * HTTP_HEADER: write the response head in front of the first body bytes.
 *
 * Framing is decided here, at header time (RFC 9112 section 6.3): a known
 * length goes out as Content-Length; an unknown one on HTTP/1.1 gets the
 * CHUNK filter; on HTTP/1.0 the body is delimited by closing the connection.
 */
#include <apr_strings.h>
#include <cstring>
#include <strings.h>

#include "core_filters.h"
#include "date_cache.h"
#include "request.h"

namespace x0 {
namespace {

constexpr char server_token[] = "x0/" PACKAGE_VERSION;

bool body_allowed(const x0_request_t* r)
{
    // RFC 9110 sections 9.3.2, 15.3.5, 15.4.5: HEAD, 1xx, 204 and 304 have no body.
    return !r->header_only && r->status >= 200 && r->status != 204 && r->status != 304;
}

/** Does a comma-separated header value list @a token (case-insensitive)? */
bool has_token(const char* list, const char* token)
{
    if (!list)
        return false;
    apr_size_t n = strlen(token);
    for (const char* p = list; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            ++p;
        const char* end = p;
        while (*end && *end != ',')
            ++end;
        const char* last = end;
        while (last > p && (last[-1] == ' ' || last[-1] == '\t'))
            --last;
        if (static_cast<apr_size_t>(last - p) == n && strncasecmp(p, token, n) == 0)
            return true;
        p = end;
    }
    return false;
}

/**
 * Can the next request be found after this one's body? A handler that reads
 * the body is trusted to finish it (request_finish checks); a body nobody
 * asked for is dropped now if it is all here, else the connection closes.
 */
bool body_settled(x0_request_t* r)
{
    const body_state& b = state_of(r)->body;
    return b.done || b.started || request_discard_body(r);
}

bool decide_keepalive(x0_request_t* r, bool framed)
{
    x0_conn_t* c = r->connection;
    const x0_server_t* s = r->server;
    if (!c->keepalive || c->aborted || state_of(r)->close_connection || !s->keep_alive)
        return false;
    if (!framed || !body_settled(r))
        return false;
    if (s->max_keep_alive_requests > 0 && c->keepalives >= s->max_keep_alive_requests)
        return false;
    const char* conn = r->headers_in ? apr_table_get(r->headers_in, "Connection") : nullptr;
    if (r->proto_num >= 1001)
        return !has_token(conn, "close");
    return has_token(conn, "keep-alive");
}

/** Appends to a buffer sized in advance. */
struct head_writer {
    char* at;
    void add(const char* s, apr_size_t n) { memcpy(at, s, n); at += n; }
    void add(const char* s) { add(s, strlen(s)); }
    void field(const char* name, const char* value)
    {
        add(name);
        add(": ", 2);
        add(value);
        add("\r\n", 2);
    }
};

apr_bucket* make_head(x0_request_t* r, bool chunked, bool keepalive)
{
    const char* reason = x0_status_reason(r->status);
    const char* length = nullptr;
    bool body = body_allowed(r) || r->header_only;  // HEAD: the headers GET would send
    if (r->content_length >= 0 && body && r->status != 304)
        length = apr_off_t_toa(r->pool, r->content_length);
    const char* type = r->status != 304 ? r->content_type : nullptr;
    const char* date = http_date_now();

    const apr_array_header_t* fields = apr_table_elts(r->headers_out);
    const auto* e = reinterpret_cast<const apr_table_entry_t*>(fields->elts);
    apr_size_t size = 128 + strlen(date);
    size += reason ? strlen(reason) : 0;
    size += length ? strlen(length) + 20 : 0;
    size += type ? strlen(type) + 20 : 0;
    for (int i = 0; i < fields->nelts; ++i)
        if (e[i].key)
            size += strlen(e[i].key) + strlen(e[i].val) + 4;

    char* buf = static_cast<char*>(apr_palloc(r->pool, size));
    head_writer w{buf};
    // Without a formatter per response; a status that is not three digits
    // (a module's mistake) goes out as 500.
    int code = r->status >= 100 && r->status <= 999 ? r->status : 500;
    char status_line[] = "HTTP/1.1 000 ";
    status_line[9] = static_cast<char>(status_line[9] + code / 100);
    status_line[10] = static_cast<char>(status_line[10] + code / 10 % 10);
    status_line[11] = static_cast<char>(status_line[11] + code % 10);
    w.add(status_line, sizeof status_line - 1);
    w.add(reason ? reason : "");
    w.add("\r\n", 2);
    w.field("Date", date);
    w.field("Server", server_token);
    if (type)
        w.field("Content-Type", type);
    if (length)
        w.field("Content-Length", length);
    for (int i = 0; i < fields->nelts; ++i)
        if (e[i].key)
            w.field(e[i].key, e[i].val);
    if (chunked)
        w.field("Transfer-Encoding", "chunked");
    if (!keepalive)
        w.field("Connection", "close");
    else if (r->proto_num < 1001)
        w.field("Connection", "keep-alive");
    w.add("\r\n", 2);
    // The request pool lives until the EOR behind this response is sent.
    return apr_bucket_immortal_create(buf, w.at - buf, r->connection->bucket_alloc);
}

/** Keep the metadata, drop the body (HEAD, 204, 304). */
void drop_body(apr_bucket_brigade* bb)
{
    apr_bucket* b = APR_BRIGADE_FIRST(bb);
    while (b != APR_BRIGADE_SENTINEL(bb)) {
        apr_bucket* next = APR_BUCKET_NEXT(b);
        if (!APR_BUCKET_IS_METADATA(b))
            apr_bucket_delete(b);
        b = next;
    }
}

} // namespace

apr_status_t http_header_filter(x0_filter_t* f, apr_bucket_brigade* bb)
{
    x0_request_t* r = f->r;
    request_state* st = state_of(r);
    if (st->head_sent) {
        drop_body(bb);  // we only stay in the chain for bodies that must not be sent
        return x0_pass_brigade(f->next, bb);
    }
    st->head_sent = true;
    bool body = body_allowed(r);
    bool chunked = body && r->content_length < 0 && r->proto_num >= 1001;
    bool framed = !body || r->content_length >= 0 || chunked;
    bool keepalive = decide_keepalive(r, framed);
    if (!keepalive)
        r->connection->keepalive = 0;
    apr_bucket* head = make_head(r, chunked, keepalive);
    if (!body) {
        drop_body(bb);
        APR_BRIGADE_INSERT_HEAD(bb, head);
        return x0_pass_brigade(f->next, bb);
    }
    x0_remove_output_filter(f);
    if (chunked) {
        // The head must not be chunked itself: it goes down first, and CHUNK
        // joins the chain behind it (as in httpd's http_filters.c).
        apr_bucket_brigade* hb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
        APR_BRIGADE_INSERT_TAIL(hb, head);
        apr_status_t rv = x0_pass_brigade(f->next, hb);
        if (rv != APR_SUCCESS && rv != X0_FLOW_STOP)
            return rv;
        // Stopped or not, the body goes too: this filter has left the chain
        // and is not called again (filter.h). The stop is still the answer.
        apr_status_t body_rv =
            x0_pass_brigade(x0_add_output_filter("CHUNK", nullptr, r, nullptr), bb);
        return body_rv == APR_SUCCESS ? rv : body_rv;
    }
    APR_BRIGADE_INSERT_HEAD(bb, head);
    return x0_pass_brigade(f->next, bb);
}

} // namespace x0
