/* Unit tests for rules/hygiene.c (hygiene_check, hygiene_host_match).
 *
 * Certificates are built at test time with OpenSSL; expected values are the
 * dates, keys, digests and names we put in. Times: `date -u -d ... +%s`.
 * Each check has a case where it fires and a benign case where it stays
 * silent, including the boundaries (validity is inclusive of notAfter, the
 * 398-day period is counted inclusively). */
#include <setjmp.h> /* cmocka needs it; the library does not use it */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hygiene.h"
#include "x509.h"

/* certificates built at test time: the helper shared by the chain, trust,
   hygiene and pin tests */
#include "certbuild.c"

/* ---- fixture ---------------------------------------------------------------------- */

#define T_2024_06_01 1717200000LL
#define T_2025_01_01 1735689600LL     /* the default notBefore */
#define T_2024_12_31_END 1735689599LL /* 2024-12-31T23:59:59Z */

struct fx {
    EVP_PKEY *kroot, *kinter, *kleaf, *k1024, *k192;
    struct tc root, inter, inter_old, leaf, cleaf, leaf_expired, leaf_long, leaf_398, leaf_399,
        leaf_self, cleaf_self, leaf_1024, leaf_192, leaf_sha1, root_sha1, leaf_md5, leaf_cn_only,
        leaf_san_cn, leaf_partial, leaf_tld;
    bool have_192;
};

static struct fx *F;

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    (void)state;
    assert_non_null(f);
    f->kroot = key_ec("P-256");
    f->kinter = key_rsa(2048); /* RSA so that it can sign with MD5 and SHA-1 */
    f->kleaf = key_ec("P-256");
    f->k1024 = key_rsa(1024);
    f->k192 = EVP_EC_gen("prime192v1"); /* may be missing from a FIPS-only build */
    f->have_192 = f->k192 != NULL;
    ERR_clear_error();

    tc_build(&f->root, &(struct tspec){.cn = "Test Root",
                                       .key = f->kroot,
                                       .ca = true,
                                       .nb = "20200101000000Z",
                                       .na = "20391231235959Z"});
    tc_build(&f->inter, &(struct tspec){.cn = "Test Intermediate",
                                        .issuer = &f->root,
                                        .key = f->kinter,
                                        .ca = true,
                                        .serial = 2,
                                        .nb = "20200101000000Z",
                                        .na = "20301231235959Z"});
    tc_build(&f->inter_old, &(struct tspec){.cn = "Test Intermediate",
                                            .issuer = &f->root,
                                            .key = f->kinter,
                                            .ca = true,
                                            .serial = 3,
                                            .nb = "20200101000000Z",
                                            .na = "20211231235959Z"});
    tc_build(&f->leaf, &(struct tspec){.cn = "www.example.com",
                                       .issuer = &f->inter,
                                       .key = f->kleaf,
                                       .dns = {"*.example.com", "example.com"},
                                       .ip = {"192.0.2.10"},
                                       .serial = 10});
    tc_build(&f->cleaf, &(struct tspec){.cn = "client",
                                        .issuer = &f->inter,
                                        .key = f->kleaf,
                                        .eku = "clientAuth",
                                        .serial = 11});
    tc_build(&f->leaf_expired, &(struct tspec){.cn = "old.example.com",
                                               .issuer = &f->inter,
                                               .key = f->kleaf,
                                               .nb = "20240101000000Z",
                                               .na = "20241231235959Z",
                                               .serial = 12});
    tc_build(&f->leaf_long, &(struct tspec){.cn = "long.example.com",
                                            .issuer = &f->inter,
                                            .key = f->kleaf,
                                            .na = "20260601000000Z",
                                            .serial = 13});
    /* 2025-01-01T00:00:00Z through 2026-02-02T23:59:59Z: exactly 398 days */
    tc_build(&f->leaf_398, &(struct tspec){.cn = "398.example.com",
                                           .issuer = &f->inter,
                                           .key = f->kleaf,
                                           .na = "20260202235959Z",
                                           .serial = 14});
    tc_build(&f->leaf_399, &(struct tspec){.cn = "399.example.com",
                                           .issuer = &f->inter,
                                           .key = f->kleaf,
                                           .na = "20260203000000Z",
                                           .serial = 15});
    tc_build(&f->leaf_self, &(struct tspec){.cn = "www.example.com",
                                            .key = f->kleaf,
                                            .dns = {"www.example.com"},
                                            .serial = 16});
    tc_build(&f->cleaf_self,
             &(struct tspec){
                 .cn = "app-client", .key = f->kleaf, .na = "20301231235959Z", .serial = 17});
    tc_build(&f->leaf_1024,
             &(struct tspec){
                 .cn = "weak.example.com", .issuer = &f->inter, .key = f->k1024, .serial = 18});
    if (f->have_192)
        tc_build(&f->leaf_192,
                 &(struct tspec){
                     .cn = "p192.example.com", .issuer = &f->inter, .key = f->k192, .serial = 19});
    tc_build(&f->leaf_sha1, &(struct tspec){.cn = "sha1.example.com",
                                            .issuer = &f->inter,
                                            .key = f->kleaf,
                                            .md = EVP_sha1(),
                                            .serial = 20});
    tc_build(&f->root_sha1,
             &(struct tspec){
                 .cn = "Old Root", .key = f->kinter, .ca = true, .md = EVP_sha1(), .serial = 21});
    tc_build(&f->leaf_md5, &(struct tspec){.cn = "md5.example.com",
                                           .issuer = &f->inter,
                                           .key = f->kleaf,
                                           .md = EVP_md5(),
                                           .serial = 22});
    tc_build(&f->leaf_cn_only,
             &(struct tspec){
                 .cn = "host.example.net", .issuer = &f->inter, .key = f->kleaf, .serial = 23});
    tc_build(&f->leaf_san_cn, &(struct tspec){.cn = "cn.example.org",
                                              .issuer = &f->inter,
                                              .key = f->kleaf,
                                              .dns = {"www.example.com"},
                                              .serial = 24});
    tc_build(&f->leaf_partial, &(struct tspec){.cn = "partial",
                                               .issuer = &f->inter,
                                               .key = f->kleaf,
                                               .dns = {"w*.example.com"},
                                               .serial = 25});
    tc_build(
        &f->leaf_tld,
        &(struct tspec){
            .cn = "tld", .issuer = &f->inter, .key = f->kleaf, .dns = {"*.com"}, .serial = 26});
    F = f;
    return 0;
}

