/* Fuzz target: key set-up and record decryption (parsers/tls_decrypt.h).
 *
 * Input: [flags] [suite: 2 bytes] [seq: 2 bytes] key material... records...
 *   flags bit 0    TLS 1.3 (else TLS 1.0-1.2)
 *         bits 1-2 TLS <= 1.2 version: 1.0, 1.1, 1.2 (3 is 1.2 too)
 *         bit 3    encrypt_then_mac (CBC suites)
 *         bit 4    TLS <= 1.2: decrypt as the server direction
 *         bit 5    small output buffer (1024 bytes): the PR_LIMIT path
 *         bit 6    sequence number starts near 2^64 (exhaustion)
 * Key material: TLS 1.3, a traffic secret of the suite's hash size (32 for
 * a suite not in the table); TLS <= 1.2, master secret (48), client random
 * (32), server random (32). The rest is a run of records, decrypted in turn
 * with the same keys (seeds hold real keys and records, from
 * pcaps/tls13.pcap and its key log, so the authenticated paths are reached).
 *
 * Properties (tls_decrypt.h): never a crash (a bad tag is just a status);
 * PR_OK plaintext fits the buffer; a complete record advances the
 * sequence number by exactly one on PR_OK and PR_MALFORMED and leaves it on
 * every other status; freed keys leave the struct zeroed. */
#include <string.h>

#include "fuzz.h"
#include "tls_decrypt.h"

static void check_zeroed(const struct tls_dir_keys *k)
{
    static const struct tls_dir_keys zero;
    FUZZ_CHECK(memcmp(k, &zero, sizeof zero) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5)
        return 0;
    uint8_t flags = data[0];
    uint16_t suite = (uint16_t)(data[1] << 8 | data[2]);
    uint64_t seq0 = (uint64_t)data[3] << 8 | data[4];
    if (flags & 0x40)
        seq0 = UINT64_MAX - (seq0 & 3);
    const uint8_t *p = data + 5;
    size_t n = size - 5;

    struct tls_dir_keys k = {0}, other = {0};
    enum pr_status st;
    if (flags & 1) {
        const struct tls_suite_info *si = tls_suite_find(suite);
        size_t slen = (si != NULL && si->hash_len > 0) ? si->hash_len : 32;
        if (n < slen)
            return 0;
        st = tls_dir_keys_tls13(&k, suite, p, slen);
        p += slen;
        n -= slen;
    } else {
        if (n < 48 + 32 + 32)
            return 0;
        static const uint16_t versions[4] = {TLS_VERSION_1_0, TLS_VERSION_1_1, TLS_VERSION_1_2,
                                             TLS_VERSION_1_2};
        uint16_t v = versions[(flags >> 1) & 3];
        bool server = flags & 0x10;
        st = tls_dir_keys_tls12(server ? &other : &k, server ? &k : &other, suite, v, flags & 8, p,
                                48, p + 48, p + 80);
        p += 112;
        n -= 112;
    }
    if (st != PR_OK)
        goto out;
    FUZZ_CHECK(k.suite != NULL && k.seq == 0);
    k.seq = seq0;

    size_t cap = (flags & 0x20) ? 1024 : TLS_DECRYPT_OUT_MAX;
    uint8_t *out = malloc(cap);
    FUZZ_CHECK(out != NULL);
    while (n > 0) {
        struct tls_plain res;
        uint64_t before = k.seq;
        st = tls_decrypt_record(&k, p, n, out, cap, &res);
        if (st == PR_INCOMPLETE) {
            FUZZ_CHECK(k.seq == before);
            break;
        }
        FUZZ_CHECK(res.consumed >= TLS_RECORD_HEADER_LEN && res.consumed <= n);
        if (st == PR_OK || st == PR_MALFORMED)
            FUZZ_CHECK(k.seq == before + 1);
        else
            FUZZ_CHECK(k.seq == before);
        if (st == PR_OK) {
            FUZZ_CHECK(res.len <= cap && res.len <= res.consumed);
            volatile uint64_t h = fuzz_mix(FUZZ_HASH_INIT, out, res.len);
            (void)h;
        } else {
            FUZZ_CHECK(res.len == 0);
        }
        p += res.consumed;
        n -= res.consumed;
    }
    free(out);
out:
    tls_dir_keys_free(&k);
    tls_dir_keys_free(&other);
    check_zeroed(&k);
    check_zeroed(&other);
    return 0;
}
