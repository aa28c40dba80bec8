/*
 * mod_replace: `ReplaceText FROM TO` replaces every FROM in text responses
 * with TO, streaming.
 *
 *   <Location /docs>
 *       ReplaceText "Copyright 2023" "Copyright 2024"
 *   </Location>
 *
 * An example of an output filter of type X0_FTYPE_CONTENT, in C++ against
 * the installed headers only:
 *
 * - It is added by an insert_filter hook where ReplaceText is configured,
 *   and decides at its first call, from the response's head, whether to act
 *   (a text/ type, a body, no Content-Encoding); if not it removes itself
 *   without touching the buckets, so a file still leaves by sendfile.
 * - It never holds the body: data buckets are read one at a time (a file
 *   bucket yields 8000 bytes per read) and what cannot be part of a match
 *   leaves at once, split off the input bucket without a copy. At most
 *   strlen(FROM) - 1 bytes are carried from one bucket to the next, so a
 *   match that straddles two buckets, or two brigades, is still found.
 * - Memory per response is fixed: the context, the carry (allocated once)
 *   and two brigades, all from the request pool, made at the first call.
 * - It honours flow control: when a pass answers X0_FLOW_STOP it sets the
 *   rest of its input aside in the request pool and returns X0_FLOW_STOP;
 *   the handler resumes later and the next call starts with what was kept.
 *
 * `ReplaceText Off` turns it off for an inner scope.
 *
 * FROM and TO may use the escapes \n \r \t \\ and \xHH, so that a match can
 * span lines. Matches do not overlap; the leftmost wins.
 */
#include <apr_lib.h>
#include <apr_strings.h>
#include <cstdlib>
#include <cstring>
#include <strings.h>

#include <x0/filter.h>
#include <x0/http.h>
#include <x0/log.h>
#include <x0/module.h>

// The module struct is defined at the end; its functions need it before
// (x0_get_dir_config). Same declaration as X0_MODULE() makes.
X0_EXTERN_C X0_API x0_module_t replace_module;

