/*
 * mod_ssl's configuration: SSLProtocol, the directives' checks, the
 * FILE:LINE: errors of post_config, and handshakes in memory (a BIO pair)
 * against the SSL_CTXs post_config builds: ALPN, SNI, client verification,
 * and session tickets across contexts, key rotation and a restart.
 */
#include <CppUTest/TestHarness.h>

#include <apr_strings.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <string>
#include <unistd.h>
#include <vector>

#include "x0/log.h"
#include "mod_ssl/ssl_config.h"
#include "modules/mod_ssl/test_cert.h"
#include "mod_ssl/ssl_conn.h"
#include "mod_ssl/ssl_tickets.h"

namespace {

using x0test::make_cert;

char dir[64];                          // this test's certificates
time_t fake_now;
time_t fake_clock() { return fake_now; }

/** The test's vhost table for x0ssl::server_lookup. */
x0_server_t* lookup_table[8];
int lookup_count;
x0_server_t* test_lookup(const x0_conn_t* c, const char* name)
{
    for (int i = 0; i < lookup_count; ++i)
        if (strcmp(lookup_table[i]->server_name, name) == 0)
            return lookup_table[i];
    return c->base_server;
}

struct handshake_result {
    bool ok;
    bool reused;
    std::string version;
    std::string peer_cn;     // the server certificate the client got
    std::string alpn;
    SSL_SESSION* session;    // the client's, for the next connection; owned by the caller
};

} // namespace

