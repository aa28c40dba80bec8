/*
 * mod_status: a copy of the scoreboard taken once per status request, and
 * the four ways to show it. Public API only (x0/scoreboard.h), so the unit
 * tests render a scoreboard they filled themselves.
 */
#ifndef X0_MOD_STATUS_RENDER_H
#define X0_MOD_STATUS_RENDER_H

#include <apr_buckets.h>
#include <apr_tables.h>

#include "x0/scoreboard.h"

namespace status {

/** One request row, with the slot it came from. */
struct status_request {
    int slot;
    int pid;
    x0_scoreboard_request_t row;
};

/** The scoreboard as one status request saw it; everything in its pool. */
struct status_snapshot {
    apr_time_t now;
    apr_time_t started;            /**< the server's first start */
    int generation;                /**< the newest one */
    const char* server_name;       /**< the first line of ?auto, as httpd's */
    const char* version;           /**< "x0/0.x" */
    int slots;
    x0_scoreboard_worker_t* workers; /**< [slots] */
    int* held;                     /**< [slots]: 1 if a worker holds the slot */
    apr_array_header_t* requests;  /**< of status_request */
    /* Sums over the slots. */
    apr_uint64_t requests_total;
    apr_uint64_t bytes_total;
    apr_uint64_t connections_total;
    int conns[X0_SB_CONN_STATES];
    int requests_active;
    int processes;                 /**< slots held */
    int busy;                      /**< held slots with a request in flight */
    int stopping;                  /**< held slots of an older generation */
};

/** Copy the scoreboard; @a now is the time to measure ages and rates against. */
status_snapshot* status_collect(apr_pool_t* p, apr_time_t now, const char* server_name,
                                const char* version);

/** httpd's ?auto: `Key: value` lines after the server's name (docs/status.md). */
void status_render_auto(const status_snapshot* s, apr_bucket_brigade* bb);
/** ?json: one object. */
void status_render_json(const status_snapshot* s, apr_bucket_brigade* bb);
/** ?prometheus: OpenMetrics text, ending with `# EOF`. */
void status_render_prometheus(const status_snapshot* s, apr_bucket_brigade* bb);
/** The HTML page. */
void status_render_html(const status_snapshot* s, apr_bucket_brigade* bb);

/** Short names of x0_sb_conn_state_e: idle, busy, handler, closing. */
const char* status_conn_state_name(int state);

} // namespace status

#endif
