/*
 * mod_log_config: access logs as httpd writes them.
 *
 *   LogFormat FORMAT [NICKNAME]     (combined, common, vhost_combined predefined)
 *   CustomLog FILE|"|command" FORMAT|NICKNAME
 *   TransferLog FILE|"|command"     (the last LogFormat without a nickname, else common)
 *   BufferedLogs On|Off
 *
 * Formats are compiled when the directive is read (log_format.cc). The
 * master opens every file and starts every piped logger in post_config,
 * before the workers fork and before they drop privileges; a graceful
 * restart reads the configuration again and so opens new descriptors
 * while the old workers finish on the old ones. Writing is log_writer.cc:
 * the lines of one loop turn leave together at its end.
 *
 * Bytes: CORE_OUT counts what it wrote for each response (r->bytes_sent).
 * The LOG_COUNT filter, placed after HTTP_HEADER and CHUNK and before the
 * connection filters, notes how long the head was (the first bytes
 * HTTP_HEADER passes are the whole head) and how much plaintext went down.
 * %O is r->bytes_sent (with TLS: the plaintext handed to the connection
 * filters, at most what CORE_OUT wrote), %b that minus the head, at most
 * the body handed down. docs/logging.md states the rules.
 */
#define X0_LOG_MODULE log_config_module  // our messages answer to LogLevel log_config:...
#include <apr_hash.h>
#include <apr_strings.h>
#include <cstring>

#include "log_format.h"
#include "log_writer.h"
#include "piped_log.h"
#include "x0/http.h"
#include "x0/log.h"
#include "x0/module.h"

X0_EXTERN_C X0_API x0_module_t log_config_module;

