/* Hook ordering (hints, before/after constraints), the module and filter registries. */
#include <apr_strings.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "filters.h"
#include "hooks.h"
#include "modules.h"

#include <CppUTest/TestHarness.h>

namespace {

/* ---- hook functions that say who ran ---- */

std::string ran;  // "a b c ": the tags of the hook functions that ran, in order

template <char tag>
int record(x0_request_t*)
{
    ran += tag;
    ran += ' ';
    return X0_DECLINED;
}

template <char tag>
int answer(x0_request_t*)
{
    ran += tag;
    ran += ' ';
    return 200;
}

/* ---- small modules; each one's register_hooks is set per test ---- */

/** What a fake module registers: one fixups function, with this hint and these constraints. */
struct hook_plan {
    x0_request_fn fn;
    int order;
    const char* const* pre;
    const char* const* succ;
};

constexpr int max_fake = 6;
hook_plan plans[max_fake];
const char* seen_hooking[max_fake];  // hooking_module()'s name inside each register_hooks

template <int i>
void register_plan(apr_pool_t*)
{
    x0_module_t* m = x0::hooking_module();
    seen_hooking[i] = m ? m->name : nullptr;
    if (plans[i].fn)
        x0_hook_fixups(plans[i].fn, plans[i].pre, plans[i].succ, plans[i].order);
}

x0_module_t fake[max_fake] = {
    {X0_MODULE_HEADER, "a", nullptr, nullptr, nullptr, nullptr, nullptr, register_plan<0>},
    {X0_MODULE_HEADER, "b", nullptr, nullptr, nullptr, nullptr, nullptr, register_plan<1>},
    {X0_MODULE_HEADER, "c", nullptr, nullptr, nullptr, nullptr, nullptr, register_plan<2>},
    {X0_MODULE_HEADER, "d", nullptr, nullptr, nullptr, nullptr, nullptr, register_plan<3>},
    {X0_MODULE_HEADER, "e", nullptr, nullptr, nullptr, nullptr, nullptr, register_plan<4>},
    {X0_MODULE_HEADER, "f", nullptr, nullptr, nullptr, nullptr, nullptr, register_plan<5>},
};

x0_request_fn const tagged[max_fake] = {record<'a'>, record<'b'>, record<'c'>,
                                        record<'d'>, record<'e'>, record<'f'>};

/* ---- a module that fills one hook ---- */

int many_hooks;  // how many fixups functions the big module registers

void register_many(apr_pool_t*)
{
    for (int i = 0; i < many_hooks; ++i)
        x0_hook_fixups(record<'x'>, nullptr, nullptr, X0_HOOK_MIDDLE);
}

x0_module_t big_module = {X0_MODULE_HEADER, "big", nullptr, nullptr, nullptr, nullptr, nullptr,
                          register_many};

/* ---- a module with hooks on several points and filters ---- */

apr_status_t pass_out(x0_filter_t*, apr_bucket_brigade*) { return APR_SUCCESS; }
apr_status_t pass_in(x0_filter_t*, apr_bucket_brigade*, x0_input_mode_e, apr_off_t)
{
    return APR_SUCCESS;
}

int post_config_a(apr_pool_t*, x0_server_t*)
{
    ran += "post_config ";
    return X0_OK;
}

char filter_name[32];  // the caller's buffer for a filter name; changed after registering
int filter_regs;

void register_full(apr_pool_t*)
{
    ++filter_regs;
    x0_hook_post_config(post_config_a, nullptr, nullptr, X0_HOOK_MIDDLE);
    x0_hook_handler(answer<'h'>, nullptr, nullptr, X0_HOOK_LAST);
    x0_hook_translate(record<'t'>, nullptr, nullptr, X0_HOOK_FIRST);
    strcpy(filter_name, "OLDNAME");
    x0_register_output_filter(filter_name, pass_out, X0_FTYPE_CONTENT);
    x0_register_input_filter("OLDIN", pass_in, X0_FTYPE_CONNECTION);
}

void register_refill(apr_pool_t*)
{
    ++filter_regs;
    x0_hook_handler(answer<'n'>, nullptr, nullptr, X0_HOOK_MIDDLE);
    x0_register_output_filter("NEWNAME", pass_out, X0_FTYPE_RANGE);
}

x0_module_t full_module = {X0_MODULE_HEADER, "full", nullptr, nullptr, nullptr, nullptr, nullptr,
                           register_full};
x0_module_t refill_module = {X0_MODULE_HEADER, "refill", nullptr, nullptr, nullptr, nullptr,
                             nullptr, register_refill};

int filters_to_register;

void register_filters(apr_pool_t*)
{
    char name[64];
    for (int i = 0; i < filters_to_register; ++i) {
        snprintf(name, sizeof name, "F%d", i);
        x0_register_output_filter(name, pass_out, X0_FTYPE_CONTENT);
    }
}

void register_long_filter(apr_pool_t*)
{
    x0_register_output_filter("A_FILTER_NAME_THAT_IS_FAR_TOO_LONG_FOR_THE_REGISTRY",
                              pass_out, X0_FTYPE_CONTENT);
}

x0_module_t filters_module = {X0_MODULE_HEADER, "filters", nullptr, nullptr, nullptr, nullptr,
                              nullptr, register_filters};
x0_module_t long_filter_module = {X0_MODULE_HEADER, "longname", nullptr, nullptr, nullptr,
                                  nullptr, nullptr, register_long_filter};

} // namespace

