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

/* ---- certificates built at test time (the same helper is in test_chain.c,
 * test_trust.c, test_hygiene.c and test_pins.c) ----------------------------- */

#define MAYBE_UNUSED __attribute__((unused)) /* not every file needs every helper */

struct tc {
    X509 *x;
    EVP_PKEY *key; /* borrowed */
    uint8_t *der;
    size_t len;
    struct cs_cert_info info;
};

struct tspec {
    const char *cn, *o;      /* subject; O optional */
    const struct tc *issuer; /* NULL: self-issued */
    EVP_PKEY *key;           /* subject key */
    EVP_PKEY *sign_key;      /* default: the issuer's key, or key when self-issued */
    bool ca;
    const char *nb, *na; /* "YYYYMMDDHHMMSSZ"; default 2025-01-01 .. 2025-12-31 */
    const char *dns[6];  /* subjectAltName dNSName */
    const char *ip[3];   /* subjectAltName iPAddress, as text */
    const EVP_MD *md;    /* default SHA-256 */
    bool no_keyids;      /* neither SKI nor AKI */
    const uint8_t *aki;  /* explicit AKI keyIdentifier */
    size_t aki_len;
    const char *eku; /* extendedKeyUsage, e.g. "serverAuth" */
    long serial;
};

static void tc_ext_conf(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;

    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

static void tc_name_add(X509_NAME *nm, const char *field, const char *v)
{
    assert_int_equal(
        X509_NAME_add_entry_by_txt(nm, field, MBSTRING_UTF8, (const unsigned char *)v, -1, -1, 0),
        1);
}

static void tc_build(struct tc *c, const struct tspec *s)
{
    X509 *x = X509_new();
    X509_NAME *nm = X509_NAME_new();
    ASN1_TIME *t = ASN1_TIME_new();
    EVP_PKEY *sk = s->sign_key != NULL ? s->sign_key : s->issuer != NULL ? s->issuer->key : s->key;
    unsigned char *p = NULL;
    size_t i;
    int n;

    memset(c, 0, sizeof(*c));
    assert_non_null(x);
    assert_non_null(nm);
    assert_non_null(t);
    assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), s->serial != 0 ? s->serial : 1), 1);
    /* most general first, so the RFC 4514 text reads "CN=...,O=..." */
    if (s->o != NULL)
        tc_name_add(nm, "O", s->o);
    tc_name_add(nm, "CN", s->cn);
    assert_int_equal(X509_set_subject_name(x, nm), 1);
    assert_int_equal(
        X509_set_issuer_name(x, s->issuer != NULL ? X509_get_subject_name(s->issuer->x) : nm), 1);
    assert_int_equal(ASN1_TIME_set_string_X509(t, s->nb != NULL ? s->nb : "20250101000000Z"), 1);
    assert_int_equal(X509_set1_notBefore(x, t), 1);
    assert_int_equal(ASN1_TIME_set_string_X509(t, s->na != NULL ? s->na : "20251231235959Z"), 1);
    assert_int_equal(X509_set1_notAfter(x, t), 1);
    assert_int_equal(X509_set_pubkey(x, s->key), 1);
    tc_ext_conf(x, NID_basic_constraints, s->ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    tc_ext_conf(x, NID_key_usage,
                s->ca ? "critical,keyCertSign,cRLSign"
                      : "critical,digitalSignature,keyEncipherment");
    if (s->eku != NULL)
        tc_ext_conf(x, NID_ext_key_usage, s->eku);
    if (!s->no_keyids) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        ASN1_OCTET_STRING *ski = ASN1_OCTET_STRING_new();
        AUTHORITY_KEYID *ak = AUTHORITY_KEYID_new();
        const ASN1_OCTET_STRING *iski;

        assert_non_null(ski);
        assert_non_null(ak);
        /* RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits */
        assert_int_equal(X509_pubkey_digest(x, EVP_sha1(), md, &mdlen), 1);
        assert_int_equal(ASN1_OCTET_STRING_set(ski, md, (int)mdlen), 1);
        assert_int_equal(X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0, 0), 1);
        ak->keyid = ASN1_OCTET_STRING_new();
        assert_non_null(ak->keyid);
        if (s->aki != NULL) {
            assert_int_equal(ASN1_OCTET_STRING_set(ak->keyid, s->aki, (int)s->aki_len), 1);
        } else {
            iski = s->issuer != NULL ? X509_get0_subject_key_id(s->issuer->x) : ski;
            if (iski != NULL)
                assert_int_equal(ASN1_STRING_copy(ak->keyid, iski), 1);
        }
        if (ASN1_STRING_length(ak->keyid) > 0)
            assert_int_equal(X509_add1_ext_i2d(x, NID_authority_key_identifier, ak, 0, 0), 1);
        AUTHORITY_KEYID_free(ak);
        ASN1_OCTET_STRING_free(ski);
    }
    if (s->dns[0] != NULL || s->ip[0] != NULL) {
        GENERAL_NAMES *g = sk_GENERAL_NAME_new_null();
        assert_non_null(g);
        for (i = 0; i < sizeof(s->dns) / sizeof(s->dns[0]) && s->dns[i] != NULL; i++) {
            GENERAL_NAME *gn = GENERAL_NAME_new();
            ASN1_IA5STRING *v = ASN1_IA5STRING_new();
            assert_non_null(gn);
            assert_non_null(v);
            assert_int_equal(ASN1_STRING_set(v, s->dns[i], -1), 1);
            GENERAL_NAME_set0_value(gn, GEN_DNS, v);
            assert_true(sk_GENERAL_NAME_push(g, gn) > 0);
        }
        for (i = 0; i < sizeof(s->ip) / sizeof(s->ip[0]) && s->ip[i] != NULL; i++) {
            GENERAL_NAME *gn = a2i_GENERAL_NAME(NULL, NULL, NULL, GEN_IPADD, s->ip[i], 0);
            assert_non_null(gn);
            assert_true(sk_GENERAL_NAME_push(g, gn) > 0);
        }
        assert_int_equal(X509_add1_ext_i2d(x, NID_subject_alt_name, g, 0, 0), 1);
        GENERAL_NAMES_free(g);
    }
    assert_true(X509_sign(x, sk, s->md != NULL ? s->md : EVP_sha256()) > 0);
    n = i2d_X509(x, &p);
    assert_true(n > 0);
    c->x = x;
    c->key = s->key;
    c->der = p;
    c->len = (size_t)n;
    (void)x509_analyse(c->der, c->len, &c->info);
    assert_true(c->info.parsed);
    X509_NAME_free(nm);
    ASN1_TIME_free(t);
}

