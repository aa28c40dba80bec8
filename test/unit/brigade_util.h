/* Helpers for brigade in -> brigade out tests. */
#ifndef X0_TEST_BRIGADE_UTIL_H
#define X0_TEST_BRIGADE_UTIL_H

#include <apr_buckets.h>
#include <string>

namespace x0test {

/** All data bytes of @a bb, in order (reads every bucket, blocking). */
std::string flatten(apr_bucket_brigade* bb);

/** Append @a data to @a bb as one heap bucket per @a piece bytes (0 = one bucket). */
void append_pieces(apr_bucket_brigade* bb, const std::string& data, size_t piece = 0);

/** Data bytes with metadata shown in place, e.g. "abc<FLUSH>de<EOS>". */
std::string render(apr_bucket_brigade* bb);

/** Bucket type names in order, e.g. "HEAP,FILE,EOS". */
std::string bucket_types(apr_bucket_brigade* bb);

} // namespace x0test

#endif
