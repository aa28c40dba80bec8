/*
 * The pure part of mod_expires: parsing an expiry code ("access plus 1
 * month", "M3600"), choosing the rule for a media type, and computing the
 * expiry time. Nothing here needs a server, so the unit tests link it alone.
 */
#ifndef X0_MOD_EXPIRES_EXPIRES_RULES_H
#define X0_MOD_EXPIRES_EXPIRES_RULES_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

namespace x0 {

/** When a response expires: so many seconds after its base time. */
struct expires_rule {
    bool modification;   /**< base: the file's mtime; else the request time */
    apr_int64_t seconds; /**< 0 .. INT_MAX, as httpd's int */
};

/** One ExpiresByType: a media type without parameters, or a "major/" wildcard. */
struct expires_type_rule {
    const char* type;
    expires_rule rule;
};

/**
 * Parse httpd's two code forms into @a out: "A<seconds>" / "M<seconds>",
 * or "<base> [plus] {<num> <unit>}*" with base access, now (the same) or
 * modification, and units years (365 days), months (30 days), weeks, days,
 * hours, minutes, seconds, singular or plural. As in httpd a word may be
 * shortened to a prefix that tells it apart ("mo", "min", "h").
 * @return NULL, or an error message allocated in @a p
 */
const char* expires_parse_code(apr_pool_t* p, const char* code, expires_rule* out);

/**
 * Check an ExpiresByType media type: "type/subtype", or "type/" and a star
 * (any subtype), without parameters. Returns NULL, or an error message allocated in @a p.
 */
const char* expires_check_type(apr_pool_t* p, const char* type);

/**
 * The rule for a response of @a content_type (may be NULL, may carry
 * parameters: "text/html; charset=utf-8" is text/html), as httpd chooses:
 * the first entry of @a by_type (of expires_type_rule) naming the type
 * exactly, ignoring case; else the first wildcard entry of its major type; else @a fallback
 * (ExpiresDefault, may be NULL).
 */
const expires_rule* expires_find(const apr_array_header_t* by_type,
                                 const expires_rule* fallback, const char* content_type);

/**
 * The expiry of a response to a request received at @a request_time, for a
 * file last modified at *@a mtime (NULL when there is no file). False when the
 * rule is modification-based and there is no file (httpd then sets
 * nothing). An expiry before the request is moved to the request time, as
 * httpd does; @a max_age is then 0.
 */
bool expires_compute(const expires_rule& rule, apr_time_t request_time, const apr_time_t* mtime,
                     apr_time_t* expires, apr_int64_t* max_age);

} // namespace x0

#endif
