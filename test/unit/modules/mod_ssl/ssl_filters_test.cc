/*
 * SSL_IN and SSL_OUT in the real connection state machine: a configuration
 * with mod_ssl and a <VirtualHost> with SSLEngine on (a P-256 certificate
 * made for the test), so that mod_ssl's own hooks open the TLS session and
 * put the filter pair in the chain, and its post_config builds the SSL_CTX.
 * The connection runs over a socketpair (conn_harness.h); the client is
 * OpenSSL in memory BIOs, driven by the test between turns of the loop:
 * what it wrote goes on the socket when the test says so (all of it after
 * each turn by default, or a few bytes at a time), and it takes at most
 * read_per_turn bytes of ciphertext off the socket after each turn.
 *
 * The test module ("ssltest") answers /small (6 bytes), /big (a patterned
 * body passed in pieces, flow-controlled), /file (a file bucket) and
 * /upload (POST: reads the body; answers how much came, or sends a body of
 * n bytes first and reads after).
 */
#include <CppUTest/TestHarness.h>

#include <algorithm>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

#include "src/conn_harness.h"
#include "connection.h"
#include "core_output.h"
#include "hooks.h"
#include "modules.h"
#include "request.h"
#include "x0/http.h"
#include "x0/module.h"
#include "mod_ssl/ssl_config.h"
#include "modules/mod_ssl/test_cert.h"
#include "mod_ssl/ssl_filters.h"

