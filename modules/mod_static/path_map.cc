/*
 * A file below a root: the kernel (openat2 RESOLVE_BENEATH) enforces the
 * root for everything the file system adds, i.e. symlinks.
 */
#include "path_map.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <apr_strings.h>
#include "x0/http.h"

namespace x0 {

namespace {

int status_for_errno(int err)
{
    switch (err) {
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
        return 404;
    case EACCES:
    case EPERM:
    case EXDEV:   // RESOLVE_BENEATH: the path (via a symlink) left the root
    case ELOOP:   // symlink loop, or a magic link under RESOLVE_NO_MAGICLINKS
        return 403;
    default:
        return 500;
    }
}

/**
 * O_NONBLOCK keeps open() of a FIFO from blocking the worker; it has no
 * effect on reading a regular file. O_NOCTTY for device nodes, which are
 * refused after fstat anyway.
 */
constexpr int open_flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;

/** fstat the new descriptor and accept regular files and directories only. */
int finish_open(int fd, opened_file* out)
{
    if (fd < 0) {
        out->err = errno;
        return status_for_errno(out->err);
    }
    if (fstat(fd, &out->st) != 0) {
        out->err = errno;
        close(fd);
        return 500;
    }
    if (!S_ISREG(out->st.st_mode) && !S_ISDIR(out->st.st_mode)) {
        close(fd);
        return 403;
    }
    out->fd = fd;
    return 0;
}

const char* openat_path(const char* rel)
{
    return rel[0] != '\0' ? rel : ".";
}

} // namespace

int open_below_root(int root_fd, const char* root_real, const char* rel,
                    bool follow_symlinks, opened_file* out)
{
    out->fd = -1;
    out->err = 0;
    out->bytes = nullptr;
    if (follow_symlinks)
        return finish_open(openat(root_fd, openat_path(rel), open_flags), out);

    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = open_flags;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    int fd;
    // EAGAIN: the kernel saw a concurrent rename while resolving ".." from a
    // symlink target and asks the caller to retry (openat2(2)).
    int tries = 0;
    do {
        fd = static_cast<int>(syscall(SYS_openat2, root_fd, openat_path(rel), &how, sizeof how));
    } while (fd < 0 && errno == EAGAIN && ++tries < 3);
    if (fd < 0 && errno == ENOSYS)
        return open_below_root_checked(root_fd, root_real, rel, out);
    return finish_open(fd, out);
}

int open_below_root_checked(int root_fd, const char* root_real, const char* rel,
                            opened_file* out)
{
    out->fd = -1;
    out->err = 0;
    out->bytes = nullptr;
    int fd = openat(root_fd, openat_path(rel), open_flags);
    if (fd < 0) {
        out->err = errno;
        return status_for_errno(out->err);
    }
    // The descriptor's own path, not the request path: what was opened is
    // what is checked, whatever was renamed meanwhile.
    char proc_path[32];
    snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d", fd);
    char real[PATH_MAX];
    if (!realpath(proc_path, real)) {
        out->err = errno;
        close(fd);
        return 403;
    }
    apr_size_t root_len = strlen(root_real);
    bool below = root_len == 1  // the root is "/"
        || (strncmp(real, root_real, root_len) == 0
            && (real[root_len] == '\0' || real[root_len] == '/'));
    if (!below) {
        out->err = EXDEV;
        close(fd);
        return 403;
    }
    return finish_open(fd, out);
}

} // namespace x0
