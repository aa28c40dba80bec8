/*
 * Require trees: building and evaluation; see require_eval.h. The logic is
 * httpd 2.4's apply_authz_sections(), add_authz_provider() and
 * add_authz_section(), without methods (<Limit>) and users.
 */
#include "require_eval.h"

#include <cstring>
#include <strings.h>
#include <apr_strings.h>

namespace x0 {
namespace {

authz_result evaluate_line(const authz_node* n, const authz_peer& peer)
{
    switch (n->kind) {
    case authz_kind::all:
        return n->granted ? authz_result::granted : authz_result::denied;
    case authz_kind::ip:
        if (peer.client_ok)
            for (int i = 0; i < n->nrules; ++i)
                if (authz_ip_match(n->rules[i], peer.client))
                    return authz_result::granted;
        return authz_result::denied;
    case authz_kind::local:
        // httpd's mod_authz_host: loopback, or a connection to the
        // client's own address.
        if (peer.client_ok && (authz_addr_is_loopback(peer.client) ||
                               (peer.local_ok && authz_addr_equal(peer.client, peer.local))))
            return authz_result::granted;
        return authz_result::denied;
    default:
        return authz_result::neutral;
    }
}

bool is_section(const authz_node* n)
{
    return n->kind == authz_kind::any || n->kind == authz_kind::every;
}

} // namespace

authz_result authz_evaluate(const authz_node* node, const authz_peer& peer)
{
    authz_result result = authz_result::neutral;
    if (!is_section(node)) {
        result = evaluate_line(node, peer);
    } else {
        bool all = node->kind == authz_kind::every;
        for (const authz_node* c = node->first; c; c = c->next) {
            authz_result r = authz_evaluate(c, peer);
            if (r == authz_result::neutral)
                continue;
            if (all && r == authz_result::denied) {
                result = r;
                break;
            }
            if (!all && r == authz_result::granted) {
                result = r;
                break;
            }
            if (result == authz_result::neutral)
                result = r;
        }
    }
    if (node->negate) {
        // A negation can refuse, never grant: denied becomes neutral.
        if (result == authz_result::granted)
            result = authz_result::denied;
        else if (result == authz_result::denied)
            result = authz_result::neutral;
    }
    return result;
}

const char* authz_parse_require(apr_pool_t* p, int argc, const char* const* argv,
                                authz_node** out)
{
    auto* n = static_cast<authz_node*>(apr_pcalloc(p, sizeof(authz_node)));
    if (argc > 0 && strcasecmp(argv[0], "not") == 0) {
        n->negate = true;
        ++argv;
        --argc;
    }
    if (argc == 0)
        return "Require: a provider (all, ip, local) is missing";
    const char* provider = argv[0];
    ++argv;
    --argc;
    n->name = apr_psprintf(p, "Require %s%s", n->negate ? "not " : "", provider);
    if (strcasecmp(provider, "all") == 0) {
        n->kind = authz_kind::all;
        if (argc == 1 && strcasecmp(argv[0], "granted") == 0)
            n->granted = true;
        else if (argc == 1 && strcasecmp(argv[0], "denied") == 0)
            n->granted = false;
        else
            return "Require all takes one argument: granted or denied";
    } else if (strcasecmp(provider, "ip") == 0) {
        n->kind = authz_kind::ip;
        if (argc == 0)
            return "Require ip requires an argument";
        auto* rules = static_cast<authz_ip_rule*>(apr_palloc(p, argc * sizeof(authz_ip_rule)));
        for (int i = 0; i < argc; ++i)
            if (const char* why = authz_ip_rule_parse(argv[i], &rules[i]))
                return apr_psprintf(p, "ip address '%s' appears to be invalid: %s", argv[i], why);
        n->rules = rules;
        n->nrules = argc;
    } else if (strcasecmp(provider, "local") == 0) {
        n->kind = authz_kind::local;
        if (argc != 0)
            return "Require local does not take arguments";
    } else {
        // httpd's message; x0 has no users, groups, env or expr providers.
        return apr_psprintf(p, "Unknown Authz provider: %s (x0 knows all, ip and local)",
                            provider);
    }
    *out = n;
    return nullptr;
}

authz_node* authz_section_create(apr_pool_t* p, authz_kind kind, bool negate)
{
    auto* n = static_cast<authz_node*>(apr_pcalloc(p, sizeof(authz_node)));
    n->kind = kind;
    n->negate = negate;
    n->name = kind == authz_kind::every ? "<RequireAll>" : negate ? "<RequireNone>"
                                                                 : "<RequireAny>";
    return n;
}

const char* authz_section_add(apr_pool_t* p, authz_node* section, authz_node* child)
{
    if (child->negate && section->kind == authz_kind::any)
        return is_section(child)
             ? apr_psprintf(p, "%s directive has no effect in %s directive", child->name,
                            section->name)
             : apr_psprintf(p, "negative Require directive has no effect in %s directive",
                            section->name);
    authz_node** tail = &section->first;
    while (*tail)
        tail = &(*tail)->next;
    *tail = child;
    child->next = nullptr;
    return nullptr;
}

const char* authz_section_check(apr_pool_t* p, const authz_node* section)
{
    if (!section->first)
        return apr_psprintf(p, "%s directive contains no authorization directives",
                            section->name);
    for (const authz_node* c = section->first; c; c = c->next)
        if (!c->negate)
            return nullptr;
    return apr_psprintf(p, "%s directive contains only negative authorization directives",
                        section->name);
}

} // namespace x0