static int teardown(void **state)
{
    struct tc *all[] = {&F->root,         &F->inter,        &F->inter_old,    &F->leaf,
                        &F->cleaf,        &F->leaf_expired, &F->leaf_long,    &F->leaf_398,
                        &F->leaf_399,     &F->leaf_self,    &F->cleaf_self,   &F->leaf_1024,
                        &F->leaf_192,     &F->leaf_sha1,    &F->root_sha1,    &F->leaf_md5,
                        &F->leaf_cn_only, &F->leaf_san_cn,  &F->leaf_partial, &F->leaf_tld};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        tc_free(all[i]);
    EVP_PKEY_free(F->kroot);
    EVP_PKEY_free(F->kinter);
    EVP_PKEY_free(F->kleaf);
    EVP_PKEY_free(F->k1024);
    EVP_PKEY_free(F->k192);
    free(F);
    F = NULL;
    return 0;
}

static void run(const struct hygiene_opts *opts, const struct cs_tls *t, struct got *g)
{
    struct check_out o = {sink, g};
    memset(g, 0, sizeof(*g));
    hygiene_check(opts, t, &o);
}

/* ---- benign ---------------------------------------------------------------------------- */

static void test_good_session_silent(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    struct hygiene_opts opts;
    struct got g;

    (void)state;
    hygiene_opts_default(&opts);
    assert_true(opts.expired && opts.not_yet_valid && opts.long_validity && opts.self_signed_leaf &&
                opts.weak_key && opts.weak_sig && opts.hostname);
    assert_false(opts.long_validity_client);
    assert_int_equal(opts.max_validity_days, 398);
    SERVER(t, &F->leaf, &F->inter, &F->root);
    CLIENT(t, &F->cleaf, &F->inter);
    run(&opts, t, &g);
    assert_silent(&g);
    run(NULL, t, &g); /* NULL: the defaults */
    assert_silent(&g);
    free(t);
}

