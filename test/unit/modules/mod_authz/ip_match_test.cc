#include <CppUTest/TestHarness.h>

#include <sys/socket.h>
#include "mod_authz/ip_match.h"

using x0::authz_addr;
using x0::authz_ip_rule;

namespace {

authz_addr addr(const char* text)
{
    authz_addr a;
    CHECK_TRUE_TEXT(x0::authz_addr_parse(text, &a), text);
    return a;
}

authz_ip_rule rule(const char* word)
{
    authz_ip_rule r;
    const char* err = x0::authz_ip_rule_parse(word, &r);
    STRCMP_EQUAL_TEXT(nullptr, err, word);
    return r;
}

bool matches(const char* word, const char* client)
{
    return x0::authz_ip_match(rule(word), addr(client));
}

bool refused(const char* word)
{
    authz_ip_rule r;
    return x0::authz_ip_rule_parse(word, &r) != nullptr;
}

} // namespace

TEST_GROUP(authz_ip)
{
};

TEST(authz_ip, single_ipv4)
{
    CHECK_TRUE(matches("127.0.0.1", "127.0.0.1"));
    CHECK_FALSE(matches("127.0.0.1", "127.0.0.2"));
    CHECK_FALSE(matches("127.0.0.1", "::1"));
}

TEST(authz_ip, ipv4_cidr)
{
    CHECK_TRUE(matches("10.0.0.0/8", "10.255.1.2"));
    CHECK_FALSE(matches("10.0.0.0/8", "11.0.0.1"));
    CHECK_FALSE(matches("10.0.0.0/8", "127.0.0.1"));
    CHECK_TRUE(matches("192.168.1.77/26", "192.168.1.64"));  // host bits are masked off
    CHECK_TRUE(matches("192.168.1.77/26", "192.168.1.127"));
    CHECK_FALSE(matches("192.168.1.77/26", "192.168.1.128"));
    CHECK_TRUE(matches("1.2.3.4/32", "1.2.3.4"));
    CHECK_FALSE(matches("1.2.3.4/32", "1.2.3.5"));
    CHECK_TRUE(matches("128.0.0.0/1", "200.1.1.1"));
    CHECK_FALSE(matches("128.0.0.0/1", "127.1.1.1"));
}

TEST(authz_ip, ipv4_netmask)
{
    CHECK_TRUE(matches("10.1.0.0/255.255.0.0", "10.1.200.3"));
    CHECK_FALSE(matches("10.1.0.0/255.255.0.0", "10.2.0.1"));
}

TEST(authz_ip, partial_ipv4)
{
    CHECK_TRUE(matches("192.168", "192.168.44.1"));
    CHECK_FALSE(matches("192.168", "192.169.0.1"));
    CHECK_TRUE(matches("192.168.", "192.168.0.1"));
    CHECK_TRUE(matches("10", "10.9.8.7"));
    CHECK_FALSE(matches("10", "100.9.8.7"));
    CHECK_TRUE(matches("10.1.2", "10.1.2.250"));
    CHECK_FALSE(matches("10.1.2", "10.1.3.0"));
}

TEST(authz_ip, ipv6)
{
    CHECK_TRUE(matches("::1", "::1"));
    CHECK_FALSE(matches("::1", "::2"));
    CHECK_FALSE(matches("::1", "127.0.0.1"));
    CHECK_TRUE(matches("2001:db8::/32", "2001:db8:ffff::1"));
    CHECK_FALSE(matches("2001:db8::/32", "2001:db9::1"));
    CHECK_TRUE(matches("2001:db8:0:0:0:0:0:1", "2001:db8::1"));
    CHECK_TRUE(matches("fe80::/10", "febf::1"));
    CHECK_FALSE(matches("fe80::/10", "fec0::1"));
    CHECK_TRUE(matches("2001:db8::1/128", "2001:db8::1"));
}

TEST(authz_ip, ipv4_mapped_client_matches_ipv4_rules)
{
    CHECK_TRUE(matches("127.0.0.1", "::ffff:127.0.0.1"));
    CHECK_TRUE(matches("10.0.0.0/8", "::ffff:10.1.2.3"));
    CHECK_FALSE(matches("10.0.0.0/8", "::ffff:11.1.2.3"));
    CHECK_EQUAL(AF_INET, addr("::ffff:1.2.3.4").family);
}

TEST(authz_ip, client_zone_is_ignored)
{
    CHECK_TRUE(matches("fe80::/10", "fe80::1%eth0"));
}

TEST(authz_ip, bad_rules)
{
    CHECK_TRUE(refused(""));
    CHECK_TRUE(refused("localhost"));
    CHECK_TRUE(refused("example.com"));
    CHECK_TRUE(refused("256.1.1.1"));
    CHECK_TRUE(refused("1.2.3.4.5"));
    CHECK_TRUE(refused("1..2"));
    CHECK_TRUE(refused("10.0.0.0/33"));
    CHECK_TRUE(refused("10.0.0.0/0"));      // APR refuses /0 too
    CHECK_TRUE(refused("10.0.0.0/"));
    CHECK_TRUE(refused("10.0.0.0/x"));
    CHECK_TRUE(refused("10.0/8"));          // a partial address takes no mask
    CHECK_TRUE(refused("::1/129"));
    CHECK_TRUE(refused("::1/ffff::"));      // no IPv6 netmasks
    CHECK_TRUE(refused("::ffff:1.2.3.4"));  // write the IPv4 form
    CHECK_TRUE(refused("1:2:3"));
    CHECK_TRUE(refused("/8"));
}

TEST(authz_ip, bad_client_addresses)
{
    authz_addr a;
    CHECK_FALSE(x0::authz_addr_parse("", &a));
    CHECK_FALSE(x0::authz_addr_parse("localhost", &a));
    CHECK_FALSE(x0::authz_addr_parse("10.1", &a));
    CHECK_FALSE(x0::authz_addr_parse("%eth0", &a));
}

TEST(authz_ip, loopback_and_equality)
{
    CHECK_TRUE(x0::authz_addr_is_loopback(addr("127.0.0.1")));
    CHECK_TRUE(x0::authz_addr_is_loopback(addr("127.9.9.9")));
    CHECK_TRUE(x0::authz_addr_is_loopback(addr("::1")));
    CHECK_TRUE(x0::authz_addr_is_loopback(addr("::ffff:127.0.0.1")));
    CHECK_FALSE(x0::authz_addr_is_loopback(addr("10.0.0.1")));
    CHECK_FALSE(x0::authz_addr_is_loopback(addr("::2")));
    CHECK_TRUE(x0::authz_addr_equal(addr("10.0.0.1"), addr("::ffff:10.0.0.1")));
    CHECK_FALSE(x0::authz_addr_equal(addr("10.0.0.1"), addr("10.0.0.2")));
    CHECK_FALSE(x0::authz_addr_equal(addr("::1"), addr("0.0.0.1")));
}
