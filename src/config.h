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

/** The main server of the last configuration read (virtual hosts follow it). */
x0_server_t* main_server();

/** -D NAME: defined for <IfDefine> and ${NAME} (as ""), before the config is read. */
void add_define(apr_pool_t* p, const char* name);
bool is_defined(const char* name);

} // namespace x0

#endif
