/* The config reader, the module registry and the core directives. */
#include <apr_strings.h>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "config.h"
#include "core_config.h"
#include "modules.h"
#include "sections.h"
#include "x0/log.h"

#include <CppUTest/TestHarness.h>

namespace {

/* ---- a small module to watch what the reader does ---- */

struct test_dir {
    const char* value;   // TestValue; inherited when NULL
    const char* path;    // what create_dir_config was given
};

struct test_server {
    std::string* words;  // TestWords arguments joined by '|', one line per call
};

int hooks_registered;

void* test_create_dir(apr_pool_t* p, const char* path)
{
    auto* d = static_cast<test_dir*>(apr_pcalloc(p, sizeof(test_dir)));
    d->path = path;
    return d;
}

void* test_merge_dir(apr_pool_t* p, void* base_v, void* add_v)
{
    auto* base = static_cast<test_dir*>(base_v);
    auto* add = static_cast<test_dir*>(add_v);
    auto* d = static_cast<test_dir*>(apr_palloc(p, sizeof(test_dir)));
    d->value = add->value ? add->value : base->value;
    d->path = add->path;
    return d;
}

std::string recorded_words;

void* test_create_server(apr_pool_t* p, x0_server_t*)
{
    auto* s = static_cast<test_server*>(apr_pcalloc(p, sizeof(test_server)));
    s->words = &recorded_words;
    return s;
}

const char* test_words(x0_cmd_parms_t* cmd, void*, int argc, const char* const* argv)
{
    std::string line;
    for (int i = 0; i < argc; ++i)
        line += (i ? "|" : "") + std::string(argv[i]);
    if (argv[argc] != nullptr)
        return "argv is not NULL-terminated";
    recorded_words += line + "@" + std::to_string(cmd->line) + "\n";
    return nullptr;
}

const char* test_value(x0_cmd_parms_t*, void* dir_cfg, int, const char* const* argv)
{
    static_cast<test_dir*>(dir_cfg)->value = argv[0];
    return nullptr;
}

extern x0_module_t late_module;

/** Adds a module in the middle of the file, as LoadModule does. */
const char* test_load(x0_cmd_parms_t* cmd, void*, int, const char* const*)
{
    return x0::add_module(&late_module, "late.so", cmd->pool);
}

const char* test_fail(x0_cmd_parms_t*, void*, int, const char* const*)
{
    return "this directive always fails";
}

void test_register_hooks(apr_pool_t*) { ++hooks_registered; }

const x0_directive_t test_directives[] = {
    {"TestWords", test_words, 0, -1, X0_CONF_ANYWHERE, nullptr},
    {"TestValue", test_value, 1, 1, X0_CONF_ANYWHERE, "a word"},
    {"TestTwo", test_value, 1, 2, X0_CONF_ANYWHERE, "one or two words"},
    {"TestLoad", test_load, 0, 0, X0_CONF_SERVER, nullptr},
    {"TestFail", test_fail, 0, 0, X0_CONF_ANYWHERE, nullptr},
    {"TestInLocation", test_value, 1, 1, X0_CONF_LOCATION, "a word"},
    {nullptr, nullptr, 0, 0, 0, nullptr},
};

const x0_directive_t late_directives[] = {
    {"LateValue", test_value, 1, 1, X0_CONF_ANYWHERE, "a word"},
    {nullptr, nullptr, 0, 0, 0, nullptr},
};

} // namespace

extern "C" {
x0_module_t test_module = {X0_MODULE_HEADER, "test", test_create_dir, test_merge_dir,
                           test_create_server, nullptr, test_directives, test_register_hooks};
}

namespace {
x0_module_t late_module = {X0_MODULE_HEADER, "late", test_create_dir, test_merge_dir,
                           test_create_server, nullptr, late_directives, nullptr};
}

/* The test binary does not link builtin_modules.cc: this is its module list. */
namespace x0 {
x0_module_t* const builtin_modules[] = {&core_module, &test_module, nullptr};
}

namespace {

test_dir* test_conf(x0_config_vector_t* v) { return static_cast<test_dir*>(x0_get_module_config(v, &test_module)); }
x0::core_dir_config* core_dir(x0_config_vector_t* v)
{
    return static_cast<x0::core_dir_config*>(x0_get_module_config(v, &core_module));
}

} // namespace

