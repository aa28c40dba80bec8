/*
 * mod_ssl's directives and the SSL_CTX of each server.
 *
 * Directives record their argument with FILE:LINE; what can be checked
 * alone (a file exists, SSLProtocol, SSLCipherSuite) fails at the directive,
 * so `x0d -t` reports it. What needs the whole configuration (a key that
 * does not match its certificate, SSLEngine on without a certificate) fails
 * at post_config, in the master, with the same FILE:LINE: prefix.
 *
 * Virtual hosts by SNI: the handshake starts with the SSL_CTX of the
 * address's default server; the ClientHello callback looks up the name the
 * client sent and moves the connection to that server's SSL_CTX. It is the
 * ClientHello callback and not the servername callback because OpenSSL 3
 * has already chosen the protocol version and the TLS 1.3 cipher when the
 * servername callback runs: the vhost's SSLProtocol and SSLCipherSuite
 * TLSv1.3 would not apply (httpd does the same, ssl_callback_ClientHello).
 */
#define X0_LOG_MODULE ssl_module  // its messages answer to LogLevel ssl:LEVEL
#include <apr_file_info.h>
#include <apr_strings.h>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <strings.h>

#include "x0/log.h"
#include "ssl_config.h"
#include "ssl_conn.h"
#include "ssl_tickets.h"

