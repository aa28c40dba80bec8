/*
 * The worker's loop as modules see it: x0_loop_turn() and
 * x0_loop_at_turn_end(). A worker's loop is libev's default loop
 * (worker_main).
 */
#include <ev.h>
#include <new>

#include "x0/module.h"

namespace {

/** An ev_prepare runs each time the loop is about to wait: a turn's end. */
struct turn_end {
    ev_prepare watcher;
    x0_turn_end_fn fn;
    void* data;
};

void run_turn_end(struct ev_loop*, ev_prepare* w, int)
{
    auto* t = static_cast<turn_end*>(w->data);
    t->fn(t->data);
}

apr_status_t stop_turn_end(void* data)
{
    struct ev_loop* loop = EV_DEFAULT_UC;
    ev_ref(loop);  // undo the unref of x0_loop_at_turn_end before the stop
    ev_prepare_stop(loop, &static_cast<turn_end*>(data)->watcher);
    return APR_SUCCESS;
}

} // namespace

extern "C" unsigned long x0_loop_turn(void)
{
    struct ev_loop* loop = EV_DEFAULT_UC;  // NULL until a worker made it
    return loop ? ev_iteration(loop) : 0;
}

extern "C" apr_status_t x0_loop_at_turn_end(apr_pool_t* p, x0_turn_end_fn fn, void* data)
{
    struct ev_loop* loop = EV_DEFAULT_UC;
    if (!loop)
        return APR_EINIT;
    auto* t = new (apr_palloc(p, sizeof(turn_end))) turn_end{};
    t->fn = fn;
    t->data = data;
    ev_prepare_init(&t->watcher, run_turn_end);
    t->watcher.data = t;
    ev_prepare_start(loop, &t->watcher);
    ev_unref(loop);  // a worker's loop ends when its connections and listeners do
    apr_pool_cleanup_register(p, t, stop_turn_end, apr_pool_cleanup_null);
    return APR_SUCCESS;
}
