/*
 * libFuzzer harness for the chunked decoder (src/chunked_decoder.h).
 *
 * Input: two seed bytes (limits, cut positions), then a chunked body as a
 * client sends it, maybe followed by a pipelined request. Each run decodes
 * the payload fed whole, in two pieces, in random pieces and a byte at a
 * time. Every way must decode the same bytes, end at the same offset with
 * the same status and trailers; spans must lie inside what was consumed,
 * body_bytes() must count exactly the bytes handed out, and never more than
 * LimitRequestBody.
 */
#include <cstring>
#include <apr_tables.h>
#include "chunked_decoder.h"
#include "fuzz_util.h"

using namespace x0fuzz;
using x0::chunk_status;
using x0::chunked_decoder;

namespace {

const char harness[] = "chunked_decoder";

struct run {
    std::string body;
    chunk_status last = chunk_status::more;
    int error = 0;
    std::size_t end = 0;  // absolute offset after the body, when done
    apr_table_t* trailers = nullptr;
};

std::string dump(const run& r)
{
    std::string out = "last=" + std::to_string(int(r.last)) + " error=" +
                      std::to_string(r.error) + " end=" + std::to_string(r.end) + " body=\"" +
                      esc(r.body.data(), r.body.size()) + "\" trailers:";
    const apr_array_header_t* arr = apr_table_elts(r.trailers);
    const auto* e = reinterpret_cast<const apr_table_entry_t*>(arr->elts);
    for (int i = 0; i < arr->nelts; ++i)
        out += " " + esc(e[i].key) + ":" + esc(e[i].val);
    return out;
}

void check_progress(const chunked_decoder& d, const run& r, const x0::chunked_limits& lim)
{
    if (d.body_bytes() != apr_off_t(r.body.size()))
        broken(harness, "body_bytes() is " + std::to_string(d.body_bytes()) + " but " +
                            std::to_string(r.body.size()) + " bytes were handed out");
    if (apr_off_t(r.body.size()) > lim.max_body)
        broken(harness, std::to_string(r.body.size()) + " body bytes handed out past max_body " +
                            std::to_string(lim.max_body));
}

run decode(apr_pool_t* pool, const input& in, cut how, const x0::chunked_limits& lim)
{
    run r;
    r.trailers = apr_table_make(pool, 4);
    chunked_decoder d;
    d.reset(pool, r.trailers, lim);
    std::size_t at = 0;
    for (std::size_t n : plan(in.size, how, in)) {
        piece pc(in.data + at, n);
        std::size_t off = 0;
        while (off < n) {
            apr_size_t used = 0, span_at = 0, span_len = 0;
            chunk_status st = d.feed(pc.data() + off, n - off, &used, &span_at, &span_len);
            r.last = st;
            if (used > n - off)
                broken(harness, "consumed " + std::to_string(used) + " of " +
                                    std::to_string(n - off) + " bytes");
            if (st == chunk_status::data) {
                if (span_len == 0 || span_at + span_len > used)
                    broken(harness, "span " + std::to_string(span_at) + "+" +
                                        std::to_string(span_len) + " outside consumed " +
                                        std::to_string(used));
                r.body.append(pc.data() + off + span_at, span_len);
                off += used;
                check_progress(d, r, lim);
            } else if (st == chunk_status::more) {
                if (used != n - off)
                    broken(harness, "more without consuming the whole piece");
                off = n;
                check_progress(d, r, lim);
            } else if (st == chunk_status::done) {
                check_progress(d, r, lim);
                r.end = at + off + used;
                return r;
            } else {
                r.error = d.error_status();
                if (r.error != 400 && r.error != 413)
                    broken(harness, "error status " + std::to_string(r.error));
                return r;
            }
        }
        at += n;
    }
    return r;
}

void check_trailers(const run& r, const x0::chunked_limits& lim)
{
    const apr_array_header_t* arr = apr_table_elts(r.trailers);
    if (arr->nelts > lim.max_trailers)
        broken(harness, std::to_string(arr->nelts) + " trailer fields, limit " +
                            std::to_string(lim.max_trailers));
    const auto* e = reinterpret_cast<const apr_table_entry_t*>(arr->elts);
    for (int i = 0; i < arr->nelts; ++i)
        if (!*e[i].key || std::strpbrk(e[i].key, "\r\n: \t") || std::strpbrk(e[i].val, "\r\n"))
            broken(harness, "bad trailer field " + esc(e[i].key) + ": " + esc(e[i].val));
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
    // Small limits too, so that 413 and the line and trailer limits are reached.
    static const apr_off_t bodies[] = {apr_off_t(1) << 30, 1000, 16, 0};
    static const apr_size_t lines[] = {8190, 24};
    static const int trailers[] = {100, 4, 1, 0};
    x0::chunked_limits lim = {bodies[in.s0 & 3], lines[(in.s0 >> 2) & 1],
                              trailers[(in.s0 >> 3) & 3]};

    apr_pool_t* pool = make_pool();
    std::string whole;
    for (cut how : all_cuts) {
        apr_pool_t* sub;
        apr_pool_create(&sub, pool);
        run r = decode(sub, in, how, lim);
        check_trailers(r, lim);
        std::string d = dump(r);
        if (how == cut::whole)
            whole = d;
        else
            same(harness, how, whole, d);
        apr_pool_destroy(sub);
    }
    apr_pool_destroy(pool);
    return 0;
}
