/**
 * @file x0/module.h
 * @brief Declaring a module: its config, its directives and its hooks.
 *
 * Built-in and loadable modules use the same struct. A loadable module
 * exports one symbol, `<name>_module`, declared with X0_MODULE(); x0d finds
 * it with `LoadModule <name>_module path/to/mod_<name>.so`.
 *
 * Processes and phases: everything in this file runs in the master while it
 * reads the configuration (register_hooks, config create/merge, directive
 * handlers, post_config), except where a hook says otherwise.
 */
#ifndef X0_MODULE_H
#define X0_MODULE_H

#include "x0/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** First word of every module struct: "x0MD". Anything else is not an x0 module. */
#define X0_MODULE_MAGIC 0x78304d44
/**
 * The module ABI. A module built for another major, or for a newer minor
 * than the running x0d, is refused at LoadModule. Bump the minor when
 * something is added (a field at the end of a struct, a function); bump the
 * major when anything changes or goes away.
 */
#define X0_ABI_MAJOR 1
#define X0_ABI_MINOR 3
/** The first four fields of a module struct, in this order. */
#define X0_MODULE_HEADER X0_MODULE_MAGIC, X0_ABI_MAJOR, X0_ABI_MINOR, -1

/**
 * Where a directive may appear (bit mask), and which container a directive
 * handler is running in (x0_cmd_parms_t::context, exactly one bit).
 */
#define X0_CONF_SERVER    0x01  /**< top level of the main server */
#define X0_CONF_VHOST     0x02  /**< inside <VirtualHost> */
#define X0_CONF_DIRECTORY 0x04  /**< inside <Directory> or <DirectoryMatch> */
#define X0_CONF_LOCATION  0x08  /**< inside <Location> or <LocationMatch> */
#define X0_CONF_FILES     0x10  /**< inside <Files> or <FilesMatch> */
/** Any server: the main one or a virtual host. */
#define X0_CONF_SERVERS   (X0_CONF_SERVER | X0_CONF_VHOST)
/** Any per-directory container. */
#define X0_CONF_DIR       (X0_CONF_DIRECTORY | X0_CONF_LOCATION | X0_CONF_FILES)
#define X0_CONF_ANYWHERE  (X0_CONF_SERVERS | X0_CONF_DIR)
/**
 * Flag for x0_directive_t::where: the directive is a container a module
 * defines, written `<Name args>` ... `</Name>` (the table names it without
 * the '<'). Its fn runs twice: at the opening line with its arguments
 * (cmd->closing == 0), and at the closing tag (cmd->closing == 1, argc 0).
 * The lines between are read as directives of the enclosing scope; the
 * module tracks the nesting itself (mod_authz's <RequireAll> does).
 */
#define X0_CONF_CONTAINER 0x100

/**
 * A directive handler.
 * @param cmd     where the directive is (file, line, server, container, pools)
 * @param dir_cfg this module's per-directory config for the enclosing scope
 *                (the server's defaults outside any container)
 * @param argc    the number of arguments
 * @param argv    the arguments, unquoted, with ${VAR} expanded; they live
 *                in cmd->pool, as long as the configuration
 * @return NULL on success, or an error message (the core prefixes FILE:LINE:);
 *         allocate it in cmd->temp_pool or use a literal
 */
typedef const char* (*x0_directive_fn)(x0_cmd_parms_t* cmd, void* dir_cfg,
                                       int argc, const char* const* argv);

/** One entry of a module's directive table; the table ends with a NULL name. */
typedef struct {
    const char* name;      /**< case-insensitive, as in Apache */
    x0_directive_fn fn;
    int min_args;          /**< the core checks the count before calling fn */
    int max_args;          /**< -1 for no limit */
    int where;             /**< X0_CONF_* mask; elsewhere: "not allowed here" */
    const char* usage;     /**< shown when the argument count is wrong */
} x0_directive_t;

/** What a directive handler knows about its context. Owned by the core. */
struct x0_cmd_parms_t {
    x0_server_t* server;       /**< the main server or the <VirtualHost> being read */
    apr_pool_t* pool;          /**< lives as long as the configuration */
    apr_pool_t* temp_pool;     /**< cleared after the config is read */
    const char* file;
    int line;
    const x0_directive_t* directive;
    int context;               /**< one X0_CONF_* bit: the innermost container */
    /**
     * The container's argument: the <Location>/<Directory>/<Files> path or
     * pattern; NULL at server or virtual-host level.
     */
    const char* path;
    /** For an X0_CONF_CONTAINER directive: 1 at the closing tag, else 0. */
    int closing;
};