TEST_GROUP(hooks)
{
    apr_pool_t* pool;
    x0_request_t r;

    void setup() override
    {
        x0::reset_modules();
        apr_pool_create(&pool, nullptr);
        memset(&r, 0, sizeof r);
        ran.clear();
        for (int i = 0; i < max_fake; ++i) {
            plans[i] = {tagged[i], X0_HOOK_MIDDLE, nullptr, nullptr};
            seen_hooking[i] = nullptr;
        }
        many_hooks = 0;
        filter_regs = 0;
        filters_to_register = 0;
    }

    void teardown() override
    {
        x0::reset_modules();
        apr_pool_destroy(pool);
        ran.clear();
        ran.shrink_to_fit();
    }

    /** Add fake modules a.. in order (n of them), sort, and run fixups. */
    const char* add_sort_run(int n)
    {
        for (int i = 0; i < n; ++i) {
            const char* err = x0::add_module(&fake[i], nullptr, pool);
            CHECK_TEXT(err == nullptr, err);
        }
        if (const char* err = x0::sort_hooks(pool))
            return err;
        ran.clear();
        LONGS_EQUAL(X0_OK, x0::run_fixups(&r));
        return nullptr;
    }

    /** The modules on the fixups hook, in order: "a b c ". */
    std::string fixups_modules()
    {
        std::string out;
        for (int i = 0; const char* m = x0::hook_module_at("fixups", i); ++i)
            out += std::string(m) + " ";
        return out;
    }
};

TEST(hooks, hooking_module_is_the_registering_module)
{
    POINTERS_EQUAL(nullptr, x0::hooking_module());
    CHECK(add_sort_run(2) == nullptr);
    STRCMP_EQUAL("a", seen_hooking[0]);
    STRCMP_EQUAL("b", seen_hooking[1]);
    POINTERS_EQUAL(nullptr, x0::hooking_module());
}

TEST(hooks, equal_hints_keep_registration_order)
{
    CHECK(add_sort_run(5) == nullptr);
    STRCMP_EQUAL("a b c d e ", ran.c_str());
    STRCMP_EQUAL("a b c d e ", fixups_modules().c_str());
}

TEST(hooks, hints_order_first_to_last)
{
    plans[0].order = X0_HOOK_REALLY_LAST;
    plans[1].order = X0_HOOK_LAST;
    plans[2].order = X0_HOOK_MIDDLE;
    plans[3].order = X0_HOOK_FIRST;
    plans[4].order = X0_HOOK_REALLY_FIRST;
    plans[5].order = X0_HOOK_LAST;
    CHECK(add_sort_run(6) == nullptr);
    STRCMP_EQUAL("e d c b f a ", ran.c_str());
    STRCMP_EQUAL("e d c b f a ", fixups_modules().c_str());
}

TEST(hooks, hints_between_the_named_ones_sort_numerically)
{
    plans[0].order = X0_HOOK_MIDDLE + 1;
    plans[1].order = X0_HOOK_MIDDLE;
    plans[2].order = X0_HOOK_FIRST - 1;
    CHECK(add_sort_run(3) == nullptr);
    STRCMP_EQUAL("c b a ", ran.c_str());
}

TEST(hooks, after_module_constraint_overrides_registration_order)
{
    static const char* const after_d[] = {"d", nullptr};
    plans[1].pre = after_d;  // b runs after d
    CHECK(add_sort_run(4) == nullptr);
    STRCMP_EQUAL("a c d b ", ran.c_str());
}

