/*
 * The chunked transfer coding of a request body (RFC 9112 section 7.1),
 * decoded incrementally from pieces of any size. Strict where leniency lets a
 * proxy and x0 disagree on where a body ends: CRLF only, no bare CR or LF,
 * no size overflow, no whitespace around the size.
 */
#ifndef X0_CHUNKED_DECODER_H
#define X0_CHUNKED_DECODER_H

#include <apr_pools.h>
#include <apr_tables.h>

namespace x0 {

struct chunked_limits {
    apr_off_t max_body;        /**< LimitRequestBody: more decoded bytes -> 413 */
    apr_size_t max_line;       /**< a chunk-size line (with extensions) or trailer line,
                                    CRLF excluded: longer -> 400 */
    int max_trailers;          /**< trailer field lines (LimitRequestFields): more -> 400 */
};

enum class chunk_status {
    more,   /**< all of the piece was consumed; feed more */
    data,   /**< a span of body bytes was found (see feed) */
    done,   /**< the last chunk and the trailer section are complete */
    error   /**< error_status() says 400 or 413 */
};

class chunked_decoder {
public:
    /** Start a body; @a trailers (may be NULL) receives trailer fields, in @a pool. */
    void reset(apr_pool_t* pool, apr_table_t* trailers, const chunked_limits& limits);

    /**
     * Consume from @a data (len bytes). Returns at the first body span with
     * data: *span_at / *span_len locate it inside @a data, and *consumed
     * includes it. Otherwise consumes framing until the piece ends (more),
     * the body ends (done: *consumed stops right after the final CRLF, so
     * bytes of a pipelined request stay with the caller) or an error
     * (*consumed stops before the byte that broke the framing). The result
     * does not depend on how the body is cut into pieces; data spans point
     * into @a data and are never copied. After done or error, feed returns
     * the same again with *consumed 0.
     */
    chunk_status feed(const char* data, apr_size_t len, apr_size_t* consumed,
                      apr_size_t* span_at, apr_size_t* span_len);

    /** 400 (malformed) or 413 (body over max_body) after chunk_status::error. */
    int error_status() const { return error_; }

    /** Decoded body bytes so far. */
    apr_off_t body_bytes() const { return body_; }

private:
    /** Where the next framing byte belongs (RFC 9112 7.1 grammar). */
    enum class state : unsigned char {
        size_first,   /**< a chunk-size's first HEXDIG */
        size,         /**< further HEXDIGs, ';', BWS or CR */
        size_bws,     /**< BWS after the size: only more of it or ';' */
        ext,          /**< chunk-ext, up to CR */
        size_lf,      /**< the LF of the size line */
        data,         /**< size_ bytes of chunk-data */
        data_cr,      /**< the CRLF after chunk-data */
        data_lf,
        field_first,  /**< start of a trailer field line, or the final CRLF */
        field_name,
        field_value,
        field_lf,
        last_lf,      /**< the LF of the final CRLF */
        done,
        error
    };
    bool take(char c);
    bool fail(int status);
    bool count_line();
    bool keep(char c);
    void add_trailer();

    int error_ = 0;
    apr_off_t body_ = 0;
    apr_pool_t* pool_ = nullptr;
    apr_table_t* trailers_ = nullptr;
    chunked_limits limits_{};
    state state_ = state::size_first;
    int digits_ = 0;            /**< significant hex digits of the size so far */
    int fields_ = 0;            /**< trailer field lines so far */
    apr_off_t size_ = 0;        /**< the chunk-size, then the chunk-data still to come */
    apr_size_t line_len_ = 0;   /**< bytes of the current framing line, CRLF excluded */
    apr_size_t name_len_ = 0;   /**< length of the current trailer field's name */
    char* line_ = nullptr;      /**< the trailer line being read (only with a table) */
};

} // namespace x0

#endif
