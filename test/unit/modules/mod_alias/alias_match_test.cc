#include <CppUTest/TestHarness.h>

#include <cstring>
#include <regex.h>
#include <apr_pools.h>
#include "mod_alias/alias_match.h"

using x0::alias_prefix_match;

/* ---- URL-path prefixes (httpd's alias_matches) ---- */

TEST_GROUP(alias_prefix)
{
};

TEST(alias_prefix, whole_segments_only)
{
    CHECK_EQUAL(4u, alias_prefix_match("/foo", "/foo"));
    CHECK_EQUAL(4u, alias_prefix_match("/foo/x", "/foo"));
    CHECK_EQUAL(4u, alias_prefix_match("/foo/", "/foo"));
    CHECK_EQUAL(0u, alias_prefix_match("/foobar", "/foo"));
    CHECK_EQUAL(0u, alias_prefix_match("/fo", "/foo"));
    CHECK_EQUAL(0u, alias_prefix_match("/bar/foo", "/foo"));
}

TEST(alias_prefix, trailing_slash_requires_one)
{
    // httpd: "Alias /icons/" does not match "/icons".
    CHECK_EQUAL(7u, alias_prefix_match("/icons/a.png", "/icons/"));
    CHECK_EQUAL(7u, alias_prefix_match("/icons/", "/icons/"));
    CHECK_EQUAL(0u, alias_prefix_match("/icons", "/icons/"));
    CHECK_EQUAL(0u, alias_prefix_match("/iconsx/a", "/icons/"));
}

TEST(alias_prefix, slash_runs_match_slash_runs)
{
    CHECK_EQUAL(7u, alias_prefix_match("//a///b", "/a/b"));
    CHECK_EQUAL(2u, alias_prefix_match("/a/b", "//a"));
    CHECK_EQUAL(0u, alias_prefix_match("/ab", "/a/b"));
}

TEST(alias_prefix, root_covers_everything)
{
    CHECK_EQUAL(1u, alias_prefix_match("/", "/"));
    CHECK_EQUAL(1u, alias_prefix_match("/anything/at/all", "/"));
}

TEST(alias_prefix, empty_alias_matches_nothing)
{
    CHECK_EQUAL(0u, alias_prefix_match("/x", ""));
}

/* ---- $N substitution ---- */

TEST_GROUP(alias_subst)
{
    apr_pool_t* pool = nullptr;
    regex_t re;
    bool compiled = false;
    regmatch_t m[x0::alias_max_groups];

    void setup() override { apr_pool_create(&pool, nullptr); }

    void teardown() override
    {
        if (compiled)
            regfree(&re);
        apr_pool_destroy(pool);
    }

    const char* expand(const char* pattern, const char* subject, const char* tmpl)
    {
        if (compiled)
            regfree(&re);
        CHECK_EQUAL(0, regcomp(&re, pattern, REG_EXTENDED));
        compiled = true;
        CHECK_EQUAL(0, regexec(&re, subject, x0::alias_max_groups, m, 0));
        return x0::alias_substitute(pool, tmpl, subject, m, x0::alias_max_groups);
    }
};

TEST(alias_subst, groups)
{
    STRCMP_EQUAL("/srv/photos/2024/cat.jpg",
                 expand("^/p/([0-9]+)/(.*)$", "/p/2024/cat.jpg", "/srv/photos/$1/$2"));
    STRCMP_EQUAL("/x/p/7/y", expand("^/p/([0-9]+)", "/p/7/y", "/x$0/y"));
    STRCMP_EQUAL("cat-cat", expand("([a-z]+)", "/cat", "$1-$1"));
}

TEST(alias_subst, all_nine_groups)
{
    STRCMP_EQUAL("987654321",
                 expand("(1)(2)(3)(4)(5)(6)(7)(8)(9)", "123456789", "$9$8$7$6$5$4$3$2$1"));
}

TEST(alias_subst, missing_group_is_empty)
{
    STRCMP_EQUAL("a--b", expand("^/(x)?(a)$", "/a", "a-$1-$5b"));
}

TEST(alias_subst, escapes_and_literal_dollar)
{
    STRCMP_EQUAL("$1=v", expand("^/(v)$", "/v", "\\$1=$1"));
    STRCMP_EQUAL("\\v", expand("^/(v)$", "/v", "\\\\$1"));
    STRCMP_EQUAL("$x$", expand("^/(v)$", "/v", "$x$"));
    // httpd 2.4 gives '&' no meaning: query strings stay as written.
    STRCMP_EQUAL("/n?a=1&b=v", expand("^/(v)$", "/v", "/n?a=1&b=$1"));
    STRCMP_EQUAL("&", expand("^/(v)$", "/v", "\\&"));
}

TEST(alias_subst, max_group)
{
    CHECK_EQUAL(-1, x0::alias_max_group("/srv/none"));
    CHECK_EQUAL(2, x0::alias_max_group("/srv/$1/$2"));
    CHECK_EQUAL(0, x0::alias_max_group("$0"));
    CHECK_EQUAL(-1, x0::alias_max_group("\\$9"));
    CHECK_EQUAL(9, x0::alias_max_group("$9$1"));
}

/* ---- AliasMatch roots and targets ---- */

TEST_GROUP(alias_target)
{
};

