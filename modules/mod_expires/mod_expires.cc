/*
 * mod_expires: httpd's Expires and Cache-Control max-age by media type.
 *
 *   ExpiresActive On
 *   ExpiresByType text/html "access plus 1 month 2 days"
 *   ExpiresByType image/png "modification plus 1 week"
 *   ExpiresByType text/css A3600
 *   ExpiresDefault M86400
 *
 * All three are allowed anywhere; an inner scope's ExpiresActive and
 * ExpiresDefault replace the outer ones, its ExpiresByType entries come
 * before the outer ones (httpd's merge_expires_dir_configs).
 *
 * As httpd: a response that already has an Expires field is left alone;
 * otherwise the rule for its type (the exact type, then a wildcard of its
 * major type such as "text/" and a star, then ExpiresDefault) sets Expires
 * to base + N seconds and appends "max-age=<seconds from the request>" to
 * Cache-Control. The base is the time the request was received, or the
 * file's modification time (r->finfo.mtime, which mod_static sets); a
 * modification rule sets nothing when there is no file. An expiry in the
 * past becomes the request time.
 *
 * Which responses: httpd's filter skips errors (4xx, 5xx), and the
 * redirects it makes itself never reach it (ap_send_error_response drops
 * the resource filters). In x0 that leaves what the handler answers: 2xx,
 * and 304, which must carry the Expires and Cache-Control its 200 would
 * have (RFC 9110 section 15.4.5).
 *
 * The work is done by an output filter of content type added from
 * insert_filter: it acts on its first call, before HTTP_HEADER writes the
 * head, then leaves the chain (httpd's MOD_EXPIRES filter).
 */
#include <apr_strings.h>
#include <apr_tables.h>
#include <cstring>
#include <strings.h>

#include "x0/filter.h"
#include "x0/http.h"
#include "x0/module.h"
#include "expires_rules.h"

extern "C" x0_module_t expires_module;

