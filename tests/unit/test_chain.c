/* Unit tests for rules/chain.c (chain_check).
 *
 * Every certificate is built at test time with OpenSSL: a root, an
 * intermediate and a leaf that link; a second "intermediate" with the same
 * subject name but another key (signature failure, with and without a
 * subjectKeyIdentifier); a leaf whose authorityKeyIdentifier names another
 * key; an unrelated CA. Expected values are the positions and names we put
 * in. Each check has a case where it fires and a benign case where it stays
 * silent. */
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

#include "chain.h"
#include "x509.h"

/* certificates built at test time: the helper shared by the chain, trust,
   hygiene and pin tests */
#include "certbuild.c"

/* ---- fixture ---------------------------------------------------------------------- */

struct fx {
    EVP_PKEY *kroot, *kinter, *kleaf, *kevil, *kother;
    struct tc root, inter, leaf, fake_inter, fake_inter_ski, other, leaf_badaki, cleaf;
};

static struct fx *F;

#define ORG "certsensor tests"
#define INTER_DN "CN=Test Intermediate,O=certsensor tests"
#define ROOT_DN "CN=Test Root,O=certsensor tests"

static int setup(void **state)
{
    static const uint8_t bad_aki[20] = {0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
                                        0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
    struct fx *f = calloc(1, sizeof(*f));

    (void)state;
    assert_non_null(f);
    f->kroot = key_ec("P-256");
    f->kinter = key_ec("P-256");
    f->kleaf = key_ec("P-256");
    f->kevil = key_ec("P-256");
    f->kother = key_ec("P-256");
    tc_build(&f->root, &(struct tspec){.cn = "Test Root", .o = ORG, .key = f->kroot, .ca = true});
    tc_build(&f->inter, &(struct tspec){.cn = "Test Intermediate",
                                        .o = ORG,
                                        .issuer = &f->root,
                                        .key = f->kinter,
                                        .ca = true,
                                        .serial = 2});
    tc_build(&f->leaf, &(struct tspec){.cn = "www.example.com",
                                       .issuer = &f->inter,
                                       .key = f->kleaf,
                                       .dns = {"www.example.com"},
                                       .serial = 3});
    /* same subject as the intermediate, another key, no key identifiers */
    tc_build(&f->fake_inter, &(struct tspec){.cn = "Test Intermediate",
                                             .o = ORG,
                                             .issuer = &f->root,
                                             .key = f->kevil,
                                             .sign_key = f->kevil,
                                             .ca = true,
                                             .no_keyids = true,
                                             .serial = 4});
    /* same subject again, self-issued, with a subjectKeyIdentifier of its own key */
    tc_build(&f->fake_inter_ski,
             &(struct tspec){
                 .cn = "Test Intermediate", .o = ORG, .key = f->kevil, .ca = true, .serial = 5});
    tc_build(&f->other,
             &(struct tspec){.cn = "Other CA", .key = f->kother, .ca = true, .serial = 6});
    /* signed by the intermediate, but its AKI names another key */
    tc_build(&f->leaf_badaki, &(struct tspec){.cn = "bad.example.com",
                                              .issuer = &f->inter,
                                              .key = f->kleaf,
                                              .aki = bad_aki,
                                              .aki_len = sizeof(bad_aki),
                                              .serial = 7});
    tc_build(&f->cleaf, &(struct tspec){.cn = "client.example.com",
                                        .issuer = &f->inter,
                                        .key = f->kleaf,
                                        .eku = "clientAuth",
                                        .serial = 8});
    F = f;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tc_free(&F->root);
    tc_free(&F->inter);
    tc_free(&F->leaf);
    tc_free(&F->fake_inter);
    tc_free(&F->fake_inter_ski);
    tc_free(&F->other);
    tc_free(&F->leaf_badaki);
    tc_free(&F->cleaf);
    EVP_PKEY_free(F->kroot);
    EVP_PKEY_free(F->kinter);
    EVP_PKEY_free(F->kleaf);
    EVP_PKEY_free(F->kevil);
    EVP_PKEY_free(F->kother);
    free(F);
    F = NULL;
    return 0;
}

static void run(const struct cs_tls *t, struct got *g)
{
    struct check_out o = {sink, g};
    memset(g, 0, sizeof(*g));
    chain_check(t, &o);
}

static void run_opts(const struct chain_opts *opts, const struct cs_tls *t, struct got *g)
{
    struct check_out o = {sink, g};
    memset(g, 0, sizeof(*g));
    chain_check_opts(opts, t, &o);
}

/* ---- benign ------------------------------------------------------------------------- */

static void test_good_chains_silent(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    struct got g;

    (void)state;
    SERVER(t, &F->leaf, &F->inter, &F->root);
    CLIENT(t, &F->cleaf, &F->inter, &F->root);
    run(t, &g);
    assert_silent(&g);
    SERVER(t, &F->leaf, &F->inter);
    CLIENT(t, &F->cleaf, &F->inter);
    run(t, &g);
    assert_silent(&g);
    SERVER(t, &F->leaf);
    CLIENT(t, &F->cleaf);
    run(t, &g);
    assert_silent(&g);
    free(t);
}

static void test_nothing_to_check(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, NULL);
    struct got g;
    struct check_out none = {NULL, NULL};

    (void)state;
    run(t, &g); /* no certificates at all */
    assert_silent(&g);
    chain_check(NULL, &none);
    SERVER(t, &F->leaf, &F->other);
    chain_check(t, NULL); /* no sink: nothing happens */
    chain_check(t, &none);
    free(t);
}

