/*
 * BYTERANGE: brigade in -> brigade out. The filter sits at the head of a
 * request's chain in front of a capture filter that keeps whatever it is
 * given, so each test sees the status and fields the filter set at header
 * time and exactly the buckets it passed on, metadata and types included.
 */
#include <CppUTest/TestHarness.h>

#include <apr_date.h>
#include <apr_file_io.h>
#include <algorithm>
#include <apr_strings.h>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "brigade_util.h"
#include "core_config.h"
#include "core_filters.h"
#include "modules.h"
#include "range_parser.h"
#include "x0/http.h"

namespace {

struct capture {
    apr_bucket_brigade* result;  // everything passed so far, in order
    int passes;
};

apr_status_t capture_out(x0_filter_t* f, apr_bucket_brigade* bb)
{
    auto* cap = static_cast<capture*>(f->ctx);
    ++cap->passes;
    APR_BRIGADE_CONCAT(cap->result, bb);
    return APR_SUCCESS;
}

const x0_filter_rec_t capture_rec = {"CAPTURE", capture_out, nullptr, X0_FTYPE_HEADER};
const x0_filter_rec_t byterange_rec = {"BYTERANGE", x0::byterange_filter, nullptr,
                                       X0_FTYPE_RANGE};

using x0test::render;

/** 0..255 repeated: every offset has a predictable byte. */
std::string pattern(size_t n)
{
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>((i * 7 + i / 256) & 0xff);
    return s;
}

typedef std::vector<std::pair<long long, long long>> range_list;

/** multipart/byteranges as RFC 9110 section 14.6 and the filter's comment define it. */
std::string multipart(const std::string& body, const range_list& ranges, const char* type,
                      const std::string& boundary)
{
    std::string out;
    for (const auto& r : ranges) {
        out += "\r\n--" + boundary + "\r\n";
        if (type)
            out += std::string("Content-Type: ") + type + "\r\n";
        out += "Content-Range: bytes " + std::to_string(r.first) + "-" + std::to_string(r.second)
             + "/" + std::to_string(body.size()) + "\r\n\r\n";
        out += body.substr(r.first, r.second - r.first + 1);
    }
    return out + "\r\n--" + boundary + "--\r\n";
}

} // namespace

TEST_GROUP(byterange_filter)
{
    apr_pool_t* pool;
    apr_bucket_alloc_t* ba;
    x0_server_t server;
    x0_conn_t conn;
    x0_request_t req;
    capture cap;
    x0_filter_t range;
    x0_filter_t sink;
    apr_bucket_brigade* bb;

    void setup() override
    {
        apr_pool_create(&pool, nullptr);
        ba = apr_bucket_alloc_create(pool);
        server = x0_server_t{};   // log level 0: the short-body message stays quiet
        conn = x0_conn_t{};
        conn.pool = pool;
        conn.bucket_alloc = ba;
        conn.base_server = &server;
        conn.keepalive = 1;
        req = x0_request_t{};
        req.pool = pool;
        req.connection = &conn;
        req.server = &server;
        req.request_time = apr_time_now();
        req.method = "GET";
        req.method_number = X0_M_GET;
        req.headers_in = apr_table_make(pool, 4);
        req.headers_out = apr_table_make(pool, 4);
        req.status = 200;
        req.content_type = "text/plain";
        req.content_length = -1;
        cap.result = apr_brigade_create(pool, ba);
        cap.passes = 0;
        sink = x0_filter_t{&capture_rec, &cap, nullptr, &req, &conn};
        range = x0_filter_t{&byterange_rec, nullptr, &sink, &req, &conn};
        req.output_filters = &range;
        bb = apr_brigade_create(pool, ba);
    }

    void teardown() override { apr_pool_destroy(pool); }

    /** A response of @a length bytes to a GET with this Range. */
    void respond(const char* range_field, apr_off_t length)
    {
        if (range_field)
            apr_table_setn(req.headers_in, "Range", range_field);
        x0_set_content_length(&req, length);
    }

    /** Pass bb down the request's chain, as a handler does. */
    void pass()
    {
        LONGS_EQUAL(APR_SUCCESS, x0_pass_brigade(req.output_filters, bb));
        CHECK(APR_BRIGADE_EMPTY(bb));
    }

    void add(const std::string& data, size_t piece = 0) { x0test::append_pieces(bb, data, piece); }
    void add_flush() { APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(ba)); }
    void add_eos() { APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba)); }

    /** Send @a body whole, in pieces of @a piece bytes, then EOS. */
    void send(const std::string& body, size_t piece = 0)
    {
        add(body, piece);
        add_eos();
        pass();
    }

    std::string output() { return render(cap.result); }
    std::string types() { return x0test::bucket_types(cap.result); }
    std::string out_field(const char* name)
    {
        const char* v = apr_table_get(req.headers_out, name);
        return v ? v : "(none)";
    }
    bool in_chain() { return req.output_filters == &range; }

    /** The boundary from a multipart/byteranges Content-Type. */
    std::string boundary()
    {
        std::string type = req.content_type ? req.content_type : "";
        const std::string prefix = "multipart/byteranges; boundary=";
        if (type.compare(0, prefix.size(), prefix) != 0)
            FAIL(("not multipart/byteranges: " + type).c_str());
        return type.substr(prefix.size());
    }

    /** A temporary file holding @a body, deleted with the pool. */
    apr_file_t* temp_file(const std::string& body)
    {
        char* tmpl = apr_pstrdup(pool, "/tmp/x0_range_test_XXXXXX");
        apr_file_t* file;
        LONGS_EQUAL(APR_SUCCESS,
                    apr_file_mktemp(&file, tmpl,
                                    APR_FOPEN_CREATE | APR_FOPEN_READ | APR_FOPEN_WRITE
                                        | APR_FOPEN_EXCL | APR_FOPEN_DELONCLOSE,
                                    pool));
        apr_size_t n = body.size();
        LONGS_EQUAL(APR_SUCCESS, apr_file_write_full(file, body.data(), n, nullptr));
        return file;
    }

    /** The response was left as it was: 200, whole body, filter gone. */
    void check_untouched(int status, const std::string& body, apr_off_t length)
    {
        LONGS_EQUAL(status, req.status);
        LONGS_EQUAL(length, req.content_length);
        STRCMP_EQUAL("text/plain", req.content_type);
        STRCMP_EQUAL("(none)", out_field("Content-Range").c_str());
        CHECK(output() == body + "<EOS>");
        CHECK(!in_chain());
    }
};

