/* The path <Location> matching sees. */
#include <CppUTest/TestHarness.h>

#include <apr_pools.h>
#include "uri_path.h"

TEST_GROUP(uri_path)
{
    apr_pool_t* pool = nullptr;
    void setup() override { apr_pool_create(&pool, nullptr); }
    void teardown() override { apr_pool_destroy(pool); }

    void check(const char* in, const char* expected)
    {
        const char* out = nullptr;
        LONGS_EQUAL_TEXT(0, x0::normalize_path(pool, in, &out), in);
        STRCMP_EQUAL_TEXT(expected, out, in);
    }
    void check_status(const char* in, int status)
    {
        const char* out = nullptr;
        LONGS_EQUAL_TEXT(status, x0::normalize_path(pool, in, &out), in);
    }
};

TEST(uri_path, unchanged)
{
    check("/", "/");
    check("/hello", "/hello");
    check("/a/b/", "/a/b/");
}

TEST(uri_path, decoded_once)
{
    check("/%E2%82%AC/caf%c3%a9.html", "/\xE2\x82\xAC/caf\xC3\xA9.html");
    check("/100%25", "/100%");
    // Double encoding decodes to a literal name, never to a dot-segment.
    check("/%252e%252e/x", "/%2e%2e/x");
    check("/%68ello", "/hello");
    check("/a%20b", "/a b");
    check("/%2541", "/%41");
}

TEST(uri_path, slashes_merged)
{
    check("//hello", "/hello");
    check("/a//b///c", "/a/b/c");
    check("///", "/");
}

TEST(uri_path, dot_segments_resolved)
{
    check("/./hello", "/hello");
    check("/x/../hello", "/hello");
    check("/a/b/../../c/", "/c/");
    check("/a/..", "/");
    check("/a/%2e%2e/hello", "/hello");
    check("/.hidden/..x", "/.hidden/..x");
}

TEST(uri_path, invalid)
{
    check_status("/..", 400);
    check_status("/%2e%2e/", 400);
    check_status("/../etc/passwd", 400);
    check_status("/a/../../b", 400);
    check_status("/%zz", 400);
    check_status("/%00", 400);
    check_status("*", 400);
    check_status("", 400);
    check_status("a/b", 400);
    check_status("/%4", 400);
    check_status("/a.txt%00.html", 400);
}

TEST(uri_path, encoded_slash_not_found)
{
    check_status("/a%2fb", 404);
    check_status("/a%2Fb", 404);
    check_status("/..%2f..%2fetc%2fpasswd", 404);
    check("/%252F", "/%2F");
}

TEST(uri_path, backslash_refused)
{
    check_status("/a\\b", 400);
    check_status("/..\\..\\etc\\passwd", 400);
    check_status("/a%5cb", 400);
    check_status("/a%5Cb", 400);
}
