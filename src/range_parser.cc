/*
 * The Range field (RFC 9110 section 14.1.1) for the bytes unit:
 *
 *   Range      = range-unit "=" range-set
 *   range-set  = 1#range-spec
 *   range-spec = first-pos "-" [ last-pos ] / "-" suffix-length
 *
 * The header is read twice: a first pass checks the syntax and counts the
 * range-specs without storing anything, so an abusive header ("0-" a
 * thousand times, the 2011 "Apache Killer") is turned away before any memory
 * is taken; a second pass stores the satisfiable ranges, which are then
 * sorted and merged.
 */
#include "range_parser.h"

#include <algorithm>
#include <limits>
#include <strings.h>

namespace x0 {
namespace {

constexpr apr_off_t off_max = std::numeric_limits<apr_off_t>::max();

bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

const char* skip_ows(const char* p)
{
    while (is_ows(*p))
        ++p;
    return p;
}

/** 1*DIGIT at *p; false when there is none or it does not fit apr_off_t. */
bool parse_pos(const char** p, apr_off_t* out)
{
    const char* s = *p;
    if (!is_digit(*s))
        return false;
    apr_off_t v = 0;
    for (; is_digit(*s); ++s) {
        int d = *s - '0';
        if (v > (off_max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *p = s;
    *out = v;
    return true;
}

/** What one pass over the range-set found. */
struct scan {
    bool valid;              /**< the syntax is right and within max_ranges */
    bool too_many;
    int satisfiable;         /**< range-specs that select at least one byte */
    bool empty_suffix;       /**< a non-zero suffix-range on a zero-length representation */
};

/**
 * One pass over @a p, the range-set after "bytes=". With @a out, the
 * satisfiable ranges are stored there (the caller counted them first).
 */
scan scan_set(const char* p, apr_off_t length, int max_ranges, byte_range* out)
{
    scan s = {false, false, 0, false};
    int specs = 0;
    // 1#element: empty elements and OWS around commas are allowed
    // (RFC 9110 section 5.6.1); at least one element is required.
    for (;;) {
        p = skip_ows(p);
        if (*p == ',') {
            ++p;
            continue;
        }
        if (*p == '\0')
            break;
        if (++specs > max_ranges) {
            s.too_many = true;
            return s;
        }
        apr_off_t first, last = 0;  // first < 0: an unsatisfiable range-spec
        if (*p == '-') {
            ++p;
            apr_off_t suffix;
            if (!parse_pos(&p, &suffix))
                return s;
            // 14.1.2: "-0" is valid but unsatisfiable; a longer suffix than
            // the representation selects all of it.
            if (suffix == 0) {
                first = -1;
            } else if (length == 0) {
                s.empty_suffix = true;
                first = -1;
            } else {
                first = suffix >= length ? 0 : length - suffix;
                last = length - 1;
            }
        } else {
            if (!parse_pos(&p, &first) || *p++ != '-')
                return s;
            last = off_max;
            if (is_digit(*p) && !parse_pos(&p, &last))
                return s;
            if (last < first)  // 14.1.1: an invalid range-spec
                return s;
            if (first >= length)
                first = -1;    // unsatisfiable (14.1.2)
            else if (last >= length)
                last = length - 1;
        }
        if (first >= 0) {
            if (out)
                out[s.satisfiable] = byte_range{first, last, specs - 1};
            ++s.satisfiable;
        }
        p = skip_ows(p);
        if (*p != ',' && *p != '\0')
            return s;
    }
    s.valid = specs > 0;
    return s;
}

/**
 * Sort by first byte and merge ranges that overlap or touch; a merged range
 * keeps the earliest order of its members. Returns the new count.
 */
int coalesce(byte_range* r, int n)
{
    std::sort(r, r + n, [](const byte_range& a, const byte_range& b) {
        return a.first < b.first;
    });
    int m = 0;
    for (int i = 0; i < n; ++i) {
        // last < length <= off_max, so last + 1 cannot overflow.
        if (m > 0 && r[i].first <= r[m - 1].last + 1) {
            r[m - 1].last = std::max(r[m - 1].last, r[i].last);
            r[m - 1].order = std::min(r[m - 1].order, r[i].order);
        } else
            r[m++] = r[i];
    }
    return m;
}

} // namespace

range_result parse_ranges(apr_pool_t* p, const char* header, apr_off_t length, int max_ranges,
                          byte_range** out, int* count)
{
    // The range unit is a case-insensitive token (14.1); only bytes is
    // known here, and an unknown unit MUST be ignored (14.2).
    const char* set = skip_ows(header);
    if (strncasecmp(set, "bytes=", 6) != 0)
        return range_result::ignore;
    set += 6;
    scan s = scan_set(set, length, max_ranges, nullptr);
    if (s.too_many)
        return range_result::too_many;
    if (!s.valid)
        return range_result::ignore;  // 14.2: a server MAY ignore an invalid Range
    if (s.satisfiable == 0)
        return s.empty_suffix ? range_result::ignore : range_result::unsatisfiable;
    auto* ranges = static_cast<byte_range*>(apr_palloc(p, sizeof(byte_range) * s.satisfiable));
    scan_set(set, length, max_ranges, ranges);
    *out = ranges;
    *count = coalesce(ranges, s.satisfiable);
    return range_result::ranges;
}

} // namespace x0
