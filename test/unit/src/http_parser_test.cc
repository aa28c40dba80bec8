/* The request-head parser: whole heads, heads split at every byte, limits, errors. */
#include <CppUTest/TestHarness.h>

#include <string>
#include <vector>
#include <apr_pools.h>
#include <apr_tables.h>
#include "http_parser.h"

using x0::http_limits;
using x0::parse_status;
using x0::request_parser;

namespace {

const http_limits default_limits = {8190, 8190, 100};

/** What one parse produced, flattened into strings so runs can be compared. */
struct outcome {
    parse_status status = parse_status::need_more;
    int error = 0;
    size_t consumed = 0;  // over all pieces
    std::string request_line, method, target, path, query, protocol, host;
    int method_number = -1;
    int proto_num = 0;
    std::string headers;  // "name=value\n" in order

    std::string dump() const
    {
        return std::to_string(int(status)) + "|" + std::to_string(error) + "|"
               + std::to_string(consumed) + "|" + request_line + "|" + method + "|"
               + std::to_string(method_number) + "|" + target + "|" + path + "|" + query + "|"
               + protocol + "|" + std::to_string(proto_num) + "|" + host + "|" + headers;
    }
};

std::string str(const char* s)
{
    return s ? std::string(s) : std::string("(null)");
}

/**
 * Parse @a in cut into pieces at @a cuts (ascending offsets), stopping at
 * the first piece that is not need_more.
 */
outcome parse(apr_pool_t* parent, const std::string& in, const std::vector<size_t>& cuts,
              const http_limits& limits = default_limits)
{
    apr_pool_t* pool;
    apr_pool_create(&pool, parent);
    request_parser p;
    p.reset(pool, limits);
    outcome o;
    size_t start = 0;
    for (size_t i = 0; i <= cuts.size(); ++i) {
        size_t stop = i < cuts.size() ? cuts[i] : in.size();
        apr_size_t used = 0;
        o.status = p.feed(in.data() + start, stop - start, &used);
        if (o.status != parse_status::need_more) {
            o.consumed += used;
            break;
        }
        CHECK_EQUAL(stop - start, used);
        o.consumed += used;
        start = stop;
    }
    o.error = p.error_status();
    const x0::http_head& h = p.head;
    o.request_line = str(h.request_line);
    o.method = str(h.method);
    o.method_number = h.method_number;
    o.target = str(h.target);
    o.path = str(h.path);
    o.query = str(h.query);
    o.protocol = str(h.protocol);
    o.proto_num = h.proto_num;
    o.host = str(h.host);
    const apr_array_header_t* arr = apr_table_elts(h.headers);
    const apr_table_entry_t* e = reinterpret_cast<const apr_table_entry_t*>(arr->elts);
    for (int i = 0; i < arr->nelts; ++i)
        o.headers += std::string(e[i].key) + "=" + e[i].val + "\n";
    apr_pool_destroy(pool);
    return o;
}

outcome parse_whole(apr_pool_t* pool, const std::string& in,
                    const http_limits& limits = default_limits)
{
    return parse(pool, in, {}, limits);
}

outcome parse_bytewise(apr_pool_t* pool, const std::string& in,
                       const http_limits& limits = default_limits)
{
    std::vector<size_t> cuts;
    for (size_t i = 1; i < in.size(); ++i)
        cuts.push_back(i);
    return parse(pool, in, cuts, limits);
}

/** The error status for @a in, checked to be the same whole and byte by byte. */
int error_of(apr_pool_t* pool, const std::string& in, const http_limits& limits = default_limits)
{
    outcome whole = parse_whole(pool, in, limits);
    outcome bytes = parse_bytewise(pool, in, limits);
    CHECK(whole.status == parse_status::error);
    CHECK(bytes.status == parse_status::error);
    CHECK_EQUAL(whole.error, bytes.error);
    return whole.error;
}

/** A string literal that may hold NUL bytes. */
template <size_t N>
std::string bin(const char (&s)[N])
{
    return std::string(s, N - 1);
}

std::string get_with(const std::string& fields)
{
    return "GET / HTTP/1.1\r\nHost: h\r\n" + fields + "\r\n";
}

} // namespace

