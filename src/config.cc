/*
 * Reading an Apache-style configuration file: one directive a line, '#'
 * comments, backslash continuation, quoted arguments, ${VAR} expansion,
 * containers (<VirtualHost>, <Location>, <Directory>, <Files> and their
 * Match forms, <IfModule>, <IfDefine>), Include and IncludeOptional, Define
 * (httpd:`server/config.c` ap_build_config, `server/util.c` ap_getword_conf,
 * ap_cfg_getline and ap_resolve_env).
 *
 * The whole file is read into the temp pool and cut into lines in place.
 * Containers are parsed by recursion: each level reads lines until its
 * closing tag, so a container must open and close in the same file.
 */
#include "config.h"

#include <apr_file_io.h>
#include <apr_fnmatch.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <strings.h>
#include <unistd.h>

#include "core_config.h"
#include "hooks.h"
#include "modules.h"
#include "sections.h"
#include "x0/log.h"

namespace x0 {
namespace {

/** Set by -d or ServerRoot; copied here so it outlives any config pool. */
char root_buf[APR_PATH_MAX] = X0_PREFIX;

/** Containers and Includes nested deeper than this are a loop or a mistake. */
constexpr int max_depth = 32;

/** Things the reader handles itself, described like directives for errors. */
const x0_directive_t section_syntax = {"<Location>", nullptr, 1, 2, X0_CONF_SERVERS,
                                       "<Location /path> or <Location ~ regex>"};
const x0_directive_t ifmodule_syntax = {"<IfModule>", nullptr, 1, 1, X0_CONF_ANYWHERE,
                                        "<IfModule [!]module>"};
const x0_directive_t ifdefine_syntax = {"<IfDefine>", nullptr, 1, 1, X0_CONF_ANYWHERE,
                                        "<IfDefine [!]NAME>"};
const x0_directive_t vhost_syntax = {"<VirtualHost>", nullptr, 1, -1, X0_CONF_SERVER,
                                     "<VirtualHost addr:port [addr:port ...]>"};
const x0_directive_t include_syntax = {"Include", nullptr, 1, 1, X0_CONF_ANYWHERE,
                                       "a file, or a pattern like conf.d/*.conf"};
const x0_directive_t include_optional_syntax = {"IncludeOptional", nullptr, 1, 1,
                                                X0_CONF_ANYWHERE,
                                                "a file, or a pattern like conf.d/*.conf"};
const x0_directive_t define_syntax = {"Define", nullptr, 1, 2, X0_CONF_ANYWHERE,
                                      "Define NAME [value]"};
const x0_directive_t undefine_syntax = {"UnDefine", nullptr, 1, 1, X0_CONF_ANYWHERE,
                                        "UnDefine NAME"};

/** The main server of the configuration read last. */
x0_server_t* current_main = nullptr;

/** Names given with -D (values ""), in the pool add_define() was given. */
apr_table_t* cmdline_defines = nullptr;

/**
 * The names in force while a configuration is read: the -D ones, then each
 * Define and UnDefine. Made afresh in each read's config pool, so that a
 * reload does not see the Defines of the configuration it replaces.
 */
apr_table_t* defines = nullptr;
apr_pool_t* defines_pool = nullptr;

/** A pool cleanup: the table the pointer points at is going away with its pool. */
apr_status_t forget_table(void* data)
{
    *static_cast<apr_table_t**>(data) = nullptr;
    return APR_SUCCESS;
}

struct parser {
    x0_server_t* main;               // the main server
    x0_server_t* s;                  // the server being read: main, or a <VirtualHost>
    apr_pool_t* p;                   // the config pool: argv, paths, errors
    apr_pool_t* ptemp;               // file contents
    int context;                     // X0_CONF_* of the innermost container
    const char* path;                // its argument, or NULL at server level
    const dir_section* directory;    // the enclosing <Directory>, for a <Files> in it
    x0_config_vector_t* dir_config;  // per-dir vector of the current scope
    apr_array_header_t* vectors;     // every per-dir vector built so far (of dir_vector)
    int modules_known;               // modules whose config slots are filled
    int depth;
};

/** A per-dir vector and the path its configs were created for. */
struct dir_vector {
    x0_config_vector_t* vec;
    const char* path;
};

/** One config file, read whole; lines are cut out of the buffer in place. */
struct source {
    const char* name;
    char* pos;
    char* end;
    int line;  // physical lines consumed so far
};

const char* fail(parser& ps, const source& src, int line, const char* msg)
{
    return apr_psprintf(ps.p, "%s:%d: %s", src.name, line, msg);
}

/** Read @a name whole. On failure returns "NAME: cannot open: why". */
const char* load_file(parser& ps, const char* name, source* src, apr_status_t* why)
{
    apr_file_t* f;
    apr_finfo_t fi;
    apr_status_t rv = apr_file_open(&f, name, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, ps.ptemp);
    if (rv == APR_SUCCESS) {
        rv = apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_TYPE, f);
        if (rv == APR_SUCCESS && fi.filetype == APR_DIR)
            rv = APR_FROM_OS_ERROR(EISDIR);
        if (rv == APR_SUCCESS) {
            char* buf = static_cast<char*>(apr_palloc(ps.ptemp, fi.size + 1));
            apr_size_t got = 0;
            rv = apr_file_read_full(f, buf, fi.size, &got);
            if (rv == APR_EOF)
                rv = APR_SUCCESS;  // the file shrank while we read it
            buf[got] = '\0';
            *src = {name, buf, buf + got, 0};
        }
        apr_file_close(f);
    }
    *why = rv;
    if (rv == APR_SUCCESS)
        return nullptr;
    char err[256];
    return apr_psprintf(ps.p, "%s: cannot open: %s", name, apr_strerror(rv, err, sizeof err));
}

/** The next physical line, trimmed, or NULL at the end of the file. */
char* physical_line(source& src)
{
    if (src.pos >= src.end)
        return nullptr;
    char* start = src.pos;
    char* nl = static_cast<char*>(memchr(start, '\n', src.end - start));
    char* stop = nl ? nl : src.end;
    src.pos = nl ? nl + 1 : src.end;
    ++src.line;
    while (stop > start && apr_isspace(stop[-1]))
        --stop;
    *stop = '\0';
    while (apr_isspace(*start))
        ++start;
    return start;
}

/**
 * The next logical line: continuation lines joined (the backslash removed,
 * as httpd does), comments and blank lines skipped. @a first gets the line
 * the directive starts on, which is what errors report.
 */
bool next_line(parser& ps, source& src, char** text, int* first)
{
    for (;;) {
        char* l = physical_line(src);
        if (!l)
            return false;
        *first = src.line;
        size_t n = strlen(l);
        while (n > 0 && l[n - 1] == '\\') {
            l[--n] = '\0';
            char* more = physical_line(src);
            if (!more)
                break;
            l = apr_pstrcat(ps.ptemp, l, more, nullptr);
            n = strlen(l);
        }
        while (n > 0 && apr_isspace(l[n - 1]))
            l[--n] = '\0';
        if (n > 0 && l[0] != '#') {
            *text = l;
            return true;
        }
    }
}

/**
 * Split @a line into words in the config pool. "double" and 'single' quotes
 * group a word; inside them a backslash escapes the quote character only
 * (httpd:`server/util.c` ap_getword_conf). The array is NULL-terminated.
 */
const char* split_words(apr_pool_t* p, const char* line, int* argc, const char* const** argv)
{
    apr_array_header_t* words = apr_array_make(p, 4, sizeof(const char*));
    const char* at = line;
    for (;;) {
        while (apr_isspace(*at))
            ++at;
        if (!*at)
            break;
        char* word;
        if (*at == '"' || *at == '\'') {
            char quote = *at++;
            const char* start = at;
            while (*at && *at != quote)
                at += (at[0] == '\\' && at[1] == quote) ? 2 : 1;
            if (!*at)
                return "unterminated quote in arguments";
            word = static_cast<char*>(apr_palloc(p, at - start + 1));
            char* out = word;
            for (const char* in = start; in < at; ++in) {
                if (in[0] == '\\' && in[1] == quote)
                    ++in;
                *out++ = *in;
            }
            *out = '\0';
            ++at;
        } else {
            const char* start = at;
            while (*at && !apr_isspace(*at))
                ++at;
            word = apr_pstrndup(p, start, at - start);
        }
        *static_cast<const char**>(apr_array_push(words)) = word;
    }
    *argc = words->nelts;
    *static_cast<const char**>(apr_array_push(words)) = nullptr;
    *argv = reinterpret_cast<const char* const*>(words->elts);
    return nullptr;
}

const char* count_word(apr_pool_t* p, int n)
{
    static const char* const words[] = {"no", "one", "two", "three"};
    return n < 4 ? words[n] : apr_itoa(p, n);
}

bool arg_count_ok(const x0_directive_t* d, int argc)
{
    return argc >= d->min_args && (d->max_args < 0 || argc <= d->max_args);
}

/** "Foo takes one argument: usage", httpd's wording. */
const char* arg_count_error(apr_pool_t* p, const x0_directive_t* d)
{
    int lo = d->min_args;
    int hi = d->max_args;
    const char* what;
    if (hi < 0)
        what = apr_psprintf(p, "at least %s argument%s", count_word(p, lo), lo == 1 ? "" : "s");
    else if (lo == hi)
        what = apr_psprintf(p, "%s argument%s", count_word(p, lo), lo == 1 ? "" : "s");
    else if (hi == lo + 1)
        what = apr_psprintf(p, "%s or %s arguments", count_word(p, lo), count_word(p, hi));
    else
        what = apr_psprintf(p, "%s to %s arguments", count_word(p, lo), count_word(p, hi));
    return apr_psprintf(p, "%s takes %s%s%s", d->name, what, d->usage ? ": " : "",
                        d->usage ? d->usage : "");
}

/** A module named as "static", "mod_static", "mod_static.c" or "static_module". */
bool module_present(parser& ps, const char* spec)
{
    size_t n = strlen(spec);
    if (strncmp(spec, "mod_", 4) == 0) {
        spec += 4;
        n -= 4;
    }
    if (n > 2 && strcmp(spec + n - 2, ".c") == 0)
        n -= 2;
    else if (n > 7 && strcmp(spec + n - 7, "_module") == 0)
        n -= 7;
    return find_module(apr_pstrndup(ps.ptemp, spec, n)) != nullptr;
}

/** A per-dir vector for @a path, remembered so that later modules get their slots. */
x0_config_vector_t* new_dir_vector(parser& ps, const char* path)
{
    x0_config_vector_t* vec = create_dir_configs(ps.p, path);
    *static_cast<dir_vector*>(apr_array_push(ps.vectors)) = {vec, path};
    return vec;
}

/**
 * A directive may have added a module (LoadModule): give it its slots in
 * every vector built so far, as if it had been there from the start.
 */
void adopt_new_modules(parser& ps)
{
    for (int i = ps.modules_known; i < module_count(); ++i) {
        x0_module_t* m = module_at(i);
        if (m->create_server_config)
            for (x0_server_t* s = ps.main; s; s = s->next)
                s->module_config[i] = m->create_server_config(ps.p, s);
        if (!m->create_dir_config)
            continue;
        for (int j = 0; j < ps.vectors->nelts; ++j) {
            const dir_vector& v = APR_ARRAY_IDX(ps.vectors, j, dir_vector);
            v.vec[i] = m->create_dir_config(ps.p, v.path);
        }
    }
    ps.modules_known = module_count();
}

/**
 * Replace ${NAME} with its Define (or, as httpd, an environment variable).
 * An undefined name is an error: httpd only warns, and then serves with the
 * literal text in a path or a name, which is never what was meant.
 */
const char* expand_vars(parser& ps, char** line)
{
    char* text = *line;
    if (!strstr(text, "${"))
        return nullptr;
    apr_array_header_t* out = apr_array_make(ps.ptemp, 4, sizeof(const char*));
    while (const char* open = strstr(text, "${")) {
        const char* close = strchr(open + 2, '}');
        if (!close)
            return "unterminated ${ in line";
        const char* name = apr_pstrndup(ps.ptemp, open + 2, close - open - 2);
        const char* value = apr_table_get(defines, name);
        if (!value)
            value = getenv(name);
        if (!value)
            return apr_psprintf(ps.ptemp, "variable ${%s} is not defined (Define it, or "
                                "set it in the environment)", name);
        APR_ARRAY_PUSH(out, const char*) = apr_pstrndup(ps.ptemp, text, open - text);
        APR_ARRAY_PUSH(out, const char*) = value;
        text = const_cast<char*>(close + 1);
    }
    APR_ARRAY_PUSH(out, const char*) = text;
    *line = apr_array_pstrcat(ps.ptemp, out, 0);
    return nullptr;
}

/** The name of the innermost container, for "not allowed here" messages. */
const char* context_name(int context)
{
    switch (context) {
    case X0_CONF_VHOST: return "<VirtualHost>";
    case X0_CONF_DIRECTORY: return "<Directory>";
    case X0_CONF_LOCATION: return "<Location>";
    case X0_CONF_FILES: return "<Files>";
    default: return "the server context";
    }
}

const char* parse_block(parser& ps, source& src, const char* end_name, int opened_at,
                        bool skip);

/** Parse one whole file in the current scope. */
const char* parse_file(parser& ps, const char* name, apr_status_t* why)
{
    source src;
    if (const char* err = load_file(ps, name, &src, why))
        return err;
    return parse_block(ps, src, nullptr, 0, false);
}

int compare_names(const void* a, const void* b)
{
    return strcmp(*static_cast<const char* const*>(a), *static_cast<const char* const*>(b));
}

/**
 * Include: one file, or every file matching a wildcard in the last path
 * component, in name order (httpd does the same). IncludeOptional accepts
 * a missing file and a pattern that matches nothing.
 */
const char* include(parser& ps, const source& src, int line, const char* arg, bool optional)
{
    const char* path = x0_server_root_relative(ps.p, arg);
    apr_status_t why;
    const char* err;
    if (!apr_fnmatch_test(path)) {
        err = parse_file(ps, path, &why);
        if (err && why != APR_SUCCESS)
            return optional && APR_STATUS_IS_ENOENT(why) ? nullptr : fail(ps, src, line, err);
        return err;
    }
    const char* slash = strrchr(path, '/');  // absolute, so there is one
    const char* dir = apr_pstrndup(ps.ptemp, path, slash - path + 1);
    const char* pattern = slash + 1;
    if (apr_fnmatch_test(dir))
        return fail(ps, src, line, "Include: wildcards are only allowed in the last path component");
    apr_dir_t* d;
    apr_status_t rv = apr_dir_open(&d, dir, ps.ptemp);
    if (rv != APR_SUCCESS) {
        if (optional && APR_STATUS_IS_ENOENT(rv))
            return nullptr;
        char buf[256];
        return fail(ps, src, line, apr_psprintf(ps.ptemp, "%s: cannot open: %s", dir,
                                               apr_strerror(rv, buf, sizeof buf)));
    }
    apr_array_header_t* names = apr_array_make(ps.ptemp, 8, sizeof(const char*));
    apr_finfo_t fi;
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d) == APR_SUCCESS) {
        if (fi.filetype == APR_DIR)
            continue;
        if (apr_fnmatch(pattern, fi.name, APR_FNM_PERIOD) == APR_SUCCESS)
            *static_cast<const char**>(apr_array_push(names)) =
                apr_pstrcat(ps.p, dir, fi.name, nullptr);
    }
    apr_dir_close(d);
    if (names->nelts == 0 && !optional)
        return fail(ps, src, line, apr_psprintf(ps.ptemp, "Include: no files match '%s'", path));
    qsort(names->elts, names->nelts, sizeof(const char*), compare_names);
    for (int i = 0; i < names->nelts; ++i) {
        err = parse_file(ps, reinterpret_cast<const char**>(names->elts)[i], &why);
        if (err)
            return why != APR_SUCCESS ? fail(ps, src, line, err) : err;
    }
    return nullptr;
}

