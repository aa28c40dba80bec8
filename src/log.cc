/*
 * The error log: one line per message on standard error (which x0d points
 * at the ErrorLog file), written with a single write() so that lines from
 * several workers sharing the file never interleave. The line format is
 * httpd 2.4's (include/x0/log.h); levels are per server and per module.
 */
#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "modules.h"

namespace x0 {
namespace {

int main_level = X0_LOG_WARNING;

const char* const level_names[] = {"emerg", "alert", "crit", "error",
                                   "warn", "notice", "info", "debug"};

/** `LogLevel mod:level` of one server: a level per module index, -1 for none. */
struct module_levels {
    signed char level[max_modules];
};

/**
 * The levels of the configuration being read or served: server -> levels.
 * In the configuration pool; forgotten when that pool goes.
 */
apr_hash_t* levels_by_server;
apr_pool_t* levels_pool;
const module_levels* main_levels;  /**< the main server's, for virtual hosts */

apr_status_t forget_levels(void* pool)
{
    if (levels_pool != pool)
        return APR_SUCCESS;  // a newer configuration's are in force
    levels_by_server = nullptr;
    levels_pool = nullptr;
    main_levels = nullptr;
    return APR_SUCCESS;
}

module_levels* levels_for(x0_cmd_parms_t* cmd)
{
    if (levels_pool != cmd->pool) {
        levels_pool = cmd->pool;
        levels_by_server = apr_hash_make(cmd->pool);
        main_levels = nullptr;
        apr_pool_cleanup_register(cmd->pool, cmd->pool, forget_levels, apr_pool_cleanup_null);
    }
    auto* l = static_cast<module_levels*>(
        apr_hash_get(levels_by_server, &cmd->server, sizeof(cmd->server)));
    if (!l) {
        l = static_cast<module_levels*>(apr_palloc(cmd->pool, sizeof(module_levels)));
        memset(l->level, -1, sizeof l->level);
        auto** key = static_cast<x0_server_t**>(apr_palloc(cmd->pool, sizeof(x0_server_t*)));
        *key = cmd->server;
        apr_hash_set(levels_by_server, key, sizeof(*key), l);
        if (!cmd->server->is_virtual)
            main_levels = l;
    }
    return l;
}

int parse_level(const char* name)
{
    for (int i = 0; i < 8; ++i)
        if (strcasecmp(name, level_names[i]) == 0)
            return i;
    if (strcasecmp(name, "warning") == 0)
        return X0_LOG_WARNING;
    return -1;
}

/** "ssl", "ssl_module" or "mod_ssl.c" (httpd's spellings) -> the loaded module. */
x0_module_t* module_named(apr_pool_t* p, const char* name)
{
    apr_size_t n = strlen(name);
    const char* base = name;
    if (n > 7 && strcmp(name + n - 7, "_module") == 0)
        base = apr_pstrndup(p, name, n - 7);
    else if (strncmp(name, "mod_", 4) == 0)
        base = apr_pstrndup(p, name + 4, strcspn(name + 4, "."));
    return find_module(base);
}

int level_of(const x0_module_t* m, const x0_server_t* s)
{
    int plain = s ? s->log_level : main_level;
    if (!levels_by_server || !m || m->module_index < 0 || m->module_index >= max_modules)
        return plain;
    const auto* l = s ? static_cast<const module_levels*>(
                            apr_hash_get(levels_by_server, &s, sizeof(s)))
                      : main_levels;
    if (l && l->level[m->module_index] >= 0)
        return l->level[m->module_index];
    if (main_levels && main_levels->level[m->module_index] >= 0)
        return main_levels->level[m->module_index];
    return plain;
}

/** The core's messages answer to `LogLevel core:...`. */
const x0_module_t* core_or(const x0_module_t* m)
{
    return m ? m : find_module("core");
}

void write_line(const x0_module_t* m, const char* id, int level, apr_status_t status,
                const x0_conn_t* c, const char* fmt, va_list ap)
{
    char line[2048];
    char date[APR_CTIME_LEN];
    apr_time_t now = apr_time_now();
    apr_ctime(date, now);
    // "Wed Dec 02 13:37:03 2026" -> with microseconds after the seconds, as httpd.
    int n = snprintf(line, sizeof line, "[%.19s.%06d%s] [%s:%s] [pid %d] ", date,
                     static_cast<int>(apr_time_usec(now)), date + 19,
                     m ? m->name : "core", level_names[level], static_cast<int>(getpid()));
    if (c && c->client_ip && n < static_cast<int>(sizeof line))
        n += snprintf(line + n, sizeof line - n, "[client %s:%d] ", c->client_ip,
                      c->client_port);
    if (n < static_cast<int>(sizeof line))
        n += snprintf(line + n, sizeof line - n, "%s", id);
    if (n < static_cast<int>(sizeof line))
        n += vsnprintf(line + n, sizeof line - n, fmt, ap);
    if (status != APR_SUCCESS && n < static_cast<int>(sizeof line)) {
        char err[256];
        n += snprintf(line + n, sizeof line - n, ": %s", apr_strerror(status, err, sizeof err));
    }
    if (n > static_cast<int>(sizeof line) - 2)
        n = sizeof line - 2;
    line[n++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, line, n);
    (void)ignored;
}

} // namespace

void log_set_level(int level) { main_level = level; }

int log_module_level(const x0_module_t* m, const x0_server_t* s)
{
    return level_of(core_or(m), s);
}

const char* log_level_directive(x0_cmd_parms_t* cmd, int argc, const char* const* argv)
{
    for (int i = 0; i < argc; ++i) {
        const char* colon = strrchr(argv[i], ':');
        int level = parse_level(colon ? colon + 1 : argv[i]);
        if (level < 0)
            return apr_psprintf(cmd->temp_pool,
                                "LogLevel: \"%s\" is not a level (emerg, alert, crit, error, "
                                "warn, notice, info, debug), alone or as module:level",
                                colon ? colon + 1 : argv[i]);
        if (!colon) {
            cmd->server->log_level = level;
            continue;
        }
        const char* name = apr_pstrndup(cmd->temp_pool, argv[i], colon - argv[i]);
        x0_module_t* m = module_named(cmd->temp_pool, name);
        if (!m)
            return apr_psprintf(cmd->temp_pool,
                                "LogLevel: no module \"%s\" is loaded (LoadModule it before "
                                "this line)", name);
        levels_for(cmd)->level[m->module_index] = static_cast<signed char>(level);
    }
    return nullptr;
}

} // namespace x0

