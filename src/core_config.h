/* The core module's own configuration: listeners, processes, logs, options. */
#ifndef X0_CORE_CONFIG_H
#define X0_CORE_CONFIG_H

#include <apr_hash.h>
#include <apr_tables.h>
#include <sys/types.h>
#include "x0/http.h"

extern "C" x0_module_t core_module;

namespace x0 {

/** One `Listen [addr:]port`. */
struct listen_addr {
    const char* host;   /**< NULL for all addresses */
    apr_port_t port;
    const char* protocol; /**< "http", "https" (Listen's second argument) */
    const char* file;   /**< where it was configured, for bind errors */
    int line;
};

/** One address of `<VirtualHost addr:port ...>`. */
struct vhost_addr {
    const char* host;   /**< canonical IP text; NULL for * and _default_ */
    apr_port_t port;    /**< 0 for * (any port) */
};

/** Server settings: the main server's, and each virtual host's. */
struct core_server_config {
    /* ---- main server only: the master and workers read these ---- */
    apr_array_header_t* listens;   /**< of listen_addr */
    int workers;                   /**< 0 = auto (number of cores) */
    int listen_backlog;
    int max_connections;           /**< per worker; accept pauses at the limit */
    const char* pid_file;          /**< absolute, or NULL for the default (pid_file_path) */
    const char* error_log;         /**< absolute path, or NULL for stderr */
    const char* user;              /**< User as written, or NULL (see privileges.h) */
    const char* group;             /**< Group as written, or NULL: the user's own group */
    uid_t uid;                     /**< User resolved when it was read */
    gid_t gid;                     /**< Group resolved, or the user's primary group */
    /** GracefulShutdownTimeout: seconds an old worker may take to finish; 0 = no bound. */
    int graceful_shutdown_timeout;
    /** LoopbackCongestionControl (loopback_congestion.h), or NULL: the kernel's default. */
    const char* loopback_congestion;
    /** AcceptFilter: protocol -> "data" or "none" (httpd's Linux defaults: data for http, https). */
    apr_table_t* accept_filters;
    /* ---- per server ---- */
    const char* document_root;     /**< absolute, no trailing '/'; NULL: not set here */
    apr_array_header_t* addrs;     /**< of vhost_addr; NULL for the main server */
    /** Per-directory sections (dir_section*, sections.h) in file order; a virtual host's
     *  start with the main server's. */
    apr_array_header_t* sections;
};

constexpr apr_off_t default_limit_request_body = APR_INT64_C(1) << 30;  // httpd 2.4.54+
constexpr int default_max_ranges = 200;

/** Per-directory core settings. */
struct core_dir_config {
    int options;                   /**< X0_OPT_* */
    int options_set;               /**< the X0_OPT_* bits this scope decided */
    const char* handler;           /**< SetHandler, or NULL */
    const char* force_type;        /**< ForceType, or NULL */
    apr_off_t limit_request_body;  /**< LimitRequestBody; 0 = unlimited, -1 = not set here */
    int max_ranges;                /**< MaxRanges; 0 = Range ignored, -1 = not set here */
    apr_hash_t* ext_handlers;      /**< AddHandler: extension (lower case) -> handler */
    apr_array_header_t* output_filters;  /**< SetOutputFilter names, or NULL */
    apr_array_header_t* input_filters;   /**< SetInputFilter names, or NULL */
    apr_hash_t* ext_output_filters;      /**< AddOutputFilter: extension -> names array */
    apr_hash_t* ext_input_filters;       /**< AddInputFilter: extension -> names array */
    apr_hash_t* error_documents;         /**< ErrorDocument: status (int key) -> text */
};

/** The body limit in force (the default when no scope set one). */
inline apr_off_t limit_request_body(const core_dir_config* d)
{
    return d->limit_request_body < 0 ? default_limit_request_body : d->limit_request_body;
}

/** Ranges allowed in one Range field (more: the whole 200). */
inline int max_ranges(const core_dir_config* d)
{
    return d->max_ranges < 0 ? default_max_ranges : d->max_ranges;
}

inline core_server_config* core_server_conf(const x0_server_t* s)
{
    return static_cast<core_server_config*>(x0_get_server_config(s, &core_module));
}

/** The default PidFile, under the server root, as httpd's. */
constexpr char default_pid_file[] = "logs/x0d.pid";
constexpr int default_graceful_shutdown_timeout = 300;

/** PidFile, or the default one (in @a s's pool). */
const char* pid_file_path(const x0_server_t* s);

} // namespace x0

#endif
