/*
 * The Range field parser: every form of RFC 9110 section 14.1.1, what is
 * invalid (ignored) and unsatisfiable (416), merging, the MaxRanges bound and
 * 64-bit positions.
 */
#include <CppUTest/TestHarness.h>

#include <string>

#include "range_parser.h"

using x0::byte_range;
using x0::range_result;

namespace {

const char* name(range_result r)
{
    switch (r) {
    case range_result::ignore: return "ignore";
    case range_result::ranges: return "ranges";
    case range_result::unsatisfiable: return "unsatisfiable";
    case range_result::too_many: return "too_many";
    }
    return "?";
}

std::string repeat(const std::string& s, int n, const std::string& sep = ",")
{
    std::string out;
    for (int i = 0; i < n; ++i)
        out += (i ? sep : "") + s;
    return out;
}

} // namespace

TEST_GROUP(range_parser)
{
    apr_pool_t* pool;
    byte_range* ranges;
    int count;

    void setup() override
    {
        apr_pool_create(&pool, nullptr);
        ranges = nullptr;
        count = -1;
    }

    void teardown() override { apr_pool_destroy(pool); }

    range_result parse(const char* header, apr_off_t length, int max = 200)
    {
        ranges = nullptr;
        count = -1;
        return x0::parse_ranges(pool, header, length, max, &ranges, &count);
    }

    /** The result as text: "ranges 0-4 10-19", "ignore", ... */
    std::string show(const char* header, apr_off_t length, int max = 200)
    {
        range_result r = parse(header, length, max);
        std::string out = name(r);
        if (r != range_result::ranges)
            return out;
        for (int i = 0; i < count; ++i)
            out += " " + std::to_string(ranges[i].first) + "-" + std::to_string(ranges[i].last);
        return out;
    }

    void expect(const char* want, const char* header, apr_off_t length, int max = 200)
    {
        std::string what = std::string("Range: ") + header + " (length "
                         + std::to_string(length) + ")";
        STRCMP_EQUAL_TEXT(want, show(header, length, max).c_str(), what.c_str());
    }
};

TEST(range_parser, the_three_forms)
{
    expect("ranges 0-499", "bytes=0-499", 10000);
    expect("ranges 500-9999", "bytes=500-", 10000);
    expect("ranges 9500-9999", "bytes=-500", 10000);
    expect("ranges 0-0", "bytes=0-0", 10000);
    expect("ranges 9999-9999", "bytes=-1", 10000);
    expect("ranges 9999-9999", "bytes=9999-", 10000);
}

TEST(range_parser, last_is_clamped_and_long_suffix_takes_all)
{
    expect("ranges 9500-9999", "bytes=9500-99999", 10000);
    expect("ranges 0-9999", "bytes=0-10000", 10000);
    expect("ranges 0-9999", "bytes=-20000", 10000);
    expect("ranges 0-9999", "bytes=-10000", 10000);
    expect("ranges 1-9999", "bytes=-9999", 10000);
}

TEST(range_parser, unit_is_case_insensitive_and_only_bytes)
{
    expect("ranges 0-1", "BYTES=0-1", 100);
    expect("ranges 0-1", "Bytes=0-1", 100);
    expect("ignore", "items=0-1", 100);
    expect("ignore", "byte=0-1", 100);
    expect("ignore", "bytesx=0-1", 100);
    expect("ignore", "bytes0-1", 100);
    expect("ignore", "bytes 0-1", 100);
    expect("ignore", "bytes =0-1", 100);
    expect("ignore", "", 100);
}

TEST(range_parser, whitespace_around_commas_and_empty_elements)
{
    expect("ranges 0-1 3-4", "bytes=0-1,3-4", 100);
    expect("ranges 0-1 3-4", "bytes=0-1 , 3-4", 100);
    expect("ranges 0-1 3-4", "bytes=0-1,\t3-4", 100);
    expect("ranges 0-1 3-4", "bytes= 0-1 ,3-4 ", 100);
    expect("ranges 0-1 3-4", "bytes=,0-1,,, 3-4,", 100);
    expect("ranges 0-1", "bytes=, ,0-1", 100);
    // 1#range-spec: at least one element.
    expect("ignore", "bytes=", 100);
    expect("ignore", "bytes=,", 100);
    expect("ignore", "bytes= , ,", 100);
}