/** A module's directive (or, with @a container, its container) named @a name. */
const x0_directive_t* find_directive(const char* name, bool container, x0_module_t** owner)
{
    for (int i = 0; i < module_count(); ++i) {
        x0_module_t* m = module_at(i);
        for (const x0_directive_t* e = m->directives; e && e->name; ++e)
            if (strcasecmp(e->name, name) == 0 && ((e->where & X0_CONF_CONTAINER) != 0) == container) {
                *owner = m;
                return e;
            }
    }
    return nullptr;
}

/** One directive line: look it up, check where and how many, run it. */
const char* directive(parser& ps, source& src, const char* text, int line)
{
    int argc;
    const char* const* argv;
    if (const char* err = split_words(ps.p, text, &argc, &argv))
        return fail(ps, src, line, err);
    const char* name = argv[0];
    ++argv;
    --argc;

    bool optional = strcasecmp(name, "IncludeOptional") == 0;
    if (optional || strcasecmp(name, "Include") == 0) {
        const x0_directive_t* d = optional ? &include_optional_syntax : &include_syntax;
        if (!arg_count_ok(d, argc))
            return fail(ps, src, line, arg_count_error(ps.ptemp, d));
        if (++ps.depth > max_depth)
            return fail(ps, src, line, "Include nested too deeply (does a file include itself?)");
        const char* err = include(ps, src, line, argv[0], optional);
        --ps.depth;
        return err;
    }

    if (strcasecmp(name, "Define") == 0 || strcasecmp(name, "UnDefine") == 0) {
        bool define = strcasecmp(name, "Define") == 0;
        const x0_directive_t* d = define ? &define_syntax : &undefine_syntax;
        if (!arg_count_ok(d, argc))
            return fail(ps, src, line, arg_count_error(ps.ptemp, d));
        if (strchr(argv[0], ':') || strchr(argv[0], '$'))
            return fail(ps, src, line, "Define: a variable name may not contain ':' or '$'");
        if (define)
            apr_table_set(defines, argv[0], argc > 1 ? argv[1] : "");
        else
            apr_table_unset(defines, argv[0]);
        return nullptr;
    }

    x0_module_t* owner = nullptr;
    const x0_directive_t* d = find_directive(name, false, &owner);
    if (!d)
        return fail(ps, src, line,
                    apr_psprintf(ps.ptemp, "Invalid command '%s', perhaps misspelled or defined "
                                 "by a module not included in the server configuration", name));
    if (!(d->where & ps.context))
        return fail(ps, src, line, apr_psprintf(ps.ptemp, "%s not allowed in %s", d->name,
                                                context_name(ps.context)));
    if (!arg_count_ok(d, argc))
        return fail(ps, src, line, arg_count_error(ps.ptemp, d));

    x0_cmd_parms_t cmd = {ps.s, ps.p, ps.ptemp, src.name, line, d, ps.context, ps.path, 0};
    if (const char* err = d->fn(&cmd, ps.dir_config[owner->module_index], argc, argv))
        return fail(ps, src, line, err);
    adopt_new_modules(ps);
    return nullptr;
}

