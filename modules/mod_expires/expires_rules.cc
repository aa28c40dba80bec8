#include "expires_rules.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <climits>
#include <cstring>
#include <strings.h>

namespace x0 {
namespace {

/** A word, and how many of its letters tell it apart from the others. */
struct expires_word {
    const char* name;
    apr_size_t shortest;
    apr_int64_t value;
};

// httpd's check_code compares only the first letter or two (strncasecmp
// with 1 or 2); x0 also wants the rest to be a prefix of the word, so that
// "access plus 1 dozen" is an error and not one day.
const expires_word expires_bases[] = {
    {"access", 1, 0}, {"now", 1, 0}, {"modification", 1, 1},
};
const expires_word expires_units[] = {
    {"years", 1, 365 * 24 * 3600}, {"months", 2, 30 * 24 * 3600}, {"weeks", 1, 7 * 24 * 3600},
    {"days", 1, 24 * 3600},        {"hours", 1, 3600},            {"minutes", 2, 60},
    {"seconds", 1, 1},
};

template <apr_size_t N>
const expires_word* expires_lookup(const expires_word (&words)[N], const char* w, apr_size_t n)
{
    for (const expires_word& word : words)
        if (n >= word.shortest && n <= strlen(word.name) && strncasecmp(w, word.name, n) == 0)
            return &word;
    return nullptr;
}

/** The next whitespace-separated word of *@a s: its start, its length in @a n. */
const char* expires_next_word(const char** s, apr_size_t* n)
{
    const char* at = *s;
    while (apr_isspace(*at))
        ++at;
    const char* end = at;
    while (*end && !apr_isspace(*end))
        ++end;
    *n = end - at;
    *s = end;
    return at;
}

/** Digits only, at most INT_MAX; false otherwise. */
bool expires_number(const char* w, apr_size_t n, apr_int64_t* out)
{
    if (n == 0 || n > 10)
        return false;
    apr_int64_t v = 0;
    for (apr_size_t i = 0; i < n; ++i) {
        if (!apr_isdigit(w[i]))
            return false;
        v = v * 10 + (w[i] - '0');
    }
    if (v > INT_MAX)
        return false;
    *out = v;
    return true;
}

} // namespace

const char* expires_parse_code(apr_pool_t* p, const char* code, expires_rule* out)
{
    // httpd 0.0.4's short form. httpd takes any code that starts with 'A'
    // or 'M' for it (so "Access plus 1 day" meant A0); x0 wants digits.
    if ((code[0] == 'A' || code[0] == 'M') && code[1]) {
        apr_int64_t secs;
        if (expires_number(code + 1, strlen(code + 1), &secs)) {
            out->modification = code[0] == 'M';
            out->seconds = secs;
            return nullptr;
        }
    }
    const char* s = code;
    apr_size_t n;
    const char* w = expires_next_word(&s, &n);
    const expires_word* base = expires_lookup(expires_bases, w, n);
    if (!base)
        return apr_psprintf(p, "bad expires code, unrecognised <base> '%.*s'",
                            static_cast<int>(n), w);
    apr_int64_t total = 0;
    w = expires_next_word(&s, &n);
    if (n > 0 && strncasecmp(w, "plus", n) == 0 && n <= 4)
        w = expires_next_word(&s, &n);
    while (n > 0) {
        apr_int64_t num;
        if (!expires_number(w, n, &num))
            return apr_psprintf(p, "bad expires code, numeric value expected <num> '%.*s'",
                                static_cast<int>(n), w);
        w = expires_next_word(&s, &n);
        if (n == 0)
            return "bad expires code, missing <type>";
        const expires_word* unit = expires_lookup(expires_units, w, n);
        if (!unit)
            return apr_psprintf(p, "bad expires code, unrecognised <type> '%.*s'",
                                static_cast<int>(n), w);
        total += num * unit->value;  // at most INT_MAX * 365 days: no overflow
        if (total > INT_MAX)
            return "bad expires code, more than 68 years";
        w = expires_next_word(&s, &n);
    }
    out->modification = base->value == 1;
    out->seconds = total;
    return nullptr;
}

const char* expires_check_type(apr_pool_t* p, const char* type)
{
    const char* slash = strchr(type, '/');
    if (!slash)
        return apr_psprintf(p, "Invalid mimetype '%s': should contain a slash", type);
    if (slash == type || !slash[1])
        return apr_psprintf(p, "Invalid mimetype '%s': empty type or subtype", type);
    for (const char* s = type; *s; ++s)
        if (apr_isspace(*s) || *s == ';' || *s == ',')
            return apr_psprintf(p, "Invalid mimetype '%s': give the type without parameters",
                                type);
    if (memchr(type, '*', slash - type) || (strchr(slash + 1, '*') && strcmp(slash, "/*") != 0))
        return apr_psprintf(p, "Invalid mimetype '%s': only the subtype may be a wildcard "
                               "('text/*')", type);
    return nullptr;
}

const expires_rule* expires_find(const apr_array_header_t* by_type,
                                 const expires_rule* fallback, const char* content_type)
{
    if (!content_type || !by_type || by_type->nelts == 0)
        return fallback;
    // httpd's ap_field_noparam: up to ';', without the blanks before it.
    apr_size_t n = strcspn(content_type, ";");
    while (n > 0 && apr_isspace(content_type[n - 1]))
        --n;
    const char* slash = static_cast<const char*>(memchr(content_type, '/', n));
    const auto* rules = reinterpret_cast<const expires_type_rule*>(by_type->elts);
    for (int i = 0; i < by_type->nelts; ++i)
        if (strlen(rules[i].type) == n && strncasecmp(rules[i].type, content_type, n) == 0)
            return &rules[i].rule;
    if (!slash)
        return fallback;
    apr_size_t major = slash - content_type;
    for (int i = 0; i < by_type->nelts; ++i) {
        const char* t = rules[i].type;
        if (strlen(t) == major + 2 && strncasecmp(t, content_type, major) == 0
            && t[major] == '/' && t[major + 1] == '*')
            return &rules[i].rule;
    }
    return fallback;
}

bool expires_compute(const expires_rule& rule, apr_time_t request_time, const apr_time_t* mtime,
                     apr_time_t* expires, apr_int64_t* max_age)
{
    apr_time_t base = request_time;
    if (rule.modification) {
        if (!mtime)
            return false;  // httpd: no file, nothing to base it on; not an error
        base = *mtime;
    }
    apr_time_t when = base + apr_time_from_sec(rule.seconds);
    if (when < request_time)
        when = request_time;
    *expires = when;
    *max_age = apr_time_sec(when - request_time);
    return true;
}

} // namespace x0