TEST(range_parser, invalid_syntax_anywhere_ignores_the_field)
{
    const char* bad[] = {
        "bytes=0 -1", "bytes=0- 1", "bytes=- 1", "bytes=a-b", "bytes=1", "bytes=-",
        "bytes=--1", "bytes=1-2-3", "bytes=-1-2", "bytes=0-1;x", "bytes=0-1 3-4",
        "bytes=+1-2", "bytes=0x10-20", "bytes=1.5-2", "bytes=0-1,x", "bytes=x,0-1",
        "bytes=0-1,-", "bytes=0-1,=", "bytes==0-1", "bytes=0-1\r\n",
    };
    for (const char* h : bad)
        expect("ignore", h, 100);
}

TEST(range_parser, first_after_last_is_invalid)
{
    expect("ignore", "bytes=5-2", 100);
    expect("ignore", "bytes=0-1,5-2", 100);
    // Even where the first position is beyond the length anyway.
    expect("ignore", "bytes=500-200", 100);
    expect("ranges 5-5", "bytes=5-5", 100);
}

TEST(range_parser, overflowing_numbers_are_invalid)
{
    expect("ignore", "bytes=99999999999999999999-", 100);
    expect("ignore", "bytes=0-99999999999999999999", 100);
    expect("ignore", "bytes=-99999999999999999999", 100);
    expect("ignore", "bytes=9223372036854775808-", 100);
    expect("ignore", "bytes=0-1,0-9223372036854775808", 100);
    // The largest apr_off_t still parses.
    expect("unsatisfiable", "bytes=9223372036854775807-", 100);
    expect("ranges 0-99", "bytes=0-9223372036854775807", 100);
    expect("ranges 0-99", "bytes=-9223372036854775807", 100);
    expect("ranges 7-99", "bytes=0000007-", 100);
}

TEST(range_parser, unsatisfiable)
{
    expect("unsatisfiable", "bytes=100-", 100);
    expect("unsatisfiable", "bytes=100-200", 100);
    expect("unsatisfiable", "bytes=-0", 100);
    expect("unsatisfiable", "bytes=100-,-0,1000-2000", 100);
    // One satisfiable range-spec makes the set satisfiable (14.1.1).
    expect("ranges 99-99", "bytes=100-,99-", 100);
    expect("ranges 0-1", "bytes=-0,0-1", 100);
}

TEST(range_parser, zero_length_representation)
{
    expect("unsatisfiable", "bytes=0-", 0);
    expect("unsatisfiable", "bytes=0-0", 0);
    expect("unsatisfiable", "bytes=-0", 0);
    // 14.1.2: a non-zero suffix is satisfiable even here, but no 206 can
    // express it: the whole (empty) 200 goes out.
    expect("ignore", "bytes=-5", 0);
    expect("ignore", "bytes=0-,-1", 0);
    expect("ignore", "bytes=x", 0);
}

TEST(range_parser, merges_overlapping_and_adjacent_ranges)
{
    expect("ranges 0-20", "bytes=0-10,5-20", 100);
    expect("ranges 0-19", "bytes=0-9,10-19", 100);
    expect("ranges 0-9 11-19", "bytes=0-9,11-19", 100);
    expect("ranges 0-50", "bytes=0-50,10-20", 100);
    expect("ranges 0-0", "bytes=0-0,0-0,0-0", 100);
    expect("ranges 0-99", "bytes=-10,0-", 100);
    expect("ranges 0-99", "bytes=0-49,-50", 100);
    expect("ranges 0-89 91-99", "bytes=91-,0-89", 100);
}

TEST(range_parser, sorts_unsorted_input)
{
    expect("ranges 0-9 20-29 50-59", "bytes=50-59,0-9,20-29", 100);
    expect("ranges 0-9 20-29 50-59", "bytes=20-29,50-59,0-9", 100);
    expect("ranges 1-1 3-3 5-5 7-7", "bytes=7-7,5-5,3-3,1-1", 100);
    // Sorting brings 10-19 between its two neighbours, and all three merge.
    expect("ranges 0-29", "bytes=20-29,0-9,10-19", 100);
    expect("ranges 0-5 10-99", "bytes=-90,0-5,12-14", 100);
}

TEST(range_parser, merged_ranges_remember_the_earliest_spec)
{
    // 15.3.7.2: parts go out in the order of their range-specs; a merged
    // range counts from the first spec that fed it.
    const struct {
        const char* header;
        const char* want;  // first-last@order, in ascending position
    } cases[] = {
        {"bytes=20-22,0-2", "0-2@1 20-22@0"},
        {"bytes=0-5,20-22,3-10", "0-10@0 20-22@1"},
        {"bytes=50-59,0-5,3-10", "0-10@1 50-59@0"},
        {"bytes=100-,-0,0-0,5-9,4-4", "0-0@2 4-9@3 100-199@0"},
        {"bytes=,,-10,190-195", "190-199@0"},
        {"bytes=300-,-10,190-195", "190-199@1"},
    };
    for (const auto& c : cases) {
        LONGS_EQUAL_TEXT(static_cast<int>(range_result::ranges),
                         static_cast<int>(parse(c.header, 200)), c.header);
        std::string got;
        for (int i = 0; i < count; ++i)
            got += (i ? " " : "") + std::to_string(ranges[i].first) + "-"
                 + std::to_string(ranges[i].last) + "@" + std::to_string(ranges[i].order);
        STRCMP_EQUAL_TEXT(c.want, got.c_str(), c.header);
    }
}

