#include "uri_path.h"

#include <cstring>

#include "x0/http.h"

namespace x0 {

int normalize_path(apr_pool_t* p, const char* uri, const char** out)
{
    if (!uri || uri[0] != '/')
        return 400;
    apr_size_t len = strlen(uri);
    // An encoded slash would make a segment boundary the client did not
    // write: 404, as httpd's AllowEncodedSlashes Off.
    for (const char* pct = strchr(uri, '%'); pct; pct = strchr(pct + 1, '%'))
        if (pct[1] == '2' && (pct[2] == 'f' || pct[2] == 'F'))
            return 404;
    char* buf = static_cast<char*>(apr_palloc(p, len + 1));
    memcpy(buf, uri, len + 1);
    if (int status = x0_unescape_url(buf))
        return status;
    // A backslash is a path separator elsewhere; x0 never takes it for a
    // file name character (raw or as %5C).
    if (strchr(buf, '\\'))
        return 400;
    // Rewrite in place: w never passes r, and w always ends with the '/'
    // that started the segment being read.
    char* w = buf;
    const char* r = buf;
    while (*r) {
        while (*r == '/')
            ++r;
        const char* seg = r;
        while (*r && *r != '/')
            ++r;
        apr_size_t n = static_cast<apr_size_t>(r - seg);
        if (n == 0 || (n == 1 && seg[0] == '.'))
            continue;
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            if (w == buf)
                return 400;  // above the root
            do
                --w;
            while (w > buf && *w != '/');
            continue;
        }
        *w++ = '/';
        memmove(w, seg, n);
        w += n;
    }
    // Keep a trailing slash: "/dir/" and "/dir" are different resources.
    if (w == buf || (len > 0 && uri[len - 1] == '/'))
        *w++ = '/';
    *w = '\0';
    *out = buf;
    return 0;
}

} // namespace x0
