/*
 * CORE_OUT over a real socket: a socketpair whose writer is non-blocking and
 * whose buffers are as small as the kernel allows, so partial writes, partial
 * sendfiles and EAGAIN happen on every large test. Nothing here depends on the
 * exact buffer size: each test reads what arrived and compares bytes.
 *
 * SOCK_SEQPACKET pairs are used where a test claims "one write": each
 * sendmsg is then one record, and one recv returns exactly one record.
 * A loopback TCP pair is used where a test counts TCP segments.
 */
#include <CppUTest/TestHarness.h>

#include <sys/stat.h>

#include <apr_portable.h>
#include <apr_strings.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <linux/tcp.h>  // struct tcp_info with tcpi_data_segs_out
#include <netinet/in.h>
#include <poll.h>
#include <random>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "brigade_util.h"
#include "core_output.h"
#include "hooks.h"
#include "x0/http.h"
#include "x0/module.h"

namespace {

const x0_filter_rec_t core_out_rec = {"CORE_OUT", x0::core_output_filter, nullptr,
                                      X0_FTYPE_NETWORK};

void count_blocked(void* owner)
{
    ++*static_cast<int*>(owner);
}

std::string random_bytes(size_t n, unsigned seed)
{
    std::mt19937 gen(seed);
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>(gen() & 0xff);
    return s;
}

apr_status_t close_fd(void* data)
{
    close(static_cast<int>(reinterpret_cast<intptr_t>(data)));
    return APR_SUCCESS;
}

/** What happened to one request the test made. */
struct probe {
    bool destroyed;             // its pool's cleanup ran
    bool logged;                // a log_transaction hook saw it
    bool logged_after_destroy;  // ... with its pool already gone
    apr_off_t bytes_sent;       // r->bytes_sent as log_transaction saw it
};

apr_status_t mark_destroyed(void* data)
{
    static_cast<probe*>(data)->destroyed = true;
    return APR_SUCCESS;
}

int log_probe(x0_request_t* r)
{
    auto* p = static_cast<probe*>(r->handler_ctx);
    p->logged_after_destroy = p->logged_after_destroy || p->destroyed;
    p->logged = true;
    p->bytes_sent = r->bytes_sent;
    return X0_OK;
}

/** The forked-child tests' request: compared by address, never dereferenced. */
x0_request_t* watched_request;
probe* watched_probe;

int log_watched(x0_request_t* r)
{
    if (r == watched_request && watched_probe->destroyed)
        _exit(3);  // the request was logged after its pool was destroyed
    return X0_OK;
}

/**
 * Run @a fn in a child; returns its wait status. The parent waits for the
 * child's exit itself (EOF on a pipe only the child holds), so a passing run
 * takes as long as the work. The work takes milliseconds, so a child still
 * running after child_limit_seconds spins: it is killed (the status then
 * says SIGKILL). That bound is thousands of times the work, not a timing
 * requirement: a slow run (valgrind, a loaded machine) does not fail.
 */
constexpr int child_limit_seconds = 60;

template <typename Fn>
int in_child(Fn fn)
{
    int done[2];
    LONGS_EQUAL(0, pipe(done));
    pid_t pid = fork();
    if (pid == 0) {
        close(done[0]);
        _exit(fn());  // done[1] closes as the child exits
    }
    close(done[1]);
    // EOF on the pipe is the child's exit (or a crash); nothing else writes.
    pollfd p{done[0], POLLIN, 0};
    int ready;
    do
        ready = poll(&p, 1, child_limit_seconds * 1000);
    while (ready < 0 && errno == EINTR);
    close(done[0]);
    if (ready == 0)
        kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

} // namespace

TEST_GROUP(core_output)
{
    apr_pool_t* pool;
    apr_bucket_alloc_t* ba;
    x0_conn_t conn;
    x0::output_state out;
    x0_filter_t f;
    apr_bucket_brigade* bb;
    int fds[2];
    int blocked_calls;
    size_t received;  // bytes the reader got in this test

    void setup() override
    {
        apr_pool_create(&pool, nullptr);
        ba = apr_bucket_alloc_create(pool);
        conn = x0_conn_t{};
        conn.pool = pool;
        conn.bucket_alloc = ba;
        conn.keepalive = 1;
        bb = apr_brigade_create(pool, ba);
        fds[0] = fds[1] = -1;
        blocked_calls = 0;
        received = 0;
        open_pair(SOCK_STREAM, 4096);
        f = x0_filter_t{&core_out_rec, &out, nullptr, nullptr, &conn};
    }

    void teardown() override
    {
        // Drop what is still pending before the pool goes (see the
        // destroying_the_connection_pool test for why this matters).
        apr_brigade_cleanup(out.pending);
        apr_pool_destroy(pool);
        close_pair();
        x0::reset_hooks();
    }

    void close_pair()
    {
        for (int& fd : fds)
            if (fd >= 0) {
                close(fd);
                fd = -1;
            }
    }

    /** A fresh socket pair: fds[0] writes (non-blocking), fds[1] reads. */
    void open_pair(int type, int bufsize)
    {
        close_pair();
        LONGS_EQUAL(0, socketpair(AF_UNIX, type, 0, fds));
        LONGS_EQUAL(0, setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize)));
        LONGS_EQUAL(0, setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize)));
        LONGS_EQUAL(0, fcntl(fds[0], F_SETFL, O_NONBLOCK));
        LONGS_EQUAL(0, fcntl(fds[1], F_SETFL, O_NONBLOCK));
        x0::output_init(&out, fds[0], count_blocked, &blocked_calls, pool, ba);
    }

    /**
     * A connected loopback TCP pair in place of the socket pair, the writer
     * with TCP_NODELAY as x0d's accepted sockets have it (listeners.cc).
     */
    void open_tcp_pair()
    {
        close_pair();
        int lfd = socket(AF_INET, SOCK_STREAM, 0);
        CHECK(lfd >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t alen = sizeof a;
        LONGS_EQUAL(0, bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a));
        LONGS_EQUAL(0, listen(lfd, 1));
        LONGS_EQUAL(0, getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &alen));
        fds[1] = socket(AF_INET, SOCK_STREAM, 0);
        LONGS_EQUAL(0, connect(fds[1], reinterpret_cast<sockaddr*>(&a), sizeof a));
        fds[0] = accept(lfd, nullptr, nullptr);
        close(lfd);
        CHECK(fds[0] >= 0);
        int one = 1;
        LONGS_EQUAL(0, setsockopt(fds[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
        LONGS_EQUAL(0, fcntl(fds[0], F_SETFL, O_NONBLOCK));
        LONGS_EQUAL(0, fcntl(fds[1], F_SETFL, O_NONBLOCK));
        x0::output_init(&out, fds[0], count_blocked, &blocked_calls, pool, ba);
    }

    /** The writer's TCP_INFO. */
    tcp_info writer_tcp_info()
    {
        tcp_info ti{};
        socklen_t len = sizeof ti;
        LONGS_EQUAL(0, getsockopt(fds[0], IPPROTO_TCP, TCP_INFO, &ti, &len));
        return ti;
    }

    /**
     * A head and a file of @a size bytes, with a FILE_CHECK between them if
     * @a guarded (as BYTERANGE leaves a range shorter than X0_FILE_CHECK_TAIL),
     * over loopback TCP: how many data segments carried them.
     */
    unsigned head_and_file_segments(bool guarded, size_t size, std::string* got,
                                     std::string* want)
    {
        open_tcp_pair();
        std::string head = "HTTP/1.1 206 Partial Content\r\nContent-Length: "
                           + std::to_string(size) + "\r\n\r\n";
        std::string content = random_bytes(size, 12);
        apr_file_t* file = temp_file(content);
        apr_os_file_t fd;
        apr_os_file_get(&fd, file);
        struct stat st;
        fstat(fd, &st);
        apr_time_t mtime = apr_time_from_sec(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec / 1000;
        apr_off_t before = writer_tcp_info().tcpi_data_segs_out;
        add_heap(head);
        if (guarded)
            APR_BRIGADE_INSERT_TAIL(bb, x0_bucket_file_check_create(fd, size, mtime, ba));
        apr_brigade_insert_file(bb, file, 0, size, pool);
        add_flush();
        LONGS_EQUAL(APR_SUCCESS, pass());
        *got = drain();
        for (int i = 0; i < 1000 && got->size() < head.size() + size; ++i) {
            poll(nullptr, 0, 1);
            *got += read_available();
        }
        *want = head + content;
        return writer_tcp_info().tcpi_data_segs_out - static_cast<unsigned>(before);
    }

    /** Everything the reader can get now; afterwards the socket holds nothing. */
    std::string read_available()
    {
        std::string got;
        char buf[65536];
        for (;;) {
            ssize_t n = recv(fds[1], buf, sizeof(buf), MSG_DONTWAIT);
            if (n <= 0)
                break;
            got.append(buf, static_cast<size_t>(n));
        }
        received += got.size();
        return got;
    }

    /** One record of a SOCK_SEQPACKET pair, or "" if none is waiting. */
    std::string read_record()
    {
        static char buf[256 * 1024];
        ssize_t n = recv(fds[1], buf, sizeof(buf), MSG_DONTWAIT);
        return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
    }

    /**
     * Alternate reading everything and output_write until nothing is pending,
     * calling @a check before each write (when written == received).
     */
    template <typename Check>
    std::string drain(Check check)
    {
        std::string got = read_available();
        for (int i = 0; i < 100000 && !x0::output_empty(&out); ++i) {
            check();
            LONGS_EQUAL(APR_SUCCESS, x0::output_write(&out));
            got += read_available();
        }
        CHECK(x0::output_empty(&out));
        return got;
    }

    std::string drain()
    {
        return drain([] {});
    }

    apr_status_t pass()
    {
        apr_status_t rv = x0::core_output_filter(&f, bb);
        CHECK(APR_BRIGADE_EMPTY(bb));
        return rv;
    }

    void add_heap(const std::string& data)
    {
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_heap_create(data.data(), data.size(), nullptr, ba));
    }

    void add_flush() { APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(ba)); }

    /** An unlinked temp file holding @a content, closed with the pool. */
    apr_file_t* temp_file(const std::string& content, apr_off_t size = -1)
    {
        char name[] = "/tmp/x0_core_output_test_XXXXXX";
        int fd = mkstemp(name);
        CHECK(fd >= 0);
        unlink(name);
        apr_pool_cleanup_register(pool, reinterpret_cast<void*>(static_cast<intptr_t>(fd)),
                                  close_fd, apr_pool_cleanup_null);
        LONGS_EQUAL(static_cast<long>(content.size()),
                    static_cast<long>(pwrite(fd, content.data(), content.size(), 0)));
        if (size >= 0)
            LONGS_EQUAL(0, ftruncate(fd, size));
        apr_file_t* file = nullptr;
        apr_os_file_t os_fd = fd;
        apr_os_file_put(&file, &os_fd, APR_FOPEN_READ, pool);
        return file;
    }

    /**
     * A probe in the connection pool: it outlives the request pools (their
     * cleanups write to it), even when a failed check ends the test early.
     */
    probe* new_probe() { return static_cast<probe*>(apr_pcalloc(pool, sizeof(probe))); }

    /** A request with its own subpool of the connection pool, as request_create makes. */
    x0_request_t* make_request(probe* p)
    {
        apr_pool_t* rp;
        apr_pool_create(&rp, pool);
        auto* r = static_cast<x0_request_t*>(apr_pcalloc(rp, sizeof(x0_request_t)));
        r->pool = rp;
        r->connection = &conn;
        r->handler_ctx = p;
        apr_pool_cleanup_register(rp, p, mark_destroyed, apr_pool_cleanup_null);
        return r;
    }

    /** A file of 100 bytes with a FILE_CHECK before its last byte, changed if @a touch. */
    std::string send_guarded(bool touch, apr_status_t* rv)
    {
        apr_file_t* file = temp_file(std::string(100, 'g'));
        apr_os_file_t fd;
        apr_os_file_get(&fd, file);
        struct stat st;
        fstat(fd, &st);
        apr_time_t mtime = apr_time_from_sec(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec / 1000;
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_file_create(file, 0, 99, pool, ba));
        APR_BRIGADE_INSERT_TAIL(bb, x0_bucket_file_check_create(fd, 100, mtime, ba));
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_file_create(file, 99, 1, pool, ba));
        add_flush();
        if (touch) {
            struct timespec times[2] = {{0, UTIME_OMIT}, {12345, 0}};
            futimens(fd, times);
        }
        *rv = pass();
        return read_available();
    }

    void add_eor(x0_request_t* r) { APR_BRIGADE_INSERT_TAIL(bb, x0_bucket_eor_create(ba, r)); }

    /** Write until the socket is full, so that the output is blocked. */
    void block_with(const std::string& data)
    {
        add_heap(data);
        add_flush();
        apr_status_t rv = pass();
        CHECK(rv == APR_SUCCESS || rv == X0_FLOW_STOP);
        CHECK(out.blocked);
    }
};

