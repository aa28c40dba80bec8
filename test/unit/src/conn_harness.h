/*
 * One real connection, driven in-process: a configuration read from text, a
 * worker built by hand around its own ev loop, and a socketpair whose far
 * end the test plays the client on. The loop turns only when the test turns
 * it (ev_run with EVRUN_NOWAIT), so every wait is on a condition, none on
 * the clock. The base class of connection_test.cc's and mod_ssl's
 * ssl_filters_test.cc's test groups (TEST_GROUP_BASE).
 */
#ifndef X0_TEST_CONN_HARNESS_H
#define X0_TEST_CONN_HARNESS_H

#include <CppUTest/TestHarness.h>

#include <string>

#include "connection.h"
#include "worker.h"

namespace x0test {

/** Socket buffer sizes for conn_harness::connect; 0 keeps the kernel's default. */
struct socket_buffers {
    int server_sndbuf;
    int server_rcvbuf;
    int client_sndbuf;
    int client_rcvbuf;
};

/** The events the connection's watcher waits for; 0 when it is stopped. */
int watched_events(const x0::connection* c);

/** A request for the test handlers' /small, which answers "hello\n". */
inline constexpr char small_request[] = "GET /small HTTP/1.1\r\nHost: test\r\n\r\n";

/** Occurrences of @a what in @a s. */
int count(const std::string& s, const std::string& what);

/** Complete /small responses in what the client received. */
int smalls(const std::string& s);

/* ---- the test handlers' /big: a patterned body in pieces, flow-controlled ---- */

/** Byte @a i of the body /big sends. */
char pattern_at(apr_off_t i);
/** The first @a n bytes of it. */
std::string pattern(apr_off_t n);
/** @a n bytes of the pattern from offset @a from, in a heap bucket. */
apr_bucket* pattern_bucket(apr_off_t from, apr_size_t n, apr_bucket_alloc_t* ba);
/** The number @a name=N in a query string, or @a fallback. */
long arg_value(const char* args, const char* name, long fallback);

struct big_body {
    apr_off_t sent;
    apr_off_t total;
    apr_size_t piece;
    apr_bucket_brigade* bb;
    void (*on_stop)(x0_request_t* r);  /**< a pass answered X0_FLOW_STOP (the test records it) */
};

/** Pass pieces until done or told to wait; true when the response is complete. */
bool big_send(x0_request_t* r, big_body* st);

class conn_harness : public Utest {
public:
    apr_pool_t* pconf = nullptr;
    apr_pool_t* ptemp = nullptr;
    apr_pool_t* wpool = nullptr;   /**< the worker's pool (and its allocator's owner) */
    x0::worker* w = nullptr;
    x0::listener via{};            /**< what the connection was "accepted" on */
    x0::connection* c = nullptr;
    int client = -1;               /**< the test's end of the socketpair; -1 once closed */

    /** Pools, and no module from an earlier test. */
    void setup() override;

    /**
     * Close the client's end and let the connection close as it would (its
     * closing hooks run), then destroy the worker and the configuration.
     */
    void teardown() override;

    /**
     * Read the configuration @a text (with the modules added so far and the
     * built-in ones) from a temporary file. Fails the test on an error.
     */
    x0_server_t* configure(const std::string& text);

    /** A worker for server @a s, as worker_main builds it, without listeners. */
    void make_worker(x0_server_t* s);

    /**
     * Hand one end of a new socketpair to the worker as if it had been
     * accepted on @a l (x0::connection_start); the other end is `client`.
     * Both ends are non-blocking; @a b shrinks their buffers. The client
     * has sent @a sent_first by then (what a deferring listener hands over).
     */
    void connect(const x0::listener& l, const socket_buffers& b,
                 const std::string& sent_first = "");

    /** One turn of the worker's loop, without waiting. */
    void turn();

private:
    std::string conf_path;
};

} // namespace x0test

#endif
