/*
 * One request, from its parsed head to its end-of-request bucket.
 */
#include "request.h"

#include <apr_strings.h>
#include <cstring>
#include <new>
#include <strings.h>

#include "config.h"
#include "connection.h"
#include "core_config.h"
#include "hooks.h"
#include "core_request.h"
#include "modules.h"
#include "scoreboard.h"
#include "sections.h"
#include "uri_path.h"
#include "vhost.h"

namespace x0 {

x0_request_t* request_create(x0_conn_t* c)
{
    apr_pool_t* p;
    apr_pool_create(&p, c->pool);
    auto* st = new (apr_pcalloc(p, sizeof(request_state))) request_state();
    x0_request_t* r = &st->pub;
    r->pool = p;
    r->connection = c;
    r->server = c->base_server;
    r->request_time = apr_time_now();
    r->headers_out = apr_table_make(p, 8);
    r->notes = apr_table_make(p, 2);
    r->status = 200;
    r->content_length = -1;
    r->proto_num = 1001;  // until the head says otherwise: the error page's framing
    r->finfo.filetype = APR_NOFILE;
    r->per_dir_config = r->server->lookup_defaults;
    r->output_filters = c->output_filters;
    r->input_filters = c->input_filters;
    x0_add_output_filter("HTTP_HEADER", nullptr, r, nullptr);
    return r;
}

void request_take_head(x0_request_t* r, const http_head& head)
{
    r->the_request = head.request_line;
    r->method = head.method;
    r->method_number = head.method_number;
    r->unparsed_uri = head.target;
    r->uri = head.path;
    r->args = head.query;
    r->protocol = head.protocol;
    if (head.proto_num)
        r->proto_num = head.proto_num;
    r->hostname = head.host;
    r->headers_in = head.headers;
    r->header_only = head.method_number == X0_M_HEAD;
    scoreboard_request_start(r);  // counted (and its row freed) when its pool goes
    if (!head.headers)
        return;  // the head failed to parse: no body, no filters but HTTP_HEADER
    // RFC 9110 section 14.2: Range is defined for GET only.
    if (head.method_number == X0_M_GET && apr_table_get(head.headers, "Range"))
        x0_add_output_filter("BYTERANGE", nullptr, r, nullptr);

    // The parser has made sure the framing is unambiguous (RFC 9112 6.3).
    body_state& b = state_of(r)->body;
    if (apr_table_get(head.headers, "Transfer-Encoding")) {
        b.kind = body_state::framing::chunked;
    } else if (const char* cl = apr_table_get(head.headers, "Content-Length")) {
        b.remaining = apr_atoi64(cl);
        b.kind = b.remaining > 0 ? body_state::framing::length : body_state::framing::none;
    }
    if (b.kind != body_state::framing::none)
        b.scratch = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    x0_add_input_filter("HTTP_IN", nullptr, r, nullptr);
}

/**
 * Expect (RFC 9110 section 10.1.1): 100-continue is honoured when the
 * handler reads the body; any other expectation fails with 417. An
 * HTTP/1.0 client cannot know 1xx, so its expectation is ignored.
 */
static int check_expect(x0_request_t* r)
{
    const char* expect = apr_table_get(r->headers_in, "Expect");
    if (!expect || r->proto_num < 1001)
        return X0_OK;
    if (strcasecmp(expect, "100-continue") != 0)
        return 417;
    body_state& b = state_of(r)->body;
    b.expect_continue = b.kind != body_state::framing::none;
    return X0_OK;
}

/** Limits that apply once the location is known; the chunked decoder's among them. */
static int check_body_limit(x0_request_t* r, const core_dir_config* dir)
{
    body_state& b = state_of(r)->body;
    apr_off_t limit = limit_request_body(dir);
    if (b.kind == body_state::framing::length && limit > 0 && b.remaining > limit) {
        state_of(r)->close_connection = true;  // not worth reading to stay in sync
        return 413;
    }
    if (b.kind == body_state::framing::chunked) {
        const x0_server_t* s = r->server;
        b.decoder = new (apr_palloc(r->pool, sizeof(chunked_decoder))) chunked_decoder();
        b.decoder->reset(r->pool, nullptr,
                         {limit > 0 ? limit : APR_INT64_MAX,
                          static_cast<apr_size_t>(s->limit_req_fieldsize), s->limit_req_fields});
    }
    return X0_OK;
}

/** OPTIONS * asks about the server, not a resource (RFC 9110 section 9.3.7). */
static int answer_options_asterisk(x0_request_t* r)
{
    apr_table_setn(r->headers_out, "Allow", "GET, HEAD, POST, OPTIONS");
    x0_set_content_length(r, 0);
    apr_bucket_brigade* bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(bb->bucket_alloc));
    x0_pass_brigade(r->output_filters, bb);
    return X0_OK;
}

