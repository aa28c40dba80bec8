/*
 * The worker's open-file cache: hits share a descriptor and a small file's
 * bytes, busy entries stay, and a change shows from the next loop turn on.
 */
#include <CppUTest/TestHarness.h>

#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <apr_pools.h>
#include <ev.h>
#include "mod_static/file_cache.h"

namespace {

bool fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1;
}

void write_file(const std::string& path, const std::string& data)
{
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK_EQUAL(static_cast<ssize_t>(data.size()), write(fd, data.data(), data.size()));
    close(fd);
}

/**
 * Wait until the file's ctime is over a second old, when the cache may keep
 * its bytes (file_cache.cc, load_bytes): the condition itself, not a guess.
 */
void wait_until_settled(const std::string& path)
{
    struct stat st;
    CHECK_EQUAL(0, stat(path.c_str(), &st));
    while (st.st_ctim.tv_sec + 1 >= time(nullptr))
        usleep(50 * 1000);
}

/** What a worker's loop does between two wake-ups, as far as the cache sees. */
void next_loop_turn()
{
    ev_run(ev_default_loop(0), EVRUN_NOWAIT);
}

} // namespace

TEST_GROUP(file_cache)
{
    apr_pool_t* pool = nullptr;
    apr_pool_t* worker = nullptr;
    std::string root;
    int root_fd = -1;

    void setup() override
    {
        apr_pool_create(&pool, nullptr);
        apr_pool_create(&worker, pool);
        char tmpl[] = "/tmp/x0-file-cache-XXXXXX";
        root = mkdtemp(tmpl);
        write_file(root + "/a.txt", "aaaa");
        mkdir((root + "/dir").c_str(), 0755);
        root_fd = open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        x0::file_cache_init(worker);
    }
    void teardown() override
    {
        apr_pool_destroy(pool);  // closes the cached descriptors
        close(root_fd);
        std::string cmd = "rm -rf " + root;
        CHECK_EQUAL(0, system(cmd.c_str()));
    }

    int open_in(apr_pool_t* p, const char* rel, x0::opened_file* f)
    {
        return x0::file_cache_open(p, root_fd, root.c_str(), rel, false, f);
    }
};

TEST(file_cache, second_open_shares_the_descriptor)
{
    apr_pool_t *r1, *r2;
    x0::opened_file f1, f2;
    // An entry is trusted within the second it was opened in (time()): when
    // the two opens straddle a second boundary, the second one misses by
    // design. Two tries cannot both straddle one.
    for (int attempt = 0;; ++attempt) {
        apr_pool_create(&r1, worker);
        apr_pool_create(&r2, worker);
        time_t before = time(nullptr);
        LONGS_EQUAL(0, open_in(r1, "a.txt", &f1));
        LONGS_EQUAL(0, open_in(r2, "a.txt", &f2));
        if (time(nullptr) == before || attempt == 1)
            break;
        apr_pool_destroy(r1);
        apr_pool_destroy(r2);
    }
    LONGS_EQUAL(f1.fd, f2.fd);
    LONGS_EQUAL(4, f2.st.st_size);
    apr_pool_destroy(r1);
    apr_pool_destroy(r2);
    CHECK(fd_is_open(f1.fd));  // still cached for the next request
}

TEST(file_cache, directories_are_not_cached)
{
    apr_pool_t* r1;
    apr_pool_create(&r1, worker);
    x0::opened_file f;
    LONGS_EQUAL(0, open_in(r1, "dir", &f));
    CHECK(S_ISDIR(f.st.st_mode));
    apr_pool_destroy(r1);
    CHECK_FALSE(fd_is_open(f.fd));
}

TEST(file_cache, errors_pass_through)
{
    x0::opened_file f;
    LONGS_EQUAL(404, open_in(pool, "missing.txt", &f));
    LONGS_EQUAL(403, open_in(pool, "../etc/passwd", &f));
}

TEST(file_cache, stale_entry_in_use_is_not_replaced)
{
    // A miss on a slot whose entry a response still uses: the fresh
    // descriptor is the request's own, and the busy one stays open. What
    // makes the entry stale does not matter here; a change of size does it
    // at once (an entry past file_cache_ttl takes the same path, but only
    // wall time makes one: the cache reads time() and has no clock to set).
    apr_pool_t *r1, *r2;
    apr_pool_create(&r1, worker);
    apr_pool_create(&r2, worker);
    x0::opened_file f1, f2;
    LONGS_EQUAL(0, open_in(r1, "a.txt", &f1));
    write_file(root + "/a.txt", "bbbbbbbb");
    next_loop_turn();
    LONGS_EQUAL(0, open_in(r2, "a.txt", &f2));
    CHECK(f1.fd != f2.fd);       // a fresh open: the cached entry is stale
    LONGS_EQUAL(8, f2.st.st_size);
    apr_pool_destroy(r2);
    CHECK_FALSE(fd_is_open(f2.fd));  // not cached: the slot was busy with r1
    CHECK(fd_is_open(f1.fd));        // r1's response still has its descriptor
    apr_pool_destroy(r1);
}

