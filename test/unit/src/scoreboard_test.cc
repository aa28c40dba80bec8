#include <CppUTest/TestHarness.h>

#include <apr_pools.h>
#include <cstring>
#include <unistd.h>

#include "modules/mod_status/fake_requests.h"
#include "scoreboard.h"

using namespace x0test;

namespace {

x0_scoreboard_worker_t slot(int i)
{
    x0_scoreboard_worker_t w;
    memset(&w, 0xff, sizeof w);
    x0_scoreboard_worker(i, &w, sizeof w);
    return w;
}

} // namespace

TEST_GROUP(scoreboard)
{
    apr_pool_t* worker_pool = nullptr;

    void setup() override
    {
        x0::scoreboard_reset_for_tests();
        CHECK(x0::scoreboard_create(4));
        apr_pool_create(&worker_pool, nullptr);
        x0::scoreboard_attach(worker_pool, nullptr);
    }
    void teardown() override
    {
        if (worker_pool)
            apr_pool_destroy(worker_pool);
        x0::scoreboard_reset_for_tests();
    }
};

TEST(scoreboard, attach_takes_the_first_free_slot)
{
    LONGS_EQUAL(4, x0_scoreboard_slots());
    LONGS_EQUAL(1, x0_scoreboard_generation());
    x0_scoreboard_worker_t w;
    LONGS_EQUAL(1, x0_scoreboard_worker(0, &w, sizeof w));
    LONGS_EQUAL(getpid(), w.pid);
    LONGS_EQUAL(1, w.generation);
    LONGS_EQUAL(0, x0_scoreboard_worker(1, &w, sizeof w));
    LONGS_EQUAL(0, w.pid);
    LONGS_EQUAL(-1, x0_scoreboard_worker(4, &w, sizeof w));
    CHECK(x0_scoreboard_started() > 0);
}

TEST(scoreboard, a_second_create_keeps_the_first)
{
    CHECK(x0::scoreboard_create(64));
    LONGS_EQUAL(4, x0_scoreboard_slots());
    LONGS_EQUAL(getpid(), slot(0).pid);
}

TEST(scoreboard, connections_are_counted_by_state)
{
    fake_connection* a = fake_accept(worker_pool, "10.0.0.1");
    fake_connection* b = fake_accept(worker_pool, "10.0.0.2");
    fake_move(a, x0::conn_phase::reading);
    fake_move(b, x0::conn_phase::reading);
    fake_move(b, x0::conn_phase::handling);
    x0_scoreboard_worker_t w = slot(0);
    LONGS_EQUAL(2, w.connections);
    LONGS_EQUAL(0, w.conns[X0_SB_CONN_IDLE]);
    LONGS_EQUAL(1, w.conns[X0_SB_CONN_BUSY]);
    LONGS_EQUAL(1, w.conns[X0_SB_CONN_HANDLER]);
    fake_move(a, x0::conn_phase::idle);
    fake_move(b, x0::conn_phase::lingering);
    w = slot(0);
    LONGS_EQUAL(1, w.conns[X0_SB_CONN_IDLE]);
    LONGS_EQUAL(0, w.conns[X0_SB_CONN_BUSY]);
    LONGS_EQUAL(1, w.conns[X0_SB_CONN_CLOSING]);
    fake_move(a, x0::conn_phase::closed);
    fake_move(b, x0::conn_phase::closed);
    fake_move(b, x0::conn_phase::closed);  // a second close counts nothing
    w = slot(0);
    for (int n : w.conns)
        LONGS_EQUAL(0, n);
    LONGS_EQUAL(2, w.connections);
}

TEST(scoreboard, a_request_holds_a_row_until_its_pool_goes)
{
    fake_connection* c = fake_accept(worker_pool, "192.0.2.7");
    fake_move(c, x0::conn_phase::reading);
    x0_request_t* r = fake_request(c, "GET /slow HTTP/1.1", "status.example");
    x0_scoreboard_request_t q;
    LONGS_EQUAL(1, x0_scoreboard_request(0, 0, &q, sizeof q));
    STRCMP_EQUAL("192.0.2.7", q.client);
    STRCMP_EQUAL("status.example", q.vhost);
    STRCMP_EQUAL("GET /slow HTTP/1.1", q.request);
    LONGS_EQUAL(X0_SB_CONN_BUSY, q.conn_state);
    CHECK(q.started > 0);
    LONGS_EQUAL(1, slot(0).requests_active);
    fake_move(c, x0::conn_phase::handling);  // the row follows its connection
    x0_scoreboard_request(0, 0, &q, sizeof q);
    LONGS_EQUAL(X0_SB_CONN_HANDLER, q.conn_state);

    fake_end(r, 1234);
    LONGS_EQUAL(0, x0_scoreboard_request(0, 0, &q, sizeof q));
    x0_scoreboard_worker_t w = slot(0);
    LONGS_EQUAL(1, w.requests);
    LONGS_EQUAL(1234, w.bytes_sent);
    LONGS_EQUAL(0, w.requests_active);
    CHECK(w.request_pool_bytes_max > 0);
    LONGS_EQUAL(w.request_pool_bytes_max, w.request_pool_bytes);
}