/* ---- validity at capture time ------------------------------------------------------------ */

static void test_expired(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, NULL);
    const struct got_alert *a;
    struct got g;

    (void)state;
    SERVER(t, &F->leaf_expired);
    run(NULL, t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "validity.expired");
    assert_string_equal(a->category, "hygiene");
    assert_int_equal(a->severity, 2);
    assert_int_equal(a->sid, HYGIENE_SID_EXPIRED);
    assert_int_equal(a->index, 0);
    assert_contains(a->evidence, "server #0 'CN=old.example.com' expired: notAfter "
                                 "2024-12-31T23:59:59Z < capture time 2025-06-01T00:00:00Z");
    /* the same certificate inside its validity at capture time: silent */
    t->ts_us = T_2024_06_01 * 1000000;
    run(NULL, t, &g);
    assert_silent(&g);
    /* notAfter is inclusive (RFC 5280 4.1.2.5) */
    t->ts_us = T_2024_12_31_END * 1000000;
    run(NULL, t, &g);
    assert_silent(&g);
    t->ts_us = (T_2024_12_31_END + 1) * 1000000;
    run(NULL, t, &g);
    assert_int_equal(count_check(&g, "validity.expired"), 1);
    free(t);
}

static void test_not_yet_valid(void **state)
{
    struct cs_tls *t = tls_new(T_2024_12_31_END, NULL);
    const struct got_alert *a;
    struct got g;

    (void)state;
    SERVER(t, &F->leaf, &F->inter);
    run(NULL, t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "validity.not_yet_valid");
    assert_string_equal(a->category, "hygiene");
    assert_int_equal(a->severity, 2);
    assert_int_equal(a->sid, HYGIENE_SID_NOT_YET_VALID);
    assert_contains(a->evidence, "server #0 'CN=www.example.com' not yet valid: notBefore "
                                 "2025-01-01T00:00:00Z > capture time 2024-12-31T23:59:59Z");
    t->ts_us = T_2025_01_01 * 1000000; /* notBefore itself is valid */
    run(NULL, t, &g);
    assert_silent(&g);
    free(t);
}

/* every certificate of both chains, not only the leaf */
static void test_expired_intermediate_and_client(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    struct got g;
    size_t i;

    (void)state;
    SERVER(t, &F->leaf, &F->inter_old, &F->root);
    CLIENT(t, &F->leaf_expired);
    run(NULL, t, &g);
    assert_int_equal(g.n, 2);
    assert_int_equal(count_check(&g, "validity.expired"), 2);
    for (i = 0; i < g.n; i++) {
        if (strcmp(g.a[i].role, "server") == 0) {
            assert_int_equal(g.a[i].index, 1);
            assert_contains(g.a[i].evidence, "notAfter 2021-12-31T23:59:59Z");
        } else {
            assert_string_equal(g.a[i].role, "client");
            assert_int_equal(g.a[i].index, 0);
        }
    }
    free(t);
}

/* ---- validity period ------------------------------------------------------------------------ */

