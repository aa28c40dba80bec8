/**
 * @file x0/filter.h
 * @brief Filters: the only way data moves through x0.
 *
 * Registration happens in the master while the configuration is read;
 * everything else runs in a worker, on its one thread, for one request or
 * connection at a time.
 *
 * Output filters take a brigade and pass it on; input filters fill a brigade
 * the caller owns. A filter's place in a chain follows from its type:
 *
 *   handler -> CONTENT -> RANGE -> HEADER -> TRANSFER -> CONNECTION -> NETWORK
 *
 * Brigades belong to their creator; buckets travel. After a pass the caller
 * keeps its (now empty) brigade and may reuse it.
 */
#ifndef X0_FILTER_H
#define X0_FILTER_H

#include <apr_buckets.h>
#include <apr_time.h>
#include "x0/types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    X0_FTYPE_CONTENT = 20,    /**< transforms the body (deflate, ...) */
    X0_FTYPE_RANGE = 30,      /**< byterange */
    X0_FTYPE_HEADER = 40,     /**< writes the response head (http_header) */
    X0_FTYPE_TRANSFER = 45,   /**< transfer coding (chunk) */
    X0_FTYPE_CONNECTION = 50, /**< per connection (ssl) */
    X0_FTYPE_NETWORK = 60     /**< the socket (core_output / core_input) */
} x0_filter_type_e;

/** How much an input filter should return. */
typedef enum {
    X0_MODE_READBYTES    /**< up to readbytes bytes */
} x0_input_mode_e;

/**
 * An output filter. Returns APR_SUCCESS, X0_FLOW_STOP (accepted, but pause
 * until resumed) or an error (the response is abandoned; close).
 */
typedef apr_status_t (*x0_out_filter_fn)(x0_filter_t* f, apr_bucket_brigade* bb);

/**
 * An input filter: append data to @a bb (owned by the caller).
 * Returns APR_SUCCESS with at least one bucket, APR_EAGAIN when nothing is
 * available without blocking, APR_EOF at the end, or an error.
 */
typedef apr_status_t (*x0_in_filter_fn)(x0_filter_t* f, apr_bucket_brigade* bb,
                                        x0_input_mode_e mode, apr_off_t readbytes);

struct x0_filter_rec_t {
    const char* name;          /**< upper case by convention */
    x0_out_filter_fn out;      /**< exactly one of out / in is set */
    x0_in_filter_fn in;
    x0_filter_type_e type;
};

/**
 * The contract every output filter keeps (x0_out_filter_fn):
 *
 * - The brigade is empty on return, also on error: what a filter does not
 *   pass on it destroys or keeps on its own brigade.
 * - What it keeps past the call it sets aside (apr_bucket_setaside) into a
 *   pool that outlives the call: the request's for a request filter, the
 *   connection's for a connection filter. Transient buckets point into the
 *   caller's memory and must be set aside.
 * - When the next filter answers X0_FLOW_STOP, the buckets were accepted;
 *   a filter in the middle answers X0_FLOW_STOP too, and keeps what it has
 *   not passed yet for its next call. A filter that will not be called
 *   again (it has seen EOS, or left the chain) passes the rest on at once:
 *   the filters below accept it and count it.
 * - A filter that answers X0_FLOW_STOP is called again: by the producer,
 *   once the request's resume callback ran.
 * - Errors are sticky: once a filter has answered an error, every later
 *   call answers the same error (and empties the brigade).
 *
 * Connection filters (X0_FTYPE_CONNECTION) may also hold data between
 * calls (a TLS filter holds plaintext it has not encrypted yet). Such a
 * filter says what it waits for with x0_filter_wait(); the core arms that
 * watcher and, when it fires, passes a brigade holding only a FLUSH bucket
 * down the connection's output chain: a FLUSH means "write out what you
 * hold, as far as the next filter takes it". A filter that still holds data
 * afterwards calls x0_filter_wait() again. The producer of a request told
 * X0_FLOW_STOP is resumed when no connection filter waits any more and
 * the network filter's buffer has fallen below its low-water mark.
 */

/** One filter in one chain; allocated from the request or connection pool. */
struct x0_filter_t {
    const x0_filter_rec_t* frec;
    void* ctx;                 /**< the filter's own state; NULL at first call */
    x0_filter_t* next;
    x0_request_t* r;           /**< NULL for connection filters */
    x0_conn_t* c;
};

/**
 * Register a filter by name, in register_hooks (master, while the config is
 * read). The core copies @a name; the record lives until the registries are
 * reset for the next configuration read. Registering a name again replaces
 * the earlier record. Returns NULL when the registry is full (the core then
 * fails the configuration read, naming the module).
 */
X0_API const x0_filter_rec_t* x0_register_output_filter(const char* name, x0_out_filter_fn fn,
                                                 x0_filter_type_e type);
X0_API const x0_filter_rec_t* x0_register_input_filter(const char* name, x0_in_filter_fn fn,
                                                x0_filter_type_e type);

/**
 * Look a registered filter up by name (case-insensitive); NULL if unknown.
 * Any process, any phase; the record belongs to the core.
 */
X0_API const x0_filter_rec_t* x0_find_filter(const char* name);

/**
 * Insert a filter into @a r's output chain (or @a c's when @a r is NULL) at the
 * place its type gives it. Worker only: from insert_filter, fixups or a
 * handler for @a r (before the body is passed), from pre_connection for
 * @a c. The filter record is allocated in r->pool (c->pool); @a ctx stays
 * the caller's. Returns the new filter, or NULL if the name is unknown or
 * the filter has no function for this direction.
 */
