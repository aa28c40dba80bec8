/*
 * Compiling and rendering LogFormat strings (see log_format.h).
 *
 * A format becomes an array of items: literal text, or one token with its
 * argument (the {...} part) and status condition already parsed. Rendering
 * walks the array and appends to a fixed buffer; nothing is looked up by
 * name but header fields and notes, nothing is allocated.
 */
#include "log_format.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace x0log {

enum class item_kind : unsigned char {
    literal,
    remote_ip,      // %a %h
    local_ip,       // %A
    remote_logname, // %l: identd is never asked
    remote_user,    // %u: x0 has no authentication module yet
    time,           // %t %{format}t
    request_line,   // %r
    status,         // %s %>s
    bytes_clf,      // %b: "-" for none
    bytes,          // %B
    bytes_out,      // %O
    bytes_in,       // %I (estimated, see docs/logging.md)
    duration,       // %D (us), %T (s, or {ms} {us} {s})
    header_in,      // %{Name}i
    header_out,     // %{Name}o (Content-Type and Content-Length live outside the table)
    note,           // %{NAME}n, and %{NAME}x for mod_ssl's variables
    env,            // %{NAME}e: the process environment, read when the format is compiled
    server_name,    // %v
    host,           // %V
    local_port,     // %p %{canonical}p %{local}p
    remote_port,    // %{remote}p
    pid,            // %P
    url_path,       // %U
    query,          // %q
    method,         // %m
    protocol,       // %H
    conn_status,    // %X
    keepalives,     // %k
    log_id,         // %L: x0 has no request log ids; always "-"
    filename,       // %f
};

/** %t's pieces. */
enum class time_unit : unsigned char { formatted, clf, sec, msec, usec, msec_frac, usec_frac };

struct log_item {
    item_kind kind;
    bool at_end;              /**< %{end:...}t: the end of the request, not its start */
    time_unit unit;           /**< %t */
    long divisor;             /**< %T: microseconds per unit */
    bool negate;              /**< %!200,304s: when the status is not one of them */
    const int* statuses;      /**< the condition's statuses, 0-terminated; NULL: always */
    const char* arg;          /**< literal text, the {argument}, or %e's value */
    apr_size_t arg_len;
};

namespace {

/** Where a line is being written. */
struct line_out {
    char* at;
    char* end;   // one before the buffer's end: room for the '\n'