namespace {

constexpr char filter_name[] = "REPLACE";
/** A longer FROM would make the carry (and the work per byte) large. */
constexpr apr_size_t max_pattern = 1024;

/** Per-directory: the pair in force; NULL from means none. */
struct replace_conf {
    const char* from;
    apr_size_t from_len;
    const char* to;
    apr_size_t to_len;
    bool set;  /**< ReplaceText appeared in this scope (inner scopes win) */
};

/** The filter's state for one response; in the request pool. */
struct replace_ctx {
    const replace_conf* conf;
    char* carry;              /**< capacity from_len - 1 */
    apr_size_t carry_len;
    apr_bucket_brigade* out;  /**< what goes down next */
    apr_bucket_brigade* held; /**< input set aside after X0_FLOW_STOP */
    apr_status_t error;       /**< sticky: a pass failed */
};

// ---- configuration ------------------------------------------------------

void* replace_create_dir(apr_pool_t* p, const char*)
{
    return apr_pcalloc(p, sizeof(replace_conf));
}

void* replace_merge_dir(apr_pool_t*, void* base, void* add)
{
    // Neither may be modified: the inner one wins where it says something.
    return static_cast<replace_conf*>(add)->set ? add : base;
}

/** Decode \n \r \t \\ \xHH into @a p; NULL and @a err on a bad escape. */
const char* unescape(apr_pool_t* p, const char* in, apr_size_t* len, const char** err)
{
    char* out = static_cast<char*>(apr_palloc(p, strlen(in) + 1));
    apr_size_t n = 0;
    for (const char* s = in; *s; ++s) {
        if (*s != '\\') {
            out[n++] = *s;
            continue;
        }
        switch (*++s) {
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case '\\': out[n++] = '\\'; break;
        case 'x':
            if (apr_isxdigit(s[1]) && apr_isxdigit(s[2])) {
                char hex[3] = {s[1], s[2], '\0'};
                out[n++] = static_cast<char>(strtol(hex, nullptr, 16));
                s += 2;
                break;
            }
            // fall through
        default:
            *err = apr_psprintf(p, "bad escape in \"%s\" (use \\n \\r \\t \\\\ or \\xHH)", in);
            return nullptr;
        }
    }
    out[n] = '\0';
    *len = n;
    return out;
}

const char* set_replace_text(x0_cmd_parms_t* cmd, void* dir_cfg, int argc,
                             const char* const* argv)
{
    auto* conf = static_cast<replace_conf*>(dir_cfg);
    conf->set = true;
    if (argc == 1) {  // ReplaceText Off: none here, whatever the outer scope says
        if (strcasecmp(argv[0], "off") != 0)
            return "ReplaceText takes FROM TO, or Off";
        conf->from = nullptr;
        return nullptr;
    }
    const char* err = nullptr;
    conf->from = unescape(cmd->pool, argv[0], &conf->from_len, &err);
    if (!conf->from)
        return err;
    conf->to = unescape(cmd->pool, argv[1], &conf->to_len, &err);
    if (!conf->to)
        return err;
    if (conf->from_len == 0)
        return "ReplaceText: the text to replace must not be empty";
    if (conf->from_len > max_pattern)
        return apr_psprintf(cmd->temp_pool, "ReplaceText: the text to replace is longer "
                            "than %lu bytes", static_cast<unsigned long>(max_pattern));
    return nullptr;
}

const x0_directive_t replace_directives[] = {
    {"ReplaceText", set_replace_text, 1, 2, X0_CONF_ANYWHERE, "FROM TO | Off"},
    {nullptr, nullptr, 0, 0, 0, nullptr},
};

// ---- the filter ---------------------------------------------------------

/** Decided at the first call, from the head the handler has set. */
bool worth_filtering(const x0_request_t* r)
{
    if (r->status == 204 || r->status == 304 || r->status < 200)
        return false;
    if (!r->content_type || strncasecmp(r->content_type, "text/", 5) != 0)
        return false;
    // A compressed body is not text whatever its type says.
    return apr_table_get(r->headers_out, "Content-Encoding") == nullptr;
}

/** A copy of @a n bytes at the tail of ctx->out (the carry, or part of it). */
void emit_copy(replace_ctx* ctx, const char* data, apr_size_t n)
{
    if (n > 0)
        APR_BRIGADE_INSERT_TAIL(ctx->out, apr_bucket_heap_create(data, n, nullptr,
                                                                 ctx->out->bucket_alloc));
}

void emit_to(replace_ctx* ctx)
{
    // The configuration outlives every response served with it.
    if (ctx->conf->to_len > 0)
        APR_BRIGADE_INSERT_TAIL(ctx->out, apr_bucket_immortal_create(
                                              ctx->conf->to, ctx->conf->to_len,
                                              ctx->out->bucket_alloc));
}

/**
 * Take @a n bytes off the front of the data bucket @a b (whose data starts
 * at @a data): move them to ctx->out when @a keep, else drop them. Returns
 * the bucket holding the rest, or NULL when nothing is left.
 */
apr_bucket* take_front(replace_ctx* ctx, apr_bucket* b, apr_size_t n, bool keep)
{
    if (n == 0)
        return b;
    apr_bucket* rest = nullptr;
    if (n < b->length) {
        apr_bucket_split(b, n);  // memory buckets always split
        rest = APR_BUCKET_NEXT(b);
    }
    APR_BUCKET_REMOVE(b);
    if (keep)
        APR_BRIGADE_INSERT_TAIL(ctx->out, b);
    else
        apr_bucket_destroy(b);
    return rest;
}

/**
 * The length of the longest tail of @a data (at most from_len - 1 bytes)
 * that is a beginning of FROM: those bytes may start a match that the next
 * bucket completes.
 */
apr_size_t partial_tail(const replace_conf* conf, const char* data, apr_size_t len)
{
    apr_size_t k = conf->from_len - 1 < len ? conf->from_len - 1 : len;
    for (; k > 0; --k)
        if (memcmp(data + len - k, conf->from, k) == 0)
            return k;
    return 0;
}

/**
 * The bucket @a b (read: @a len bytes at @a data) follows the carry. First
 * settle the carry against the bucket's first bytes, then replace inside
 * the bucket, then carry its tail if it may begin a match. Everything that
 * is decided goes to ctx->out; @a b is used up.
 */
void replace_bucket(replace_ctx* ctx, apr_bucket* b, const char* data, apr_size_t len)
{
    const replace_conf* conf = ctx->conf;
    const char* from = conf->from;
    const apr_size_t m = conf->from_len;
    apr_size_t pos = 0;  // bytes of @a data settled

    // A match that starts in the carry: the leftmost one wins.
    for (apr_size_t i = 0; ctx->carry_len > 0 && i < ctx->carry_len; ++i) {
        apr_size_t have = ctx->carry_len - i;  // carry bytes it would use
        if (memcmp(ctx->carry + i, from, have) != 0)
            continue;
        apr_size_t need = m - have;            // bytes it needs from @a data
        if (len < need) {
            if (memcmp(data, from + have, len) != 0)
                continue;
            // Still undecided: carry what may match, with this whole bucket.
            emit_copy(ctx, ctx->carry, i);
            memmove(ctx->carry, ctx->carry + i, have);
            memcpy(ctx->carry + have, data, len);
            ctx->carry_len = have + len;
            take_front(ctx, b, len, false);
            return;
        }
        if (memcmp(data, from + have, need) != 0)
            continue;
        emit_copy(ctx, ctx->carry, i);
        emit_to(ctx);
        ctx->carry_len = 0;
        b = take_front(ctx, b, need, false);
        pos = need;
        break;
    }
    if (ctx->carry_len > 0) {  // no match starts in it
        emit_copy(ctx, ctx->carry, ctx->carry_len);
        ctx->carry_len = 0;
    }

    // Matches inside the bucket: the bytes between them leave without a copy.
    while (b) {
        const char* hit = nullptr;
        for (const char* at = data + pos; at + m <= data + len; ++at) {
            at = static_cast<const char*>(memchr(at, from[0], data + len - at));
            if (!at || at + m > data + len)
                break;
            if (memcmp(at, from, m) == 0) {
                hit = at;
                break;
            }
        }
        if (!hit)
            break;
        b = take_front(ctx, b, hit - (data + pos), true);
        emit_to(ctx);
        b = take_front(ctx, b, m, false);
        pos = hit - data + m;
    }
    if (!b)
        return;

    // The tail that may begin a match waits for the next bucket.
    apr_size_t tail = partial_tail(conf, data + pos, len - pos);
    b = take_front(ctx, b, len - pos - tail, true);
    if (tail > 0) {
        memcpy(ctx->carry, data + len - tail, tail);
        ctx->carry_len = tail;
        take_front(ctx, b, tail, false);
    }
}

/** Is there an EOS in @a bb? */
bool has_eos(apr_bucket_brigade* bb)
{
    for (apr_bucket* b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b))
        if (APR_BUCKET_IS_EOS(b))
            return true;
    return false;
}

