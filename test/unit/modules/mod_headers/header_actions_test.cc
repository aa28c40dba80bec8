#include <CppUTest/TestHarness.h>

#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <cstring>
#include <strings.h>
#include "mod_headers/header_actions.h"

using x0::headers_action;
using x0::headers_op;

TEST_GROUP(headers)
{
    apr_pool_t* pool = nullptr;
    apr_table_t* t = nullptr;

    void setup() override
    {
        apr_pool_create(&pool, nullptr);
        t = apr_table_make(pool, 8);
    }
    void teardown() override { apr_pool_destroy(pool); }

    /** Parse a space-separated `Header` argument line; fails the test on error. */
    headers_action parse(const char* line)
    {
        headers_action a;
        const char* err = parse_error(line, &a);
        if (err)
            FAIL(apr_psprintf(pool, "Header %s: %s", line, err));
        return a;
    }

    const char* parse_error(const char* line, headers_action* a)
    {
        const char* argv[8];
        int argc = 0;
        char* last;
        for (char* w = apr_strtok(apr_pstrdup(pool, line), " ", &last); w && argc < 8;
             w = apr_strtok(nullptr, " ", &last))
            argv[argc++] = w;
        return x0::headers_parse_action(pool, argc, argv, a);
    }

    void apply(const char* line)
    {
        headers_action a = parse(line);
        x0::headers_apply(pool, t, a, x0::headers_action_value(pool, a, 0, 0));
    }

    /** All values of @a name, joined with '|', or "(none)". */
    const char* values(const char* name)
    {
        const char* out = nullptr;
        const apr_array_header_t* fields = apr_table_elts(t);
        auto* e = reinterpret_cast<const apr_table_entry_t*>(fields->elts);
        for (int i = 0; i < fields->nelts; ++i)
            if (strcasecmp(e[i].key, name) == 0)
                out = out ? apr_pstrcat(pool, out, "|", e[i].val, nullptr) : e[i].val;
        return out ? out : "(none)";
    }

    const char* edit(const char* pattern, const char* repl, const char* value, bool all)
    {
        const char* argv[] = {all ? "edit*" : "edit", "X", pattern, repl};
        headers_action a;
        const char* err = x0::headers_parse_action(pool, 4, argv, &a);
        if (err)
            FAIL(err);
        return x0::headers_edit_value(pool, a.regex, a.replacement, value, all);
    }
};

TEST(headers, parse_actions)
{
    headers_action a = parse("set X-Foo bar");
    CHECK(a.op == headers_op::set);
    CHECK_FALSE(a.always);
    STRCMP_EQUAL("X-Foo", a.name);
    STRCMP_EQUAL("bar", a.value);
    CHECK(a.pieces == nullptr);

    a = parse("always append Vary Accept");
    CHECK(a.op == headers_op::append);
    CHECK(a.always);
    a = parse("onsuccess add X-A b");
    CHECK(a.op == headers_op::add);
    CHECK_FALSE(a.always);
    CHECK(parse("UNSET ETag").op == headers_op::unset);
    CHECK(parse("merge Vary Accept").op == headers_op::merge);
    CHECK(parse("setifempty X-A b").op == headers_op::setifempty);
    a = parse("edit X-A ^a(b)$ c$1");
    CHECK(a.op == headers_op::edit);
    CHECK(a.regex != nullptr);
    STRCMP_EQUAL("c$1", a.replacement);
    CHECK(parse("edit* X-A a b").op == headers_op::edit_all);
    // httpd allows "Name:" for "Name".
    STRCMP_EQUAL("X-Colon", parse("set X-Colon: v").name);
}

TEST(headers, parse_errors)
{
    headers_action a;
    const char* err = parse_error("replace X-A b", &a);
    CHECK(err && strstr(err, "unknown action 'replace'"));
    CHECK(parse_error("set X-A", &a) != nullptr);            // no value
    CHECK(parse_error("set", &a) != nullptr);                // no name
    CHECK(parse_error("always", &a) != nullptr);
    CHECK(parse_error("unset X-A b", &a) != nullptr);        // unset takes no value
    CHECK(parse_error("set X-A b c", &a) != nullptr);        // one too many
    err = parse_error("set X-A b env=HTTPS", &a);
    CHECK(err && strstr(err, "condition 'env=HTTPS' is not supported"));
    CHECK(parse_error("edit X-A onlyregex", &a) != nullptr);
    err = parse_error("edit X-A (ab x", &a);
    CHECK(err && strstr(err, "could not be compiled"));
    err = parse_error("edit X-A (a) $2", &a);                // no second group
    CHECK(err && strstr(err, "uses $2"));
    CHECK(parse_error("set Bad(Name) v", &a) != nullptr);
    CHECK(parse_error("set : v", &a) != nullptr);
    // Fields the core writes itself.
    err = parse_error("set Content-Length 5", &a);
    CHECK(err && strstr(err, "Content-Length is written by x0 itself"));
    CHECK(parse_error("unset transfer-encoding", &a) != nullptr);
    CHECK(parse_error("unset Server", &a) != nullptr);
    CHECK(parse_error("set Date x", &a) != nullptr);
    CHECK(parse_error("set Connection close", &a) != nullptr);
    // Format tags x0 does not have.
    err = parse_error("set X-A %{HOME}e", &a);
    CHECK(err && strstr(err, "Unrecognized header format %{"));
}

