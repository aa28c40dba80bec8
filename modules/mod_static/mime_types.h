/*
 * Media types by file name extension, from mime.types files
 * ("type ext1 ext2 ..." per line) and AddType.
 */
#ifndef X0_MOD_STATIC_MIME_TYPES_H
#define X0_MOD_STATIC_MIME_TYPES_H

#include <apr_hash.h>
#include <apr_pools.h>

namespace x0 {

/**
 * The longest extension kept. Lookups lower-case the extension on the stack
 * so that they allocate nothing; no real extension comes near this.
 */
constexpr apr_size_t mime_max_extension = 63;

/**
 * Map @a ext (with or without one leading dot, any case) to @a type in
 * @a types. Key and value are copied into @a p; a later mapping for the same
 * extension replaces an earlier one. An empty or over-long extension is
 * ignored.
 */
void add_mime_type(apr_pool_t* p, apr_hash_t* types, const char* ext, const char* type);

/**
 * Add every mapping of the mime.types text @a text (NUL-terminated) to
 * @a types: one media type and its extensions per line, separated by spaces
 * or tabs; '#' starts a comment; lines without extensions add nothing.
 * The type is kept as written.
 */
void parse_mime_types(apr_pool_t* p, apr_hash_t* types, const char* text);

/**
 * Read the mime.types file @a path into @a types (strings in @a p).
 * @return APR_SUCCESS, or the status of the failed open or read.
 */
apr_status_t read_mime_types(apr_pool_t* p, apr_hash_t* types, const char* path);

/**
 * The type for @a filename: its extension is what follows the last dot of
 * its last path segment, matched case-insensitively. A leading dot marks a
 * hidden file, not an extension (".profile" has none).
 * @return the type, or NULL when there is no extension or it is unknown.
 */
const char* lookup_mime_type(apr_hash_t* types, const char* filename);

} // namespace x0

#endif