namespace {

extern x0_module_t ssltest_module;

/* ---- what the tests set, and what the module saw ---- */

struct knobs {
    /** The first pre_connection passes a greeting down SSL_OUT, before any handshake. */
    bool greet;
};
knobs cfg;

struct tallies {
    int pre_connection;
    const char* chain[4];           /**< SSL_OUT, CORE_OUT, SSL_IN, CORE_IN after pre_connection */
    apr_status_t greet_status;      /**< what passing the greeting answered */
    x0::wait_for greet_output_waits;  /**< ... and what the output then waited for */
    int requests;                   /**< handler runs */
    char protocol[16];              /**< SSL_PROTOCOL of the last request (check_request) */
    int stops;                      /**< /big was told X0_FLOW_STOP */
    apr_off_t body_bytes;           /**< request body /upload read */
    int upload_reads_waiting;       /**< /upload's reads that found nothing */
    int uploads_done;
    apr_status_t upload_error;
};
tallies t;

/** A file of the patterned body, for /file. */
char file_path[64];

/** What the client heard from the server (SSL_set_msg_callback). */
struct heard_t {
    int server_hellos;
    int key_updates;
    int alerts;
    int alert_level;                /**< of the last alert */
    int alert_desc;
};
heard_t heard;

/* ---- the handler ---- */

using x0test::arg_value;
using x0test::big_body;
using x0test::big_send;
using x0test::pattern;
using x0test::pattern_bucket;

void count_stop(x0_request_t*)
{
    ++t.stops;
}

void big_resume(x0_request_t* r)
{
    if (big_send(r, static_cast<big_body*>(r->handler_ctx)))
        x0_request_finished(r);
}

struct upload {
    apr_bucket_brigade* bb;
    bool answered;   /**< the response went down before the body was read */
};

/** Read the body as far as it has come; true at its end (or an error). */
bool upload_read(x0_request_t* r, upload* u)
{
    for (;;) {
        apr_status_t rv = x0_get_brigade(r->input_filters, u->bb, X0_MODE_READBYTES, 0);
        if (APR_STATUS_IS_EAGAIN(rv)) {
            ++t.upload_reads_waiting;
            return false;
        }
        if (rv != APR_SUCCESS) {
            t.upload_error = rv;
            apr_brigade_cleanup(u->bb);
            return true;
        }
        bool eos = false;
        for (apr_bucket* b = APR_BRIGADE_FIRST(u->bb); b != APR_BRIGADE_SENTINEL(u->bb);
             b = APR_BUCKET_NEXT(b)) {
            if (APR_BUCKET_IS_EOS(b))
                eos = true;
            else
                t.body_bytes += static_cast<apr_off_t>(b->length);  // heap buckets
        }
        apr_brigade_cleanup(u->bb);
        if (eos)
            return true;
    }
}

/** The body is in: say how much came, unless the answer went first. */
void upload_answer(x0_request_t* r, upload* u)
{
    ++t.uploads_done;
    if (u->answered)
        return;
    const char* text = apr_psprintf(r->pool, "got %" APR_OFF_T_FMT "\n", t.body_bytes);
    apr_size_t n = strlen(text);
    r->content_type = "text/plain";
    x0_set_content_length(r, static_cast<apr_off_t>(n));
    APR_BRIGADE_INSERT_TAIL(u->bb, apr_bucket_heap_create(text, n, nullptr, u->bb->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(u->bb, apr_bucket_eos_create(u->bb->bucket_alloc));
    x0_pass_brigade(r->output_filters, u->bb);
    apr_brigade_cleanup(u->bb);
}

void upload_resume(x0_request_t* r)
{
    auto* u = static_cast<upload*>(r->handler_ctx);
    if (upload_read(r, u)) {
        upload_answer(r, u);
        x0_request_finished(r);
    }
}

int ssltest_handler(x0_request_t* r)
{
    if (!r->path)
        return X0_DECLINED;
    ++t.requests;
    if (r->notes && apr_table_get(r->notes, "SSL_PROTOCOL"))
        apr_cpystrn(t.protocol, apr_table_get(r->notes, "SSL_PROTOCOL"), sizeof t.protocol);
    apr_bucket_alloc_t* ba = r->connection->bucket_alloc;
    if (strcmp(r->path, "/small") == 0) {
        r->content_type = "text/plain";
        x0_set_content_length(r, 6);
        apr_bucket_brigade* bb = apr_brigade_create(r->pool, ba);
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_immortal_create("hello\n", 6, ba));
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba));
        x0_pass_brigade(r->output_filters, bb);  // X0_FLOW_STOP: the connection waits
        return X0_OK;
    }
    if (strcmp(r->path, "/big") == 0) {
        auto* st = static_cast<big_body*>(apr_pcalloc(r->pool, sizeof(big_body)));
        st->total = arg_value(r->args, "n", 1000);
        st->piece = static_cast<apr_size_t>(arg_value(r->args, "piece", 8192));
        st->on_stop = count_stop;
        st->bb = apr_brigade_create(r->pool, ba);
        r->content_type = "application/octet-stream";
        x0_set_content_length(r, st->total);
        r->handler_ctx = st;
        if (big_send(r, st))
            return X0_OK;
        r->resume = big_resume;
        return X0_SUSPENDED;
    }
    if (strcmp(r->path, "/file") == 0) {
        apr_file_t* f;
        if (apr_file_open(&f, file_path, APR_FOPEN_READ, 0, r->pool) != APR_SUCCESS)
            return 500;
        apr_off_t n = arg_value(r->args, "n", 0);
        r->content_type = "application/octet-stream";
        x0_set_content_length(r, n);
        apr_bucket_brigade* bb = apr_brigade_create(r->pool, ba);
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_file_create(f, 0, static_cast<apr_size_t>(n),
                                                           r->pool, ba));
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba));
        x0_pass_brigade(r->output_filters, bb);
        return X0_OK;
    }
    if (strcmp(r->path, "/upload") == 0) {
        auto* u = static_cast<upload*>(apr_pcalloc(r->pool, sizeof(upload)));
        u->bb = apr_brigade_create(r->pool, ba);
        r->handler_ctx = u;
        apr_off_t n = arg_value(r->args, "n", 0);
        if (n > 0) {
            // The whole response in one pass: SSL_OUT keeps what CORE_OUT
            // cannot take yet; the body is read while it waits.
            u->answered = true;
            r->content_type = "application/octet-stream";
            x0_set_content_length(r, n);
            APR_BRIGADE_INSERT_TAIL(u->bb, pattern_bucket(0, static_cast<apr_size_t>(n), ba));
            APR_BRIGADE_INSERT_TAIL(u->bb, apr_bucket_eos_create(ba));
            if (x0_pass_brigade(r->output_filters, u->bb) == X0_FLOW_STOP)
                ++t.stops;
            apr_brigade_cleanup(u->bb);
        }
        if (upload_read(r, u)) {
            upload_answer(r, u);
            return X0_OK;
        }
        r->resume = upload_resume;
        return X0_SUSPENDED;
    }
    --t.requests;
    return X0_DECLINED;
}

/* ---- connection hooks: after mod_ssl's ---- */

int ssltest_pre_connection(x0_conn_t* c)
{
    ++t.pre_connection;
    t.chain[0] = c->output_filters->frec->name;
    t.chain[1] = c->output_filters->next ? c->output_filters->next->frec->name : "";
    t.chain[2] = c->input_filters->frec->name;
    t.chain[3] = c->input_filters->next ? c->input_filters->next->frec->name : "";
    if (cfg.greet && t.pre_connection == 1) {
        // Output before the handshake has even begun: SSL_write must read
        // (the ClientHello) before it can write.
        apr_bucket_brigade* bb = apr_brigade_create(c->pool, c->bucket_alloc);
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_immortal_create("GREETING\n", 9, c->bucket_alloc));
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(c->bucket_alloc));
        t.greet_status = x0_pass_brigade(c->output_filters, bb);
        t.greet_output_waits = x0::active_of(c)->output_waits;
        apr_brigade_cleanup(bb);
    }
    return X0_OK;
}

