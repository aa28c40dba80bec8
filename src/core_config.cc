/*
 * The core module: listeners, processes, limits and logs at server level,
 * Options and SetHandler per directory. Names and semantics follow httpd's
 * core (httpd:`server/core.c`, `server/listen.c`, `server/mpm_common.c`).
 */
#include "core_config.h"

#include <apr_file_info.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <arpa/inet.h>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <strings.h>
#include <sys/stat.h>

#include "config.h"
#include "core_filters.h"
#include "core_request.h"
#include "log.h"
#include "loopback_congestion.h"
#include "module_loader.h"
#include "privileges.h"
#include "x0/log.h"

namespace x0 {
namespace {

/** What "Options All" turns on (httpd: all but MultiViews). */
constexpr int all_options = X0_OPT_INDEXES | X0_OPT_FOLLOW_SYMLINKS | X0_OPT_SYM_OWNER;

/**
 * `SetHandler None` inside a <Location> must override an outer handler, but
 * a NULL handler means "inherit". Locations store this marker instead; the
 * merge turns it back into NULL, so it never reaches a request.
 */
const char handler_none[] = "none";

/** Longest Timeout / KeepAliveTimeout, in seconds: a day. */
constexpr long max_interval_sec = 86400;

const char* named(x0_cmd_parms_t* cmd, const char* err)
{
    return err ? apr_pstrcat(cmd->temp_pool, cmd->directive->name, " ", err, nullptr) : nullptr;
}

/** A number for @a cmd, with the directive's name in any error. */
const char* number(x0_cmd_parms_t* cmd, const char* arg, long min, long max, long* out)
{
    return named(cmd, x0_conf_number(cmd->temp_pool, arg, min, max, out));
}

/** "N" seconds or "Nms" milliseconds (httpd's ap_timeout_parameter_parse). */
const char* interval(x0_cmd_parms_t* cmd, const char* arg, long min_sec,
                     apr_interval_time_t* out)
{
    size_t n = strlen(arg);
    long v;
    if (n > 2 && strcasecmp(arg + n - 2, "ms") == 0) {
        const char* err = number(cmd, apr_pstrndup(cmd->temp_pool, arg, n - 2),
                                 min_sec > 0 ? 1 : 0, max_interval_sec * 1000, &v);
        if (!err)
            *out = apr_time_from_msec(v);
        return err;
    }
    const char* err = number(cmd, arg, min_sec, max_interval_sec, &v);
    if (!err)
        *out = apr_time_from_sec(v);
    return err;
}

void* create_server(apr_pool_t* p, x0_server_t*)
{
    auto* c = static_cast<core_server_config*>(apr_pcalloc(p, sizeof(core_server_config)));
    c->listens = apr_array_make(p, 2, sizeof(listen_addr));
    c->workers = 0;  // auto
    c->listen_backlog = 511;
    c->max_connections = 16384;
    c->graceful_shutdown_timeout = default_graceful_shutdown_timeout;
    c->loopback_congestion = default_loopback_congestion;
    c->accept_filters = apr_table_make(p, 2);
    apr_table_setn(c->accept_filters, "http", "data");
    apr_table_setn(c->accept_filters, "https", "data");
    c->sections = apr_array_make(p, 4, sizeof(void*));
    return c;
}

/** A virtual host inherits what it does not set (httpd's core merge_server). */
void* merge_server(apr_pool_t* p, void* base_v, void* add_v)
{
    auto* base = static_cast<core_server_config*>(base_v);
    auto* add = static_cast<core_server_config*>(add_v);
    auto* c = static_cast<core_server_config*>(apr_palloc(p, sizeof(core_server_config)));
    *c = *base;
    if (add->document_root)
        c->document_root = add->document_root;
    c->addrs = add->addrs;
    c->sections = apr_array_append(p, base->sections, add->sections);
    return c;
}

void* create_dir(apr_pool_t* p, const char*)
{
    auto* d = static_cast<core_dir_config*>(apr_pcalloc(p, sizeof(core_dir_config)));
    // httpd 2.4 follows symlinks by default; x0 refuses links that leave
    // DocumentRoot unless the config says `Options FollowSymLinks`.
    d->options = 0;
    d->limit_request_body = -1;
    d->max_ranges = -1;
    return d;
}

/** @a over's entries win over @a under's; either may be NULL. */
apr_hash_t* overlay(apr_pool_t* p, apr_hash_t* over, apr_hash_t* under)
{
    if (!over || !under)
        return over ? over : under;
    return apr_hash_overlay(p, over, under);
}

/**
 * options_set is the mask of options the scope decided (`+X`/`-X` decide X,
 * an absolute list decides them all); undecided ones are inherited.
 */
void* merge_dir(apr_pool_t* p, void* base_v, void* add_v)
{
    auto* base = static_cast<core_dir_config*>(base_v);
    auto* add = static_cast<core_dir_config*>(add_v);
    auto* d = static_cast<core_dir_config*>(apr_palloc(p, sizeof(core_dir_config)));
    d->options = (base->options & ~add->options_set) | (add->options & add->options_set);
    d->options_set = base->options_set | add->options_set;
    d->handler = add->handler ? add->handler : base->handler;
    if (d->handler == handler_none)
        d->handler = nullptr;
    d->force_type = add->force_type ? add->force_type : base->force_type;
    if (d->force_type == handler_none)
        d->force_type = nullptr;
    d->ext_handlers = overlay(p, add->ext_handlers, base->ext_handlers);
    d->output_filters = add->output_filters ? add->output_filters : base->output_filters;
    d->input_filters = add->input_filters ? add->input_filters : base->input_filters;
    d->ext_output_filters = overlay(p, add->ext_output_filters, base->ext_output_filters);
    d->ext_input_filters = overlay(p, add->ext_input_filters, base->ext_input_filters);
    d->error_documents = overlay(p, add->error_documents, base->error_documents);
    d->limit_request_body = add->limit_request_body >= 0 ? add->limit_request_body
                                                         : base->limit_request_body;
    d->max_ranges = add->max_ranges >= 0 ? add->max_ranges : base->max_ranges;
    return d;
}

/**
 * Names that are case-insensitive (handlers, types, Listen's protocols);
 * x0 keeps them lower case (httpd).
 */
char* lower(apr_pool_t* p, const char* text)
{
    char* out = apr_pstrdup(p, text);
    for (char* c = out; *c; ++c)
        *c = static_cast<char>(apr_tolower(*c));
    return out;
}

/** Canonical text of an address, so "::1" and "0:0::1" compare equal. */
const char* canonical_addr(apr_pool_t* p, const char* host, bool v6)
{
    unsigned char bin[sizeof(struct in6_addr)];
    int family = v6 ? AF_INET6 : AF_INET;
    if (inet_pton(family, host, bin) != 1)
        return nullptr;
    char text[INET6_ADDRSTRLEN];
    return apr_pstrdup(p, inet_ntop(family, bin, text, sizeof text));
}

const char* set_listen(x0_cmd_parms_t* cmd, void*, int argc, const char* const* argv)
{
    const char* arg = argv[0];
    const char* host = nullptr;
    const char* port_text = arg;
    if (arg[0] == '[') {
        const char* close = strchr(arg, ']');
        if (!close || close[1] != ':')
            return apr_psprintf(cmd->temp_pool, "Listen '%s': write an IPv6 address as [addr]:port",
                                arg);
        const char* v6 = apr_pstrndup(cmd->temp_pool, arg + 1, close - arg - 1);
        host = canonical_addr(cmd->pool, v6, true);
        if (!host)
            return apr_psprintf(cmd->temp_pool, "Listen: '%s' is not an IPv6 address", v6);
        port_text = close + 2;
    } else if (const char* colon = strrchr(arg, ':')) {
        const char* v4 = apr_pstrndup(cmd->temp_pool, arg, colon - arg);
        if (strcmp(v4, "*") != 0) {
            host = canonical_addr(cmd->pool, v4, false);
            if (!host)
                return apr_psprintf(cmd->temp_pool, "Listen: '%s' is not an IPv4 address "
                                    "(use a dotted address, * or [IPv6])", v4);
        }
        port_text = colon + 1;
    }
    long port;
    if (const char* err = x0_conf_number(cmd->temp_pool, port_text, 1, 65535, &port))
        return apr_psprintf(cmd->temp_pool, "Listen port '%s' %s", port_text, err);

    core_server_config* conf = core_server_conf(cmd->server);
    auto* have = reinterpret_cast<const listen_addr*>(conf->listens->elts);
    for (int i = 0; i < conf->listens->nelts; ++i) {
        bool same_host = have[i].host == host ||
                         (have[i].host && host && strcmp(have[i].host, host) == 0);
        if (same_host && have[i].port == port)
            return apr_psprintf(cmd->temp_pool, "Listen %s is given twice (first at %s:%d)", arg,
                                have[i].file, have[i].line);
    }
    // httpd: the protocol defaults to https on port 443, http elsewhere.
    const char* protocol = port == 443 ? "https" : "http";
    if (argc > 1) {
        for (const char* ch = argv[1]; *ch; ++ch)
            if (!apr_isalnum(*ch) && *ch != '-')
                return apr_psprintf(cmd->temp_pool, "Listen: '%s' is not a protocol name "
                                    "(http, https)", argv[1]);
        protocol = lower(cmd->pool, argv[1]);
    }
    auto* l = static_cast<listen_addr*>(apr_array_push(conf->listens));
    *l = {host, static_cast<apr_port_t>(port), protocol, cmd->file, cmd->line};
    return nullptr;
}

/** ServerName [scheme://]name[:port], as httpd's: the name is what Host is matched against. */
const char* set_server_name(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    const char* name = argv[0];
    if (const char* scheme = strstr(name, "://"))
        name = scheme + 3;
    const char* end = name[0] == '[' ? strchr(name, ']') : strrchr(name, ':');
    if (end && name[0] == '[')
        ++end;  // keep an IPv6 literal's brackets
    size_t n = end && (*end == ':' || *end == '\0') ? static_cast<size_t>(end - name)
                                                     : strlen(name);
    if (n == 0)
        return "ServerName needs a host name";
    cmd->server->server_name = apr_pstrndup(cmd->pool, name, n);
    return nullptr;
}

/** A relative ServerRoot is taken from the current one (-d or the prefix), as httpd does. */
const char* set_root(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    const char* dir = x0_server_root_relative(cmd->temp_pool, argv[0]);
    apr_finfo_t fi;
    if (apr_stat(&fi, dir, APR_FINFO_TYPE, cmd->temp_pool) != APR_SUCCESS ||
        fi.filetype != APR_DIR)
        return "ServerRoot must be a valid directory";
    set_server_root(cmd->temp_pool, dir);
    return nullptr;
}

const char* set_workers(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    core_server_config* conf = core_server_conf(cmd->server);
    if (strcasecmp(argv[0], "auto") == 0) {
        conf->workers = 0;
        return nullptr;
    }
    long n;
    if (x0_conf_number(cmd->temp_pool, argv[0], 1, 4096, &n))
        return "Workers must be auto or a number between 1 and 4096";
    conf->workers = static_cast<int>(n);
    return nullptr;
}

const char* set_keep_alive(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    return named(cmd, x0_conf_flag(argv[0], &cmd->server->keep_alive));
}

const char* set_keep_alive_timeout(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    return interval(cmd, argv[0], 0, &cmd->server->keep_alive_timeout);
}

const char* set_timeout(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    return interval(cmd, argv[0], 1, &cmd->server->timeout);
}

/** Directives that set one int of x0_server_t in [min, max]; 0 may mean max. */
template <int x0_server_t::*field, long min, long max, bool zero_is_max = false>
const char* set_server_int(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    long v;
    if (const char* err = number(cmd, argv[0], min, max, &v))
        return err;
    cmd->server->*field = static_cast<int>(zero_is_max && v == 0 ? max : v);
    return nullptr;
}

template <int core_server_config::*field, long min, long max>
const char* set_core_int(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    long v;
    if (const char* err = number(cmd, argv[0], min, max, &v))
        return err;
    core_server_conf(cmd->server)->*field = static_cast<int>(v);
    return nullptr;
}

const char* set_error_log(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    const char* arg = argv[0];
    if (arg[0] == '|' || strcasecmp(arg, "syslog") == 0 || strncasecmp(arg, "syslog:", 7) == 0)
        return "ErrorLog: only files are supported (no pipes, no syslog)";
    core_server_conf(cmd->server)->error_log = x0_server_root_relative(cmd->pool, arg);
    return nullptr;
}

const char* set_log_level(x0_cmd_parms_t* cmd, void*, int argc, const char* const* argv)
{
    return log_level_directive(cmd, argc, argv);  // `LogLevel info ssl:warn`: log.h
}

const char* set_pid_file(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    core_server_conf(cmd->server)->pid_file = x0_server_root_relative(cmd->pool, argv[0]);
    return nullptr;
}

/** LoopbackCongestionControl name|system: tried on a socket now, so -t finds a typo. */
const char* set_loopback_congestion(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    core_server_config* conf = core_server_conf(cmd->server);
    if (strcasecmp(argv[0], "system") == 0) {
        conf->loopback_congestion = nullptr;
        return nullptr;
    }
    if (const char* err = check_congestion_control(cmd->temp_pool, argv[0]))
        return apr_pstrcat(cmd->pool, "LoopbackCongestionControl: ", err, nullptr);
    conf->loopback_congestion = apr_pstrdup(cmd->pool, argv[0]);
    return nullptr;
}

/**
 * AcceptFilter protocol filter (httpd's): "none", or a filter that makes the
 * kernel hold a new connection until its first bytes arrive. Linux has one
 * such filter; FreeBSD's names (httpready, dataready) mean it too, so that a
 * config written for either system works.
 */
const char* set_accept_filter(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    const char* filter = argv[1];
    if (strcasecmp(filter, "data") == 0 || strcasecmp(filter, "dataready") == 0 ||
        strcasecmp(filter, "httpready") == 0)
        filter = "data";
    else if (strcasecmp(filter, "none") == 0)
        filter = "none";
    else
        return apr_psprintf(cmd->temp_pool, "AcceptFilter: unknown filter '%s' "
                            "(data, httpready, dataready or none)", argv[1]);
    apr_table_setn(core_server_conf(cmd->server)->accept_filters, lower(cmd->pool, argv[0]),
                   filter);
    return nullptr;
}

/** User name|#uid: resolved now, so that an unknown user is an error with FILE:LINE. */
const char* set_user(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    core_server_config* conf = core_server_conf(cmd->server);
    gid_t primary;
    if (const char* err = lookup_user(cmd->temp_pool, argv[0], &conf->uid, &primary))
        return err;
    conf->user = argv[0];
    if (!conf->group)
        conf->gid = primary;  // Group, wherever it is, wins
    return nullptr;
}

const char* set_group(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    core_server_config* conf = core_server_conf(cmd->server);
    if (const char* err = lookup_group(cmd->temp_pool, argv[0], &conf->gid))
        return err;
    conf->group = argv[0];
    return nullptr;
}

/**
 * Options: either an absolute list (All, None, names) that decides every
 * option, or only +X/-X that decide X and inherit the rest; mixing both is
 * an error, as in httpd 2.4.
 */
const char* set_options(x0_cmd_parms_t* cmd, void* dir_cfg, int argc, const char* const* argv)
{
    static const struct { const char* name; int bit; } known[] = {
        {"Indexes", X0_OPT_INDEXES},
        {"FollowSymLinks", X0_OPT_FOLLOW_SYMLINKS},
        {"SymLinksIfOwnerMatch", X0_OPT_SYM_OWNER},
    };
    static const char* const unsupported[] = {"Includes", "IncludesNOEXEC", "ExecCGI",
                                              "MultiViews"};
    auto* d = static_cast<core_dir_config*>(dir_cfg);
    bool relative = argv[0][0] == '+' || argv[0][0] == '-';
    int options = relative ? d->options : 0;
    int decided = relative ? d->options_set : all_options;
    for (int i = 0; i < argc; ++i) {
        char sign = argv[i][0];
        bool signed_word = sign == '+' || sign == '-';
        if (signed_word != relative)
            return "Either all Options must start with + or -, or no Option may.";
        const char* name = argv[i] + (signed_word ? 1 : 0);
        if (!signed_word && strcasecmp(name, "None") == 0) {
            options = 0;
            continue;
        }
        if (!signed_word && strcasecmp(name, "All") == 0) {
            options = all_options;
            continue;
        }
        int bit = 0;
        for (const auto& k : known)
            if (strcasecmp(name, k.name) == 0)
                bit = k.bit;
        for (const char* u : unsupported)
            if (strcasecmp(name, u) == 0)
                return apr_psprintf(cmd->temp_pool, "Options '%s' is not supported by x0", u);
        if (!bit)
            return apr_psprintf(cmd->temp_pool, "Illegal option %s", argv[i]);
        options = sign == '-' ? options & ~bit : options | bit;
        decided |= bit;
    }
    d->options = options;
    d->options_set = decided;
    return nullptr;
}

/** x0 reads no .htaccess files: None is all it can honour. */
const char* set_allow_override(x0_cmd_parms_t* cmd, void*, int argc, const char* const* argv)
{
    if (argc == 1 && strcasecmp(argv[0], "None") == 0)
        return nullptr;
    return "AllowOverride: x0 reads no .htaccess files, so only None is accepted";
}

/** SetHandler NAME | None. */
const char* set_handler(x0_cmd_parms_t* cmd, void* dir_cfg, int, const char* const* argv)
{
    auto* d = static_cast<core_dir_config*>(dir_cfg);
    if (strcasecmp(argv[0], "None") == 0)
        d->handler = cmd->path ? handler_none : nullptr;
    else
        d->handler = lower(cmd->pool, argv[0]);
    return nullptr;
}

/** ForceType TYPE | None. */
const char* set_force_type(x0_cmd_parms_t* cmd, void* dir_cfg, int, const char* const* argv)
{
    auto* d = static_cast<core_dir_config*>(dir_cfg);
    if (strcasecmp(argv[0], "None") == 0)
        d->force_type = cmd->path ? handler_none : nullptr;
    else
        d->force_type = lower(cmd->pool, argv[0]);
    return nullptr;
}

/** An extension as a table key: lower case, without its leading dot. */
const char* extension_key(apr_pool_t* p, const char* ext)
{
    return lower(p, ext[0] == '.' ? ext + 1 : ext);
}

/** AddHandler NAME ext...: a file with one of these extensions gets NAME. */
const char* add_handler(x0_cmd_parms_t* cmd, void* dir_cfg, int argc, const char* const* argv)
{
    auto* d = static_cast<core_dir_config*>(dir_cfg);
    apr_hash_t* h = apr_hash_make(cmd->pool);
    if (d->ext_handlers)
        h = apr_hash_copy(cmd->pool, d->ext_handlers);
    const char* name = lower(cmd->pool, argv[0]);
    for (int i = 1; i < argc; ++i)
        apr_hash_set(h, extension_key(cmd->pool, argv[i]), APR_HASH_KEY_STRING, name);
    d->ext_handlers = h;
    return nullptr;
}

/** "A;B" or "A B": filter names, each of which must be registered by now. */
const char* filter_list(x0_cmd_parms_t* cmd, const char* text, bool output,
                        apr_array_header_t* out)
{
    char* last;
    char* copy = apr_pstrdup(cmd->pool, text);
    for (char* name = apr_strtok(copy, ";", &last); name; name = apr_strtok(nullptr, ";", &last)) {
        const x0_filter_rec_t* f = x0_find_filter(name);
        if (!f || (output ? !f->out : !f->in))
            return apr_psprintf(cmd->temp_pool, "%s: unknown %s filter '%s' (is its module "
                                "loaded?)", cmd->directive->name, output ? "output" : "input",
                                name);
        APR_ARRAY_PUSH(out, const char*) = f->name;
    }
    return nullptr;
}

/** SetOutputFilter / SetInputFilter FILTER[;FILTER...] */
template <bool output>
const char* set_filters(x0_cmd_parms_t* cmd, void* dir_cfg, int argc, const char* const* argv)
{
    auto* d = static_cast<core_dir_config*>(dir_cfg);
    auto* list = apr_array_make(cmd->pool, 2, sizeof(const char*));
    for (int i = 0; i < argc; ++i)
        if (const char* err = filter_list(cmd, argv[i], output, list))
            return err;
    (output ? d->output_filters : d->input_filters) = list;
    return nullptr;
}

/** AddOutputFilter / AddInputFilter FILTER[;FILTER...] ext... */
template <bool output>
const char* add_filters(x0_cmd_parms_t* cmd, void* dir_cfg, int argc, const char* const* argv)
{
    auto* d = static_cast<core_dir_config*>(dir_cfg);
    apr_hash_t*& table = output ? d->ext_output_filters : d->ext_input_filters;
    table = table ? apr_hash_copy(cmd->pool, table) : apr_hash_make(cmd->pool);
    auto* list = apr_array_make(cmd->pool, 2, sizeof(const char*));
    if (const char* err = filter_list(cmd, argv[0], output, list))
        return err;
    for (int i = 1; i < argc; ++i)
        apr_hash_set(table, extension_key(cmd->pool, argv[i]), APR_HASH_KEY_STRING, list);
    return nullptr;
}

/**
 * ErrorDocument STATUS text|/local/path|URL|default. As httpd: a text is
 * sent as the body (one leading quote marks it, and is dropped), a path is
 * served in place of the error page, a URL gets a 302 to it.
 */
const char* set_error_document(x0_cmd_parms_t* cmd, void* dir_cfg, int, const char* const* argv)
{
    long status;
    if (x0_conf_number(cmd->temp_pool, argv[0], 400, 599, &status))
        return "ErrorDocument: the status must be a number from 400 to 599";
    auto* d = static_cast<core_dir_config*>(dir_cfg);
    apr_hash_t* h = d->error_documents ? apr_hash_copy(cmd->pool, d->error_documents)
                                       : apr_hash_make(cmd->pool);
    int* key = static_cast<int*>(apr_palloc(cmd->pool, sizeof(int)));
    *key = static_cast<int>(status);
    const char* what = strcasecmp(argv[1], "default") == 0 ? "" : argv[1];
    apr_hash_set(h, key, sizeof(int), what);
    d->error_documents = h;
    return nullptr;
}

/** DocumentRoot DIR: must exist; kept absolute, as realpath gives it. */
const char* set_document_root(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    const char* path = x0_server_root_relative(cmd->temp_pool, argv[0]);
    char real[PATH_MAX];
    struct stat st;
    if (!realpath(path, real) || stat(real, &st) != 0 || !S_ISDIR(st.st_mode))
        return apr_psprintf(cmd->temp_pool, "DocumentRoot '%s' is not a directory", path);
    size_t n = strlen(real);
    if (n > 1 && real[n - 1] == '/')
        real[n - 1] = '\0';
    core_server_conf(cmd->server)->document_root = apr_pstrdup(cmd->pool, real);
    return nullptr;
}

const char* set_server_admin(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    cmd->server->server_admin = argv[0];
    return nullptr;
}

/** x0 never resolves client addresses to names; Off is all it can honour. */
const char* set_hostname_lookups(x0_cmd_parms_t*, void*, int, const char* const* argv)
{
    if (strcasecmp(argv[0], "Off") == 0)
        return nullptr;
    return "HostnameLookups: x0 does not look up client host names; only Off is accepted";
}

const char* set_server_alias(x0_cmd_parms_t* cmd, void*, int argc, const char* const* argv)
{
    if (!cmd->server->is_virtual)
        return "ServerAlias only used in <VirtualHost>";
    if (!cmd->server->aliases)
        cmd->server->aliases = apr_array_make(cmd->pool, argc, sizeof(const char*));
    for (int i = 0; i < argc; ++i)
        APR_ARRAY_PUSH(cmd->server->aliases, const char*) = lower(cmd->pool, argv[i]);
    return nullptr;
}

const char* set_load_module(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    return load_module(cmd->pool, cmd->temp_pool, argv[0], argv[1]);
}

/** LimitRequestBody BYTES: 0 for no limit (httpd's default is 1 GiB). */
const char* set_limit_request_body(x0_cmd_parms_t* cmd, void* dir_cfg, int,
                                   const char* const* argv)
{
    long n;
    if (const char* err = x0_conf_number(cmd->temp_pool, argv[0], 0, LONG_MAX, &n))
        return apr_pstrcat(cmd->pool, "LimitRequestBody ", err, nullptr);
    static_cast<core_dir_config*>(dir_cfg)->limit_request_body = n;
    return nullptr;
}

/** MaxRanges N | none | unlimited | default, as httpd's. */
const char* set_max_ranges(x0_cmd_parms_t* cmd, void* dir_cfg, int, const char* const* argv)
{
    auto* d = static_cast<core_dir_config*>(dir_cfg);
    long n;
    if (strcasecmp(argv[0], "none") == 0)
        d->max_ranges = 0;
    else if (strcasecmp(argv[0], "unlimited") == 0)
        d->max_ranges = INT_MAX;
    else if (strcasecmp(argv[0], "default") == 0)
        d->max_ranges = default_max_ranges;
    else if (const char* err = x0_conf_number(cmd->temp_pool, argv[0], 1, INT_MAX, &n))
        return apr_pstrcat(cmd->pool, "MaxRanges ", err, " (or none, unlimited, default)",
                           nullptr);
    else
        d->max_ranges = static_cast<int>(n);
    return nullptr;
}

constexpr int servers = X0_CONF_SERVERS;
constexpr int main_only = X0_CONF_SERVER;
constexpr int anywhere = X0_CONF_ANYWHERE;

const x0_directive_t core_directives[] = {
    {"LoadModule", set_load_module, 2, 2, main_only, "name_module path/to/mod_name.so"},
    {"Listen", set_listen, 1, 2, main_only,
     "[address:]port [protocol], address is a.b.c.d, * or [ipv6]; protocol http or https"},
    {"ServerName", set_server_name, 1, 1, servers, "the host name of this server"},
    {"ServerAlias", set_server_alias, 1, -1, servers, "more names of this virtual host"},
    {"ServerAdmin", set_server_admin, 1, 1, servers, "an e-mail address or URL"},
    {"HostnameLookups", set_hostname_lookups, 1, 1, anywhere, "Off"},
    {"ServerRoot", set_root, 1, 1, main_only, "the directory relative paths start from"},
    {"DocumentRoot", set_document_root, 1, 1, servers, "the directory files are served from"},
    {"Workers", set_workers, 1, 1, main_only, "number of worker processes, or auto"},
    {"KeepAlive", set_keep_alive, 1, 1, servers, "On or Off"},
    {"KeepAliveTimeout", set_keep_alive_timeout, 1, 1, servers,
     "seconds (or NNNms) an idle connection is kept"},
    {"MaxKeepAliveRequests", set_server_int<&x0_server_t::max_keep_alive_requests, 0, INT_MAX>,
     1, 1, servers, "requests per connection, 0 for unlimited"},
    {"Timeout", set_timeout, 1, 1, servers, "seconds (or NNNms) to wait for I/O"},
    {"LimitRequestLine", set_server_int<&x0_server_t::limit_req_line, 1, 65536>, 1, 1,
     main_only, "longest request line in bytes"},
    {"LimitRequestFieldSize", set_server_int<&x0_server_t::limit_req_fieldsize, 1, 65536>, 1, 1,
     main_only, "longest header field in bytes"},
    {"LimitRequestFields", set_server_int<&x0_server_t::limit_req_fields, 0, 32767, true>, 1, 1,
     main_only, "most header fields in a request, 0 for 32767"},
    {"ErrorLog", set_error_log, 1, 1, main_only, "the error log file"},
    {"LogLevel", set_log_level, 1, -1, servers,
     "a level (emerg ... debug), and module:level pairs (LogLevel info ssl:warn)"},
    {"PidFile", set_pid_file, 1, 1, main_only, "the file the master writes its pid to"},
    {"ListenBacklog", set_core_int<&core_server_config::listen_backlog, 1, 65535>, 1, 1,
     main_only, "length of the pending connection queue"},
    {"MaxConnections", set_core_int<&core_server_config::max_connections, 1, 1048576>, 1, 1,
     main_only, "open connections per worker"},
    {"LoopbackCongestionControl", set_loopback_congestion, 1, 1, main_only,
     "TCP congestion control of connections from this host (default reno), or system"},
    {"AcceptFilter", set_accept_filter, 2, 2, main_only,
     "protocol (http, https) and data (the kernel waits for the request's first bytes "
     "before it hands a connection over; the default) or none"},
    {"User", set_user, 1, 1, main_only,
     "the user the workers run as (name or #uid); root only when written out"},
    {"Group", set_group, 1, 1, main_only, "the group the workers run as (name or #gid)"},
    {"GracefulShutdownTimeout",
     set_core_int<&core_server_config::graceful_shutdown_timeout, 0, max_interval_sec>, 1, 1,
     main_only, "seconds an old worker may take to finish after a graceful restart, 0 for "
     "no bound"},
    {"Options", set_options, 1, -1, anywhere,
     "None, All, or [+|-]Indexes, FollowSymLinks, SymLinksIfOwnerMatch"},
    {"AllowOverride", set_allow_override, 1, -1, anywhere,
     "None (x0 reads no .htaccess files)"},
    {"SetHandler", set_handler, 1, 1, anywhere, "a handler name, or None"},
    {"AddHandler", add_handler, 2, -1, anywhere, "handler-name extension [extension ...]"},
    {"ForceType", set_force_type, 1, 1, anywhere, "a media type, or None"},
    {"SetOutputFilter", set_filters<true>, 1, -1, anywhere, "filter[;filter...]"},
    {"SetInputFilter", set_filters<false>, 1, -1, anywhere, "filter[;filter...]"},
    {"AddOutputFilter", add_filters<true>, 2, -1, anywhere,
     "filter[;filter...] extension [extension ...]"},
    {"AddInputFilter", add_filters<false>, 2, -1, anywhere,
     "filter[;filter...] extension [extension ...]"},
    {"ErrorDocument", set_error_document, 2, 2, anywhere,
     "status text|/local/path|http://url|default"},
    {"LimitRequestBody", set_limit_request_body, 1, 1, anywhere,
     "largest request body in bytes, 0 for no limit"},
    {"MaxRanges", set_max_ranges, 1, 1, anywhere,
     "ranges per request before the whole file is sent: N, none, unlimited or default"},
    {nullptr, nullptr, 0, 0, 0, nullptr},
};

void register_hooks(apr_pool_t*)
{
    register_core_filters();
    register_core_request_hooks();
}

} // namespace

const char* pid_file_path(const x0_server_t* s)
{
    const char* path = core_server_conf(s)->pid_file;
    return path ? path : x0_server_root_relative(s->pool, default_pid_file);
}

} // namespace x0

x0_module_t core_module = {
    X0_MODULE_HEADER,
    "core",
    x0::create_dir,
    x0::merge_dir,
    x0::create_server,
    x0::merge_server,
    x0::core_directives,
    x0::register_hooks,
};

extern "C" {

int x0_allow_options(const x0_request_t* r)
{
    auto* d = static_cast<const x0::core_dir_config*>(x0_get_dir_config(r, &core_module));
    return d ? d->options : 0;
}

const char* x0_document_root(const x0_server_t* s)
{
    return x0::core_server_conf(s)->document_root;
}

} // extern "C"