TEST_GROUP(ssl_config)
{
    apr_pool_t* pool = nullptr;
    x0_server_t* main_server = nullptr;
    x0_server_t* last = nullptr;

    void setup() override
    {
        strcpy(dir, "/tmp/x0_ssl_config_test_XXXXXX");
        CHECK(mkdtemp(dir) != nullptr);
        make_cert(dir, "a");
        make_cert(dir, "b");
        make_cert(dir, "locked", true);
        ssl_module.module_index = 0;
        apr_pool_create(&pool, nullptr);
        main_server = last = new_server("main", false);
        x0ssl::server_lookup = test_lookup;
        x0ssl::ticket_clock = fake_clock;
        fake_now = 1700000000;
        lookup_count = 0;
    }

    void teardown() override
    {
        x0ssl::server_lookup = x0_server_for_name;
        lookup_count = 0;
        apr_pool_destroy(pool);  // frees the SSL_CTXs
        ERR_clear_error();
        std::filesystem::remove_all(dir);
    }

    x0_server_t* new_server(const char* name, bool is_virtual)
    {
        auto* s = static_cast<x0_server_t*>(apr_pcalloc(pool, sizeof(x0_server_t)));
        s->pool = pool;
        s->server_name = name;
        s->is_virtual = is_virtual;
        s->defn_file = "test.conf";
        s->log_level = X0_LOG_WARNING;
        s->module_config = static_cast<x0_config_vector_t*>(apr_pcalloc(pool, sizeof(void*)));
        s->module_config[0] = x0ssl::create_server_config(pool, s);
        return s;
    }

    /** A <VirtualHost> after the others; merge it with finish(). */
    x0_server_t* vhost(const char* name)
    {
        x0_server_t* v = new_server(name, true);
        last->next = v;
        last = v;
        lookup_table[lookup_count++] = v;
        return v;
    }

    /** `NAME ARGS` at @a line of server @a s; returns the directive's error or NULL. */
    const char* directive(x0_server_t* s, int line, const char* name,
                          std::vector<const char*> args)
    {
        const x0_directive_t* d = x0ssl::directives;
        while (d->name && strcmp(d->name, name) != 0)
            ++d;
        CHECK(d->name != nullptr);
        x0_cmd_parms_t cmd{};
        cmd.server = s;
        cmd.pool = pool;
        cmd.temp_pool = pool;
        cmd.file = "test.conf";
        cmd.line = line;
        cmd.directive = d;
        cmd.context = s->is_virtual ? X0_CONF_VHOST : X0_CONF_SERVER;
        args.push_back(nullptr);
        return d->fn(&cmd, nullptr, static_cast<int>(args.size() - 1), args.data());
    }

    void ok(x0_server_t* s, int line, const char* name, std::vector<const char*> args)
    {
        const char* err = directive(s, line, name, args);
        if (err)
            FAIL(err);
    }

    std::string path(const std::string& file) { return std::string(dir) + "/" + file; }

    /** Merge each vhost over the main server, as the config reader does. */
    void finish()
    {
        for (x0_server_t* v = main_server->next; v; v = v->next)
            v->module_config[0] = x0ssl::merge_server_config(pool, main_server->module_config[0],
                                                            v->module_config[0]);
    }

    /** post_config with its log captured: returns what it wrote to stderr. */
    std::string post_config(int* rv)
    {
        finish();
        char tmpl[] = "/tmp/x0_ssl_stderr_XXXXXX";
        int fd = mkstemp(tmpl);
        fflush(stderr);
        int saved = dup(STDERR_FILENO);
        dup2(fd, STDERR_FILENO);
        *rv = x0ssl::post_config(pool, main_server);
        dup2(saved, STDERR_FILENO);
        close(saved);
        close(fd);
        std::ifstream in(tmpl);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        unlink(tmpl);
        return text;
    }

    void post_config_ok()
    {
        int rv;
        std::string log = post_config(&rv);
        if (rv != X0_OK)
            FAIL(log.c_str());
    }

    /** post_config fails and says @a message. */
    void post_config_fails(const std::string& message)
    {
        int rv;
        std::string log = post_config(&rv);
        LONGS_EQUAL(500, rv);
        if (log.find(message) == std::string::npos)
            FAIL((log + " does not say: " + message).c_str());
    }

    /** A TLS server with certificate @a cn on the main server. */
    void tls_main(const char* cn)
    {
        ok(main_server, 1, "SSLEngine", {"on"});
        ok(main_server, 2, "SSLCertificateFile", {path(std::string(cn) + ".crt").c_str()});
        ok(main_server, 3, "SSLCertificateKeyFile", {path(std::string(cn) + ".key").c_str()});
    }

    /**
     * A connection in memory to server @a s (the address's default): the
     * client sends @a sni, offers @a alpn (wire format), allows versions up
     * to @a max_version, resumes @a session if given and presents
     * certificate @a client_cn if given.
     */
    handshake_result connect(x0_server_t* s, const char* sni = nullptr,
                             SSL_SESSION* session = nullptr, const char* alpn = nullptr,
                             unsigned alpn_len = 0, int max_version = 0,
                             const char* client_cn = nullptr)
    {
        handshake_result res{};
        SSL_CTX* cctx = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_min_proto_version(cctx, TLS1_VERSION);
        if (max_version)
            SSL_CTX_set_max_proto_version(cctx, max_version);
        if (client_cn) {
            std::string c = client_cn;
            SSL_CTX_use_certificate_file(cctx, path(c + ".crt").c_str(), SSL_FILETYPE_PEM);
            SSL_CTX_use_PrivateKey_file(cctx, path(c + ".key").c_str(), SSL_FILETYPE_PEM);
        }
        SSL* client = SSL_new(cctx);
        SSL* server = SSL_new(x0ssl::server_conf(s)->ctx);
        x0_conn_t conn{};
        conn.base_server = s;
        x0ssl::ssl_conn sc{};
        sc.ssl = server;
        sc.c = &conn;
        sc.server = s;
        SSL_set_app_data(server, &sc);
        BIO *b1, *b2;
        BIO_new_bio_pair(&b1, 0, &b2, 0);
        SSL_set_bio(client, b1, b1);
        SSL_set_bio(server, b2, b2);
        if (sni)
            SSL_set_tlsext_host_name(client, sni);
        if (alpn)
            SSL_set_alpn_protos(client, reinterpret_cast<const unsigned char*>(alpn), alpn_len);
        if (session)
            SSL_set_session(client, session);
        SSL_set_connect_state(client);
        SSL_set_accept_state(server);
        for (int i = 0; i < 20 && !res.ok; ++i) {
            int a = SSL_do_handshake(client);
            int b = SSL_do_handshake(server);
            if (a == 1 && b == 1)
                res.ok = true;
            else if ((a != 1 && SSL_get_error(client, a) != SSL_ERROR_WANT_READ) ||
                     (b != 1 && SSL_get_error(server, b) != SSL_ERROR_WANT_READ))
                break;
        }
        if (res.ok) {
            // TLS 1.3 tickets follow the handshake: let the client read them.
            char byte;
            SSL_write(server, "x", 1);
            SSL_read(client, &byte, 1);
            res.reused = SSL_session_reused(server);
            res.version = SSL_get_version(server);
            if (X509* peer = SSL_get1_peer_certificate(client)) {
                char cn[64] = "";
                X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn,
                                          sizeof cn);
                res.peer_cn = cn;
                X509_free(peer);
            }
            const unsigned char* proto;
            unsigned int len;
            SSL_get0_alpn_selected(server, &proto, &len);
            res.alpn.assign(reinterpret_cast<const char*>(proto), len);
            res.session = SSL_get1_session(client);
            if (sni) {
                CHECK(sc.sni != nullptr);
                STRCMP_EQUAL(sni, sc.sni);
            }
            // The handshake's server, as check_request sees it.
            if (sc.server != s)
                res.peer_cn += "@" + std::string(sc.server->server_name);
        }
        free(const_cast<char*>(sc.sni));
        // A client that goes without close_notify marks its session not resumable.
        if (res.ok)
            SSL_shutdown(client);
        SSL_free(client);
        SSL_free(server);
        SSL_CTX_free(cctx);
        ERR_clear_error();
        return res;
    }
};

