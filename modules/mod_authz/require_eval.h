/*
 * httpd 2.4's authorization logic (httpd:`modules/aaa/mod_authz_core.c`):
 * Require lines and <RequireAll>/<RequireAny>/<RequireNone> sections as a
 * tree, built while the config is read and evaluated per request.
 *
 * Every node evaluates to granted, denied or neutral. A Require line is
 * granted or denied by its provider; `Require not` turns granted into
 * denied and denied into neutral (a negation can refuse but never grant).
 * A section starts neutral and ignores neutral children: RequireAll is
 * denied by its first denied child, else granted if any child was;
 * RequireAny is granted by its first granted child, else denied if any
 * child was; RequireNone is RequireAny negated. The lines of one scope
 * outside any section form an implicit RequireAny. Access is allowed only
 * when the whole scope is granted: neutral is refused too.
 *
 * Nothing here allocates at request time; building allocates in the pool
 * it is given (the configuration pool).
 */
#ifndef X0_MOD_AUTHZ_REQUIRE_EVAL_H
#define X0_MOD_AUTHZ_REQUIRE_EVAL_H

#include <apr_pools.h>
#include "ip_match.h"

namespace x0 {

enum class authz_result { neutral, granted, denied };

enum class authz_kind {
    all,       /**< Require all granted|denied */
    ip,        /**< Require ip network... */
    local,     /**< Require local: loopback, or the client is the local address */
    any,       /**< <RequireAny>, also the implicit one of a scope */
    every,     /**< <RequireAll> */
};

/** One Require line or section. Built in the configuration pool; read-only at request time. */
struct authz_node {
    authz_kind kind;
    bool negate;                 /**< `Require not ...`, or <RequireNone> (any + negate) */
    bool granted;                /**< all: granted (true) or denied (false) */
    const authz_ip_rule* rules;  /**< ip: the networks */
    int nrules;
    authz_node* first;           /**< sections: the children, in order */
    authz_node* next;            /**< the next sibling */
    authz_node* parent;          /**< while reading the config: the enclosing open section */
    const char* name;            /**< how it was written, for messages: "<RequireAll>" */
};

/** What a request is judged by. */
struct authz_peer {
    authz_addr client;
    bool client_ok;              /**< false: the client address did not parse (no ip rule matches) */
    authz_addr local;
    bool local_ok;
};

/**
 * Evaluate @a node for @a peer (a Require line or a whole section).
 * @return granted, denied or neutral as described above
 */
authz_result authz_evaluate(const authz_node* node, const authz_peer& peer);

/**
 * Parse the arguments of one Require line ("not" first for a negation),
 * e.g. {"ip", "10.0.0.0/8", "::1"} or {"not", "ip", "10.1"}, into a node in
 * @a p.
 * @return NULL and @a out set, or an error message in @a p ("Unknown Authz
 *         provider: user", "ip address 'x' appears to be invalid: ...")
 */
const char* authz_parse_require(apr_pool_t* p, int argc, const char* const* argv,
                                authz_node** out);

/** A new, empty section in @a p: <RequireAll> (every), <RequireAny> or <RequireNone>. */
authz_node* authz_section_create(apr_pool_t* p, authz_kind kind, bool negate);

/**
 * Append @a child to @a section, refusing what httpd refuses: a negated
 * line or <RequireNone> directly in a RequireAny (or in a scope's implicit
 * one), where it could never have an effect.
 * @return NULL, or an error message in @a p
 */
const char* authz_section_add(apr_pool_t* p, authz_node* section, authz_node* child);

/**
 * Check a section when it closes: httpd refuses one without children and
 * one whose children are all negative (it could never grant).
 * @return NULL, or an error message in @a p
 */
const char* authz_section_check(apr_pool_t* p, const authz_node* section);

} // namespace x0

#endif