void ssltest_register(apr_pool_t*)
{
    x0_hook_pre_connection(ssltest_pre_connection, nullptr, nullptr, X0_HOOK_LAST);
    x0_hook_handler(ssltest_handler, nullptr, nullptr, X0_HOOK_FIRST);
}

x0_module_t ssltest_module = {X0_MODULE_HEADER, "ssltest", nullptr, nullptr, nullptr, nullptr,
                              nullptr, ssltest_register};

/* ---- certificates, the client's view ---- */

void heard_message(int write_p, int, int content_type, const void* buf, size_t len, SSL*, void*)
{
    const auto* p = static_cast<const unsigned char*>(buf);
    if (write_p || len < 1)
        return;
    if (content_type == SSL3_RT_HANDSHAKE && p[0] == SSL3_MT_SERVER_HELLO)
        ++heard.server_hellos;
    if (content_type == SSL3_RT_HANDSHAKE && p[0] == SSL3_MT_KEY_UPDATE)
        ++heard.key_updates;
    if (content_type == SSL3_RT_ALERT && len >= 2) {
        ++heard.alerts;
        heard.alert_level = p[0];
        heard.alert_desc = p[1];
    }
}

using x0test::count;
using x0test::small_request;
using x0test::smalls;

/** The length of the TLS record at the start of @a wire (its header included). */
size_t record_length(const std::string& wire)
{
    if (wire.size() < 5)
        return 0;
    return 5 + ((static_cast<unsigned char>(wire[3]) << 8) | static_cast<unsigned char>(wire[4]));
}

using x0test::watched_events;

/** Small socket buffers on both ends: the server's writes block. */
const x0test::socket_buffers small_buffers{4096, 4096, 8192, 4096};

} // namespace

