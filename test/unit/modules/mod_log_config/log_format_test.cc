/*
 * LogFormat: compiling (tokens, arguments, conditions, errors) and rendering
 * against a request built by hand, escaping as httpd does.
 */
#include <CppUTest/TestHarness.h>

#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

#include "mod_log_config/log_format.h"

using x0log::log_context;
using x0log::log_format;

namespace {
const char combined[] = "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"";
}

TEST_GROUP(log_format)
{
    apr_pool_t* pool = nullptr;
    x0_server_t server{};
    x0_conn_t conn{};
    x0_request_t req{};
    log_context ctx{};

    void setup() override
    {
        apr_pool_create(&pool, nullptr);
        server.server_name = "www.example.org";
        conn.pool = pool;
        conn.client_ip = "192.0.2.7";
        conn.client_port = 40000;
        conn.local_ip = "127.0.0.1";
        conn.local_port = 8080;
        conn.keepalives = 3;
        conn.keepalive = 1;
        req.pool = pool;
        req.connection = &conn;
        req.server = &server;
        // 10 Oct 2000 13:55:36 UTC and a bit
        req.request_time = apr_time_from_sec(971186136) + 250123;
        req.the_request = "GET /a%20b?x=1 HTTP/1.1";
        req.method = "GET";
        req.uri = "/a%20b";
        req.args = "x=1";
        req.protocol = "HTTP/1.1";
        req.hostname = "alias.example.org";
        req.headers_in = apr_table_make(pool, 4);
        req.headers_out = apr_table_make(pool, 4);
        req.notes = apr_table_make(pool, 4);
        req.status = 200;
        req.content_length = 1234;
        req.content_type = "text/plain";
        apr_table_set(req.headers_in, "User-Agent", "curl/7.88");
        ctx.r = &req;
        ctx.bytes = {1400, 1234};
        ctx.now = req.request_time + 1500;  // 1.5 ms later
        setenv("TZ", "UTC", 1);
        tzset();
    }
    void teardown() override { apr_pool_destroy(pool); }

    const log_format* compile(const char* text)
    {
        const log_format* f = nullptr;
        const char* err = x0log::compile_format(pool, text, &f);
        if (err)
            FAIL(err);
        return f;
    }

    std::string render(const char* text, apr_size_t cap = 4096)
    {
        static char buf[16384];
        apr_size_t n = x0log::render_line(compile(text), ctx, buf, cap);
        CHECK(n >= 1 && buf[n - 1] == '\n');
        return std::string(buf, n - 1);
    }

    std::string error(const char* text)
    {
        const log_format* f = nullptr;
        const char* err = x0log::compile_format(pool, text, &f);
        return err ? err : "";
    }
};

TEST(log_format, combined_line)
{
    STRCMP_EQUAL("192.0.2.7 - - [10/Oct/2000:13:55:36 +0000] \"GET /a%20b?x=1 HTTP/1.1\" 200 1234 "
                 "\"-\" \"curl/7.88\"",
                 render(combined).c_str());
}

TEST(log_format, bytes_clf_dash_for_none)
{
    ctx.bytes = {180, 0};
    STRCMP_EQUAL("- 0 180", render("%b %B %O").c_str());
}

TEST(log_format, request_fields)
{
    STRCMP_EQUAL("GET|HTTP/1.1|/a%20b|?x=1|www.example.org|alias.example.org|8080|40000|127.0.0.1",
                 render("%m|%H|%U|%q|%v|%V|%p|%{remote}p|%A").c_str());
    req.args = nullptr;
    STRCMP_EQUAL("[]", render("[%q]").c_str());
}

TEST(log_format, durations)
{
    ctx.now = req.request_time + 2500000;  // 2.5 s
    STRCMP_EQUAL("2500000 2 2500 2500000 2", render("%D %T %{ms}T %{us}T %{s}T").c_str());
}

TEST(log_format, times)
{
    STRCMP_EQUAL("971186136 971186136250 971186136250123 250 250123",
                 render("%{sec}t %{msec}t %{usec}t %{msec_frac}t %{usec_frac}t").c_str());
    STRCMP_EQUAL("2000-10-10 13:55:36", render("%{%Y-%m-%d %H:%M:%S}t").c_str());
    ctx.now = req.request_time + apr_time_from_sec(2);
    STRCMP_EQUAL("971186138", render("%{end:sec}t").c_str());
    STRCMP_EQUAL("[10/Oct/2000:13:55:36 +0000]", render("%{begin:}t").c_str());
}

