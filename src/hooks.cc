/*
 * Hook tables with httpd's ordering: an order hint (first, middle, last)
 * and "after these modules" / "before these modules" constraints
 * (httpd:`include/ap_hooks.h`, APR-util's apr_hook_sort_all).
 *
 * Hooks are added while modules register, in any order; sort_hooks() puts
 * each table in its final order once every module is in. A full table is a
 * configuration error, reported through hooks_overflow().
 */
#include "hooks.h"

#include <apr_strings.h>
#include <cstring>

#include "modules.h"

namespace x0 {
namespace {

constexpr int max_hooks_per_point = 32;

/** Any hook function; cast back to its real type where the hook runs. */
using any_fn = void (*)();

struct hook_entry {
    any_fn fn;
    int order;
    const char* module;       /**< the module that registered it */
    const char* const* pre;   /**< modules whose functions must run before */
    const char* const* succ;  /**< modules whose functions must run after */
};

struct hook_table {
    const char* name;
    hook_entry entries[max_hooks_per_point];
    int count;
};

hook_table post_config_hooks = {"post_config", {}, 0};
hook_table child_init_hooks = {"child_init", {}, 0};
hook_table connection_opened_hooks = {"connection_opened", {}, 0};
hook_table pre_connection_hooks = {"pre_connection", {}, 0};
hook_table connection_closing_hooks = {"connection_closing", {}, 0};
hook_table post_read_request_hooks = {"post_read_request", {}, 0};
hook_table translate_hooks = {"translate", {}, 0};
hook_table map_to_storage_hooks = {"map_to_storage", {}, 0};
hook_table access_checker_hooks = {"access_checker", {}, 0};
hook_table fixups_hooks = {"fixups", {}, 0};
hook_table insert_filter_hooks = {"insert_filter", {}, 0};
hook_table insert_error_filter_hooks = {"insert_error_filter", {}, 0};
hook_table handler_hooks = {"handler", {}, 0};
hook_table log_transaction_hooks = {"log_transaction", {}, 0};

hook_table* const all_tables[] = {
    &post_config_hooks, &connection_opened_hooks, &pre_connection_hooks,
    &connection_closing_hooks, &child_init_hooks, &post_read_request_hooks,
    &translate_hooks, &map_to_storage_hooks, &access_checker_hooks, &fixups_hooks,
    &insert_filter_hooks, &insert_error_filter_hooks, &handler_hooks, &log_transaction_hooks,
};

/** The first table that overflowed since the last reset, or NULL. */
const char* overflowed = nullptr;

void add(hook_table& t, any_fn fn, const char* const* pre, const char* const* succ, int order)
{
    if (t.count == max_hooks_per_point) {
        if (!overflowed)
            overflowed = t.name;
        return;
    }
    x0_module_t* m = hooking_module();
    t.entries[t.count++] = {fn, order, m ? m->name : "", pre, succ};
}

bool listed(const char* const* names, const char* name)
{
    for (; names && *names; ++names)
        if (strcmp(*names, name) == 0)
            return true;
    return false;
}

/** Must @a a run before @a b? */
bool must_precede(const hook_entry& a, const hook_entry& b)
{
    return listed(b.pre, a.module) || listed(a.succ, b.module);
}

/**
 * Sort by order hint (stable), then place entries one by one: each time the
 * first entry whose every required predecessor is placed. That keeps the
 * hint order wherever the constraints allow it. A cycle is an error.
 */
const char* sort_table(apr_pool_t* p, hook_table& t)
{
    hook_entry* e = t.entries;
    for (int i = 1; i < t.count; ++i)
        for (int j = i; j > 0 && e[j - 1].order > e[j].order; --j) {
            hook_entry tmp = e[j];
            e[j] = e[j - 1];
            e[j - 1] = tmp;
        }
    hook_entry sorted[max_hooks_per_point];
    bool placed[max_hooks_per_point] = {};
    for (int n = 0; n < t.count; ++n) {
        int pick = -1;
        for (int i = 0; i < t.count && pick < 0; ++i) {
            if (placed[i])
                continue;
            bool ready = true;
            for (int j = 0; j < t.count && ready; ++j)
                if (j != i && !placed[j] && must_precede(e[j], e[i]))
                    ready = false;
            if (ready)
                pick = i;
        }
        if (pick < 0) {
            // Every entry left waits for another one left: following the waits
            // from any of them, t.count steps end on the cycle itself (e[0] may
            // be placed already, or only wait behind the cycle).
            int at = 0;
            while (placed[at])
                ++at;
            for (int step = 0; step < t.count; ++step)
                for (int j = 0; j < t.count; ++j)
                    if (j != at && !placed[j] && must_precede(e[j], e[at])) {
                        at = j;
                        break;
                    }
            return apr_psprintf(p, "hook %s: the modules' before/after constraints form a "
                                "cycle (module %s among them)", t.name, e[at].module);
        }
        placed[pick] = true;
        sorted[n] = e[pick];
    }
    memcpy(e, sorted, sizeof(hook_entry) * t.count);
    return nullptr;
}

template <typename Fn>
Fn fn_at(const hook_table& t, int i)
{
    return reinterpret_cast<Fn>(t.entries[i].fn);
}

/** Every hook runs; stop at the first real answer (a status or X0_SUSPENDED). */
int run_all(const hook_table& t, x0_request_t* r)
{
    for (int i = 0; i < t.count; ++i) {
        int rv = fn_at<x0_request_fn>(t, i)(r);
        if (rv != X0_OK && rv != X0_DECLINED)
            return rv;
    }
    return X0_OK;
}

/** The first hook that does not decline answers. */
int run_first(const hook_table& t, x0_request_t* r)
{
    for (int i = 0; i < t.count; ++i) {
        int rv = fn_at<x0_request_fn>(t, i)(r);
        if (rv != X0_DECLINED)
            return rv;
    }
    return X0_DECLINED;
}

} // namespace

const char* sort_hooks(apr_pool_t* p)
{
    for (hook_table* t : all_tables)
        if (const char* err = sort_table(p, *t))
            return err;
    return nullptr;
}

const char* hooks_overflow()
{
    return overflowed;
}

const char* hook_module_at(const char* hook, int index)
{
    for (hook_table* t : all_tables)
        if (strcmp(t->name, hook) == 0)
            return index >= 0 && index < t->count ? t->entries[index].module : nullptr;
    return nullptr;
}

int run_post_config(apr_pool_t* pconf, x0_server_t* s)
{
    for (int i = 0; i < post_config_hooks.count; ++i) {
        int rv = fn_at<x0_post_config_fn>(post_config_hooks, i)(pconf, s);
        if (rv != X0_OK && rv != X0_DECLINED)
            return rv;
    }
    return X0_OK;
}

void run_child_init(apr_pool_t* pchild, x0_server_t* s)
{
    for (int i = 0; i < child_init_hooks.count; ++i)
        fn_at<x0_child_init_fn>(child_init_hooks, i)(pchild, s);
}

bool have_connection_opened_hooks()
{
    return connection_opened_hooks.count > 0;
}

int run_connection_opened(x0_conn_t* c)
{
    for (int i = 0; i < connection_opened_hooks.count; ++i) {
        int rv = fn_at<x0_connection_opened_fn>(connection_opened_hooks, i)(c);
        if (rv != X0_OK && rv != X0_DECLINED)
            return rv;
    }
    return X0_OK;
}

int run_pre_connection(x0_conn_t* c)
{
    for (int i = 0; i < pre_connection_hooks.count; ++i) {
        int rv = fn_at<x0_pre_connection_fn>(pre_connection_hooks, i)(c);
        if (rv != X0_OK && rv != X0_DECLINED)
            return rv;
    }
    return X0_OK;
}

void run_connection_closing(x0_conn_t* c)
{
    for (int i = 0; i < connection_closing_hooks.count; ++i)
        fn_at<x0_connection_closing_fn>(connection_closing_hooks, i)(c);
}

int run_post_read_request(x0_request_t* r) { return run_all(post_read_request_hooks, r); }
int run_translate(x0_request_t* r) { return run_first(translate_hooks, r); }
int run_map_to_storage(x0_request_t* r) { return run_first(map_to_storage_hooks, r); }
int run_access_checker(x0_request_t* r) { return run_all(access_checker_hooks, r); }
int run_fixups(x0_request_t* r) { return run_all(fixups_hooks, r); }
int run_handler(x0_request_t* r) { return run_first(handler_hooks, r); }

void run_insert_filter(x0_request_t* r)
{
    for (int i = 0; i < insert_filter_hooks.count; ++i)
        fn_at<x0_insert_filter_fn>(insert_filter_hooks, i)(r);
}

void run_insert_error_filter(x0_request_t* r)
{
    for (int i = 0; i < insert_error_filter_hooks.count; ++i)
        fn_at<x0_insert_filter_fn>(insert_error_filter_hooks, i)(r);
}

void run_log_transaction(x0_request_t* r)
{
    for (int i = 0; i < log_transaction_hooks.count; ++i)
        fn_at<x0_request_fn>(log_transaction_hooks, i)(r);
}

void reset_hooks()
{
    for (hook_table* t : all_tables)
        t->count = 0;
    overflowed = nullptr;
}

} // namespace x0

