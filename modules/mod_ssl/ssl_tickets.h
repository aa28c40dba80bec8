/*
 * Session tickets (RFC 5077, RFC 8446 section 4.6.1) that every worker can
 * decrypt: one secret, set in the master before the workers fork, from
 * which each worker derives the same keys by itself, per 12-hour epoch.
 * docs/tls.md, "Session resumption", has the design.
 */
#ifndef X0_MOD_SSL_TICKETS_H
#define X0_MOD_SSL_TICKETS_H

#include <apr_pools.h>
#include <cstdint>
#include <ctime>
#include <openssl/ssl.h>

namespace x0ssl {

/** Keys change every this many seconds; the previous epoch's are still accepted. */
constexpr time_t ticket_epoch_seconds = 12 * 60 * 60;

/** The keys of one epoch, derived from the secret. */
struct ticket_key {
    unsigned char name[16];   /**< sent in the clear in each ticket: which key */
    unsigned char hmac[32];   /**< HMAC-SHA256 key */
    unsigned char aes[32];    /**< AES-256-CBC key */
};

/**
 * Set the secret. Master, at post_config, before the workers fork.
 * @param file  SSLSessionTicketKeyFile (absolute; 48 or 80 bytes, as httpd's
 *              and nginx's key files), or NULL: 32 random bytes, drawn only
 *              the first time (a later call without a file keeps them)
 * @return NULL, or an error message allocated in @a p (without FILE:LINE)
 */
const char* tickets_init(apr_pool_t* p, const char* file);

/** Make @a ctx encrypt and decrypt its tickets with the shared keys. */
void tickets_use(SSL_CTX* ctx);

/** The keys of epoch @a n (n = time / ticket_epoch_seconds); needs the secret. */
void ticket_key_for(uint64_t n, ticket_key* out);

/** What the ticket code takes as the time; the unit tests replace it. */
extern time_t (*ticket_clock)();

} // namespace x0ssl

#endif