/** The container names that open a per-directory section, and what they make. */
struct section_container {
    const char* name;
    section_kind kind;
    bool regex;       /**< the Match form */
    int context;      /**< X0_CONF_* inside it */
    int allowed_in;   /**< X0_CONF_* it may appear in */
};

const section_container section_containers[] = {
    {"Location", section_kind::location, false, X0_CONF_LOCATION, X0_CONF_SERVERS},
    {"LocationMatch", section_kind::location, true, X0_CONF_LOCATION, X0_CONF_SERVERS},
    {"Directory", section_kind::directory, false, X0_CONF_DIRECTORY, X0_CONF_SERVERS},
    {"DirectoryMatch", section_kind::directory, true, X0_CONF_DIRECTORY, X0_CONF_SERVERS},
    {"Files", section_kind::files, false, X0_CONF_FILES, X0_CONF_SERVERS | X0_CONF_DIRECTORY},
    {"FilesMatch", section_kind::files, true, X0_CONF_FILES, X0_CONF_SERVERS | X0_CONF_DIRECTORY},
};

const char* section(parser& ps, source& src, int line, const section_container& sc, int argc,
                    const char* const* argv)
{
    if (!(sc.allowed_in & ps.context))
        return fail(ps, src, line, apr_psprintf(ps.ptemp, "<%s> cannot occur within %s section",
                                                sc.name, context_name(ps.context)));
    // "<Location ~ regex>" is the old spelling of <LocationMatch regex>.
    bool regex = sc.regex;
    if (argc == 2 && !regex && strcmp(argv[0], "~") == 0) {
        regex = true;
        ++argv;
        --argc;
    }
    if (argc != 1) {
        x0_directive_t syntax = section_syntax;
        syntax.name = apr_psprintf(ps.ptemp, "<%s>", sc.name);
        syntax.usage = apr_psprintf(ps.ptemp, "<%s %s>", sc.name, sc.regex ? "regex" : "path");
        syntax.max_args = 1;
        return fail(ps, src, line, arg_count_error(ps.ptemp, &syntax));
    }
    if (sc.kind == section_kind::location && !regex && argv[0][0] != '/')
        return fail(ps, src, line, "<Location> path must start with '/'");
    dir_section* sec;
    if (const char* err = make_section(ps.p, sc.kind, argv[0], regex, &sec))
        return fail(ps, src, line, err);
    sec->within = sc.kind == section_kind::files ? ps.directory : nullptr;
    sec->file = src.name;
    sec->line = line;
    sec->dir_config = new_dir_vector(ps, sec->path);
    APR_ARRAY_PUSH(core_server_conf(ps.s)->sections, dir_section*) = sec;

    parser outer = ps;
    ps.context = sc.context;
    ps.path = sec->path;
    ps.dir_config = sec->dir_config;
    if (sc.kind == section_kind::directory)
        ps.directory = sec;
    const char* err = parse_block(ps, src, sc.name, line, false);
    outer.modules_known = ps.modules_known;
    ps = outer;
    return err;
}

