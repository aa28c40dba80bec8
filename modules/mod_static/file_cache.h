/*
 * A worker's cache of open files, and of the bytes of small ones: a file
 * asked for again costs no system call at all within one turn of the
 * worker's event loop, and one fstat in the next turn (h2o and lighttpd keep
 * such a cache too; h2o opens again each turn).
 *
 * Only regular files are cached. The first hit of each loop turn fstat()s
 * the descriptor, which catches a file rewritten in place or deleted: a
 * change shows from the next loop turn on, since requests that arrived in
 * the same turn as the change cannot tell it from one made just after. A
 * file replaced by rename is served in its old, complete version for at
 * most file_cache_ttl. A file of at most file_cache_bytes_max bytes that
 * has not changed for a second is read once into the entry and served from
 * memory (file_cache.cc, load_bytes, says why a second). A hit shares the cached
 * descriptor and bytes; the entry is not replaced while a response still
 * uses it, and a request's reference is dropped when its pool goes.
 */
#ifndef X0_MOD_STATIC_FILE_CACHE_H
#define X0_MOD_STATIC_FILE_CACHE_H

#include <apr_pools.h>

#include "path_map.h"

namespace x0 {

/** How long an opened file is trusted without looking again, in seconds. */
constexpr long file_cache_ttl = 1;
/** Files up to this size are also kept in memory (the core preads such files anyway). */
constexpr apr_size_t file_cache_bytes_max = 16 * 1024;

/** Create this worker's cache (child_init); without it every open goes to the kernel. */
void file_cache_init(apr_pool_t* pchild);

/**
 * open_below_root() through the cache. On success out->fd stays open until
 * @a pool is cleaned up; the caller must not close it. out->bytes, when set,
 * stays valid as long.
 */
int file_cache_open(apr_pool_t* pool, int root_fd, const char* root_real, const char* rel,
                    bool follow_symlinks, opened_file* out);

} // namespace x0

#endif