#define X0_HOOK_ADDER(hook, type)                                                          \
    void x0_hook_##hook(type fn, const char* const* pre, const char* const* succ, int order) \
    {                                                                                      \
        x0::add(x0::hook##_hooks, reinterpret_cast<x0::any_fn>(fn), pre, succ, order);    \
    }

extern "C" {
X0_HOOK_ADDER(post_config, x0_post_config_fn)
X0_HOOK_ADDER(child_init, x0_child_init_fn)
X0_HOOK_ADDER(connection_opened, x0_connection_opened_fn)
X0_HOOK_ADDER(pre_connection, x0_pre_connection_fn)
X0_HOOK_ADDER(connection_closing, x0_connection_closing_fn)
X0_HOOK_ADDER(post_read_request, x0_request_fn)
X0_HOOK_ADDER(translate, x0_request_fn)
X0_HOOK_ADDER(map_to_storage, x0_request_fn)
X0_HOOK_ADDER(access_checker, x0_request_fn)
X0_HOOK_ADDER(fixups, x0_request_fn)
X0_HOOK_ADDER(insert_filter, x0_insert_filter_fn)
X0_HOOK_ADDER(insert_error_filter, x0_insert_filter_fn)
X0_HOOK_ADDER(handler, x0_request_fn)
X0_HOOK_ADDER(log_transaction, x0_request_fn)
}