/** Pass ctx->out on; the brigade is ours again, empty, whatever happens. */
apr_status_t pass_out(x0_filter_t* f, replace_ctx* ctx)
{
    apr_status_t rv = x0_pass_brigade(f->next, ctx->out);
    apr_brigade_cleanup(ctx->out);
    return rv;
}

/** Keep what is left of @a bb for the next call (X0_FLOW_STOP). */
apr_status_t hold(x0_filter_t* f, replace_ctx* ctx, apr_bucket_brigade* bb)
{
    while (!APR_BRIGADE_EMPTY(bb)) {
        apr_bucket* b = APR_BRIGADE_FIRST(bb);
        // Transient data points into the caller's buffers: copy it into
        // the request pool; file buckets keep their fd, no data is read.
        apr_status_t rv = apr_bucket_setaside(b, f->r->pool);
        if (rv != APR_SUCCESS && rv != APR_ENOTIMPL) {
            apr_brigade_cleanup(bb);
            return ctx->error = rv;
        }
        APR_BUCKET_REMOVE(b);
        APR_BRIGADE_INSERT_TAIL(ctx->held, b);
    }
    return X0_FLOW_STOP;
}

/** After EOS nothing is ours: leave the chain, the rest goes down as it is. */
apr_status_t finish(x0_filter_t* f, apr_bucket_brigade* bb, apr_status_t rv, bool stopped)
{
    x0_remove_output_filter(f);
    if (rv == APR_SUCCESS || rv == X0_FLOW_STOP) {
        apr_status_t more = x0_pass_brigade(f->next, bb);  // usually empty: a no-op
        if (more != APR_SUCCESS)
            rv = more;
    }
    apr_brigade_cleanup(bb);
    return rv == APR_SUCCESS && stopped ? X0_FLOW_STOP : rv;
}

