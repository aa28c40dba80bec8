/*
 * BYTERANGE: Range requests (RFC 9110 section 14) for any GET 200 response
 * whose length is known at header time, static files and module responses
 * alike.
 *
 * Decided at header time, on the first call (before HTTP_HEADER writes the
 * head): If-Range, then the Range field, give 206 with Content-Range, 206
 * multipart/byteranges, 416, or nothing at all (the filter removes itself).
 *
 * The body is then cut in one forward pass with fixed memory: a running
 * offset into the original body says which bytes of each bucket fall in a
 * range; buckets are split at range edges and what lies outside every range
 * is deleted. Splitting a FILE bucket does not read it, so a range of a file
 * still leaves through sendfile. Nothing is buffered: whatever the handler
 * passes goes on in the same pass, and metadata stays in order.
 *
 * Parts should go out in the order they were asked for (RFC 9110 section
 * 15.3.7.2), which one forward pass gives only when that order ascends.
 * When it does not and the whole body is in the first brigade (as static
 * files send it), the parts are made of bucket copies instead, which share
 * the data; a body that comes in several passes has its parts sent in
 * ascending order.
 *
 * Buckets of unknown length (a pipe, a socket) must be read to be cut, and
 * nothing may wait for their source (bucket_read.h). At header time those
 * in the first brigade are read without waiting, at most stream_piece bytes
 * in all: when they all end there, the body is cut as any other; when one
 * has nothing yet or more than that, the body is a live stream and goes out
 * whole as a 200 (14.2 lets a server ignore Range), its waiting done in
 * CORE_OUT. One that comes in a later pass is read without blocking, at most
 * stream_piece bytes before what is cut so far is passed on; when its source
 * has nothing yet, what is cut goes on with a FLUSH, the rest is held (from
 * that bucket on, in order) and the filter returns X0_FLOW_STOP. Its next
 * call, whatever it brings (a lone FLUSH will do), starts with what it held.
 */
#include <algorithm>
#include <apr_date.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <cstring>
#include <strings.h>

#include "bucket_read.h"
#include "core_config.h"
#include "core_filters.h"
#include "range_parser.h"
#include "x0/http.h"
#include "x0/log.h"

