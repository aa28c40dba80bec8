/*
 * The config reader's containers and how their sections merge: <Directory>,
 * <DirectoryMatch>, <Files>, <FilesMatch>, <Location>, <LocationMatch>,
 * <VirtualHost>, <IfDefine>, Define and ${VAR}, Include, context checks and
 * the containers modules define.
 */
#include <apr_strings.h>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "config.h"
#include "core_config.h"
#include "modules.h"
#include "sections.h"
#include "x0/log.h"

#include <CppUTest/TestHarness.h>

namespace {

/*
 * The "sect" module. Its per-dir config is a trail: each scope may set one
 * tag (SectTag), and a merge appends the inner tag to the outer trail, so
 * a walk's result spells which sections merged, in which order.
 */
struct sect_dir {
    const char* trail;
    const char* path;  // what create_dir_config was given
};

void* sect_create_dir(apr_pool_t* p, const char* path)
{
    auto* d = static_cast<sect_dir*>(apr_pcalloc(p, sizeof(sect_dir)));
    d->path = path;
    return d;
}

void* sect_merge_dir(apr_pool_t* p, void* base_v, void* add_v)
{
    auto* base = static_cast<sect_dir*>(base_v);
    auto* add = static_cast<sect_dir*>(add_v);
    auto* d = static_cast<sect_dir*>(apr_palloc(p, sizeof(sect_dir)));
    if (base->trail && add->trail)
        d->trail = apr_pstrcat(p, base->trail, ">", add->trail, nullptr);
    else
        d->trail = add->trail ? add->trail : base->trail;
    d->path = add->path;
    return d;
}

const char* sect_tag(x0_cmd_parms_t*, void* dir_cfg, int, const char* const* argv)
{
    static_cast<sect_dir*>(dir_cfg)->trail = argv[0];
    return nullptr;
}

/** What the module's directive handlers saw, one line per call. */
std::string sect_log;

std::string base_name(const char* file)
{
    const char* slash = strrchr(file, '/');
    return slash ? slash + 1 : file;
}

/** "word@file:line ctx=N path=P" */
void log_call(x0_cmd_parms_t* cmd, const std::string& what)
{
    sect_log += what + "@" + base_name(cmd->file) + ":" + std::to_string(cmd->line) +
                " ctx=" + std::to_string(cmd->context) +
                " path=" + (cmd->path ? cmd->path : "-") + "\n";
}

const char* sect_log_words(x0_cmd_parms_t* cmd, void*, int argc, const char* const* argv)
{
    std::string words;
    for (int i = 0; i < argc; ++i)
        words += (i ? "|" : "") + std::string(argv[i]);
    log_call(cmd, words);
    return nullptr;
}

/** <SectBlock name>: logs its opening and closing; "fail-close" fails at the closing tag. */
const char* sect_block(x0_cmd_parms_t* cmd, void* dir_cfg, int argc, const char* const* argv)
{
    static std::string open_names[8];
    static int depth = 0;
    if (!cmd->closing) {
        if (strcmp(argv[0], "fail-open") == 0)
            return "SectBlock refuses to open";
        open_names[depth++ & 7] = argv[0];
        log_call(cmd, "open " + std::string(argv[0]));
        return nullptr;
    }
    if (argc != 0 || argv[0] != nullptr)
        return "closing call with arguments";
    std::string name = open_names[--depth & 7];
    log_call(cmd, "close " + name);
    return name == "fail-close" ? "SectBlock has nothing inside" : nullptr;
}

const char* sect_top(x0_cmd_parms_t* cmd, void*, int, const char* const*)
{
    log_call(cmd, cmd->closing ? "close top" : "open top");
    return nullptr;
}

const x0_directive_t sect_directives[] = {
    {"SectTag", sect_tag, 1, 1, X0_CONF_ANYWHERE, "a word"},
    {"SectLog", sect_log_words, 0, -1, X0_CONF_ANYWHERE, nullptr},
    {"SectBlock", sect_block, 1, 1, X0_CONF_CONTAINER | X0_CONF_SERVERS | X0_CONF_LOCATION,
     "a name"},
    {"SectTop", sect_top, 0, 0, X0_CONF_CONTAINER | X0_CONF_SERVER, nullptr},
    {nullptr, nullptr, 0, 0, 0, nullptr},
};

x0_module_t sect_module = {X0_MODULE_HEADER, "sect", sect_create_dir, sect_merge_dir,
                           nullptr, nullptr, sect_directives, nullptr};

const char* regcomp_prefix = "regular expression '(' could not be compiled: ";

} // namespace

