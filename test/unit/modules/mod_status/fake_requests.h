/*
 * Connections and requests just real enough for the scoreboard's updates:
 * a record with a phase, an active part with a client address, and requests
 * with their own pools. Shared by the scoreboard and mod_status tests.
 */
#ifndef X0_TEST_FAKE_REQUESTS_H
#define X0_TEST_FAKE_REQUESTS_H

#include "connection.h"
#include "scoreboard.h"

namespace x0test {

struct fake_connection {
    x0::connection rec;
    x0::conn_active active;
    x0_server_t server;
};

/** A connection accepted and counted, in phase idle. */
inline fake_connection* fake_accept(apr_pool_t* p, const char* client_ip)
{
    auto* f = static_cast<fake_connection*>(apr_pcalloc(p, sizeof(fake_connection)));
    f->server.server_name = "www.example.org";
    f->active.pub.pool = p;
    f->active.pub.client_ip = client_ip;
    f->active.pub.base_server = &f->server;
    f->active.rec = &f->rec;
    x0::scoreboard_conn_opened();
    f->rec.phase = x0::conn_phase::idle;
    return f;
}

inline void fake_move(fake_connection* f, x0::conn_phase to)
{
    x0::scoreboard_conn_move(&f->rec, to);
    f->rec.phase = to;
}

/** A request whose head was read on @a f; it ends when its pool is destroyed. */
inline x0_request_t* fake_request(fake_connection* f, const char* line, const char* host)
{
    apr_pool_t* rp;
    apr_pool_create(&rp, f->active.pub.pool);
    auto* r = static_cast<x0_request_t*>(apr_pcalloc(rp, sizeof(x0_request_t)));
    r->pool = rp;
    r->connection = &f->active.pub;
    r->the_request = line;
    r->hostname = host;
    r->request_time = apr_time_now();
    x0::scoreboard_request_start(r);
    return r;
}

/** The request's response is out: @a bytes were sent. */
inline void fake_end(x0_request_t* r, apr_off_t bytes)
{
    r->bytes_sent = bytes;
    apr_pool_destroy(r->pool);
}

} // namespace x0test

#endif