namespace x0 {
namespace {

/** Room for "FIRST-LAST/LENGTH\r\n\r\n" with 64-bit numbers. */
constexpr apr_size_t range_line_max = 3 * 20 + 8;

/** Read from sources of unknown length in one call before passing on what is cut. */
constexpr apr_size_t stream_piece = 64 * 1024;

struct range_ctx {
    byte_range* ranges;       /**< sorted, disjoint, not touching */
    int count;
    int current;              /**< the first range not yet complete */
    apr_off_t offset;         /**< bytes of the original body seen so far */
    apr_off_t length;         /**< the original body's length, as announced */
    const char* part_head;    /**< multipart: each part's head up to "bytes "; else NULL */
    apr_size_t part_head_len;
    const char* closing;      /**< multipart: the close-delimiter */
    bool reorder;             /**< multipart, asked for out of ascending order */
    bool unsatisfiable;       /**< 416: the original body is dropped */
    bool ended;               /**< EOS or ERROR went by: drop anything after it */
    apr_bucket_brigade* held; /**< from a source with nothing yet on; created when needed */
};

/** How many fields named @a name @a t holds. */
int field_count(const apr_table_t* t, const char* name)
{
    const apr_array_header_t* fields = apr_table_elts(t);
    const auto* e = reinterpret_cast<const apr_table_entry_t*>(fields->elts);
    int n = 0;
    for (int i = 0; i < fields->nelts; ++i)
        if (e[i].key && strcasecmp(e[i].key, name) == 0)
            ++n;
    return n;
}

/** DQUOTE *etagc DQUOTE: a strong entity-tag (RFC 9110 section 8.8.3). */
bool is_strong_etag(const char* s)
{
    apr_size_t n = strlen(s);
    if (n < 2 || s[0] != '"' || s[n - 1] != '"')
        return false;
    for (apr_size_t i = 1; i + 1 < n; ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x21 || c == '"' || c == 0x7f)  // etagc = %x21 / %x23-7E / obs-text
            return false;
    }
    return true;
}

/** The If-Range condition (RFC 9110 section 13.1.5) against the response's validators. */
bool if_range_matches(const x0_request_t* r, const char* validator)
{
    if (validator[0] == '"' || strncmp(validator, "W/", 2) == 0) {
        // Strong comparison (8.8.3.2): a weak tag, on either side, never matches.
        const char* etag = apr_table_get(r->headers_out, "ETag");
        return etag && is_strong_etag(validator) && strcmp(etag, validator) == 0;
    }
    // An HTTP-date must equal Last-Modified exactly, and only counts when
    // that date is a strong validator: at least a second older than the
    // response (8.8.2.2), or the file may have changed twice within it.
    apr_time_t date = apr_date_parse_http(validator);
    const char* field = apr_table_get(r->headers_out, "Last-Modified");
    if (date == APR_DATE_BAD || !field)
        return false;
    apr_time_t modified = apr_date_parse_http(field);
    return modified != APR_DATE_BAD && date == modified
        && apr_time_sec(modified) < apr_time_sec(r->request_time);
}

/** "FIRST-LAST/LENGTH\r\n\r\n" into @a buf (range_line_max bytes); returns its length. */
apr_size_t format_range_line(char* buf, const byte_range& range, apr_off_t length)
{
    return apr_snprintf(buf, range_line_max,
                        "%" APR_OFF_T_FMT "-%" APR_OFF_T_FMT "/%" APR_OFF_T_FMT "\r\n\r\n",
                        range.first, range.last, length);
}

/** A random boundary, so that no body can be made to contain it (RFC 2046 5.1.1). */
const char* make_boundary(apr_pool_t* p)
{
    unsigned char raw[12];
    if (apr_generate_random_bytes(raw, sizeof raw) != APR_SUCCESS)
        return nullptr;
    static const char digits[] = "0123456789abcdef";
    char* s = static_cast<char*>(apr_palloc(p, 2 * sizeof raw + 1));
    for (apr_size_t i = 0; i < sizeof raw; ++i) {
        s[2 * i] = digits[raw[i] >> 4];
        s[2 * i + 1] = digits[raw[i] & 15];
    }
    s[2 * sizeof raw] = '\0';
    return s;
}

/**
 * Set up multipart/byteranges (RFC 9110 section 14.6): every part's head,
 * the close-delimiter, the media type and the exact Content-Length. False
 * when no boundary can be made (then the whole 200 goes out).
 */
bool start_multipart(x0_request_t* r, range_ctx* ctx)
{
    const char* boundary = make_boundary(r->pool);
    if (!boundary)
        return false;
    // A part carries the Content-Type the whole response would have had;
    // none when it has none.
    const char* type = r->content_type;
    ctx->part_head = apr_pstrcat(r->pool, "\r\n--", boundary, "\r\n",
                                 type ? "Content-Type: " : "", type ? type : "",
                                 type ? "\r\n" : "", "Content-Range: bytes ", nullptr);
    ctx->part_head_len = strlen(ctx->part_head);
    ctx->closing = apr_pstrcat(r->pool, "\r\n--", boundary, "--\r\n", nullptr);
    apr_off_t total = strlen(ctx->closing);
    char line[range_line_max];
    for (int i = 0; i < ctx->count; ++i) {
        const byte_range& range = ctx->ranges[i];
        total += ctx->part_head_len + format_range_line(line, range, ctx->length)
               + (range.last - range.first + 1);
    }
    r->content_type = apr_pstrcat(r->pool, "multipart/byteranges; boundary=", boundary, nullptr);
    x0_set_content_length(r, total);
    return true;
}

/**
 * Learn the length of every bucket in @a bb without waiting, reading at
 * most stream_piece bytes from sources. False when a source has nothing yet,
 * more than that, or fails (CORE_OUT meets the error in its turn). What was
 * read stays in place, in order, either way.
 */
bool read_ahead(apr_bucket_brigade* bb)
{
    apr_size_t budget = stream_piece;
    for (apr_bucket* b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b)) {
        if (!length_unknown(b))
            continue;
        apr_size_t added;
        if (read_unknown(b, &added) != APR_SUCCESS || added > budget)
            return false;
        budget -= added;  // the rest of the source follows b: the next turn reads it
    }
    return true;
}