TEST_GROUP(config_sections)
{
    apr_pool_t* pconf;
    apr_pool_t* ptemp;
    std::string dir;        // a fresh directory, also the server root
    std::string real_dir;   // dir with symlinks resolved (as DocumentRoot keeps it)
    std::string old_root;
    const char* error;

    void setup() override
    {
        x0::reset_modules();
        sect_log.clear();
        apr_pool_create(&pconf, nullptr);
        apr_pool_create(&ptemp, nullptr);
        char tmpl[] = "/tmp/x0_sections_test_XXXXXX";
        CHECK(mkdtemp(tmpl) != nullptr);
        dir = tmpl;
        char real[PATH_MAX];
        CHECK(realpath(tmpl, real) != nullptr);
        real_dir = real;
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
        sect_log.clear();
        sect_log.shrink_to_fit();
    }

    std::string write(const std::string& name, const std::string& text)
    {
        std::string path = dir + "/" + name;
        std::filesystem::create_directories(std::filesystem::path(path).parent_path());
        std::ofstream(path) << text;
        return path;
    }

    /** Read @a text as x0d.conf with the sect module added first (as a reload does). */
    x0_server_t* read(const std::string& text)
    {
        x0::reset_modules();
        sect_log.clear();
        const char* err = x0::add_module(&sect_module, nullptr, pconf);
        CHECK_TEXT(err == nullptr, err);
        return x0::read_config(pconf, ptemp, write("x0d.conf", text).c_str(), &error);
    }

    x0_server_t* read_ok(const std::string& text)
    {
        x0_server_t* s = read(text);
        CHECK_TEXT(s != nullptr, error);
        return s;
    }

    /** The config fails with exactly "FILE:LINE: message" (FILE relative to dir). */
    void expect_error(const std::string& text, const std::string& file, int line,
                      const std::string& message)
    {
        x0_server_t* s = read(text);
        CHECK(s == nullptr);
        CHECK(error != nullptr);
        std::string want = dir + "/" + file + ":" + std::to_string(line) + ": " + message;
        STRCMP_EQUAL(want.c_str(), error);
    }

    void expect_error(const std::string& text, int line, const std::string& message)
    {
        expect_error(text, "x0d.conf", line, message);
    }

    /** The error starts with "x0d.conf:LINE: prefix" and goes on after it. */
    void expect_error_prefix(const std::string& text, int line, const std::string& prefix)
    {
        CHECK(read(text) == nullptr);
        std::string want = dir + "/x0d.conf:" + std::to_string(line) + ": " + prefix;
        CHECK_TEXT(error && strncmp(error, want.c_str(), want.size()) == 0 &&
                       strlen(error) > want.size(),
                   error ? error : "no error");
    }

    static const char* trail(x0_config_vector_t* v)
    {
        auto* d = static_cast<sect_dir*>(x0_get_module_config(v, &sect_module));
        return d->trail ? d->trail : "(none)";
    }

    /** The trail for a file (absolute, or relative to dir) and a URL path. */
    const char* walk(x0_server_t* s, const std::string& file, const char* path = nullptr)
    {
        std::string f = file.empty() || file[0] == '/' ? file : dir + "/" + file;
        return trail(x0::directory_walk(ptemp, s, file.empty() ? nullptr : f.c_str(), path));
    }

    const char* loc(x0_server_t* s, const char* path)
    {
        return trail(x0::location_walk(ptemp, s, path));
    }
};

/* ---- Directory, Files, Location: which sections apply, in which order ---- */

TEST(config_sections, location_wins_over_directory)
{
    x0_server_t* s = read_ok(
        "Listen 80\n"
        "SectTag main\n"
        "<Location /docs>\n"
        "  SectTag loc\n"
        "</Location>\n"
        "<Directory " + dir + "/htdocs>\n"
        "  SectTag dir\n"
        "</Directory>\n"
        "<Files *.html>\n"
        "  SectTag files\n"
        "</Files>\n");
    STRCMP_EQUAL("main>dir>files>loc", walk(s, "htdocs/docs/a.html", "/docs/a.html"));
    STRCMP_EQUAL("main>dir>loc", walk(s, "htdocs/docs/a.txt", "/docs/a.txt"));
    STRCMP_EQUAL("main>dir", walk(s, "htdocs/a.txt", "/a.txt"));
    STRCMP_EQUAL("main>loc", walk(s, "/elsewhere/a.txt", "/docs"));
    STRCMP_EQUAL("main>loc", walk(s, "", "/docs/x"));  // no file: Locations only
    STRCMP_EQUAL("main", walk(s, "", nullptr));
    STRCMP_EQUAL("main>loc", loc(s, "/docs/x"));
    STRCMP_EQUAL("main", loc(s, "/docsx"));
}

TEST(config_sections, directories_merge_shortest_first_whatever_the_file_order)
{
    x0_server_t* s = read_ok(
        "Listen 80\n"
        "SectTag main\n"
        "<Directory " + dir + "/a/b/c>\n"
        "  SectTag abc\n"
        "</Directory>\n"
        "<Directory " + dir + "/a/>\n"
        "  SectTag a\n"
        "</Directory>\n"
        "<Directory /tmp>\n"
        "  SectTag tmp\n"
        "</Directory>\n"
        "<Directory />\n"
        "  SectTag root\n"
        "</Directory>\n"
        "<Directory a/b>\n"  // relative: against the server root
        "  SectTag ab\n"
        "</Directory>\n");
    STRCMP_EQUAL("main>root>tmp>a>ab>abc", walk(s, "a/b/c/d/f.html"));
    STRCMP_EQUAL("main>root>tmp>a>ab>abc", walk(s, "a/b/c"));
    STRCMP_EQUAL("main>root>tmp>a>ab", walk(s, "a/b/cd"));
    STRCMP_EQUAL("main>root>tmp>a", walk(s, "a/f.html"));
    STRCMP_EQUAL("main>root>tmp", walk(s, "ab/f.html"));
    STRCMP_EQUAL("main>root", walk(s, "/var/www/f.html"));

    // The sections themselves, in walk order.
    apr_array_header_t* secs = x0::core_server_conf(s)->sections;
    LONGS_EQUAL(5, secs->nelts);
    STRCMP_EQUAL("/", APR_ARRAY_IDX(secs, 0, x0::dir_section*)->path);
    STRCMP_EQUAL("/tmp", APR_ARRAY_IDX(secs, 1, x0::dir_section*)->path);
    STRCMP_EQUAL((dir + "/a").c_str(), APR_ARRAY_IDX(secs, 2, x0::dir_section*)->path);
    STRCMP_EQUAL((dir + "/a/b").c_str(), APR_ARRAY_IDX(secs, 3, x0::dir_section*)->path);
    x0::dir_section* abc = APR_ARRAY_IDX(secs, 4, x0::dir_section*);
    STRCMP_EQUAL((dir + "/a/b/c").c_str(), abc->path);
    STRCMP_EQUAL((dir + "/x0d.conf").c_str(), abc->file);
    LONGS_EQUAL(3, abc->line);
    auto* cfg = static_cast<sect_dir*>(x0_get_module_config(abc->dir_config, &sect_module));
    STRCMP_EQUAL((dir + "/a/b/c").c_str(), cfg->path);
}

TEST(config_sections, directory_globs_cover_what_is_below)
{
    x0_server_t* s = read_ok(
        "Listen 80\n"
        "SectTag main\n"
        "<Directory " + dir + "/*/b>\n"
        "  SectTag glob\n"
        "</Directory>\n"
        "<Directory " + dir + "/a>\n"
        "  SectTag a\n"
        "</Directory>\n");
    STRCMP_EQUAL("main>a>glob", walk(s, "a/b/f.html"));
    STRCMP_EQUAL("main>glob", walk(s, "x/b/c/f.html"));
    STRCMP_EQUAL("main>a", walk(s, "a/bc/f.html"));
    STRCMP_EQUAL("main", walk(s, "x/c/b"));
}