static void test_too_long(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, NULL);
    struct hygiene_opts opts;
    const struct got_alert *a;
    struct got g;

    (void)state;
    SERVER(t, &F->leaf_long, &F->inter, &F->root);
    run(NULL, t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "validity.too_long");
    assert_string_equal(a->category, "hygiene");
    assert_int_equal(a->severity, 3);
    assert_int_equal(a->sid, HYGIENE_SID_TOO_LONG);
    assert_int_equal(a->index, 0);
    assert_contains(a->evidence, "server #0 'CN=long.example.com' valid 516 days "
                                 "(2025-01-01T00:00:00Z .. 2026-06-01T00:00:00Z) > 398 days");
    /* the limit is configurable, and <= 0 turns it off */
    hygiene_opts_default(&opts);
    opts.max_validity_days = 600;
    run(&opts, t, &g);
    assert_silent(&g);
    opts.max_validity_days = 0;
    run(&opts, t, &g);
    assert_silent(&g);
    /* boundary: 398 days inclusive is allowed, one second more is not */
    SERVER(t, &F->leaf_398, &F->inter);
    run(NULL, t, &g);
    assert_silent(&g);
    SERVER(t, &F->leaf_399, &F->inter);
    run(NULL, t, &g);
    assert_int_equal(count_check(&g, "validity.too_long"), 1);
    /* CA certificates (10+ years here) are not leaves */
    SERVER(t, &F->leaf, &F->inter, &F->root);
    run(NULL, t, &g);
    assert_silent(&g);
    free(t);
}

static void test_too_long_client_optional(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, NULL);
    struct hygiene_opts opts;
    struct got g;

    (void)state;
    CLIENT(t, &F->leaf_long, &F->inter);
    run(NULL, t, &g);
    assert_silent(&g);
    hygiene_opts_default(&opts);
    opts.long_validity_client = true;
    run(&opts, t, &g);
    assert_int_equal(g.n, 1);
    assert_string_equal(find_check(&g, "validity.too_long")->role, "client");
    free(t);
}

/* ---- self-signed leaf ------------------------------------------------------------------------ */

static void test_self_signed_leaf(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    const struct got_alert *a;
    struct got g;

    (void)state;
    SERVER(t, &F->leaf_self);
    run(NULL, t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "leaf.self_signed");
    assert_string_equal(a->category, "mitm");
    assert_int_equal(a->severity, 2);
    assert_int_equal(a->sid, HYGIENE_SID_SELF_SIGNED_LEAF);
    assert_contains(a->evidence, "server #0 'CN=www.example.com' is self-signed and sent alone");
    /* a self-signed client certificate is ordinary (application credentials) */
    t->server_cert_count = 0;
    CLIENT(t, &F->cleaf_self);
    run(NULL, t, &g);
    assert_silent(&g);
    free(t);
}

/* ---- keys ---------------------------------------------------------------------------------------
 */

static void test_weak_key(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, NULL);
    const struct got_alert *a;
    struct got g;

    (void)state;
    SERVER(t, &F->leaf_1024, &F->inter);
    run(NULL, t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "key.weak");
    assert_string_equal(a->category, "hygiene");
    assert_int_equal(a->severity, 2);
    assert_int_equal(a->sid, HYGIENE_SID_WEAK_KEY);
    assert_contains(a->evidence, "server #0 'CN=weak.example.com' has a 1024-bit RSA key (< 2048)");
    /* RSA-2048 (the intermediate) and P-256 (the leaf) are fine */
    SERVER(t, &F->leaf, &F->inter);
    run(NULL, t, &g);
    assert_silent(&g);
    if (F->have_192) {
        SERVER(t, &F->leaf_192, &F->inter);
        run(NULL, t, &g);
        assert_int_equal(g.n, 1);
        assert_contains(find_check(&g, "key.weak")->evidence, "192-bit EC key (< 224)");
    }
    free(t);
}

/* ---- signature algorithms
 * ------------------------------------------------------------------------ */

static void test_weak_signatures(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, NULL);
    const struct got_alert *a;
    struct got g;

    (void)state;
    SERVER(t, &F->leaf_sha1, &F->inter);
    run(NULL, t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "sig.sha1");
    assert_string_equal(a->category, "hygiene");
    assert_int_equal(a->severity, 3);
    assert_int_equal(a->sid, HYGIENE_SID_SIG_SHA1);
    assert_contains(a->evidence,
                    "server #0 'CN=sha1.example.com' signed with sha1WithRSAEncryption");

    SERVER(t, &F->leaf_md5, &F->inter);
    run(NULL, t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "sig.md5");
    assert_int_equal(a->severity, 1);
    assert_int_equal(a->sid, HYGIENE_SID_SIG_MD5);
    assert_contains(a->evidence, "signed with md5WithRSAEncryption");

    /* a self-signed root's own SHA-1 signature protects nothing: silent */
    SERVER(t, &F->leaf, &F->root_sha1);
    run(NULL, t, &g);
    assert_silent(&g);
    assert_true(F->root_sha1.info.self_signed);
    free(t);
}