/** Header time: the state for a response to cut, or NULL to leave it whole. */
range_ctx* start(x0_request_t* r, apr_bucket_brigade* bb)
{
    // 14.2: Range is defined for GET; only a whole representation (200)
    // whose length is known now can be cut and framed.
    if (r->method_number != X0_M_GET || r->header_only || r->status != 200
        || r->content_length < 0 || !r->headers_in)
        return nullptr;
    // Range is a singular field; a repeated one is ambiguous, and ignoring
    // a Range is always allowed (14.2). The same goes for If-Range.
    if (field_count(r->headers_in, "Range") != 1)
        return nullptr;
    int if_ranges = field_count(r->headers_in, "If-Range");
    if (if_ranges > 1
        || (if_ranges == 1 && !if_range_matches(r, apr_table_get(r->headers_in, "If-Range"))))
        return nullptr;  // 13.1.5: a failed If-Range MUST ignore Range

    // MaxRanges bounds the work and the parts of one response (the 2011
    // "Apache Killer"): more range-specs than that get the whole 200.
    auto* dir = static_cast<const core_dir_config*>(x0_get_dir_config(r, &core_module));
    int limit = dir ? max_ranges(dir) : default_max_ranges;
    byte_range* ranges = nullptr;
    int count = 0;
    range_result result = parse_ranges(r->pool, apr_table_get(r->headers_in, "Range"),
                                       r->content_length, limit, &ranges, &count);
    if (result == range_result::ignore || result == range_result::too_many)
        return nullptr;

    auto* ctx = static_cast<range_ctx*>(apr_pcalloc(r->pool, sizeof(range_ctx)));
    ctx->ranges = ranges;
    ctx->count = count;
    ctx->length = r->content_length;
    if (result == range_result::unsatisfiable) {
        // 15.5.17: 416 with the current length; the original body is
        // dropped and nothing replaces it.
        ctx->unsatisfiable = true;
        r->status = 416;
        apr_table_setn(r->headers_out, "Content-Range",
                       apr_psprintf(r->pool, "bytes */%" APR_OFF_T_FMT, ctx->length));
        r->content_type = nullptr;
        x0_set_content_length(r, 0);
        return ctx;
    }
    // A live stream is not waited for to be cut: the whole 200 goes out as
    // it comes (a 416 reads nothing, so it stands).
    if (!read_ahead(bb))
        return nullptr;
    if (count > 1 && !start_multipart(r, ctx))
        return nullptr;
    for (int i = 1; i < count; ++i)
        ctx->reorder = ctx->reorder || ranges[i].order < ranges[i - 1].order;
    r->status = 206;
    if (count == 1) {
        // 14.4: one range is sent as is, with the Content-Type of the whole.
        apr_table_setn(r->headers_out, "Content-Range",
                       apr_psprintf(r->pool, "bytes %" APR_OFF_T_FMT "-%" APR_OFF_T_FMT
                                             "/%" APR_OFF_T_FMT,
                                    ranges[0].first, ranges[0].last, ctx->length));
        x0_set_content_length(r, ranges[0].last - ranges[0].first + 1);
    }
    return ctx;
}

/** A part's head (boundary, Content-Type, Content-Range) as a bucket of its own. */
apr_bucket* part_head_bucket(const range_ctx* ctx, const byte_range& range,
                             apr_bucket_alloc_t* ba)
{
    auto* buf = static_cast<char*>(apr_bucket_alloc(ctx->part_head_len + range_line_max, ba));
    memcpy(buf, ctx->part_head, ctx->part_head_len);
    apr_size_t n = ctx->part_head_len
                 + format_range_line(buf + ctx->part_head_len, range, ctx->length);
    return apr_bucket_heap_create(buf, n, apr_bucket_free, ba);
}