/* ---- memory buckets ---- */

TEST(core_output, memory_buckets_leave_in_one_write)
{
    open_pair(SOCK_SEQPACKET, 64 * 1024);
    char stack_buf[] = "transient-from-the-stack;";
    add_heap("HTTP/1.1 200 OK\r\n");
    add_heap("Content-Length: 40\r\n\r\n");
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_transient_create(stack_buf, strlen(stack_buf), ba));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_immortal_create("immortal;", 9, ba));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_pool_create(apr_pstrdup(pool, "pool;"), 5, pool, ba));
    add_heap("");  // empty buckets are dropped
    add_flush();
    LONGS_EQUAL(APR_SUCCESS, pass());
    CHECK(x0::output_empty(&out));
    CHECK_FALSE(out.blocked);
    LONGS_EQUAL(0, out.pending_memory);
    LONGS_EQUAL(0, blocked_calls);
    STRCMP_EQUAL("HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n"
                 "transient-from-the-stack;immortal;pool;",
                 read_record().c_str());
    STRCMP_EQUAL("", read_record().c_str());  // it was one sendmsg
}

TEST(core_output, many_small_buckets_arrive_in_order)
{
    // More buckets than one writev takes (64 iovecs).
    open_pair(SOCK_STREAM, 64 * 1024);
    std::string want;
    for (int i = 0; i < 200; ++i) {
        std::string piece = std::to_string(i) + ",";
        add_heap(piece);
        want += piece;
    }
    add_flush();
    LONGS_EQUAL(APR_SUCCESS, pass());
    CHECK(drain() == want);
    LONGS_EQUAL(0, out.pending_memory);
}