/* ---- chain.signature ----------------------------------------------------------------- */

static void test_signature_fires(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    const struct got_alert *a;
    struct got g;

    (void)state;
    /* the name links (same subject), the key does not */
    SERVER(t, &F->leaf, &F->fake_inter);
    run(t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "chain.signature");
    assert_string_equal(a->category, "mitm");
    assert_int_equal(a->severity, 1);
    assert_int_equal(a->sid, CHAIN_SID_SIGNATURE);
    assert_string_equal(a->role, "server");
    assert_int_equal(a->index, 0);
    assert_true(a->has_cert);
    assert_contains(a->evidence,
                    "server #0 signature does not verify with the key of #1 '" INTER_DN "'");
    free(t);
}

static void test_signature_and_keyid(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    struct got g;

    (void)state;
    SERVER(t, &F->leaf, &F->fake_inter_ski);
    run(t, &g);
    assert_int_equal(g.n, 2);
    assert_int_equal(count_check(&g, "chain.signature"), 1);
    assert_int_equal(count_check(&g, "chain.keyid"), 1);
    free(t);
}

/* ---- chain.keyid ---------------------------------------------------------------------- */

static void test_keyid_fires(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "bad.example.com");
    const struct got_alert *a;
    struct got g;

    (void)state;
    SERVER(t, &F->leaf_badaki, &F->inter, &F->root);
    run(t, &g);
    assert_int_equal(g.n, 1); /* the signature itself verifies */
    a = find_check(&g, "chain.keyid");
    assert_string_equal(a->category, "mitm");
    assert_int_equal(a->severity, 2);
    assert_int_equal(a->sid, CHAIN_SID_KEYID);
    assert_int_equal(a->index, 0);
    assert_contains(a->evidence, "server #0 authorityKeyIdentifier abababababababababab");
    assert_contains(a->evidence, "!= #1 subjectKeyIdentifier ");
    free(t);
}

/* ---- chain.name ---------------------------------------------------------------------- */

static void test_name_fires(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    const struct got_alert *a;
    struct got g;

    (void)state;
    SERVER(t, &F->leaf, &F->other);
    run(t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "chain.name");
    assert_string_equal(a->category, "mitm");
    assert_int_equal(a->severity, 2);
    assert_int_equal(a->sid, CHAIN_SID_NAME);
    assert_int_equal(a->index, 0);
    assert_contains(a->evidence, "server #0 issuer '" INTER_DN "' != #1 subject 'CN=Other CA'");
    free(t);
}

static void test_client_chain(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    const struct got_alert *a;
    struct got g;

    (void)state;
    SERVER(t, &F->leaf, &F->inter, &F->root);
    CLIENT(t, &F->cleaf, &F->other);
    run(t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "chain.name");
    assert_string_equal(a->role, "client");
    assert_contains(a->evidence, "client #0 issuer '" INTER_DN "'");
    free(t);
}

/* ---- chain.order (hygiene, not an attack) ------------------------------------------------- */

static void test_order_fires(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    const struct got_alert *a;
    struct got g;

    (void)state;
    SERVER(t, &F->leaf, &F->root, &F->inter);
    run(t, &g);
    assert_int_equal(g.n, 1); /* one summary alert, nothing from the mitm checks */
    a = find_check(&g, "chain.order");
    assert_string_equal(a->category, "hygiene");
    assert_int_equal(a->severity, 3);
    assert_int_equal(a->sid, CHAIN_SID_ORDER);
    assert_int_equal(a->index, 0);
    assert_contains(a->evidence,
                    "server #0 issuer '" INTER_DN "' is #2, not #1 '" ROOT_DN "' (out of order)");
    assert_contains(a->evidence, "(+1 more ordering findings)");
    free(t);
}

/* the issuer's name is next but with another key; the real issuer comes later */
static void test_order_same_name_other_key(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    const struct got_alert *a;
    struct got g;

    (void)state;
    SERVER(t, &F->leaf, &F->fake_inter_ski, &F->inter, &F->root);
    run(t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "chain.order");
    assert_contains(a->evidence, "is #2, not #1");
    free(t);
}

