/*
 * The chunked decoder: a body fed whole, one byte at a time and cut at
 * every point must decode to the same bytes, status and consumed total.
 */
#include <CppUTest/TestHarness.h>

#include <apr_tables.h>
#include <string.h>
#include <string>
#include <vector>

#include "chunked_decoder.h"

using x0::chunk_status;

namespace {

/** What a decode came to. */
struct outcome {
    std::string body;     // the data spans, in order
    chunk_status status;  // more (input ran out), done or error
    int error;            // error_status()
    size_t consumed;      // sum of *consumed over all feeds
    apr_off_t body_bytes;

    bool operator==(const outcome& o) const
    {
        return body == o.body && status == o.status && error == o.error
               && consumed == o.consumed && body_bytes == o.body_bytes;
    }
};

const char* name(chunk_status s)
{
    switch (s) {
    case chunk_status::more: return "more";
    case chunk_status::data: return "data";
    case chunk_status::done: return "done";
    case chunk_status::error: return "error";
    }
    return "?";
}

std::string describe(const outcome& o)
{
    return std::string(name(o.status)) + " " + std::to_string(o.error) + " consumed "
           + std::to_string(o.consumed) + " bytes " + std::to_string(o.body_bytes) + " body \""
           + o.body + "\"";
}

const x0::chunked_limits default_limits = {1 << 20, 256, 8};

} // namespace

TEST_GROUP(chunked_decoder)
{
    apr_pool_t* pool;
    apr_table_t* trailers;
    x0::chunked_limits limits;

    void setup() override
    {
        apr_pool_create(&pool, nullptr);
        trailers = apr_table_make(pool, 4);
        limits = default_limits;
    }

    void teardown() override { apr_pool_destroy(pool); }

    /** Decode @a in cut before each offset in @a cuts (ascending). */
    outcome decode(const std::string& in, const std::vector<size_t>& cuts,
                   apr_table_t* table = nullptr)
    {
        x0::chunked_decoder dec;
        dec.reset(pool, table, limits);
        outcome o{"", chunk_status::more, 0, 0, 0};
        size_t from = 0;
        for (size_t i = 0; i <= cuts.size(); ++i) {
            size_t to = i < cuts.size() ? cuts[i] : in.size();
            const char* piece = in.data() + from;
            size_t len = to - from, off = 0;
            from = to;
            for (;;) {
                apr_size_t consumed, at, n;
                chunk_status st = dec.feed(piece + off, len - off, &consumed, &at, &n);
                CHECK(consumed <= len - off);
                o.consumed += consumed;
                if (st == chunk_status::data) {
                    CHECK(n > 0 && at + n == consumed);
                    o.body.append(piece + off + at, n);
                    off += consumed;
                    continue;
                }
                CHECK(st != chunk_status::more || consumed == len - off);
                o.status = st;
                if (st != chunk_status::more) {
                    o.error = dec.error_status();
                    o.body_bytes = dec.body_bytes();
                    // Final: the same again, with nothing consumed.
                    CHECK(dec.feed(piece, len, &consumed, &at, &n) == st);
                    LONGS_EQUAL(0, consumed);
                    return o;
                }
                break;
            }
        }
        o.body_bytes = dec.body_bytes();
        return o;
    }

    void same(const outcome& want, const outcome& got, const std::string& how)
    {
        if (!(want == got))
            FAIL((how + ": " + describe(got) + " instead of " + describe(want)).c_str());
    }

    /** Decode whole, one byte a piece and cut once at every point; all must agree. */
    outcome decode_all_ways(const std::string& in)
    {
        outcome whole = decode(in, {});
        std::vector<size_t> bytes;
        for (size_t i = 1; i < in.size(); ++i)
            bytes.push_back(i);
        same(whole, decode(in, bytes), "one byte a piece");
        for (size_t i = 0; i <= in.size(); ++i)
            same(whole, decode(in, {i}), "cut at " + std::to_string(i));
        return whole;
    }

    void expect_body(const std::string& in, const std::string& body)
    {
        outcome o = decode_all_ways(in);
        if (o.status != chunk_status::done)
            FAIL(describe(o).c_str());
        STRCMP_EQUAL(body.c_str(), o.body.c_str());
        LONGS_EQUAL(in.size(), o.consumed);
        LONGS_EQUAL(body.size(), o.body_bytes);
    }

    void expect_error(const std::string& in, int status)
    {
        outcome o = decode_all_ways(in);
        if (o.status != chunk_status::error)
            FAIL(("no error: " + describe(o)).c_str());
        LONGS_EQUAL(status, o.error);
    }
};

TEST(chunked_decoder, simple)
{
    expect_body("5\r\nhello\r\n0\r\n\r\n", "hello");
}

