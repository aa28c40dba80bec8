/*
 * Conditional requests (RFC 9110 section 13): the preconditions of a request
 * against the validators a handler has put in headers_out.
 *
 * Most requests carry no precondition, so one pass over the request's fields
 * decides that before anything is parsed; nothing here allocates.
 */
#include <apr_date.h>
#include <apr_tables.h>
#include <cstring>
#include <strings.h>

#include "x0/http.h"

namespace {

bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/** An entity-tag (RFC 9110 section 8.8.3) inside a field value. */
struct entity_tag {
    const char* opaque;  /**< the opaque-tag, from its opening DQUOTE */
    apr_size_t len;      /**< through its closing DQUOTE */
    bool weak;
};

/** Parse the entity-tag at @a p; the character after it, or NULL if none is there. */
const char* parse_entity_tag(const char* p, entity_tag* tag)
{
    // The weakness indicator is case-sensitive (%s"W/").
    tag->weak = p[0] == 'W' && p[1] == '/';
    if (tag->weak)
        p += 2;
    if (*p != '"')
        return nullptr;
    // etagc excludes DQUOTE, so the next one closes the tag; a comma is an
    // etagc and does not end it.
    const char* close = strchr(p + 1, '"');
    if (!close)
        return nullptr;
    tag->opaque = p;
    tag->len = static_cast<apr_size_t>(close - p) + 1;
    return close + 1;
}

/** Section 8.8.3.2: strong comparison fails on a weak tag on either side; weak ignores weakness. */
bool tags_match(const entity_tag& a, const entity_tag& b, bool strong)
{
    if (strong && (a.weak || b.weak))
        return false;
    return a.len == b.len && memcmp(a.opaque, b.opaque, a.len) == 0;
}

/** What an If-Match or If-None-Match field is compared with. */
struct list_query {
    const entity_tag* ours;  /**< NULL: the representation has no entity-tag */
    bool strong;
    bool matched;
};

/**
 * Does one field line `"*" / #entity-tag` (sections 13.1.1, 13.1.2) match?
 * "*" matches any current representation, and the handler calls us with one.
 * A member that does not parse ends the line: nothing after it matches, so a
 * garbled If-Match fails and a garbled If-None-Match sends the representation.
 */
bool line_matches(const char* c, const list_query& q)
{
    for (;;) {
        while (is_ows(*c) || *c == ',')
            ++c;
        if (*c == '\0')
            return false;
        bool star = *c == '*';
        entity_tag tag;
        if (star) {
            ++c;
        } else {
            c = parse_entity_tag(c, &tag);
            if (!c)
                return false;
        }
        while (is_ows(*c))
            ++c;
        if (*c != ',' && *c != '\0')
            return false;
        if (star || (q.ours && tags_match(tag, *q.ours, q.strong)))
            return true;
    }
}

/** apr_table_do callback: the field may be split over several lines (section 5.3). */
int list_line(void* data, const char*, const char* value)
{
    auto* q = static_cast<list_query*>(data);
    q->matched = line_matches(value, *q);
    return q->matched ? 0 : 1;  // 0 stops the walk
}

bool field_matches(apr_table_t* headers_in, const char* name, const entity_tag* ours,
                   bool strong)
{
    list_query q = {ours, strong, false};
    apr_table_do(list_line, &q, headers_in, name, nullptr);
    return q.matched;
}

/** The precondition fields of a request, found in one pass. */
struct preconditions {
    int if_match = 0;  // field lines of each
    int if_none_match = 0;
    int if_unmodified_since = 0;
    int if_modified_since = 0;
    const char* unmodified_since = nullptr;
    const char* modified_since = nullptr;
};

/** Count and find the If-* fields; false when there are none. */
bool find_preconditions(const apr_table_t* headers_in, preconditions* pc)
{
    bool any = false;
    const apr_array_header_t* fields = apr_table_elts(headers_in);
    const auto* e = reinterpret_cast<const apr_table_entry_t*>(fields->elts);
    for (int i = 0; i < fields->nelts; ++i) {
        const char* key = e[i].key;
        if (!key || (key[0] | 0x20) != 'i' || (key[1] | 0x20) != 'f' || key[2] != '-')
            continue;
        const char* rest = key + 3;
        if (strcasecmp(rest, "Match") == 0) {
            ++pc->if_match;
        } else if (strcasecmp(rest, "None-Match") == 0) {
            ++pc->if_none_match;
        } else if (strcasecmp(rest, "Unmodified-Since") == 0) {
            ++pc->if_unmodified_since;
            pc->unmodified_since = e[i].val;
        } else if (strcasecmp(rest, "Modified-Since") == 0) {
            ++pc->if_modified_since;
            pc->modified_since = e[i].val;
        } else {
            continue;  // If-Range belongs to the byterange filter
        }
        any = true;
    }
    return any;
}

/**
 * An HTTP-date field (section 5.6.7), or APR_DATE_BAD. A date field that is
 * a list of dates is invalid (sections 13.1.3, 13.1.4): several field lines,
 * or more commas than the one an IMF-fixdate or RFC 850 date has.
 */
apr_time_t date_field(int lines, const char* value)
{
    if (lines != 1)
        return APR_DATE_BAD;
    const char* comma = strchr(value, ',');
    if (comma && strchr(comma + 1, ','))
        return APR_DATE_BAD;
    return apr_date_parse_http(value);
}

} // namespace

