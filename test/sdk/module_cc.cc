/*
 * The same module in C++17 (check-headers compiles it with -Wall -Wextra
 * -Werror -pedantic): the headers are valid C++ and X0_MODULE gives the
 * struct C linkage.
 */
#include <cstring>

#include <x0/filter.h>
#include <x0/http.h>
#include <x0/log.h>
#include <x0/module.h>
#include <x0/types.h>

namespace {

struct sdkcc_dir_conf {
    int enabled;
};

void* sdkcc_create_dir(apr_pool_t* p, const char*)
{
    return apr_pcalloc(p, sizeof(sdkcc_dir_conf));
}

const char* sdkcc_set_enabled(x0_cmd_parms_t*, void* dir_cfg, int, const char* const* argv)
{
    return x0_conf_flag(argv[0], &static_cast<sdkcc_dir_conf*>(dir_cfg)->enabled);
}

const x0_directive_t sdkcc_directives[] = {
    {"SdkCc", sdkcc_set_enabled, 1, 1, X0_CONF_ANYWHERE, "On|Off"},
    {nullptr, nullptr, 0, 0, 0, nullptr},
};

apr_status_t sdkcc_filter(x0_filter_t* f, apr_bucket_brigade* bb)
{
    x0_remove_output_filter(f);
    return x0_pass_brigade(f->next, bb);
}

int sdkcc_handler(x0_request_t* r)
{
    if (!r->handler || std::strcmp(r->handler, "sdk-cc") != 0)
        return X0_DECLINED;
    x0_log_error(X0LOG(99002), X0_LOG_DEBUG, 0, r->server, "%s", r->uri);
    return x0_send_error_response(r, 204) == APR_SUCCESS ? X0_OK : 500;
}

void sdkcc_register_hooks(apr_pool_t*)
{
    static const char* const after[] = {"static", nullptr};
    x0_register_output_filter("SDKCC", sdkcc_filter, X0_FTYPE_CONTENT);
    x0_hook_handler(sdkcc_handler, after, nullptr, X0_HOOK_MIDDLE);
}

} // namespace

X0_MODULE(sdkcc) = {
    X0_MODULE_HEADER, "sdkcc",
    sdkcc_create_dir, nullptr, nullptr, nullptr,
    sdkcc_directives, sdkcc_register_hooks,
};