TEST(hooks, before_module_constraint_overrides_registration_order)
{
    static const char* const before_a[] = {"a", nullptr};
    plans[3].succ = before_a;  // d runs before a
    CHECK(add_sort_run(4) == nullptr);
    // x0 places the first entry whose predecessors are all placed: a waits for
    // d, b and c keep their place (APR's tsort would pull d forward: d a b c).
    STRCMP_EQUAL("b c d a ", ran.c_str());
}

TEST(hooks, constraints_override_hints)
{
    static const char* const after_c[] = {"c", nullptr};
    plans[0].order = X0_HOOK_REALLY_FIRST;
    plans[0].pre = after_c;  // a wants to be first, but after c
    plans[2].order = X0_HOOK_LAST;
    CHECK(add_sort_run(3) == nullptr);
    STRCMP_EQUAL("b c a ", ran.c_str());
}

TEST(hooks, several_constraints_at_once)
{
    static const char* const after_c_e[] = {"c", "e", nullptr};
    static const char* const before_b[] = {"b", nullptr};
    plans[0].pre = after_c_e;  // a after c and e
    plans[3].succ = before_b;  // d before b
    CHECK(add_sort_run(5) == nullptr);
    STRCMP_EQUAL("c d b e a ", ran.c_str());
}

TEST(hooks, constraints_naming_absent_modules_are_ignored)
{
    static const char* const absent[] = {"nothere", "mod_b", nullptr};
    plans[0].pre = absent;
    plans[1].succ = absent;
    plans[2].order = X0_HOOK_FIRST;
    CHECK(add_sort_run(3) == nullptr);
    STRCMP_EQUAL("c a b ", ran.c_str());
}

TEST(hooks, a_constraint_on_a_module_without_this_hook_is_ignored)
{
    static const char* const after_d[] = {"d", nullptr};
    plans[0].pre = after_d;
    plans[3].fn = nullptr;  // d is loaded, but has no fixups function
    CHECK(add_sort_run(4) == nullptr);
    STRCMP_EQUAL("a b c ", ran.c_str());
}

TEST(hooks, a_cycle_is_an_error_naming_a_module_on_it)
{
    static const char* const after_c[] = {"c", nullptr};
    static const char* const after_b[] = {"b", nullptr};
    plans[1].pre = after_c;  // b after c
    plans[2].pre = after_b;  // c after b
    // a is free and placed first: the message must not blame it.
    const char* err = add_sort_run(3);
    CHECK(err != nullptr);
    CHECK_TEXT(strcmp(err, "hook fixups: the modules' before/after constraints form a cycle "
                           "(module b among them)") == 0 ||
               strcmp(err, "hook fixups: the modules' before/after constraints form a cycle "
                           "(module c among them)") == 0,
               err);
}

TEST(hooks, a_cycle_through_before_and_after)
{
    static const char* const after_b[] = {"b", nullptr};
    static const char* const before_a[] = {"a", nullptr};
    plans[0].pre = after_b;   // a after b
    plans[1].pre = nullptr;
    plans[1].succ = nullptr;
    plans[2].succ = before_a; // c before a: fine so far
    CHECK(add_sort_run(3) == nullptr);
    STRCMP_EQUAL("b c a ", ran.c_str());

    x0::reset_modules();
    static const char* const before_c[] = {"c", nullptr};
    static const char* const after_a[] = {"a", nullptr};
    plans[0].pre = nullptr;
    plans[0].succ = before_c;  // a before c
    plans[2].succ = nullptr;
    plans[2].pre = nullptr;
    plans[1].pre = after_a;    // b after a
    plans[1].succ = before_a;  // b before a: a cycle of a and b
    const char* err = add_sort_run(3);
    CHECK(err != nullptr);
    CHECK_TEXT(strcmp(err, "hook fixups: the modules' before/after constraints form a cycle "
                           "(module a among them)") == 0 ||
               strcmp(err, "hook fixups: the modules' before/after constraints form a cycle "
                           "(module b among them)") == 0,
               err);
}

TEST(hooks, entries_blocked_behind_a_cycle_are_not_named)
{
    static const char* const after_e[] = {"e", nullptr};
    static const char* const after_d[] = {"d", nullptr};
    plans[0].pre = after_e;  // a waits for the cycle, but is not on it
    plans[3].pre = after_e;  // d after e
    plans[4].pre = after_d;  // e after d
    const char* err = add_sort_run(5);
    CHECK(err != nullptr);
    CHECK_TEXT(strstr(err, "(module d among them)") || strstr(err, "(module e among them)"), err);
}

