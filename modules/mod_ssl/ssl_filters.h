/*
 * SSL_IN and SSL_OUT: TLS as a pair of connection filters.
 *
 * OpenSSL talks to the network through a BIO of mod_ssl's own (ssl_bio.cc):
 * reads pull ciphertext from the next input filter (CORE_IN), writes append
 * it to a brigade that goes to the next output filter (CORE_OUT). Nothing
 * blocks: when OpenSSL wants the socket readable or writable, the filter
 * says so with x0_filter_wait() and the core calls it again when it is.
 */
#ifndef X0_MOD_SSL_FILTERS_H
#define X0_MOD_SSL_FILTERS_H

#include "ssl_conn.h"

namespace x0ssl {

/** Plaintext is gathered into records of this size (TLS's maximum). */
constexpr apr_size_t record_size = 16 * 1024;

/** Register SSL_IN and SSL_OUT (register_hooks). */
void register_filters();

/**
 * A TLS connection got a pool: add the filter pair with @a sc as their
 * state and point @a sc at this activation (pre_connection).
 */
void add_filters(ssl_conn* sc, x0_conn_t* c);

/** Responses this worker encrypted by copying (there is no kTLS here). */
long copied_responses();

/** Hand what OpenSSL wrote to the network filter; a FLUSH behind it when @a flush. */
void pass_ciphertext(ssl_conn* sc, bool flush);

} // namespace x0ssl

#endif
