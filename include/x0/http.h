/**
 * @file x0/http.h
 * @brief Servers, connections and requests as modules see them.
 *
 * Servers are built by the master while it reads the configuration and are
 * read-only afterwards. Connections and requests exist only in workers; a
 * request and everything allocated from r->pool lives until its response's
 * last byte is written (the EOR bucket), a connection's pool until it is
 * closed or goes idle between keep-alive requests.
 */
#ifndef X0_HTTP_H
#define X0_HTTP_H

#include <apr_buckets.h>
#include <apr_file_info.h>
#include <apr_tables.h>
#include <apr_time.h>
#include "x0/filter.h"
#include "x0/module.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Methods x0 knows (RFC 9110 section 9 plus PATCH); others get 501. */
typedef enum {
    X0_M_GET, X0_M_HEAD, X0_M_POST, X0_M_PUT, X0_M_DELETE,
    X0_M_CONNECT, X0_M_OPTIONS, X0_M_TRACE, X0_M_PATCH, X0_M_UNKNOWN
} x0_method_e;

/**
 * One server: the main server, or a <VirtualHost>. Built while the config
 * is read, read-only afterwards; everything lives in the configuration pool.
 */
struct x0_server_t {
    apr_pool_t* pool;                  /**< the configuration pool */
    const char* server_name;           /**< ServerName (without port) */
    const char* server_admin;          /**< ServerAdmin, or NULL */
    apr_array_header_t* aliases;       /**< ServerAlias names (const char*, may hold * and ?), or NULL */
    const char* defn_file;             /**< where it was defined */
    int defn_line;                     /**< 0 for the main server */
    int is_virtual;                    /**< 1 for a <VirtualHost> */
    x0_server_t* next;                 /**< the next virtual host; the main server heads the list */
    apr_interval_time_t timeout;       /**< Timeout: head read, body read, send */
    apr_interval_time_t keep_alive_timeout;
    int keep_alive;
    int max_keep_alive_requests;       /**< 0 = unlimited */
    int limit_req_line;
    int limit_req_fieldsize;
    int limit_req_fields;
    int log_level;
    x0_config_vector_t* module_config;  /**< per-server configs */
    x0_config_vector_t* lookup_defaults; /**< per-dir configs at server level */
};

/**
 * A client connection while it is active. It has no pool while it is idle
 * between keep-alive requests; modules only see it when it has one. What a
 * module must keep across idle it attaches with x0_set_conn_state().
 */
struct x0_conn_t {
    apr_pool_t* pool;                 /**< lives until close or until idle */
    apr_bucket_alloc_t* bucket_alloc; /**< belongs to pool */
    /** The default server of the address the connection came in on. */
    x0_server_t* base_server;
    const char* client_ip;
    int client_port;
    const char* local_ip;             /**< the address the client connected to */
    int local_port;
    x0_filter_t* output_filters;      /**< connection-level output chain */
    x0_filter_t* input_filters;       /**< connection-level input chain */
    long keepalives;                  /**< requests served on this connection so far */
    int keepalive;                    /**< 1 while the connection may be reused */
    int aborted;                      /**< a write failed: the client is gone */
    /* ABI 1.1 */
    int fd;                           /**< the socket; the core owns and closes it */
    const char* listener;             /**< the listener it came in on, "addr:port" */
    /** The listener's protocol (`Listen 443 https`): "http" unless given. */
    const char* listener_protocol;
};

/**
 * What @a m attached to @a c with x0_set_conn_state(), or NULL. Worker. The
 * state lives from connection_opened until connection_closing, across idle
 * periods (when c->pool does not): it is the module's own memory, and the
 * module frees it in its connection_closing hook; the core never does.
 */
X0_API void* x0_get_conn_state(const x0_conn_t* c, const x0_module_t* m);
X0_API void x0_set_conn_state(x0_conn_t* c, const x0_module_t* m, void* state);

/**
 * The virtual host a client names (TLS SNI, or Host) among those that share
 * @a c's address; the address's default server when none matches. Worker.
 */
X0_API x0_server_t* x0_server_for_name(const x0_conn_t* c, const char* name);

/** Called when the output side drained after a pass returned X0_FLOW_STOP. */
typedef void (*x0_resume_fn)(x0_request_t* r);

