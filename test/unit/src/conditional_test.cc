/*
 * x0_meets_conditions: RFC 9110 section 13 on a bare request whose handler
 * has set ETag and Last-Modified.
 */
#include <CppUTest/TestHarness.h>

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "x0/http.h"

namespace {

// Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110 section 5.6.7).
const char* const last_modified = "Sun, 06 Nov 1994 08:49:37 GMT";
const char* const a_second_before = "Sun, 06 Nov 1994 08:49:36 GMT";
const char* const a_second_after = "Sun, 06 Nov 1994 08:49:38 GMT";
const char* const etag = "\"2ebc98a1-1a\"";
const char* const weak_etag = "W/\"2ebc98a1-1a\"";

} // namespace

TEST_GROUP(conditional)
{
    apr_pool_t* pool = nullptr;
    x0_request_t* r = nullptr;

    void setup() override
    {
        apr_pool_create(&pool, nullptr);
        r = static_cast<x0_request_t*>(apr_pcalloc(pool, sizeof(x0_request_t)));
        r->pool = pool;
        r->headers_in = apr_table_make(pool, 4);
        r->headers_out = apr_table_make(pool, 4);
        r->method = "GET";
        r->method_number = X0_M_GET;
        r->status = 200;
        r->request_time = apr_time_from_sec(946684800);  // 2000-01-01 00:00:00 GMT
        apr_table_set(r->headers_out, "ETag", etag);
        apr_table_set(r->headers_out, "Last-Modified", last_modified);
    }
    void teardown() override { apr_pool_destroy(pool); }

    /** The request carries just this one precondition. */
    int only(const char* name, const char* value)
    {
        apr_table_clear(r->headers_in);
        apr_table_set(r->headers_in, name, value);
        return x0_meets_conditions(r);
    }
    int if_match(const char* v) { return only("If-Match", v); }
    int if_none_match(const char* v) { return only("If-None-Match", v); }
    int if_unmodified_since(const char* v) { return only("If-Unmodified-Since", v); }
    int if_modified_since(const char* v) { return only("If-Modified-Since", v); }

    void method(x0_method_e m) { r->method_number = m; }
    void our_etag(const char* v) { apr_table_set(r->headers_out, "ETag", v); }
};

TEST(conditional, no_preconditions)
{
    LONGS_EQUAL(X0_OK, x0_meets_conditions(r));
    apr_table_set(r->headers_in, "Host", "example.com");
    apr_table_set(r->headers_in, "If-Range", "\"other\"");  // the byterange filter's
    apr_table_set(r->headers_in, "If", "(<urn:x>)");        // WebDAV, not ours
    LONGS_EQUAL(X0_OK, x0_meets_conditions(r));
}

TEST(conditional, field_names_are_case_insensitive)
{
    LONGS_EQUAL(412, only("if-match", "\"other\""));
    LONGS_EQUAL(304, only("IF-NONE-MATCH", etag));
    LONGS_EQUAL(412, only("if-unmodified-since", a_second_before));
    LONGS_EQUAL(304, only("If-modified-since", last_modified));
}

/* ---- step 1: If-Match, strong comparison (13.1.1) */

TEST(conditional, if_match)
{
    LONGS_EQUAL(X0_OK, if_match(etag));
    LONGS_EQUAL(412, if_match("\"2ebc98a1-1b\""));
    LONGS_EQUAL(412, if_match("\"2ebc98a1-1a"));  // unterminated
    LONGS_EQUAL(412, if_match("2ebc98a1-1a"));    // unquoted
    LONGS_EQUAL(412, if_match(""));
}

TEST(conditional, if_match_star)
{
    LONGS_EQUAL(X0_OK, if_match("*"));
    LONGS_EQUAL(X0_OK, if_match(" * "));
    our_etag(weak_etag);
    LONGS_EQUAL(X0_OK, if_match("*"));  // any current representation, weak or not
}

TEST(conditional, if_match_list)
{
    LONGS_EQUAL(X0_OK, if_match("\"a\", \"2ebc98a1-1a\""));
    LONGS_EQUAL(X0_OK, if_match("\"a\",\"b\" ,\t\"2ebc98a1-1a\" , \"c\""));
    LONGS_EQUAL(X0_OK, if_match(",, \"2ebc98a1-1a\",,"));  // empty members (5.6.1)
    LONGS_EQUAL(412, if_match("\"a\", \"b\""));
}