TEST(byterange_filter, single_range_of_a_heap_body)
{
    std::string body = pattern(100);
    respond("bytes=10-19", 100);
    send(body);
    LONGS_EQUAL(206, req.status);
    STRCMP_EQUAL("bytes 10-19/100", out_field("Content-Range").c_str());
    LONGS_EQUAL(10, req.content_length);
    STRCMP_EQUAL("text/plain", req.content_type);
    CHECK(output() == body.substr(10, 10) + "<EOS>");
    LONGS_EQUAL(1, conn.keepalive);
}

TEST(byterange_filter, open_and_suffix_ranges)
{
    std::string body = pattern(100);
    respond("bytes=-7", 100);
    send(body, 9);
    STRCMP_EQUAL("bytes 93-99/100", out_field("Content-Range").c_str());
    LONGS_EQUAL(7, req.content_length);
    CHECK(output() == body.substr(93) + "<EOS>");
}

TEST(byterange_filter, whole_range_is_still_206)
{
    std::string body = pattern(50);
    respond("bytes=0-", 50);
    send(body);
    LONGS_EQUAL(206, req.status);
    STRCMP_EQUAL("bytes 0-49/50", out_field("Content-Range").c_str());
    CHECK(output() == body + "<EOS>");
}

TEST(byterange_filter, file_body_split_across_buckets_stays_file_buckets)
{
    std::string body = pattern(3000);
    apr_file_t* file = temp_file(body);
    respond("bytes=1000-1999", 3000);
    apr_brigade_insert_file(bb, file, 0, 1500, pool);
    apr_brigade_insert_file(bb, file, 1500, 1500, pool);
    add_eos();
    pass();
    LONGS_EQUAL(206, req.status);
    STRCMP_EQUAL("bytes 1000-1999/3000", out_field("Content-Range").c_str());
    // Split, never read: the pieces are file buckets at the right offsets.
    STRCMP_EQUAL("FILE,FILE,EOS", types().c_str());
    apr_bucket* b = APR_BRIGADE_FIRST(cap.result);
    LONGS_EQUAL(1000, b->start);
    LONGS_EQUAL(500, b->length);
    b = APR_BUCKET_NEXT(b);
    LONGS_EQUAL(1500, b->start);
    LONGS_EQUAL(500, b->length);
    CHECK(output() == body.substr(1000, 1000) + "<EOS>");
}

TEST(byterange_filter, multipart_of_a_file_keeps_file_buckets)
{
    std::string body = pattern(3000);
    apr_file_t* file = temp_file(body);
    respond("bytes=0-9,100-199,2900-", 3000);
    apr_brigade_insert_file(bb, file, 0, 3000, pool);
    add_eos();
    pass();
    LONGS_EQUAL(206, req.status);
    STRCMP_EQUAL("HEAP,FILE,HEAP,FILE,HEAP,FILE,IMMORTAL,EOS", types().c_str());
    std::string want = multipart(body, {{0, 9}, {100, 199}, {2900, 2999}}, "text/plain",
                                 boundary());
    CHECK(output() == want + "<EOS>");
    LONGS_EQUAL(static_cast<long>(want.size()), static_cast<long>(req.content_length));
}

