/*
 * mod_alias: httpd's Alias, AliasMatch, Redirect, RedirectMatch,
 * RedirectTemp and RedirectPermanent
 * (httpd:`modules/mappers/mod_alias.c`).
 *
 *   Alias /icons/ /usr/share/icons/
 *   AliasMatch ^/photos/([0-9]+)/(.*)$ /srv/photos/$1/$2
 *   Redirect permanent /old http://example.com/new
 *   RedirectMatch 307 ^/a/(.*)\.htm$ /b/$1.html
 *   <Location /gone> Redirect gone </Location>
 *
 * Everything matches r->path: the request path decoded once and normalized,
 * as httpd matches its decoded r->uri.
 *
 * Translation (X0_HOOK_FIRST): redirects are tried before aliases, each list
 * in config order, a virtual host's own entries before the main server's
 * (httpd's translate_alias_redir and merge_alias_config). A matching alias
 * sets r->filename and r->context_root, the directory mod_static must not
 * leave. Redirects given inside <Location>/<Directory> are tried again at
 * fixups, once the whole per-directory config is known (httpd's
 * fixup_redir).
 *
 * The roots: an Alias target is resolved with realpath() when the config is
 * read and must exist then. For a directory, it is the root; for a file, its
 * directory is. An AliasMatch target is split at the last '/' before the
 * first "$N" (or '\'): the part before it is fixed text, resolved the same
 * way and used as the root for every match ("/srv/photos/$1/$2" has the
 * root /srv/photos), and the substituted rest is looked up below it.
 * That root is the longest directory every expansion must lie in, known
 * before any request; mod_static then opens the rest with RESOLVE_BENEATH,
 * so no expansion can leave it, and an expansion with a ".." segment is
 * refused here already.
 *
 * The target and the rest of the path are joined with exactly one '/':
 * where httpd makes "/srv/xfile" of `Alias /x/ /srv/x` (its docs ask for
 * matching trailing slashes), x0 makes "/srv/x/file".
 *
 * Redirect targets: an absolute URL, or (httpd, PR 35314) a path starting
 * with '/'. XXX: httpd turns a path into an absolute URL with
 * ap_construct_url(); x0 sends the path as is (RFC 9110 section 10.2.2
 * allows a relative reference in Location) because a module cannot tell
 * whether the connection is TLS, so it could not name the scheme.
 * Redirect appends the rest of the (decoded) path percent-encoded again;
 * a RedirectMatch expansion has its part before '?'/'#' encoded as a whole,
 * so a literal '%' in its target becomes "%25" (httpd's ap_escape_uri()
 * does the same). The request's query is appended unless the target has
 * its own. Statuses are 300-399 (with a URL) and 410 (without); httpd also
 * takes other statuses without a URL, x0 refuses them as a likely mistake.
 *
 * Regular expressions are POSIX extended ones (regcomp at config time,
 * regfree in a cleanup of the configuration pool); glibc's regexec()
 * allocates internally and frees before it returns, the one allocation
 * outside a pool here (src/sections.cc says the same for <LocationMatch>).
 */
#define X0_LOG_MODULE alias_module  // its messages answer to LogLevel alias:LEVEL
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <regex.h>
#include <strings.h>
#include <sys/stat.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "x0/http.h"
#include "x0/log.h"
#include "x0/module.h"
#include "alias_match.h"

extern "C" x0_module_t alias_module;