TEST(conditional, if_match_list_with_quoted_commas)
{
    // A comma is an etagc: it does not split the tag it is in.
    LONGS_EQUAL(X0_OK, if_match("\"x,y\", \"2ebc98a1-1a\""));
    LONGS_EQUAL(X0_OK, if_match("\"a, b\",\"2ebc98a1-1a\""));
    LONGS_EQUAL(412, if_match("\"2ebc98a1-1a,x\""));
    LONGS_EQUAL(412, if_match("\"x,2ebc98a1-1a\""));
    LONGS_EQUAL(412, if_match("\"x,\"2ebc98a1-1a\""));  // "x," then garbage
    our_etag("\"a,b\"");
    LONGS_EQUAL(X0_OK, if_match("\"c\", \"a,b\""));
    LONGS_EQUAL(412, if_match("\"a\", \"b\""));
}

TEST(conditional, if_match_stops_at_garbage)
{
    LONGS_EQUAL(412, if_match("\"a\", junk, \"2ebc98a1-1a\""));
    LONGS_EQUAL(412, if_match("\"a\" \"2ebc98a1-1a\""));  // no comma between
    LONGS_EQUAL(412, if_match("*\"2ebc98a1-1a\""));
}

TEST(conditional, if_match_is_strong_on_both_sides)
{
    LONGS_EQUAL(412, if_match(weak_etag));
    LONGS_EQUAL(412, if_match("\"a\", W/\"2ebc98a1-1a\""));
    our_etag(weak_etag);
    LONGS_EQUAL(412, if_match(etag));
    LONGS_EQUAL(412, if_match(weak_etag));
}

TEST(conditional, if_match_over_several_lines)
{
    apr_table_add(r->headers_in, "If-Match", "\"a\"");
    apr_table_add(r->headers_in, "If-Match", "\"b\", \"2ebc98a1-1a\"");
    LONGS_EQUAL(X0_OK, x0_meets_conditions(r));
    apr_table_clear(r->headers_in);
    apr_table_add(r->headers_in, "If-Match", "\"a\"");
    apr_table_add(r->headers_in, "If-Match", "\"b\"");
    LONGS_EQUAL(412, x0_meets_conditions(r));
}

TEST(conditional, if_match_for_every_method)
{
    for (x0_method_e m : {X0_M_GET, X0_M_HEAD, X0_M_POST, X0_M_PUT, X0_M_DELETE}) {
        method(m);
        LONGS_EQUAL(412, if_match("\"other\""));
        LONGS_EQUAL(X0_OK, if_match(etag));
    }
}

/* ---- step 2: If-Unmodified-Since (13.1.4) */

TEST(conditional, if_unmodified_since)
{
    LONGS_EQUAL(412, if_unmodified_since(a_second_before));
    LONGS_EQUAL(412, if_unmodified_since("Sat, 01 Jan 1994 00:00:00 GMT"));
    LONGS_EQUAL(X0_OK, if_unmodified_since(last_modified));
    LONGS_EQUAL(X0_OK, if_unmodified_since(a_second_after));
    LONGS_EQUAL(412, if_unmodified_since("Sunday, 06-Nov-94 08:49:36 GMT"));  // RFC 850
    LONGS_EQUAL(412, if_unmodified_since("Sun Nov  6 08:49:36 1994"));        // asctime
    method(X0_M_PUT);
    LONGS_EQUAL(412, if_unmodified_since(a_second_before));
}

TEST(conditional, if_unmodified_since_invalid_ignored)
{
    LONGS_EQUAL(X0_OK, if_unmodified_since("yesterday"));
    LONGS_EQUAL(X0_OK, if_unmodified_since(""));
    LONGS_EQUAL(X0_OK, if_unmodified_since("Sun, 06 Nov 1994 25:49:37 GMT"));
    LONGS_EQUAL(X0_OK, if_unmodified_since("Sun, 06 Nov 1994 08:49:36 GMT, "
                                           "Sun, 06 Nov 1994 08:49:36 GMT"));  // a list
    apr_table_clear(r->headers_in);
    apr_table_add(r->headers_in, "If-Unmodified-Since", a_second_before);
    apr_table_add(r->headers_in, "If-Unmodified-Since", a_second_before);
    LONGS_EQUAL(X0_OK, x0_meets_conditions(r));
}

TEST(conditional, if_unmodified_since_ignored_when_if_match_present)
{
    apr_table_set(r->headers_in, "If-Unmodified-Since", a_second_before);
    apr_table_set(r->headers_in, "If-Match", etag);
    LONGS_EQUAL(X0_OK, x0_meets_conditions(r));
    apr_table_set(r->headers_in, "If-Match", "*");
    LONGS_EQUAL(X0_OK, x0_meets_conditions(r));
}

/* ---- step 3: If-None-Match, weak comparison (13.1.2) */

TEST(conditional, if_none_match)
{
    LONGS_EQUAL(304, if_none_match(etag));
    LONGS_EQUAL(X0_OK, if_none_match("\"2ebc98a1-1b\""));
    LONGS_EQUAL(X0_OK, if_none_match("\"2ebc98a1-1a"));  // unterminated
    LONGS_EQUAL(X0_OK, if_none_match("2ebc98a1-1a"));    // unquoted
    LONGS_EQUAL(X0_OK, if_none_match(""));
}

