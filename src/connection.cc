/*
 * The connection state machine: read, parse, run, write, then either wait
 * idle (and give the pool back) or close.
 *
 * Everything happens in libev callbacks. close_connection() puts the record
 * on the worker's free list as its last step; a callback may still see its
 * phase (closed) before it returns, and touches nothing else.
 *
 * Readiness. Two operations can be parked on the socket: input (the next
 * head, or the body a suspended handler reads) and output (what CORE_OUT
 * and the connection filters hold). Each waits for readable or writable;
 * a TLS filter can make either wait for either (x0_filter_wait):
 *
 *   input  / readable   the client has sent nothing more yet
 *   input  / writable   a TLS read must write first (its handshake flight)
 *   output / writable   the socket is full, or a filter holds data behind it
 *   output / readable   a TLS write must read first
 *
 * arm() is the one place that turns the two into the watcher's events, and
 * io_callback the one place that hands an event to what waits for it:
 * output first, so that a read that waited for its bytes to go out finds
 * them gone.
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
#include "scoreboard.h"
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

int events_for(wait_for w)
{
    return w == wait_for::readable ? EV_READ : w == wait_for::writable ? EV_WRITE : 0;
}

/** The events the output operation waits for. */
int output_events(const conn_active* a)
{
    return (a->out.blocked ? EV_WRITE : 0) | events_for(a->output_waits);
}

