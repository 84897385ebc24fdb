/* Unit tests for rules/trust.c (trust store loading, trust_verify,
 * trust_check).
 *
 * Certificates are built at test time with OpenSSL, valid through 2025 by
 * default, so they have expired by the time these tests run (the test
 * checks that premise): verification must use the capture time. Expected
 * values are what we put in and OpenSSL's documented verify error codes
 * (X509_V_ERR_*, include/openssl/x509_vfy.h). */
#include <setjmp.h> /* cmocka needs it; the library does not use it */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "trust.h"
#include "x509.h"

/* certificates built at test time: the helper shared by the chain, trust,
   hygiene and pin tests */
#include "certbuild.c"

/* ---- fixture ---------------------------------------------------------------------- */

#define T_2024_06_01 1717200000LL
#define T_2027_06_01 1811808000LL /* date -u -d 2027-06-01 +%s */

#define INTER_DN "CN=Test Intermediate,O=certsensor tests"

struct fx {
    EVP_PKEY *kroot, *kinter, *kleaf, *kother, *kevil;
    struct tc root, inter, leaf, cleaf, other_root, leaf_self, root_old, inter_o, leaf_o,
        leaf_forged, leaf_client_only;
};

static struct fx *F;

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    (void)state;
    assert_non_null(f);
    f->kroot = key_ec("P-256");
    f->kinter = key_ec("P-256");
    f->kleaf = key_ec("P-256");
    f->kother = key_ec("P-256");
    f->kevil = key_ec("P-256");
    tc_build(
        &f->root,
        &(struct tspec){.cn = "Test Root", .o = "certsensor tests", .key = f->kroot, .ca = true});
    tc_build(&f->inter, &(struct tspec){.cn = "Test Intermediate",
                                        .o = "certsensor tests",
                                        .issuer = &f->root,
                                        .key = f->kinter,
                                        .ca = true,
                                        .serial = 2});
    tc_build(&f->leaf, &(struct tspec){.cn = "www.example.com",
                                       .issuer = &f->inter,
                                       .key = f->kleaf,
                                       .dns = {"www.example.com"},
                                       .eku = "serverAuth",
                                       .serial = 3});
    tc_build(&f->cleaf, &(struct tspec){.cn = "client",
                                        .issuer = &f->inter,
                                        .key = f->kleaf,
                                        .eku = "clientAuth",
                                        .serial = 4});
    tc_build(&f->other_root,
             &(struct tspec){.cn = "Other Root", .key = f->kother, .ca = true, .serial = 5});
    tc_build(&f->leaf_self,
             &(struct tspec){
                 .cn = "self.example.com", .key = f->kleaf, .eku = "serverAuth", .serial = 6});
    /* a root that had expired at the capture time, and a good and a forged
     * leaf below its 2025 intermediate */
    tc_build(&f->root_old, &(struct tspec){.cn = "Old Root",
                                           .key = f->kroot,
                                           .ca = true,
                                           .nb = "20200101000000Z",
                                           .na = "20211231235959Z",
                                           .serial = 7});
    tc_build(&f->inter_o, &(struct tspec){.cn = "Old Intermediate",
                                          .issuer = &f->root_old,
                                          .key = f->kinter,
                                          .ca = true,
                                          .serial = 8});
    tc_build(&f->leaf_o, &(struct tspec){.cn = "o.example.com",
                                         .issuer = &f->inter_o,
                                         .key = f->kleaf,
                                         .eku = "serverAuth",
                                         .serial = 9});
    tc_build(&f->leaf_forged, &(struct tspec){.cn = "o.example.com",
                                              .issuer = &f->inter_o,
                                              .key = f->kleaf,
                                              .sign_key = f->kevil,
                                              .eku = "serverAuth",
                                              .serial = 10});
    tc_build(&f->leaf_client_only, &(struct tspec){.cn = "www.example.com",
                                                   .issuer = &f->inter,
                                                   .key = f->kleaf,
                                                   .eku = "clientAuth",
                                                   .serial = 11});
    F = f;
    return 0;
}

static int teardown(void **state)
{
    struct tc *all[] = {
        &F->root,     &F->inter,   &F->leaf,   &F->cleaf,       &F->other_root,      &F->leaf_self,
        &F->root_old, &F->inter_o, &F->leaf_o, &F->leaf_forged, &F->leaf_client_only};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        tc_free(all[i]);
    EVP_PKEY_free(F->kroot);
    EVP_PKEY_free(F->kinter);
    EVP_PKEY_free(F->kleaf);
    EVP_PKEY_free(F->kother);
    EVP_PKEY_free(F->kevil);
    free(F);
    F = NULL;
    return 0;
}