/** One address of <VirtualHost>: addr:port, *:port, addr, *, _default_, [v6]:port. */
const char* vhost_address(parser& ps, const char* arg, vhost_addr* out)
{
    const char* host = arg;
    const char* port = nullptr;
    if (arg[0] == '[') {
        const char* close = strchr(arg, ']');
        if (!close || (close[1] && close[1] != ':'))
            return apr_psprintf(ps.ptemp, "<VirtualHost> '%s': write IPv6 as [addr]:port", arg);
        host = apr_pstrndup(ps.ptemp, arg + 1, close - arg - 1);
        port = close[1] ? close + 2 : nullptr;
    } else if (const char* colon = strrchr(arg, ':')) {
        host = apr_pstrndup(ps.ptemp, arg, colon - arg);
        port = colon + 1;
    }
    out->port = 0;
    if (port && strcmp(port, "*") != 0) {
        long n;
        if (x0_conf_number(ps.ptemp, port, 1, 65535, &n))
            return apr_psprintf(ps.ptemp, "<VirtualHost> '%s': bad port '%s'", arg, port);
        out->port = static_cast<apr_port_t>(n);
    }
    out->host = nullptr;
    if (strcmp(host, "*") == 0 || strcasecmp(host, "_default_") == 0)
        return nullptr;
    unsigned char bin[sizeof(struct in6_addr)];
    bool v6 = strchr(host, ':') != nullptr;
    if (inet_pton(v6 ? AF_INET6 : AF_INET, host, bin) != 1)
        return apr_psprintf(ps.ptemp, "<VirtualHost> '%s': '%s' is not an IP address (x0 does "
                            "not resolve names here; use *:port with ServerName)", arg, host);
    char text[INET6_ADDRSTRLEN];
    out->host = apr_pstrdup(ps.p, inet_ntop(v6 ? AF_INET6 : AF_INET, bin, text, sizeof text));
    return nullptr;
}