TEST(config_sections, directory_match_comes_after_every_directory)
{
    x0_server_t* s = read_ok(
        "Listen 80\n"
        "SectTag main\n"
        "<DirectoryMatch \"/a/b/\">\n"
        "  SectTag match\n"
        "</DirectoryMatch>\n"
        "<Files f.html>\n"
        "  SectTag files\n"
        "</Files>\n"
        "<Directory " + dir + "/a/b/c>\n"
        "  SectTag abc\n"
        "</Directory>\n"
        "<DirectoryMatch \"/a/\">\n"
        "  SectTag match-a\n"
        "</DirectoryMatch>\n"
        "<Directory " + dir + "/a>\n"
        "  SectTag a\n"
        "</Directory>\n");
    STRCMP_EQUAL("main>a>abc>match>match-a>files", walk(s, "a/b/c/f.html"));
    STRCMP_EQUAL("main>a>match-a", walk(s, "a/x/g.html"));
    STRCMP_EQUAL("main>files", walk(s, "z/f.html"));
    apr_array_header_t* secs = x0::core_server_conf(s)->sections;
    x0::dir_section* m = APR_ARRAY_IDX(secs, 2, x0::dir_section*);
    STRCMP_EQUAL("/a/b/", m->path);  // a pattern is not a path: not made absolute
    CHECK(m->regex != nullptr);
}

TEST(config_sections, files_inside_a_directory_only_apply_below_it)
{
    x0_server_t* s = read_ok(
        "Listen 80\n"
        "SectTag main\n"
        "<Directory " + dir + "/a>\n"
        "  SectTag a\n"
        "  <Files *.html>\n"
        "    SectTag a-html\n"
        "  </Files>\n"
        "  <FilesMatch \"^secret\">\n"
        "    SectTag a-secret\n"
        "  </FilesMatch>\n"
        "</Directory>\n"
        "<Files secret.txt>\n"
        "  SectTag secret\n"
        "</Files>\n"
        "<FilesMatch \"\\.(gif|png)$\">\n"
        "  SectTag image\n"
        "</FilesMatch>\n");
    STRCMP_EQUAL("main>a>a-html", walk(s, "a/x.html"));
    STRCMP_EQUAL("main>a>a-html", walk(s, "a/sub/x.html"));
    STRCMP_EQUAL("main", walk(s, "b/x.html"));
    STRCMP_EQUAL("main", walk(s, "ab/x.html"));
    STRCMP_EQUAL("main>a>a-secret>secret", walk(s, "a/secret.txt"));
    STRCMP_EQUAL("main>secret", walk(s, "b/secret.txt"));
    STRCMP_EQUAL("main>a>a-secret", walk(s, "a/secrets.txt"));
    STRCMP_EQUAL("main>image", walk(s, "b/x.png"));
    STRCMP_EQUAL("main>image", walk(s, "b/y.gif"));
    STRCMP_EQUAL("main", walk(s, "b/x.PNG"));     // regular expressions are case-sensitive
    STRCMP_EQUAL("main", walk(s, "b/x.png/y"));   // the file name, not the path
    STRCMP_EQUAL("main", walk(s, "b/a/x.html"));  // not below a/ of the Directory

    apr_array_header_t* secs = x0::core_server_conf(s)->sections;
    x0::dir_section* files = APR_ARRAY_IDX(secs, 1, x0::dir_section*);
    CHECK(files->kind == x0::section_kind::files);
    POINTERS_EQUAL(APR_ARRAY_IDX(secs, 0, x0::dir_section*), files->within);
    POINTERS_EQUAL(nullptr, APR_ARRAY_IDX(secs, 3, x0::dir_section*)->within);
}

TEST(config_sections, files_directives_see_the_files_context)
{
    read_ok("Listen 80\n"
            "<Directory " + dir + "/a>\n"
            "  SectLog d\n"
            "  <Files x>\n"
            "    SectLog f\n"
            "  </Files>\n"
            "</Directory>\n"
            "<Location /l>\n"
            "  SectLog l\n"
            "</Location>\n"
            "SectLog s\n");
    STRCMP_EQUAL(("d@x0d.conf:3 ctx=4 path=" + dir + "/a\n"
                  "f@x0d.conf:5 ctx=16 path=x\n"
                  "l@x0d.conf:9 ctx=8 path=/l\n"
                  "s@x0d.conf:11 ctx=1 path=-\n").c_str(),
                 sect_log.c_str());
}

TEST(config_sections, location_match_and_tilde)
{
    x0_server_t* s = read_ok(
        "Listen 80\n"
        "SectTag main\n"
        "<LocationMatch \"^/img/.*\\.png$\">\n"
        "  SectTag png\n"
        "</LocationMatch>\n"
        "<Location ~ \"^/old\">\n"
        "  SectTag old\n"
        "</Location>\n"
        "<Location /img>\n"
        "  SectTag img\n"
        "</Location>\n"
        "<Location /g/*/x>\n"
        "  SectTag glob\n"
        "</Location>\n");
    STRCMP_EQUAL("main>png>img", loc(s, "/img/a/b.png"));
    STRCMP_EQUAL("main>img", loc(s, "/img/a.gif"));
    STRCMP_EQUAL("main>old", loc(s, "/old/x"));
    STRCMP_EQUAL("main>old", loc(s, "/older"));
    STRCMP_EQUAL("main", loc(s, "/x/old"));
    STRCMP_EQUAL("main>glob", loc(s, "/g/a/x"));
    STRCMP_EQUAL("main", loc(s, "/g/a/b/x"));
    STRCMP_EQUAL("main", loc(s, "/g/a/x/y"));
    apr_array_header_t* secs = x0::core_server_conf(s)->sections;
    x0::dir_section* old = APR_ARRAY_IDX(secs, 1, x0::dir_section*);
    STRCMP_EQUAL("^/old", old->path);
    CHECK(old->regex != nullptr);
    CHECK(APR_ARRAY_IDX(secs, 3, x0::dir_section*)->glob);
    // "~" is the regex marker only as the first of two words.
    expect_error("Listen 80\n<Location ~>\n</Location>\n", 2,
                 "<Location> path must start with '/'");
}

