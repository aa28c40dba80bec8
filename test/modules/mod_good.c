/* A module built right, with nothing but cc and the headers: `SetHandler
 * good` answers "good\n". */
#include <string.h>

#include <x0/http.h>
#include <x0/module.h>

static int good_handler(x0_request_t* r)
{
    static const char body[] = "good\n";
    apr_bucket_brigade* bb;
    if (!r->handler || strcmp(r->handler, "good") != 0)
        return X0_DECLINED;
    r->content_type = "text/plain";
    x0_set_content_length(r, sizeof body - 1);
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_immortal_create(body, sizeof body - 1, bb->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(bb->bucket_alloc));
    x0_pass_brigade(r->output_filters, bb);
    return X0_OK;
}

static void good_register_hooks(apr_pool_t* p)
{
    (void)p;
    x0_hook_handler(good_handler, NULL, NULL, X0_HOOK_MIDDLE);
}

X0_MODULE(good) = {
    X0_MODULE_HEADER, "good", NULL, NULL, NULL, NULL, NULL, good_register_hooks,
};