TEST_GROUP(config)
{
    apr_pool_t* pconf;
    apr_pool_t* ptemp;
    std::string dir;        // a fresh directory, also the server root
    std::string old_root;
    const char* error;

    void setup() override
    {
        x0::reset_modules();
        hooks_registered = 0;
        recorded_words.clear();
        apr_pool_create(&pconf, nullptr);
        apr_pool_create(&ptemp, nullptr);
        char tmpl[] = "/tmp/x0_config_test_XXXXXX";
        CHECK(mkdtemp(tmpl) != nullptr);
        dir = tmpl;
        old_root = x0::server_root();
        x0::set_server_root(pconf, dir.c_str());
        error = nullptr;
    }

    void teardown() override
    {
        x0::set_server_root(pconf, old_root.c_str());
        apr_pool_destroy(ptemp);
        apr_pool_destroy(pconf);
        std::filesystem::remove_all(dir);
        x0::reset_modules();
        recorded_words.clear();
        recorded_words.shrink_to_fit();
    }

    /** Write @a text to @a name under the test directory; return its path. */
    std::string write(const std::string& name, const std::string& text)
    {
        std::string path = dir + "/" + name;
        std::filesystem::create_directories(std::filesystem::path(path).parent_path());
        std::ofstream(path) << text;
        return path;
    }

    /** Read @a text as x0d.conf, from a fresh module registry (as a reload does). */
    x0_server_t* read(const std::string& text)
    {
        x0::reset_modules();
        recorded_words.clear();
        return x0::read_config(pconf, ptemp, write("x0d.conf", text).c_str(), &error);
    }

    /** The config fails with exactly "FILE:LINE: message". */
    void expect_error(const std::string& text, int line, const std::string& message)
    {
        x0_server_t* s = read(text);
        CHECK(s == nullptr);
        CHECK(error != nullptr);
        std::string want = dir + "/x0d.conf:" + std::to_string(line) + ": " + message;
        STRCMP_EQUAL(want.c_str(), error);
    }

    x0::core_server_config* core(x0_server_t* s) { return x0::core_server_conf(s); }
};

/* ---- the registry ---- */

TEST(config, add_module_checks_abi_and_runs_register_hooks)
{
    x0_module_t old = {X0_MODULE_MAGIC, X0_ABI_MAJOR + 1, 0, -1, "old", nullptr, nullptr,
                       nullptr, nullptr, nullptr, nullptr};
    STRCMP_EQUAL(apr_psprintf(pconf, "old.so was built for x0 module ABI %d.0, but this x0d "
                              "has ABI %d.%d: rebuild the module against this x0",
                              X0_ABI_MAJOR + 1, X0_ABI_MAJOR, X0_ABI_MINOR),
                 x0::add_module(&old, "old.so", pconf));
    x0_module_t newer = {X0_MODULE_MAGIC, X0_ABI_MAJOR, X0_ABI_MINOR + 1, -1, "newer", nullptr,
                         nullptr, nullptr, nullptr, nullptr, nullptr};
    CHECK(strstr(x0::add_module(&newer, "newer.so", pconf), "newer.so was built for x0 module ABI"));
    x0_module_t alien = {0x7f454c46, X0_ABI_MAJOR, X0_ABI_MINOR, -1, "alien", nullptr,
                         nullptr, nullptr, nullptr, nullptr, nullptr};
    STRCMP_EQUAL("alien.so is not an x0 module (bad magic number 0x7f454c46)",
                 x0::add_module(&alien, "alien.so", pconf));
    LONGS_EQUAL(0, x0::module_count());

    CHECK(x0::add_module(&core_module, nullptr, pconf) == nullptr);
    CHECK(x0::add_module(&test_module, nullptr, pconf) == nullptr);
    LONGS_EQUAL(2, x0::module_count());
    LONGS_EQUAL(1, test_module.module_index);
    LONGS_EQUAL(1, hooks_registered);
    POINTERS_EQUAL(&test_module, x0::module_at(1));
    POINTERS_EQUAL(nullptr, x0::module_at(2));
    POINTERS_EQUAL(&test_module, x0::find_module("test"));
    POINTERS_EQUAL(nullptr, x0::find_module("nothere"));
    STRCMP_EQUAL("module test is already loaded", x0::add_module(&test_module, nullptr, pconf));

    x0::reset_modules();
    LONGS_EQUAL(0, x0::module_count());
    POINTERS_EQUAL(nullptr, x0::find_module("test"));
}