/* ---- SSLProtocol ---- */

TEST(ssl_config, protocol_syntax_of_httpd)
{
    struct {
        const char* line;
        int min, max;
    } cases[] = {
        {"all -SSLv3 -TLSv1 -TLSv1.1", TLS1_2_VERSION, TLS1_3_VERSION},
        {"+TLSv1.2 +TLSv1.3", TLS1_2_VERSION, TLS1_3_VERSION},
        {"TLSv1.2", TLS1_2_VERSION, TLS1_2_VERSION},
        {"-all +TLSv1.3", TLS1_3_VERSION, TLS1_3_VERSION},
        {"all", TLS1_VERSION, TLS1_3_VERSION},
        {"-SSLv2 -SSLv3 TLSv1.2 TLSv1.3", TLS1_2_VERSION, TLS1_3_VERSION},
        {"tlsv1.1 +TLSv1.2", TLS1_1_VERSION, TLS1_2_VERSION},
    };
    for (const auto& c : cases) {
        std::vector<const char*> argv;
        char* last;
        for (char* w = apr_strtok(apr_pstrdup(pool, c.line), " ", &last); w;
             w = apr_strtok(nullptr, " ", &last))
            argv.push_back(w);
        int min = 0, max = 0;
        const char* err = x0ssl::parse_protocol(pool, static_cast<int>(argv.size()), argv.data(),
                                                &min, &max);
        if (err)
            FAIL(err);
        LONGS_EQUAL_TEXT(c.min, min, c.line);
        LONGS_EQUAL_TEXT(c.max, max, c.line);
    }
}

TEST(ssl_config, protocol_errors)
{
    STRCMP_EQUAL("SSLProtocol: SSLv3 is not supported",
                 directive(main_server, 1, "SSLProtocol", {"all", "SSLv3"}));
    STRCMP_EQUAL("SSLProtocol: SSLv2 is not supported",
                 directive(main_server, 1, "SSLProtocol", {"+SSLv2"}));
    STRCMP_EQUAL("SSLProtocol: no protocol is left",
                 directive(main_server, 1, "SSLProtocol", {"-all"}));
    CHECK(strstr(directive(main_server, 1, "SSLProtocol", {"TLSv1", "TLSv1.3"}),
                 "TLSv1 and TLSv1.3 without the ones between them"));
    CHECK(strstr(directive(main_server, 1, "SSLProtocol", {"TLSv1.4"}), "unknown protocol"));
}

/* ---- directives that fail at once (so `x0d -t` reports them) ---- */

