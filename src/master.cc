/*
 * The master: it binds the listeners, then forks the workers and watches
 * them. It does no I/O of its own, so it waits on signals with sigwaitinfo
 * rather than running an event loop (which would leave signal state behind
 * in every forked worker).
 */
#include "master.h"

#include <apr_strings.h>
#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core_config.h"
#include "log.h"

namespace x0 {
namespace {

/** A worker that dies sooner than this after its start is replaced only after a pause. */
constexpr int respawn_pause_seconds = 1;
constexpr int stop_grace_seconds = 5;

struct worker_slot {
    pid_t pid;
    time_t started;
};

int bind_one(const listen_addr& la, int backlog, const char** reason)
{
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char port[8];
    snprintf(port, sizeof(port), "%u", la.port);
    addrinfo* res;
    int gai = getaddrinfo(la.host, port, &hints, &res);
    if (gai != 0) {
        *reason = gai_strerror(gai);
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        // Replies go out as soon as a response is complete; Nagle would hold
        // the last segment of a response back waiting for an ACK.
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, backlog) != 0) {
            *reason = strerror(errno);
            close(fd);
            fd = -1;
        }
    } else {
        *reason = strerror(errno);
    }
    freeaddrinfo(res);
    return fd;
}

pid_t spawn(x0_server_t* s, listener* listeners, int count, const sigset_t* old_mask)
{
    pid_t pid = fork();
    if (pid == 0) {
        sigprocmask(SIG_SETMASK, old_mask, nullptr);
        _exit(worker_main(s, listeners, count));
    }
    if (pid < 0)
        x0_log_error(X0LOG(00402), X0_LOG_ERR, APR_FROM_OS_ERROR(errno), s, "fork failed");
    return pid;
}

void stop_workers(worker_slot* slots, int n)
{
    for (int i = 0; i < n; ++i)
        if (slots[i].pid > 0)
            kill(slots[i].pid, SIGTERM);
    time_t give_up = time(nullptr) + stop_grace_seconds;
    int alive = n;
    while (alive > 0) {
        alive = 0;
        for (int i = 0; i < n; ++i) {
            if (slots[i].pid <= 0)
                continue;
            if (waitpid(slots[i].pid, nullptr, WNOHANG) == slots[i].pid)
                slots[i].pid = 0;
            else
                ++alive;
        }
        if (alive == 0)
            break;
        if (time(nullptr) >= give_up) {
            for (int i = 0; i < n; ++i)
                if (slots[i].pid > 0) {
                    kill(slots[i].pid, SIGKILL);
                    waitpid(slots[i].pid, nullptr, 0);
                    slots[i].pid = 0;
                }
            break;
        }
        usleep(20000);
    }
}

} // namespace

listener* open_listeners(apr_pool_t* p, x0_server_t* s, int* count, const char** error)
{
    core_server_config* conf = core_server_conf(s);
    auto* listeners = static_cast<listener*>(
        apr_pcalloc(p, sizeof(listener) * conf->listens->nelts));
    for (int i = 0; i < conf->listens->nelts; ++i) {
        const listen_addr& la = APR_ARRAY_IDX(conf->listens, i, listen_addr);
        const char* reason = "";
        listeners[i].name = apr_psprintf(p, "%s:%u", la.host ? la.host : "*", la.port);
        listeners[i].host = la.host;
        listeners[i].port = la.port;
        listeners[i].protocol = la.protocol;
        listeners[i].fd = bind_one(la, conf->listen_backlog, &reason);
        if (listeners[i].fd < 0) {
            *error = apr_psprintf(p, "%s:%d: could not bind to %s: %s", la.file, la.line,
                                  listeners[i].name, reason);
            return nullptr;
        }
    }
    *count = conf->listens->nelts;
    return listeners;
}

const char* write_pid_file(apr_pool_t* p, x0_server_t* s)
{
    const char* path = core_server_conf(s)->pid_file;
    if (!path)
        return nullptr;
    FILE* f = fopen(path, "w");
    if (!f)
        return apr_psprintf(p, "cannot write PidFile %s: %s", path, strerror(errno));
    fprintf(f, "%d\n", static_cast<int>(getpid()));
    fclose(f);
    return nullptr;
}

void remove_pid_file(x0_server_t* s)
{
    if (const char* path = core_server_conf(s)->pid_file)
        unlink(path);
}

int master_main(x0_server_t* s, listener* listeners, int count)
{
    int n = core_server_conf(s)->workers;
    if (n <= 0)
        n = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
    if (n <= 0)
        n = 1;

    sigset_t watched, old_mask;
    sigemptyset(&watched);
    sigaddset(&watched, SIGCHLD);
    sigaddset(&watched, SIGTERM);
    sigaddset(&watched, SIGINT);
    sigprocmask(SIG_BLOCK, &watched, &old_mask);

    auto* slots = static_cast<worker_slot*>(apr_pcalloc(s->pool, sizeof(worker_slot) * n));
    for (int i = 0; i < n; ++i)
        slots[i] = {spawn(s, listeners, count, &old_mask), time(nullptr)};
    x0_log_error(X0LOG(00403), X0_LOG_NOTICE, 0, s, "started %d worker(s)", n);

    for (;;) {
        timespec tick = {respawn_pause_seconds, 0};
        siginfo_t info;
        int sig = sigtimedwait(&watched, &info, &tick);
        if (sig == SIGTERM || sig == SIGINT)
            break;
        pid_t pid;
        int status;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            for (int i = 0; i < n; ++i)
                if (slots[i].pid == pid) {
                    x0_log_error(X0LOG(00404), X0_LOG_ERR, 0, s,
                                 "worker %d exited (status %d); replacing it", pid, status);
                    slots[i].pid = 0;
                }
        }
        // Replace dead workers; one that died at once waits a tick, so a
        // worker that cannot start does not fork in a tight loop.
        time_t now = time(nullptr);
        for (int i = 0; i < n; ++i)
            if (slots[i].pid <= 0 && now - slots[i].started >= respawn_pause_seconds)
                slots[i] = {spawn(s, listeners, count, &old_mask), now};
    }
    x0_log_error(X0LOG(00405), X0_LOG_NOTICE, 0, s, "stopping");
    stop_workers(slots, n);
    return 0;
}

} // namespace x0