TEST(byterange_filter, parts_go_out_in_the_order_asked_for)
{
    // RFC 9110 15.3.7.2; the file comes whole in one brigade, as from
    // mod_static, in two buckets that the second range crosses.
    std::string body = pattern(3000);
    apr_file_t* file = temp_file(body);
    respond("bytes=2900-,1400-1599,0-9", 3000);
    apr_brigade_insert_file(bb, file, 0, 1500, pool);
    apr_brigade_insert_file(bb, file, 1500, 1500, pool);
    add_eos();
    pass();
    LONGS_EQUAL(206, req.status);
    // Copies of the file buckets: still file buckets, never read.
    STRCMP_EQUAL("HEAP,FILE,HEAP,FILE,FILE,HEAP,FILE,IMMORTAL,EOS", types().c_str());
    const apr_off_t starts[] = {2900, 1400, 1500, 0};
    int i = 0;
    for (apr_bucket* b = APR_BRIGADE_FIRST(cap.result); b != APR_BRIGADE_SENTINEL(cap.result);
         b = APR_BUCKET_NEXT(b))
        if (APR_BUCKET_IS_FILE(b))
            CHECK(i < 4 && b->start == starts[i++]);
    std::string want = multipart(body, {{2900, 2999}, {1400, 1599}, {0, 9}}, "text/plain",
                                 boundary());
    CHECK(output() == want + "<EOS>");
    LONGS_EQUAL(static_cast<long>(want.size()), static_cast<long>(req.content_length));
}

TEST(byterange_filter, merged_part_goes_out_where_its_first_spec_was)
{
    std::string body = pattern(100);
    respond("bytes=50-59,0-5,3-10", 100);
    add(body, 7);
    add_flush();
    add_eos();
    pass();
    std::string want = multipart(body, {{50, 59}, {0, 10}}, "text/plain", boundary());
    CHECK(output() == "<FLUSH>" + want + "<EOS>");
    LONGS_EQUAL(static_cast<long>(want.size()), static_cast<long>(req.content_length));
}

TEST(byterange_filter, body_in_several_passes_gets_ascending_parts)
{
    // One forward pass cannot go back: the parts come in ascending order.
    std::string body = pattern(100);
    respond("bytes=50-59,0-5", 100);
    add(body.substr(0, 30));
    pass();
    add(body.substr(30));
    add_eos();
    pass();
    std::string want = multipart(body, {{0, 5}, {50, 59}}, "text/plain", boundary());
    CHECK(output() == want + "<EOS>");
    LONGS_EQUAL(static_cast<long>(want.size()), static_cast<long>(req.content_length));
}

TEST(byterange_filter, out_of_order_short_or_broken_body_is_marked_broken)
{
    respond("bytes=50-59,0-5", 100);
    send(pattern(80));
    std::string out = output();
    CHECK(out.size() >= 12 && out.compare(out.size() - 12, 12, "<ERROR><EOS>") == 0);
    CHECK(out.find("--" + boundary() + "--") == std::string::npos);
    LONGS_EQUAL(0, conn.keepalive);
    teardown();
    setup();
    respond("bytes=50-59,0-5", 100);
    add(pattern(100));
    APR_BRIGADE_INSERT_TAIL(bb, x0_bucket_error_create(502, ba));
    add_eos();
    pass();
    out = output();
    CHECK(out.find("<ERROR>") == out.size() - 12);
    CHECK(out.find("--" + boundary() + "--") == std::string::npos);
    LONGS_EQUAL(0, conn.keepalive);
}

TEST(byterange_filter, out_of_order_drops_data_after_eos)
{
    std::string body = pattern(20);
    respond("bytes=10-11,0-1", 20);
    add(body);
    add_eos();
    add("trailing garbage");
    pass();
    std::string want = multipart(body, {{10, 11}, {0, 1}}, "text/plain", boundary());
    CHECK(output() == want + "<EOS>");
}

TEST(byterange_filter, multipart_exact_bytes_and_content_length)
{
    std::string body = pattern(100);
    respond("bytes=0-4, 10-14,-5", 100);
    send(body);
    LONGS_EQUAL(206, req.status);
    std::string b = boundary();
    CHECK(b.size() >= 20);
    CHECK(b.find_first_not_of("0123456789abcdef") == std::string::npos);
    // Written out by hand, independent of the multipart() helper.
    std::string want = "\r\n--" + b + "\r\nContent-Type: text/plain\r\n"
                       "Content-Range: bytes 0-4/100\r\n\r\n" + body.substr(0, 5)
                     + "\r\n--" + b + "\r\nContent-Type: text/plain\r\n"
                       "Content-Range: bytes 10-14/100\r\n\r\n" + body.substr(10, 5)
                     + "\r\n--" + b + "\r\nContent-Type: text/plain\r\n"
                       "Content-Range: bytes 95-99/100\r\n\r\n" + body.substr(95, 5)
                     + "\r\n--" + b + "--\r\n";
    CHECK(output() == want + "<EOS>");
    LONGS_EQUAL(static_cast<long>(want.size()), static_cast<long>(req.content_length));
    // One range per part; the response itself has no Content-Range.
    STRCMP_EQUAL("(none)", out_field("Content-Range").c_str());
}

