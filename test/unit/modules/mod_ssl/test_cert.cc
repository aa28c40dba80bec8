#include "test_cert.h"

#include <CppUTest/TestHarness.h>
#include <cstdio>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace x0test {

void make_cert(const std::string& dir, const char* cn, bool encrypt_key)
{
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    CHECK(key != nullptr);
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_set_pubkey(x, key);
    CHECK(X509_sign(x, key, EVP_sha256()) > 0);
    FILE* f = fopen((dir + "/" + cn + ".crt").c_str(), "w");
    CHECK(f != nullptr);
    PEM_write_X509(f, x);
    fclose(f);
    f = fopen((dir + "/" + cn + ".key").c_str(), "w");
    CHECK(f != nullptr);
    static unsigned char pw[] = "pw";
    PEM_write_PrivateKey(f, key, encrypt_key ? EVP_aes_128_cbc() : nullptr,
                         encrypt_key ? pw : nullptr, encrypt_key ? 2 : 0, nullptr, nullptr);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(key);
}

} // namespace x0test