/** The events the input operation waits for: a suspended handler's body, or the next head. */
int input_events(const connection* c)
{
    const conn_active* a = c->active;
    if (c->phase == conn_phase::handling) {
        if (!state_of(a->handling)->body.waiting)
            return 0;
        return a->input_waits == wait_for::nothing ? EV_READ : events_for(a->input_waits);
    }
    return events_for(a->input_waits);
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

/** CORE_OUT stopped at a pipe with nothing yet: watch the pipe, not the socket. */
void watch_source(conn_active* a)
{
    struct ev_loop* loop = a->rec->w->loop;
    bool wanted = a->out.source_wait && a->out.source_fd >= 0;
    if (ev_is_active(&a->source) && (!wanted || a->source.fd != a->out.source_fd))
        ev_io_stop(loop, &a->source);
    if (wanted && !ev_is_active(&a->source)) {
        ev_io_set(&a->source, a->out.source_fd, EV_READ);
        ev_io_start(loop, &a->source);
    }
}

/** Set the watchers to what the connection's operations wait for (see the top). */
void arm(connection* c)
{
    conn_active* a = c->active;
    if (c->phase == conn_phase::idle || c->phase == conn_phase::lingering) {
        watch(c, EV_READ);  // a new request, or the client's close
        return;
    }
    if (!a) {
        watch(c, 0);
        return;
    }
    watch(c, output_events(a) | input_events(c));
    watch_source(a);
}

/** Nothing held for output anywhere: CORE_OUT is empty and no filter waits. */
bool output_settled(const conn_active* a)
{
    return output_empty(&a->out) && a->output_waits == wait_for::nothing;
}

/**
 * Pass @a first (a metadata bucket or NULL) and a FLUSH down the connection's
 * output chain: every filter writes what it holds, as far as the socket
 * takes it. A X0_FLOW_STOP here told no producer anything.
 */
apr_status_t drive_output(conn_active* a, apr_bucket* first = nullptr)
{
    bool stopped = a->out.flow_stopped;
    a->output_waits = wait_for::nothing;
    if (first)
        APR_BRIGADE_INSERT_TAIL(a->drive, first);
    APR_BRIGADE_INSERT_TAIL(a->drive, apr_bucket_flush_create(a->pub.bucket_alloc));
    apr_status_t rv = x0_pass_brigade(a->pub.output_filters, a->drive);
    apr_brigade_cleanup(a->drive);
    a->out.flow_stopped = stopped;
    return rv == X0_FLOW_STOP ? APR_SUCCESS : rv;
}

/** Every phase change goes through here: the scoreboard counts connections by phase. */
void set_phase(connection* c, conn_phase to)
{
    scoreboard_conn_move(c, to);
    c->phase = to;
}

void deactivate(connection* c)
{
    conn_active* a = c->active;
    if (!a)
        return;
    ev_io_stop(c->w->loop, &a->source);
    scoreboard_conn_pool_done(a->pub.pool);
    apr_pool_destroy(a->pub.pool);
    c->active = nullptr;
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

void on_output_stall(void* owner);
void source_callback(struct ev_loop*, ev_io* w, int);

/** Give the connection a pool and everything that lives in it; no hooks run. */
bool give_pool(connection* c)
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
    a->pub.fd = c->fd;
    a->pub.listener = c->via->name;
    a->pub.listener_protocol = c->via->protocol;
    a->in = apr_brigade_create(p, a->pub.bucket_alloc);
    a->core_in = apr_brigade_create(p, a->pub.bucket_alloc);
    a->request_end = apr_brigade_create(p, a->pub.bucket_alloc);
    a->drive = apr_brigade_create(p, a->pub.bucket_alloc);
    ev_init(&a->source, source_callback);
    a->source.data = c;
    output_init(&a->out, c->fd, on_output_stall, c, p, a->pub.bucket_alloc);
    x0_add_input_filter("CORE_IN", a, nullptr, &a->pub);
    x0_add_output_filter("CORE_OUT", &a->out, nullptr, &a->pub);
    c->active = a;
    return true;
}

/** The connection wakes (or is new): a pool, then the modules' connection filters. */
bool activate(connection* c)
{
    return give_pool(c) && run_pre_connection(&c->active->pub) == X0_OK;
}

void close_connection(connection* c)
{
    ev_io_stop(c->w->loop, &c->io);
    ev_timer_stop(c->w->loop, &c->timer);
    if (c->opened) {
        c->opened = false;
        // connection_closing always sees a pool, also when the connection was idle.
        if (c->active || give_pool(c))
            run_connection_closing(&c->active->pub);
    }
    deactivate(c);
    if (c->module_state) {
        worker_release_state(c->w, c->module_state);
        c->module_state = nullptr;
    }
    close(c->fd);
    set_phase(c, conn_phase::closed);
    worker_release(c->w, c);
}

/** A suspended handler waits for the body, the socket, or both. */
void park_handling(connection* c)
{
    conn_active* a = c->active;
    arm(c);
    if (state_of(a->handling)->body.waiting || a->out.blocked)
        set_timeout(c, seconds(server_of(c)->timeout));
}

/** CORE_OUT stopped writing (socket full, or a source with nothing yet). */
void on_output_stall(void* owner)
{
    auto* c = static_cast<connection*>(owner);
    arm(c);
    set_timeout(c, seconds(server_of(c)->timeout));
}

/** Nothing buffered either way and no request in flight: give the pool back. */
void go_idle(connection* c)
{
    deactivate(c);
    set_phase(c, conn_phase::idle);
    arm(c);
    ev_tstamp keep = seconds(server_of(c)->keep_alive_timeout);
    // A stopping worker keeps an idle connection only for its short grace
    // (a response it promised keep-alive to before the stop ends here).
    set_timeout(c, c->w->stopping && c->w->idle_grace < keep ? c->w->idle_grace : keep);
}

/** Input the client sent that no layer has consumed. */
bool has_unread(const conn_active* a)
{
    return !APR_BRIGADE_EMPTY(a->in) || !APR_BRIGADE_EMPTY(a->core_in) || a->input_more;
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
    bool unread = c->active && has_unread(c->active);
    deactivate(c);  // connection_closing gets a fresh pool at the close
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
    set_phase(c, conn_phase::lingering);
    arm(c);
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

/** Feed buffered input to the parser; the head's bytes leave a->in. */
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
        apr_bucket_read(b, &data, &len, APR_BLOCK_READ);  // heap buckets: never waits
        parse_status st = a->parser->feed(data, len, &used);
        if (used < len)
            apr_bucket_split(b, used);
        apr_bucket_delete(b);
        if (st != parse_status::need_more)
            return st;
    }
    return parse_status::need_more;
}

/**
 * After the last response of a connection that ends: the end-of-connection
 * bucket goes down (a TLS filter writes close_notify in front of it), and
 * once everything is out, the connection lingers.
 */
void finish(connection* c)
{
    conn_active* a = c->active;
    apr_status_t rv = APR_SUCCESS;
    if (!a->eoc_sent) {
        a->eoc_sent = true;
        rv = drive_output(a, x0_bucket_eoc_create(a->pub.bucket_alloc));
    }
    if (rv != APR_SUCCESS) {
        close_connection(c);
        return;
    }
    if (output_settled(a))
        linger(c);
    else
        arm(c);  // on_output_ready comes back here
}

/**
 * Serve what is buffered, then wait. @a may_read says whether the socket may
 * hold unread bytes (we came from a readable event); an input filter that
 * knows of more (x0_filter_input_more) also makes us read on.
 */
