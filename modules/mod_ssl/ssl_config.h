/*
 * mod_ssl's configuration: httpd's SSL* directives, the per-server settings
 * they fill, and the SSL_CTX each server with `SSLEngine on` gets at
 * post_config (in the master, before the workers fork; the workers inherit
 * the contexts and never change them).
 *
 * docs/tls.md is the reference for the directives and their defaults.
 */
#ifndef X0_MOD_SSL_CONFIG_H
#define X0_MOD_SSL_CONFIG_H

#include <apr_tables.h>
#include <openssl/ssl.h>

#include "x0/http.h"
#include "x0/module.h"

/** Declared by X0_MODULE(ssl) in mod_ssl.cc. */
X0_EXTERN_C X0_API x0_module_t ssl_module;

namespace x0ssl {

/** A directive's argument and where it was written (for FILE:LINE: errors). */
struct conf_arg {
    const char* value;   /**< NULL: not set; paths are absolute (server root applied) */
    const char* file;
    int line;
};

/** SSLVerifyClient; the order is the strictness. */
enum verify_level { verify_unset = -1, verify_none = 0, verify_optional = 1, verify_require = 2 };

/**
 * One server's settings (the main server or a <VirtualHost>). A virtual
 * host's are merged over the main server's: what it does not set it
 * inherits, as in httpd. Everything lives in the configuration pool and is
 * read-only once post_config has run.
 */
struct ssl_server_conf {
    int engine;                    /**< SSLEngine: -1 unset, 0, 1 */
    conf_arg engine_at;            /**< where SSLEngine was written (value unused) */
    /**
     * SSLCertificateFile and SSLCertificateKeyFile, in order, of conf_arg:
     * key i belongs to certificate i (an RSA and an ECDSA pair may be given);
     * a certificate without a key file has its key in the same file.
     */
    apr_array_header_t* certs;
    apr_array_header_t* keys;
    conf_arg ca;                   /**< SSLCACertificateFile */
    int proto_min, proto_max;      /**< SSLProtocol: TLS1_VERSION...; 0 unset */
    conf_arg protocol;             /**< where SSLProtocol was written */
    conf_arg cipher_list;          /**< SSLCipherSuite [SSL] spec: TLS 1.2 and below */
    conf_arg ciphersuites;         /**< SSLCipherSuite TLSv1.3 spec */
    int honor_order;               /**< SSLHonorCipherOrder: -1 unset (on), 0, 1 */
    int tickets;                   /**< SSLSessionTickets: -1 unset (on), 0, 1 */
    int verify;                    /**< SSLVerifyClient: a verify_level */
    conf_arg verify_at;
    int verify_depth;              /**< SSLVerifyDepth: -1 unset (1) */
    /** SSLSessionTicketKeyFile: the same file for all servers (post_config refuses two) */
    conf_arg ticket_key_file;
    /* Main server only (the directives are refused in <VirtualHost>): */
    conf_arg session_cache;        /**< SSLSessionCache, kept for the notice */
    long session_timeout;          /**< SSLSessionCacheTimeout in seconds: -1 unset (300) */

    /* Built by post_config when engine == 1: */
    SSL_CTX* ctx;
    /**
     * The session id context of ctx: the same for servers whose TLS policy
     * (protocols, ciphers, client verification) is the same, so a session
     * resumes across exactly those (docs/tls.md, "Session resumption").
     */
    unsigned char sid_ctx[SSL_MAX_SID_CTX_LENGTH];
    unsigned int sid_ctx_len;
};

/** This module's config for @a s; never NULL once the module is added. */
ssl_server_conf* server_conf(const x0_server_t* s);

/** The directive table (NULL-terminated). */
extern const x0_directive_t directives[];

/** create_server_config: everything unset. */
void* create_server_config(apr_pool_t* p, x0_server_t* s);

/** merge_server_config: @a add's settings over @a base's, in a new struct. */
void* merge_server_config(apr_pool_t* p, void* base, void* add);

/**
 * post_config (master, after the configuration is read): set up the ticket
 * keys and build the SSL_CTX of every server with SSLEngine on. On a
 * problem it logs `FILE:LINE: message` at X0_LOG_EMERG (the error log is
 * still standard error then) and returns 500, which stops the start.
 */
int post_config(apr_pool_t* pconf, x0_server_t* s);

/**
 * Parse SSLProtocol's arguments (httpd's syntax) into a version range
 * (TLS1_VERSION ... TLS1_3_VERSION). Returns NULL or an error message in
 * @a p. Exposed for the unit tests.
 */
const char* parse_protocol(apr_pool_t* p, int argc, const char* const* argv, int* min,
                           int* max);

/**
 * True when requests for server @a a may be served on a TLS connection
 * whose handshake chose server @a b (and the other way round): both have
 * SSLEngine on, the same certificates, and the same TLS policy (the same
 * session id context).
 */
bool tls_compatible(const ssl_server_conf* a, const ssl_server_conf* b);

/**
 * How the handshake finds the virtual host a TLS client names: the core's
 * x0_server_for_name. The unit tests point it at their own table.
 */
extern x0_server_t* (*server_lookup)(const x0_conn_t* c, const char* name);

} // namespace x0ssl

#endif
