/*
 * A worker: one process, one libev loop. It accepts on every listener until
 * EAGAIN, and pauses accepting (instead of spinning) when it runs out of file
 * descriptors or reaches MaxConnections (ev.pod, "The special problem of
 * accept()ing when you can't").
 *
 * Stopping (docs/operations.md): the worker closes its copies of the
 * listening sockets (the master and the next generation keep theirs, so no
 * queued connection is lost), answers every further request with
 * `Connection: close`, lets idle connections go, and leaves the loop when
 * its last connection closes -- at once for SIGUSR1 (graceful; the master
 * bounds it with GracefulShutdownTimeout), or after stop_grace_seconds for
 * SIGTERM, which then cuts what is still in flight.
 */
#include "worker.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <initializer_list>
#include <new>
#include <sys/socket.h>
#include <unistd.h>

#include "connection.h"
#include "core_config.h"
#include "hooks.h"
#include "log.h"
#include "loopback_congestion.h"
#include "modules.h"
#include "privileges.h"
#include "scoreboard.h"

namespace x0 {
namespace {

constexpr ev_tstamp accept_pause_seconds = 0.5;
/** Fresh connections accepted per listener event, so one listener cannot starve the loop. */
constexpr int accepts_per_event = 64;
/** Free blocks the worker's allocator keeps for reuse. */
constexpr apr_size_t allocator_max_free = 4 * 1024 * 1024;
/** SIGTERM: what is in flight gets this long before the loop ends under it. */
constexpr ev_tstamp stop_grace_seconds = 1.0;
/**
 * A graceful stop keeps an idle keep-alive connection this long (at most
 * KeepAliveTimeout): a client that is about to reuse it sends its request
 * and gets the answer with `Connection: close` instead of a closed socket.
 */
constexpr ev_tstamp graceful_idle_seconds = 1.0;

void set_accepting(worker* w, bool on)
{
    if (w->accepting == on)
        return;
    w->accepting = on;
    for (int i = 0; i < w->listener_count; ++i) {
        if (on)
            ev_io_start(w->loop, &w->accept_watchers[i]);
        else
            ev_io_stop(w->loop, &w->accept_watchers[i]);
    }
}

} // namespace

/**
 * Records are allocated a block at a time, so that a stop can walk every
 * record without a link in each: an idle connection costs its record alone
 * (connection.h), and the block's link is shared by many.
 */
constexpr int records_per_block = 32;
struct record_block {
    record_block* next;
    connection records[records_per_block];
};

namespace {

connection* take_record(worker* w)
{
    if (!w->free_connections) {
        auto* block = static_cast<record_block*>(apr_palloc(w->pool, sizeof(record_block)));
        block->next = w->record_blocks;
        w->record_blocks = block;
        for (connection& c : block->records) {
            c.phase = conn_phase::closed;  // until connection_start
            c.next_free = w->free_connections;
            w->free_connections = &c;
        }
    }
    connection* c = w->free_connections;
    w->free_connections = c->next_free;
    return c;
}

void accept_callback(struct ev_loop*, ev_io* watcher, int)
{
    auto* w = static_cast<worker*>(watcher->data);
    for (int i = 0; i < accepts_per_event; ++i) {
        if (w->connection_count >= w->max_connections) {
            set_accepting(w, false);  // worker_release resumes
            return;
        }
        connection* c = take_record(w);
        socklen_t len = sizeof(c->peer);
        int fd = accept4(watcher->fd, &c->peer.sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            c->next_free = w->free_connections;
            w->free_connections = c;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                x0_log_error(X0LOG(00301), X0_LOG_ERR, APR_FROM_OS_ERROR(errno), w->server,
                             "accept failed; pausing");
                set_accepting(w, false);
                ev_timer_set(&w->accept_pause, accept_pause_seconds, 0.);
                ev_timer_start(w->loop, &w->accept_pause);
            }
            return;  // EAGAIN: all taken; anything else: the client gave up
        }
        ++w->connection_count;
        const listener* l = &w->listeners[watcher - w->accept_watchers];
        if (l->loopback_congestion && is_loopback(&c->peer.sa))
            set_congestion_control(fd, l->loopback_congestion);  // if refused, the default serves
        connection_start(w, c, fd, l);
    }
}

void accept_pause_callback(struct ev_loop*, ev_timer* t, int)
{
    set_accepting(static_cast<worker*>(t->data), true);
}

/** Closing the listeners with connections still queued is safe only while others hold them. */
void close_listeners(worker* w)
{
    for (int i = 0; i < w->listener_count; ++i)
        if (w->listeners[i].fd >= 0) {
            close(w->listeners[i].fd);
            w->listeners[i].fd = -1;
        }
}

void stop_grace_callback(struct ev_loop* loop, ev_timer*, int)
{
    ev_break(loop, EVBREAK_ALL);
}

/** Stop accepting and let the connections end; @a hard: cut them after a grace. */
void worker_stop(worker* w, bool hard)
{
    if (!w->stopping) {
        w->stopping = true;
        set_accepting(w, false);
        ev_timer_stop(w->loop, &w->accept_pause);
        close_listeners(w);
        x0_log_error(X0LOG(00302), X0_LOG_INFO, 0, w->server, "worker stopping%s (%d open "
                     "connection(s))", hard ? "" : " gracefully", w->connection_count);
    }
    ev_tstamp keep = static_cast<ev_tstamp>(w->server->keep_alive_timeout) / APR_USEC_PER_SEC;
    w->idle_grace = hard ? 0 : (keep < graceful_idle_seconds ? keep : graceful_idle_seconds);
    for (record_block* b = w->record_blocks; b; b = b->next)
        for (connection& c : b->records)
            if (c.phase != conn_phase::closed)
                connection_worker_stopping(&c, w->idle_grace);
    if (hard && !ev_is_active(&w->stop_grace)) {
        ev_timer_set(&w->stop_grace, stop_grace_seconds, 0.);
        ev_timer_start(w->loop, &w->stop_grace);
    }
    if (w->connection_count == 0)
        ev_break(w->loop, EVBREAK_ALL);
}

void stop_callback(struct ev_loop*, ev_signal* s, int)
{
    worker_stop(static_cast<worker*>(s->data), true);
}

void graceful_callback(struct ev_loop*, ev_signal* s, int)
{
    worker_stop(static_cast<worker*>(s->data), false);
}

void start_signal(worker* w, ev_signal* watcher, void (*cb)(struct ev_loop*, ev_signal*, int),
                  int signum)
{
    ev_signal_init(watcher, cb, signum);
    watcher->data = w;
    ev_signal_start(w->loop, watcher);
}

/** Tell whoever waits (the master) that this worker accepts now. */
void say_ready(int ready_fd)
{
    if (ready_fd < 0)
        return;
    char ready = 1;
    ssize_t ignored = write(ready_fd, &ready, 1);
    (void)ignored;
    close(ready_fd);
}

} // namespace