TEST(config, merge_takes_base_when_add_is_null_and_add_without_merge_fn)
{
    x0_module_t plain = {X0_MODULE_HEADER, "plain", nullptr, nullptr, nullptr, nullptr, nullptr,
                         nullptr};
    x0::add_module(&test_module, nullptr, pconf);
    x0::add_module(&plain, nullptr, pconf);
    int b1, a2;
    test_dir tb = {"base", nullptr}, ta = {nullptr, "/x"};
    void* base[] = {&tb, &b1};
    void* add[] = {&ta, &a2};
    x0_config_vector_t* m = x0::merge_dir_configs(pconf, base, add);
    STRCMP_EQUAL("base", test_conf(m)->value);
    POINTERS_EQUAL(&a2, m[1]);  // no merge function: the inner one wins
    void* add_none[] = {nullptr, nullptr};
    m = x0::merge_dir_configs(pconf, base, add_none);
    POINTERS_EQUAL(&tb, m[0]);
    POINTERS_EQUAL(&b1, m[1]);
}

TEST(config, conf_helpers)
{
    int flag = -1;
    CHECK(x0_conf_flag("oN", &flag) == nullptr);
    LONGS_EQUAL(1, flag);
    CHECK(x0_conf_flag("OFF", &flag) == nullptr);
    LONGS_EQUAL(0, flag);
    STRCMP_EQUAL("must be On or Off", x0_conf_flag("yes", &flag));

    long n = -1;
    CHECK(x0_conf_number(pconf, "42", 0, 100, &n) == nullptr);
    LONGS_EQUAL(42, n);
    STRCMP_EQUAL("must be a number", x0_conf_number(pconf, "4x", 0, 100, &n));
    STRCMP_EQUAL("must be a number", x0_conf_number(pconf, "-1", 0, 100, &n));
    STRCMP_EQUAL("must be a number", x0_conf_number(pconf, "", 0, 100, &n));
    STRCMP_EQUAL("must be between 0 and 100", x0_conf_number(pconf, "101", 0, 100, &n));
    STRCMP_EQUAL("must be between 0 and 100", x0_conf_number(pconf, "99999999999999999999999", 0, 100, &n));
    LONGS_EQUAL(42, n);

    STRCMP_EQUAL((dir + "/logs/x.log").c_str(), x0_server_root_relative(pconf, "logs/x.log"));
    STRCMP_EQUAL("/var/x.log", x0_server_root_relative(pconf, "/var/x.log"));
}

/* ---- good configs ---- */

TEST(config, defaults)
{
    x0_server_t* s = read("Listen 8080\n");
    CHECK_TEXT(s != nullptr, error);
    char host[256];
    gethostname(host, sizeof host);
    STRCMP_EQUAL(host, s->server_name);
    STRCMP_EQUAL((dir + "/x0d.conf").c_str(), s->defn_file);
    POINTERS_EQUAL(pconf, s->pool);
    CHECK(s->timeout == apr_time_from_sec(60));
    CHECK(s->keep_alive_timeout == apr_time_from_sec(5));
    LONGS_EQUAL(1, s->keep_alive);
    LONGS_EQUAL(100, s->max_keep_alive_requests);
    LONGS_EQUAL(8190, s->limit_req_line);
    LONGS_EQUAL(8190, s->limit_req_fieldsize);
    LONGS_EQUAL(100, s->limit_req_fields);
    LONGS_EQUAL(X0_LOG_WARNING, s->log_level);
    x0::core_server_config* c = core(s);
    LONGS_EQUAL(1, c->listens->nelts);
    LONGS_EQUAL(0, c->workers);
    LONGS_EQUAL(511, c->listen_backlog);
    LONGS_EQUAL(16384, c->max_connections);
    POINTERS_EQUAL(nullptr, c->pid_file);
    POINTERS_EQUAL(nullptr, c->error_log);
    POINTERS_EQUAL(nullptr, c->user);
    LONGS_EQUAL(0, core_dir(s->lookup_defaults)->options);  // no FollowSymLinks unless asked
    POINTERS_EQUAL(nullptr, core_dir(s->lookup_defaults)->handler);
    POINTERS_EQUAL(nullptr, test_conf(s->lookup_defaults)->path);
    LONGS_EQUAL(0, x0::core_server_conf(s)->sections->nelts);
    LONGS_EQUAL(1, hooks_registered);
}

