/*
 * mod_ssl at request time: the virtual host a request names must be one
 * the TLS handshake could have served (RFC 9110 section 15.5.20, 421), and
 * the connection's TLS parameters go into r->notes.
 */
#ifndef X0_MOD_SSL_REQUEST_H
#define X0_MOD_SSL_REQUEST_H

#include "x0/http.h"

namespace x0ssl {

/**
 * post_read_request hook (worker). X0_DECLINED for a connection without
 * TLS. On a TLS connection: 421 when r->server is not one the handshake
 * could have chosen (docs/tls.md, "SNI and 421"); otherwise it sets
 * r->notes HTTPS, SSL_PROTOCOL, SSL_CIPHER, SSL_TLS_SNI (if sent) and
 * SSL_SEND_PATH, and returns X0_DECLINED.
 */
int check_request(x0_request_t* r);

} // namespace x0ssl

#endif