/** Split @a b after @a at bytes, reading it first if its type cannot split unread. */
apr_status_t split(apr_bucket* b, apr_off_t at)
{
    auto point = static_cast<apr_size_t>(at);
    apr_status_t rv = apr_bucket_split(b, point);
    if (rv == APR_ENOTIMPL) {
        // As apr_brigade_partition does: reading morphs such a bucket into
        // one that splits. Its length is known, so its data is at hand: a
        // read that would wait is an error, never a wait.
        const char* data;
        apr_size_t len;
        rv = apr_bucket_read(b, &data, &len, APR_NONBLOCK_READ);
        if (rv == APR_SUCCESS)
            rv = apr_bucket_split(b, point);
    }
    return rv;
}

/**
 * Cut the data bucket @a b (of known length): keep what falls in the
 * ranges, each range preceded by its part head when multipart, and delete
 * the rest. @a *kept is set to the last piece kept, if any.
 */
apr_status_t cut(range_ctx* ctx, apr_bucket* b, apr_bucket** kept)
{
    apr_bucket* end = APR_BUCKET_NEXT(b);  // splitting b inserts before it
    while (b != end) {
        auto len = static_cast<apr_off_t>(b->length);
        apr_bucket* next = APR_BUCKET_NEXT(b);
        if (len == 0) {
            b = next;
            continue;
        }
        if (ctx->current == ctx->count) {  // after the last range
            ctx->offset += len;
            apr_bucket_delete(b);
            b = next;
            continue;
        }
        const byte_range& range = ctx->ranges[ctx->current];
        if (ctx->offset < range.first) {   // before the current range
            apr_off_t skip = range.first - ctx->offset;
            if (skip < len) {
                apr_status_t rv = split(b, skip);
                if (rv != APR_SUCCESS)
                    return rv;
                next = APR_BUCKET_NEXT(b);
            }
            ctx->offset += static_cast<apr_off_t>(b->length);
            apr_bucket_delete(b);
            b = next;
            continue;
        }
        if (ctx->offset == range.first && ctx->part_head)
            APR_BUCKET_INSERT_BEFORE(b, part_head_bucket(ctx, range, b->list));
        apr_off_t keep = range.last - ctx->offset + 1;
        if (keep < len) {
            apr_status_t rv = split(b, keep);
            if (rv != APR_SUCCESS)
                return rv;
            next = APR_BUCKET_NEXT(b);
        }
        ctx->offset += static_cast<apr_off_t>(b->length);
        if (ctx->offset > range.last)
            ++ctx->current;
        *kept = b;
        b = next;
    }
    return APR_SUCCESS;
}

/**
 * A FILE_CHECK guard belongs X0_FILE_CHECK_TAIL before the end of what goes
 * out (x0/filter.h), but the ranges may end long before the file does: move
 * @a guard that far into @a kept, the last piece of the last range (or in
 * front of all of it), so that a file that changed while its ranges were
 * sent still leaves the response incomplete.
 */
apr_status_t move_guard(apr_bucket* kept, apr_bucket* guard)
{
    apr_bucket* tail = kept;
    if (kept->length > X0_FILE_CHECK_TAIL) {
        apr_status_t rv =
            split(kept, static_cast<apr_off_t>(kept->length - X0_FILE_CHECK_TAIL));
        if (rv != APR_SUCCESS)
            return rv;
        tail = APR_BUCKET_NEXT(kept);
    }
    APR_BUCKET_REMOVE(guard);
    APR_BUCKET_INSERT_BEFORE(tail, guard);
    return APR_SUCCESS;
}