void process(connection* c, bool may_read)
{
    conn_active* a = c->active;
    bool input_ended = false;
    a->input_waits = wait_for::nothing;
    for (;;) {
        if (a->handling || a->out.flow_stopped) {
            arm(c);
            return;  // a handler owns the connection, or we wait for the client to read
        }
        if (!a->pub.keepalive)
            break;
        if (APR_BRIGADE_EMPTY(a->in)) {
            // Serve responses to everything buffered before reading again:
            // a pipelined batch goes out in one write.
            if (drive_output(a) != APR_SUCCESS) {
                close_connection(c);
                return;
            }
            // A body read by the handler may have left bytes below us
            // (input_more, or CORE_IN's carry-over).
            if (!may_read && !a->input_more && APR_BRIGADE_EMPTY(a->core_in))
                break;
            may_read = false;
            a->input_more = false;
            apr_status_t rv = x0_get_brigade(a->pub.input_filters, a->in, X0_MODE_READBYTES,
                                             sizeof(c->w->read_buffer));
            if (rv == APR_EAGAIN) {
                if (a->input_waits == wait_for::nothing)
                    a->input_waits = wait_for::readable;
                break;
            }
            if (rv != APR_SUCCESS) {  // EOF or error: no more requests will come
                input_ended = true;
                break;
            }
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
        if (c->w->stopping)
            a->pub.keepalive = 0;  // answered, with `Connection: close`: the worker is leaving
        if (request_run(r) == X0_SUSPENDED) {
            a->handling = r;
            set_phase(c, conn_phase::handling);
            park_handling(c);
            return;
        }
    }
    if (input_ended || !a->pub.keepalive) {
        a->pub.keepalive = 0;
        finish(c);
        return;
    }
    // A read that waits for writable (a TLS filter's) keeps the connection.
    if (!a->parsing && !has_unread(a) && output_settled(a)
        && a->input_waits != wait_for::writable) {
        go_idle(c);
        return;
    }
    if (a->input_waits == wait_for::nothing)
        a->input_waits = wait_for::readable;  // a head is partly read: more will come
    arm(c);
}

/** The body a suspended handler waits for may have come. */
void resume_for_body(connection* c)
{
    conn_active* a = c->active;
    x0_request_t* r = a->handling;
    if (!state_of(r)->body.waiting) {
        park_handling(c);  // a late event: the handler is not reading now
        return;
    }
    state_of(r)->body.waiting = false;
    a->input_waits = wait_for::nothing;
    r->resume(r);  // may finish the request and re-enter process()
    if (c->phase == conn_phase::handling && c->active->handling == r)
        park_handling(c);
}

/**
 * What the output operation waited for has come: write on. A stopped
 * producer resumes once no filter waits and CORE_OUT is below its
 * low-water mark, while the rest is still being written.
 */
void on_output_ready(connection* c, int revents)
{
    conn_active* a = c->active;
    if (revents & EV_WRITE)
        a->out.blocked = false;
    if (drive_output(a) != APR_SUCCESS) {
        close_connection(c);
        return;
    }
    if (!output_settled(a))
        set_timeout(c, seconds(server_of(c)->timeout));  // progress: the send timeout restarts
    if (a->out.flow_stopped && a->output_waits == wait_for::nothing
        && output_may_resume(&a->out)) {
        a->out.flow_stopped = false;
        if (!a->handling) {
            process(c, false);  // pipelined requests waited for the client to read
            return;
        }
        x0_request_t* r = a->handling;
        r->resume(r);  // may finish the request and re-enter process()
        if (c->phase == conn_phase::handling && c->active->handling == r)
            park_handling(c);
        return;
    }
    if (a->handling) {
        park_handling(c);
        return;
    }
    if (!output_settled(a) || a->out.flow_stopped) {
        arm(c);
        return;
    }
    if (!a->pub.keepalive)
        finish(c);
    else
        process(c, false);
}

void on_input_ready(connection* c)
{
    if (c->phase == conn_phase::handling)
        resume_for_body(c);
    else
        process(c, true);
}

/** An idle connection's first byte arrived. */
void wake(connection* c)
{
    if (!activate(c)) {
        close_connection(c);
        return;
    }
    set_phase(c, conn_phase::reading);
    process(c, true);
}

void io_callback(struct ev_loop*, ev_io* w, int revents)
{
    auto* c = static_cast<connection*>(w->data);
    if (c->phase == conn_phase::lingering) {
        drain_lingering(c);
        return;
    }
    if (!c->active) {
        wake(c);
        return;
    }
    if (revents & output_events(c->active)) {
        on_output_ready(c, revents);
        if (!c->active || c->phase == conn_phase::closed || c->phase == conn_phase::lingering)
            return;
    }
    if (revents & input_events(c))
        on_input_ready(c);
}

/** The pipe CORE_OUT waits for has data (or its end). */
void source_callback(struct ev_loop* loop, ev_io* w, int)
{
    auto* c = static_cast<connection*>(w->data);
    ev_io_stop(loop, w);
    on_output_ready(c, 0);
}

/**
 * An idle connection timed out. If a module keeps a session on it (TLS),
 * its filters say goodbye (close_notify) with what the socket takes now;
 * nothing waits for more.
 */
void say_goodbye(connection* c)
{
    if (c->opened && activate(c))
        drive_output(c->active, x0_bucket_eoc_create(c->active->pub.bucket_alloc));
}

/**
 * Has the client sent a request the loop has not seen yet? A stopping
 * worker answers it rather than close under it (a close with unread bytes
 * is a reset, and the request would be lost).
 */
bool request_waiting(connection* c)
{
    char byte;
    return recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/** A stopping worker lets an idle connection go, unless a request raced onto it. */
void close_idle(connection* c)
{
    if (request_waiting(c)) {
        wake(c);
        return;
    }
    say_goodbye(c);
    close_connection(c);
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
    if (c->phase == conn_phase::idle && c->w->stopping) {
        close_idle(c);
        return;
    }
    if (c->phase == conn_phase::idle)
        say_goodbye(c);
    else if (c->phase != conn_phase::lingering)
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
    c->module_state = nullptr;
    c->requests = 0;
    scoreboard_conn_opened();
    c->phase = conn_phase::idle;
    c->opened = false;
    ev_io_init(&c->io, io_callback, fd, EV_READ);
    c->io.data = c;
    ev_init(&c->timer, timer_callback);
    c->timer.data = c;
    set_timeout(c, seconds(w->server->timeout));  // the first request gets Timeout, not KeepAliveTimeout
    if (!have_connection_opened_hooks()) {
        // From a deferring listener the request is in already: read it now
        // instead of a turn of the loop later (and an epoll_ctl for a
        // connection that often ends within this turn).
        if (via->defers_accept)
            wake(c);
        else
            arm(c);
        return;
    }
    // A module attaches its per-connection state now (a TLS session):
    // the connection gets its pool at accept.
    if (!give_pool(c)) {
        close_connection(c);
        return;
    }
    c->opened = true;
    if (run_connection_opened(&c->active->pub) != X0_OK
        || run_pre_connection(&c->active->pub) != X0_OK) {
        close_connection(c);
        return;
    }
    set_phase(c, conn_phase::reading);
    process(c, true);
}

void connection_worker_stopping(connection* c, ev_tstamp idle_grace)
{
    if (c->phase != conn_phase::idle)
        return;  // busy: its request ends with `Connection: close`, or the grace cuts it
    if (idle_grace <= 0)
        close_idle(c);
    else
        set_timeout(c, idle_grace);
}

void connection_request_finished(conn_active* a, x0_request_t* r)
{
    connection* c = a->rec;
    a->handling = nullptr;
    set_phase(c, conn_phase::reading);
    request_finish(r);
    process(c, false);
}

} // namespace x0

extern "C" {

void* x0_get_conn_state(const x0_conn_t* c, const x0_module_t* m)
{
    void** slots = x0::active_of(const_cast<x0_conn_t*>(c))->rec->module_state;
    return slots ? slots[m->module_index] : nullptr;
}

void x0_set_conn_state(x0_conn_t* c, const x0_module_t* m, void* state)
{
    x0::connection* rec = x0::active_of(c)->rec;
    if (!rec->module_state)
        rec->module_state = x0::worker_take_state(rec->w);
    rec->module_state[m->module_index] = state;
}

void x0_filter_wait(x0_filter_t* f, x0_wait_e what)
{
    x0::conn_active* a = x0::active_of(f->c);
    auto w = what == X0_WAIT_WRITABLE ? x0::wait_for::writable : x0::wait_for::readable;
    if (f->frec->in) {
        a->input_waits = w;  // process() or the body's reader parks on it
        return;
    }
    // An output filter holds data: its producer is told X0_FLOW_STOP.
    a->output_waits = w;
    a->out.flow_stopped = true;
    x0::arm(a->rec);
}

void x0_filter_input_more(x0_filter_t* f)
{
    x0::active_of(f->c)->input_more = true;
}

} // extern "C"

extern "C" void x0_request_finished(x0_request_t* r)
{
    x0::connection_request_finished(x0::active_of(r->connection), r);
}
