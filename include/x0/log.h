/**
 * @file x0/log.h
 * @brief The error log.
 *
 * Every message carries a unique number so it greps to one call:
 * `x0_log_error(X0LOG(00042), X0_LOG_ERR, status, s, "cannot open %s", path);`
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

#ifdef __cplusplus
}
#endif

#endif