TEST(byterange_filter, multipart_without_content_type_has_no_part_type)
{
    req.content_type = nullptr;
    std::string body = pattern(40);
    respond("bytes=0-0,2-2", 40);
    send(body);
    std::string want = multipart(body, {{0, 0}, {2, 2}}, nullptr, boundary());
    CHECK(want.find("Content-Type") == std::string::npos);
    CHECK(output() == want + "<EOS>");
    LONGS_EQUAL(static_cast<long>(want.size()), static_cast<long>(req.content_length));
}

TEST(byterange_filter, boundaries_differ_between_responses)
{
    respond("bytes=0-0,2-2", 10);
    send(pattern(10));
    std::string first = boundary();
    teardown();
    setup();
    respond("bytes=0-0,2-2", 10);
    send(pattern(10));
    CHECK(first != boundary());
}

TEST(byterange_filter, one_byte_buckets_give_the_same_bytes)
{
    std::string body = pattern(300);
    const char* sets[] = {"bytes=0-0", "bytes=299-", "bytes=5-9,20-20,21-40,100-",
                          "bytes=-1,0-0,150-150", "bytes=3-250,1-2"};
    for (const char* set : sets) {
        // The reference: the whole body in one bucket.
        respond(set, 300);
        send(body);
        std::string whole = output();
        long whole_length = static_cast<long>(req.content_length);
        std::string b = req.content_type;
        teardown();
        setup();
        respond(set, 300);
        send(body, 1);
        // Same bytes but for the random boundary.
        std::string split = output();
        if (b.find("boundary=") != std::string::npos) {
            std::string ours = boundary();
            std::string theirs = b.substr(b.find("boundary=") + 9);
            for (size_t at = 0; (at = whole.find(theirs, at)) != std::string::npos;)
                whole.replace(at, theirs.size(), ours);
        }
        STRCMP_EQUAL_TEXT(whole.c_str(), split.c_str(), set);
        LONGS_EQUAL_TEXT(whole_length, static_cast<long>(req.content_length), set);
        LONGS_EQUAL_TEXT(whole_length + 5, static_cast<long>(split.size()), set);  // + "<EOS>"
        teardown();
        setup();
    }
}

TEST(byterange_filter, body_over_many_passes_with_flushes_in_order)
{
    std::string body = pattern(100);
    respond("bytes=15-24", 100);
    add(body.substr(0, 10));
    pass();
    STRCMP_EQUAL("", output().c_str());  // nothing of the range yet
    add(body.substr(10, 10));
    add_flush();
    pass();
    add(body.substr(20, 30));
    add_flush();
    pass();
    add(body.substr(50));
    add_eos();
    pass();
    CHECK(output() == body.substr(15, 5) + "<FLUSH>" + body.substr(20, 5) + "<FLUSH><EOS>");
}

TEST(byterange_filter, unknown_length_bucket_is_read_to_learn_its_length)
{
    apr_file_t* in;
    apr_file_t* out;
    LONGS_EQUAL(APR_SUCCESS, apr_file_pipe_create(&in, &out, pool));
    apr_size_t n = 9;
    LONGS_EQUAL(APR_SUCCESS, apr_file_write_full(out, "pipe data", n, nullptr));
    apr_file_close(out);
    respond("bytes=2-5", 9);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_pipe_create(in, ba));
    add_eos();
    pass();
    LONGS_EQUAL(206, req.status);
    STRCMP_EQUAL("pe d<EOS>", output().c_str());
}

TEST(byterange_filter, if_range_strong_etag_match)
{
    apr_table_setn(req.headers_out, "ETag", "\"abc-123\"");
    apr_table_setn(req.headers_in, "If-Range", "\"abc-123\"");
    respond("bytes=0-1", 10);
    send(pattern(10));
    LONGS_EQUAL(206, req.status);
    CHECK(output() == pattern(10).substr(0, 2) + "<EOS>");
}

TEST(byterange_filter, if_range_etag_mismatch_sends_the_whole_200)
{
    apr_table_setn(req.headers_out, "ETag", "\"abc-123\"");
    apr_table_setn(req.headers_in, "If-Range", "\"abc-124\"");
    respond("bytes=0-1", 10);
    send(pattern(10));
    check_untouched(200, pattern(10), 10);
}