X0_API x0_filter_t* x0_add_output_filter(const char* name, void* ctx, x0_request_t* r, x0_conn_t* c);
X0_API x0_filter_t* x0_add_input_filter(const char* name, void* ctx, x0_request_t* r, x0_conn_t* c);

/**
 * Unlink @a f from its chain; a filter may remove itself while running
 * (then pass the brigade to f->next, which stays valid). Worker only.
 */
X0_API void x0_remove_output_filter(x0_filter_t* f);
X0_API void x0_remove_input_filter(x0_filter_t* f);

/**
 * Hand the buckets of @a bb to @a next (worker only). @a bb stays the
 * caller's and is empty on return; buckets belong to whoever holds them.
 * An empty brigade is a no-op. Returns APR_SUCCESS, X0_FLOW_STOP (accepted;
 * pass nothing more until the request's resume callback runs) or an error
 * (the client is gone or a filter failed: stop producing; the core closes).
 */
X0_API apr_status_t x0_pass_brigade(x0_filter_t* next, apr_bucket_brigade* bb);

/**
 * Ask @a f (usually r->input_filters) for data, appended to @a bb (the
 * caller's). Worker only. Returns APR_SUCCESS with data, APR_EAGAIN when
 * nothing is there without waiting (a handler then returns X0_SUSPENDED and
 * is resumed on input), APR_EOF at the end, X0_BODY_TOO_LARGE,
 * X0_BODY_MALFORMED, or another error.
 */
X0_API apr_status_t x0_get_brigade(x0_filter_t* f, apr_bucket_brigade* bb,
                            x0_input_mode_e mode, apr_off_t readbytes);

/* ---- connection filters and the socket ---- */

/** What a connection filter's operation waits for. */
typedef enum {
    X0_WAIT_READABLE = 1,
    X0_WAIT_WRITABLE = 2
} x0_wait_e;

/**
 * The operation @a f is in cannot go on until the socket is @a what (a TLS
 * read that must write first waits for X0_WAIT_WRITABLE; a TLS write that
 * must read first waits for X0_WAIT_READABLE). Call it from a connection
 * filter before returning APR_EAGAIN (input filter) or when it keeps data
 * it could not pass (output filter). The core arms the watcher and repeats
 * the operation when it fires: an input filter is asked again; the output
 * chain is passed a FLUSH. Without a call, APR_EAGAIN from the input chain
 * waits for X0_WAIT_READABLE. Worker.
 */
X0_API void x0_filter_wait(x0_filter_t* f, x0_wait_e what);

/**
 * An input filter returns data and knows that more can be had without
 * waiting for the socket (a TLS filter with decrypted data left inside,
 * CORE_IN after a read that filled its buffer): the core asks again before
 * it sleeps. A filter between others calls it for its own reasons; the flag
 * is cleared before each call into the input chain. Worker.
 */
X0_API void x0_filter_input_more(x0_filter_t* f);

/* ---- x0's metadata buckets ---- */

/**
 * End of connection: the core passes it (followed by FLUSH) down the
 * connection's output chain when it ends the connection gracefully, after
 * the last response and before it shuts the socket down. A connection
 * filter writes its goodbye (a TLS close_notify) in front of it. The
 * network filter drops it.
 */
X0_API extern const apr_bucket_type_t x0_bucket_type_eoc;
#define X0_BUCKET_IS_EOC(e) ((e)->type == &x0_bucket_type_eoc)
X0_API apr_bucket* x0_bucket_eoc_create(apr_bucket_alloc_t* list);


/**
 * End of request: destroying it runs log_transaction and destroys the
 * request's pool. The core sends it behind each response; modules do not
 * create it.
 */
X0_API extern const apr_bucket_type_t x0_bucket_type_eor;
#define X0_BUCKET_IS_EOR(e) ((e)->type == &x0_bucket_type_eor)
X0_API apr_bucket* x0_bucket_eor_create(apr_bucket_alloc_t* list, x0_request_t* r);

/**
 * An error status instead of (the rest of) a body: before the head, the
 * http_header filter answers with it; after, the response is cut off and
 * the connection closed. Allocated from @a list; a handler passes it,
 * followed by EOS, when it fails mid-response.
 */
X0_API extern const apr_bucket_type_t x0_bucket_type_error;
#define X0_BUCKET_IS_ERROR(e) ((e)->type == &x0_bucket_type_error)
X0_API apr_bucket* x0_bucket_error_create(int status, apr_bucket_alloc_t* list);
X0_API int x0_bucket_error_status(const apr_bucket* e);

/**
 * A guard that a file has not changed while it is sent. core_output fstat()s
 * the descriptor when everything before the guard is written and ends the
 * connection if the size or modification time differ, so a body never mixes
 * two versions of a file. Put it X0_FILE_CHECK_TAIL bytes before the end of
 * the file's data: what follows the guard leaves in one write.
 */
#define X0_FILE_CHECK_TAIL (256 * 1024)
X0_API extern const apr_bucket_type_t x0_bucket_type_file_check;
#define X0_BUCKET_IS_FILE_CHECK(e) ((e)->type == &x0_bucket_type_file_check)
X0_API apr_bucket* x0_bucket_file_check_create(int fd, apr_off_t size, apr_time_t mtime,
                                        apr_bucket_alloc_t* list);
/** APR_SUCCESS if the guarded file is as it was, else APR_EMISMATCH or the fstat error. */
X0_API apr_status_t x0_bucket_file_check(const apr_bucket* e);

#ifdef __cplusplus
}
#endif

#endif