TEST_GROUP(http_parser)
{
    apr_pool_t* pool;

    void setup() override { apr_pool_create(&pool, nullptr); }
    void teardown() override { apr_pool_destroy(pool); }
};

TEST(http_parser, simple_get)
{
    std::string in = "GET /index.html HTTP/1.1\r\nHost: Example.com:8080\r\nAccept: */*\r\n\r\n";
    outcome o = parse_whole(pool, in);
    CHECK(o.status == parse_status::done);
    CHECK_EQUAL(in.size(), o.consumed);
    STRCMP_EQUAL("GET /index.html HTTP/1.1", o.request_line.c_str());
    STRCMP_EQUAL("GET", o.method.c_str());
    CHECK_EQUAL(X0_M_GET, o.method_number);
    STRCMP_EQUAL("/index.html", o.target.c_str());
    STRCMP_EQUAL("/index.html", o.path.c_str());
    STRCMP_EQUAL("(null)", o.query.c_str());
    STRCMP_EQUAL("HTTP/1.1", o.protocol.c_str());
    CHECK_EQUAL(1001, o.proto_num);
    STRCMP_EQUAL("example.com", o.host.c_str());
    STRCMP_EQUAL("Host=Example.com:8080\nAccept=*/*\n", o.headers.c_str());
}

TEST(http_parser, known_methods)
{
    const char* names[] = {"GET", "HEAD", "POST", "PUT", "DELETE",
                           "CONNECT", "OPTIONS", "TRACE", "PATCH"};
    for (int i = 0; i < 9; ++i) {
        std::string target = i == X0_M_CONNECT ? "h:443" : "/";
        outcome o = parse_whole(pool, std::string(names[i]) + " " + target
                                          + " HTTP/1.1\r\nHost: h\r\n\r\n");
        CHECK(o.status == parse_status::done);
        CHECK_EQUAL(i, o.method_number);
        STRCMP_EQUAL(names[i], o.method.c_str());
    }
}

TEST(http_parser, every_split_point_parses_identically)
{
    std::string head =
        "POST /cgi-bin/form.cgi?name=value&x=%20y HTTP/1.1\r\n"
        "Host: www.Example.org\r\n"
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n"
        "Accept: text/html,application/xhtml+xml;q=0.9\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 11\r\n"
        "X-Empty:\r\n"
        "\r\n";
    std::string in = head + "hello world";
    outcome whole = parse_whole(pool, in);
    CHECK(whole.status == parse_status::done);
    CHECK_EQUAL(head.size(), whole.consumed);
    STRCMP_EQUAL("/cgi-bin/form.cgi", whole.path.c_str());
    STRCMP_EQUAL("name=value&x=%20y", whole.query.c_str());
    STRCMP_EQUAL("www.example.org", whole.host.c_str());
    STRCMP_EQUAL("Host=www.Example.org\n"
                 "User-Agent=Mozilla/5.0 (X11; Linux x86_64)\n"
                 "Accept=text/html,application/xhtml+xml;q=0.9\n"
                 "Content-Type=application/x-www-form-urlencoded\n"
                 "Content-Length=11\n"
                 "X-Empty=\n",
                 whole.headers.c_str());
    for (size_t i = 0; i <= in.size(); ++i)
        STRCMP_EQUAL(whole.dump().c_str(), parse(pool, in, {i}).dump().c_str());
    for (size_t i = 1; i < head.size(); ++i)
        for (size_t j = i + 1; j < head.size(); j += 7)
            STRCMP_EQUAL(whole.dump().c_str(), parse(pool, in, {i, j}).dump().c_str());
    STRCMP_EQUAL(whole.dump().c_str(), parse_bytewise(pool, in).dump().c_str());
}

TEST(http_parser, consumed_leaves_pipelined_request)
{
    std::string first = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
    std::string second = "GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
    std::string in = first + second;
    request_parser p;
    p.reset(pool, default_limits);
    apr_size_t used = 0;
    CHECK(p.feed(in.data(), in.size(), &used) == parse_status::done);
    CHECK_EQUAL(first.size(), used);
    STRCMP_EQUAL("/a", p.head.path);

    // Feeding on after done consumes nothing.
    apr_size_t more = 99;
    CHECK(p.feed(in.data() + used, in.size() - used, &more) == parse_status::done);
    CHECK_EQUAL(0u, more);

    p.reset(pool, default_limits);
    apr_size_t used2 = 0;
    CHECK(p.feed(in.data() + used, in.size() - used, &used2) == parse_status::done);
    CHECK_EQUAL(second.size(), used2);
    STRCMP_EQUAL("/b", p.head.path);
}

