/* Shared pieces of the libFuzzer harnesses (see fuzz_util.h). */
#include "fuzz_util.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <apr_general.h>

namespace {

apr_status_t free_block(void* block)
{
    std::free(block);
    return APR_SUCCESS;
}

} // namespace

/*
 * apr_palloc interposed: the executable's definition wins over libapr's for
 * every caller, libapr's own tables and strings included. Each allocation
 * becomes a malloc block freed by a pool cleanup, which is what APR's
 * --enable-pool-debug does and what lets ASan see overflows inside a pool
 * (Debian's libapr is built without it). The cleanup record itself comes
 * from the real apr_palloc: `inside` stops the recursion.
 */
extern "C" void* apr_palloc(apr_pool_t* p, apr_size_t size)
{
    using palloc_fn = void* (*)(apr_pool_t*, apr_size_t);
    static const palloc_fn real = reinterpret_cast<palloc_fn>(dlsym(RTLD_NEXT, "apr_palloc"));
    static bool inside = false;  // the harnesses are single-threaded
    if (!real)
        std::abort();
    if (inside)
        return real(p, size);
    inside = true;
    void* block = std::malloc(size ? size : 1);
    if (!block)
        std::abort();
    apr_pool_cleanup_register(p, block, free_block, apr_pool_cleanup_null);
    inside = false;
    return block;
}

namespace x0fuzz {

void init_apr()
{
    if (apr_initialize() != APR_SUCCESS)
        std::abort();
    std::atexit(apr_terminate);
}

apr_pool_t* make_pool()
{
    apr_allocator_t* a;
    apr_pool_t* p;
    if (apr_allocator_create(&a) != APR_SUCCESS ||
        apr_pool_create_unmanaged_ex(&p, nullptr, a) != APR_SUCCESS)
        std::abort();
    apr_allocator_owner_set(a, p);
    return p;
}

input split_seed(const std::uint8_t* data, std::size_t size)
{
    input in;
    if (size >= 2) {
        in.s0 = data[0];
        in.s1 = data[1];
        data += 2;
        size -= 2;
    }
    in.data = reinterpret_cast<const char*>(data);
    in.size = size;
    return in;
}

const char* cut_name(cut c)
{
    switch (c) {
    case cut::whole: return "whole";
    case cut::two: return "two pieces";
    case cut::random: return "random pieces";
    case cut::bytes: return "one byte per piece";
    }
    return "?";
}

std::vector<std::size_t> plan(std::size_t n, cut how, const input& in)
{
    std::vector<std::size_t> sizes;
    if (n == 0)
        return sizes;
    unsigned seed = in.s0 << 8 | in.s1;
    switch (how) {
    case cut::whole:
        sizes.push_back(n);
        break;
    case cut::two: {
        std::size_t at = seed % (n + 1);
        if (at > 0)
            sizes.push_back(at);
        if (at < n)
            sizes.push_back(n - at);
        break;
    }
    case cut::random: {
        // xorshift32; pieces of 1 to 1..32 bytes, so cuts land everywhere.
        std::uint32_t x = seed * 2654435761u + 1;
        std::size_t max = 1 + (in.s1 & 31);
        for (std::size_t left = n; left > 0;) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            std::size_t k = 1 + x % max;
            if (k > left)
                k = left;
            sizes.push_back(k);
            left -= k;
        }
        break;
    }
    case cut::bytes:
        sizes.assign(n, 1);
        break;
    }
    return sizes;
}

piece::piece(const char* data, std::size_t n)
    : buf_(static_cast<char*>(std::malloc(n ? n : 1))), n_(n)
{
    if (!buf_)
        std::abort();
    if (n)
        std::memcpy(buf_, data, n);
}

piece::~piece() { std::free(buf_); }

std::string esc(const char* s, std::size_t n)
{
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c == '\\' || c == '"') {
            out += '\\';
            out += char(c);
        } else if (c >= 0x20 && c < 0x7f) {
            out += char(c);
        } else {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\%03o", c);  // octal: never eats the next char
            out += hex;
        }
    }
    return out;
}

std::string esc(const char* s) { return s ? "\"" + esc(s, std::strlen(s)) + "\"" : "(null)"; }

void broken(const char* harness, const std::string& what)
{
    std::fprintf(stderr, "x0 fuzz (%s): invariant broken: %s\n", harness, what.c_str());
    std::fflush(stderr);
    std::abort();
}

void same(const char* harness, cut how, const std::string& a, const std::string& b)
{
    if (a != b)
        broken(harness, std::string("fed whole vs ") + cut_name(how) + " differ\n  whole:  " + a +
                            "\n  pieces: " + b);
}

} // namespace x0fuzz
