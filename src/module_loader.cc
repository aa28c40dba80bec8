/*
 * LoadModule with apr_dso (httpd:`modules/core/mod_so.c`). APR opens the
 * object with RTLD_NOW, so a module that uses a symbol x0d does not export
 * (x0d exports only X0_API) is refused here, at configuration time, with the
 * loader's "undefined symbol" message, not at its first request.
 */
#include "module_loader.h"

#include <apr_dso.h>
#include <apr_strings.h>

#include "modules.h"
#include "x0/module.h"

namespace x0 {

const char* load_module(apr_pool_t* pconf, apr_pool_t* p, const char* symbol, const char* file)
{
    const char* path = x0_server_root_relative(p, file);
    for (int i = 0; i < module_count(); ++i) {
        x0_module_t* m = module_at(i);
        if (strcmp(apr_pstrcat(p, m->name, "_module", nullptr), symbol) == 0)
            return apr_psprintf(p, "module %s is already loaded%s%s", symbol,
                                module_origin(i) ? " from " : " (built in)",
                                module_origin(i) ? module_origin(i) : "");
    }
    char why[512];
    apr_dso_handle_t* dso;
    if (apr_dso_load(&dso, path, pconf) != APR_SUCCESS)
        return apr_psprintf(p, "cannot load %s: %s", path, apr_dso_error(dso, why, sizeof why));
    apr_dso_handle_sym_t sym;
    if (apr_dso_sym(&sym, dso, symbol) != APR_SUCCESS)
        return apr_psprintf(p, "cannot find module %s in %s: %s (is it an x0 module, and is "
                            "the name right?)", symbol, path, apr_dso_error(dso, why, sizeof why));
    auto* m = static_cast<x0_module_t*>(sym);
    return add_module(m, apr_pstrdup(pconf, path), p);
}

} // namespace x0