extern "C" int x0_meets_conditions(x0_request_t* r)
{
    // Section 13.2.1: preconditions apply only to a response that would
    // otherwise be a 2xx.
    if (r->status < 200 || r->status > 299 || !r->headers_in)
        return X0_OK;
    preconditions pc;
    if (!find_preconditions(r->headers_in, &pc))
        return X0_OK;

    entity_tag ours;
    const entity_tag* etag = nullptr;
    const char* etag_field = apr_table_get(r->headers_out, "ETag");
    if (etag_field) {
        const char* end = parse_entity_tag(etag_field, &ours);
        if (end && *end == '\0')
            etag = &ours;
    }
    // APR_DATE_BAD when there is none: the date preconditions are then ignored.
    const char* lm_field = apr_table_get(r->headers_out, "Last-Modified");
    apr_time_t last_modified = lm_field ? apr_date_parse_http(lm_field) : APR_DATE_BAD;
    bool get_or_head = r->method_number == X0_M_GET || r->method_number == X0_M_HEAD;

    // Section 13.2.2, step 1: If-Match, by strong comparison (13.1.1).
    if (pc.if_match) {
        if (!field_matches(r->headers_in, "If-Match", etag, true))
            return 412;
    } else if (pc.if_unmodified_since && last_modified != APR_DATE_BAD) {
        // Step 2: If-Unmodified-Since, only without If-Match (13.1.4).
        apr_time_t date = date_field(pc.if_unmodified_since, pc.unmodified_since);
        if (date != APR_DATE_BAD && last_modified > date)
            return 412;
    }

    // Step 3: If-None-Match, by weak comparison (13.1.2).
    if (pc.if_none_match) {
        if (field_matches(r->headers_in, "If-None-Match", etag, false))
            return get_or_head ? 304 : 412;
        return X0_OK;  // and If-Modified-Since is ignored (13.1.3)
    }

    // Step 4: If-Modified-Since, for GET and HEAD only (13.1.3).
    if (pc.if_modified_since && get_or_head && last_modified != APR_DATE_BAD) {
        apr_time_t date = date_field(pc.if_modified_since, pc.modified_since);
        // The date is read by the server's clock (13.1.3): one later than the
        // request is not a date the client got from us, and is invalid (as
        // RFC 7232 section 3.3 spelled out).
        if (date != APR_DATE_BAD && date <= r->request_time && last_modified <= date)
            return 304;
    }
    return X0_OK;
}
