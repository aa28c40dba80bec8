/*
 * libFuzzer harness for the Range field parser (src/range_parser.h).
 *
 * Input: two seed bytes (representation length, MaxRanges), then the Range
 * field value. Checks that satisfiable ranges come out sorted, merged (no
 * overlap, no adjacency), inside the representation, at most max_ranges of
 * them, each with its own range-spec order; and that the result does not
 * depend on the order of the range-specs: a plain "bytes=" list parsed with
 * its members reversed must give the same ranges (RFC 9110 14.1.1 defines a
 * set), where ignore and too_many count as the same answer (the whole 200).
 */
#include <cstring>
#include <cstdint>
#include "fuzz_util.h"
#include "range_parser.h"

using namespace x0fuzz;
using x0::byte_range;
using x0::range_result;

namespace {

const char harness[] = "range_parser";

struct outcome {
    range_result result;
    std::string ranges;
};

outcome parse(apr_pool_t* pool, const std::string& header, apr_off_t length, int max_ranges)
{
    // An exact-size copy: reading past the NUL is an ASan report.
    piece pc(header.c_str(), header.size() + 1);
    byte_range* out = nullptr;
    int count = -1;
    range_result res = x0::parse_ranges(pool, pc.data(), length, max_ranges, &out, &count);
    outcome o = {res, ""};
    std::string what = "header \"" + esc(header.data(), header.size()) + "\" length " +
                       std::to_string(length) + " max " + std::to_string(max_ranges) + ": ";
    switch (res) {
    case range_result::ignore:
    case range_result::unsatisfiable:
    case range_result::too_many:
        return o;
    case range_result::ranges:
        break;
    default:
        broken(harness, what + "result " + std::to_string(int(res)));
    }
    if (!out || count < 1 || count > max_ranges)
        broken(harness, what + std::to_string(count) + " ranges");
    for (int i = 0; i < count; ++i) {
        const byte_range& r = out[i];
        o.ranges += std::to_string(r.first) + "-" + std::to_string(r.last) + ",";
        if (r.first < 0 || r.first > r.last || r.last >= length)
            broken(harness, what + "range " + std::to_string(r.first) + "-" +
                                std::to_string(r.last) + " outside the representation");
        // Touching ranges are merged too, so a gap of at least one byte remains.
        if (i > 0 && r.first <= out[i - 1].last + 1)
            broken(harness, what + "ranges not sorted and merged: " + o.ranges);
        // Each range-spec feeds one range, so the earliest ones differ.
        if (r.order < 0 || r.order >= max_ranges)
            broken(harness, what + "order " + std::to_string(r.order));
        for (int j = 0; j < i; ++j)
            if (out[j].order == r.order)
                broken(harness, what + "two ranges of order " + std::to_string(r.order));
    }
    return o;
}

/** The members of a plain "bytes=" list in reverse order, or "" if it is not one. */
std::string reversed(const std::string& h)
{
    if (h.compare(0, 6, "bytes=") != 0 ||
        h.find_first_not_of("0123456789-,", 6) != std::string::npos)
        return "";
    std::vector<std::string> specs;
    std::size_t at = 6;
    for (;;) {
        std::size_t comma = h.find(',', at);
        specs.push_back(h.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
        if (comma == std::string::npos)
            break;
        at = comma + 1;
    }
    std::string out = "bytes=";
    for (std::size_t i = specs.size(); i-- > 0;)
        out += specs[i] + (i ? "," : "");
    return out;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    init_apr();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    input in = split_seed(data, size);
    // Edges: empty, tiny, around 2^31, 2^32 and 2^63.
    static const apr_off_t lengths[] = {0,
                                        1,
                                        2,
                                        10,
                                        100,
                                        10000,
                                        apr_off_t(1) << 20,
                                        (apr_off_t(1) << 31) - 1,
                                        apr_off_t(1) << 31,
                                        (apr_off_t(1) << 32) - 1,
                                        apr_off_t(1) << 32,
                                        apr_off_t(5) << 30,
                                        (apr_off_t(1) << 40) + 7,
                                        INT64_MAX - 1,
                                        INT64_MAX,
                                        1000};
    static const int maxes[] = {200, 1, 2, 3, 5, 10, 50, 100};
    apr_off_t length = lengths[in.s0 & 15];
    int max_ranges = maxes[in.s1 & 7];
    std::string header(in.data, in.size);
    header.resize(std::strlen(header.c_str()));  // a field value never holds NUL

    apr_pool_t* pool = make_pool();
    outcome a = parse(pool, header, length, max_ranges);
    std::string rev = reversed(header);
    if (!rev.empty()) {
        outcome b = parse(pool, rev, length, max_ranges);
        // ignore and too_many both serve the whole 200: which one an invalid
        // list with too many specs gets depends on what the scan meets first.
        auto answer = [](range_result r) {
            return r == range_result::too_many ? range_result::ignore : r;
        };
        if (answer(a.result) != answer(b.result) || a.ranges != b.ranges)
            broken(harness, "the order of range-specs changes the result: \"" +
                                esc(header.data(), header.size()) + "\" -> " +
                                std::to_string(int(a.result)) + " " + a.ranges + " but \"" +
                                esc(rev.data(), rev.size()) + "\" -> " +
                                std::to_string(int(b.result)) + " " + b.ranges +
                                " (length " + std::to_string(length) + ", max " +
                                std::to_string(max_ranges) + ")");
    }
    apr_pool_destroy(pool);
    return 0;
}