/** Copy @a b into the brigade before @a at, and trim the copy to [skip, skip + take). */
apr_status_t copy_piece(apr_bucket* b, apr_off_t skip, apr_off_t take, apr_bucket* at,
                        apr_bucket** piece)
{
    apr_bucket* c;
    apr_status_t rv = apr_bucket_copy(b, &c);
    if (rv == APR_ENOTIMPL) {
        const char* data;
        apr_size_t len;
        rv = apr_bucket_read(b, &data, &len, APR_NONBLOCK_READ);  // as in split()
        if (rv == APR_SUCCESS)
            rv = apr_bucket_copy(b, &c);
    }
    if (rv != APR_SUCCESS)
        return rv;
    APR_BUCKET_INSERT_BEFORE(at, c);  // splitting needs it linked
    if (skip > 0) {
        if ((rv = split(c, skip)) != APR_SUCCESS)
            return rv;
        apr_bucket* rest = APR_BUCKET_NEXT(c);
        apr_bucket_delete(c);
        c = rest;
    }
    if (take < static_cast<apr_off_t>(c->length)) {
        if ((rv = split(c, take)) != APR_SUCCESS)
            return rv;
        apr_bucket_delete(APR_BUCKET_NEXT(c));
    }
    *piece = c;
    return APR_SUCCESS;
}

/**
 * When the whole body is in @a bb, up to its EOS: build the parts in the
 * order of their range-specs from copies of its buckets, then delete the
 * originals (and any data after EOS). APR_INCOMPLETE when the body is not
 * all here, is not its announced length or broke off: the forward pass
 * then sends the parts in ascending order, or marks the body broken.
 */
apr_status_t send_in_order(range_ctx* ctx, apr_bucket_brigade* bb, apr_pool_t* p)
{
    apr_bucket* eos = APR_BRIGADE_FIRST(bb);
    while (eos != APR_BRIGADE_SENTINEL(bb) && !APR_BUCKET_IS_EOS(eos))
        eos = APR_BUCKET_NEXT(eos);
    if (eos == APR_BRIGADE_SENTINEL(bb))
        return APR_INCOMPLETE;
    apr_off_t total = 0;
    for (apr_bucket* b = APR_BRIGADE_FIRST(bb); b != eos; b = APR_BUCKET_NEXT(b)) {
        if (X0_BUCKET_IS_ERROR(b))
            return APR_INCOMPLETE;  // broken off: no complete multipart body
        if (APR_BUCKET_IS_METADATA(b))
            continue;
        if (length_unknown(b))
            return APR_INCOMPLETE;  // start() read every source to its end; never wait here
        total += static_cast<apr_off_t>(b->length);
    }
    if (total != ctx->length)
        return APR_INCOMPLETE;

    // The ranges by order: at most MaxRanges of them, sorted once.
    auto* by_order = static_cast<const byte_range**>(
        apr_palloc(p, sizeof(const byte_range*) * ctx->count));
    for (int i = 0; i < ctx->count; ++i)
        by_order[i] = &ctx->ranges[i];
    std::sort(by_order, by_order + ctx->count,
              [](const byte_range* a, const byte_range* b) { return a->order < b->order; });

    apr_bucket* body_end = eos;  // becomes the first bucket added after the body
    apr_bucket* kept = nullptr;
    for (int i = 0; i < ctx->count; ++i) {
        const byte_range& range = *by_order[i];
        apr_bucket* head = part_head_bucket(ctx, range, bb->bucket_alloc);
        APR_BUCKET_INSERT_BEFORE(eos, head);
        if (body_end == eos)
            body_end = head;
        apr_off_t offset = 0;
        for (apr_bucket* b = APR_BRIGADE_FIRST(bb); b != body_end && offset <= range.last;
             b = APR_BUCKET_NEXT(b)) {
            if (APR_BUCKET_IS_METADATA(b))
                continue;
            auto len = static_cast<apr_off_t>(b->length);
            apr_off_t from = std::max(offset, range.first);
            apr_off_t to = std::min(offset + len - 1, range.last);
            offset += len;
            if (from > to)
                continue;
            apr_status_t rv = copy_piece(b, from - (offset - len), to - from + 1, eos, &kept);
            if (rv != APR_SUCCESS)
                return rv;
        }
    }
    APR_BUCKET_INSERT_BEFORE(eos, apr_bucket_immortal_create(ctx->closing,
                                                             strlen(ctx->closing),
                                                             bb->bucket_alloc));
    // The originals go; metadata stays, and a file guard follows the data.
    for (apr_bucket* b = APR_BRIGADE_FIRST(bb); b != body_end;) {
        apr_bucket* next = APR_BUCKET_NEXT(b);
        if (!APR_BUCKET_IS_METADATA(b)) {
            apr_bucket_delete(b);
        } else if (X0_BUCKET_IS_FILE_CHECK(b) && kept) {
            apr_status_t rv = move_guard(kept, b);
            if (rv != APR_SUCCESS)
                return rv;
        }
        b = next;
    }
    // Nothing after the end counts.
    for (apr_bucket* b = APR_BUCKET_NEXT(eos); b != APR_BRIGADE_SENTINEL(bb);) {
        apr_bucket* next = APR_BUCKET_NEXT(b);
        if (!APR_BUCKET_IS_METADATA(b))
            apr_bucket_delete(b);
        b = next;
    }
    ctx->offset = ctx->length;
    ctx->current = ctx->count;
    ctx->ended = true;
    return APR_SUCCESS;
}

