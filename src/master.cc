/*
 * The master: it forks generations of workers and watches them. It does no
 * I/O of its own, so it waits on signals with sigtimedwait rather than
 * running an event loop (which would leave signal state behind in every
 * forked worker).
 *
 * A reload (SIGUSR1 graceful, SIGHUP restart; docs/operations.md):
 *  1. a fresh x0d (trial_load) reads the new configuration, runs
 *     post_config, binds the new ports and opens the ErrorLog, and reports;
 *     if that fails the master says why (log, and the answer to `x0d -k`)
 *     and changes nothing;
 *  2. the master then does what httpd does: empties the registries,
 *     destroys the old configuration's pool (its modules' cleanups run and
 *     its shared objects are unloaded), and reads the configuration itself;
 *     listeners of the same address:port keep their socket;
 *  3. it starts the new generation and waits until every worker of it has
 *     said, over a pipe, that it accepts;
 *  4. only then it tells the old generation to stop (SIGUSR1: finish what is
 *     in flight, bounded by GracefulShutdownTimeout; SIGHUP: SIGTERM) and
 *     closes the listeners the new configuration no longer has.
 * The test in another process keeps the master's state untouched until the new
 * configuration is known to load: the registries are process-wide, and a
 * module may keep process-wide state that its configuration pool's cleanup
 * frees (mod_ssl's BIO method), so two configurations cannot live side by
 * side in one process.
 */
#include "master.h"

#include <apr_strings.h>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <initializer_list>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config_load.h"
#include "core_config.h"
#include "log.h"
#include "process_control.h"
#include "scoreboard.h"
#include "sd_notify.h"

namespace x0 {
namespace {

/** A worker that dies sooner than this after its start is replaced only after a pause. */
constexpr double respawn_pause_seconds = 1;
/** SIGTERM to SIGKILL, for a stop and for an old generation past its graceful bound. */
constexpr double stop_grace_seconds = 5;
/** A new generation's workers must say they accept within this. */
constexpr int worker_start_seconds = 30;
/** The configuration test in a child must answer within this. */
constexpr int trial_seconds = 60;

double now_seconds()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

enum class slot_state { running, graceful, terminating, killed };

struct worker_slot {
    pid_t pid;           /**< 0: dead, waiting to be replaced */
    int generation;
    double started;
    int ready_fd;        /**< the read end while the master waits for it, else -1 */
    slot_state state;
    double deadline;     /**< graceful/terminating: when to escalate; 0 = never */
};

struct master {
    const char* config_file;
    loaded_config* config;       /**< NULL after a reload that failed half-way */
    listener_set listeners;
    apr_pool_t* listener_pool;
    const char* pid_file;
    const char* const* test_argv;  /**< x0d -t as this x0d was started (trial_load) */
    const char* binary;          /**< the file this x0d was started from (trial_load runs it) */
    apr_pool_t* pool;
    apr_array_header_t* slots;   /**< of worker_slot, every generation */
    int generation;
    int daemon_ready_fd;
    bool exiting;
};

x0_server_t* server(master* m)
{
    return m->config ? m->config->server : nullptr;
}

int workers_wanted(master* m)
{
    int n = core_server_conf(server(m))->workers;
    if (n <= 0)
        n = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
    return n > 0 ? n : 1;
}

worker_slot& slot_at(master* m, int i)
{
    return APR_ARRAY_IDX(m->slots, i, worker_slot);
}

/**
 * Fork one worker of the current generation into @a slot. The child closes
 * what only the master needs: other workers' ready pipes, -k start's pipe,
 * and the listeners in @a stale (the old generation's that the new one
 * dropped).
 */
void spawn(master* m, worker_slot* slot, const listener_set* stale)
{
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) {
        x0_log_error(X0LOG(00406), X0_LOG_ERR, APR_FROM_OS_ERROR(errno), server(m),
                     "cannot make a pipe for a worker");
        ready[0] = ready[1] = -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < m->slots->nelts; ++i)
            if (slot_at(m, i).ready_fd >= 0)
                close(slot_at(m, i).ready_fd);
        if (m->daemon_ready_fd >= 0)
            close(m->daemon_ready_fd);
        if (ready[0] >= 0)
            close(ready[0]);
        close_dropped_listeners(stale, &m->listeners);
        // The signals stay blocked as the master has them; worker_main
        // unblocks them once its handlers exist.
        _exit(worker_main(server(m), m->listeners.items, m->listeners.count, ready[1]));
    }
    if (ready[1] >= 0)
        close(ready[1]);
    if (pid < 0) {
        x0_log_error(X0LOG(00402), X0_LOG_ERR, APR_FROM_OS_ERROR(errno), server(m),
                     "fork failed");
        if (ready[0] >= 0)
            close(ready[0]);
        ready[0] = -1;
    }
    *slot = {pid > 0 ? pid : 0, m->generation, now_seconds(), ready[0], slot_state::running, 0};
}

