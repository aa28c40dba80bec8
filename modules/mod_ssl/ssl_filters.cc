/*
 * SSL_IN and SSL_OUT (see ssl_filters.h).
 *
 * SSL_OUT gathers plaintext into one record-sized buffer and encrypts it
 * when it is full, at a FLUSH (the core flushes once a pipelined batch of
 * responses is in), or at the end of the connection. File data is read into
 * that buffer a record at a time, and each record's ciphertext is handed to
 * CORE_OUT at once: when CORE_OUT answers X0_FLOW_STOP (its bound is
 * reached), SSL_OUT stops and keeps the rest of its brigade -- file buckets
 * as they are, an fd and an offset -- until the core drives it again with a
 * FLUSH. A 1 GiB file is never read ahead of the socket.
 *
 * Metadata keeps its place: an EOR is handed on behind the ciphertext of
 * what precedes it, or behind its copy in the record buffer, so a request's
 * pool lives as long as anything of it is still to be read.
 */
#define X0_LOG_MODULE ssl_module  // its messages answer to LogLevel ssl:LEVEL
#include "ssl_filters.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

#include <apr_portable.h>
#include <openssl/err.h>

#include "x0/log.h"

namespace x0ssl {
namespace {

/** Per worker: responses that went out through SSL_OUT's copy path. */
long copied = 0;

/** Why OpenSSL failed, at info level: a client's bad TLS is not x0's error. */
void log_ssl_error(ssl_conn* sc, const char* what)
{
    unsigned long e = ERR_get_error();
    char text[256];
    ERR_error_string_n(e, text, sizeof text);
    x0_log_error(X0LOG(03101), X0_LOG_INFO, 0, sc->server, "%s from %s: %s", what,
                 sc->c->client_ip, e ? text : "connection reset");
    ERR_clear_error();
}

/**
 * After an OpenSSL call returned @a ret <= 0 for the filter @a f: record
 * what it waits for and say what the filter answers. APR_EAGAIN with the
 * direction given to the core, APR_EOF at a clean end, or a sticky error.
 */
apr_status_t wait_status(ssl_conn* sc, x0_filter_t* f, int ret, const char* what)
{
    int err = SSL_get_error(sc->ssl, ret);
    switch (err) {
    case SSL_ERROR_WANT_READ:
        if (sc->network_eof)
            return APR_EOF;
        if (sc->error != APR_SUCCESS)
            return sc->error;
        x0_filter_wait(f, X0_WAIT_READABLE);
        return APR_EAGAIN;
    case SSL_ERROR_WANT_WRITE:
        x0_filter_wait(f, X0_WAIT_WRITABLE);
        return APR_EAGAIN;
    case SSL_ERROR_ZERO_RETURN:  // the client's close_notify
        return APR_EOF;
    case SSL_ERROR_SYSCALL:
        if (sc->network_eof && ERR_peek_error() == 0)
            return APR_EOF;  // the client closed without close_notify
        [[fallthrough]];
    default:
        if (sc->error == APR_SUCCESS) {
            log_ssl_error(sc, what);
            sc->error = APR_ECONNABORTED;
        }
        return sc->error;
    }
}

/** Encrypt the gathered record. False when it could not go yet (or failed). */
bool write_record(ssl_conn* sc, apr_status_t* rv)
{
    if (sc->record_len == 0)
        return true;
    int n = SSL_write(sc->ssl, sc->record, static_cast<int>(sc->record_len));
    if (n <= 0) {
        *rv = wait_status(sc, sc->out, n, "TLS write failed");
        return false;
    }
    sc->record_len = 0;  // no partial writes: SSL_MODE_ENABLE_PARTIAL_WRITE is off
    pass_ciphertext(sc, false);
    return true;
}

/** Copy up to what the record has room for from memory bucket @a b; then drop what was taken. */
apr_status_t gather_memory(ssl_conn* sc, apr_bucket* b)
{
    const char* data;
    apr_size_t len;
    // XXX: a pipe or socket bucket (no module makes one yet) is read
    // blocking here; CORE_OUT reads them without blocking.
    apr_status_t rv = apr_bucket_read(b, &data, &len, APR_BLOCK_READ);
    if (rv != APR_SUCCESS)
        return rv;
    apr_size_t take = std::min(len, record_size - sc->record_len);
    memcpy(sc->record + sc->record_len, data, take);
    sc->record_len += take;
    if (take < len)
        apr_bucket_split(b, take);
    apr_bucket_delete(b);
    return APR_SUCCESS;
}

/** Read the next piece of file bucket @a b into the record. */
apr_status_t gather_file(ssl_conn* sc, apr_bucket* b)
{
    apr_os_file_t fd;
    apr_os_file_get(&fd, static_cast<apr_bucket_file*>(b->data)->fd);
    apr_size_t want = std::min(b->length, record_size - sc->record_len);
    ssize_t n;
    do
        n = pread(fd, sc->record + sc->record_len, want, static_cast<off_t>(b->start));
    while (n < 0 && errno == EINTR);
    if (n <= 0)  // the file shrank under us: never send a short body
        return n < 0 ? APR_FROM_OS_ERROR(errno) : APR_EOF;
    sc->record_len += static_cast<apr_size_t>(n);
    b->start += n;
    b->length -= static_cast<apr_size_t>(n);
    if (b->length == 0)
        apr_bucket_delete(b);
    return APR_SUCCESS;
}

/** Move metadata bucket @a b behind the ciphertext so far. */
void hand_on(ssl_conn* sc, apr_bucket* b)
{
    APR_BUCKET_REMOVE(b);
    APR_BRIGADE_INSERT_TAIL(sc->cipher_out, b);
}

/**
 * Encrypt what SSL_OUT holds until it is all out or the network filter
 * is full. Returns APR_SUCCESS, APR_EAGAIN (waiting; x0_filter_wait was
 * called) or the sticky error.
 */
apr_status_t encrypt_held(ssl_conn* sc)
{
    apr_status_t rv = APR_SUCCESS;
    while (!APR_BRIGADE_EMPTY(sc->plain_out) && sc->error == APR_SUCCESS) {
        if (sc->network_full) {
            x0_filter_wait(sc->out, X0_WAIT_WRITABLE);
            return APR_EAGAIN;
        }
        apr_bucket* b = APR_BRIGADE_FIRST(sc->plain_out);
        if (APR_BUCKET_IS_FLUSH(b)) {
            if (!write_record(sc, &rv))
                return rv;
            hand_on(sc, b);
            pass_ciphertext(sc, false);
        } else if (X0_BUCKET_IS_EOC(b)) {
            if (!write_record(sc, &rv))
                return rv;
            // A handshake that never finished has no session to close.
            if (!sc->shutdown_sent && SSL_is_init_finished(sc->ssl)) {
                int n = SSL_shutdown(sc->ssl);  // 0: close_notify is out; we do not wait for the client's
                if (n < 0 && (rv = wait_status(sc, sc->out, n, "TLS shutdown failed")) != APR_SUCCESS)
                    return rv;
                sc->shutdown_sent = true;
            }
            hand_on(sc, b);
            pass_ciphertext(sc, false);
        } else if (X0_BUCKET_IS_FILE_CHECK(b)) {
            // Everything before it has been read: the file is what it was, or the body ends here.
            if ((rv = x0_bucket_file_check(b)) != APR_SUCCESS)
                return sc->error = rv;
            apr_bucket_delete(b);
        } else if (APR_BUCKET_IS_EOS(b)) {
            apr_bucket_delete(b);
        } else if (APR_BUCKET_IS_METADATA(b)) {
            if (X0_BUCKET_IS_EOR(b))
                ++copied;
            hand_on(sc, b);  // EOR: its request's bytes are in the record or encrypted
        } else {
            if (sc->record_len == record_size && !write_record(sc, &rv))
                return rv;
            rv = APR_BUCKET_IS_FILE(b) ? gather_file(sc, b) : gather_memory(sc, b);
            if (rv != APR_SUCCESS)
                return sc->error = rv;
        }
    }
    if (sc->error == APR_SUCCESS && sc->record_len == record_size)
        write_record(sc, &rv);
    return sc->error != APR_SUCCESS ? sc->error : rv;
}

apr_status_t ssl_out_filter(x0_filter_t* f, apr_bucket_brigade* bb)
{
    auto* sc = static_cast<ssl_conn*>(f->ctx);
    if (sc->error != APR_SUCCESS) {
        apr_brigade_cleanup(bb);
        return sc->error;
    }
    while (!APR_BRIGADE_EMPTY(bb)) {
        apr_bucket* b = APR_BRIGADE_FIRST(bb);
        APR_BUCKET_REMOVE(b);
        if (APR_BUCKET_IS_TRANSIENT(b))
            apr_bucket_setaside(b, sc->c->pool);  // it points into the caller's memory
        APR_BRIGADE_INSERT_TAIL(sc->plain_out, b);
    }
    if (sc->network_full)
        pass_ciphertext(sc, true);  // CORE_OUT writes, and says whether it takes more now
    apr_status_t rv = encrypt_held(sc);
    pass_ciphertext(sc, false);
    if (sc->error != APR_SUCCESS)
        return sc->error;
    if (rv == APR_EAGAIN || sc->network_full)
        return X0_FLOW_STOP;
    return APR_SUCCESS;
}

/** Complete the handshake; APR_SUCCESS once it is done. */
apr_status_t handshake(ssl_conn* sc, x0_filter_t* f)
{
    int n = SSL_do_handshake(sc->ssl);
    pass_ciphertext(sc, true);
    if (n == 1)
        return APR_SUCCESS;
    return wait_status(sc, f, n, "TLS handshake failed");
}

apr_status_t ssl_in_filter(x0_filter_t* f, apr_bucket_brigade* bb, x0_input_mode_e,
                           apr_off_t readbytes)
{
    auto* sc = static_cast<ssl_conn*>(f->ctx);
    if (sc->error != APR_SUCCESS)
        return sc->error;
    if (sc->network_full)
        pass_ciphertext(sc, true);  // CORE_OUT writes, and says whether it takes more now
    if (!SSL_is_init_finished(sc->ssl)) {
        apr_status_t rv = handshake(sc, f);
        if (rv != APR_SUCCESS)
            return rv;
    }
    apr_size_t want = readbytes > 0 && static_cast<apr_size_t>(readbytes) < record_size
                          ? static_cast<apr_size_t>(readbytes) : record_size;
    auto* buf = static_cast<char*>(apr_bucket_alloc(want, bb->bucket_alloc));
    int n = SSL_read(sc->ssl, buf, static_cast<int>(want));
    pass_ciphertext(sc, true);  // a read may write: tickets, a key update
    if (n <= 0) {
        apr_bucket_free(buf);
        return wait_status(sc, f, n, "TLS read failed");
    }
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_heap_create(buf, static_cast<apr_size_t>(n),
                                                       apr_bucket_free, bb->bucket_alloc));
    if (SSL_pending(sc->ssl) > 0)
        x0_filter_input_more(f);  // decrypted bytes wait inside OpenSSL
    return APR_SUCCESS;
}

/**
 * The connection's pool goes (idle or closed): forget this activation. A
 * pre-cleanup: what SSL_OUT still holds (after an error) may hold EOR
 * buckets, which must go while their request pools, subpools of this one,
 * still exist.
 */
apr_status_t forget_activation(void* data)
{
    auto* sc = static_cast<ssl_conn*>(data);
    apr_brigade_cleanup(sc->plain_out);
    apr_brigade_cleanup(sc->cipher_out);
    apr_brigade_cleanup(sc->cipher_in);
    sc->c = nullptr;
    sc->in = sc->out = nullptr;
    sc->cipher_in = sc->cipher_out = sc->plain_out = nullptr;
    sc->record = nullptr;
    sc->record_len = 0;
    sc->network_full = false;
    return APR_SUCCESS;
}

} // namespace

