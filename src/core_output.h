/*
 * CORE_OUT, the network output filter, and the connection's pending output.
 *
 * Buckets the socket did not take are kept on the connection (transient ones
 * set aside, file buckets as they are: an fd and an offset). Memory buckets
 * count against a bound; past it a pass answers X0_FLOW_STOP and the
 * connection resumes the producer when the socket drains. Buckets of unknown
 * length (pipes, sockets) are kept unread and read as the socket drains; one
 * whose source has nothing yet stops the writing (source_wait).
 */
#ifndef X0_CORE_OUTPUT_H
#define X0_CORE_OUTPUT_H

#include <apr_buckets.h>
#include "x0/filter.h"

namespace x0 {

/** Output kept on a connection; lives in the connection pool. It is CORE_OUT's ctx. */
struct output_state {
    int fd;
    /**
     * Called with @a owner when writing stops before pending is empty: the
     * socket is full (blocked) or a source has nothing yet (source_wait).
     * The owner arms what the writing waits for.
     */
    void (*on_stall)(void* owner);
    void* owner;
    apr_bucket_brigade* pending;  /**< not yet written, in order */
    apr_size_t pending_memory;    /**< bytes of memory buckets in pending */
    int pending_requests;         /**< EOR buckets in pending: requests not yet fully sent */
    bool blocked;                 /**< the socket is full (or this turn's budget is spent) */
    bool flow_stopped;            /**< a producer was told X0_FLOW_STOP */
    /**
     * The first unwritten bucket is a pipe or socket whose source has nothing
     * yet: output_write stopped there without blocking (on_stall is
     * called). Call output_write again when source_fd is readable.
     */
    bool source_wait;
    int source_fd;                /**< what source_wait waits for; -1 if unknown */
    apr_status_t error;           /**< the write error that ended this connection's output */
    /**
     * Bytes written since the last EOR left pending: they belong to the
     * request whose EOR comes next (its r->bytes_sent).
     */
    apr_off_t sent_unattributed;
};

/** Past this much pending memory a pass answers X0_FLOW_STOP. */
constexpr apr_size_t output_high_water = 256 * 1024;
/** Below this the stopped producer is resumed. */
constexpr apr_size_t output_low_water = 64 * 1024;
/**
 * Past this many unsent responses a pass answers X0_FLOW_STOP: each holds a
 * request pool, and file buckets do not count as memory.
 */
constexpr int pending_requests_high = 64;
constexpr int pending_requests_low = 16;
/** This many responses are worth a write before the connection flushes. */
constexpr int pending_requests_write_now = 32;
/** Gathered memory worth a writev of its own before the connection flushes. */
constexpr apr_size_t output_write_now = 64 * 1024;
/**
 * One turn of the loop sends at most this much per connection, then yields
 * with the write watcher armed, so that one fast client does not hold the
 * loop (nginx's sendfile_max_chunk default is the same 2 MiB). A 1 MiB
 * response with its head leaves in one turn, as one sendmsg of the head
 * (MSG_MORE) and one sendfile, when the socket takes it. Measured on
 * loopback without pacing (LoopbackCongestionControl): against 256 KiB a
 * turn, 2 MiB served 1 MiB responses at 90 instead of 118 us of server CPU
 * each and 100 MiB files at 0.6 of the CPU (docs/performance.md). The
 * smaller budget won only while the kernel paced each segment (BBR).
 */
constexpr apr_size_t write_budget = 2048 * 1024;
/** One sendfile call sends at most this much. */
constexpr apr_size_t sendfile_chunk = write_budget;
/** File buckets smaller than this are read and gathered into the writev. */
constexpr apr_size_t small_file = 16 * 1024;

void output_init(output_state* out, int fd, void (*on_stall)(void*), void* owner,
                 apr_pool_t* p, apr_bucket_alloc_t* ba);

/**
 * Write what the socket takes, reading buckets of unknown length in place
 * without blocking. Returns APR_SUCCESS (all written, blocked, or waiting for
 * a source; out->blocked and out->source_wait say which), or an error when
 * the client is gone or a source failed (everything pending is dropped then).
 */
apr_status_t output_write(output_state* out);

/** A producer told X0_FLOW_STOP may go on. */
inline bool output_may_resume(const output_state* out)
{
    return out->pending_memory < output_low_water && out->pending_requests < pending_requests_low;
}

/** Nothing left to write. */
inline bool output_empty(const output_state* out) { return APR_BRIGADE_EMPTY(out->pending); }

/** The CORE_OUT filter function (registered by register_core_filters). */
apr_status_t core_output_filter(x0_filter_t* f, apr_bucket_brigade* bb);

} // namespace x0

#endif
