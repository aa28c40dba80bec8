/*
 * mod_status: `SetHandler server-status` shows the scoreboard: an HTML page,
 * or with a query of `auto` (httpd's machine-readable format), `json` or
 * `prometheus` (OpenMetrics text). docs/status.md describes every figure.
 * Who may see it is the administrator's business, as in httpd:
 *
 *   <Location /server-status>
 *       SetHandler server-status
 *       Require ip 127.0.0.1
 *   </Location>
 */
#include <apr_strings.h>
#include <cstring>

#include "status_render.h"
#include "x0/http.h"

namespace {

#ifdef PACKAGE_VERSION
constexpr char server_version[] = "x0/" PACKAGE_VERSION;
#else
constexpr char server_version[] = "x0";
#endif

enum class status_format { html, auto_text, json, prometheus };

/** The format the query names (`?auto`, `?json`, `?prometheus`, alone or among `&` pairs). */
status_format format_wanted(const char* args)
{
    for (const char* p = args; p && *p;) {
        size_t len = strcspn(p, "&");
        if (len == 4 && strncmp(p, "auto", 4) == 0)
            return status_format::auto_text;
        if (len == 4 && strncmp(p, "json", 4) == 0)
            return status_format::json;
        if (len == 10 && strncmp(p, "prometheus", 10) == 0)
            return status_format::prometheus;
        p += len;
        if (*p == '&')
            ++p;
    }
    return status_format::html;
}

int status_handler(x0_request_t* r)
{
    if (!r->handler || strcmp(r->handler, "server-status") != 0)
        return X0_DECLINED;
    if (r->method_number != X0_M_GET && r->method_number != X0_M_HEAD) {
        apr_table_setn(r->headers_out, "Allow", "GET, HEAD");
        return 405;
    }
    status::status_snapshot* s = status::status_collect(r->pool, apr_time_now(),
                                                        r->server->server_name, server_version);
    apr_bucket_brigade* bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    switch (format_wanted(r->args)) {
    case status_format::auto_text:
        r->content_type = "text/plain; charset=utf-8";
        status::status_render_auto(s, bb);
        break;
    case status_format::json:
        r->content_type = "application/json";
        status::status_render_json(s, bb);
        break;
    case status_format::prometheus:
        r->content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
        status::status_render_prometheus(s, bb);
        break;
    case status_format::html:
        r->content_type = "text/html; charset=utf-8";
        status::status_render_html(s, bb);
        break;
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_off_t length = 0;
    apr_brigade_length(bb, 1, &length);
    x0_set_content_length(r, length);
    if (r->header_only)
        apr_brigade_cleanup(bb);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(bb->bucket_alloc));
    x0_pass_brigade(r->output_filters, bb);
    return X0_OK;
}

void status_register_hooks(apr_pool_t*)
{
    x0_hook_handler(status_handler, nullptr, nullptr, X0_HOOK_MIDDLE);
}

} // namespace

X0_MODULE(status) = {
    X0_MODULE_HEADER, "status", nullptr, nullptr, nullptr, nullptr, nullptr,
    status_register_hooks,
};