struct x0_request_t {
    apr_pool_t* pool;                 /**< destroyed when the EOR bucket is sent */
    x0_conn_t* connection;
    x0_server_t* server;              /**< the virtual host chosen by address and Host */
    apr_time_t request_time;
    const char* the_request;          /**< the request line as received */
    const char* method;
    x0_method_e method_number;
    const char* unparsed_uri;         /**< request-target as received */
    const char* uri;                  /**< path, still percent-encoded */
    /**
     * The path decoded once, with "//" merged and dot-segments resolved
     * (RFC 3986 section 5.2.4); what <Location>, Alias and DocumentRoot see.
     * NULL for "OPTIONS *" and for a head that failed to parse.
     */
    const char* path;
    const char* args;                 /**< query string without '?', or NULL */
    const char* protocol;             /**< "HTTP/1.1" */
    int proto_num;                    /**< 1001 for HTTP/1.1 */
    const char* hostname;             /**< Host without port */
    apr_table_t* headers_in;
    apr_table_t* headers_out;
    int status;
    const char* content_type;
    apr_off_t content_length;         /**< -1 when unknown (then chunked or close) */
    int header_only;                  /**< HEAD: headers only */
    const char* handler;              /**< SetHandler / AddHandler (lower case), or NULL */
    const char* filename;             /**< absolute file path, set by translate */
    /**
     * The directory r->filename must not leave (DocumentRoot, or the target
     * of the Alias that matched); set with filename by translate.
     */
    const char* context_root;
    apr_finfo_t finfo;                /**< finfo.filetype is APR_NOFILE if none */
    x0_config_vector_t* per_dir_config;
    x0_filter_t* output_filters;      /**< head of this request's output chain */
    x0_filter_t* input_filters;
    x0_resume_fn resume;              /**< set by a handler that suspends */
    void* handler_ctx;                /**< the handler's own state across resumes */
    /* ABI 1.1 */
    /**
     * Notes modules leave for each other and for the access log (mod_ssl:
     * SSL_PROTOCOL, SSL_CIPHER, SSL_SEND_PATH). In r->pool.
     */
    apr_table_t* notes;
    /* ABI 1.2: fields are only ever appended here; a module that reads one
     * is refused by an x0d of an older minor (LoadModule checks). */
    /**
     * Bytes of this response the network filter (CORE_OUT) wrote to the
     * socket: an interim 100 Continue, the head, chunk framing and body
     * bytes, exactly as far as the socket took them -- less than the whole
     * when the client went away. Final when log_transaction runs (0 before).
     * Under a TLS filter it counts the TLS records written for the response
     * (see docs/logging.md). The access log's %O.
     */
    apr_off_t bytes_sent;
};

/** Options bits, as x0_allow_options() returns them. */
#define X0_OPT_INDEXES         0x1
#define X0_OPT_FOLLOW_SYMLINKS 0x2
#define X0_OPT_SYM_OWNER       0x4   /**< SymLinksIfOwnerMatch */

/**
 * The Options in force for @a r: X0_OPT_* bits. Worker; final from the
 * access_checker hook on (translate hooks see the <Location> part only).
 */
X0_API int x0_allow_options(const x0_request_t* r);

/**
 * DocumentRoot of @a s (absolute realpath, no trailing slash; owned by the
 * configuration), or NULL if it has none. Any process, after the config is read.
 */
X0_API const char* x0_document_root(const x0_server_t* s);

/** The reason phrase for @a status (a literal), or NULL if x0 does not know it. Any process. */
X0_API const char* x0_status_reason(int status);

/**
 * Send a complete error response for @a status (a short HTML body with
 * Content-Length, allocated in r->pool) down @a r's output chain, followed
 * by EOS. Worker, from a handler that has passed nothing yet; a hook that
 * only wants an error page returns the status instead (then ErrorDocument
 * applies). Returns what the pass returned (see x0_pass_brigade).
 */
X0_API apr_status_t x0_send_error_response(x0_request_t* r, int status);

/**
 * Set the Content-Length the response will have (-1: unknown, then chunked
 * on HTTP/1.1 or close). Worker, before the first pass of the body.
 */
X0_API void x0_set_content_length(x0_request_t* r, apr_off_t length);

/**
 * The handler of a suspended request is done: its last brigade (with EOS)
 * has been passed. Worker, from the resume callback or whatever woke the
 * handler; never after the handler returned anything but X0_SUSPENDED.
 * @a r may be gone when it returns: the connection goes on with the next
 * request.
 */
X0_API void x0_request_finished(x0_request_t* r);

/**
 * Evaluate the request's preconditions in the order of RFC 9110 section
 * 13.2.2 against the validators the handler has put in r->headers_out
 * (ETag, Last-Modified). Call it after setting them, before the body.
 * Preconditions do not apply to a response that is not 2xx (13.2.1).
 * @return X0_OK to send the representation, 304 (GET/HEAD) or 412 (also
 *         for a matching If-None-Match on other methods).
 */
X0_API int x0_meets_conditions(x0_request_t* r);

/**
 * The HTTP status for a failed read of the request body: 413 for
 * X0_BODY_TOO_LARGE, 400 for X0_BODY_MALFORMED, 0 for anything else (the
 * client went away or timed out: nothing to answer).
 */
X0_API int x0_body_error_status(apr_status_t rv);

/** Decode %XX escapes in @a url (the caller's) in place; returns 0, or 400 on a bad or %00 escape. */
X0_API int x0_unescape_url(char* url);

#ifdef __cplusplus
}
#endif

#endif