namespace {

constexpr char expires_filter_name[] = "EXPIRES";

struct expires_dir_config {
    int active;                         /**< -1 not set here, 0 Off, 1 On */
    /** Of x0::expires_type_rule: this scope's, then the outer ones. */
    const apr_array_header_t* by_type;
    const x0::expires_rule* fallback;   /**< ExpiresDefault, or NULL */
};

void* expires_create_dir_config(apr_pool_t* p, const char*)
{
    auto* conf = static_cast<expires_dir_config*>(apr_pcalloc(p, sizeof(expires_dir_config)));
    conf->active = -1;
    conf->by_type = apr_array_make(p, 4, sizeof(x0::expires_type_rule));
    return conf;
}

void* expires_merge_dir_config(apr_pool_t* p, void* base_v, void* add_v)
{
    auto* base = static_cast<expires_dir_config*>(base_v);
    auto* add = static_cast<expires_dir_config*>(add_v);
    // This runs per request too: share a side that sets nothing.
    if (add->active == -1 && add->by_type->nelts == 0 && !add->fallback)
        return base;
    if (base->active == -1 && base->by_type->nelts == 0 && !base->fallback)
        return add;
    auto* conf = static_cast<expires_dir_config*>(apr_palloc(p, sizeof(expires_dir_config)));
    conf->active = add->active != -1 ? add->active : base->active;
    conf->fallback = add->fallback ? add->fallback : base->fallback;
    if (base->by_type->nelts == 0)
        conf->by_type = add->by_type;
    else if (add->by_type->nelts == 0)
        conf->by_type = base->by_type;
    else
        conf->by_type = apr_array_append(p, add->by_type, base->by_type);
    return conf;
}

/* ---- directives ---- */

const char* expires_active(x0_cmd_parms_t* cmd, void* dir_cfg, int argc, const char* const* argv)
{
    auto* conf = static_cast<expires_dir_config*>(dir_cfg);
    int on;
    if (const char* err = x0_conf_flag(argv[0], &on))
        return apr_pstrcat(cmd->pool, "ExpiresActive: ", err, nullptr);
    conf->active = on ? 1 : 0;
    return nullptr;
}

const char* expires_by_type(x0_cmd_parms_t* cmd, void* dir_cfg, int argc,
                            const char* const* argv)
{
    auto* conf = static_cast<expires_dir_config*>(dir_cfg);
    if (const char* err = x0::expires_check_type(cmd->pool, argv[0]))
        return err;
    x0::expires_rule rule;
    if (const char* err = x0::expires_parse_code(cmd->pool, argv[1], &rule))
        return apr_psprintf(cmd->pool, "'ExpiresByType %s %s': %s", argv[0], argv[1], err);
    // The array is this scope's own while the config is read; merges copy.
    auto* rules = const_cast<apr_array_header_t*>(conf->by_type);
    for (int i = 0; i < rules->nelts; ++i) {
        auto& old = APR_ARRAY_IDX(rules, i, x0::expires_type_rule);
        if (strcasecmp(old.type, argv[0]) == 0) {
            old.rule = rule;  // as httpd's apr_table_setn: the last one counts
            return nullptr;
        }
    }
    APR_ARRAY_PUSH(rules, x0::expires_type_rule) = {argv[0], rule};
    return nullptr;
}

const char* expires_default(x0_cmd_parms_t* cmd, void* dir_cfg, int argc,
                            const char* const* argv)
{
    auto* conf = static_cast<expires_dir_config*>(dir_cfg);
    auto* rule = static_cast<x0::expires_rule*>(apr_palloc(cmd->pool, sizeof(x0::expires_rule)));
    if (const char* err = x0::expires_parse_code(cmd->pool, argv[0], rule))
        return apr_psprintf(cmd->pool, "'ExpiresDefault %s': %s", argv[0], err);
    conf->fallback = rule;
    return nullptr;
}

const x0_directive_t expires_directives[] = {
    {"ExpiresActive", expires_active, 1, 1, X0_CONF_ANYWHERE, "ExpiresActive On|Off"},
    {"ExpiresByType", expires_by_type, 2, 2, X0_CONF_ANYWHERE,
     "ExpiresByType media-type \"access|modification plus N units ...\" | A<seconds> | "
     "M<seconds>"},
    {"ExpiresDefault", expires_default, 1, 1, X0_CONF_ANYWHERE,
     "ExpiresDefault \"access|modification plus N units ...\" | A<seconds> | M<seconds>"},
    {nullptr, nullptr, 0, 0, 0, nullptr},
};

/* ---- the filter ---- */

const expires_dir_config* expires_conf(const x0_request_t* r)
{
    return static_cast<const expires_dir_config*>(x0_get_dir_config(r, &expires_module));
}

bool expires_enabled(const expires_dir_config* conf)
{
    return conf && conf->active == 1 && (conf->by_type->nelts > 0 || conf->fallback);
}

void expires_set_fields(x0_request_t* r, const expires_dir_config* conf)
{
    if (!(r->status >= 200 && r->status < 300) && r->status != 304)
        return;
    if (apr_table_get(r->headers_out, "Expires"))
        return;  // the handler knows better (httpd)
    const x0::expires_rule* rule = x0::expires_find(conf->by_type, conf->fallback,
                                                    r->content_type);
    if (!rule)
        return;
    apr_time_t mtime = r->finfo.mtime;
    apr_time_t expires;
    apr_int64_t max_age;
    if (!x0::expires_compute(*rule, r->request_time,
                             r->finfo.filetype != APR_NOFILE ? &mtime : nullptr,
                             &expires, &max_age))
        return;
    apr_table_mergen(r->headers_out, "Cache-Control",
                     apr_psprintf(r->pool, "max-age=%" APR_INT64_T_FMT, max_age));
    char* date = static_cast<char*>(apr_palloc(r->pool, APR_RFC822_DATE_LEN));
    apr_rfc822_date(date, expires);
    apr_table_setn(r->headers_out, "Expires", date);
}

apr_status_t expires_out_filter(x0_filter_t* f, apr_bucket_brigade* bb)
{
    x0_request_t* r = f->r;
    // Read now, not at insert time: an ErrorDocument has walked elsewhere.
    const expires_dir_config* conf = expires_conf(r);
    if (expires_enabled(conf))
        expires_set_fields(r, conf);
    x0_remove_output_filter(f);
    return x0_pass_brigade(f->next, bb);
}

void expires_insert_filter(x0_request_t* r)
{
    if (expires_enabled(expires_conf(r)))
        x0_add_output_filter(expires_filter_name, nullptr, r, nullptr);
}

/** Before mod_headers: EXPIRES then HEADERS in the chain, as in httpd. */
const char* const expires_insert_before[] = {"headers", nullptr};

void expires_register_hooks(apr_pool_t*)
{
    x0_register_output_filter(expires_filter_name, expires_out_filter, X0_FTYPE_CONTENT);
    x0_hook_insert_filter(expires_insert_filter, nullptr, expires_insert_before,
                          X0_HOOK_MIDDLE);
}

} // namespace

X0_MODULE(expires) = {
    X0_MODULE_HEADER, "expires",
    expires_create_dir_config, expires_merge_dir_config, nullptr, nullptr,
    expires_directives, expires_register_hooks,
};
