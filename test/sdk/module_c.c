/*
 * A whole module in C against the installed headers, compiled by
 * check-headers with -Wall -Wextra -Werror -pedantic: the declarations a
 * module author writes (X0_MODULE, a directive table, hooks, a filter) are
 * valid C.
 */
#include <string.h>

#include <x0/filter.h>
#include <x0/http.h>
#include <x0/log.h>
#include <x0/module.h>
#include <x0/types.h>

typedef struct {
    int enabled;
} sdkc_dir_conf;

static void* sdkc_create_dir(apr_pool_t* p, const char* path)
{
    (void)path;
    return apr_pcalloc(p, sizeof(sdkc_dir_conf));
}

static const char* sdkc_set_enabled(x0_cmd_parms_t* cmd, void* dir_cfg, int argc,
                                    const char* const* argv)
{
    (void)cmd;
    (void)argc;
    return x0_conf_flag(argv[0], &((sdkc_dir_conf*)dir_cfg)->enabled);
}

static const x0_directive_t sdkc_directives[] = {
    {"SdkC", sdkc_set_enabled, 1, 1, X0_CONF_ANYWHERE, "On|Off"},
    {NULL, NULL, 0, 0, 0, NULL},
};

static apr_status_t sdkc_filter(x0_filter_t* f, apr_bucket_brigade* bb)
{
    x0_remove_output_filter(f);
    return x0_pass_brigade(f->next, bb);
}

static int sdkc_handler(x0_request_t* r)
{
    if (!r->handler || strcmp(r->handler, "sdk-c") != 0)
        return X0_DECLINED;
    x0_log_error(X0LOG(99001), X0_LOG_DEBUG, 0, r->server, "%s", r->uri);
    return x0_send_error_response(r, 204) == APR_SUCCESS ? X0_OK : 500;
}

static void sdkc_register_hooks(apr_pool_t* p)
{
    static const char* const after[] = {"static", NULL};
    (void)p;
    x0_register_output_filter("SDKC", sdkc_filter, X0_FTYPE_CONTENT);
    x0_hook_handler(sdkc_handler, after, NULL, X0_HOOK_MIDDLE);
}

X0_MODULE(sdkc) = {
    X0_MODULE_HEADER, "sdkc",
    sdkc_create_dir, NULL, NULL, NULL,
    sdkc_directives, sdkc_register_hooks,
};
