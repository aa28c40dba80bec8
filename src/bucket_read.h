/*
 * Buckets of unknown length (a pipe, a socket: b->length == -1) read without
 * blocking. A worker has one thread for all its connections, so nothing may
 * wait for a CGI script or an upstream server to write: a filter reads such a
 * bucket with APR_NONBLOCK_READ, and when the source has nothing yet it stops
 * at that bucket, keeps it, and says that it waits.
 *
 * Who waits where (the design, in one place):
 * - CORE_OUT keeps the bucket in its pending output, in order, before the
 *   request's EOR, and reads it as the socket drains. When the source has
 *   nothing, output_write stops there: output_state::source_wait is set and
 *   source_fd names the descriptor to watch. Nothing after it is lost or
 *   overtakes it, and the request lives until its EOR is written.
 * - CHUNK never reads: it replaces the bucket by a framed source (below), a
 *   bucket that becomes one chunk each time it is read, so the waiting
 *   happens in CORE_OUT, at the connection level.
 * - BYTERANGE must read to cut. Sources in the first brigade are read
 *   without waiting (64 KiB at most): a body whose sources all end there is
 *   cut as any other, a live stream gets the whole 200 (RFC 9110 section
 *   14.2: a server MAY ignore Range). A source met later is read without
 *   blocking, and when it has nothing the filter passes what it has cut
 *   with a FLUSH, holds the rest (hold_from) and returns X0_FLOW_STOP. It is
 *   driven again by its next pass: any brigade, a lone FLUSH will do.
 *
 * Fast paths are untouched: callers test length_unknown() inline and only
 * such buckets come here; heap, file and other buckets of known length never do.
 */
#ifndef X0_BUCKET_READ_H
#define X0_BUCKET_READ_H

#include <apr_buckets.h>

namespace x0 {

/** The length of a bucket whose data is elsewhere until it is read. */
constexpr apr_size_t unknown_length = static_cast<apr_size_t>(-1);

/** True for a data bucket that must be read to learn its length. */
inline bool length_unknown(const apr_bucket* b)
{
    return b->length == unknown_length;
}

/**
 * Read @a b, a bucket of unknown length linked into a brigade, without
 * blocking.
 *
 * APR_SUCCESS: @a b now has a known length (0 when the source has ended)
 * and whatever its source still holds follows it in the same brigade, as a
 * bucket of unknown length (several buckets for a framed source). Nothing
 * before @a b moved. @a *added, if not NULL, is the number of bytes that @a b
 * and the buckets inserted after it now hold in memory.
 *
 * APR_EAGAIN: the source has nothing now; @a b is unchanged and in place.
 * The caller stops at @a b and keeps it (source_fd says what to wait for).
 *
 * Anything else: the source's error; @a b is unchanged.
 *
 * Read it where it lies: a bucket removed from its brigade would insert the
 * rest of its data after itself, where nobody finds it.
 */
apr_status_t read_unknown(apr_bucket* b, apr_size_t* added);

/**
 * The descriptor whose readability lets @a b be read: a pipe's or a
 * socket's, or that of the source under a framed source; -1 if none is known.
 * The descriptor stays the bucket owner's: watch it, never close it.
 */
int source_fd(const apr_bucket* b);

/** How a framed source frames each piece of its source. */
struct source_framing {
    /** Write what precedes a piece of @a len bytes into @a buf (framing_head_max bytes); return its length. */
    apr_size_t (*head)(char* buf, apr_size_t len);
    const char* tail;  /**< what follows each piece; static storage */
    apr_size_t tail_len;
};

/** Room for a framing head. */
constexpr apr_size_t framing_head_max = 32;

/**
 * Replace @a source, a linked bucket of unknown length, by a bucket of
 * unknown length that frames it piece by piece: each read reads the source
 * once (in the mode asked) and the framed source becomes the piece's head,
 * followed by the piece itself (not copied), its tail, and a new framed
 * source for the rest. At the end of the source it becomes an empty bucket;
 * an empty piece is never framed. APR_EAGAIN from the source is passed on
 * with the bucket unchanged.
 *
 * The framed source owns @a source from now on (destroying it destroys the
 * source); the source's descriptor stays its owner's, so the framed source
 * must be read or destroyed before that owner's pool goes, like the source.
 * It cannot be set aside, split or copied, like a pipe. Returns it.
 */
apr_bucket* frame_source(apr_bucket* source, const source_framing* framing);

/** True for a framed source. */
bool is_framed_source(const apr_bucket* b);

/**
 * Keep @a from and everything after it in @a bb for a later call: each
 * bucket is set aside into @a p (buckets that cannot be set aside, such as a
 * pipe, hold no borrowed memory and move as they are) and moved to the end
 * of @a held, in order. Returns APR_SUCCESS, or the first setaside error
 * (the buckets not moved yet stay in @a bb).
 */
apr_status_t hold_from(apr_bucket* from, apr_bucket_brigade* bb, apr_bucket_brigade* held,
                       apr_pool_t* p);

} // namespace x0

#endif