TEST(core_output, transient_bucket_is_set_aside)
{
    char buf[] = "the original bytes";
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_transient_create(buf, sizeof(buf) - 1, ba));
    LONGS_EQUAL(APR_SUCCESS, pass());  // no FLUSH: stays pending
    memset(buf, 'X', sizeof(buf) - 1);  // the producer reuses its buffer at once
    STRCMP_EQUAL("HEAP", x0test::bucket_types(out.pending).c_str());
    LONGS_EQUAL(sizeof(buf) - 1, out.pending_memory);
    LONGS_EQUAL(APR_SUCCESS, x0::output_write(&out));
    STRCMP_EQUAL("the original bytes", read_available().c_str());
}

TEST(core_output, flush_writes_at_once)
{
    add_heap("first;");
    add_flush();
    add_heap("second;");  // after the FLUSH, in the same pass: written too
    LONGS_EQUAL(APR_SUCCESS, pass());
    STRCMP_EQUAL("first;second;", read_available().c_str());
    CHECK(x0::output_empty(&out));
}

TEST(core_output, nothing_written_below_thresholds_until_output_write)
{
    add_heap("abc");
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba));  // EOS is not a FLUSH
    LONGS_EQUAL(APR_SUCCESS, pass());
    add_heap("def");
    LONGS_EQUAL(APR_SUCCESS, pass());
    STRCMP_EQUAL("", read_available().c_str());
    LONGS_EQUAL(6, out.pending_memory);
    STRCMP_EQUAL("HEAP,HEAP", x0test::bucket_types(out.pending).c_str());  // EOS dropped
    LONGS_EQUAL(APR_SUCCESS, x0::output_write(&out));
    STRCMP_EQUAL("abcdef", read_available().c_str());
    CHECK(x0::output_empty(&out));
    LONGS_EQUAL(0, out.pending_memory);
}

