/* LoopbackCongestionControl's parts: which addresses are this host's, and the check -t makes. */
#include <CppUTest/TestHarness.h>

#include <apr_pools.h>
#include <arpa/inet.h>
#include <cstring>
#include <netinet/in.h>
#include "loopback_congestion.h"

namespace {

bool loopback4(const char* text)
{
    sockaddr_in in{};
    in.sin_family = AF_INET;
    inet_pton(AF_INET, text, &in.sin_addr);
    return x0::is_loopback(reinterpret_cast<const sockaddr*>(&in));
}

bool loopback6(const char* text)
{
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, text, &in6.sin6_addr);
    return x0::is_loopback(reinterpret_cast<const sockaddr*>(&in6));
}

} // namespace

TEST_GROUP(loopback_congestion)
{
    apr_pool_t* pool = nullptr;
    void setup() override { apr_pool_create(&pool, nullptr); }
    void teardown() override { apr_pool_destroy(pool); }
};

TEST(loopback_congestion, peers_on_this_host)
{
    CHECK(loopback4("127.0.0.1"));
    CHECK(loopback4("127.255.3.4"));
    CHECK(loopback6("::1"));
    CHECK(loopback6("::ffff:127.0.0.1"));
}

TEST(loopback_congestion, peers_elsewhere)
{
    CHECK_FALSE(loopback4("128.0.0.1"));
    CHECK_FALSE(loopback4("10.127.0.1"));
    CHECK_FALSE(loopback4("0.0.0.0"));
    CHECK_FALSE(loopback6("::"));
    CHECK_FALSE(loopback6("::2"));
    CHECK_FALSE(loopback6("::ffff:10.0.0.1"));
    CHECK_FALSE(loopback6("2001:db8::127"));
    sockaddr unix_peer{};
    unix_peer.sa_family = AF_UNIX;
    CHECK_FALSE(x0::is_loopback(&unix_peer));
}

TEST(loopback_congestion, listen_addresses)
{
    CHECK(x0::is_loopback_host("127.0.0.1"));
    CHECK(x0::is_loopback_host("::1"));
    CHECK_FALSE(x0::is_loopback_host(nullptr));  // Listen PORT: all addresses
    CHECK_FALSE(x0::is_loopback_host("0.0.0.0"));
    CHECK_FALSE(x0::is_loopback_host("192.0.2.7"));
    CHECK_FALSE(x0::is_loopback_host("localhost"));  // Listen keeps addresses, not names
}

TEST(loopback_congestion, reno_is_always_there)
{
    POINTERS_EQUAL(nullptr, x0::check_congestion_control(pool, "reno"));
}

TEST(loopback_congestion, unknown_name_says_which_and_why)
{
    const char* err = x0::check_congestion_control(pool, "x0-nosuch");
    CHECK(err != nullptr);
    CHECK(strstr(err, "'x0-nosuch'") != nullptr);
    CHECK(strstr(err, strerror(ENOENT)) != nullptr);
    CHECK(strstr(err, "tcp_available_congestion_control") != nullptr);
}

TEST(loopback_congestion, system_default_is_a_name)
{
    const char* name = x0::system_congestion_control(pool);
    CHECK(name != nullptr);
    CHECK(name[0] != '\0');
    CHECK(strchr(name, '\n') == nullptr);
    POINTERS_EQUAL(nullptr, x0::check_congestion_control(pool, name));
}
