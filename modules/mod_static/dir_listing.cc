/*
 * Directory listings for Options Indexes (httpd: mod_autoindex without
 * FancyIndexing, plus the size and date columns).
 *
 * The directory is read with getdents64() into a pool buffer rather than
 * with opendir(): glibc's DIR is malloc()ed, and the request path allocates
 * from pools only. The page is rendered twice by the same code, once to
 * measure it and once into a pool buffer of that size, so it goes out as
 * one pool bucket with an exact Content-Length.
 */
#include "dir_listing.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <apr_buckets.h>
#include <apr_strings.h>
#include "x0/filter.h"
#include "x0/log.h"
#include "path_map.h"

namespace x0 {

namespace {

/** The record getdents64(2) fills in (glibc declares it only from 2.30). */
struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

constexpr apr_size_t getdents_buffer = 32768;

/** Directories first, then files; each group by strcmp (byte order, no locale). */
int compare_entries(const void* a, const void* b)
{
    auto* x = static_cast<const dir_entry*>(a);
    auto* y = static_cast<const dir_entry*>(b);
    if (x->is_dir != y->is_dir)
        return x->is_dir ? -1 : 1;
    return strcmp(x->name, y->name);
}

apr_time_t mtime_of(const struct stat& st)
{
    return apr_time_from_sec(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec / 1000;
}

/**
 * Should @a name be listed at all? x0 hides every name starting with '.'
 * (httpd's IndexIgnore default hides nothing): ".htaccess", ".git" and
 * editor files are rarely meant for visitors. A name with a backslash
 * cannot be requested (the core answers 400 to one in a request path), so
 * it would only be a dead link.
 */
bool listable_name(const char* name)
{
    return name[0] != '.' && !strchr(name, '\\');
}

/**
 * Type, size and time of the entry @a name of the directory open as
 * @a list_fd; false when it is not to be listed. A symlink counts as what
 * mod_static would serve through it.
 */
bool stat_entry(apr_pool_t* p, int list_fd, int root_fd, const char* root_real,
                const char* dir_rel, bool follow_symlinks, const char* name, struct stat* st)
{
    if (fstatat(list_fd, name, st, AT_SYMLINK_NOFOLLOW) != 0)
        return false;  // gone meanwhile
    if (S_ISLNK(st->st_mode)) {
        const char* rel = dir_rel[0] != '\0' ? apr_pstrcat(p, dir_rel, "/", name, nullptr)
                                             : name;
        opened_file f;
        if (open_below_root(root_fd, root_real, rel, follow_symlinks, &f) != 0)
            return false;  // out of the root, dangling, or neither file nor directory
        *st = f.st;
        close(f.fd);
        return true;
    }
    return S_ISREG(st->st_mode) || S_ISDIR(st->st_mode);
}

/**
 * The page is written through this twice: with buf NULL it only counts,
 * then into a buffer of the counted size.
 */
struct sink {
    char* buf;
    apr_size_t len;

    void put(const char* s, apr_size_t n)
    {
        if (buf)
            memcpy(buf + len, s, n);
        len += n;
    }
    void put(const char* s) { put(s, strlen(s)); }
    void put(char c) { put(&c, 1); }

    void html(const char* s) { html(s, strlen(s)); }
    void html(const char* s, apr_size_t n)
    {
        for (const char* end = s + n; s < end; ++s) {
            switch (*s) {
            case '&': put("&amp;"); break;
            case '<': put("&lt;"); break;
            case '>': put("&gt;"); break;
            case '"': put("&quot;"); break;
            case '\'': put("&#39;"); break;
            default: put(*s);
            }
        }
    }

    /**
     * One path segment for a relative href. Only RFC 3986 section 2.3
     * unreserved characters stay: this also keeps a name with ':' from
     * reading as a scheme (section 4.2) and leaves nothing for HTML to
     * interpret inside the attribute.
     */
    void uri(const char* s)
    {
        static const char hex[] = "0123456789ABCDEF";
        for (; *s; ++s) {
            unsigned char c = static_cast<unsigned char>(*s);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~') {
                put(static_cast<char>(c));
            } else {
                char e[3] = {'%', hex[c >> 4], hex[c & 15]};
                put(e, 3);
            }
        }
    }
};

/** "2020-01-02 03:04:05", in UTC. */
void put_date(sink* out, apr_time_t t)
{
    apr_time_exp_t tm;
    apr_time_exp_gmt(&tm, t);
    char buf[32];
    apr_snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    out->put(buf);
}

void render(sink* out, const char* path, const dir_listing& listing)
{
    // httpd's title drops the trailing slash: "Index of /dir", "Index of /".
    apr_size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        --n;
    out->put("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>Index of ");
    out->html(path, n);
    out->put("</title>\n</head>\n<body>\n<h1>Index of ");
    out->html(path, n);
    out->put("</h1>\n<table>\n"
             "<tr><th>Name</th><th>Last modified (UTC)</th><th>Size</th></tr>\n");
    if (strcmp(path, "/") != 0)
        out->put("<tr><td><a href=\"../\">Parent Directory</a></td><td></td><td>-</td></tr>\n");
    const auto* entries = reinterpret_cast<const dir_entry*>(listing.entries->elts);
    for (int i = 0; i < listing.entries->nelts; ++i) {
        const dir_entry& e = entries[i];
        out->put("<tr><td><a href=\"");
        out->uri(e.name);
        if (e.is_dir)
            out->put('/');
        out->put("\">");
        out->html(e.name);
        if (e.is_dir)
            out->put('/');
        out->put("</a></td><td>");
        put_date(out, e.mtime);
        out->put("</td><td>");
        if (e.is_dir) {
            out->put('-');
        } else {
            char size[32];
            apr_snprintf(size, sizeof size, "%" APR_OFF_T_FMT, e.size);
            out->put(size);
        }
        out->put("</td></tr>\n");
    }
    out->put("</table>\n");
    if (listing.truncated) {
        char note[96];
        apr_snprintf(note, sizeof note,
                     "<p>This directory has more than %d entries; only %d are listed.</p>\n",
                     dir_listing_max_entries, dir_listing_max_entries);
        out->put(note);
    }
    out->put("</body>\n</html>\n");
}

} // namespace

int dir_listing_read(apr_pool_t* p, int dir_fd, int root_fd, const char* root_real,
                     const char* dir_rel, bool follow_symlinks, dir_listing* out)
{
    out->entries = apr_array_make(p, 16, sizeof(dir_entry));
    out->truncated = false;
    // A descriptor of our own: reading moves the offset, and dir_fd's is
    // not ours to move. Relative to dir_fd, so nothing is looked up by path.
    int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    char* buf = static_cast<char*>(apr_palloc(p, getdents_buffer));
    int err = 0;
    for (;;) {
        long got = syscall(SYS_getdents64, fd, buf, getdents_buffer);
        if (got < 0) {
            err = errno;
            break;
        }
        if (got == 0)
            break;
        for (long at = 0; at < got;) {
            auto* d = reinterpret_cast<const linux_dirent64*>(buf + at);
            at += d->d_reclen;
            if (!listable_name(d->d_name))
                continue;
            struct stat st;
            if (!stat_entry(p, fd, root_fd, root_real, dir_rel, follow_symlinks, d->d_name, &st))
                continue;
            if (out->entries->nelts >= dir_listing_max_entries) {
                out->truncated = true;
                break;
            }
            dir_entry& e = APR_ARRAY_PUSH(out->entries, dir_entry);
            e.name = apr_pstrdup(p, d->d_name);
            e.is_dir = S_ISDIR(st.st_mode);
            e.size = e.is_dir ? 0 : st.st_size;
            e.mtime = mtime_of(st);
        }
        if (out->truncated)
            break;
    }
    close(fd);
    if (err != 0)
        return err;
    qsort(out->entries->elts, out->entries->nelts, sizeof(dir_entry), compare_entries);
    return 0;
}

const char* dir_listing_html(apr_pool_t* p, const char* path, const dir_listing& listing,
                             apr_size_t* len)
{
    sink measure{nullptr, 0};
    render(&measure, path, listing);
    sink write{static_cast<char*>(apr_palloc(p, measure.len + 1)), 0};
    render(&write, path, listing);
    write.buf[write.len] = '\0';
    *len = write.len;
    return write.buf;
}

const char* dir_listing_escape_html(apr_pool_t* p, const char* s)
{
    sink measure{nullptr, 0};
    measure.html(s);
    sink write{static_cast<char*>(apr_palloc(p, measure.len + 1)), 0};
    write.html(s);
    write.buf[write.len] = '\0';
    return write.buf;
}

const char* dir_listing_escape_uri(apr_pool_t* p, const char* s)
{
    sink measure{nullptr, 0};
    measure.uri(s);
    sink write{static_cast<char*>(apr_palloc(p, measure.len + 1)), 0};
    write.uri(s);
    write.buf[write.len] = '\0';
    return write.buf;
}

int dir_listing_send(x0_request_t* r, int dir_fd, int root_fd, const char* root_real,
                     const char* dir_rel)
{
    bool follow = x0_allow_options(r) & X0_OPT_FOLLOW_SYMLINKS;
    dir_listing listing;
    int err = dir_listing_read(r->pool, dir_fd, root_fd, root_real, dir_rel, follow, &listing);
    if (err != 0) {
        x0_log_error(X0LOG(01005), X0_LOG_ERR, APR_FROM_OS_ERROR(err), r->server,
                     "cannot list the directory %s/%s", root_real, dir_rel);
        // No search permission on the directory: as a file mod_static may not open.
        return err == EACCES || err == EPERM ? 403 : 500;
    }
    if (listing.truncated)
        x0_log_error(X0LOG(01006), X0_LOG_INFO, 0, r->server,
                     "%s/%s has more than %d entries; the listing shows %d", root_real,
                     dir_rel, dir_listing_max_entries, dir_listing_max_entries);
    apr_size_t len;
    const char* page = dir_listing_html(r->pool, r->path ? r->path : "/", listing, &len);

    r->status = 200;
    r->content_type = "text/html; charset=utf-8";
    x0_set_content_length(r, static_cast<apr_off_t>(len));
    apr_bucket_alloc_t* list = r->connection->bucket_alloc;
    apr_bucket_brigade* bb = apr_brigade_create(r->pool, list);
    if (!r->header_only)
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_pool_create(page, len, r->pool, list));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(list));
    // One brigade holds the whole response: as in static_send_file(), a
    // flow-control answer needs no resume and an error is the core's.
    x0_pass_brigade(r->output_filters, bb);
    return X0_OK;
}

} // namespace x0
