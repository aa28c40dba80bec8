/*
 * One request, from its parsed head to its end-of-request bucket.
 */
#include "request.h"

#include <new>

#include "config.h"
#include "core_config.h"
#include "hooks.h"
#include "modules.h"
#include "uri_path.h"

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
}

/** Hooks up to and including the handler; a status, X0_OK or X0_SUSPENDED. */
static int run_hooks(x0_request_t* r)
{
    int rv = run_post_read_request(r);
    if (rv != X0_OK)
        return rv;
    const apr_array_header_t* locations = server_locations(r->server);
    if (r->uri && locations && locations->nelts > 0) {
        const char* path;
        rv = normalize_path(r->pool, r->uri, &path);
        if (rv != 0)
            return rv;
        r->per_dir_config = location_walk(r->pool, r->server, path);
    }
    auto* dir = static_cast<core_dir_config*>(x0_get_dir_config(r, &core_module));
    r->handler = dir->handler;
    rv = run_translate(r);
    if (rv != X0_OK && rv != X0_DECLINED)
        return rv;
    rv = run_fixups(r);
    if (rv != X0_OK)
        return rv;
    rv = run_handler(r);
    return rv == X0_DECLINED ? 404 : rv;
}

int request_run(x0_request_t* r)
{
    int rv = run_hooks(r);
    if (rv == X0_SUSPENDED)
        return X0_SUSPENDED;
    if (rv >= 100) {
        if (!state_of(r)->head_sent) {
            x0_send_error_response(r, rv);
        } else {
            // Too late for an error page: end the body as broken (the chunk
            // filter then withholds the last chunk) and close.
            r->connection->keepalive = 0;
            apr_bucket_brigade* bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
            APR_BRIGADE_INSERT_TAIL(bb, x0_bucket_error_create(rv, r->pool, bb->bucket_alloc));
            x0_pass_brigade(r->output_filters, bb);
        }
    } else if (!state_of(r)->head_sent) {
        // The handler sent nothing at all: an empty body still needs its head.
        apr_bucket_brigade* bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(bb->bucket_alloc));
        x0_pass_brigade(r->output_filters, bb);
    }
    request_end(r);
    return X0_OK;
}

void request_fail(x0_request_t* r, int status)
{
    state_of(r)->close_connection = true;
    x0_send_error_response(r, status);
    request_end(r);
}

void request_end(x0_request_t* r)
{
    x0_conn_t* c = r->connection;
    // The brigade lives in the request pool, which the EOR may destroy
    // inside this very pass: do not touch bb afterwards.
    apr_bucket_brigade* bb = apr_brigade_create(r->pool, c->bucket_alloc);
    APR_BRIGADE_INSERT_TAIL(bb, x0_bucket_eor_create(c->bucket_alloc, r));
    x0_pass_brigade(c->output_filters, bb);
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
