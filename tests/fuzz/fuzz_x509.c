/* Fuzz target: certificate analysis (parsers/x509.h).
 *
 * Input: the bytes handed to x509_analyse() as a DER certificate.
 * Properties checked: the SHA-1 and SHA-256 thumbprints equal digests of the
 * raw input, whatever the status; every string field is NUL-terminated
 * inside its array; counts stay within their arrays; a parsed certificate
 * is never claimed by PR_LIMIT; the OpenSSL error queue is left as it was
 * found (empty). */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "fuzz.h"
#include "x509.h"

static void check_str(const char *s, size_t cap)
{
    FUZZ_CHECK(strnlen(s, cap) < cap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct cs_cert_info info; /* 17 KB: kept off the stack; rewritten each call */
    ERR_clear_error();
    enum pr_status st = x509_analyse(data, size, &info);
    FUZZ_CHECK(ERR_peek_error() == 0);
    FUZZ_CHECK(st == PR_OK || st == PR_MALFORMED || st == PR_LIMIT);

    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    FUZZ_CHECK(EVP_Digest(data, size, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32);
    FUZZ_CHECK(memcmp(md, info.sha256, 32) == 0);
    FUZZ_CHECK(EVP_Digest(data, size, md, &mdlen, EVP_sha1(), NULL) == 1 && mdlen == 20);
    FUZZ_CHECK(memcmp(md, info.sha1, 20) == 0);

    if (st == PR_OK)
        FUZZ_CHECK(info.parsed);
    if (st == PR_LIMIT)
        FUZZ_CHECK(!info.parsed);
    check_str(info.subject, sizeof info.subject);
    check_str(info.issuer, sizeof info.issuer);
    check_str(info.serial, sizeof info.serial);
    check_str(info.key_type, sizeof info.key_type);
    check_str(info.key_curve, sizeof info.key_curve);
    check_str(info.sig_alg, sizeof info.sig_alg);
    FUZZ_CHECK(info.san_count <= CS_SAN_MAX);
    for (size_t i = 0; i < info.san_count; i++) {
        check_str(info.san[i].value, sizeof info.san[i].value);
        for (const char *p = info.san[i].value; *p; p++)
            FUZZ_CHECK(*p >= 0x20 && *p <= 0x7e); /* x509.h: printable, others escaped */
    }
    FUZZ_CHECK(info.ski_len <= sizeof info.ski && info.aki_len <= sizeof info.aki);
    FUZZ_CHECK(info.key_bits >= 0);
    return 0;
}