apr_status_t replace_filter(x0_filter_t* f, apr_bucket_brigade* bb)
{
    x0_request_t* r = f->r;
    auto* ctx = static_cast<replace_ctx*>(f->ctx);
    if (!ctx) {
        const auto* conf = static_cast<const replace_conf*>(
            x0_get_dir_config(r, &replace_module));
        bool applies = conf && conf->from && worth_filtering(r);
        // Decide at header time: a body of another length cannot keep the
        // handler's Content-Length; the core then frames it chunked (or by
        // closing, for HTTP/1.0), and Range no longer applies. HEAD gets
        // the head GET would get.
        if (applies && conf->from_len != conf->to_len) {
            r->content_length = -1;
            apr_table_unset(r->headers_out, "Accept-Ranges");
        }
        if (!applies || r->header_only) {
            // Out of the chain before touching a bucket, so that a file
            // bucket reaches core_output (and sendfile) intact.
            x0_remove_output_filter(f);
            return x0_pass_brigade(f->next, bb);
        }
        ctx = static_cast<replace_ctx*>(apr_pcalloc(r->pool, sizeof(replace_ctx)));
        ctx->conf = conf;
        ctx->carry = static_cast<char*>(apr_palloc(r->pool, conf->from_len));
        ctx->out = apr_brigade_create(r->pool, f->c->bucket_alloc);
        ctx->held = apr_brigade_create(r->pool, f->c->bucket_alloc);
        f->ctx = ctx;
    }
    if (ctx->error != APR_SUCCESS) {  // errors are sticky
        apr_brigade_cleanup(bb);
        return ctx->error;
    }
    if (!APR_BRIGADE_EMPTY(ctx->held))
        APR_BRIGADE_PREPEND(bb, ctx->held);  // what a stop left comes first

    bool stopped = false;  // told to stop, but with the EOS in hand
    while (!APR_BRIGADE_EMPTY(bb)) {
        apr_bucket* b = APR_BRIGADE_FIRST(bb);
        if (APR_BUCKET_IS_METADATA(b)) {
            bool eos = APR_BUCKET_IS_EOS(b);
            if (eos) {  // the carry was no match after all
                emit_copy(ctx, ctx->carry, ctx->carry_len);
                ctx->carry_len = 0;
            }
            APR_BUCKET_REMOVE(b);
            APR_BRIGADE_INSERT_TAIL(ctx->out, b);
            if (eos)
                return finish(f, bb, pass_out(f, ctx), stopped);
            // FLUSH: what is decided goes now (the carry is not decided yet).
            // Other metadata (a file guard, ERROR) keeps its place.
            if (!APR_BUCKET_IS_FLUSH(b))
                continue;
        } else {
            const char* data;
            apr_size_t len;
            apr_status_t rv = apr_bucket_read(b, &data, &len, APR_NONBLOCK_READ);
            if (APR_STATUS_IS_EAGAIN(rv)) {
                // Nothing now (a pipe, a socket): what is decided goes
                // down with a FLUSH, then wait for the data.
                APR_BRIGADE_INSERT_TAIL(ctx->out, apr_bucket_flush_create(f->c->bucket_alloc));
                rv = pass_out(f, ctx);
                if (rv != APR_SUCCESS && rv != X0_FLOW_STOP) {
                    apr_brigade_cleanup(bb);
                    return ctx->error = rv;
                }
                rv = apr_bucket_read(b, &data, &len, APR_BLOCK_READ);
            }
            if (rv != APR_SUCCESS) {
                x0_log_error(X0LOG(10101), X0_LOG_ERR, rv, r->server,
                             "ReplaceText: reading the response body of %s failed", r->uri);
                apr_brigade_cleanup(bb);
                return ctx->error = rv;
            }
            // A read may have split the bucket (a file bucket yields 8000
            // bytes and leaves the rest behind it): @a b is now these bytes.
            if (len == 0)
                apr_bucket_delete(b);
            else
                replace_bucket(ctx, b, data, len);
            if (APR_BRIGADE_EMPTY(ctx->out))
                continue;
        }
        apr_status_t rv = pass_out(f, ctx);
        if (rv == X0_FLOW_STOP) {
            // XXX: a request filter that holds data is driven again only by
            // its handler's next pass: x0 has no call that re-runs it when
            // the connection drains. A handler that has passed its EOS does
            // not come back, so with the EOS in hand we go on to the end
            // (memory then grows with the rest of this brigade) rather than
            // lose it. Without it, the handler will pass again: stop here.
            if (!has_eos(bb))
                return hold(f, ctx, bb);
            stopped = true;
        } else if (rv != APR_SUCCESS) {
            apr_brigade_cleanup(bb);
            return ctx->error = rv;
        }
    }
    // Metadata at the end of the brigade goes on with it.
    apr_status_t rv = pass_out(f, ctx);
    if (rv != APR_SUCCESS && rv != X0_FLOW_STOP)
        return ctx->error = rv;
    return stopped ? X0_FLOW_STOP : rv;
}

/**
 * insert_filter: add REPLACE where ReplaceText is in force, unless the
 * configuration has added it already (SetOutputFilter REPLACE): twice would
 * replace in what was already replaced.
 */
void replace_insert_filter(x0_request_t* r)
{
    const auto* conf = static_cast<const replace_conf*>(x0_get_dir_config(r, &replace_module));
    if (!conf || !conf->from)
        return;
    for (x0_filter_t* f = r->output_filters; f && f->r == r; f = f->next)
        if (strcasecmp(f->frec->name, filter_name) == 0)
            return;
    x0_add_output_filter(filter_name, nullptr, r, nullptr);
}

void replace_register_hooks(apr_pool_t*)
{
    x0_register_output_filter(filter_name, replace_filter, X0_FTYPE_CONTENT);
    x0_hook_insert_filter(replace_insert_filter, nullptr, nullptr, X0_HOOK_MIDDLE);
}

} // namespace

X0_MODULE(replace) = {
    X0_MODULE_HEADER,
    "replace",
    replace_create_dir,
    replace_merge_dir,
    nullptr,  // no per-server config
    nullptr,
    replace_directives,
    replace_register_hooks,
};
