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
#include "filters.h"
#include "hooks.h"

namespace x0 {
namespace {

struct module_slot {
    x0_module_t* module;
    const char* origin;   /**< the .so it came from, or NULL */
};
module_slot modules[max_modules];
int modules_added = 0;
x0_module_t* hooking = nullptr;

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

const char* check_module(x0_module_t* m, const char* origin, apr_pool_t* p)
{
    if (m->magic != X0_MODULE_MAGIC)
        return apr_psprintf(p, "%s is not an x0 module (bad magic number %#x)", origin, m->magic);
    if (m->abi_major != X0_ABI_MAJOR || m->abi_minor > X0_ABI_MINOR)
        return apr_psprintf(p, "%s was built for x0 module ABI %d.%d, but this x0d has ABI "
                            "%d.%d: rebuild the module against this x0", origin,
                            m->abi_major, m->abi_minor, X0_ABI_MAJOR, X0_ABI_MINOR);
    if (!m->name || !*m->name)
        return apr_psprintf(p, "%s: the module has no name", origin);
    for (int i = 0; i < modules_added; ++i)
        if (modules[i].module == m || strcmp(modules[i].module->name, m->name) == 0)
            return apr_psprintf(p, "module %s is already loaded", m->name);
    if (modules_added == max_modules)
        return apr_psprintf(p, "module %s: too many modules (at most %d)", m->name, max_modules);
    return nullptr;
}

} // namespace

const char* add_module(x0_module_t* m, const char* origin, apr_pool_t* p)
{
    if (const char* err = check_module(m, origin ? origin : "built-in module", p))
        return err;
    m->module_index = modules_added;
    modules[modules_added++] = {m, origin};
    if (m->register_hooks) {
        hooking = m;
        m->register_hooks(p);
        hooking = nullptr;
    }
    if (const char* hook = hooks_overflow())
        return apr_psprintf(p, "module %s: too many functions on hook %s", m->name, hook);
    if (const char* why = filters_overflow())
        return apr_psprintf(p, "module %s: %s", m->name, why);
    return nullptr;
}

x0_module_t* hooking_module() { return hooking; }

int module_count() { return modules_added; }

x0_module_t* module_at(int index)
{
    return index >= 0 && index < modules_added ? modules[index].module : nullptr;
}

const char* module_origin(int index)
{
    return index >= 0 && index < modules_added ? modules[index].origin : nullptr;
}

x0_module_t* find_module(const char* name)
{
    for (int i = 0; i < modules_added; ++i)
        if (strcmp(modules[i].module->name, name) == 0)
            return modules[i].module;
    return nullptr;
}

x0_config_vector_t* create_dir_configs(apr_pool_t* p, const char* path)
{
    x0_config_vector_t* vec = make_vector(p, max_modules);
    for (int i = 0; i < modules_added; ++i)
        if (modules[i].module->create_dir_config)
            vec[i] = modules[i].module->create_dir_config(p, path);
    return vec;
}

x0_config_vector_t* create_server_configs(apr_pool_t* p, x0_server_t* s)
{
    x0_config_vector_t* vec = make_vector(p, max_modules);
    for (int i = 0; i < modules_added; ++i)
        if (modules[i].module->create_server_config)
            vec[i] = modules[i].module->create_server_config(p, s);
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
        else if (!b || !modules[i].module->merge_dir_config)
            vec[i] = a;
        else
            vec[i] = modules[i].module->merge_dir_config(p, b, a);
    }
    return vec;
}

x0_config_vector_t* merge_server_configs(apr_pool_t* p, x0_config_vector_t* base,
                                         x0_config_vector_t* add)
{
    x0_config_vector_t* vec = make_vector(p, max_modules);
    for (int i = 0; i < modules_added; ++i) {
        void* b = base[i];
        void* a = add[i];
        if (!a)
            vec[i] = b;
        else if (!b || !modules[i].module->merge_server_config)
            vec[i] = a;
        else
            vec[i] = modules[i].module->merge_server_config(p, b, a);
    }
    return vec;
}

void reset_modules()
{
    modules_added = 0;
    reset_hooks();
    reset_filters();
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

const char* x0_conf_number(apr_pool_t* p, const char* arg, long min, long max, long* out)
{
    if (*arg < '0' || *arg > '9')
        return "must be a number";
    char* end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (*end != '\0')
        return "must be a number";
    if (errno == ERANGE || v < min || v > max)
        return apr_psprintf(p, "must be between %ld and %ld", min, max);
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
