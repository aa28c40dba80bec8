/*
 * Creating and freeing mod_ssl's per-connection state (ssl_conn.h). The
 * worker keeps its live sessions on a list, so that those of connections
 * still open when it exits are freed too.
 */
#define X0_LOG_MODULE ssl_module  // its messages answer to LogLevel ssl:LEVEL
#include "ssl_conn.h"

#include <cstdlib>

#include "ssl_bio.h"
#include "x0/log.h"

namespace x0ssl {
namespace {

ssl_conn* live = nullptr;

void unlink_conn(ssl_conn* sc)
{
    if (sc->prev)
        sc->prev->next = sc->next;
    else
        live = sc->next;
    if (sc->next)
        sc->next->prev = sc->prev;
}

apr_status_t free_conn(void* data)
{
    auto* sc = static_cast<ssl_conn*>(data);
    unlink_conn(sc);
    SSL_free(sc->ssl);  // and its BIO
    free(const_cast<char*>(sc->sni));
    free(sc);
    return APR_SUCCESS;
}

} // namespace

ssl_conn* conn_new(SSL_CTX* ctx, x0_server_t* server)
{
    auto* sc = static_cast<ssl_conn*>(calloc(1, sizeof(ssl_conn)));
    if (sc)
        sc->ssl = SSL_new(ctx);
    BIO* bio = sc && sc->ssl ? bio_create(sc) : nullptr;
    if (!bio) {
        if (sc)
            SSL_free(sc->ssl);
        free(sc);
        x0_log_error(X0LOG(03104), X0_LOG_ERR, 0, server, "mod_ssl: out of memory for a TLS session");
        return nullptr;
    }
    SSL_set_bio(sc->ssl, bio, bio);
    SSL_set_app_data(sc->ssl, sc);
    SSL_set_accept_state(sc->ssl);
    sc->server = server;
    sc->next = live;
    if (live)
        live->prev = sc;
    live = sc;
    return sc;
}

void conn_free(ssl_conn* sc, x0_conn_t* c)
{
    apr_pool_cleanup_register(c->pool, sc, free_conn, apr_pool_cleanup_null);
}

apr_status_t conn_free_all(void*)
{
    while (live)
        free_conn(live);
    return APR_SUCCESS;
}

} // namespace x0ssl
