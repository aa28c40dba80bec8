/* systemd's readiness protocol, without libsystemd. */
#ifndef X0_SD_NOTIFY_H
#define X0_SD_NOTIFY_H

namespace x0 {

/**
 * Send @a state ("READY=1\nMAINPID=123", "RELOADING=1", "STOPPING=1") to
 * $NOTIFY_SOCKET, if it is set: one datagram on an AF_UNIX socket, a name
 * starting with '@' being in the abstract namespace (sd_notify(3)). Does
 * nothing without NOTIFY_SOCKET; errors are ignored, as sd_notify's are.
 */
void sd_notify(const char* state);

} // namespace x0

#endif
