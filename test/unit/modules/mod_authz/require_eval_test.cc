#include <CppUTest/TestHarness.h>

#include <cstring>
#include <initializer_list>
#include <vector>
#include <apr_pools.h>
#include "mod_authz/require_eval.h"

using x0::authz_kind;
using x0::authz_node;
using x0::authz_result;

/*
 * Trees are built the way mod_authz builds them while reading a config:
 * Require lines parsed from their words, sections created, filled and
 * checked, then attached to what encloses them.
 */
TEST_GROUP(authz_require)
{
    apr_pool_t* pool = nullptr;
    x0::authz_peer peer;

    void setup() override
    {
        apr_pool_create(&pool, nullptr);
        client("127.0.0.1");
        local("127.0.0.1");
    }

    void teardown() override { apr_pool_destroy(pool); }

    void client(const char* ip) { peer.client_ok = x0::authz_addr_parse(ip, &peer.client); }
    void local(const char* ip) { peer.local_ok = x0::authz_addr_parse(ip, &peer.local); }

    authz_node* line(std::initializer_list<const char*> words)
    {
        std::vector<const char*> argv(words);
        authz_node* n = nullptr;
        const char* err = x0::authz_parse_require(pool, static_cast<int>(argv.size()),
                                                  argv.data(), &n);
        STRCMP_EQUAL(nullptr, err);
        return n;
    }

    const char* line_error(std::initializer_list<const char*> words)
    {
        std::vector<const char*> argv(words);
        authz_node* n = nullptr;
        const char* err = x0::authz_parse_require(pool, static_cast<int>(argv.size()),
                                                  argv.data(), &n);
        CHECK(err != nullptr);
        return err;
    }

    /** A closed section of @a kind holding @a children (which must be accepted). */
    authz_node* section(authz_kind kind, bool negate, std::initializer_list<authz_node*> children)
    {
        authz_node* s = x0::authz_section_create(pool, kind, negate);
        for (authz_node* c : children)
            STRCMP_EQUAL(nullptr, x0::authz_section_add(pool, s, c));
        STRCMP_EQUAL(nullptr, x0::authz_section_check(pool, s));
        return s;
    }

    authz_node* all(std::initializer_list<authz_node*> c) { return section(authz_kind::every, false, c); }
    authz_node* any(std::initializer_list<authz_node*> c) { return section(authz_kind::any, false, c); }
    authz_node* none(std::initializer_list<authz_node*> c) { return section(authz_kind::any, true, c); }

    /** A scope's implicit RequireAny around @a lines. */
    authz_node* scope(std::initializer_list<authz_node*> lines) { return any(lines); }

    authz_result eval(const authz_node* n) { return x0::authz_evaluate(n, peer); }
};

TEST(authz_require, all_granted_and_denied)
{
    CHECK(authz_result::granted == eval(scope({line({"all", "granted"})})));
    CHECK(authz_result::denied == eval(scope({line({"all", "denied"})})));
    CHECK(authz_result::granted == eval(scope({line({"ALL", "Granted"})})));
}

TEST(authz_require, ip_lines)
{
    CHECK(authz_result::granted == eval(scope({line({"ip", "127.0.0.1"})})));
    CHECK(authz_result::denied == eval(scope({line({"ip", "10.0.0.0/8"})})));
    CHECK(authz_result::granted == eval(scope({line({"ip", "10.0.0.0/8", "127.0.0.1"})})));
    client("10.20.30.40");
    CHECK(authz_result::granted == eval(scope({line({"ip", "10.0.0.0/8"})})));
    CHECK(authz_result::granted == eval(scope({line({"ip", "192.168", "10.20"})})));
    CHECK(authz_result::denied == eval(scope({line({"ip", "127.0.0.1", "::1"})})));
}

TEST(authz_require, ipv6_client)
{
    client("2001:db8::5");
    CHECK(authz_result::granted == eval(scope({line({"ip", "2001:db8::/32"})})));
    CHECK(authz_result::denied == eval(scope({line({"ip", "127.0.0.1"})})));
}

TEST(authz_require, unparsable_client_matches_no_ip)
{
    client("not-an-address");
    CHECK_FALSE(peer.client_ok);
    CHECK(authz_result::denied == eval(scope({line({"ip", "127.0.0.1"})})));
    CHECK(authz_result::granted == eval(scope({line({"all", "granted"})})));
}

TEST(authz_require, local)
{
    CHECK(authz_result::granted == eval(scope({line({"local"})})));
    client("10.0.0.5");
    local("10.0.0.5");
    CHECK(authz_result::granted == eval(scope({line({"local"})})));
    local("10.0.0.1");
    CHECK(authz_result::denied == eval(scope({line({"local"})})));
}

TEST(authz_require, implicit_any_of_several_lines)
{
    // Several lines in a scope: any one grants (httpd's implicit RequireAny).
    CHECK(authz_result::granted ==
          eval(scope({line({"ip", "10.0.0.0/8"}), line({"ip", "127.0.0.1"})})));
    CHECK(authz_result::granted ==
          eval(scope({line({"all", "denied"}), line({"all", "granted"})})));
    CHECK(authz_result::denied ==
          eval(scope({line({"ip", "10.0.0.0/8"}), line({"ip", "192.168"})})));
}

