/* Running one request: from a parsed head to the end-of-request bucket. */
#ifndef X0_REQUEST_H
#define X0_REQUEST_H

#include "chunked_decoder.h"
#include "http_parser.h"
#include "x0/http.h"

namespace x0 {

/** Where the request body stands (RFC 9112 section 6.3). */
struct body_state {
    enum class framing : unsigned char { none, length, chunked } kind;
    bool started;           /**< the handler has asked for the body */
    bool done;              /**< all of it was read (EOS given) */
    bool expect_continue;   /**< "100 Continue" is owed before the first read */
    bool waiting;           /**< the last read found nothing: wake the handler on input */
    apr_off_t remaining;    /**< framing::length: bytes still to come */
    chunked_decoder* decoder;      /**< framing::chunked */
    apr_bucket_brigade* scratch;   /**< what the network gave, before de-framing */
};

/** The core's own per-request state, around the public record. */
struct request_state {
    x0_request_t pub;
    bool head_sent;        /**< the http_header filter has written the head */
    bool close_connection; /**< answer with Connection: close, then close */
    bool error_redirected; /**< an ErrorDocument path is being served */
    body_state body;
};

inline request_state* state_of(x0_request_t* r)
{
    return reinterpret_cast<request_state*>(r);
}

/** A request with its own subpool of the connection pool. */
x0_request_t* request_create(x0_conn_t* c);

/** Copy the parsed head into @a r. */
void request_take_head(x0_request_t* r, const http_head& head);

/**
 * Run the hooks and the handler. Returns X0_SUSPENDED when the handler will
 * finish later, otherwise X0_OK once the response (or an error page) and the
 * EOR bucket have gone down the chain.
 */
int request_run(x0_request_t* r);

/** Answer @a status for a head that failed to parse, then close. */
void request_fail(x0_request_t* r, int status);

/**
 * The handler is done: settle the body (an unfinished one ends keep-alive),
 * then request_end().
 */
void request_finish(x0_request_t* r);

/** Pass EOR behind the response; core_output destroys the request with it. */
void request_end(x0_request_t* r);

/** Send @a body (HTML, not copied: it must outlive the request) as the error response. */
apr_status_t send_error_body(x0_request_t* r, int status, const char* body);

/** Called when the EOR bucket is destroyed: log, then destroy the pool. */
void request_destroy(x0_request_t* r);

/**
 * Read and drop what is already buffered of a body the handler did not
 * read, without waiting. True when the whole body is gone (or there was
 * none): the connection can stay in sync for the next request.
 */
bool request_discard_body(x0_request_t* r);

} // namespace x0

#endif
