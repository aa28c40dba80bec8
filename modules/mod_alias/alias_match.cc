/*
 * mod_alias's string work; see alias_match.h. Ported in behaviour (not in
 * code) from httpd's modules/mappers/mod_alias.c and server/util.c.
 */
#include "alias_match.h"

#include <cstdlib>
#include <cstring>
#include <strings.h>
#include <apr_lib.h>
#include <apr_strings.h>

namespace x0 {
namespace {

/** The characters ap_os_escape_path() leaves alone besides letters and digits. */
bool path_safe(unsigned char c)
{
    return apr_isalnum(c) || (c != '\0' && strchr("$-_.+!*'(),:;@&=/~", c) != nullptr);
}

/** Group @a no of @a m, or an empty span when it did not take part. */
bool group_span(const regmatch_t* m, size_t nmatch, size_t no, size_t* start, size_t* len)
{
    if (no >= nmatch || m[no].rm_so < 0 || m[no].rm_eo < m[no].rm_so)
        return false;
    *start = static_cast<size_t>(m[no].rm_so);
    *len = static_cast<size_t>(m[no].rm_eo - m[no].rm_so);
    return true;
}

/**
 * One step of the template at @a t: a group (returns its number and moves
 * past "$N") or one literal character (returns -1, the character in @a c).
 */
int next_piece(const char*& t, char* c)
{
    if (t[0] == '$' && apr_isdigit(t[1])) {
        int no = t[1] - '0';
        t += 2;
        return no;
    }
    if (t[0] == '\\' && t[1] != '\0')
        ++t;  // httpd 2.4: a backslash quotes whatever follows
    *c = *t++;
    return -1;
}

} // namespace

size_t alias_prefix_match(const char* path, const char* fake)
{
    const char* a = fake;
    const char* u = path;
    if (!*a)
        return 0;
    while (*a) {
        if (*a == '/') {
            // A run of slashes matches a run of slashes, but at least one.
            if (*u != '/')
                return 0;
            while (*a == '/')
                ++a;
            while (*u == '/')
                ++u;
        } else if (*u++ != *a++) {
            return 0;
        }
    }
    // The last segment of the alias must have matched a whole segment.
    if (a[-1] != '/' && *u != '\0' && *u != '/')
        return 0;
    return static_cast<size_t>(u - path);
}

int alias_max_group(const char* tmpl)
{
    int max = -1;
    char c;
    for (const char* t = tmpl; *t;) {
        int no = next_piece(t, &c);
        if (no > max)
            max = no;
    }
    return max;
}

const char* alias_substitute(apr_pool_t* p, const char* tmpl, const char* source,
                             const regmatch_t* m, size_t nmatch)
{
    // Measure first, then fill one allocation of the exact size.
    size_t len = 0;
    char c;
    size_t start, n;
    for (const char* t = tmpl; *t;) {
        int no = next_piece(t, &c);
        if (no < 0)
            ++len;
        else if (group_span(m, nmatch, no, &start, &n))
            len += n;
    }
    char* out = static_cast<char*>(apr_palloc(p, len + 1));
    char* d = out;
    for (const char* t = tmpl; *t;) {
        int no = next_piece(t, &c);
        if (no < 0) {
            *d++ = c;
        } else if (group_span(m, nmatch, no, &start, &n)) {
            memcpy(d, source + start, n);
            d += n;
        }
    }
    *d = '\0';
    return out;
}

size_t alias_fixed_dir_length(const char* target)
{
    size_t variable = strcspn(target, "$\\");
    size_t dir = 0;
    for (size_t i = 0; i < variable; ++i)
        if (target[i] == '/')
            dir = i + 1;
    return dir;
}

bool alias_has_dotdot(const char* path)
{
    for (const char* s = path; (s = strstr(s, "..")) != nullptr; s += 2)
        if ((s == path || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
            return true;
    return false;
}

const char* alias_escape_path(apr_pool_t* p, const char* s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = 0;
    size_t unsafe = 0;
    for (const unsigned char* c = reinterpret_cast<const unsigned char*>(s); *c; ++c, ++len)
        unsafe += !path_safe(*c);
    if (unsafe == 0)
        return s;
    char* out = static_cast<char*>(apr_palloc(p, len + 2 * unsafe + 1));
    char* d = out;
    for (const unsigned char* c = reinterpret_cast<const unsigned char*>(s); *c; ++c) {
        if (path_safe(*c)) {
            *d++ = static_cast<char>(*c);
        } else {
            *d++ = '%';
            *d++ = hex[*c >> 4];
            *d++ = hex[*c & 0xf];
        }
    }
    *d = '\0';
    return out;
}

const char* alias_escape_url(apr_pool_t* p, const char* url)
{
    size_t head = strcspn(url, "?#");
    if (url[head] == '\0')
        return alias_escape_path(p, url);
    const char* escaped = alias_escape_path(p, apr_pstrmemdup(p, url, head));
    return apr_pstrcat(p, escaped, url + head, nullptr);
}

const char* alias_location(apr_pool_t* p, const char* target, const char* rest,
                           const char* args)
{
    const char* tail = rest && *rest ? alias_escape_path(p, rest) : "";
    bool add_query = args && strchr(target, '?') == nullptr;
    return apr_pstrcat(p, target, tail, add_query ? "?" : "", add_query ? args : "", nullptr);
}

bool alias_is_url(const char* s)
{
    if (!apr_isalpha(*s))
        return false;
    const char* c = s + 1;
    while (apr_isalnum(*c) || *c == '+' || *c == '-' || *c == '.')
        ++c;
    return *c == ':';
}

bool alias_parse_status(const char* arg, int* status)
{
    if (strcasecmp(arg, "permanent") == 0)
        *status = 301;
    else if (strcasecmp(arg, "temp") == 0)
        *status = 302;
    else if (strcasecmp(arg, "seeother") == 0)
        *status = 303;
    else if (strcasecmp(arg, "gone") == 0)
        *status = 410;
    else if (apr_isdigit(*arg)) {
        // httpd takes atoi() of anything starting with a digit; x0 wants
        // the whole argument to be the number.
        char* end;
        long n = strtol(arg, &end, 10);
        *status = *end == '\0' && n > 0 && n < 1000 ? static_cast<int>(n) : -1;
    } else
        return false;
    return true;
}

bool alias_status_ok(int status)
{
    return (status >= 300 && status <= 399) || status == 410;
}

} // namespace x0