TEST(file_cache, file_rewritten_in_place_is_a_miss)
{
    apr_pool_t *r1, *r2;
    apr_pool_create(&r1, worker);
    x0::opened_file f1, f2;
    LONGS_EQUAL(0, open_in(r1, "a.txt", &f1));
    apr_pool_destroy(r1);
    write_file(root + "/a.txt", "version two, longer");
    next_loop_turn();
    apr_pool_create(&r2, worker);
    LONGS_EQUAL(0, open_in(r2, "a.txt", &f2));
    LONGS_EQUAL(19, f2.st.st_size);
    apr_pool_destroy(r2);
}

TEST(file_cache, deleted_file_is_a_miss)
{
    apr_pool_t* r1;
    apr_pool_create(&r1, worker);
    x0::opened_file f;
    LONGS_EQUAL(0, open_in(r1, "a.txt", &f));
    apr_pool_destroy(r1);
    unlink((root + "/a.txt").c_str());
    next_loop_turn();
    LONGS_EQUAL(404, open_in(pool, "a.txt", &f));
}

TEST(file_cache, two_roots_never_share_an_entry)
{
    // Virtual hosts and Alias targets: the same path below two roots.
    std::string other = root + "/dir";
    write_file(other + "/a.txt", "other root");
    int other_fd = open(other.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    apr_pool_t* r1;
    apr_pool_create(&r1, worker);
    x0::opened_file f1, f2;
    LONGS_EQUAL(0, open_in(r1, "a.txt", &f1));
    LONGS_EQUAL(0, x0::file_cache_open(r1, other_fd, other.c_str(), "a.txt", false, &f2));
    CHECK(f1.fd != f2.fd);
    LONGS_EQUAL(4, f1.st.st_size);
    LONGS_EQUAL(10, f2.st.st_size);
    apr_pool_destroy(r1);
    close(other_fd);
}

TEST(file_cache, a_change_shows_from_the_next_loop_turn)
{
    // Within one turn a hit makes no system call, so it cannot see a change.
    // (Two opens that straddle a second boundary miss by design, as in
    // second_open_shares_the_descriptor; two tries cannot both straddle one.)
    apr_pool_t* r1;
    x0::opened_file f1, f2, f3;
    for (int attempt = 0;; ++attempt) {
        write_file(root + "/a.txt", "aaaa");
        next_loop_turn();
        apr_pool_create(&r1, worker);
        time_t before = time(nullptr);
        LONGS_EQUAL(0, open_in(r1, "a.txt", &f1));
        write_file(root + "/a.txt", "version two");
        LONGS_EQUAL(0, open_in(r1, "a.txt", &f2));
        if (time(nullptr) == before || attempt == 1)
            break;
        apr_pool_destroy(r1);
    }
    LONGS_EQUAL(f1.fd, f2.fd);
    LONGS_EQUAL(4, f2.st.st_size);
    apr_pool_destroy(r1);
    next_loop_turn();
    LONGS_EQUAL(0, open_in(pool, "a.txt", &f3));
    LONGS_EQUAL(11, f3.st.st_size);
}

TEST(file_cache, a_small_file_is_served_from_its_bytes)
{
    wait_until_settled(root + "/a.txt");
    apr_pool_t* r1;
    apr_pool_create(&r1, worker);
    x0::opened_file f1, f2;
    LONGS_EQUAL(0, open_in(r1, "a.txt", &f1));
    CHECK(f1.bytes != nullptr);
    STRNCMP_EQUAL("aaaa", f1.bytes, 4);
    LONGS_EQUAL(0, open_in(r1, "a.txt", &f2));
    POINTERS_EQUAL(f1.bytes, f2.bytes);
    apr_pool_destroy(r1);
}

TEST(file_cache, large_and_empty_files_have_no_bytes)
{
    write_file(root + "/large.bin", std::string(x0::file_cache_bytes_max + 1, 'x'));
    write_file(root + "/empty.txt", "");
    x0::opened_file large, empty;
    LONGS_EQUAL(0, open_in(pool, "large.bin", &large));
    POINTERS_EQUAL(nullptr, large.bytes);
    LONGS_EQUAL(0, open_in(pool, "empty.txt", &empty));
    POINTERS_EQUAL(nullptr, empty.bytes);
}

TEST(file_cache, a_file_changed_within_the_second_is_read_from_its_descriptor)
{
    // Its bytes could still change without a visible change of its stat.
    x0::opened_file f;
    LONGS_EQUAL(0, open_in(pool, "a.txt", &f));
    POINTERS_EQUAL(nullptr, f.bytes);
}