namespace x0ssl {

x0_server_t* (*server_lookup)(const x0_conn_t* c, const char* name) = x0_server_for_name;

namespace {

/** Forward-secret AEAD suites only (TLS 1.2); TLS 1.3's are OpenSSL's default. */
constexpr char default_cipher_list[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr long default_session_timeout = 300;   // httpd's and nginx's
constexpr int default_verify_depth = 1;         // httpd's

const char* const protocol_names[] = {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"};
const int protocol_versions[] = {TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION};

conf_arg here(const x0_cmd_parms_t* cmd, const char* value)
{
    return conf_arg{value, cmd->file, cmd->line};
}

/* ---- directives ---- */

/**
 * Resolve @a arg against the server root into @a path and refuse what is
 * not a non-empty regular file, as httpd's ssl_cmd_check_file does.
 */
const char* check_file(x0_cmd_parms_t* cmd, const char* arg, const char** path,
                       apr_off_t* size = nullptr)
{
    *path = x0_server_root_relative(cmd->pool, arg);
    apr_finfo_t fi;
    if (apr_stat(&fi, *path, APR_FINFO_TYPE | APR_FINFO_SIZE, cmd->temp_pool) != APR_SUCCESS ||
        fi.filetype != APR_REG || fi.size == 0)
        return apr_psprintf(cmd->temp_pool, "%s: file '%s' does not exist or is empty",
                            cmd->directive->name, *path);
    if (size)
        *size = fi.size;
    return nullptr;
}

const char* set_engine(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    ssl_server_conf* c = server_conf(cmd->server);
    c->engine_at = here(cmd, nullptr);
    if (strcasecmp(argv[0], "optional") == 0)
        return "SSLEngine optional (RFC 2817 upgrade) is not supported";
    return x0_conf_flag(argv[0], &c->engine);
}

const char* add_cert_or_key(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    ssl_server_conf* c = server_conf(cmd->server);
    const char* path;
    if (const char* err = check_file(cmd, argv[0], &path))
        return err;
    bool key = strcasecmp(cmd->directive->name, "SSLCertificateKeyFile") == 0;
    APR_ARRAY_PUSH(key ? c->keys : c->certs, conf_arg) = here(cmd, path);
    return nullptr;
}

const char* set_ca(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    const char* path;
    if (const char* err = check_file(cmd, argv[0], &path))
        return err;
    server_conf(cmd->server)->ca = here(cmd, path);
    return nullptr;
}

const char* set_protocol(x0_cmd_parms_t* cmd, void*, int argc, const char* const* argv)
{
    ssl_server_conf* c = server_conf(cmd->server);
    c->protocol = here(cmd, nullptr);
    return parse_protocol(cmd->temp_pool, argc, argv, &c->proto_min, &c->proto_max);
}

/**
 * OpenSSL ignores the names it does not know in a TLS 1.3 list: try each
 * name alone so that a typo is an error rather than a missing suite.
 */
const char* check_ciphersuites(apr_pool_t* p, SSL_CTX* ctx, const char* spec)
{
    char* last;
    for (char* name = apr_strtok(apr_pstrdup(p, spec), ":", &last); name;
         name = apr_strtok(nullptr, ":", &last)) {
        bool known = false;
        if (SSL_CTX_set_ciphersuites(ctx, name) == 1) {
            STACK_OF(SSL_CIPHER)* all = SSL_CTX_get_ciphers(ctx);
            for (int i = 0; i < sk_SSL_CIPHER_num(all) && !known; ++i) {
                const SSL_CIPHER* cipher = sk_SSL_CIPHER_value(all, i);
                known = strcmp(SSL_CIPHER_get_version(cipher), "TLSv1.3") == 0;
            }
        }
        if (!known)
            return apr_psprintf(p, "SSLCipherSuite: '%s' is not a TLSv1.3 cipher suite OpenSSL "
                                "knows", name);
    }
    return nullptr;
}

/** SSLCipherSuite [SSL|TLSv1.3] spec: checked against OpenSSL now. */
const char* set_cipher_suite(x0_cmd_parms_t* cmd, void*, int argc, const char* const* argv)
{
    ssl_server_conf* c = server_conf(cmd->server);
    const char* spec = argv[argc - 1];
    bool tls13 = false;
    if (argc == 2) {
        if (strcasecmp(argv[0], "TLSv1.3") == 0)
            tls13 = true;
        else if (strcasecmp(argv[0], "SSL") != 0)
            return apr_psprintf(cmd->temp_pool, "SSLCipherSuite: protocol '%s' is not SSL "
                                "(TLSv1.2 and below) or TLSv1.3", argv[0]);
    }
    SSL_CTX* scratch = SSL_CTX_new(TLS_server_method());
    if (!scratch)
        return "SSLCipherSuite: OpenSSL cannot make a context";
    const char* err = nullptr;
    if (tls13)
        err = check_ciphersuites(cmd->temp_pool, scratch, spec);
    else if (SSL_CTX_set_cipher_list(scratch, spec) != 1)
        err = apr_psprintf(cmd->temp_pool, "SSLCipherSuite: OpenSSL finds no TLSv1.2 cipher in "
                           "'%s'", spec);
    SSL_CTX_free(scratch);
    ERR_clear_error();
    if (err)
        return err;
    (tls13 ? c->ciphersuites : c->cipher_list) = here(cmd, spec);
    return nullptr;
}

const char* set_honor_order(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    return x0_conf_flag(argv[0], &server_conf(cmd->server)->honor_order);
}

const char* set_tickets(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    return x0_conf_flag(argv[0], &server_conf(cmd->server)->tickets);
}

const char* set_ticket_key_file(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    const char* path;
    apr_off_t size;
    if (const char* err = check_file(cmd, argv[0], &path, &size))
        return err;
    if (size != 48 && size != 80)
        return apr_psprintf(cmd->temp_pool, "SSLSessionTicketKeyFile: '%s' must hold 48 or 80 "
                            "bytes (as for httpd and nginx), not %" APR_OFF_T_FMT, path, size);
    server_conf(cmd->server)->ticket_key_file = here(cmd, path);
    return nullptr;
}

/**
 * httpd's cache types are accepted and served by tickets (docs/tls.md);
 * "none" and "nonenotnull" mean no cache, which x0 never has.
 */
const char* set_session_cache(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    static const char* const types[] = {"shmcb", "shm", "shmht", "dbm", "sdbm", "dc",
                                        "memcache", "redis"};
    bool known = strcasecmp(argv[0], "none") == 0 || strcasecmp(argv[0], "nonenotnull") == 0;
    const char* colon = strchr(argv[0], ':');
    size_t n = colon ? static_cast<size_t>(colon - argv[0]) : strlen(argv[0]);
    for (const char* t : types)
        known = known || (strlen(t) == n && strncasecmp(argv[0], t, n) == 0);
    if (known) {
        server_conf(cmd->server)->session_cache = here(cmd, argv[0]);
        return nullptr;
    }
    return apr_psprintf(cmd->temp_pool, "SSLSessionCache: unknown session cache type '%s'",
                        argv[0]);
}

const char* set_session_timeout(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    return x0_conf_number(cmd->temp_pool, argv[0], 1, 86400,
                          &server_conf(cmd->server)->session_timeout);
}

const char* set_verify_client(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    static const char* const names[] = {"none", "optional", "require"};
    ssl_server_conf* c = server_conf(cmd->server);
    for (int i = 0; i < 3; ++i)
        if (strcasecmp(argv[0], names[i]) == 0) {
            c->verify = i;
            c->verify_at = here(cmd, nullptr);
            return nullptr;
        }
    if (strcasecmp(argv[0], "optional_no_ca") == 0)
        return "SSLVerifyClient optional_no_ca is not supported: x0 accepts only client "
               "certificates it can verify (use optional with SSLCACertificateFile)";
    return "SSLVerifyClient must be none, optional or require";
}

const char* set_verify_depth(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    long depth;
    if (const char* err = x0_conf_number(cmd->temp_pool, argv[0], 0, 100, &depth))
        return err;
    server_conf(cmd->server)->verify_depth = static_cast<int>(depth);
    return nullptr;
}

/* ---- post_config ---- */

/** Log "FILE:LINE: message" (no prefix when @a at has no file); returns 500 to stop the start. */
int fail(apr_pool_t* p, const x0_server_t* s, const conf_arg& at, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));

int fail(apr_pool_t* p, const x0_server_t* s, const conf_arg& at, const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char* msg = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    if (at.file)
        x0_log_error(X0LOG(03001), X0_LOG_EMERG, 0, s, "%s:%d: %s", at.file, at.line, msg);
    else
        x0_log_error(X0LOG(03002), X0_LOG_EMERG, 0, s, "%s", msg);
    ERR_clear_error();
    return 500;
}

/** The reason of OpenSSL's last error, for messages. */
const char* ssl_error()
{
    const char* reason = ERR_reason_error_string(ERR_peek_last_error());
    return reason ? reason : "unknown OpenSSL error";
}

/** NULL if @a path can be opened for reading, else why not (strerror). */
const char* unreadable(const char* path)
{
    FILE* f = fopen(path, "r");
    if (!f)
        return strerror(errno);
    fclose(f);
    return nullptr;
}

int no_pass_phrase(char*, int, int, void* asked)
{
    *static_cast<bool*>(asked) = true;
    return -1;
}

/** The first private key in @a path, or NULL; @a encrypted says whether it wanted a pass phrase. */
EVP_PKEY* load_key(const char* path, bool* encrypted)
{
    *encrypted = false;
    BIO* bio = BIO_new_file(path, "r");
    if (!bio)
        return nullptr;
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, no_pass_phrase, encrypted);
    BIO_free(bio);
    return key;
}

apr_status_t free_ctx(void* ctx)
{
    SSL_CTX_free(static_cast<SSL_CTX*>(ctx));
    return APR_SUCCESS;
}

/** Which server a message is about: the SSLEngine line may be the main server's. */
const char* server_label(apr_pool_t* p, const x0_server_t* s)
{
    return s->is_virtual ? apr_psprintf(p, "the virtual host at %s:%d", s->defn_file, s->defn_line)
                         : "the main server";
}

/**
 * The session id context: a digest of what decides whether a session may
 * be resumed here -- the protocols, the ciphers and client verification.
 * Servers that agree on those share sessions (with SNI, a session made
 * under one name resumes under another); a server that verifies clients
 * differently never resumes another's session, or a resumption would skip
 * its certificate check (httpd keeps one id per virtual host for this).
 */
void make_sid_ctx(apr_pool_t* p, ssl_server_conf* c, int min, int max, const char* list,
                  int depth)
{
    const char* policy = apr_psprintf(
        p, "x0d %d %d %s %s %d %d %s", min, max, list,
        c->ciphersuites.value ? c->ciphersuites.value : "", c->verify,
        c->verify > verify_none ? depth : 0, c->verify > verify_none ? c->ca.value : "");
    unsigned int len = 0;
    EVP_Digest(policy, strlen(policy), c->sid_ctx, &len, EVP_sha256(), nullptr);
    c->sid_ctx_len = len;  // 32 == SSL_MAX_SID_CTX_LENGTH
}

/* ---- handshake callbacks ---- */

/**
 * The host_name of a server_name extension (RFC 6066 section 3) into
 * @a name; false if there is none or the extension is malformed (OpenSSL's
 * own parser rejects that one later).
 */
bool sni_host_name(const unsigned char* p, size_t len, char name[256])
{
    if (len < 2 || ((p[0] << 8) | p[1]) != static_cast<int>(len - 2))
        return false;
    p += 2;
    len -= 2;
    while (len >= 3) {
        unsigned type = p[0];
        size_t n = (p[1] << 8) | p[2];
        p += 3;
        len -= 3;
        if (n > len)
            return false;
        if (type == TLSEXT_NAMETYPE_host_name) {
            if (n == 0 || n > 255 || memchr(p, '\0', n))
                return false;
            memcpy(name, p, n);
            name[n] = '\0';
            return true;
        }
        p += n;
        len -= n;
    }
    return false;
}

/**
 * Move @a ssl to @a ctx. SSL_set_SSL_CTX takes the certificates and the
 * session id context; SSL_new copied the rest from the first context into
 * the SSL, so copy what differs between ours. The cipher lists and the
 * client CA list are not copied into an SSL: OpenSSL reads them from the
 * current context (checked with OpenSSL 3.0).
 */
bool switch_ctx(SSL* ssl, SSL_CTX* ctx)
{
    if (!SSL_set_SSL_CTX(ssl, ctx))
        return false;
    uint64_t options = SSL_CTX_get_options(ctx);
    SSL_clear_options(ssl, SSL_get_options(ssl) & ~options);
    SSL_set_options(ssl, options);
    SSL_set_min_proto_version(ssl, SSL_CTX_get_min_proto_version(ctx));
    SSL_set_max_proto_version(ssl, SSL_CTX_get_max_proto_version(ctx));
    SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx), SSL_CTX_get_verify_callback(ctx));
    SSL_set_verify_depth(ssl, SSL_CTX_get_verify_depth(ctx));
    SSL_set_num_tickets(ssl, SSL_CTX_get_num_tickets(ctx));
    return true;
}

