/* x0d -k: signalling the running x0d, as httpd -k / apachectl do. */
#ifndef X0_PROCESS_CONTROL_H
#define X0_PROCESS_CONTROL_H

#include <apr_pools.h>
#include <sys/types.h>

namespace x0 {

enum class k_command { none, start, stop, restart, graceful, graceful_stop };

/** The -k argument; false when it names no command. */
bool parse_k_command(const char* arg, k_command* out);

/**
 * Act on the x0d whose pid is in the PidFile of @a config_file:
 *  - start: refuse (status 1) when it runs;
 *  - stop, graceful-stop: send SIGTERM / SIGWINCH and wait until it has exited;
 *  - restart, graceful: test the configuration here first (post_config
 *    included); when it fails, print "FILE:LINE: message" and return 1
 *    without signalling; else send SIGHUP / SIGUSR1 and wait for the
 *    master's answer (it may still refuse: a port it cannot bind), printing
 *    its message and returning 1 when it refused.
 * Returns the exit status for x0d, or -1 when x0d should go on and start
 * (start, or restart/graceful with nothing running, as httpd does).
 */
int control_running_server(k_command cmd, const char* config_file, apr_pool_t* p);

/**
 * The master's answer to `x0d -k restart|graceful` run by process @a to (the
 * signal's sender): @a ok, and a message. Nobody listening is not an error
 * (the signal came from kill(1) or systemd).
 */
void control_reply(pid_t to, bool ok, const char* message);

} // namespace x0

#endif
