/*
 * Loading a whole configuration: the registries emptied, the file read,
 * post_config run, the workers' user checked.
 */
#include "config_load.h"

#include <apr_strings.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "config.h"
#include "core_config.h"
#include "hooks.h"
#include "log.h"
#include "modules.h"
#include "privileges.h"

namespace x0 {
namespace {

/** The server root -d gave (or the prefix), before any ServerRoot moved it. */
char* initial_root = nullptr;

} // namespace

loaded_config* load_config(const char* file, load_stage stage, apr_pool_t* errpool,
                           const char** error)
{
    if (!initial_root)
        initial_root = strdup(server_root());  // once per process, never freed
    else
        set_server_root(errpool, initial_root);

    apr_pool_t* pool;
    apr_pool_t* ptemp;
    apr_pool_create(&pool, nullptr);
    apr_pool_create(&ptemp, pool);
    reset_modules();
    const char* err = nullptr;
    x0_server_t* s = read_config(pool, ptemp, file, &err);
    const char* warning = nullptr;
    if (s && stage != load_stage::read && run_post_config(pool, s) != X0_OK)
        err = apr_psprintf(pool, "%s: a module failed to start (post_config): see the messages "
                           "before this one", s->defn_file);
    else if (s && stage == load_stage::start)
        err = check_worker_user(pool, s, &warning);
    if (!s || err) {
        *error = apr_pstrdup(errpool, err);
        reset_modules();  // nothing may point into the pool any more
        apr_pool_destroy(pool);
        return nullptr;
    }
    apr_pool_destroy(ptemp);
    auto* c = static_cast<loaded_config*>(apr_pcalloc(pool, sizeof(loaded_config)));
    c->pool = pool;
    c->server = s;
    c->user_warning = warning;
    return c;
}

void discard_config(loaded_config* c)
{
    reset_modules();
    apr_pool_destroy(c->pool);
}

int open_error_log(apr_pool_t* p, x0_server_t* s, const char** error)
{
    const char* path = core_server_conf(s)->error_log;
    if (!path)
        return -1;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        *error = apr_psprintf(p, "cannot open ErrorLog %s: %s", path, strerror(errno));
        return -2;
    }
    return fd;
}

void install_error_log(int fd, x0_server_t* s)
{
    if (fd >= 0) {
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    log_set_level(s->log_level);
}

} // namespace x0
