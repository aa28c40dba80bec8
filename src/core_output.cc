/*
 * CORE_OUT: write responses to the socket without blocking.
 *
 * Memory buckets are gathered into one sendmsg (writev); file buckets go out
 * with sendfile, at most sendfile_chunk per call. When a file bucket follows
 * the gathered memory, MSG_MORE holds the head back so it leaves in the same
 * segment as the file's first bytes -- and since the last sendfile call of a
 * response is not flagged, nothing stays corked (DESIGN.md: a cork left on
 * stalls pipelined traffic on the 200 ms timer).
 *
 * Metadata buckets stay in place until everything before them is written:
 * deleting an EOR bucket destroys its request, so a request's memory lives
 * exactly until its last byte is on the wire.
 *
 * Bytes sent (r->bytes_sent, the access log's %O): every byte a write took
 * is counted where it leaves pending, and the count goes to the request
 * whose EOR comes next in pending -- the EOR follows its response, so what
 * the socket took since the previous EOR is that response's. When writing
 * fails (the client is gone), the request being written gets what went out
 * of it and the requests behind it get nothing. Below a TLS filter the
 * bytes are its records (see docs/logging.md).
 *
 * Buckets of unknown length (a pipe, a socket, CHUNK's framed source) are
 * never read by a pass: they join the pending output as they are, and
 * output_write reads them where they lie, without blocking, as the socket
 * drains -- so their data is pulled no faster than the client takes it, and
 * what a read leaves behind stays in place. When such a source has nothing
 * yet, writing stops there (source_wait) until it is called again.
 */
#include "core_output.h"
#include "bucket_read.h"
#include "scoreboard.h"
#include "x0/http.h"

