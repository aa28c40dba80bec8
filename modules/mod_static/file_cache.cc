#include "file_cache.h"

#include <cstdint>
#include <cstring>
#include <ctime>
#include <unistd.h>

#include "x0/module.h"

namespace x0 {
namespace {

constexpr int cache_slots = 64;
constexpr apr_size_t max_cached_path = 232;

struct cache_entry {
    int fd;              /**< -1 when the slot is empty */
    int refs;            /**< responses still using fd (and bytes) */
    bool follow_symlinks;
    bool has_bytes;      /**< bytes holds the whole file as st describes it */
    time_t opened;
    unsigned long checked_turn;  /**< the loop turn in which st was last confirmed */
    struct stat st;
    char* bytes;         /**< file_cache_bytes_max bytes, once the slot held a small file */
    char path[max_cached_path];  /**< root, '/', then the path below it */
};

/** Workers are single-threaded processes: one table per process. */
cache_entry* slots = nullptr;
/** Where the slots' byte buffers come from: the worker's pool. */
apr_pool_t* bytes_pool = nullptr;

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
    bytes_pool = nullptr;
    return APR_SUCCESS;
}

bool same_time(const struct timespec& a, const struct timespec& b)
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/**
 * The same inode with the same size, mtime and ctime. ctime counts because
 * nobody can set it: `cp -p` over a file can restore its size and mtime.
 */
bool same_version(const struct stat& a, const struct stat& b)
{
    return a.st_ino == b.st_ino && a.st_dev == b.st_dev && a.st_size == b.st_size
        && same_time(a.st_mtim, b.st_mtim) && same_time(a.st_ctim, b.st_ctim);
}

/**
 * Is the cached descriptor still the file as it was? At most one fstat per
 * loop turn instead of openat2 + fstat + close: a file rewritten in place or
 * deleted is a miss. (A file replaced by rename keeps its old, consistent
 * inode for at most file_cache_ttl.)
 */
bool unchanged(cache_entry* e, unsigned long turn)
{
    if (e->checked_turn == turn)
        return true;
    struct stat st;
    if (fstat(e->fd, &st) != 0 || st.st_nlink == 0 || !same_version(st, e->st))
        return false;
    e->checked_turn = turn;
    return true;
}

/**
 * Keep a small file's bytes in its entry. They are read once per version
 * of the file (a reopen after file_cache_ttl finding the same version keeps
 * them); a short read (the file shrank meanwhile) leaves the entry without.
 *
 * Only a file whose ctime is over a second old: the kernel stamps times
 * from a clock that ticks every few milliseconds, so a rewrite within the
 * same tick leaves size, mtime and ctime as they were (git's "racy clean"
 * problem). Such a file is read from its descriptor at each response until
 * a reopen finds it settled.
 */
void load_bytes(cache_entry* e, int fd, const struct stat& st, time_t now)
{
    if (e->has_bytes && same_version(st, e->st))
        return;
    e->has_bytes = false;
    auto size = static_cast<apr_size_t>(st.st_size);
    if (size == 0 || size > file_cache_bytes_max || st.st_ctim.tv_sec + 1 >= now)
        return;
    if (!e->bytes)
        e->bytes = static_cast<char*>(apr_palloc(bytes_pool, file_cache_bytes_max));
    apr_size_t got = 0;
    while (got < size) {
        ssize_t n = pread(fd, e->bytes + got, size - got, static_cast<off_t>(got));
        if (n <= 0)
            return;
        got += static_cast<apr_size_t>(n);
    }
    e->has_bytes = true;
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
    bytes_pool = pchild;
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
    unsigned long turn = x0_loop_turn();
    if (e && e->fd >= 0 && e->follow_symlinks == follow_symlinks
        && now - e->opened < file_cache_ttl && strcmp(e->path, key) == 0 && unchanged(e, turn)) {
        ++e->refs;
        apr_pool_cleanup_register(pool, e, release_entry, apr_pool_cleanup_null);
        out->fd = e->fd;
        out->st = e->st;
        out->err = 0;
        out->bytes = e->has_bytes ? e->bytes : nullptr;
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
    if (strcmp(e->path, key) != 0)
        e->has_bytes = false;
    load_bytes(e, out->fd, out->st, now);
    e->fd = out->fd;
    e->refs = 1;
    e->follow_symlinks = follow_symlinks;
    e->opened = now;
    e->checked_turn = turn;
    e->st = out->st;
    strcpy(e->path, key);
    out->bytes = e->has_bytes ? e->bytes : nullptr;
    apr_pool_cleanup_register(pool, e, release_entry, apr_pool_cleanup_null);
    return 0;
}

} // namespace x0
