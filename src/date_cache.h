/* The Date header value, formatted once per second. */
#ifndef X0_DATE_CACHE_H
#define X0_DATE_CACHE_H

namespace x0 {

/** "Sat, 28 Nov 2026 00:33:41 GMT" for now (RFC 9110 section 5.6.7). */
const char* http_date_now();

} // namespace x0

#endif
