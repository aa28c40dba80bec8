#include "core_filters.h"

#include "core_output.h"

namespace x0 {

void register_core_filters()
{
    x0_register_input_filter("CORE_IN", core_input_filter, X0_FTYPE_NETWORK);
    x0_register_input_filter("HTTP_IN", http_in_filter, X0_FTYPE_TRANSFER);
    x0_register_output_filter("CORE_OUT", core_output_filter, X0_FTYPE_NETWORK);
    x0_register_output_filter("BYTERANGE", byterange_filter, X0_FTYPE_RANGE);
    x0_register_output_filter("HTTP_HEADER", http_header_filter, X0_FTYPE_HEADER);
    x0_register_output_filter("CHUNK", chunk_filter, X0_FTYPE_TRANSFER);
}

} // namespace x0
