/*
 * mod_static: serve r->filename, which translation put below
 * r->context_root (DocumentRoot, or an Alias target). It is the handler of
 * last resort: it runs after every SetHandler-based handler and answers
 * whatever they declined.
 *
 * The file is opened once, relative to a descriptor of its root that the
 * worker keeps open, and the open descriptor travels down the output chain
 * in file buckets so core_output can sendfile() it. Nothing is read into
 * memory and nothing is looked up by path twice.
 */
#define X0_LOG_MODULE static_module  // its messages answer to LogLevel static:LEVEL
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <apr_buckets.h>
#include <apr_file_info.h>
#include <apr_hash.h>
#include <apr_portable.h>
#include <apr_strings.h>
#include "x0/filter.h"
#include "x0/http.h"
#include "x0/log.h"
#include "x0/module.h"
#include "dir_listing.h"
#include "etag.h"
#include "file_cache.h"
#include "mime_types.h"
#include "path_map.h"

extern "C" x0_module_t static_module;

namespace {

/** TypesConfig is per server; everything else is per directory, as in httpd. */
struct static_server_config {
    apr_hash_t* types_config;        /**< from TypesConfig, or NULL */
    apr_hash_t* types;               /**< TypesConfig or the system's, from post_config */
};

/** httpd's mod_dir and mod_mime settings that x0 keeps in mod_static. */
struct static_dir_config {
    apr_array_header_t* index_names; /**< of const char*; NULL until DirectoryIndex */
    apr_hash_t* add_types;           /**< AddType here and outside; wins over types; or NULL */
    const char* default_type;        /**< NULL: send no Content-Type */
    bool default_type_set;           /**< DefaultType was given here */
};

const char* const default_index_name = "index.html";

static_server_config* static_conf(const x0_server_t* s)
{
    return static_cast<static_server_config*>(x0_get_server_config(s, &static_module));
}

const static_dir_config* static_dir_conf(const x0_request_t* r)
{
    return static_cast<const static_dir_config*>(x0_get_dir_config(r, &static_module));
}

void* static_create_server_config(apr_pool_t* p, x0_server_t*)
{
    return apr_pcalloc(p, sizeof(static_server_config));
}

void* static_create_dir_config(apr_pool_t* p, const char*)
{
    auto* d = static_cast<static_dir_config*>(apr_pcalloc(p, sizeof(static_dir_config)));
    d->default_type = "application/octet-stream";
    return d;
}

/** Inner settings win; AddType mappings add up, the inner ones first. */
void* static_merge_dir_config(apr_pool_t* p, void* base_v, void* add_v)
{
    auto* base = static_cast<static_dir_config*>(base_v);
    auto* add = static_cast<static_dir_config*>(add_v);
    auto* d = static_cast<static_dir_config*>(apr_palloc(p, sizeof(static_dir_config)));
    d->index_names = add->index_names ? add->index_names : base->index_names;
    d->add_types = !add->add_types ? base->add_types
                 : !base->add_types ? add->add_types
                 : apr_hash_overlay(p, add->add_types, base->add_types);
    d->default_type = add->default_type_set ? add->default_type : base->default_type;
    d->default_type_set = add->default_type_set || base->default_type_set;
    return d;
}

void* static_merge_server_config(apr_pool_t* p, void* base_v, void* add_v)
{
    auto* base = static_cast<static_server_config*>(base_v);
    auto* add = static_cast<static_server_config*>(add_v);
    auto* conf = static_cast<static_server_config*>(apr_pcalloc(p, sizeof(static_server_config)));
    conf->types_config = add->types_config ? add->types_config : base->types_config;
    return conf;
}

/* ---- directives ---- */

/** As Apache's mod_dir: names add up over directives; "disabled" alone clears. */
const char* static_directory_index(x0_cmd_parms_t* cmd, void* dir_cfg, int argc,
                                   const char* const* argv)
{
    auto* d = static_cast<static_dir_config*>(dir_cfg);
    if (!d->index_names)
        d->index_names = apr_array_make(cmd->pool, argc, sizeof(const char*));
    if (argc == 1 && strcasecmp(argv[0], "disabled") == 0) {
        apr_array_clear(d->index_names);
        return nullptr;
    }
    for (int i = 0; i < argc; ++i)
        APR_ARRAY_PUSH(d->index_names, const char*) = argv[i];
    return nullptr;
}

const char* static_types_config(x0_cmd_parms_t* cmd, void* dir_cfg, int argc,
                                const char* const* argv)
{
    static_server_config* conf = static_conf(cmd->server);
    const char* path = x0_server_root_relative(cmd->pool, argv[0]);
    apr_hash_t* types = apr_hash_make(cmd->pool);
    apr_status_t rv = x0::read_mime_types(cmd->pool, types, path);
    if (rv != APR_SUCCESS) {
        char buf[120];
        return apr_psprintf(cmd->pool, "TypesConfig: cannot read '%s': %s", path,
                            apr_strerror(rv, buf, sizeof buf));
    }
    conf->types_config = types;
    return nullptr;
}

const char* static_add_type(x0_cmd_parms_t* cmd, void* dir_cfg, int argc,
                            const char* const* argv)
{
    auto* d = static_cast<static_dir_config*>(dir_cfg);
    if (!d->add_types)
        d->add_types = apr_hash_make(cmd->pool);
    for (int i = 1; i < argc; ++i) {
        const char* ext = argv[i][0] == '.' ? argv[i] + 1 : argv[i];
        if (ext[0] == '\0')
            return "AddType: empty extension";
        if (strlen(ext) > x0::mime_max_extension)
            return apr_psprintf(cmd->pool, "AddType: extension '%s' is too long", argv[i]);
        x0::add_mime_type(cmd->pool, d->add_types, argv[i], argv[0]);
    }
    return nullptr;
}

const char* static_default_type(x0_cmd_parms_t* cmd, void* dir_cfg, int argc,
                                const char* const* argv)
{
    auto* d = static_cast<static_dir_config*>(dir_cfg);
    d->default_type = strcasecmp(argv[0], "none") == 0 ? nullptr : argv[0];
    d->default_type_set = true;
    return nullptr;
}

const x0_directive_t static_directives[] = {
    {"DirectoryIndex", static_directory_index, 1, -1, X0_CONF_ANYWHERE,
     "DirectoryIndex file [file ...] | disabled"},
    {"TypesConfig", static_types_config, 1, 1, X0_CONF_SERVERS,
     "TypesConfig mime.types-file"},
    {"AddType", static_add_type, 2, -1, X0_CONF_ANYWHERE,
     "AddType media-type extension [extension ...]"},
    {"DefaultType", static_default_type, 1, 1, X0_CONF_ANYWHERE,
     "DefaultType media-type | none"},
    {nullptr, nullptr, 0, 0, 0, nullptr},
};

/* ---- startup ---- */

/** Each server's table: TypesConfig, or the system's, read once, silently. */
int static_post_config(apr_pool_t* pconf, x0_server_t* main)
{
    apr_hash_t* system_types = nullptr;
    for (x0_server_t* s = main; s; s = s->next) {
        static_server_config* conf = static_conf(s);
        if (!conf->types_config && !system_types) {
            system_types = apr_hash_make(pconf);
            x0::read_mime_types(pconf, system_types, "/etc/mime.types");
        }
        conf->types = conf->types_config ? conf->types_config : system_types;
    }
    if (!x0_document_root(main))
        x0_log_error(X0LOG(01001), X0_LOG_WARNING, 0, main,
                     "no DocumentRoot; static files will not be served");
    return X0_OK;
}

/** The media type of @a served: AddType in force, then the server's table. */
const char* static_type_of(const x0_request_t* r, const static_dir_config* d, const char* served)
{
    const char* type = d->add_types ? x0::lookup_mime_type(d->add_types, served) : nullptr;
    if (!type)
        type = x0::lookup_mime_type(static_conf(r->server)->types, served);
    return type ? type : d->default_type;
}

/* ---- the handler ---- */

/** Where a request's file lives: its root, held open, and the path below it. */
struct static_target {
    const char* root;   /**< r->context_root (a realpath) */
    int root_fd;        /**< O_PATH descriptor of root */
    const char* rel;    /**< below root, no leading or trailing '/'; "" for root itself */
    bool dir_slash;     /**< the request path ended with '/' */
};

/** This worker's descriptors of the roots it has served from (root -> fd + 1). */
apr_pool_t* roots_pool = nullptr;
apr_hash_t* roots = nullptr;
constexpr unsigned max_roots = 1024;

apr_status_t static_close_fd(void* data)
{
    close(static_cast<int>(reinterpret_cast<intptr_t>(data)));
    return APR_SUCCESS;
}

/**
 * An O_PATH descriptor of @a root, kept for the worker's life (at most
 * max_roots of them; beyond that, for the request's). O_PATH is enough to
 * resolve below it and grants no access of its own.
 */
int static_root_fd(x0_request_t* r, const char* root)
{
    if (roots)
        if (void* v = apr_hash_get(roots, root, APR_HASH_KEY_STRING))
            return static_cast<int>(reinterpret_cast<intptr_t>(v)) - 1;
    int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    bool keep = roots && apr_hash_count(roots) < max_roots;
    apr_pool_t* owner = keep ? roots_pool : r->pool;
    apr_pool_cleanup_register(owner, reinterpret_cast<void*>(static_cast<intptr_t>(fd)),
                              static_close_fd, apr_pool_cleanup_null);
    if (keep)
        apr_hash_set(roots, apr_pstrdup(roots_pool, root), APR_HASH_KEY_STRING,
                     reinterpret_cast<void*>(static_cast<intptr_t>(fd) + 1));
    return fd;
}

/** r->filename as a path below r->context_root; 404 when translation gave none. */
int static_locate(x0_request_t* r, static_target* t)
{
    size_t n = r->context_root ? strlen(r->context_root) : 0;
    if (!r->filename || n == 0 || strncmp(r->filename, r->context_root, n) != 0 ||
        (r->filename[n] != '/' && r->filename[n] != '\0'))
        return 404;
    const char* rel = r->filename + n;
    while (*rel == '/')
        ++rel;
    size_t len = strlen(rel);
    t->dir_slash = (r->path && r->path[strlen(r->path) - 1] == '/') ||
                   (len > 0 && rel[len - 1] == '/');
    while (len > 0 && rel[len - 1] == '/')
        --len;
    // A file's path is the tail of r->filename as it is; only a directory's
    // trailing slash needs a copy without it.
    t->rel = rel[len] == '\0' ? rel : apr_pstrndup(r->pool, rel, len);
    t->root = r->context_root;
    t->root_fd = static_root_fd(r, t->root);
    if (t->root_fd < 0) {
        x0_log_error(X0LOG(01002), X0_LOG_ERR, APR_FROM_OS_ERROR(errno), r->server,
                     "cannot open the root %s", t->root);
        return 404;
    }
    return 0;
}

/**
 * Open @a rel below @a t's root (through this worker's file cache) and
 * log what is unusual. The descriptor is the request pool's to release.
 */
int static_open(x0_request_t* r, const static_target& t, const char* rel, x0::opened_file* file)
{
    bool follow = x0_allow_options(r) & X0_OPT_FOLLOW_SYMLINKS;
    int status = x0::file_cache_open(r->pool, t.root_fd, t.root, rel, follow, file);
    if (status == 0)
        return 0;
    if (status == 500)
        x0_log_error(X0LOG(01003), X0_LOG_ERR, APR_FROM_OS_ERROR(file->err), r->server,
                     "cannot open %s/%s", t.root, rel);
    else if (file->err == EXDEV || file->err == ELOOP)
        x0_log_error(X0LOG(01004), X0_LOG_INFO, APR_FROM_OS_ERROR(file->err), r->server,
                     "Symbolic link not allowed or link target not accessible: %s/%s",
                     t.root, rel);
    return status;
}

/**
 * The first DirectoryIndex name below the directory @a rel that opens as a
 * regular file; its path in @a served. 403 when there is none, as Apache
 * answers a directory it may not list.
 */
int static_open_index(x0_request_t* r, const static_dir_config* conf,
                      const static_target& t, x0::opened_file* file, const char** served)
{
    const char* const* names = &default_index_name;
    int count = 1;
    if (conf->index_names) {
        names = reinterpret_cast<const char* const*>(conf->index_names->elts);
        count = conf->index_names->nelts;
    }
    for (int i = 0; i < count; ++i) {
        const char* path = t.rel[0] != '\0' ? apr_pstrcat(r->pool, t.rel, "/", names[i], nullptr)
                                            : names[i];
        if (static_open(r, t, path, file) != 0)
            continue;
        if (S_ISREG(file->st.st_mode)) {
            *served = path;
            return 0;
        }
    }
    return 403;
}

/** Tell log modules what was served. */
void static_set_finfo(x0_request_t* r, const static_target& t, const char* served,
                      const struct stat& st)
{
    r->filename = apr_pstrcat(r->pool, t.root, "/", served, nullptr);
    memset(&r->finfo, 0, sizeof r->finfo);
    r->finfo.pool = r->pool;
    r->finfo.valid = APR_FINFO_TYPE | APR_FINFO_SIZE | APR_FINFO_MTIME | APR_FINFO_INODE
                   | APR_FINFO_DEV;
    r->finfo.filetype = APR_REG;
    r->finfo.size = st.st_size;
    r->finfo.mtime = apr_time_from_sec(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec / 1000;
    r->finfo.inode = st.st_ino;
    r->finfo.device = st.st_dev;
    r->finfo.fname = r->filename;
}

/**
 * A file rewritten while it is sent must not reach the client whole: check
 * it before its last write goes, and let the core close the connection if it
 * changed (a short or mixed body then stays visibly incomplete). A file that
 * leaves in one write needs no guard.
 */
void guard_last_write(apr_bucket_brigade* bb, int fd, apr_off_t size, apr_time_t mtime)
{
    apr_bucket* tail = APR_BRIGADE_LAST(bb);
    if (tail->length > X0_FILE_CHECK_TAIL) {
        apr_bucket_split(tail, tail->length - X0_FILE_CHECK_TAIL);
        tail = APR_BUCKET_NEXT(tail);
    }
    APR_BUCKET_INSERT_BEFORE(tail, x0_bucket_file_check_create(fd, size, mtime, bb->bucket_alloc));
}

int static_send_file(x0_request_t* r, const static_dir_config* conf, const static_target& t,
                     const char* served, x0::opened_file* file)
{
    static_set_finfo(r, t, served, file->st);
    apr_time_t mtime = r->finfo.mtime;
    apr_off_t size = r->finfo.size;

    // RFC 9110 section 8.8.2.1: never claim a modification after the response.
    apr_time_t last_modified = mtime > r->request_time && r->request_time > 0
                             ? r->request_time : mtime;
    x0::file_validators v = x0::validators_of(r->pool, mtime, last_modified, size);
    apr_table_setn(r->headers_out, "Last-Modified", v.last_modified);
    apr_table_setn(r->headers_out, "ETag", v.etag);

    // Known for a 304 too (HTTP_HEADER leaves it out there): mod_expires
    // picks its rule by type.
    if (!r->content_type)  // ForceType may have set it
        r->content_type = static_type_of(r, conf, served);
    int status = x0_meets_conditions(r);
    if (status == 412)
        return 412;
    apr_bucket_alloc_t* list = r->connection->bucket_alloc;
    apr_bucket_brigade* bb = apr_brigade_create(r->pool, list);
    if (status == 304) {
        // RFC 9110 section 15.4.5: validators, but no Content-Type or
        // Content-Length of the representation.
        r->status = 304;
    } else {
        x0_set_content_length(r, size);
        apr_table_setn(r->headers_out, "Accept-Ranges", "bytes");  // RFC 9110 section 14.3
        if (!r->header_only && size > 0 && file->bytes) {
            // The file cache holds it, for as long as this request holds the file.
            APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_immortal_create(
                file->bytes, static_cast<apr_size_t>(size), list));
        } else if (!r->header_only && size > 0) {
            apr_file_t* f = nullptr;
            apr_os_file_t os_fd = file->fd;
            apr_os_file_put(&f, &os_fd, APR_FOPEN_READ, r->pool);
            // Several buckets for files over APR's bucket limit (1 GiB).
            apr_brigade_insert_file(bb, f, 0, size, r->pool);
            for (apr_bucket* b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
                 b = APR_BUCKET_NEXT(b))
                apr_bucket_file_enable_mmap(b, 0);  // sendfile, or read() if it must
            if (size > X0_FILE_CHECK_TAIL)
                guard_last_write(bb, file->fd, size, r->finfo.mtime);
        }
    }
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(list));
    // The whole response is in this one brigade, so a flow-control answer
    // needs no resume, and an error means the client is gone: the core
    // handles both.
    x0_pass_brigade(r->output_filters, bb);
    return X0_OK;
}

