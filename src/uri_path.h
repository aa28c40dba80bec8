/* The request path as <Location> sections see it. */
#ifndef X0_URI_PATH_H
#define X0_URI_PATH_H

#include <apr_pools.h>

namespace x0 {

/**
 * Decode @a uri (r->uri) once, merge runs of '/', and resolve "." and ".."
 * segments (RFC 3986 section 5.2.4), as httpd does before it walks
 * <Location>: "/%68ello", "//hello" and "/x/../hello" all match
 * <Location /hello>. The result is r->path.
 * @return 0 with @a out allocated in @a p; 400 for a bad escape, %00, a
 *         backslash (raw or %5C), a path not starting with '/', or ".."
 *         above the root; 404 for an encoded slash (%2F).
 */
int normalize_path(apr_pool_t* p, const char* uri, const char** out);

} // namespace x0

#endif