#include <apr_portable.h>
#include <cerrno>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace x0 {
namespace {

constexpr int max_iovecs = 64;
constexpr apr_size_t max_gather = 1024 * 1024;

bool is_memory(const apr_bucket* b)
{
    return !APR_BUCKET_IS_METADATA(b) && !APR_BUCKET_IS_FILE(b);
}

int file_descriptor(apr_bucket* b)
{
    apr_os_file_t fd;
    apr_os_file_get(&fd, static_cast<apr_bucket_file*>(b->data)->fd);
    return fd;
}

/**
 * Replace a small file bucket by a heap bucket holding its bytes, so that it
 * joins the writev of the heads around it (a pipelined batch of small files
 * then leaves in one write instead of two system calls per response).
 */
apr_status_t read_small_file(output_state* out, apr_bucket* b)
{
    auto* buf = static_cast<char*>(apr_bucket_alloc(b->length, b->list));
    apr_size_t got = 0;
    while (got < b->length) {
        ssize_t n = pread(file_descriptor(b), buf + got, b->length - got,
                          static_cast<off_t>(b->start + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {  // the file shrank under us: never send a short body
            apr_bucket_free(buf);
            return n < 0 ? APR_FROM_OS_ERROR(errno) : APR_EOF;
        }
        got += static_cast<apr_size_t>(n);
    }
    apr_bucket* h = apr_bucket_heap_create(buf, got, apr_bucket_free, b->list);
    APR_BUCKET_INSERT_BEFORE(b, h);
    apr_bucket_delete(b);
    out->pending_memory += got;
    return APR_SUCCESS;
}

/**
 * Everything before @a b is written: an EOR here ends its request, a
 * FILE_CHECK here decides whether the rest of its file may follow.
 */
apr_status_t drop_metadata(output_state* out, apr_bucket* b)
{
    apr_status_t rv = X0_BUCKET_IS_FILE_CHECK(b) ? x0_bucket_file_check(b) : APR_SUCCESS;
    if (X0_BUCKET_IS_EOR(b)) {
        --out->pending_requests;
        // Before the delete: it runs log_transaction.
        static_cast<x0_request_t*>(b->data)->bytes_sent = out->sent_unattributed;
        out->sent_unattributed = 0;
    }
    apr_bucket_delete(b);
    return rv;
}

/**
 * Output is being dropped: what was sent since the last EOR is the first
 * pending request's (its response was cut off), before its EOR goes.
 */
void attribute_cut_off(output_state* out)
{
    for (apr_bucket* b = APR_BRIGADE_FIRST(out->pending); b != APR_BRIGADE_SENTINEL(out->pending);
         b = APR_BUCKET_NEXT(b))
        if (X0_BUCKET_IS_EOR(b)) {
            static_cast<x0_request_t*>(b->data)->bytes_sent = out->sent_unattributed;
            break;
        }
    out->sent_unattributed = 0;
}

/** Drop @a sent bytes from the head of pending, and the metadata they pass. */
apr_status_t consume(output_state* out, apr_size_t sent)
{
    while (!APR_BRIGADE_EMPTY(out->pending)) {
        apr_bucket* b = APR_BRIGADE_FIRST(out->pending);
        if (APR_BUCKET_IS_METADATA(b)) {
            if (apr_status_t rv = drop_metadata(out, b))
                return rv;
            continue;
        }
        if (b->length == 0) {
            apr_bucket_delete(b);  // an empty file read into an empty heap bucket, a source's end
            continue;
        }
        if (sent == 0 || length_unknown(b))
            return APR_SUCCESS;  // nothing of a source not read yet was written
        if (b->length > sent) {
            apr_bucket_split(b, sent);
            out->pending_memory -= sent;
            out->sent_unattributed += sent;
            apr_bucket_delete(b);
            return APR_SUCCESS;
        }
        sent -= b->length;
        out->pending_memory -= b->length;
        out->sent_unattributed += b->length;
        apr_bucket_delete(b);
    }
    return APR_SUCCESS;
}

apr_status_t fail(output_state* out, apr_status_t rv)
{
    out->error = rv;
    out->pending_memory = 0;
    out->pending_requests = 0;
    attribute_cut_off(out);
    apr_brigade_cleanup(out->pending);
    return rv;
}

/**
 * The connection pool is going: end the pending requests while their pools
 * still exist (APR destroys subpools before it runs the parent's cleanups).
 */
apr_status_t drop_pending(void* data)
{
    auto* out = static_cast<output_state*>(data);
    attribute_cut_off(out);
    apr_brigade_cleanup(out->pending);
    out->pending_memory = 0;
    out->pending_requests = 0;
    return APR_SUCCESS;
}

void block(output_state* out)
{
    out->blocked = true;
    out->on_stall(out->owner);
}

/**
 * The source of @a b has nothing now. Not blocked: arming the write watcher
 * would fire at once on a writable socket and spin; the connection watches
 * source_fd instead.
 */
void wait_for_source(output_state* out, const apr_bucket* b)
{
    out->source_wait = true;
    out->source_fd = source_fd(b);
    out->on_stall(out->owner);
}

/** Gather the memory run at the head of pending into one sendmsg. */
apr_status_t write_memory(output_state* out, apr_size_t* budget)
{
    struct iovec iov[max_iovecs];
    int n = 0;
    apr_size_t total = 0;
    bool connection_ends = false;
    apr_bucket* b = APR_BRIGADE_FIRST(out->pending);
    while (b != APR_BRIGADE_SENTINEL(out->pending) && n < max_iovecs && total < max_gather) {
        apr_bucket* next = APR_BUCKET_NEXT(b);
        connection_ends = connection_ends || X0_BUCKET_IS_EOC(b);
        if (X0_BUCKET_IS_FILE_CHECK(b) && n > 0)
            break;  // what follows a guard waits for its verdict
        if (APR_BUCKET_IS_FILE(b)) {
            if (b->length >= small_file)
                break;
            apr_status_t rv = read_small_file(out, b);
            if (rv != APR_SUCCESS)
                return fail(out, rv);
            b = APR_BUCKET_PREV(next);
        } else if (length_unknown(b)) {
            // In place: the rest of its data follows it in pending.
            apr_size_t added;
            apr_status_t rv = read_unknown(b, &added);
            if (APR_STATUS_IS_EAGAIN(rv)) {
                wait_for_source(out, b);  // what is gathered before it goes now
                break;
            }
            if (rv != APR_SUCCESS)
                return fail(out, rv);
            out->pending_memory += added;
            next = APR_BUCKET_NEXT(b);
        }
        if (!APR_BUCKET_IS_METADATA(b) && b->length > 0) {
            // Memory of known length: a read never waits.
            const char* data;
            apr_size_t len;
            apr_bucket_read(b, &data, &len, APR_BLOCK_READ);
            iov[n].iov_base = const_cast<char*>(data);
            iov[n].iov_len = len;
            ++n;
            total += len;
        }
        b = next;
    }
    if (n == 0) {
        apr_status_t rv = consume(out, 0);
        return rv == APR_SUCCESS ? rv : fail(out, rv);
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = n;
    // A FILE_CHECK guard ends the gathering but not the cork: its fstat runs
    // once this write is done and the file follows it (a changed file ends
    // the connection, and the close sends what MSG_MORE held). BYTERANGE
    // puts the guard right behind the head of a range shorter than
    // X0_FILE_CHECK_TAIL; without MSG_MORE that head left as a segment of
    // its own, which the client acknowledged on its own.
    apr_bucket* after = b;
    while (after != APR_BRIGADE_SENTINEL(out->pending) && X0_BUCKET_IS_FILE_CHECK(after))
        after = APR_BUCKET_NEXT(after);
    bool file_follows = after != APR_BRIGADE_SENTINEL(out->pending) && APR_BUCKET_IS_FILE(after);
    // The last bytes of a connection (EOC is gathered): held back, they
    // leave with the FIN of the close or shutdown that follows this write
    // in the same loop turn, one segment for the client instead of two.
    ssize_t sent;
    do
        sent = sendmsg(out->fd, &msg,
                       MSG_NOSIGNAL | (file_follows || connection_ends ? MSG_MORE : 0));
    while (sent < 0 && errno == EINTR);
    if (sent < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            block(out);
            return APR_SUCCESS;
        }
        return fail(out, APR_FROM_OS_ERROR(errno));
    }
    if (apr_status_t rv = consume(out, static_cast<apr_size_t>(sent)))
        return fail(out, rv);
    *budget = *budget > static_cast<apr_size_t>(sent) ? *budget - sent : 0;
    if (static_cast<apr_size_t>(sent) < total)
        block(out);
    return APR_SUCCESS;
}

apr_status_t write_file(output_state* out, apr_bucket* b, apr_size_t* budget)
{
    apr_size_t want = b->length;
    if (want > sendfile_chunk)
        want = sendfile_chunk;
    if (want > *budget)
        want = *budget;
    off_t offset = static_cast<off_t>(b->start);
    ssize_t sent;
    do
        sent = sendfile(out->fd, file_descriptor(b), &offset, want);
    while (sent < 0 && errno == EINTR);
    if (sent < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            block(out);
            return APR_SUCCESS;
        }
        return fail(out, APR_FROM_OS_ERROR(errno));
    }
    if (sent == 0)  // the file is shorter than its bucket: it changed under us
        return fail(out, APR_EOF);
    b->start += sent;
    b->length -= static_cast<apr_size_t>(sent);
    out->sent_unattributed += sent;
    *budget -= static_cast<apr_size_t>(sent);
    if (b->length == 0)
        apr_bucket_delete(b);
    else if (static_cast<apr_size_t>(sent) < want)
        block(out);  // a short sendfile means the socket buffer is full
    return APR_SUCCESS;
}

/**
 * A response only partly written: the status page shows its request's bytes
 * so far. They belong to the request of the first EOR in pending (see the
 * top); a response that went out whole was counted at its EOR already.
 */
void report_progress(const output_state* out)
{
    if (out->sent_unattributed == 0)
        return;
    for (apr_bucket* b = APR_BRIGADE_FIRST(out->pending); b != APR_BRIGADE_SENTINEL(out->pending);
         b = APR_BUCKET_NEXT(b))
        if (X0_BUCKET_IS_EOR(b)) {
            scoreboard_request_progress(static_cast<const x0_request_t*>(b->data),
                                        static_cast<apr_uint64_t>(out->sent_unattributed));
            return;
        }
}

} // namespace

void output_init(output_state* out, int fd, void (*on_stall)(void*), void* owner,
                 apr_pool_t* p, apr_bucket_alloc_t* ba)
{
    out->fd = fd;
    out->on_stall = on_stall;
    out->owner = owner;
    out->pending = apr_brigade_create(p, ba);
    out->pending_memory = 0;
    out->pending_requests = 0;
    out->blocked = false;
    out->flow_stopped = false;
    out->source_wait = false;
    out->source_fd = -1;
    out->error = APR_SUCCESS;
    out->sent_unattributed = 0;
    apr_pool_pre_cleanup_register(p, out, drop_pending);
}

apr_status_t output_write(output_state* out)
{
    if (out->error != APR_SUCCESS)
        return out->error;
    out->blocked = false;
    out->source_wait = false;
    out->source_fd = -1;
    apr_size_t budget = write_budget;
    while (!APR_BRIGADE_EMPTY(out->pending) && !out->blocked && !out->source_wait) {
        if (budget == 0) {
            block(out);  // yield to the other connections; writability brings us back
            break;
        }
        apr_bucket* b = APR_BRIGADE_FIRST(out->pending);
        apr_status_t rv;
        if (APR_BUCKET_IS_METADATA(b)) {
            if ((rv = drop_metadata(out, b)) != APR_SUCCESS)
                return fail(out, rv);
            continue;
        }
        if (APR_BUCKET_IS_FILE(b) && b->length >= small_file)
            rv = write_file(out, b, &budget);
        else
            rv = write_memory(out, &budget);
        if (rv != APR_SUCCESS)
            return rv;
    }
    report_progress(out);
    return APR_SUCCESS;
}

namespace {

apr_status_t write_brigade(x0_filter_t* f, apr_bucket_brigade* bb)
{
    auto* out = static_cast<output_state*>(f->ctx);
    if (out->error != APR_SUCCESS) {
        apr_brigade_cleanup(bb);
        return out->error;
    }
    bool flush = false;
    while (!APR_BRIGADE_EMPTY(bb)) {
        apr_bucket* b = APR_BRIGADE_FIRST(bb);
        APR_BUCKET_REMOVE(b);
        if (APR_BUCKET_IS_FLUSH(b) || APR_BUCKET_IS_EOS(b)) {
            flush = flush || APR_BUCKET_IS_FLUSH(b);
            apr_bucket_destroy(b);
            continue;
        }
        if (length_unknown(b)) {
            // Not read here (see the top): its data is pulled as the socket
            // takes it, so start writing now, as for a FLUSH. A pipe or a
            // socket cannot be set aside and needs not: it holds no
            // borrowed memory.
            apr_status_t rv = apr_bucket_setaside(b, out->pending->p);
            if (rv != APR_SUCCESS && rv != APR_ENOTIMPL) {
                apr_bucket_destroy(b);
                apr_brigade_cleanup(bb);
                return fail(out, rv);
            }
            flush = true;
        } else if (is_memory(b)) {
            if (b->length == 0) {
                apr_bucket_destroy(b);
                continue;
            }
            // Transient buckets point into the caller's stack or buffers.
            if (APR_BUCKET_IS_TRANSIENT(b))
                apr_bucket_setaside(b, out->pending->p);
            out->pending_memory += b->length;
        } else if (X0_BUCKET_IS_EOR(b)) {
            ++out->pending_requests;
        } else if (APR_BUCKET_IS_FILE(b) && b->length == 0) {
            apr_bucket_destroy(b);
            continue;
        }
        APR_BRIGADE_INSERT_TAIL(out->pending, b);
    }
    if (!out->blocked && (flush || out->pending_memory >= output_write_now
                          || out->pending_requests >= pending_requests_write_now)) {
        apr_status_t rv = output_write(out);
        if (rv != APR_SUCCESS)
            return rv;
    }
    if (out->pending_memory >= output_high_water
        || out->pending_requests >= pending_requests_high) {
        out->flow_stopped = true;
        return X0_FLOW_STOP;
    }
    return APR_SUCCESS;
}

} // namespace

apr_status_t core_output_filter(x0_filter_t* f, apr_bucket_brigade* bb)
{
    apr_status_t rv = write_brigade(f, bb);
    if (rv != APR_SUCCESS && rv != X0_FLOW_STOP)
        f->c->aborted = 1;
    return rv;
}

} // namespace x0