TEST(config, every_core_directive)
{
    x0_server_t* s = read(
        "ServerRoot " + dir + "\n"
        "Listen 8080\n"
        "listen 127.0.0.1:8081\n"
        "Listen *:8082 HTTPS\n"
        "Listen [::1]:8083\n"
        "ServerName www.example.com\n"
        "Workers 4\n"
        "KeepAlive off\n"
        "KeepAliveTimeout 250ms\n"
        "MaxKeepAliveRequests 0\n"
        "Timeout 30\n"
        "LimitRequestLine 4096\n"
        "LimitRequestFieldSize 2048\n"
        "LimitRequestFields 0\n"
        "ErrorLog logs/error.log\n"
        "LogLevel Debug\n"
        "PidFile /run/x0d.pid\n"
        "ListenBacklog 1024\n"
        "MaxConnections 1000\n"
        "User www-data\n"
        "Group www-data\n"
        "Options None\n"
        "SetHandler Hello\n");
    CHECK_TEXT(s != nullptr, error);
    STRCMP_EQUAL("www.example.com", s->server_name);
    LONGS_EQUAL(0, s->keep_alive);
    CHECK(s->keep_alive_timeout == apr_time_from_msec(250));
    LONGS_EQUAL(0, s->max_keep_alive_requests);
    CHECK(s->timeout == apr_time_from_sec(30));
    LONGS_EQUAL(4096, s->limit_req_line);
    LONGS_EQUAL(2048, s->limit_req_fieldsize);
    LONGS_EQUAL(32767, s->limit_req_fields);
    LONGS_EQUAL(X0_LOG_DEBUG, s->log_level);

    x0::core_server_config* c = core(s);
    LONGS_EQUAL(4, c->listens->nelts);
    auto* l = reinterpret_cast<x0::listen_addr*>(c->listens->elts);
    POINTERS_EQUAL(nullptr, l[0].host);
    LONGS_EQUAL(8080, l[0].port);
    STRCMP_EQUAL((dir + "/x0d.conf").c_str(), l[0].file);
    LONGS_EQUAL(2, l[0].line);
    STRCMP_EQUAL("127.0.0.1", l[1].host);
    LONGS_EQUAL(8081, l[1].port);
    STRCMP_EQUAL("http", l[1].protocol);
    POINTERS_EQUAL(nullptr, l[2].host);
    STRCMP_EQUAL("https", l[2].protocol);  // lower-cased, as httpd
    STRCMP_EQUAL("::1", l[3].host);
    LONGS_EQUAL(8083, l[3].port);
    LONGS_EQUAL(5, l[3].line);
    LONGS_EQUAL(4, c->workers);
    STRCMP_EQUAL((dir + "/logs/error.log").c_str(), c->error_log);
    STRCMP_EQUAL("/run/x0d.pid", c->pid_file);
    LONGS_EQUAL(1024, c->listen_backlog);
    LONGS_EQUAL(1000, c->max_connections);
    STRCMP_EQUAL("www-data", c->user);
    STRCMP_EQUAL("www-data", c->group);
    LONGS_EQUAL(0, core_dir(s->lookup_defaults)->options);
    STRCMP_EQUAL("hello", core_dir(s->lookup_defaults)->handler);
}

TEST(config, workers_auto_and_timeouts_in_seconds)
{
    x0_server_t* s = read("Listen 80\nWorkers 3\nWorkers AUTO\nKeepAliveTimeout 0\n"
                          "Timeout 1500ms\n");
    CHECK_TEXT(s != nullptr, error);
    LONGS_EQUAL(0, core(s)->workers);
    CHECK(s->keep_alive_timeout == 0);
    CHECK(s->timeout == apr_time_from_msec(1500));
}

TEST(config, server_root_directive_moves_relative_paths)
{
    std::filesystem::create_directories(dir + "/other");
    x0_server_t* s = read("ServerRoot other\nListen 80\nPidFile x0d.pid\n");
    CHECK_TEXT(s != nullptr, error);
    STRCMP_EQUAL((dir + "/other/x0d.pid").c_str(), core(s)->pid_file);
}

TEST(config, relative_config_file_resolves_against_server_root)
{
    write("conf/x0d.conf", "Listen 80\n");
    x0_server_t* s = x0::read_config(pconf, ptemp, "conf/x0d.conf", &error);
    CHECK_TEXT(s != nullptr, error);
    STRCMP_EQUAL((dir + "/conf/x0d.conf").c_str(), s->defn_file);
}

TEST(config, quotes_comments_and_continuations)
{
    x0_server_t* s = read(
        "# a comment\n"
        "   # an indented comment\n"
        "\n"
        "  Listen 80   \r\n"
        "TestWords \"two words\" 'single \"quoted\"' \"say \\\"hi\\\"\" plain\\path ''\n"
        "TestWords one \\\n"
        "   two \\\n"
        "three\n"
        "# a comment that goes on \\\n"
        "TestWords this line is still the comment\n"
        "\ttestwords\tTabs\n"
        "TestWords 'it\\'s'\n");
    CHECK_TEXT(s != nullptr, error);
    STRCMP_EQUAL("two words|single \"quoted\"|say \"hi\"|plain\\path|@5\n"
                 "one|two|three@6\n"
                 "Tabs@11\n"
                 "it's@12\n",
                 recorded_words.c_str());
}

