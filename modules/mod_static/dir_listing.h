/*
 * Options Indexes: the HTML listing of a directory that has no
 * DirectoryIndex file, as httpd's mod_autoindex in its plain form.
 *
 * The directory is read through the descriptor mod_static already opened
 * below the root, so the listing cannot leave the root; every entry that is
 * a symlink is resolved the way mod_static would serve it, and what could
 * not be served is not listed. All memory comes from the pool given.
 */
#ifndef X0_MOD_STATIC_DIR_LISTING_H
#define X0_MOD_STATIC_DIR_LISTING_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>
#include "x0/http.h"

namespace x0 {

/**
 * At most this many entries are listed. A larger directory is listed in
 * part (the entries read first, then sorted) with a note saying so: the
 * response is built in memory, and this bounds it.
 */
constexpr int dir_listing_max_entries = 10000;

/** One listed entry. */
struct dir_entry {
    const char* name;  /**< the file name, as on disk (pool) */
    bool is_dir;       /**< a directory (or a symlink to one) */
    apr_off_t size;    /**< bytes; meaningless for a directory */
    apr_time_t mtime;  /**< last modification */
};

/** What dir_listing_read() found. */
struct dir_listing {
    apr_array_header_t* entries;  /**< of dir_entry: directories, then files, by strcmp */
    bool truncated;               /**< more than dir_listing_max_entries were there */
};

/**
 * Read the directory open as @a dir_fd (any descriptor of it; it is neither
 * closed nor moved: the directory is reopened through it with openat(".")).
 *
 * Hidden: "." and "..", every name starting with '.' (x0's choice; httpd's
 * IndexIgnore hides nothing by default), names with a backslash (x0 refuses
 * those in a request path), and whatever is neither a regular file nor a
 * directory. A symlink is opened as mod_static would open it, through
 * open_below_root(@a root_fd, @a root_real, @a dir_rel + "/" + name,
 * @a follow_symlinks), and listed only if that succeeds, with the target's
 * type, size and time.
 *
 * XXX: entries are not checked against access rules of their own (httpd
 * runs a sub-request per entry and hides what it may not serve); x0 has
 * no sub-requests, so a file denied by a deeper <Location> is still listed.
 *
 * @param p        where the entries and their names are allocated
 * @param dir_rel  the directory below the root ("" for the root itself)
 * @return 0 and @a out filled; or the errno of opening or reading the directory
 */
int dir_listing_read(apr_pool_t* p, int dir_fd, int root_fd, const char* root_real,
                     const char* dir_rel, bool follow_symlinks, dir_listing* out);

/**
 * The HTML page for @a listing of the directory at the decoded URL path
 * @a path ("/" or ending in '/'): names HTML-escaped in the text and
 * percent-encoded in relative hrefs, a "Parent Directory" link unless
 * @a path is "/". Allocated in @a p (NUL-terminated); its length in @a len.
 */
const char* dir_listing_html(apr_pool_t* p, const char* path, const dir_listing& listing,
                             apr_size_t* len);

/** @a s with & < > " ' replaced by character references (for text and attributes). */
const char* dir_listing_escape_html(apr_pool_t* p, const char* s);

/** @a s with every byte except RFC 3986 unreserved ones as %XX (one path segment). */
const char* dir_listing_escape_uri(apr_pool_t* p, const char* s);

/**
 * Answer @a r with the listing of the directory open as @a dir_fd (see
 * dir_listing_read()): 200, text/html; charset=utf-8, Content-Length, one
 * brigade with EOS (no body for HEAD).
 * @return X0_OK once the response is passed; 500 (logged) if the directory
 *         cannot be read, and nothing was sent.
 */
int dir_listing_send(x0_request_t* r, int dir_fd, int root_fd, const char* root_real,
                     const char* dir_rel);

} // namespace x0

#endif
