/* A certificate made at test time, for mod_ssl's unit tests. */
#ifndef X0_TEST_CERT_H
#define X0_TEST_CERT_H

#include <string>

namespace x0test {

/**
 * A self-signed P-256 certificate for CN=@a cn: DIR/CN.crt and DIR/CN.key,
 * the key encrypted with the pass phrase "pw" if @a encrypt_key.
 */
void make_cert(const std::string& dir, const char* cn, bool encrypt_key = false);

} // namespace x0test

#endif