/**
 * Wait until every worker of the current generation has said it accepts
 * (or died: its pipe ends without the byte). Returns how many are ready.
 */
int wait_ready(master* m)
{
    double give_up = now_seconds() + worker_start_seconds;
    int ready = 0;
    for (;;) {
        apr_array_header_t* waiting = apr_array_make(m->pool, 8, sizeof(pollfd));
        for (int i = 0; i < m->slots->nelts; ++i)
            if (slot_at(m, i).ready_fd >= 0)
                APR_ARRAY_PUSH(waiting, pollfd) = {slot_at(m, i).ready_fd, POLLIN, 0};
        double left = give_up - now_seconds();
        if (waiting->nelts == 0 || left <= 0)
            break;
        auto* fds = reinterpret_cast<pollfd*>(waiting->elts);
        if (poll(fds, waiting->nelts, static_cast<int>(left * 1000) + 1) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < m->slots->nelts; ++i) {
            worker_slot& s = slot_at(m, i);
            for (int j = 0; j < waiting->nelts; ++j)
                if (fds[j].fd == s.ready_fd && fds[j].revents) {
                    char byte;
                    if (read(s.ready_fd, &byte, 1) == 1)
                        ++ready;
                    close(s.ready_fd);
                    s.ready_fd = -1;
                }
        }
    }
    for (int i = 0; i < m->slots->nelts; ++i)
        if (slot_at(m, i).ready_fd >= 0) {
            close(slot_at(m, i).ready_fd);
            slot_at(m, i).ready_fd = -1;
        }
    return ready;
}

/** A new generation of workers; returns how many of them are ready. */
int start_generation(master* m, const listener_set* stale)
{
    ++m->generation;
    scoreboard_set_generation(m->generation);
    int n = workers_wanted(m);
    for (int i = 0; i < n; ++i) {
        worker_slot slot;
        spawn(m, &slot, stale);
        APR_ARRAY_PUSH(m->slots, worker_slot) = slot;
    }
    int ready = wait_ready(m);
    x0_log_error(X0LOG(00403), X0_LOG_NOTICE, 0, server(m),
                 "generation %d: %d of %d worker(s) ready", m->generation, ready, n);
    return ready;
}

/**
 * Tell workers to stop: @a graceful ones finish what is in flight (SIGUSR1)
 * within GracefulShutdownTimeout, others get SIGTERM. Only workers of
 * generations before @a below (all: INT_MAX).
 */
void stop_generations(master* m, int below, bool graceful)
{
    int bound = m->config ? core_server_conf(server(m))->graceful_shutdown_timeout
                          : default_graceful_shutdown_timeout;
    double now = now_seconds();
    for (int i = m->slots->nelts - 1; i >= 0; --i) {
        worker_slot& s = slot_at(m, i);
        if (s.generation >= below || s.state == slot_state::killed)
            continue;
        if (s.pid == 0) {  // dead, waiting to be replaced: it will not be
            s = slot_at(m, m->slots->nelts - 1);
            --m->slots->nelts;
            continue;
        }
        if (graceful && s.state == slot_state::running) {
            s.state = slot_state::graceful;
            s.deadline = bound > 0 ? now + bound : 0;
            kill(s.pid, SIGUSR1);
        } else if (!graceful && s.state != slot_state::terminating) {
            s.state = slot_state::terminating;
            s.deadline = now + stop_grace_seconds;
            kill(s.pid, SIGTERM);
        }
    }
}