TEST(headers, format_tags)
{
    headers_action a = parse("set X-Pct 100%%");
    CHECK(a.pieces == nullptr);
    STRCMP_EQUAL("100%", a.value);
    STRCMP_EQUAL("50%", parse("set X-Pct 50%").value);  // a trailing '%' is literal

    a = parse("set X-Time %t_%D_x");
    CHECK(a.pieces != nullptr);
    apr_time_t received = APR_INT64_C(1700000000123456);
    STRCMP_EQUAL("t=1700000000123456_D=2500_x",
                 x0::headers_action_value(pool, a, received, received + 2500));
}

TEST(headers, set_add_append_unset)
{
    apr_table_add(t, "X-A", "1");
    apr_table_add(t, "X-A", "2");
    apply("set X-A new");
    STRCMP_EQUAL("new", values("X-A"));
    apply("add X-A second");
    STRCMP_EQUAL("new|second", values("X-A"));
    apply("append X-B one");
    apply("append X-B two");
    STRCMP_EQUAL("one, two", values("X-B"));
    apply("unset x-a");  // names ignore case
    STRCMP_EQUAL("(none)", values("X-A"));
    apply("unset X-Missing");
    STRCMP_EQUAL("one, two", values("X-B"));
}

TEST(headers, merge_and_setifempty)
{
    apply("merge Vary Accept");
    STRCMP_EQUAL("Accept", values("Vary"));
    apply("merge Vary Accept");
    STRCMP_EQUAL("Accept", values("Vary"));
    apply("merge Vary Accept-Encoding");
    STRCMP_EQUAL("Accept, Accept-Encoding", values("Vary"));
    apply("merge Vary Accept-Encoding");
    STRCMP_EQUAL("Accept, Accept-Encoding", values("Vary"));
    // A comma inside a quoted member does not split it.
    apr_table_setn(t, "X-Q", "\"a,b\", c");
    apply("merge X-Q b");
    STRCMP_EQUAL("\"a,b\", c, b", values("X-Q"));

    apply("setifempty X-S first");
    apply("setifempty X-S second");
    STRCMP_EQUAL("first", values("X-S"));
}

TEST(headers, edit_every_field_of_the_name)
{
    apr_table_add(t, "Set-Cookie", "a=1; Path=/");
    apr_table_add(t, "Other", "Path=/");
    apr_table_add(t, "Set-Cookie", "b=2; Path=/");
    apply("edit Set-Cookie ^(.*)$ $1;HttpOnly");
    STRCMP_EQUAL("a=1; Path=/;HttpOnly|b=2; Path=/;HttpOnly", values("Set-Cookie"));
    STRCMP_EQUAL("Path=/", values("Other"));
    // The fields keep their places.
    const apr_array_header_t* fields = apr_table_elts(t);
    STRCMP_EQUAL("Other", reinterpret_cast<const apr_table_entry_t*>(fields->elts)[1].key);
}

TEST(headers, edit_substitution)
{
    STRCMP_EQUAL("xbcabc", edit("a", "x", "abcabc", false));
    STRCMP_EQUAL("xbcxbc", edit("a", "x", "abcabc", true));
    STRCMP_EQUAL("abcabc", edit("z", "x", "abcabc", true));  // no match: unchanged
    STRCMP_EQUAL("max-age=0, private",
                 edit("max-age=[0-9]+", "max-age=0", "max-age=3600, private", false));
    // Groups, the whole match and escapes.
    STRCMP_EQUAL("b-a", edit("^([a-z])-([a-z])$", "$2-$1", "a-b", false));
    STRCMP_EQUAL("[abc]", edit("abc", "[$0]", "abc", false));
    STRCMP_EQUAL("$1\\", edit("(x)", "\\$1\\\\", "x", false));
    STRCMP_EQUAL("q", edit("(y)?q", "$1q", "q", false));  // unmatched group: empty
    // "^" matches once, at the start of the value.
    STRCMP_EQUAL("bbaa", edit("^a", "bb", "aaa", true));
    // Empty matches neither loop nor repeat right after a match (as sed).
    STRCMP_EQUAL("YaYbYcY", edit("x*", "Y", "abc", true));
    STRCMP_EQUAL("YbYcY", edit("a*", "Y", "baaac", true));
    STRCMP_EQUAL("Yabc", edit("x*", "Y", "abc", false));
    STRCMP_EQUAL("", edit(".*", "", "anything", true));
}

TEST(headers, which_responses)
{
    headers_action plain = parse("set X-A b");
    headers_action always = parse("always set X-A b");
    CHECK(x0::headers_applies(plain, 200));
    CHECK(x0::headers_applies(plain, 206));
    CHECK(x0::headers_applies(plain, 304));
    CHECK_FALSE(x0::headers_applies(plain, 301));
    CHECK_FALSE(x0::headers_applies(plain, 404));
    CHECK_FALSE(x0::headers_applies(plain, 500));
    CHECK(x0::headers_applies(always, 404));
    CHECK(x0::headers_applies(always, 301));
    CHECK(x0::headers_applies(always, 200));
}

TEST(headers, regex_freed_with_the_pool)
{
    // The regex lives in a pool of its own here; destroying the pool runs
    // regfree (a leak would show under the sanitizer build).
    apr_pool_t* sub;
    apr_pool_create(&sub, pool);
    const char* argv[] = {"edit*", "X", "(a|b)+c", "d"};
    headers_action a;
    CHECK(x0::headers_parse_action(sub, 4, argv, &a) == nullptr);
    STRCMP_EQUAL("xdx", x0::headers_edit_value(pool, a.regex, a.replacement, "xababcx", true));
    apr_pool_destroy(sub);
}