namespace x0log {
namespace {

/** One CustomLog line. */
struct log_spec {
    const char* target_name;   /**< path (absolute) or command */
    bool pipe;
    const log_format* format;
    const char* file;          /**< where it was configured, for messages */
    int line;
    log_target* target;        /**< set in post_config */
};

struct server_conf {
    apr_array_header_t* specs;   /**< of log_spec; empty: the main server's apply */
};

/** What one configuration read holds besides the server configs. */
struct config_state {
    apr_pool_t* pool;            /**< the configuration pool it belongs to */
    apr_hash_t* nicknames;       /**< name -> const log_format* */
    const log_format* transfer_format;
    bool buffered;
    apr_array_header_t* targets; /**< of log_target*, after post_config */
};

config_state state;

const char* const predefined[][2] = {
    {"common", "%h %l %u %t \"%r\" %>s %b"},
    {"combined", "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\""},
    {"vhost_combined", "%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\""},
};

apr_status_t forget_state(void* pconf)
{
    if (state.pool == pconf)
        state = config_state{};
    return APR_SUCCESS;
}

/**
 * The state of the configuration @a cmd reads; a new read starts afresh.
 * Forgotten with its pool, whether or not the read got to post_config: a
 * later configuration pool may come at the same address.
 */
config_state* state_for(apr_pool_t* pconf)
{
    if (state.pool != pconf) {
        state = config_state{};
        state.pool = pconf;
        apr_pool_cleanup_register(pconf, pconf, forget_state, apr_pool_cleanup_null);
        state.nicknames = apr_hash_make(pconf);
        for (const auto& d : predefined) {
            const log_format* f = nullptr;
            compile_format(pconf, d[1], &f);  // known good
            apr_hash_set(state.nicknames, d[0], APR_HASH_KEY_STRING, f);
        }
    }
    return &state;
}

void* create_server_conf(apr_pool_t* p, x0_server_t*)
{
    auto* sc = static_cast<server_conf*>(apr_pcalloc(p, sizeof(server_conf)));
    sc->specs = apr_array_make(p, 2, sizeof(log_spec));
    return sc;
}

/** httpd's rule: a virtual host with logs of its own writes only to those. */
void* merge_server_conf(apr_pool_t* p, void* base, void* add)
{
    auto* b = static_cast<server_conf*>(base);
    auto* a = static_cast<server_conf*>(add);
    auto* m = static_cast<server_conf*>(apr_palloc(p, sizeof(server_conf)));
    m->specs = a->specs->nelts > 0 ? a->specs : b->specs;
    return m;
}

server_conf* conf_of(const x0_server_t* s)
{
    return static_cast<server_conf*>(x0_get_server_config(s, &log_config_module));
}

const char* set_log_format(x0_cmd_parms_t* cmd, void*, int argc, const char* const* argv)
{
    config_state* st = state_for(cmd->pool);
    const log_format* f;
    if (const char* err = compile_format(cmd->pool, argv[0], &f))
        return err;
    if (argc == 2)
        apr_hash_set(st->nicknames, apr_pstrdup(cmd->pool, argv[1]), APR_HASH_KEY_STRING, f);
    else
        st->transfer_format = f;
    return nullptr;
}

const char* add_log(x0_cmd_parms_t* cmd, const char* target, const log_format* f)
{
    auto* spec = static_cast<log_spec*>(apr_array_push(conf_of(cmd->server)->specs));
    spec->pipe = target[0] == '|';
    if (spec->pipe) {
        const char* command = target + 1;
        while (*command == ' ' || *command == '\t')
            ++command;
        if (!*command)
            return "CustomLog: \"|\" needs a command, as \"|/usr/bin/logger -t x0\"";
        spec->target_name = command;
    } else {
        if (!*target)
            return "CustomLog needs a file name";
        spec->target_name = x0_server_root_relative(cmd->pool, target);
    }
    spec->format = f;
    spec->file = cmd->file;
    spec->line = cmd->line;
    return nullptr;
}

const char* set_custom_log(x0_cmd_parms_t* cmd, void*, int argc, const char* const* argv)
{
    config_state* st = state_for(cmd->pool);
    if (argc > 2)
        return "CustomLog: conditions (env=, expr=) are not supported by x0";
    const char* fmt = argv[1];
    const log_format* f;
    if (strchr(fmt, '%') || strchr(fmt, ' ')) {
        if (const char* err = compile_format(cmd->pool, fmt, &f))
            return err;
    } else if (!(f = static_cast<const log_format*>(
                     apr_hash_get(st->nicknames, fmt, APR_HASH_KEY_STRING)))) {
        return apr_psprintf(cmd->temp_pool,
                            "CustomLog: no LogFormat is named \"%s\" (define it with "
                            "LogFormat before this line, or give a format with %% tokens)",
                            fmt);
    }
    return add_log(cmd, argv[0], f);
}

const char* set_transfer_log(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    config_state* st = state_for(cmd->pool);
    const log_format* f = st->transfer_format;
    if (!f)
        f = static_cast<const log_format*>(apr_hash_get(st->nicknames, "common", APR_HASH_KEY_STRING));
    return add_log(cmd, argv[0], f);
}

const char* set_buffered_logs(x0_cmd_parms_t* cmd, void*, int, const char* const* argv)
{
    int on;
    if (const char* err = x0_conf_flag(argv[0], &on))
        return err;
    state_for(cmd->pool)->buffered = on != 0;
    return nullptr;
}

/** Master: open each target once, however many CustomLog lines name it. */
log_target* open_target(apr_pool_t* pconf, config_state* st, const log_spec& spec,
                        const char** err)
{
    auto** ts = reinterpret_cast<log_target**>(st->targets->elts);
    for (int i = 0; i < st->targets->nelts; ++i)
        if (ts[i]->pipe == spec.pipe && strcmp(ts[i]->name, spec.target_name) == 0)
            return ts[i];
    auto* t = static_cast<log_target*>(apr_pcalloc(pconf, sizeof(log_target)));
    t->name = spec.target_name;
    t->pipe = spec.pipe;
    t->fd = -1;
    *err = spec.pipe ? piped_log_start(pconf, t->name, &t->fd, &t->supervisor)
                     : target_open_file(pconf, t);
    if (*err)
        return nullptr;
    x0_log_error(X0LOG(05003), X0_LOG_INFO, 0, nullptr, "%s:%d: access log %s%s opened",
                 spec.file, spec.line, spec.pipe ? "|" : "", t->name);
    if (!spec.pipe) {
        // Only the workers write; their descriptor must outlive an exec of nothing.
        apr_pool_cleanup_register(pconf, reinterpret_cast<void*>(static_cast<intptr_t>(t->fd)),
                                  [](void* fd) -> apr_status_t {
                                      close(static_cast<int>(reinterpret_cast<intptr_t>(fd)));
                                      return APR_SUCCESS;
                                  },
                                  apr_pool_cleanup_null);
    }
    *reinterpret_cast<log_target**>(apr_array_push(st->targets)) = t;
    return t;
}

int log_post_config(apr_pool_t* pconf, x0_server_t* s)
{
    config_state* st = state_for(pconf);
    st->targets = apr_array_make(pconf, 4, sizeof(log_target*));
    for (x0_server_t* v = s; v; v = v->next) {
        apr_array_header_t* specs = conf_of(v)->specs;
        auto* list = reinterpret_cast<log_spec*>(specs->elts);
        for (int i = 0; i < specs->nelts; ++i) {
            if (list[i].target)
                continue;  // a virtual host sharing the main server's list
            const char* err = nullptr;
            list[i].target = open_target(pconf, st, list[i], &err);
            if (!list[i].target) {
                x0_log_error(X0LOG(05002), X0_LOG_EMERG, 0, s, "%s:%d: %s", list[i].file,
                             list[i].line, err);
                return 500;
            }
        }
    }
    return X0_OK;
}

void write_turn_lines(void*)
{
    auto** ts = reinterpret_cast<log_target**>(state.targets->elts);
    for (int i = 0; i < state.targets->nelts; ++i)
        target_turn_end(ts[i]);
}

void log_child_init(apr_pool_t* pchild, x0_server_t* s)
{
    if (!state.targets || state.targets->nelts == 0)
        return;
    auto** ts = reinterpret_cast<log_target**>(state.targets->elts);
    for (int i = 0; i < state.targets->nelts; ++i)
        target_child_init(pchild, ts[i], state.buffered);
    // One write per target and turn, not one per request.
    if (x0_loop_at_turn_end(pchild, write_turn_lines, nullptr) != APR_SUCCESS)
        x0_log_error(X0LOG(05004), X0_LOG_ERR, 0, s,
                     "no worker loop: access log lines are written only when 16 KiB are "
                     "gathered and at exit");
}

/* ---- LOG_COUNT: the head's length and the plaintext handed down ---- */

struct count_ctx {
    apr_off_t head;      /**< -1 until the first bytes passed */
    apr_off_t handed;    /**< bytes passed down, the head included */
    bool unknown;        /**< a bucket of unknown length went by (a pipe) */
};

const x0_filter_rec_t* count_rec;

apr_status_t count_filter(x0_filter_t* f, apr_bucket_brigade* bb)
{
    auto* cc = static_cast<count_ctx*>(f->ctx);
    for (apr_bucket* b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b)) {
        if (APR_BUCKET_IS_METADATA(b))
            continue;
        if (b->length == static_cast<apr_size_t>(-1)) {
            cc->unknown = true;
            continue;
        }
        if (cc->head < 0)
            cc->head = static_cast<apr_off_t>(b->length);  // HTTP_HEADER's head is one bucket
        cc->handed += static_cast<apr_off_t>(b->length);
    }
    return x0_pass_brigade(f->next, bb);
}

count_ctx* count_of(const x0_request_t* r)
{
    for (x0_filter_t* f = r->output_filters; f && f->r == r; f = f->next)
        if (f->frec == count_rec)
            return static_cast<count_ctx*>(f->ctx);
    return nullptr;
}

void insert_count(x0_request_t* r)
{
    if (conf_of(r->server)->specs->nelts == 0 || count_of(r))
        return;
    auto* cc = static_cast<count_ctx*>(apr_pcalloc(r->pool, sizeof(count_ctx)));
    cc->head = -1;
    x0_add_output_filter("LOG_COUNT", cc, r, nullptr);
}

/** %O and %b for @a r (the rules at the top). */
response_bytes count_bytes(const x0_request_t* r)
{
    response_bytes b{r->bytes_sent, r->bytes_sent};
    const count_ctx* cc = count_of(r);
    if (!cc || cc->head < 0)
        return b;  // no head went down: what was written, if anything, was not ours to split
    if (!cc->unknown && r->notes && apr_table_get(r->notes, "HTTPS") && cc->handed < b.sent)
        b.sent = cc->handed;  // CORE_OUT counted TLS records; the plaintext is what we log
    apr_off_t after_head = b.sent > cc->head ? b.sent - cc->head : 0;
    b.body = after_head;
    if (!cc->unknown && cc->handed - cc->head < b.body)
        b.body = cc->handed - cc->head;  // an interim 100 Continue is not body
    return b;
}

int log_transaction(x0_request_t* r)
{
    apr_array_header_t* specs = conf_of(r->server)->specs;
    if (specs->nelts == 0)
        return X0_DECLINED;
    static char line[max_file_line];
    log_context ctx{r, count_bytes(r), apr_time_now()};
    auto* list = reinterpret_cast<const log_spec*>(specs->elts);
    for (int i = 0; i < specs->nelts; ++i) {
        log_target* t = list[i].target;
        if (!t)
            continue;
        apr_size_t cap = max_line(t) < sizeof line ? max_line(t) : sizeof line;
        apr_size_t n = render_line(list[i].format, ctx, line, cap);
        target_write_line(t, line, n, ctx.now);
    }
    return X0_OK;
}

void log_register_hooks(apr_pool_t*)
{
    // After CHUNK (45), before the connection filters (50): the head comes
    // alone first, the body as it goes on the wire.
    count_rec = x0_register_output_filter("LOG_COUNT", count_filter,
                                          static_cast<x0_filter_type_e>(X0_FTYPE_TRANSFER + 1));
    x0_hook_post_config(log_post_config, nullptr, nullptr, X0_HOOK_MIDDLE);
    x0_hook_child_init(log_child_init, nullptr, nullptr, X0_HOOK_MIDDLE);
    x0_hook_insert_filter(insert_count, nullptr, nullptr, X0_HOOK_LAST);
    x0_hook_insert_error_filter(insert_count, nullptr, nullptr, X0_HOOK_LAST);
    x0_hook_log_transaction(log_transaction, nullptr, nullptr, X0_HOOK_MIDDLE);
}

const x0_directive_t log_directives[] = {
    {"LogFormat", set_log_format, 1, 2, X0_CONF_SERVERS, "FORMAT [NICKNAME]"},
    {"CustomLog", set_custom_log, 2, 3, X0_CONF_SERVERS,
     "FILE|\"|command\" FORMAT|NICKNAME"},
    {"TransferLog", set_transfer_log, 1, 1, X0_CONF_SERVERS, "FILE|\"|command\""},
    {"BufferedLogs", set_buffered_logs, 1, 1, X0_CONF_SERVER, "On or Off"},
    {nullptr, nullptr, 0, 0, 0, nullptr},
};

} // namespace
} // namespace x0log

X0_MODULE(log_config) = {
    X0_MODULE_HEADER, "log_config",
    nullptr, nullptr,
    x0log::create_server_conf, x0log::merge_server_conf,
    x0log::log_directives,
    x0log::log_register_hooks,
};
