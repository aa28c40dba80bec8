#include "header_actions.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <cstring>
#include <strings.h>

namespace x0 {
namespace {

/** Up to $9, as httpd's ap_pregsub (AP_MAX_REG_MATCH is 10). */
constexpr int headers_max_groups = 10;

struct headers_op_name {
    const char* name;
    headers_op op;
};

const headers_op_name headers_ops[] = {
    {"set", headers_op::set},       {"append", headers_op::append},
    {"add", headers_op::add},       {"unset", headers_op::unset},
    {"merge", headers_op::merge},   {"setifempty", headers_op::setifempty},
    {"edit", headers_op::edit},     {"edit*", headers_op::edit_all},
};

/**
 * Fields the core writes itself from the request record (see http_header):
 * a copy in headers_out would go out as a second field, and a second
 * Content-Length or Transfer-Encoding breaks the framing (RFC 9112 6.3).
 */
const char* const headers_core_fields[] = {
    "Content-Length", "Transfer-Encoding", "Connection", "Date", "Server",
};

bool headers_is_tchar(unsigned char c)
{
    // RFC 9110 section 5.6.2.
    return apr_isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

bool headers_has_ctl(const char* s)
{
    for (; *s; ++s)
        if (*s == '\r' || *s == '\n')
            return true;
    return false;
}

/**
 * A value's format tags, as httpd's parse_format_string: "%%" (or a '%' at
 * the end) is a literal '%', %t and %D are expanded per response. httpd's
 * %{NAME}e and %{NAME}s read environment and SSL variables, which x0 has not.
 */
const char* headers_parse_value(apr_pool_t* p, const char* value, headers_action* out)
{
    if (!strchr(value, '%')) {
        out->value = value;
        return nullptr;
    }
    auto* pieces = apr_array_make(p, 4, sizeof(headers_piece));
    char* literal = static_cast<char*>(apr_palloc(p, strlen(value) + 1));
    char* at = literal;
    bool tags = false;
    auto flush = [&]() {
        if (at == literal)
            return;
        *at = '\0';
        APR_ARRAY_PUSH(pieces, headers_piece) = {0, apr_pstrdup(p, literal)};
        at = literal;
    };
    for (const char* s = value; *s; ++s) {
        if (*s != '%') {
            *at++ = *s;
            continue;
        }
        char c = s[1];
        if (c == '%' || c == '\0') {
            *at++ = '%';
            if (c)
                ++s;
            continue;
        }
        if (c != 't' && c != 'D')
            return apr_psprintf(p, "Unrecognized header format %%%c in '%s' "
                                   "(x0 knows %%t, %%D and %%%%)", c, value);
        flush();
        APR_ARRAY_PUSH(pieces, headers_piece) = {c, nullptr};
        tags = true;
        ++s;
    }
    flush();
    if (!tags) {
        // Only "%%" escapes: a plain value after all.
        out->value = pieces->nelts ? APR_ARRAY_IDX(pieces, 0, headers_piece).text : "";
        return nullptr;
    }
    out->pieces = pieces;
    return nullptr;
}

apr_status_t headers_regfree(void* data)
{
    regfree(static_cast<regex_t*>(data));
    return APR_SUCCESS;
}

/** The highest $N in @a replacement (-1 for none), skipping escaped characters. */
int headers_highest_group(const char* replacement)
{
    int highest = -1;
    for (const char* s = replacement; *s; ++s) {
        if (*s == '\\' && s[1])
            ++s;
        else if (*s == '$' && apr_isdigit(s[1]) && s[1] - '0' > highest)
            highest = s[1] - '0';
    }
    return highest;
}

const char* headers_compile(apr_pool_t* p, const char* pattern, const char* replacement,
                            headers_action* out)
{
    auto* re = static_cast<regex_t*>(apr_pcalloc(p, sizeof(regex_t)));
    int rc = regcomp(re, pattern, REG_EXTENDED);
    if (rc != 0) {
        char why[160];
        regerror(rc, re, why, sizeof why);
        return apr_psprintf(p, "Header edit regex '%s' could not be compiled: %s", pattern, why);
    }
    apr_pool_cleanup_register(p, re, headers_regfree, apr_pool_cleanup_null);
    // httpd substitutes nothing for a group the regex does not have; that
    // is always a typo, so say it here rather than send a broken field.
    int highest = headers_highest_group(replacement);
    if (highest > static_cast<int>(re->re_nsub))
        return apr_psprintf(p, "Header edit replacement '%s' uses $%d, but '%s' has %d "
                               "group(s)", replacement, highest, pattern,
                            static_cast<int>(re->re_nsub));
    out->regex = re;
    out->replacement = replacement;
    return nullptr;
}

/** A string that grows in a pool (what it outgrows stays there until the pool goes). */
struct headers_buf {
    apr_pool_t* p;
    char* data;
    apr_size_t len;
    apr_size_t cap;

    void add(const char* s, apr_size_t n)
    {
        if (len + n + 1 > cap) {
            apr_size_t want = cap * 2 > len + n + 1 ? cap * 2 : len + n + 1;
            char* bigger = static_cast<char*>(apr_palloc(p, want));
            memcpy(bigger, data, len);
            data = bigger;
            cap = want;
        }
        memcpy(data + len, s, n);
        len += n;
        data[len] = '\0';
    }
};

/** Append @a replacement with $N taken from @a subject's match @a m. */
void headers_substitute(headers_buf* out, const char* replacement, const char* subject,
                        const regmatch_t* m)
{
    for (const char* s = replacement; *s; ++s) {
        if (*s == '\\' && s[1]) {
            out->add(++s, 1);
        } else if (*s == '$' && apr_isdigit(s[1])) {
            const regmatch_t& g = m[*++s - '0'];
            if (g.rm_so >= 0 && g.rm_eo > g.rm_so)
                out->add(subject + g.rm_so, g.rm_eo - g.rm_so);
        } else {
            out->add(s, 1);
        }
    }
}

/**
 * httpd's "merge": is @a token already one of the comma-separated members
 * of @a list? Quoted strings may hold commas; members compare exactly.
 */
bool headers_list_has(const char* list, const char* token)
{
    apr_size_t n = strlen(token);
    const char* s = list;
    while (*s) {
        while (*s == ' ' || *s == '\t')
            ++s;
        const char* start = s;
        while (*s && *s != ',') {
            if (*s++ == '"')
                while (*s)
                    if (*s++ == '"')
                        break;
        }
        const char* end = s;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            --end;
        if (static_cast<apr_size_t>(end - start) == n && strncmp(start, token, n) == 0)
            return true;
        if (*s)
            ++s;
    }
    return false;
}

} // namespace

const char* headers_parse_action(apr_pool_t* p, int argc, const char* const* argv,
                                 headers_action* out)
{
    memset(out, 0, sizeof *out);
    int i = 0;
    // httpd's header_cmd: the condition is an optional first word.
    if (argc > 0 && strcasecmp(argv[0], "always") == 0) {
        out->always = true;
        ++i;
    } else if (argc > 0 && strcasecmp(argv[0], "onsuccess") == 0) {
        ++i;
    }
    if (argc - i < 2)
        return "Header needs an action and a header name";
    const char* action = argv[i++];
    bool known = false;
    for (const headers_op_name& o : headers_ops)
        if (strcasecmp(action, o.name) == 0) {
            out->op = o.op;
            known = true;
        }
    if (!known)
        return apr_psprintf(p, "Header: unknown action '%s': it must be set, append, add, "
                               "merge, setifempty, unset, edit or edit*", action);

    // As httpd, "Name:" stands for "Name".
    const char* name = argv[i++];
    if (const char* colon = strchr(name, ':'))
        name = apr_pstrndup(p, name, colon - name);
    if (!*name)
        return "Header: empty header name";
    for (const char* s = name; *s; ++s)
        if (!headers_is_tchar(static_cast<unsigned char>(*s)))
            return apr_psprintf(p, "Header: '%s' is not a valid header name", name);
    for (const char* core : headers_core_fields)
        if (strcasecmp(name, core) == 0)
            return apr_psprintf(p, "Header: %s is written by x0 itself and cannot be "
                                   "changed", core);
    out->name = name;

    int rest = argc - i;
    const char* const* args = argv + i;
    // httpd reads a further word as an env= or expr= condition; x0 has
    // neither environment variables nor expressions.
    auto too_many = [&](int wanted) -> const char* {
        const char* extra = args[wanted];
        if (strncasecmp(extra, "env=", 4) == 0 || strncasecmp(extra, "expr=", 5) == 0
            || strcasecmp(extra, "early") == 0)
            return apr_psprintf(p, "Header: the condition '%s' is not supported", extra);
        return apr_psprintf(p, "Header %s takes %d argument(s) after the header name",
                            action, wanted);
    };
    switch (out->op) {
    case headers_op::unset:
        return rest > 0 ? too_many(0) : nullptr;
    case headers_op::edit:
    case headers_op::edit_all:
        if (rest < 2)
            return "Header edit requires a match and a substitution";
        if (rest > 2)
            return too_many(2);
        if (headers_has_ctl(args[1]))
            return "Header: the replacement may not contain CR or LF";
        return headers_compile(p, args[0], args[1], out);
    default:
        if (rest < 1)
            return apr_psprintf(p, "Header %s requires a value", action);
        if (rest > 1)
            return too_many(1);
        if (headers_has_ctl(args[0]))
            return "Header: the value may not contain CR or LF";
        return headers_parse_value(p, args[0], out);
    }
}

const char* headers_action_value(apr_pool_t* p, const headers_action& a,
                                 apr_time_t request_time, apr_time_t now)
{
    if (!a.pieces)
        return a.value;
    const char* result = "";
    for (int i = 0; i < a.pieces->nelts; ++i) {
        const headers_piece& piece = APR_ARRAY_IDX(a.pieces, i, headers_piece);
        const char* text = piece.text;
        if (piece.tag == 't')
            text = apr_psprintf(p, "t=%" APR_TIME_T_FMT, request_time);
        else if (piece.tag == 'D')
            text = apr_psprintf(p, "D=%" APR_TIME_T_FMT, now - request_time);
        result = apr_pstrcat(p, result, text, nullptr);
    }
    return result;
}

const char* headers_edit_value(apr_pool_t* p, const regex_t* re, const char* replacement,
                               const char* value, bool all)
{
    regmatch_t m[headers_max_groups];
    if (regexec(re, value, headers_max_groups, m, 0) != 0)
        return value;
    apr_size_t len = strlen(value);
    headers_buf out{p, static_cast<char*>(apr_palloc(p, len + strlen(replacement) + 16)), 0,
                    len + strlen(replacement) + 16};
    out.data[0] = '\0';
    const char* at = value;
    bool after_match = false;  // `at` is where a non-empty match ended
    for (;;) {
        if (after_match && m[0].rm_so == 0 && m[0].rm_eo == 0) {
            // An empty match right behind a match is not another one (as
            // sed's s///g: "a*" edits "baaac" into "YbYcY", not "YbYYcY").
            if (!*at)
                break;
            out.add(at++, 1);
            after_match = false;
        } else {
            out.add(at, m[0].rm_so);
            headers_substitute(&out, replacement, at, m);
            const char* next = at + m[0].rm_eo;
            after_match = m[0].rm_eo > m[0].rm_so;
            if (!after_match) {
                // An empty match: keep one character and look past it, or
                // a pattern like "x*" would match at the same place forever.
                if (!*next) {
                    at = next;
                    break;
                }
                out.add(next++, 1);
            }
            at = next;
            if (!all)
                break;
        }
        // Later matches are not at the start of the value: "^" must not
        // match again (httpd's recursion lets it, and edits "aaa" with "^a"
        // three times).
        if (regexec(re, at, headers_max_groups, m, REG_NOTBOL) != 0)
            break;
    }
    out.add(at, strlen(at));
    return out.data;
}

void headers_apply(apr_pool_t* p, apr_table_t* t, const headers_action& a, const char* value)
{
    switch (a.op) {
    case headers_op::set:
        apr_table_setn(t, a.name, value);
        break;
    case headers_op::append:
        apr_table_mergen(t, a.name, value);
        break;
    case headers_op::add:
        apr_table_addn(t, a.name, value);
        break;
    case headers_op::unset:
        apr_table_unset(t, a.name);
        break;
    case headers_op::merge: {
        const char* old = apr_table_get(t, a.name);
        if (!old)
            apr_table_addn(t, a.name, value);
        else if (!headers_list_has(old, value))
            apr_table_mergen(t, a.name, value);
        break;
    }
    case headers_op::setifempty:
        if (!apr_table_get(t, a.name))
            apr_table_setn(t, a.name, value);
        break;
    case headers_op::edit:
    case headers_op::edit_all: {
        // Every field of that name, in place: the order of the fields stays.
        const apr_array_header_t* fields = apr_table_elts(t);
        auto* e = reinterpret_cast<apr_table_entry_t*>(fields->elts);
        for (int i = 0; i < fields->nelts; ++i)
            if (e[i].key && strcasecmp(e[i].key, a.name) == 0)
                e[i].val = const_cast<char*>(headers_edit_value(
                    p, a.regex, a.replacement, e[i].val, a.op == headers_op::edit_all));
        break;
    }
    }
}

bool headers_applies(const headers_action& a, int status)
{
    return a.always || (status >= 200 && status < 300) || status == 304;
}

} // namespace x0