/** Past its deadline: a graceful worker gets SIGTERM, a terminating one SIGKILL. */
void escalate(master* m)
{
    double now = now_seconds();
    for (int i = 0; i < m->slots->nelts; ++i) {
        worker_slot& s = slot_at(m, i);
        if (s.pid <= 0 || s.deadline <= 0 || now < s.deadline)
            continue;
        if (s.state == slot_state::graceful) {
            x0_log_error(X0LOG(00407), X0_LOG_WARNING, 0, server(m), "worker %d of generation "
                         "%d still busy at GracefulShutdownTimeout: cutting its connections",
                         s.pid, s.generation);
            s.state = slot_state::terminating;
            s.deadline = now + stop_grace_seconds;
            kill(s.pid, SIGTERM);
        } else if (s.state == slot_state::terminating) {
            s.state = slot_state::killed;
            s.deadline = 0;
            kill(s.pid, SIGKILL);
        }
    }
}

/** Collect exited workers: a running one of this generation waits to be replaced. */
void reap(master* m)
{
    pid_t pid;
    int status;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < m->slots->nelts; ++i) {
            worker_slot& s = slot_at(m, i);
            if (s.pid != pid)
                continue;
            bool replace = s.state == slot_state::running && s.generation == m->generation &&
                           !m->exiting;
            if (replace) {
                x0_log_error(X0LOG(00404), X0_LOG_ERR, 0, server(m),
                             "worker %d exited (status %d); replacing it", pid, status);
                s.pid = 0;
            } else {
                s = slot_at(m, m->slots->nelts - 1);  // gone for good
                --m->slots->nelts;
            }
            break;
        }
    }
}

/** Replace dead workers; one that died at once waits, so a broken one does not fork in a loop. */
void respawn(master* m)
{
    if (m->exiting || !m->config)
        return;
    double now = now_seconds();
    for (int i = 0; i < m->slots->nelts; ++i) {
        worker_slot& s = slot_at(m, i);
        if (s.pid == 0 && s.generation == m->generation &&
            now - s.started >= respawn_pause_seconds) {
            spawn(m, &s, nullptr);
            // Its ready pipe is not waited for: nothing depends on it.
            if (s.ready_fd >= 0) {
                close(s.ready_fd);
                s.ready_fd = -1;
            }
        }
    }
}

/**
 * The path of this x0d's binary, read once at start: a reload's test runs
 * the file found there then (after an upgrade, the new x0d, as the next
 * start would). Not execv("/proc/self/exe"): under valgrind that is
 * valgrind's own binary, while readlink of it gives the program's path.
 */
const char* started_from(apr_pool_t* p)
{
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0)
        return "/proc/self/exe";
    return apr_pstrmemdup(p, path, static_cast<apr_size_t>(n));
}

/**
 * Test the configuration as the master is about to read it, in a fresh
 * x0d (`x0d -t` with X0D_RELOAD_TEST naming the addresses the master holds):
 * post_config, who the workers run as, the new ports, the ErrorLog. A fresh
 * process, not a fork of the master: a fork would still have the old
 * configuration's shared objects mapped (dlopen of the same path would hand
 * back the old code untested, of another path load a second copy), and
 * destroying the old pool there would run its cleanups on the master's
 * behalf. Returns NULL when it loads, or what the test printed (in @a p).
 */
const char* trial_load(master* m, apr_pool_t* p)
{
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0)
        return apr_psprintf(p, "cannot test the configuration: pipe: %s", strerror(errno));
    const char* held = held_addresses(p, &m->listeners);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);  // dup2 clears close-on-exec
        dup2(out[1], STDERR_FILENO);
        setenv("X0D_RELOAD_TEST", held, 1);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        execv(m->binary, const_cast<char* const*>(m->test_argv));
        _exit(127);
    }
    close(out[1]);
    if (pid < 0) {
        close(out[0]);
        return apr_psprintf(p, "cannot test the configuration: fork: %s", strerror(errno));
    }
    char buf[4096];
    size_t got = 0;
    double give_up = now_seconds() + trial_seconds;
    for (;;) {
        pollfd pfd = {out[0], POLLIN, 0};
        double left = give_up - now_seconds();
        if (left <= 0 || poll(&pfd, 1, static_cast<int>(left * 1000) + 1) == 0) {
            kill(pid, SIGKILL);
            break;
        }
        ssize_t n = read(out[0], buf + got, sizeof buf - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += static_cast<size_t>(n);
        if (got == sizeof buf - 1)
            break;
    }
    close(out[0]);
    while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
        --got;
    buf[got] = '\0';
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return nullptr;
    if (got > 0)
        return apr_pstrdup(p, buf);
    return apr_psprintf(p, "the configuration test ended without a word (status %d)", status);
}