TEST(log_format, headers_notes_and_tls_variables)
{
    apr_table_set(req.headers_out, "ETag", "\"abc\"");
    apr_table_set(req.notes, "SSL_PROTOCOL", "TLSv1.3");
    apr_table_set(req.notes, "SSL_CIPHER", "TLS_AES_256_GCM_SHA384");
    apr_table_set(req.notes, "SSL_SEND_PATH", "copy");
    STRCMP_EQUAL("\\\"abc\\\" text/plain 1234 - TLSv1.3 TLS_AES_256_GCM_SHA384 copy TLSv1.3",
                 render("%{ETag}o %{Content-Type}o %{Content-Length}o %{X-None}o "
                        "%{SSL_PROTOCOL}x %{SSL_CIPHER}x %{SSL_SEND_PATH}x %{SSL_PROTOCOL}n")
                     .c_str());
}

TEST(log_format, connection_tokens)
{
    std::string pid = std::to_string(getpid());
    STRCMP_EQUAL(("+ 2 - " + pid + " %").c_str(), render("%X %k %L %P %%").c_str());
    conn.keepalive = 0;
    STRCMP_EQUAL("-", render("%X").c_str());
    conn.aborted = 1;
    STRCMP_EQUAL("X", render("%X").c_str());
}

TEST(log_format, status_conditions)
{
    apr_table_set(req.headers_in, "Referer", "http://r/");
    STRCMP_EQUAL("- http://r/", render("%400,501{Referer}i %!400,501{Referer}i").c_str());
    req.status = 501;
    STRCMP_EQUAL("http://r/ -", render("%400,501{Referer}i %!400,501{Referer}i").c_str());
    STRCMP_EQUAL("501 501", render("%<s %>s").c_str());
}

TEST(log_format, environment_is_read_at_compile_time)
{
    setenv("X0_LOG_TEST_VAR", "value one", 1);
    const log_format* f = compile("%{X0_LOG_TEST_VAR}e %{X0_LOG_UNSET_VAR}e");
    unsetenv("X0_LOG_TEST_VAR");
    char buf[128];
    apr_size_t n = x0log::render_line(f, ctx, buf, sizeof buf);
    STRCMP_EQUAL("value one -\n", std::string(buf, n).c_str());
}

TEST(log_format, literal_escapes)
{
    STRCMP_EQUAL("a\tb\\c\"d", render("a\\tb\\\\c\\\"d").c_str());
}

TEST(log_format, escaping_as_httpd)
{
    req.the_request = "GET /\x01\x7f\xff\"\\ HTTP/1.1";
    apr_table_set(req.headers_in, "User-Agent", "a\tb\r\nc\"");
    STRCMP_EQUAL("GET /\\x01\\x7f\\xff\\\"\\\\ HTTP/1.1 a\\tb\\r\\nc\\\"",
                 render("%r %{User-Agent}i").c_str());
}

TEST(log_format, escape_is_never_cut_in_half)
{
    char out[8];
    LONGS_EQUAL(4, x0log::escape_item("\x01\x02", out, 7));
    LONGS_EQUAL(6, x0log::escape_item("ab\x01\x02", out, 7));
    LONGS_EQUAL(2, x0log::escape_item("\"\"", out, 3));
}

TEST(log_format, long_line_is_cut_and_ends_in_newline)
{
    std::string ua(10000, 'u');
    apr_table_set(req.headers_in, "User-Agent", ua.c_str());
    std::string line = render("%{User-Agent}i", 100);
    LONGS_EQUAL(99, line.size());
}

TEST(log_format, missing_request_parts_are_dashes)
{
    x0_request_t bare{};
    bare.connection = &conn;
    bare.status = 400;
    bare.request_time = req.request_time;
    ctx.r = &bare;
    ctx.bytes = {0, 0};
    STRCMP_EQUAL("\"-\" - - - 400 - 0 -", render("\"%r\" %m %U %{Host}i %s %b %I %v").c_str());
}

TEST(log_format, bytes_in_estimate)
{
    apr_table_set(req.headers_in, "Content-Length", "10");
    // "GET /a%20b?x=1 HTTP/1.1" 23 + 2, "User-Agent: curl/7.88" 21 + 2,
    // "Content-Length: 10" 18 + 2, the empty line 2, the body 10
    STRCMP_EQUAL("80", render("%I").c_str());
}

TEST(log_format, errors)
{
    STRCMP_CONTAINS("unknown token %Z", error("%h %Z").c_str());
    STRCMP_CONTAINS("lone '%'", error("abc %").c_str());
    STRCMP_CONTAINS("%i needs an argument", error("%i").c_str());
    STRCMP_CONTAINS("no '}'", error("%{Referer").c_str());
    STRCMP_CONTAINS("s, ms or us", error("%{ns}T").c_str());
    STRCMP_CONTAINS("three-digit", error("%40{Referer}i").c_str());
    STRCMP_CONTAINS("takes no {argument}", error("%{x}m").c_str());
    STRCMP_CONTAINS("LogFormat \"%h %Z\"", error("%h %Z").c_str());
}
