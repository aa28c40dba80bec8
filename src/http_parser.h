/*
 * The request-head parser (RFC 9112 sections 2-5): request line and header
 * fields, fed incrementally in pieces of any size. It keeps no pointer into
 * the data it is fed; everything it keeps is copied into the request pool.
 */
#ifndef X0_HTTP_PARSER_H
#define X0_HTTP_PARSER_H

#include <apr_pools.h>
#include <apr_tables.h>
#include "x0/http.h"

namespace x0 {

struct http_limits {
    int request_line;   /**< LimitRequestLine: max bytes of the request line (414) */
    int field_size;     /**< LimitRequestFieldSize: max bytes of one field line (431) */
    int fields;         /**< LimitRequestFields: max number of field lines (431) */
};

enum class parse_status {
    need_more,  /**< everything fed was consumed; feed more */
    done,       /**< the head is complete; *consumed says where the body starts */
    error       /**< error_status() says which 4xx/5xx to answer */
};

/** The parsed head. Strings are NUL-terminated and live in the pool given to reset(). */
struct http_head {
    const char* request_line;  /**< without CRLF */
    const char* method;
    x0_method_e method_number;
    const char* target;        /**< request-target as received */
    const char* path;          /**< origin-form path (still percent-encoded), "*" for OPTIONS * */
    const char* query;         /**< after '?', or NULL */
    const char* protocol;      /**< "HTTP/1.1" */
    int proto_num;             /**< major * 1000 + minor */
    const char* host;          /**< from absolute-form or Host, without port; NULL if none */
    apr_table_t* headers;      /**< field names as received; values trimmed of OWS */
};

class request_parser {
public:
    /** Start a new head; @a pool is the request pool, @a limits are copied. */
    void reset(apr_pool_t* pool, const http_limits& limits);

    /**
     * Parse @a len bytes. Sets @a consumed to the bytes used: all of them on
     * need_more, up to and including the blank line on done.
     */
    parse_status feed(const char* data, apr_size_t len, apr_size_t* consumed);

    /** 400, 414, 431, 501 or 505 after parse_status::error. */
    int error_status() const { return error_; }

    /** True while nothing but optional leading blank lines has been seen. */
    bool at_start() const { return state_ == state::request_line && line_len_ == 0; }

    http_head head;

private:
    enum class state { request_line, field_line, done, error };
    parse_status fail(int status);
    bool carry(const char* data, apr_size_t len);
    apr_size_t line_limit() const;
    parse_status take_line(const char* line, apr_size_t len);
    parse_status take_request_line(const char* line, apr_size_t len);
    parse_status take_target(char* target, apr_size_t len);
    parse_status take_field_line(const char* line, apr_size_t len);
    parse_status finish_head();

    apr_pool_t* pool_ = nullptr;
    http_limits limits_{};
    state state_ = state::request_line;
    int error_ = 0;
    int fields_ = 0;
    int blank_lines_ = 0;         /**< empty lines skipped before the request line */
    int host_fields_ = 0;
    const char* host_field_ = nullptr;  /**< value of the (last) Host field */
    bool cr_pending_ = false;     /**< the last piece ended in CR, not yet in line_ */
    char* line_ = nullptr;        /**< partial line carried between feeds */
    apr_size_t line_len_ = 0;
};

} // namespace x0

#endif
