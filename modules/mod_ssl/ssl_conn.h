/*
 * mod_ssl's state for one TLS connection.
 *
 * It lives from connection_opened to connection_closing, across the idle
 * periods between keep-alive requests when the connection has no pool: it
 * is calloc'ed and freed by mod_ssl (x0_set_conn_state). While the
 * connection is idle the SSL object keeps no buffers (SSL_MODE_RELEASE_BUFFERS).
 * What belongs to one activation (brigades, the filters) is set again by
 * pre_connection each time the connection gets a pool.
 */
#ifndef X0_MOD_SSL_CONN_H
#define X0_MOD_SSL_CONN_H

#include <openssl/ssl.h>

#include "x0/http.h"

namespace x0ssl {

struct ssl_conn {
    SSL* ssl;
    x0_conn_t* c;              /**< the current activation, or NULL while idle */
    /** The virtual host the handshake chose: by SNI, else the address's default. */
    x0_server_t* server;
    const char* sni;           /**< the name the client sent (SNI), or NULL; strdup'ed */
    /* Per activation (pre_connection), all in c->pool: */
    x0_filter_t* in;           /**< SSL_IN */
    x0_filter_t* out;          /**< SSL_OUT */
    apr_bucket_brigade* cipher_in;   /**< ciphertext read, not yet given to OpenSSL */
    apr_bucket_brigade* cipher_out;  /**< ciphertext OpenSSL wrote, not yet passed on */
    apr_bucket_brigade* plain_out;   /**< plaintext held: not yet encrypted */
    /**
     * Plaintext gathered for the next record; allocated at the first write
     * of an activation. After WANT_WRITE the same bytes are written again.
     */
    char* record;
    apr_size_t record_len;
    apr_status_t error;        /**< sticky */
    bool network_full;         /**< the network filter said X0_FLOW_STOP: refuse writes */
    bool network_eof;          /**< the client closed its side */
    bool shutdown_sent;        /**< close_notify is out */
    ssl_conn* prev;            /**< the worker's live TLS connections */
    ssl_conn* next;
};

/** A TLS session for a connection to @a server, or NULL (logged). */
ssl_conn* conn_new(SSL_CTX* ctx, x0_server_t* server);

/**
 * The connection closes: @a sc and its SSL object go with @a c's pool,
 * after the pool's pre-cleanups that still use them (connection_closing).
 */
void conn_free(ssl_conn* sc, x0_conn_t* c);

/** The worker exits: free the sessions of the connections still open. */
apr_status_t conn_free_all(void*);

/** The state of the connection @a ssl belongs to (SSL_get_app_data). */
inline ssl_conn* conn_of(const SSL* ssl)
{
    return static_cast<ssl_conn*>(SSL_get_app_data(ssl));
}

} // namespace x0ssl

#endif
