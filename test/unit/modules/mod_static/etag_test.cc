#include <CppUTest/TestHarness.h>

#include <apr_pools.h>
#include <apr_time.h>
#include "mod_static/etag.h"

TEST_GROUP(etag)
{
    apr_pool_t* pool = nullptr;

    void setup() override { apr_pool_create(&pool, nullptr); }
    void teardown() override { apr_pool_destroy(pool); }
};

TEST(etag, format)
{
    // Sun, 06 Nov 1994 08:49:37 GMT plus a fraction of a second: the tag
    // keeps whole seconds only, as Last-Modified does.
    apr_time_t mtime = apr_time_from_sec(784111777) + 250000;
    STRCMP_EQUAL("\"2ebc98a1-1a\"", x0::validators_of(pool, mtime, mtime, 26).etag);
    STRCMP_EQUAL("\"0-0\"", x0::validators_of(pool, 0, 0, 0).etag);
    STRCMP_EQUAL("\"5f5e100-10000000000\"",
                 x0::validators_of(pool, apr_time_from_sec(100000000), 0,
                                   APR_INT64_C(1) << 40).etag);
}

TEST(etag, validators_of_a_version)
{
    apr_time_t mtime = apr_time_from_sec(784111777) + 250000;
    x0::file_validators v = x0::validators_of(pool, mtime, mtime, 26);
    STRCMP_EQUAL("\"2ebc98a1-1a\"", v.etag);
    STRCMP_EQUAL("Sun, 06 Nov 1994 08:49:37 GMT", v.last_modified);
    // The same version again: the same strings, in the pool asked with
    // (a response's headers never share the kept ones).
    x0::file_validators again = x0::validators_of(pool, mtime + 1, mtime, 26);
    STRCMP_EQUAL(v.etag, again.etag);
    STRCMP_EQUAL(v.last_modified, again.last_modified);
    CHECK(v.etag != again.etag);
    // Another size, another second, a stated date of its own: new strings,
    // and the earlier response's are untouched.
    STRCMP_EQUAL("\"2ebc98a1-1b\"", x0::validators_of(pool, mtime, mtime, 27).etag);
    STRCMP_EQUAL("\"2ebc98a2-1b\"",
                 x0::validators_of(pool, mtime + apr_time_from_sec(1), mtime, 27).etag);
    x0::file_validators future = x0::validators_of(pool, mtime + apr_time_from_sec(1),
                                                   apr_time_from_sec(784111800), 27);
    STRCMP_EQUAL("Sun, 06 Nov 1994 08:50:00 GMT", future.last_modified);
    STRCMP_EQUAL("\"2ebc98a1-1a\"", v.etag);
    STRCMP_EQUAL("Sun, 06 Nov 1994 08:49:37 GMT", v.last_modified);
}