/* ---- hostname
 * -------------------------------------------------------------------------------------- */

static void test_hostname_matches(void **state)
{
    static const char *const ok[] = {"www.example.com", "example.com", "WWW.Example.COM.",
                                     "mail.example.com", "192.0.2.10"};
    struct cs_tls *t = tls_new(T_2025_06_01, NULL);
    struct got g;
    size_t i;

    (void)state;
    SERVER(t, &F->leaf, &F->inter);
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        snprintf(t->sni, sizeof(t->sni), "%s", ok[i]);
        run(NULL, t, &g);
        if (g.n != 0)
            fail_msg("sni %s: unexpected alert", ok[i]);
    }
    /* no SNI: no hostname check */
    t->sni[0] = '\0';
    SERVER(t, &F->leaf_tld, &F->inter);
    run(NULL, t, &g);
    assert_silent(&g);
    /* CN only when there is no subjectAltName */
    snprintf(t->sni, sizeof(t->sni), "host.example.net");
    SERVER(t, &F->leaf_cn_only, &F->inter);
    run(NULL, t, &g);
    assert_silent(&g);
    free(t);
}

static void test_hostname_mismatch(void **state)
{
    static const struct {
        const struct tc *leaf;
        const char *sni;
    } bad[] = {
        {NULL, "a.b.example.com"}, /* the wildcard covers one label */
        {NULL, "www.example.org"},
        {NULL, "xample.com"},
        {NULL, "192.0.2.11"}, /* IP SNI against iPAddress names */
    };
    struct cs_tls *t = tls_new(T_2025_06_01, NULL);
    const struct got_alert *a;
    struct got g;
    size_t i;

    (void)state;
    SERVER(t, &F->leaf, &F->inter);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(t->sni, sizeof(t->sni), "%s", bad[i].sni);
        run(NULL, t, &g);
        if (g.n != 1)
            fail_msg("sni %s: %zu alerts", bad[i].sni, g.n);
        a = find_check(&g, "hostname.mismatch");
        assert_string_equal(a->category, "mitm");
        assert_int_equal(a->severity, 2);
        assert_int_equal(a->sid, HYGIENE_SID_HOSTNAME);
        assert_int_equal(a->index, 0);
    }
    snprintf(t->sni, sizeof(t->sni), "a.b.example.com");
    run(NULL, t, &g);
    assert_contains(g.a[0].evidence, "sni 'a.b.example.com' does not match server #0 names: "
                                     "DNS:*.example.com, DNS:example.com, IP:192.0.2.10");
    snprintf(t->sni, sizeof(t->sni), "192.0.2.11");
    run(NULL, t, &g);
    assert_contains(g.a[0].evidence, "not valid SNI per RFC 6066");

    /* the CN is ignored when there are DNS names */
    snprintf(t->sni, sizeof(t->sni), "cn.example.org");
    SERVER(t, &F->leaf_san_cn, &F->inter);
    run(NULL, t, &g);
    assert_int_equal(count_check(&g, "hostname.mismatch"), 1);
    /* partial-label wildcard never matches */
    snprintf(t->sni, sizeof(t->sni), "www.example.com");
    SERVER(t, &F->leaf_partial, &F->inter);
    run(NULL, t, &g);
    assert_int_equal(count_check(&g, "hostname.mismatch"), 1);
    /* a wildcard over a two-label name never matches */
    snprintf(t->sni, sizeof(t->sni), "example.com");
    SERVER(t, &F->leaf_tld, &F->inter);
    run(NULL, t, &g);
    assert_int_equal(count_check(&g, "hostname.mismatch"), 1);
    /* CN-only certificate with another name */
    snprintf(t->sni, sizeof(t->sni), "other.example.net");
    SERVER(t, &F->leaf_cn_only, &F->inter);
    run(NULL, t, &g);
    assert_int_equal(g.n, 1);
    assert_contains(g.a[0].evidence, "names: CN:host.example.net");
    /* control bytes in the SNI are escaped in the evidence */
    snprintf(t->sni, sizeof(t->sni), "x\x01y.example.com");
    SERVER(t, &F->leaf, &F->inter);
    run(NULL, t, &g);
    assert_int_equal(g.n, 1);
    assert_contains(g.a[0].evidence, "sni 'x\\x01y.example.com'");
    free(t);
}

