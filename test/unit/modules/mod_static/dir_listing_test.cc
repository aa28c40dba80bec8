/* Directory listings: escaping, what is read and in which order, the page. */
#include <CppUTest/TestHarness.h>

#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <apr_pools.h>
#include "mod_static/dir_listing.h"

namespace {

void write_file(const std::string& path, const std::string& data)
{
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK_EQUAL(static_cast<ssize_t>(data.size()), write(fd, data.data(), data.size()));
    close(fd);
}

std::string names_of(const x0::dir_listing& l)
{
    std::string out;
    auto* e = reinterpret_cast<const x0::dir_entry*>(l.entries->elts);
    for (int i = 0; i < l.entries->nelts; ++i) {
        out += e[i].name;
        out += e[i].is_dir ? "/ " : " ";
    }
    return out;
}

} // namespace

TEST_GROUP(dir_listing)
{
    apr_pool_t* pool = nullptr;
    std::string root;
    int root_fd = -1;

    void setup() override
    {
        apr_pool_create(&pool, nullptr);
        char tmpl[] = "/tmp/x0-dir-listing-XXXXXX";
        root = mkdtemp(tmpl);
        root_fd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    }
    void teardown() override
    {
        apr_pool_destroy(pool);
        close(root_fd);
        std::string cmd = "rm -rf " + root;
        CHECK_EQUAL(0, system(cmd.c_str()));
    }

    int read(const char* rel, bool follow, x0::dir_listing* out)
    {
        int fd = openat(root_fd, rel[0] ? rel : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK(fd >= 0);
        int err = x0::dir_listing_read(pool, fd, root_fd, root.c_str(), rel, follow, out);
        close(fd);
        return err;
    }
};

TEST(dir_listing, escape_html)
{
    STRCMP_EQUAL("a b&amp;&lt;c&gt;&quot;&#39;.txt",
                 x0::dir_listing_escape_html(pool, "a b&<c>\"'.txt"));
    STRCMP_EQUAL("", x0::dir_listing_escape_html(pool, ""));
}

TEST(dir_listing, escape_uri_keeps_only_unreserved)
{
    STRCMP_EQUAL("a%20b%26%3Cc%3E.txt", x0::dir_listing_escape_uri(pool, "a b&<c>.txt"));
    STRCMP_EQUAL("c%3Ad%2F%25%3F%23~_-.", x0::dir_listing_escape_uri(pool, "c:d/%?#~_-."));
    STRCMP_EQUAL("%C3%A9", x0::dir_listing_escape_uri(pool, "\xc3\xa9"));
}

TEST(dir_listing, directories_first_then_files_by_strcmp_without_dotfiles)
{
    write_file(root + "/b.txt", "bb");
    write_file(root + "/B.txt", "B");
    write_file(root + "/a", "");
    write_file(root + "/.hidden", "h");
    write_file(root + "/back\\slash", "");
    mkdir((root + "/zdir").c_str(), 0755);
    mkdir((root + "/Adir").c_str(), 0755);
    mkdir((root + "/.git").c_str(), 0755);
    mkfifo((root + "/fifo").c_str(), 0644);
    x0::dir_listing l;
    LONGS_EQUAL(0, read("", false, &l));
    CHECK_FALSE(l.truncated);
    STRCMP_EQUAL("Adir/ zdir/ B.txt a b.txt ", names_of(l).c_str());
    auto* e = reinterpret_cast<const x0::dir_entry*>(l.entries->elts);
    LONGS_EQUAL(1, e[2].size);
    LONGS_EQUAL(2, e[4].size);
}

TEST(dir_listing, symlinks_as_mod_static_would_serve_them)
{
    mkdir((root + "/d").c_str(), 0755);
    write_file(root + "/d/t.txt", "target");
    write_file(root + "/top.txt", "top");
    CHECK_EQUAL(0, symlink("t.txt", (root + "/d/in").c_str()));
    CHECK_EQUAL(0, symlink("../top.txt", (root + "/d/up").c_str()));  // still below the root
    CHECK_EQUAL(0, symlink("../..", (root + "/d/out").c_str()));
    CHECK_EQUAL(0, symlink("/etc/passwd", (root + "/d/abs").c_str()));
    CHECK_EQUAL(0, symlink("nowhere", (root + "/d/dangling").c_str()));
    x0::dir_listing l;
    LONGS_EQUAL(0, read("d", false, &l));
    STRCMP_EQUAL("in t.txt up ", names_of(l).c_str());
    auto* e = reinterpret_cast<const x0::dir_entry*>(l.entries->elts);
    LONGS_EQUAL(6, e[0].size);  // the target's
    LONGS_EQUAL(0, read("d", true, &l));
    STRCMP_EQUAL("out/ abs in t.txt up ", names_of(l).c_str());
}

TEST(dir_listing, page)
{
    write_file(root + "/a b&<c>.txt", "12345");
    mkdir((root + "/sub").c_str(), 0755);
    struct timespec times[2] = {{1577934245, 0}, {1577934245, 0}};
    utimensat(AT_FDCWD, (root + "/a b&<c>.txt").c_str(), times, 0);
    utimensat(AT_FDCWD, (root + "/sub").c_str(), times, 0);
    x0::dir_listing l;
    LONGS_EQUAL(0, read("", false, &l));
    apr_size_t len = 0;
    const char* html = x0::dir_listing_html(pool, "/x&y/", l, &len);
    const char* want =
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n"
        "<title>Index of /x&amp;y</title>\n</head>\n<body>\n<h1>Index of /x&amp;y</h1>\n"
        "<table>\n<tr><th>Name</th><th>Last modified (UTC)</th><th>Size</th></tr>\n"
        "<tr><td><a href=\"../\">Parent Directory</a></td><td></td><td>-</td></tr>\n"
        "<tr><td><a href=\"sub/\">sub/</a></td><td>2020-01-02 03:04:05</td><td>-</td></tr>\n"
        "<tr><td><a href=\"a%20b%26%3Cc%3E.txt\">a b&amp;&lt;c&gt;.txt</a></td>"
        "<td>2020-01-02 03:04:05</td><td>5</td></tr>\n"
        "</table>\n</body>\n</html>\n";
    STRCMP_EQUAL(want, html);
    LONGS_EQUAL(strlen(want), len);

    html = x0::dir_listing_html(pool, "/", l, &len);
    CHECK(strstr(html, "<title>Index of /</title>"));
    CHECK_FALSE(strstr(html, "Parent Directory"));
}

TEST(dir_listing, capped)
{
    mkdir((root + "/many").c_str(), 0755);
    for (int i = 0; i <= x0::dir_listing_max_entries; ++i)
        write_file(root + "/many/f" + std::to_string(i), "");
    x0::dir_listing l;
    LONGS_EQUAL(0, read("many", false, &l));
    CHECK(l.truncated);
    LONGS_EQUAL(x0::dir_listing_max_entries, l.entries->nelts);
    apr_size_t len = 0;
    const char* html = x0::dir_listing_html(pool, "/many/", l, &len);
    CHECK(strstr(html, "<p>This directory has more than 10000 entries; only 10000 are listed."));
}