/**
 * Runs before OpenSSL has decided anything about the ClientHello (it runs
 * again for a second ClientHello after a HelloRetryRequest).
 */
int client_hello_cb(SSL* ssl, int* alert, void*)
{
    ssl_conn* sc = conn_of(ssl);
    const unsigned char* ext;
    size_t len;
    char name[256];
    if (!sc || !sc->c || !SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &ext, &len) ||
        !sni_host_name(ext, len, name))
        return SSL_CLIENT_HELLO_SUCCESS;
    if (!sc->sni || strcmp(sc->sni, name) != 0) {
        free(const_cast<char*>(sc->sni));
        sc->sni = strdup(name);
    }
    // No match gives the address's default, which the handshake started with.
    x0_server_t* v = server_lookup(sc->c, name);
    const ssl_server_conf* vc = v ? server_conf(v) : nullptr;
    if (!vc || vc->engine != 1 || !vc->ctx || vc->ctx == SSL_get_SSL_CTX(ssl))
        return SSL_CLIENT_HELLO_SUCCESS;
    if (!switch_ctx(ssl, vc->ctx)) {
        *alert = SSL_AD_INTERNAL_ERROR;
        return SSL_CLIENT_HELLO_ERROR;
    }
    sc->server = v;
    return SSL_CLIENT_HELLO_SUCCESS;
}

