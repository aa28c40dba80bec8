/*
 * LogFormat strings: compiled once, when the configuration is read, into a
 * list of items; rendered per request into a caller's buffer with no
 * parsing and no allocation.
 */
#ifndef X0_LOG_FORMAT_H
#define X0_LOG_FORMAT_H

#include <apr_pools.h>
#include <apr_time.h>
#include "x0/http.h"

namespace x0log {

struct log_item;

/** A compiled format. Lives in the configuration pool. */
struct log_format {
    const char* text;          /**< as written, for messages */
    const log_item* items;
    int count;
};

/**
 * Compile @a text (Apache's % tokens, see docs/logging.md) in @a p.
 * Returns NULL and sets @a *out, or an error message in @a p.
 */
const char* compile_format(apr_pool_t* p, const char* text, const log_format** out);

/**
 * The byte counts of one response as mod_log_config's LOG_COUNT filter and
 * CORE_OUT saw them (see count_bytes in mod_log_config.cc).
 */
struct response_bytes {
    apr_off_t sent;   /**< %O: bytes of the response that left x0 */
    apr_off_t body;   /**< %b, %B: of those, the body's (after the head) */
};

/** What a line is rendered from, besides the request. */
struct log_context {
    const x0_request_t* r;
    response_bytes bytes;
    apr_time_t now;          /**< the end of the request, for %D, %T and %{end:...}t */
};

/**
 * Render one line into @a buf (@a cap bytes, at least 2): the items, then
 * '\n'. A line that does not fit is cut and still ends in '\n'. Returns its
 * length, '\n' included.
 */
apr_size_t render_line(const log_format* f, const log_context& ctx, char* buf, apr_size_t cap);

/**
 * Copy @a s escaped as httpd's access log does (ap_escape_logitem): '"'
 * and '\' get a backslash, \b \n \r \t \v their C escapes, other bytes
 * outside printable ASCII become \xhh. Writes at most @a cap bytes to
 * @a out and returns how many (an escape is never cut in half).
 */
apr_size_t escape_item(const char* s, char* out, apr_size_t cap);

} // namespace x0log

#endif
