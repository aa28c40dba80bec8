/*
 * Shared pieces of the libFuzzer harnesses: a pool per input, the ways an
 * input is cut into pieces, and failing loudly on a broken invariant.
 *
 * Every harness reads its first two bytes as a "seed" that picks limits and
 * cut positions; the rest is the payload (a head, a body, a header, a file).
 */
#ifndef X0_FUZZ_UTIL_H
#define X0_FUZZ_UTIL_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>
#include <apr_pools.h>

namespace x0fuzz {

/** apr_initialize() once, with apr_terminate() at exit. */
void init_apr();

/**
 * A pool with its own allocator. Destroying it hands every block back to
 * malloc, so libFuzzer's malloc/free balance (which decides whether to run
 * LeakSanitizer) only trips on real leaks. With the apr_palloc interposer in
 * fuzz_util.cc, each allocation is its own malloc block, so ASan sees an
 * overflow of one allocation even when the pool would have placed the next
 * one right behind it.
 */
apr_pool_t* make_pool();

/** The input split into its seed and its payload. */
struct input {
    unsigned s0 = 0, s1 = 0;
    const char* data = nullptr;
    std::size_t size = 0;
};
input split_seed(const std::uint8_t* data, std::size_t size);

/** How a payload is fed. */
enum class cut { whole, two, random, bytes };
constexpr cut all_cuts[] = {cut::whole, cut::two, cut::random, cut::bytes};
const char* cut_name(cut c);

/**
 * Piece sizes (none zero, summing to @a n) for @a how: one piece; two cut at
 * a seed-derived offset; random sizes from 1 to a seed-derived maximum; one
 * byte each.
 */
std::vector<std::size_t> plan(std::size_t n, cut how, const input& in);

/**
 * A copy of one piece in its own exact-size heap block, freed on
 * destruction: reading past the piece, or keeping a pointer into it after
 * the next piece arrives, is an ASan report rather than a silent success.
 */
class piece {
public:
    piece(const char* data, std::size_t n);
    ~piece();
    piece(const piece&) = delete;
    piece& operator=(const piece&) = delete;
    const char* data() const { return buf_; }
    std::size_t size() const { return n_; }

private:
    char* buf_;
    std::size_t n_;
};

/** @a n bytes as the body of a C string literal (octal escapes), to paste into a test. */
std::string esc(const char* s, std::size_t n);
/** A NUL-terminated string (or "(null)") rendered with esc(). */
std::string esc(const char* s);

/** Print "x0 fuzz: invariant broken: ..." with details and abort(). */
[[noreturn]] void broken(const char* harness, const std::string& what);

/** abort() with both renderings when @a a (the whole feed) != @a b. */
void same(const char* harness, cut how, const std::string& a, const std::string& b);

} // namespace x0fuzz

#endif