MAYBE_UNUSED static void tc_free(struct tc *c)
{
    X509_free(c->x);
    OPENSSL_free(c->der);
    memset(c, 0, sizeof(*c));
}

MAYBE_UNUSED static EVP_PKEY *key_ec(const char *curve)
{
    EVP_PKEY *k = EVP_EC_gen(curve);
    assert_non_null(k);
    return k;
}

MAYBE_UNUSED static EVP_PKEY *key_rsa(unsigned bits)
{
    EVP_PKEY *k = EVP_RSA_gen(bits);
    assert_non_null(k);
    return k;
}

/* ---- sessions and the alert sink ------------------------------------------------ */

#define T_2025_06_01 1748736000LL /* date -u -d 2025-06-01 +%s */
#define T_DAY 86400LL

MAYBE_UNUSED static struct cs_tls *tls_new(int64_t ts_s, const char *sni)
{
    struct cs_tls *t = calloc(1, sizeof(*t));
    static const uint8_t srv[4] = {192, 0, 2, 10}, cli[4] = {198, 51, 100, 7};

    assert_non_null(t);
    t->ts_us = ts_s * 1000000;
    t->server.family = 4;
    memcpy(t->server.addr, srv, 4);
    t->server.port = 443;
    t->client.family = 4;
    memcpy(t->client.addr, cli, 4);
    t->client.port = 50000;
    if (sni != NULL)
        snprintf(t->sni, sizeof(t->sni), "%s", sni);
    return t;
}

