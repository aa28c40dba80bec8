/*
 * CORE_IN: read from the socket without blocking.
 *
 * Every read lands in the worker's one read buffer and is then copied into a
 * heap bucket of exactly the size read. An idle connection therefore never
 * holds a read buffer, and a connection that wakes up spuriously costs no
 * allocation (DESIGN.md: an idle keep-alive connection costs almost nothing).
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
    worker* w = a->rec->w;
    apr_size_t want = sizeof(w->read_buffer);
    if (readbytes > 0 && static_cast<apr_size_t>(readbytes) < want)
        want = static_cast<apr_size_t>(readbytes);
    ssize_t n;
    do
        n = recv(a->rec->fd, w->read_buffer, want, 0);
    while (n < 0 && errno == EINTR);
    if (n > 0) {
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_heap_create(w->read_buffer, n, nullptr,
                                                           bb->bucket_alloc));
        return APR_SUCCESS;
    }
    if (n == 0)
        return APR_EOF;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
        return APR_EAGAIN;
    return APR_FROM_OS_ERROR(errno);
}

} // namespace x0
