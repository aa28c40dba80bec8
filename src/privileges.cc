/*
 * User and Group. The master stays root, so that a restart can bind new
 * ports below 1024 and re-open the logs; each worker gives up root after
 * fork, before any module's child_init runs (httpd:`os/unix/unixd.c`).
 */
#include "privileges.h"

#include <apr_strings.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "core_config.h"

namespace x0 {
namespace {

/** "#123" -> 123; false when @a spec is not that form. */
bool numeric_id(const char* spec, long* out)
{
    if (spec[0] != '#' || !spec[1])
        return false;
    char* end;
    errno = 0;
    long v = strtol(spec + 1, &end, 10);
    if (*end || errno || v < 0)
        return false;
    *out = v;
    return true;
}

} // namespace

const char* lookup_user(apr_pool_t* p, const char* spec, uid_t* uid, gid_t* primary_gid)
{
    long id;
    passwd* pw = numeric_id(spec, &id) ? getpwuid(static_cast<uid_t>(id)) : getpwnam(spec);
    if (pw) {
        *uid = pw->pw_uid;
        *primary_gid = pw->pw_gid;
        return nullptr;
    }
    if (spec[0] == '#' && numeric_id(spec, &id)) {
        // A uid with no passwd entry is allowed (httpd allows it); its group is its uid.
        *uid = static_cast<uid_t>(id);
        *primary_gid = static_cast<gid_t>(id);
        return nullptr;
    }
    return apr_psprintf(p, "User: no such user '%s'", spec);
}

const char* lookup_group(apr_pool_t* p, const char* spec, gid_t* gid)
{
    long id;
    if (numeric_id(spec, &id)) {
        *gid = static_cast<gid_t>(id);
        return nullptr;
    }
    if (group* gr = getgrnam(spec)) {
        *gid = gr->gr_gid;
        return nullptr;
    }
    return apr_psprintf(p, "Group: no such group '%s'", spec);
}

const char* check_worker_user(apr_pool_t* p, x0_server_t* s, const char** warning)
{
    *warning = nullptr;
    if (geteuid() != 0)
        return nullptr;
    const core_server_config* conf = core_server_conf(s);
    if (!conf->user)
        return apr_psprintf(p, "%s: x0d runs as root and the configuration has no User: the "
                            "workers would serve as root. Set User (and Group) to an "
                            "unprivileged account, or write `User root` to run them as root "
                            "on purpose", s->defn_file);
    if (conf->uid == 0)
        *warning = "the workers run as root (User root): any flaw in a worker is a root "
                   "compromise";
    return nullptr;
}

const char* drop_privileges(apr_pool_t* p, x0_server_t* s)
{
    if (geteuid() != 0)
        return nullptr;
    const core_server_config* conf = core_server_conf(s);
    if (!conf->user || conf->uid == 0)
        return nullptr;  // check_worker_user allowed root explicitly
    // initgroups wants a name: a #uid without a passwd entry gets only its group.
    passwd* pw = getpwuid(conf->uid);
    if (setgid(conf->gid) != 0)
        return apr_psprintf(p, "setgid(%ld) failed: %s", static_cast<long>(conf->gid),
                            strerror(errno));
    int groups_rv = pw ? initgroups(pw->pw_name, conf->gid) : setgroups(1, &conf->gid);
    if (groups_rv != 0)
        return apr_psprintf(p, "initgroups(%s) failed: %s", conf->user, strerror(errno));
    if (setuid(conf->uid) != 0)
        return apr_psprintf(p, "setuid(%ld) failed: %s", static_cast<long>(conf->uid),
                            strerror(errno));
    return nullptr;
}

} // namespace x0
