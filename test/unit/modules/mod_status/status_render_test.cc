// The standard headers go before CppUTest's, whose leak detector redefines new.
#include <apr_pools.h>
#include <cstring>
#include <set>
#include <sstream>
#include <string>

#include <CppUTest/TestHarness.h>

#include "brigade_util.h"
#include "modules/mod_status/fake_requests.h"
#include "mod_status/status_render.h"

using namespace x0test;

TEST_GROUP(status_render)
{
    apr_pool_t* worker_pool = nullptr;
    apr_pool_t* pool = nullptr;
    apr_bucket_alloc_t* ba = nullptr;
    fake_connection* idle = nullptr;
    x0_request_t* in_flight = nullptr;

    void setup() override
    {
        x0::scoreboard_reset_for_tests();
        x0::scoreboard_create(4);
        apr_pool_create(&worker_pool, nullptr);
        apr_pool_create(&pool, nullptr);
        ba = apr_bucket_alloc_create(pool);
        x0::scoreboard_attach(worker_pool, nullptr);
        // Two requests done (300 bytes), one connection idle, one in flight
        // with a request line a client made hostile.
        idle = fake_accept(worker_pool, "10.0.0.1");
        fake_move(idle, x0::conn_phase::reading);
        fake_end(fake_request(idle, "GET /a HTTP/1.1", "h"), 100);
        fake_end(fake_request(idle, "GET /b HTTP/1.1", "h"), 200);
        fake_move(idle, x0::conn_phase::idle);
        fake_connection* busy = fake_accept(worker_pool, "10.0.0.2");
        fake_move(busy, x0::conn_phase::reading);
        in_flight = fake_request(busy, "GET /<b>\"q\"\xff HTTP/1.1", "v\\host");
    }
    void teardown() override
    {
        apr_pool_destroy(pool);
        apr_pool_destroy(worker_pool);
        x0::scoreboard_reset_for_tests();
    }

    std::string render(void (*fn)(const status::status_snapshot*, apr_bucket_brigade*))
    {
        status::status_snapshot* s = status::status_collect(
            pool, x0_scoreboard_started() + 10 * APR_USEC_PER_SEC, "srv", "x0/test");
        apr_bucket_brigade* bb = apr_brigade_create(pool, ba);
        fn(s, bb);
        return flatten(bb);
    }
};

TEST(status_render, snapshot_sums_the_slots)
{
    status::status_snapshot* s = status::status_collect(pool, apr_time_now(), "srv", "x0/test");
    LONGS_EQUAL(2, s->requests_total);
    LONGS_EQUAL(300, s->bytes_total);
    LONGS_EQUAL(2, s->connections_total);
    LONGS_EQUAL(1, s->conns[X0_SB_CONN_IDLE]);
    LONGS_EQUAL(1, s->conns[X0_SB_CONN_BUSY]);
    LONGS_EQUAL(1, s->requests_active);
    LONGS_EQUAL(1, s->processes);
    LONGS_EQUAL(1, s->busy);
    LONGS_EQUAL(1, s->requests->nelts);
}

TEST(status_render, auto_has_httpds_keys)
{
    std::string t = render(status::status_render_auto);
    CHECK_EQUAL(0u, t.find("srv\n"));
    CHECK(t.find("\nTotal Accesses: 2\n") != std::string::npos);
    CHECK(t.find("\nTotal kBytes: 0\n") != std::string::npos);
    CHECK(t.find("\nUptime: 10\n") != std::string::npos);
    CHECK(t.find("\nReqPerSec: .2\n") != std::string::npos);
    CHECK(t.find("\nBytesPerSec: 30\n") != std::string::npos);
    CHECK(t.find("\nBusyWorkers: 1\nIdleWorkers: 0\n") != std::string::npos);
    CHECK(t.find("\nConnsTotal: 2\n") != std::string::npos);
    CHECK(t.find("\nConnsAsyncKeepAlive: 1\n") != std::string::npos);
    CHECK(t.find("\nScoreboard: W...\n") != std::string::npos);
    // Every line after the first is `Key: value`.
    std::istringstream lines(t.substr(t.find('\n') + 1));
    for (std::string line; std::getline(lines, line);)
        CHECK_TEXT(line.find(": ") != std::string::npos, line.c_str());
}

TEST(status_render, json_escapes_what_clients_send)
{
    std::string t = render(status::status_render_json);
    CHECK(t.find("\"requests_total\": 2,") != std::string::npos);
    CHECK(t.find("\"sent_bytes_total\": 300,") != std::string::npos);
    CHECK(t.find("\"connections\": {\"idle\": 1, \"busy\": 1, \"handler\": 0, \"closing\": 0}")
          != std::string::npos);
    CHECK(t.find("\"request\": \"GET /<b>\\\"q\\\"\\u00ff HTTP/1.1\"") != std::string::npos);
    CHECK(t.find("\"vhost\": \"v\\\\host\"") != std::string::npos);
    CHECK(t.find("\"state\": \"busy\"") != std::string::npos);
}

TEST(status_render, prometheus_is_openmetrics)
{
    std::string t = render(status::status_render_prometheus);
    CHECK(t.size() > 6 && t.compare(t.size() - 6, 6, "# EOF\n") == 0);
    CHECK(t.find("\nx0_requests_total{slot=\"0\"} 2\n") != std::string::npos);
    CHECK(t.find("\nx0_sent_bytes_total{slot=\"0\"} 300\n") != std::string::npos);
    CHECK(t.find("\nx0_connections{slot=\"0\",state=\"idle\"} 1\n") != std::string::npos);
    std::set<std::string> families;
    std::istringstream lines(t);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("# TYPE ", 0) == 0) {
            families.insert(line.substr(7, line.find(' ', 7) - 7));
            continue;
        }
        if (line[0] == '#')
            continue;
        std::string name = line.substr(0, line.find_first_of("{ "));
        bool typed = families.count(name) ||
                     (name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0 &&
                      families.count(name.substr(0, name.size() - 6)));
        CHECK_TEXT(typed, line.c_str());
    }
}

TEST(status_render, html_lists_the_request_in_flight_escaped)
{
    std::string t = render(status::status_render_html);
    CHECK(t.find("GET /&lt;b&gt;&quot;q&quot;") != std::string::npos);
    CHECK(t.find("<td>10.0.0.2</td>") != std::string::npos);
    CHECK(t.find("<b>") == std::string::npos);
    CHECK(t.find("</html>") != std::string::npos);
}
