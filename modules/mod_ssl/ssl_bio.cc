#include "ssl_bio.h"

#include <climits>

#include "ssl_filters.h"

namespace x0ssl {
namespace {

BIO_METHOD* method = nullptr;

ssl_conn* conn_of_bio(BIO* bio)
{
    return static_cast<ssl_conn*>(BIO_get_data(bio));
}

int bio_read(BIO* bio, char* buf, int len)
{
    ssl_conn* sc = conn_of_bio(bio);
    BIO_clear_retry_flags(bio);
    if (!sc->c || len <= 0)
        return -1;
    // CORE_IN gives at most len bytes and keeps the rest of its read.
    apr_status_t rv = x0_get_brigade(sc->in->next, sc->cipher_in, X0_MODE_READBYTES, len);
    if (APR_STATUS_IS_EAGAIN(rv)) {
        BIO_set_retry_read(bio);
        return -1;
    }
    if (rv == APR_EOF) {
        sc->network_eof = true;
        return 0;
    }
    if (rv != APR_SUCCESS) {
        sc->error = rv;
        return -1;
    }
    apr_size_t n = static_cast<apr_size_t>(len);
    apr_brigade_flatten(sc->cipher_in, buf, &n);
    apr_brigade_cleanup(sc->cipher_in);
    return static_cast<int>(n);
}

int bio_write(BIO* bio, const char* buf, int len)
{
    ssl_conn* sc = conn_of_bio(bio);
    BIO_clear_retry_flags(bio);
    if (!sc->c)
        return -1;
    if (sc->network_full) {
        // OpenSSL keeps the record and writes it again, whole, on the retry.
        BIO_set_retry_write(bio);
        return -1;
    }
    apr_bucket_alloc_t* ba = sc->c->bucket_alloc;
    APR_BRIGADE_INSERT_TAIL(sc->cipher_out,
                            apr_bucket_heap_create(buf, static_cast<apr_size_t>(len), nullptr, ba));
    return len;
}

long bio_ctrl(BIO* bio, int cmd, long, void*)
{
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        if (conn_of_bio(bio)->c)
            pass_ciphertext(conn_of_bio(bio), true);
        return 1;
    case BIO_CTRL_PUSH:
    case BIO_CTRL_POP:
        return 0;
    default:
        return 0;
    }
}

int bio_create_cb(BIO* bio)
{
    BIO_set_init(bio, 1);
    return 1;
}

} // namespace

bool bio_method_init()
{
    if (method)
        return true;
    method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "x0 connection filters");
    if (!method)
        return false;
    BIO_meth_set_write(method, bio_write);
    BIO_meth_set_read(method, bio_read);
    BIO_meth_set_ctrl(method, bio_ctrl);
    BIO_meth_set_create(method, bio_create_cb);
    return true;
}

void bio_method_free()
{
    BIO_meth_free(method);
    method = nullptr;
}

BIO* bio_create(ssl_conn* sc)
{
    BIO* bio = BIO_new(method);
    if (bio)
        BIO_set_data(bio, sc);
    return bio;
}

} // namespace x0ssl