/* PEM text of c (TRUSTED CERTIFICATE with aux), malloc'd, NUL-terminated */
static char *pem_of(const struct tc *c, bool aux)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL, *out;
    long n;

    assert_non_null(b);
    assert_int_equal(aux ? PEM_write_bio_X509_AUX(b, c->x) : PEM_write_bio_X509(b, c->x), 1);
    n = BIO_get_mem_data(b, &p);
    assert_true(n > 0);
    out = malloc((size_t)n + 1);
    assert_non_null(out);
    memcpy(out, p, (size_t)n);
    out[n] = '\0';
    BIO_free(b);
    return out;
}

static struct trust_store *store_with(const struct tc *root, const struct tc *inter)
{
    struct trust_store *ts = trust_new();
    char err[256], *pem;

    assert_non_null(ts);
    if (root != NULL) {
        pem = pem_of(root, false);
        assert_int_equal(trust_add_pem(ts, "roots.pem", pem, strlen(pem), err, sizeof(err)), PR_OK);
        free(pem);
    }
    if (inter != NULL) {
        pem = pem_of(inter, false);
        assert_int_equal(
            trust_add_intermediates_pem(ts, "inter.pem", pem, strlen(pem), err, sizeof(err)),
            PR_OK);
        free(pem);
    }
    return ts;
}

static void run(const struct trust_store *ts, const struct cs_tls *t, struct got *g)
{
    struct check_out o = {sink, g};
    memset(g, 0, sizeof(*g));
    trust_check(ts, t, &o);
}

/* ---- capture time ----------------------------------------------------------------------- */

static void test_valid_at_capture_time(void **state)
{
    struct trust_store *ts = store_with(&F->root, NULL);
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    struct trust_result r;
    struct got g;

    (void)state;
    /* the premise: these certificates have expired by now */
    assert_true(X509_cmp_current_time(X509_get0_notAfter(F->leaf.x)) < 0);

    SERVER(t, &F->leaf, &F->inter);
    CLIENT(t, &F->cleaf, &F->inter);
    run(ts, t, &g);
    assert_silent(&g);

    assert_int_equal(trust_verify(ts, t, false, &r), PR_OK);
    assert_int_equal(r.error, X509_V_OK);
    assert_int_equal(r.error_depth, -1);
    assert_int_equal(r.time_errors_ignored, 0); /* the wall clock would give 3 */
    assert_true(r.anchored);
    assert_true(r.leaf_issuer_sent);
    assert_int_equal(r.path_len, 3);
    assert_int_equal(r.path_linked, 3);
    assert_false(r.path_truncated);
    assert_int_equal(r.path[0].sent_index, 0);
    assert_int_equal(r.path[1].sent_index, 1);
    assert_int_equal(r.path[2].sent_index, -1);
    assert_true(r.path[2].from_roots);
    assert_false(r.path[1].from_roots);
    assert_true(r.path[2].self_signed);
    assert_memory_equal(r.path[0].sha256, F->leaf.info.sha256, 32);
    assert_memory_equal(r.path[2].sha256, F->root.info.sha256, 32);
    assert_memory_equal(r.path[1].spki_sha256, F->inter.info.spki_sha256, 32);
    assert_memory_equal(r.path[2].spki_sha256, F->root.info.spki_sha256, 32);

    assert_int_equal(trust_verify(ts, t, true, &r), PR_OK);
    assert_int_equal(r.error, X509_V_OK);
    assert_int_equal(r.time_errors_ignored, 0);

    /* the root sent too: the stored copy anchors the path */
    SERVER(t, &F->leaf, &F->inter, &F->root);
    run(ts, t, &g);
    assert_silent(&g);
    assert_int_equal(trust_verify(ts, t, false, &r), PR_OK);
    assert_true(r.anchored);
    free(t);
    trust_free(ts);
}

static void test_expiry_ignored_and_counted(void **state)
{
    struct trust_store *ts = store_with(&F->root, NULL);
    struct cs_tls *t = tls_new(T_2027_06_01, "www.example.com");
    struct trust_result r;
    struct got g;

    (void)state;
    SERVER(t, &F->leaf, &F->inter);
    run(ts, t, &g);
    assert_silent(&g); /* expiry is the validity check's business */
    assert_int_equal(trust_verify(ts, t, false, &r), PR_OK);
    assert_int_equal(r.error, X509_V_OK);
    assert_int_equal(r.time_errors_ignored, 3); /* root, intermediate, leaf */

    t->ts_us = T_2024_06_01 * 1000000; /* not yet valid */
    run(ts, t, &g);
    assert_silent(&g);
    assert_int_equal(trust_verify(ts, t, false, &r), PR_OK);
    assert_int_equal(r.time_errors_ignored, 3);
    free(t);
    trust_free(ts);
}