/** A module. Declare it with X0_MODULE(); the core owns it once added. */
struct x0_module_t {
    unsigned int magic;        /**< X0_MODULE_MAGIC */
    int abi_major;             /**< X0_ABI_MAJOR the module was built with */
    int abi_minor;             /**< X0_ABI_MINOR the module was built with */
    /** Set by the core when the module is added: its index in config vectors. */
    int module_index;
    const char* name;          /**< "static" for static_module / mod_static.so */
    /**
     * Per-directory config for the container @a path (NULL for a server's
     * defaults). Allocate in @a p. May be NULL: the module has none.
     */
    void* (*create_dir_config)(apr_pool_t* p, const char* path);
    /**
     * A new config: @a add (the inner scope) over @a base (the outer one).
     * Must not modify either: both are shared. Called at startup and per
     * request (@a p is then the request pool). NULL: the inner one wins.
     */
    void* (*merge_dir_config)(apr_pool_t* p, void* base, void* add);
    /** Per-server config for the main server and each virtual host; may be NULL. */
    void* (*create_server_config)(apr_pool_t* p, x0_server_t* s);
    /** A virtual host's config over the main server's; NULL: the vhost's is used as is. */
    void* (*merge_server_config)(apr_pool_t* p, void* base, void* add);
    const x0_directive_t* directives;  /**< may be NULL */
    /**
     * Register filters and hooks; called once per configuration read, when
     * the module is added (before its directives are read). @a p is the
     * configuration pool.
     */
    void (*register_hooks)(apr_pool_t* p);
};

#ifdef __cplusplus
#define X0_EXTERN_C extern "C"
#else
#define X0_EXTERN_C extern
#endif

/**
 * Declare the module struct, exported under the name LoadModule looks for:
 * `X0_MODULE(stamp) = { X0_MODULE_HEADER, "stamp", ... };`
 */
#define X0_MODULE(name) \
    X0_EXTERN_C X0_API x0_module_t name##_module; \
    x0_module_t name##_module

/** A per-module config vector (server or directory): one slot per module. */
typedef void* x0_config_vector_t;

/** This module's entry in a config vector; NULL if it has none. */
X0_API void* x0_get_module_config(const x0_config_vector_t* vec, const x0_module_t* m);

/** This module's per-server config for @a s (a virtual host or the main server). */
X0_API void* x0_get_server_config(const x0_server_t* s, const x0_module_t* m);

/** This module's per-directory config, merged for @a r's location and file. */
X0_API void* x0_get_dir_config(const x0_request_t* r, const x0_module_t* m);

/** Parse On/Off (any case) into @a out; returns an error message or NULL. */
X0_API const char* x0_conf_flag(const char* arg, int* out);

/**
 * Parse a decimal integer in [min, max] into @a out. Returns NULL, or an
 * error message allocated in @a p ("must be a number", "must be between ...").
 */
X0_API const char* x0_conf_number(apr_pool_t* p, const char* arg, long min, long max,
                                  long* out);

/** Resolve @a path against the server root (absolute paths are kept); in @a p. */
X0_API const char* x0_server_root_relative(apr_pool_t* p, const char* path);

/* ---- hooks ----
 *
 * Each x0_hook_* call adds a function to a hook. Order: by @a order first
 * (X0_HOOK_FIRST runs before X0_HOOK_MIDDLE before X0_HOOK_LAST), and within
 * that, after every module named in @a pre and before every module named in
 * @a succ (module names as in the struct, "static"; NULL-terminated arrays
 * that must live as long as the module; NULL for none). Modules named there
 * that are not loaded are ignored, as in httpd.
 */

#define X0_HOOK_REALLY_FIRST (-10)
#define X0_HOOK_FIRST  0
#define X0_HOOK_MIDDLE 10
#define X0_HOOK_LAST   20
#define X0_HOOK_REALLY_LAST 30

/**
 * Master, after the whole configuration is read (@a s is the main server;
 * virtual hosts follow it through s->next). Non-OK fails the start.
 */
typedef int (*x0_post_config_fn)(apr_pool_t* pconf, x0_server_t* s);
/** Each worker, once, before it accepts. @a pchild lives as long as the worker. */
typedef void (*x0_child_init_fn)(apr_pool_t* pchild, x0_server_t* s);
/**
 * Worker, once per connection, at accept (before pre_connection): attach
 * what must live as long as the connection with x0_set_conn_state(). Non-OK
 * closes the connection (connection_closing still runs).
 */
typedef int (*x0_connection_opened_fn)(x0_conn_t* c);
/**
 * Worker, each time a connection gets its pool (at accept, and again when
 * an idle keep-alive connection wakes): add connection filters here. Non-OK
 * closes the connection.
 */
