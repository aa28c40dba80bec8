/*
 * The access-log writer: a turn's lines leave together at its end, whole
 * lines, at most PIPE_BUF per write to a pipe, a full pipe never blocks,
 * the bound and the drop count.
 */
#include <CppUTest/TestHarness.h>

#include <apr_pools.h>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <string>
#include <unistd.h>

#include "mod_log_config/log_writer.h"
#include "x0/module.h"

using x0log::log_target;

// log_writer.cc logs as mod_log_config; its module struct is not linked here.
X0_MODULE(log_config) = {X0_MODULE_HEADER, "log_config", nullptr, nullptr,
                         nullptr, nullptr, nullptr, nullptr};

TEST_GROUP(log_writer)
{
    apr_pool_t* pool = nullptr;
    apr_pool_t* child = nullptr;
    int fds[2] = {-1, -1};
    log_target t{};

    void setup() override
    {
        apr_pool_create(&pool, nullptr);
        apr_pool_create(&child, pool);
        LONGS_EQUAL(0, pipe2(fds, O_NONBLOCK | O_CLOEXEC));
        t.name = "test";
        t.pipe = true;
        t.fd = fds[1];
    }
    void teardown() override
    {
        apr_pool_destroy(pool);
        for (int fd : fds)
            if (fd >= 0)
                close(fd);
    }

    std::string read_all()
    {
        std::string got;
        char buf[65536];
        ssize_t n;
        while ((n = read(fds[0], buf, sizeof buf)) > 0)
            got.append(buf, static_cast<size_t>(n));
        return got;
    }

    /** One line in a turn of its own. */
    void write_turn(const std::string& l)
    {
        x0log::target_write_line(&t, l.data(), l.size(), apr_time_now());
        x0log::target_turn_end(&t);
    }

    std::string line(int i, size_t width)
    {
        std::string s = std::to_string(i) + ":";
        s.resize(width - 1, 'x');
        return s + "\n";
    }
};

TEST(log_writer, a_turns_lines_are_written_at_its_end)
{
    x0log::target_child_init(child, &t, false);
    x0log::target_write_line(&t, "one\n", 4, apr_time_now());
    x0log::target_write_line(&t, "two\n", 4, apr_time_now());
    STRCMP_EQUAL("", read_all().c_str());
    x0log::target_turn_end(&t);
    STRCMP_EQUAL("one\ntwo\n", read_all().c_str());
    LONGS_EQUAL(0, t.len);
}

TEST(log_writer, a_full_batch_does_not_wait_for_the_turns_end)
{
    x0log::target_child_init(child, &t, false);
    std::string want;
    while (want.size() < x0log::pipe_atomic) {
        std::string l = line(static_cast<int>(want.size()), 100);
        x0log::target_write_line(&t, l.data(), l.size(), apr_time_now());
        want += l;
    }
    CHECK(read_all() == want);
}

TEST(log_writer, full_pipe_holds_lines_then_drops_past_the_bound)
{
    x0log::target_child_init(child, &t, false);
    std::string want;
    std::string held;
    int i = 0;
    // Fill the pipe: the writer must never block.
    while (t.len == 0) {
        std::string l = line(i++, 100);
        write_turn(l);
        (t.len == 0 ? want : held) += l;
        CHECK(i < 100000);
    }
    // Held from here on, in order, up to the bound.
    while (t.dropped == 0) {
        std::string l = line(i++, 100);
        write_turn(l);
        if (t.dropped == 0)
            held += l;
    }
    CHECK(t.len <= x0log::buffer_bound);
    CHECK(t.len + 100 > x0log::buffer_bound);
    // The reader catches up; the next turn writes what waited, then its line.
    std::string got = read_all();
    std::string last = line(i++, 100);
    write_turn(last);
    for (int k = 0; k < 100 && t.len > 0; ++k) {
        got += read_all();
        x0log::target_flush(&t, false);
    }
    got += read_all();
    LONGS_EQUAL(0, t.dropped);  // reported (to the error log) and reset
    CHECK(got == want + held + last);
}

TEST(log_writer, pipe_writes_are_whole_lines_of_at_most_pipe_buf)
{
    x0log::target_child_init(child, &t, true);  // BufferedLogs On
    std::string want;
    for (int i = 0; i < 200; ++i) {
        std::string l = line(i, 300);
        want += l;
        x0log::target_write_line(&t, l.data(), l.size(), apr_time_now());
    }
    // The pipe holds what the kernel lets it (often less than 60000 bytes).
    std::string got = read_all();
    for (int k = 0; k < 100 && t.len > 0; ++k) {
        x0log::target_flush(&t, false);
        got += read_all();
    }
    LONGS_EQUAL(0, t.dropped);
    CHECK(got == want);
}

TEST(log_writer, batched_lines_wait_until_worth_a_write)
{
    x0log::target_child_init(child, &t, true);
    apr_time_t now = apr_time_now();
    x0log::target_write_line(&t, "a\n", 2, now);
    STRCMP_EQUAL("", read_all().c_str());
    x0log::target_turn_end(&t);
    STRCMP_EQUAL("", read_all().c_str());  // kept across turns
    x0log::target_write_line(&t, "b\n", 2, now + x0log::batch_age);  // the first is old
    STRCMP_EQUAL("a\nb\n", read_all().c_str());
}

TEST(log_writer, lines_left_at_exit_are_written)
{
    x0log::target_child_init(child, &t, true);
    x0log::target_write_line(&t, "last\n", 5, apr_time_now());
    apr_pool_destroy(child);
    child = nullptr;
    STRCMP_EQUAL("last\n", read_all().c_str());
}

TEST(log_writer, broken_pipe_drops_and_counts)
{
    // x0d ignores SIGPIPE (main.cc), so do we.
    struct sigaction ignore{}, old{};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &old);
    x0log::target_child_init(child, &t, false);
    close(fds[0]);
    fds[0] = -1;
    write_turn("lost\n");
    LONGS_EQUAL(1, t.dropped);
    LONGS_EQUAL(EPIPE, t.drop_errno);
    apr_pool_destroy(child);  // reports the loss to the error log (stderr here)
    child = nullptr;
    sigaction(SIGPIPE, &old, nullptr);
}

TEST(log_writer, file_target_appends)
{
    char name[] = "/tmp/x0_log_writer_test_XXXXXX";
    int fd = mkstemp(name);
    CHECK(fd >= 0);
    close(fd);
    log_target f{};
    f.name = name;
    f.fd = -1;
    CHECK(x0log::target_open_file(pool, &f) == nullptr);
    x0log::target_child_init(child, &f, false);
    x0log::target_write_line(&f, "x\n", 2, apr_time_now());
    x0log::target_write_line(&f, "y\n", 2, apr_time_now());
    apr_pool_destroy(child);  // f lives on this stack
    child = nullptr;
    close(f.fd);
    f.fd = -1;
    FILE* in = fopen(name, "r");
    char buf[16] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, in);
    fclose(in);
    unlink(name);
    STRCMP_EQUAL("x\ny\n", std::string(buf, n).c_str());
}
