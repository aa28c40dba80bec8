/*
 * The addresses of `Require ip` and `Require local`: parsing them at config
 * time and testing a client address against them per request, with no
 * allocation and no request state, so that they can be tested alone.
 *
 * The accepted forms are those of APR's apr_ipsubnet_create(), which
 * httpd's mod_authz_host uses:
 *   10.1.2.3            one IPv4 address
 *   10.1 / 10.1.        the IPv4 network 10.1.0.0/16 (a partial address)
 *   10.0.0.0/8          a prefix length (1-32, IPv6 1-128)
 *   10.0.0.0/255.0.0.0  an IPv4 netmask
 *   2001:db8::1         one IPv6 address
 *   2001:db8::/32       an IPv6 prefix
 * An IPv4 rule also matches a client seen as an IPv4-mapped IPv6 address
 * (::ffff:10.1.2.3), as apr_ipsubnet_test() does; an IPv4-mapped address
 * is therefore refused as a rule (write the IPv4 form).
 */
#ifndef X0_MOD_AUTHZ_IP_MATCH_H
#define X0_MOD_AUTHZ_IP_MATCH_H

namespace x0 {

/** An address, in network byte order; IPv4 uses the first 4 bytes. */
struct authz_addr {
    int family;                 /**< AF_INET or AF_INET6 */
    unsigned char bytes[16];
};

/** One network of `Require ip`. */
struct authz_ip_rule {
    int family;                 /**< AF_INET or AF_INET6 */
    unsigned char net[16];      /**< already masked */
    unsigned char mask[16];
};

/**
 * Parse one word of `Require ip` into @a out.
 * @return NULL on success, else why the word is not an address or network
 *         (a string literal; the caller adds the word itself). A prefix of
 *         0 is refused as APR refuses it: "Require all granted" says that.
 */
const char* authz_ip_rule_parse(const char* word, authz_ip_rule* out);

/**
 * Parse a textual address (as in x0_conn_t::client_ip) into @a out. An
 * IPv6 zone ("%eth0") is ignored; an IPv4-mapped IPv6 address becomes the
 * IPv4 address. @return false when @a text is not an address (@a out is
 * then untouched).
 */
bool authz_addr_parse(const char* text, authz_addr* out);

/** Is @a addr inside @a rule's network? Families must agree. */
bool authz_ip_match(const authz_ip_rule& rule, const authz_addr& addr);

/** Loopback: 127.0.0.0/8 or ::1 (httpd's `Require local` test, with the local address). */
bool authz_addr_is_loopback(const authz_addr& addr);

/** The same address (family and bytes). */
bool authz_addr_equal(const authz_addr& a, const authz_addr& b);

} // namespace x0

#endif