TEST(conditional, if_none_match_list)
{
    LONGS_EQUAL(304, if_none_match("\"a\", \"2ebc98a1-1a\""));
    LONGS_EQUAL(304, if_none_match("\"a\",\"b\" ,\t\"2ebc98a1-1a\" , \"c\""));
    LONGS_EQUAL(304, if_none_match("\"x,y\", \"2ebc98a1-1a\""));  // a comma inside a tag
    LONGS_EQUAL(X0_OK, if_none_match("\"x,\"2ebc98a1-1a\",y\""));
    LONGS_EQUAL(X0_OK, if_none_match("\"a\", \"b\""));
    LONGS_EQUAL(X0_OK, if_none_match("\"a\", junk, \"2ebc98a1-1a\""));  // parsing stops
}

TEST(conditional, if_none_match_over_several_lines)
{
    apr_table_add(r->headers_in, "If-None-Match", "\"a\"");
    apr_table_add(r->headers_in, "If-None-Match", "\"2ebc98a1-1a\"");
    LONGS_EQUAL(304, x0_meets_conditions(r));
}

TEST(conditional, if_none_match_is_weak_on_both_sides)
{
    LONGS_EQUAL(304, if_none_match(weak_etag));
    LONGS_EQUAL(304, if_none_match("\"a\", W/\"2ebc98a1-1a\""));
    our_etag(weak_etag);
    LONGS_EQUAL(304, if_none_match(etag));
    LONGS_EQUAL(304, if_none_match(weak_etag));
    LONGS_EQUAL(X0_OK, if_none_match("w/\"2ebc98a1-1a\""));  // "W/" is case-sensitive
}

TEST(conditional, if_none_match_star)
{
    LONGS_EQUAL(304, if_none_match("*"));
}

TEST(conditional, if_none_match_304_for_get_and_head_412_otherwise)
{
    method(X0_M_HEAD);
    LONGS_EQUAL(304, if_none_match(etag));
    for (x0_method_e m : {X0_M_POST, X0_M_PUT, X0_M_DELETE, X0_M_PATCH}) {
        method(m);
        LONGS_EQUAL(412, if_none_match(etag));
        LONGS_EQUAL(412, if_none_match("*"));
        LONGS_EQUAL(X0_OK, if_none_match("\"other\""));
    }
}

/* ---- step 4: If-Modified-Since (13.1.3) */

TEST(conditional, if_modified_since)
{
    LONGS_EQUAL(304, if_modified_since(last_modified));  // equal
    LONGS_EQUAL(304, if_modified_since(a_second_after));
    LONGS_EQUAL(304, if_modified_since("Mon, 07 Nov 1994 00:00:00 GMT"));
    LONGS_EQUAL(X0_OK, if_modified_since(a_second_before));  // modified since
    LONGS_EQUAL(X0_OK, if_modified_since("Sat, 01 Jan 1994 00:00:00 GMT"));
    LONGS_EQUAL(304, if_modified_since("Sunday, 06-Nov-94 08:49:37 GMT"));  // RFC 850
    LONGS_EQUAL(304, if_modified_since("Sun Nov  6 08:49:37 1994"));        // asctime
    method(X0_M_HEAD);
    LONGS_EQUAL(304, if_modified_since(last_modified));
}

TEST(conditional, if_modified_since_invalid_ignored)
{
    LONGS_EQUAL(X0_OK, if_modified_since("yesterday"));
    LONGS_EQUAL(X0_OK, if_modified_since(""));
    LONGS_EQUAL(X0_OK, if_modified_since("Sun, 06 Nov 1994 25:49:37 GMT"));
    LONGS_EQUAL(X0_OK, if_modified_since("Sun, 06 Nov 1994 08:49:37 GMT, "
                                         "Sun, 06 Nov 1994 08:49:37 GMT"));  // a list
    apr_table_clear(r->headers_in);
    apr_table_add(r->headers_in, "If-Modified-Since", last_modified);
    apr_table_add(r->headers_in, "If-Modified-Since", last_modified);
    LONGS_EQUAL(X0_OK, x0_meets_conditions(r));
}

TEST(conditional, if_modified_since_in_the_future_ignored)
{
    // Not modified since 2000-01-01 00:00:01, a second after the request:
    // a date the client cannot have had from us.
    LONGS_EQUAL(X0_OK, if_modified_since("Sat, 01 Jan 2000 00:00:01 GMT"));
    LONGS_EQUAL(304, if_modified_since("Sat, 01 Jan 2000 00:00:00 GMT"));
    LONGS_EQUAL(304, if_modified_since("Fri, 31 Dec 1999 23:59:59 GMT"));
}

