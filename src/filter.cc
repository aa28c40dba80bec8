/*
 * The filter registry, chain building and x0's metadata buckets.
 *
 * A request's output chain ends in its connection's chain: inserting a
 * request filter walks only the request-level part, so the request chain is
 * kept in type order and its last filter points at c->output_filters.
 */
#include <apr_strings.h>
#include <cerrno>
#include <strings.h>
#include <sys/stat.h>

#include "filters.h"
#include "request.h"

namespace x0 {
namespace {

constexpr int max_filters = 64;
constexpr size_t max_filter_name = 48;

/** The registry keeps its own copy of each name: a module's may be unloaded. */
struct filter_slot {
    x0_filter_rec_t rec;
    char name[max_filter_name];
};
filter_slot registry[max_filters];
int registry_count = 0;
const char* overflowed = nullptr;

const x0_filter_rec_t* register_filter(const char* name, x0_out_filter_fn out,
                                       x0_in_filter_fn in, x0_filter_type_e type)
{
    if (strlen(name) >= max_filter_name) {
        overflowed = "a filter name is too long (at most 47 characters)";
        return nullptr;
    }
    filter_slot* slot = nullptr;
    for (int i = 0; i < registry_count && !slot; ++i)
        if (strcasecmp(registry[i].name, name) == 0)
            slot = &registry[i];  // re-registration replaces
    if (!slot) {
        if (registry_count == max_filters) {
            overflowed = "too many filters (at most 64)";
            return nullptr;
        }
        slot = &registry[registry_count++];
    }
    strcpy(slot->name, name);
    slot->rec = {slot->name, out, in, type};
    return &slot->rec;
}

} // namespace

void reset_filters()
{
    registry_count = 0;
    overflowed = nullptr;
}

const char* filters_overflow()
{
    return overflowed;
}

namespace {

/**
 * Insert into the chain starting at *head, before the first filter of a
 * higher type. Request filters stop at the connection part of the chain
 * (the first filter with no request).
 */
x0_filter_t* insert_filter(x0_filter_t** head, x0_filter_t* f)
{
    x0_filter_t** at = head;
    while (*at && (*at)->frec->type <= f->frec->type && (f->r == nullptr || (*at)->r))
        at = &(*at)->next;
    f->next = *at;
    *at = f;
    return f;
}

x0_filter_t* add_filter(const char* name, void* ctx, x0_request_t* r, x0_conn_t* c,
                        bool output)
{
    const x0_filter_rec_t* frec = x0_find_filter(name);
    if (!frec || (output ? !frec->out : !frec->in))
        return nullptr;
    apr_pool_t* p = r ? r->pool : c->pool;
    auto* f = static_cast<x0_filter_t*>(apr_pcalloc(p, sizeof(x0_filter_t)));
    f->frec = frec;
    f->ctx = ctx;
    f->r = r;
    f->c = r ? r->connection : c;
    if (r)
        return insert_filter(output ? &r->output_filters : &r->input_filters, f);
    return insert_filter(output ? &c->output_filters : &c->input_filters, f);
}

void unlink_filter(x0_filter_t** head, x0_filter_t* f)
{
    for (x0_filter_t** at = head; *at; at = &(*at)->next)
        if (*at == f) {
            *at = f->next;
            return;
        }
}

} // namespace
} // namespace x0

