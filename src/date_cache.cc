#include "date_cache.h"

#include <apr_date.h>
#include <apr_time.h>
#include <ctime>

namespace x0 {

const char* http_date_now()
{
    // Workers are single-threaded: one cache per process is enough.
    static time_t cached_second = -1;
    static char cached[APR_RFC822_DATE_LEN];
    time_t now = time(nullptr);
    if (now != cached_second) {
        apr_rfc822_date(cached, apr_time_from_sec(now));
        cached_second = now;
    }
    return cached;
}

} // namespace x0