void register_filters()
{
    x0_register_input_filter("SSL_IN", ssl_in_filter, X0_FTYPE_CONNECTION);
    x0_register_output_filter("SSL_OUT", ssl_out_filter, X0_FTYPE_CONNECTION);
}

void add_filters(ssl_conn* sc, x0_conn_t* c)
{
    sc->c = c;
    sc->cipher_in = apr_brigade_create(c->pool, c->bucket_alloc);
    sc->cipher_out = apr_brigade_create(c->pool, c->bucket_alloc);
    sc->plain_out = apr_brigade_create(c->pool, c->bucket_alloc);
    sc->record = static_cast<char*>(apr_palloc(c->pool, record_size));
    sc->record_len = 0;
    sc->in = x0_add_input_filter("SSL_IN", sc, nullptr, c);
    sc->out = x0_add_output_filter("SSL_OUT", sc, nullptr, c);
    apr_pool_pre_cleanup_register(c->pool, sc, forget_activation);
}

long copied_responses()
{
    return copied;
}

void pass_ciphertext(ssl_conn* sc, bool flush)
{
    // A FLUSH alone is only worth passing to learn whether a full network
    // filter takes more now.
    if (APR_BRIGADE_EMPTY(sc->cipher_out) && !(flush && sc->network_full))
        return;
    if (flush)
        APR_BRIGADE_INSERT_TAIL(sc->cipher_out, apr_bucket_flush_create(sc->c->bucket_alloc));
    apr_status_t rv = x0_pass_brigade(sc->out->next, sc->cipher_out);
    // Until the next pass says otherwise: nothing more is encrypted past CORE_OUT's bound.
    sc->network_full = rv == X0_FLOW_STOP;
    if (rv != APR_SUCCESS && rv != X0_FLOW_STOP && sc->error == APR_SUCCESS)
        sc->error = rv;
}

} // namespace x0ssl
