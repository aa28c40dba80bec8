/*
 * mod_headers: httpd's `Header` directive for response fields.
 *
 *   Header [always] set|append|add|merge|setifempty|unset NAME [VALUE]
 *   Header [always] edit|edit* NAME REGEX REPLACEMENT
 *
 * Allowed anywhere; a <Location> or <Directory> adds its actions behind
 * those of the scopes around it, and all run in that order (httpd's merge).
 *
 * The actions run just before the response head is written: an output
 * filter of content type, added from insert_filter, acts on its first call
 * and then leaves the chain (httpd's FIXUP_HEADERS_OUT).
 *
 * Which responses: httpd keeps two tables. Actions without `always`
 * ("onsuccess") reach what the handler answers; httpd's own error and
 * redirect pages (ap_send_error_response) carry only the `always` ones. In
 * x0 the handler answers 2xx, and 304 with its 200's fields (mod_static,
 * mod_hello); every other status a hook returns becomes the core's page.
 * So plain actions apply to 2xx and 304, `always` ones to every response
 * that passes this request's output chain. One x0 table stands for httpd's
 * two, so actions run in the order they are written, `always` or not.
 *
 * Content-Type is r->content_type in x0, not a field: actions on it read
 * and write r->content_type (httpd's ap_set_content_type for set and edit).
 *
 * XXX: httpd's env= and expr= conditions, %{NAME}e and `echo` need
 * environment variables and expressions, which x0 has not; they are refused
 * at config time.
 */
#include <apr_strings.h>
#include <apr_tables.h>
#include <cstring>
#include <strings.h>

#include "x0/filter.h"
#include "x0/http.h"
#include "x0/module.h"
#include "header_actions.h"

extern "C" x0_module_t headers_module;

namespace {

constexpr char headers_filter_name[] = "HEADERS";

struct headers_dir_config {
    /** Of x0::headers_action, outer scopes' first. */
    const apr_array_header_t* actions;
    /** Some action names Content-Type (then r->content_type takes part). */
    bool content_type;
};

void* headers_create_dir_config(apr_pool_t* p, const char*)
{
    auto* conf = static_cast<headers_dir_config*>(apr_pcalloc(p, sizeof(headers_dir_config)));
    conf->actions = apr_array_make(p, 2, sizeof(x0::headers_action));
    return conf;
}

/** httpd's merge_headers_config: the outer scope's actions, then the inner's. */
void* headers_merge_dir_config(apr_pool_t* p, void* base_v, void* add_v)
{
    auto* base = static_cast<headers_dir_config*>(base_v);
    auto* add = static_cast<headers_dir_config*>(add_v);
    // This runs per request too: share a side that has nothing to add.
    if (add->actions->nelts == 0)
        return base;
    if (base->actions->nelts == 0)
        return add;
    auto* conf = static_cast<headers_dir_config*>(apr_palloc(p, sizeof(headers_dir_config)));
    conf->actions = apr_array_append(p, base->actions, add->actions);
    conf->content_type = base->content_type || add->content_type;
    return conf;
}

const char* headers_directive(x0_cmd_parms_t* cmd, void* dir_cfg, int argc,
                              const char* const* argv)
{
    auto* conf = static_cast<headers_dir_config*>(dir_cfg);
    x0::headers_action a;
    if (const char* err = x0::headers_parse_action(cmd->pool, argc, argv, &a))
        return err;
    // The array is this scope's own until the config is read; merges copy.
    auto* actions = const_cast<apr_array_header_t*>(conf->actions);
    APR_ARRAY_PUSH(actions, x0::headers_action) = a;
    if (strcasecmp(a.name, "Content-Type") == 0)
        conf->content_type = true;
    return nullptr;
}

const x0_directive_t headers_directives[] = {
    {"Header", headers_directive, 2, 5, X0_CONF_ANYWHERE,
     "Header [always] set|append|add|merge|setifempty|unset|edit|edit* name "
     "[value] [replacement]"},
    {nullptr, nullptr, 0, 0, 0, nullptr},
};

const headers_dir_config* headers_conf(const x0_request_t* r)
{
    return static_cast<const headers_dir_config*>(x0_get_dir_config(r, &headers_module));
}

/** Run the actions that apply to @a r's response on r->headers_out. */
void headers_fixup(x0_request_t* r, const headers_dir_config* conf)
{
    apr_table_t* t = r->headers_out;
    if (conf->content_type) {
        // Let the actions see the type as a field, then take it back: the
        // head gets r->content_type and no second copy from the table.
        if (r->content_type)
            apr_table_setn(t, "Content-Type", r->content_type);
    }
    apr_time_t now = 0;
    for (int i = 0; i < conf->actions->nelts; ++i) {
        const auto& a = APR_ARRAY_IDX(conf->actions, i, x0::headers_action);
        if (!x0::headers_applies(a, r->status))
            continue;
        if (a.pieces && now == 0)
            now = apr_time_now();
        x0::headers_apply(r->pool, t, a, x0::headers_action_value(r->pool, a, r->request_time,
                                                                  now));
    }
    if (conf->content_type) {
        r->content_type = apr_table_get(t, "Content-Type");
        apr_table_unset(t, "Content-Type");
    }
}

/** Acts once, on the first brigade, before HTTP_HEADER writes the head. */
apr_status_t headers_out_filter(x0_filter_t* f, apr_bucket_brigade* bb)
{
    x0_request_t* r = f->r;
    // The per-dir config is read now, not at insert time: an ErrorDocument
    // served in place of the response has walked to its own location.
    if (const headers_dir_config* conf = headers_conf(r))
        headers_fixup(r, conf);
    x0_remove_output_filter(f);
    return x0_pass_brigade(f->next, bb);
}

void headers_insert_filter(x0_request_t* r)
{
    const headers_dir_config* conf = headers_conf(r);
    if (conf && conf->actions->nelts > 0)
        x0_add_output_filter(headers_filter_name, nullptr, r, nullptr);
}

/**
 * After mod_expires, so that HEADERS follows EXPIRES in the chain and can
 * edit or unset what it set (httpd runs MOD_EXPIRES, type CONTENT_SET - 2,
 * before FIXUP_HEADERS_OUT).
 */
const char* const headers_insert_after[] = {"expires", nullptr};

void headers_register_hooks(apr_pool_t*)
{
    x0_register_output_filter(headers_filter_name, headers_out_filter, X0_FTYPE_CONTENT);
    x0_hook_insert_filter(headers_insert_filter, headers_insert_after, nullptr, X0_HOOK_MIDDLE);
    // Error pages the core makes: only `always` actions apply to them.
    x0_hook_insert_error_filter(headers_insert_filter, nullptr, nullptr, X0_HOOK_MIDDLE);
}

} // namespace

X0_MODULE(headers) = {
    X0_MODULE_HEADER, "headers",
    headers_create_dir_config, headers_merge_dir_config, nullptr, nullptr,
    headers_directives, headers_register_hooks,
};
