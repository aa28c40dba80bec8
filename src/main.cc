/*
 * x0d: read the config, bind, and serve -- in one process (-X) or as a
 * master with worker processes; or, with -k, act on the x0d that runs.
 */
#include <apr_general.h>
#include <apr_getopt.h>
#include <apr_strings.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <initializer_list>
#include <unistd.h>

#include "config.h"
#include "config_load.h"
#include "core_config.h"
#include "log.h"
#include "master.h"
#include "modules.h"
#include "process_control.h"
#include "scoreboard.h"
#include "vhost.h"

namespace {

constexpr char default_config[] = "conf/x0d.conf";

void usage(const char* argv0)
{
    fprintf(stderr,
            "usage: %s [-f FILE] [-d SERVERROOT] [-D NAME] [-k COMMAND] [-t] [-M] [-S] [-X] "
            "[-v]\n"
            "  -f FILE        configuration file (default: SERVERROOT/%s)\n"
            "  -d SERVERROOT  the directory relative paths resolve against (default: %s)\n"
            "  -D NAME        define NAME for <IfDefine NAME> and ${NAME}\n"
            "  -k COMMAND     start, stop, restart, graceful or graceful-stop the x0d of the\n"
            "                 PidFile; -k start goes to the background unless -D FOREGROUND\n"
            "  -t             test the configuration and exit\n"
            "  -M             list the loaded modules and exit\n"
            "  -S             show the virtual-host map and exit\n"
            "  -X             one process in the foreground, no workers (debugging)\n"
            "  -v             print the version and exit\n",
            argv0, default_config, X0_PREFIX);
}

/** `httpd -M`: one line per module, static (built in) or shared (LoadModule). */
void print_modules(FILE* out)
{
    fprintf(out, "Loaded Modules:\n");
    for (int i = 0; i < x0::module_count(); ++i)
        fprintf(out, " %s_module (%s)\n", x0::module_at(i)->name,
                x0::module_origin(i) ? "shared" : "static");
}

/**
 * -k start: go to the background as httpd does. The parent waits until the
 * master says its first workers accept (one byte on the pipe) and exits 0,
 * or 1 if the master died first; so `x0d -k start && curl ...` works.
 * Returns the pipe's write end in the daemon; does not return in the parent.
 */
int daemonize()
{
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) {
        fprintf(stderr, "x0d: pipe: %s\n", strerror(errno));
        exit(1);
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "x0d: fork: %s\n", strerror(errno));
        exit(1);
    }
    if (pid > 0) {
        close(ready[1]);
        char byte;
        ssize_t n;
        while ((n = read(ready[0], &byte, 1)) < 0 && errno == EINTR) {
        }
        _exit(n == 1 ? 0 : 1);  // the daemon owns the pools and the PidFile now
    }
    close(ready[0]);
    setsid();
    int null_fd = open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
        dup2(null_fd, STDIN_FILENO);
        dup2(null_fd, STDOUT_FILENO);
        if (null_fd > STDERR_FILENO)
            close(null_fd);
    }
    return ready[1];
}

/** `x0d -d ROOT -D NAME... -f FILE -t`: how the master tests a reload (trial_load). */
const char* const* reload_test_argv(apr_pool_t* p, const char* config_file,
                                    const apr_array_header_t* defines)
{
    apr_array_header_t* argv = apr_array_make(p, 8 + 2 * defines->nelts, sizeof(const char*));
    APR_ARRAY_PUSH(argv, const char*) = "x0d";
    APR_ARRAY_PUSH(argv, const char*) = "-d";
    APR_ARRAY_PUSH(argv, const char*) = apr_pstrdup(p, x0::server_root());
    for (int i = 0; i < defines->nelts; ++i) {
        APR_ARRAY_PUSH(argv, const char*) = "-D";
        APR_ARRAY_PUSH(argv, const char*) = APR_ARRAY_IDX(defines, i, const char*);
    }
    APR_ARRAY_PUSH(argv, const char*) = "-f";
    APR_ARRAY_PUSH(argv, const char*) = config_file;
    APR_ARRAY_PUSH(argv, const char*) = "-t";
    APR_ARRAY_PUSH(argv, const char*) = nullptr;
    return reinterpret_cast<const char* const*>(argv->elts);
}

} // namespace

