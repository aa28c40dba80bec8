/*
 * CORE_IN: bytes from the connection, without blocking.
 *
 * What an earlier read brought beyond what its caller asked for (CORE_IN's
 * own carry-over, a->core_in) comes first; only then is the socket read.
 * Every read lands in the worker's one read buffer and is copied into a
 * heap bucket of exactly the size read, so an idle connection never holds a
 * read buffer and a connection that wakes up spuriously costs no allocation
 * (DESIGN.md: an idle keep-alive connection costs almost nothing).
 */
#include <cerrno>
#include <sys/socket.h>

#include "connection.h"
#include "core_filters.h"

namespace x0 {

apr_status_t core_input_filter(x0_filter_t* f, apr_bucket_brigade* bb, x0_input_mode_e,
                               apr_off_t readbytes)
{
    auto* a = static_cast<conn_active*>(f->ctx);
    if (!APR_BRIGADE_EMPTY(a->core_in)) {
        apr_bucket* after;
        if (apr_brigade_partition(a->core_in, readbytes, &after) == APR_INCOMPLETE)
            after = APR_BRIGADE_SENTINEL(a->core_in);
        while (APR_BRIGADE_FIRST(a->core_in) != after) {
            apr_bucket* b = APR_BRIGADE_FIRST(a->core_in);
            APR_BUCKET_REMOVE(b);
            APR_BRIGADE_INSERT_TAIL(bb, b);
        }
        return APR_SUCCESS;  // what is left the connection sees in a->core_in
    }
    worker* w = a->rec->w;
    ssize_t n;
    do
        n = recv(a->rec->fd, w->read_buffer, sizeof(w->read_buffer), 0);
    while (n < 0 && errno == EINTR);
    if (n > 0) {
        apr_bucket* b = apr_bucket_heap_create(w->read_buffer, n, nullptr, bb->bucket_alloc);
        APR_BRIGADE_INSERT_TAIL(bb, b);
        if (readbytes > 0 && n > readbytes) {
            // More than asked for: the rest waits here for the next call.
            apr_bucket_split(b, static_cast<apr_size_t>(readbytes));
            apr_bucket* rest = APR_BUCKET_NEXT(b);
            APR_BUCKET_REMOVE(rest);
            // The connection sees it there (has_unread): a filter above
            // may take it all within its own call (a TLS record read in
            // pieces), so no flag that would outlive it.
            APR_BRIGADE_INSERT_TAIL(a->core_in, rest);
        } else if (static_cast<size_t>(n) == sizeof(w->read_buffer)) {
            x0_filter_input_more(f);  // the buffer is full: the socket may hold more
        }
        return APR_SUCCESS;
    }
    if (n == 0)
        return APR_EOF;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return APR_EAGAIN;
    return APR_FROM_OS_ERROR(errno);
}

} // namespace x0