/** A PidFile that moved with the new configuration. */
void move_pid_file(master* m)
{
    const char* path = pid_file_path(server(m));
    if (m->pid_file && strcmp(path, m->pid_file) == 0)
        return;
    if (const char* err = write_pid_file(m->pool, path)) {
        x0_log_error(X0LOG(00408), X0_LOG_ERR, 0, server(m), "%s", err);
        return;
    }
    remove_pid_file(m->pid_file);
    m->pid_file = apr_pstrdup(m->pool, path);
}

/** Failed after the old configuration was given up: no configuration until a reload works. */
void lost_config(master* m, const char* why, pid_t requester)
{
    x0_log_error(X0LOG(00409), X0_LOG_CRIT, 0, nullptr, "reload failed after its test passed "
                 "(did the configuration change meanwhile?): %s; the workers in place keep "
                 "serving, but none is replaced until a reload succeeds", why);
    control_reply(requester, false, why);
}

/** SIGUSR1 (@a graceful) or SIGHUP: see the top of the file. */
void reload(master* m, bool graceful, pid_t requester)
{
    const char* what = graceful ? "graceful restart" : "restart";
    char state[96];
    snprintf(state, sizeof state, "RELOADING=1\nMONOTONIC_USEC=%lld",
             static_cast<long long>(now_seconds() * 1e6));
    sd_notify(state);
    x0_log_error(X0LOG(00410), X0_LOG_NOTICE, 0, server(m), "%s requested", what);
    apr_pool_t* scratch;
    apr_pool_create(&scratch, m->pool);
    if (const char* err = trial_load(m, scratch)) {
        x0_log_error(X0LOG(00411), X0_LOG_ERR, 0, server(m), "%s refused, the workers in place "
                     "keep serving: %s", what, err);
        control_reply(requester, false, err);
        sd_notify("READY=1");
        apr_pool_destroy(scratch);
        return;
    }

    if (m->config)
        discard_config(m->config);
    m->config = nullptr;
    const char* err = nullptr;
    loaded_config* c = load_config(m->config_file, load_stage::start, scratch, &err);
    apr_pool_t* lpool;
    apr_pool_create(&lpool, m->pool);
    listener_set now;
    int log_fd = -1;
    if (c && open_listeners(lpool, c->server, &m->listeners, &now, &err)) {
        log_fd = open_error_log(scratch, c->server, &err);
        if (log_fd == -2)
            close_new_listeners(&m->listeners, &now);
    }
    if (err) {
        err = apr_pstrdup(scratch, err);
        if (c)
            discard_config(c);
        apr_pool_destroy(lpool);
        lost_config(m, err, requester);
        sd_notify("READY=1");
        apr_pool_destroy(scratch);
        return;
    }
    m->config = c;
    install_error_log(log_fd, c->server);  // the old workers keep writing to the old file
    if (c->user_warning)
        x0_log_error(X0LOG(00412), X0_LOG_WARNING, 0, c->server, "%s", c->user_warning);
    move_pid_file(m);

    listener_set old = m->listeners;
    apr_pool_t* old_pool = m->listener_pool;
    m->listeners = now;
    m->listener_pool = lpool;
    int ready = start_generation(m, &old);
    if (ready == 0) {
        // Keep the old generation: something stops every new worker (the log says what).
        const char* why = "no worker of the new generation started; the old workers keep "
                          "serving (see the ErrorLog)";
        x0_log_error(X0LOG(00413), X0_LOG_CRIT, 0, server(m), "%s", why);
        control_reply(requester, false, why);
    } else {
        stop_generations(m, m->generation, graceful);
        char done[128];
        snprintf(done, sizeof done, "%s done: generation %d, %d worker(s) ready", what,
                 m->generation, ready);
        control_reply(requester, true, done);
    }
    // Our copies only: the old workers close theirs as they stop; until the
    // last one does, what waits in a dropped socket's queue is still served.
    close_dropped_listeners(&old, &m->listeners);
    apr_pool_destroy(old_pool);
    sd_notify("READY=1");
    apr_pool_destroy(scratch);
}