TEST(http_parser, consumed_when_final_crlf_is_split)
{
    // The last piece carries only "\n" of the blank line plus body bytes.
    std::string in = "GET / HTTP/1.1\r\nHost: h\r\n\r\nBODY";
    size_t lf = in.find("BODY") - 1;
    outcome o = parse(pool, in, {lf});
    CHECK(o.status == parse_status::done);
    CHECK_EQUAL(lf + 1, o.consumed);
}

TEST(http_parser, bare_lf_line_endings)
{
    outcome o = parse_whole(pool, "GET /x HTTP/1.1\nHost: h\r\nA: b\n\nrest");
    CHECK(o.status == parse_status::done);
    CHECK_EQUAL(std::string("GET /x HTTP/1.1\nHost: h\r\nA: b\n\n").size(), o.consumed);
    STRCMP_EQUAL("Host=h\nA=b\n", o.headers.c_str());
    outcome b = parse_bytewise(pool, "GET /x HTTP/1.1\nHost: h\r\nA: b\n\nrest");
    STRCMP_EQUAL(o.dump().c_str(), b.dump().c_str());
}

TEST(http_parser, leading_empty_lines_are_skipped)
{
    std::string in = "\r\n\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
    outcome o = parse_whole(pool, in);
    CHECK(o.status == parse_status::done);
    CHECK_EQUAL(in.size(), o.consumed);
    STRCMP_EQUAL("GET / HTTP/1.1", o.request_line.c_str());
    STRCMP_EQUAL(o.dump().c_str(), parse_bytewise(pool, in).dump().c_str());

    request_parser p;
    p.reset(pool, default_limits);
    CHECK(p.at_start());
    apr_size_t used;
    CHECK(p.feed("\r\n\r", 3, &used) == parse_status::need_more);
    CHECK_EQUAL(3u, used);
    CHECK(p.at_start());
    CHECK(p.feed("\nG", 2, &used) == parse_status::need_more);
    CHECK_FALSE(p.at_start());
}

TEST(http_parser, too_many_leading_empty_lines)
{
    std::string eight, nine;
    for (int i = 0; i < 8; ++i)
        eight += "\r\n";
    nine = eight + "\r\n";
    CHECK(parse_whole(pool, eight + "GET / HTTP/1.0\r\n\r\n").status == parse_status::done);
    CHECK_EQUAL(400, error_of(pool, nine + "GET / HTTP/1.0\r\n\r\n"));
}