TEST(range_parser, more_than_max_ranges_is_too_many)
{
    expect("ranges 0-99", ("bytes=" + repeat("0-", 200)).c_str(), 100);
    expect("too_many", ("bytes=" + repeat("0-", 201)).c_str(), 100);
    expect("too_many", ("bytes=" + repeat("0-", 1000)).c_str(), 100);
    expect("ranges 0-1 3-4 6-7", "bytes=0-1,3-4,6-7", 100, 3);
    expect("too_many", "bytes=0-1,3-4,6-7,9-10", 100, 3);
    // Counted as sent, not as merged.
    expect("too_many", "bytes=0-1,0-1,0-1,0-1", 100, 3);
    // Empty elements are not ranges; unsatisfiable range-specs are.
    expect("ranges 0-1 4-5", "bytes=0-1,,,,,,,,2000-,4-5", 100, 3);
    expect("too_many", "bytes=0-1,2000-,3000-,4-5", 100, 3);
}

TEST(range_parser, a_thousand_ranges_allocate_nothing)
{
    std::string header = "bytes=" + repeat("0-", 1000);
    // A pool hands out memory in order: whatever the parser took from it
    // would sit between these two allocations.
    char* before = static_cast<char*>(apr_palloc(pool, 1));
    LONGS_EQUAL(static_cast<int>(range_result::too_many),
                static_cast<int>(parse(header.c_str(), 100)));
    char* after = static_cast<char*>(apr_palloc(pool, 1));
    LONGS_EQUAL(APR_ALIGN_DEFAULT(1), after - before);
}

TEST(range_parser, storage_is_bounded_by_max_ranges)
{
    std::string header = "bytes=" + repeat("0-", 200) + ",,,,";
    char* before = static_cast<char*>(apr_palloc(pool, 1));
    LONGS_EQUAL(static_cast<int>(range_result::ranges),
                static_cast<int>(parse(header.c_str(), 100)));
    char* after = static_cast<char*>(apr_palloc(pool, 1));
    LONGS_EQUAL(1, count);
    CHECK(after - before <= static_cast<long>(APR_ALIGN_DEFAULT(1)
                                              + APR_ALIGN_DEFAULT(200 * sizeof(byte_range))));
    CHECK(after > before);
}

TEST(range_parser, nothing_is_allocated_for_ignore_or_unsatisfiable)
{
    const char* headers[] = {"bytes=0-1,x", "bytes=500-", "items=1-2", "bytes=-0"};
    for (const char* h : headers) {
        char* before = static_cast<char*>(apr_palloc(pool, 1));
        CHECK(parse(h, 100) != range_result::ranges);
        char* after = static_cast<char*>(apr_palloc(pool, 1));
        LONGS_EQUAL(APR_ALIGN_DEFAULT(1), after - before);
        CHECK(ranges == nullptr);
    }
}

TEST(range_parser, positions_across_2g_and_4g_on_a_5g_representation)
{
    const apr_off_t g5 = apr_off_t(5) << 30;
    expect("ranges 2147483640-2147483655", "bytes=2147483640-2147483655", g5);
    expect("ranges 4294967288-4294967303", "bytes=4294967288-4294967303", g5);
    expect("ranges 2147483647-4294967296", "bytes=2147483647-4294967296", g5);
    expect("ranges 5368709104-5368709119", "bytes=-16", g5);
    expect("ranges 5368709119-5368709119", "bytes=5368709119-", g5);
    expect("ranges 4294967296-5368709119", "bytes=4294967296-", g5);
    expect("ranges 0-5368709119", "bytes=-5368709120", g5);
    expect("unsatisfiable", "bytes=5368709120-", g5);
    expect("ranges 0-15 2147483640-2147483655 4294967288-4294967303 5368709104-5368709119",
           "bytes=4294967288-4294967303,-16,2147483640-2147483655,0-15", g5);
    expect("ranges 2147483640-4294967303",
           "bytes=2147483640-4294967295,4294967296-4294967303", g5);
}
