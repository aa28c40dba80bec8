/**
 * @file x0/module.h
 * @brief Declaring a module: its config, its directives and its hooks.
 *
 * Built-in and loadable modules use the same struct. A loadable module
 * exports one symbol, `<name>_module`, declared with X0_MODULE().
 */
#ifndef X0_MODULE_H
#define X0_MODULE_H

#include "x0/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Bumped whenever a public struct or signature changes. */
#define X0_MODULE_ABI 20261128

/** Where a directive may appear (bit mask). */
#define X0_CONF_SERVER   0x1  /**< top level (or, later, <VirtualHost>) */
#define X0_CONF_LOCATION 0x2  /**< inside <Location> */
#define X0_CONF_ANYWHERE (X0_CONF_SERVER | X0_CONF_LOCATION)

/**
 * A directive handler.
 * @param cmd     where the directive is (file, line, server, pools)
 * @param dir_cfg this module's per-directory config for the enclosing scope
 * @param argc, argv the arguments, unquoted, allocated in the config pool
 * @return NULL on success, or an error message (the caller prefixes FILE:LINE)
 */
typedef const char* (*x0_directive_fn)(x0_cmd_parms_t* cmd, void* dir_cfg,
                                       int argc, const char* const* argv);

/** One entry of a module's directive table; the table ends with a NULL name. */
typedef struct {
    const char* name;      /**< case-insensitive, as in Apache */
    x0_directive_fn fn;
    int min_args;
    int max_args;          /**< -1 for no limit */
    int where;             /**< X0_CONF_* mask */
    const char* usage;     /**< shown when the argument count is wrong */
} x0_directive_t;

/** What a directive handler knows about its context. */
struct x0_cmd_parms_t {
    x0_server_t* server;
    apr_pool_t* pool;          /**< lives as long as the configuration */
    apr_pool_t* temp_pool;     /**< cleared after the config is read */
    const char* file;
    int line;
    const x0_directive_t* directive;
    const char* path;          /**< <Location> path, or NULL at server level */
};

struct x0_module_t {
    int abi_version;           /**< X0_MODULE_ABI */
    const char* name;
    /** Per-directory config for @a path (NULL at server level); may be NULL. */
    void* (*create_dir_config)(apr_pool_t* p, const char* path);
    /** Merge @a add (inner) over @a base (outer); NULL means "add wins". */
    void* (*merge_dir_config)(apr_pool_t* p, void* base, void* add);
    void* (*create_server_config)(apr_pool_t* p, x0_server_t* s);
    void* (*merge_server_config)(apr_pool_t* p, void* base, void* add);
    const x0_directive_t* directives;
    /** Register filters and hooks; called once, before the config is read. */
    void (*register_hooks)(apr_pool_t* p);
    /** Set by the core when the module is added; index into config vectors. */
    int module_index;
};

/** Declare a module struct; `X0_MODULE(stamp) = { X0_MODULE_ABI, "stamp", ... };` */
#define X0_MODULE(name) extern "C" x0_module_t name##_module; x0_module_t name##_module

/** A per-module config vector (server or directory). */
typedef void* x0_config_vector_t;

/** This module's entry in a config vector. */
void* x0_get_module_config(const x0_config_vector_t* vec, const x0_module_t* m);

/** This module's per-server config. */
void* x0_get_server_config(const x0_server_t* s, const x0_module_t* m);

/** This module's per-directory config, merged for @a r's location. */
void* x0_get_dir_config(const x0_request_t* r, const x0_module_t* m);

/** Parse On/Off into @a out; returns an error message or NULL. */
const char* x0_conf_flag(const char* arg, int* out);

/** Parse a non-negative integer; returns an error message or NULL. */
const char* x0_conf_number(const char* arg, long min, long max, long* out);

/** Resolve @a path against the server root (absolute paths are kept). */
const char* x0_server_root_relative(apr_pool_t* p, const char* path);

/* ---- hooks ---- */

/** Order hints; lower runs first. */
#define X0_HOOK_FIRST  0
#define X0_HOOK_MIDDLE 10
#define X0_HOOK_LAST   20

/** Runs in the master after the config is read; non-OK fails the start. */
typedef int (*x0_post_config_fn)(apr_pool_t* pconf, x0_server_t* s);
/** Runs in each worker once, before it accepts. */
typedef void (*x0_child_init_fn)(apr_pool_t* pchild, x0_server_t* s);
/** Runs for each connection when it gets its pool (accept, or wake from idle). */
typedef int (*x0_pre_connection_fn)(x0_conn_t* c);
/** Request hooks: X0_OK, X0_DECLINED, X0_SUSPENDED (handler) or an HTTP status. */
typedef int (*x0_request_fn)(x0_request_t* r);

void x0_hook_post_config(x0_post_config_fn fn, int order);
void x0_hook_child_init(x0_child_init_fn fn, int order);
void x0_hook_pre_connection(x0_pre_connection_fn fn, int order);
/** After the head is parsed; may answer with a status. All run. */
void x0_hook_post_read_request(x0_request_fn fn, int order);
/** Map the URI to r->filename; the first non-DECLINED wins. */
void x0_hook_translate(x0_request_fn fn, int order);
/** After translation, before the handler; may add filters. All run. */
void x0_hook_fixups(x0_request_fn fn, int order);
/** Produce the response; the first non-DECLINED wins. */
void x0_hook_handler(x0_request_fn fn, int order);
/** After the response is sent (before the request pool goes). All run. */
void x0_hook_log_transaction(x0_request_fn fn, int order);

#ifdef __cplusplus
}
#endif

#endif
