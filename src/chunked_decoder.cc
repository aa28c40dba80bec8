/*
 * The chunked transfer coding of a request body (RFC 9112 section 7.1).
 *
 * Framing (size lines, the CRLF after data, trailer lines) goes through a
 * byte-at-a-time state machine: it is a few bytes per chunk, and deciding
 * every byte where it stands makes the result, error position included,
 * independent of how the body was cut into pieces. Chunk data is never looked
 * at: feed hands back where it lies in the caller's piece, so a 64 KiB chunk
 * costs the same as a 1-byte one.
 */
#include "chunked_decoder.h"

#include "http_chars.h"

#include <string.h>
#include <apr_strings.h>

namespace x0 {

namespace {

/*
 * 15 hex digits are 60 bits: a size never overflows apr_off_t while it is
 * accumulated, and anything longer (the "1 and 17 hex digits" smuggling
 * probe) is refused rather than wrapped. Leading zeros do not count.
 */
constexpr int max_size_digits = 15;


inline int hex_value(char c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

} // namespace

void chunked_decoder::reset(apr_pool_t* pool, apr_table_t* trailers,
                            const chunked_limits& limits)
{
    error_ = 0;
    body_ = 0;
    pool_ = pool;
    trailers_ = trailers;
    limits_ = limits;
    state_ = state::size_first;
    digits_ = 0;
    fields_ = 0;
    size_ = 0;
    line_len_ = 0;
    name_len_ = 0;
    line_ = nullptr;  // it belonged to the previous body's pool
}

bool chunked_decoder::fail(int status)
{
    state_ = state::error;
    error_ = status;
    return false;
}

/** One more byte on the current line; false (after fail) past max_line. */
bool chunked_decoder::count_line()
{
    return ++line_len_ <= limits_.max_line || fail(400);
}

/** count_line, keeping the byte when trailers are collected. */
bool chunked_decoder::keep(char c)
{
    if (!count_line())
        return false;
    if (trailers_) {
        // Once per body, and only for bodies that have trailers.
        if (!line_)
            line_ = static_cast<char*>(apr_palloc(pool_, limits_.max_line));
        line_[line_len_ - 1] = c;
    }
    return true;
}

/** The trailer line in line_ (name ":" OWS value OWS) into the table. */
void chunked_decoder::add_trailer()
{
    const char* v = line_ + name_len_ + 1;
    const char* end = line_ + line_len_;
    while (v < end && (*v == ' ' || *v == '\t'))
        ++v;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        --end;
    apr_table_addn(trailers_, apr_pstrmemdup(pool_, line_, name_len_),
                   apr_pstrmemdup(pool_, v, apr_size_t(end - v)));
}

/** One framing byte; false (after fail) when it breaks the grammar. Inline:
 *  feed's loop calls it for every framing byte. */
inline bool chunked_decoder::take(char c)
{
    switch (state_) {
    // chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; chunk-size = 1*HEXDIG
    case state::size_first:
    case state::size:
        if (cls[c] & c_hex) {
            int d = hex_value(c);
            if ((size_ != 0 || d != 0) && ++digits_ > max_size_digits)
                return fail(400);
            size_ = size_ * 16 + d;
            state_ = state::size;
            return count_line();
        }
        // No digit at all (an empty line, leading whitespace, a sign, "0x")
        // is not a chunk-size; lenient parsers that read one are how
        // smuggling works.
        if (state_ == state::size_first)
            return fail(400);
        if (c == '\r') {
            state_ = state::size_lf;
            return true;
        }
        if (c == ';') {
            state_ = state::ext;
            return count_line();
        }
        if (c == ' ' || c == '\t') {
            state_ = state::size_bws;
            return count_line();
        }
        return fail(400);
    case state::size_bws:
        // BWS is allowed before ';' only: "5 \r\n" is not a chunk-size line.
        if (c == ';') {
            state_ = state::ext;
            return count_line();
        }
        if (c == ' ' || c == '\t')
            return count_line();
        return fail(400);
    case state::ext:
        // Extensions are ignored, so their grammar is checked loosely: any
        // token, quoted-string and separator bytes, but no CTL (NUL, bare LF).
        if (c == '\r') {
            state_ = state::size_lf;
            return true;
        }
        return (cls[c] & c_value) ? count_line() : fail(400);
    case state::size_lf:
        if (c != '\n')
            return fail(400);
        line_len_ = 0;
        digits_ = 0;
        if (size_ == 0) {
            // last-chunk = 1*("0") [ chunk-ext ] CRLF
            state_ = state::field_first;
            return true;
        }
        // 413 before the data arrives; body_ only ever holds whole chunks
        // here and never exceeds max_body, so the subtraction cannot wrap.
        if (size_ > limits_.max_body - body_)
            return fail(413);
        state_ = state::data;
        return true;
    case state::data_cr:
        // Exactly CRLF after chunk-data: more data than the size said is
        // an error, not the start of the next chunk.
        if (c != '\r')
            return fail(400);
        state_ = state::data_lf;
        return true;
    case state::data_lf:
        if (c != '\n')
            return fail(400);
        state_ = state::size_first;
        return true;
    // trailer-section = *( field-line CRLF ), then CRLF (RFC 9112 7.1.2),
    // parsed like header fields (RFC 9112 5): no obs-fold, no whitespace
    // before the colon.
    case state::field_first:
        if (c == '\r') {
            state_ = state::last_lf;
            return true;
        }
        if (!(cls[c] & c_tchar) || ++fields_ > limits_.max_trailers)
            return fail(400);
        state_ = state::field_name;
        return keep(c);
    case state::field_name:
        if (c == ':') {
            name_len_ = line_len_;
            state_ = state::field_value;
            return keep(c);
        }
        return (cls[c] & c_tchar) ? keep(c) : fail(400);
    case state::field_value:
        if (c == '\r') {
            state_ = state::field_lf;
            return true;
        }
        return (cls[c] & c_value) ? keep(c) : fail(400);
    case state::field_lf:
        if (c != '\n')
            return fail(400);
        if (trailers_)
            add_trailer();
        line_len_ = 0;
        state_ = state::field_first;
        return true;
    case state::last_lf:
        if (c != '\n')
            return fail(400);
        state_ = state::done;
        return true;
    case state::data:
    case state::done:
    case state::error:
        break;
    }
    return fail(400);  // not reached: feed handles these states itself
}

chunk_status chunked_decoder::feed(const char* data, apr_size_t len, apr_size_t* consumed,
                                   apr_size_t* span_at, apr_size_t* span_len)
{
    *consumed = 0;
    *span_at = 0;
    *span_len = 0;
    if (state_ == state::error)
        return chunk_status::error;
    if (state_ == state::done)
        return chunk_status::done;

    const char* p = data;
    const char* const end = data + len;
    while (p < end) {
        if (state_ == state::data) {
            apr_size_t n = apr_size_t(end - p);
            if (apr_off_t(n) > size_)
                n = apr_size_t(size_);
            size_ -= apr_off_t(n);
            body_ += apr_off_t(n);
            if (size_ == 0)
                state_ = state::data_cr;
            *span_at = apr_size_t(p - data);
            *span_len = n;
            *consumed = apr_size_t(p - data) + n;
            return chunk_status::data;
        }
        if (!take(*p)) {
            *consumed = apr_size_t(p - data);
            return chunk_status::error;
        }
        ++p;
        if (state_ == state::done) {
            *consumed = apr_size_t(p - data);
            return chunk_status::done;
        }
    }
    *consumed = len;
    return chunk_status::more;
}

} // namespace x0
