/* Running the hooks modules registered, in the order they asked for. */
#ifndef X0_HOOKS_H
#define X0_HOOKS_H

#include "x0/http.h"

namespace x0 {

/**
 * Put every hook table in its final order (order hint, then the modules'
 * before/after constraints). Call once all modules are added; returns an
 * error message (in @a p) when the constraints form a cycle, else NULL.
 */
const char* sort_hooks(apr_pool_t* p);

/** The name of the first hook whose table overflowed since the last reset, or NULL. */
const char* hooks_overflow();

/** The module of the @a index-th function on @a hook ("handler"), or NULL (tests, x0d -M). */
const char* hook_module_at(const char* hook, int index);

int run_post_config(apr_pool_t* pconf, x0_server_t* s);
void run_child_init(apr_pool_t* pchild, x0_server_t* s);
/** Is any connection_opened hook registered? (Else a connection gets no pool at accept.) */
bool have_connection_opened_hooks();
int run_connection_opened(x0_conn_t* c);
int run_pre_connection(x0_conn_t* c);
void run_connection_closing(x0_conn_t* c);
/** All run; the first result other than X0_OK / X0_DECLINED is returned. */
int run_post_read_request(x0_request_t* r);
/** The first result other than X0_DECLINED is returned (X0_DECLINED if none). */
int run_translate(x0_request_t* r);
int run_map_to_storage(x0_request_t* r);
int run_access_checker(x0_request_t* r);
int run_fixups(x0_request_t* r);
void run_insert_filter(x0_request_t* r);
void run_insert_error_filter(x0_request_t* r);
int run_handler(x0_request_t* r);
void run_log_transaction(x0_request_t* r);

/** Drop every registered hook (before modules register again). */
void reset_hooks();

} // namespace x0

#endif