/**
 * The server_name extension itself: acknowledge it, so that the name is
 * kept in the session (the choice was made in client_hello_cb).
 */
int servername_cb(SSL*, int*, void*)
{
    return SSL_TLSEXT_ERR_OK;
}

/**
 * ALPN (RFC 7301): http/1.1 when the client offers it. A client that
 * offers only other protocols (h2 alone) gets no ALPN answer and the
 * handshake goes on, rather than a no_application_protocol alert.
 */
int alpn_select_cb(SSL*, const unsigned char** out, unsigned char* out_len,
                   const unsigned char* in, unsigned int in_len, void*)
{
    for (unsigned int i = 0; i < in_len; i += 1u + in[i]) {
        unsigned int n = in[i];
        if (i + 1 + n > in_len)
            break;
        if (n == 8 && memcmp(in + i + 1, "http/1.1", 8) == 0) {
            *out = in + i + 1;
            *out_len = 8;
            return SSL_TLSEXT_ERR_OK;
        }
    }
    return SSL_TLSEXT_ERR_NOACK;
}

/** The SSL_CTX of server @a s, whose settings @a c are merged; @a m is the main server's. */
int build_ctx(apr_pool_t* p, const x0_server_t* s, ssl_server_conf* c, const ssl_server_conf* m)
{
    if (c->verify == verify_unset)
        c->verify = verify_none;  // so that the session id context and check_request compare
    if (c->certs->nelts == 0)
        return fail(p, s, c->engine_at, "SSLEngine on, but %s has no SSLCertificateFile",
                    server_label(p, s));
    if (c->keys->nelts > c->certs->nelts)
        return fail(p, s, APR_ARRAY_IDX(c->keys, c->certs->nelts, conf_arg),
                    "SSLCertificateKeyFile without an SSLCertificateFile before it");
    if (c->verify > verify_none && !c->ca.value)
        return fail(p, s, c->verify_at, "SSLVerifyClient %s needs SSLCACertificateFile",
                    c->verify == verify_require ? "require" : "optional");
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx)
        return fail(p, s, c->engine_at, "OpenSSL cannot make a context: %s", ssl_error());
    apr_pool_cleanup_register(p, ctx, free_ctx, apr_pool_cleanup_null);
    c->ctx = ctx;

    uint64_t options = SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION;
    if (c->honor_order != 0)
        options |= SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA;
    if (c->tickets == 0)
        options |= SSL_OP_NO_TICKET;
    SSL_CTX_set_options(ctx, options);
    // No partial writes: SSL_OUT retries a write with the same bytes, which
    // may have moved (a bucket read again) -- OpenSSL accepts that only with
    // ACCEPT_MOVING_WRITE_BUFFER. Idle connections keep no buffers.
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);

    int min = c->proto_min ? c->proto_min : TLS1_2_VERSION;
    int max = c->proto_max ? c->proto_max : TLS1_3_VERSION;
    SSL_CTX_set_min_proto_version(ctx, min);
    SSL_CTX_set_max_proto_version(ctx, max);
    const char* list = c->cipher_list.value ? c->cipher_list.value : default_cipher_list;
    if (SSL_CTX_set_cipher_list(ctx, list) != 1)
        return fail(p, s, c->cipher_list, "SSLCipherSuite %s: %s", list, ssl_error());
    if (c->ciphersuites.value && SSL_CTX_set_ciphersuites(ctx, c->ciphersuites.value) != 1)
        return fail(p, s, c->ciphersuites, "SSLCipherSuite TLSv1.3 %s: %s", c->ciphersuites.value,
                    ssl_error());
    if (min < TLS1_2_VERSION && SSL_CTX_get_security_level(ctx) > 0)
        x0_log_error(X0LOG(03003), X0_LOG_WARNING, 0, s,
                     "%s:%d: SSLProtocol allows %s, but OpenSSL refuses TLS 1.0 and 1.1 at "
                     "security level %d; add :@SECLEVEL=0 to SSLCipherSuite to allow them",
                     c->protocol.file, c->protocol.line,
                     min == TLS1_VERSION ? "TLSv1" : "TLSv1.1", SSL_CTX_get_security_level(ctx));
    SSL_CTX_set_dh_auto(ctx, 1);  // only used if SSLCipherSuite asks for DHE

    for (int i = 0; i < c->certs->nelts; ++i) {
        const conf_arg& cert = APR_ARRAY_IDX(c->certs, i, conf_arg);
        bool own_key = i < c->keys->nelts;
        const conf_arg& key = own_key ? APR_ARRAY_IDX(c->keys, i, conf_arg) : cert;
        if (const char* why = unreadable(cert.value))
            return fail(p, s, cert, "SSLCertificateFile %s: %s", cert.value, why);
        if (SSL_CTX_use_certificate_chain_file(ctx, cert.value) != 1)
            return fail(p, s, cert, "SSLCertificateFile %s: %s", cert.value, ssl_error());
        if (const char* why = unreadable(key.value))
            return fail(p, s, key, "SSLCertificateKeyFile %s: %s", key.value, why);
        bool encrypted;
        EVP_PKEY* pkey = load_key(key.value, &encrypted);
        if (!pkey && encrypted)
            return fail(p, s, key, "the private key in %s is encrypted (x0 has no pass phrase "
                        "dialog)", key.value);
        if (!pkey)
            return fail(p, s, key, own_key ? "SSLCertificateKeyFile %s: no private key: %s"
                                           : "SSLCertificateFile %s has no private key (%s): "
                                             "add SSLCertificateKeyFile",
                        key.value, ssl_error());
        int ok = SSL_CTX_use_PrivateKey(ctx, pkey);
        EVP_PKEY_free(pkey);
        if (ok != 1 || SSL_CTX_check_private_key(ctx) != 1)
            return fail(p, s, key, "the private key in %s does not match the certificate in %s",
                        key.value, cert.value);
    }

    if (c->ca.value) {
        if (const char* why = unreadable(c->ca.value))
            return fail(p, s, c->ca, "SSLCACertificateFile %s: %s", c->ca.value, why);
        STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(c->ca.value);
        if (!names || SSL_CTX_load_verify_locations(ctx, c->ca.value, nullptr) != 1) {
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            return fail(p, s, c->ca, "SSLCACertificateFile %s: no certificates: %s", c->ca.value,
                        ssl_error());
        }
        SSL_CTX_set_client_CA_list(ctx, names);  // the names sent in CertificateRequest
    }
    static const int verify_modes[] = {
        SSL_VERIFY_NONE, SSL_VERIFY_PEER, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT};
    int depth = c->verify_depth >= 0 ? c->verify_depth : default_verify_depth;
    SSL_CTX_set_verify(ctx, verify_modes[c->verify], nullptr);
    SSL_CTX_set_verify_depth(ctx, depth);

    // No server-side cache: tickets carry the sessions (docs/tls.md).
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_timeout(ctx, m->session_timeout > 0 ? m->session_timeout
                                                    : default_session_timeout);
    make_sid_ctx(p, c, min, max, list, depth);
    SSL_CTX_set_session_id_context(ctx, c->sid_ctx, c->sid_ctx_len);
    if (c->tickets != 0)
        tickets_use(ctx);
    else
        SSL_CTX_set_num_tickets(ctx, 0);  // TLS 1.3 would send tickets nothing can resume

    SSL_CTX_set_client_hello_cb(ctx, client_hello_cb, nullptr);
    SSL_CTX_set_tlsext_servername_callback(ctx, servername_cb);
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select_cb, nullptr);
    return X0_OK;
}