TEST(config_sections, directory_and_files_tilde)
{
    x0_server_t* s = read_ok(
        "Listen 80\n"
        "SectTag main\n"
        "<Directory ~ \"/a$\">\n"
        "  SectTag da\n"
        "</Directory>\n"
        "<Files ~ \"\\.cgi$\">\n"
        "  SectTag cgi\n"
        "</Files>\n");
    STRCMP_EQUAL("main>da>cgi", walk(s, "a/x.cgi"));
    STRCMP_EQUAL("main>cgi", walk(s, "b/x.cgi"));
}

TEST(config_sections, bad_regex_is_an_error_with_file_and_line)
{
    expect_error_prefix("Listen 80\n\n<LocationMatch (>\n</LocationMatch>\n", 3, regcomp_prefix);
    expect_error_prefix("Listen 80\n<Location ~ (>\n</Location>\n", 2, regcomp_prefix);
    expect_error_prefix("Listen 80\n<DirectoryMatch (>\n</DirectoryMatch>\n", 2, regcomp_prefix);
    expect_error_prefix("Listen 80\n<Directory /x>\n<FilesMatch (>\n</FilesMatch>\n</Directory>\n",
                        3, regcomp_prefix);
    expect_error_prefix("Listen 80\n<VirtualHost *:80>\n<Files ~ (>\n", 3, regcomp_prefix);
    expect_error("Listen 80\n<LocationMatch a b>\n</LocationMatch>\n", 2,
                 "<LocationMatch> takes one argument: <LocationMatch regex>");
    expect_error("Listen 80\n<Directory>\n</Directory>\n", 2,
                 "<Directory> takes one argument: <Directory path>");
}

/* ---- virtual hosts ---- */

TEST(config_sections, virtual_hosts_are_servers_on_the_main_ones_list)
{
    std::filesystem::create_directories(dir + "/main");
    std::filesystem::create_directories(dir + "/a");
    x0_server_t* s = read_ok(
        "Listen 80\n"
        "ServerName main.example\n"
        "DocumentRoot main\n"
        "SectTag main\n"
        "<Location /shared>\n"
        "  SectTag main-loc\n"
        "</Location>\n"
        "<VirtualHost *:80>\n"
        "  ServerName a.example\n"
        "  ServerAlias www.A.example *.a.test\n"
        "  ServerAlias more.a.example\n"
        "  DocumentRoot " + dir + "/a/\n"
        "  SectTag vh-a\n"
        "  <Location /shared>\n"
        "    SectTag a-loc\n"
        "  </Location>\n"
        "  <Directory " + dir + "/a>\n"
        "    SectTag a-dir\n"
        "  </Directory>\n"
        "</VirtualHost>\n"
        "<VirtualHost 127.0.0.1:8080 [::1]:8080 _default_>\n"
        "  ServerName b.example\n"
        "</VirtualHost>\n"
        "<Directory " + dir + ">\n"
        "  SectTag top\n"
        "</Directory>\n");
    LONGS_EQUAL(0, s->is_virtual);
    STRCMP_EQUAL("main.example", s->server_name);
    POINTERS_EQUAL(nullptr, s->aliases);
    STRCMP_EQUAL((real_dir + "/main").c_str(), x0_document_root(s));

    x0_server_t* a = s->next;
    CHECK(a != nullptr);
    x0_server_t* b = a->next;
    CHECK(b != nullptr);
    POINTERS_EQUAL(nullptr, b->next);

    LONGS_EQUAL(1, a->is_virtual);
    STRCMP_EQUAL("a.example", a->server_name);
    STRCMP_EQUAL((dir + "/x0d.conf").c_str(), a->defn_file);
    LONGS_EQUAL(8, a->defn_line);
    POINTERS_EQUAL(pconf, a->pool);
    LONGS_EQUAL(3, a->aliases->nelts);
    STRCMP_EQUAL("www.a.example", APR_ARRAY_IDX(a->aliases, 0, const char*));
    STRCMP_EQUAL("*.a.test", APR_ARRAY_IDX(a->aliases, 1, const char*));
    STRCMP_EQUAL("more.a.example", APR_ARRAY_IDX(a->aliases, 2, const char*));
    STRCMP_EQUAL((real_dir + "/a").c_str(), x0_document_root(a));
    apr_array_header_t* addrs = x0::core_server_conf(a)->addrs;
    LONGS_EQUAL(1, addrs->nelts);
    POINTERS_EQUAL(nullptr, APR_ARRAY_IDX(addrs, 0, x0::vhost_addr).host);
    LONGS_EQUAL(80, APR_ARRAY_IDX(addrs, 0, x0::vhost_addr).port);

    LONGS_EQUAL(1, b->is_virtual);
    STRCMP_EQUAL("b.example", b->server_name);
    LONGS_EQUAL(21, b->defn_line);
    POINTERS_EQUAL(nullptr, b->aliases);
    STRCMP_EQUAL((real_dir + "/main").c_str(), x0_document_root(b));  // inherited
    addrs = x0::core_server_conf(b)->addrs;
    LONGS_EQUAL(3, addrs->nelts);
    STRCMP_EQUAL("127.0.0.1", APR_ARRAY_IDX(addrs, 0, x0::vhost_addr).host);
    LONGS_EQUAL(8080, APR_ARRAY_IDX(addrs, 0, x0::vhost_addr).port);
    STRCMP_EQUAL("::1", APR_ARRAY_IDX(addrs, 1, x0::vhost_addr).host);
    LONGS_EQUAL(8080, APR_ARRAY_IDX(addrs, 1, x0::vhost_addr).port);
    POINTERS_EQUAL(nullptr, APR_ARRAY_IDX(addrs, 2, x0::vhost_addr).host);
    LONGS_EQUAL(0, APR_ARRAY_IDX(addrs, 2, x0::vhost_addr).port);
    POINTERS_EQUAL(nullptr, x0::core_server_conf(s)->addrs);

    // Per-dir defaults: the main server's, then the virtual host's.
    STRCMP_EQUAL("main", trail(s->lookup_defaults));
    STRCMP_EQUAL("main>vh-a", trail(a->lookup_defaults));
    STRCMP_EQUAL("main", trail(b->lookup_defaults));

    // A virtual host's sections follow the main server's.
    STRCMP_EQUAL("main>main-loc", loc(s, "/shared/x"));
    STRCMP_EQUAL("main>vh-a>main-loc>a-loc", loc(a, "/shared/x"));
    STRCMP_EQUAL("main>main-loc", loc(b, "/shared/x"));
    STRCMP_EQUAL("main>top", walk(s, "a/f"));
    STRCMP_EQUAL("main>vh-a>top>a-dir>main-loc>a-loc", walk(a, "a/f", "/shared"));
    STRCMP_EQUAL("main>top", walk(b, "a/f"));
    LONGS_EQUAL(2, x0::core_server_conf(s)->sections->nelts);
    LONGS_EQUAL(4, x0::core_server_conf(a)->sections->nelts);
    LONGS_EQUAL(2, x0::core_server_conf(b)->sections->nelts);
}