/* the root expired at capture time, ignored: the forged leaf's bad
 * signature is still found, not masked by the expiry error */
static void test_expiry_does_not_mask_signature(void **state)
{
    struct trust_store *ts = store_with(&F->root_old, NULL);
    struct cs_tls *t = tls_new(T_2025_06_01, "o.example.com");
    const struct got_alert *a;
    struct trust_result r;
    struct got g;

    (void)state;
    SERVER(t, &F->leaf_o, &F->inter_o);
    run(ts, t, &g);
    assert_silent(&g);
    assert_int_equal(trust_verify(ts, t, false, &r), PR_OK);
    assert_int_equal(r.time_errors_ignored, 1);

    SERVER(t, &F->leaf_forged, &F->inter_o);
    run(ts, t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "trust.invalid");
    assert_string_equal(a->category, "mitm");
    assert_int_equal(a->severity, 2);
    assert_int_equal(a->sid, TRUST_SID_INVALID);
    assert_int_equal(a->index, 0);
    assert_contains(a->evidence,
                    "server chain: certificate signature failure (error 7) at depth 0");
    assert_int_equal(trust_verify(ts, t, false, &r), PR_OK);
    assert_int_equal(r.error, X509_V_ERR_CERT_SIGNATURE_FAILURE);
    assert_int_equal(r.path_linked, 1); /* the leaf does not link to #1 */
    free(t);
    trust_free(ts);
}

/* ---- trust.untrusted_root ---------------------------------------------------------------- */

static void test_untrusted_root_in_chain(void **state)
{
    struct trust_store *ts = store_with(&F->other_root, NULL);
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    const struct got_alert *a;
    struct trust_result r;
    struct got g;

    (void)state;
    SERVER(t, &F->leaf, &F->inter, &F->root);
    run(ts, t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "trust.untrusted_root");
    assert_string_equal(a->category, "mitm");
    assert_int_equal(a->severity, 2);
    assert_int_equal(a->sid, TRUST_SID_UNTRUSTED_ROOT);
    assert_string_equal(a->role, "server");
    assert_int_equal(a->index, 2);
    assert_contains(a->evidence,
                    X509_verify_cert_error_string(X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN));
    assert_contains(a->evidence,
                    "(error 19) at depth 2, subject 'CN=Test Root,O=certsensor tests'");
    assert_int_equal(trust_verify(ts, t, false, &r), PR_OK);
    assert_int_equal(r.error, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN);
    assert_false(r.anchored);
    assert_int_equal(r.path_linked, 3);
    free(t);
    trust_free(ts);
}

static void test_untrusted_self_signed_leaf(void **state)
{
    struct trust_store *ts = store_with(&F->root, NULL);
    struct cs_tls *t = tls_new(T_2025_06_01, "self.example.com");
    const struct got_alert *a;
    struct got g;

    (void)state;
    SERVER(t, &F->leaf_self);
    run(ts, t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "trust.untrusted_root");
    assert_int_equal(a->index, 0);
    assert_contains(a->evidence, "(error 18) at depth 0");
    free(t);
    trust_free(ts);
}

/* the top sent certificate's issuer is unknown: untrusted, not a missing
 * intermediate (depth 1, and the leaf's issuer was sent) */
static void test_untrusted_unknown_issuer_above_leaf(void **state)
{
    struct trust_store *ts = store_with(&F->other_root, NULL);
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    const struct got_alert *a;
    struct got g;

    (void)state;
    SERVER(t, &F->leaf, &F->inter);
    run(ts, t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "trust.untrusted_root");
    assert_int_equal(a->index, 1);
    assert_contains(a->evidence, "(error 20) at depth 1");
    free(t);
    trust_free(ts);
}

/* ---- trust.missing_intermediate ---------------------------------------------------------------
 */

