/*
 * Per-directory sections: <Location>, <LocationMatch>, <Directory>,
 * <DirectoryMatch>, <Files>, <FilesMatch>, and the walks that merge them
 * for a request in httpd's order: Directory (shortest path first), then
 * DirectoryMatch, then Files and FilesMatch, then Location and LocationMatch
 * (httpd:`server/request.c`, ap_directory_walk and friends).
 */
#ifndef X0_SECTIONS_H
#define X0_SECTIONS_H

#include <regex.h>

#include "x0/http.h"

namespace x0 {

enum class section_kind : unsigned char { location, directory, files };

struct dir_section {
    section_kind kind;
    const char* path;            /**< as configured; Directory: absolute, no trailing '/' */
    regex_t* regex;              /**< *Match and "~" forms; NULL for paths and globs */
    bool glob;                   /**< path has * ? or [ (matched with fnmatch) */
    int depth;                   /**< Directory: number of '/' in path (walk order) */
    const dir_section* within;   /**< <Files> inside <Directory>: that Directory */
    x0_config_vector_t* dir_config;
    const char* file;            /**< where it was defined */
    int line;
};

/**
 * A section for the container @a kind with argument @a arg (and @a regex
 * for the Match forms or "~"), allocated in @a p. Returns an error message
 * or NULL.
 */
const char* make_section(apr_pool_t* p, section_kind kind, const char* arg, bool regex,
                         dir_section** out);

/** Put @a s's sections in walk order (call once its list is complete). */
void sort_sections(x0_server_t* s);

/** True when @a s has sections of @a kind (so that a walk can be skipped). */
bool has_sections(const x0_server_t* s, section_kind kind);

/**
 * The defaults of @a s merged with every matching <Location> and
 * <LocationMatch> for @a path (r->path). Allocates in @a p only when one
 * matches.
 */
x0_config_vector_t* location_walk(apr_pool_t* p, const x0_server_t* s, const char* path);

/**
 * The defaults of @a s merged with the Directory, DirectoryMatch, Files and
 * FilesMatch sections that match @a filename (NULL: none), then with the
 * Location sections for @a path (they always win, as in httpd).
 */
x0_config_vector_t* directory_walk(apr_pool_t* p, const x0_server_t* s, const char* filename,
                                   const char* path);

} // namespace x0

#endif