const char* virtual_host(parser& ps, source& src, int line, int argc, const char* const* argv)
{
    if (ps.context != X0_CONF_SERVER)
        return fail(ps, src, line, apr_psprintf(ps.ptemp, "<VirtualHost> cannot occur within "
                                                "%s section", context_name(ps.context)));
    if (!arg_count_ok(&vhost_syntax, argc))
        return fail(ps, src, line, arg_count_error(ps.ptemp, &vhost_syntax));
    auto* v = static_cast<x0_server_t*>(apr_pcalloc(ps.p, sizeof(x0_server_t)));
    *v = *ps.main;
    v->server_name = nullptr;
    v->server_admin = nullptr;
    v->aliases = nullptr;
    v->defn_file = src.name;
    v->defn_line = line;
    v->is_virtual = 1;
    v->next = nullptr;
    // Unset until fix_up_virtual_hosts: the main server's value, wherever in
    // the file it is set, applies unless the virtual host sets its own.
    v->timeout = v->keep_alive_timeout = -1;
    v->keep_alive = v->max_keep_alive_requests = v->log_level = -1;
    v->module_config = create_server_configs(ps.p, v);
    v->lookup_defaults = new_dir_vector(ps, nullptr);
    auto* addrs = apr_array_make(ps.p, argc, sizeof(vhost_addr));
    for (int i = 0; i < argc; ++i)
        if (const char* err = vhost_address(ps, argv[i], static_cast<vhost_addr*>(
                                                             apr_array_push(addrs))))
            return fail(ps, src, line, err);
    core_server_conf(v)->addrs = addrs;
    x0_server_t** tail = &ps.main->next;
    while (*tail)
        tail = &(*tail)->next;
    *tail = v;

    parser outer = ps;
    ps.s = v;
    ps.context = X0_CONF_VHOST;
    ps.dir_config = v->lookup_defaults;
    const char* err = parse_block(ps, src, "VirtualHost", line, false);
    outer.modules_known = ps.modules_known;
    ps = outer;
    return err;
}

