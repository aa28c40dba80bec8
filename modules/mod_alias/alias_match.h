/*
 * mod_alias's string work, free of request and config state so that it can
 * be tested alone: URL-path prefix matching, $N substitution, the escaping
 * of a redirect target and the parsing of Redirect's status argument.
 *
 * Nothing here allocates except where a pool is passed in, and then only
 * in that pool (the request pool at request time).
 */
#ifndef X0_MOD_ALIAS_ALIAS_MATCH_H
#define X0_MOD_ALIAS_ALIAS_MATCH_H

#include <cstddef>
#include <regex.h>
#include <apr_pools.h>

namespace x0 {

/** Most capture groups a substitution refers to: $0 (the whole match) to $9. */
constexpr size_t alias_max_groups = 10;

/**
 * Does the URL-path prefix @a fake cover @a path? httpd's alias_matches():
 * a run of '/' in @a fake matches a run of '/' in @a path, other characters
 * match literally, and the last segment of @a fake must match a whole
 * segment of @a path, so "/foo" covers "/foo" and "/foo/x" but not
 * "/foobar", while "/foo/" covers "/foo/x" but not "/foo".
 * @return the number of characters of @a path matched (> 0), or 0 when
 *         @a fake does not cover @a path (or is empty)
 */
size_t alias_prefix_match(const char* path, const char* fake);

/**
 * The highest group a substitution template refers to ($N), or -1 when it
 * refers to none; for checking a template against its regex at config time.
 */
int alias_max_group(const char* tmpl);

/**
 * Expand @a tmpl with the groups of a regexec() match of @a source.
 *
 * "$0".."$9" become the text of that group of @a m (empty when the group did
 * not take part in the match or is beyond @a nmatch); a backslash makes
 * the next character literal ("\$1" is "$1", "\\" is "\"); everything
 * else, including a '$' that is not followed by a digit, is copied. This is
 * httpd 2.4's ap_pregsub() (which, unlike 2.2's, gives '&' no meaning).
 *
 * @return the expansion, allocated once in @a p (its length is measured
 *         first, so nothing grows)
 */
const char* alias_substitute(apr_pool_t* p, const char* tmpl, const char* source,
                             const regmatch_t* m, size_t nmatch);

/**
 * The length of the fixed directory part of an AliasMatch target: the text
 * up to and including the last '/' before the first '$' or '\' (where the
 * variable part may begin). 0 when there is no such '/'.
 * "/srv/photos/$1/$2.jpg" -> 12 ("/srv/photos/"); "/srv/site/file" -> 10.
 */
size_t alias_fixed_dir_length(const char* target);

/**
 * Does @a path contain a ".." segment? Substituted AliasMatch targets can
 * form one from pieces ("/srv/.$1" with $1 = "./etc") even though the
 * request path had none; such a file name is refused.
 */
bool alias_has_dotdot(const char* path);

/**
 * @a s with every character that may not appear as is in a URL path
 * percent-encoded: what httpd's ap_os_escape_path() escapes (everything but
 * letters, digits and "$-_.+!*'(),:;@&=/~"), so '%', '?', '#', space,
 * controls and non-ASCII bytes become %XX.
 * @return @a s itself when nothing needs escaping, else a copy in @a p
 */
const char* alias_escape_path(apr_pool_t* p, const char* s);

/**
 * A RedirectMatch result made into a URL as httpd does: the part before the
 * first '?' or '#' escaped with alias_escape_path(), the query and fragment
 * kept as they are. @return @a url itself or a copy in @a p.
 */
const char* alias_escape_url(apr_pool_t* p, const char* url);

/**
 * The Location of a redirect: @a target, then @a rest (the decoded part of
 * the request path after the matched prefix, escaped here; may be NULL),
 * then "?" @a args when the request had a query and the target has none
 * (httpd: "append requested query only, if the config didn't supply its
 * own"). @a args is the raw query (still encoded). Allocated in @a p.
 */
const char* alias_location(apr_pool_t* p, const char* target, const char* rest,
                           const char* args);

/**
 * Is @a s an absolute URL (httpd's ap_is_url(): a scheme, letters, digits,
 * '+', '-' and '.' starting with a letter, then ':')?
 */
bool alias_is_url(const char* s);

/**
 * Redirect's optional first argument: "permanent" (301), "temp" (302),
 * "seeother" (303), "gone" (410), case-insensitive, or a number.
 * @return true and @a status set when @a arg is one of those (a number is
 *         returned as written, even when it is not a status x0 accepts:
 *         see alias_status_ok()); false when @a arg is not a status at all
 *         (then it is the URL-path)
 */
bool alias_parse_status(const char* arg, int* status);

/**
 * Is @a status one a Redirect may answer? 300-399 (which need a URL) and
 * 410 (which must have none), as the two kinds httpd's mod_alias knows.
 */
bool alias_status_ok(int status);

} // namespace x0

#endif
