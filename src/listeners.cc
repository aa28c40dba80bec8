/*
 * Binding the listeners, and carrying them over a reload. A socket that is
 * closed and bound again loses the connections in its accept queue (the
 * kernel resets them) and leaves a moment in which the port is free; so a
 * reload that lists the same address:port again keeps the socket it has.
 */
#include "listeners.h"

#include <apr_strings.h>
#include <cerrno>
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core_config.h"
#include "loopback_congestion.h"
#include "x0/log.h"

namespace x0 {
namespace {

int bind_one(const listen_addr& la, int backlog, const char** reason)
{
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char port[8];
    snprintf(port, sizeof(port), "%u", la.port);
    addrinfo* res;
    int gai = getaddrinfo(la.host, port, &hints, &res);
    if (gai != 0) {
        *reason = gai_strerror(gai);
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        // Replies go out as soon as a response is complete; Nagle would hold
        // the last segment of a response back waiting for an ACK.
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, backlog) != 0) {
            *reason = strerror(errno);
            close(fd);
            fd = -1;
        }
    } else {
        *reason = strerror(errno);
    }
    freeaddrinfo(res);
    return fd;
}

bool same_address(const listener& l, const listen_addr& la)
{
    bool same_host = l.host == la.host || (l.host && la.host && strcmp(l.host, la.host) == 0);
    return same_host && l.port == la.port;
}

/**
 * LoopbackCongestionControl: a socket bound to a loopback address carries it,
 * so that its connections start with it (a kept one is set again, back to the
 * kernel's default if the directive is gone); a listener on other addresses
 * leaves it to the worker, for each connection from this host.
 */
void apply_loopback_congestion(apr_pool_t* p, x0_server_t* s, listener* l)
{
    const char* name = core_server_conf(s)->loopback_congestion;
    if (!is_loopback_host(l->host)) {
        l->loopback_congestion = name;
        return;
    }
    l->loopback_congestion = nullptr;
    if (!name)
        name = system_congestion_control(p);
    if (int refused = name ? set_congestion_control(l->fd, name) : 0)
        x0_log_error(X0LOG(00416), X0_LOG_WARNING, APR_FROM_OS_ERROR(refused), s,
                     "%s: could not set TCP congestion control %s", l->name, name);
}

/**
 * AcceptFilter: with "data" the kernel hands a connection over once its first
 * bytes are in (TCP_DEFER_ACCEPT), so a worker wakes once per connection
 * and reads the request at once (connection_start), instead of waking for
 * the accept and again for the request; a client that sends nothing never
 * costs the worker a connection.
 * httpd's 30 s: a connection still silent then is handed over anyway, and
 * Timeout takes it from there. A kept socket is set again, off for "none".
 */
void apply_accept_filter(x0_server_t* s, listener* l)
{
    const char* filter = apr_table_get(core_server_conf(s)->accept_filters, l->protocol);
    int seconds = filter && strcmp(filter, "data") == 0 ? 30 : 0;
    bool set = setsockopt(l->fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds, sizeof(seconds)) == 0;
    if (!set)
        x0_log_error(X0LOG(00417), X0_LOG_WARNING, APR_FROM_OS_ERROR(errno), s,
                     "%s: could not set the accept filter", l->name);
    l->defers_accept = set && seconds > 0;
}

} // namespace

bool holds_fd(const listener_set* set, int fd)
{
    for (int i = 0; set && i < set->count; ++i)
        if (set->items[i].fd == fd)
            return true;
    return false;
}

bool open_listeners(apr_pool_t* p, x0_server_t* s, const listener_set* carried,
                    listener_set* out, const char** error)
{
    core_server_config* conf = core_server_conf(s);
    auto* items = static_cast<listener*>(apr_pcalloc(p, sizeof(listener) * conf->listens->nelts));
    for (int i = 0; i < conf->listens->nelts; ++i) {
        const listen_addr& la = APR_ARRAY_IDX(conf->listens, i, listen_addr);
        listener& l = items[i];
        l.name = apr_psprintf(p, "%s:%u", la.host ? la.host : "*", la.port);
        // Copies: the set outlives the configuration that listed it (it is
        // matched against the next one at a reload).
        l.host = la.host ? apr_pstrdup(p, la.host) : nullptr;
        l.port = la.port;
        l.protocol = apr_pstrdup(p, la.protocol);
        l.fd = -1;
        for (int j = 0; carried && j < carried->count; ++j)
            if (same_address(carried->items[j], la)) {
                l.fd = carried->items[j].fd;
                listen(l.fd, conf->listen_backlog);  // Linux takes a new backlog this way
            }
        if (l.fd < 0) {
            const char* reason = "";
            l.fd = bind_one(la, conf->listen_backlog, &reason);
            if (l.fd < 0) {
                *error = apr_psprintf(p, "%s:%d: could not bind to %s: %s", la.file, la.line,
                                      l.name, reason);
                listener_set partial = {items, i};
                close_new_listeners(carried, &partial);
                return false;
            }
        }
        apply_loopback_congestion(p, s, &l);
        apply_accept_filter(s, &l);
    }
    *out = {items, conf->listens->nelts};
    return true;
}

const char* held_addresses(apr_pool_t* p, const listener_set* set)
{
    const char* out = "";
    for (int i = 0; i < set->count; ++i)
        out = apr_pstrcat(p, out, i ? " " : "", set->items[i].name, nullptr);
    return out;
}

const char* try_new_listeners(apr_pool_t* p, x0_server_t* s, const char* held)
{
    core_server_config* conf = core_server_conf(s);
    for (int i = 0; i < conf->listens->nelts; ++i) {
        const listen_addr& la = APR_ARRAY_IDX(conf->listens, i, listen_addr);
        // Names are "ADDR:PORT" as open_listeners makes them: compare whole words.
        const char* name = apr_psprintf(p, "%s:%u", la.host ? la.host : "*", la.port);
        const char* at = held;
        size_t n = strlen(name);
        bool is_held = false;
        while (!is_held && (at = strstr(at, name))) {
            is_held = (at == held || at[-1] == ' ') && (at[n] == ' ' || at[n] == '\0');
            at += n;
        }
        if (is_held)
            continue;
        const char* reason = "";
        int fd = bind_one(la, conf->listen_backlog, &reason);
        if (fd < 0)
            return apr_psprintf(p, "%s:%d: could not bind to %s: %s", la.file, la.line, name,
                                reason);
        close(fd);
    }
    return nullptr;
}

void close_dropped_listeners(const listener_set* old, const listener_set* now)
{
    for (int i = 0; old && i < old->count; ++i)
        if (!holds_fd(now, old->items[i].fd))
            close(old->items[i].fd);
}

void close_new_listeners(const listener_set* old, const listener_set* now)
{
    for (int i = 0; i < now->count; ++i)
        if (!holds_fd(old, now->items[i].fd))
            close(now->items[i].fd);
}

} // namespace x0
