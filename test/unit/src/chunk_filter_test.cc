/*
 * CHUNK: brigade in -> brigade out. The filter's next is a capture filter
 * that moves every bucket it is given into a result brigade, so each test
 * sees exactly what CHUNK passed on, metadata and bucket types included.
 */
#include <CppUTest/TestHarness.h>

#include <apr_file_io.h>
#include <apr_strings.h>
#include <string>

#include "brigade_util.h"
#include "core_filters.h"
#include "x0/http.h"

namespace {

/** What the filter after CHUNK received. */
struct capture {
    apr_bucket_brigade* result;  // everything passed so far, in order
    int passes;                  // calls to capture_out
    std::string last_types;      // bucket types of the latest pass
};

apr_status_t capture_out(x0_filter_t* f, apr_bucket_brigade* bb)
{
    auto* cap = static_cast<capture*>(f->ctx);
    ++cap->passes;
    cap->last_types = x0test::bucket_types(bb);
    APR_BRIGADE_CONCAT(cap->result, bb);
    return APR_SUCCESS;
}

const x0_filter_rec_t capture_rec = {"CAPTURE", capture_out, nullptr, X0_FTYPE_NETWORK};
const x0_filter_rec_t chunk_rec = {"CHUNK", x0::chunk_filter, nullptr, X0_FTYPE_TRANSFER};

using x0test::render;

std::string hex(size_t n)
{
    static const char digits[] = "0123456789abcdef";
    std::string s;
    do {
        s.insert(s.begin(), digits[n % 16]);
        n /= 16;
    } while (n);
    return s;
}

} // namespace

TEST_GROUP(chunk_filter)
{
    apr_pool_t* pool;
    apr_bucket_alloc_t* ba;
    x0_conn_t conn;
    capture cap;
    x0_filter_t chunk;
    x0_filter_t sink;
    apr_bucket_brigade* bb;

    void setup() override
    {
        apr_pool_create(&pool, nullptr);
        ba = apr_bucket_alloc_create(pool);
        conn = x0_conn_t{};
        conn.pool = pool;
        conn.bucket_alloc = ba;
        conn.keepalive = 1;
        cap.result = apr_brigade_create(pool, ba);
        cap.passes = 0;
        sink = x0_filter_t{&capture_rec, &cap, nullptr, nullptr, &conn};
        chunk = x0_filter_t{&chunk_rec, nullptr, &sink, nullptr, &conn};
        bb = apr_brigade_create(pool, ba);
    }

    void teardown() override
    {
        cap.last_types.clear();
        cap.last_types.shrink_to_fit();
        apr_pool_destroy(pool);
    }

    /** Pass bb through CHUNK; bb is left empty, as a caller would find it. */
    void pass()
    {
        LONGS_EQUAL(APR_SUCCESS, x0::chunk_filter(&chunk, bb));
        CHECK(APR_BRIGADE_EMPTY(bb));
    }

    void add(const std::string& data, size_t piece = 0)
    {
        x0test::append_pieces(bb, data, piece);
    }

    void add_empty()
    {
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_immortal_create("", 0, ba));
    }

    void add_flush() { APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(ba)); }
    void add_eos() { APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba)); }

    std::string output() { return render(cap.result); }
};

TEST(chunk_filter, one_bucket_and_eos)
{
    add("hello");
    add_eos();
    pass();
    STRCMP_EQUAL("5\r\nhello\r\n0\r\n\r\n<EOS>", output().c_str());
    LONGS_EQUAL(1, cap.passes);
    LONGS_EQUAL(1, conn.keepalive);
}

TEST(chunk_filter, one_byte_buckets_make_one_chunk)
{
    add("hello, world", 1);
    add_eos();
    pass();
    STRCMP_EQUAL("c\r\nhello, world\r\n0\r\n\r\n<EOS>", output().c_str());
    // The data buckets travel as they are: the filter only adds framing.
    STRCMP_EQUAL("HEAP,HEAP,HEAP,HEAP,HEAP,HEAP,HEAP,HEAP,HEAP,HEAP,HEAP,HEAP,HEAP,"
                 "IMMORTAL,IMMORTAL,EOS",
                 cap.last_types.c_str());
}