TEST(config_sections, virtual_hosts_inherit_server_settings_set_anywhere_in_the_file)
{
    x0_server_t* s = read_ok(
        "Listen 80\n"
        "Timeout 20\n"
        "<VirtualHost *:80>\n"
        "  ServerName a.example\n"
        "  KeepAlive Off\n"
        "</VirtualHost>\n"
        "<VirtualHost *:80>\n"
        "  ServerName b.example\n"
        "  Timeout 5\n"
        "  KeepAliveTimeout 0\n"
        "  MaxKeepAliveRequests 0\n"
        "  LogLevel error\n"
        "</VirtualHost>\n"
        "<VirtualHost *:80>\n"
        "</VirtualHost>\n"
        "KeepAlive On\n"
        "Timeout 30\n"
        "KeepAliveTimeout 2\n"
        "MaxKeepAliveRequests 7\n"
        "LogLevel debug\n"
        "LimitRequestLine 1000\n"
        "LimitRequestFieldSize 900\n"
        "LimitRequestFields 50\n"
        "ServerName late.example\n");
    x0_server_t* a = s->next;
    x0_server_t* b = a->next;
    x0_server_t* c = b->next;
    CHECK(c != nullptr);
    for (x0_server_t* v = s; v; v = v->next) {
        LONGS_EQUAL(1000, v->limit_req_line);
        LONGS_EQUAL(900, v->limit_req_fieldsize);
        LONGS_EQUAL(50, v->limit_req_fields);
    }
    STRCMP_EQUAL("late.example", s->server_name);

    STRCMP_EQUAL("a.example", a->server_name);
    LONGS_EQUAL(0, a->keep_alive);
    CHECK(a->timeout == apr_time_from_sec(30));
    CHECK(a->keep_alive_timeout == apr_time_from_sec(2));
    LONGS_EQUAL(7, a->max_keep_alive_requests);
    LONGS_EQUAL(X0_LOG_DEBUG, a->log_level);

    LONGS_EQUAL(1, b->keep_alive);
    CHECK(b->timeout == apr_time_from_sec(5));
    CHECK(b->keep_alive_timeout == 0);
    LONGS_EQUAL(0, b->max_keep_alive_requests);
    LONGS_EQUAL(X0_LOG_ERR, b->log_level);

    // No ServerName: the main server's, as httpd.
    STRCMP_EQUAL("late.example", c->server_name);
    CHECK(c->timeout == apr_time_from_sec(30));
    LONGS_EQUAL(1, c->keep_alive);
}

TEST(config_sections, virtual_host_errors)
{
    expect_error("Listen 80\n<VirtualHost>\n</VirtualHost>\n", 2,
                 "<VirtualHost> takes at least one argument: <VirtualHost addr:port "
                 "[addr:port ...]>");
    expect_error("Listen 80\n<VirtualHost www.example.com:80>\n</VirtualHost>\n", 2,
                 "<VirtualHost> 'www.example.com:80': 'www.example.com' is not an IP address "
                 "(x0 does not resolve names here; use *:port with ServerName)");
    expect_error("Listen 80\n<VirtualHost *:99999>\n</VirtualHost>\n", 2,
                 "<VirtualHost> '*:99999': bad port '99999'");
    expect_error("Listen 80\n<VirtualHost [::1>\n</VirtualHost>\n", 2,
                 "<VirtualHost> '[::1': write IPv6 as [addr]:port");
    expect_error("Listen 80\n<VirtualHost *:80>\n<VirtualHost *:81>\n</VirtualHost>\n"
                 "</VirtualHost>\n", 3,
                 "<VirtualHost> cannot occur within <VirtualHost> section");
    expect_error("Listen 80\n<Location />\n<VirtualHost *:81>\n</VirtualHost>\n</Location>\n", 3,
                 "<VirtualHost> cannot occur within <Location> section");
    expect_error("Listen 80\n<VirtualHost *:80>\n\n", 2, "<VirtualHost> was not closed");
}

/* ---- directive context ---- */

TEST(config_sections, directives_checked_against_their_context)
{
    std::filesystem::create_directories(dir + "/docs");
    expect_error("Listen 80\n<VirtualHost *:80>\nListen 81\n</VirtualHost>\n", 3,
                 "Listen not allowed in <VirtualHost>");
    expect_error("Listen 80\n<Location />\nDocumentRoot docs\n</Location>\n", 3,
                 "DocumentRoot not allowed in <Location>");
    expect_error("Listen 80\n<LocationMatch x>\nDocumentRoot docs\n</LocationMatch>\n", 3,
                 "DocumentRoot not allowed in <Location>");
    expect_error("Listen 80\n<Directory /x>\nServerName x\n</Directory>\n", 3,
                 "ServerName not allowed in <Directory>");
    expect_error("Listen 80\n<DirectoryMatch x>\nTimeout 5\n</DirectoryMatch>\n", 3,
                 "Timeout not allowed in <Directory>");
    expect_error("Listen 80\n<Files x>\nKeepAlive on\n</Files>\n", 3,
                 "KeepAlive not allowed in <Files>");
    expect_error("Listen 80\n<VirtualHost *:80>\n<Location />\nWorkers 2\n</Location>\n"
                 "</VirtualHost>\n",
                 4, "Workers not allowed in <Location>");
    expect_error("Listen 80\n<VirtualHost *:80>\nLimitRequestLine 100\n</VirtualHost>\n", 3,
                 "LimitRequestLine not allowed in <VirtualHost>");
    expect_error("Listen 80\nServerAlias www.example.com\n", 2,
                 "ServerAlias only used in <VirtualHost>");
    // <IfModule> and <IfDefine> keep the context they are in.
    expect_error("Listen 80\n<Location />\n<IfModule core>\nListen 81\n</IfModule>\n"
                 "</Location>\n",
                 4, "Listen not allowed in <Location>");
    // Everything allowed where it is: no error.
    read_ok("Listen 80\nDocumentRoot docs\n<VirtualHost *:80>\nDocumentRoot docs\n"
            "Timeout 5\n<Location />\nOptions None\n</Location>\n</VirtualHost>\n");
}