typedef int (*x0_pre_connection_fn)(x0_conn_t* c);
/**
 * Worker, once per connection, just before its socket is closed (after any
 * end-of-connection output went out, or when the client is gone): free what
 * connection_opened attached. The connection has a pool here, also when it
 * was idle.
 */
typedef void (*x0_connection_closing_fn)(x0_conn_t* c);
/**
 * Worker, request hooks: return X0_OK, X0_DECLINED, X0_SUSPENDED (handler
 * only) or an HTTP status (>= 100), which ends the request with that status
 * (an error page, or ErrorDocument).
 */
typedef int (*x0_request_fn)(x0_request_t* r);
/** Worker: add filters to @a r (x0_add_output_filter); no result. */
typedef void (*x0_insert_filter_fn)(x0_request_t* r);

X0_API void x0_hook_post_config(x0_post_config_fn fn, const char* const* pre,
                                const char* const* succ, int order);
X0_API void x0_hook_child_init(x0_child_init_fn fn, const char* const* pre,
                               const char* const* succ, int order);
X0_API void x0_hook_connection_opened(x0_connection_opened_fn fn, const char* const* pre,
                                      const char* const* succ, int order);
X0_API void x0_hook_pre_connection(x0_pre_connection_fn fn, const char* const* pre,
                                   const char* const* succ, int order);
X0_API void x0_hook_connection_closing(x0_connection_closing_fn fn, const char* const* pre,
                                       const char* const* succ, int order);
/** After the head is parsed and the virtual host chosen. All run. */
X0_API void x0_hook_post_read_request(x0_request_fn fn, const char* const* pre,
                                      const char* const* succ, int order);
/**
 * Map r->path to r->filename (and r->context_root); the first that does not
 * decline wins. The core's own (DocumentRoot) runs X0_HOOK_REALLY_LAST.
 */
X0_API void x0_hook_translate(x0_request_fn fn, const char* const* pre,
                              const char* const* succ, int order);
/**
 * The per-directory walk: merge <Directory> and <Files> sections for
 * r->filename into r->per_dir_config; the first that does not decline wins.
 * The core's runs X0_HOOK_REALLY_LAST.
 */
X0_API void x0_hook_map_to_storage(x0_request_fn fn, const char* const* pre,
                                   const char* const* succ, int order);
/** May refuse the request (403, 401, ...). All run; the first status wins. */
X0_API void x0_hook_access_checker(x0_request_fn fn, const char* const* pre,
                                   const char* const* succ, int order);
/** After access is granted, before the handler. All run. */
X0_API void x0_hook_fixups(x0_request_fn fn, const char* const* pre,
                           const char* const* succ, int order);
/** Just before the handler: add filters. All run. */
X0_API void x0_hook_insert_filter(x0_insert_filter_fn fn, const char* const* pre,
                                  const char* const* succ, int order);
/**
 * Before an error page the core sends for a status a hook or handler
 * returned (or for a request that failed to parse): the request's content
 * filters are gone from the chain, add the ones that apply to error pages
 * too (mod_headers' `Header always`). All run.
 */
X0_API void x0_hook_insert_error_filter(x0_insert_filter_fn fn, const char* const* pre,
                                        const char* const* succ, int order);
/** Produce the response; the first that does not decline answers. */
X0_API void x0_hook_handler(x0_request_fn fn, const char* const* pre,
                            const char* const* succ, int order);
/** After the response is sent, before the request pool goes. All run; results ignored. */
X0_API void x0_hook_log_transaction(x0_request_fn fn, const char* const* pre,
                                    const char* const* succ, int order);

/**
 * The worker's event-loop turn: a number that changes each time the worker
 * waits for events, and stays the same for everything one wake-up handles
 * (0 outside a worker's loop). A cache may trust what it checked in the same
 * turn: the requests of one turn arrived together, so none of them can tell
 * the difference (mod_static's open-file cache revalidates once per turn).
 */
X0_API unsigned long x0_loop_turn(void);

typedef void (*x0_turn_end_fn)(void* data);

/**
 * Call @a fn with @a data at the end of each turn of this worker's loop:
 * after everything one wake-up brought was handled, before the worker waits
 * for events again. For work worth doing once per batch instead of once per
 * request (mod_log_config writes a turn's access-log lines with one write).
 * It ends when @a p is destroyed; call it from child_init with the child
 * pool. A turn-end callback does not keep the loop from ending. Returns
 * APR_EINIT outside a worker (no loop yet).
 */
X0_API apr_status_t x0_loop_at_turn_end(apr_pool_t* p, x0_turn_end_fn fn, void* data);

#ifdef __cplusplus
}
#endif

#endif