extern "C" {

int x0_log_enabled(const x0_server_t* s, int level)
{
    return level <= x0::log_module_level(nullptr, s);
}

int x0_log_module_enabled(const x0_module_t* m, const x0_server_t* s, int level)
{
    return level <= x0::log_module_level(m, s);
}

void x0_log_error(const char* id, int level, apr_status_t status, const x0_server_t* s,
                  const char* fmt, ...)
{
    if (!x0_log_enabled(s, level))
        return;
    va_list ap;
    va_start(ap, fmt);
    x0::write_line(nullptr, id, level, status, nullptr, fmt, ap);
    va_end(ap);
}

void x0_log_merror(const x0_module_t* m, const char* id, int level, apr_status_t status,
                   const x0_server_t* s, const x0_conn_t* c, const char* fmt, ...)
{
    if (!x0_log_module_enabled(m, s, level))
        return;
    va_list ap;
    va_start(ap, fmt);
    x0::write_line(m, id, level, status, c, fmt, ap);
    va_end(ap);
}

void x0_log_rerror(const x0_module_t* m, const char* id, int level, apr_status_t status,
                   const x0_request_t* r, const char* fmt, ...)
{
    if (!x0_log_module_enabled(m, r->server, level))
        return;
    va_list ap;
    va_start(ap, fmt);
    x0::write_line(m, id, level, status, r->connection, fmt, ap);
    va_end(ap);
}

void x0_log_cerror(const x0_module_t* m, const char* id, int level, apr_status_t status,
                   const x0_conn_t* c, const char* fmt, ...)
{
    const x0_server_t* s = c ? c->base_server : nullptr;
    if (!x0_log_module_enabled(m, s, level))
        return;
    va_list ap;
    va_start(ap, fmt);
    x0::write_line(m, id, level, status, c, fmt, ap);
    va_end(ap);
}

} // extern "C"