TEST(scoreboard, a_request_without_a_host_shows_its_server_and_long_lines_are_cut)
{
    fake_connection* c = fake_accept(worker_pool, "192.0.2.7");
    char line[400];
    memset(line, 'a', sizeof line - 1);
    line[sizeof line - 1] = '\0';
    x0_request_t* r = fake_request(c, line, nullptr);
    x0_scoreboard_request_t q;
    x0_scoreboard_request(0, 0, &q, sizeof q);
    STRCMP_EQUAL("www.example.org", q.vhost);
    LONGS_EQUAL(X0_SB_REQUEST_LEN - 1, strlen(q.request));
    fake_end(r, 0);
}

TEST(scoreboard, requests_past_the_rows_are_counted_not_shown)
{
    fake_connection* c = fake_accept(worker_pool, "192.0.2.7");
    const int n = x0_scoreboard_rows() + 8;
    x0_request_t* r[64];
    for (int i = 0; i < n; ++i)
        r[i] = fake_request(c, "GET / HTTP/1.1", "h");
    LONGS_EQUAL(n, slot(0).requests_active);
    int shown = 0;
    for (int row = 0; row < x0_scoreboard_rows(); ++row) {
        x0_scoreboard_request_t q;
        shown += x0_scoreboard_request(0, row, &q, sizeof q);
    }
    LONGS_EQUAL(x0_scoreboard_rows(), shown);
    for (int i = 0; i < n; ++i)
        fake_end(r[i], 10);
    LONGS_EQUAL(n, slot(0).requests);
    LONGS_EQUAL(10 * n, slot(0).bytes_sent);
    LONGS_EQUAL(0, slot(0).requests_active);
    // The rows are free again for the next ones.
    x0_request_t* again = fake_request(c, "GET /again HTTP/1.1", "h");
    x0_scoreboard_request_t q;
    LONGS_EQUAL(1, x0_scoreboard_request(0, 0, &q, sizeof q));
    STRCMP_EQUAL("GET /again HTTP/1.1", q.request);
    fake_end(again, 0);
}

TEST(scoreboard, totals_survive_the_next_occupant_of_the_slot)
{
    fake_connection* c = fake_accept(worker_pool, "192.0.2.7");
    fake_end(fake_request(c, "GET / HTTP/1.1", "h"), 100);
    fake_move(c, x0::conn_phase::idle);
    apr_pool_destroy(worker_pool);  // the worker exits: its slot is free
    worker_pool = nullptr;
    x0_scoreboard_worker_t w;
    LONGS_EQUAL(0, x0_scoreboard_worker(0, &w, sizeof w));
    LONGS_EQUAL(1, w.requests);
    LONGS_EQUAL(0, w.conns[X0_SB_CONN_IDLE]);

    x0::scoreboard_set_generation(2);  // a graceful restart
    apr_pool_create(&worker_pool, nullptr);
    x0::scoreboard_attach(worker_pool, nullptr);
    w = slot(0);
    LONGS_EQUAL(getpid(), w.pid);
    LONGS_EQUAL(2, w.generation);
    LONGS_EQUAL(1, w.requests);
    LONGS_EQUAL(100, w.bytes_sent);
    LONGS_EQUAL(1, w.connections);
    LONGS_EQUAL(0, w.conns[X0_SB_CONN_IDLE]);
    fake_connection* d = fake_accept(worker_pool, "192.0.2.8");
    fake_end(fake_request(d, "GET / HTTP/1.1", "h"), 5);
    LONGS_EQUAL(2, slot(0).requests);
    LONGS_EQUAL(105, slot(0).bytes_sent);
}

TEST(scoreboard, a_size_shorter_than_the_struct_fills_only_that_much)
{
    x0_scoreboard_worker_t w;
    memset(&w, 0x5a, sizeof w);
    x0_scoreboard_worker(0, &w, offsetof(x0_scoreboard_worker_t, pid));
    LONGS_EQUAL(0x5a5a5a5a, w.pid);
}

TEST(scoreboard, pool_block_bytes_counts_every_block_of_a_pool)
{
    apr_pool_t* p;
    apr_pool_create(&p, worker_pool);
    apr_size_t before = x0::pool_block_bytes(p);
    CHECK(before >= 4096);
    apr_palloc(p, 100000);
    CHECK(x0::pool_block_bytes(p) >= before + 100000);
    apr_pool_destroy(p);
}

TEST(scoreboard, connection_pools_are_measured_when_destroyed)
{
    apr_pool_t* p;
    apr_pool_create(&p, worker_pool);
    apr_palloc(p, 30000);
    apr_size_t bytes = x0::pool_block_bytes(p);
    x0::scoreboard_conn_pool_done(p);
    apr_pool_destroy(p);
    x0_scoreboard_worker_t w = slot(0);
    LONGS_EQUAL(1, w.conn_pool_releases);
    LONGS_EQUAL(bytes, w.conn_pool_bytes);
    LONGS_EQUAL(bytes, w.conn_pool_bytes_max);
}

TEST(scoreboard, slots_for_a_configuration)
{
    LONGS_EQUAL(1, x0::scoreboard_slots_for(nullptr, true));
}