extern "C" {

const x0_filter_rec_t* x0_register_output_filter(const char* name, x0_out_filter_fn fn,
                                                 x0_filter_type_e type)
{
    return x0::register_filter(name, fn, nullptr, type);
}

const x0_filter_rec_t* x0_register_input_filter(const char* name, x0_in_filter_fn fn,
                                                x0_filter_type_e type)
{
    return x0::register_filter(name, nullptr, fn, type);
}

const x0_filter_rec_t* x0_find_filter(const char* name)
{
    for (int i = 0; i < x0::registry_count; ++i)
        if (strcasecmp(x0::registry[i].name, name) == 0)
            return &x0::registry[i].rec;
    return nullptr;
}

x0_filter_t* x0_add_output_filter(const char* name, void* ctx, x0_request_t* r, x0_conn_t* c)
{
    return x0::add_filter(name, ctx, r, c, true);
}

x0_filter_t* x0_add_input_filter(const char* name, void* ctx, x0_request_t* r, x0_conn_t* c)
{
    return x0::add_filter(name, ctx, r, c, false);
}

void x0_remove_output_filter(x0_filter_t* f)
{
    x0::unlink_filter(f->r ? &f->r->output_filters : &f->c->output_filters, f);
}

void x0_remove_input_filter(x0_filter_t* f)
{
    x0::unlink_filter(f->r ? &f->r->input_filters : &f->c->input_filters, f);
}

apr_status_t x0_pass_brigade(x0_filter_t* next, apr_bucket_brigade* bb)
{
    if (APR_BRIGADE_EMPTY(bb))
        return APR_SUCCESS;
    if (!next)
        return APR_ENOTIMPL;
    return next->frec->out(next, bb);
}

apr_status_t x0_get_brigade(x0_filter_t* f, apr_bucket_brigade* bb, x0_input_mode_e mode,
                            apr_off_t readbytes)
{
    if (!f)
        return APR_EOF;
    return f->frec->in(f, bb, mode, readbytes);
}

/* ---- x0's metadata buckets ---- */

static apr_bucket* metadata_bucket(const apr_bucket_type_t* type, void* data,
                                   apr_bucket_alloc_t* list)
{
    auto* b = static_cast<apr_bucket*>(apr_bucket_alloc(sizeof(apr_bucket), list));
    APR_BUCKET_INIT(b);
    b->free = apr_bucket_free;
    b->list = list;
    b->length = 0;
    b->start = 0;
    b->data = data;
    b->type = type;
    return b;
}

/* ---- EOR: destroying it ends the request ---- */

static void eor_destroy(void* data)
{
    x0::request_destroy(static_cast<x0_request_t*>(data));
}

static apr_status_t eor_read(apr_bucket*, const char** str, apr_size_t* len, apr_read_type_e)
{
    *str = nullptr;
    *len = 0;
    return APR_SUCCESS;
}

const apr_bucket_type_t x0_bucket_type_eor = {
    "EOR", 5, apr_bucket_type_t::APR_BUCKET_METADATA, eor_destroy, eor_read,
    apr_bucket_setaside_noop, apr_bucket_split_notimpl, apr_bucket_copy_notimpl,
};

apr_bucket* x0_bucket_eor_create(apr_bucket_alloc_t* list, x0_request_t* r)
{
    return metadata_bucket(&x0_bucket_type_eor, r, list);
}

/* ---- EOC: the connection ends ---- */

const apr_bucket_type_t x0_bucket_type_eoc = {
    "EOC", 5, apr_bucket_type_t::APR_BUCKET_METADATA, apr_bucket_destroy_noop, eor_read,
    apr_bucket_setaside_noop, apr_bucket_split_notimpl, apr_bucket_simple_copy,
};

apr_bucket* x0_bucket_eoc_create(apr_bucket_alloc_t* list)
{
    return metadata_bucket(&x0_bucket_type_eoc, nullptr, list);
}

/* ---- ERROR: a status instead of (the rest of) a body ---- */

static void error_destroy(void* data)
{
    apr_bucket_free(data);
}

const apr_bucket_type_t x0_bucket_type_error = {
    "ERROR", 5, apr_bucket_type_t::APR_BUCKET_METADATA, error_destroy, eor_read,
    apr_bucket_setaside_noop, apr_bucket_split_notimpl, apr_bucket_copy_notimpl,
};

apr_bucket* x0_bucket_error_create(int status, apr_bucket_alloc_t* list)
{
    auto* s = static_cast<int*>(apr_bucket_alloc(sizeof(int), list));
    *s = status;
    return metadata_bucket(&x0_bucket_type_error, s, list);
}

int x0_bucket_error_status(const apr_bucket* e)
{
    return *static_cast<const int*>(e->data);
}

/* ---- FILE_CHECK: is the file still the one whose length went out? ---- */

namespace {
struct file_check {
    int fd;
    apr_off_t size;
    apr_time_t mtime;
};
} // namespace

const apr_bucket_type_t x0_bucket_type_file_check = {
    "FILE_CHECK", 5, apr_bucket_type_t::APR_BUCKET_METADATA, error_destroy, eor_read,
    apr_bucket_setaside_noop, apr_bucket_split_notimpl, apr_bucket_copy_notimpl,
};

apr_bucket* x0_bucket_file_check_create(int fd, apr_off_t size, apr_time_t mtime,
                                        apr_bucket_alloc_t* list)
{
    auto* check = static_cast<file_check*>(apr_bucket_alloc(sizeof(file_check), list));
    *check = {fd, size, mtime};
    return metadata_bucket(&x0_bucket_type_file_check, check, list);
}

apr_status_t x0_bucket_file_check(const apr_bucket* e)
{
    const auto* check = static_cast<const file_check*>(e->data);
    struct stat st;
    if (fstat(check->fd, &st) != 0)
        return APR_FROM_OS_ERROR(errno);
    apr_time_t mtime = apr_time_from_sec(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec / 1000;
    return st.st_size == check->size && mtime == check->mtime ? APR_SUCCESS : APR_EMISMATCH;
}

} // extern "C"
