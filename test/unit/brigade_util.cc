#include "brigade_util.h"

namespace x0test {

std::string flatten(apr_bucket_brigade* bb)
{
    std::string out;
    for (apr_bucket* b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b)) {
        if (APR_BUCKET_IS_METADATA(b))
            continue;
        const char* data;
        apr_size_t len;
        if (apr_bucket_read(b, &data, &len, APR_BLOCK_READ) == APR_SUCCESS)
            out.append(data, len);
    }
    return out;
}

void append_pieces(apr_bucket_brigade* bb, const std::string& data, size_t piece)
{
    if (piece == 0)
        piece = data.size();
    for (size_t at = 0; at < data.size(); at += piece) {
        size_t n = data.size() - at < piece ? data.size() - at : piece;
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_heap_create(data.data() + at, n, nullptr,
                                                           bb->bucket_alloc));
    }
}

std::string render(apr_bucket_brigade* bb)
{
    std::string out;
    for (apr_bucket* b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b)) {
        if (APR_BUCKET_IS_METADATA(b)) {
            out += std::string("<") + b->type->name + ">";
            continue;
        }
        const char* data;
        apr_size_t len;
        if (apr_bucket_read(b, &data, &len, APR_BLOCK_READ) == APR_SUCCESS)
            out.append(data, len);
    }
    return out;
}

std::string bucket_types(apr_bucket_brigade* bb)
{
    std::string out;
    for (apr_bucket* b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b)) {
        if (!out.empty())
            out += ',';
        out += b->type->name;
    }
    return out;
}

} // namespace x0test
