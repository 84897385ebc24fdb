/* Fuzz target: the pure handshake message parsers (parsers/tls_handshake.h)
 * and the fingerprints computed from parsed hellos (parsers/ja.h).
 *
 * Input: one handshake message body (after the 4-byte type/length header).
 * Every parser runs on it: ClientHello, ServerHello, Certificate in both
 * layouts, CertificateRequest in both layouts; a hello that parses also
 * gets its extensions iterated and its JA3 / JA3S / JA4.
 *
 * Properties checked: every view a parser returns lies inside the input
 * (and is read whole); counts stay within their caps; JA3 strings are
 * NUL-terminated within their buffer and the hash does not depend on the
 * string buffer's size (ja.h: on PR_LIMIT "the hash is then still of the
 * full string"); JA4 fits its 37 bytes. */
#include <string.h>

#include "fuzz.h"
#include "ja.h"
#include "tls_handshake.h"

/* JA3 strings of real hellos are well under this; longer ones give PR_LIMIT */
#define CS_JA3_MAX_FUZZ 4096

static uint64_t g_sink; /* keeps the digests observable; never read back */

static void view(const uint8_t *data, size_t size, struct bytes b)
{
    FUZZ_CHECK(fuzz_within(b.p, b.n, data, size));
    g_sink = fuzz_mix(g_sink, b.p, b.n);
}

static void check_hex_hash(const char h[33])
{
    size_t n = strnlen(h, 33);
    FUZZ_CHECK(n == 0 || n == 32);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f'));
}

static void walk_extensions(const uint8_t *data, size_t size, struct bytes ext)
{
    struct tls_ext_iter it;
    tls_ext_iter_init(&it, ext);
    uint16_t type;
    struct bytes body;
    size_t guard = 0;
    while (tls_ext_next(&it, &type, &body)) {
        view(data, size, body);
        g_sink = fuzz_mix_u64(g_sink, type);
        FUZZ_CHECK(++guard <= size); /* each extension takes at least 4 bytes */
    }
}

/* ja3 with a full buffer and with a small one: same status class, same hash */
static void ja3_both(enum pr_status full_st, const char *full_str, const char full_hash[33],
                     enum pr_status small_st, const char *small_str, size_t small_cap,
                     const char small_hash[33])
{
    check_hex_hash(full_hash);
    check_hex_hash(small_hash);
    FUZZ_CHECK(strnlen(full_str, CS_JA3_MAX_FUZZ) < CS_JA3_MAX_FUZZ);
    FUZZ_CHECK(strnlen(small_str, small_cap) < small_cap);
    if (full_st == PR_OK) {
        FUZZ_CHECK(small_st == PR_OK || small_st == PR_LIMIT);
        FUZZ_CHECK(strcmp(full_hash, small_hash) == 0);
        FUZZ_CHECK(strncmp(full_str, small_str, strlen(small_str)) == 0);
    } else {
        FUZZ_CHECK(small_st == full_st || full_st == PR_LIMIT);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum { SMALL = 17 };
    char str[CS_JA3_MAX_FUZZ], small[SMALL], hash[33], hash2[33], ja4[40];

    struct tls_client_hello ch;
    if (tls_parse_client_hello(data, size, &ch) == PR_OK) {
        view(data, size, ch.random);
        FUZZ_CHECK(ch.random.n == 32);
        FUZZ_CHECK(ch.session_id.n <= 32);
        FUZZ_CHECK(ch.ciphers.n % 2 == 0);
        view(data, size, ch.session_id);
        view(data, size, ch.ciphers);
        view(data, size, ch.compression);
        view(data, size, ch.extensions);
        view(data, size, ch.sni);
        view(data, size, ch.alpn);
        view(data, size, ch.supported_versions);
        view(data, size, ch.groups);
        view(data, size, ch.ec_point_formats);
        view(data, size, ch.sig_algs);
        walk_extensions(data, size, ch.extensions);
        enum pr_status a = ja3_client(&ch, str, sizeof str, hash);
        enum pr_status b = ja3_client(&ch, small, sizeof small, hash2);
        ja3_both(a, str, hash, b, small, sizeof small, hash2);
        enum pr_status c = ja3_client(&ch, NULL, 0, hash2);
        FUZZ_CHECK(c == a || (a == PR_LIMIT && c == PR_OK));
        if (a == PR_OK || a == PR_LIMIT)
            FUZZ_CHECK(strcmp(hash, hash2) == 0);
        memset(ja4, 0x55, sizeof ja4);
        enum pr_status d = ja4_client(&ch, ja4);
        FUZZ_CHECK(strnlen(ja4, sizeof ja4) <= 36);
        if (d == PR_OK) {
            FUZZ_CHECK(strlen(ja4) == 36 && ja4[10] == '_' && ja4[23] == '_');
        } else {
            FUZZ_CHECK(ja4[0] == '\0');
        }
    }

    struct tls_server_hello sh;
    if (tls_parse_server_hello(data, size, &sh) == PR_OK) {
        view(data, size, sh.random);
        FUZZ_CHECK(sh.random.n == 32);
        view(data, size, sh.session_id);
        view(data, size, sh.extensions);
        view(data, size, sh.alpn);
        walk_extensions(data, size, sh.extensions);
        enum pr_status a = ja3_server(&sh, str, sizeof str, hash);
        enum pr_status b = ja3_server(&sh, small, sizeof small, hash2);
        ja3_both(a, str, hash, b, small, sizeof small, hash2);
    }

    for (int tls13 = 0; tls13 < 2; tls13++) {
        struct tls_cert_list cl;
        if (tls_parse_certificate(data, size, tls13, &cl) == PR_OK) {
            FUZZ_CHECK(cl.count <= TLS_CERT_LIST_MAX && cl.count <= cl.total);
            FUZZ_CHECK(cl.truncated == (cl.total > TLS_CERT_LIST_MAX));
            FUZZ_CHECK(cl.count == (cl.truncated ? TLS_CERT_LIST_MAX : cl.total));
            view(data, size, cl.request_context);
            for (size_t i = 0; i < cl.count; i++) {
                FUZZ_CHECK(cl.certs[i].n > 0);
                view(data, size, cl.certs[i]);
            }
        }
        struct tls_cert_request cr;
        if (tls_parse_certificate_request(data, size, tls13, &cr) == PR_OK)
            FUZZ_CHECK(cr.ca_count <= size);
    }
    return 0;
}
