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
    STRCMP_EQUAL("\"2ebc98a1-1a\"", x0::make_etag(pool, mtime, 26));
    STRCMP_EQUAL("\"0-0\"", x0::make_etag(pool, 0, 0));
    STRCMP_EQUAL("\"5f5e100-10000000000\"",
                 x0::make_etag(pool, apr_time_from_sec(100000000), APR_INT64_C(1) << 40));
}
