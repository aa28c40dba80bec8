/* The supervisor of a piped logger (see piped_log.h). */
#include "piped_log.h"

#include <apr_strings.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace x0log {
namespace {

/** A logger that lived shorter than this is restarted only this long after it started. */
constexpr int restart_pause_seconds = 1;

struct piped_log {
    int write_fd;
    pid_t supervisor;
    pid_t owner;   /**< the master that started it */
};

void close_from(int first)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, first, ~0U, 0) == 0)
        return;
#endif
    for (int fd = first; fd < 1024; ++fd)
        close(fd);
}

pid_t start_logger(const char* command)
{
    pid_t pid = fork();
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        execl("/bin/sh", "sh", "-c", command, static_cast<char*>(nullptr));
        _exit(127);
    }
    return pid;
}

void say(const char* command, const char* what)
{
    // The supervisor's stderr is the master's at start (the terminal, or
    // the ErrorLog once x0d has pointed stderr at it).
    char line[512];
    int n = snprintf(line, sizeof line, "[pid %d] mod_log_config: piped logger \"%s\" %s\n",
                     static_cast<int>(getpid()), command, what);
    if (n > 0) {
        ssize_t ignored = write(STDERR_FILENO, line, static_cast<size_t>(n) < sizeof line ? n : sizeof line - 1);
        (void)ignored;
    }
}

[[noreturn]] void supervise(const char* command, pid_t master)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != master)
        _exit(0);  // the master died before the line above took effect
    sigset_t watched;
    sigemptyset(&watched);
    sigaddset(&watched, SIGCHLD);
    sigaddset(&watched, SIGTERM);
    sigaddset(&watched, SIGINT);
    sigprocmask(SIG_SETMASK, &watched, nullptr);
    signal(SIGCHLD, SIG_DFL);  // an inherited SIG_IGN would reap the logger behind our back
    signal(SIGHUP, SIG_IGN);   // the master's restart signals are not ours
    signal(SIGUSR1, SIG_IGN);
    signal(SIGWINCH, SIG_IGN);

    pid_t logger = start_logger(command);
    time_t started = time(nullptr);
    bool stopping = false;
    time_t stop_deadline = 0;
    for (;;) {
        timespec tick = {1, 0};
        siginfo_t info;
        int sig = sigtimedwait(&watched, &info, &tick);
        if ((sig == SIGTERM || sig == SIGINT) && !stopping) {
            stopping = true;
            stop_deadline = time(nullptr) + stop_grace_seconds;
        }
        int status;
        while (logger > 0 && waitpid(logger, &status, WNOHANG) == logger)
            logger = 0;
        if (stopping) {
            if (logger <= 0)
                _exit(0);
            if (time(nullptr) >= stop_deadline) {
                kill(logger, SIGTERM);
                _exit(0);
            }
            continue;
        }
        if (logger <= 0 && time(nullptr) - started >= restart_pause_seconds) {
            say(command, "exited; starting it again");
            logger = start_logger(command);
            started = time(nullptr);
        }
    }
}

apr_status_t stop_supervisor(void* data)
{
    auto* pl = static_cast<piped_log*>(data);
    if (pl->write_fd >= 0)
        close(pl->write_fd);
    // Only in the process that started it: a worker destroying its copy of
    // the configuration must not stop the master's logger.
    if (pl->supervisor > 0 && getpid() == pl->owner)
        kill(pl->supervisor, SIGTERM);
    return APR_SUCCESS;
}

} // namespace

const char* piped_log_start(apr_pool_t* pconf, const char* command, int* write_fd,
                            pid_t* supervisor)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return apr_psprintf(pconf, "cannot make a pipe for \"|%s\": %s", command, strerror(errno));
    pid_t master = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        close(fds[0]);
        close(fds[1]);
        return apr_psprintf(pconf, "cannot start the piped logger \"|%s\": %s", command,
                            strerror(err));
    }
    if (pid == 0) {
        // The read end becomes stdin (for the logger); nothing else of the
        // master's is kept (listeners, other logs).
        if (fds[0] != STDIN_FILENO) {
            dup2(fds[0], STDIN_FILENO);  // dup2 clears close-on-exec
        } else {
            fcntl(STDIN_FILENO, F_SETFD, 0);
        }
        close_from(STDERR_FILENO + 1);
        supervise(command, master);
    }
    close(fds[0]);
    // Workers never wait for the logger: a full pipe is EAGAIN (log_writer.cc).
    fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
    auto* pl = static_cast<piped_log*>(apr_palloc(pconf, sizeof(piped_log)));
    *pl = {fds[1], pid, master};
    apr_pool_cleanup_register(pconf, pl, stop_supervisor, apr_pool_cleanup_null);
    *write_fd = fds[1];
    *supervisor = pid;
    return nullptr;
}

} // namespace x0log
