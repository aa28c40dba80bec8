/* The core's own request hooks: DocumentRoot, the per-directory walk, handlers and filters by extension. */
#ifndef X0_CORE_REQUEST_H
#define X0_CORE_REQUEST_H

#include "x0/http.h"

namespace x0 {

/** Register the core's translate and map_to_storage hooks (core register_hooks). */
void register_core_request_hooks();

/**
 * After the walk: r->handler from SetHandler or AddHandler (by the
 * extension of r->filename), r->content_type from ForceType.
 */
void set_handler_and_type(x0_request_t* r);

/** Add the SetOutputFilter/AddOutputFilter (and input) filters in force for @a r. */
void insert_configured_filters(x0_request_t* r);

} // namespace x0

#endif
