/* Running the hooks modules registered. */
#ifndef X0_HOOKS_H
#define X0_HOOKS_H

#include "x0/http.h"

namespace x0 {

int run_post_config(apr_pool_t* pconf, x0_server_t* s);
void run_child_init(apr_pool_t* pchild, x0_server_t* s);
int run_pre_connection(x0_conn_t* c);
/** All run; the first result other than X0_OK / X0_DECLINED is returned. */
int run_post_read_request(x0_request_t* r);
/** The first result other than X0_DECLINED is returned (X0_DECLINED if none). */
int run_translate(x0_request_t* r);
int run_fixups(x0_request_t* r);
int run_handler(x0_request_t* r);
void run_log_transaction(x0_request_t* r);

/** Drop every registered hook (before modules register again). */
void reset_hooks();

} // namespace x0

#endif