TEST(byterange_filter, if_range_weak_etags_never_match)
{
    const char* cases[][2] = {
        {"W/\"abc\"", "W/\"abc\""},  // weak on both sides
        {"\"abc\"", "W/\"abc\""},    // weak in the request
        {"W/\"abc\"", "\"abc\""},    // weak in the response
        {"\"abc\"", "\"abc\", \"def\""},  // a list is no entity-tag
        {"\"a b\"", "\"a b\""},      // SP is no etagc
    };
    for (const auto& c : cases) {
        apr_table_setn(req.headers_out, "ETag", c[0]);
        apr_table_setn(req.headers_in, "If-Range", c[1]);
        respond("bytes=0-1", 10);
        send(pattern(10));
        LONGS_EQUAL_TEXT(200, req.status, c[1]);
        CHECK_TEXT(!in_chain(), c[1]);
        teardown();
        setup();
    }
}

TEST(byterange_filter, if_range_without_etag_does_not_match)
{
    apr_table_setn(req.headers_in, "If-Range", "\"abc\"");
    respond("bytes=0-1", 10);
    send(pattern(10));
    check_untouched(200, pattern(10), 10);
}

TEST(byterange_filter, if_range_date_equal_to_an_old_last_modified_matches)
{
    char date[APR_RFC822_DATE_LEN];
    apr_rfc822_date(date, req.request_time - apr_time_from_sec(86400));
    apr_table_set(req.headers_out, "Last-Modified", date);
    apr_table_set(req.headers_in, "If-Range", date);
    respond("bytes=0-1", 10);
    send(pattern(10));
    LONGS_EQUAL(206, req.status);
}

TEST(byterange_filter, if_range_date_in_another_format_matches_the_same_time)
{
    apr_time_t t = apr_date_parse_http("Sun, 06 Nov 1994 08:49:37 GMT");
    char date[APR_RFC822_DATE_LEN];
    apr_rfc822_date(date, t);
    apr_table_set(req.headers_out, "Last-Modified", date);
    apr_table_set(req.headers_in, "If-Range", "Sunday, 06-Nov-94 08:49:37 GMT");
    respond("bytes=0-1", 10);
    send(pattern(10));
    LONGS_EQUAL(206, req.status);
}

TEST(byterange_filter, if_range_date_mismatch_or_weak_sends_the_whole_200)
{
    char older[APR_RFC822_DATE_LEN];
    char old[APR_RFC822_DATE_LEN];
    char now[APR_RFC822_DATE_LEN];
    apr_rfc822_date(older, req.request_time - apr_time_from_sec(86401));
    apr_rfc822_date(old, req.request_time - apr_time_from_sec(86400));
    apr_rfc822_date(now, req.request_time);
    const char* cases[][2] = {
        {old, older},        // the client's copy is older
        {older, old},        // ... or newer: only equality matches
        {now, now},          // modified in the second of the response: weak (8.8.2.2)
        {old, "yesterday"},  // not a date
        {old, "\"x\""},      // an entity-tag, and the response has none
    };
    for (const auto& c : cases) {
        apr_table_setn(req.headers_out, "Last-Modified", c[0]);
        apr_table_setn(req.headers_in, "If-Range", c[1]);
        respond("bytes=0-1", 10);
        send(pattern(10));
        LONGS_EQUAL_TEXT(200, req.status, c[1]);
        CHECK_TEXT(output() == pattern(10) + "<EOS>", c[1]);
        teardown();
        setup();
    }
}

TEST(byterange_filter, if_range_date_without_last_modified_does_not_match)
{
    char date[APR_RFC822_DATE_LEN];
    apr_rfc822_date(date, req.request_time - apr_time_from_sec(86400));
    apr_table_set(req.headers_in, "If-Range", date);
    respond("bytes=0-1", 10);
    send(pattern(10));
    check_untouched(200, pattern(10), 10);
}

TEST(byterange_filter, unsatisfiable_is_416_without_the_body)
{
    respond("bytes=100-", 100);
    add(pattern(60), 7);
    pass();
    add_flush();
    add(pattern(40));
    add_eos();
    pass();
    LONGS_EQUAL(416, req.status);
    STRCMP_EQUAL("bytes */100", out_field("Content-Range").c_str());
    LONGS_EQUAL(0, req.content_length);
    CHECK(req.content_type == nullptr);
    STRCMP_EQUAL("<FLUSH><EOS>", output().c_str());
    LONGS_EQUAL(1, conn.keepalive);
}

