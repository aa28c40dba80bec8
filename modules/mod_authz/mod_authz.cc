/*
 * mod_authz: httpd 2.4's Require (httpd:`modules/aaa/mod_authz_core.c`,
 * with the all, ip and local providers of mod_authz_host).
 *
 *   <Location /private>
 *       Require ip 10.0.0.0/8 192.168 ::1
 *   </Location>
 *   <Directory /srv/www>
 *       <RequireAll>
 *           Require all granted
 *           Require not ip 10.1.2.3
 *       </RequireAll>
 *   </Directory>
 *
 * Like httpd, Require and its sections belong in <Directory>, <Location>
 * and <Files> (and their Match forms). The lines of one scope outside any
 * section are an implicit <RequireAny>. A scope with Require lines replaces
 * what outer scopes required (httpd's default AuthMerging Off); a scope
 * without them inherits. XXX: AuthMerging And|Or is not implemented.
 *
 * The access_checker hook evaluates the merged tree against the client's
 * address and answers 403 unless the result is granted (httpd AH01630).
 */
#define X0_LOG_MODULE authz_module  // its messages answer to LogLevel authz:LEVEL
#include <cstring>
#include <apr_strings.h>
#include "x0/http.h"
#include "x0/log.h"
#include "x0/module.h"
#include "ip_match.h"
#include "require_eval.h"

extern "C" x0_module_t authz_module;

namespace {

struct authz_dir_config {
    /** The scope's implicit <RequireAny>; NULL when the scope has no Require. */
    x0::authz_node* root;
    /**
     * While the config is read: the innermost <RequireAll|Any|None> open in
     * this scope (its parent chain is the stack), NULL outside any.
     */
    x0::authz_node* open;
};

void* authz_create_dir(apr_pool_t* p, const char*)
{
    return apr_pcalloc(p, sizeof(authz_dir_config));
}

/** AuthMerging Off: a scope with its own Require replaces the outer one. Allocates nothing. */
void* authz_merge_dir(apr_pool_t*, void* base_v, void* add_v)
{
    auto* add = static_cast<authz_dir_config*>(add_v);
    return add->root ? add_v : base_v;
}

/** Where a line or a closed section goes: the open section, else the scope's RequireAny. */
const char* authz_attach(x0_cmd_parms_t* cmd, authz_dir_config* conf, x0::authz_node* node)
{
    x0::authz_node* target = conf->open;
    if (!target) {
        if (!conf->root)
            conf->root = x0::authz_section_create(cmd->pool, x0::authz_kind::any, false);
        target = conf->root;
    }
    return x0::authz_section_add(cmd->temp_pool, target, node);
}

/** Require [not] all granted|denied / ip address... / local */
const char* authz_require(x0_cmd_parms_t* cmd, void* dir_cfg, int argc, const char* const* argv)
{
    auto* conf = static_cast<authz_dir_config*>(dir_cfg);
    x0::authz_node* node;
    if (const char* err = x0::authz_parse_require(cmd->pool, argc, argv, &node))
        return err;
    return authz_attach(cmd, conf, node);
}

/**
 * A section opens (cmd->closing == 0): push it. It closes: check it, pop
 * it and attach it to what encloses it, as httpd's add_authz_section()
 * does once the section's body has been read.
 */
const char* authz_section(x0_cmd_parms_t* cmd, void* dir_cfg, x0::authz_kind kind, bool negate)
{
    auto* conf = static_cast<authz_dir_config*>(dir_cfg);
    if (!cmd->closing) {
        x0::authz_node* s = x0::authz_section_create(cmd->pool, kind, negate);
        s->parent = conf->open;
        conf->open = s;
        return nullptr;
    }
    x0::authz_node* s = conf->open;
    if (!s)  // the core balances containers; this would be its bug
        return apr_psprintf(cmd->temp_pool, "</%s> without an open section", cmd->directive->name);
    if (const char* err = x0::authz_section_check(cmd->temp_pool, s))
        return err;
    conf->open = s->parent;
    s->parent = nullptr;
    return authz_attach(cmd, conf, s);
}

const char* authz_require_all(x0_cmd_parms_t* cmd, void* dir_cfg, int, const char* const*)
{
    return authz_section(cmd, dir_cfg, x0::authz_kind::every, false);
}

const char* authz_require_any(x0_cmd_parms_t* cmd, void* dir_cfg, int, const char* const*)
{
    return authz_section(cmd, dir_cfg, x0::authz_kind::any, false);
}

const char* authz_require_none(x0_cmd_parms_t* cmd, void* dir_cfg, int, const char* const*)
{
    return authz_section(cmd, dir_cfg, x0::authz_kind::any, true);
}

const x0_directive_t authz_directives[] = {
    {"Require", authz_require, 1, -1, X0_CONF_DIR,
     "Require [not] all granted|denied | ip address-or-network ... | local"},
    {"RequireAll", authz_require_all, 0, 0, X0_CONF_DIR | X0_CONF_CONTAINER,
     "<RequireAll> Require lines and sections, none denied, one granted </RequireAll>"},
    {"RequireAny", authz_require_any, 0, 0, X0_CONF_DIR | X0_CONF_CONTAINER,
     "<RequireAny> Require lines and sections, one granted </RequireAny>"},
    {"RequireNone", authz_require_none, 0, 0, X0_CONF_DIR | X0_CONF_CONTAINER,
     "<RequireNone> Require lines and sections, none granted </RequireNone>"},
    {nullptr, nullptr, 0, 0, 0, nullptr},
};

/** Grant or refuse by the client's address; 403 unless granted. */
int authz_access_checker(x0_request_t* r)
{
    const auto* conf = static_cast<const authz_dir_config*>(x0_get_dir_config(r, &authz_module));
    if (!conf || !conf->root)
        return X0_DECLINED;  // httpd: "granted (no directives)"
    const x0_conn_t* c = r->connection;
    x0::authz_peer peer;
    peer.client_ok = c->client_ip && x0::authz_addr_parse(c->client_ip, &peer.client);
    peer.local_ok = c->local_ip && x0::authz_addr_parse(c->local_ip, &peer.local);
    if (x0::authz_evaluate(conf->root, peer) == x0::authz_result::granted)
        return X0_OK;
    x0_log_error(X0LOG(02101), X0_LOG_ERR, 0, r->server,
                 "client %s denied by server configuration: %s%s",
                 c->client_ip ? c->client_ip : "-", r->filename ? "" : "uri ",
                 r->filename ? r->filename : r->path ? r->path : "-");
    return 403;
}

void authz_register_hooks(apr_pool_t*)
{
    x0_hook_access_checker(authz_access_checker, nullptr, nullptr, X0_HOOK_MIDDLE);
}

} // namespace

X0_MODULE(authz) = {
    X0_MODULE_HEADER, "authz",
    authz_create_dir, authz_merge_dir, nullptr, nullptr,
    authz_directives, authz_register_hooks,
};