TEST_GROUP_BASE(ssl_filters, x0test::conn_harness)
{
    std::string dir;            // the certificate and key
    SSL_CTX* cctx;
    SSL* cssl;
    BIO* cin;                   // ciphertext from the server, for the client to read
    BIO* cout;                  // ciphertext the client wrote
    std::string got;            // plaintext the client read
    std::string outbox;         // ciphertext the client wrote, not yet on the socket
    bool auto_send;             // after each turn, the client's ciphertext goes on the socket
    size_t read_per_turn;       // ciphertext the client takes off the socket after each turn
    bool server_eof;            // the socket said EOF
    bool close_notify;          // SSL_read answered SSL_ERROR_ZERO_RETURN
    size_t got_at_close_notify;
    int client_error;           // SSL_get_error of the client's first failure; 0: none
    int client_reason;          // ... and its ERR_GET_REASON
    apr_size_t max_pending;     // the most CORE_OUT held after a turn
    int idle_turns;             // turns after which the connection had no pool

    void setup() override
    {
        conn_harness::setup();
        memset(&t, 0, sizeof t);
        memset(&heard, 0, sizeof heard);
        cfg = knobs{false};
        char tmpl[] = "/tmp/x0_ssl_filters_test_XXXXXX";
        CHECK(mkdtemp(tmpl) != nullptr);
        dir = tmpl;
        x0test::make_cert(dir, "test");
        cctx = nullptr;
        cssl = nullptr;
        auto_send = true;
        read_per_turn = ~size_t(0);
        server_eof = close_notify = false;
        got_at_close_notify = 0;
        client_error = client_reason = 0;
        max_pending = 0;
        idle_turns = 0;
        file_path[0] = '\0';
    }

    void teardown() override
    {
        SSL_free(cssl);  // and its BIOs
        SSL_CTX_free(cctx);
        conn_harness::teardown();
        ERR_clear_error();
        std::filesystem::remove_all(dir);  // with /file's body
        for (std::string* s : {&dir, &got, &outbox}) {
            s->clear();
            s->shrink_to_fit();
        }
    }

    /**
     * mod_ssl (its real hooks), the test module and a TLS virtual host;
     * post_config and child_init as the master and a worker run them; then
     * the client, and the connection. @a max_version caps the client's TLS.
     */
    void start(const x0test::socket_buffers& sizes = small_buffers, int max_version = 0)
    {
        CHECK(x0::add_module(&ssl_module, nullptr, pconf) == nullptr);
        CHECK(x0::add_module(&ssltest_module, nullptr, pconf) == nullptr);
        x0_server_t* s = configure("Listen 127.0.0.1:8443 https\n"
                                   "ServerName main\n"
                                   "<VirtualHost 127.0.0.1:8443>\n"
                                   "    ServerName test\n"
                                   "    SSLEngine on\n"
                                   "    SSLCertificateFile " + dir + "/test.crt\n"
                                   "    SSLCertificateKeyFile " + dir + "/test.key\n"
                                   "</VirtualHost>\n");
        LONGS_EQUAL(X0_OK, x0::run_post_config(pconf, s));
        make_worker(s);
        x0::run_child_init(wpool, s);

        cctx = SSL_CTX_new(TLS_client_method());
        CHECK(cctx != nullptr);
        if (max_version)
            SSL_CTX_set_max_proto_version(cctx, max_version);
        CHECK(SSL_CTX_load_verify_locations(cctx, (dir + "/test.crt").c_str(), nullptr) == 1);
        SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, nullptr);
        cssl = SSL_new(cctx);
        cin = BIO_new(BIO_s_mem());
        cout = BIO_new(BIO_s_mem());
        BIO_set_mem_eof_return(cin, -1);  // empty is "not yet", until the socket's EOF
        SSL_set_bio(cssl, cin, cout);
        SSL_set_connect_state(cssl);
        SSL_set_tlsext_host_name(cssl, "test");
        SSL_set_msg_callback(cssl, heard_message);

        connect(x0::listener{-1, "127.0.0.1:8443", "127.0.0.1", 8443, "https"}, sizes);
    }

    /* ---- the client ---- */

    /** Take at most @a limit bytes of ciphertext off the socket, without waiting. */
    void take_ciphertext(size_t limit)
    {
        char buf[4096];
        while (limit > 0 && !server_eof && client >= 0) {
            ssize_t n = recv(client, buf, limit < sizeof buf ? limit : sizeof buf, 0);
            if (n > 0) {
                BIO_write(cin, buf, static_cast<int>(n));
                limit -= static_cast<size_t>(n);
            } else if (n == 0) {
                server_eof = true;
                BIO_set_mem_eof_return(cin, 0);
            } else {
                CHECK_TEXT(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR,
                           strerror(errno));
                return;
            }
        }
    }

    void client_failed(int ret)
    {
        int e = SSL_get_error(cssl, ret);
        if (e == SSL_ERROR_WANT_READ)
            return;
        if (e == SSL_ERROR_ZERO_RETURN) {
            close_notify = true;
            got_at_close_notify = got.size();
            return;
        }
        client_error = e;
        client_reason = ERR_GET_REASON(ERR_peek_error());
        ERR_clear_error();
    }

    /** Let OpenSSL handle what came: the handshake, then plaintext into got. */
    void drive_client()
    {
        if (client_error || close_notify)
            return;
        if (!SSL_is_init_finished(cssl)) {
            int n = SSL_do_handshake(cssl);
            if (n != 1) {
                client_failed(n);
                return;
            }
        }
        char buf[16384];
        for (;;) {
            int n = SSL_read(cssl, buf, sizeof buf);
            if (n <= 0) {
                client_failed(n);
                return;
            }
            got.append(buf, static_cast<size_t>(n));
        }
    }

    /** Move what the client wrote into the outbox. */
    void collect_output()
    {
        char buf[4096];
        int n;
        while ((n = BIO_read(cout, buf, sizeof buf)) > 0)
            outbox.append(buf, static_cast<size_t>(n));
    }

    /** Put as much of the outbox on the socket as it takes. */
    void send_outbox()
    {
        while (!outbox.empty() && client >= 0) {
            ssize_t n = send(client, outbox.data(), outbox.size(), MSG_NOSIGNAL);
            if (n <= 0)
                return;
            outbox.erase(0, static_cast<size_t>(n));
        }
    }

    /** Put @a bytes on the socket, all of them (a few: the socket takes them). */
    void send_raw(const std::string& bytes)
    {
        LONGS_EQUAL(bytes.size(), send(client, bytes.data(), bytes.size(), MSG_NOSIGNAL));
    }

    void client_turn()
    {
        take_ciphertext(read_per_turn);
        drive_client();
        collect_output();
        if (auto_send)
            send_outbox();
    }

    /** One turn of the server, what it shows, then the client's turn. */
    void step()
    {
        turn();
        if (c->active) {
            if (c->active->out.pending_memory > max_pending)
                max_pending = c->active->out.pending_memory;
        } else {
            ++idle_turns;
        }
        client_turn();
    }

    template <typename Fn>
    bool until(Fn done, int turns = 10000)
    {
        for (int i = 0; i < turns; ++i) {
            if (done())
                return true;
            step();
        }
        return done();
    }

    /** Encrypt @a text (SSL_write into memory never waits); it goes out with the next turn. */
    void tls_send(const std::string& text)
    {
        LONGS_EQUAL(static_cast<int>(text.size()),
                    SSL_write(cssl, text.data(), static_cast<int>(text.size())));
    }

    /** The server's TLS session (it outlives the connection's pools). */
    SSL* server_ssl()
    {
        if (!c->module_state)
            return nullptr;
        auto* sc = static_cast<x0ssl::ssl_conn*>(c->module_state[ssl_module.module_index]);
        return sc ? sc->ssl : nullptr;
    }

    /** The handshake, done on both sides, and what the server sent after it read. */
    void handshake()
    {
        CHECK(until([&] {
            return SSL_is_init_finished(cssl) && server_ssl() && SSL_is_init_finished(server_ssl());
        }));
        for (int i = 0; i < 5; ++i)
            step();
        LONGS_EQUAL(0, client_error);
        LONGS_EQUAL(X509_V_OK, SSL_get_verify_result(cssl));
    }

    /** The body that follows the (first) response head. */
    std::string body_after_head()
    {
        size_t at = got.find("\r\n\r\n");
        return at == std::string::npos ? std::string() : got.substr(at + 4);
    }

    /** A file of @a n pattern bytes for /file. */
    void make_file(apr_off_t n)
    {
        snprintf(file_path, sizeof file_path, "%s/body", dir.c_str());
        std::ofstream(file_path, std::ios::binary) << pattern(n);
    }
};