static void test_order_extra_after_root(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    const struct got_alert *a;
    struct got g;

    (void)state;
    SERVER(t, &F->leaf, &F->inter, &F->root, &F->other);
    run(t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "chain.order");
    assert_string_equal(a->category, "hygiene");
    assert_int_equal(a->index, 3);
    assert_contains(a->evidence, "server #2 '" ROOT_DN "' is self-issued, #3 'CN=Other CA'");
    free(t);
}

/* ---- chain.duplicate ---------------------------------------------------------------------- */

static void test_duplicate_fires(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    const struct got_alert *a;
    struct got g;

    (void)state;
    SERVER(t, &F->leaf, &F->inter, &F->inter, &F->root);
    run(t, &g);
    assert_int_equal(g.n, 1); /* the repeat does not break the pairs around it */
    a = find_check(&g, "chain.duplicate");
    assert_string_equal(a->category, "hygiene");
    assert_int_equal(a->severity, 3);
    assert_int_equal(a->sid, CHAIN_SID_DUPLICATE);
    assert_int_equal(a->index, 2);
    assert_contains(a->evidence, "server #2 is a byte-identical repeat of #1 '" INTER_DN "'");
    free(t);
}

/* ---- certificates OpenSSL cannot parse ---------------------------------------------------- */

static void test_unparsed_skipped(void **state)
{
    static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    struct got g;

    (void)state;
    SERVER(t, &F->leaf, &F->other, &F->root);
    t->server_certs[1].der = junk; /* #1 no longer parses: no pair can be judged */
    t->server_certs[1].der_len = sizeof(junk);
    t->server_certs[1].info = NULL;
    run(t, &g);
    assert_silent(&g);
    /* a truncated leaf */
    SERVER(t, &F->leaf, &F->other);
    t->server_certs[0].der_len -= 10;
    t->server_certs[0].info = NULL;
    run(t, &g);
    assert_silent(&g);
    /* nothing at all */
    SERVER(t, &F->leaf, &F->other);
    t->server_certs[0].der = NULL;
    t->server_certs[0].der_len = 0;
    run(t, &g);
    assert_silent(&g);
    free(t);
}

/* ---- switches ------------------------------------------------------------------------------ */

static void test_opts_switch_each_check(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    struct chain_opts on, off;
    struct got g;

    (void)state;
    chain_opts_default(&on);
    assert_true(on.order && on.duplicate && on.name && on.signature && on.keyid);

    SERVER(t, &F->leaf, &F->fake_inter);
    off = on;
    off.signature = false;
    run_opts(&off, t, &g);
    assert_silent(&g);
    run_opts(&on, t, &g);
    assert_int_equal(count_check(&g, "chain.signature"), 1);

    SERVER(t, &F->leaf, &F->other);
    off = on;
    off.name = false;
    run_opts(&off, t, &g);
    assert_silent(&g);

    SERVER(t, &F->leaf_badaki, &F->inter);
    off = on;
    off.keyid = false;
    run_opts(&off, t, &g);
    assert_silent(&g);

    SERVER(t, &F->leaf, &F->root, &F->inter);
    off = on;
    off.order = false;
    run_opts(&off, t, &g);
    assert_silent(&g);

    SERVER(t, &F->leaf, &F->inter, &F->inter);
    off = on;
    off.duplicate = false;
    run_opts(&off, t, &g);
    assert_silent(&g);
    run_opts(NULL, t, &g);
    assert_int_equal(count_check(&g, "chain.duplicate"), 1);
    free(t);
}

static void test_error_queue_kept(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    unsigned long before;
    struct got g;

    (void)state;
    ERR_clear_error();
    ERR_raise(ERR_LIB_USER, 42);
    before = ERR_peek_last_error();
    SERVER(t, &F->leaf, &F->fake_inter_ski, &F->other);
    run(t, &g);
    assert_true(g.n > 0);
    assert_int_equal(ERR_peek_last_error(), before);
    assert_int_equal(ERR_peek_error(), before);
    ERR_clear_error();
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_chains_silent),
        cmocka_unit_test(test_nothing_to_check),
        cmocka_unit_test(test_signature_fires),
        cmocka_unit_test(test_signature_and_keyid),
        cmocka_unit_test(test_keyid_fires),
        cmocka_unit_test(test_name_fires),
        cmocka_unit_test(test_client_chain),
        cmocka_unit_test(test_order_fires),
        cmocka_unit_test(test_order_same_name_other_key),
        cmocka_unit_test(test_order_extra_after_root),
        cmocka_unit_test(test_duplicate_fires),
        cmocka_unit_test(test_unparsed_skipped),
        cmocka_unit_test(test_opts_switch_each_check),
        cmocka_unit_test(test_error_queue_kept),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