/** The virtual host for @a r's Host, among those of its connection's address. */
static void choose_server(x0_request_t* r)
{
    x0_conn_t* c = r->connection;
    x0_server_t* main = main_server();
    if (main->next)
        r->server = vhost_for_name(main, c->base_server, c->local_ip, c->local_port,
                                   r->hostname);
    r->per_dir_config = r->server->lookup_defaults;
}

/**
 * From the path to the per-directory config: <Location> first (translate
 * hooks may depend on it), then translation to a file, then the full walk
 * (httpd:`server/request.c`, ap_process_request_internal).
 */
static int walk(x0_request_t* r)
{
    if (has_sections(r->server, section_kind::location))
        r->per_dir_config = location_walk(r->pool, r->server, r->path);
    int rv = run_translate(r);
    if (rv != X0_OK && rv != X0_DECLINED)
        return rv;
    rv = run_map_to_storage(r);
    if (rv != X0_OK && rv != X0_DECLINED)
        return rv;
    set_handler_and_type(r);
    return X0_OK;
}

/** Hooks up to and including the handler; a status, X0_OK or X0_SUSPENDED. */
static int run_hooks(x0_request_t* r)
{
    choose_server(r);
    int rv = run_post_read_request(r);
    if (rv != X0_OK)
        return rv;
    if (r->method_number == X0_M_OPTIONS && r->uri && strcmp(r->uri, "*") == 0)
        return answer_options_asterisk(r);
    if (r->uri && (rv = normalize_path(r->pool, r->uri, &r->path)) != 0)
        return rv;
    if ((rv = walk(r)) != X0_OK)
        return rv;
    auto* dir = static_cast<core_dir_config*>(x0_get_dir_config(r, &core_module));
    if ((rv = check_expect(r)) != X0_OK || (rv = check_body_limit(r, dir)) != X0_OK)
        return rv;
    if ((rv = run_access_checker(r)) != X0_OK)
        return rv;
    if ((rv = run_fixups(r)) != X0_OK)
        return rv;
    insert_configured_filters(r);
    run_insert_filter(r);
    rv = run_handler(r);
    return rv == X0_DECLINED ? 404 : rv;
}

/**
 * ErrorDocument with a local path: serve that path in place of the error
 * page, with the error's status (httpd's internal redirect, without a
 * second request record). Returns what its handler returned, or the
 * status when the path does not map to anything.
 */
static int serve_error_document(x0_request_t* r, int status, const char* target)
{
    const char* path;
    if (normalize_path(r->pool, target, &path) != 0)
        return status;
    state_of(r)->error_redirected = true;
    r->status = status;
    r->uri = target;
    r->path = path;
    r->args = nullptr;
    r->filename = nullptr;
    r->context_root = nullptr;
    r->content_type = nullptr;
    r->per_dir_config = r->server->lookup_defaults;
    // The page replaces the error's body, not its meaning: a redirect keeps
    // its Location, an error its Allow.
    const char* location = apr_table_get(r->headers_out, "Location");
    const char* allow = apr_table_get(r->headers_out, "Allow");
    apr_table_clear(r->headers_out);
    if (location)
        apr_table_setn(r->headers_out, "Location", location);
    if (allow)
        apr_table_setn(r->headers_out, "Allow", allow);
    if (walk(r) != X0_OK || !r->filename)
        return status;
    return run_handler(r);
}

