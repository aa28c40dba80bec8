/*
 * libFuzzer harness for the configuration reader (src/config.h).
 *
 * Input: two seed bytes (unused here, kept so every harness reads inputs
 * the same way), then a configuration file. Each run reads it three ways,
 * with every module of modules/ built in (test/fuzz/fuzz_modules.cc) and
 * re-added every time:
 * as the main file; through a main file that only Includes it; and with
 * every LF turned into CRLF. The three must agree on success, on the error
 * message and on the server they build.
 *
 * The reader opens whatever Include and TypesConfig name. So that fuzzed
 * input cannot open FIFOs, devices or big files of the machine, apr_file_open
 * and apr_dir_open are interposed: only a sandbox directory made at start-up
 * (with a mime.types, conf.d/ and htdocs/) is visible, and the input file
 * may be opened only as often as the read intends: an input that Includes
 * itself (or the wrapper) gets "cannot open" in all three reads alike.
 * apr_dso_load is interposed too: LoadModule never maps a library of the
 * machine, it always fails with the loader's message.
 */
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <apr_file_info.h>
#include <apr_dso.h>
#include <apr_file_io.h>
#include "config.h"
#include "core_config.h"
#include "fuzz_util.h"
#include "modules.h"
#include "sections.h"

using namespace x0fuzz;

namespace {

const char harness[] = "config";

std::string sandbox;       // absolute, no trailing slash
std::string input_path;    // the fuzzed file (a memfd), rewritten every run
std::string wrapper_path;  // "Include <input_path>"
int input_fd = -1;
int input_opens = 0;       // how often input_path may still be opened this run
int wrapper_opens = 0;

/** Sandbox files: path relative to the sandbox (a trailing '/' makes a directory), content. */
const char* const sandbox_files[][2] = {
    {"conf/", nullptr},
    {"conf/mime.types", "text/html html htm\ntext/plain txt\nimage/png png\n"},
    {"mime.types", "# comment\napplication/json json\n"},
    {"conf.d/", nullptr},
    {"conf.d/a.conf", "Listen 8081\nServerName a.example\n"},
    {"conf.d/b.conf", "<Location /b>\n  SetHandler x0-hello\n</Location>\n"},
    {"conf.d/readme.txt", "not a config\n"},
    {"htdocs/", nullptr},
    {"in/", nullptr},
};

bool allowed(const char* path, bool dir)
{
    if (!path)
        return false;
    if (!dir && input_path == path)
        return input_opens-- > 0;
    if (!dir && wrapper_path == path)
        return wrapper_opens-- > 0;
    std::string p(path);
    if (p != sandbox && p.compare(0, sandbox.size() + 1, sandbox + "/") != 0)
        return false;
    // No way out through "..", and no way to the run's own files by another spelling.
    std::string rel = p.substr(sandbox.size()) + "/";
    return rel.find("/..") == std::string::npos && rel.find("//") == std::string::npos &&
           rel.find("/./") == std::string::npos && (dir || rel.compare(0, 4, "/in/") != 0);
}

template <typename Fn>
Fn real(const char* name)
{
    Fn fn = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
    if (!fn)
        std::abort();
    return fn;
}

void remove_sandbox()
{
    unlink(wrapper_path.c_str());
    for (std::size_t i = sizeof sandbox_files / sizeof sandbox_files[0]; i-- > 0;) {
        std::string p = sandbox + "/" + sandbox_files[i][0];
        if (sandbox_files[i][1])
            unlink(p.c_str());
        else
            rmdir(p.c_str());
    }
    rmdir(sandbox.c_str());
}

void write_file(const std::string& path, const char* text)
{
    FILE* f = std::fopen(path.c_str(), "w");
    if (!f || std::fputs(text, f) < 0 || std::fclose(f) != 0) {
        std::perror(path.c_str());
        std::abort();
    }
}

void make_sandbox()
{
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/x0-config-fuzz.XXXXXX";
    char* dir = mkdtemp(&tmpl[0]);
    char real_dir[4096];
    if (!dir || !realpath(dir, real_dir)) {
        std::perror("mkdtemp");
        std::abort();
    }
    sandbox = real_dir;
    for (const auto& f : sandbox_files) {
        std::string p = sandbox + "/" + f[0];
        if (!f[1]) {
            if (mkdir(p.c_str(), 0755) != 0)
                std::abort();
        } else {
            write_file(p, f[1]);
        }
    }
    // The input lives in memory: rewriting a disk file per run waits on
    // the file system (ext4 flushes a file truncated to zero on close).
    input_fd = memfd_create("x0-config-fuzz-input", MFD_CLOEXEC);
    if (input_fd < 0) {
        std::perror("memfd_create");
        std::abort();
    }
    input_path = "/proc/self/fd/" + std::to_string(input_fd);
    wrapper_path = sandbox + "/in/wrapper";
    write_file(wrapper_path, ("# the input, one level down\nInclude " + input_path + "\n").c_str());
    std::atexit(remove_sandbox);
}

void set_input(const std::string& text)
{
    if (ftruncate(input_fd, 0) != 0 ||
        pwrite(input_fd, text.data(), text.size(), 0) != ssize_t(text.size()))
        std::abort();
}

struct outcome {
    bool ok;
    std::string text;  // the error, or the server it built
};

std::string describe(const x0_server_t* s)
{
    std::string out = "name=" + esc(s->server_name) + " timeout=" + std::to_string(s->timeout) +
                      " ka=" + std::to_string(s->keep_alive) + "/" +
                      std::to_string(s->keep_alive_timeout) + "/" +
                      std::to_string(s->max_keep_alive_requests) + " limits=" +
                      std::to_string(s->limit_req_line) + "/" +
                      std::to_string(s->limit_req_fieldsize) + "/" +
                      std::to_string(s->limit_req_fields) + " log=" +
                      std::to_string(s->log_level);
    const x0::core_server_config* core = x0::core_server_conf(s);
    const auto* l = reinterpret_cast<const x0::listen_addr*>(core->listens->elts);
    for (int i = 0; i < core->listens->nelts; ++i)
        out += " listen=" + esc(l[i].host) + ":" + std::to_string(l[i].port) + "@" +
               std::to_string(l[i].line);
    for (const x0_server_t* v = s; v; v = v->next) {
        if (v != s)
            out += " vhost=" + esc(v->server_name) + "@" + std::to_string(v->defn_line);
        const apr_array_header_t* secs = x0::core_server_conf(v)->sections;
        for (int i = 0; i < secs->nelts; ++i) {
            const auto* sec = APR_ARRAY_IDX(secs, i, const x0::dir_section*);
            out += " section=" + std::to_string(int(sec->kind)) + ":" + esc(sec->path);
        }
    }
    return out;
}

/** Read @a top (the input or the wrapper) with the input allowed @a opens times. */
outcome read(const std::string& top, int input, int wrapper)
{
    input_opens = input;
    wrapper_opens = wrapper;
    x0::reset_modules();
    apr_pool_t* pconf = make_pool();
    apr_pool_t* ptemp;
    apr_pool_create(&ptemp, pconf);
    x0::set_server_root(ptemp, sandbox.c_str());
    const char* error = nullptr;
    x0_server_t* s = x0::read_config(pconf, ptemp, top.c_str(), &error);
    outcome o;
    o.ok = s != nullptr;
    if (s && error)
        broken(harness, "a server and an error: " + esc(error));
    if (!s && (!error || !*error))
        broken(harness, "no server and no error");
    if (s && x0::core_server_conf(s)->listens->nelts == 0)
        broken(harness, "a server without Listen");
    o.text = s ? describe(s) : std::string(error);
    apr_pool_destroy(pconf);
    return o;
}

void compare(const char* how, const std::string& input, const outcome& a, const outcome& b)
{
    if (a.ok == b.ok && a.text == b.text)
        return;
    broken(harness, std::string("read directly vs ") + how + " differ for \"" +
                        esc(input.data(), input.size()) + "\"\n  directly: " +
                        (a.ok ? "ok " : "error ") + a.text + "\n  " + how + ": " +
                        (b.ok ? "ok " : "error ") + b.text);
}

} // namespace

