/**
 * @file x0/types.h
 * @brief Forward declarations, status codes and the export marker shared by
 *        the whole module API. Compiles on its own, from C and from C++.
 */
#ifndef X0_TYPES_H
#define X0_TYPES_H

#include <apr_errno.h>
#include <apr_pools.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Marks a declaration as part of x0's API. x0d is built with
 * -fvisibility=hidden: only what carries this marker is visible to a
 * loadable module, so a module that uses anything else fails to load
 * ("undefined symbol") instead of failing at its first request.
 */
#define X0_API __attribute__((visibility("default")))

typedef struct x0_server_t x0_server_t;
typedef struct x0_conn_t x0_conn_t;
typedef struct x0_request_t x0_request_t;
typedef struct x0_filter_t x0_filter_t;
typedef struct x0_filter_rec_t x0_filter_rec_t;
typedef struct x0_module_t x0_module_t;
typedef struct x0_cmd_parms_t x0_cmd_parms_t;

/** Hook results. A hook returns one of these or an HTTP status (>= 100). */
#define X0_OK 0
/** The hook does not apply to this request; the next one is asked. */
#define X0_DECLINED -1
/** Handler will finish later (on a timer, on writability); the request stays open. */
#define X0_SUSPENDED -2

/**
 * Flow-control status from a pass down the output chain: the buckets were
 * accepted (set aside on the connection), but the client is not reading fast
 * enough. Pass nothing more until the request's resume callback runs.
 */
#define X0_FLOW_STOP (APR_OS_START_USERERR + 1)

/** Reading the request body: it is larger than LimitRequestBody (answer 413). */
#define X0_BODY_TOO_LARGE (APR_OS_START_USERERR + 2)
/** Reading the request body: its framing is broken (answer 400, then close). */
#define X0_BODY_MALFORMED (APR_OS_START_USERERR + 3)

#ifdef __cplusplus
}
#endif

#endif