TEST(config, if_module)
{
    x0_server_t* s = read(
        "Listen 80\n"
        "<IfModule test>\n"
        "TestWords plain\n"
        "</IfModule>\n"
        "<IfModule mod_test>\n"
        "TestWords mod_\n"
        "</IfModule>\n"
        "<ifmodule mod_test.c>\n"
        "  TestWords dot-c\n"
        "  <IfModule core_module>\n"
        "    TestWords nested\n"
        "  </IfModule>\n"
        "</ifmodule>\n"
        "<IfModule !mod_nothere.c>\n"
        "TestWords negated\n"
        "</IfModule>\n"
        "<IfModule nothere>\n"
        "  NoSuchDirective at all\n"
        "  <Directory /x>\n"
        "    <Foo 'unterminated>\n"
        "    </Foo>\n"
        "  </Directory>\n"
        "  Listen 80\n"
        "</IfModule>\n"
        "<IfModule !test>\n"
        "TestWords skipped\n"
        "</IfModule>\n"
        "TestWords end\n");
    CHECK_TEXT(s != nullptr, error);
    STRCMP_EQUAL("plain@3\nmod_@6\ndot-c@9\nnested@11\nnegated@15\nend@28\n",
                 recorded_words.c_str());
}

TEST(config, location_walk_matches_path_segments)
{
    x0_server_t* s = read(
        "Listen 80\n"
        "TestValue server\n"
        "<Location /hello>\n"
        "  SetHandler hello\n"
        "</Location>\n"
        "<Location /hello/plain>\n"
        "  SetHandler None\n"
        "  TestValue plain\n"
        "</Location>\n"
        "<Location /dir/>\n"
        "  TestValue dir\n"
        "</Location>\n");
    CHECK_TEXT(s != nullptr, error);
    apr_array_header_t* locs = x0::core_server_conf(s)->sections;
    LONGS_EQUAL(3, locs->nelts);
    auto* first = APR_ARRAY_IDX(locs, 0, x0::dir_section*);
    STRCMP_EQUAL("/hello", first->path);
    STRCMP_EQUAL("/hello", test_conf(first->dir_config)->path);

    STRCMP_EQUAL("hello", core_dir(x0::location_walk(ptemp, s, "/hello"))->handler);
    STRCMP_EQUAL("hello", core_dir(x0::location_walk(ptemp, s, "/hello/x"))->handler);
    STRCMP_EQUAL("server", test_conf(x0::location_walk(ptemp, s, "/hello/x"))->value);
    POINTERS_EQUAL(nullptr, core_dir(x0::location_walk(ptemp, s, "/hello/plain/x"))->handler);
    STRCMP_EQUAL("plain", test_conf(x0::location_walk(ptemp, s, "/hello/plain"))->value);
    STRCMP_EQUAL("dir", test_conf(x0::location_walk(ptemp, s, "/dir/a"))->value);
    STRCMP_EQUAL("server", test_conf(x0::location_walk(ptemp, s, "/dir"))->value);

    // No match: the server defaults themselves, and nothing allocated.
    // (Two one-byte allocations around the walks land 8 bytes apart.)
    char* before = static_cast<char*>(apr_palloc(ptemp, 1));
    POINTERS_EQUAL(s->lookup_defaults, x0::location_walk(ptemp, s, "/helloworld"));
    POINTERS_EQUAL(s->lookup_defaults, x0::location_walk(ptemp, s, "/"));
    char* after = static_cast<char*>(apr_palloc(ptemp, 1));
    LONGS_EQUAL(8, after - before);
    POINTERS_EQUAL(nullptr, core_dir(s->lookup_defaults)->handler);
}

TEST(config, root_location_matches_everything_and_options_merge)
{
    x0_server_t* s = read(
        "Listen 80\n"
        "Options None\n"
        "<Location />\n"
        "  TestValue root\n"
        "</Location>\n"
        "<Location /a>\n"
        "  Options +FollowSymLinks\n"
        "</Location>\n"
        "<Location /a/b>\n"
        "  Options -FollowSymLinks\n"
        "</Location>\n"
        "<Location /c>\n"
        "  Options All\n"
        "</Location>\n");
    CHECK_TEXT(s != nullptr, error);
    STRCMP_EQUAL("root", test_conf(x0::location_walk(ptemp, s, "/anything"))->value);
    STRCMP_EQUAL("root", test_conf(x0::location_walk(ptemp, s, "/"))->value);
    LONGS_EQUAL(0, core_dir(x0::location_walk(ptemp, s, "/x"))->options);
    LONGS_EQUAL(X0_OPT_FOLLOW_SYMLINKS, core_dir(x0::location_walk(ptemp, s, "/a"))->options);
    LONGS_EQUAL(X0_OPT_FOLLOW_SYMLINKS, core_dir(x0::location_walk(ptemp, s, "/a/x"))->options);
    LONGS_EQUAL(0, core_dir(x0::location_walk(ptemp, s, "/a/b/c"))->options);
    LONGS_EQUAL(X0_OPT_INDEXES | X0_OPT_FOLLOW_SYMLINKS | X0_OPT_SYM_OWNER,
                core_dir(x0::location_walk(ptemp, s, "/c"))->options);
}