TEST(chunked_decoder, several_chunks)
{
    expect_body("3\r\nabc\r\n1\r\nd\r\na\r\n0123456789\r\n0\r\n\r\n", "abcd0123456789");
}

TEST(chunked_decoder, hex_digits_in_either_case)
{
    std::string data(0xab, 'x');
    expect_body("ab\r\n" + data + "\r\n0\r\n\r\n", data);
    expect_body("AB\r\n" + data + "\r\n0\r\n\r\n", data);
    expect_body("aB\r\n" + data + "\r\n0\r\n\r\n", data);
}

TEST(chunked_decoder, leading_zeros)
{
    expect_body("0005\r\nhello\r\n000\r\n\r\n", "hello");
    // Zeros do not count as significant digits: 30 of them and 15 f's would be fine
    // for the size (the limit then says 413).
    expect_error(std::string(30, '0') + "fffffffffffffff\r\n", 413);
}

TEST(chunked_decoder, extensions_are_ignored)
{
    expect_body("5;name\r\nhello\r\n"
                "3 ; a=b;c = \"quoted; \\\"string\\\"\"\r\nabc\r\n"
                "0;last=\"x\"\r\n\r\n",
                "helloabc");
}

TEST(chunked_decoder, trailers_go_into_the_table)
{
    std::string in = "2\r\nhi\r\n0\r\nChecksum: abc \r\nX-Empty:\r\nX-Tab:\t1\t2\t\r\n\r\n";
    outcome o = decode(in, {}, trailers);
    CHECK(o.status == chunk_status::done);
    STRCMP_EQUAL("hi", o.body.c_str());
    LONGS_EQUAL(in.size(), o.consumed);
    LONGS_EQUAL(3, apr_table_elts(trailers)->nelts);
    STRCMP_EQUAL("abc", apr_table_get(trailers, "checksum"));
    STRCMP_EQUAL("", apr_table_get(trailers, "X-Empty"));
    STRCMP_EQUAL("1\t2", apr_table_get(trailers, "X-Tab"));

    // Split one byte a piece: the same fields.
    apr_table_t* again = apr_table_make(pool, 4);
    std::vector<size_t> bytes;
    for (size_t i = 1; i < in.size(); ++i)
        bytes.push_back(i);
    same(o, decode(in, bytes, again), "one byte a piece");
    LONGS_EQUAL(3, apr_table_elts(again)->nelts);
    STRCMP_EQUAL("abc", apr_table_get(again, "Checksum"));
    STRCMP_EQUAL("1\t2", apr_table_get(again, "X-Tab"));

    // Without a table they are checked and dropped.
    expect_body(in, "hi");
}

TEST(chunked_decoder, empty_body)
{
    expect_body("0\r\n\r\n", "");
}

TEST(chunked_decoder, pipelined_bytes_stay_unconsumed)
{
    std::string body = "4\r\nwiki\r\n0\r\nT: v\r\n\r\n";
    std::string next = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    outcome o = decode_all_ways(body + next);
    CHECK(o.status == chunk_status::done);
    STRCMP_EQUAL("wiki", o.body.c_str());
    LONGS_EQUAL(body.size(), o.consumed);
}

TEST(chunked_decoder, incomplete_body_wants_more)
{
    outcome o = decode_all_ways("5\r\nhel");
    CHECK(o.status == chunk_status::more);
    STRCMP_EQUAL("hel", o.body.c_str());
    LONGS_EQUAL(3, o.body_bytes);
    LONGS_EQUAL(6, o.consumed);
    CHECK(decode_all_ways("5\r\nhello\r\n0\r\nA: b\r\n").status == chunk_status::more);
}

TEST(chunked_decoder, every_cut_of_a_longer_body_agrees)
{
    std::string in = "1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n"
                     "1\r\n-\r\n"
                     "00010 ; q=\"a b\"\r\n0123456789ABCDEF\r\n"
                     "2A\r\nthe quick brown fox jumps over the lazy do\r\n"
                     "0\r\nX-One: 1\r\nX-Two:  two words \r\n\r\n"
                     "tail";
    CHECK(in.size() >= 150);
    std::string body = "abcdefghijklmnopqrstuvwxyz-0123456789ABCDEF"
                       "the quick brown fox jumps over the lazy do";
    outcome whole = decode_all_ways(in);
    CHECK(whole.status == chunk_status::done);
    STRCMP_EQUAL(body.c_str(), whole.body.c_str());
    LONGS_EQUAL(in.size() - 4, whole.consumed);
    // Every pair of cut points as well: three pieces.
    for (size_t i = 0; i <= in.size(); ++i)
        for (size_t j = i; j <= in.size(); ++j)
            same(whole, decode(in, {i, j}), "cut at " + std::to_string(i) + ","
                                                + std::to_string(j));
}

