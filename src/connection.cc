/*
 * The connection state machine: read, parse, run, write, then either wait
 * idle (and give the pool back) or close.
 *
 * Everything happens in libev callbacks. A callback that closes the
 * connection returns the record to the worker's free list as its very last
 * step; nothing touches the record after close_connection().
 */
#include "connection.h"

#include <arpa/inet.h>
#include <cerrno>
#include <new>
#include <sys/socket.h>
#include <unistd.h>

#include <apr_strings.h>

#include "hooks.h"
#include "log.h"
#include "request.h"
#include "vhost.h"

namespace x0 {
namespace {

/** After the response the client gets this long to finish sending and close. */
constexpr ev_tstamp linger_seconds = 2.0;

ev_tstamp seconds(apr_interval_time_t t)
{
    return static_cast<ev_tstamp>(t) / APR_USEC_PER_SEC;
}

x0_server_t* server_of(connection* c)
{
    return c->w->server;
}

/**
 * One timer per connection, re-armed lazily (ev.pod, "Be smart about
 * timeouts"): moving the deadline later is a store; the callback re-arms
 * for the rest when it fires early.
 */
void set_timeout(connection* c, ev_tstamp after)
{
    struct ev_loop* loop = c->w->loop;
    c->deadline = ev_now(loop) + after;
    if (ev_is_active(&c->timer)) {
        if (ev_timer_remaining(loop, &c->timer) <= after)
            return;
        ev_timer_stop(loop, &c->timer);
    }
    ev_timer_set(&c->timer, after, 0.);
    ev_timer_start(loop, &c->timer);
}

void watch(connection* c, int events)
{
    struct ev_loop* loop = c->w->loop;
    if (ev_is_active(&c->io) && (c->io.events & (EV_READ | EV_WRITE)) == events)
        return;
    ev_io_stop(loop, &c->io);
    if (events) {
        ev_io_set(&c->io, c->fd, events);
        ev_io_start(loop, &c->io);
    }
}

void deactivate(connection* c)
{
    if (c->active) {
        apr_pool_destroy(c->active->pub.pool);
        c->active = nullptr;
    }
}

void close_connection(connection* c)
{
    ev_io_stop(c->w->loop, &c->io);
    ev_timer_stop(c->w->loop, &c->timer);
    deactivate(c);
    close(c->fd);
    c->phase = conn_phase::closed;
    worker_release(c->w, c);
}

/** A suspended handler waits for the body, the socket, or both. */
void watch_handling(connection* c)
{
    conn_active* a = c->active;
    bool wants_body = state_of(a->handling)->body.waiting;
    watch(c, (a->out.blocked ? EV_WRITE : 0) | (wants_body ? EV_READ : 0));
    if (wants_body || a->out.blocked)
        set_timeout(c, seconds(server_of(c)->timeout));
}

void on_output_blocked(void* owner)
{
    auto* c = static_cast<connection*>(owner);
    if (c->active->handling)
        watch_handling(c);
    else
        watch(c, EV_WRITE);
    set_timeout(c, seconds(server_of(c)->timeout));
}

const char* format_address(const sockaddr* sa, apr_pool_t* p, int* port)
{
    char buf[INET6_ADDRSTRLEN];
    const void* addr;
    if (sa->sa_family == AF_INET6) {
        addr = &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
        *port = ntohs(reinterpret_cast<const sockaddr_in6*>(sa)->sin6_port);
    } else {
        addr = &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr;
        *port = ntohs(reinterpret_cast<const sockaddr_in*>(sa)->sin_port);
    }
    if (!inet_ntop(sa->sa_family, addr, buf, sizeof(buf)))
        return "-";
    return apr_pstrdup(p, buf);
}

/**
 * The address the client connected to: the listener's when it is bound to
 * one, so only a wildcard listener costs a getsockname() (per activation:
 * an idle connection does not keep it).
 */
void set_local_address(connection* c, x0_conn_t* pub)
{
    if (c->via->host) {
        pub->local_ip = c->via->host;
        pub->local_port = c->via->port;
        return;
    }
    sockaddr_in6 local;
    socklen_t len = sizeof local;
    if (getsockname(c->fd, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
        pub->local_ip = format_address(reinterpret_cast<sockaddr*>(&local), pub->pool,
                                       &pub->local_port);
    } else {
        pub->local_ip = "-";
        pub->local_port = c->via->port;
    }
}

/** Give the connection a pool and everything that lives in it. */
bool activate(connection* c)
{
    apr_pool_t* p;
    if (apr_pool_create(&p, c->w->pool) != APR_SUCCESS)
        return false;
    auto* a = static_cast<conn_active*>(apr_pcalloc(p, sizeof(conn_active)));
    a->parser = new (apr_palloc(p, sizeof(request_parser))) request_parser();
    a->rec = c;
    a->pub.pool = p;
    a->pub.bucket_alloc = apr_bucket_alloc_create(p);
    a->pub.client_ip = format_address(&c->peer.sa, p, &a->pub.client_port);
    set_local_address(c, &a->pub);
    a->pub.base_server = vhost_for_address(server_of(c), a->pub.local_ip, a->pub.local_port);
    a->pub.keepalives = c->requests;
    a->pub.keepalive = 1;
    a->in = apr_brigade_create(p, a->pub.bucket_alloc);
    output_init(&a->out, c->fd, on_output_blocked, c, p, a->pub.bucket_alloc);
    x0_add_input_filter("CORE_IN", a, nullptr, &a->pub);
    x0_add_output_filter("CORE_OUT", &a->out, nullptr, &a->pub);
    c->active = a;
    if (run_pre_connection(&a->pub) != X0_OK)
        return false;
    return true;
}

/** Nothing buffered either way and no request in flight: give the pool back. */
void go_idle(connection* c)
{
    deactivate(c);
    c->phase = conn_phase::idle;
    watch(c, EV_READ);
    set_timeout(c, seconds(server_of(c)->keep_alive_timeout));
}

/**
 * The response is out and the connection ends: shut our side and read until
 * the client closes, so that unread request bytes do not make the kernel
 * answer with a reset that could destroy the response in flight
 * (RFC 9112 section 9.6).
 */
void linger(connection* c)
{
    // Nothing unread on our side and nothing more in the socket: the client
    // sent no more than we answered, so a plain close cannot reset anything
    // (one recv here saves a turn of the loop per connection).
    bool unread = c->active && !APR_BRIGADE_EMPTY(c->active->in);
    deactivate(c);
    if (!unread) {
        ssize_t n = recv(c->fd, c->w->read_buffer, sizeof(c->w->read_buffer), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EINTR)) {
            close_connection(c);
            return;
        }
    }
    if (shutdown(c->fd, SHUT_WR) != 0) {
        close_connection(c);
        return;
    }
    c->phase = conn_phase::lingering;
    watch(c, EV_READ);
    ev_timer_stop(c->w->loop, &c->timer);
    set_timeout(c, linger_seconds);
}

void drain_lingering(connection* c)
{
    for (int i = 0; i < 4; ++i) {
        ssize_t n = recv(c->fd, c->w->read_buffer, sizeof(c->w->read_buffer), 0);
        if (n > 0)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        break;
    }
    close_connection(c);
}

/** Feed buffered input to the parser; the head's bytes leave c->in. */
parse_status parse_head(conn_active* a)
{
    if (!a->parsing) {
        a->parsing = request_create(&a->pub);
        x0_server_t* s = a->pub.base_server;
        a->parser->reset(a->parsing->pool,
                        {s->limit_req_line, s->limit_req_fieldsize, s->limit_req_fields});
        set_timeout(a->rec, seconds(s->timeout));
    }
    while (!APR_BRIGADE_EMPTY(a->in)) {
        apr_bucket* b = APR_BRIGADE_FIRST(a->in);
        const char* data;
        apr_size_t len, used;
        apr_bucket_read(b, &data, &len, APR_BLOCK_READ);
        parse_status st = a->parser->feed(data, len, &used);
        if (used < len)
            apr_bucket_split(b, used);
        apr_bucket_delete(b);
        if (st != parse_status::need_more)
            return st;
    }
    return parse_status::need_more;
}

/** After the last response of a connection that ends. */
void finish(connection* c)
{
    conn_active* a = c->active;
    if (output_empty(&a->out))
        linger(c);
    // else: the write watcher is armed; on_writable comes back here
}

/**
 * Serve what is buffered, then wait. @a may_read says whether the socket may
 * hold unread bytes (we came from a readable event, or the last read filled
 * the buffer); otherwise the read watcher tells us when there are.
 */
void process(connection* c, bool may_read)
{
    conn_active* a = c->active;
    bool input_ended = false;
    for (;;) {
        if (a->handling || a->out.flow_stopped)
            return;  // a handler owns the connection, or we wait for the client to read
        if (!a->pub.keepalive)
            break;
        if (APR_BRIGADE_EMPTY(a->in)) {
            // Serve responses to everything buffered before reading again:
            // a pipelined batch goes out in one write.
            if (!a->out.blocked && output_write(&a->out) != APR_SUCCESS) {
                close_connection(c);
                return;
            }
            if (!may_read)
                break;
            apr_status_t rv = x0_get_brigade(a->pub.input_filters, a->in, X0_MODE_READBYTES,
                                             sizeof(c->w->read_buffer));
            if (rv == APR_EAGAIN)
                break;
            if (rv != APR_SUCCESS) {  // EOF or error: no more requests will come
                input_ended = true;
                break;
            }
            may_read = APR_BRIGADE_FIRST(a->in)->length == sizeof(c->w->read_buffer);
        }
        parse_status st = parse_head(a);
        if (st == parse_status::need_more)
            continue;
        x0_request_t* r = a->parsing;
        a->parsing = nullptr;
        request_take_head(r, a->parser->head);
        if (st == parse_status::error) {
            request_fail(r, a->parser->error_status());
            continue;
        }
        a->pub.keepalives = ++c->requests;
        if (request_run(r) == X0_SUSPENDED) {
            a->handling = r;
            c->phase = conn_phase::handling;
            watch_handling(c);
            return;
        }
    }
    if (input_ended || !a->pub.keepalive) {
        a->pub.keepalive = 0;
        if (!a->out.blocked && output_write(&a->out) != APR_SUCCESS) {
            close_connection(c);
            return;
        }
        finish(c);
        return;
    }
    if (a->out.blocked)
        return;  // on_writable goes on
    if (!a->parsing && APR_BRIGADE_EMPTY(a->in) && output_empty(&a->out)) {
        go_idle(c);
        return;
    }
    watch(c, EV_READ);
}

/** The body a suspended handler waits for may have come. */
void resume_for_body(connection* c)
{
    x0_request_t* r = c->active->handling;
    if (!state_of(r)->body.waiting) {
        watch_handling(c);  // a late event: the handler is not reading now
        return;
    }
    state_of(r)->body.waiting = false;
    r->resume(r);  // may finish the request and re-enter process()
    if (c->phase == conn_phase::handling && c->active->handling == r)
        watch_handling(c);
}

void on_readable(connection* c)
{
    if (c->phase == conn_phase::lingering) {
        drain_lingering(c);
        return;
    }
    if (c->phase == conn_phase::handling) {
        resume_for_body(c);
        return;
    }
    if (!c->active) {
        if (!activate(c)) {
            close_connection(c);
            return;
        }
        c->phase = conn_phase::reading;
    }
    process(c, true);
}

void on_writable(connection* c)
{
    conn_active* a = c->active;
    if (!a) {
        watch(c, 0);
        return;
    }
    if (output_write(&a->out) != APR_SUCCESS) {
        close_connection(c);
        return;
    }
    if (a->out.blocked) {
        set_timeout(c, seconds(server_of(c)->timeout));  // progress: the send timeout restarts
        return;
    }
    if (a->handling) {
        x0_request_t* r = a->handling;
        watch_handling(c);
        if (a->out.flow_stopped && output_may_resume(&a->out)) {
            a->out.flow_stopped = false;
            r->resume(r);  // may finish the request and re-enter process()
            if (c->phase == conn_phase::handling && c->active->handling == r)
                watch_handling(c);
        }
        return;
    }
    watch(c, EV_READ);
    a->out.flow_stopped = false;
    if (!a->pub.keepalive) {
        finish(c);
        return;
    }
    process(c, false);
}

void io_callback(struct ev_loop*, ev_io* w, int revents)
{
    auto* c = static_cast<connection*>(w->data);
    if (revents & EV_WRITE) {
        on_writable(c);
        return;  // a readable event is seen on the next turn, with a fresh record state
    }
    if (revents & EV_READ)
        on_readable(c);
}

void timer_callback(struct ev_loop* loop, ev_timer* w, int)
{
    auto* c = static_cast<connection*>(w->data);
    ev_tstamp left = c->deadline - ev_now(loop);
    if (left > 0.001) {
        ev_timer_set(w, left, 0.);
        ev_timer_start(loop, w);
        return;
    }
    if (c->phase != conn_phase::idle && c->phase != conn_phase::lingering)
        x0_log_error(X0LOG(00201), X0_LOG_INFO, 0, server_of(c), "connection timed out");
    close_connection(c);
}

} // namespace

void connection_start(worker* w, connection* c, int fd, const listener* via)
{
    c->w = w;
    c->via = via;
    c->fd = fd;
    c->active = nullptr;
    c->requests = 0;
    c->phase = conn_phase::idle;
    ev_io_init(&c->io, io_callback, fd, EV_READ);
    c->io.data = c;
    ev_init(&c->timer, timer_callback);
    c->timer.data = c;
    ev_io_start(w->loop, &c->io);
    set_timeout(c, seconds(w->server->timeout));  // the first request gets Timeout, not KeepAliveTimeout
}

void connection_request_finished(conn_active* a, x0_request_t* r)
{
    connection* c = a->rec;
    a->handling = nullptr;
    c->phase = conn_phase::reading;
    request_finish(r);
    if (a->out.blocked)
        return;  // on_writable goes on once the socket drains
    process(c, false);
}

} // namespace x0

extern "C" void x0_request_finished(x0_request_t* r)
{
    x0::connection_request_finished(x0::active_of(r->connection), r);
}