/**
 * EOS: close the multipart body, or -- when the body ended short of (or
 * beyond) the length the head announced -- mark the response broken so that
 * the connection closes instead of framing a wrong body as complete.
 */
void end_body(x0_filter_t* f, range_ctx* ctx, apr_bucket* eos)
{
    ctx->ended = true;
    if (ctx->unsatisfiable)
        return;
    if (ctx->offset != ctx->length) {
        x0_log_error(X0LOG(00601), X0_LOG_ERR, 0, f->r->server,
                     "response body of %" APR_OFF_T_FMT " bytes where %" APR_OFF_T_FMT
                     " were announced; closing the connection",
                     ctx->offset, ctx->length);
        APR_BUCKET_INSERT_BEFORE(eos, x0_bucket_error_create(500, eos->list));
        f->c->keepalive = 0;
        return;
    }
    if (ctx->closing)
        APR_BUCKET_INSERT_BEFORE(eos, apr_bucket_immortal_create(ctx->closing,
                                                                 strlen(ctx->closing),
                                                                 eos->list));
}

/**
 * Stop before @a b: pass what is before it on now (with a FLUSH), and keep
 * @a b and what follows it in ctx->held. The filter's status follows.
 */
apr_status_t pass_before(x0_filter_t* f, range_ctx* ctx, apr_bucket_brigade* bb, apr_bucket* b)
{
    if (!ctx->held)
        ctx->held = apr_brigade_create(f->r->pool, bb->bucket_alloc);
    apr_status_t rv = hold_from(b, bb, ctx->held, f->r->pool);
    // Each call that finds the source still empty adds the FLUSH it was
    // driven with: one in a row is as good as many.
    for (apr_bucket* e = APR_BRIGADE_FIRST(ctx->held); e != APR_BRIGADE_SENTINEL(ctx->held);) {
        apr_bucket* next = APR_BUCKET_NEXT(e);
        if (APR_BUCKET_IS_FLUSH(e) && next != APR_BRIGADE_SENTINEL(ctx->held)
            && APR_BUCKET_IS_FLUSH(next))
            apr_bucket_delete(e);
        e = next;
    }
    if (rv == APR_SUCCESS) {
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(bb->bucket_alloc));
        rv = x0_pass_brigade(f->next, bb);
    }
    apr_brigade_cleanup(bb);
    if (rv != APR_SUCCESS && rv != X0_FLOW_STOP)
        apr_brigade_cleanup(ctx->held);  // errors are final: nothing more goes out
    return rv;
}

/** Whether @a bb holds an EOS: a handler that has passed it never passes again. */
bool has_eos(apr_bucket_brigade* bb)
{
    for (apr_bucket* b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b))
        if (APR_BUCKET_IS_EOS(b))
            return true;
    return false;
}

} // namespace