bool same(const char* a, const char* b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

} // namespace

/* ---- the module's functions ---- */

ssl_server_conf* server_conf(const x0_server_t* s)
{
    return static_cast<ssl_server_conf*>(x0_get_server_config(s, &ssl_module));
}

const char* parse_protocol(apr_pool_t* p, int argc, const char* const* argv, int* min, int* max)
{
    unsigned set = 0;  // bit i: protocol_versions[i]
    for (int i = 0; i < argc; ++i) {
        const char* word = argv[i];
        char action = (*word == '+' || *word == '-') ? *word++ : '\0';
        unsigned bits = 0;
        if (strcasecmp(word, "all") == 0) {
            bits = 0xf;
        } else if (strcasecmp(word, "SSLv2") == 0 || strcasecmp(word, "SSLv3") == 0) {
            if (action == '-')
                continue;
            return apr_psprintf(p, "SSLProtocol: %s is not supported", word);
        } else {
            for (unsigned v = 0; v < 4; ++v)
                if (strcasecmp(word, protocol_names[v]) == 0)
                    bits = 1u << v;
            if (!bits)
                return apr_psprintf(p, "SSLProtocol: unknown protocol '%s' (all, TLSv1, TLSv1.1, "
                                    "TLSv1.2, TLSv1.3, each with an optional + or -)", argv[i]);
        }
        // A bare name adds, as + does (httpd would replace what came before it).
        if (action == '-')
            set &= ~bits;
        else
            set |= bits;
    }
    if (set == 0)
        return "SSLProtocol: no protocol is left";
    int lo = __builtin_ctz(set);
    int hi = 31 - __builtin_clz(set);
    if (set != ((2u << hi) - (1u << lo)))
        return apr_psprintf(p, "SSLProtocol: OpenSSL takes a range of versions: %s and %s "
                            "without the ones between them is not possible",
                            protocol_names[lo], protocol_names[hi]);
    *min = protocol_versions[lo];
    *max = protocol_versions[hi];
    return nullptr;
}