static void tls_chain(struct cs_tls *t, bool client, const struct tc *const *chain, size_t n)
{
    struct cs_cert *dst = client ? t->client_certs : t->server_certs;
    size_t i;

    assert_true(n <= CS_CHAIN_MAX);
    for (i = 0; i < n; i++) {
        dst[i].der = chain[i]->der;
        dst[i].der_len = chain[i]->len;
        dst[i].info = &chain[i]->info;
    }
    if (client)
        t->client_cert_count = n;
    else
        t->server_cert_count = n;
}

#define SERVER(t, ...)                                                                             \
    do {                                                                                           \
        const struct tc *const chain_[] = {__VA_ARGS__};                                           \
        tls_chain((t), false, chain_, sizeof(chain_) / sizeof(chain_[0]));                         \
    } while (0)
#define CLIENT(t, ...)                                                                             \
    do {                                                                                           \
        const struct tc *const chain_[] = {__VA_ARGS__};                                           \
        tls_chain((t), true, chain_, sizeof(chain_) / sizeof(chain_[0]));                          \
    } while (0)

struct got_alert {
    uint32_t sid;
    char check[64], category[32], role[16], evidence[2048], source[256];
    int severity, index;
    bool has_cert;
};

struct got {
    size_t n;
    struct got_alert a[32];
};

static void sink(void *ctx, const struct cs_alert *a)
{
    struct got *g = ctx;
    struct got_alert *d;
    const char *q;

    assert_true(g->n < sizeof(g->a) / sizeof(g->a[0]));
    assert_non_null(a->check);
    assert_non_null(a->category);
    assert_non_null(a->signature);
    assert_non_null(a->evidence);
    assert_true(a->severity >= 1 && a->severity <= 3);
    assert_true(a->signature_id >= 2100000);
    assert_true(strlen(a->evidence) < sizeof(d->evidence));
    d = &g->a[g->n++];
    d->sid = a->signature_id;
    snprintf(d->check, sizeof(d->check), "%s", a->check);
    snprintf(d->category, sizeof(d->category), "%s", a->category);
    snprintf(d->role, sizeof(d->role), "%s", a->role != NULL ? a->role : "");
    snprintf(d->evidence, sizeof(d->evidence), "%s", a->evidence);
    snprintf(d->source, sizeof(d->source), "%s", a->source != NULL ? a->source : "");
    d->severity = a->severity;
    d->index = a->chain_index;
    d->has_cert = a->cert != NULL;
    /* evidence ends up in log lines: printable ASCII only */
    for (q = a->evidence; *q != '\0'; q++)
        assert_true(*q >= 0x20 && *q <= 0x7e);
}

static void dump(const struct got *g)
{
    size_t i;
    for (i = 0; i < g->n; i++)
        print_message("  alert %s [%s %d] %s #%d: %s\n", g->a[i].check, g->a[i].category,
                      g->a[i].severity, g->a[i].role, g->a[i].index, g->a[i].evidence);
}

MAYBE_UNUSED static size_t count_check(const struct got *g, const char *check)
{
    size_t i, n = 0;
    for (i = 0; i < g->n; i++)
        n += strcmp(g->a[i].check, check) == 0;
    return n;
}

MAYBE_UNUSED static const struct got_alert *find_check(const struct got *g, const char *check)
{
    size_t i;
    for (i = 0; i < g->n; i++)
        if (strcmp(g->a[i].check, check) == 0)
            return &g->a[i];
    dump(g);
    fail_msg("no alert %s among %zu", check, g->n);
    return NULL;
}

MAYBE_UNUSED static void assert_contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("'%s' does not contain '%s'", hay, needle);
}

MAYBE_UNUSED static void assert_silent(const struct got *g)
{
    if (g->n != 0) {
        dump(g);
        fail_msg("%zu unexpected alert(s)", g->n);
    }
}

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
