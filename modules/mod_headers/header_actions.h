/*
 * The pure part of mod_headers: parsing a `Header` directive into an
 * action, the regex substitution of `edit`, and applying an action to a
 * header table. Nothing here needs a server, so the unit tests link it alone.
 */
#ifndef X0_MOD_HEADERS_HEADER_ACTIONS_H
#define X0_MOD_HEADERS_HEADER_ACTIONS_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>
#include <regex.h>

namespace x0 {

/** What a `Header` line does to its field (httpd's hdr_actions). */
enum class headers_op { set, append, add, unset, merge, setifempty, edit, edit_all };

/**
 * One piece of a value: literal text (tag 0), or a format tag expanded for
 * each response: 't' (when the request was received) or 'D' (how long it
 * has taken so far), as httpd's mod_headers writes them ("t=...", "D=...").
 */
struct headers_piece {
    char tag;
    const char* text;  /**< the literal text when tag is 0 */
};

/** One parsed `Header` directive. Lives in the configuration pool. */
struct headers_action {
    headers_op op;
    bool always;            /**< `Header always`: also on error responses */
    const char* name;       /**< the field name, as written (tables ignore case) */
    /** set/append/add/merge/setifempty: the value when it has no format tag. */
    const char* value;
    /** Of headers_piece when the value has a format tag; else NULL. */
    const apr_array_header_t* pieces;
    regex_t* regex;         /**< edit/edit*: compiled POSIX ERE; freed with the pool */
    const char* replacement; /**< edit/edit*: with $0..$9 and backslash escapes */
};

/**
 * Parse the arguments of `Header [always|onsuccess] action name [value]
 * [replacement]` into @a out. The regex of edit/edit* is compiled here and
 * freed by a cleanup of @a p. Fields x0 writes itself (Content-Length,
 * Transfer-Encoding, Connection, Date, Server) are refused: a second copy
 * would contradict the framing or the core's own field.
 * @param p lives as long as the configuration; holds the action and errors
 * @return NULL, or an error message (the core prefixes FILE:LINE:)
 */
const char* headers_parse_action(apr_pool_t* p, int argc, const char* const* argv,
                                 headers_action* out);

/**
 * The value @a a adds or sets, with its format tags expanded for a request
 * received at @a request_time and answered at @a now. Returns a->value
 * itself when there is no tag; otherwise a string allocated in @a p.
 */
const char* headers_action_value(apr_pool_t* p, const headers_action& a,
                                 apr_time_t request_time, apr_time_t now);

/**
 * @a value with the first match of @a re (every match when @a all) replaced
 * by @a replacement, in which $0..$9 stand for the match and its groups and
 * a backslash makes the next character literal. Returns @a value itself
 * when nothing matches, else a string allocated in @a p.
 */
const char* headers_edit_value(apr_pool_t* p, const regex_t* re, const char* replacement,
                               const char* value, bool all);

/**
 * Apply @a a to @a t (the response's fields), with @a value from
 * headers_action_value() (ignored by unset and edit). New strings are
 * allocated in @a p, which must live as long as @a t.
 */
void headers_apply(apr_pool_t* p, apr_table_t* t, const headers_action& a, const char* value);

/**
 * Does @a a apply to a response with @a status? `always` actions apply to
 * every response. The others (httpd's "onsuccess") to what the handler
 * itself answers: 2xx, and the 304 a handler sends in place of its 200;
 * not to the error and redirect pages the core makes from a returned status.
 */
bool headers_applies(const headers_action& a, int status);

} // namespace x0

#endif