int static_handler(x0_request_t* r)
{
    if (r->handler && strcasecmp(r->handler, "static") != 0
        && strcasecmp(r->handler, "default-handler") != 0)
        return X0_DECLINED;
    if (r->method_number != X0_M_GET && r->method_number != X0_M_HEAD) {
        apr_table_setn(r->headers_out, "Allow", "GET, HEAD");
        return 405;
    }
    const static_dir_config* conf = static_dir_conf(r);
    static_target t;
    int status = static_locate(r, &t);
    if (status != 0)
        return status;
    x0::opened_file file;
    status = static_open(r, t, t.rel, &file);
    if (status != 0)
        return status;

    const char* served = t.rel;
    if (S_ISDIR(file.st.st_mode)) {
        if (!t.dir_slash) {
            // Relative references resolve against the directory only with
            // the slash. Leading slashes are collapsed so that "//host"
            // cannot become a network-path reference to another site.
            const char* uri = r->uri;
            while (uri[1] == '/')
                ++uri;
            const char* location = apr_pstrcat(r->pool, uri, "/", r->args ? "?" : "",
                                               r->args ? r->args : "", nullptr);
            apr_table_setn(r->headers_out, "Location", location);
            return 301;
        }
        int dir_fd = file.fd;  // the request pool's; still open after a failed index
        status = static_open_index(r, conf, t, &file, &served);
        if (status == 403 && (x0_allow_options(r) & X0_OPT_INDEXES))
            return x0::dir_listing_send(r, dir_fd, t.root_fd, t.root, t.rel);
        if (status != 0)
            return status;
    }
    return static_send_file(r, conf, t, served, &file);
}

void static_child_init(apr_pool_t* pchild, x0_server_t*)
{
    x0::file_cache_init(pchild);
    roots_pool = pchild;
    roots = apr_hash_make(pchild);
}

void static_register_hooks(apr_pool_t* p)
{
    x0_hook_post_config(static_post_config, nullptr, nullptr, X0_HOOK_MIDDLE);
    x0_hook_child_init(static_child_init, nullptr, nullptr, X0_HOOK_MIDDLE);
    x0_hook_handler(static_handler, nullptr, nullptr, X0_HOOK_LAST);
}

} // namespace

X0_MODULE(static) = {
    X0_MODULE_HEADER, "static",
    static_create_dir_config, static_merge_dir_config,
    static_create_server_config, static_merge_server_config,
    static_directives, static_register_hooks,
};
