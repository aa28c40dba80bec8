/*
 * LoopbackCongestionControl: the TCP congestion control of connections from
 * this host.
 *
 * A kernel whose default is BBR paces every socket: each 64 KiB segment waits
 * for a high-resolution timer until the estimated rate allows it. Over
 * loopback there is no bottleneck queue to pace for, and the timers are what
 * a bulk download costs: on the development VM (docs/performance.md) 1 MiB
 * responses armed 4 pacing timers each, and the server spent half its CPU
 * programming them. So a connection from a loopback address (a local proxy,
 * a health check, a sidecar) gets an algorithm that does not pace: reno by
 * default (always built in, and allowed to unprivileged processes).
 *
 * A listener bound to a loopback address carries the setting itself, so its
 * connections start with it (one set on an accepted connection keeps the
 * pacing state the default left). A listener on all addresses sets it per
 * connection whose peer is on loopback.
 */
#ifndef X0_LOOPBACK_CONGESTION_H
#define X0_LOOPBACK_CONGESTION_H

#include <apr_pools.h>
#include <sys/socket.h>

namespace x0 {

/** The directive's default. */
constexpr const char* default_loopback_congestion = "reno";

/** Is @a sa 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104? */
bool is_loopback(const sockaddr* sa);

/** Is @a host (an address's text, as Listen keeps it; NULL for all) a loopback address? */
bool is_loopback_host(const char* host);

/** Give @a fd the congestion control @a name: 0, or the errno of the refusal. */
int set_congestion_control(int fd, const char* name);

/**
 * Can this process give a socket @a name? NULL, or the reason (in @a p) for
 * LoopbackCongestionControl's error: checked when the configuration is read,
 * so that -t finds a name the kernel does not have.
 */
const char* check_congestion_control(apr_pool_t* p, const char* name);

/**
 * The kernel's default (net.ipv4.tcp_congestion_control), in @a p, for a
 * kept listener whose configuration no longer sets one; NULL if unreadable.
 */
const char* system_congestion_control(apr_pool_t* p);

} // namespace x0

#endif
