/*
 * A worker's cache of open files: a file asked for again within a second
 * costs one fstat instead of openat2 + fstat + close (h2o and lighttpd keep
 * such a cache too).
 *
 * Only regular files are cached. A hit costs one fstat, which catches a
 * file rewritten in place or deleted; a file replaced by rename is served
 * in its old, complete version for at most file_cache_ttl. A hit shares the
 * cached descriptor; the entry is not replaced while a response still uses
 * it, and a request's reference is dropped when its pool goes.
 */
#ifndef X0_MOD_STATIC_FILE_CACHE_H
#define X0_MOD_STATIC_FILE_CACHE_H

#include <apr_pools.h>

#include "path_map.h"

namespace x0 {

/** How long an opened file is trusted without looking again, in seconds. */
constexpr long file_cache_ttl = 1;

/** Create this worker's cache (child_init); without it every open goes to the kernel. */
void file_cache_init(apr_pool_t* pchild);

/**
 * open_below_root() through the cache. On success out->fd stays open until
 * @a pool is cleaned up; the caller must not close it.
 */
int file_cache_open(apr_pool_t* pool, int root_fd, const char* root_real, const char* rel,
                    bool follow_symlinks, opened_file* out);

} // namespace x0

#endif
