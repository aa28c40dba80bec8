/*
 * The module registry and the config vectors built from it.
 *
 * Modules are added once per configuration read, before any request runs, so
 * a fixed array is enough. A config vector is a plain array of void*, one slot
 * per module, indexed by module_index (httpd:`include/http_config.h`,
 * ap_get_module_config).
 */
#include "modules.h"

#include <apr_file_info.h>
#include <apr_strings.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <strings.h>

#include "config.h"
#include "hooks.h"

namespace x0 {
namespace {

constexpr int max_modules = 64;
x0_module_t* modules[max_modules];
int modules_added = 0;

/**
 * Vectors built while the config is read get a slot for every module that
 * may still be added (LoadModule runs in the middle of the file); the reader
 * fills the new slots in. Vectors merged per request only need the modules
 * that exist by then.
 */
x0_config_vector_t* make_vector(apr_pool_t* p, int slots)
{
    return static_cast<x0_config_vector_t*>(apr_pcalloc(p, sizeof(void*) * slots));
}

} // namespace

const char* add_module(x0_module_t* m, apr_pool_t* p)
{
    if (m->abi_version != X0_MODULE_ABI)
        return apr_psprintf(p, "module %s has ABI %d, x0d expects %d", m->name,
                            m->abi_version, X0_MODULE_ABI);
    for (int i = 0; i < modules_added; ++i)
        if (modules[i] == m || strcmp(modules[i]->name, m->name) == 0)
            return apr_psprintf(p, "module %s is already loaded", m->name);
    if (modules_added == max_modules)
        return apr_psprintf(p, "module %s: too many modules (at most %d)", m->name,
                            max_modules);
    m->module_index = modules_added;
    modules[modules_added++] = m;
    if (m->register_hooks)
        m->register_hooks(p);
    return nullptr;
}

int module_count() { return modules_added; }

x0_module_t* module_at(int index)
{
    return index >= 0 && index < modules_added ? modules[index] : nullptr;
}

x0_module_t* find_module(const char* name)
{
    for (int i = 0; i < modules_added; ++i)
        if (strcmp(modules[i]->name, name) == 0)
            return modules[i];
    return nullptr;
}

x0_config_vector_t* create_dir_configs(apr_pool_t* p, const char* path)
{
    x0_config_vector_t* vec = make_vector(p, max_modules);
    for (int i = 0; i < modules_added; ++i)
        if (modules[i]->create_dir_config)
            vec[i] = modules[i]->create_dir_config(p, path);
    return vec;
}

x0_config_vector_t* create_server_configs(apr_pool_t* p, x0_server_t* s)
{
    x0_config_vector_t* vec = make_vector(p, max_modules);
    for (int i = 0; i < modules_added; ++i)
        if (modules[i]->create_server_config)
            vec[i] = modules[i]->create_server_config(p, s);
    return vec;
}

x0_config_vector_t* merge_dir_configs(apr_pool_t* p, x0_config_vector_t* base,
                                      x0_config_vector_t* add)
{
    x0_config_vector_t* vec = make_vector(p, modules_added > 0 ? modules_added : 1);
    for (int i = 0; i < modules_added; ++i) {
        void* b = base[i];
        void* a = add[i];
        if (!a)
            vec[i] = b;
        else if (!b || !modules[i]->merge_dir_config)
            vec[i] = a;
        else
            vec[i] = modules[i]->merge_dir_config(p, b, a);
    }
    return vec;
}

/**
 * A Location path matches whole path segments: "/foo" covers "/foo" and
 * "/foo/x" but not "/foobar"; a path ending in '/' covers everything below it.
 */
static bool location_matches(const char* loc, const char* path)
{
    size_t n = strlen(loc);
    if (strncmp(loc, path, n) != 0)
        return false;
    return (n > 0 && loc[n - 1] == '/') || path[n] == '\0' || path[n] == '/';
}

x0_config_vector_t* location_walk(apr_pool_t* p, x0_server_t* s, const char* path)
{
    x0_config_vector_t* result = s->lookup_defaults;
    const apr_array_header_t* locs = server_locations(s);
    if (!locs)
        return result;
    auto* secs = reinterpret_cast<const location_section*>(locs->elts);
    for (int i = 0; i < locs->nelts; ++i)
        if (location_matches(secs[i].path, path))
            result = merge_dir_configs(p, result, secs[i].dir_config);
    return result;
}

void reset_modules()
{
    modules_added = 0;
    reset_hooks();
}

} // namespace x0

extern "C" {

void* x0_get_module_config(const x0_config_vector_t* vec, const x0_module_t* m)
{
    return vec ? vec[m->module_index] : nullptr;
}

void* x0_get_server_config(const x0_server_t* s, const x0_module_t* m)
{
    return x0_get_module_config(s->module_config, m);
}

void* x0_get_dir_config(const x0_request_t* r, const x0_module_t* m)
{
    return x0_get_module_config(r->per_dir_config, m);
}

const char* x0_conf_flag(const char* arg, int* out)
{
    if (strcasecmp(arg, "on") == 0)
        *out = 1;
    else if (strcasecmp(arg, "off") == 0)
        *out = 0;
    else
        return "must be On or Off";
    return nullptr;
}

const char* x0_conf_number(const char* arg, long min, long max, long* out)
{
    // The range message needs the bounds but the API has no pool: it lives in
    // a buffer valid until the next call, which is enough for the config
    // reader (it copies the message at once).
    static thread_local char range_msg[80];
    if (*arg < '0' || *arg > '9')
        return "must be a number";
    char* end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (*end != '\0')
        return "must be a number";
    if (errno == ERANGE || v < min || v > max) {
        snprintf(range_msg, sizeof range_msg, "must be between %ld and %ld", min, max);
        return range_msg;
    }
    *out = v;
    return nullptr;
}

const char* x0_server_root_relative(apr_pool_t* p, const char* path)
{
    char* out;
    if (apr_filepath_merge(&out, x0::server_root(), path, 0, p) == APR_SUCCESS)
        return out;
    return apr_pstrcat(p, x0::server_root(), "/", path, nullptr);
}

} // extern "C"