namespace {

/** One Alias, AliasMatch, Redirect or RedirectMatch, in the configuration pool. */
struct alias_entry {
    const char* fake;    /**< the URL-path, or the regex as written */
    regex_t* regex;      /**< the *Match forms; NULL for a URL-path */
    /**
     * Alias: realpath of the target (a directory, or a file). AliasMatch:
     * the substitution template below root. Redirect*: the URL (a
     * template for RedirectMatch), NULL for 410.
     */
    const char* real;
    const char* root;    /**< Alias*: the directory that becomes r->context_root */
    int status;          /**< Redirect*: 300-399 or 410; 0 for an alias */
};

struct alias_server_config {
    apr_array_header_t* aliases;    /**< of alias_entry: Alias, AliasMatch */
    apr_array_header_t* redirects;  /**< of alias_entry: at server level */
};

/** Redirects inside <Location>/<Directory>/<Files>. */
struct alias_dir_config {
    apr_array_header_t* redirects;  /**< Redirect URL-path URL here; NULL for none */
    /**
     * The one-URL form, `Redirect [status] URL` or `Redirect gone`: every
     * request of the section. NULL for 410. XXX: httpd reads this URL as an
     * ap_expr string; x0 has no expressions and takes it literally.
     */
    const char* redirect;
    int redirect_status;            /**< 0: no one-URL form here */
};

alias_server_config* alias_server_conf(const x0_server_t* s)
{
    return static_cast<alias_server_config*>(x0_get_server_config(s, &alias_module));
}

void* alias_create_server(apr_pool_t* p, x0_server_t*)
{
    auto* conf = static_cast<alias_server_config*>(apr_palloc(p, sizeof(alias_server_config)));
    conf->aliases = apr_array_make(p, 4, sizeof(alias_entry));
    conf->redirects = apr_array_make(p, 4, sizeof(alias_entry));
    return conf;
}

/** A virtual host's own entries first, then the main server's (httpd's order). */
void* alias_merge_server(apr_pool_t* p, void* base_v, void* add_v)
{
    auto* base = static_cast<alias_server_config*>(base_v);
    auto* add = static_cast<alias_server_config*>(add_v);
    auto* conf = static_cast<alias_server_config*>(apr_palloc(p, sizeof(alias_server_config)));
    conf->aliases = apr_array_append(p, add->aliases, base->aliases);
    conf->redirects = apr_array_append(p, add->redirects, base->redirects);
    return conf;
}

void* alias_create_dir(apr_pool_t* p, const char*)
{
    return apr_pcalloc(p, sizeof(alias_dir_config));
}

bool alias_dir_empty(const alias_dir_config* c)
{
    return !c->redirects && c->redirect_status == 0;
}

/**
 * The inner section's redirects before the outer's; its one-URL form wins.
 * This runs per request too, so the common cases (one side has nothing)
 * return a side as it is and allocate nothing.
 */
void* alias_merge_dir(apr_pool_t* p, void* base_v, void* add_v)
{
    auto* base = static_cast<alias_dir_config*>(base_v);
    auto* add = static_cast<alias_dir_config*>(add_v);
    if (alias_dir_empty(add))
        return base;
    if (alias_dir_empty(base))
        return add;
    auto* conf = static_cast<alias_dir_config*>(apr_palloc(p, sizeof(alias_dir_config)));
    if (add->redirects && base->redirects)
        conf->redirects = apr_array_append(p, add->redirects, base->redirects);
    else
        conf->redirects = add->redirects ? add->redirects : base->redirects;
    bool own = add->redirect_status != 0;
    conf->redirect = own ? add->redirect : base->redirect;
    conf->redirect_status = own ? add->redirect_status : base->redirect_status;
    return conf;
}

/* ---- directives ---- */

apr_status_t alias_regfree(void* data)
{
    regfree(static_cast<regex_t*>(data));
    return APR_SUCCESS;
}

/** Compile @a pattern (POSIX extended) for the configuration's lifetime. */
const char* alias_compile(x0_cmd_parms_t* cmd, const char* pattern, regex_t** out)
{
    auto* re = static_cast<regex_t*>(apr_pcalloc(cmd->pool, sizeof(regex_t)));
    int rc = regcomp(re, pattern, REG_EXTENDED);
    if (rc != 0) {
        char why[160];
        regerror(rc, re, why, sizeof why);
        return apr_psprintf(cmd->temp_pool, "%s: regular expression '%s' could not be "
                            "compiled: %s", cmd->directive->name, pattern, why);
    }
    apr_pool_cleanup_register(cmd->pool, re, alias_regfree, apr_pool_cleanup_null);
    *out = re;
    return nullptr;
}

/** A template may only refer to groups its regex has. */
const char* alias_check_groups(x0_cmd_parms_t* cmd, const regex_t* re, const char* tmpl)
{
    int max = x0::alias_max_group(tmpl);
    if (max > static_cast<int>(re->re_nsub))
        return apr_psprintf(cmd->temp_pool, "%s: '%s' refers to $%d, but the regular "
                            "expression has %d group%s", cmd->directive->name, tmpl, max,
                            static_cast<int>(re->re_nsub), re->re_nsub == 1 ? "" : "s");
    return nullptr;
}

/** realpath() of @a path (relative to ServerRoot) into the config pool, with its stat. */
const char* alias_resolve(x0_cmd_parms_t* cmd, const char* what, const char* path,
                          const char** real, struct stat* st)
{
    const char* full = x0_server_root_relative(cmd->temp_pool, path);
    char buf[PATH_MAX];
    if (!realpath(full, buf) || stat(buf, st) != 0) {
        int err = errno;
        char why[120];
        return apr_psprintf(cmd->temp_pool, "%s: the %s '%s' cannot be used: %s",
                            cmd->directive->name, what, full,
                            apr_strerror(APR_FROM_OS_ERROR(err), why, sizeof why));
    }
    *real = apr_pstrdup(cmd->pool, buf);
    return nullptr;
}

/** httpd warns (AH00671) when an alias can never match because an earlier one covers it. */
void alias_warn_overlap(x0_cmd_parms_t* cmd, const alias_server_config* conf, const char* fake)
{
    const auto* entries = reinterpret_cast<const alias_entry*>(conf->aliases->elts);
    for (int i = 0; i < conf->aliases->nelts - 1; ++i) {
        const alias_entry& e = entries[i];
        bool covered = e.regex ? regexec(e.regex, fake, 0, nullptr, 0) == 0
                               : x0::alias_prefix_match(fake, e.fake) > 0;
        if (covered) {
            x0_log_error(X0LOG(02001), X0_LOG_WARNING, 0, cmd->server,
                         "%s:%d: the %s directive will probably never match because it "
                         "overlaps an earlier Alias%s", cmd->file, cmd->line,
                         cmd->directive->name, e.regex ? "Match" : "");
            return;
        }
    }
}

/** Alias URL-path file-path|directory-path */
const char* alias_alias(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    const char* fake = argv[0];
    if (fake[0] != '/')
        return apr_psprintf(cmd->temp_pool, "Alias: the URL-path '%s' must start with '/'",
                            fake);
    const char* real;
    struct stat st;
    if (const char* err = alias_resolve(cmd, "target", argv[1], &real, &st))
        return err;
    const char* root = real;
    if (S_ISREG(st.st_mode)) {
        // A file is served from its directory, which is then the root.
        const char* slash = strrchr(real, '/');
        root = slash == real ? "/" : apr_pstrndup(cmd->pool, real, slash - real);
    } else if (!S_ISDIR(st.st_mode)) {
        return apr_psprintf(cmd->temp_pool, "Alias: the target '%s' is neither a file nor a "
                            "directory", real);
    }
    alias_server_config* conf = alias_server_conf(cmd->server);
    auto* e = static_cast<alias_entry*>(apr_array_push(conf->aliases));
    *e = {fake, nullptr, real, root, 0};
    alias_warn_overlap(cmd, conf, fake);
    return nullptr;
}

/** AliasMatch regex file-path|directory-path */
const char* alias_alias_match(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    regex_t* re;
    if (const char* err = alias_compile(cmd, argv[0], &re))
        return err;
    const char* target = argv[1];
    if (const char* err = alias_check_groups(cmd, re, target))
        return err;
    size_t fixed = x0::alias_fixed_dir_length(target);
    const char* dir = fixed ? apr_pstrndup(cmd->temp_pool, target, fixed) : ".";
    const char* root;
    struct stat st;
    if (const char* err = alias_resolve(cmd, "target directory", dir, &root, &st))
        return err;
    if (!S_ISDIR(st.st_mode))
        return apr_psprintf(cmd->temp_pool, "AliasMatch: the target directory '%s' is not a "
                            "directory", root);
    alias_server_config* conf = alias_server_conf(cmd->server);
    auto* e = static_cast<alias_entry*>(apr_array_push(conf->aliases));
    *e = {argv[0], re, target + fixed, root, 0};
    return nullptr;
}

const char* const alias_status_words =
    "permanent, temp, seeother, gone, or a number from 300 to 399 or 410";

/** A Redirect target must be an absolute URL or a path (httpd's "Redirect to non-URL"). */
const char* alias_check_url(x0_cmd_parms_t* cmd, const char* url, bool regex)
{
    // A RedirectMatch target may begin with "$N"; the result is checked then.
    if (x0::alias_is_url(url) || url[0] == '/' || (regex && (url[0] == '$' || url[0] == '\\')))
        return nullptr;
    return apr_psprintf(cmd->temp_pool, "%s: '%s' is neither an absolute URL nor a path "
                        "starting with '/'", cmd->directive->name, url);
}

/**
 * Redirect and RedirectMatch, read as httpd's add_redirect_internal(): an
 * optional status first, then the URL-path (or regex), then the URL, which
 * 3xx needs and 410 must not have. Inside a section, Redirect may leave out
 * the URL-path to redirect every request of the section.
 */
const char* alias_redirect_args(x0_cmd_parms_t* cmd, void* dir_cfg, int argc,
                                const char* const* argv, bool regex)
{
    const char* name = cmd->directive->name;
    int status = 302;
    bool has_status = x0::alias_parse_status(argv[0], &status);
    if (has_status && !x0::alias_status_ok(status))
        return apr_psprintf(cmd->temp_pool, "%s: bad status '%s' (use %s)", name, argv[0],
                            alias_status_words);
    if (argc == 3 && !has_status)
        return apr_psprintf(cmd->temp_pool, "%s: the first of three arguments must be a "
                            "status (%s), not '%s'", name, alias_status_words, argv[0]);
    bool whole_section = !regex && ((has_status && argc == 2 && status != 410) ||
                                    (has_status && argc == 1 && status == 410) ||
                                    (!has_status && argc == 1));
    if (whole_section) {
        if (!cmd->path)
            return apr_psprintf(cmd->temp_pool, "%s: a URL-path and a URL are needed outside "
                                "<Location> and <Directory> (%s [status] URL-path URL)",
                                name, name);
        const char* url = status == 410 ? nullptr : argv[argc - 1];
        if (url)
            if (const char* err = alias_check_url(cmd, url, false))
                return err;
        auto* dconf = static_cast<alias_dir_config*>(dir_cfg);
        dconf->redirect = url;
        dconf->redirect_status = status;
        return nullptr;
    }
    if (has_status && argc == 1)
        return apr_psprintf(cmd->temp_pool, "%s: the %s to redirect and the URL to redirect "
                            "to are missing", name, regex ? "regular expression" : "URL-path");
    const char* fake = has_status ? argv[1] : argv[0];
    const char* url = has_status ? (argc > 2 ? argv[2] : nullptr) : argv[1];
    if (status != 410 && !url)
        return apr_psprintf(cmd->temp_pool, "%s: the URL to redirect to is missing", name);
    if (status == 410 && url)
        return apr_psprintf(cmd->temp_pool, "%s: status 410 (gone) takes no URL, but '%s' "
                            "was given", name, url);
    regex_t* re = nullptr;
    if (regex) {
        if (const char* err = alias_compile(cmd, fake, &re))
            return err;
        if (url)
            if (const char* err = alias_check_groups(cmd, re, url))
                return err;
    } else if (fake[0] != '/') {
        return apr_psprintf(cmd->temp_pool, "%s: the URL-path '%s' must start with '/'", name,
                            fake);
    }
    if (url)
        if (const char* err = alias_check_url(cmd, url, regex))
            return err;

    apr_array_header_t** list;
    if (cmd->path) {
        auto* dconf = static_cast<alias_dir_config*>(dir_cfg);
        if (!dconf->redirects)
            dconf->redirects = apr_array_make(cmd->pool, 2, sizeof(alias_entry));
        list = &dconf->redirects;
    } else {
        list = &alias_server_conf(cmd->server)->redirects;
    }
    auto* e = static_cast<alias_entry*>(apr_array_push(*list));
    *e = {fake, re, url, nullptr, status};
    return nullptr;
}

/** Redirect [status] URL-path URL */
const char* alias_redirect(x0_cmd_parms_t* cmd, void* dir_cfg, int argc, const char* const* argv)
{
    return alias_redirect_args(cmd, dir_cfg, argc, argv, false);
}

/** RedirectMatch [status] regex URL */
const char* alias_redirect_match(x0_cmd_parms_t* cmd, void* dir_cfg, int argc,
                                 const char* const* argv)
{
    return alias_redirect_args(cmd, dir_cfg, argc, argv, true);
}

/** RedirectTemp / RedirectPermanent URL-path URL: Redirect with the status fixed. */
const char* alias_redirect_fixed(x0_cmd_parms_t* cmd, void* dir_cfg, const char* const* argv,
                                 const char* status)
{
    const char* args[] = {status, argv[0], argv[1]};
    return alias_redirect_args(cmd, dir_cfg, 3, args, false);
}

const char* alias_redirect_temp(x0_cmd_parms_t* cmd, void* dir_cfg, int, const char* const* argv)
{
    return alias_redirect_fixed(cmd, dir_cfg, argv, "temp");
}

const char* alias_redirect_permanent(x0_cmd_parms_t* cmd, void* dir_cfg, int,
                                     const char* const* argv)
{
    return alias_redirect_fixed(cmd, dir_cfg, argv, "permanent");
}

// httpd allows Redirect* wherever FileInfo overrides are (server, vhost and
// sections); Alias and AliasMatch at server level only.
const x0_directive_t alias_directives[] = {
    {"Alias", alias_alias, 2, 2, X0_CONF_SERVERS,
     "Alias URL-path file-path|directory-path"},
    {"AliasMatch", alias_alias_match, 2, 2, X0_CONF_SERVERS,
     "AliasMatch regex file-path|directory-path"},
    {"Redirect", alias_redirect, 1, 3, X0_CONF_SERVERS | X0_CONF_DIR,
     "Redirect [status] URL-path URL"},
    {"RedirectMatch", alias_redirect_match, 2, 3, X0_CONF_SERVERS | X0_CONF_DIR,
     "RedirectMatch [status] regex URL"},
    {"RedirectTemp", alias_redirect_temp, 2, 2, X0_CONF_SERVERS | X0_CONF_DIR,
     "RedirectTemp URL-path URL"},
    {"RedirectPermanent", alias_redirect_permanent, 2, 2, X0_CONF_SERVERS | X0_CONF_DIR,
     "RedirectPermanent URL-path URL"},
    {nullptr, nullptr, 0, 0, 0, nullptr},
};

/* ---- requests ---- */

/**
 * End @a r with a redirect to @a location (NULL for 410). A RedirectMatch
 * expansion that is neither a URL nor a path is a server error, as in
 * httpd (AH00674).
 */
int alias_answer(x0_request_t* r, int status, const char* location)
{
    if (status == 410 || !location)
        return status;
    if (!x0::alias_is_url(location) && location[0] != '/') {
        x0_log_error(X0LOG(02002), X0_LOG_ERR, 0, r->server,
                     "cannot redirect '%s' to '%s': the target is neither an absolute URL "
                     "nor a path", r->path, location);
        return 500;
    }
    apr_table_setn(r->headers_out, "Location", location);
    return status;
}

/**
 * The first redirect of @a list that matches @a r: its status (Location set
 * for 3xx), or 500 for a RedirectMatch expansion that is no URL; 0 when
 * none matches.
 */
int alias_try_redirects(x0_request_t* r, const apr_array_header_t* list)
{
    if (!list)
        return 0;
    const auto* entries = reinterpret_cast<const alias_entry*>(list->elts);
    for (int i = 0; i < list->nelts; ++i) {
        const alias_entry& e = entries[i];
        if (e.regex) {
            regmatch_t m[x0::alias_max_groups];
            if (regexec(e.regex, r->path, x0::alias_max_groups, m, 0) != 0)
                continue;
            if (!e.real)
                return alias_answer(r, e.status, nullptr);
            const char* url = x0::alias_substitute(r->pool, e.real, r->path, m,
                                                   x0::alias_max_groups);
            url = x0::alias_escape_url(r->pool, url);
            return alias_answer(r, e.status, x0::alias_location(r->pool, url, nullptr, r->args));
        }
        size_t n = x0::alias_prefix_match(r->path, e.fake);
        if (n == 0)
            continue;
        if (!e.real)
            return alias_answer(r, e.status, nullptr);
        return alias_answer(r, e.status,
                            x0::alias_location(r->pool, e.real, r->path + n, r->args));
    }
    return 0;
}

/** The one-URL form of the section @a r is in; 0 when there is none. */
int alias_try_section(x0_request_t* r, const alias_dir_config* dconf)
{
    if (!dconf || dconf->redirect_status == 0)
        return 0;
    const char* url = dconf->redirect
                    ? x0::alias_location(r->pool, dconf->redirect, nullptr, r->args) : nullptr;
    return alias_answer(r, dconf->redirect_status, url);
}

/** @a root joined with @a rest (leading slashes dropped); @a root itself for "". */
const char* alias_join(apr_pool_t* p, const char* root, const char* rest)
{
    while (*rest == '/')
        ++rest;
    if (!*rest)
        return root;
    size_t n = strlen(root);
    return apr_pstrcat(p, root, n > 0 && root[n - 1] == '/' ? "" : "/", rest, nullptr);
}

/**
 * Set r->filename and r->context_root from the first alias that matches:
 * X0_OK, or 403 for an AliasMatch expansion with a ".." segment;
 * X0_DECLINED when none matches.
 */
int alias_try_aliases(x0_request_t* r, const apr_array_header_t* list)
{
    const auto* entries = reinterpret_cast<const alias_entry*>(list->elts);
    for (int i = 0; i < list->nelts; ++i) {
        const alias_entry& e = entries[i];
        if (e.regex) {
            regmatch_t m[x0::alias_max_groups];
            if (regexec(e.regex, r->path, x0::alias_max_groups, m, 0) != 0)
                continue;
            const char* rest = x0::alias_substitute(r->pool, e.real, r->path, m,
                                                    x0::alias_max_groups);
            if (x0::alias_has_dotdot(rest)) {
                x0_log_error(X0LOG(02003), X0_LOG_INFO, 0, r->server,
                             "AliasMatch '%s' made '%s' of '%s': a '..' segment is refused",
                             e.fake, rest, r->path);
                return 403;
            }
            r->filename = alias_join(r->pool, e.root, rest);
        } else {
            size_t n = x0::alias_prefix_match(r->path, e.fake);
            if (n == 0)
                continue;
            r->filename = alias_join(r->pool, e.real, r->path + n);
        }
        r->context_root = e.root;
        return X0_OK;
    }
    return X0_DECLINED;
}

const alias_dir_config* alias_dir_conf(const x0_request_t* r)
{
    return static_cast<const alias_dir_config*>(x0_get_dir_config(r, &alias_module));
}

/** Redirects first (the section's, then the server's), then aliases. */
int alias_translate(x0_request_t* r)
{
    if (!r->path || r->path[0] != '/')
        return X0_DECLINED;
    int status = alias_try_section(r, alias_dir_conf(r));
    if (status != 0)
        return status;
    const alias_server_config* conf = alias_server_conf(r->server);
    if (!conf)
        return X0_DECLINED;
    if ((status = alias_try_redirects(r, conf->redirects)) != 0)
        return status;
    return alias_try_aliases(r, conf->aliases);
}

/** Redirects in <Directory> and <Files>, known only after the directory walk. */
int alias_fixups(x0_request_t* r)
{
    if (!r->path)
        return X0_DECLINED;
    const alias_dir_config* dconf = alias_dir_conf(r);
    if (!dconf)
        return X0_DECLINED;
    int status = alias_try_section(r, dconf);
    if (status == 0)
        status = alias_try_redirects(r, dconf->redirects);
    return status != 0 ? status : X0_DECLINED;
}

void alias_register_hooks(apr_pool_t*)
{
    x0_hook_translate(alias_translate, nullptr, nullptr, X0_HOOK_FIRST);
    x0_hook_fixups(alias_fixups, nullptr, nullptr, X0_HOOK_MIDDLE);
}

} // namespace

X0_MODULE(alias) = {
    X0_MODULE_HEADER, "alias",
    alias_create_dir, alias_merge_dir, alias_create_server, alias_merge_server,
    alias_directives, alias_register_hooks,
};
