/*
 * A worker: one process, one libev loop. It accepts on every listener until
 * EAGAIN, and pauses accepting (instead of spinning) when it runs out of file
 * descriptors or reaches MaxConnections (ev.pod, "The special problem of
 * accept()ing when you can't").
 */
#include "worker.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <new>
#include <sys/socket.h>
#include <unistd.h>

#include "connection.h"
#include "core_config.h"
#include "hooks.h"
#include "log.h"
#include "modules.h"

namespace x0 {
namespace {

constexpr ev_tstamp accept_pause_seconds = 0.5;
/** Fresh connections accepted per listener event, so one listener cannot starve the loop. */
constexpr int accepts_per_event = 64;
/** Free blocks the worker's allocator keeps for reuse. */
constexpr apr_size_t allocator_max_free = 4 * 1024 * 1024;

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

connection* take_record(worker* w)
{
    connection* c = w->free_connections;
    if (c) {
        w->free_connections = c->next_free;
        return c;
    }
    return static_cast<connection*>(apr_palloc(w->pool, sizeof(connection)));
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
        connection_start(w, c, fd, &w->listeners[watcher - w->accept_watchers]);
    }
}

void accept_pause_callback(struct ev_loop*, ev_timer* t, int)
{
    set_accepting(static_cast<worker*>(t->data), true);
}

void stop_callback(struct ev_loop* loop, ev_signal*, int)
{
    ev_break(loop, EVBREAK_ALL);
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
    if (!w->accepting && !ev_is_active(&w->accept_pause))
        set_accepting(w, true);
}

int worker_main(x0_server_t* s, listener* listeners, int listener_count)
{
    apr_allocator_t* allocator;
    apr_allocator_create(&allocator);
    apr_allocator_max_free_set(allocator, allocator_max_free);
    apr_pool_t* pool;
    apr_pool_create_ex(&pool, nullptr, nullptr, allocator);
    apr_allocator_owner_set(allocator, pool);

    auto* w = new (apr_pcalloc(pool, sizeof(worker))) worker();
    w->loop = ev_default_loop(EVFLAG_AUTO);
    w->pool = pool;
    w->allocator = allocator;
    w->server = s;
    w->listeners = listeners;
    w->listener_count = listener_count;
    w->max_connections = core_server_conf(s)->max_connections;
    w->accept_watchers = static_cast<ev_io*>(apr_pcalloc(pool, sizeof(ev_io) * listener_count));
    for (int i = 0; i < listener_count; ++i) {
        ev_io_init(&w->accept_watchers[i], accept_callback, listeners[i].fd, EV_READ);
        w->accept_watchers[i].data = w;
    }
    ev_init(&w->accept_pause, accept_pause_callback);
    w->accept_pause.data = w;
    ev_signal_init(&w->stop_signal, stop_callback, SIGTERM);
    ev_signal_start(w->loop, &w->stop_signal);
    // main() held SIGTERM and SIGINT until this handler existed; a SIGTERM
    // sent meanwhile is delivered now and stops the loop at once.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigprocmask(SIG_UNBLOCK, &stop_signals, nullptr);

    run_child_init(pool, s);
    set_accepting(w, true);
    ev_run(w->loop, 0);
    apr_pool_destroy(pool);
    return 0;
}

} // namespace x0
