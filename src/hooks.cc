/*
 * Hook tables. Hooks are registered once per process start, before the
 * config is read, so a fixed-size table per hook is enough; order hints are
 * kept stable (equal hints run in registration order).
 */
#include "hooks.h"

#include <cstdlib>

namespace x0 {
namespace {

constexpr int max_hooks_per_point = 32;

template <typename Fn>
struct hook_table {
    struct entry { Fn fn; int order; };
    entry entries[max_hooks_per_point];
    int count = 0;

    void add(Fn fn, int order)
    {
        if (count == max_hooks_per_point)
            abort();  // a build with this many modules on one hook is a bug
        int at = count;
        while (at > 0 && entries[at - 1].order > order) {
            entries[at] = entries[at - 1];
            --at;
        }
        entries[at] = {fn, order};
        ++count;
    }
};

hook_table<x0_post_config_fn> post_config_hooks;
hook_table<x0_child_init_fn> child_init_hooks;
hook_table<x0_pre_connection_fn> pre_connection_hooks;
hook_table<x0_request_fn> post_read_request_hooks;
hook_table<x0_request_fn> translate_hooks;
hook_table<x0_request_fn> fixups_hooks;
hook_table<x0_request_fn> handler_hooks;
hook_table<x0_request_fn> log_transaction_hooks;

/** Every hook runs; stop at the first real answer (a status or X0_SUSPENDED). */
int run_all(const hook_table<x0_request_fn>& t, x0_request_t* r)
{
    for (int i = 0; i < t.count; ++i) {
        int rv = t.entries[i].fn(r);
        if (rv != X0_OK && rv != X0_DECLINED)
            return rv;
    }
    return X0_OK;
}

/** The first hook that does not decline answers. */
int run_first(const hook_table<x0_request_fn>& t, x0_request_t* r)
{
    for (int i = 0; i < t.count; ++i) {
        int rv = t.entries[i].fn(r);
        if (rv != X0_DECLINED)
            return rv;
    }
    return X0_DECLINED;
}

} // namespace

int run_post_config(apr_pool_t* pconf, x0_server_t* s)
{
    for (int i = 0; i < post_config_hooks.count; ++i) {
        int rv = post_config_hooks.entries[i].fn(pconf, s);
        if (rv != X0_OK && rv != X0_DECLINED)
            return rv;
    }
    return X0_OK;
}

void run_child_init(apr_pool_t* pchild, x0_server_t* s)
{
    for (int i = 0; i < child_init_hooks.count; ++i)
        child_init_hooks.entries[i].fn(pchild, s);
}

int run_pre_connection(x0_conn_t* c)
{
    for (int i = 0; i < pre_connection_hooks.count; ++i) {
        int rv = pre_connection_hooks.entries[i].fn(c);
        if (rv != X0_OK && rv != X0_DECLINED)
            return rv;
    }
    return X0_OK;
}

int run_post_read_request(x0_request_t* r) { return run_all(post_read_request_hooks, r); }
int run_translate(x0_request_t* r) { return run_first(translate_hooks, r); }
int run_fixups(x0_request_t* r) { return run_all(fixups_hooks, r); }
int run_handler(x0_request_t* r) { return run_first(handler_hooks, r); }

void run_log_transaction(x0_request_t* r)
{
    for (int i = 0; i < log_transaction_hooks.count; ++i)
        log_transaction_hooks.entries[i].fn(r);
}

void reset_hooks()
{
    post_config_hooks.count = 0;
    child_init_hooks.count = 0;
    pre_connection_hooks.count = 0;
    post_read_request_hooks.count = 0;
    translate_hooks.count = 0;
    fixups_hooks.count = 0;
    handler_hooks.count = 0;
    log_transaction_hooks.count = 0;
}

} // namespace x0

extern "C" {
void x0_hook_post_config(x0_post_config_fn fn, int order) { x0::post_config_hooks.add(fn, order); }
void x0_hook_child_init(x0_child_init_fn fn, int order) { x0::child_init_hooks.add(fn, order); }
void x0_hook_pre_connection(x0_pre_connection_fn fn, int order) { x0::pre_connection_hooks.add(fn, order); }
void x0_hook_post_read_request(x0_request_fn fn, int order) { x0::post_read_request_hooks.add(fn, order); }
void x0_hook_translate(x0_request_fn fn, int order) { x0::translate_hooks.add(fn, order); }
void x0_hook_fixups(x0_request_fn fn, int order) { x0::fixups_hooks.add(fn, order); }
void x0_hook_handler(x0_request_fn fn, int order) { x0::handler_hooks.add(fn, order); }
void x0_hook_log_transaction(x0_request_fn fn, int order) { x0::log_transaction_hooks.add(fn, order); }
}
