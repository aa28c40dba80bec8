#include "conn_harness.h"

#include <arpa/inet.h>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "modules.h"

namespace x0test {

int watched_events(const x0::connection* c)
{
    return ev_is_active(&c->io) ? c->io.events & (EV_READ | EV_WRITE) : 0;
}

int count(const std::string& s, const std::string& what)
{
    int n = 0;
    for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1))
        ++n;
    return n;
}

int smalls(const std::string& s)
{
    return count(s, "\r\n\r\nhello\n");
}

char pattern_at(apr_off_t i)
{
    return static_cast<char>('a' + i % 26);
}

std::string pattern(apr_off_t n)
{
    std::string s(static_cast<size_t>(n), '\0');
    for (apr_off_t i = 0; i < n; ++i)
        s[static_cast<size_t>(i)] = pattern_at(i);
    return s;
}

apr_bucket* pattern_bucket(apr_off_t from, apr_size_t n, apr_bucket_alloc_t* ba)
{
    auto* buf = static_cast<char*>(apr_bucket_alloc(n, ba));
    for (apr_size_t i = 0; i < n; ++i)
        buf[i] = pattern_at(from + static_cast<apr_off_t>(i));
    return apr_bucket_heap_create(buf, n, apr_bucket_free, ba);
}

long arg_value(const char* args, const char* name, long fallback)
{
    size_t n = strlen(name);
    for (const char* p = args; p && *p; p = strchr(p, '&')) {
        if (*p == '&')
            ++p;
        if (strncmp(p, name, n) == 0 && p[n] == '=')
            return strtol(p + n + 1, nullptr, 10);
    }
    return fallback;
}

bool big_send(x0_request_t* r, big_body* st)
{
    while (st->sent < st->total) {
        apr_off_t left = st->total - st->sent;
        apr_size_t n = left < static_cast<apr_off_t>(st->piece) ? static_cast<apr_size_t>(left)
                                                                 : st->piece;
        APR_BRIGADE_INSERT_TAIL(st->bb, pattern_bucket(st->sent, n, st->bb->bucket_alloc));
        st->sent += static_cast<apr_off_t>(n);
        apr_status_t rv = x0_pass_brigade(r->output_filters, st->bb);
        apr_brigade_cleanup(st->bb);
        if (rv == X0_FLOW_STOP) {
            st->on_stop(r);
            return false;
        }
        if (rv != APR_SUCCESS)
            return true;
    }
    APR_BRIGADE_INSERT_TAIL(st->bb, apr_bucket_eos_create(st->bb->bucket_alloc));
    x0_pass_brigade(r->output_filters, st->bb);
    apr_brigade_cleanup(st->bb);
    return true;
}

void conn_harness::setup()
{
    x0::reset_modules();
    apr_pool_create(&pconf, nullptr);
    apr_pool_create(&ptemp, nullptr);
    wpool = nullptr;
    w = nullptr;
    c = nullptr;
    client = -1;
}

void conn_harness::teardown()
{
    // A test that failed midway leaves the connection open: the client
    // goes, and the connection closes as it would (its closing hook runs).
    if (client >= 0)
        close(client);
    client = -1;
    if (c && c->phase != x0::conn_phase::closed) {
        for (int i = 0; i < 1000 && c->phase != x0::conn_phase::closed; ++i)
            ev_run(w->loop, EVRUN_NOWAIT);
    }
    if (w) {
        ev_loop_destroy(w->loop);
        apr_pool_destroy(wpool);
    }
    apr_pool_destroy(ptemp);
    apr_pool_destroy(pconf);
    x0::reset_modules();
    if (!conf_path.empty())
        unlink(conf_path.c_str());
    conf_path.clear();
    conf_path.shrink_to_fit();
}

x0_server_t* conn_harness::configure(const std::string& text)
{
    char path[] = "/tmp/x0_conn_harness_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    conf_path = path;
    std::ofstream(conf_path) << text;
    const char* error = nullptr;
    x0_server_t* s = x0::read_config(pconf, ptemp, conf_path.c_str(), &error);
    CHECK_TEXT(s != nullptr, error);
    return s;
}

void conn_harness::make_worker(x0_server_t* s)
{
    apr_allocator_t* allocator;
    apr_allocator_create(&allocator);
    apr_allocator_max_free_set(allocator, 4 * 1024 * 1024);
    apr_pool_create_ex(&wpool, nullptr, nullptr, allocator);
    apr_allocator_owner_set(allocator, wpool);
    w = static_cast<x0::worker*>(apr_pcalloc(wpool, sizeof(x0::worker)));  // plain data
    w->loop = ev_loop_new(EVFLAG_AUTO);
    CHECK(w->loop != nullptr);
    w->pool = wpool;
    w->allocator = allocator;
    w->server = s;
    w->listeners = &via;
    w->listener_count = 0;  // nothing to accept on: the test hands the socket over
    w->max_connections = 16;
    w->accepting = true;
}

void conn_harness::connect(const x0::listener& l, const socket_buffers& b,
                           const std::string& sent_first)
{
    // Bound to an address, so the connection takes its local address from
    // the listener and never asks getsockname() of the AF_UNIX socket.
    via = l;
    int sv[2];
    LONGS_EQUAL(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
    fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
    // The kernel rounds a size up to its minimum.
    auto set = [](int fd, int option, int size) {
        if (size > 0)
            setsockopt(fd, SOL_SOCKET, option, &size, sizeof size);
    };
    set(sv[0], SO_SNDBUF, b.server_sndbuf);
    set(sv[0], SO_RCVBUF, b.server_rcvbuf);
    set(sv[1], SO_SNDBUF, b.client_sndbuf);
    set(sv[1], SO_RCVBUF, b.client_rcvbuf);
    client = sv[1];
    if (!sent_first.empty())
        LONGS_EQUAL(sent_first.size(), send(client, sent_first.data(), sent_first.size(), 0));
    c = static_cast<x0::connection*>(apr_pcalloc(wpool, sizeof(x0::connection)));
    c->peer.in4.sin_family = AF_INET;
    c->peer.in4.sin_port = htons(40000);
    c->peer.in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ++w->connection_count;
    x0::connection_start(w, c, sv[0], &via);
}

void conn_harness::turn()
{
    ev_run(w->loop, EVRUN_NOWAIT);
}

} // namespace x0test