TEST(http_parser, request_line_limit)
{
    http_limits lim = {40, 100, 10};
    std::string at = "GET /" + std::string(40 - 14, 'a') + " HTTP/1.1";
    CHECK_EQUAL(40u, at.size());
    std::string ok = at + "\r\nHost: h\r\n\r\n";
    CHECK(parse_whole(pool, ok, lim).status == parse_status::done);
    CHECK(parse_bytewise(pool, ok, lim).status == parse_status::done);
    for (size_t i = 0; i <= ok.size(); ++i)
        CHECK(parse(pool, ok, {i}, lim).status == parse_status::done);

    std::string over = "GET /" + std::string(40 - 13, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n";
    for (size_t i = 0; i <= over.size(); ++i) {
        outcome o = parse(pool, over, {i}, lim);
        CHECK(o.status == parse_status::error);
        CHECK_EQUAL(414, o.error);
    }
    CHECK_EQUAL(414, error_of(pool, over, lim));
}

TEST(http_parser, request_line_limit_without_lf)
{
    // A line that never ends is refused as soon as it is over the limit.
    http_limits lim = {40, 100, 10};
    request_parser p;
    p.reset(pool, lim);
    std::string line(40, 'a');
    apr_size_t used;
    CHECK(p.feed(line.data(), line.size(), &used) == parse_status::need_more);
    CHECK(p.feed("\r", 1, &used) == parse_status::need_more);
    CHECK(p.feed("a", 1, &used) == parse_status::error);
    CHECK_EQUAL(414, p.error_status());

    p.reset(pool, lim);
    std::string longer(41, 'a');
    CHECK(p.feed(longer.data(), longer.size(), &used) == parse_status::error);
    CHECK_EQUAL(414, p.error_status());
    CHECK(p.feed("\r\n", 2, &used) == parse_status::error);
}

TEST(http_parser, field_size_limit)
{
    http_limits lim = {100, 30, 10};
    std::string at = "X-Long: " + std::string(30 - 8, 'v');
    CHECK_EQUAL(30u, at.size());
    std::string ok = get_with(at + "\r\n");
    outcome o = parse_whole(pool, ok, lim);
    CHECK(o.status == parse_status::done);
    for (size_t i = 0; i <= ok.size(); ++i)
        STRCMP_EQUAL(o.dump().c_str(), parse(pool, ok, {i}, lim).dump().c_str());
    STRCMP_EQUAL(o.dump().c_str(), parse_bytewise(pool, ok, lim).dump().c_str());

    std::string over = get_with(at + "v\r\n");
    for (size_t i = 0; i <= over.size(); ++i) {
        outcome e = parse(pool, over, {i}, lim);
        CHECK(e.status == parse_status::error);
        CHECK_EQUAL(431, e.error);
    }
    CHECK_EQUAL(431, error_of(pool, over, lim));
}

TEST(http_parser, field_count_limit)
{
    http_limits lim = {100, 100, 3};
    // Host plus two more: three field lines.
    std::string ok = get_with("A: 1\r\nB: 2\r\n");
    CHECK(parse_whole(pool, ok, lim).status == parse_status::done);
    CHECK_EQUAL(431, error_of(pool, get_with("A: 1\r\nB: 2\r\nC: 3\r\n"), lim));
}

TEST(http_parser, unknown_method_is_501)
{
    outcome o = parse_whole(pool, "BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(o.status == parse_status::error);
    CHECK_EQUAL(501, o.error);
    STRCMP_EQUAL("BREW", o.method.c_str());
    CHECK_EQUAL(X0_M_UNKNOWN, o.method_number);
    CHECK_EQUAL(1001, o.proto_num);
    CHECK_EQUAL(501, error_of(pool, "get / HTTP/1.1\r\nHost: h\r\n\r\n"));
}

TEST(http_parser, bad_method_token_is_400)
{
    CHECK_EQUAL(400, error_of(pool, "G@T / HTTP/1.1\r\nHost: h\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GE(T / HTTP/1.1\r\nHost: h\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, " GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n"));
}

TEST(http_parser, unsupported_versions_are_505)
{
    outcome o = parse_whole(pool, "GET / HTTP/2.0\r\nHost: h\r\n\r\n");
    CHECK(o.status == parse_status::error);
    CHECK_EQUAL(505, o.error);
    STRCMP_EQUAL("HTTP/2.0", o.protocol.c_str());
    CHECK_EQUAL(1000, o.proto_num);
    STRCMP_EQUAL("GET", o.method.c_str());
    CHECK_EQUAL(505, error_of(pool, "GET / HTTP/0.9\r\n\r\n"));
    CHECK_EQUAL(505, error_of(pool, "GET / HTTP/3.1\r\nHost: h\r\n\r\n"));
}

TEST(http_parser, higher_minor_version_is_treated_as_11)
{
    // RFC 9110 2.5: process as the highest minor version implemented.
    outcome o = parse_whole(pool, "GET / HTTP/1.2\r\nHost: h\r\n\r\n");
    CHECK(o.status == parse_status::done);
    CHECK_EQUAL(1001, o.proto_num);
}

TEST(http_parser, http10_accepted)
{
    outcome o = parse_whole(pool, "GET /old HTTP/1.0\r\n\r\n");
    CHECK(o.status == parse_status::done);
    CHECK_EQUAL(1000, o.proto_num);
    STRCMP_EQUAL("HTTP/1.0", o.protocol.c_str());
    STRCMP_EQUAL("(null)", o.host.c_str());
    STRCMP_EQUAL("", o.headers.c_str());
}

TEST(http_parser, malformed_versions_are_400)
{
    // HTTP/0.9 style: no version at all.
    outcome o = parse_whole(pool, "GET /\r\n\r\n");
    CHECK_EQUAL(400, o.error);
    STRCMP_EQUAL("GET", o.method.c_str());
    CHECK_EQUAL(1000, o.proto_num);
    CHECK_EQUAL(400, error_of(pool, "GET /\r\n\r\n"));
    const char* bad[] = {"HTTP/1", "http/1.1", "HTTP/1.1x", "HTTP/11.1", "HTTP/1.1 ",
                         "HTTP/1,1", "HTTP/a.1", "HTTP/1.", "HTTPS/1.1", "HTTP/1.1\t"};
    for (const char* v : bad)
        CHECK_EQUAL(400, error_of(pool, std::string("GET / ") + v + "\r\nHost: h\r\n\r\n"));
}

TEST(http_parser, bare_cr_is_400)
{
    CHECK_EQUAL(400, error_of(pool, "GET / HTTP/1.1\rHost: h\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET /a\rb HTTP/1.1\r\nHost: h\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET / HTTP/1.1\r\r\nHost: h\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, get_with("A: b\rc\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("A: bc\r\r\n")));
    CHECK_EQUAL(400, error_of(pool, "GET / HTTP/1.1\r\nHost: h\r\n\r\r\n"));
    CHECK_EQUAL(400, error_of(pool, "\rGET / HTTP/1.1\r\nHost: h\r\n\r\n"));
    // Split right after the bare CR.
    std::string in = get_with("A: b\rc\r\n");
    outcome o = parse(pool, in, {in.find('\r', in.find("A: ")) + 1});
    CHECK_EQUAL(400, o.error);
}

TEST(http_parser, nul_is_400)
{
    CHECK_EQUAL(400, error_of(pool, bin("GET /a\0b HTTP/1.1\r\nHost: h\r\n\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with(bin("A: b\0c\r\n"))));
    CHECK_EQUAL(400, error_of(pool, get_with(bin("A\0: bc\r\n"))));
    CHECK_EQUAL(400, error_of(pool, bin("\0GET / HTTP/1.1\r\nHost: h\r\n\r\n")));
}

TEST(http_parser, obs_fold_is_400)
{
    CHECK_EQUAL(400, error_of(pool, get_with("A: b\r\n c\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("A: b\r\n\tc\r\n")));
    // Whitespace between the request line and the first field (RFC 9112 2.2).
    CHECK_EQUAL(400, error_of(pool, "GET / HTTP/1.1\r\n Host: h\r\n\r\n"));
}

TEST(http_parser, bad_field_names_are_400)
{
    CHECK_EQUAL(400, error_of(pool, get_with("A : b\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("A\t: b\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with(": b\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("A(b): c\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("A/b: c\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("NoColon\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("A\x80: c\r\n")));
}

TEST(http_parser, ctl_in_field_value_is_400)
{
    CHECK_EQUAL(400, error_of(pool, get_with("A: b\x01" "c\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("A: b\x7f\r\n")));
}

TEST(http_parser, request_line_spacing_is_400)
{
    CHECK_EQUAL(400, error_of(pool, "GET  / HTTP/1.1\r\nHost: h\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET /  HTTP/1.1\r\nHost: h\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET / HTTP/1.1 \r\nHost: h\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET\r\nHost: h\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET \r\nHost: h\r\n\r\n"));
}

TEST(http_parser, bad_target_chars_are_400)
{
    outcome o = parse_whole(pool, "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK_EQUAL(400, o.error);
    CHECK_EQUAL(400, error_of(pool, "GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET /a\t HTTP/1.1\r\nHost: h\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n"));
    // The version was parsed before the target was refused.
    outcome c = parse_whole(pool, "GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK_EQUAL(1001, c.proto_num);
}

TEST(http_parser, bad_target_forms_are_400)
{
    CHECK_EQUAL(400, error_of(pool, "GET index.html HTTP/1.1\r\nHost: h\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET * HTTP/1.1\r\nHost: h\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET h:80 HTTP/1.1\r\nHost: h\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET http:///a HTTP/1.1\r\nHost: h\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET http://u@h/a HTTP/1.1\r\nHost: h\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET http://h:8x/ HTTP/1.1\r\nHost: h\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "CONNECT h HTTP/1.1\r\nHost: h\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "CONNECT h: HTTP/1.1\r\nHost: h\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "CONNECT /a HTTP/1.1\r\nHost: h\r\n\r\n"));
}

TEST(http_parser, host_rules)
{
    CHECK_EQUAL(400, error_of(pool, "GET / HTTP/1.1\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET / HTTP/1.1\r\nHost: a\r\nhOST: b\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET / HTTP/1.1\r\nHost: a b\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET / HTTP/1.1\r\nHost: a:b\r\n\r\n"));
    CHECK_EQUAL(400, error_of(pool, "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"));

    outcome empty = parse_whole(pool, "GET / HTTP/1.1\r\nHost:\r\n\r\n");
    CHECK(empty.status == parse_status::done);
    STRCMP_EQUAL("(null)", empty.host.c_str());

    outcome v6 = parse_whole(pool, "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n");
    CHECK(v6.status == parse_status::done);
    STRCMP_EQUAL("[::1]", v6.host.c_str());

    outcome port = parse_whole(pool, "GET / HTTP/1.1\r\nhost: WWW.Example.COM:80\r\n\r\n");
    CHECK(port.status == parse_status::done);
    STRCMP_EQUAL("www.example.com", port.host.c_str());
}

TEST(http_parser, http10_without_host_ok)
{
    outcome o = parse_whole(pool, "GET / HTTP/1.0\r\nAccept: */*\r\n\r\n");
    CHECK(o.status == parse_status::done);
    STRCMP_EQUAL("(null)", o.host.c_str());
}

TEST(http_parser, absolute_form_host_wins)
{
    outcome o = parse_whole(pool, "GET HTTP://Example.COM:8080/a/b?c=d HTTP/1.1\r\n"
                                  "Host: other.org\r\n\r\n");
    CHECK(o.status == parse_status::done);
    STRCMP_EQUAL("example.com", o.host.c_str());
    STRCMP_EQUAL("HTTP://Example.COM:8080/a/b?c=d", o.target.c_str());
    STRCMP_EQUAL("/a/b", o.path.c_str());
    STRCMP_EQUAL("c=d", o.query.c_str());

    outcome bare = parse_whole(pool, "GET https://h.example HTTP/1.1\r\nHost: h.example\r\n\r\n");
    CHECK(bare.status == parse_status::done);
    STRCMP_EQUAL("h.example", bare.host.c_str());
    STRCMP_EQUAL("/", bare.path.c_str());
    STRCMP_EQUAL("(null)", bare.query.c_str());

    outcome q = parse_whole(pool, "GET http://h?x HTTP/1.0\r\n\r\n");
    CHECK(q.status == parse_status::done);
    STRCMP_EQUAL("h", q.host.c_str());
    STRCMP_EQUAL("/", q.path.c_str());
    STRCMP_EQUAL("x", q.query.c_str());

    outcome np = parse_whole(pool, "GET http://h/p HTTP/1.0\r\n\r\n");
    STRCMP_EQUAL("/p", np.path.c_str());
    STRCMP_EQUAL("(null)", np.query.c_str());
}

TEST(http_parser, options_asterisk)
{
    outcome o = parse_whole(pool, "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
    CHECK(o.status == parse_status::done);
    CHECK_EQUAL(X0_M_OPTIONS, o.method_number);
    STRCMP_EQUAL("*", o.path.c_str());
    STRCMP_EQUAL("*", o.target.c_str());
}

TEST(http_parser, connect_authority_form)
{
    outcome o = parse_whole(pool, "CONNECT Proxy.Example:443 HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(o.status == parse_status::done);
    STRCMP_EQUAL("proxy.example", o.host.c_str());
    STRCMP_EQUAL("(null)", o.path.c_str());
}

TEST(http_parser, query_split)
{
    outcome o = parse_whole(pool, "GET /s?q=a?b&c= HTTP/1.1\r\nHost: h\r\n\r\n");
    STRCMP_EQUAL("/s", o.path.c_str());
    STRCMP_EQUAL("q=a?b&c=", o.query.c_str());
    STRCMP_EQUAL("/s?q=a?b&c=", o.target.c_str());
    outcome e = parse_whole(pool, "GET /s? HTTP/1.1\r\nHost: h\r\n\r\n");
    STRCMP_EQUAL("/s", e.path.c_str());
    STRCMP_EQUAL("", e.query.c_str());
}

TEST(http_parser, ows_trimming)
{
    outcome o = parse_whole(pool, get_with("A:  \t v a l \t \r\nB:x\r\nC: \r\nD:\t\xe2\x82\xac \r\n"));
    CHECK(o.status == parse_status::done);
    STRCMP_EQUAL("Host=h\nA=v a l\nB=x\nC=\nD=\xe2\x82\xac\n", o.headers.c_str());
}

TEST(http_parser, errors_are_sticky)
{
    request_parser p;
    p.reset(pool, default_limits);
    apr_size_t used;
    CHECK(p.feed("GET / HTTP/1.1\r\nA : b\r\n", 24, &used) == parse_status::error);
    CHECK_EQUAL(400, p.error_status());
    CHECK(p.feed("\r\n", 2, &used) == parse_status::error);
    CHECK_EQUAL(0u, used);
    CHECK_EQUAL(400, p.error_status());
    STRCMP_EQUAL("GET", p.head.method);
    CHECK_EQUAL(1001, p.head.proto_num);
}

TEST(http_parser, empty_feed_needs_more)
{
    request_parser p;
    p.reset(pool, default_limits);
    apr_size_t used = 7;
    CHECK(p.feed("", 0, &used) == parse_status::need_more);
    CHECK_EQUAL(0u, used);
    CHECK(p.at_start());
}

TEST(http_parser, ambiguous_body_framing_is_rejected)
{
    // RFC 9112 6.1 and 6.3: anything a proxy could frame differently.
    CHECK_EQUAL(400, error_of(pool, get_with("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("Content-Length: 5\r\nContent-Length: 6\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("Content-Length: 5, 6\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("Content-Length: -1\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("Content-Length: 1x\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("Content-Length: \r\n")));
    // An empty field after a valid one (found by the request_parser fuzzer).
    CHECK_EQUAL(400, error_of(pool, get_with("Content-Length: 3, 3\r\nContent-Length:\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("Content-Length: 3\r\nContent-Length: ,\r\n")));
    // An empty Transfer-Encoding field before a chunked one (found by the fuzzer too).
    CHECK_EQUAL(400, error_of(pool, get_with("Transfer-Encoding:\r\nTransfer-Encoding: chunked\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("Transfer-Encoding: ,\r\nTransfer-Encoding: chunked\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("Content-Length: +5\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("Content-Length: 1234567890123456789\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("Transfer-Encoding: gzip\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("Transfer-Encoding: chunked, gzip\r\n")));
    CHECK_EQUAL(501, error_of(pool, get_with("Transfer-Encoding: gzip, chunked\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("Transfer-Encoding: chunked, chunked\r\n")));
    // Found by the request-parser fuzzer: junk after the coding's name.
    CHECK_EQUAL(400, error_of(pool, get_with("Transfer-Encoding: chunked x\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("Transfer-Encoding: chunked :\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("Transfer-Encoding: \"chunked\"\r\n")));
    CHECK_EQUAL(400, error_of(pool, get_with("Transfer-Encoding: chunked\r\n"
                                             "Transfer-Encoding: chunked\r\n")));
}

TEST(http_parser, unambiguous_body_framing_is_accepted)
{
    const char* good[] = {"Content-Length: 5\r\n", "Content-Length: 5\r\nContent-Length: 5\r\n",
                          "Content-Length: 5, 5\r\n", "Transfer-Encoding: Chunked\r\n",
                          "Transfer-Encoding: chunked\r\n", "Transfer-Encoding: chunked \r\n",
                          "Transfer-Encoding: ,chunked,\r\n"};
    for (const char* fields : good) {
        outcome o = parse_whole(pool, get_with(fields));
        CHECK_TEXT(o.status == parse_status::done, fields);
    }
}