/** The signals the master takes with sigtimedwait; main blocks them before it starts anything. */
void master_signals(sigset_t* set)
{
    sigemptyset(set);
    for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGWINCH})
        sigaddset(set, sig);
}

} // namespace

const char* write_pid_file(apr_pool_t* p, const char* path)
{
    // Written aside and renamed over: x0d -k, a monitor or systemd reading
    // it meanwhile finds the old pid or the new one, never an empty file.
    const char* temp = apr_psprintf(p, "%s.%d.tmp", path, static_cast<int>(getpid()));
    FILE* f = fopen(temp, "w");
    if (!f)
        return apr_psprintf(p, "cannot write PidFile %s: %s", path, strerror(errno));
    bool written = fprintf(f, "%d\n", static_cast<int>(getpid())) > 0;
    written = fclose(f) == 0 && written;
    if (!written || rename(temp, path) != 0) {
        const char* why = strerror(errno);
        unlink(temp);
        return apr_psprintf(p, "cannot write PidFile %s: %s", path, why);
    }
    return nullptr;
}

void remove_pid_file(const char* path)
{
    if (path)
        unlink(path);
}

int master_main(master_start* start)
{
    apr_pool_t* pool;
    apr_pool_create(&pool, nullptr);
    auto* m = static_cast<master*>(apr_pcalloc(pool, sizeof(master)));
    m->config_file = apr_pstrdup(pool, start->config_file);
    m->config = start->config;
    m->listeners = start->listeners;
    m->listener_pool = start->listener_pool;
    m->pid_file = start->pid_file ? apr_pstrdup(pool, start->pid_file) : nullptr;
    m->pool = pool;
    m->slots = apr_array_make(pool, 16, sizeof(worker_slot));
    m->daemon_ready_fd = start->ready_fd;
    m->test_argv = start->test_argv;
    m->binary = started_from(pool);

    sigset_t watched;
    master_signals(&watched);
    sigprocmask(SIG_BLOCK, &watched, nullptr);

    start_generation(m, nullptr);
    char ready[64];
    snprintf(ready, sizeof ready, "READY=1\nMAINPID=%ld", static_cast<long>(getpid()));
    sd_notify(ready);
    if (m->daemon_ready_fd >= 0) {
        char byte = 1;
        ssize_t ignored = write(m->daemon_ready_fd, &byte, 1);
        (void)ignored;
        close(m->daemon_ready_fd);
        m->daemon_ready_fd = -1;
    }

    while (!m->exiting || m->slots->nelts > 0) {
        // A second is the granularity of respawns and deadlines; SIGCHLD and
        // the control signals end the wait at once.
        timespec tick = {1, 0};
        siginfo_t info;
        int sig = sigtimedwait(&watched, &info, &tick);
        if (sig == SIGTERM || sig == SIGINT) {
            if (!m->exiting) {
                x0_log_error(X0LOG(00405), X0_LOG_NOTICE, 0, server(m), "stopping");
                sd_notify("STOPPING=1");
            }
            m->exiting = true;
            stop_generations(m, INT32_MAX, false);
        } else if (sig == SIGWINCH && !m->exiting) {
            x0_log_error(X0LOG(00414), X0_LOG_NOTICE, 0, server(m), "stopping gracefully");
            sd_notify("STOPPING=1");
            m->exiting = true;
            stop_generations(m, INT32_MAX, true);
        } else if ((sig == SIGUSR1 || sig == SIGHUP) && !m->exiting) {
            reload(m, sig == SIGUSR1, info.si_code == SI_USER ? info.si_pid : 0);
        }
        reap(m);
        escalate(m);
        respawn(m);
        if (m->exiting) {
            // New connections are refused once the workers closed theirs too.
            close_dropped_listeners(&m->listeners, nullptr);
            m->listeners.count = 0;
        }
    }
    remove_pid_file(m->pid_file);
    x0_log_error(X0LOG(00415), X0_LOG_NOTICE, 0, server(m), "stopped");
    if (m->config)
        discard_config(m->config);
    apr_pool_destroy(pool);
    return 0;
}

} // namespace x0
