/*
 * x0d: read the config, bind, and serve -- in one process (-X) or as a
 * master with worker processes.
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
#include <unistd.h>

#include "config.h"
#include "core_config.h"
#include "hooks.h"
#include "log.h"
#include "master.h"
#include "modules.h"
#include "vhost.h"

namespace {

constexpr char default_config[] = "conf/x0d.conf";

void usage(const char* argv0)
{
    fprintf(stderr,
            "usage: %s [-f FILE] [-d SERVERROOT] [-D NAME] [-t] [-M] [-S] [-X] [-v]\n"
            "  -f FILE        configuration file (default: SERVERROOT/%s)\n"
            "  -d SERVERROOT  the directory relative paths resolve against (default: %s)\n"
            "  -D NAME        define NAME for <IfDefine NAME> and ${NAME}\n"
            "  -t             test the configuration and exit\n"
            "  -M             list the loaded modules and exit\n"
            "  -S             show the virtual-host map and exit\n"
            "  -X             one process in the foreground, no workers (debugging)\n"
            "  -v             print the version and exit\n",
            argv0, default_config, X0_PREFIX);
}

/** Send log lines (and anything else written to stderr) to the ErrorLog. */
const char* open_error_log(apr_pool_t* p, x0_server_t* s)
{
    const char* path = x0::core_server_conf(s)->error_log;
    if (path) {
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return apr_psprintf(p, "cannot open ErrorLog %s: %s", path, strerror(errno));
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    x0::log_set_level(s->log_level);
    return nullptr;
}

/** `httpd -M`: one line per module, static (built in) or shared (LoadModule). */
void print_modules(FILE* out)
{
    fprintf(out, "Loaded Modules:\n");
    for (int i = 0; i < x0::module_count(); ++i)
        fprintf(out, " %s_module (%s)\n", x0::module_at(i)->name,
                x0::module_origin(i) ? "shared" : "static");
}

} // namespace

int main(int argc, const char* const* argv)
{
    apr_app_initialize(&argc, &argv, nullptr);
    atexit(apr_terminate);
    signal(SIGPIPE, SIG_IGN);  // a client that goes away is an EPIPE, not a signal
    // Clients can connect as soon as the listeners are open, but the stop
    // handlers come later (worker_main, master_main): hold SIGTERM and SIGINT
    // until then, so that a stop during start-up still removes the PidFile.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigprocmask(SIG_BLOCK, &stop_signals, nullptr);

    apr_pool_t* pconf;
    apr_pool_t* ptemp;
    apr_pool_create(&pconf, nullptr);
    apr_pool_create(&ptemp, pconf);

    const char* config_file = default_config;
    bool config_test = false;
    bool list_modules = false;
    bool show_vhosts = false;
    bool single_process = false;
    apr_getopt_t* opt;
    apr_getopt_init(&opt, pconf, argc, argv);
    char ch;
    const char* arg;
    apr_status_t rv;
    while ((rv = apr_getopt(opt, "f:d:D:tMSXvh", &ch, &arg)) == APR_SUCCESS) {
        switch (ch) {
        case 'f': config_file = arg; break;
        case 'd': x0::set_server_root(pconf, arg); break;
        case 'D': x0::add_define(pconf, arg); break;
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

    const char* error = nullptr;
    x0_server_t* s = x0::read_config(pconf, ptemp, config_file, &error);
    if (!s) {
        fprintf(stderr, "%s\n", error);
        return 1;
    }
    if (list_modules || show_vhosts) {
        if (list_modules)
            print_modules(stdout);
        if (show_vhosts)
            x0::print_vhosts(stdout, s);
        return 0;
    }
    // Under -t too: a module checks there what only a start would find
    // (mod_ssl: a key that does not match its certificate).
    if (x0::run_post_config(pconf, s) != X0_OK) {
        fprintf(stderr, "x0d: a module failed to start; see the messages above\n");
        return 1;
    }
    if (config_test) {
        fprintf(stderr, "Syntax OK\n");
        return 0;
    }
    apr_pool_clear(ptemp);

    int count = 0;
    x0::listener* listeners = x0::open_listeners(pconf, s, &count, &error);
    if (!listeners || (error = open_error_log(pconf, s)) || (error = x0::write_pid_file(pconf, s))) {
        fprintf(stderr, "x0d: %s\n", error);
        return 1;
    }
    x0_log_error(X0LOG(00001), X0_LOG_NOTICE, 0, s, "x0/%s serving on %d listener(s)",
                 PACKAGE_VERSION, count);
    int status = single_process ? x0::worker_main(s, listeners, count)
                                : x0::master_main(s, listeners, count);
    x0::remove_pid_file(s);
    return status;
}