/**
 * An error page is not the resource: the content filters configured for
 * the resource leave the chain, and the modules add what applies to error
 * pages (httpd's ap_send_error_response does the same).
 */
static void prepare_error_chain(x0_request_t* r)
{
    x0_filter_t** at = &r->output_filters;
    while (*at && (*at)->r == r && (*at)->frec->type < X0_FTYPE_RANGE)
        *at = (*at)->next;
    run_insert_error_filter(r);
}

/**
 * Answer @a status before anything was sent: the ErrorDocument, or x0's
 * page. Returns X0_OK when the answer has gone down the chain, or what the
 * handler of a local ErrorDocument returned when it did not finish (it
 * suspended, or failed after it had begun).
 */
static int answer_error(x0_request_t* r, int status)
{
    prepare_error_chain(r);
    auto* dir = static_cast<core_dir_config*>(x0_get_dir_config(r, &core_module));
    const char* doc = dir && dir->error_documents
                    ? static_cast<const char*>(apr_hash_get(dir->error_documents, &status,
                                                            sizeof(int)))
                    : nullptr;
    if (doc && doc[0] == '/' && !state_of(r)->error_redirected) {
        int rv = serve_error_document(r, status, doc);
        if (rv == X0_SUSPENDED || state_of(r)->head_sent)
            return rv;
        // The page failed too: x0's own, with the first status (httpd).
    } else if (doc && strstr(doc, "://")) {
        // httpd answers a remote ErrorDocument with a redirect to it.
        apr_table_clear(r->headers_out);
        apr_table_setn(r->headers_out, "Location", doc);
        status = 302;
    } else if (doc && *doc && doc[0] != '/') {
        send_error_body(r, status, doc);
        return X0_OK;
    }
    x0_send_error_response(r, status);
    return X0_OK;
}

int request_run(x0_request_t* r)
{
    int rv = run_hooks(r);
    if (rv >= 100 && !state_of(r)->head_sent)
        rv = answer_error(r, rv);
    if (rv == X0_SUSPENDED)
        return X0_SUSPENDED;
    if (rv >= 100) {
        // Too late for an error page: end the body as broken (the chunk
        // filter then withholds the last chunk) and close.
        r->connection->keepalive = 0;
        apr_bucket_brigade* bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
        APR_BRIGADE_INSERT_TAIL(bb, x0_bucket_error_create(rv, bb->bucket_alloc));
        x0_pass_brigade(r->output_filters, bb);
    } else if (!state_of(r)->head_sent) {
        // The handler sent nothing at all: an empty body still needs its head.
        apr_bucket_brigade* bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(bb->bucket_alloc));
        x0_pass_brigade(r->output_filters, bb);
    }
    request_finish(r);
    return X0_OK;
}

void request_finish(x0_request_t* r)
{
    // A body the handler began but did not finish leaves the connection
    // out of step with the client: it cannot carry another request.
    const body_state& b = state_of(r)->body;
    if (b.kind != body_state::framing::none && !b.done)
        r->connection->keepalive = 0;
    request_end(r);
}

void request_fail(x0_request_t* r, int status)
{
    state_of(r)->close_connection = true;
    prepare_error_chain(r);
    x0_send_error_response(r, status);
    request_end(r);
}

void request_end(x0_request_t* r)
{
    x0_conn_t* c = r->connection;
    // The connection's brigade, not one from r->pool: the EOR may destroy
    // r->pool inside this very pass. One per connection, reused.
    apr_bucket_brigade* bb = active_of(c)->request_end;
    APR_BRIGADE_INSERT_TAIL(bb, x0_bucket_eor_create(c->bucket_alloc, r));
    x0_pass_brigade(c->output_filters, bb);
    apr_brigade_cleanup(bb);  // empty after any pass (filter.h); kept so for the next one
}

void request_destroy(x0_request_t* r)
{
    run_log_transaction(r);
    apr_pool_destroy(r->pool);
}

} // namespace x0

extern "C" void x0_set_content_length(x0_request_t* r, apr_off_t length)
{
    r->content_length = length;
}
