/*
 * Writing access-log lines without blocking the worker's loop.
 *
 * A target is one log file or piped logger, opened by the master (the
 * workers inherit the descriptor). Each worker has its own buffer per
 * target. The lines of one loop turn are written together at the turn's
 * end (target_turn_end), with one write(2) per target, or earlier when a
 * batch is full; with BufferedLogs On they are kept across turns until the
 * buffer is worth a write or the oldest is batch_age old. A write carries
 * only whole lines, and at most PIPE_BUF bytes to a pipe, so lines of
 * several workers never interleave or split. A pipe is
 * non-blocking: when it is full, lines wait in the buffer, up to
 * buffer_bound bytes; past that they are dropped and counted, and the count
 * goes to the error log once the target takes lines again (or when the
 * worker exits). Details and figures: docs/logging.md.
 */
#ifndef X0_LOG_WRITER_H
#define X0_LOG_WRITER_H

#include <apr_pools.h>
#include <apr_time.h>
#include <climits>
#include <sys/types.h>

namespace x0log {

/** What one worker may hold for one target before it drops lines. */
constexpr apr_size_t buffer_bound = 64 * 1024;
/** A file's lines are written when this much is gathered, before the turn ends. */
constexpr apr_size_t file_batch = 16 * 1024;
/** A pipe write of at most this many bytes is atomic (POSIX). */
constexpr apr_size_t pipe_atomic = PIPE_BUF;
/** The longest line for a file target; longer ones are cut. */
constexpr apr_size_t max_file_line = 16 * 1024;
/** BufferedLogs On: lines older than this are written with the next line. */
constexpr apr_interval_time_t batch_age = apr_time_from_sec(1);

struct log_target {
    const char* name;      /**< the path, or the command after '|' */
    bool pipe;
    int fd;                /**< -1 until opened; the master's, inherited by workers */
    pid_t supervisor;      /**< a piped target: the process that runs its logger */
    /* ---- each worker's own (set by target_child_init) ---- */
    char* buf;             /**< whole lines not written yet */
    apr_size_t len;
    bool batched;          /**< BufferedLogs On */
    apr_time_t oldest;     /**< when the first line now in buf came */
    long dropped;          /**< lines dropped since the last report */
    int drop_errno;        /**< why the last were dropped (0: the buffer was full) */
};

/** The longest line @a t takes: a pipe's must fit one atomic write. */
inline apr_size_t max_line(const log_target* t)
{
    return t->pipe ? pipe_atomic : max_file_line;
}

/** Master: open @a t's file for appending (O_APPEND, created 0644). Error message in @a p, or NULL. */
const char* target_open_file(apr_pool_t* p, log_target* t);

/** Worker: the buffer, in @a pchild; at its destruction what is left is written. */
void target_child_init(apr_pool_t* pchild, log_target* t, bool batched);

/**
 * Worker: hand one line (ending in '\n', at most max_line(t) bytes) to
 * @a t. It waits for the turn's end unless a batch is full. Never blocks
 * on a pipe; see the top of this file.
 */
void target_write_line(log_target* t, const char* line, apr_size_t n, apr_time_t now);

/**
 * Worker, at the end of each loop turn: write the turn's lines (BufferedLogs
 * Off), or those kept since batch_age (On).
 */
void target_turn_end(log_target* t);

/**
 * Write what @a t holds, as far as it takes it now. With @a at_exit, a pipe
 * is waited for a little (bounded) and what is still left is dropped and
 * reported.
 */
void target_flush(log_target* t, bool at_exit);

} // namespace x0log

#endif
