#include <CppUTest/TestHarness.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <apr_pools.h>
#include "mod_static/path_map.h"


/* ---- opening below the root ---- */

TEST_GROUP(path_map_open)
{
    apr_pool_t* pool = nullptr;
    std::string base;
    std::string root;
    char root_real[PATH_MAX];
    int root_fd = -1;

    void setup() override
    {
        apr_pool_create(&pool, nullptr);
        char tmpl[] = "/tmp/x0_path_map.XXXXXX";
        CHECK(mkdtemp(tmpl) != nullptr);
        base = tmpl;
        root = base + "/root";
        CHECK_EQUAL(0, mkdir(root.c_str(), 0755));
        CHECK_EQUAL(0, mkdir((root + "/sub").c_str(), 0755));
        write_file(root + "/file.txt", "hello");
        write_file(root + "/sub/inner.txt", "inner");
        write_file(base + "/outside.txt", "secret");
        link("sub/inner.txt", "link_inside");
        link("sub", "link_dir");
        link("../file.txt", "sub/link_up");
        link("/etc/passwd", "link_passwd");
        link("../outside.txt", "link_outside");
        link(root + "/file.txt", "link_absolute");
        link("/proc/self/root/etc/passwd", "link_magic");
        link("link_loop", "link_loop");
        CHECK_EQUAL(0, mkfifo((root + "/fifo").c_str(), 0644));
        CHECK(realpath(root.c_str(), root_real) != nullptr);
        root_fd = open(root_real, O_PATH | O_DIRECTORY | O_CLOEXEC);
        CHECK(root_fd >= 0);
    }

    void teardown() override
    {
        close(root_fd);
        std::error_code ec;
        std::filesystem::remove_all(base, ec);
        apr_pool_destroy(pool);
    }

    static void write_file(const std::string& path, const char* data)
    {
        std::ofstream(path) << data;
    }

    void link(const std::string& target, const char* name)
    {
        CHECK_EQUAL(0, symlink(target.c_str(), (root + "/" + name).c_str()));
    }

    /** Open @a rel; returns the status and, on success, the file's first bytes. */
    int open_rel(const char* rel, bool follow, std::string* content = nullptr,
                 bool checked = false)
    {
        x0::opened_file f;
        int status = checked ? x0::open_below_root_checked(root_fd, root_real, rel, &f)
                             : x0::open_below_root(root_fd, root_real, rel, follow, &f);
        if (status != 0) {
            LONGS_EQUAL(-1, f.fd);
            return status;
        }
        CHECK(f.fd >= 0);
        if (content) {
            char buf[64];
            ssize_t n = S_ISREG(f.st.st_mode) ? read(f.fd, buf, sizeof buf) : 0;
            content->assign(buf, n > 0 ? static_cast<size_t>(n) : 0);
        }
        int fl = fcntl(f.fd, F_GETFD);
        CHECK(fl & FD_CLOEXEC);
        close(f.fd);
        return status;
    }
};

TEST(path_map_open, regular_file)
{
    std::string content;
    LONGS_EQUAL(0, open_rel("file.txt", false, &content));
    STRCMP_EQUAL("hello", content.c_str());
    LONGS_EQUAL(0, open_rel("sub/inner.txt", false, &content));
    STRCMP_EQUAL("inner", content.c_str());
}

TEST(path_map_open, directories)
{
    x0::opened_file f;
    LONGS_EQUAL(0, x0::open_below_root(root_fd, root_real, "", false, &f));
    CHECK(S_ISDIR(f.st.st_mode));
    close(f.fd);
    LONGS_EQUAL(0, x0::open_below_root(root_fd, root_real, "sub", false, &f));
    CHECK(S_ISDIR(f.st.st_mode));
    close(f.fd);
}

TEST(path_map_open, missing_is_404)
{
    x0::opened_file f;
    LONGS_EQUAL(404, x0::open_below_root(root_fd, root_real, "nope.txt", false, &f));
    LONGS_EQUAL(ENOENT, f.err);
    LONGS_EQUAL(404, open_rel("file.txt/x", false));   // ENOTDIR
    LONGS_EQUAL(404, open_rel("nope/x", true));
}