/* ---- 1. the handshake, and requests over the filter pair ---- */

TEST(ssl_filters, tls13_handshake_and_requests_over_the_filter_pair)
{
    start();
    // mod_ssl's pre_connection put the pair between the core's filters.
    LONGS_EQUAL(1, t.pre_connection);
    STRCMP_EQUAL("SSL_OUT", t.chain[0]);
    STRCMP_EQUAL("CORE_OUT", t.chain[1]);
    STRCMP_EQUAL("SSL_IN", t.chain[2]);
    STRCMP_EQUAL("CORE_IN", t.chain[3]);
    handshake();
    STRCMP_EQUAL("TLSv1.3", SSL_get_version(cssl));

    tls_send(small_request);
    CHECK(until([&] { return smalls(got) == 1 && c->active == nullptr; }));
    CHECK(got.compare(0, 15, "HTTP/1.1 200 OK") == 0);
    STRCMP_EQUAL("TLSv1.3", t.protocol);  // check_request saw the session
    // Idle between requests; the session lives on without a pool.
    LONGS_EQUAL(EV_READ, watched_events(c));
    tls_send(small_request);
    CHECK(until([&] { return smalls(got) == 2; }));
    LONGS_EQUAL(2, t.requests);
    LONGS_EQUAL(1, heard.server_hellos);
    LONGS_EQUAL(0, client_error);
}

TEST(ssl_filters, tls12_handshake_and_requests_over_the_filter_pair)
{
    start(small_buffers, TLS1_2_VERSION);
    handshake();
    STRCMP_EQUAL("TLSv1.2", SSL_get_version(cssl));
    tls_send(std::string(small_request) + small_request);  // pipelined, in one record
    CHECK(until([&] { return smalls(got) == 2 && c->active == nullptr; }));
    STRCMP_EQUAL("TLSv1.2", t.protocol);
    tls_send(small_request);
    CHECK(until([&] { return smalls(got) == 3; }));
    LONGS_EQUAL(0, client_error);
}

/* ---- 2. a read that must write: SSL_read's WANT_WRITE ---- */

/*
 * What SSL_IN writes (a KeyUpdate answer) is refused once CORE_OUT has
 * said X0_FLOW_STOP (the BIO's network_full): SSL_read answers WANT_WRITE.
 * The server reads while its output is stopped only for a handler that
 * reads a body, so /upload sends 1 MiB first, which fills the socket and
 * CORE_OUT, then reads its body; the client sends KeyUpdates that ask for
 * one back. OpenSSL 3.0 writes a KeyUpdate's answer when it reads on after
 * it, so three make sure that one SSL_read writes after a FLOW_STOP.
 */
