/* Setting up the error log (the public API is include/x0/log.h). */
#ifndef X0_SRC_LOG_H
#define X0_SRC_LOG_H

#include "x0/http.h"
#include "x0/log.h"

namespace x0 {

/** The level for messages logged without a server. */
void log_set_level(int level);

} // namespace x0

#endif