TEST(chunked_decoder, error_stops_before_the_bad_byte)
{
    // "3\r\nabc" then 'd' where CRLF belongs.
    outcome o = decode_all_ways("3\r\nabcd\r\n0\r\n\r\n");
    CHECK(o.status == chunk_status::error);
    LONGS_EQUAL(400, o.error);
    STRCMP_EQUAL("abc", o.body.c_str());
    LONGS_EQUAL(6, o.consumed);
}

TEST(chunked_decoder, malformed_framing_is_400)
{
    expect_error("3\r\nabc0\r\n\r\n", 400);          // no CRLF after the data
    expect_error("3\r\nabcd\r\n0\r\n\r\n", 400);     // data longer than the size
    expect_error("3\r\nabc\n0\r\n\r\n", 400);        // LF alone after the data
    expect_error("3\r\nabc\r0\r\n\r\n", 400);        // CR alone after the data
    expect_error("3\nabc\r\n0\r\n\r\n", 400);        // bare LF after the size
    expect_error("3\rabc\r\n0\r\n\r\n", 400);        // bare CR after the size
    expect_error("3\r\r\nabc\r\n0\r\n\r\n", 400);    // CR CR LF
    expect_error("3\r\nabc\r\n0\r\n\n", 400);        // LF-only final line
    expect_error("3\r\nabc\r\n0\n\r\n", 400);        // LF-only last-chunk line
    expect_error("3\r\nabc\r\n0\r\n\rX", 400);       // CR then not LF at the end
    expect_error("3;x\nabc\r\n0\r\n\r\n", 400);      // bare LF in an extension line
    expect_error("3;x\rabc\r\n0\r\n\r\n", 400);      // bare CR in an extension line
}

TEST(chunked_decoder, whitespace_around_the_size_is_400)
{
    expect_error(" 5\r\nhello\r\n0\r\n\r\n", 400);   // before the size
    expect_error("\t5\r\nhello\r\n0\r\n\r\n", 400);
    expect_error("5 \r\nhello\r\n0\r\n\r\n", 400);   // BWS only before ';'
    expect_error("5\t\r\nhello\r\n0\r\n\r\n", 400);
    expect_error("5 x\r\nhello\r\n0\r\n\r\n", 400);
    expect_error("0 \r\n\r\n", 400);
}

TEST(chunked_decoder, bad_sizes_are_400)
{
    expect_error("g\r\n", 400);                      // not hex
    expect_error("5g\r\nhello\r\n0\r\n\r\n", 400);
    expect_error("0x5\r\nhello\r\n0\r\n\r\n", 400);
    expect_error("+5\r\nhello\r\n0\r\n\r\n", 400);
    expect_error("-1\r\n", 400);
    expect_error("\r\nhello\r\n0\r\n\r\n", 400);     // empty size line
    expect_error(";ext\r\n", 400);                   // an extension without a size
    expect_error("5\r\nhello\r\n\r\n", 400);         // no last-chunk
}

TEST(chunked_decoder, overflowing_sizes_are_400)
{
    limits.max_body = APR_INT64_MAX;
    expect_error("1" + std::string(17, '0') + "\r\nx", 400);
    expect_error("100000000000000000\r\n", 400);     // 1 and 17 hex digits
    expect_error("ffffffffffffffff\r\n", 400);       // 16 f's
    expect_error("1000000000000000\r\n", 400);       // 16 significant digits
    // 15 significant digits is the most; leading zeros do not count.
    outcome o = decode("000fffffffffffffff\r\nabc", {});
    CHECK(o.status == chunk_status::more);
    STRCMP_EQUAL("abc", o.body.c_str());
}

TEST(chunked_decoder, nul_anywhere_in_framing_is_400)
{
    const std::string body = "5;a=b\r\nhello\r\n0\r\nT: v\r\n\r\n";
    for (size_t i = 0; i < body.size(); ++i) {
        if (i >= 7 && i < 12)
            continue;  // the data itself may hold anything
        std::string in = body;
        in[i] = '\0';
        outcome o = decode_all_ways(in);
        if (o.status != chunk_status::error || o.error != 400)
            FAIL(("NUL at " + std::to_string(i) + ": " + describe(o)).c_str());
    }
    expect_body(std::string("5\r\nhe\0lo\r\n0\r\n\r\n", 15), std::string("he\0lo", 5));
}

