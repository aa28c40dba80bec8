/*
 * The core's part of a request between its head and its handler: the
 * default translation (DocumentRoot + path, httpd's ap_core_translate), the
 * per-directory walk, and what the per-directory config says about handler,
 * type and filters.
 */
#include "core_request.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <cstring>

#include "core_config.h"
#include "sections.h"

namespace x0 {
namespace {

core_dir_config* core_dir(const x0_request_t* r)
{
    return static_cast<core_dir_config*>(x0_get_dir_config(r, &core_module));
}

int core_translate(x0_request_t* r)
{
    const char* root = x0_document_root(r->server);
    if (!root || !r->path)
        return X0_DECLINED;
    r->filename = apr_pstrcat(r->pool, root, r->path, nullptr);
    r->context_root = root;
    return X0_OK;
}

int core_map_to_storage(x0_request_t* r)
{
    r->per_dir_config = directory_walk(r->pool, r->server, r->filename, r->path);
    return X0_OK;
}

/** The extension of @a filename's last component, lower case, or NULL. */
const char* extension_of(apr_pool_t* p, const char* filename)
{
    const char* slash = strrchr(filename, '/');
    const char* dot = strrchr(slash ? slash : filename, '.');
    if (!dot || !dot[1])
        return nullptr;
    char* ext = apr_pstrdup(p, dot + 1);
    for (char* c = ext; *c; ++c)
        *c = static_cast<char>(apr_tolower(*c));
    return ext;
}

void add_filters(x0_request_t* r, const apr_array_header_t* names, bool output)
{
    for (int i = 0; names && i < names->nelts; ++i) {
        const char* name = APR_ARRAY_IDX(names, i, const char*);
        if (output)
            x0_add_output_filter(name, nullptr, r, nullptr);
        else
            x0_add_input_filter(name, nullptr, r, nullptr);
    }
}

const apr_array_header_t* by_extension(apr_hash_t* table, const char* ext)
{
    if (!table || !ext)
        return nullptr;
    return static_cast<const apr_array_header_t*>(apr_hash_get(table, ext, APR_HASH_KEY_STRING));
}

} // namespace

void register_core_request_hooks()
{
    x0_hook_translate(core_translate, nullptr, nullptr, X0_HOOK_REALLY_LAST);
    x0_hook_map_to_storage(core_map_to_storage, nullptr, nullptr, X0_HOOK_REALLY_LAST);
}

void set_handler_and_type(x0_request_t* r)
{
    const core_dir_config* d = core_dir(r);
    r->handler = d->handler;
    if (!r->handler && d->ext_handlers && r->filename)
        if (const char* ext = extension_of(r->pool, r->filename))
            r->handler = static_cast<const char*>(
                apr_hash_get(d->ext_handlers, ext, APR_HASH_KEY_STRING));
    if (d->force_type)
        r->content_type = d->force_type;
}

void insert_configured_filters(x0_request_t* r)
{
    const core_dir_config* d = core_dir(r);
    add_filters(r, d->output_filters, true);
    add_filters(r, d->input_filters, false);
    if ((d->ext_output_filters || d->ext_input_filters) && r->filename) {
        const char* ext = extension_of(r->pool, r->filename);
        add_filters(r, by_extension(d->ext_output_filters, ext), true);
        add_filters(r, by_extension(d->ext_input_filters, ext), false);
    }
}

} // namespace x0