TEST(byterange_filter, zero_length_body_with_a_range_is_416)
{
    respond("bytes=0-", 0);
    add_eos();
    pass();
    LONGS_EQUAL(416, req.status);
    STRCMP_EQUAL("bytes */0", out_field("Content-Range").c_str());
    STRCMP_EQUAL("<EOS>", output().c_str());
}

TEST(byterange_filter, other_statuses_are_untouched)
{
    const int statuses[] = {201, 203, 206, 404, 500};
    for (int status : statuses) {
        req.status = status;
        respond("bytes=0-1", 10);
        send(pattern(10));
        check_untouched(status, pattern(10), 10);
        teardown();
        setup();
    }
}

TEST(byterange_filter, head_and_post_are_untouched)
{
    req.method = "HEAD";
    req.method_number = X0_M_HEAD;
    req.header_only = 1;
    respond("bytes=0-1", 10);
    send(pattern(10));
    check_untouched(200, pattern(10), 10);
    teardown();
    setup();
    req.method = "POST";
    req.method_number = X0_M_POST;
    respond("bytes=0-1", 10);
    send(pattern(10));
    check_untouched(200, pattern(10), 10);
}

TEST(byterange_filter, unknown_length_response_is_untouched)
{
    respond("bytes=0-1", -1);
    send(pattern(10));
    check_untouched(200, pattern(10), -1);
}

TEST(byterange_filter, invalid_or_abusive_ranges_send_the_whole_200)
{
    std::string thousand = "bytes=0-";
    for (int i = 1; i < 1000; ++i)
        thousand += ",0-";
    const char* cases[] = {"bytes=0-1,x", "bytes=5-2", "lines=0-1", "bytes=",
                           thousand.c_str()};
    for (const char* c : cases) {
        respond(c, 10);
        send(pattern(10));
        check_untouched(200, pattern(10), 10);
        teardown();
        setup();
    }
}

TEST(byterange_filter, repeated_range_field_is_ignored)
{
    apr_table_addn(req.headers_in, "Range", "bytes=0-1");
    respond(nullptr, 10);
    apr_table_addn(req.headers_in, "Range", "bytes=2-3");
    send(pattern(10));
    check_untouched(200, pattern(10), 10);
}

TEST(byterange_filter, short_body_is_marked_broken)
{
    respond("bytes=0-9,50-59", 100);
    send(pattern(30));
    // The first part went out; then the body stopped: ERROR before EOS, and
    // no closing boundary that would make the response look complete.
    std::string out = output();
    CHECK(out.find(pattern(10)) != std::string::npos);
    CHECK(out.find("--\r\n") == std::string::npos);
    CHECK(out.size() >= 12 && out.compare(out.size() - 12, 12, "<ERROR><EOS>") == 0);
    LONGS_EQUAL(0, conn.keepalive);
}

TEST(byterange_filter, short_body_after_the_last_range_is_marked_broken_too)
{
    respond("bytes=0-9", 100);
    send(pattern(30));
    CHECK(output() == pattern(10) + "<ERROR><EOS>");
    LONGS_EQUAL(0, conn.keepalive);
}

TEST(byterange_filter, upstream_error_passes_without_closing_boundary)
{
    // Even a body that reached its length: the handler says it is broken.
    respond("bytes=0-1,5-6", 10);
    add(pattern(10));
    APR_BRIGADE_INSERT_TAIL(bb, x0_bucket_error_create(502, ba));
    add_eos();
    pass();
    std::string out = output();
    CHECK(out.size() >= 12 && out.compare(out.size() - 12, 12, "<ERROR><EOS>") == 0);
    CHECK(out.find("<ERROR>") == out.size() - 12);  // exactly one
    CHECK(out.find("--" + boundary() + "--") == std::string::npos);
    LONGS_EQUAL(0, conn.keepalive);
}

TEST(byterange_filter, many_passes_keep_memory_flat)
{
    const int pieces = 10000;
    respond("bytes=100-199,5000-,-10", 10 * pieces);
    std::string piece = pattern(10);
    add(piece);
    pass();  // header time: the filter sets itself up here
    char* before = static_cast<char*>(apr_palloc(pool, 1));
    for (int i = 1; i < pieces; ++i) {
        add(piece, 1 + i % 4);
        if (i % 100 == 0)
            add_flush();
        pass();
        apr_brigade_cleanup(cap.result);  // the capture keeps nothing between passes
    }
    add_eos();
    pass();
    char* after = static_cast<char*>(apr_palloc(pool, 1));
    LONGS_EQUAL(APR_ALIGN_DEFAULT(1), after - before);
    STRCMP_EQUAL(("\r\n--" + boundary() + "--\r\n<EOS>").c_str(), output().c_str());
    LONGS_EQUAL(1, conn.keepalive);
}