TEST(ssl_config, directive_errors)
{
    CHECK(strstr(directive(main_server, 1, "SSLCertificateFile", {"/nonexistent.pem"}),
                 "SSLCertificateFile: file '/nonexistent.pem' does not exist or is empty"));
    CHECK(strstr(directive(main_server, 1, "SSLCipherSuite", {"NOSUCHCIPHER"}),
                 "finds no TLSv1.2 cipher"));
    CHECK(strstr(directive(main_server, 1, "SSLCipherSuite", {"TLSv1.3", "TLS_AES_999_GCM"}),
                 "'TLS_AES_999_GCM' is not a TLSv1.3 cipher suite"));
    CHECK(strstr(directive(main_server, 1, "SSLCipherSuite", {"TLSv1.2", "HIGH"}),
                 "protocol 'TLSv1.2' is not SSL"));
    CHECK(directive(main_server, 1, "SSLVerifyClient", {"optional_no_ca"}) != nullptr);
    CHECK(directive(main_server, 1, "SSLSessionCache", {"memcached:x"}) != nullptr);
    std::ofstream(path("short.key")) << "0123456789";
    CHECK(strstr(directive(main_server, 1, "SSLSessionTicketKeyFile",
                           {path("short.key").c_str()}), "must hold 48 or 80 bytes"));
    for (const char* cache : {"none", "nonenotnull", "shmcb:logs/ssl_scache(512000)", "dbm:x"})
        ok(main_server, 1, "SSLSessionCache", {cache});
    ok(main_server, 1, "SSLCipherSuite", {"TLSv1.3", "TLS_AES_256_GCM_SHA384"});
    ok(main_server, 1, "SSLCipherSuite", {"HIGH:!aNULL"});
}

/* ---- post_config: FILE:LINE: errors ---- */

TEST(ssl_config, engine_without_certificate)
{
    x0_server_t* v = vhost("b");
    ok(v, 7, "SSLEngine", {"on"});
    post_config_fails("test.conf:7: SSLEngine on, but the virtual host at test.conf:0 has no "
                      "SSLCertificateFile");
}

TEST(ssl_config, key_that_does_not_match)
{
    ok(main_server, 1, "SSLEngine", {"on"});
    ok(main_server, 2, "SSLCertificateFile", {path("a.crt").c_str()});
    ok(main_server, 3, "SSLCertificateKeyFile", {path("b.key").c_str()});
    post_config_fails("test.conf:3: the private key in " + path("b.key") +
                      " does not match the certificate in " + path("a.crt"));
}

TEST(ssl_config, encrypted_key)
{
    ok(main_server, 1, "SSLEngine", {"on"});
    ok(main_server, 2, "SSLCertificateFile", {path("locked.crt").c_str()});
    ok(main_server, 3, "SSLCertificateKeyFile", {path("locked.key").c_str()});
    post_config_fails("test.conf:3: the private key in " + path("locked.key") +
                      " is encrypted (x0 has no pass phrase dialog)");
}

TEST(ssl_config, certificate_without_key)
{
    ok(main_server, 1, "SSLEngine", {"on"});
    ok(main_server, 2, "SSLCertificateFile", {path("a.crt").c_str()});
    post_config_fails("test.conf:2: SSLCertificateFile " + path("a.crt") + " has no private key");
}

TEST(ssl_config, verify_without_ca)
{
    tls_main("a");
    ok(main_server, 4, "SSLVerifyClient", {"require"});
    post_config_fails("test.conf:4: SSLVerifyClient require needs SSLCACertificateFile");
}

TEST(ssl_config, one_ticket_key_file_for_all_hosts)
{
    for (const char* name : {"k1", "k2"}) {
        std::ofstream out(path(name), std::ios::binary);
        out << std::string(48, name[1]);
    }
    tls_main("a");
    ok(main_server, 4, "SSLSessionTicketKeyFile", {path("k1").c_str()});
    x0_server_t* v = vhost("b.test");
    ok(v, 9, "SSLSessionTicketKeyFile", {path("k2").c_str()});
    post_config_fails("test.conf:9: SSLSessionTicketKeyFile " + path("k2") +
                      ": x0 has one ticket key for all virtual hosts, and test.conf:4 names " +
                      path("k1"));
}

TEST(ssl_config, nothing_to_do_without_engine)
{
    ok(main_server, 1, "SSLCertificateFile", {path("a.crt").c_str()});
    post_config_ok();
    CHECK(x0ssl::server_conf(main_server)->ctx == nullptr);
}

/* ---- handshakes ---- */