TEST(authz_require, require_all_with_negation)
{
    authz_node* granted_not_me =
        all({line({"all", "granted"}), line({"not", "ip", "127.0.0.1"})});
    CHECK(authz_result::denied == eval(scope({granted_not_me})));
    client("10.1.1.1");
    CHECK(authz_result::granted == eval(scope({granted_not_me})));
}

TEST(authz_require, negation_alone_is_never_a_grant)
{
    // Not denied is neutral, not granted: httpd refuses neutral.
    authz_node* n = line({"not", "ip", "10.0.0.0/8"});
    CHECK(authz_result::neutral == eval(n));
    CHECK(n->negate);
    client("10.0.0.1");
    CHECK(authz_result::denied == eval(n));
}

TEST(authz_require, require_all_needs_every_child)
{
    CHECK(authz_result::denied ==
          eval(all({line({"ip", "127.0.0.1"}), line({"ip", "10.0.0.0/8"})})));
    CHECK(authz_result::granted ==
          eval(all({line({"ip", "127.0.0.1"}), line({"ip", "127.0.0.0/8"})})));
}

TEST(authz_require, require_none)
{
    authz_node* banned = none({line({"ip", "10.0.0.0/8"}), line({"ip", "192.168"})});
    // RequireNone can only refuse: not matching is neutral.
    CHECK(authz_result::neutral == eval(banned));
    CHECK(authz_result::granted == eval(all({line({"all", "granted"}), banned})));
    client("192.168.3.3");
    CHECK(authz_result::denied == eval(banned));
    CHECK(authz_result::denied == eval(all({line({"all", "granted"}), banned})));
}

TEST(authz_require, nested_sections)
{
    // <RequireAny> (<RequireAll> local, not 127.0.0.2) ip 10/8 </RequireAny>
    authz_node* tree = any({all({line({"local"}), line({"not", "ip", "127.0.0.2"})}),
                            line({"ip", "10.0.0.0/8"})});
    CHECK(authz_result::granted == eval(tree));
    client("127.0.0.2");
    CHECK(authz_result::denied == eval(tree));
    client("10.3.3.3");
    local("10.0.0.1");
    CHECK(authz_result::granted == eval(tree));
    client("11.3.3.3");
    CHECK(authz_result::denied == eval(tree));
}

TEST(authz_require, neutral_children_are_ignored)
{
    // The negation makes its RequireAll neutral-or-denied; granted comes from
    // "all granted" until the negation refuses.
    authz_node* tree = any({all({line({"all", "granted"}), line({"not", "ip", "10.0.0.0/8"})}),
                            line({"ip", "192.168"})});
    CHECK(authz_result::granted == eval(tree));
    client("10.0.0.1");
    CHECK(authz_result::denied == eval(tree));
}

TEST(authz_require, negative_in_any_is_refused)
{
    authz_node* s = x0::authz_section_create(pool, authz_kind::any, false);
    STRCMP_EQUAL("negative Require directive has no effect in <RequireAny> directive",
                 x0::authz_section_add(pool, s, line({"not", "ip", "127.0.0.1"})));
    authz_node* n = x0::authz_section_create(pool, authz_kind::any, true);
    STRCMP_EQUAL("negative Require directive has no effect in <RequireNone> directive",
                 x0::authz_section_add(pool, n, line({"not", "all", "denied"})));
    STRCMP_EQUAL("<RequireNone> directive has no effect in <RequireAny> directive",
                 x0::authz_section_add(pool, s, none({line({"ip", "10.1"})})));
}

TEST(authz_require, section_checks)
{
    authz_node* empty = x0::authz_section_create(pool, authz_kind::every, false);
    STRCMP_EQUAL("<RequireAll> directive contains no authorization directives",
                 x0::authz_section_check(pool, empty));
    authz_node* negative = x0::authz_section_create(pool, authz_kind::every, false);
    STRCMP_EQUAL(nullptr, x0::authz_section_add(pool, negative, line({"not", "ip", "10.1"})));
    STRCMP_EQUAL("<RequireAll> directive contains only negative authorization directives",
                 x0::authz_section_check(pool, negative));
    authz_node* empty_none = x0::authz_section_create(pool, authz_kind::any, true);
    STRCMP_EQUAL("<RequireNone> directive contains no authorization directives",
                 x0::authz_section_check(pool, empty_none));
}

TEST(authz_require, bad_lines)
{
    STRCMP_EQUAL("Require all takes one argument: granted or denied",
                 line_error({"all", "maybe"}));
    STRCMP_EQUAL("Require all takes one argument: granted or denied", line_error({"all"}));
    STRCMP_EQUAL("Require ip requires an argument", line_error({"ip"}));
    STRCMP_EQUAL("ip address 'localhost' appears to be invalid: not an IP address",
                 line_error({"ip", "127.0.0.1", "localhost"}));
    STRCMP_EQUAL("Unknown Authz provider: user (x0 knows all, ip and local)",
                 line_error({"user", "bob"}));
    STRCMP_EQUAL("Require local does not take arguments", line_error({"local", "x"}));
    STRCMP_EQUAL("Require: a provider (all, ip, local) is missing", line_error({"not"}));
}
