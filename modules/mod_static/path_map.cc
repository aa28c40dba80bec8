/*
 * Request path -> file below the document root. The string checks catch
 * what is visibly wrong in the request; the kernel (openat2 RESOLVE_BENEATH)
 * enforces the root for everything the file system adds, i.e. symlinks.
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

/** Check one decoded segment; 0 when it may be used as a file name. */
int check_segment(const char* seg, apr_size_t len)
{
    // RFC 3986 section 5.2.4 would resolve dot-segments; a client that sends
    // them undecoded or encoded is probing, so refuse instead of resolving.
    if ((len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
        return 400;
    for (apr_size_t i = 0; i < len; ++i) {
        if (seg[i] == '\\')
            return 400;  // a path separator elsewhere; never a file name here
        if (seg[i] == '/')
            return 404;  // only %2F decodes to '/' inside a segment
    }
    return 0;
}

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

int map_request_path(apr_pool_t* p, const char* uri, static_path* out)
{
    if (!uri || uri[0] != '/')  // no path (CONNECT) or "*" (OPTIONS)
        return 400;
    apr_size_t uri_len = strlen(uri);
    // Decoding only shrinks, so the result fits in a buffer of the input's size.
    char* buf = static_cast<char*>(apr_palloc(p, uri_len + 1));
    apr_size_t used = 0;
    const char* seg = uri + 1;
    while (*seg != '\0') {
        const char* end = strchr(seg, '/');
        apr_size_t raw_len = end ? static_cast<apr_size_t>(end - seg) : strlen(seg);
        if (raw_len > 0) {
            // Decode each segment on its own: a '/' inside a decoded segment
            // then can only have come from %2F.
            apr_size_t at = used > 0 ? used + 1 : 0;
            memcpy(buf + at, seg, raw_len);
            buf[at + raw_len] = '\0';
            int status = x0_unescape_url(buf + at);
            if (status != 0)
                return status;
            apr_size_t len = strlen(buf + at);
            status = check_segment(buf + at, len);
            if (status != 0)
                return status;
            if (used > 0)
                buf[used] = '/';
            used = at + len;
        }
        if (!end)
            break;
        seg = end + 1;
    }
    buf[used] = '\0';
    out->rel = buf;
    out->dir_slash = uri[uri_len - 1] == '/';
    return 0;
}

int open_below_root(int root_fd, const char* root_real, const char* rel,
                    bool follow_symlinks, opened_file* out)
{
    out->fd = -1;
    out->err = 0;
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