TEST(ssl_filters, a_read_that_must_write_parks_the_input_on_writable)
{
    constexpr apr_off_t size = 1 << 20;
    start();
    handshake();
    read_per_turn = 0;  // the client reads nothing for now
    tls_send("POST /upload?n=1048576 HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\n");
    CHECK(until([&] {
        return t.requests == 1 && c->active && c->active->handling
               && c->active->out.pending_memory >= x0::output_high_water;
    }));
    CHECK(c->active->out.blocked);
    CHECK(c->active->output_waits == x0::wait_for::writable);  // SSL_OUT holds the rest
    CHECK(c->active->input_waits == x0::wait_for::readable);   // the body has not come

    for (int i = 0; i < 3; ++i) {
        LONGS_EQUAL(1, SSL_key_update(cssl, SSL_KEY_UPDATE_REQUESTED));
        LONGS_EQUAL(1, SSL_do_handshake(cssl));
    }
    CHECK(until([&] { return c->active->input_waits == x0::wait_for::writable; }));
    // read/write: the input operation waits for the socket, not for the client.
    LONGS_EQUAL(EV_WRITE, watched_events(c));
    CHECK(x0::state_of(c->active->handling)->body.waiting);
    tls_send("hello");
    for (int i = 0; i < 20; ++i)
        step();
    CHECK(c->active->input_waits == x0::wait_for::writable);
    LONGS_EQUAL(EV_WRITE, watched_events(c));
    LONGS_EQUAL(0, t.body_bytes);  // it came, but the read waits for writable

    read_per_turn = 16 * 1024;
    CHECK(until([&] { return t.uploads_done == 1 && body_after_head().size() >= size_t(size); },
                100000));
    LONGS_EQUAL(5, t.body_bytes);
    LONGS_EQUAL(0, t.upload_error);
    CHECK(body_after_head() == pattern(size));
    LONGS_EQUAL(3, heard.key_updates);  // all answered
    LONGS_EQUAL(0, client_error);
    CHECK(until([&] { return c->active == nullptr; }));
}

/* ---- 3. a write that must read: SSL_write's WANT_READ ---- */

/*
 * Not reachable through HTTP: a response needs a request, which needs the
 * handshake done, and x0 refuses renegotiation. The test module passes a
 * greeting down SSL_OUT at the connection's first pre_connection instead,
 * before the client has sent its ClientHello.
 */
TEST(ssl_filters, a_write_that_must_read_parks_the_output_on_readable)
{
    cfg.greet = true;
    start();
    LONGS_EQUAL(X0_FLOW_STOP, t.greet_status);
    CHECK(t.greet_output_waits == x0::wait_for::readable);
    // write/read: the output operation waits for the client's bytes.
    CHECK(c->active != nullptr);
    CHECK(c->active->output_waits == x0::wait_for::readable);
    CHECK(c->active->input_waits == x0::wait_for::nothing);
    CHECK(c->active->out.flow_stopped);
    LONGS_EQUAL(EV_READ, watched_events(c));
    for (int i = 0; i < 20; ++i)
        turn();  // the client has sent nothing: nothing moves
    CHECK(c->active->output_waits == x0::wait_for::readable);
    LONGS_EQUAL(EV_READ, watched_events(c));

    // The ClientHello makes the output go on: the handshake is done by SSL_write.
    CHECK(until([&] { return got == "GREETING\n"; }));
    CHECK(SSL_is_init_finished(cssl));
    tls_send(small_request);
    CHECK(until([&] { return smalls(got) == 1 && c->active == nullptr; }));
    CHECK(got.compare(0, 9, "GREETING\n") == 0);
    LONGS_EQUAL(0, client_error);
}

/* ---- 4. renegotiation ---- */

/*
 * SSL_OP_NO_RENEGOTIATION: the server answers the client's new ClientHello
 * with a no_renegotiation warning and does not start a handshake. OpenSSL's
 * client makes that fatal (handshake_failure); the server reads the fatal
 * alert and closes the connection, without close_notify. (OpenSSL 3.0
 * refuses client-initiated renegotiation without the option too, unless
 * SSL_OP_ALLOW_CLIENT_RENEGOTIATION is set: hence the check of the option.)
 */
TEST(ssl_filters, renegotiation_is_refused_and_the_connection_closes)
{
    start(small_buffers, TLS1_2_VERSION);
    handshake();
    tls_send(small_request);
    CHECK(until([&] { return smalls(got) == 1 && c->active == nullptr; }));

    CHECK((SSL_get_options(server_ssl()) & SSL_OP_NO_RENEGOTIATION) != 0);
    LONGS_EQUAL(1, SSL_renegotiate(cssl));
    LONGS_EQUAL(-1, SSL_do_handshake(cssl));  // the ClientHello is written
    CHECK(until([&] { return client_error != 0; }));
    LONGS_EQUAL(SSL_ERROR_SSL, client_error);
    LONGS_EQUAL(SSL_R_NO_RENEGOTIATION, client_reason);
    LONGS_EQUAL(1, heard.alerts);
    LONGS_EQUAL(SSL3_AL_WARNING, heard.alert_level);
    LONGS_EQUAL(SSL_AD_NO_RENEGOTIATION, heard.alert_desc);
    LONGS_EQUAL(1, heard.server_hellos);  // no second handshake
    CHECK(until([&] { return c->phase == x0::conn_phase::closed && server_eof; }));
    CHECK(!close_notify);
    LONGS_EQUAL(1, t.requests);
}

