/* Per-worker buffers and whole-line writes (see log_writer.h). */
#define X0_LOG_MODULE log_config_module  // our messages answer to LogLevel log_config:...
#include "log_writer.h"

#include <apr_strings.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "x0/log.h"

namespace x0log {
namespace {

/** How long a worker that exits waits for a full pipe, in all. */
constexpr int exit_wait_ms = 1000;

long count_lines(const char* s, apr_size_t n)
{
    long lines = 0;
    for (apr_size_t i = 0; i < n; ++i)
        lines += s[i] == '\n';
    return lines;
}

void drop_held(log_target* t, int why)
{
    t->dropped += count_lines(t->buf, t->len);
    t->drop_errno = why;
    t->len = 0;
}

void report_drops(log_target* t)
{
    if (t->dropped == 0)
        return;
    // The error log is another descriptor: a stalled access log does not stall it.
    char why[128];
    x0_log_error(X0LOG(05001), X0_LOG_WARNING, 0, nullptr,
                 "%ld access log line(s) for %s%s were dropped: %s", t->dropped,
                 t->pipe ? "|" : "", t->name,
                 t->drop_errno ? apr_strerror(APR_FROM_OS_ERROR(t->drop_errno), why, sizeof why)
                               : "the target did not keep up and this worker's buffer was full");
    t->dropped = 0;
    t->drop_errno = 0;
}

/**
 * The first write of what @a t holds: everything for a file (all whole
 * lines), at most pipe_atomic bytes for a pipe, cut after a line's end.
 */
apr_size_t next_write(const log_target* t)
{
    if (!t->pipe || t->len <= pipe_atomic)
        return t->len;
    apr_size_t n = pipe_atomic;
    while (n > 0 && t->buf[n - 1] != '\n')
        --n;
    return n;  // > 0: no line is longer than pipe_atomic (max_line)
}

/** Write held lines until all are out or the target stops taking them. */
void write_held(log_target* t)
{
    bool wrote = false;
    while (t->len > 0) {
        apr_size_t want = next_write(t);
        ssize_t n = write(t->fd, t->buf, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;  // a full pipe: the lines wait for the next line or the exit
        if (n <= 0) {
            drop_held(t, n < 0 ? errno : EIO);  // EPIPE, ENOSPC, EIO: nothing to retry
            break;
        }
        // A regular file may take less only when the disk is full; the
        // rest goes with the next write.
        memmove(t->buf, t->buf + n, t->len - static_cast<apr_size_t>(n));
        t->len -= static_cast<apr_size_t>(n);
        wrote = true;
    }
    if (t->len == 0 && wrote)
        report_drops(t);  // caught up after a stall: say once what it cost
}

/** Keep @a line (it waits behind others, or the target is full). */
void hold(log_target* t, const char* line, apr_size_t n, apr_time_t now)
{
    if (t->len + n > buffer_bound) {
        ++t->dropped;
        t->drop_errno = 0;
        return;
    }
    if (t->len == 0)
        t->oldest = now;
    memcpy(t->buf + t->len, line, n);
    t->len += n;
}

apr_status_t flush_at_exit(void* data)
{
    target_flush(static_cast<log_target*>(data), true);
    return APR_SUCCESS;
}

} // namespace

const char* target_open_file(apr_pool_t* p, log_target* t)
{
    t->fd = open(t->name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (t->fd < 0)
        return apr_psprintf(p, "cannot open the access log %s: %s", t->name, strerror(errno));
    return nullptr;
}

void target_child_init(apr_pool_t* pchild, log_target* t, bool batched)
{
    t->buf = static_cast<char*>(apr_palloc(pchild, buffer_bound));
    t->len = 0;
    t->batched = batched;
    t->dropped = 0;
    t->drop_errno = 0;
    apr_pool_cleanup_register(pchild, t, flush_at_exit, apr_pool_cleanup_null);
}

void target_write_line(log_target* t, const char* line, apr_size_t n, apr_time_t now)
{
    if (t->fd < 0 || !t->buf)
        return;
    if (t->len + n > buffer_bound)
        write_held(t);  // make room: a stalled target may have caught up
    hold(t, line, n, now);
    // A full batch goes at once; the rest waits for the turn's end.
    apr_size_t batch = t->pipe ? pipe_atomic : file_batch;
    if (t->len >= batch || (t->batched && now - t->oldest >= batch_age))
        write_held(t);
}

void target_turn_end(log_target* t)
{
    if (t->fd < 0 || !t->buf || t->len == 0)
        return;
    if (!t->batched || apr_time_now() - t->oldest >= batch_age)
        write_held(t);
}

void target_flush(log_target* t, bool at_exit)
{
    if (t->fd < 0 || !t->buf)
        return;
    write_held(t);
    if (at_exit && t->len > 0 && t->pipe) {
        // A logger that is slow, not stuck, gets a moment; a worker's exit
        // is never held longer than exit_wait_ms.
        apr_time_t deadline = apr_time_now() + apr_time_from_msec(exit_wait_ms);
        while (t->len > 0) {
            apr_interval_time_t left = deadline - apr_time_now();
            if (left <= 0)
                break;
            pollfd p{t->fd, POLLOUT, 0};
            if (poll(&p, 1, static_cast<int>(apr_time_as_msec(left)) + 1) <= 0)
                break;
            write_held(t);
        }
    }
    if (at_exit) {
        if (t->len > 0)
            drop_held(t, EAGAIN);
        report_drops(t);
    }
}

} // namespace x0log