TEST(byterange_filter, random_bodies_pieces_passes_and_ranges)
{
    // The filter against the parser's answer (tested on its own): whatever
    // the bucket sizes and passes, the bytes of each range, in the order
    // the parts are due: as asked when the body comes whole, else ascending.
    std::mt19937 gen(20261128);
    for (int iter = 0; iter < 2000; ++iter) {
        size_t n = gen() % 300;
        std::string body = pattern(n + iter % 7).substr(iter % 7);
        std::string spec = "bytes=";
        for (int i = 0, k = 1 + gen() % 4; i < k; ++i) {
            size_t a = gen() % (n + 5), b = a + gen() % (n + 5);
            switch (gen() % 3) {
            case 0: spec += std::to_string(a) + "-" + std::to_string(b); break;
            case 1: spec += std::to_string(a) + "-"; break;
            default: spec += "-" + std::to_string(gen() % (n + 5)); break;
            }
            spec += i + 1 < k ? "," : "";
        }
        bool in_passes = gen() % 2;
        bool whole = true;  // the first brigade holds the whole body
        respond(spec.c_str(), static_cast<apr_off_t>(n));
        for (size_t at = 0; at < n;) {
            size_t piece = 1 + gen() % 50;
            add(body.substr(at, piece), 1 + gen() % 9);
            at += piece;
            if (in_passes && gen() % 2) {
                pass();
                whole = false;
            }
        }
        add_eos();
        pass();

        x0::byte_range* ranges;
        int count;
        x0::range_result result = x0::parse_ranges(pool, spec.c_str(), n, 200, &ranges, &count);
        std::string want;
        int status = 206;
        if (result == x0::range_result::ignore) {
            status = 200;
            want = body;
        } else if (result == x0::range_result::unsatisfiable) {
            status = 416;
        } else if (count == 1) {
            want = body.substr(ranges[0].first, ranges[0].last - ranges[0].first + 1);
        } else {
            std::vector<x0::byte_range> parts(ranges, ranges + count);
            if (whole)
                std::sort(parts.begin(), parts.end(), [](const x0::byte_range& a, const x0::byte_range& b) {
                    return a.order < b.order;
                });
            range_list list;
            for (const auto& r : parts)
                list.push_back({r.first, r.last});
            want = multipart(body, list, "text/plain", boundary());
        }
        std::string what = spec + (whole ? " whole" : " in passes");
        LONGS_EQUAL_TEXT(status, req.status, what.c_str());
        CHECK_TEXT(output() == want + "<EOS>", what.c_str());
        if (status != 200)
            LONGS_EQUAL_TEXT(static_cast<long>(want.size()), static_cast<long>(req.content_length),
                             what.c_str());
        LONGS_EQUAL_TEXT(1, conn.keepalive, what.c_str());
        teardown();
        setup();
    }
}

TEST(byterange_filter, max_ranges_comes_from_the_directory_config)
{
    x0::reset_modules();
    CHECK(x0::add_module(&core_module, nullptr, pool) == nullptr);
    x0::core_dir_config dir{};
    std::vector<void*> vec(core_module.module_index + 1, nullptr);
    vec[core_module.module_index] = &dir;
    const char* cases[][2] = {
        {"2", "bytes=0-1,3-4"},         // at the limit: 206
        {"2", "bytes=0-1,3-4,6-7"},     // above: 200
        {"0", "bytes=0-1"},             // MaxRanges none: Range is ignored
        {"-1", "bytes=0-1,3-4,6-7"},    // not set here: the default (200)
    };
    const int want[] = {206, 200, 200, 206};
    for (int i = 0; i < 4; ++i) {
        dir.max_ranges = atoi(cases[i][0]);
        req.per_dir_config = vec.data();
        respond(cases[i][1], 10);
        send(pattern(10));
        LONGS_EQUAL_TEXT(want[i], req.status, cases[i][1]);
        teardown();
        setup();
    }
}