TEST(config, location_without_options_inherits_them)
{
    x0_server_t* s = read("Listen 80\nOptions FollowSymLinks\n"
                          "<Location /x>\nTestValue x\n</Location>\n");
    CHECK_TEXT(s != nullptr, error);
    LONGS_EQUAL(X0_OPT_FOLLOW_SYMLINKS, core_dir(x0::location_walk(ptemp, s, "/x"))->options);
}

TEST(config, include_files_and_patterns)
{
    write("conf.d/b.conf", "TestWords b\n");
    write("conf.d/a.conf", "TestWords a\n");
    write("conf.d/skip.txt", "TestWords txt\n");
    write("conf.d/.hidden.conf", "TestWords hidden\n");
    write("one.conf", "TestValue from-include\n");
    x0_server_t* s = read(
        "Listen 80\n"
        "Include conf.d/*.conf\n"
        "<Location /inc>\n"
        "  Include " + dir + "/one.conf\n"
        "</Location>\n"
        "IncludeOptional nothere/*.conf\n"
        "IncludeOptional nothere.conf\n"
        "IncludeOptional conf.d/*.none\n");
    CHECK_TEXT(s != nullptr, error);
    STRCMP_EQUAL("a@1\nb@1\n", recorded_words.c_str());
    STRCMP_EQUAL("from-include", test_conf(x0::location_walk(ptemp, s, "/inc"))->value);
    POINTERS_EQUAL(nullptr, test_conf(s->lookup_defaults)->value);
}

TEST(config, a_directive_that_adds_a_module_gets_its_configs)
{
    x0_server_t* s = read(
        "Listen 80\n"
        "<Location /before>\n"
        "</Location>\n"
        "TestLoad\n"
        "LateValue server\n"
        "<Location /after>\n"
        "  LateValue after\n"
        "</Location>\n");
    CHECK_TEXT(s != nullptr, error);
    LONGS_EQUAL(3, x0::module_count());
    CHECK(x0_get_server_config(s, &late_module) != nullptr);
    auto* before = static_cast<test_dir*>(
        x0_get_module_config(x0::location_walk(ptemp, s, "/before"), &late_module));
    STRCMP_EQUAL("/before", before->path);
    STRCMP_EQUAL("server", before->value);
    auto* after = static_cast<test_dir*>(
        x0_get_module_config(x0::location_walk(ptemp, s, "/after"), &late_module));
    STRCMP_EQUAL("after", after->value);
}

/* ---- errors: NULL and "FILE:LINE: message" ---- */

TEST(config, unknown_directive)
{
    expect_error("Listen 80\n# fine\nFoo bar\n", 3,
                 "Invalid command 'Foo', perhaps misspelled or defined by a module not "
                 "included in the server configuration");
}

TEST(config, bad_numbers)
{
    expect_error("Listen 80\nTimeout abc\n", 2, "Timeout must be a number");
    expect_error("Listen 80\nTimeout 0\n", 2, "Timeout must be between 1 and 86400");
    expect_error("Listen 80\nTimeout 0ms\n", 2, "Timeout must be between 1 and 86400000");
    expect_error("Listen 80\nKeepAliveTimeout -1\n", 2, "KeepAliveTimeout must be a number");
    expect_error("Listen 80\nLimitRequestLine 0\n", 2,
                 "LimitRequestLine must be between 1 and 65536");
    expect_error("Listen 80\nLimitRequestFieldSize 65537\n", 2,
                 "LimitRequestFieldSize must be between 1 and 65536");
    expect_error("Listen 80\nLimitRequestFields 32768\n", 2,
                 "LimitRequestFields must be between 0 and 32767");
    expect_error("Listen 80\nWorkers 0\n", 2,
                 "Workers must be auto or a number between 1 and 4096");
    expect_error("Listen 80\nMaxConnections many\n", 2, "MaxConnections must be a number");
}