TEST(core_output, flush_alone_writes_what_is_pending)
{
    add_heap("pending;");
    LONGS_EQUAL(APR_SUCCESS, pass());
    STRCMP_EQUAL("", read_available().c_str());
    add_flush();
    LONGS_EQUAL(APR_SUCCESS, pass());
    STRCMP_EQUAL("pending;", read_available().c_str());
}

TEST(core_output, enough_memory_is_written_without_flush)
{
    std::string data = random_bytes(x0::output_write_now, 1);
    add_heap(data.substr(0, x0::output_write_now - 1));
    LONGS_EQUAL(APR_SUCCESS, pass());
    STRCMP_EQUAL("", read_available().c_str());
    add_heap(data.substr(x0::output_write_now - 1));
    LONGS_EQUAL(APR_SUCCESS, pass());
    std::string got = read_available();
    CHECK(!got.empty());  // the 64 KiB-th byte made the pass write
    got += drain();
    CHECK(got == data);
}

/* ---- partial writes and flow control ---- */

TEST(core_output, large_payload_blocks_and_resumes)
{
    const size_t size = 1024 * 1024;
    std::string data = random_bytes(size, 2);
    add_heap(data);
    add_flush();
    LONGS_EQUAL(X0_FLOW_STOP, pass());
    CHECK(out.blocked);
    CHECK(out.flow_stopped);
    LONGS_EQUAL(1, blocked_calls);
    CHECK_FALSE(x0::output_may_resume(&out));
    std::string got = read_available();
    CHECK(received > 0);
    CHECK(received < size);  // partial
    LONGS_EQUAL(size - received, out.pending_memory);
    CHECK(got == data.substr(0, got.size()));

    bool resumed = false;
    int writes = 0;
    got += drain([&] {
        ++writes;
        LONGS_EQUAL(size - received, out.pending_memory);
        CHECK(x0::output_may_resume(&out) == (out.pending_memory < x0::output_low_water));
        resumed = resumed || x0::output_may_resume(&out);
        LONGS_EQUAL(writes, blocked_calls);  // each write before this one blocked
    });
    CHECK(writes > 2);
    CHECK(resumed);
    CHECK(got == data);
    LONGS_EQUAL(0, out.pending_memory);
    CHECK(x0::output_may_resume(&out));
}

TEST(core_output, flow_stop_past_high_water_while_blocked)
{
    std::string first = random_bytes(32 * 1024, 3);
    block_with(first);
    read_available();  // the socket is empty now, and the output still marked blocked
    size_t written = received;
    std::string all = first;
    bool stopped = false;
    int passes = 0;
    while (!stopped) {
        std::string piece = random_bytes(4096, 100 + passes);
        all += piece;
        add_heap(piece);
        if (passes % 3 == 0)
            add_flush();  // a FLUSH while blocked waits for writability too
        apr_status_t rv = pass();
        ++passes;
        stopped = out.pending_memory >= x0::output_high_water;
        LONGS_EQUAL(stopped ? X0_FLOW_STOP : APR_SUCCESS, rv);
        CHECK(passes < 200);
    }
    CHECK(passes > 50);  // 32 KiB + 4 KiB pieces: about 56 passes to 256 KiB
    CHECK(out.flow_stopped);
    STRCMP_EQUAL("", read_available().c_str());  // nothing written while blocked
    LONGS_EQUAL(all.size() - written, out.pending_memory);
    std::string got = all.substr(0, written) + drain([&] {
        CHECK(x0::output_may_resume(&out) == (out.pending_memory < x0::output_low_water));
    });
    CHECK(got == all);
    CHECK(x0::output_may_resume(&out));
}