static void test_host_match_rules(void **state)
{
    static const struct {
        const char *pattern, *host;
        bool match;
    } v[] = {
        {"www.example.com", "www.example.com", true},
        {"WWW.example.COM", "www.EXAMPLE.com", true},
        {"www.example.com.", "www.example.com", true},
        {"www.example.com", "www.example.com.", true},
        {"*.example.com", "www.example.com", true},
        {"*.example.com", "WWW.EXAMPLE.COM.", true},
        {"*.example.com", "example.com", false},
        {"*.example.com", ".example.com", false},
        {"*.example.com", "a.b.example.com", false},
        {"*.example.com", "www.example.org", false},
        {"*.com", "example.com", false},
        {"*.", "a.", false},
        {"*", "localhost", false},
        {"w*.example.com", "www.example.com", false},
        {"*w.example.com", "www.example.com", false},
        {"www.*.com", "www.example.com", false},
        {"*.*.example.com", "a.b.example.com", false},
        {"*.2.0.192", "1.2.0.192", false}, /* wildcards never match addresses */
        {"*.0.2.10", "192.0.2.10", false},
        {"*.example.com", "x\x01y.example.com", false}, /* '*' stands for LDH/_ only */
        {"*.example.com", "a_b-1.example.com", true},
        {"www..example.com", "www..example.com", false},
        {"", "", false},
        {"example.com", "", false},
        {"www.example.com", "www.example.co", false},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        bool got =
            hygiene_host_match(v[i].pattern, strlen(v[i].pattern), v[i].host, strlen(v[i].host));
        if (got != v[i].match)
            fail_msg("'%s' vs '%s': got %d", v[i].pattern, v[i].host, got);
    }
    /* an embedded NUL never matches */
    assert_false(hygiene_host_match("www.example.com\0.evil", 21, "www.example.com", 15));
    assert_false(hygiene_host_match(NULL, 0, "a", 1));
    assert_true(hygiene_host_pattern_valid("*.example.com", 13));
    assert_true(hygiene_host_pattern_valid("mail.example.com", 16));
    assert_false(hygiene_host_pattern_valid("*.com", 5));
    assert_false(hygiene_host_pattern_valid("w*.example.com", 14));
    assert_false(hygiene_host_pattern_valid("exa mple.com", 12));
    assert_false(hygiene_host_pattern_valid("", 0));
}

/* ---- switches
 * ------------------------------------------------------------------------------------------ */