TEST(config, bad_listen)
{
    expect_error("Listen 0\n", 1, "Listen port '0' must be between 1 and 65535");
    expect_error("Listen 70000\n", 1, "Listen port '70000' must be between 1 and 65535");
    expect_error("Listen abc\n", 1, "Listen port 'abc' must be a number");
    expect_error("Listen 1.2.3:80\n", 1,
                 "Listen: '1.2.3' is not an IPv4 address (use a dotted address, * or [IPv6])");
    expect_error("Listen ::1:80\n", 1,
                 "Listen: '::1' is not an IPv4 address (use a dotted address, * or [IPv6])");
    expect_error("Listen [::1\n", 1, "Listen '[::1': write an IPv6 address as [addr]:port");
    expect_error("Listen [nope]:80\n", 1, "Listen: 'nope' is not an IPv6 address");
    expect_error("Listen 80\nListen 8080\nListen *:80\n", 3,
                 "Listen *:80 is given twice (first at " + dir + "/x0d.conf:1)");
    expect_error("Listen [::1]:80\nListen [0::1]:80\n", 2,
                 "Listen [0::1]:80 is given twice (first at " + dir + "/x0d.conf:1)");
    expect_error("Listen 80 http/1.1\n", 1,
                 "Listen: 'http/1.1' is not a protocol name (http, https)");
    expect_error("Listen 80 https extra\n", 1, "Listen takes one or two arguments: [address:]port "
                 "[protocol], address is a.b.c.d, * or [ipv6]; protocol http or https");
}

TEST(config, listen_protocol_defaults_as_httpd)
{
    x0_server_t* s = read("Listen 443\nListen 8443\n");
    CHECK_TEXT(s != nullptr, error);
    auto* l = reinterpret_cast<x0::listen_addr*>(core(s)->listens->elts);
    STRCMP_EQUAL("https", l[0].protocol);  // port 443 means https
    STRCMP_EQUAL("http", l[1].protocol);
}

TEST(config, no_listen)
{
    CHECK(read("# nothing\n") == nullptr);
    STRCMP_EQUAL((dir + "/x0d.conf: no Listen directive").c_str(), error);
}

TEST(config, missing_main_file)
{
    CHECK(x0::read_config(pconf, ptemp, "nothere.conf", &error) == nullptr);
    STRCMP_EQUAL((dir + "/nothere.conf: cannot open: No such file or directory").c_str(), error);
}

TEST(config, flags_and_levels)
{
    expect_error("Listen 80\nKeepAlive yes\n", 2, "KeepAlive must be On or Off");
    expect_error("Listen 80\nLogLevel loud\n", 2,
                 "LogLevel: \"loud\" is not a level (emerg, alert, crit, error, warn, notice, "
                 "info, debug), alone or as module:level");
    expect_error("Listen 80\nErrorLog \"|rotatelogs\"\n", 2,
                 "ErrorLog: only files are supported (no pipes, no syslog)");
    expect_error("Listen 80\nServerRoot /nonexistent/dir\n", 2,
                 "ServerRoot must be a valid directory");
}

TEST(config, options_errors)
{
    expect_error("Listen 80\nOptions Indexes ExecCGI\n", 2,
                 "Options 'ExecCGI' is not supported by x0");
    expect_error("Listen 80\nOptions +multiviews\n", 2, "Options 'MultiViews' is not supported by x0");
    expect_error("Listen 80\nOptions Bogus\n", 2, "Illegal option Bogus");
    expect_error("Listen 80\nOptions +FollowSymLinks None\n", 2,
                 "Either all Options must start with + or -, or no Option may.");
}

TEST(config, argument_counts)
{
    expect_error("Listen 80\nKeepAlive\n", 2, "KeepAlive takes one argument: On or Off");
    expect_error("Listen 80\nKeepAlive on off\n", 2, "KeepAlive takes one argument: On or Off");
    expect_error("Listen 80\nTestTwo a b c\n", 2, "TestTwo takes one or two arguments: one or two words");
    expect_error("Listen 80\nTestLoad x\n", 2, "TestLoad takes no arguments");
    expect_error("Listen 80\nOptions\n", 2,
                 "Options takes at least one argument: None, All, or [+|-]Indexes, "
                 "FollowSymLinks, SymLinksIfOwnerMatch");
    expect_error("Listen 80\n<Location /a /b>\n</Location>\n", 2,
                 "<Location> takes one argument: <Location path>");
    expect_error("Listen 80\n<IfModule>\n</IfModule>\n", 2,
                 "<IfModule> takes one argument: <IfModule [!]module>");
}

