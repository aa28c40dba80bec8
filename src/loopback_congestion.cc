/* LoopbackCongestionControl: see loopback_congestion.h. */
#include "loopback_congestion.h"

#include <apr_strings.h>
#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

namespace x0 {

bool is_loopback(const sockaddr* sa)
{
    if (sa->sa_family == AF_INET) {
        auto* in = reinterpret_cast<const sockaddr_in*>(sa);
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(&a) || (IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127);
    }
    return false;
}

bool is_loopback_host(const char* host)
{
    if (!host)
        return false;
    sockaddr_in in{};
    sockaddr_in6 in6{};
    if (inet_pton(AF_INET, host, &in.sin_addr) == 1) {
        in.sin_family = AF_INET;
        return is_loopback(reinterpret_cast<const sockaddr*>(&in));
    }
    if (inet_pton(AF_INET6, host, &in6.sin6_addr) == 1) {
        in6.sin6_family = AF_INET6;
        return is_loopback(reinterpret_cast<const sockaddr*>(&in6));
    }
    return false;
}

int set_congestion_control(int fd, const char* name)
{
    return setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, static_cast<socklen_t>(strlen(name)))
           == 0 ? 0 : errno;
}

const char* check_congestion_control(apr_pool_t* p, const char* name)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return apr_psprintf(p, "cannot open a socket to try it: %s", strerror(errno));
    int refused = set_congestion_control(fd, name);
    close(fd);
    if (!refused)
        return nullptr;
    return apr_psprintf(p, "the kernel refuses congestion control '%s': %s%s", name,
                        strerror(refused),
                        refused == ENOENT ? " (see net.ipv4.tcp_available_congestion_control)"
                        : refused == EPERM ? " (see net.ipv4.tcp_allowed_congestion_control)" : "");
}

const char* system_congestion_control(apr_pool_t* p)
{
    FILE* f = fopen("/proc/sys/net/ipv4/tcp_congestion_control", "re");
    if (!f)
        return nullptr;
    char name[32];  // the kernel's names are at most 15 characters
    bool read = fgets(name, sizeof(name), f) != nullptr;
    fclose(f);
    if (!read)
        return nullptr;
    name[strcspn(name, "\n")] = '\0';
    return name[0] ? apr_pstrdup(p, name) : nullptr;
}

} // namespace x0