/** <IfDefine [!]NAME>: true when NAME was given with -D or Define. */
const char* if_define(parser& ps, source& src, int line, int argc, const char* const* argv)
{
    if (!arg_count_ok(&ifdefine_syntax, argc))
        return fail(ps, src, line, arg_count_error(ps.ptemp, &ifdefine_syntax));
    const char* name = argv[0];
    bool negate = name[0] == '!';
    if (negate)
        ++name;
    if (!*name)
        return fail(ps, src, line, arg_count_error(ps.ptemp, &ifdefine_syntax));
    bool defined = is_defined(name);
    return parse_block(ps, src, "IfDefine", line, defined == negate);
}

const char* if_module(parser& ps, source& src, int line, int argc, const char* const* argv)
{
    if (!arg_count_ok(&ifmodule_syntax, argc))
        return fail(ps, src, line, arg_count_error(ps.ptemp, &ifmodule_syntax));
    const char* spec = argv[0];
    bool negate = spec[0] == '!';
    if (negate)
        ++spec;
    if (!*spec)
        return fail(ps, src, line, arg_count_error(ps.ptemp, &ifmodule_syntax));
    return parse_block(ps, src, "IfModule", line, module_present(ps, spec) == negate);
}

/** A container a module defines (X0_CONF_CONTAINER): open, body, close. */
const char* module_container(parser& ps, source& src, int line, x0_module_t* owner,
                             const x0_directive_t* d, int argc, const char* const* argv)
{
    const char* shown = apr_psprintf(ps.ptemp, "<%s>", d->name);
    if (!(d->where & ps.context))
        return fail(ps, src, line, apr_psprintf(ps.ptemp, "%s not allowed in %s", shown,
                                                context_name(ps.context)));
    if (!arg_count_ok(d, argc)) {
        x0_directive_t named = *d;
        named.name = shown;
        return fail(ps, src, line, arg_count_error(ps.ptemp, &named));
    }
    x0_cmd_parms_t cmd = {ps.s, ps.p, ps.ptemp, src.name, line, d, ps.context, ps.path, 0};
    void* cfg = ps.dir_config[owner->module_index];
    if (const char* err = d->fn(&cmd, cfg, argc, argv))
        return fail(ps, src, line, err);
    if (const char* err = parse_block(ps, src, d->name, line, false))
        return err;
    cmd.closing = 1;
    static const char* const no_args[] = {nullptr};
    if (const char* err = d->fn(&cmd, cfg, 0, no_args))
        return fail(ps, src, line, err);
    return nullptr;
}