bool tls_compatible(const ssl_server_conf* a, const ssl_server_conf* b)
{
    if (a == b)
        return true;
    if (a->engine != 1 || b->engine != 1 || a->sid_ctx_len != b->sid_ctx_len ||
        memcmp(a->sid_ctx, b->sid_ctx, a->sid_ctx_len) != 0 ||
        a->certs->nelts != b->certs->nelts)
        return false;
    for (int i = 0; i < a->certs->nelts; ++i)
        if (!same(APR_ARRAY_IDX(a->certs, i, conf_arg).value,
                  APR_ARRAY_IDX(b->certs, i, conf_arg).value))
            return false;
    return true;
}

const x0_directive_t directives[] = {
    {"SSLEngine", set_engine, 1, 1, X0_CONF_SERVERS, "on|off"},
    {"SSLCertificateFile", add_cert_or_key, 1, 1, X0_CONF_SERVERS,
     "a PEM file: the certificate, then its chain"},
    {"SSLCertificateKeyFile", add_cert_or_key, 1, 1, X0_CONF_SERVERS,
     "a PEM file with the private key (without a pass phrase)"},
    {"SSLCACertificateFile", set_ca, 1, 1, X0_CONF_SERVERS,
     "a PEM file with the CA certificates client certificates are verified against"},
    {"SSLProtocol", set_protocol, 1, -1, X0_CONF_SERVERS,
     "[+|-]protocol ...: all, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3"},
    {"SSLCipherSuite", set_cipher_suite, 1, 2, X0_CONF_SERVERS,
     "[SSL|TLSv1.3] an OpenSSL cipher list"},
    {"SSLHonorCipherOrder", set_honor_order, 1, 1, X0_CONF_SERVERS, "on|off"},
    {"SSLSessionTickets", set_tickets, 1, 1, X0_CONF_SERVERS, "on|off"},
    {"SSLSessionTicketKeyFile", set_ticket_key_file, 1, 1, X0_CONF_SERVERS,
     "a file of 48 or 80 random bytes"},
    {"SSLSessionCache", set_session_cache, 1, 1, X0_CONF_SERVER,
     "none|nonenotnull|shmcb:PATH(SIZE)|dbm:PATH (sessions resume by tickets)"},
    {"SSLSessionCacheTimeout", set_session_timeout, 1, 1, X0_CONF_SERVER,
     "seconds a session (ticket) stays valid"},
    {"SSLVerifyClient", set_verify_client, 1, 1, X0_CONF_SERVERS, "none|optional|require"},
    {"SSLVerifyDepth", set_verify_depth, 1, 1, X0_CONF_SERVERS, "the number of CA certificates"},
    {nullptr, nullptr, 0, 0, 0, nullptr},
};

