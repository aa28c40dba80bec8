#include <CppUTest/TestHarness.h>

#include <cstdio>
#include <string>
#include <unistd.h>
#include <apr_hash.h>
#include <apr_pools.h>
#include "mod_static/mime_types.h"

TEST_GROUP(mime_types)
{
    apr_pool_t* pool = nullptr;
    apr_hash_t* types = nullptr;

    void setup() override
    {
        apr_pool_create(&pool, nullptr);
        types = apr_hash_make(pool);
    }
    void teardown() override { apr_pool_destroy(pool); }

    const char* lookup(const char* name) { return x0::lookup_mime_type(types, name); }
};

TEST(mime_types, parses_lines_comments_and_tabs)
{
    x0::parse_mime_types(pool, types,
                         "# a comment line\n"
                         "\n"
                         "text/html\t\t\thtml htm\n"
                         "   \t\n"
                         "text/css css   # trailing comment\n"
                         "application/x-nothing\n"
                         "image/svg+xml\tsvg\tsvgz\r\n"
                         "application/json json");
    STRCMP_EQUAL("text/html", lookup("index.html"));
    STRCMP_EQUAL("text/html", lookup("a.htm"));
    STRCMP_EQUAL("text/css", lookup("style.css"));
    STRCMP_EQUAL("image/svg+xml", lookup("logo.svg"));
    STRCMP_EQUAL("image/svg+xml", lookup("logo.svgz"));
    STRCMP_EQUAL("application/json", lookup("data.json"));
    POINTERS_EQUAL(nullptr, lookup("x.comment"));
    POINTERS_EQUAL(nullptr, lookup("x.trailing"));
    POINTERS_EQUAL(nullptr, lookup("x.x-nothing"));
    LONGS_EQUAL(6, apr_hash_count(types));
}

TEST(mime_types, type_kept_as_written)
{
    x0::parse_mime_types(pool, types, "Text/Plain TXT\n");
    STRCMP_EQUAL("Text/Plain", lookup("a.txt"));
}

TEST(mime_types, case_insensitive_lookup)
{
    x0::parse_mime_types(pool, types, "image/png png\n");
    STRCMP_EQUAL("image/png", lookup("A.PNG"));
    STRCMP_EQUAL("image/png", lookup("a.Png"));
}

TEST(mime_types, extension_rules)
{
    x0::parse_mime_types(pool, types, "application/gzip gz\napplication/x-tar tar\n"
                                      "text/plain txt\n");
    STRCMP_EQUAL("application/gzip", lookup("a.tar.gz"));
    STRCMP_EQUAL("text/plain", lookup("dir.tar/notes.txt"));
    POINTERS_EQUAL(nullptr, lookup("README"));
    POINTERS_EQUAL(nullptr, lookup("dir.txt/README"));
    POINTERS_EQUAL(nullptr, lookup(".txt"));      // a dotfile has no extension
    POINTERS_EQUAL(nullptr, lookup("a/.txt"));
    STRCMP_EQUAL("text/plain", lookup(".notes.txt"));
    POINTERS_EQUAL(nullptr, lookup("file."));
    POINTERS_EQUAL(nullptr, lookup("a.unknown"));
    POINTERS_EQUAL(nullptr, lookup(""));
}

TEST(mime_types, later_mapping_wins_and_add_type)
{
    x0::parse_mime_types(pool, types, "audio/mpeg mp3\naudio/x-mp3 mp3\n");
    STRCMP_EQUAL("audio/x-mp3", lookup("a.mp3"));
    x0::add_mime_type(pool, types, ".MD", "text/markdown");
    x0::add_mime_type(pool, types, "webp", "image/webp");
    STRCMP_EQUAL("text/markdown", lookup("README.md"));
    STRCMP_EQUAL("image/webp", lookup("a.webp"));
    x0::add_mime_type(pool, types, ".", "bad/empty");
    LONGS_EQUAL(3, apr_hash_count(types));
}

TEST(mime_types, overlong_extension)
{
    std::string ext(x0::mime_max_extension + 1, 'x');
    x0::add_mime_type(pool, types, ext.c_str(), "a/b");
    LONGS_EQUAL(0, apr_hash_count(types));
    POINTERS_EQUAL(nullptr, lookup(("f." + ext).c_str()));
    std::string longest(x0::mime_max_extension, 'y');
    x0::add_mime_type(pool, types, longest.c_str(), "a/b");
    STRCMP_EQUAL("a/b", lookup(("f." + longest).c_str()));
}

TEST(mime_types, read_file)
{
    char path[] = "/tmp/x0_mime_types.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char text[] = "# test\nvideo/webm webm\nfont/woff2 woff2\n";
    CHECK(write(fd, text, sizeof text - 1) == static_cast<ssize_t>(sizeof text - 1));
    close(fd);
    LONGS_EQUAL(APR_SUCCESS, x0::read_mime_types(pool, types, path));
    unlink(path);
    STRCMP_EQUAL("video/webm", lookup("clip.webm"));
    STRCMP_EQUAL("font/woff2", lookup("f.woff2"));
    CHECK(APR_STATUS_IS_ENOENT(x0::read_mime_types(pool, types, path)));
}

TEST(mime_types, read_empty_file)
{
    char path[] = "/tmp/x0_mime_types.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    LONGS_EQUAL(APR_SUCCESS, x0::read_mime_types(pool, types, path));
    unlink(path);
    LONGS_EQUAL(0, apr_hash_count(types));
}
