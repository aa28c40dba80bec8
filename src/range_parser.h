/* The Range request field (RFC 9110 section 14.1.1), bytes unit only. */
#ifndef X0_RANGE_PARSER_H
#define X0_RANGE_PARSER_H

#include <apr_pools.h>

namespace x0 {

/** One satisfiable range, inclusive at both ends: [first, last]. */
struct byte_range {
    apr_off_t first;
    apr_off_t last;
    int order;      /**< index of the earliest range-spec merged into it (0 = first written) */
};

enum class range_result {
    ignore,         /**< no bytes ranges, or invalid syntax: serve the whole 200 (14.2) */
    ranges,         /**< at least one satisfiable range: 206 */
    unsatisfiable,  /**< valid syntax, none satisfiable: 416 with bytes *\/length (15.5.17) */
    too_many        /**< more than max_ranges: serve the whole 200 (DoS bound) */
};

/**
 * Parse @a header (the Range field value) for a representation of @a length
 * (>= 0) bytes. Satisfiable ranges are sorted and merged when they overlap
 * or touch (15.3.7.2 allows coalescing), so the result has no overlaps and
 * is in ascending order whatever the input ("0-,0-,0-..." becomes one
 * range). Each range remembers the earliest range-spec that fed it: the
 * order in which multipart parts should be sent (15.3.7.2).
 *
 * Nothing is allocated unless the result is ranges, and then exactly one
 * array of at most @a max_ranges entries: the header is checked and its
 * range-specs counted before any storage is taken, and a header with more
 * than @a max_ranges range-specs is too_many.
 *
 * A zero-length representation has no int-range that is satisfiable, and a
 * suffix-range that is (14.1.2) cannot be expressed as a 206 (14.4 needs a
 * first and last byte): such a header is ignore, one with int-ranges only
 * unsatisfiable.
 *
 * @param p     where the ranges are allocated
 * @param out   set to the ranges (in @a p) when the result is ranges
 * @param count set to their number when the result is ranges
 */
range_result parse_ranges(apr_pool_t* p, const char* header, apr_off_t length, int max_ranges,
                          byte_range** out, int* count);

} // namespace x0

#endif
