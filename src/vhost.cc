/*
 * Virtual hosts as httpd resolves them (httpd:`server/vhost.c`): the
 * connection's local address picks the set of virtual hosts configured for
 * it (an exact address beats `*`, `_default_` and `*` match any address),
 * and the Host of each request picks one of the set by ServerName or
 * ServerAlias; the first of the set is the default.
 */
#include "vhost.h"

#include <apr_fnmatch.h>
#include <cstring>
#include <strings.h>

#include "core_config.h"

namespace x0 {
namespace {

/** 2 for an exact address match, 1 for a wildcard one, 0 for none. */
int address_match(const x0_server_t* s, const char* local_ip, int local_port)
{
    const apr_array_header_t* addrs = core_server_conf(s)->addrs;
    int best = 0;
    for (int i = 0; addrs && i < addrs->nelts; ++i) {
        const vhost_addr& a = APR_ARRAY_IDX(addrs, i, vhost_addr);
        if (a.port != 0 && a.port != local_port)
            continue;
        if (!a.host)
            best = best > 1 ? best : 1;
        else if (local_ip && strcmp(a.host, local_ip) == 0)
            return 2;
    }
    return best;
}

bool name_matches(const x0_server_t* s, const char* host)
{
    if (s->server_name && strcasecmp(s->server_name, host) == 0)
        return true;
    for (int i = 0; s->aliases && i < s->aliases->nelts; ++i)
        if (apr_fnmatch(APR_ARRAY_IDX(s->aliases, i, const char*), host,
                        APR_FNM_CASE_BLIND) == APR_SUCCESS)
            return true;
    return false;
}

} // namespace

x0_server_t* vhost_for_address(x0_server_t* main, const char* local_ip, int local_port)
{
    x0_server_t* wildcard = nullptr;
    for (x0_server_t* s = main->next; s; s = s->next) {
        int m = address_match(s, local_ip, local_port);
        if (m == 2)
            return s;
        if (m == 1 && !wildcard)
            wildcard = s;
    }
    return wildcard ? wildcard : main;
}

x0_server_t* vhost_for_name(x0_server_t* main, x0_server_t* by_address, const char* local_ip,
                            int local_port, const char* host)
{
    if (!host || by_address == main)
        return by_address;
    int level = address_match(by_address, local_ip, local_port);
    for (x0_server_t* s = by_address; s; s = s->next)
        if (address_match(s, local_ip, local_port) == level && name_matches(s, host))
            return s;
    return by_address;
}

void print_vhosts(FILE* out, x0_server_t* main)
{
    fprintf(out, "VirtualHost configuration:\n");
    for (x0_server_t* s = main->next; s; s = s->next) {
        const apr_array_header_t* addrs = core_server_conf(s)->addrs;
        for (int i = 0; i < addrs->nelts; ++i) {
            const vhost_addr& a = APR_ARRAY_IDX(addrs, i, vhost_addr);
            char port[8] = "*";
            if (a.port)
                snprintf(port, sizeof port, "%u", a.port);
            fprintf(out, "%s:%s\t%s (%s:%d)\n", a.host ? a.host : "*", port,
                    s->server_name ? s->server_name : "(none)", s->defn_file, s->defn_line);
            for (int j = 0; s->aliases && j < s->aliases->nelts; ++j)
                fprintf(out, "\talias %s\n", APR_ARRAY_IDX(s->aliases, j, const char*));
        }
    }
    fprintf(out, "Main server: %s (%s)\nServerRoot: \"%s\"\nMain DocumentRoot: \"%s\"\n",
            main->server_name, main->defn_file, x0_server_root_relative(main->pool, "."),
            x0_document_root(main) ? x0_document_root(main) : "(none)");
}

} // namespace x0
