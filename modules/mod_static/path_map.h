/*
 * Opening a file below a root with the kernel enforcing the root. The core
 * has already decoded and checked the request path (r->path, uri_path.h);
 * this is the part the file system adds: symlinks.
 */
#ifndef X0_MOD_STATIC_PATH_MAP_H
#define X0_MOD_STATIC_PATH_MAP_H

#include <sys/stat.h>
#include <apr_pools.h>

namespace x0 {

/** A file or directory opened by open_below_root(). */
struct opened_file {
    int fd;          /**< O_RDONLY|O_CLOEXEC; the caller closes it; -1 on failure */
    struct stat st;  /**< fstat of fd */
    int err;         /**< on failure, the errno behind the status (0 if none) */
    const char* bytes; /**< the whole content when a cache holds it (file_cache.h), else NULL */
};

/**
 * Open @a rel ("" for the root) relative to @a root_fd, an O_PATH|O_DIRECTORY
 * descriptor of the document root, and accept only a regular file or a
 * directory.
 *
 * Without @a follow_symlinks the kernel resolves the path with openat2()
 * RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS: relative symlinks that stay below
 * the root work, anything leading out of it is refused, and so is every
 * absolute symlink (the kernel does not look where it points). Where
 * openat2() is missing (ENOSYS: kernel before 5.6, or a seccomp filter)
 * open_below_root_checked() takes over; it judges by the final location, so
 * there an absolute symlink into the root works. With @a follow_symlinks it
 * is a plain openat(), as Apache's Options FollowSymLinks.
 *
 * @param root_real realpath of the root, for the ENOSYS fallback
 * @return 0 with out->fd open; else out->fd is -1 and the status is
 *         404 (ENOENT, ENOTDIR, ENAMETOOLONG), 403 (EACCES, EPERM, a symlink
 *         out of the root: EXDEV or ELOOP, neither file nor directory) or 500
 *         (anything else: EMFILE, EIO, ...).
 */
int open_below_root(int root_fd, const char* root_real, const char* rel,
                    bool follow_symlinks, opened_file* out);

/**
 * The fallback of open_below_root() without openat2(): open following
 * symlinks, then require the realpath of the opened descriptor (through
 * /proc/self/fd, so no rename can race the check) to be @a root_real or below
 * it; 403 with err EXDEV otherwise. Same results as open_below_root().
 */
int open_below_root_checked(int root_fd, const char* root_real, const char* rel,
                            opened_file* out);

} // namespace x0

#endif
