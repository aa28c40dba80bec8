/*
 * The error log: one line per message on standard error (which x0d points
 * at the ErrorLog file), written with a single write() so that lines from
 * several workers sharing the file never interleave.
 */
#include <apr_strings.h>
#include <apr_time.h>
#include <cstdarg>
#include <cstdio>
#include <unistd.h>

#include "log.h"

namespace x0 {
namespace {

int main_level = X0_LOG_WARNING;

const char* const level_names[] = {"emerg", "alert", "crit", "error",
                                   "warn", "notice", "info", "debug"};

} // namespace

void log_set_level(int level) { main_level = level; }

} // namespace x0

extern "C" {

int x0_log_enabled(const x0_server_t* s, int level)
{
    return level <= (s ? s->log_level : x0::main_level);
}

void x0_log_error(const char* id, int level, apr_status_t status, const x0_server_t* s,
                  const char* fmt, ...)
{
    if (!x0_log_enabled(s, level))
        return;
    char line[2048];
    char date[APR_CTIME_LEN];
    apr_ctime(date, apr_time_now());
    int n = snprintf(line, sizeof(line), "[%s] [%s] [pid %d] %s", date,
                     x0::level_names[level], static_cast<int>(getpid()), id);
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    if (status != APR_SUCCESS && n < static_cast<int>(sizeof(line))) {
        char err[256];
        n += snprintf(line + n, sizeof(line) - n, ": %s", apr_strerror(status, err, sizeof(err)));
    }
    if (n > static_cast<int>(sizeof(line)) - 2)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, line, n);
    (void)ignored;
}

} // extern "C"
