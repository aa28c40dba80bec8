/*
 * mod_status's renderers. Text goes straight into the brigade with
 * apr_brigade_printf (no flush function: the brigade collects it, and the
 * handler passes it once with its length). Everything a client controls
 * (request line, Host) is escaped for the format it lands in.
 */
#include "status_render.h"

#include <apr_strings.h>
#include <cinttypes>
#include <cstring>

namespace status {
namespace {

const char* const conn_state_names[X0_SB_CONN_STATES] = {"idle", "busy", "handler", "closing"};

void out(apr_bucket_brigade* bb, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

void out(apr_bucket_brigade* bb, const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    apr_brigade_vprintf(bb, nullptr, nullptr, fmt, ap);
    va_end(ap);
}

double seconds(apr_time_t t)
{
    return static_cast<double>(t) / APR_USEC_PER_SEC;
}

double uptime(const status_snapshot* s)
{
    double up = seconds(s->now - s->started);
    return up > 0 ? up : 0;
}

/** Per second over the uptime; 0 in the first instant. */
double rate(double total, const status_snapshot* s)
{
    double up = uptime(s);
    return up > 0 ? total / up : 0;
}

/** A held slot's letter: httpd's "_" idle, "W" a request in flight, "G" an old generation. */
char slot_letter(const status_snapshot* s, int i)
{
    if (!s->held[i])
        return '.';
    const x0_scoreboard_worker_t& w = s->workers[i];
    if (w.generation < s->generation)
        return 'G';
    return w.requests_active > 0 ? 'W' : '_';
}

/** JSON string: quotes, backslash and every byte outside printable ASCII escaped. */
void json_string(apr_bucket_brigade* bb, const char* text)
{
    char buf[8 * X0_SB_REQUEST_LEN + 2];
    size_t n = 0;
    buf[n++] = '"';
    for (const unsigned char* p = reinterpret_cast<const unsigned char*>(text); *p; ++p) {
        if (*p == '"' || *p == '\\') {
            buf[n++] = '\\';
            buf[n++] = static_cast<char>(*p);
        } else if (*p < 0x20 || *p >= 0x7f) {
            // Bytes are shown as Latin-1 code points: valid JSON whatever the client sent.
            n += static_cast<size_t>(apr_snprintf(buf + n, 7, "\\u%04x", *p));
        } else {
            buf[n++] = static_cast<char>(*p);
        }
        if (n > sizeof buf - 8)
            break;
    }
    buf[n++] = '"';
    apr_brigade_write(bb, nullptr, nullptr, buf, n);
}

void html_text(apr_bucket_brigade* bb, const char* text)
{
    for (const char* c = text; *c; ++c) {
        switch (*c) {
        case '<': apr_brigade_puts(bb, nullptr, nullptr, "&lt;"); break;
        case '>': apr_brigade_puts(bb, nullptr, nullptr, "&gt;"); break;
        case '&': apr_brigade_puts(bb, nullptr, nullptr, "&amp;"); break;
        case '"': apr_brigade_puts(bb, nullptr, nullptr, "&quot;"); break;
        default: apr_brigade_putc(bb, nullptr, nullptr, *c);
        }
    }
}

/** A request row's age in seconds. */
double age(const status_snapshot* s, const status_request& q)
{
    double a = seconds(s->now - q.row.started);
    return a > 0 ? a : 0;
}

bool slot_shown(const status_snapshot* s, int i)
{
    return s->held[i] || s->workers[i].requests > 0 || s->workers[i].connections > 0;
}

/** One OpenMetrics family: its TYPE and HELP, then a sample per slot shown. */
void metric_family(const status_snapshot* s, apr_bucket_brigade* bb, const char* family,
                   const char* type, const char* help, const char* sample_suffix,
                   bool held_only, apr_uint64_t (*value)(const x0_scoreboard_worker_t&))
{
    out(bb, "# TYPE %s %s\n# HELP %s %s\n", family, type, family, help);
    for (int i = 0; i < s->slots; ++i)
        if (held_only ? s->held[i] : slot_shown(s, i))
            out(bb, "%s%s{slot=\"%d\"} %" PRIu64 "\n", family, sample_suffix, i,
                static_cast<uint64_t>(value(s->workers[i])));
}

} // namespace

const char* status_conn_state_name(int state)
{
    return state >= 0 && state < X0_SB_CONN_STATES ? conn_state_names[state] : "?";
}

status_snapshot* status_collect(apr_pool_t* p, apr_time_t now, const char* server_name,
                                const char* version)
{
    auto* s = static_cast<status_snapshot*>(apr_pcalloc(p, sizeof(status_snapshot)));
    s->now = now;
    s->started = x0_scoreboard_started();
    s->generation = x0_scoreboard_generation();
    s->server_name = server_name ? server_name : "localhost";
    s->version = version;
    s->slots = x0_scoreboard_slots();
    s->workers = static_cast<x0_scoreboard_worker_t*>(
        apr_pcalloc(p, sizeof(x0_scoreboard_worker_t) * (s->slots ? s->slots : 1)));
    s->held = static_cast<int*>(apr_pcalloc(p, sizeof(int) * (s->slots ? s->slots : 1)));
    s->requests = apr_array_make(p, 8, sizeof(status_request));
    for (int i = 0; i < s->slots; ++i) {
        x0_scoreboard_worker_t& w = s->workers[i];
        s->held[i] = x0_scoreboard_worker(i, &w, sizeof w) == 1;
        s->requests_total += w.requests;
        s->bytes_total += w.bytes_sent;
        s->connections_total += w.connections;
        if (!s->held[i])
            continue;
        ++s->processes;
        for (int k = 0; k < X0_SB_CONN_STATES; ++k)
            s->conns[k] += w.conns[k];
        s->requests_active += w.requests_active;
        if (w.requests_active > 0)
            ++s->busy;
        if (w.generation < s->generation)
            ++s->stopping;
        for (int row = 0; row < x0_scoreboard_rows(); ++row) {
            status_request q;
            if (x0_scoreboard_request(i, row, &q.row, sizeof q.row) == 1) {
                q.slot = i;
                q.pid = w.pid;
                APR_ARRAY_PUSH(s->requests, status_request) = q;
            }
        }
    }
    return s;
}

void status_render_auto(const status_snapshot* s, apr_bucket_brigade* bb)
{
    int open = 0;
    for (int n : s->conns)
        open += n;
    double up = uptime(s);
    double total_kb = static_cast<double>(s->bytes_total) / 1024;
    out(bb, "%s\n", s->server_name);
    out(bb, "ServerVersion: %s\n", s->version);
    out(bb, "ServerMPM: x0-event\n");
    out(bb, "ParentServerConfigGeneration: %d\n", s->generation);
    out(bb, "ServerUptimeSeconds: %" PRIu64 "\n", static_cast<uint64_t>(up));
    out(bb, "Total Accesses: %" PRIu64 "\n", static_cast<uint64_t>(s->requests_total));
    out(bb, "Total kBytes: %" PRIu64 "\n", static_cast<uint64_t>(total_kb));
    out(bb, "Uptime: %" PRIu64 "\n", static_cast<uint64_t>(up));
    // APR's %g drops the leading zero (".2"), as httpd's ?auto does.
    out(bb, "ReqPerSec: %.6g\n", rate(static_cast<double>(s->requests_total), s));
    out(bb, "BytesPerSec: %.6g\n", rate(static_cast<double>(s->bytes_total), s));
    out(bb, "BytesPerReq: %.6g\n", s->requests_total ? static_cast<double>(s->bytes_total) /
                                                           static_cast<double>(s->requests_total)
                                                     : 0.0);
    out(bb, "BusyWorkers: %d\n", s->busy);
    out(bb, "IdleWorkers: %d\n", s->processes - s->busy);
    out(bb, "Processes: %d\n", s->processes);
    out(bb, "Stopping: %d\n", s->stopping);
    out(bb, "ConnsTotal: %d\n", open);
    out(bb, "ConnsAsyncWriting: %d\n", s->conns[X0_SB_CONN_BUSY] + s->conns[X0_SB_CONN_HANDLER]);
    out(bb, "ConnsAsyncKeepAlive: %d\n", s->conns[X0_SB_CONN_IDLE]);
    out(bb, "ConnsAsyncClosing: %d\n", s->conns[X0_SB_CONN_CLOSING]);
    out(bb, "x0RequestsInFlight: %d\n", s->requests_active);
    out(bb, "x0ConnectionsAccepted: %" PRIu64 "\n", static_cast<uint64_t>(s->connections_total));
    apr_brigade_puts(bb, nullptr, nullptr, "Scoreboard: ");
    for (int i = 0; i < s->slots; ++i)
        apr_brigade_putc(bb, nullptr, nullptr, slot_letter(s, i));
    apr_brigade_putc(bb, nullptr, nullptr, '\n');
}

void status_render_json(const status_snapshot* s, apr_bucket_brigade* bb)
{
    out(bb, "{\"server\": ");
    json_string(bb, s->server_name);
    out(bb, ", \"version\": ");
    json_string(bb, s->version);
    out(bb, ", \"uptime_seconds\": %.3f, \"generation\": %d, \"started_unix\": %.3f,\n",
        uptime(s), s->generation, seconds(s->started));
    out(bb, " \"requests_total\": %" PRIu64 ", \"sent_bytes_total\": %" PRIu64
        ", \"connections_accepted_total\": %" PRIu64 ", \"requests_per_second\": %.3f"
        ", \"bytes_per_second\": %.3f, \"requests_in_flight\": %d,\n",
        static_cast<uint64_t>(s->requests_total), static_cast<uint64_t>(s->bytes_total),
        static_cast<uint64_t>(s->connections_total),
        rate(static_cast<double>(s->requests_total), s),
        rate(static_cast<double>(s->bytes_total), s), s->requests_active);
    out(bb, " \"connections\": {");
    for (int k = 0; k < X0_SB_CONN_STATES; ++k)
        out(bb, "%s\"%s\": %d", k ? ", " : "", conn_state_names[k], s->conns[k]);
    out(bb, "},\n \"workers\": [");
    bool first = true;
    for (int i = 0; i < s->slots; ++i) {
        if (!slot_shown(s, i))
            continue;
        const x0_scoreboard_worker_t& w = s->workers[i];
        out(bb, "%s\n  {\"slot\": %d, \"pid\": %d, \"generation\": %d, \"state\": \"%c\", "
            "\"requests_total\": %" PRIu64 ", \"sent_bytes_total\": %" PRIu64
            ", \"connections_accepted_total\": %" PRIu64 ", \"requests_in_flight\": %d, "
            "\"connections\": {",
            first ? "" : ",", i, w.pid, w.generation, slot_letter(s, i),
            static_cast<uint64_t>(w.requests), static_cast<uint64_t>(w.bytes_sent),
            static_cast<uint64_t>(w.connections), w.requests_active);
        for (int k = 0; k < X0_SB_CONN_STATES; ++k)
            out(bb, "%s\"%s\": %d", k ? ", " : "", conn_state_names[k], w.conns[k]);
        out(bb, "}, \"memory\": {\"heap_bytes\": %" PRIu64 ", \"heap_max_bytes\": %" PRIu64
            ", \"worker_pool_bytes\": %" PRIu64 ", \"connection_pool_max_bytes\": %" PRIu64
            ", \"connection_pool_avg_bytes\": %" PRIu64 ", \"request_pool_max_bytes\": %" PRIu64
            ", \"request_pool_avg_bytes\": %" PRIu64 "}}",
            static_cast<uint64_t>(w.heap_bytes), static_cast<uint64_t>(w.heap_bytes_max),
            static_cast<uint64_t>(w.worker_pool_bytes),
            static_cast<uint64_t>(w.conn_pool_bytes_max),
            static_cast<uint64_t>(w.conn_pool_releases ? w.conn_pool_bytes / w.conn_pool_releases
                                                       : 0),
            static_cast<uint64_t>(w.request_pool_bytes_max),
            static_cast<uint64_t>(w.requests ? w.request_pool_bytes / w.requests : 0));
        first = false;
    }
    out(bb, "],\n \"requests\": [");
    for (int j = 0; j < s->requests->nelts; ++j) {
        const status_request& q = APR_ARRAY_IDX(s->requests, j, status_request);
        out(bb, "%s\n  {\"slot\": %d, \"pid\": %d, \"client\": ", j ? "," : "", q.slot, q.pid);
        json_string(bb, q.row.client);
        out(bb, ", \"vhost\": ");
        json_string(bb, q.row.vhost);
        out(bb, ", \"request\": ");
        json_string(bb, q.row.request);
        out(bb, ", \"state\": \"%s\", \"age_seconds\": %.3f, \"sent_bytes\": %" PRIu64
            ", \"pool_bytes\": %" PRIu64 "}",
            status_conn_state_name(q.row.conn_state), age(s, q),
            static_cast<uint64_t>(q.row.bytes_sent), static_cast<uint64_t>(q.row.pool_bytes));
    }
    out(bb, "]}\n");
}

void status_render_prometheus(const status_snapshot* s, apr_bucket_brigade* bb)
{
    out(bb, "# TYPE x0_start_time_seconds gauge\n"
            "# HELP x0_start_time_seconds When the server first started (kept across restarts).\n"
            "x0_start_time_seconds %.3f\n", seconds(s->started));
    out(bb, "# TYPE x0_generation gauge\n"
            "# HELP x0_generation The configuration generation (1, then +1 per restart).\n"
            "x0_generation %d\n", s->generation);
    out(bb, "# TYPE x0_worker_info gauge\n"
            "# HELP x0_worker_info The worker process holding each scoreboard slot.\n");
    for (int i = 0; i < s->slots; ++i)
        if (s->held[i])
            out(bb, "x0_worker_info{slot=\"%d\",pid=\"%d\",generation=\"%d\"} 1\n", i,
                s->workers[i].pid, s->workers[i].generation);
    metric_family(s, bb, "x0_requests", "counter",
                  "Requests whose response is done (or cut off), by scoreboard slot.", "_total",
                  false, [](const x0_scoreboard_worker_t& w) { return w.requests; });
    metric_family(s, bb, "x0_sent_bytes", "counter",
                  "Bytes written to clients for those requests (r->bytes_sent).", "_total", false,
                  [](const x0_scoreboard_worker_t& w) { return w.bytes_sent; });
    metric_family(s, bb, "x0_connections_accepted", "counter", "Connections accepted.",
                  "_total", false,
                  [](const x0_scoreboard_worker_t& w) { return w.connections; });
    metric_family(s, bb, "x0_requests_in_flight", "gauge",
                  "Requests between their head and their last byte.", "", true,
                  [](const x0_scoreboard_worker_t& w) {
                      return static_cast<apr_uint64_t>(w.requests_active);
                  });
    out(bb, "# TYPE x0_connections gauge\n"
            "# HELP x0_connections Open connections by state (docs/status.md).\n");
    for (int i = 0; i < s->slots; ++i)
        if (s->held[i])
            for (int k = 0; k < X0_SB_CONN_STATES; ++k)
                out(bb, "x0_connections{slot=\"%d\",state=\"%s\"} %d\n", i, conn_state_names[k],
                    s->workers[i].conns[k]);
    metric_family(s, bb, "x0_heap_bytes", "gauge",
                  "Bytes malloc has handed out in the worker (APR blocks included), sampled "
                  "each second.", "", true,
                  [](const x0_scoreboard_worker_t& w) { return w.heap_bytes; });
    metric_family(s, bb, "x0_heap_max_bytes", "gauge", "The largest x0_heap_bytes sample.", "",
                  true, [](const x0_scoreboard_worker_t& w) { return w.heap_bytes_max; });
    metric_family(s, bb, "x0_worker_pool_bytes", "gauge",
                  "Blocks of the worker's own pool (connection records), sampled each second.",
                  "", true, [](const x0_scoreboard_worker_t& w) { return w.worker_pool_bytes; });
    metric_family(s, bb, "x0_connection_pool_max_bytes", "gauge",
                  "The largest connection pool, measured when it was destroyed.", "", true,
                  [](const x0_scoreboard_worker_t& w) { return w.conn_pool_bytes_max; });
    metric_family(s, bb, "x0_request_pool_max_bytes", "gauge",
                  "The largest request pool, measured at its request's end.", "", true,
                  [](const x0_scoreboard_worker_t& w) { return w.request_pool_bytes_max; });
    metric_family(s, bb, "x0_request_pool_bytes", "counter",
                  "Sum of request pool sizes at their end (divide by x0_requests_total).",
                  "_total", false,
                  [](const x0_scoreboard_worker_t& w) { return w.request_pool_bytes; });
    metric_family(s, bb, "x0_connection_pool_bytes", "counter",
                  "Sum of connection pool sizes when destroyed.", "_total", false,
                  [](const x0_scoreboard_worker_t& w) { return w.conn_pool_bytes; });
    metric_family(s, bb, "x0_connection_pools_destroyed", "counter",
                  "Connection pools destroyed (a connection going idle or closing).", "_total",
                  false, [](const x0_scoreboard_worker_t& w) { return w.conn_pool_releases; });
    out(bb, "# EOF\n");
}

void status_render_html(const status_snapshot* s, apr_bucket_brigade* bb)
{
    char started[APR_RFC822_DATE_LEN];
    apr_rfc822_date(started, s->started);
    out(bb, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>x0 status</title>"
            "</head>\n<body><h1>x0 status for ");
    html_text(bb, s->server_name);
    out(bb, "</h1>\n<p>%s; started %s, up %.0f s; generation %d</p>\n", s->version, started,
        uptime(s), s->generation);
    out(bb, "<p>%" PRIu64 " requests (%.2f/s), %" PRIu64 " bytes (%.0f B/s), %" PRIu64
            " connections accepted; %d requests in flight</p>\n",
        static_cast<uint64_t>(s->requests_total),
        rate(static_cast<double>(s->requests_total), s), static_cast<uint64_t>(s->bytes_total),
        rate(static_cast<double>(s->bytes_total), s),
        static_cast<uint64_t>(s->connections_total), s->requests_active);
    out(bb, "<h2>Workers</h2>\n<table border=\"1\">\n<tr><th>slot</th><th>pid</th>"
            "<th>gen</th><th>state</th><th>requests</th><th>bytes</th><th>idle</th>"
            "<th>busy</th><th>handler</th><th>closing</th><th>heap</th><th>heap max</th>"
            "<th>worker pool</th><th>conn pool max</th><th>request pool max</th></tr>\n");
    for (int i = 0; i < s->slots; ++i) {
        if (!slot_shown(s, i))
            continue;
        const x0_scoreboard_worker_t& w = s->workers[i];
        out(bb, "<tr><td>%d</td><td>%d</td><td>%d</td><td>%c</td><td>%" PRIu64 "</td><td>%"
                PRIu64 "</td>",
            i, w.pid, w.generation, slot_letter(s, i), static_cast<uint64_t>(w.requests),
            static_cast<uint64_t>(w.bytes_sent));
        for (int k = 0; k < X0_SB_CONN_STATES; ++k)
            out(bb, "<td>%d</td>", w.conns[k]);
        out(bb, "<td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%" PRIu64
                "</td><td>%" PRIu64 "</td></tr>\n",
            static_cast<uint64_t>(w.heap_bytes), static_cast<uint64_t>(w.heap_bytes_max),
            static_cast<uint64_t>(w.worker_pool_bytes),
            static_cast<uint64_t>(w.conn_pool_bytes_max),
            static_cast<uint64_t>(w.request_pool_bytes_max));
    }
    out(bb, "</table>\n<p>Scoreboard: <code>");
    for (int i = 0; i < s->slots; ++i)
        apr_brigade_putc(bb, nullptr, nullptr, slot_letter(s, i));
    out(bb, "</code> (_ idle, W a request in flight, G an older generation finishing, "
            ". free)</p>\n<h2>Requests in flight</h2>\n<table border=\"1\">\n<tr><th>slot</th>"
            "<th>pid</th><th>client</th><th>vhost</th><th>request</th><th>state</th>"
            "<th>age (s)</th><th>bytes</th><th>pool bytes</th></tr>\n");
    for (int j = 0; j < s->requests->nelts; ++j) {
        const status_request& q = APR_ARRAY_IDX(s->requests, j, status_request);
        out(bb, "<tr><td>%d</td><td>%d</td><td>", q.slot, q.pid);
        html_text(bb, q.row.client);
        out(bb, "</td><td>");
        html_text(bb, q.row.vhost);
        out(bb, "</td><td>");
        html_text(bb, q.row.request);
        out(bb, "</td><td>%s</td><td>%.1f</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td></tr>\n",
            status_conn_state_name(q.row.conn_state), age(s, q),
            static_cast<uint64_t>(q.row.bytes_sent), static_cast<uint64_t>(q.row.pool_bytes));
    }
    out(bb, "</table>\n</body></html>\n");
}

} // namespace status
