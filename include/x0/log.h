/**
 * @file x0/log.h
 * @brief The error log.
 *
 * Every message carries a unique number so it greps to one call:
 * `x0_log_error(X0LOG(00042), X0_LOG_ERR, status, s, "cannot open %s", path);`
 *
 * A line reads, as httpd 2.4's:
 *
 *   [Wed Dec 02 13:37:03.123456 2026] [ssl:warn] [pid 1234] [client 192.0.2.7:51234] X003101: text
 *
 * time (local, microseconds), module:level, process, the client where the
 * message is about one (x0_log_rerror, x0_log_cerror), the id, the text.
 * `LogLevel info ssl:warn` sets levels per module (docs/logging.md). A
 * message is its module's when it is logged with x0_log_merror,
 * x0_log_rerror or x0_log_cerror, or with x0_log_error in a file that
 * defines X0_LOG_MODULE (its module struct) before including this header:
 *
 *   #define X0_LOG_MODULE ssl_module
 *   #include <x0/log.h>
 *
 * otherwise it is the core's.
 */
#ifndef X0_LOG_H
#define X0_LOG_H

#include "x0/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Levels, as in Apache's LogLevel. */
typedef enum {
    X0_LOG_EMERG, X0_LOG_ALERT, X0_LOG_CRIT, X0_LOG_ERR,
    X0_LOG_WARNING, X0_LOG_NOTICE, X0_LOG_INFO, X0_LOG_DEBUG
} x0_log_level_e;

/** Message id prefix; use as the first argument of x0_log_error(). */
#define X0LOG(n) "X0" #n ": "

/**
 * Write one line to the error log when @a level is enabled.
 * @param id     X0LOG(nnnnn)
 * @param status an APR status to append as text, or 0 for none
 * @param s      the server whose LogLevel applies; NULL for the main server
 */
X0_API void x0_log_error(const char* id, int level, apr_status_t status,
                  const x0_server_t* s, const char* fmt, ...)
    __attribute__((format(printf, 5, 6)));

/** True when a message at @a level would be written (skip costly formatting). */
X0_API int x0_log_enabled(const x0_server_t* s, int level);

/* ABI 1.2 */

/**
 * x0_log_error for module @a m (NULL: the core): its LogLevel applies and
 * the line names it. @a c, when not NULL, adds the client's address.
 */
X0_API void x0_log_merror(const x0_module_t* m, const char* id, int level, apr_status_t status,
                          const x0_server_t* s, const x0_conn_t* c, const char* fmt, ...)
    __attribute__((format(printf, 7, 8)));

/** About request @a r: r->server's level, r's client. Worker. */
X0_API void x0_log_rerror(const x0_module_t* m, const char* id, int level, apr_status_t status,
                          const x0_request_t* r, const char* fmt, ...)
    __attribute__((format(printf, 6, 7)));

/** About connection @a c: its server's level, its client. Worker. */
X0_API void x0_log_cerror(const x0_module_t* m, const char* id, int level, apr_status_t status,
                          const x0_conn_t* c, const char* fmt, ...)
    __attribute__((format(printf, 6, 7)));

/** x0_log_enabled for module @a m (NULL: the core). */
X0_API int x0_log_module_enabled(const x0_module_t* m, const x0_server_t* s, int level);

#ifdef X0_LOG_MODULE
/* This file's messages are its module's (see the top). */
#ifdef __cplusplus
extern "C" X0_API x0_module_t X0_LOG_MODULE;
#else
extern X0_API x0_module_t X0_LOG_MODULE;
#endif
#define x0_log_error(id, level, status, s, ...) \
    x0_log_merror(&X0_LOG_MODULE, id, level, status, s, NULL, __VA_ARGS__)
#define x0_log_enabled(s, level) x0_log_module_enabled(&X0_LOG_MODULE, s, level)
#endif

#ifdef __cplusplus
}
#endif

#endif
