/*
 * The error log (src/log.cc; tested beside mod_log_config, which owns the
 * logging feature): httpd 2.4's line format with module, pid and client,
 * and `LogLevel [module:]level...`.
 */
#include <CppUTest/TestHarness.h>

#include <apr_pools.h>
#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "modules.h"

namespace {

/** What @a fn writes to stderr. */
template <typename Fn>
std::string captured(Fn fn)
{
    int fds[2];
    LONGS_EQUAL(0, pipe(fds));
    int saved = dup(STDERR_FILENO);
    dup2(fds[1], STDERR_FILENO);
    close(fds[1]);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    char buf[4096];
    ssize_t n = read(fds[0], buf, sizeof buf);
    close(fds[0]);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

x0_module_t probe_module = {X0_MODULE_HEADER, "probe", nullptr, nullptr, nullptr,
                            nullptr, nullptr, nullptr};

} // namespace

TEST_GROUP(error_log)
{
    apr_pool_t* pconf = nullptr;
    apr_pool_t* ptemp = nullptr;
    x0_server_t* s = nullptr;
    x0_cmd_parms_t cmd{};
    char conf[64] = "/tmp/x0_error_log_test_XXXXXX";

    void setup() override
    {
        x0::reset_modules();
        apr_pool_create(&pconf, nullptr);
        apr_pool_create(&ptemp, nullptr);
        int fd = mkstemp(conf);
        CHECK(fd >= 0);
        close(fd);
        std::ofstream(conf) << "Listen 127.0.0.1:1\n";
        const char* error = nullptr;
        s = x0::read_config(pconf, ptemp, conf, &error);
        CHECK_TEXT(s != nullptr, error);
        CHECK(x0::add_module(&probe_module, "probe.so", pconf) == nullptr);
        cmd.server = s;
        cmd.pool = pconf;
        cmd.temp_pool = ptemp;
    }
    void teardown() override
    {
        apr_pool_destroy(ptemp);
        apr_pool_destroy(pconf);
        unlink(conf);
        x0::reset_modules();
    }

    const char* directive(std::initializer_list<const char*> args)
    {
        return x0::log_level_directive(&cmd, static_cast<int>(args.size()), args.begin());
    }
};

TEST(error_log, line_names_time_module_level_pid_and_client)
{
    x0_conn_t c{};
    c.client_ip = "192.0.2.7";
    c.client_port = 51234;
    c.base_server = s;
    std::string line = captured([&] {
        x0_log_cerror(&probe_module, X0LOG(09999), X0_LOG_ERR, 0, &c, "went %s", "wrong");
    });
    std::string tail = "] [probe:error] [pid " + std::to_string(getpid())
                       + "] [client 192.0.2.7:51234] X009999: went wrong\n";
    CHECK_TEXT(line.size() > tail.size() && line.compare(line.size() - tail.size(), tail.size(), tail) == 0,
               line.c_str());
    // [Wed Dec 02 13:37:03.123456 2026]
    CHECK_TEXT(line[0] == '[' && line[20] == '.' && line[27] == ' ', line.c_str());
}

TEST(error_log, core_messages_say_core)
{
    std::string line = captured([&] {
        x0_log_error(X0LOG(09998), X0_LOG_EMERG, APR_ENOENT, s, "gone");
    });
    CHECK_TEXT(line.find("] [core:emerg] [pid ") != std::string::npos, line.c_str());
    CHECK_TEXT(line.find("X009998: gone: ") != std::string::npos, line.c_str());
}

TEST(error_log, per_module_levels)
{
    CHECK(directive({"info", "probe:error", "core:debug"}) == nullptr);
    LONGS_EQUAL(X0_LOG_INFO, s->log_level);
    LONGS_EQUAL(X0_LOG_ERR, x0::log_module_level(&probe_module, s));
    LONGS_EQUAL(X0_LOG_DEBUG, x0::log_module_level(nullptr, s));
    CHECK_FALSE(x0_log_module_enabled(&probe_module, s, X0_LOG_WARNING));
    CHECK(x0_log_module_enabled(&probe_module, s, X0_LOG_ERR));
    CHECK(x0_log_enabled(s, X0_LOG_DEBUG));
    STRCMP_EQUAL("", captured([&] {
        x0_log_merror(&probe_module, X0LOG(09997), X0_LOG_INFO, 0, s, nullptr, "hidden");
    }).c_str());
    CHECK(directive({"probe_module:debug"}) == nullptr);  // httpd's other spelling
    LONGS_EQUAL(X0_LOG_DEBUG, x0::log_module_level(&probe_module, s));
}

TEST(error_log, level_errors)
{
    STRCMP_CONTAINS("no module \"nosuch\" is loaded", directive({"nosuch:warn"}));
    STRCMP_CONTAINS("\"loud\" is not a level", directive({"probe:loud"}));
    STRCMP_CONTAINS("\"verbose\" is not a level", directive({"verbose"}));
}
