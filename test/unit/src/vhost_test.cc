/* Choosing the virtual host: by the connection's address, then by Host. */
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "config.h"
#include "modules.h"
#include "vhost.h"

#include <CppUTest/TestHarness.h>

TEST_GROUP(vhost)
{
    apr_pool_t* pconf;
    apr_pool_t* ptemp;
    std::string dir;
    std::string old_root;
    const char* error;
    x0_server_t* main;

    void setup() override
    {
        x0::reset_modules();
        apr_pool_create(&pconf, nullptr);
        apr_pool_create(&ptemp, nullptr);
        char tmpl[] = "/tmp/x0_vhost_test_XXXXXX";
        CHECK(mkdtemp(tmpl) != nullptr);
        dir = tmpl;
        old_root = x0::server_root();
        x0::set_server_root(pconf, dir.c_str());
        error = nullptr;
        main = nullptr;
    }

    void teardown() override
    {
        x0::set_server_root(pconf, old_root.c_str());
        apr_pool_destroy(ptemp);
        apr_pool_destroy(pconf);
        std::filesystem::remove_all(dir);
        x0::reset_modules();
    }

    void read(const std::string& text)
    {
        x0::reset_modules();
        std::string path = dir + "/x0d.conf";
        std::ofstream(path) << text;
        main = x0::read_config(pconf, ptemp, path.c_str(), &error);
        CHECK_TEXT(main != nullptr, error);
    }

    /** The ServerName of the server chosen for a connection to ip:port. */
    const char* by_address(const char* ip, int port)
    {
        return x0::vhost_for_address(main, ip, port)->server_name;
    }

    /** The ServerName of the server chosen for Host @a host on ip:port. */
    const char* by_name(const char* ip, int port, const char* host)
    {
        x0_server_t* base = x0::vhost_for_address(main, ip, port);
        return x0::vhost_for_name(main, base, ip, port, host)->server_name;
    }
};

/* The name-based layout most sites use: several hosts on *:80. */
static const char* const name_based =
    "Listen 80\n"
    "Listen 8080\n"
    "ServerName main.example\n"
    "<VirtualHost *:80>\n"
    "  ServerName first.example\n"
    "</VirtualHost>\n"
    "<VirtualHost *:80>\n"
    "  ServerName WWW.Example.COM\n"
    "  ServerAlias example.com *.example.net\n"
    "</VirtualHost>\n"
    "<VirtualHost *:80>\n"
    "  ServerName wild.example\n"
    "  ServerAlias *.example.com host?.example.org\n"
    "</VirtualHost>\n";

TEST(vhost, name_based_on_one_port)
{
    read(name_based);
    STRCMP_EQUAL("first.example", by_address("192.0.2.1", 80));
    STRCMP_EQUAL("WWW.Example.COM", by_name("192.0.2.1", 80, "www.example.com"));
    STRCMP_EQUAL("WWW.Example.COM", by_name("192.0.2.1", 80, "WWW.EXAMPLE.COM"));
    STRCMP_EQUAL("WWW.Example.COM", by_name("192.0.2.1", 80, "Example.Com"));
    STRCMP_EQUAL("WWW.Example.COM", by_name("192.0.2.1", 80, "a.b.example.net"));
    STRCMP_EQUAL("wild.example", by_name("192.0.2.1", 80, "img.example.com"));
    STRCMP_EQUAL("wild.example", by_name("192.0.2.1", 80, "IMG.Example.Com"));
    STRCMP_EQUAL("wild.example", by_name("192.0.2.1", 80, "host1.example.org"));
    STRCMP_EQUAL("first.example", by_name("192.0.2.1", 80, "host12.example.org"));
    STRCMP_EQUAL("first.example", by_name("192.0.2.1", 80, "first.example"));
    // Unknown or absent Host: the first virtual host of the address.
    STRCMP_EQUAL("first.example", by_name("192.0.2.1", 80, "unknown.example"));
    STRCMP_EQUAL("first.example", by_name("192.0.2.1", 80, "example.org"));
    STRCMP_EQUAL("first.example", by_name("192.0.2.1", 80, nullptr));
    STRCMP_EQUAL("first.example", by_name("192.0.2.1", 80, ""));
    // "*.example.com" is not example.com itself, nor a name that only ends like it.
    STRCMP_EQUAL("first.example", by_name("192.0.2.1", 80, "badexample.com"));
    // An address no virtual host has: the main server, whatever the Host.
    STRCMP_EQUAL("main.example", by_address("192.0.2.1", 8080));
    STRCMP_EQUAL("main.example", by_name("192.0.2.1", 8080, "www.example.com"));
    POINTERS_EQUAL(main, x0::vhost_for_address(main, "192.0.2.1", 8080));
}

TEST(vhost, ip_based_on_two_addresses)
{
    read("Listen 80\n"
         "ServerName main.example\n"
         "<VirtualHost 192.0.2.1:80>\n"
         "  ServerName one.example\n"
         "</VirtualHost>\n"
         "<VirtualHost 192.0.2.2:80 192.0.2.3:80>\n"
         "  ServerName two.example\n"
         "</VirtualHost>\n");
    STRCMP_EQUAL("one.example", by_address("192.0.2.1", 80));
    STRCMP_EQUAL("two.example", by_address("192.0.2.2", 80));
    STRCMP_EQUAL("two.example", by_address("192.0.2.3", 80));
    STRCMP_EQUAL("main.example", by_address("192.0.2.4", 80));
    STRCMP_EQUAL("main.example", by_address("192.0.2.1", 81));
    // The Host does not move a request to another address's host.
    STRCMP_EQUAL("one.example", by_name("192.0.2.1", 80, "two.example"));
    STRCMP_EQUAL("two.example", by_name("192.0.2.3", 80, "one.example"));
    STRCMP_EQUAL("main.example", by_name("192.0.2.4", 80, "one.example"));
}