/* ---- file buckets ---- */

TEST(core_output, large_file_goes_out_with_sendfile)
{
    const size_t size = 300 * 1024;
    std::string content = random_bytes(size, 4);
    apr_file_t* file = temp_file(content);
    apr_brigade_insert_file(bb, file, 0, size, pool);
    add_flush();
    LONGS_EQUAL(APR_SUCCESS, pass());  // file bytes are not memory: no flow stop
    CHECK(out.blocked);
    LONGS_EQUAL(1, blocked_calls);
    std::string got = read_available();
    CHECK(received > 0);
    CHECK(received < size);
    int checks = 0;
    got += drain([&] {
        ++checks;
        // Still the file bucket, moved on by what was sent: not read into memory.
        STRCMP_EQUAL("FILE", x0test::bucket_types(out.pending).c_str());
        LONGS_EQUAL(0, out.pending_memory);
        apr_bucket* b = APR_BRIGADE_FIRST(out.pending);
        LONGS_EQUAL(received, b->start);
        LONGS_EQUAL(size - received, b->length);
    });
    CHECK(checks > 2);
    CHECK(got == content);
}

TEST(core_output, memory_file_memory_in_order)
{
    const size_t size = 100 * 1024;
    std::string content = random_bytes(size, 5);
    apr_file_t* file = temp_file(content);
    std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 102400\r\n\r\n";
    std::string next = "HTTP/1.1 304 Not Modified\r\n\r\n";
    add_heap(head);
    apr_brigade_insert_file(bb, file, 0, size, pool);
    add_heap(next);
    add_flush();
    LONGS_EQUAL(APR_SUCCESS, pass());
    std::string got = drain([&] { CHECK(out.pending_memory <= next.size()); });
    CHECK(got == head + content + next);
}

TEST(core_output, small_file_between_heaps_leaves_in_one_write)
{
    open_pair(SOCK_SEQPACKET, 64 * 1024);
    std::string content = random_bytes(x0::small_file - 1, 6);
    apr_file_t* file = temp_file("skip" + content + "trailing");
    add_heap("HEAD;");
    apr_brigade_insert_file(bb, file, 4, content.size(), pool);
    add_heap(";TAIL");
    add_flush();
    LONGS_EQUAL(APR_SUCCESS, pass());
    CHECK(x0::output_empty(&out));
    LONGS_EQUAL(0, out.pending_memory);
    std::string record = read_record();
    CHECK(record == "HEAD;" + content + ";TAIL");
    STRCMP_EQUAL("", read_record().c_str());  // one sendmsg
}

/*
 * The head is corked (MSG_MORE) when a file follows, so that it leaves in
 * the file's first segment: also when a FILE_CHECK guard stands between
 * them, as it does behind the head of every Range response on a file larger
 * than X0_FILE_CHECK_TAIL. Without that the head left alone, one segment
 * more per response, which the client acknowledged on its own.
 */
TEST(core_output, head_and_file_leave_in_one_segment)
{
    std::string got, want;
    const size_t size = x0::small_file + 4096;  // sendfile, not read into memory
    unsigned segs = head_and_file_segments(false, size, &got, &want);
    CHECK(got == want);
    unsigned mss = writer_tcp_info().tcpi_snd_mss;
    LONGS_EQUAL((want.size() + mss - 1) / mss, segs);
}

TEST(core_output, head_and_guarded_file_leave_in_one_segment)
{
    std::string got, want;
    const size_t size = x0::small_file + 4096;
    unsigned segs = head_and_file_segments(true, size, &got, &want);
    CHECK(got == want);
    unsigned mss = writer_tcp_info().tcpi_snd_mss;
    LONGS_EQUAL((want.size() + mss - 1) / mss, segs);
}

/*
 * A connection's last bytes (an EOC is gathered with them) are held back
 * until the shutdown or close that follows, and leave in one segment with
 * its FIN: a Connection: close response is one segment for the client, not
 * a data segment and a FIN.
 */
TEST(core_output, last_bytes_of_a_connection_leave_with_its_fin)
{
    open_tcp_pair();
    std::string response = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + random_bytes(1024, 13);
    unsigned before = writer_tcp_info().tcpi_segs_out;
    add_heap(response);
    APR_BRIGADE_INSERT_TAIL(bb, x0_bucket_eoc_create(ba));
    add_flush();
    LONGS_EQUAL(APR_SUCCESS, pass());
    CHECK(x0::output_empty(&out));
    char byte;
    LONGS_EQUAL(-1, recv(fds[1], &byte, 1, MSG_DONTWAIT));  // held, not sent
    LONGS_EQUAL(0, shutdown(fds[0], SHUT_WR));
    LONGS_EQUAL(1, writer_tcp_info().tcpi_segs_out - before);
    std::string got;
    char buf[4096];
    ssize_t n;
    pollfd p{fds[1], POLLIN, 0};
    while (poll(&p, 1, 5000) == 1 && (n = recv(fds[1], buf, sizeof buf, 0)) > 0)
        got.append(buf, static_cast<size_t>(n));
    CHECK(got == response);
    LONGS_EQUAL(0, recv(fds[1], buf, sizeof buf, 0));  // and then the end
}