apr_status_t byterange_filter(x0_filter_t* f, apr_bucket_brigade* bb)
{
    auto* ctx = static_cast<range_ctx*>(f->ctx);
    if (!ctx) {
        ctx = start(f->r, bb);
        if (!ctx) {
            x0_remove_output_filter(f);
            return x0_pass_brigade(f->next, bb);
        }
        f->ctx = ctx;
        if (ctx->reorder) {
            apr_status_t rv = send_in_order(ctx, bb, f->r->pool);
            if (rv == APR_SUCCESS)
                return x0_pass_brigade(f->next, bb);
            if (rv != APR_INCOMPLETE)
                return rv;
        }
    }
    if (ctx->held && !APR_BRIGADE_EMPTY(ctx->held))
        APR_BRIGADE_PREPEND(bb, ctx->held);  // what waited goes first
    bool stopped = false;        // a pass in this call answered X0_FLOW_STOP
    apr_size_t streamed = 0;     // bytes read from sources in this call
    apr_bucket* kept = nullptr;  // the last data kept in this brigade
    apr_bucket* b = APR_BRIGADE_FIRST(bb);
    while (b != APR_BRIGADE_SENTINEL(bb)) {
        apr_bucket* next = APR_BUCKET_NEXT(b);
        if (APR_BUCKET_IS_METADATA(b)) {
            // Metadata keeps its place (but for a file guard that would come
            // too late); only the first end counts.
            if (!ctx->ended && APR_BUCKET_IS_EOS(b)) {
                end_body(f, ctx, b);
            } else if (!ctx->ended && X0_BUCKET_IS_ERROR(b)) {
                // The body broke off upstream: no closing boundary now.
                ctx->ended = true;
                f->c->keepalive = 0;
            } else if (X0_BUCKET_IS_FILE_CHECK(b) && kept && ctx->current == ctx->count) {
                apr_status_t rv = move_guard(kept, b);
                if (rv != APR_SUCCESS)
                    return rv;
            }
            b = next;
            continue;
        }
        if (ctx->ended || ctx->unsatisfiable) {
            apr_bucket_delete(b);
            b = next;
            continue;
        }
        if (length_unknown(b)) {
            apr_size_t added = 0;
            apr_status_t rv = streamed < stream_piece ? read_unknown(b, &added) : APR_INCOMPLETE;
            if (rv == APR_INCOMPLETE) {
                // Fixed memory: what is cut so far goes on before more is read.
                // A handler that has passed its EOS never passes again, so
                // with the EOS in hand go on even when told to stop.
                rv = pass_before(f, ctx, bb, b);
                if (rv == X0_FLOW_STOP && !has_eos(ctx->held))
                    return X0_FLOW_STOP;
                if (rv != APR_SUCCESS && rv != X0_FLOW_STOP)
                    return rv;
                stopped = stopped || rv == X0_FLOW_STOP;
                APR_BRIGADE_CONCAT(bb, ctx->held);
                streamed = 0;
                kept = nullptr;  // it went on
                b = APR_BRIGADE_FIRST(bb);
                continue;
            }
            if (APR_STATUS_IS_EAGAIN(rv)) {
                // Nothing from the source yet. XXX: nothing calls this filter
                // again when the source becomes readable (the core drives
                // connection filters again, not request filters): only the
                // handler's next pass does.
                // A handler that has passed its EOS never passes again and
                // its request would end (EOR on the connection chain) with
                // the rest still here: so that a short body is never followed
                // by another response, this connection closes after it.
                f->c->keepalive = 0;
                rv = pass_before(f, ctx, bb, b);
                return rv == APR_SUCCESS ? X0_FLOW_STOP : rv;
            }
            if (rv != APR_SUCCESS) {
                apr_brigade_cleanup(bb);
                return rv;
            }
            streamed += added;
            next = APR_BUCKET_NEXT(b);  // the rest of the source, after b
        }
        apr_status_t rv = cut(ctx, b, &kept);
        if (rv != APR_SUCCESS)
            return rv;
        b = next;
    }
    apr_status_t rv = x0_pass_brigade(f->next, bb);
    return rv == APR_SUCCESS && stopped ? X0_FLOW_STOP : rv;
}

} // namespace x0
