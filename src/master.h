/* The master process: generations of workers, signals, reloads. */
#ifndef X0_MASTER_H
#define X0_MASTER_H

#include "listeners.h"

namespace x0 {

struct loaded_config;

/** Write our pid to @a path; an error message (in @a p) or NULL. */
const char* write_pid_file(apr_pool_t* p, const char* path);
void remove_pid_file(const char* path);

/** What main hands the master: all of it becomes the master's. */
struct master_start {
    const char* config_file;    /**< as given to -f, read again at each reload */
    loaded_config* config;      /**< read and post_config'ed */
    listener_set listeners;     /**< bound (their names and hosts in @a listener_pool) */
    apr_pool_t* listener_pool;  /**< a pool for the listeners alone, replaced at a reload */
    const char* pid_file;       /**< written; removed when the master exits */
    int ready_fd;               /**< gets one byte once the first workers accept; or -1 */
    /** argv of `x0d -t` with this x0d's -d, -D and -f: a reload's test runs it. */
    const char* const* test_argv;
};

/**
 * Run generations of `Workers` worker processes and replace any that dies,
 * until stopped; returns the exit status. Signals, as httpd's
 * (docs/operations.md): TERM or INT stop, HUP restart, USR1 graceful
 * restart, WINCH graceful stop.
 */
int master_main(master_start* start);

} // namespace x0

#endif