    void put(const char* s, apr_size_t n)
    {
        apr_size_t room = static_cast<apr_size_t>(end - at);
        if (n > room)
            n = room;
        memcpy(at, s, n);
        at += n;
    }
    void put(const char* s) { put(s, strlen(s)); }
    void put_escaped(const char* s)
    {
        at += escape_item(s, at, static_cast<apr_size_t>(end - at));
    }
    /** An escaped string, or "-" for none (Apache's way). */
    void put_item(const char* s)
    {
        if (s && *s)
            put_escaped(s);
        else
            put("-", 1);
    }
    void put_number(apr_int64_t v)
    {
        char num[24];
        put(num, static_cast<apr_size_t>(apr_snprintf(num, sizeof num, "%" APR_INT64_T_FMT, v)));
    }
};

const char hex[] = "0123456789abcdef";

/** The one-letter tokens that take no argument or an optional one. */
struct token_def {
    char letter;
    item_kind kind;
};

const token_def tokens[] = {
    {'a', item_kind::remote_ip},  {'h', item_kind::remote_ip},   {'A', item_kind::local_ip},
    {'l', item_kind::remote_logname}, {'u', item_kind::remote_user}, {'t', item_kind::time},
    {'r', item_kind::request_line}, {'s', item_kind::status},    {'b', item_kind::bytes_clf},
    {'B', item_kind::bytes},      {'O', item_kind::bytes_out},   {'I', item_kind::bytes_in},
    {'D', item_kind::duration},   {'T', item_kind::duration},    {'i', item_kind::header_in},
    {'o', item_kind::header_out}, {'n', item_kind::note},        {'x', item_kind::note},
    {'e', item_kind::env},        {'v', item_kind::server_name}, {'V', item_kind::host},
    {'p', item_kind::local_port}, {'P', item_kind::pid},         {'U', item_kind::url_path},
    {'q', item_kind::query},      {'m', item_kind::method},      {'H', item_kind::protocol},
    {'X', item_kind::conn_status}, {'k', item_kind::keepalives}, {'L', item_kind::log_id},
    {'f', item_kind::filename},
};

bool needs_argument(char letter)
{
    return strchr("ionxe", letter) != nullptr;
}

/** Backslash escapes in the format's literal text, as httpd's LogFormat. */
char literal_escape(char c)
{
    switch (c) {
    case 'n': return '\n';
    case 't': return '\t';
    default: return c;  // \\ and \" and anything else: the character itself
    }
}

const char* parse_statuses(apr_pool_t* p, const char** at, log_item* it)
{
    const char* s = *at;
    if (*s == '!') {
        it->negate = true;
        ++s;
    }
    int count = 1;
    for (const char* q = s; apr_isdigit(*q) || *q == ','; ++q)
        count += *q == ',';
    auto* list = static_cast<int*>(apr_pcalloc(p, sizeof(int) * (count + 1)));
    int n = 0;
    while (apr_isdigit(*s)) {
        char* end;
        long v = strtol(s, &end, 10);
        if (end - s != 3 || v < 100 || v > 999)
            return "a status condition needs three-digit statuses, as %400,501{Referer}i";
        list[n++] = static_cast<int>(v);
        s = end;
        if (*s == ',')
            ++s;
    }
    if (n == 0)
        return "'!' must be followed by statuses, as %!200,304{Referer}i";
    it->statuses = list;
    *at = s;
    return nullptr;
}

const char* set_time(apr_pool_t* p, log_item* it)
{
    it->unit = time_unit::clf;
    if (!it->arg)
        return nullptr;
    const char* a = it->arg;
    if (strncmp(a, "begin:", 6) == 0)
        a += 6;
    else if (strncmp(a, "end:", 4) == 0) {
        a += 4;
        it->at_end = true;
    }
    static const struct { const char* name; time_unit unit; } units[] = {
        {"sec", time_unit::sec}, {"msec", time_unit::msec}, {"usec", time_unit::usec},
        {"msec_frac", time_unit::msec_frac}, {"usec_frac", time_unit::usec_frac},
    };
    for (const auto& u : units)
        if (strcmp(a, u.name) == 0) {
            it->unit = u.unit;
            return nullptr;
        }
    if (!*a)
        return nullptr;  // %{begin:}t: the default format
    it->unit = time_unit::formatted;
    it->arg = apr_pstrdup(p, a);
    it->arg_len = strlen(a);
    return nullptr;
}

const char* set_argument(apr_pool_t* p, char letter, log_item* it)
{
    const char* a = it->arg;
    switch (letter) {
    case 'T':
        it->divisor = 1000000;
        if (a && strcmp(a, "ms") == 0)
            it->divisor = 1000;
        else if (a && strcmp(a, "us") == 0)
            it->divisor = 1;
        else if (a && strcmp(a, "s") != 0)
            return "%{UNIT}T takes s, ms or us";
        return nullptr;
    case 'D':
        it->divisor = 1;
        return nullptr;
    case 't':
        return set_time(p, it);
    case 'p':
        if (!a || strcmp(a, "canonical") == 0 || strcmp(a, "local") == 0)
            return nullptr;
        if (strcmp(a, "remote") == 0) {
            it->kind = item_kind::remote_port;
            return nullptr;
        }
        return "%{TYPE}p takes canonical, local or remote";
    case 'P':
        if (a && strcmp(a, "pid") != 0)
            return "%{TYPE}P takes pid (x0 workers have one thread)";
        return nullptr;
    case 'a':
    case 'h':
        if (a && strcmp(a, "c") != 0)
            return "%{c}a is the only form of %a with an argument (x0 has no proxy addresses)";
        return nullptr;
    case 'e': {
        // No per-request environment in x0 (no CGI): the process's, once.
        const char* v = getenv(a);
        it->arg = v ? apr_pstrdup(p, v) : nullptr;
        it->arg_len = v ? strlen(v) : 0;
        return nullptr;
    }
    default:
        if (a && !needs_argument(letter))
            return apr_psprintf(p, "%%%c takes no {argument}", letter);
        return nullptr;
    }
}

/** One % token starting after the '%'; advances @a *at past it. */
const char* parse_token(apr_pool_t* p, const char** at, log_item* it)
{
    const char* s = *at;
    for (;;) {
        if (*s == '<' || *s == '>') {
            ++s;  // original or final status: x0 has one (no internal redirects)
        } else if (*s == '!' || apr_isdigit(*s)) {
            if (const char* err = parse_statuses(p, &s, it))
                return err;
        } else if (*s == '{') {
            const char* close = strchr(s, '}');
            if (!close)
                return "a '{' in the format has no '}'";
            it->arg = apr_pstrndup(p, s + 1, static_cast<apr_size_t>(close - s - 1));
            it->arg_len = static_cast<apr_size_t>(close - s - 1);
            s = close + 1;
        } else {
            break;
        }
    }
    char letter = *s;
    if (!letter)
        return "the format ends with a lone '%'";
    *at = s + 1;
    for (const token_def& t : tokens)
        if (t.letter == letter) {
            it->kind = t.kind;
            if (needs_argument(letter) && (!it->arg || !*it->arg))
                return apr_psprintf(p, "%%%c needs an argument, as %%{Name}%c", letter, letter);
            return set_argument(p, letter, it);
        }
    return apr_psprintf(p, "unknown token %%%c (see docs/logging.md for the list)", letter);
}

bool condition_holds(const log_item& it, int status)
{
    if (!it.statuses)
        return true;
    bool found = false;
    for (const int* s = it.statuses; *s && !found; ++s)
        found = *s == status;
    return found != it.negate;
}

/** "[10/Oct/2000:13:55:36 -0700]" for @a t, cached per second: workers log many lines a second. */
void put_clf_time(line_out& o, apr_time_t t)
{
    static apr_time_t cached_second = -1;
    static char cached[40];
    static apr_size_t cached_len;
    apr_time_t second = apr_time_sec(t);
    if (second != cached_second) {
        static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        apr_time_exp_t x;
        apr_time_exp_lt(&x, t);
        long off = x.tm_gmtoff / 60;
        char sign = off < 0 ? '-' : '+';
        if (off < 0)
            off = -off;
        cached_len = static_cast<apr_size_t>(apr_snprintf(
            cached, sizeof cached, "[%02d/%s/%d:%02d:%02d:%02d %c%02ld%02ld]", x.tm_mday,
            months[x.tm_mon], x.tm_year + 1900, x.tm_hour, x.tm_min, x.tm_sec, sign, off / 60,
            off % 60));
        cached_second = second;
    }
    o.put(cached, cached_len);
}

void put_time(line_out& o, const log_item& it, const log_context& ctx)
{
    apr_time_t t = it.at_end ? ctx.now : ctx.r->request_time;
    switch (it.unit) {
    case time_unit::clf: put_clf_time(o, t); return;
    case time_unit::sec: o.put_number(apr_time_sec(t)); return;
    case time_unit::msec: o.put_number(apr_time_as_msec(t)); return;
    case time_unit::usec: o.put_number(t); return;
    case time_unit::msec_frac: {
        char num[8];
        o.put(num, static_cast<apr_size_t>(apr_snprintf(num, sizeof num, "%03d",
                                                         static_cast<int>(apr_time_usec(t) / 1000))));
        return;
    }
    case time_unit::usec_frac: {
        char num[8];
        o.put(num, static_cast<apr_size_t>(apr_snprintf(num, sizeof num, "%06d",
                                                         static_cast<int>(apr_time_usec(t)))));
        return;
    }
    case time_unit::formatted: {
        apr_time_exp_t x;
        apr_time_exp_lt(&x, t);
        char text[256];
        apr_size_t n = 0;
        apr_strftime(text, &n, sizeof text, it.arg, &x);
        o.put(text, n);
        return;
    }
    }
}

/** The fields the core writes outside headers_out (http_header.cc). */
const char* response_field(const x0_request_t* r, const char* name, char* num, apr_size_t cap)
{
    if (strcasecmp(name, "Content-Type") == 0 && r->content_type)
        return r->content_type;
    if (strcasecmp(name, "Content-Length") == 0 && r->content_length >= 0) {
        apr_snprintf(num, cap, "%" APR_OFF_T_FMT, r->content_length);
        return num;
    }
    return r->headers_out ? apr_table_get(r->headers_out, name) : nullptr;
}

/**
 * %I: x0 does not count received bytes per request yet. The estimate is
 * the head as parsed (request line, fields with ": " and CRLFs, the empty
 * line) plus a Content-Length body; chunked framing and obs-whitespace
 * are not seen. XXX: exact once CORE_IN counts per request.
 */
apr_off_t estimate_bytes_in(const x0_request_t* r)
{
    if (!r->the_request)
        return 0;
    apr_off_t n = static_cast<apr_off_t>(strlen(r->the_request)) + 2 + 2;
    if (r->headers_in) {
        const apr_array_header_t* h = apr_table_elts(r->headers_in);
        const auto* e = reinterpret_cast<const apr_table_entry_t*>(h->elts);
        for (int i = 0; i < h->nelts; ++i)
            if (e[i].key)
                n += static_cast<apr_off_t>(strlen(e[i].key) + strlen(e[i].val) + 4);
        if (const char* cl = apr_table_get(r->headers_in, "Content-Length"))
            n += apr_atoi64(cl);
    }
    return n;
}

void render_item(line_out& o, const log_item& it, const log_context& ctx)
{
    const x0_request_t* r = ctx.r;
    const x0_conn_t* c = r->connection;
    if (!condition_holds(it, r->status)) {
        o.put("-", 1);
        return;
    }
    switch (it.kind) {
    case item_kind::literal: o.put(it.arg, it.arg_len); return;
    case item_kind::remote_ip: o.put_item(c ? c->client_ip : nullptr); return;
    case item_kind::local_ip: o.put_item(c ? c->local_ip : nullptr); return;
    case item_kind::remote_logname:
    case item_kind::log_id: o.put("-", 1); return;
    case item_kind::remote_user:
        o.put_item(r->notes ? apr_table_get(r->notes, "REMOTE_USER") : nullptr);
        return;
    case item_kind::time: put_time(o, it, ctx); return;
    case item_kind::request_line: o.put_item(r->the_request); return;
    case item_kind::status: o.put_number(r->status); return;
    case item_kind::bytes_clf:
        if (ctx.bytes.body == 0)
            o.put("-", 1);
        else
            o.put_number(ctx.bytes.body);
        return;
    case item_kind::bytes: o.put_number(ctx.bytes.body); return;
    case item_kind::bytes_out: o.put_number(ctx.bytes.sent); return;
    case item_kind::bytes_in: o.put_number(estimate_bytes_in(r)); return;
    case item_kind::duration: o.put_number((ctx.now - r->request_time) / it.divisor); return;
    case item_kind::header_in:
        o.put_item(r->headers_in ? apr_table_get(r->headers_in, it.arg) : nullptr);
        return;
    case item_kind::header_out: {
        char num[24];
        o.put_item(response_field(r, it.arg, num, sizeof num));
        return;
    }
    case item_kind::note: o.put_item(r->notes ? apr_table_get(r->notes, it.arg) : nullptr); return;
    case item_kind::env: o.put_item(it.arg); return;
    case item_kind::server_name: o.put_item(r->server ? r->server->server_name : nullptr); return;
    case item_kind::host:
        o.put_item(r->hostname ? r->hostname : r->server ? r->server->server_name : nullptr);
        return;
    case item_kind::local_port: o.put_number(c ? c->local_port : 0); return;
    case item_kind::remote_port: o.put_number(c ? c->client_port : 0); return;
    case item_kind::pid: o.put_number(getpid()); return;
    case item_kind::url_path: o.put_item(r->uri); return;
    case item_kind::query:
        if (r->args && *r->args) {
            o.put("?", 1);
            o.put_escaped(r->args);
        }
        return;
    case item_kind::method: o.put_item(r->method); return;
    case item_kind::protocol: o.put_item(r->protocol); return;
    case item_kind::conn_status:
        o.put(!c ? "-" : c->aborted ? "X" : c->keepalive ? "+" : "-", 1);
        return;
    case item_kind::keepalives:
        // httpd's %k: 0 for a connection's first request.
        o.put_number(c && c->keepalives > 0 ? c->keepalives - 1 : 0);
        return;
    case item_kind::filename: o.put_item(r->filename); return;
    }
}

} // namespace

