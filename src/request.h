/* Running one request: from a parsed head to the end-of-request bucket. */
#ifndef X0_REQUEST_H
#define X0_REQUEST_H

#include "http_parser.h"
#include "x0/http.h"

namespace x0 {

/** The core's own per-request state, around the public record. */
struct request_state {
    x0_request_t pub;
    bool head_sent;        /**< the http_header filter has written the head */
    bool eos_sent;         /**< the handler's EOS went down the chain */
    bool close_connection; /**< answer with Connection: close, then close */
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

/** Pass EOR behind the response; core_output destroys the request with it. */
void request_end(x0_request_t* r);

/** Called when the EOR bucket is destroyed: log, then destroy the pool. */
void request_destroy(x0_request_t* r);

/** Should the connection stay open after @a r? (decided at header time) */
bool request_keepalive(x0_request_t* r);

} // namespace x0

#endif
