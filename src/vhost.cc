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

#include "config.h"
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

namespace {

bool same_address(const vhost_addr& a, const vhost_addr& b)
{
    return a.port == b.port && (a.host == b.host || (a.host && b.host && strcmp(a.host, b.host) == 0));
}

/** Is @a a the first appearance of its address in the virtual-host list? */
bool first_with(x0_server_t* main, const x0_server_t* owner, const vhost_addr& a)
{
    for (x0_server_t* s = main->next; s && s != owner; s = s->next) {
        const apr_array_header_t* addrs = core_server_conf(s)->addrs;
        for (int i = 0; i < addrs->nelts; ++i)
            if (same_address(APR_ARRAY_IDX(addrs, i, vhost_addr), a))
                return false;
    }
    return true;
}

/** The virtual hosts that have address @a a, in file order. */
int count_with(x0_server_t* main, const vhost_addr& a)
{
    int n = 0;
    for (x0_server_t* s = main->next; s; s = s->next) {
        const apr_array_header_t* addrs = core_server_conf(s)->addrs;
        for (int i = 0; i < addrs->nelts; ++i)
            n += same_address(APR_ARRAY_IDX(addrs, i, vhost_addr), a);
    }
    return n;
}

void print_aliases(FILE* out, const x0_server_t* s)
{
    for (int j = 0; s->aliases && j < s->aliases->nelts; ++j)
        fprintf(out, "                 alias %s\n", APR_ARRAY_IDX(s->aliases, j, const char*));
}

} // namespace

void print_vhosts(FILE* out, x0_server_t* main)
{
    fprintf(out, "VirtualHost configuration:\n");
    for (x0_server_t* owner = main->next; owner; owner = owner->next) {
        const apr_array_header_t* owner_addrs = core_server_conf(owner)->addrs;
        for (int i = 0; i < owner_addrs->nelts; ++i) {
            const vhost_addr& a = APR_ARRAY_IDX(owner_addrs, i, vhost_addr);
            if (!first_with(main, owner, a))
                continue;
            char port[8] = "*";
            if (a.port)
                snprintf(port, sizeof port, "%u", a.port);
            char addr[80];
            snprintf(addr, sizeof addr, "%s:%s", a.host ? a.host : "*", port);
            if (count_with(main, a) == 1) {
                fprintf(out, "%-22s %s (%s:%d)\n", addr, owner->server_name, owner->defn_file,
                        owner->defn_line);
                print_aliases(out, owner);
                continue;
            }
            // httpd -S: the first host of the address is its default.
            fprintf(out, "%-22s is a NameVirtualHost\n", addr);
            fprintf(out, "         default server %s (%s:%d)\n", owner->server_name,
                    owner->defn_file, owner->defn_line);
            for (x0_server_t* s = owner; s; s = s->next) {
                const apr_array_header_t* addrs = core_server_conf(s)->addrs;
                for (int j = 0; j < addrs->nelts; ++j)
                    if (same_address(APR_ARRAY_IDX(addrs, j, vhost_addr), a)) {
                        fprintf(out, "         port %s namevhost %s (%s:%d)\n", port,
                                s->server_name, s->defn_file, s->defn_line);
                        print_aliases(out, s);
                        break;
                    }
            }
        }
    }
    const char* root = x0_document_root(main);
    const char* log = core_server_conf(main)->error_log;
    fprintf(out, "ServerRoot: \"%s\"\nMain DocumentRoot: \"%s\"\nMain ErrorLog: \"%s\"\n",
            x0_server_root_relative(main->pool, "."), root ? root : "(none)",
            log ? log : "(standard error)");
}

} // namespace x0

extern "C" x0_server_t* x0_server_for_name(const x0_conn_t* c, const char* name)
{
    return x0::vhost_for_name(x0::main_server(), c->base_server, c->local_ip, c->local_port,
                              name);
}
