/*
 * The request-head parser (RFC 9112 sections 2-5).
 *
 * A line that lies whole inside one fed piece is parsed where it lies; only a
 * line split across pieces is copied into the carry buffer (allocated once
 * per head, never past the limit). Every line is validated with one static
 * character-class table; the parts the head keeps are copied into the pool.
 */
#include "http_parser.h"

#include <string.h>
#include <strings.h>
#include <apr_strings.h>

#include "http_chars.h"

namespace x0 {

namespace {

/** Leading empty lines skipped before the request line (RFC 9112 2.2 SHOULD). */
constexpr int max_blank_lines = 8;


/** Length of the run at @a s (at most @a n bytes) whose bytes all have @a k. */
inline apr_size_t span(const char* s, apr_size_t n, unsigned char k)
{
    apr_size_t i = 0;
    while (i < n && (cls[s[i]] & k))
        ++i;
    return i;
}

/*
 * Field values and targets are the bulk of a head. They are checked eight
 * bytes at a time (SWAR: a byte is flagged when below the lowest allowed
 * value or equal to DEL); only a flagged word goes through the table.
 */
constexpr apr_uint64_t ones = ~apr_uint64_t(0) / 255;  // 0x0101...01

inline apr_uint64_t load8(const char* s)
{
    apr_uint64_t w;
    memcpy(&w, s, 8);
    return w;
}

/** Nonzero if a byte of @a w is below @a n (n <= 128). */
inline apr_uint64_t has_less(apr_uint64_t w, unsigned n)
{
    return (w - ones * n) & ~w & (ones * 0x80);
}

/** True if all @a n bytes at @a s have class @a k; @a floor is the lowest byte
 *  that may have it without a table look-up, @a high whether 0x80-0xFF may. */
inline bool all_of(const char* s, apr_size_t n, unsigned char k, unsigned floor, bool high)
{
    if (n < 8)
        return span(s, n, k) == n;
    // The last word may overlap the one before it.
    for (apr_size_t i = 0;; i += 8) {
        if (i + 8 > n)
            i = n - 8;
        apr_uint64_t w = load8(s + i);
        apr_uint64_t bad = has_less(w, floor) | has_less(w ^ (ones * 0x7f), 1);
        if (!high)
            bad |= w & (ones * 0x80);
        if (bad && span(s + i, 8, k) != 8)
            return false;
        if (i + 8 == n)
            return true;
    }
}

x0_method_e method_number(const char* m, apr_size_t n)
{
    // Methods are case-sensitive (RFC 9110 9.1).
    switch (n) {
    case 3:
        if (memcmp(m, "GET", 3) == 0) return X0_M_GET;
        if (memcmp(m, "PUT", 3) == 0) return X0_M_PUT;
        break;
    case 4:
        if (memcmp(m, "HEAD", 4) == 0) return X0_M_HEAD;
        if (memcmp(m, "POST", 4) == 0) return X0_M_POST;
        break;
    case 5:
        if (memcmp(m, "TRACE", 5) == 0) return X0_M_TRACE;
        if (memcmp(m, "PATCH", 5) == 0) return X0_M_PATCH;
        break;
    case 6:
        if (memcmp(m, "DELETE", 6) == 0) return X0_M_DELETE;
        break;
    case 7:
        if (memcmp(m, "OPTIONS", 7) == 0) return X0_M_OPTIONS;
        if (memcmp(m, "CONNECT", 7) == 0) return X0_M_CONNECT;
        break;
    }
    return X0_M_UNKNOWN;
}

/**
 * Parse uri-host [":" port] (RFC 9110 7.2, RFC 3986 3.2.2-3.2.3) from @a s.
 * On success *@a host is the host without port, lowercased, in @a pool.
 * An IP-literal keeps its brackets. userinfo ('@') is not accepted
 * (RFC 9110 4.2.4 says to treat it as an error).
 */
bool parse_host(const char* s, apr_size_t n, bool need_port, apr_pool_t* pool,
                const char** host)
{
    apr_size_t h;
    if (n > 0 && s[0] == '[') {
        const char* close = static_cast<const char*>(memchr(s, ']', n));
        if (!close || close == s + 1)
            return false;
        for (const char* c = s + 1; c < close; ++c)
            if (*c != ':' && !(cls[*c] & c_host))
                return false;
        h = close + 1 - s;
    } else {
        h = span(s, n, c_host);
        if (h == 0)
            return false;
    }
    if (h < n) {
        if (s[h] != ':' || span(s + h + 1, n - h - 1, c_digit) != n - h - 1)
            return false;
        if (need_port && h + 1 == n)
            return false;
    } else if (need_port) {
        return false;
    }
    char* out = static_cast<char*>(apr_palloc(pool, h + 1));
    for (apr_size_t i = 0; i < h; ++i)
        out[i] = (s[i] >= 'A' && s[i] <= 'Z') ? char(s[i] | 0x20) : s[i];
    out[h] = '\0';
    *host = out;
    return true;
}

} // namespace

void request_parser::reset(apr_pool_t* pool, const http_limits& limits)
{
    pool_ = pool;
    limits_ = limits;
    state_ = state::request_line;
    error_ = 0;
    fields_ = 0;
    blank_lines_ = 0;
    host_fields_ = 0;
    host_field_ = nullptr;
    cr_pending_ = false;
    line_ = nullptr;
    line_len_ = 0;
    head = http_head{};
    head.method_number = X0_M_UNKNOWN;
    head.proto_num = 1000;
    head.headers = apr_table_make(pool, 16);
}

parse_status request_parser::fail(int status)
{
    state_ = state::error;
    error_ = status;
    return parse_status::error;
}

apr_size_t request_parser::line_limit() const
{
    return static_cast<apr_size_t>(state_ == state::request_line ? limits_.request_line
                                                                 : limits_.field_size);
}

/** Append to the carried line; false (after fail()) when it would pass the limit. */
bool request_parser::carry(const char* data, apr_size_t len)
{
    // Checked before the line ends, so an endless line is refused early.
    if (line_len_ + len > line_limit()) {
        fail(state_ == state::request_line ? 414 : 431);
        return false;
    }
    if (len == 0)
        return true;
    if (!line_) {
        int cap = limits_.request_line > limits_.field_size ? limits_.request_line
                                                            : limits_.field_size;
        line_ = static_cast<char*>(apr_palloc(pool_, apr_size_t(cap) + 2));
    }
    memcpy(line_ + line_len_, data, len);
    line_len_ += len;
    return true;
}

parse_status request_parser::feed(const char* data, apr_size_t len, apr_size_t* consumed)
{
    *consumed = 0;
    if (state_ == state::error)
        return parse_status::error;
    if (state_ == state::done)
        return parse_status::done;

    const char* p = data;
    const char* const end = data + len;
    while (p < end) {
        const char* line;
        apr_size_t n;
        if (cr_pending_ && *p == '\n') {
            // The CR that ended the last piece was the first half of a CRLF.
            cr_pending_ = false;
            line = line_;
            n = line_len_;
            ++p;
        } else {
            if (cr_pending_) {
                // A bare CR: keep it in the line, where validation rejects it
                // (RFC 9112 2.2), so the result does not depend on the split.
                cr_pending_ = false;
                if (!carry("\r", 1))
                    break;
            }
            const char* lf = static_cast<const char*>(memchr(p, '\n', apr_size_t(end - p)));
            if (!lf) {
                apr_size_t rest = apr_size_t(end - p);
                if (end[-1] == '\r') {
                    cr_pending_ = true;
                    --rest;
                }
                if (!carry(p, rest))
                    break;
                *consumed = len;
                return parse_status::need_more;
            }
            // A bare LF ends a line too (RFC 9112 2.2 MAY).
            n = apr_size_t(lf - p);
            if (n > 0 && lf[-1] == '\r')
                --n;
            if (line_len_ > 0) {
                if (!carry(p, n))
                    break;
                line = line_;
                n = line_len_;
            } else if (n > line_limit()) {
                fail(state_ == state::request_line ? 414 : 431);
                break;
            } else {
                line = p;
            }
            p = lf + 1;
        }
        line_len_ = 0;
        parse_status rv = take_line(line, n);
        if (rv != parse_status::need_more) {
            *consumed = apr_size_t(p - data);
            return rv;
        }
    }
    *consumed = apr_size_t(p - data);
    return state_ == state::error ? parse_status::error : parse_status::need_more;
}

parse_status request_parser::take_line(const char* line, apr_size_t len)
{
    if (state_ == state::request_line)
        return take_request_line(line, len);
    return take_field_line(line, len);
}

parse_status request_parser::take_request_line(const char* line, apr_size_t len)
{
    if (len == 0)
        return ++blank_lines_ > max_blank_lines ? fail(400) : parse_status::need_more;

    // request-line = method SP request-target SP HTTP-version (RFC 9112 3),
    // exactly one SP each: other whitespace would let parsers disagree.
    apr_size_t m = span(line, len, c_tchar);
    if (m == 0 || m == len || line[m] != ' ')
        return fail(400);

    char* copy = static_cast<char*>(apr_palloc(pool_, 2 * (len + 1)));
    memcpy(copy, line, len);
    copy[len] = '\0';
    head.request_line = copy;
    char* work = copy + len + 1;
    memcpy(work, line, len);
    work[len] = '\0';
    work[m] = '\0';
    head.method = work;
    head.method_number = method_number(work, m);

    char* target = work + m + 1;
    char* sp = static_cast<char*>(memchr(target, ' ', len - m - 1));
    // No second SP: an HTTP/0.9 request, which x0 does not speak.
    if (!sp || sp == target)
        return fail(400);
    *sp = '\0';
    apr_size_t tlen = apr_size_t(sp - target);

    // HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 2.3).
    const char* v = sp + 1;
    if (work + len - v != 8 || memcmp(v, "HTTP/", 5) != 0 || !(cls[v[5]] & c_digit)
        || v[6] != '.' || !(cls[v[7]] & c_digit))
        return fail(400);
    head.protocol = v;
    if (v[5] != '1')
        return fail(505);
    // A higher minor version is answered as the highest we implement (RFC 9110 2.5).
    head.proto_num = v[7] == '0' ? 1000 : 1001;

    if (!all_of(target, tlen, c_target, 0x21, false))
        return fail(400);
    head.target = target;
    if (head.method_number == X0_M_UNKNOWN)
        return fail(501);
    parse_status rv = take_target(target, tlen);
    if (rv == parse_status::need_more)
        state_ = state::field_line;
    return rv;
}

/** Split the request-target into its form's parts (RFC 9112 3.2). */
parse_status request_parser::take_target(char* target, apr_size_t len)
{
    if (head.method_number == X0_M_CONNECT) {
        // CONNECT takes the authority-form, and only it does (RFC 9112
        // 3.2.3, RFC 9110 9.3.6); there is no path.
        return parse_host(target, len, true, pool_, &head.host) ? parse_status::need_more
                                                                : fail(400);
    }
    if (target[0] == '/') {
        // origin-form = absolute-path [ "?" query ]
        char* q = static_cast<char*>(memchr(target, '?', len));
        if (q) {
            head.path = apr_pstrmemdup(pool_, target, apr_size_t(q - target));
            head.query = q + 1;
        } else {
            head.path = target;
        }
        return parse_status::need_more;
    }
    if (len == 1 && target[0] == '*') {
        // asterisk-form is for OPTIONS only (RFC 9112 3.2.4).
        if (head.method_number != X0_M_OPTIONS)
            return fail(400);
        head.path = "*";
        return parse_status::need_more;
    }

    // absolute-form (RFC 9112 3.2.2): only the schemes x0 serves; the
    // scheme is case-insensitive (RFC 3986 3.1).
    apr_size_t off;
    if (len >= 7 && strncasecmp(target, "http://", 7) == 0)
        off = 7;
    else if (len >= 8 && strncasecmp(target, "https://", 8) == 0)
        off = 8;
    else
        return fail(400);
    char* auth = target + off;
    apr_size_t alen = 0;
    while (off + alen < len && auth[alen] != '/' && auth[alen] != '?')
        ++alen;
    // An http(s) URI with an empty host is invalid (RFC 9110 4.2.1).
    if (!parse_host(auth, alen, false, pool_, &head.host))
        return fail(400);
    char* rest = auth + alen;
    if (*rest == '\0') {
        head.path = "/";
    } else if (*rest == '?') {
        head.path = "/";
        head.query = rest + 1;
    } else {
        char* q = strchr(rest, '?');
        if (q) {
            head.path = apr_pstrmemdup(pool_, rest, apr_size_t(q - rest));
            head.query = q + 1;
        } else {
            head.path = rest;
        }
    }
    return parse_status::need_more;
}

parse_status request_parser::take_field_line(const char* line, apr_size_t len)
{
    if (len == 0)
        return finish_head();
    // obs-fold, or whitespace after the request line (RFC 9112 2.2, 5.2):
    // rejected rather than unfolded.
    if (line[0] == ' ' || line[0] == '\t')
        return fail(400);
    if (++fields_ > limits_.fields)
        return fail(431);

    // field-line = field-name ":" OWS field-value OWS (RFC 9112 5); no
    // whitespace between name and colon (RFC 9112 5.1).
    apr_size_t n = span(line, len, c_tchar);
    if (n == 0 || n == len || line[n] != ':')
        return fail(400);
    const char* v = line + n + 1;
    apr_size_t vlen = len - n - 1;
    if (!all_of(v, vlen, c_value, 0x20, true))
        return fail(400);
    while (vlen > 0 && (*v == ' ' || *v == '\t')) {
        ++v;
        --vlen;
    }
    while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
        --vlen;

    char* name = static_cast<char*>(apr_palloc(pool_, n + vlen + 2));
    memcpy(name, line, n);
    name[n] = '\0';
    char* value = name + n + 1;
    memcpy(value, v, vlen);
    value[vlen] = '\0';
    apr_table_addn(head.headers, name, value);
    if (n == 4 && strncasecmp(name, "host", 4) == 0) {
        ++host_fields_;
        host_field_ = value;
    }
    return parse_status::need_more;
}

/**
 * Is @a v a list of one or more equal decimal lengths ("5" or "5, 5"),
 * equal to @a first (the first length of earlier fields) if that is set?
 * An empty field is invalid even after a valid one.
 */
static bool valid_content_length(const char* v, const char** first)
{
    if (!*v)
        return false;
    for (const char* p = v; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            ++p;
        const char* end = p;
        while (*end >= '0' && *end <= '9')
            ++end;
        apr_size_t n = static_cast<apr_size_t>(end - p);
        // 18 digits stay below 2^63: no overflow when the body filter converts it.
        if (n == 0 || n > 18)
            return false;
        if (!*first)
            *first = p;
        else if (strspn(*first, "0123456789") != n || strncmp(*first, p, n) != 0)
            return false;
        p = end;
        while (*p == ' ' || *p == '\t')
            ++p;
        if (*p && *p != ',')
            return false;
    }
    return *first != nullptr;
}

/** What a Transfer-Encoding line lists, added to what earlier lines listed. */
struct codings {
    int chunked = 0;           /**< times "chunked" appears */
    bool chunked_last = false; /**< the final coding is chunked */
    bool others = false;       /**< codings x0 does not implement */
};

/**
 * transfer-coding = token *( OWS ";" OWS transfer-parameter ) in a list
 * (RFC 9112 7, RFC 9110 5.6.1). False for anything else after a coding's
 * name ("chunked x"), which a proxy might read differently, and for a field
 * that names no coding at all (the list rule needs one element).
 */
static bool scan_codings(const char* v, codings* c)
{
    bool any = false;
    for (const char* p = v; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            ++p;
        if (!*p)
            break;
        const char* end = p;
        while (cls[static_cast<unsigned char>(*end)] & c_tchar)
            ++end;
        if (end == p)
            return false;
        any = true;
        c->chunked_last = end - p == 7 && strncasecmp(p, "chunked", 7) == 0;
        c->chunked += c->chunked_last;
        c->others = c->others || !c->chunked_last;
        while (*end == ' ' || *end == '\t')
            ++end;
        if (*end == ';') {
            // Parameters: chunked has none, so they mark another coding.
            c->others = true;
            while (*end && *end != ',')
                ++end;
        }
        if (*end && *end != ',')
            return false;
        p = end;
    }
    return any;
}

/**
 * RFC 9112 6.1 and 6.3: a request body's length must be unambiguous, or a
 * proxy in front of us may see a different message boundary (smuggling).
 * 400 for Content-Length with Transfer-Encoding, differing or invalid
 * Content-Length values, and a Transfer-Encoding whose final coding is not
 * chunked; 501 for codings x0 does not implement.
 */
static int check_framing(apr_table_t* headers)
{
    const apr_array_header_t* fields = apr_table_elts(headers);
    const auto* e = reinterpret_cast<const apr_table_entry_t*>(fields->elts);
    const char* length = nullptr;
    bool has_length = false, has_te = false;
    codings te;
    for (int i = 0; i < fields->nelts; ++i) {
        if (strcasecmp(e[i].key, "Content-Length") == 0) {
            has_length = true;
            if (!valid_content_length(e[i].val, &length))
                return 400;
        } else if (strcasecmp(e[i].key, "Transfer-Encoding") == 0) {
            has_te = true;
            if (!scan_codings(e[i].val, &te))
                return 400;
        }
    }
    // Chunked applied twice is malformed (RFC 9112 7.1), not a coding to undo twice.
    if (has_te && (has_length || !te.chunked_last || te.chunked > 1))
        return 400;
    if (has_te && te.others)
        return 501;
    return 0;
}

parse_status request_parser::finish_head()
{
    if (int status = check_framing(head.headers))
        return fail(status);
    // RFC 9112 3.2: 400 for an HTTP/1.1 request without Host, for more
    // than one Host line, and for an invalid Host value.
    if (host_fields_ > 1)
        return fail(400);
    if (host_field_) {
        const char* host = nullptr;
        // An empty Host is valid when the target has no authority; the head
        // then has no host.
        if (*host_field_ && !parse_host(host_field_, strlen(host_field_), false, pool_, &host))
            return fail(400);
        // With absolute-form (and CONNECT's authority-form) the target's
        // host wins over Host (RFC 9112 3.2.2).
        if (!head.host)
            head.host = host;
    } else if (head.proto_num == 1001) {
        return fail(400);
    }
    state_ = state::done;
    return parse_status::done;
}

} // namespace x0
