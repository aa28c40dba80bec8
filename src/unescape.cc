/*
 * Percent-decoding of a request path (RFC 3986 section 2.1). Strict: a '%'
 * not followed by two hex digits is a malformed request, and %00 is refused
 * because a NUL would silently cut every C string the path is copied into.
 */
#include "x0/http.h"

namespace {

int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace

int x0_unescape_url(char* url)
{
    char* out = url;
    for (const char* in = url; *in != '\0'; ++in) {
        if (*in != '%') {
            *out++ = *in;
            continue;
        }
        int hi = hex_value(in[1]);
        int lo = hi < 0 ? -1 : hex_value(in[2]);
        if (lo < 0)
            return 400;
        char c = static_cast<char>(hi * 16 + lo);
        if (c == '\0')
            return 400;
        *out++ = c;
        in += 2;
    }
    *out = '\0';
    return 0;
}
