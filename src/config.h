/* Reading an Apache-style configuration file. */
#ifndef X0_CONFIG_H
#define X0_CONFIG_H

#include "x0/http.h"

namespace x0 {

/**
 * Make the main server: add the built-in modules, create the configs, read
 * @a file (relative paths resolve against the server root) and check it.
 * On error returns NULL and sets @a error to "FILE:LINE: message".
 * Nothing is opened but the config files themselves (and TypesConfig etc.
 * read by directive handlers).
 */
x0_server_t* read_config(apr_pool_t* pconf, apr_pool_t* ptemp, const char* file,
                         const char** error);

/** Set the server root (from -d); the default is the install prefix. */
void set_server_root(apr_pool_t* p, const char* dir);
const char* server_root();

/** The <Location> sections of @a s, in file order (of location_section). */
apr_array_header_t* server_locations(const x0_server_t* s);

} // namespace x0

#endif
