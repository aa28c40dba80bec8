#include <CppUTest/TestHarness.h>

#include <apr_pools.h>
#include <apr_tables.h>
#include <cstring>
#include "mod_expires/expires_rules.h"

using x0::expires_rule;
using x0::expires_type_rule;

namespace {
constexpr apr_int64_t minute = 60, hour = 3600, day = 86400;
}

TEST_GROUP(expires)
{
    apr_pool_t* pool = nullptr;

    void setup() override { apr_pool_create(&pool, nullptr); }
    void teardown() override { apr_pool_destroy(pool); }

    expires_rule parse(const char* code)
    {
        expires_rule r{};
        const char* err = x0::expires_parse_code(pool, code, &r);
        if (err)
            FAIL(err);
        return r;
    }

    const char* error(const char* code)
    {
        expires_rule r{};
        return x0::expires_parse_code(pool, code, &r);
    }
};

TEST(expires, long_form)
{
    expires_rule r = parse("access plus 1 month 2 days");
    CHECK_FALSE(r.modification);
    LONGS_EQUAL(32 * day, r.seconds);
    r = parse("modification plus 2 hours 3 minutes");
    CHECK(r.modification);
    LONGS_EQUAL(2 * hour + 3 * minute, r.seconds);
    LONGS_EQUAL(365 * day + 7 * day + 1, parse("now plus 1 year 1 week 1 second").seconds);
    LONGS_EQUAL(10 * day, parse("Access Plus 10 Days").seconds);
    LONGS_EQUAL(90, parse("access 90 seconds").seconds);       // "plus" is optional
    LONGS_EQUAL(0, parse("access").seconds);
    // Shortened words, as httpd compares only their first letters.
    LONGS_EQUAL(5 * minute + 2 * 30 * day, parse("a p 5 min 2 mo").seconds);
    LONGS_EQUAL(3 * hour, parse("m plus 3 h").seconds);
    LONGS_EQUAL(hour, parse("  access   plus  1   hour  ").seconds);
}

TEST(expires, short_form)
{
    expires_rule r = parse("A3600");
    CHECK_FALSE(r.modification);
    LONGS_EQUAL(3600, r.seconds);
    r = parse("M86400");
    CHECK(r.modification);
    LONGS_EQUAL(86400, r.seconds);
    LONGS_EQUAL(0, parse("A0").seconds);
}

TEST(expires, errors)
{
    CHECK(strstr(error("later plus 1 day"), "unrecognised <base> 'later'"));
    CHECK(strstr(error("access plus one day"), "numeric value expected <num> 'one'"));
    CHECK(strstr(error("access plus 1"), "missing <type>"));
    CHECK(strstr(error("access plus 1 dozen"), "unrecognised <type> 'dozen'"));
    CHECK(strstr(error("access plus 1 m"), "unrecognised <type> 'm'"));  // months or minutes?
    CHECK(error("access plus 1 dayz") != nullptr);
    CHECK(error("access plus -1 day") != nullptr);
    CHECK(error("access plus 70 years") != nullptr);  // past INT_MAX seconds
    CHECK(error("access plus 99999999999 seconds") != nullptr);
    CHECK(error("A36x") != nullptr);
    CHECK(error("") != nullptr);
}

TEST(expires, check_type)
{
    CHECK(x0::expires_check_type(pool, "text/html") == nullptr);
    CHECK(x0::expires_check_type(pool, "text/*") == nullptr);
    CHECK(strstr(x0::expires_check_type(pool, "html"), "should contain a slash"));
    CHECK(x0::expires_check_type(pool, "*/*") != nullptr);
    CHECK(x0::expires_check_type(pool, "text/h*") != nullptr);
    CHECK(x0::expires_check_type(pool, "text/") != nullptr);
    CHECK(x0::expires_check_type(pool, "text/html;charset=utf-8") != nullptr);
}

TEST(expires, find_by_type)
{
    apr_array_header_t* rules = apr_array_make(pool, 4, sizeof(expires_type_rule));
    APR_ARRAY_PUSH(rules, expires_type_rule) = {"text/html", {false, 1}};
    APR_ARRAY_PUSH(rules, expires_type_rule) = {"image/*", {false, 2}};
    APR_ARRAY_PUSH(rules, expires_type_rule) = {"text/*", {false, 3}};
    APR_ARRAY_PUSH(rules, expires_type_rule) = {"TEXT/CSS", {false, 4}};
    APR_ARRAY_PUSH(rules, expires_type_rule) = {"text/html", {false, 5}};  // an outer scope's
    expires_rule fallback{true, 9};

    LONGS_EQUAL(1, x0::expires_find(rules, &fallback, "text/html")->seconds);
    LONGS_EQUAL(1, x0::expires_find(rules, &fallback, "text/html; charset=utf-8")->seconds);
    LONGS_EQUAL(1, x0::expires_find(rules, &fallback, "Text/HTML ;q=1")->seconds);
    LONGS_EQUAL(4, x0::expires_find(rules, &fallback, "text/css")->seconds);
    // An exact entry wins over a wildcard listed before it.
    LONGS_EQUAL(2, x0::expires_find(rules, &fallback, "image/png")->seconds);
    LONGS_EQUAL(3, x0::expires_find(rules, &fallback, "text/plain; charset=utf-8")->seconds);
    LONGS_EQUAL(9, x0::expires_find(rules, &fallback, "application/json")->seconds);
    LONGS_EQUAL(9, x0::expires_find(rules, &fallback, "texthtml")->seconds);
    LONGS_EQUAL(9, x0::expires_find(rules, &fallback, nullptr)->seconds);
    // Not a prefix match: text/htmlx is only a text type.
    LONGS_EQUAL(3, x0::expires_find(rules, &fallback, "text/htmlx")->seconds);
    LONGS_EQUAL(9, x0::expires_find(rules, &fallback, "tex/html")->seconds);
    POINTERS_EQUAL(nullptr, x0::expires_find(rules, nullptr, "video/mp4"));
    POINTERS_EQUAL(nullptr, x0::expires_find(nullptr, nullptr, "text/html"));
}

TEST(expires, compute)
{
    apr_time_t now = apr_time_from_sec(1700000000) + 250000;
    apr_time_t when;
    apr_int64_t max_age;

    CHECK(x0::expires_compute({false, 3600}, now, nullptr, &when, &max_age));
    CHECK(when == now + apr_time_from_sec(3600));
    LONGS_EQUAL(3600, max_age);

    // From the modification time; none without a file.
    apr_time_t mtime = now - apr_time_from_sec(600);
    CHECK(x0::expires_compute({true, 3600}, now, &mtime, &when, &max_age));
    CHECK(when == mtime + apr_time_from_sec(3600));
    LONGS_EQUAL(3000, max_age);
    CHECK_FALSE(x0::expires_compute({true, 3600}, now, nullptr, &when, &max_age));

    // Already past: the request time, max-age=0 (httpd).
    CHECK(x0::expires_compute({true, 60}, now, &mtime, &when, &max_age));
    CHECK(when == now);
    LONGS_EQUAL(0, max_age);
    CHECK(x0::expires_compute({false, 0}, now, &mtime, &when, &max_age));
    LONGS_EQUAL(0, max_age);
}
