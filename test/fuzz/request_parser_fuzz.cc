/*
 * libFuzzer harness for the request-head parser (src/http_parser.h).
 *
 * Input: two seed bytes (limits, cut positions), then bytes as a client
 * sends them: one head or several pipelined heads. Each run parses the
 * payload head after head (as the connection does: the bytes after a done
 * head start the next one) fed whole, in two pieces, in random pieces and a
 * byte at a time. Every way must give the same heads, ending at the same
 * offsets, and the same final status. Every parsed head is checked against
 * the framing rules of RFC 9112 (section 6.1, 6.3, 3.2) independently of
 * the parser's own checks.
 */
#include <cstring>
#include <new>
#include <strings.h>
#include <apr_tables.h>
#include "fuzz_util.h"
#include "http_parser.h"

using namespace x0fuzz;
using x0::parse_status;
using x0::request_parser;

namespace {

const char harness[] = "request_parser";

/** The parsers of one run with their heads, kept to be read after the pieces are freed. */
struct run {
    std::vector<request_parser*> done;  // in pool memory
    std::vector<std::size_t> ends;       // absolute offset after each done head
    parse_status last = parse_status::need_more;
    int error = 0;
};

bool is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c && std::strchr("!#$%&'*+-.^_`|~", c));
}

bool is_token(const char* s)
{
    if (!*s)
        return false;
    for (; *s; ++s)
        if (!is_tchar(static_cast<unsigned char>(*s)))
            return false;
    return true;
}

bool has_ctl(const char* s)
{
    for (; *s; ++s)
        if (*s == '\r' || *s == '\n')
            return true;
    return false;
}

/** A Content-Length value: 1*DIGIT, or a list of identical ones. Its number in *first. */
bool content_length_ok(const char* v, std::string* first)
{
    bool any = false;
    for (const char* p = v; *p;) {
        p += std::strspn(p, " \t,");
        if (!*p)
            break;
        std::size_t n = std::strspn(p, "0123456789");
        if (n == 0)
            return false;
        std::string num(p, n);
        if (first->empty())
            *first = num;
        else if (*first != num)
            return false;
        any = true;
        p += n;
        p += std::strspn(p, " \t");
        if (*p && *p != ',')
            return false;
    }
    return any;
}

/**
 * A Transfer-Encoding value x0 may accept: a list whose members are all
 * transfer-coding = token *( OWS ";" OWS transfer-parameter ) with the token
 * "chunked" (RFC 9112 6.1, 7), with at least one member. A member such as
 * "chunked x" or "chunked :" is no transfer-coding at all; a proxy in front
 * may frame that message differently.
 */
bool codings_ok(const char* v)
{
    bool any = false;
    for (const char* p = v; *p;) {
        p += std::strspn(p, " \t,");
        if (!*p)
            break;
        if (strncasecmp(p, "chunked", 7) != 0)
            return false;
        p += 7;
        p += std::strspn(p, " \t");
        if (*p == ';')
            p += std::strcspn(p, ",");  // parameters are not checked further
        if (*p && *p != ',')
            return false;
        any = true;
    }
    return any;
}

/** The framing a done head must have, checked apart from the parser. */
void check_head(const x0::http_head& h)
{
    if (!h.request_line || !h.method || !h.target || !h.protocol || !h.headers)
        broken(harness, "done head without request line, method, target, protocol or headers");
    if (h.method_number != X0_M_CONNECT && !h.path)
        broken(harness, "done head without a path: " + esc(h.request_line));
    if (has_ctl(h.request_line) || !is_token(h.method))
        broken(harness, "bad request line or method: " + esc(h.request_line));
    // HTTP/1.0 is 1000; HTTP/1.1 and higher minor versions are 1001 (RFC 9110 2.5).
    bool http1x = std::strncmp(h.protocol, "HTTP/1.", 7) == 0 && h.protocol[7] >= '0'
                  && h.protocol[7] <= '9' && h.protocol[8] == '\0';
    if (!http1x || h.proto_num != (h.protocol[7] == '0' ? 1000 : 1001))
        broken(harness, "protocol " + esc(h.protocol) + " with number " +
                            std::to_string(h.proto_num));
    if (h.host && (!*h.host || has_ctl(h.host)))
        broken(harness, "empty or broken host " + esc(h.host));
    for (const char* c = h.host; c && *c; ++c)
        if (*c >= 'A' && *c <= 'Z')
            broken(harness, "host not lowercased: " + esc(h.host));

    const apr_array_header_t* arr = apr_table_elts(h.headers);
    const auto* e = reinterpret_cast<const apr_table_entry_t*>(arr->elts);
    int hosts = 0;
    bool has_cl = false, has_te = false;
    std::string cl;
    for (int i = 0; i < arr->nelts; ++i) {
        const char* k = e[i].key;
        const char* v = e[i].val;
        std::size_t vn = std::strlen(v);
        if (!is_token(k) || has_ctl(v))
            broken(harness, "bad field " + esc(k) + ": " + esc(v));
        if (vn && (v[0] == ' ' || v[0] == '\t' || v[vn - 1] == ' ' || v[vn - 1] == '\t'))
            broken(harness, "field value not trimmed: " + esc(v));
        if (strcasecmp(k, "Host") == 0)
            ++hosts;
        if (strcasecmp(k, "Content-Length") == 0) {
            has_cl = true;
            if (!content_length_ok(v, &cl))
                broken(harness, "done head with Content-Length " + esc(v) +
                                    " (invalid or differing, RFC 9112 6.3)");
        }
        if (strcasecmp(k, "Transfer-Encoding") == 0) {
            has_te = true;
            if (!codings_ok(v))
                broken(harness, "done head with Transfer-Encoding " + esc(v) +
                                    ": x0 decodes chunked only, so every coding must be"
                                    " \"chunked\" [OWS \";\" parameters] (RFC 9112 6.1, 7)");
        }
    }
    if (has_cl && has_te)
        broken(harness, "done head with Content-Length and Transfer-Encoding (RFC 9112 6.1)");
    if (hosts > 1 || (h.proto_num == 1001 && hosts == 0))
        broken(harness, std::to_string(hosts) + " Host fields in an " + esc(h.protocol) +
                            " head (RFC 9112 3.2)");
}