int main(int argc, const char* const* argv)
{
    apr_app_initialize(&argc, &argv, nullptr);
    atexit(apr_terminate);
    signal(SIGPIPE, SIG_IGN);  // a client that goes away is an EPIPE, not a signal
    // Clients can connect as soon as the listeners are open, but the signal
    // handlers come later (worker_main, master_main): hold the signals
    // until then, so that a stop during start-up still removes the PidFile
    // and a reload asked for meanwhile is not lost.
    sigset_t held;
    sigemptyset(&held);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGWINCH, SIGCHLD})
        sigaddset(&held, sig);
    sigprocmask(SIG_BLOCK, &held, nullptr);

    apr_pool_t* pool;
    apr_pool_create(&pool, nullptr);

    const char* config_file = default_config;
    bool config_test = false;
    bool list_modules = false;
    bool show_vhosts = false;
    bool single_process = false;
    x0::k_command command = x0::k_command::none;
    apr_array_header_t* defines = apr_array_make(pool, 4, sizeof(const char*));
    apr_getopt_t* opt;
    apr_getopt_init(&opt, pool, argc, argv);
    char ch;
    const char* arg;
    apr_status_t rv;
    while ((rv = apr_getopt(opt, "f:d:D:k:tMSXvh", &ch, &arg)) == APR_SUCCESS) {
        switch (ch) {
        case 'f': config_file = arg; break;
        case 'd': x0::set_server_root(pool, arg); break;
        case 'D':
            x0::add_define(pool, arg);
            APR_ARRAY_PUSH(defines, const char*) = arg;
            break;
        case 'k':
            if (!x0::parse_k_command(arg, &command)) {
                fprintf(stderr, "x0d: -k takes start, stop, restart, graceful or graceful-stop, "
                        "not '%s'\n", arg);
                return 1;
            }
            break;
        case 't': config_test = true; break;
        case 'M': list_modules = true; break;
        case 'S': show_vhosts = true; break;
        case 'X': single_process = true; break;
        case 'v': printf("x0d version x0/%s\n", PACKAGE_VERSION); return 0;
        default: usage(argv[0]); return 0;
        }
    }
    if (rv != APR_EOF || opt->ind < argc) {
        usage(argv[0]);
        return 1;
    }
    // Before any ServerRoot directive moves the root: -d as given.
    const char* const* test_argv = reload_test_argv(pool, config_file, defines);
    if (command != x0::k_command::none) {
        int status = x0::control_running_server(command, config_file, pool);
        if (status >= 0)
            return status;
    }

    const char* error = nullptr;
    // Under -t, post_config runs too: a module checks there what only a
    // start would find (mod_ssl: a key that does not match its certificate).
    // The master's test of a reload (X0D_RELOAD_TEST) checks all a start does.
    const char* reload_test = config_test ? getenv("X0D_RELOAD_TEST") : nullptr;
    x0::load_stage stage = list_modules || show_vhosts ? x0::load_stage::read
                         : config_test && !reload_test ? x0::load_stage::test
                                                       : x0::load_stage::start;
    x0::loaded_config* config = x0::load_config(config_file, stage, pool, &error);
    if (!config) {
        fprintf(stderr, "%s\n", error);
        return 1;
    }
    x0_server_t* s = config->server;
    if (list_modules || show_vhosts) {
        if (list_modules)
            print_modules(stdout);
        if (show_vhosts)
            x0::print_vhosts(stdout, s);
        return 0;
    }
    if (reload_test) {
        int fd = -1;
        if ((error = x0::try_new_listeners(pool, s, reload_test)) ||
            (fd = x0::open_error_log(pool, s, &error)) == -2) {
            fprintf(stderr, "%s\n", error);
            return 1;
        }
        if (fd >= 0)
            close(fd);
        return 0;
    }
    if (config_test) {
        fprintf(stderr, "Syntax OK\n");
        return 0;
    }

    apr_pool_t* listener_pool;
    apr_pool_create(&listener_pool, nullptr);
    x0::listener_set listeners;
    int log_fd = -1;
    if (!x0::open_listeners(listener_pool, s, nullptr, &listeners, &error) ||
        (log_fd = x0::open_error_log(pool, s, &error)) == -2) {
        fprintf(stderr, "x0d: %s\n", error);
        return 1;
    }
    // httpd's convention: -k start goes to the background; plain x0d (and
    // -D FOREGROUND, and -X) stays in the foreground, as x0d always did.
    bool background = command != x0::k_command::none && !single_process &&
                      !x0::is_defined("FOREGROUND");
    int ready_fd = background ? daemonize() : -1;
    x0::install_error_log(log_fd, s);
    if (config->user_warning)
        x0_log_error(X0LOG(00002), X0_LOG_WARNING, 0, s, "%s", config->user_warning);

    // Without a PidFile directive the default one is written when its
    // directory exists; an explicit one that cannot be written stops us.
    const char* pid_file = x0::pid_file_path(s);
    if ((error = x0::write_pid_file(pool, pid_file))) {
        if (x0::core_server_conf(s)->pid_file) {
            fprintf(stderr, "x0d: %s\n", error);
            return 1;
        }
        x0_log_error(X0LOG(00003), X0_LOG_WARNING, 0, s, "%s; x0d -k cannot find this x0d",
                     error);
        pid_file = nullptr;
    }
    x0_log_error(X0LOG(00001), X0_LOG_NOTICE, 0, s, "x0/%s serving on %d listener(s)",
                 PACKAGE_VERSION, listeners.count);
    // Once, before the first worker: every generation shares it (docs/status.md).
    x0::scoreboard_create(x0::scoreboard_slots_for(s, single_process));
    if (single_process) {
        int status = x0::worker_main(s, listeners.items, listeners.count, -1);
        x0::remove_pid_file(pid_file);
        return status;
    }
    x0::master_start start = {config_file, config,   listeners, listener_pool,
                              pid_file,    ready_fd, test_argv};
    return x0::master_main(&start);
}