TEST(ssl_config, defaults_and_alpn)
{
    tls_main("a");
    post_config_ok();
    handshake_result r = connect(main_server, nullptr, nullptr, "\x02h2\x08http/1.1", 12);
    CHECK(r.ok);
    STRCMP_EQUAL("TLSv1.3", r.version.c_str());
    STRCMP_EQUAL("a", r.peer_cn.c_str());
    STRCMP_EQUAL("http/1.1", r.alpn.c_str());
    SSL_SESSION_free(r.session);
    // h2 alone: no ALPN, the handshake goes on.
    r = connect(main_server, nullptr, nullptr, "\x02h2", 3);
    CHECK(r.ok);
    STRCMP_EQUAL("", r.alpn.c_str());
    SSL_SESSION_free(r.session);
    // TLS 1.2 with the default (forward-secret AEAD) ciphers.
    r = connect(main_server, nullptr, nullptr, nullptr, 0, TLS1_2_VERSION);
    CHECK(r.ok);
    STRCMP_EQUAL("TLSv1.2", r.version.c_str());
    SSL_SESSION_free(r.session);
    // TLS 1.1 is off by default.
    CHECK(!connect(main_server, nullptr, nullptr, nullptr, 0, TLS1_1_VERSION).ok);
}

TEST(ssl_config, sni_picks_the_virtual_host_and_its_protocols)
{
    x0_server_t* a = vhost("a.test");
    ok(a, 1, "SSLEngine", {"on"});
    ok(a, 2, "SSLCertificateFile", {path("a.crt").c_str()});
    ok(a, 3, "SSLCertificateKeyFile", {path("a.key").c_str()});
    x0_server_t* b = vhost("b.test");
    ok(b, 4, "SSLEngine", {"on"});
    ok(b, 5, "SSLCertificateFile", {path("b.crt").c_str()});
    ok(b, 6, "SSLCertificateKeyFile", {path("b.key").c_str()});
    ok(b, 7, "SSLProtocol", {"TLSv1.2"});
    x0_server_t* alias = vhost("alias.test");  // a's certificate and policy
    ok(alias, 8, "SSLEngine", {"on"});
    ok(alias, 9, "SSLCertificateFile", {path("a.crt").c_str()});
    ok(alias, 10, "SSLCertificateKeyFile", {path("a.key").c_str()});
    post_config_ok();
    CHECK(x0ssl::tls_compatible(x0ssl::server_conf(a), x0ssl::server_conf(alias)));
    handshake_result r = connect(a, "b.test");
    CHECK(r.ok);
    STRCMP_EQUAL("b@b.test", r.peer_cn.c_str());
    STRCMP_EQUAL("TLSv1.2", r.version.c_str());  // b's SSLProtocol, not a's
    SSL_SESSION_free(r.session);
    r = connect(a, "unknown.test");  // no match: the address's default
    CHECK(r.ok);
    STRCMP_EQUAL("a", r.peer_cn.c_str());
    STRCMP_EQUAL("TLSv1.3", r.version.c_str());
    SSL_SESSION_free(r.session);
    CHECK(!x0ssl::tls_compatible(x0ssl::server_conf(a), x0ssl::server_conf(b)));
}

TEST(ssl_config, client_verification_per_virtual_host)
{
    x0_server_t* a = vhost("a.test");
    ok(a, 1, "SSLEngine", {"on"});
    ok(a, 2, "SSLCertificateFile", {path("a.crt").c_str()});
    ok(a, 3, "SSLCertificateKeyFile", {path("a.key").c_str()});
    x0_server_t* b = vhost("b.test");
    ok(b, 4, "SSLEngine", {"on"});
    ok(b, 5, "SSLCertificateFile", {path("b.crt").c_str()});
    ok(b, 6, "SSLCertificateKeyFile", {path("b.key").c_str()});
    ok(b, 7, "SSLVerifyClient", {"require"});
    ok(b, 8, "SSLCACertificateFile", {path("a.crt").c_str()});
    post_config_ok();
    CHECK(!connect(a, "b.test").ok);  // no client certificate
    handshake_result r = connect(a, "b.test", nullptr, nullptr, 0, 0, "a");
    CHECK(r.ok);
    SSL_SESSION_free(r.session);
    // A session made on a (no verification) does not resume on b.
    handshake_result first = connect(a, "a.test");
    CHECK(first.ok);
    CHECK(!connect(a, "b.test", first.session).ok);
    SSL_SESSION_free(first.session);
}