TEST(alias_target, fixed_dir_length)
{
    CHECK_EQUAL(12u, x0::alias_fixed_dir_length("/srv/photos/$1/$2.jpg"));
    CHECK_EQUAL(5u, x0::alias_fixed_dir_length("/srv/img-$1.png"));
    CHECK_EQUAL(10u, x0::alias_fixed_dir_length("/srv/site/file"));
    CHECK_EQUAL(1u, x0::alias_fixed_dir_length("/$1"));
    CHECK_EQUAL(0u, x0::alias_fixed_dir_length("$1/x"));
    CHECK_EQUAL(5u, x0::alias_fixed_dir_length("/srv/a\\$b/c"));
}

TEST(alias_target, dotdot_segments)
{
    CHECK_TRUE(x0::alias_has_dotdot(".."));
    CHECK_TRUE(x0::alias_has_dotdot("../etc"));
    CHECK_TRUE(x0::alias_has_dotdot("a/../b"));
    CHECK_TRUE(x0::alias_has_dotdot("a/.."));
    CHECK_FALSE(x0::alias_has_dotdot("a..b/c"));
    CHECK_FALSE(x0::alias_has_dotdot("..a/b.."));
    CHECK_FALSE(x0::alias_has_dotdot("./a/."));
    CHECK_FALSE(x0::alias_has_dotdot(""));
}

/* ---- redirect targets ---- */

TEST_GROUP(alias_redirect)
{
    apr_pool_t* pool = nullptr;
    void setup() override { apr_pool_create(&pool, nullptr); }
    void teardown() override { apr_pool_destroy(pool); }
};

TEST(alias_redirect, escape_path)
{
    const char* plain = "/a/b-c_d.e~f/$!*'(),:;@&=+";
    POINTERS_EQUAL(plain, x0::alias_escape_path(pool, plain));  // nothing to do: no copy
    STRCMP_EQUAL("/a%20b%3Fc%23d%25e", x0::alias_escape_path(pool, "/a b?c#d%e"));
    STRCMP_EQUAL("/%C3%A9%0A%22%3C%3E%5C", x0::alias_escape_path(pool, "/\xc3\xa9\n\"<>\\"));
}

TEST(alias_redirect, escape_url_keeps_query_and_fragment)
{
    STRCMP_EQUAL("http://h/a%20b?q=a b#f g", x0::alias_escape_url(pool, "http://h/a b?q=a b#f g"));
    STRCMP_EQUAL("/x%20y#frag", x0::alias_escape_url(pool, "/x y#frag"));
    STRCMP_EQUAL("http://h/p", x0::alias_escape_url(pool, "http://h/p"));
}

TEST(alias_redirect, location_appends_rest_and_query)
{
    STRCMP_EQUAL("http://h/new/a/b", x0::alias_location(pool, "http://h/new", "/a/b", nullptr));
    STRCMP_EQUAL("http://h/new/a%20b?x=1&y=%20",
                 x0::alias_location(pool, "http://h/new", "/a b", "x=1&y=%20"));
    STRCMP_EQUAL("http://h/new?q", x0::alias_location(pool, "http://h/new", "", "q"));
    STRCMP_EQUAL("http://h/new?q", x0::alias_location(pool, "http://h/new", nullptr, "q"));
    // The target's own query wins; the request's is dropped (httpd).
    STRCMP_EQUAL("http://h/n?mine/x", x0::alias_location(pool, "http://h/n?mine", "/x", "theirs"));
    STRCMP_EQUAL("/new/x", x0::alias_location(pool, "/new", "/x", nullptr));
}

TEST(alias_redirect, is_url)
{
    CHECK_TRUE(x0::alias_is_url("http://example.com/"));
    CHECK_TRUE(x0::alias_is_url("https://example.com"));
    CHECK_TRUE(x0::alias_is_url("svn+ssh://h/r"));
    CHECK_TRUE(x0::alias_is_url("mailto:a@b"));
    CHECK_FALSE(x0::alias_is_url("/path"));
    CHECK_FALSE(x0::alias_is_url("relative/path"));
    CHECK_FALSE(x0::alias_is_url("1http://x"));
    CHECK_FALSE(x0::alias_is_url(""));
}

TEST(alias_redirect, status_words_and_numbers)
{
    int s = 0;
    CHECK_TRUE(x0::alias_parse_status("permanent", &s));
    CHECK_EQUAL(301, s);
    CHECK_TRUE(x0::alias_parse_status("TEMP", &s));
    CHECK_EQUAL(302, s);
    CHECK_TRUE(x0::alias_parse_status("seeother", &s));
    CHECK_EQUAL(303, s);
    CHECK_TRUE(x0::alias_parse_status("Gone", &s));
    CHECK_EQUAL(410, s);
    CHECK_TRUE(x0::alias_parse_status("307", &s));
    CHECK_EQUAL(307, s);
    CHECK_TRUE(x0::alias_parse_status("308", &s));
    CHECK_EQUAL(308, s);
    CHECK_TRUE(x0::alias_parse_status("30x", &s));  // a status, but a bad one
    CHECK_EQUAL(-1, s);
    CHECK_FALSE(x0::alias_parse_status("/old", &s));
    CHECK_FALSE(x0::alias_parse_status("http://x", &s));
    CHECK_FALSE(x0::alias_parse_status("forever", &s));
}

TEST(alias_redirect, status_ok)
{
    for (int s : {300, 301, 302, 303, 307, 308, 399, 410})
        CHECK_TRUE(x0::alias_status_ok(s));
    for (int s : {-1, 0, 200, 299, 400, 404, 500})
        CHECK_FALSE(x0::alias_status_ok(s));
}
