/*
 * The request-time rule for virtual hosts on a TLS connection, after
 * httpd's ssl_hook_ReadReq.
 *
 * The handshake chose a server (sc->server): the one the client named by
 * SNI, else the address's default. The request's Host then chose
 * r->server. When they differ, the certificate the client checked, the
 * protocols and ciphers, or the client-certificate check were not
 * necessarily those of r->server:
 *
 * - with SNI, r->server must have the same certificates and TLS policy as
 *   the handshake's server (tls_compatible), else 421 Misdirected Request
 *   (RFC 9110 section 15.5.20): the client can retry on a new connection
 *   with the right name;
 * - without SNI (old clients), only a stricter SSLVerifyClient is refused
 *   with 421: the client was never asked for the certificate r->server
 *   wants. httpd answers 403 there.
 */
#define X0_LOG_MODULE ssl_module  // its messages answer to LogLevel ssl:LEVEL
#include <apr_tables.h>
#include <openssl/ssl.h>

#include "x0/log.h"
#include "ssl_config.h"
#include "ssl_conn.h"
#include "ssl_request.h"

namespace x0ssl {

int check_request(x0_request_t* r)
{
    auto* sc = static_cast<const ssl_conn*>(x0_get_conn_state(r->connection, &ssl_module));
    if (!sc || !sc->ssl)
        return X0_DECLINED;
    if (sc->server && r->server != sc->server) {
        const ssl_server_conf* hs = server_conf(sc->server);
        const ssl_server_conf* rs = server_conf(r->server);
        bool misdirected = sc->sni ? !tls_compatible(rs, hs)
                                   : rs->engine == 1 && rs->verify > hs->verify;
        if (misdirected) {
            x0_log_error(X0LOG(03011), X0_LOG_INFO, 0, r->server,
                         "421: the TLS handshake was for %s (SNI %s), the request is for %s "
                         "with other TLS settings",
                         sc->server->server_name, sc->sni ? sc->sni : "none",
                         r->hostname ? r->hostname : "(no Host)");
            return 421;
        }
    }
    if (!r->notes)
        r->notes = apr_table_make(r->pool, 4);
    apr_table_setn(r->notes, "HTTPS", "on");
    // Literals owned by OpenSSL, alive as long as the process.
    apr_table_setn(r->notes, "SSL_PROTOCOL", SSL_get_version(sc->ssl));
    apr_table_setn(r->notes, "SSL_CIPHER", SSL_CIPHER_get_name(SSL_get_current_cipher(sc->ssl)));
    if (sc->sni)
        apr_table_set(r->notes, "SSL_TLS_SNI", sc->sni);
    // SSL_OUT has one path: it encrypts file data by copying it through
    // SSL_write (this kernel offers no kTLS; docs/tls.md).
    apr_table_setn(r->notes, "SSL_SEND_PATH", "copy");
    return X0_DECLINED;
}

} // namespace x0ssl