apr_size_t escape_item(const char* s, char* out, apr_size_t cap)
{
    char* at = out;
    char* end = out + cap;
    for (; *s; ++s) {
        auto c = static_cast<unsigned char>(*s);
        char esc = 0;
        switch (c) {
        case '"': esc = '"'; break;
        case '\\': esc = '\\'; break;
        case '\b': esc = 'b'; break;
        case '\n': esc = 'n'; break;
        case '\r': esc = 'r'; break;
        case '\t': esc = 't'; break;
        case '\v': esc = 'v'; break;
        default: break;
        }
        if (esc) {
            if (end - at < 2)
                break;
            *at++ = '\\';
            *at++ = esc;
        } else if (c < 0x20 || c >= 0x7f) {
            if (end - at < 4)
                break;
            *at++ = '\\';
            *at++ = 'x';
            *at++ = hex[c >> 4];
            *at++ = hex[c & 0xf];
        } else {
            if (at == end)
                break;
            *at++ = static_cast<char>(c);
        }
    }
    return static_cast<apr_size_t>(at - out);
}

const char* compile_format(apr_pool_t* p, const char* text, const log_format** out)
{
    // At most one item per character, plus one.
    auto* items = static_cast<log_item*>(apr_pcalloc(p, sizeof(log_item) * (strlen(text) + 1)));
    int n = 0;
    const char* s = text;
    while (*s) {
        log_item* it = &items[n++];
        if (*s == '%') {
            ++s;
            if (*s == '%') {
                it->kind = item_kind::literal;
                it->arg = "%";
                it->arg_len = 1;
                ++s;
                continue;
            }
            if (const char* err = parse_token(p, &s, it))
                return apr_psprintf(p, "LogFormat \"%s\": %s", text, err);
            continue;
        }
        // Literal text up to the next '%', with \n, \t, \\ and \" resolved.
        auto* lit = static_cast<char*>(apr_palloc(p, strlen(s) + 1));
        apr_size_t len = 0;
        while (*s && *s != '%') {
            if (*s == '\\' && s[1]) {
                lit[len++] = literal_escape(s[1]);
                s += 2;
            } else {
                lit[len++] = *s++;
            }
        }
        it->kind = item_kind::literal;
        it->arg = lit;
        it->arg_len = len;
    }
    auto* f = static_cast<log_format*>(apr_palloc(p, sizeof(log_format)));
    f->text = text;
    f->items = items;
    f->count = n;
    *out = f;
    return nullptr;
}

apr_size_t render_line(const log_format* f, const log_context& ctx, char* buf, apr_size_t cap)
{
    line_out o{buf, buf + cap - 1};
    for (int i = 0; i < f->count; ++i)
        render_item(o, f->items[i], ctx);
    *o.at++ = '\n';
    return static_cast<apr_size_t>(o.at - buf);
}

} // namespace x0log