TEST(chunked_decoder, bad_trailers_are_400)
{
    expect_error("0\r\nA: b\r\n c\r\n\r\n", 400);    // obs-fold
    expect_error("0\r\nA: b\r\n\tc\r\n\r\n", 400);
    expect_error("0\r\n A: b\r\n\r\n", 400);         // whitespace before the first field
    expect_error("0\r\nA : b\r\n\r\n", 400);         // space before the colon
    expect_error("0\r\nA\t: b\r\n\r\n", 400);
    expect_error("0\r\n: b\r\n\r\n", 400);           // no name
    expect_error("0\r\nA b\r\n\r\n", 400);           // no colon
    expect_error("0\r\nA\r\n\r\n", 400);
    expect_error("0\r\nA(: b\r\n\r\n", 400);         // not a token
    expect_error("0\r\nA: b\x01\r\n\r\n", 400);      // CTL in the value
    expect_error("0\r\nA: b\x7f\r\n\r\n", 400);
    expect_error("0\r\nA: b\rc\r\n\r\n", 400);       // bare CR in the value
    expect_error("0\r\nA: b\nC: d\r\n\r\n", 400);    // bare LF after a field
    expect_error("0\r\nA: b\r\n\n", 400);
}

TEST(chunked_decoder, too_many_trailers_are_400)
{
    limits.max_trailers = 2;
    expect_body("0\r\nA: 1\r\nB: 2\r\n\r\n", "");
    expect_error("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 400);
    outcome o = decode("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", {}, trailers);
    LONGS_EQUAL(400, o.error);
    LONGS_EQUAL(2, apr_table_elts(trailers)->nelts);
}

TEST(chunked_decoder, too_long_lines_are_400)
{
    limits.max_line = 16;
    expect_body("5;abcdefghijklmn\r\nhello\r\n0\r\n\r\n", "hello");  // 16 bytes
    expect_error("5;abcdefghijklmno\r\nhello\r\n0\r\n\r\n", 400);
    expect_body(std::string(15, '0') + "1\r\nx\r\n0\r\n\r\n", "x");
    expect_error(std::string(16, '0') + "1\r\nx\r\n0\r\n\r\n", 400);  // zeros count here
    expect_body("0\r\nName: 1234567890\r\n\r\n", "");                // 16 bytes
    expect_error("0\r\nName: 12345678901\r\n\r\n", 400);
    // Refused at the 17th byte, without waiting for the line's end.
    outcome o = decode_all_ways("0;" + std::string(100, 'x'));
    CHECK(o.status == chunk_status::error);
    LONGS_EQUAL(16, o.consumed);
}

TEST(chunked_decoder, over_max_body_is_413_before_the_data)
{
    limits.max_body = 10;
    expect_body("a\r\n0123456789\r\n0\r\n\r\n", "0123456789");
    outcome o = decode_all_ways("b\r\n");
    CHECK(o.status == chunk_status::error);
    LONGS_EQUAL(413, o.error);
    LONGS_EQUAL(0, o.body_bytes);
    // Across chunks: 6 + 5 > 10, refused at the second size line.
    o = decode_all_ways("6\r\n012345\r\n5\r\n");
    CHECK(o.status == chunk_status::error);
    LONGS_EQUAL(413, o.error);
    STRCMP_EQUAL("012345", o.body.c_str());
    LONGS_EQUAL(6, o.body_bytes);
    expect_body("6\r\n012345\r\n4\r\n6789\r\n0\r\n\r\n", "0123456789");
    // A huge size with a large limit cannot wrap the total.
    limits.max_body = APR_INT64_MAX;
    o = decode_all_ways("8\r\n01234567\r\nfffffffffffffff\r\n");
    CHECK(o.status == chunk_status::more);
}

TEST(chunked_decoder, body_bytes_counts_decoded_bytes)
{
    x0::chunked_decoder dec;
    dec.reset(pool, nullptr, limits);
    LONGS_EQUAL(0, dec.body_bytes());
    const char in[] = "4\r\nabcd\r\n2\r\nef\r\n0\r\n\r\n";
    apr_size_t consumed, at, n;
    CHECK(dec.feed(in, 5, &consumed, &at, &n) == chunk_status::data);
    LONGS_EQUAL(3, at);
    LONGS_EQUAL(2, n);
    LONGS_EQUAL(5, consumed);
    LONGS_EQUAL(2, dec.body_bytes());
    CHECK(dec.feed(in + 5, sizeof in - 1 - 5, &consumed, &at, &n) == chunk_status::data);
    LONGS_EQUAL(0, at);
    LONGS_EQUAL(2, n);
    LONGS_EQUAL(4, dec.body_bytes());
    const char* p = in + 7;
    CHECK(dec.feed(p, sizeof in - 1 - 7, &consumed, &at, &n) == chunk_status::data);
    LONGS_EQUAL(5, at);
    LONGS_EQUAL(6, dec.body_bytes());
    p += consumed;
    CHECK(dec.feed(p, strlen(p), &consumed, &at, &n) == chunk_status::done);
    LONGS_EQUAL(strlen(p), consumed);
    LONGS_EQUAL(6, dec.body_bytes());

    // reset starts a new body.
    dec.reset(pool, nullptr, limits);
    LONGS_EQUAL(0, dec.body_bytes());
    CHECK(dec.feed("0\r\n\r\n", 5, &consumed, &at, &n) == chunk_status::done);
}
