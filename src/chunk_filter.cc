/*
 * CHUNK: the chunked transfer coding (RFC 9112 section 7.1).
 *
 * Each run of data buckets up to a FLUSH, EOS or the end of the brigade
 * becomes one chunk: a size line before it, CRLF after it. EOS gets the last
 * chunk. An ERROR bucket means the body broke off: the last chunk is held
 * back, so the client sees an incomplete response, and the connection closes.
 *
 * A bucket of unknown length (a pipe, a socket) is never read here: that
 * could wait for its source. It ends the run before it and is replaced by a
 * framed source (bucket_read.h) that becomes one chunk per read when the
 * network reads it, so any waiting happens in CORE_OUT, in order, before the
 * request's EOR. Chunks may have any size (RFC 9112 section 7.1); only an
 * empty piece must never become a chunk, since "0" is the last chunk.
 */
#include <apr_strings.h>

#include "bucket_read.h"
#include "core_filters.h"
#include "x0/http.h"

namespace x0 {
namespace {

constexpr char crlf[] = "\r\n";
constexpr char last_chunk[] = "0\r\n\r\n";

/** The chunk-size line for @a length bytes into @a buf (framing_head_max bytes). */
apr_size_t size_line(char* buf, apr_size_t length)
{
    return apr_snprintf(buf, framing_head_max, "%" APR_UINT64_T_HEX_FMT "\r\n",
                        static_cast<apr_uint64_t>(length));
}

const source_framing chunk_framing = {size_line, crlf, 2};

void wrap_chunk(apr_bucket* first, apr_bucket* end, apr_size_t length, apr_bucket_alloc_t* ba)
{
    char line[framing_head_max];
    apr_size_t n = size_line(line, length);
    APR_BUCKET_INSERT_BEFORE(first, apr_bucket_heap_create(line, n, nullptr, ba));
    APR_BUCKET_INSERT_BEFORE(end, apr_bucket_immortal_create(crlf, 2, ba));
}

} // namespace

apr_status_t chunk_filter(x0_filter_t* f, apr_bucket_brigade* bb)
{
    apr_bucket_alloc_t* ba = f->c->bucket_alloc;
    apr_bucket* first = nullptr;  // the current chunk's first data bucket
    apr_size_t length = 0;
    for (apr_bucket* b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b)) {
        if (!APR_BUCKET_IS_METADATA(b)) {
            if (length_unknown(b)) {
                if (first) {
                    wrap_chunk(first, b, length, ba);
                    first = nullptr;
                    length = 0;
                }
                b = frame_source(b, &chunk_framing);
                continue;
            }
            if (b->length == 0)
                continue;
            if (!first)
                first = b;
            length += b->length;
            continue;
        }
        if (first) {
            wrap_chunk(first, b, length, ba);
            first = nullptr;
            length = 0;
        }
        if (APR_BUCKET_IS_EOS(b) && !f->ctx) {
            APR_BUCKET_INSERT_BEFORE(b, apr_bucket_immortal_create(last_chunk, 5, ba));
        } else if (X0_BUCKET_IS_ERROR(b)) {
            f->ctx = f;  // broken off: never send the last chunk now
            f->c->keepalive = 0;
        }
    }
    if (first)
        wrap_chunk(first, APR_BRIGADE_SENTINEL(bb), length, ba);
    return x0_pass_brigade(f->next, bb);
}

} // namespace x0