static void test_each_switch(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "nomatch.example.org");
    struct hygiene_opts on, off;
    struct got g;
    static const char *const checks[] = {"validity.expired",  "validity.not_yet_valid",
                                         "validity.too_long", "leaf.self_signed",
                                         "key.weak",          "sig.sha1",
                                         "sig.md5",           "hostname.mismatch"};
    size_t i;

    (void)state;
    hygiene_opts_default(&on);
    /* one chain where every check fires: a self-signed server leaf for
     * another name, then SHA-1, MD5 and RSA-1024 certificates valid in 2025
     * and one valid only in 2024: on 2024-05-31 the 2025 ones are not yet
     * valid, on 2025-06-01 the 2024 one has expired; leaf_long for the
     * validity period */
    SERVER(t, &F->leaf_self, &F->leaf_sha1, &F->leaf_md5, &F->leaf_1024, &F->leaf_expired);
    t->ts_us = (T_2024_06_01 - 1) * 1000000;
    run(&on, t, &g);
    {
        struct got g2;
        t->ts_us = T_2025_06_01 * 1000000;
        run(&on, t, &g2);
        assert_true(count_check(&g2, "validity.expired") >= 1);
    }
    assert_true(count_check(&g, "validity.not_yet_valid") >= 1);
    assert_true(count_check(&g, "key.weak") >= 1);
    assert_true(count_check(&g, "sig.sha1") >= 1);
    assert_true(count_check(&g, "sig.md5") >= 1);
    assert_true(count_check(&g, "leaf.self_signed") == 1);
    assert_true(count_check(&g, "hostname.mismatch") == 1);
    SERVER(t, &F->leaf_long);
    run(&on, t, &g);
    assert_int_equal(count_check(&g, "validity.too_long"), 1);

    /* each switch silences its own check only */
    for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        size_t k;
        off = on;
        switch (i) {
        case 0:
            off.expired = false;
            break;
        case 1:
            off.not_yet_valid = false;
            break;
        case 2:
            off.long_validity = false;
            break;
        case 3:
            off.self_signed_leaf = false;
            break;
        case 4:
            off.weak_key = false;
            break;
        case 5:
        case 6:
            off.weak_sig = false;
            break;
        default:
            off.hostname = false;
            break;
        }
        for (k = 0; k < 3; k++) {
            if (k == 0) {
                SERVER(t, &F->leaf_self, &F->leaf_sha1, &F->leaf_md5, &F->leaf_1024,
                       &F->leaf_expired);
                t->ts_us = (T_2024_06_01 - 1) * 1000000;
            } else if (k == 1) {
                t->ts_us = T_2025_06_01 * 1000000;
            } else {
                SERVER(t, &F->leaf_long);
            }
            run(&off, t, &g);
            if (count_check(&g, checks[i]) != 0) {
                dump(&g);
                fail_msg("%s still reported with its switch off", checks[i]);
            }
        }
    }
    memset(&off, 0, sizeof(off));
    SERVER(t, &F->leaf_self, &F->leaf_sha1, &F->leaf_md5, &F->leaf_1024, &F->leaf_expired);
    run(&off, t, &g);
    assert_silent(&g);
    free(t);
}

static void test_unparsed_and_null(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.org");
    struct cs_cert_info bare;
    struct got g;
    struct check_out none = {NULL, NULL};

    (void)state;
    hygiene_check(NULL, NULL, &none);
    SERVER(t, &F->leaf_1024, &F->leaf_expired);
    /* without an analysis nothing is judged; a leaf OpenSSL rejects has no
     * hostname check either */
    t->server_certs[0].info = NULL;
    t->server_certs[0].der_len = 20;
    memset(&bare, 0, sizeof(bare));
    t->server_certs[1].info = &bare; /* parsed false */
    run(NULL, t, &g);
    assert_silent(&g);
    hygiene_check(NULL, t, NULL);
    free(t);
}

static void test_error_queue_kept(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "other.example.org");
    unsigned long before;
    struct got g;

    (void)state;
    ERR_clear_error();
    ERR_raise(ERR_LIB_USER, 7);
    before = ERR_peek_last_error();
    SERVER(t, &F->leaf, &F->inter);
    run(NULL, t, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(ERR_peek_error(), before);
    assert_int_equal(ERR_peek_last_error(), before);
    ERR_clear_error();
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_session_silent),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_not_yet_valid),
        cmocka_unit_test(test_expired_intermediate_and_client),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_too_long_client_optional),
        cmocka_unit_test(test_self_signed_leaf),
        cmocka_unit_test(test_weak_key),
        cmocka_unit_test(test_weak_signatures),
        cmocka_unit_test(test_hostname_matches),
        cmocka_unit_test(test_hostname_mismatch),
        cmocka_unit_test(test_host_match_rules),
        cmocka_unit_test(test_each_switch),
        cmocka_unit_test(test_unparsed_and_null),
        cmocka_unit_test(test_error_queue_kept),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