TEST(config_sections, sections_checked_against_their_context)
{
    expect_error("Listen 80\n<Directory /a>\n<Directory /a/b>\n</Directory>\n</Directory>\n", 3,
                 "<Directory> cannot occur within <Directory> section");
    expect_error("Listen 80\n<Directory /a>\n<Location /b>\n</Location>\n</Directory>\n", 3,
                 "<Location> cannot occur within <Directory> section");
    expect_error("Listen 80\n<Location /a>\n<Files b>\n</Files>\n</Location>\n", 3,
                 "<Files> cannot occur within <Location> section");
    expect_error("Listen 80\n<Files a>\n<FilesMatch b>\n</FilesMatch>\n</Files>\n", 3,
                 "<FilesMatch> cannot occur within <Files> section");
    expect_error("Listen 80\n<Location /a>\n<DirectoryMatch b>\n</DirectoryMatch>\n"
                 "</Location>\n",
                 3, "<DirectoryMatch> cannot occur within <Location> section");
    expect_error("Listen 80\n<Directory /a>\n</Files>\n", 3,
                 "Expected </Directory> but saw </Files>");
    expect_error("Listen 80\n<Files a>\n\n</Location>\n", 4, "Expected </Files> but saw </Location>");
}

/* ---- <IfDefine>, Define, ${VAR} ---- */

TEST(config_sections, if_define_with_add_define)
{
    x0::add_define(pconf, "WITH_X");
    read_ok("Listen 80\n"
            "<IfDefine WITH_X>\n"
            "  SectLog with-x\n"
            "</IfDefine>\n"
            "<IfDefine !WITH_X>\n"
            "  SectLog not-x\n"
            "  NoSuchDirective here\n"
            "</IfDefine>\n"
            "<IfDefine OTHER>\n"
            "  SectLog other\n"
            "</IfDefine>\n"
            "<ifdefine !OTHER>\n"
            "  SectLog not-other\n"
            "  <IfDefine WITH_X>\n"
            "    SectLog nested\n"
            "  </IfDefine>\n"
            "</ifdefine>\n"
            "SectLog x=${WITH_X}.\n");
    STRCMP_EQUAL("with-x@x0d.conf:3 ctx=1 path=-\n"
                 "not-other@x0d.conf:13 ctx=1 path=-\n"
                 "nested@x0d.conf:15 ctx=1 path=-\n"
                 "x=.@x0d.conf:18 ctx=1 path=-\n",
                 sect_log.c_str());
    CHECK(x0::is_defined("WITH_X"));
    CHECK(!x0::is_defined("OTHER"));
}

TEST(config_sections, define_in_the_file)
{
    read_ok("Listen 80\n"
            "<IfDefine LATE>\n"
            "  SectLog too-early\n"
            "</IfDefine>\n"
            "Define LATE\n"
            "<IfDefine LATE>\n"
            "  SectLog late\n"
            "</IfDefine>\n"
            "Define NAME value\n"
            "SectLog ${NAME}\n"
            "UnDefine LATE\n"
            "<IfDefine !LATE>\n"
            "  SectLog undefined\n"
            "</IfDefine>\n"
            "<IfDefine NOPE>\n"
            "  Define NOT_RUN\n"
            "</IfDefine>\n");
    STRCMP_EQUAL("late@x0d.conf:7 ctx=1 path=-\n"
                 "value@x0d.conf:10 ctx=1 path=-\n"
                 "undefined@x0d.conf:13 ctx=1 path=-\n",
                 sect_log.c_str());
    CHECK(x0::is_defined("NAME"));
    CHECK(!x0::is_defined("LATE"));
    CHECK(!x0::is_defined("NOT_RUN"));
}

TEST(config_sections, defines_do_not_outlive_their_configuration)
{
    // A first configuration, in a pool of its own, defines a name ...
    apr_pool_t* old_conf;
    apr_pool_create(&old_conf, nullptr);
    x0::add_define(old_conf, "FROM_OLD_CMDLINE");
    x0::reset_modules();
    CHECK(x0::add_module(&sect_module, nullptr, old_conf) == nullptr);
    std::string path = write("old.conf", "Listen 80\nDefine FROM_OLD_FILE\n");
    CHECK_TEXT(x0::read_config(old_conf, ptemp, path.c_str(), &error) != nullptr, error);
    CHECK(x0::is_defined("FROM_OLD_FILE"));
    CHECK(x0::is_defined("FROM_OLD_CMDLINE"));
    x0::reset_modules();
    apr_pool_destroy(old_conf);

    // ... which the next one, read into another pool, does not see.
    read_ok("Listen 80\n"
            "<IfDefine FROM_OLD_FILE>\n"
            "  SectLog old-file\n"
            "</IfDefine>\n"
            "<IfDefine FROM_OLD_CMDLINE>\n"
            "  SectLog old-cmdline\n"
            "</IfDefine>\n"
            "Define NEW\n");
    STRCMP_EQUAL("", sect_log.c_str());
    CHECK(!x0::is_defined("FROM_OLD_FILE"));
    CHECK(!x0::is_defined("FROM_OLD_CMDLINE"));

    // Reading again (a reload) starts over from the command line's names.
    x0::add_define(pconf, "CMDLINE");
    read_ok("Listen 80\n"
            "<IfDefine NEW>\n"
            "  SectLog new-again\n"
            "</IfDefine>\n"
            "<IfDefine CMDLINE>\n"
            "  SectLog cmdline\n"
            "</IfDefine>\n"
            "UnDefine CMDLINE\n");
    STRCMP_EQUAL("cmdline@x0d.conf:6 ctx=1 path=-\n", sect_log.c_str());
    read_ok("Listen 80\n"
            "<IfDefine CMDLINE>\n"
            "  SectLog cmdline-still\n"
            "</IfDefine>\n");
    STRCMP_EQUAL("cmdline-still@x0d.conf:3 ctx=1 path=-\n", sect_log.c_str());
}