void* create_server_config(apr_pool_t* p, x0_server_t*)
{
    auto* c = static_cast<ssl_server_conf*>(apr_pcalloc(p, sizeof(ssl_server_conf)));
    c->engine = -1;
    c->certs = apr_array_make(p, 1, sizeof(conf_arg));
    c->keys = apr_array_make(p, 1, sizeof(conf_arg));
    c->honor_order = -1;
    c->tickets = -1;
    c->verify = verify_unset;
    c->verify_depth = -1;
    c->session_timeout = -1;
    return c;
}

void* merge_server_config(apr_pool_t* p, void* base_v, void* add_v)
{
    const auto* base = static_cast<const ssl_server_conf*>(base_v);
    const auto* add = static_cast<const ssl_server_conf*>(add_v);
    auto* c = static_cast<ssl_server_conf*>(apr_palloc(p, sizeof(ssl_server_conf)));
    *c = *add;
    if (c->engine < 0) {
        c->engine = base->engine;
        c->engine_at = base->engine_at;
    }
    // Keys go with their certificates: a vhost with its own certificate
    // and no key file has the key in the certificate's file.
    if (add->certs->nelts == 0) {
        c->certs = base->certs;
        if (add->keys->nelts == 0)
            c->keys = base->keys;
    }
    if (!c->ca.value)
        c->ca = base->ca;
    if (!c->proto_min) {
        c->proto_min = base->proto_min;
        c->proto_max = base->proto_max;
        c->protocol = base->protocol;
    }
    if (!c->cipher_list.value)
        c->cipher_list = base->cipher_list;
    if (!c->ciphersuites.value)
        c->ciphersuites = base->ciphersuites;
    if (c->honor_order < 0)
        c->honor_order = base->honor_order;
    if (c->tickets < 0)
        c->tickets = base->tickets;
    if (c->verify == verify_unset) {
        c->verify = base->verify;
        c->verify_at = base->verify_at;
    }
    if (c->verify_depth < 0)
        c->verify_depth = base->verify_depth;
    if (!c->ticket_key_file.value)
        c->ticket_key_file = base->ticket_key_file;
    // Main server only; copied so that every server reads the same.
    c->session_cache = base->session_cache;
    c->session_timeout = base->session_timeout;
    c->ctx = nullptr;
    c->sid_ctx_len = 0;
    return c;
}

