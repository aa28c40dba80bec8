/* Choosing the virtual host for a request: by address, then by Host. */
#ifndef X0_VHOST_H
#define X0_VHOST_H

#include <cstdio>

#include "x0/http.h"

namespace x0 {

/**
 * The server for a connection to @a local_ip:@a local_port (httpd's
 * IP-based step): the first virtual host whose address is exactly that
 * address and port wins over one with `*`; with no match, @a main.
 */
x0_server_t* vhost_for_address(x0_server_t* main, const char* local_ip, int local_port);

/**
 * The server for @a host (a Host without its port, any case) among the
 * virtual hosts that share @a by_address's address (httpd's name-based
 * step): ServerName, then ServerAlias with wildcards; none matches: the
 * first virtual host of that address, @a by_address.
 */
x0_server_t* vhost_for_name(x0_server_t* main, x0_server_t* by_address, const char* local_ip,
                            int local_port, const char* host);

/** Print the virtual-host map as `httpd -S` does. */
void print_vhosts(FILE* out, x0_server_t* main);

} // namespace x0

#endif
