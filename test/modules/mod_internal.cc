/*
 * A module that reaches into x0d's internals: x0::server_root() exists in
 * x0d but is not part of the API (no X0_API), so x0d does not export it and
 * the loader must refuse the object at LoadModule ("undefined symbol"),
 * before register_hooks could call it.
 */
#include <x0/module.h>

namespace x0 {
const char* server_root();
}

namespace {

void internal_register_hooks(apr_pool_t*)
{
    (void)x0::server_root();
}

} // namespace

X0_MODULE(internal) = {
    X0_MODULE_HEADER, "internal", nullptr, nullptr, nullptr, nullptr, nullptr,
    internal_register_hooks,
};
