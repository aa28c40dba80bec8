/*
 * A test module: the output filter UPPER turns ASCII letters of the body to
 * upper case. The integration tests insert it with SetOutputFilter and
 * AddOutputFilter; it is written in C against the installed headers only.
 */
#include <apr_lib.h>
#include <x0/filter.h>
#include <x0/http.h>
#include <x0/module.h>

static apr_status_t upper_out(x0_filter_t* f, apr_bucket_brigade* bb)
{
    for (apr_bucket* b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
         b = APR_BUCKET_NEXT(b)) {
        if (APR_BUCKET_IS_METADATA(b))
            continue;
        const char* data;
        apr_size_t len;
        apr_status_t rv = apr_bucket_read(b, &data, &len, APR_BLOCK_READ);
        if (rv != APR_SUCCESS)
            return rv;
        /* The bucket now holds its bytes in memory: copy them to the request pool. */
        char* copy = apr_palloc(f->r->pool, len);
        for (apr_size_t i = 0; i < len; ++i)
            copy[i] = (char)apr_toupper((unsigned char)data[i]);
        apr_bucket* repl = apr_bucket_pool_create(copy, len, f->r->pool, bb->bucket_alloc);
        APR_BUCKET_INSERT_BEFORE(b, repl);
        apr_bucket_delete(b);
        b = repl;
    }
    return x0_pass_brigade(f->next, bb);
}

static void upper_register_hooks(apr_pool_t* p)
{
    (void)p;
    x0_register_output_filter("UPPER", upper_out, X0_FTYPE_CONTENT);
}

X0_MODULE(upper) = {
    X0_MODULE_HEADER, "upper", NULL, NULL, NULL, NULL, NULL, upper_register_hooks,
};
