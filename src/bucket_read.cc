/*
 * Reading buckets of unknown length without blocking (bucket_read.h has the
 * design), and the framed source that lets CHUNK frame a pipe without
 * reading it.
 */
#include "bucket_read.h"

#include <apr_network_io.h>
#include <apr_portable.h>

namespace x0 {
namespace {

/**
 * A framed source's state: the source and what its reads leave behind, in a
 * ring of their own. Only the ring of the brigade is used (no pool, no
 * cleanup): it is allocated from the bucket allocator and lives exactly as
 * long as the framed source bucket that refers to it.
 */
struct framed_state {
    apr_bucket_brigade ring;
    const source_framing* framing;
};

void framed_destroy(void* data)
{
    auto* st = static_cast<framed_state*>(data);
    while (!APR_BRIGADE_EMPTY(&st->ring))
        apr_bucket_delete(APR_BRIGADE_FIRST(&st->ring));
    apr_bucket_free(st);
}

apr_status_t framed_read(apr_bucket* b, const char** str, apr_size_t* len, apr_read_type_e block);

const apr_bucket_type_t framed_type = {
    "FRAMED_SOURCE", 5, apr_bucket_type_t::APR_BUCKET_DATA, framed_destroy, framed_read,
    apr_bucket_setaside_notimpl, apr_bucket_split_notimpl, apr_bucket_copy_notimpl,
};

apr_bucket* framed_create(framed_state* st, apr_bucket_alloc_t* list)
{
    auto* b = static_cast<apr_bucket*>(apr_bucket_alloc(sizeof(apr_bucket), list));
    APR_BUCKET_INIT(b);
    b->free = apr_bucket_free;
    b->list = list;
    b->type = &framed_type;
    b->length = unknown_length;
    b->start = -1;
    b->data = st;
    return b;
}

/**
 * Read one piece of the source and become it, framed. The state moves to a
 * new framed source after the piece (or is freed at the source's end), as
 * APR's pipe bucket moves its file to a new pipe bucket.
 */
apr_status_t framed_read(apr_bucket* b, const char** str, apr_size_t* len, apr_read_type_e block)
{
    auto* st = static_cast<framed_state*>(b->data);
    apr_bucket_brigade* ring = &st->ring;
    for (;;) {
        if (APR_BRIGADE_EMPTY(ring)) {  // the source has ended
            apr_bucket_free(st);
            apr_bucket_immortal_make(b, "", 0);
            return apr_bucket_read(b, str, len, block);
        }
        apr_bucket* s = APR_BRIGADE_FIRST(ring);
        const char* data;
        apr_size_t n;
        if (APR_BUCKET_IS_METADATA(s)) {
            apr_bucket_delete(s);
            continue;
        }
        apr_status_t rv = apr_bucket_read(s, &data, &n, block);
        if (rv != APR_SUCCESS)
            return rv;  // APR_EAGAIN included: nothing changed
        if (n == 0) {   // a pipe at its end turns into an empty bucket
            apr_bucket_delete(s);
            continue;
        }
        APR_BUCKET_REMOVE(s);
        char head[framing_head_max];
        apr_size_t head_len = st->framing->head(head, n);
        apr_bucket* tail = apr_bucket_immortal_create(st->framing->tail, st->framing->tail_len,
                                                      b->list);
        APR_BUCKET_INSERT_AFTER(b, tail);
        APR_BUCKET_INSERT_AFTER(b, s);
        if (APR_BRIGADE_EMPTY(ring))
            apr_bucket_free(st);
        else
            APR_BUCKET_INSERT_AFTER(tail, framed_create(st, b->list));
        apr_bucket_heap_make(b, head, head_len, nullptr);  // copies the head
        return apr_bucket_read(b, str, len, block);
    }
}

} // namespace

apr_status_t read_unknown(apr_bucket* b, apr_size_t* added)
{
    apr_bucket* after = APR_BUCKET_NEXT(b);  // a read inserts only between b and this
    const char* data;
    apr_size_t len;
    apr_status_t rv = apr_bucket_read(b, &data, &len, APR_NONBLOCK_READ);
    if (rv != APR_SUCCESS || !added)
        return rv;
    apr_size_t bytes = 0;
    for (apr_bucket* e = b; e != after; e = APR_BUCKET_NEXT(e))
        if (!APR_BUCKET_IS_METADATA(e) && !length_unknown(e))
            bytes += e->length;
    *added = bytes;
    return APR_SUCCESS;
}

int source_fd(const apr_bucket* b)
{
    if (APR_BUCKET_IS_PIPE(b)) {
        apr_os_file_t fd;
        return apr_os_file_get(&fd, static_cast<apr_file_t*>(b->data)) == APR_SUCCESS ? fd : -1;
    }
    if (APR_BUCKET_IS_SOCKET(b)) {
        apr_os_sock_t fd;
        return apr_os_sock_get(&fd, static_cast<apr_socket_t*>(b->data)) == APR_SUCCESS ? fd : -1;
    }
    if (is_framed_source(b)) {
        auto* st = static_cast<const framed_state*>(b->data);
        if (!APR_BRIGADE_EMPTY(&st->ring))
            return source_fd(APR_BRIGADE_FIRST(&st->ring));
    }
    return -1;
}

apr_bucket* frame_source(apr_bucket* source, const source_framing* framing)
{
    auto* st = static_cast<framed_state*>(apr_bucket_alloc(sizeof(framed_state), source->list));
    APR_RING_INIT(&st->ring.list, apr_bucket, link);
    st->ring.p = nullptr;
    st->ring.bucket_alloc = source->list;
    st->framing = framing;
    apr_bucket* framed = framed_create(st, source->list);
    APR_BUCKET_INSERT_BEFORE(source, framed);
    APR_BUCKET_REMOVE(source);
    APR_BRIGADE_INSERT_TAIL(&st->ring, source);
    return framed;
}

bool is_framed_source(const apr_bucket* b)
{
    return b->type == &framed_type;
}

apr_status_t hold_from(apr_bucket* from, apr_bucket_brigade* bb, apr_bucket_brigade* held,
                       apr_pool_t* p)
{
    while (from != APR_BRIGADE_SENTINEL(bb)) {
        apr_bucket* next = APR_BUCKET_NEXT(from);
        apr_status_t rv = apr_bucket_setaside(from, p);
        if (rv != APR_SUCCESS && rv != APR_ENOTIMPL)
            return rv;
        APR_BUCKET_REMOVE(from);
        APR_BRIGADE_INSERT_TAIL(held, from);
        from = next;
    }
    return APR_SUCCESS;
}

} // namespace x0