TEST(config_sections, variables_from_define_and_environment)
{
    setenv("X0_SECTIONS_TEST_ENV", "from-env", 1);
    setenv("X0_SECTIONS_TEST_BOTH", "env-loses", 1);
    std::filesystem::create_directories(dir + "/docs dir");
    x0_server_t* s = read(
        "Listen 80\n"
        "Define DOCS \"" + dir + "/docs dir\"\n"
        "Define X0_SECTIONS_TEST_BOTH define-wins\n"
        "Define EMPTY\n"
        "SectLog ${X0_SECTIONS_TEST_ENV} ${X0_SECTIONS_TEST_BOTH} [${EMPTY}]\n"
        "SectLog a${X0_SECTIONS_TEST_ENV}b${X0_SECTIONS_TEST_ENV}c\n"
        "DocumentRoot \"${DOCS}\"\n"
        "<Location /${X0_SECTIONS_TEST_ENV}>\n"
        "  SectTag loc\n"
        "</Location>\n"
        "<IfDefine ${X0_SECTIONS_TEST_BOTH}>\n"
        "</IfDefine>\n");
    unsetenv("X0_SECTIONS_TEST_ENV");
    unsetenv("X0_SECTIONS_TEST_BOTH");
    CHECK_TEXT(s != nullptr, error);
    STRCMP_EQUAL("from-env|define-wins|[]@x0d.conf:5 ctx=1 path=-\n"
                 "afrom-envbfrom-envc@x0d.conf:6 ctx=1 path=-\n",
                 sect_log.c_str());
    STRCMP_EQUAL((real_dir + "/docs dir").c_str(), x0_document_root(s));
    STRCMP_EQUAL("loc", loc(s, "/from-env/x"));
}

TEST(config_sections, undefined_variable_is_an_error)
{
    unsetenv("X0_SECTIONS_TEST_NOPE");
    expect_error("Listen 80\n\nSectLog ${X0_SECTIONS_TEST_NOPE}\n", 3,
                 "variable ${X0_SECTIONS_TEST_NOPE} is not defined (Define it, or set it in "
                 "the environment)");
    expect_error("Listen 80\n<Location /${X0_SECTIONS_TEST_NOPE}>\n</Location>\n", 2,
                 "variable ${X0_SECTIONS_TEST_NOPE} is not defined (Define it, or set it in "
                 "the environment)");
    expect_error("Listen 80\nSectLog ${OPEN\n", 2, "unterminated ${ in line");
    expect_error("Listen 80\nDefine A:B\n", 2, "Define: a variable name may not contain ':' or '$'");
    expect_error("Listen 80\nDefine\n", 2, "Define takes one or two arguments: Define NAME [value]");
    expect_error("Listen 80\nUnDefine\n", 2, "UnDefine takes one argument: UnDefine NAME");
    expect_error("Listen 80\n<IfDefine>\n</IfDefine>\n", 2,
                 "<IfDefine> takes one argument: <IfDefine [!]NAME>");
    expect_error("Listen 80\n<IfDefine !>\n</IfDefine>\n", 2,
                 "<IfDefine> takes one argument: <IfDefine [!]NAME>");
    expect_error("Listen 80\n<IfDefine X>\n", 2, "<IfDefine> was not closed");
    // A skipped block is not expanded.
    read_ok("Listen 80\n<IfDefine NOPE>\nSectLog ${X0_SECTIONS_TEST_NOPE}\n</IfDefine>\n");
}

/* ---- Include ---- */

TEST(config_sections, include_a_pattern_in_name_order)
{
    write("conf.d/20-b.conf", "SectLog b\n");
    write("conf.d/10-a.conf", "\nSectLog a\n");
    write("conf.d/30-c.conf", "SectLog c\n<Location /c>\nSectTag c\n</Location>\n");
    write("conf.d/40-d.txt", "SectLog not-a-conf\n");
    write("conf.d/sub.conf/x", "");  // a directory that matches is skipped
    write("vhost.conf", "ServerName v.example\nSectLog in-vhost\n");
    x0_server_t* s = read_ok(
        "Listen 80\n"
        "SectTag main\n"
        "Include conf.d/*.conf\n"
        "<VirtualHost *:80>\n"
        "  Include " + dir + "/vhost.conf\n"
        "</VirtualHost>\n"
        "<Location /loc>\n"
        "  Include conf.d/2?-*.conf\n"
        "</Location>\n"
        "IncludeOptional missing.conf\n"
        "IncludeOptional missing/*.conf\n"
        "IncludeOptional conf.d/*.none\n"
        "SectLog end\n");
    STRCMP_EQUAL(("a@10-a.conf:2 ctx=1 path=-\n"
                  "b@20-b.conf:1 ctx=1 path=-\n"
                  "c@30-c.conf:1 ctx=1 path=-\n"
                  "in-vhost@vhost.conf:2 ctx=2 path=-\n"
                  "b@20-b.conf:1 ctx=8 path=/loc\n"
                  "end@x0d.conf:13 ctx=1 path=-\n"),
                 sect_log.c_str());
    STRCMP_EQUAL("main>c", loc(s, "/c"));
    STRCMP_EQUAL("v.example", s->next->server_name);
    apr_array_header_t* secs = x0::core_server_conf(s)->sections;
    STRCMP_EQUAL((dir + "/conf.d/30-c.conf").c_str(),
                 APR_ARRAY_IDX(secs, 0, x0::dir_section*)->file);
    LONGS_EQUAL(2, APR_ARRAY_IDX(secs, 0, x0::dir_section*)->line);
}