TEST(hooks, first_non_declining_handler_answers)
{
    CHECK(x0::add_module(&full_module, nullptr, pool) == nullptr);
    CHECK(x0::sort_hooks(pool) == nullptr);
    LONGS_EQUAL(200, x0::run_handler(&r));
    LONGS_EQUAL(X0_DECLINED, x0::run_translate(&r));
    LONGS_EQUAL(X0_OK, x0::run_post_config(pool, nullptr));
    STRCMP_EQUAL("h t post_config ", ran.c_str());
    LONGS_EQUAL(X0_DECLINED, x0::run_map_to_storage(&r));  // an empty hook declines
    LONGS_EQUAL(X0_OK, x0::run_access_checker(&r));        // ... or is fine
}

TEST(hooks, hook_module_at_bounds)
{
    CHECK(x0::add_module(&full_module, nullptr, pool) == nullptr);
    STRCMP_EQUAL("full", x0::hook_module_at("handler", 0));
    POINTERS_EQUAL(nullptr, x0::hook_module_at("handler", 1));
    POINTERS_EQUAL(nullptr, x0::hook_module_at("handler", -1));
    POINTERS_EQUAL(nullptr, x0::hook_module_at("no_such_hook", 0));
    POINTERS_EQUAL(nullptr, x0::hook_module_at("fixups", 0));
}

TEST(hooks, thirty_two_functions_fit_on_one_hook)
{
    many_hooks = 32;
    CHECK(x0::add_module(&big_module, nullptr, pool) == nullptr);
    POINTERS_EQUAL(nullptr, x0::hooks_overflow());
    CHECK(x0::sort_hooks(pool) == nullptr);
    LONGS_EQUAL(X0_OK, x0::run_fixups(&r));
    LONGS_EQUAL(64, ran.size());
    STRCMP_EQUAL("big", x0::hook_module_at("fixups", 31));
    POINTERS_EQUAL(nullptr, x0::hook_module_at("fixups", 32));
}

TEST(hooks, a_full_hook_table_is_an_error_naming_module_and_hook)
{
    many_hooks = 33;
    STRCMP_EQUAL("module big: too many functions on hook fixups",
                 x0::add_module(&big_module, nullptr, pool));
    STRCMP_EQUAL("fixups", x0::hooks_overflow());
    // The 32 that fit are there, and run; the 33rd was dropped.
    CHECK(x0::sort_hooks(pool) == nullptr);
    LONGS_EQUAL(X0_OK, x0::run_fixups(&r));
    LONGS_EQUAL(64, ran.size());

    // reset_modules forgets the overflow with the hooks.
    x0::reset_modules();
    POINTERS_EQUAL(nullptr, x0::hooks_overflow());
    POINTERS_EQUAL(nullptr, x0::hook_module_at("fixups", 0));
}

TEST(hooks, the_module_that_overflows_is_the_one_named)
{
    many_hooks = 30;
    CHECK(x0::add_module(&big_module, nullptr, pool) == nullptr);
    plans[0].fn = record<'a'>;
    CHECK(x0::add_module(&fake[0], nullptr, pool) == nullptr);  // 31
    CHECK(x0::add_module(&fake[1], nullptr, pool) == nullptr);  // 32
    STRCMP_EQUAL("module c: too many functions on hook fixups",
                 x0::add_module(&fake[2], nullptr, pool));
}

