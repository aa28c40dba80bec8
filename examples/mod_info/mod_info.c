/*
 * mod_info: `SetHandler server-facts` answers with what x0 knows about the
 * server and about the request, as JSON:
 *
 *   <Location /facts>
 *       SetHandler server-facts
 *   </Location>
 *
 *   $ curl -s http://127.0.0.1:8080/facts?x=1
 *   {"server_name":"localhost","vhost":{"virtual":false,...},...}
 *
 * An example of a handler written in C against the installed headers only:
 * it declines what is not its own, allocates nothing but from the request
 * pool, knows its length before it sends (Content-Length, no chunking), and
 * sends the whole answer in one brigade ending with EOS.
 */
#include <string.h>

#include <apr_strings.h>

#include <x0/http.h>
#include <x0/log.h>
#include <x0/module.h>

/*
 * The body is written twice by the same code: once with no buffer to learn
 * its length, once into a buffer of exactly that length from the request
 * pool. No realloc, no growing string.
 */
typedef struct {
    char* buf;       /* NULL while measuring */
    apr_size_t len;  /* bytes written (or counted) so far */
} info_out;

static void out_raw(info_out* o, const char* s, apr_size_t n)
{
    if (o->buf)
        memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void out_lit(info_out* o, const char* s)
{
    out_raw(o, s, strlen(s));
}

static void out_long(info_out* o, long v)
{
    char num[32];
    out_raw(o, num, (apr_size_t)apr_snprintf(num, sizeof num, "%ld", v));
}

/*
 * The length of the well-formed UTF-8 sequence at @s (1 to 4), or 0 when
 * the byte at @s does not start one (RFC 3629 section 4: no overlong forms,
 * no surrogates, nothing above U+10FFFF). The terminating NUL stops every
 * sequence, as it is not a continuation byte.
 */
static int utf8_sequence(const unsigned char* s)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xBF;
    int n;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (s[1] < lo || s[1] > hi)
        return 0;
    if (n > 2 && (s[2] < 0x80 || s[2] > 0xBF))
        return 0;
    if (n > 3 && (s[3] < 0x80 || s[3] > 0xBF))
        return 0;
    return n;
}

/*
 * A JSON string (RFC 8259 section 7), or null. Header values may hold any
 * byte but CR, LF and NUL (obs-text, RFC 9110 section 5.5) and a decoded
 * path any byte but NUL: well-formed UTF-8 is copied, every other byte is
 * taken as ISO-8859-1 and written as \u00XX, so the output is always valid.
 */
static void out_str(info_out* o, const char* str)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char* s = (const unsigned char*)str;
    if (!str) {
        out_lit(o, "null");
        return;
    }
    out_raw(o, "\"", 1);
    while (*s) {
        const unsigned char* run = s;
        int n;
        /* The common case: a run of bytes that need no escape. */
        while (*s >= 0x20 && *s != '"' && *s != '\\' && *s != 0x7F
               && (n = utf8_sequence(s)) > 0)
            s += n;
        out_raw(o, (const char*)run, (apr_size_t)(s - run));
        if (!*s)
            break;
        switch (*s) {
        case '"': out_raw(o, "\\\"", 2); break;
        case '\\': out_raw(o, "\\\\", 2); break;
        case '\b': out_raw(o, "\\b", 2); break;
        case '\f': out_raw(o, "\\f", 2); break;
        case '\n': out_raw(o, "\\n", 2); break;
        case '\r': out_raw(o, "\\r", 2); break;
        case '\t': out_raw(o, "\\t", 2); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[*s >> 4], hex[*s & 0xF]};
            out_raw(o, u, 6);
        }
        }
        ++s;
    }
    out_raw(o, "\"", 1);
}

static void out_key(info_out* o, const char* key)
{
    if (o->len > 1)
        out_raw(o, ",", 1);
    out_str(o, key);
    out_raw(o, ":", 1);
}