TEST(ssl_config, tickets_resume_across_hosts_rotation_and_restart)
{
    std::string key_file = path("ticket.key");
    {
        std::ofstream out(key_file, std::ios::binary);
        for (int i = 0; i < 48; ++i)
            out.put(static_cast<char>(i * 7));
    }
    ok(main_server, 1, "SSLSessionTicketKeyFile", {key_file.c_str()});
    x0_server_t* a = vhost("a.test");
    ok(a, 2, "SSLEngine", {"on"});
    ok(a, 3, "SSLCertificateFile", {path("a.crt").c_str()});
    ok(a, 4, "SSLCertificateKeyFile", {path("a.key").c_str()});
    x0_server_t* b = vhost("b.test");
    ok(b, 5, "SSLEngine", {"on"});
    ok(b, 6, "SSLCertificateFile", {path("b.crt").c_str()});
    ok(b, 7, "SSLCertificateKeyFile", {path("b.key").c_str()});
    ok(b, 8, "SSLVerifyClient", {"none"});  // the default, said: the same policy
    post_config_ok();
    CHECK(!x0ssl::tls_compatible(x0ssl::server_conf(a), x0ssl::server_conf(b)));  // certificates

    for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
        handshake_result first = connect(a, "a.test", nullptr, nullptr, 0, version);
        CHECK(first.ok);
        CHECK(!first.reused);
        // Another virtual host with the same TLS policy: resumed.
        handshake_result r = connect(a, "b.test", first.session, nullptr, 0, version);
        CHECK(r.ok);
        LONGS_EQUAL_TEXT(1, r.reused, r.version.c_str());
        SSL_SESSION_free(r.session);
        // Keys of the previous epoch still decrypt (and the ticket is renewed) ...
        fake_now += x0ssl::ticket_epoch_seconds;
        r = connect(a, "a.test", first.session, nullptr, 0, version);
        CHECK(r.reused);
        SSL_SESSION_free(r.session);
        // ... two epochs later they are gone.
        fake_now += x0ssl::ticket_epoch_seconds;
        r = connect(a, "a.test", first.session, nullptr, 0, version);
        CHECK(r.ok);
        CHECK(!r.reused);
        SSL_SESSION_free(r.session);
        SSL_SESSION_free(first.session);
    }

    // A restart: new contexts (as in a new master), the same key file.
    handshake_result first = connect(a, "a.test");
    apr_pool_t* old = pool;
    apr_pool_create(&pool, nullptr);
    main_server = last = new_server("main", false);
    lookup_count = 0;
    ok(main_server, 1, "SSLSessionTicketKeyFile", {key_file.c_str()});
    tls_main("a");
    post_config_ok();
    handshake_result r = connect(main_server, "a.test", first.session);
    CHECK(r.reused);
    SSL_SESSION_free(r.session);
    SSL_SESSION_free(first.session);
    apr_pool_destroy(old);
}

TEST(ssl_config, tickets_off)
{
    tls_main("a");
    ok(main_server, 4, "SSLSessionTickets", {"off"});
    post_config_ok();
    for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
        handshake_result first = connect(main_server, nullptr, nullptr, nullptr, 0, version);
        CHECK(first.ok);
        handshake_result r = connect(main_server, nullptr, first.session, nullptr, 0, version);
        CHECK(r.ok);
        CHECK(!r.reused);
        SSL_SESSION_free(r.session);
        SSL_SESSION_free(first.session);
    }
}

TEST(ssl_config, ticket_keys_depend_on_epoch_and_secret_only)
{
    x0ssl::ticket_key k1, k2, k3;
    x0ssl::ticket_key_for(100, &k1);
    x0ssl::ticket_key_for(100, &k2);
    x0ssl::ticket_key_for(101, &k3);
    MEMCMP_EQUAL(&k1, &k2, sizeof k1);
    CHECK(memcmp(k1.name, k3.name, sizeof k1.name) != 0);
    CHECK(memcmp(k1.aes, k3.aes, sizeof k1.aes) != 0);
    CHECK(memcmp(k1.hmac, k1.aes, sizeof k1.aes) != 0);
}
