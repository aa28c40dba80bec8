/*
 * Session tickets every worker can decrypt, with keys that rotate.
 *
 * OpenSSL's own ticket keys are random per SSL_CTX: the master's contexts
 * would hand the same keys to every worker, but they would never change,
 * and they are lost at a restart. So x0 keeps one secret (random, or from
 * SSLSessionTicketKeyFile) and derives the keys of epoch N = time / 12 h as
 *
 *     name = HMAC-SHA256(secret, "x0 ticket name" || N)[0..16]
 *     hmac = HMAC-SHA256(secret, "x0 ticket hmac" || N)
 *     aes  = HMAC-SHA256(secret, "x0 ticket aes"  || N)
 *
 * (N as 8 bytes, big-endian). New tickets use epoch N; tickets of N and
 * N-1 are accepted, those of N-1 renewed (and in TLS 1.3 every one used).
 * Every worker computes the same keys from the same secret and clock,
 * without talking to the others.
 *
 * OpenSSL takes the ticket callback from the connection's first SSL_CTX
 * (its session_ctx) even after SNI switched contexts; every context gets
 * the same callback, so which one that was does not matter.
 */
#include <apr_file_io.h>
#include <apr_strings.h>
#include <cstring>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "ssl_tickets.h"

namespace x0ssl {

namespace {

/** 32 random bytes, or the 48 or 80 bytes of a key file: never written after the fork. */
unsigned char secret[80];
size_t secret_len;

/** This worker's keys of the current and the previous epoch. */
struct {
    bool valid;
    uint64_t epoch;
    ticket_key current, previous;
} cache;

time_t system_clock() { return time(nullptr); }

/** HMAC-SHA256(secret, "x0 ticket LABEL" || be64(n)) into @a out. */
void derive(const char* label, uint64_t n, unsigned char out[32])
{
    unsigned char msg[32];
    size_t len = static_cast<size_t>(apr_snprintf(reinterpret_cast<char*>(msg), 24,
                                                  "x0 ticket %s", label));
    for (int i = 7; i >= 0; --i)
        msg[len++] = static_cast<unsigned char>(n >> (8 * i));
    unsigned int out_len = 32;
    HMAC(EVP_sha256(), secret, static_cast<int>(secret_len), msg, len, out, &out_len);
}

const ticket_key* keys_of(uint64_t n, const ticket_key** previous)
{
    if (!cache.valid || cache.epoch != n) {
        ticket_key_for(n, &cache.current);
        ticket_key_for(n - 1, &cache.previous);
        cache.epoch = n;
        cache.valid = true;
    }
    *previous = &cache.previous;
    return &cache.current;
}

bool set_mac_key(EVP_MAC_CTX* hctx, const ticket_key* k)
{
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
                                          const_cast<unsigned char*>(k->hmac), sizeof k->hmac),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
        OSSL_PARAM_construct_end(),
    };
    return EVP_MAC_CTX_set_params(hctx, params) == 1;
}

/**
 * SSL_CTX_set_tlsext_ticket_key_evp_cb. Encrypting: fill in the key name
 * and IV, 1 on success. Decrypting: 1 (a current key), 2 (the previous
 * epoch's: accept and send a new ticket), 0 (unknown key: full handshake),
 * -1 on an error.
 */
int ticket_cb(SSL* ssl, unsigned char name[16], unsigned char* iv, EVP_CIPHER_CTX* cctx,
              EVP_MAC_CTX* hctx, int enc)
{
    const ticket_key* previous;
    const ticket_key* k = keys_of(static_cast<uint64_t>(ticket_clock()) / ticket_epoch_seconds,
                                  &previous);
    if (enc) {
        if (RAND_bytes(iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) != 1)
            return -1;
        memcpy(name, k->name, sizeof k->name);
        if (!set_mac_key(hctx, k) ||
            EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), nullptr, k->aes, iv) != 1)
            return -1;
        return 1;
    }
    // TLS 1.3: a resumed connection gets a new ticket too (OpenSSL sends
    // none for 1), so a client can resume again with a fresh one (RFC 8446
    // section 4.6.1: tickets are best used once).
    int result = SSL_version(ssl) >= TLS1_3_VERSION ? 2 : 1;
    if (CRYPTO_memcmp(name, k->name, sizeof k->name) != 0) {
        if (CRYPTO_memcmp(name, previous->name, sizeof previous->name) != 0)
            return 0;
        k = previous;
        result = 2;
    }
    if (!set_mac_key(hctx, k) ||
        EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), nullptr, k->aes, iv) != 1)
        return -1;
    return result;
}

} // namespace

time_t (*ticket_clock)() = system_clock;

const char* tickets_init(apr_pool_t* p, const char* file)
{
    cache.valid = false;
    if (!file) {
        // Keep what there is: the secret must not change under running workers.
        if (secret_len == 0) {
            if (RAND_bytes(secret, 32) != 1)
                return "cannot draw a random session ticket secret";
            secret_len = 32;
        }
        return nullptr;
    }
    apr_file_t* f;
    apr_status_t rv = apr_file_open(&f, file, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, p);
    char err[128];
    if (rv != APR_SUCCESS)
        return apr_psprintf(p, "cannot open %s: %s", file, apr_strerror(rv, err, sizeof err));
    unsigned char buf[sizeof secret + 1];
    apr_size_t n = 0;
    rv = apr_file_read_full(f, buf, sizeof buf, &n);
    apr_file_close(f);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EOF(rv))
        return apr_psprintf(p, "cannot read %s: %s", file, apr_strerror(rv, err, sizeof err));
    if (n != 48 && n != 80) {
        OPENSSL_cleanse(buf, sizeof buf);
        return apr_psprintf(p, "%s must hold 48 or 80 bytes (as for httpd and nginx), not %s",
                            file, n > sizeof secret ? "more" : apr_itoa(p, static_cast<int>(n)));
    }
    memcpy(secret, buf, n);
    secret_len = n;
    OPENSSL_cleanse(buf, sizeof buf);
    return nullptr;
}

void tickets_use(SSL_CTX* ctx)
{
    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb);
}

void ticket_key_for(uint64_t n, ticket_key* out)
{
    unsigned char name[32];
    derive("name", n, name);
    memcpy(out->name, name, sizeof out->name);
    derive("hmac", n, out->hmac);
    derive("aes", n, out->aes);
}

} // namespace x0ssl