TEST(core_output, file_at_small_file_size_is_sent_whole)
{
    std::string content = random_bytes(x0::small_file, 7);
    apr_file_t* file = temp_file(content);
    add_heap("<");
    apr_brigade_insert_file(bb, file, 0, content.size(), pool);
    add_heap(">");
    add_flush();
    LONGS_EQUAL(APR_SUCCESS, pass());
    CHECK(drain() == "<" + content + ">");
}

TEST(core_output, file_offsets_beyond_4_gib)
{
    const apr_off_t four_gib = apr_off_t(1) << 32;
    const apr_off_t marks[] = {10, 30000, 100000, 200000};  // past 2^32
    std::string marker = "MARKER-PAST-4-GIB";
    apr_file_t* file = temp_file("", apr_off_t(5) << 30);  // sparse
    apr_os_file_t fd;
    apr_os_file_get(&fd, file);
    for (apr_off_t at : marks)
        LONGS_EQUAL(marker.size(), pwrite(fd, marker.data(), marker.size(), four_gib + at));

    // 64 bytes: a small file, read with pread at a 64-bit offset.
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_file_create(file, four_gib, 64, pool, ba));
    // 256 KiB from 16 KiB below 2^32: the first sendfile (at most 64 KiB into
    // a unix socket) stays below the line, the later ones resume past it.
    const apr_size_t large = 256 * 1024;
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_file_create(file, four_gib - 16384, large, pool, ba));
    add_flush();
    LONGS_EQUAL(APR_SUCCESS, pass());
    int writes = 0;
    std::string got = drain([&] { ++writes; });
    CHECK(writes > 2);

    std::string want_small = std::string(10, '\0') + marker;
    want_small.resize(64, '\0');
    std::string want_large(large, '\0');
    for (apr_off_t at : marks)
        want_large.replace(16384 + at, marker.size(), marker);
    LONGS_EQUAL(64 + large, got.size());
    CHECK(got.substr(0, 64) == want_small);
    CHECK(got.substr(64) == want_large);
}

TEST(core_output, file_that_shrank_is_an_error_not_a_short_body)
{
    apr_file_t* small = temp_file(std::string(100, 's'));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_file_create(small, 0, 200, pool, ba));
    add_flush();
    LONGS_EQUAL(APR_EOF, pass());
    CHECK(x0::output_empty(&out));
    LONGS_EQUAL(APR_EOF, out.error);
}

TEST(core_output, large_file_that_shrank_ends_in_an_error)
{
    apr_file_t* file = temp_file(std::string(40000, 'l'));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_file_create(file, 0, 80000, pool, ba));
    add_flush();
    apr_status_t rv = pass();
    for (int i = 0; i < 1000 && rv == APR_SUCCESS; ++i) {
        read_available();
        rv = x0::output_write(&out);
    }
    LONGS_EQUAL(APR_EOF, rv);
    CHECK(x0::output_empty(&out));
    CHECK(received <= 40000);
}

TEST(core_output, file_check_lets_an_unchanged_file_through)
{
    apr_status_t rv;
    std::string got = send_guarded(false, &rv);
    LONGS_EQUAL(APR_SUCCESS, rv);
    CHECK(got == std::string(100, 'g'));
}

TEST(core_output, file_check_stops_a_changed_file_before_its_last_byte)
{
    apr_status_t rv;
    std::string got = send_guarded(true, &rv);
    LONGS_EQUAL(APR_EMISMATCH, rv);
    CHECK(got == std::string(99, 'g'));
    CHECK(x0::output_empty(&out));
}

/* ---- end-of-request buckets ---- */

TEST(core_output, eor_destroys_the_request_after_its_last_byte)
{
    x0::reset_hooks();
    x0_hook_log_transaction(log_probe, nullptr, nullptr, X0_HOOK_MIDDLE);
    probe* p = new_probe();
    x0_request_t* r = make_request(p);
    std::string data = random_bytes(200 * 1024, 8);
    add_heap(data);
    add_eor(r);
    add_flush();
    LONGS_EQUAL(APR_SUCCESS, pass());
    CHECK(out.blocked);
    LONGS_EQUAL(1, out.pending_requests);
    std::string got = drain([&] {
        CHECK(received < data.size());
        CHECK_FALSE(p->destroyed);
        CHECK_FALSE(p->logged);
        LONGS_EQUAL(1, out.pending_requests);
    });
    CHECK(got == data);
    CHECK(p->logged);
    CHECK(p->destroyed);
    CHECK_FALSE(p->logged_after_destroy);
    LONGS_EQUAL(0, out.pending_requests);
}

