/*
 * Matching and merging per-directory sections. Regular expressions are
 * POSIX extended ones (regcomp); glibc's regexec allocates internally and
 * frees before it returns, the one allocation outside a pool on this path,
 * and only for configurations that use the Match forms.
 */
#include "sections.h"

#include <apr_fnmatch.h>
#include <apr_strings.h>
#include <cstdlib>
#include <cstring>

#include "core_config.h"
#include "modules.h"

namespace x0 {
namespace {

apr_status_t free_regex(void* data)
{
    regfree(static_cast<regex_t*>(data));
    return APR_SUCCESS;
}

apr_array_header_t* sections_of(const x0_server_t* s)
{
    return core_server_conf(s)->sections;
}

int count_slashes(const char* path)
{
    int n = 0;
    for (; *path; ++path)
        n += *path == '/';
    return n;
}

/** "/foo" covers "/foo" and "/foo/x" but not "/foobar"; "/foo/" covers what is below it. */
bool prefix_matches(const char* prefix, const char* path)
{
    size_t n = strlen(prefix);
    if (strncmp(prefix, path, n) != 0)
        return false;
    return (n > 0 && prefix[n - 1] == '/') || path[n] == '\0' || path[n] == '/';
}

bool regex_matches(const regex_t* re, const char* text)
{
    return regexec(re, text, 0, nullptr, 0) == 0;
}

/** A Directory glob covers a path when it matches the path's first components. */
bool glob_dir_matches(apr_pool_t* p, const dir_section* d, const char* path)
{
    const char* end = path;
    for (int seen = 0; *end; ++end)
        if (*end == '/' && ++seen > d->depth)
            break;
    return apr_fnmatch(d->path, apr_pstrndup(p, path, end - path), APR_FNM_PATHNAME) ==
           APR_SUCCESS;
}

bool directory_matches(apr_pool_t* p, const dir_section* d, const char* filename)
{
    if (d->regex) {
        // DirectoryMatch looks at the directory part of the file's path.
        const char* slash = strrchr(filename, '/');
        const char* dir = slash ? apr_pstrndup(p, filename, slash - filename) : filename;
        return regex_matches(d->regex, dir) || regex_matches(d->regex, filename);
    }
    return d->glob ? glob_dir_matches(p, d, filename) : prefix_matches(d->path, filename);
}

bool files_matches(apr_pool_t* p, const dir_section* f, const char* filename)
{
    if (f->within && !directory_matches(p, f->within, filename))
        return false;
    const char* base = strrchr(filename, '/');
    base = base ? base + 1 : filename;
    if (f->regex)
        return regex_matches(f->regex, base);
    return apr_fnmatch(f->path, base, 0) == APR_SUCCESS;
}

bool location_matches(const dir_section* l, const char* path)
{
    if (l->regex)
        return regex_matches(l->regex, path);
    if (l->glob)
        return apr_fnmatch(l->path, path, APR_FNM_PATHNAME) == APR_SUCCESS;
    return prefix_matches(l->path, path);
}

/** Walk order: plain Directory sections by depth (stable), then everything else. */
int walk_rank(const dir_section* d)
{
    if (d->kind != section_kind::directory)
        return 1 << 20;
    return d->regex ? (1 << 19) : d->depth;
}

x0_config_vector_t* merge_locations(apr_pool_t* p, const x0_server_t* s, const char* path,
                                    x0_config_vector_t* result)
{
    const apr_array_header_t* secs = sections_of(s);
    for (int i = 0; i < secs->nelts; ++i) {
        auto* l = APR_ARRAY_IDX(secs, i, const dir_section*);
        if (l->kind == section_kind::location && path && location_matches(l, path))
            result = merge_dir_configs(p, result, l->dir_config);
    }
    return result;
}

} // namespace

const char* make_section(apr_pool_t* p, section_kind kind, const char* arg, bool regex,
                         dir_section** out)
{
    auto* d = static_cast<dir_section*>(apr_pcalloc(p, sizeof(dir_section)));
    d->kind = kind;
    d->path = arg;
    if (regex) {
        d->regex = static_cast<regex_t*>(apr_pcalloc(p, sizeof(regex_t)));
        int rc = regcomp(d->regex, arg, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char why[160];
            regerror(rc, d->regex, why, sizeof why);
            return apr_psprintf(p, "regular expression '%s' could not be compiled: %s", arg, why);
        }
        apr_pool_cleanup_register(p, d->regex, free_regex, apr_pool_cleanup_null);
    } else {
        d->glob = apr_fnmatch_test(arg) != 0;
    }
    if (kind == section_kind::directory && !regex) {
        char* path = apr_pstrdup(p, x0_server_root_relative(p, arg));
        size_t n = strlen(path);
        while (n > 1 && path[n - 1] == '/')
            path[--n] = '\0';
        d->path = path;
        // "/" has no component: it goes before "/var", which also has one '/'.
        d->depth = strcmp(path, "/") == 0 ? 0 : count_slashes(path);
    }
    *out = d;
    return nullptr;
}

void sort_sections(x0_server_t* s)
{
    apr_array_header_t* secs = sections_of(s);
    auto** e = reinterpret_cast<const dir_section**>(secs->elts);
    for (int i = 1; i < secs->nelts; ++i)
        for (int j = i; j > 0 && walk_rank(e[j - 1]) > walk_rank(e[j]); --j) {
            const dir_section* tmp = e[j];
            e[j] = e[j - 1];
            e[j - 1] = tmp;
        }
}

bool has_sections(const x0_server_t* s, section_kind kind)
{
    const apr_array_header_t* secs = sections_of(s);
    for (int i = 0; i < secs->nelts; ++i)
        if (APR_ARRAY_IDX(secs, i, const dir_section*)->kind == kind)
            return true;
    return false;
}

x0_config_vector_t* location_walk(apr_pool_t* p, const x0_server_t* s, const char* path)
{
    return merge_locations(p, s, path, s->lookup_defaults);
}

x0_config_vector_t* directory_walk(apr_pool_t* p, const x0_server_t* s, const char* filename,
                                   const char* path)
{
    x0_config_vector_t* result = s->lookup_defaults;
    const apr_array_header_t* secs = sections_of(s);
    for (int i = 0; filename && i < secs->nelts; ++i) {
        auto* d = APR_ARRAY_IDX(secs, i, const dir_section*);
        bool match = d->kind == section_kind::directory ? directory_matches(p, d, filename)
                   : d->kind == section_kind::files && files_matches(p, d, filename);
        if (match)
            result = merge_dir_configs(p, result, d->dir_config);
    }
    return merge_locations(p, s, path, result);
}

} // namespace x0