/* ---- 5. records split across reads ---- */

TEST(ssl_filters, records_that_come_a_few_bytes_at_a_time_are_answered_once_complete)
{
    start();
    handshake();
    // The head in two records, their bytes 1, 3, 7, 1, 3, 7, ... at a time.
    tls_send("GET /small HTTP/1.1\r\nHo");
    tls_send("st: test\r\n\r\n");
    collect_output();
    std::string wire;
    wire.swap(outbox);
    size_t first = record_length(wire);
    CHECK(first > 0 && first < wire.size());
    LONGS_EQUAL(wire.size(), first + record_length(wire.substr(first)));
    static const size_t pieces[] = {1, 3, 7};
    size_t at = 0;
    for (int i = 0; at < wire.size(); ++i) {
        size_t n = std::min(pieces[i % 3], wire.size() - at);
        send_raw(wire.substr(at, n));
        at += n;
        if (at == wire.size())
            break;
        for (int j = 0; j < 3; ++j)
            step();
        LONGS_EQUAL(0, t.requests);
        LONGS_EQUAL(0, smalls(got));
    }
    CHECK(idle_turns > 0);  // between pieces the partial record lived in OpenSSL only
    CHECK(until([&] { return smalls(got) == 1; }));
    LONGS_EQUAL(1, t.requests);
    LONGS_EQUAL(0, client_error);
}

/* ---- 6. plaintext inside OpenSSL (SSL_pending) ---- */

/*
 * /upload reads its 5-byte body with a read of 5 (HTTP_IN asks for what
 * remains), so the three requests behind it in the same record stay
 * decrypted inside OpenSSL. Each record comes in two writes, header then
 * rest, so CORE_IN never holds a carry-over that would say "more" on its
 * own: only SSL_IN's SSL_pending check does.
 */
TEST(ssl_filters, plaintext_left_inside_openssl_is_read_before_the_connection_sleeps)
{
    start();
    handshake();
    tls_send("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\n");
    collect_output();
    std::string head;
    head.swap(outbox);
    tls_send("hello" + std::string(small_request) + small_request + small_request);
    collect_output();
    std::string rest;
    rest.swap(outbox);
    LONGS_EQUAL(head.size(), record_length(head));
    LONGS_EQUAL(rest.size(), record_length(rest));

    for (const std::string* record : {&head, &rest}) {
        send_raw(record->substr(0, 5));
        for (int j = 0; j < 3; ++j)
            step();
        send_raw(record->substr(5));
        for (int j = 0; j < 3; ++j)
            step();
    }
    CHECK(until([&] { return smalls(got) == 3; }));
    LONGS_EQUAL(1, t.uploads_done);
    LONGS_EQUAL(5, t.body_bytes);
    CHECK(t.upload_reads_waiting > 0);  // the body came after the head, in its own reads
    CHECK(got.find("\r\n\r\ngot 5\n") != std::string::npos);
    CHECK(got.find("got 5") < got.find("hello\n"));
    LONGS_EQUAL(4, t.requests);
    CHECK(outbox.empty());
}

/*
 * Plaintext of more than one SSL_read (two full records) in one socket
 * write: the second record is CORE_IN's carry-over, which SSL_IN reads on
 * the next call.
 */
TEST(ssl_filters, pipelined_requests_in_two_records_of_one_write_are_all_answered)
{
    start(x0test::socket_buffers{4096, 0, 0, 4096});  // the client's 20 KB go in one send
    handshake();
    std::string request = "GET /small HTTP/1.1\r\nHost: test\r\nX-Pad: " + std::string(4000, 'x')
                          + "\r\n\r\n";
    std::string batch;
    for (int i = 0; i < 5; ++i)
        batch += request;
    CHECK(batch.size() > x0ssl::record_size);
    auto_send = false;
    tls_send(batch);
    collect_output();
    CHECK(outbox.size() > x0ssl::record_size + 5);
    send_raw(outbox);
    outbox.clear();
    CHECK(until([&] { return smalls(got) == 5; }));
    LONGS_EQUAL(5, t.requests);
}

/* ---- an idle TLS connection ---- */