TEST(config_sections, include_errors_name_the_right_file_and_line)
{
    expect_error("Listen 80\n\nInclude missing.conf\n", 3,
                 dir + "/missing.conf: cannot open: No such file or directory");
    expect_error("Listen 80\n<VirtualHost *:80>\n  Include nothere/*.conf\n</VirtualHost>\n", 3,
                 dir + "/nothere/: cannot open: No such file or directory");

    // Nested includes: the innermost file and its line.
    write("outer.conf", "SectLog outer\nInclude inner.conf\n");
    write("inner.conf", "SectLog inner\n\n<Location /a>\nListen 81\n</Location>\n");
    expect_error("Listen 80\nInclude outer.conf\n", "inner.conf", 4,
                 "Listen not allowed in <Location>");

    // A missing file included from an included file: that file's line.
    write("outer2.conf", "\n\nInclude gone.conf\n");
    expect_error("Listen 80\nInclude outer2.conf\n", "outer2.conf", 3,
                 dir + "/gone.conf: cannot open: No such file or directory");

    // The context reaches into an included file.
    write("in-location.conf", "SectTag ok\nDocumentRoot /\n");
    expect_error("Listen 80\n<Location /x>\nInclude in-location.conf\n</Location>\n",
                 "in-location.conf", 2, "DocumentRoot not allowed in <Location>");

    // Undefined variables in an included file.
    unsetenv("X0_SECTIONS_TEST_NOPE");
    write("vars.conf", "\nSectLog ${X0_SECTIONS_TEST_NOPE}\n");
    expect_error("Listen 80\nIncludeOptional vars.conf\n", "vars.conf", 2,
                 "variable ${X0_SECTIONS_TEST_NOPE} is not defined (Define it, or set it in "
                 "the environment)");

    // A bad regex in an included file.
    write("re.conf", "<LocationMatch (>\n</LocationMatch>\n");
    CHECK(read("Listen 80\nInclude re.conf\n") == nullptr);
    std::string want = dir + "/re.conf:1: " + regcomp_prefix;
    CHECK_TEXT(strncmp(error, want.c_str(), want.size()) == 0, error);

    expect_error("Listen 80\nInclude " + dir + "/*/x.conf\n", 2,
                 "Include: wildcards are only allowed in the last path component");
}

/* ---- containers a module defines ---- */

TEST(config_sections, module_container_open_body_close)
{
    x0_server_t* s = read_ok(
        "Listen 80\n"
        "SectTag main\n"
        "<SectBlock outer>\n"
        "  SectLog inside\n"
        "  <sectblock inner>\n"
        "    SectLog deeper\n"
        "  </SECTBLOCK>\n"
        "  SectLog after-inner\n"
        "</SectBlock>\n"
        "<Location /x>\n"
        "  <SectBlock loc>\n"
        "    SectTag in-block\n"
        "  </SectBlock>\n"
        "</Location>\n"
        "<VirtualHost *:80>\n"
        "  <SectBlock vh>\n"
        "  </SectBlock>\n"
        "</VirtualHost>\n"
        "<SectTop>\n"
        "</SectTop>\n"
        "<IfDefine NOPE>\n"
        "  <SectBlock skipped>\n"
        "  </SectBlock>\n"
        "</IfDefine>\n");
    STRCMP_EQUAL("open outer@x0d.conf:3 ctx=1 path=-\n"
                 "inside@x0d.conf:4 ctx=1 path=-\n"
                 "open inner@x0d.conf:5 ctx=1 path=-\n"
                 "deeper@x0d.conf:6 ctx=1 path=-\n"
                 "close inner@x0d.conf:5 ctx=1 path=-\n"
                 "after-inner@x0d.conf:8 ctx=1 path=-\n"
                 "close outer@x0d.conf:3 ctx=1 path=-\n"
                 "open loc@x0d.conf:11 ctx=8 path=/x\n"
                 "close loc@x0d.conf:11 ctx=8 path=/x\n"
                 "open vh@x0d.conf:16 ctx=2 path=-\n"
                 "close vh@x0d.conf:16 ctx=2 path=-\n"
                 "open top@x0d.conf:19 ctx=1 path=-\n"
                 "close top@x0d.conf:19 ctx=1 path=-\n",
                 sect_log.c_str());
    // The lines inside belong to the enclosing scope.
    STRCMP_EQUAL("main>in-block", loc(s, "/x"));
}

TEST(config_sections, module_container_errors)
{
    expect_error("Listen 80\n<Location /x>\n<SectTop>\n</SectTop>\n</Location>\n", 3,
                 "<SectTop> not allowed in <Location>");
    expect_error("Listen 80\n<VirtualHost *:80>\n<SectTop>\n</SectTop>\n</VirtualHost>\n", 3,
                 "<SectTop> not allowed in <VirtualHost>");
    expect_error("Listen 80\n<Directory /x>\n<SectBlock a>\n</SectBlock>\n</Directory>\n", 3,
                 "<SectBlock> not allowed in <Directory>");
    expect_error("Listen 80\n<SectBlock>\n</SectBlock>\n", 2,
                 "<SectBlock> takes one argument: a name");
    expect_error("Listen 80\n<SectTop x>\n</SectTop>\n", 2, "<SectTop> takes no arguments");
    expect_error("Listen 80\n\n<SectBlock a>\nSectLog x\n", 3, "<SectBlock> was not closed");
    expect_error("Listen 80\n<SectBlock a>\n</Location>\n", 3,
                 "Expected </SectBlock> but saw </Location>");
    expect_error("Listen 80\n<SectBlock fail-open>\n</SectBlock>\n", 2,
                 "SectBlock refuses to open");
    // A failure at the closing tag is reported at the opening line.
    expect_error("Listen 80\n<SectBlock fail-close>\n\n</SectBlock>\n", 2,
                 "SectBlock has nothing inside");
    // The lines inside are checked against the enclosing scope.
    expect_error("Listen 80\n<Location /x>\n<SectBlock a>\nListen 81\n</SectBlock>\n"
                 "</Location>\n",
                 4, "Listen not allowed in <Location>");
    // A container is not a directive, and a directive is not a container.
    expect_error("Listen 80\nSectBlock a\n", 2,
                 "Invalid command 'SectBlock', perhaps misspelled or defined by a module not "
                 "included in the server configuration");
    expect_error("Listen 80\n<SectLog a>\n</SectLog>\n", 2,
                 "Invalid command '<SectLog', perhaps misspelled or defined by a module not "
                 "included in the server configuration");
}
