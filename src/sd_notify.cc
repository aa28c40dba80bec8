/*
 * sd_notify(3)'s datagram: a few KEY=VALUE lines sent to the socket named by
 * $NOTIFY_SOCKET. Linking libsystemd for this would tie x0d to systemd; the
 * protocol is stable and documented (systemd's sd_notify(3), "Notes").
 */
#include "sd_notify.h"

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace x0 {

void sd_notify(const char* state)
{
    const char* name = getenv("NOTIFY_SOCKET");
    if (!name || (name[0] != '/' && name[0] != '@'))
        return;
    size_t n = strlen(name);
    sockaddr_un addr{};
    if (n >= sizeof(addr.sun_path))
        return;
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, name, n);
    if (name[0] == '@')
        addr.sun_path[0] = '\0';  // the abstract namespace: no file, no trailing NUL
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + n);
    ssize_t ignored = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
                             reinterpret_cast<sockaddr*>(&addr), len);
    (void)ignored;
    close(fd);
}

} // namespace x0