static void test_missing_intermediate(void **state)
{
    struct trust_store *ts = store_with(&F->root, NULL), *ts2;
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    const struct got_alert *a;
    struct trust_result r;
    struct got g;

    (void)state;
    SERVER(t, &F->leaf);
    run(ts, t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "trust.missing_intermediate");
    assert_string_equal(a->category, "hygiene");
    assert_int_equal(a->severity, 3);
    assert_int_equal(a->sid, TRUST_SID_MISSING_INTERMEDIATE);
    assert_int_equal(a->index, 0);
    assert_contains(a->evidence, "server #0 'CN=www.example.com': issuer '" INTER_DN
                                 "' is not among the 1 sent certificate(s)");
    /* an unrelated extra certificate does not change that */
    SERVER(t, &F->leaf, &F->other_root);
    run(ts, t, &g);
    assert_int_equal(count_check(&g, "trust.missing_intermediate"), 1);

    /* benign: the intermediate store completes the chain */
    ts2 = store_with(&F->root, &F->inter);
    assert_int_equal(trust_intermediate_count(ts2), 1);
    SERVER(t, &F->leaf);
    run(ts2, t, &g);
    assert_silent(&g);
    assert_int_equal(trust_verify(ts2, t, false, &r), PR_OK);
    assert_int_equal(r.path_len, 3);
    assert_int_equal(r.path[1].sent_index, -1);
    assert_false(r.path[1].from_roots);
    assert_false(r.leaf_issuer_sent);
    free(t);
    trust_free(ts);
    trust_free(ts2);
}

/* ---- trust.invalid and purposes ---------------------------------------------------------------
 */

static void test_purpose(void **state)
{
    struct trust_store *ts = store_with(&F->root, NULL), *other = store_with(&F->other_root, NULL);
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    const struct got_alert *a;
    struct got g;

    (void)state;
    /* a client-only certificate presented by a server */
    SERVER(t, &F->leaf_client_only, &F->inter);
    run(ts, t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "trust.invalid");
    assert_contains(a->evidence, "(error 26) at depth 0");
    /* the client chain is checked for the client purpose */
    SERVER(t, &F->leaf, &F->inter);
    CLIENT(t, &F->leaf_client_only, &F->inter);
    run(ts, t, &g);
    assert_silent(&g);
    CLIENT(t, &F->leaf, &F->inter); /* serverAuth only, used as a client */
    run(ts, t, &g);
    assert_int_equal(g.n, 1);
    assert_string_equal(find_check(&g, "trust.invalid")->role, "client");
    /* an untrusted client chain */
    CLIENT(t, &F->cleaf, &F->inter);
    t->server_cert_count = 0;
    run(other, t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "trust.untrusted_root");
    assert_string_equal(a->role, "client");
    assert_contains(a->evidence, "client chain: ");
    free(t);
    trust_free(ts);
    trust_free(other);
}

/* ---- no store, no chain
 * -------------------------------------------------------------------------- */

static void test_nothing_to_do(void **state)
{
    struct trust_store *empty = trust_new();
    struct cs_tls *t = tls_new(T_2025_06_01, "self.example.com");
    struct trust_result r;
    struct got g;

    (void)state;
    SERVER(t, &F->leaf_self);
    run(NULL, t, &g);
    assert_silent(&g);
    run(empty, t, &g); /* no roots loaded: no opinion */
    assert_silent(&g);
    /* trust_verify still works without a store */
    SERVER(t, &F->leaf, &F->inter, &F->root);
    assert_int_equal(trust_verify(NULL, t, false, &r), PR_OK);
    assert_int_equal(r.error, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN);
    assert_int_equal(r.path_len, 3);
    assert_int_equal(r.path_linked, 3);
    assert_true(r.path[2].self_signed);
    assert_int_equal(r.path[2].sent_index, 2);
    /* a forged leaf: the path is cut after it */
    SERVER(t, &F->leaf_forged, &F->inter_o, &F->root_old);
    assert_int_equal(trust_verify(NULL, t, false, &r), PR_OK);
    assert_int_equal(r.path_len, 3);
    assert_int_equal(r.path_linked, 1);
    /* empty chain, unparsable leaf */
    t->server_cert_count = 0;
    assert_int_equal(trust_verify(empty, t, false, &r), PR_UNSUPPORTED);
    assert_int_equal(r.path_len, 0);
    SERVER(t, &F->leaf, &F->inter);
    t->server_certs[0].der_len = 30;
    assert_int_equal(trust_verify(empty, t, false, &r), PR_UNSUPPORTED);
    run(empty, t, &g);
    assert_silent(&g);
    trust_check(empty, NULL, NULL);
    free(t);
    trust_free(empty);
    trust_free(NULL);
}

/* ---- loading
 * --------------------------------------------------------------------------------------- */