TEST(byterange_filter, file_guard_moves_before_the_last_write)
{
    std::string body = pattern(100);
    struct {
        const char* range;
        const char* types;
        apr_size_t tail;  // data bytes after the guard
    } cases[] = {
        // The guard comes after the ranges: it moves back in front of the
        // last piece sent (all of it is less than X0_FILE_CHECK_TAIL).
        {"bytes=10-19", "FILE_CHECK,FILE,EOS", 10},
        {"bytes=10-10", "FILE_CHECK,FILE,EOS", 1},
        {"bytes=0-4,10-19", "HEAP,FILE,HEAP,FILE_CHECK,FILE,IMMORTAL,EOS", 10},
        {"bytes=10-19,0-4", "HEAP,FILE,HEAP,FILE_CHECK,FILE,IMMORTAL,EOS", 5},
        // Already within the last range's bytes: it stays.
        {"bytes=-1", "FILE_CHECK,FILE,EOS", 1},
        {"bytes=-5", "FILE,FILE_CHECK,FILE,EOS", 1},
    };
    for (const auto& c : cases) {
        apr_file_t* file = temp_file(body);
        respond(c.range, 100);
        apr_brigade_insert_file(bb, file, 0, 99, pool);
        APR_BRIGADE_INSERT_TAIL(bb, x0_bucket_file_check_create(0, 100, 0, ba));
        apr_brigade_insert_file(bb, file, 99, 1, pool);
        add_eos();
        pass();
        STRCMP_EQUAL_TEXT(c.types, types().c_str(), c.range);
        // The bytes are the same as without a guard.
        apr_bucket* last = APR_BRIGADE_LAST(cap.result);
        while (APR_BUCKET_IS_METADATA(last) || APR_BUCKET_IS_IMMORTAL(last))
            last = APR_BUCKET_PREV(last);
        LONGS_EQUAL_TEXT(c.tail, last->length, c.range);
        std::string out = output();
        size_t guard = out.find("<FILE_CHECK>");
        CHECK_TEXT(guard != std::string::npos, c.range);
        out.erase(guard, 12);
        if (std::string(c.range) == "bytes=0-4,10-19")
            CHECK(out == multipart(body, {{0, 4}, {10, 19}}, "text/plain", boundary()) + "<EOS>");
        if (std::string(c.range) == "bytes=10-19,0-4")
            CHECK(out == multipart(body, {{10, 19}, {0, 4}}, "text/plain", boundary()) + "<EOS>");
        teardown();
        setup();
    }
}

TEST(byterange_filter, ranges_across_2g_and_4g_of_a_sparse_5g_file)
{
    const apr_off_t gib = apr_off_t(1) << 30;
    const apr_off_t size = 5 * gib;
    char* tmpl = apr_pstrdup(pool, "/tmp/x0_range_big_XXXXXX");
    apr_file_t* file;
    LONGS_EQUAL(APR_SUCCESS,
                apr_file_mktemp(&file, tmpl,
                                APR_FOPEN_CREATE | APR_FOPEN_READ | APR_FOPEN_WRITE
                                    | APR_FOPEN_EXCL | APR_FOPEN_DELONCLOSE,
                                pool));
    if (apr_file_trunc(file, size) != APR_SUCCESS)
        return;  // no sparse files here: nothing to test
    // 16-byte markers centred on 2^31 and 2^32, and the last 16 bytes.
    const apr_off_t marks[] = {2 * gib - 8, 4 * gib - 8, size - 16};
    for (apr_off_t at : marks) {
        std::string mark = "@" + std::to_string(at);
        mark.resize(16, '!');
        apr_size_t n = 16;
        apr_off_t pos = at;
        LONGS_EQUAL(APR_SUCCESS, apr_file_seek(file, APR_SET, &pos));
        LONGS_EQUAL(APR_SUCCESS, apr_file_write_full(file, mark.data(), n, nullptr));
    }
    respond("bytes=4294967288-4294967303,2147483640-2147483655,-16", size);
    // One bucket per GiB, so that both ranges also cross bucket edges.
    for (apr_off_t at = 0; at < size; at += gib)
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_file_create(file, at, gib, pool, ba));
    add_eos();
    pass();
    STRCMP_EQUAL("HEAP,FILE,FILE,HEAP,FILE,FILE,HEAP,FILE,IMMORTAL,EOS", types().c_str());
    // In the order asked for: 4 GiB, 2 GiB, the end.
    const struct { apr_off_t start; apr_size_t length; } want[] = {
        {4 * gib - 8, 8}, {4 * gib, 8}, {2 * gib - 8, 8}, {2 * gib, 8}, {size - 16, 16}};
    int i = 0;
    for (apr_bucket* b = APR_BRIGADE_FIRST(cap.result); b != APR_BRIGADE_SENTINEL(cap.result);
         b = APR_BUCKET_NEXT(b)) {
        if (!APR_BUCKET_IS_FILE(b))
            continue;
        CHECK(b->start == want[i].start);
        CHECK(b->length == want[i].length);
        ++i;
    }
    LONGS_EQUAL(5, i);
    std::string out = output();
    CHECK(out.find("Content-Range: bytes 2147483640-2147483655/5368709120\r\n\r\n@2147483640!!!!!")
          != std::string::npos);
    CHECK(out.find("Content-Range: bytes 4294967288-4294967303/5368709120\r\n\r\n@4294967288!!!!!")
          < out.find("Content-Range: bytes 2147483640-2147483655/5368709120"));
    CHECK(out.find("Content-Range: bytes 5368709104-5368709119/5368709120\r\n\r\n@5368709104!!!!!")
          != std::string::npos);
    LONGS_EQUAL(static_cast<long>(out.size() - 5), static_cast<long>(req.content_length));
}