TEST(core_output, pipelined_requests_end_in_order)
{
    probe* p1 = new_probe();
    probe* p2 = new_probe();
    x0_request_t* r1 = make_request(p1);
    x0_request_t* r2 = make_request(p2);
    std::string a = random_bytes(100 * 1024, 9);
    std::string b = random_bytes(100 * 1024, 10);
    add_heap(a);
    add_eor(r1);
    add_heap(b);
    add_eor(r2);
    add_flush();
    LONGS_EQUAL(APR_SUCCESS, pass());
    LONGS_EQUAL(2, out.pending_requests);
    bool saw_between = false;
    std::string got = drain([&] {
        // Everything written has been read: a request ends exactly when its
        // last byte is written.
        CHECK(p1->destroyed == (received >= a.size()));
        CHECK(p2->destroyed == (received >= a.size() + b.size()));
        LONGS_EQUAL(2 - int(p1->destroyed) - int(p2->destroyed), out.pending_requests);
        saw_between = saw_between || (p1->destroyed && !p2->destroyed);
    });
    CHECK(saw_between);
    CHECK(got == a + b);
    CHECK(p1->destroyed);
    CHECK(p2->destroyed);
}

TEST(core_output, many_finished_requests_are_written_without_flush)
{
    probe* probes[x0::pending_requests_write_now];
    std::string want;
    for (int i = 0; i < x0::pending_requests_write_now; ++i) {
        std::string response = "response " + std::to_string(i) + ";";
        want += response;
        add_heap(response);
        add_eor(make_request(probes[i] = new_probe()));
        LONGS_EQUAL(APR_SUCCESS, pass());
        if (i < x0::pending_requests_write_now - 1)
            STRCMP_EQUAL("", read_available().c_str());
    }
    CHECK(read_available() == want);
    CHECK(x0::output_empty(&out));
    LONGS_EQUAL(0, out.pending_requests);
    for (const probe* p : probes)
        CHECK(p->destroyed);
}

TEST(core_output, flow_stop_past_too_many_pending_requests)
{
    block_with(random_bytes(32 * 1024, 11));
    probe* probes[x0::pending_requests_high];
    for (int i = 0; i < x0::pending_requests_high; ++i) {
        add_eor(make_request(probes[i] = new_probe()));
        LONGS_EQUAL(i + 1 < x0::pending_requests_high ? APR_SUCCESS : X0_FLOW_STOP, pass());
    }
    CHECK(out.pending_memory < x0::output_low_water);
    CHECK_FALSE(x0::output_may_resume(&out));  // requests, not memory, hold it
    drain();
    LONGS_EQUAL(0, out.pending_requests);
    CHECK(x0::output_may_resume(&out));
    for (const probe* p : probes)
        CHECK(p->destroyed);
}

/* ---- errors ---- */

TEST(core_output, closed_reader_is_an_error_and_drops_pending)
{
    probe* p = new_probe();
    x0_request_t* r = make_request(p);
    close(fds[1]);
    fds[1] = -1;
    add_heap("nobody reads this");
    add_eor(r);
    add_flush();
    apr_status_t rv = pass();
    CHECK(APR_STATUS_IS_EPIPE(rv));
    CHECK(x0::output_empty(&out));
    LONGS_EQUAL(0, out.pending_memory);
    LONGS_EQUAL(0, out.pending_requests);
    CHECK(p->destroyed);  // the request went with the dropped output
    LONGS_EQUAL(rv, out.error);

    // Later passes answer the same error and take their buckets.
    probe* p2 = new_probe();
    add_heap("more");
    add_eor(make_request(p2));
    add_flush();
    LONGS_EQUAL(rv, pass());
    CHECK(x0::output_empty(&out));
    CHECK(p2->destroyed);
    LONGS_EQUAL(rv, x0::output_write(&out));
}

TEST(core_output, reader_closed_while_blocked)
{
    block_with(random_bytes(512 * 1024, 12));
    CHECK(out.pending_memory > 0);
    close(fds[1]);
    fds[1] = -1;
    apr_status_t rv = x0::output_write(&out);
    CHECK(APR_STATUS_IS_EPIPE(rv) || APR_STATUS_IS_ECONNRESET(rv));
    CHECK(x0::output_empty(&out));
    LONGS_EQUAL(0, out.pending_memory);
    add_heap("x");
    LONGS_EQUAL(rv, pass());
}

TEST(core_output, closed_reader_with_a_file_bucket)
{
    // sendfile has no MSG_NOSIGNAL: x0d ignores SIGPIPE (main.cc), so do we.
    struct sigaction ignore{}, old{};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ignore, &old);
    apr_file_t* file = temp_file(random_bytes(64 * 1024, 13));
    close(fds[1]);
    fds[1] = -1;
    apr_brigade_insert_file(bb, file, 0, 64 * 1024, pool);
    add_flush();
    apr_status_t rv = pass();
    sigaction(SIGPIPE, &old, nullptr);
    CHECK(APR_STATUS_IS_EPIPE(rv));
    CHECK(x0::output_empty(&out));
}