TEST(path_map_open, symlinks_inside_root_allowed)
{
    std::string content;
    LONGS_EQUAL(0, open_rel("link_inside", false, &content));
    STRCMP_EQUAL("inner", content.c_str());
    LONGS_EQUAL(0, open_rel("link_dir/inner.txt", false, &content));
    STRCMP_EQUAL("inner", content.c_str());
    LONGS_EQUAL(0, open_rel("sub/link_up", false, &content));
    STRCMP_EQUAL("hello", content.c_str());
}

TEST(path_map_open, symlinks_out_of_root_refused)
{
    x0::opened_file f;
    LONGS_EQUAL(403, x0::open_below_root(root_fd, root_real, "link_passwd", false, &f));
    CHECK(f.err == EXDEV || f.err == ELOOP);
    LONGS_EQUAL(403, open_rel("link_outside", false));
    LONGS_EQUAL(403, open_rel("link_magic", false));
    // RESOLVE_BENEATH refuses absolute symlinks even when they point inside.
    LONGS_EQUAL(403, open_rel("link_absolute", false));
}

TEST(path_map_open, follow_symlinks_allows_everything)
{
    std::string content;
    LONGS_EQUAL(0, open_rel("link_outside", true, &content));
    STRCMP_EQUAL("secret", content.c_str());
    LONGS_EQUAL(0, open_rel("link_passwd", true));
    LONGS_EQUAL(0, open_rel("link_absolute", true, &content));
    STRCMP_EQUAL("hello", content.c_str());
    LONGS_EQUAL(0, open_rel("link_inside", true, &content));
    STRCMP_EQUAL("inner", content.c_str());
}

TEST(path_map_open, loops_and_special_files_refused)
{
    LONGS_EQUAL(403, open_rel("link_loop", false));
    LONGS_EQUAL(403, open_rel("link_loop", true));
    // A FIFO must neither block the open nor be served.
    LONGS_EQUAL(403, open_rel("fifo", false));
    LONGS_EQUAL(403, open_rel("fifo", true));
}

TEST(path_map_open, unreadable_is_403)
{
    if (geteuid() == 0)
        return;  // root reads anything
    write_file(root + "/secret.txt", "x");
    CHECK_EQUAL(0, chmod((root + "/secret.txt").c_str(), 0));
    LONGS_EQUAL(403, open_rel("secret.txt", false));
    LONGS_EQUAL(403, open_rel("secret.txt", true));
}

/* The ENOSYS fallback, called directly. */
TEST(path_map_open, realpath_fallback)
{
    std::string content;
    LONGS_EQUAL(0, open_rel("file.txt", false, &content, true));
    STRCMP_EQUAL("hello", content.c_str());
    LONGS_EQUAL(0, open_rel("", false, nullptr, true));
    LONGS_EQUAL(0, open_rel("link_inside", false, &content, true));
    STRCMP_EQUAL("inner", content.c_str());
    LONGS_EQUAL(0, open_rel("link_absolute", false, &content, true));
    LONGS_EQUAL(404, open_rel("nope.txt", false, nullptr, true));

    x0::opened_file f;
    LONGS_EQUAL(403, x0::open_below_root_checked(root_fd, root_real, "link_outside", &f));
    LONGS_EQUAL(EXDEV, f.err);
    LONGS_EQUAL(403, open_rel("link_passwd", false, nullptr, true));
    LONGS_EQUAL(403, open_rel("link_magic", false, nullptr, true));
    LONGS_EQUAL(403, open_rel("fifo", false, nullptr, true));
}

/* A sibling whose name starts with the root's name is not below the root. */
TEST(path_map_open, realpath_fallback_prefix_sibling)
{
    CHECK_EQUAL(0, mkdir((base + "/rootx").c_str(), 0755));
    write_file(base + "/rootx/f.txt", "sibling");
    link("../rootx/f.txt", "link_sibling");
    LONGS_EQUAL(403, open_rel("link_sibling", false, nullptr, true));
    LONGS_EQUAL(403, open_rel("link_sibling", false));
}