/*
 * Once the handshake is done and nothing more came, the connection gives
 * its pool back (DESIGN.md: an idle keep-alive connection costs almost
 * nothing); and a connection that ends with nothing unread closes at once
 * instead of lingering.
 */
TEST(ssl_filters, a_connection_idle_after_the_handshake_holds_no_pool)
{
    start();
    handshake();
    CHECK(until([&] { return c->active == nullptr; }));
    LONGS_EQUAL(EV_READ, watched_events(c));
    tls_send("GET /small HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    CHECK(until([&] { return server_eof; }));
    CHECK(c->phase == x0::conn_phase::closed);  // not lingering: nothing was left unread
}

/* ---- 7. back-pressure ---- */

/*
 * A client that reads 8 KiB a turn. CORE_OUT's memory bound (256 KiB, past
 * which a pass answers X0_FLOW_STOP) must hold for the ciphertext too: with
 * a producer that waits for its resume (/big in pieces), and when SSL_OUT
 * itself holds the plaintext -- one 2 MiB bucket, or a file bucket read a
 * record at a time -- and is driven by the core each time the socket drains.
 */
TEST(ssl_filters, a_large_response_to_a_slow_reader_keeps_core_out_bounded)
{
    constexpr apr_off_t size = 2 << 20;
    start();
    handshake();
    read_per_turn = 8192;
    tls_send("GET /big?n=2097152&piece=16384 HTTP/1.1\r\nHost: test\r\n\r\n");
    CHECK(until([&] { return body_after_head().size() >= size_t(size); }, 200000));
    CHECK(body_after_head() == pattern(size));
    CHECK(t.stops > 0);                         // the producer was stopped ...
    CHECK_COMPARE(max_pending, >=, x0::output_high_water);  // ... at CORE_OUT's bound
    CHECK_COMPARE(max_pending, <, apr_size_t(512 * 1024));  // ... and SSL_OUT stopped there too
    CHECK(until([&] { return c->active == nullptr; }));
}

TEST(ssl_filters, a_large_response_in_one_bucket_is_encrypted_as_the_socket_drains)
{
    constexpr apr_off_t size = 2 << 20;
    start();
    handshake();
    read_per_turn = 8192;
    tls_send("GET /big?n=2097152&piece=2097152 HTTP/1.1\r\nHost: test\r\n\r\n");
    CHECK(until([&] { return body_after_head().size() >= size_t(size); }, 200000));
    CHECK(body_after_head() == pattern(size));
    CHECK_COMPARE(max_pending, >=, x0::output_high_water);
    CHECK_COMPARE(max_pending, <, apr_size_t(512 * 1024));
}

TEST(ssl_filters, a_large_file_to_a_slow_reader_is_read_a_record_at_a_time)
{
    constexpr apr_off_t size = 2 << 20;
    make_file(size);
    start();
    handshake();
    read_per_turn = 8192;
    tls_send("GET /file?n=2097152 HTTP/1.1\r\nHost: test\r\n\r\n");
    CHECK(until([&] { return body_after_head().size() >= size_t(size); }, 200000));
    CHECK(body_after_head() == pattern(size));
    CHECK_COMPARE(max_pending, >=, x0::output_high_water);
    CHECK_COMPARE(max_pending, <, apr_size_t(512 * 1024));
    CHECK(until([&] { return c->active == nullptr; }));
}

/* ---- 8. close_notify ---- */

TEST(ssl_filters, connection_close_ends_with_close_notify_after_the_response)
{
    start();
    handshake();
    tls_send("GET /small HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    CHECK(until([&] { return server_eof; }));
    CHECK(close_notify);  // SSL_ERROR_ZERO_RETURN, not an EOF without it
    LONGS_EQUAL(0, client_error);
    LONGS_EQUAL(1, smalls(got));
    LONGS_EQUAL(got.size(), got_at_close_notify);  // the whole response came before it
    CHECK(got.find("Connection: close\r\n") != std::string::npos);
    CHECK(until([&] {
        return c->phase == x0::conn_phase::closed || c->phase == x0::conn_phase::lingering;
    }));
}

TEST(ssl_filters, an_idle_connection_that_times_out_says_close_notify)
{
    start();
    handshake();
    tls_send(small_request);
    CHECK(until([&] { return smalls(got) == 1 && c->active == nullptr; }));
    // The keep-alive timer fires now.
    c->deadline = ev_now(w->loop) - 1;
    ev_feed_event(w->loop, &c->timer, EV_TIMER);
    CHECK(until([&] { return server_eof; }));
    CHECK(close_notify);
    LONGS_EQUAL(0, client_error);
    CHECK(c->phase == x0::conn_phase::closed);
}