/* ---- bytes sent, per request (the access log's %O) ---- */

TEST(core_output, bytes_sent_counts_each_pipelined_response)
{
    x0::reset_hooks();
    x0_hook_log_transaction(log_probe, nullptr, nullptr, X0_HOOK_MIDDLE);
    probe* p1 = new_probe();
    probe* p2 = new_probe();
    probe* p3 = new_probe();
    std::string a = random_bytes(100 * 1024, 20);
    apr_file_t* file = temp_file(random_bytes(300 * 1024, 21));
    add_heap(a);
    add_eor(make_request(p1));
    add_heap("head;");
    apr_brigade_insert_file(bb, file, 0, 300 * 1024, pool);
    add_eor(make_request(p2));
    add_eor(make_request(p3));  // a response of no bytes
    add_flush();
    CHECK(pass() == APR_SUCCESS || out.flow_stopped);
    std::string got = drain();
    LONGS_EQUAL(a.size() + 5 + 300 * 1024, got.size());
    CHECK(p1->logged && p2->logged && p3->logged);
    LONGS_EQUAL(a.size(), p1->bytes_sent);
    LONGS_EQUAL(5 + 300 * 1024, p2->bytes_sent);
    LONGS_EQUAL(0, p3->bytes_sent);
}

TEST(core_output, bytes_sent_of_a_response_cut_off_is_what_left)
{
    x0::reset_hooks();
    x0_hook_log_transaction(log_probe, nullptr, nullptr, X0_HOOK_MIDDLE);
    probe* p1 = new_probe();
    probe* p2 = new_probe();
    add_heap(random_bytes(512 * 1024, 22));
    add_eor(make_request(p1));
    add_heap("never sent");
    add_eor(make_request(p2));
    add_flush();
    apr_status_t rv = pass();
    CHECK(rv == APR_SUCCESS || rv == X0_FLOW_STOP);
    CHECK(out.blocked);
    std::string got = read_available();
    LONGS_EQUAL(APR_SUCCESS, x0::output_write(&out));
    got += read_available();
    CHECK(got.size() > 0 && got.size() < 512 * 1024);
    close(fds[1]);
    fds[1] = -1;
    rv = x0::output_write(&out);
    CHECK(APR_STATUS_IS_EPIPE(rv) || APR_STATUS_IS_ECONNRESET(rv));
    CHECK(p1->logged && p2->logged);
    // What the socket took: the reader got it all, the send buffer may
    // have held more that the kernel dropped with the socket.
    CHECK(p1->bytes_sent >= static_cast<apr_off_t>(got.size()));
    CHECK(p1->bytes_sent < 512 * 1024);
    LONGS_EQUAL(0, p2->bytes_sent);
}

/* ---- found by these tests ---- */

TEST(core_output, empty_file_bucket_does_not_spin)
{
    // A zero-length file bucket (apr_brigade_insert_file of an empty file)
    // must not make output_write loop forever.
    apr_file_t* empty = temp_file("");
    add_heap("before;");
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_file_create(empty, 0, 0, pool, ba));
    add_flush();
    int status = in_child([&] {
        apr_status_t rv = x0::core_output_filter(&f, bb);
        return rv == APR_SUCCESS && x0::output_empty(&out) ? 0 : 1;
    });
    CHECK_TEXT(!WIFSIGNALED(status), "output_write spun on an empty file bucket");
    LONGS_EQUAL(0, WEXITSTATUS(status));
    apr_brigade_cleanup(bb);
}

TEST(core_output, destroying_the_connection_pool_with_pending_requests)
{
    // A connection closed while its output is blocked (send timeout, worker
    // stop) destroys its pool with EOR buckets still pending. APR destroys
    // subpools -- the request pools -- before it runs the pool's cleanups,
    // so the pending brigade's cleanup must not be what ends the requests.
    probe* p = new_probe();
    x0_request_t* r = make_request(p);
    int status = in_child([&] {
        x0::reset_hooks();
        watched_request = r;
        watched_probe = p;
        x0_hook_log_transaction(log_watched, nullptr, nullptr, X0_HOOK_MIDDLE);
        // No CppUTest checks in the child: a failed one would jump back into
        // the test runner there.
        add_heap(random_bytes(64 * 1024, 14));
        add_eor(r);
        add_flush();
        if (x0::core_output_filter(&f, bb) != APR_SUCCESS || !out.blocked
            || out.pending_requests != 1)
            return 2;
        apr_pool_destroy(pool);  // what close_connection's deactivate does
        return 0;
    });
    CHECK_TEXT(!WIFSIGNALED(status), "crashed destroying the connection pool");
    CHECK_TEXT(WEXITSTATUS(status) != 3, "EOR ended a request whose pool was already gone");
    LONGS_EQUAL(0, WEXITSTATUS(status));
}
