/*
 * Require ip networks; see ip_match.h. The forms and their checks follow
 * apr_ipsubnet_create() (apr: network_io/unix/sockaddr.c) in behaviour.
 */
#include "ip_match.h"

#include <arpa/inet.h>
#include <cstdlib>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <apr_lib.h>

namespace x0 {
namespace {

constexpr unsigned char v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

size_t family_bytes(int family)
{
    return family == AF_INET ? 4 : 16;
}

/** Only digits and dots: what APR accepts as an IPv4 address or network. */
bool looks_like_ipv4(const char* s)
{
    if (!*s)
        return false;
    for (; *s; ++s)
        if (*s != '.' && !apr_isdigit(*s))
            return false;
    return true;
}

/** The legacy network form "10.1" or "10.1." (APR's parse_network()). */
bool parse_partial_ipv4(const char* s, authz_ip_rule* out)
{
    memset(out, 0, sizeof *out);
    out->family = AF_INET;
    int octet = 0;
    while (*s) {
        if (!apr_isdigit(*s) || octet == 4)
            return false;
        long v = 0;
        int digits = 0;
        for (; apr_isdigit(*s); ++s)
            if (++digits > 3 || (v = v * 10 + (*s - '0')) > 255)
                return false;
        if (*s == '.')
            ++s;
        else if (*s)
            return false;
        out->net[octet] = static_cast<unsigned char>(v);
        out->mask[octet] = 0xff;
        ++octet;
    }
    return octet > 0;
}

void set_prefix(unsigned char* mask, size_t bytes, long bits)
{
    memset(mask, 0, 16);
    for (size_t i = 0; i < bytes && bits > 0; ++i, bits -= 8)
        mask[i] = bits >= 8 ? 0xff : static_cast<unsigned char>(0xff << (8 - bits));
}

} // namespace

const char* authz_ip_rule_parse(const char* word, authz_ip_rule* out)
{
    char buf[INET6_ADDRSTRLEN + 1];
    const char* slash = strchr(word, '/');
    size_t len = slash ? static_cast<size_t>(slash - word) : strlen(word);
    if (len == 0)
        return "not an IP address";
    if (len >= sizeof buf)
        return "not an IP address (too long)";
    memcpy(buf, word, len);
    buf[len] = '\0';
    if (!strchr(buf, ':') && !looks_like_ipv4(buf))
        return "not an IP address";

    authz_ip_rule r;
    memset(&r, 0, sizeof r);
    if (inet_pton(AF_INET6, buf, r.net) == 1) {
        if (memcmp(r.net, v4_mapped_prefix, sizeof v4_mapped_prefix) == 0)
            return "an IPv4-mapped IPv6 address; write the IPv4 address";
        r.family = AF_INET6;
        memset(r.mask, 0xff, 16);
    } else if (inet_pton(AF_INET, buf, r.net) == 1) {
        r.family = AF_INET;
        memset(r.mask, 0xff, 4);
    } else if (slash || !parse_partial_ipv4(buf, &r)) {
        // A partial address is a network of its own: it takes no mask.
        return "not a valid IP address";
    }

    if (slash) {
        const char* m = slash + 1;
        long max = r.family == AF_INET ? 32 : 128;
        char* end;
        long bits = apr_isdigit(*m) ? strtol(m, &end, 10) : -1;
        if (bits >= 0 && *end == '\0') {
            if (bits < 1 || bits > max)
                return r.family == AF_INET ? "the prefix length must be 1 to 32"
                                           : "the prefix length must be 1 to 128";
            set_prefix(r.mask, family_bytes(r.family), bits);
        } else if (r.family == AF_INET && inet_pton(AF_INET, m, r.mask) == 1) {
            // An IPv4 netmask, taken as it is (APR does not insist on a contiguous one).
        } else {
            return "bad network mask";
        }
    }
    for (size_t i = 0; i < 16; ++i)
        r.net[i] &= r.mask[i];
    *out = r;
    return nullptr;
}

bool authz_addr_parse(const char* text, authz_addr* out)
{
    char buf[INET6_ADDRSTRLEN + 1];
    size_t len = strcspn(text, "%");  // drop an IPv6 zone
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, text, len);
    buf[len] = '\0';
    authz_addr a;
    memset(&a, 0, sizeof a);
    if (inet_pton(AF_INET, buf, a.bytes) == 1) {
        a.family = AF_INET;
    } else if (inet_pton(AF_INET6, buf, a.bytes) == 1) {
        a.family = AF_INET6;
        if (memcmp(a.bytes, v4_mapped_prefix, sizeof v4_mapped_prefix) == 0) {
            memmove(a.bytes, a.bytes + 12, 4);
            memset(a.bytes + 4, 0, 12);
            a.family = AF_INET;
        }
    } else {
        return false;
    }
    *out = a;
    return true;
}

bool authz_ip_match(const authz_ip_rule& rule, const authz_addr& addr)
{
    if (rule.family != addr.family)
        return false;
    for (size_t i = 0; i < family_bytes(rule.family); ++i)
        if ((addr.bytes[i] & rule.mask[i]) != rule.net[i])
            return false;
    return true;
}

bool authz_addr_is_loopback(const authz_addr& addr)
{
    if (addr.family == AF_INET)
        return addr.bytes[0] == 127;
    static const unsigned char v6_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                                  0, 0, 0, 0, 0, 0, 0, 1};
    return addr.family == AF_INET6 && memcmp(addr.bytes, v6_loopback, 16) == 0;
}

bool authz_addr_equal(const authz_addr& a, const authz_addr& b)
{
    return a.family == b.family && memcmp(a.bytes, b.bytes, family_bytes(a.family)) == 0;
}

} // namespace x0