const section_container* find_section_container(const char* name)
{
    for (const section_container& sc : section_containers)
        if (strcasecmp(sc.name, name) == 0)
            return &sc;
    return nullptr;
}

/**
 * A line starting with '<'. Sets @a closed when it is @a end_name's closing
 * tag. In a skipped block, inner containers are only balanced, never run.
 */
const char* container(parser& ps, source& src, char* text, int line, const char* end_name,
                      bool skip, bool* closed)
{
    size_t n = strlen(text);
    bool closing = text[1] == '/';
    char* name = text + (closing ? 2 : 1);
    char* name_end = name;
    while (*name_end && *name_end != '>' && !apr_isspace(*name_end))
        ++name_end;
    const char* shown = apr_pstrndup(ps.ptemp, name, name_end - name);
    if (text[n - 1] != '>')
        return fail(ps, src, line, apr_psprintf(ps.ptemp, "<%s%s directive missing closing '>'",
                                                closing ? "/" : "", shown));
    text[n - 1] = '\0';

    if (closing) {
        const char* rest = name_end;
        while (apr_isspace(*rest))
            ++rest;
        if (*rest != '\0')
            return fail(ps, src, line, apr_psprintf(ps.ptemp, "</%s> takes no arguments", shown));
        if (!end_name)
            return fail(ps, src, line, apr_psprintf(ps.ptemp, "</%s> without matching <%s> section",
                                                    shown, shown));
        if (strcasecmp(shown, end_name) != 0)
            return fail(ps, src, line, apr_psprintf(ps.ptemp, "Expected </%s> but saw </%s>",
                                                    end_name, shown));
        *closed = true;
        return nullptr;
    }

    if (++ps.depth > max_depth)
        return fail(ps, src, line, "containers nested too deeply");
    const char* err;
    if (skip) {
        err = parse_block(ps, src, shown, line, true);
    } else {
        int argc;
        const char* const* argv;
        err = split_words(ps.p, name_end, &argc, &argv);
        if (err)
            err = fail(ps, src, line, err);
        else if (const section_container* sc = find_section_container(shown))
            err = section(ps, src, line, *sc, argc, argv);
        else if (strcasecmp(shown, "VirtualHost") == 0)
            err = virtual_host(ps, src, line, argc, argv);
        else if (strcasecmp(shown, "IfModule") == 0)
            err = if_module(ps, src, line, argc, argv);
        else if (strcasecmp(shown, "IfDefine") == 0)
            err = if_define(ps, src, line, argc, argv);
        else if (x0_module_t* owner; const x0_directive_t* d = find_directive(shown, true, &owner))
            err = module_container(ps, src, line, owner, d, argc, argv);
        else
            err = fail(ps, src, line,
                       apr_psprintf(ps.ptemp, "Invalid command '<%s', perhaps misspelled or "
                                    "defined by a module not included in the server "
                                    "configuration", shown));
    }
    --ps.depth;
    return err;
}

/**
 * Read lines until </end_name> (or the end of the file at the top level of
 * a file, where @a end_name is NULL). @a skip: only balance containers.
 */
const char* parse_block(parser& ps, source& src, const char* end_name, int opened_at, bool skip)
{
    char* text;
    int line;
    while (next_line(ps, src, &text, &line)) {
        const char* err = skip ? nullptr : expand_vars(ps, &text);
        if (err)
            return fail(ps, src, line, err);
        if (text[0] == '<') {
            bool closed = false;
            err = container(ps, src, text, line, end_name, skip, &closed);
            if (!err && closed)
                return nullptr;
        } else {
            err = skip ? nullptr : directive(ps, src, text, line);
        }
        if (err)
            return err;
    }
    if (end_name)
        return fail(ps, src, opened_at, apr_psprintf(ps.ptemp, "<%s> was not closed", end_name));
    return nullptr;
}

} // namespace

void set_server_root(apr_pool_t* p, const char* dir)
{
    char* abs;
    if (apr_filepath_merge(&abs, nullptr, dir, 0, p) == APR_SUCCESS)
        dir = abs;
    apr_cpystrn(root_buf, dir, sizeof root_buf);
}