TEST(hooks, reset_and_refill)
{
    CHECK(x0::add_module(&full_module, nullptr, pool) == nullptr);
    CHECK(x0::sort_hooks(pool) == nullptr);
    LONGS_EQUAL(1, filter_regs);
    CHECK(x0_find_filter("OLDNAME") != nullptr);
    CHECK(x0_find_filter("OLDIN") != nullptr);

    x0::reset_modules();
    LONGS_EQUAL(0, x0::module_count());
    POINTERS_EQUAL(nullptr, x0::hook_module_at("handler", 0));
    POINTERS_EQUAL(nullptr, x0::hook_module_at("post_config", 0));
    POINTERS_EQUAL(nullptr, x0_find_filter("OLDNAME"));
    POINTERS_EQUAL(nullptr, x0_find_filter("OLDIN"));
    LONGS_EQUAL(X0_DECLINED, x0::run_handler(&r));
    LONGS_EQUAL(X0_OK, x0::run_post_config(pool, nullptr));
    STRCMP_EQUAL("", ran.c_str());

    CHECK(x0::add_module(&refill_module, nullptr, pool) == nullptr);
    CHECK(x0::sort_hooks(pool) == nullptr);
    LONGS_EQUAL(2, filter_regs);
    LONGS_EQUAL(200, x0::run_handler(&r));
    STRCMP_EQUAL("n ", ran.c_str());
    STRCMP_EQUAL("refill", x0::hook_module_at("handler", 0));
    POINTERS_EQUAL(nullptr, x0::hook_module_at("handler", 1));
    POINTERS_EQUAL(nullptr, x0::hook_module_at("translate", 0));
    POINTERS_EQUAL(nullptr, x0_find_filter("OLDNAME"));
    const x0_filter_rec_t* f = x0_find_filter("newname");
    CHECK(f != nullptr);
    STRCMP_EQUAL("NEWNAME", f->name);
    LONGS_EQUAL(X0_FTYPE_RANGE, f->type);
    POINTERS_EQUAL(pass_out, f->out);
    POINTERS_EQUAL(nullptr, f->in);

    // The same module added again after a reset registers again.
    x0::reset_modules();
    CHECK(x0::add_module(&full_module, nullptr, pool) == nullptr);
    LONGS_EQUAL(3, filter_regs);
    LONGS_EQUAL(0, full_module.module_index);
    CHECK(x0_find_filter("OLDNAME") != nullptr);
    POINTERS_EQUAL(nullptr, x0_find_filter("NEWNAME"));
}

TEST(hooks, filter_name_is_copied)
{
    CHECK(x0::add_module(&full_module, nullptr, pool) == nullptr);
    const x0_filter_rec_t* f = x0_find_filter("OLDNAME");
    CHECK(f != nullptr);
    CHECK(f->name != filter_name);
    strcpy(filter_name, "CHANGED");
    STRCMP_EQUAL("OLDNAME", f->name);
    POINTERS_EQUAL(f, x0_find_filter("OLDNAME"));
    POINTERS_EQUAL(nullptr, x0_find_filter("CHANGED"));

    // A name on the heap, freed after registering.
    char* heap = strdup("HEAPFILTER");
    const x0_filter_rec_t* h = x0_register_output_filter(heap, pass_out, X0_FTYPE_HEADER);
    memset(heap, 'Z', strlen(heap));
    free(heap);
    CHECK(h != nullptr);
    STRCMP_EQUAL("HEAPFILTER", h->name);
    POINTERS_EQUAL(h, x0_find_filter("heapfilter"));
}

TEST(hooks, registering_a_filter_again_replaces_it)
{
    const x0_filter_rec_t* a = x0_register_output_filter("SAME", pass_out, X0_FTYPE_CONTENT);
    const x0_filter_rec_t* b = x0_register_input_filter("same", pass_in, X0_FTYPE_NETWORK);
    POINTERS_EQUAL(a, b);
    STRCMP_EQUAL("same", b->name);
    POINTERS_EQUAL(nullptr, b->out);
    POINTERS_EQUAL(pass_in, b->in);
    LONGS_EQUAL(X0_FTYPE_NETWORK, b->type);
}

TEST(hooks, sixty_four_filters_fit)
{
    filters_to_register = 64;
    CHECK(x0::add_module(&filters_module, nullptr, pool) == nullptr);
    CHECK(x0_find_filter("F63") != nullptr);
    POINTERS_EQUAL(nullptr, x0::filters_overflow());
}

TEST(hooks, a_full_filter_registry_is_an_error_naming_the_module)
{
    filters_to_register = 65;
    STRCMP_EQUAL("module filters: too many filters (at most 64)",
                 x0::add_module(&filters_module, nullptr, pool));
    POINTERS_EQUAL(nullptr, x0_find_filter("F64"));
    x0::reset_filters();
    POINTERS_EQUAL(nullptr, x0::filters_overflow());
    POINTERS_EQUAL(nullptr, x0_find_filter("F0"));
}

TEST(hooks, a_filter_name_too_long_is_an_error_naming_the_module)
{
    STRCMP_EQUAL("module longname: a filter name is too long (at most 47 characters)",
                 x0::add_module(&long_filter_module, nullptr, pool));
    POINTERS_EQUAL(nullptr,
                   x0_find_filter("A_FILTER_NAME_THAT_IS_FAR_TOO_LONG_FOR_THE_REGISTRY"));
    // 47 characters are fine.
    std::string longest(47, 'L');
    CHECK(x0_register_output_filter(longest.c_str(), pass_out, X0_FTYPE_CONTENT) != nullptr);
    CHECK(x0_find_filter(longest.c_str()) != nullptr);
}
