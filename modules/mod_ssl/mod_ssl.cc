/*
 * mod_ssl: TLS for virtual hosts with `SSLEngine on`, as a pair of
 * connection filters (ssl_filters.h). The configuration is ssl_config.h's,
 * SNI and the per-request checks are ssl_request.h's.
 *
 * A TLS connection's state (ssl_conn) is created when the connection is
 * opened and freed when it closes; between keep-alive requests it is all the
 * connection keeps of mod_ssl (the SSL object, its buffers released).
 */
#define X0_LOG_MODULE ssl_module  // its messages answer to LogLevel ssl:LEVEL
#include "ssl_bio.h"
#include "ssl_config.h"
#include "ssl_filters.h"
#include "ssl_request.h"
#include "x0/log.h"

namespace x0ssl {
namespace {

apr_status_t free_bio_method(void*)
{
    bio_method_free();
    return APR_SUCCESS;
}

int ssl_post_config(apr_pool_t* pconf, x0_server_t* s)
{
    if (!bio_method_init()) {
        x0_log_error(X0LOG(03102), X0_LOG_EMERG, 0, s, "mod_ssl: cannot create its BIO method");
        return 500;
    }
    apr_pool_cleanup_register(pconf, nullptr, free_bio_method, apr_pool_cleanup_null);
    return post_config(pconf, s);
}

apr_status_t log_counters(void* data)
{
    x0_log_error(X0LOG(03103), X0_LOG_INFO, 0, static_cast<x0_server_t*>(data),
                 "mod_ssl: %ld responses encrypted by copy, 0 by kTLS (not offered by "
                 "this kernel)", copied_responses());
    return APR_SUCCESS;
}

void ssl_child_init(apr_pool_t* pchild, x0_server_t* s)
{
    apr_pool_cleanup_register(pchild, s, log_counters, apr_pool_cleanup_null);
    // At exit the connection pools (subpools) go first, then the sessions
    // of the connections that were still open.
    apr_pool_cleanup_register(pchild, nullptr, conn_free_all, apr_pool_cleanup_null);
}

/** A connection to a virtual host with SSLEngine on gets its TLS session. */
int ssl_connection_opened(x0_conn_t* c)
{
    ssl_server_conf* conf = server_conf(c->base_server);
    if (conf->engine != 1 || !conf->ctx)
        return X0_DECLINED;
    ssl_conn* sc = conn_new(conf->ctx, c->base_server);
    if (!sc)
        return 500;
    x0_set_conn_state(c, &ssl_module, sc);
    return X0_OK;
}

int ssl_pre_connection(x0_conn_t* c)
{
    auto* sc = static_cast<ssl_conn*>(x0_get_conn_state(c, &ssl_module));
    if (!sc)
        return X0_DECLINED;
    add_filters(sc, c);
    return X0_OK;
}

void ssl_connection_closing(x0_conn_t* c)
{
    if (auto* sc = static_cast<ssl_conn*>(x0_get_conn_state(c, &ssl_module))) {
        x0_set_conn_state(c, &ssl_module, nullptr);
        conn_free(sc, c);
    }
}

void ssl_register_hooks(apr_pool_t*)
{
    register_filters();
    x0_hook_post_config(ssl_post_config, nullptr, nullptr, X0_HOOK_MIDDLE);
    x0_hook_child_init(ssl_child_init, nullptr, nullptr, X0_HOOK_MIDDLE);
    x0_hook_connection_opened(ssl_connection_opened, nullptr, nullptr, X0_HOOK_MIDDLE);
    x0_hook_pre_connection(ssl_pre_connection, nullptr, nullptr, X0_HOOK_MIDDLE);
    x0_hook_connection_closing(ssl_connection_closing, nullptr, nullptr, X0_HOOK_MIDDLE);
    x0_hook_post_read_request(check_request, nullptr, nullptr, X0_HOOK_FIRST);
}

} // namespace
} // namespace x0ssl

X0_MODULE(ssl) = {
    X0_MODULE_HEADER, "ssl",
    nullptr, nullptr, x0ssl::create_server_config, x0ssl::merge_server_config,
    x0ssl::directives, x0ssl::ssl_register_hooks,
};
