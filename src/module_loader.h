/* LoadModule: a module from a shared object. */
#ifndef X0_MODULE_LOADER_H
#define X0_MODULE_LOADER_H

#include <apr_pools.h>

namespace x0 {

/**
 * Load @a file (relative to the server root), find the symbol @a symbol
 * ("foo_module") in it, and add the module (add_module). The object stays
 * mapped until @a pconf is destroyed. Returns NULL, or an error message in
 * @a p that names the file: it cannot be opened, the symbol is missing, it
 * is not an x0 module, or it was built for another ABI.
 */
const char* load_module(apr_pool_t* pconf, apr_pool_t* p, const char* symbol, const char* file);

} // namespace x0

#endif