const char* server_root() { return root_buf; }

x0_server_t* main_server() { return current_main; }

void add_define(apr_pool_t* p, const char* name)
{
    if (!cmdline_defines) {
        cmdline_defines = apr_table_make(p, 4);
        apr_pool_cleanup_register(p, &cmdline_defines, forget_table, apr_pool_cleanup_null);
    }
    apr_table_set(cmdline_defines, name, "");
    if (defines)
        apr_table_set(defines, name, "");
}

bool is_defined(const char* name)
{
    apr_table_t* t = defines ? defines : cmdline_defines;
    return t && apr_table_get(t, name);
}

namespace {

/**
 * What a virtual host did not set comes from the main server: the fields of
 * x0_server_t, the modules' server configs, the per-directory defaults.
 */
void fix_up_virtual_hosts(parser& ps)
{
    x0_server_t* main = ps.main;
    for (x0_server_t* v = main->next; v; v = v->next) {
        if (v->timeout < 0)
            v->timeout = main->timeout;
        if (v->keep_alive_timeout < 0)
            v->keep_alive_timeout = main->keep_alive_timeout;
        if (v->keep_alive < 0)
            v->keep_alive = main->keep_alive;
        if (v->max_keep_alive_requests < 0)
            v->max_keep_alive_requests = main->max_keep_alive_requests;
        if (v->log_level < 0)
            v->log_level = main->log_level;
        if (!v->server_admin)
            v->server_admin = main->server_admin;
        if (!v->server_name)
            v->server_name = main->server_name;  // httpd falls back the same way
        // Main-server-only limits, wherever in the file they were set.
        v->limit_req_line = main->limit_req_line;
        v->limit_req_fieldsize = main->limit_req_fieldsize;
        v->limit_req_fields = main->limit_req_fields;
        v->module_config = merge_server_configs(ps.p, main->module_config, v->module_config);
        v->lookup_defaults = merge_dir_configs(ps.p, main->lookup_defaults, v->lookup_defaults);
        sort_sections(v);
    }
    sort_sections(main);
}

} // namespace

x0_server_t* read_config(apr_pool_t* pconf, apr_pool_t* ptemp, const char* file,
                         const char** error)
{
    *error = nullptr;
    current_main = nullptr;
    if (defines)  // its pool is alive, or its cleanup would have cleared it
        apr_pool_cleanup_kill(defines_pool, &defines, forget_table);
    defines = apr_table_make(pconf, 4);
    defines_pool = pconf;
    apr_pool_cleanup_register(pconf, &defines, forget_table, apr_pool_cleanup_null);
    const apr_array_header_t* given = cmdline_defines ? apr_table_elts(cmdline_defines) : nullptr;
    for (int i = 0; given && i < given->nelts; ++i)
        apr_table_set(defines, APR_ARRAY_IDX(given, i, apr_table_entry_t).key, "");
    auto* s = static_cast<x0_server_t*>(apr_pcalloc(pconf, sizeof(x0_server_t)));
    s->pool = pconf;
    s->defn_file = x0_server_root_relative(pconf, file);
    s->timeout = apr_time_from_sec(60);
    s->keep_alive = 1;
    s->keep_alive_timeout = apr_time_from_sec(5);
    s->max_keep_alive_requests = 100;
    s->limit_req_line = 8190;
    s->limit_req_fieldsize = 8190;
    s->limit_req_fields = 100;
    s->log_level = X0_LOG_WARNING;
    char host[256];
    if (gethostname(host, sizeof host) == 0) {
        host[sizeof host - 1] = '\0';
        s->server_name = apr_pstrdup(pconf, host);
    } else {
        s->server_name = "localhost";
    }

    for (x0_module_t* const* m = builtin_modules; *m; ++m)
        if ((*error = add_module(*m, nullptr, pconf)))
            return nullptr;
    s->module_config = create_server_configs(pconf, s);
    parser ps = {s, s, pconf, ptemp, X0_CONF_SERVER, nullptr, nullptr, nullptr,
                 apr_array_make(pconf, 16, sizeof(dir_vector)), module_count(), 0};
    s->lookup_defaults = new_dir_vector(ps, nullptr);
    ps.dir_config = s->lookup_defaults;

    apr_status_t why;
    if ((*error = parse_file(ps, s->defn_file, &why)))
        return nullptr;

    if (core_server_conf(s)->listens->nelts == 0) {
        *error = apr_psprintf(pconf, "%s: no Listen directive", s->defn_file);
        return nullptr;
    }
    if ((*error = sort_hooks(pconf)))
        return nullptr;
    fix_up_virtual_hosts(ps);
    current_main = s;
    return s;
}

} // namespace x0
