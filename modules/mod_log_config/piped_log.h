/*
 * Piped loggers (`CustomLog "|command" ...`), restarted when they die.
 *
 * The master starts, for each command, a small supervisor process that
 * holds the read end of the pipe and runs the command (`/bin/sh -c`) with
 * that read end as its standard input, again and again: when the command
 * exits, the supervisor starts it anew (at most once a second). Because the
 * supervisor keeps the read end open, the pipe never breaks while a logger
 * restarts: lines wait in the pipe (and then in the workers' buffers) and
 * the new logger reads them. The master's generic child reaping never sees
 * the logger, only the supervisor, so nothing in the master needs to know.
 *
 * The supervisor ends when it gets SIGTERM: from the master when the
 * configuration that started it is destroyed (a graceful restart starts
 * new ones), or from the kernel when the master dies (PR_SET_PDEATHSIG).
 * It then stops restarting; the logger reads on until every write end is
 * closed (the old workers have exited), gets EOF and ends; the supervisor
 * gives it stop_grace_seconds before it sends SIGTERM.
 */
#ifndef X0_PIPED_LOG_H
#define X0_PIPED_LOG_H

#include <apr_pools.h>
#include <sys/types.h>

namespace x0log {

constexpr int stop_grace_seconds = 10;

/**
 * Master: start the supervisor of @a command. On success *write_fd is the
 * pipe's write end (non-blocking, close-on-exec) and *supervisor its pid;
 * both are released when @a pconf is destroyed (SIGTERM to the supervisor).
 * Returns NULL or an error message in @a pconf.
 */
const char* piped_log_start(apr_pool_t* pconf, const char* command, int* write_fd,
                            pid_t* supervisor);

} // namespace x0log

#endif
