/* Setting up the error log (the public API is include/x0/log.h). */
#ifndef X0_SRC_LOG_H
#define X0_SRC_LOG_H

#include "x0/http.h"
#include "x0/log.h"

namespace x0 {

/** The level for messages logged without a server. */
void log_set_level(int level);

/**
 * The LogLevel directive: `LogLevel [module:]level...` (httpd 2.4). A
 * plain level sets cmd->server->log_level; `ssl:warn` (or `ssl_module:warn`,
 * or `core:info`) sets the level of one module's messages in that server.
 * A virtual host without a level for a module uses the main server's for
 * it, else its own plain level. The module must be loaded before the line.
 * Returns NULL or an error message (the reader adds FILE:LINE).
 */
const char* log_level_directive(x0_cmd_parms_t* cmd, int argc, const char* const* argv);

/** The level in force for @a m (NULL: the core) in @a s (NULL: the main server). */
int log_module_level(const x0_module_t* m, const x0_server_t* s);

} // namespace x0

#endif
