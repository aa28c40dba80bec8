/*
 * x0d -k. A signal carries no answer, so `-k graceful` and `-k restart`
 * wait for one on an abstract AF_UNIX datagram socket named after their own
 * pid ("@x0d-control-PID"); the master learns that pid from the signal
 * (siginfo's si_pid) and sends "OK ..." or "ERR FILE:LINE: message" there
 * once the new generation of workers is ready or the reload was refused.
 * httpd and nginx report success while their master refuses a broken
 * configuration; x0d's exit status says what the master did.
 */
#include "process_control.h"

#include <apr_strings.h>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "config_load.h"
#include "core_config.h"

namespace x0 {
namespace {

/** How long -k stop waits for x0d to exit (the master gives its workers 5 s). */
constexpr int stop_wait_seconds = 30;
/** How long -k graceful/restart waits for the master's answer. */
constexpr int answer_wait_seconds = 120;

socklen_t control_address(pid_t pid, sockaddr_un* addr)
{
    *addr = {};
    addr->sun_family = AF_UNIX;
    // Abstract namespace: sun_path[0] stays NUL, the name follows, no file.
    int n = snprintf(addr->sun_path + 1, sizeof(addr->sun_path) - 1, "x0d-control-%ld",
                     static_cast<long>(pid));
    return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + n);
}

/** The pid in @a path, or 0. */
pid_t read_pid_file(const char* path)
{
    FILE* f = fopen(path, "r");
    if (!f)
        return 0;
    long pid = 0;
    if (fscanf(f, "%ld", &pid) != 1 || pid <= 0)
        pid = 0;
    fclose(f);
    return static_cast<pid_t>(pid);
}

/** Alive and not a zombie (a master whose parent has not reaped it yet has exited). */
bool running(pid_t pid)
{
    if (pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM))
        return false;
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", static_cast<long>(pid));
    FILE* f = fopen(path, "r");
    if (!f)
        return true;  // no /proc: kill() said it exists
    char buf[512];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char* close_paren = strrchr(buf, ')');
    return !(close_paren && (close_paren[2] == 'Z' || close_paren[2] == 'X'));
}

/** Wait until @a pid has exited; @a seconds <= 0 waits without a bound. */
bool wait_exit(pid_t pid, int seconds)
{
    time_t give_up = time(nullptr) + seconds;
    while (running(pid)) {
        if (seconds > 0 && time(nullptr) >= give_up)
            return false;
        poll(nullptr, 0, 50);
    }
    return true;
}

/** Signal the master, then wait for its answer. */
int ask_master(pid_t pid, int sig, const char* what)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr;
    socklen_t len = control_address(getpid(), &addr);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
        fprintf(stderr, "x0d: cannot wait for the master's answer (%s); sending %s anyway\n",
                strerror(errno), what);
        if (fd >= 0)
            close(fd);
        return kill(pid, sig) == 0 ? 0 : 1;
    }
    if (kill(pid, sig) != 0) {
        fprintf(stderr, "x0d: cannot signal pid %ld: %s\n", static_cast<long>(pid),
                strerror(errno));
        close(fd);
        return 1;
    }
    char answer[4096];
    time_t give_up = time(nullptr) + answer_wait_seconds;
    ssize_t n = -1;
    while (n < 0 && time(nullptr) < give_up && running(pid)) {
        pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, 200) > 0)
            n = recv(fd, answer, sizeof answer - 1, 0);
    }
    close(fd);
    if (n < 0) {
        fprintf(stderr, "x0d: no answer from the master (pid %ld) to %s%s\n",
                static_cast<long>(pid), what, running(pid) ? " in time" : ": it exited");
        return 1;
    }
    answer[n] = '\0';
    bool ok = strncmp(answer, "OK", 2) == 0;
    const char* message = answer + (ok ? 2 : 3);
    while (*message == ' ')
        ++message;
    fprintf(ok ? stdout : stderr, "%s%s\n", ok ? "" : "x0d: ", message);
    return ok ? 0 : 1;
}

} // namespace

bool parse_k_command(const char* arg, k_command* out)
{
    static const struct { const char* name; k_command cmd; } names[] = {
        {"start", k_command::start}, {"stop", k_command::stop},
        {"restart", k_command::restart}, {"graceful", k_command::graceful},
        {"graceful-stop", k_command::graceful_stop},
    };
    for (const auto& n : names)
        if (strcmp(arg, n.name) == 0) {
            *out = n.cmd;
            return true;
        }
    return false;
}

int control_running_server(k_command cmd, const char* config_file, apr_pool_t* p)
{
    bool reload = cmd == k_command::restart || cmd == k_command::graceful;
    const char* error = nullptr;
    // The configuration names the PidFile; for a reload, this is also the
    // test the master would otherwise fail (post_config included).
    loaded_config* c = load_config(config_file, reload ? load_stage::start : load_stage::read, p,
                                   &error);
    const char* pid_file;
    int graceful_timeout = default_graceful_shutdown_timeout;
    if (c) {
        pid_file = apr_pstrdup(p, pid_file_path(c->server));
        graceful_timeout = core_server_conf(c->server)->graceful_shutdown_timeout;
        discard_config(c);
    } else if (reload || cmd == k_command::start) {
        fprintf(stderr, "%s\n", error);
        return 1;
    } else {
        // A broken configuration must not keep x0d from stopping.
        pid_file = x0_server_root_relative(p, default_pid_file);
        fprintf(stderr, "%s\nx0d: using the default PidFile %s\n", error, pid_file);
    }

    pid_t pid = read_pid_file(pid_file);
    bool up = running(pid);
    switch (cmd) {
    case k_command::start:
        if (!up)
            return -1;
        fprintf(stderr, "x0d (pid %ld) already running\n", static_cast<long>(pid));
        return 1;
    case k_command::restart:
    case k_command::graceful:
        if (!up) {
            fprintf(stderr, "x0d not running (PidFile %s), trying to start\n", pid_file);
            return -1;
        }
        return cmd == k_command::graceful ? ask_master(pid, SIGUSR1, "graceful")
                                          : ask_master(pid, SIGHUP, "restart");
    case k_command::stop:
    case k_command::graceful_stop: {
        if (!up) {
            fprintf(stderr, "x0d not running (PidFile %s)\n", pid_file);
            return 0;
        }
        bool graceful = cmd == k_command::graceful_stop;
        if (kill(pid, graceful ? SIGWINCH : SIGTERM) != 0) {
            fprintf(stderr, "x0d: cannot signal pid %ld: %s\n", static_cast<long>(pid),
                    strerror(errno));
            return 1;
        }
        int bound = graceful ? (graceful_timeout > 0 ? graceful_timeout + stop_wait_seconds : 0)
                             : stop_wait_seconds;
        if (!wait_exit(pid, bound)) {
            fprintf(stderr, "x0d (pid %ld) still running after %d s\n", static_cast<long>(pid),
                    bound);
            return 1;
        }
        return 0;
    }
    case k_command::none:
        break;
    }
    return -1;
}

void control_reply(pid_t to, bool ok, const char* message)
{
    if (to <= 0)
        return;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    sockaddr_un addr;
    socklen_t len = control_address(to, &addr);
    char buf[4096];
    int n = snprintf(buf, sizeof buf, "%s %s", ok ? "OK" : "ERR", message);
    if (n >= static_cast<int>(sizeof buf))
        n = sizeof buf - 1;
    ssize_t ignored = sendto(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL,
                             reinterpret_cast<sockaddr*>(&addr), len);
    (void)ignored;
    close(fd);
}

} // namespace x0