TEST(config, directive_error_gets_file_and_line)
{
    expect_error("Listen 80\n\n\nTestFail\n", 4, "this directive always fails");
}

TEST(config, unterminated_quote)
{
    expect_error("Listen 80\nTestWords \"abc\n", 2, "unterminated quote in arguments");
    expect_error("Listen 80\nTestWords 'it\\'s\n", 2, "unterminated quote in arguments");
}

TEST(config, container_errors)
{
    expect_error("Listen 80\n</Location>\n", 2, "</Location> without matching <Location> section");
    expect_error("Listen 80\n\n<Location /a>\nSetHandler x\n", 3, "<Location> was not closed");
    expect_error("Listen 80\n<Location /a>\n<Location /b>\n</Location>\n</Location>\n", 3,
                 "<Location> cannot occur within <Location> section");
    expect_error("Listen 80\n<Location /a>\n<IfModule test>\n<Location /b>\n", 4,
                 "<Location> cannot occur within <Location> section");
    expect_error("<Location /a>\nListen 80\n</Location>\n", 2, "Listen not allowed in <Location>");
    expect_error("Listen 80\nTestInLocation x\n", 2, "TestInLocation not allowed in the server context");
    expect_error("Listen 80\n<Proxy /x>\n</Proxy>\n", 2,
                 "Invalid command '<Proxy', perhaps misspelled or defined by a module not "
                 "included in the server configuration");
    expect_error("Listen 80\n<Location /a>\n</IfModule>\n", 3,
                 "Expected </Location> but saw </IfModule>");
    expect_error("Listen 80\n<Location /a\n</Location>\n", 2,
                 "<Location directive missing closing '>'");
    expect_error("Listen 80\n<Location /a>\n</Location x>\n", 3, "</Location> takes no arguments");
    expect_error("Listen 80\n<Location a>\n</Location>\n", 2, "<Location> path must start with '/'");
    expect_error("Listen 80\n<IfModule nothere>\n<Foo>\n</IfModule>\n", 4,
                 "Expected </Foo> but saw </IfModule>");
    expect_error("Listen 80\n<IfModule !test>\n<Foo>\n", 3, "<Foo> was not closed");
    expect_error("Listen 80\n<IfModule test>\n", 2, "<IfModule> was not closed");
}

TEST(config, continuation_reports_the_first_line)
{
    expect_error("Listen 80\nTestWords a \\\n  b \\\n  c\nFoo \\\n  bar\n", 5,
                 "Invalid command 'Foo', perhaps misspelled or defined by a module not "
                 "included in the server configuration");
    expect_error("Listen 80\nKeepAlive \\\n maybe\n", 2, "KeepAlive must be On or Off");
}

TEST(config, continuation_at_end_of_file)
{
    // Found by the config fuzzer: a lone backslash on the last line.
    const char* inputs[] = {"Listen 80\n\\", "Listen 80\n\\\n", "Listen 80\n  \\",
                            "Listen 80 \\"};
    for (const char* text : inputs) {
        x0_server_t* s = read(text);
        CHECK_TEXT(s != nullptr, error ? error : text);
    }
}

TEST(config, include_errors)
{
    expect_error("Listen 80\nInclude missing.conf\n", 2,
                 dir + "/missing.conf: cannot open: No such file or directory");
    expect_error("Listen 80\nInclude nothere/*.conf\n", 2,
                 dir + "/nothere/: cannot open: No such file or directory");
    expect_error("Listen 80\nInclude *.none\n", 2, "Include: no files match '" + dir + "/*.none'");
    expect_error("Listen 80\nInclude a b\n", 2,
                 "Include takes one argument: a file, or a pattern like conf.d/*.conf");
    std::string loop = write("loop.conf", "\nInclude loop.conf\n");
    CHECK(read("Listen 80\nInclude loop.conf\n") == nullptr);
    STRCMP_EQUAL((loop + ":2: Include nested too deeply (does a file include itself?)").c_str(),
                 error);

    // An error inside an included file names that file and its line.
    std::string inc = write("inc.conf", "TestWords ok\n\nBogus\n");
    CHECK(read("Listen 80\nInclude inc.conf\n") == nullptr);
    STRCMP_EQUAL((inc + ":3: Invalid command 'Bogus', perhaps misspelled or defined by a module "
                        "not included in the server configuration").c_str(),
                 error);

    // A container must close in the file that opened it.
    write("open.conf", "<Location /a>\n");
    CHECK(read("Listen 80\nInclude open.conf\n</Location>\n") == nullptr);
    STRCMP_EQUAL((dir + "/open.conf:1: <Location> was not closed").c_str(), error);
}
