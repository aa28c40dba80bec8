#include <CppUTest/TestHarness.h>

#include <apr_date.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>
#include "mod_static/conditional.h"

namespace {

// Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110 section 5.6.7), plus a fraction
// of a second that HTTP-dates cannot carry.
const apr_time_t file_mtime = apr_time_from_sec(784111777) + 250000;
const char* const file_etag = "\"2ebc98a1-1a\"";

} // namespace

TEST_GROUP(conditional)
{
    apr_pool_t* pool = nullptr;
    apr_table_t* headers = nullptr;

    void setup() override
    {
        apr_pool_create(&pool, nullptr);
        headers = apr_table_make(pool, 4);
    }
    void teardown() override { apr_pool_destroy(pool); }

    int eval() { return x0::evaluate_preconditions(headers, file_etag, file_mtime); }
    int inm(const char* value)
    {
        apr_table_clear(headers);
        apr_table_set(headers, "If-None-Match", value);
        return eval();
    }
    int ims(const char* value)
    {
        apr_table_clear(headers);
        apr_table_set(headers, "If-Modified-Since", value);
        return eval();
    }
};

TEST(conditional, etag_format)
{
    STRCMP_EQUAL(file_etag, x0::make_etag(pool, file_mtime, 26));
    STRCMP_EQUAL("\"0-0\"", x0::make_etag(pool, 0, 0));
    STRCMP_EQUAL("\"5f5e100-10000000000\"",
                 x0::make_etag(pool, apr_time_from_sec(100000000), APR_INT64_C(1) << 40));
}

TEST(conditional, no_conditions)
{
    LONGS_EQUAL(0, eval());
}

TEST(conditional, if_none_match)
{
    LONGS_EQUAL(304, inm("\"2ebc98a1-1a\""));
    LONGS_EQUAL(0, inm("\"2ebc98a1-1b\""));
    LONGS_EQUAL(0, inm("\"2ebc98a1-1a"));          // unterminated
    LONGS_EQUAL(0, inm("2ebc98a1-1a"));            // unquoted
    LONGS_EQUAL(0, inm(""));
}

TEST(conditional, if_none_match_list)
{
    LONGS_EQUAL(304, inm("\"a\", \"2ebc98a1-1a\""));
    LONGS_EQUAL(304, inm("\"a\",\"b\" ,\t\"2ebc98a1-1a\" , \"c\""));
    LONGS_EQUAL(304, inm("\"x,y\", \"2ebc98a1-1a\""));  // a comma inside a tag
    LONGS_EQUAL(0, inm("\"a\", \"b\""));
    LONGS_EQUAL(0, inm("\"a\", junk, \"2ebc98a1-1a\""));  // parsing stops at junk
}

TEST(conditional, if_none_match_over_several_lines)
{
    apr_table_add(headers, "If-None-Match", "\"a\"");
    apr_table_add(headers, "If-None-Match", "\"2ebc98a1-1a\"");
    LONGS_EQUAL(304, eval());
}

TEST(conditional, if_none_match_weak_comparison)
{
    LONGS_EQUAL(304, inm("W/\"2ebc98a1-1a\""));
    LONGS_EQUAL(304, inm("\"a\", W/\"2ebc98a1-1a\""));
    LONGS_EQUAL(304, x0::evaluate_preconditions(headers, "W/\"2ebc98a1-1a\"", file_mtime));
    apr_table_set(headers, "If-None-Match", "\"2ebc98a1-1a\"");
    LONGS_EQUAL(304, x0::evaluate_preconditions(headers, "W/\"2ebc98a1-1a\"", file_mtime));
    LONGS_EQUAL(0, inm("w/\"2ebc98a1-1a\""));  // the weakness indicator is case-sensitive
}

TEST(conditional, if_none_match_star)
{
    LONGS_EQUAL(304, inm("*"));
}

TEST(conditional, if_none_match_overrides_if_modified_since)
{
    // A mismatching tag serves the file although the date says "not modified".
    apr_table_set(headers, "If-None-Match", "\"other\"");
    apr_table_set(headers, "If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT");
    LONGS_EQUAL(0, eval());
    // A matching tag gives 304 although the date says "modified".
    apr_table_set(headers, "If-None-Match", file_etag);
    apr_table_set(headers, "If-Modified-Since", "Sat, 05 Nov 1994 08:49:37 GMT");
    LONGS_EQUAL(304, eval());
}

TEST(conditional, if_modified_since)
{
    LONGS_EQUAL(304, ims("Sun, 06 Nov 1994 08:49:37 GMT"));   // equal (to the second)
    LONGS_EQUAL(304, ims("Sun, 06 Nov 1994 08:49:38 GMT"));   // newer than the file
    LONGS_EQUAL(304, ims("Mon, 07 Nov 1994 00:00:00 GMT"));
    LONGS_EQUAL(0, ims("Sun, 06 Nov 1994 08:49:36 GMT"));     // older: modified since
    LONGS_EQUAL(0, ims("Sat, 01 Jan 1994 00:00:00 GMT"));
    LONGS_EQUAL(304, ims("Sunday, 06-Nov-94 08:49:37 GMT"));  // obsolete RFC 850 form
    LONGS_EQUAL(304, ims("Sun Nov  6 08:49:37 1994"));        // asctime form
}

TEST(conditional, if_modified_since_invalid_ignored)
{
    LONGS_EQUAL(0, ims("yesterday"));
    LONGS_EQUAL(0, ims(""));
    LONGS_EQUAL(0, ims("Sun, 06 Nov 1994 25:49:37 GMT"));
}
