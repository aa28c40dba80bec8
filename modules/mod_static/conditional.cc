/* Entity-tags and precondition evaluation; see conditional.h. */
#include "conditional.h"

#include <cstring>
#include <apr_date.h>
#include <apr_strings.h>

namespace x0 {

namespace {

bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/** An entity-tag without its weakness indicator: the quoted opaque-tag. */
const char* opaque_tag(const char* etag)
{
    return strncmp(etag, "W/", 2) == 0 ? etag + 2 : etag;
}

/**
 * Does the field value @a list (`"*" / #entity-tag`, RFC 9110 section
 * 13.1.2) match @a etag by the weak comparison of section 8.8.3.2: the
 * opaque-tags are equal, whether either side is weak or not? A list that
 * stops parsing matches nothing from there on.
 */
bool list_matches_weak(const char* list, const char* etag)
{
    const char* ours = opaque_tag(etag);
    apr_size_t ours_len = strlen(ours);
    const char* c = list;
    for (;;) {
        while (is_ows(*c) || *c == ',')
            ++c;
        if (*c == '\0')
            return false;
        if (*c == '*')
            return true;  // any current representation; the file exists
        if (c[0] == 'W' && c[1] == '/')
            c += 2;
        if (*c != '"')
            return false;
        // etagc excludes DQUOTE, so the next one closes the tag.
        const char* close = strchr(c + 1, '"');
        if (!close)
            return false;
        apr_size_t len = static_cast<apr_size_t>(close - c) + 1;
        if (len == ours_len && memcmp(c, ours, len) == 0)
            return true;
        c = close + 1;
    }
}

struct inm_state {
    const char* etag;
    bool present;
    bool matched;
};

/** apr_table_do callback: one If-None-Match field line. */
int inm_field(void* data, const char* key, const char* value)
{
    inm_state* st = static_cast<inm_state*>(data);
    st->present = true;
    if (list_matches_weak(value, st->etag)) {
        st->matched = true;
        return 0;  // stop iterating
    }
    return 1;
}

} // namespace

const char* make_etag(apr_pool_t* p, apr_time_t mtime, apr_off_t size)
{
    return apr_psprintf(p, "\"%" APR_UINT64_T_HEX_FMT "-%" APR_UINT64_T_HEX_FMT "\"",
                        static_cast<apr_uint64_t>(apr_time_sec(mtime)),
                        static_cast<apr_uint64_t>(size));
}

int evaluate_preconditions(apr_table_t* headers_in, const char* etag, apr_time_t mtime)
{
    // RFC 9110 section 13.2.2, steps 1 and 2 (If-Match, If-Unmodified-Since
    // -> 412) come before these once x0 honours them.

    // Step 3: If-None-Match. The field may be split over several lines
    // (section 5.3), so every line counts.
    inm_state inm = {etag, false, false};
    apr_table_do(inm_field, &inm, headers_in, "If-None-Match", nullptr);
    if (inm.present)
        return inm.matched ? 304 : 0;  // and If-Modified-Since is ignored (13.1.3)

    // Step 4: If-Modified-Since, with one-second resolution as HTTP-date has.
    // An invalid date is ignored (section 13.1.3).
    const char* ims_field = apr_table_get(headers_in, "If-Modified-Since");
    if (ims_field) {
        apr_time_t ims = apr_date_parse_http(ims_field);
        if (ims != APR_DATE_BAD && apr_time_sec(mtime) <= apr_time_sec(ims))
            return 304;
    }
    return 0;
}

} // namespace x0