std::string dump(const run& r)
{
    std::string out;
    for (std::size_t i = 0; i < r.done.size(); ++i) {
        const x0::http_head& h = r.done[i]->head;
        out += "[end " + std::to_string(r.ends[i]) + " " + esc(h.request_line) + " m=" +
               esc(h.method) + "/" + std::to_string(h.method_number) + " t=" + esc(h.target) +
               " p=" + esc(h.path) + " q=" + esc(h.query) + " v=" + esc(h.protocol) + "/" +
               std::to_string(h.proto_num) + " h=" + esc(h.host);
        const apr_array_header_t* arr = apr_table_elts(h.headers);
        const auto* e = reinterpret_cast<const apr_table_entry_t*>(arr->elts);
        for (int j = 0; j < arr->nelts; ++j)
            out += " " + esc(e[j].key) + ":" + esc(e[j].val);
        out += "] ";
    }
    out += "last=" + std::to_string(int(r.last)) + " error=" + std::to_string(r.error);
    return out;
}

/** Parse @a in's payload cut by @a how, head after head, until an error or the end. */
run parse(apr_pool_t* pool, const input& in, cut how, const x0::http_limits& limits)
{
    run r;
    auto* p = static_cast<request_parser*>(apr_pcalloc(pool, sizeof(request_parser)));
    new (p) request_parser();  // trivially destructible: the pool frees it
    p->reset(pool, limits);
    std::size_t at = 0;  // absolute offset of the current piece
    for (std::size_t n : plan(in.size, how, in)) {
        piece pc(in.data + at, n);
        std::size_t off = 0;
        while (off < n) {
            apr_size_t used = 0;
            parse_status st = p->feed(pc.data() + off, n - off, &used);
            if (used > n - off)
                broken(harness, "consumed " + std::to_string(used) + " of " +
                                    std::to_string(n - off) + " bytes");
            r.last = st;
            if (st == parse_status::need_more) {
                if (used != n - off)
                    broken(harness, "need_more without consuming the whole piece");
                off = n;
            } else if (st == parse_status::done) {
                off += used;
                check_head(p->head);
                r.done.push_back(p);
                r.ends.push_back(at + off);
                p = static_cast<request_parser*>(apr_pcalloc(pool, sizeof(request_parser)));
                new (p) request_parser();
                p->reset(pool, limits);
            } else {
                r.error = p->error_status();
                if (r.error != 400 && r.error != 414 && r.error != 431 && r.error != 501 &&
                    r.error != 505)
                    broken(harness, "error status " + std::to_string(r.error));
                return r;
            }
        }
        at += n;
    }
    return r;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    init_apr();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    input in = split_seed(data, size);
    // Small limits too, so that 414 and 431 are reached and cuts land on them.
    static const x0::http_limits limits[] = {
        {8190, 8190, 100}, {8190, 8190, 100}, {64, 48, 4}, {16, 12, 1}};
    const x0::http_limits& lim = limits[in.s0 & 3];

    apr_pool_t* pool = make_pool();
    std::string whole;
    for (cut how : all_cuts) {
        apr_pool_t* sub;
        apr_pool_create(&sub, pool);
        run r = parse(sub, in, how, lim);
        // The pieces are freed by now: a head pointing into them is an ASan report here.
        std::string d = dump(r);
        if (how == cut::whole)
            whole = d;
        else
            same(harness, how, whole, d);
        apr_pool_destroy(sub);
    }
    apr_pool_destroy(pool);
    return 0;
}
