/*
 * The BIO between OpenSSL and x0's connection filters. A read takes
 * ciphertext from the filter below SSL_IN (CORE_IN) and never waits: with
 * nothing there it sets the retry flag, and OpenSSL reports WANT_READ. A
 * write appends to ssl_conn::cipher_out, unless the network filter has said
 * X0_FLOW_STOP at its last pass (then WANT_WRITE); a flush passes it on.
 */
#ifndef X0_MOD_SSL_BIO_H
#define X0_MOD_SSL_BIO_H

#include "ssl_conn.h"

namespace x0ssl {

/** A BIO reading and writing through @a sc's filters; NULL if out of memory. */
BIO* bio_create(ssl_conn* sc);

/** Create the BIO method once per process (post_config); free it at exit. */
bool bio_method_init();
void bio_method_free();

} // namespace x0ssl

#endif