TEST(chunk_filter, one_chunk_per_pass_last_chunk_only_at_eos)
{
    add("abc");
    pass();
    STRCMP_EQUAL("3\r\nabc\r\n", output().c_str());
    add("de", 1);
    pass();
    STRCMP_EQUAL("3\r\nabc\r\n2\r\nde\r\n", output().c_str());
    add("fghij");
    add_eos();
    pass();
    STRCMP_EQUAL("3\r\nabc\r\n2\r\nde\r\n5\r\nfghij\r\n0\r\n\r\n<EOS>", output().c_str());
    LONGS_EQUAL(3, cap.passes);
}

TEST(chunk_filter, flush_ends_a_chunk_and_stays_in_order)
{
    add("abc");
    add_flush();
    add("defg", 2);
    add_flush();
    add_eos();
    pass();
    STRCMP_EQUAL("3\r\nabc\r\n<FLUSH>4\r\ndefg\r\n<FLUSH>0\r\n\r\n<EOS>", output().c_str());
    STRCMP_EQUAL("HEAP,HEAP,IMMORTAL,FLUSH,HEAP,HEAP,HEAP,IMMORTAL,FLUSH,IMMORTAL,EOS",
                 cap.last_types.c_str());
}

TEST(chunk_filter, flush_alone_adds_nothing)
{
    add_flush();
    pass();
    STRCMP_EQUAL("<FLUSH>", output().c_str());
}

TEST(chunk_filter, eos_alone_is_the_last_chunk)
{
    add_eos();
    pass();
    STRCMP_EQUAL("0\r\n\r\n<EOS>", output().c_str());
}

TEST(chunk_filter, empty_data_buckets_make_no_chunk)
{
    add_empty();
    add("ab");
    add_empty();
    add_flush();
    add_empty();
    add_flush();  // only an empty bucket since the last FLUSH: no "0\r\n" here
    add_empty();
    add("cd");
    add_empty();
    add_eos();
    pass();
    STRCMP_EQUAL("2\r\nab\r\n<FLUSH><FLUSH>2\r\ncd\r\n0\r\n\r\n<EOS>", output().c_str());
}

TEST(chunk_filter, pass_of_only_empty_buckets_makes_no_chunk)
{
    add_empty();
    add_empty();
    pass();
    STRCMP_EQUAL("", output().c_str());
    add("x");
    add_eos();
    pass();
    STRCMP_EQUAL("1\r\nx\r\n0\r\n\r\n<EOS>", output().c_str());
}

TEST(chunk_filter, sizes_are_lower_case_hex)
{
    const size_t sizes[] = {1, 15, 16, 255, 4096, 65535, 100000};
    std::string want;
    for (size_t n : sizes) {
        add(std::string(n, 'z'), 1000);
        pass();
        want += hex(n) + "\r\n" + std::string(n, 'z') + "\r\n";
    }
    add_eos();
    pass();
    want += "0\r\n\r\n<EOS>";
    CHECK(output() == want);
    // The exact size lines, independent of the hex() helper above.
    std::string out = output();
    CHECK(out.compare(0, 3, "1\r\n") == 0);
    CHECK(out.find("\r\nf\r\n") != std::string::npos);
    CHECK(out.find("\r\n10\r\n") != std::string::npos);
    CHECK(out.find("\r\nff\r\n") != std::string::npos);
    CHECK(out.find("\r\n1000\r\n") != std::string::npos);
    CHECK(out.find("\r\nffff\r\n") != std::string::npos);
    CHECK(out.find("\r\n186a0\r\n") != std::string::npos);
}

