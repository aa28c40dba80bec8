#include "file_cache.h"

#include <cstdint>
#include <cstring>
#include <ctime>
#include <unistd.h>

namespace x0 {
namespace {

constexpr int cache_slots = 64;
constexpr apr_size_t max_cached_path = 232;

struct cache_entry {
    int fd;              /**< -1 when the slot is empty */
    int refs;            /**< responses still using fd */
    bool follow_symlinks;
    time_t opened;
    struct stat st;
    char path[max_cached_path];  /**< root, '/', then the path below it */
};

/** Workers are single-threaded processes: one table per process. */
cache_entry* slots = nullptr;

apr_status_t close_fd(void* data)
{
    close(static_cast<int>(reinterpret_cast<intptr_t>(data)));
    return APR_SUCCESS;
}

apr_status_t release_entry(void* data)
{
    --static_cast<cache_entry*>(data)->refs;
    return APR_SUCCESS;
}

apr_status_t close_all(void*)
{
    for (int i = 0; i < cache_slots; ++i)
        if (slots[i].fd >= 0)
            close(slots[i].fd);
    slots = nullptr;
    return APR_SUCCESS;
}

/**
 * Is the cached descriptor still the file as it was? One fstat instead of
 * openat2 + fstat + close: a file rewritten in place or deleted is a miss.
 * (A file replaced by rename keeps its old, consistent inode for at most
 * file_cache_ttl.)
 */
bool unchanged(const cache_entry* e)
{
    struct stat st;
    return fstat(e->fd, &st) == 0 && st.st_nlink > 0 && st.st_size == e->st.st_size
        && st.st_mtim.tv_sec == e->st.st_mtim.tv_sec
        && st.st_mtim.tv_nsec == e->st.st_mtim.tv_nsec;
}

/** FNV-1a over the key, with the symlink policy mixed in. */
unsigned slot_of(const char* key, bool follow)
{
    uint32_t h = follow ? 0x811c9dc5u ^ 1u : 0x811c9dc5u;
    for (const char* p = key; *p; ++p)
        h = (h ^ static_cast<unsigned char>(*p)) * 16777619u;
    return h % cache_slots;
}

/**
 * The cache key: the root and the path below it, so that two roots (virtual
 * hosts, Alias targets) never share an entry. False when it does not fit.
 */
bool make_key(const char* root_real, const char* rel, char* key)
{
    apr_size_t root_len = strlen(root_real);
    apr_size_t rel_len = strlen(rel);
    if (root_len + 1 + rel_len >= max_cached_path)
        return false;
    memcpy(key, root_real, root_len);
    key[root_len] = '/';
    memcpy(key + root_len + 1, rel, rel_len + 1);
    return true;
}

void own_uncached(apr_pool_t* pool, int fd)
{
    apr_pool_cleanup_register(pool, reinterpret_cast<void*>(static_cast<intptr_t>(fd)),
                              close_fd, apr_pool_cleanup_null);
}

} // namespace

void file_cache_init(apr_pool_t* pchild)
{
    slots = static_cast<cache_entry*>(apr_pcalloc(pchild, sizeof(cache_entry) * cache_slots));
    for (int i = 0; i < cache_slots; ++i)
        slots[i].fd = -1;
    apr_pool_cleanup_register(pchild, nullptr, close_all, apr_pool_cleanup_null);
}

int file_cache_open(apr_pool_t* pool, int root_fd, const char* root_real, const char* rel,
                    bool follow_symlinks, opened_file* out)
{
    char key[max_cached_path];
    cache_entry* e = slots && make_key(root_real, rel, key)
                   ? &slots[slot_of(key, follow_symlinks)] : nullptr;
    time_t now = time(nullptr);
    if (e && e->fd >= 0 && e->follow_symlinks == follow_symlinks
        && now - e->opened < file_cache_ttl && strcmp(e->path, key) == 0 && unchanged(e)) {
        ++e->refs;
        apr_pool_cleanup_register(pool, e, release_entry, apr_pool_cleanup_null);
        out->fd = e->fd;
        out->st = e->st;
        out->err = 0;
        return 0;
    }
    int status = open_below_root(root_fd, root_real, rel, follow_symlinks, out);
    if (status != 0)
        return status;
    if (!e || e->refs > 0 || !S_ISREG(out->st.st_mode)) {
        own_uncached(pool, out->fd);
        return 0;
    }
    if (e->fd >= 0)
        close(e->fd);
    e->fd = out->fd;
    e->refs = 1;
    e->follow_symlinks = follow_symlinks;
    e->opened = now;
    e->st = out->st;
    strcpy(e->path, key);
    apr_pool_cleanup_register(pool, e, release_entry, apr_pool_cleanup_null);
    return 0;
}

} // namespace x0