static void test_load_bundle(void **state)
{
    struct trust_store *ts = trust_new();
    char *a = pem_of(&F->root, false), *b = pem_of(&F->other_root, true), err[256];
    char *bundle = malloc(strlen(a) + strlen(b) + 512);
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    struct got g;

    (void)state;
    assert_non_null(bundle);
    /* comments, a key block (skipped), CRLF, a TRUSTED CERTIFICATE */
    sprintf(bundle,
            "# a bundle\n%s\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\r\n%s", a,
            b);
    assert_int_equal(trust_add_pem(ts, "bundle.pem", bundle, strlen(bundle), err, sizeof(err)),
                     PR_OK);
    assert_string_equal(err, "");
    assert_int_equal(trust_root_count(ts), 2);
    /* adding a certificate again is fine, and counted once */
    assert_int_equal(trust_add_pem(ts, "again.pem", a, strlen(a), NULL, 0), PR_OK);
    assert_int_equal(trust_root_count(ts), 2);
    SERVER(t, &F->leaf, &F->inter);
    run(ts, t, &g);
    assert_silent(&g);
    free(a);
    free(b);
    free(bundle);
    free(t);
    trust_free(ts);
}

static void test_load_errors(void **state)
{
    struct trust_store *ts = trust_new();
    char *good = pem_of(&F->root, false), *text, err[256];
    size_t gl = strlen(good);
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    struct got g;

    (void)state;
    text = malloc(2 * gl + 64);
    assert_non_null(text);

    assert_int_equal(trust_add_pem(ts, "empty.pem", "", 0, err, sizeof(err)), PR_MALFORMED);
    assert_string_equal(err, "empty.pem: no PEM certificate found (expected -----BEGIN "
                             "CERTIFICATE-----)");
    assert_int_equal(trust_add_pem(ts, "x.pem", "hello\n", 6, err, sizeof(err)), PR_MALFORMED);

    /* BEGIN without END, on line 2 */
    snprintf(text, 2 * gl + 64, "\n-----BEGIN CERTIFICATE-----\nMIIB\n");
    assert_int_equal(trust_add_pem(ts, "cut.pem", text, strlen(text), err, sizeof(err)),
                     PR_MALFORMED);
    assert_string_equal(err, "cut.pem:2: BEGIN line without an END line");

    /* a good certificate, then a broken one on line N: nothing is added */
    memcpy(text, good, gl);
    memcpy(text + gl, good, gl + 1);
    text[gl + 40] = '!'; /* inside the base64 of the second block */
    assert_int_equal(trust_add_pem(ts, "two.pem", text, strlen(text), err, sizeof(err)),
                     PR_MALFORMED);
    {
        size_t lines = 0, i;
        char want[64];
        for (i = 0; i < gl; i++)
            lines += good[i] == '\n';
        snprintf(want, sizeof(want), "two.pem:%zu: certificate does not parse (", lines + 1);
        assert_contains(err, want);
    }
    assert_int_equal(trust_root_count(ts), 0);
    SERVER(t, &F->leaf, &F->inter);
    run(ts, t, &g); /* still no roots: no opinion */
    assert_silent(&g);

    assert_int_equal(trust_add_pem(NULL, "n.pem", good, gl, err, sizeof(err)), PR_MALFORMED);
    assert_int_equal(trust_add_pem(ts, "n.pem", NULL, 5, err, sizeof(err)), PR_MALFORMED);
    assert_int_equal(trust_add_intermediates_pem(ts, "i.pem", "junk", 4, NULL, 0), PR_MALFORMED);
    assert_int_equal(trust_intermediate_count(ts), 0);
    free(good);
    free(text);
    free(t);
    trust_free(ts);
}

static void test_error_queue_kept(void **state)
{
    struct trust_store *ts = store_with(&F->other_root, NULL);
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    unsigned long before;
    char err[128];
    struct got g;

    (void)state;
    ERR_clear_error();
    ERR_raise(ERR_LIB_USER, 9);
    before = ERR_peek_last_error();
    SERVER(t, &F->leaf_forged, &F->inter);
    run(ts, t, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(trust_add_pem(ts, "bad.pem",
                                   "-----BEGIN CERTIFICATE-----\n!!\n"
                                   "-----END CERTIFICATE-----\n",
                                   56, err, sizeof(err)),
                     PR_MALFORMED);
    assert_int_equal(ERR_peek_error(), before);
    assert_int_equal(ERR_peek_last_error(), before);
    ERR_clear_error();
    free(t);
    trust_free(ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_at_capture_time),
        cmocka_unit_test(test_expiry_ignored_and_counted),
        cmocka_unit_test(test_expiry_does_not_mask_signature),
        cmocka_unit_test(test_untrusted_root_in_chain),
        cmocka_unit_test(test_untrusted_self_signed_leaf),
        cmocka_unit_test(test_untrusted_unknown_issuer_above_leaf),
        cmocka_unit_test(test_missing_intermediate),
        cmocka_unit_test(test_purpose),
        cmocka_unit_test(test_nothing_to_do),
        cmocka_unit_test(test_load_bundle),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_error_queue_kept),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
