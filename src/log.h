/* Where the error log goes (the public API is include/x0/log.h). */
#ifndef X0_SRC_LOG_H
#define X0_SRC_LOG_H

#include "x0/http.h"
#include "x0/log.h"

namespace x0 {

/** Write log lines to @a fd (the ErrorLog file, opened by the master). */
void log_set_fd(int fd);
/** The level for messages logged without a server. */
void log_set_level(int level);

} // namespace x0

#endif