int post_config(apr_pool_t* pconf, x0_server_t* main_server)
{
    const ssl_server_conf* m = server_conf(main_server);
    bool any = false;
    for (x0_server_t* s = main_server; s && !any; s = s->next)
        any = server_conf(s)->engine == 1;
    if (!any)
        return X0_OK;
    // One ticket secret for all servers: after SNI, the first server's
    // context decrypts the tickets of another (ssl_tickets.cc). It is set
    // here, in the master, so that every worker has it.
    const conf_arg* key_file = nullptr;
    for (x0_server_t* s = main_server; s; s = s->next) {
        const conf_arg& k = server_conf(s)->ticket_key_file;
        if (server_conf(s)->engine != 1 || !k.value)
            continue;
        if (!key_file)
            key_file = &k;
        else if (strcmp(k.value, key_file->value) != 0)
            return fail(pconf, s, k, "SSLSessionTicketKeyFile %s: x0 has one ticket key for "
                        "all virtual hosts, and %s:%d names %s", k.value, key_file->file,
                        key_file->line, key_file->value);
    }
    if (const char* err = tickets_init(pconf, key_file ? key_file->value : nullptr))
        return fail(pconf, main_server, key_file ? *key_file : conf_arg{},
                    "SSLSessionTicketKeyFile: %s", err);
    const char* cache = m->session_cache.value;
    if (cache && strncasecmp(cache, "none", 4) != 0)
        x0_log_error(X0LOG(03004), X0_LOG_NOTICE, 0, main_server,
                     "%s:%d: SSLSessionCache %s: x0 keeps no session cache; TLS sessions "
                     "resume by session tickets, whose keys all workers share",
                     m->session_cache.file, m->session_cache.line, cache);
    for (x0_server_t* s = main_server; s; s = s->next) {
        ssl_server_conf* c = server_conf(s);
        if (c->engine != 1)
            continue;
        int rv = build_ctx(pconf, s, c, m);
        if (rv != X0_OK)
            return rv;
    }
    return X0_OK;
}

} // namespace x0ssl