TEST(conditional, if_modified_since_only_for_get_and_head)
{
    for (x0_method_e m : {X0_M_POST, X0_M_PUT, X0_M_DELETE}) {
        method(m);
        LONGS_EQUAL(X0_OK, if_modified_since(last_modified));
    }
}

/* ---- the order of section 13.2.2 */

TEST(conditional, failing_if_match_beats_matching_if_none_match)
{
    apr_table_set(r->headers_in, "If-Match", "\"other\"");
    apr_table_set(r->headers_in, "If-None-Match", etag);
    LONGS_EQUAL(412, x0_meets_conditions(r));
    method(X0_M_HEAD);
    LONGS_EQUAL(412, x0_meets_conditions(r));
}

TEST(conditional, failing_if_unmodified_since_beats_if_none_match)
{
    apr_table_set(r->headers_in, "If-Unmodified-Since", a_second_before);
    apr_table_set(r->headers_in, "If-None-Match", etag);
    LONGS_EQUAL(412, x0_meets_conditions(r));
    apr_table_set(r->headers_in, "If-Modified-Since", last_modified);
    apr_table_unset(r->headers_in, "If-None-Match");
    LONGS_EQUAL(412, x0_meets_conditions(r));
}

TEST(conditional, passing_if_match_goes_on_to_if_none_match)
{
    apr_table_set(r->headers_in, "If-Match", etag);
    apr_table_set(r->headers_in, "If-None-Match", etag);
    LONGS_EQUAL(304, x0_meets_conditions(r));
    method(X0_M_PUT);
    LONGS_EQUAL(412, x0_meets_conditions(r));
}

TEST(conditional, if_none_match_makes_if_modified_since_ignored)
{
    // A mismatching tag sends the representation although the date says
    // "not modified".
    apr_table_set(r->headers_in, "If-None-Match", "\"other\"");
    apr_table_set(r->headers_in, "If-Modified-Since", last_modified);
    LONGS_EQUAL(X0_OK, x0_meets_conditions(r));
    // A matching tag gives 304 although the date says "modified".
    apr_table_set(r->headers_in, "If-None-Match", etag);
    apr_table_set(r->headers_in, "If-Modified-Since", a_second_before);
    LONGS_EQUAL(304, x0_meets_conditions(r));
}

/* ---- missing validators */

TEST(conditional, without_an_etag)
{
    apr_table_unset(r->headers_out, "ETag");
    LONGS_EQUAL(X0_OK, if_match("*"));
    LONGS_EQUAL(412, if_match(etag));
    LONGS_EQUAL(304, if_none_match("*"));
    LONGS_EQUAL(X0_OK, if_none_match(etag));
    LONGS_EQUAL(304, if_modified_since(last_modified));  // Last-Modified still counts
}

TEST(conditional, malformed_etag_is_no_etag)
{
    our_etag("2ebc98a1-1a");
    LONGS_EQUAL(412, if_match("\"2ebc98a1-1a\""));
    LONGS_EQUAL(X0_OK, if_none_match("\"2ebc98a1-1a\""));
    our_etag("\"2ebc98a1-1a\" junk");
    LONGS_EQUAL(412, if_match("\"2ebc98a1-1a\""));
}

TEST(conditional, without_last_modified)
{
    apr_table_unset(r->headers_out, "Last-Modified");
    LONGS_EQUAL(X0_OK, if_unmodified_since(a_second_before));
    LONGS_EQUAL(X0_OK, if_modified_since(a_second_after));
    LONGS_EQUAL(304, if_none_match(etag));
    apr_table_set(r->headers_out, "Last-Modified", "garbage");
    LONGS_EQUAL(X0_OK, if_unmodified_since(a_second_before));
    LONGS_EQUAL(X0_OK, if_modified_since(a_second_after));
}

TEST(conditional, without_any_validator)
{
    apr_table_clear(r->headers_out);
    LONGS_EQUAL(X0_OK, if_match("*"));
    LONGS_EQUAL(412, if_match(etag));
    LONGS_EQUAL(X0_OK, if_unmodified_since(a_second_before));
    LONGS_EQUAL(304, if_none_match("*"));
    LONGS_EQUAL(X0_OK, if_none_match(etag));
    LONGS_EQUAL(X0_OK, if_modified_since(a_second_after));
}

TEST(conditional, ignored_for_a_response_other_than_2xx)
{
    // Section 13.2.1: only a response that would otherwise be a 2xx.
    r->status = 404;
    LONGS_EQUAL(X0_OK, if_none_match("*"));
    LONGS_EQUAL(X0_OK, if_match("\"other\""));
    r->status = 203;
    LONGS_EQUAL(304, if_none_match("*"));
}