void** worker_take_state(worker* w)
{
    void** slots = w->free_states;
    size_t size = sizeof(void*) * static_cast<size_t>(module_count());
    if (slots)
        w->free_states = static_cast<void**>(slots[0]);
    else
        slots = static_cast<void**>(apr_palloc(w->pool, size));
    memset(slots, 0, size);
    return slots;
}

void worker_release_state(worker* w, void** slots)
{
    slots[0] = w->free_states;
    w->free_states = slots;
}

void worker_release(worker* w, connection* c)
{
    c->next_free = w->free_connections;
    w->free_connections = c;
    --w->connection_count;
    if (w->stopping) {
        if (w->connection_count == 0)
            ev_break(w->loop, EVBREAK_ALL);
        return;
    }
    if (!w->accepting && !ev_is_active(&w->accept_pause))
        set_accepting(w, true);
}

int worker_main(x0_server_t* s, listener* listeners, int listener_count, int ready_fd)
{
    apr_allocator_t* allocator;
    apr_allocator_create(&allocator);
    apr_allocator_max_free_set(allocator, allocator_max_free);
    apr_pool_t* pool;
    apr_pool_create_ex(&pool, nullptr, nullptr, allocator);
    apr_allocator_owner_set(allocator, pool);

    if (const char* why = drop_privileges(pool, s)) {
        x0_log_error(X0LOG(00303), X0_LOG_CRIT, 0, s, "worker cannot change its user: %s", why);
        apr_pool_destroy(pool);
        return 1;
    }

    auto* w = new (apr_pcalloc(pool, sizeof(worker))) worker();
    w->loop = ev_default_loop(EVFLAG_AUTO);
    w->pool = pool;
    w->allocator = allocator;
    w->server = s;
    w->listeners = listeners;
    w->listener_count = listener_count;
    w->max_connections = core_server_conf(s)->max_connections;
    scoreboard_attach(pool, w->loop);  // the slot goes back with the pool
    w->accept_watchers = static_cast<ev_io*>(apr_pcalloc(pool, sizeof(ev_io) * listener_count));
    for (int i = 0; i < listener_count; ++i) {
        ev_io_init(&w->accept_watchers[i], accept_callback, listeners[i].fd, EV_READ);
        w->accept_watchers[i].data = w;
    }
    ev_init(&w->accept_pause, accept_pause_callback);
    w->accept_pause.data = w;
    ev_init(&w->stop_grace, stop_grace_callback);
    start_signal(w, &w->stop_signal, stop_callback, SIGTERM);
    start_signal(w, &w->interrupt_signal, stop_callback, SIGINT);
    start_signal(w, &w->graceful_signal, graceful_callback, SIGUSR1);
    // HUP and WINCH are the master's (a terminal sends them to the whole
    // process group: a hang-up or a resized window must not stop a worker).
    signal(SIGHUP, SIG_IGN);
    signal(SIGWINCH, SIG_IGN);
    // main() held the signals until these handlers existed; one sent
    // meanwhile is delivered now. SIGCHLD goes back to its default for
    // modules that run children (piped loggers).
    sigset_t held;
    sigemptyset(&held);
    for (int sig : {SIGTERM, SIGINT, SIGUSR1, SIGHUP, SIGWINCH, SIGCHLD})
        sigaddset(&held, sig);
    sigprocmask(SIG_UNBLOCK, &held, nullptr);

    run_child_init(pool, s);
    if (!w->stopping)
        set_accepting(w, true);
    say_ready(ready_fd);
    ev_run(w->loop, 0);
    apr_pool_destroy(pool);
    return 0;
}

} // namespace x0