TEST(vhost, exact_address_beats_wildcard_wherever_it_is_in_the_file)
{
    read("Listen 80\n"
         "ServerName main.example\n"
         "<VirtualHost *:80>\n"
         "  ServerName star.example\n"
         "</VirtualHost>\n"
         "<VirtualHost *:80>\n"
         "  ServerName star2.example\n"
         "</VirtualHost>\n"
         "<VirtualHost 192.0.2.1:80>\n"
         "  ServerName exact.example\n"
         "</VirtualHost>\n"
         "<VirtualHost 192.0.2.1:80>\n"
         "  ServerName exact2.example\n"
         "  ServerAlias alias2.example\n"
         "</VirtualHost>\n"
         "<VirtualHost [2001:db8::1]:80>\n"
         "  ServerName v6.example\n"
         "</VirtualHost>\n");
    STRCMP_EQUAL("exact.example", by_address("192.0.2.1", 80));
    STRCMP_EQUAL("star.example", by_address("192.0.2.9", 80));
    STRCMP_EQUAL("v6.example", by_address("2001:db8::1", 80));
    STRCMP_EQUAL("star.example", by_address("2001:db8::2", 80));
    // Names are looked up among the hosts of the best address match only.
    STRCMP_EQUAL("exact2.example", by_name("192.0.2.1", 80, "exact2.example"));
    STRCMP_EQUAL("exact2.example", by_name("192.0.2.1", 80, "ALIAS2.example"));
    STRCMP_EQUAL("exact.example", by_name("192.0.2.1", 80, "star2.example"));
    STRCMP_EQUAL("exact.example", by_name("192.0.2.1", 80, "nobody.example"));
    STRCMP_EQUAL("star2.example", by_name("192.0.2.9", 80, "star2.example"));
    STRCMP_EQUAL("star.example", by_name("192.0.2.9", 80, "exact2.example"));
    STRCMP_EQUAL("v6.example", by_name("2001:db8::1", 80, "star2.example"));
}

TEST(vhost, any_port_and_default)
{
    read("Listen 80\n"
         "Listen 8080\n"
         "ServerName main.example\n"
         "<VirtualHost 192.0.2.1>\n"
         "  ServerName any-port.example\n"
         "</VirtualHost>\n"
         "<VirtualHost _default_:8080>\n"
         "  ServerName default.example\n"
         "</VirtualHost>\n"
         "<VirtualHost *:*>\n"
         "  ServerName everything.example\n"
         "</VirtualHost>\n");
    STRCMP_EQUAL("any-port.example", by_address("192.0.2.1", 80));
    STRCMP_EQUAL("any-port.example", by_address("192.0.2.1", 8080));
    STRCMP_EQUAL("default.example", by_address("192.0.2.2", 8080));
    STRCMP_EQUAL("everything.example", by_address("192.0.2.2", 80));
    STRCMP_EQUAL("everything.example", by_name("192.0.2.2", 8080, "everything.example"));
    STRCMP_EQUAL("default.example", by_name("192.0.2.2", 8080, "any-port.example"));
}

TEST(vhost, a_host_without_server_name_answers_to_the_main_name)
{
    read("Listen 80\n"
         "<VirtualHost *:80>\n"
         "  ServerName first.example\n"
         "</VirtualHost>\n"
         "<VirtualHost *:80>\n"
         "</VirtualHost>\n"
         "ServerName main.example\n");
    STRCMP_EQUAL("main.example", main->next->next->server_name);
    POINTERS_EQUAL(main->next->next, x0::vhost_for_name(main, main->next, "192.0.2.1", 80,
                                                        "MAIN.example"));
}

TEST(vhost, no_virtual_hosts)
{
    read("Listen 80\nServerName main.example\n");
    POINTERS_EQUAL(main, x0::vhost_for_address(main, "192.0.2.1", 80));
    POINTERS_EQUAL(main, x0::vhost_for_name(main, main, "192.0.2.1", 80, "other.example"));
    POINTERS_EQUAL(main, x0::vhost_for_address(main, nullptr, 80));
}

/* httpd's ServerName [scheme://]name[:port]: only the name is matched. */
TEST(vhost, server_name_drops_scheme_and_port)
{
    read("Listen 80\n"
         "<VirtualHost *:80>\n  ServerName first.example\n</VirtualHost>\n"
         "<VirtualHost *:80>\n  ServerName https://secure.example:8443\n</VirtualHost>\n"
         "<VirtualHost *:80>\n  ServerName www.example:80\n</VirtualHost>\n"
         "<VirtualHost *:80>\n  ServerName [::1]:80\n</VirtualHost>\n");
    STRCMP_EQUAL("secure.example", by_name("10.0.0.1", 80, "secure.example"));
    STRCMP_EQUAL("www.example", by_name("10.0.0.1", 80, "www.example"));
    STRCMP_EQUAL("[::1]", by_name("10.0.0.1", 80, "[::1]"));
}