/* The request's header fields in the order received, repeats included. */
static void out_headers(info_out* o, const apr_table_t* headers)
{
    const apr_array_header_t* arr;
    const apr_table_entry_t* e;
    int i, first = 1;
    out_raw(o, "[", 1);
    if (headers) {
        arr = apr_table_elts(headers);
        e = (const apr_table_entry_t*)arr->elts;
        for (i = 0; i < arr->nelts; ++i) {
            if (!e[i].key)
                continue;
            if (!first)
                out_raw(o, ",", 1);
            first = 0;
            out_raw(o, "[", 1);
            out_str(o, e[i].key);
            out_raw(o, ",", 1);
            out_str(o, e[i].val);
            out_raw(o, "]", 1);
        }
    }
    out_raw(o, "]", 1);
}

static void info_write(info_out* o, const x0_request_t* r)
{
    const x0_conn_t* c = r->connection;
    const x0_server_t* s = r->server;

    out_raw(o, "{", 1);
    out_key(o, "server_name");
    out_str(o, s->server_name);
    /* The server that answers: the main one, or the <VirtualHost> chosen
     * by the address and the Host header. */
    out_key(o, "vhost");
    out_lit(o, "{\"virtual\":");
    out_lit(o, s->is_virtual ? "true" : "false");
    out_lit(o, ",\"file\":");
    out_str(o, s->defn_file);
    out_lit(o, ",\"line\":");
    out_long(o, s->defn_line);
    out_raw(o, "}", 1);
    out_key(o, "hostname");
    out_str(o, r->hostname);
    out_key(o, "client_ip");
    out_str(o, c->client_ip);
    out_key(o, "client_port");
    out_long(o, c->client_port);
    out_key(o, "local_ip");
    out_str(o, c->local_ip);
    out_key(o, "local_port");
    out_long(o, c->local_port);
    out_key(o, "keepalives");
    out_long(o, c->keepalives);
    out_key(o, "method");
    out_str(o, r->method);
    out_key(o, "unparsed_uri");
    out_str(o, r->unparsed_uri);
    out_key(o, "uri");
    out_str(o, r->uri);
    out_key(o, "path");
    out_str(o, r->path);
    out_key(o, "args");
    out_str(o, r->args);
    out_key(o, "protocol");
    out_str(o, r->protocol);
    out_key(o, "handler");
    out_str(o, r->handler);
    out_key(o, "headers");
    out_headers(o, r->headers_in);
    out_raw(o, "}\n", 2);
}

static int info_handler(x0_request_t* r)
{
    info_out o = {NULL, 0};
    apr_bucket_alloc_t* ba;
    apr_bucket_brigade* bb;
    apr_status_t rv;

    /* Not ours: decline at once and touch nothing. */
    if (!r->handler || strcmp(r->handler, "server-facts") != 0)
        return X0_DECLINED;
    if (r->method_number != X0_M_GET && r->method_number != X0_M_HEAD) {
        apr_table_setn(r->headers_out, "Allow", "GET, HEAD");
        return 405;
    }

    info_write(&o, r);                   /* measure */
    o.buf = apr_palloc(r->pool, o.len);  /* lives until the response is sent */
    o.len = 0;
    info_write(&o, r);                   /* write */

    r->content_type = "application/json";
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    x0_set_content_length(r, (apr_off_t)o.len);

    ba = r->connection->bucket_alloc;
    bb = apr_brigade_create(r->pool, ba);
    /* HEAD: the same head, and HTTP_HEADER drops the body. */
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_pool_create(o.buf, o.len, r->pool, ba));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba));
    /*
     * The whole answer is in this brigade, with its EOS: X0_FLOW_STOP means
     * "accepted, the core sends it as the client reads", so there is nothing
     * to resume. Any other error means the client is gone; the core closes.
     */
    rv = x0_pass_brigade(r->output_filters, bb);
    if (rv != APR_SUCCESS && rv != X0_FLOW_STOP)
        x0_log_error(X0LOG(10001), X0_LOG_DEBUG, rv, r->server,
                     "server-facts: the client went away");
    return X0_OK;
}

static void info_register_hooks(apr_pool_t* p)
{
    (void)p;
    x0_hook_handler(info_handler, NULL, NULL, X0_HOOK_MIDDLE);
}

X0_MODULE(info) = {
    X0_MODULE_HEADER,
    "info",
    NULL,  /* create_dir_config: no configuration */
    NULL,  /* merge_dir_config */
    NULL,  /* create_server_config */
    NULL,  /* merge_server_config */
    NULL,  /* directives: SetHandler is the core's */
    info_register_hooks,
};