TEST(chunk_filter, file_bucket_stays_a_file_bucket)
{
    std::string body;
    for (int i = 0; i < 1000; ++i)
        body += char('a' + i % 26);
    char tmpl[] = "/tmp/x0_chunk_test_XXXXXX";
    apr_file_t* file;
    LONGS_EQUAL(APR_SUCCESS, apr_file_mktemp(&file, tmpl,
                                             APR_FOPEN_CREATE | APR_FOPEN_READ | APR_FOPEN_WRITE
                                                 | APR_FOPEN_EXCL | APR_FOPEN_DELONCLOSE,
                                             pool));
    apr_size_t n = body.size();
    LONGS_EQUAL(APR_SUCCESS, apr_file_write_full(file, body.data(), n, nullptr));

    add("head:");
    apr_brigade_insert_file(bb, file, 100, 900, pool);
    add(":tail");
    add_eos();
    pass();
    STRCMP_EQUAL("HEAP,HEAP,FILE,HEAP,IMMORTAL,IMMORTAL,EOS", cap.last_types.c_str());
    std::string want = "38e\r\nhead:" + body.substr(100) + ":tail\r\n0\r\n\r\n<EOS>";
    CHECK(output() == want);
}

TEST(chunk_filter, pipe_bucket_of_unknown_length_is_read)
{
    apr_file_t* in;
    apr_file_t* out;
    LONGS_EQUAL(APR_SUCCESS, apr_file_pipe_create(&in, &out, pool));
    apr_size_t n = 9;
    LONGS_EQUAL(APR_SUCCESS, apr_file_write_full(out, "pipe data", n, nullptr));
    apr_file_close(out);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_pipe_create(in, ba));
    add_eos();
    pass();
    STRCMP_EQUAL("9\r\npipe data\r\n0\r\n\r\n<EOS>", output().c_str());
}

TEST(chunk_filter, error_withholds_last_chunk_and_ends_keepalive)
{
    add("abc");
    APR_BRIGADE_INSERT_TAIL(bb, x0_bucket_error_create(500, ba));
    add_eos();
    pass();
    STRCMP_EQUAL("3\r\nabc\r\n<ERROR><EOS>", output().c_str());
    LONGS_EQUAL(0, conn.keepalive);
}

TEST(chunk_filter, error_then_eos_in_a_later_pass)
{
    add("abc");
    pass();
    APR_BRIGADE_INSERT_TAIL(bb, x0_bucket_error_create(502, ba));
    pass();
    LONGS_EQUAL(0, conn.keepalive);
    add_eos();
    pass();
    STRCMP_EQUAL("3\r\nabc\r\n<ERROR><EOS>", output().c_str());
}

TEST(chunk_filter, next_filter_status_is_returned)
{
    static const x0_filter_rec_t failing_rec = {
        "FAIL", [](x0_filter_t*, apr_bucket_brigade* b) -> apr_status_t {
            apr_brigade_cleanup(b);
            return APR_ECONNRESET;
        },
        nullptr, X0_FTYPE_NETWORK};
    x0_filter_t failing{&failing_rec, nullptr, nullptr, nullptr, &conn};
    chunk.next = &failing;
    add("abc");
    LONGS_EQUAL(APR_ECONNRESET, x0::chunk_filter(&chunk, bb));
}

TEST(chunk_filter, many_passes_keep_memory_flat)
{
    // Everything the filter allocated from the connection pool would sit
    // between these two allocations: a pool hands out memory in order.
    char* before = static_cast<char*>(apr_palloc(pool, 1));
    for (int i = 0; i < 10000; ++i) {
        size_t n = 1 + i % 300;
        add(std::string(n, char('a' + i % 26)), 1 + i % 7);
        if (i % 10 == 9)
            add_flush();
        pass();
        std::string want = hex(n) + "\r\n" + std::string(n, char('a' + i % 26)) + "\r\n";
        if (i % 10 == 9)
            want += "<FLUSH>";
        if (output() != want) {
            FAIL(("pass " + std::to_string(i) + ": " + output()).c_str());
        }
        apr_brigade_cleanup(cap.result);  // the capture keeps nothing between passes
    }
    add_eos();
    pass();
    STRCMP_EQUAL("0\r\n\r\n<EOS>", output().c_str());
    LONGS_EQUAL(10001, cap.passes);
    char* after = static_cast<char*>(apr_palloc(pool, 1));
    LONGS_EQUAL(APR_ALIGN_DEFAULT(1), after - before);
    LONGS_EQUAL(1, conn.keepalive);
}