/*
 * The sandbox: the executable's definitions win over libapr's for the
 * reader (config.cc) and TypesConfig (mime_types.cc) alike.
 */
extern "C" apr_status_t apr_file_open(apr_file_t** f, const char* name, apr_int32_t flag,
                                      apr_fileperms_t perm, apr_pool_t* pool)
{
    using fn = apr_status_t (*)(apr_file_t**, const char*, apr_int32_t, apr_fileperms_t,
                                apr_pool_t*);
    static const fn open_file = real<fn>("apr_file_open");
    if (sandbox.empty() || allowed(name, false))
        return open_file(f, name, flag, perm, pool);
    return APR_FROM_OS_ERROR(ENOENT);
}

extern "C" apr_status_t apr_dir_open(apr_dir_t** d, const char* name, apr_pool_t* pool)
{
    using fn = apr_status_t (*)(apr_dir_t**, const char*, apr_pool_t*);
    static const fn open_dir = real<fn>("apr_dir_open");
    // The reader passes directories with a trailing '/'.
    std::string dir(name ? name : "");
    while (dir.size() > 1 && dir.back() == '/')
        dir.pop_back();
    if (sandbox.empty() || allowed(dir.c_str(), true))
        return open_dir(d, name, pool);
    return APR_FROM_OS_ERROR(ENOENT);
}

/* LoadModule never opens a shared object of the machine: every load fails. */
extern "C" apr_status_t apr_dso_load(apr_dso_handle_t** h, const char*, apr_pool_t* pool)
{
    using fn = apr_status_t (*)(apr_dso_handle_t**, const char*, apr_pool_t*);
    static const fn load = real<fn>("apr_dso_load");
    return load(h, "/nonexistent/x0-config-fuzz.so", pool);
}

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    init_apr();
    make_sandbox();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    input in = split_seed(data, size);
    std::string text(in.data, in.size);

    set_input(text);
    outcome direct = read(input_path, 1, 0);

    outcome included = read(wrapper_path, 1, 1);
    // The one message that names the main file; and Include adds a level of
    // nesting, so the nesting limits trip one level earlier.
    if (!included.ok && included.text.compare(0, wrapper_path.size() + 1, wrapper_path + ":") == 0)
        included.text.replace(0, wrapper_path.size(), input_path);
    if (direct.text.find("too deeply") == std::string::npos &&
        included.text.find("too deeply") == std::string::npos)
        compare("through Include", text, direct, included);

    std::string crlf;
    for (char c : text) {
        if (c == '\n')
            crlf += '\r';
        crlf += c;
    }
    if (crlf != text) {
        set_input(crlf);
        compare("with CRLF line ends", text, direct, read(input_path, 1, 0));
    }
    return 0;
}
