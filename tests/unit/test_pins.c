/* Unit tests for rules/pins.c (pin files and pins_check) and
 * rules/intercept.c (known TLS-inspection issuers).
 *
 * Certificates are built at test time with OpenSSL; pin files are written
 * at test time with the thumbprints x509_analyse computed for them (the
 * raw-DER thumbprints are checked against OpenSSL's X509_digest in the
 * trust tests). Each check has a case where it fires and a benign case
 * where it stays silent. */
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
#include <openssl/x509v3.h>

#include "intercept.h"
#include "pins.h"
#include "trust.h"
#include "x509.h"

/* certificates built at test time: the helper shared by the chain, trust,
   hygiene and pin tests */
#include "certbuild.c"

/* ---- fixture ---------------------------------------------------------------------- */

#define INTER_DN "CN=Test Intermediate,O=certsensor tests"

struct fx {
    EVP_PKEY *kroot, *kinter, *kleaf, *kevil, *kevil_leaf, *kforti;
    struct tc root, inter, leaf, leaf_direct, evil_ca, evil_leaf, forged_leaf, cleaf, cleaf2,
        forti_ca, forti_leaf, vendor_leaf;
    struct trust_store *store; /* root */
};

static struct fx *F;

static void hexs(const uint8_t h[32], char out[65])
{
    static const char d[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < 32; i++) {
        out[2 * i] = d[h[i] >> 4];
        out[2 * i + 1] = d[h[i] & 15];
    }
    out[64] = '\0';
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    BIO *b;
    char *p = NULL, err[256];
    long n;

    (void)state;
    assert_non_null(f);
    f->kroot = key_ec("P-256");
    f->kinter = key_ec("P-256");
    f->kleaf = key_ec("P-256");
    f->kevil = key_ec("P-256");
    f->kevil_leaf = key_ec("P-256");
    f->kforti = key_ec("P-256");
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
                                       .dns = {"www.example.com", "mail.example.com"},
                                       .eku = "serverAuth",
                                       .serial = 3});
    tc_build(&f->leaf_direct, &(struct tspec){.cn = "www.example.com",
                                              .issuer = &f->root,
                                              .key = f->kleaf,
                                              .eku = "serverAuth",
                                              .serial = 4});
    tc_build(&f->evil_ca,
             &(struct tspec){.cn = "Evil CA", .key = f->kevil, .ca = true, .serial = 5});
    tc_build(&f->evil_leaf, &(struct tspec){.cn = "www.example.com",
                                            .issuer = &f->evil_ca,
                                            .key = f->kevil_leaf,
                                            .dns = {"www.example.com"},
                                            .serial = 6});
    /* names the genuine intermediate as its issuer, signed by another key */
    tc_build(&f->forged_leaf, &(struct tspec){.cn = "www.example.com",
                                              .issuer = &f->inter,
                                              .key = f->kevil_leaf,
                                              .sign_key = f->kevil,
                                              .dns = {"www.example.com"},
                                              .serial = 12});
    tc_build(&f->cleaf, &(struct tspec){.cn = "mimecast-sync",
                                        .issuer = &f->inter,
                                        .key = f->kleaf,
                                        .eku = "clientAuth",
                                        .serial = 7});
    tc_build(&f->cleaf2, &(struct tspec){.cn = "mimecast-sync",
                                         .issuer = &f->inter,
                                         .key = f->kevil,
                                         .eku = "clientAuth",
                                         .serial = 8});
    tc_build(&f->forti_ca,
             &(struct tspec){
                 .cn = "FortiGate CA", .o = "Fortinet", .key = f->kforti, .ca = true, .serial = 9});
    tc_build(&f->forti_leaf,
             &(struct tspec){
                 .cn = "www.example.com", .issuer = &f->forti_ca, .key = f->kleaf, .serial = 10});
    /* the vendor's own web site: its subject names the vendor */
    tc_build(&f->vendor_leaf, &(struct tspec){.cn = "www.fortinet.com",
                                              .o = "Fortinet, Inc.",
                                              .issuer = &f->inter,
                                              .key = f->kleaf,
                                              .serial = 11});
    f->store = trust_new();
    assert_non_null(f->store);
    b = BIO_new(BIO_s_mem());
    assert_non_null(b);
    assert_int_equal(PEM_write_bio_X509(b, f->root.x), 1);
    n = BIO_get_mem_data(b, &p);
    assert_int_equal(trust_add_pem(f->store, "root.pem", p, (size_t)n, err, sizeof(err)), PR_OK);
    BIO_free(b);
    F = f;
    return 0;
}

static int teardown(void **state)
{
    struct tc *all[] = {&F->root,    &F->inter,     &F->leaf,        &F->leaf_direct,
                        &F->evil_ca, &F->evil_leaf, &F->forged_leaf, &F->cleaf,
                        &F->cleaf2,  &F->forti_ca,  &F->forti_leaf,  &F->vendor_leaf};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        tc_free(all[i]);
    EVP_PKEY_free(F->kroot);
    EVP_PKEY_free(F->kinter);
    EVP_PKEY_free(F->kleaf);
    EVP_PKEY_free(F->kevil);
    EVP_PKEY_free(F->kevil_leaf);
    EVP_PKEY_free(F->kforti);
    trust_free(F->store);
    free(F);
    F = NULL;
    return 0;
}

/* A pin set from a printf-style text; loading must succeed. */
static struct pinset *pins_from(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static struct pinset *pins_from(const char *fmt, ...)
{
    struct pinset *ps = pins_new();
    char text[4096], err[256];
    va_list ap;
    int n;

    assert_non_null(ps);
    va_start(ap, fmt);
    n = vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof(text));
    if (pins_load(ps, "pins.txt", text, (size_t)n, err, sizeof(err)) != PR_OK)
        fail_msg("pins_load: %s", err);
    return ps;
}

static void run(const struct pinset *ps, const struct trust_store *ts, const struct cs_tls *t,
                struct got *g)
{
    struct check_out o = {sink, g};
    memset(g, 0, sizeof(*g));
    pins_check_trust(ps, ts, t, &o);
}

/* ---- the pin file ------------------------------------------------------------------------ */

static void test_parse_ok(void **state)
{
    struct pinset *ps = pins_new();
    char h[65], text[2048], err[256];
    int n;

    (void)state;
    hexs(F->inter.info.spki_sha256, h);
    n = snprintf(text, sizeof(text),
                 "# pins for the example estate\r\n"
                 "\n"
                 "   *.example.com:443 pin-spki-sha256 %s   # trailing comment\r\n"
                 "*.example.com:443 role=server pin-spki-sha256 %s\n" /* same pin, same value */
                 "mail.example.com issuer \"CN=Example \\\"Issuing\\\" CA\\, Inc.,O=Example\" "
                 "\"CN=Other\"\n"
                 "outlook.office.com pin-root-sha256 "
                 "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:"
                 "01:23:45:67:89\n"
                 "outlook.office.com rotation pin-root-sha256 %s\n"
                 "ews.example.com role=client pin-leaf-sha256 %s\n"
                 "192.0.2.10:443 pin-leaf-sha256 %s\n"
                 "[2001:db8::1]:443 pin-intermediate-sha256 %s\n"
                 "2001:db8::2 pin-leaf-sha256 %s\n"
                 "WWW.Example.COM. pin-leaf-sha256 %s",
                 h, h, h, h, h, h, h, h);
    assert_true(n > 0 && (size_t)n < sizeof(text));
    assert_int_equal(pins_load(ps, "estate.pins", text, (size_t)n, err, sizeof(err)), PR_OK);
    assert_string_equal(err, "");
    /* spki, issuer, root (+rotation), client leaf, IPv4, IPv6 x2, www */
    assert_int_equal(pins_count(ps), 8);
    /* a second file adds to the same pins and to new ones */
    assert_int_equal(pins_load(ps, "more.pins",
                               "*.example.com:443 pin-spki-sha256 "
                               "0000000000000000000000000000000000000000000000000000000000000000\n",
                               98, err, sizeof(err)),
                     PR_OK);
    assert_int_equal(pins_count(ps), 8);
    assert_int_equal(pins_load(ps, "empty.pins", "", 0, err, sizeof(err)), PR_OK);
    pins_free(ps);
    pins_free(NULL);
}

static void test_parse_errors(void **state)
{
    static const struct {
        const char *text, *err;
        enum pr_status st;
    } v[] = {
        {"a.example.com pin-leaf-sha256 0123\n",
         "p:1: invalid sha256 '0123' (4 hex digits, "
         "expected 64, optionally colon-separated)",
         PR_MALFORMED},
        {"# c\na.example.com pin-leaf-sha256 "
         "000000000000000000000000000000000000000000000000000000000000000\n",
         "p:2: invalid sha256 '000000000000000000000000000000000000000000000000000000000000000' "
         "(63 hex digits, expected 64, optionally colon-separated)",
         PR_MALFORMED},
        {"a.example.com pin-leaf-sha256 "
         "000000000000000000000000000000000000000000000000000000000000000g\n",
         "p:1: invalid sha256", PR_MALFORMED},
        {"a.example.com pin-leaf-sha512 00\n",
         "p:1: unknown action 'pin-leaf-sha512' (expected [rotation] pin-spki-sha256, "
         "pin-leaf-sha256, pin-intermediate-sha256, pin-root-sha256 or issuer)",
         PR_MALFORMED},
        {"a.example.com\n", "p:1: missing action", PR_MALFORMED},
        {"a.example.com pin-leaf-sha256\n", "p:1: pin-leaf-sha256 needs at least one value",
         PR_MALFORMED},
        {"a.example.com rotation\n", "p:1: missing action", PR_MALFORMED},
        {"a.example.com role=peer pin-leaf-sha256 00\n",
         "p:1: invalid 'role=peer' (expected role=server or role=client)", PR_MALFORMED},
        {"a.example.com:0 issuer x\n", "p:1: 'a.example.com:0': invalid port (expected 1-65535)",
         PR_MALFORMED},
        {"a.example.com:65536 issuer x\n", "p:1: 'a.example.com:65536': invalid port",
         PR_MALFORMED},
        {"a.example.com:https issuer x\n", "p:1: 'a.example.com:https': invalid port",
         PR_MALFORMED},
        {"*.com issuer x\n", "p:1: '*.com': invalid host pattern", PR_MALFORMED},
        {"w*.example.com issuer x\n", "p:1: 'w*.example.com': invalid host pattern", PR_MALFORMED},
        {"[2001:db8::1 issuer x\n", "p:1: '[2001:db8::1': invalid bracketed address", PR_MALFORMED},
        {"[zz::1]:443 issuer x\n", "p:1: '[zz::1]:443': invalid IPv6 address in brackets",
         PR_MALFORMED},
        {"a.example.com issuer \"CN=x\n", "p:1: unterminated quoted string", PR_MALFORMED},
        {"a.example.com issuer \"CN=x\"y\n", "p:1: text right after a closing quote", PR_MALFORMED},
        {"a.example.com issuer \"\"\n", "p:1: empty issuer DN", PR_MALFORMED},
        {"\"a.example.com\" issuer x\n", "p:1: 'a.example.com': host pattern must not be quoted",
         PR_MALFORMED},
    };
    struct pinset *ps = pins_new();
    char err[512];
    size_t i;

    (void)state;
    /* a good pin first: errors must leave it alone */
    assert_int_equal(pins_load(ps, "p", "x.example.com issuer CN=x\n", 25, err, sizeof(err)),
                     PR_OK);
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        enum pr_status st = pins_load(ps, "p", v[i].text, strlen(v[i].text), err, sizeof(err));
        if (st != v[i].st || strncmp(err, v[i].err, strlen(v[i].err)) != 0)
            fail_msg("case %zu: status %d, '%s' (want '%s')", i, st, err, v[i].err);
        assert_int_equal(pins_count(ps), 1);
    }
    /* all or nothing: a good line before a bad one adds nothing */
    assert_int_equal(
        pins_load(ps, "p", "y.example.com issuer CN=y\nbad line here\n", 39, err, sizeof(err)),
        PR_MALFORMED);
    assert_int_equal(pins_count(ps), 1);
    /* a NUL byte, an overlong line */
    assert_int_equal(pins_load(ps, "p", "a.example.com issuer x\0y\n", 25, err, sizeof(err)),
                     PR_MALFORMED);
    assert_string_equal(err, "p:1: NUL byte in line");
    {
        char *big = malloc(PINS_LINE_MAX + 10);
        assert_non_null(big);
        memset(big, 'a', PINS_LINE_MAX + 10);
        assert_int_equal(pins_load(ps, "p", big, PINS_LINE_MAX + 10, err, sizeof(err)), PR_LIMIT);
        assert_contains(err, "p:1: line longer than 4096 bytes");
        free(big);
    }
    assert_int_equal(pins_load(NULL, "p", "x", 1, err, sizeof(err)), PR_MALFORMED);
    assert_int_equal(pins_count(ps), 1);
    pins_free(ps);
}

static void test_tokenizer_and_hex(void **state)
{
    struct pins_tok toks[8];
    char buf[128];
    size_t count = 0, digits = 0;
    const char *why = NULL;
    uint8_t h[32];
    const char *line = "  a \"b c\" \"d\\\"e\\\\f\\,g\"\t# rest";

    (void)state;
    assert_true(pins_tokenize(line, strlen(line), buf, sizeof(buf), toks, 8, &count, &why));
    assert_int_equal(count, 3);
    assert_string_equal(toks[0].s, "a");
    assert_false(toks[0].quoted);
    assert_string_equal(toks[1].s, "b c");
    assert_true(toks[1].quoted);
    assert_string_equal(toks[2].s, "d\"e\\f\\,g");
    assert_int_equal(toks[2].n, 8);
    assert_false(pins_tokenize("a b c", 5, buf, sizeof(buf), toks, 2, &count, &why));
    assert_string_equal(why, "too many values on one line");
    assert_false(pins_tokenize("abc", 3, buf, 3, toks, 2, &count, &why));

    assert_true(pins_parse_sha256(
        "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF", 64, h, &digits));
    assert_int_equal(h[0], 0x00);
    assert_int_equal(h[1], 0x11);
    assert_int_equal(h[31], 0xff);
    assert_true(pins_parse_sha256("00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:"
                                  "55:66:77:88:99:aa:bb:cc:dd:ee:ff",
                                  95, h, &digits));
    assert_int_equal(h[10], 0xaa);
    assert_false(pins_parse_sha256("0011:22", 7, h, &digits));
    assert_false(pins_parse_sha256(
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00", 66, h, &digits));
    assert_int_equal(digits, 66);
}

/* ---- pin-spki-sha256 ----------------------------------------------------------------------- */

static void test_spki_pin(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    const struct got_alert *a;
    char h[65], seen0[65], seen1[65];
    struct pinset *ps;
    struct got g;

    (void)state;
    hexs(F->inter.info.spki_sha256, h);
    ps = pins_from("*.example.com:443 pin-spki-sha256 %s\n", h);
    SERVER(t, &F->leaf, &F->inter, &F->root);
    run(ps, NULL, t, &g);
    assert_silent(&g);
    SERVER(t, &F->leaf, &F->inter);
    run(ps, NULL, t, &g);
    assert_silent(&g);

    /* an interception chain */
    SERVER(t, &F->evil_leaf, &F->evil_ca);
    run(ps, NULL, t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "pin.violation");
    assert_string_equal(a->category, "mitm");
    assert_int_equal(a->severity, 1);
    assert_int_equal(a->sid, PINS_SID_VIOLATION);
    assert_string_equal(a->role, "server");
    assert_string_equal(a->source, "pins.txt:1");
    hexs(F->evil_leaf.info.spki_sha256, seen0);
    hexs(F->evil_ca.info.spki_sha256, seen1);
    assert_contains(a->evidence, "pin-spki-sha256 for '*.example.com:443' (server chain): "
                                 "expected one of ");
    assert_contains(a->evidence, h);
    assert_contains(a->evidence, "; seen: #0 ");
    assert_contains(a->evidence, seen0);
    assert_contains(a->evidence, seen1);

    /* the genuine intermediate appended to the forged chain does not help */
    SERVER(t, &F->evil_leaf, &F->evil_ca, &F->inter);
    run(ps, NULL, t, &g);
    assert_int_equal(count_check(&g, "pin.violation"), 1);
    /* nor does a forged leaf that names the genuine intermediate: the path
     * is cut where the signature does not verify, with or without a store */
    SERVER(t, &F->forged_leaf, &F->inter);
    run(ps, NULL, t, &g);
    assert_int_equal(count_check(&g, "pin.violation"), 1);
    run(ps, F->store, t, &g);
    assert_int_equal(count_check(&g, "pin.violation"), 1);
    SERVER(t, &F->forged_leaf, &F->inter, &F->root);
    run(ps, F->store, t, &g);
    assert_int_equal(count_check(&g, "pin.violation"), 1);

    /* the pin does not apply: other port, other host, no SNI */
    SERVER(t, &F->evil_leaf, &F->evil_ca);
    t->server.port = 8443;
    run(ps, NULL, t, &g);
    assert_silent(&g);
    t->server.port = 443;
    snprintf(t->sni, sizeof(t->sni), "www.example.org");
    run(ps, NULL, t, &g);
    assert_silent(&g);
    snprintf(t->sni, sizeof(t->sni), "a.b.example.com");
    run(ps, NULL, t, &g);
    assert_silent(&g);
    t->sni[0] = '\0';
    run(ps, NULL, t, &g);
    assert_silent(&g);
    /* nothing sent (resumed session, TLS 1.3 without keys): nothing to judge */
    snprintf(t->sni, sizeof(t->sni), "www.example.com");
    t->server_cert_count = 0;
    run(ps, NULL, t, &g);
    assert_silent(&g);
    pins_free(ps);
    free(t);
}

/* ---- leaf, intermediate, root --------------------------------------------------------------- */

static void test_leaf_pin(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    const struct got_alert *a;
    struct pinset *ps;
    char h[65];
    struct got g;

    (void)state;
    hexs(F->leaf.info.sha256, h);
    ps = pins_from("www.example.com pin-leaf-sha256 %s\n", h);
    SERVER(t, &F->leaf, &F->inter);
    run(ps, NULL, t, &g);
    assert_silent(&g);
    SERVER(t, &F->leaf_direct, &F->root); /* same name and key, another certificate */
    run(ps, NULL, t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "pin.violation");
    assert_int_equal(a->index, 0);
    assert_true(a->has_cert);
    pins_free(ps);
    free(t);
}

static void test_intermediate_pin(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    struct pinset *ps;
    char h[65];
    struct got g;

    (void)state;
    hexs(F->inter.info.sha256, h);
    ps = pins_from("www.example.com pin-intermediate-sha256 %s\n", h);
    SERVER(t, &F->leaf, &F->inter, &F->root);
    run(ps, NULL, t, &g);
    assert_silent(&g);
    SERVER(t, &F->leaf, &F->inter);
    run(ps, NULL, t, &g);
    assert_silent(&g);
    SERVER(t, &F->leaf_direct, &F->root);
    run(ps, NULL, t, &g);
    assert_int_equal(g.n, 1);
    assert_contains(find_check(&g, "pin.violation")->evidence, "no intermediate on the path");
    pins_free(ps);
    free(t);
}

static void test_root_pin(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    const struct got_alert *a;
    struct pinset *ps;
    char h[65], evil[65];
    struct got g;

    (void)state;
    hexs(F->root.info.sha256, h);
    ps = pins_from("www.example.com pin-root-sha256 %s\n", h);
    SERVER(t, &F->leaf, &F->inter, &F->root); /* the root is sent */
    run(ps, NULL, t, &g);
    assert_silent(&g);
    /* not sent: visible only through the trust store */
    SERVER(t, &F->leaf, &F->inter);
    run(ps, NULL, t, &g);
    assert_int_equal(g.n, 1);
    assert_contains(find_check(&g, "pin.violation")->evidence, "no root");
    run(ps, F->store, t, &g);
    assert_silent(&g);
    /* another root */
    SERVER(t, &F->evil_leaf, &F->evil_ca);
    run(ps, F->store, t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "pin.violation");
    hexs(F->evil_ca.info.sha256, evil);
    assert_contains(a->evidence, "seen: #1 ");
    assert_contains(a->evidence, evil);
    assert_int_equal(a->index, -1);
    pins_free(ps);
    free(t);
}

/* ---- issuer
 * ---------------------------------------------------------------------------------------- */

static void test_issuer_pin(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "mail.example.com");
    const struct got_alert *a;
    struct pinset *ps;
    struct got g;

    (void)state;
    ps = pins_from("mail.example.com issuer \"cn=test intermediate,o=CERTSENSOR tests\"\n");
    SERVER(t, &F->leaf, &F->inter);
    run(ps, NULL, t, &g);
    assert_silent(&g);
    SERVER(t, &F->evil_leaf, &F->evil_ca);
    run(ps, NULL, t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "pin.violation");
    assert_contains(a->evidence, "issuer for 'mail.example.com' (server chain): expected one of "
                                 "'cn=test intermediate,o=CERTSENSOR tests'; seen: #0 issuer "
                                 "'CN=Evil CA'");
    /* two pins on one host are independent */
    pins_free(ps);
    ps = pins_from("mail.example.com issuer \"%s\"\nmail.example.com pin-leaf-sha256 "
                   "%064d\n",
                   INTER_DN, 0);
    SERVER(t, &F->leaf, &F->inter);
    run(ps, NULL, t, &g);
    assert_int_equal(g.n, 1);
    assert_string_equal(find_check(&g, "pin.violation")->source, "pins.txt:2");
    SERVER(t, &F->evil_leaf, &F->evil_ca);
    run(ps, NULL, t, &g);
    assert_int_equal(count_check(&g, "pin.violation"), 2);
    pins_free(ps);
    free(t);
}

/* ---- rotation ----------------------------------------------------------------------------------
 */

static void test_rotation(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    const struct got_alert *a;
    struct pinset *ps;
    char h[65];
    struct got g;

    (void)state;
    hexs(F->leaf.info.sha256, h);
    ps = pins_from("www.example.com pin-leaf-sha256 %064d\n"
                   "www.example.com rotation pin-leaf-sha256 %s\n",
                   7, h);
    SERVER(t, &F->leaf, &F->inter);
    run(ps, NULL, t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "pin.rotation_used");
    assert_string_equal(a->category, "info");
    assert_int_equal(a->severity, 3);
    assert_int_equal(a->sid, PINS_SID_ROTATION);
    assert_string_equal(a->source, "pins.txt:2");
    assert_contains(a->evidence, "matched rotation value ");
    assert_contains(a->evidence, h);
    SERVER(t, &F->evil_leaf, &F->evil_ca);
    run(ps, NULL, t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "pin.violation");
    assert_contains(a->evidence, "(or a rotation value)");
    assert_string_equal(a->source, "pins.txt:1");
    pins_free(ps);
    free(t);
}

/* ---- roles and addresses
 * -------------------------------------------------------------------------- */

static void test_client_role(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "ews.example.com");
    const struct got_alert *a;
    struct pinset *ps;
    char h[65];
    struct got g;

    (void)state;
    hexs(F->cleaf.info.sha256, h);
    ps = pins_from("ews.example.com:443 role=client pin-leaf-sha256 %s\n", h);
    SERVER(t, &F->evil_leaf, &F->evil_ca); /* the server chain is not what this pin is about */
    run(ps, NULL, t, &g);
    assert_silent(&g); /* no client certificate */
    CLIENT(t, &F->cleaf, &F->inter);
    run(ps, NULL, t, &g);
    assert_silent(&g);
    CLIENT(t, &F->cleaf2, &F->inter); /* a stolen or re-issued client certificate */
    run(ps, NULL, t, &g);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "pin.violation");
    assert_string_equal(a->role, "client");
    assert_contains(a->evidence, "(client chain)");
    pins_free(ps);
    free(t);
}

static void test_ip_patterns(void **state)
{
    static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    struct cs_tls *t = tls_new(T_2025_06_01, NULL);
    struct pinset *ps;
    char h[65];
    struct got g;

    (void)state;
    hexs(F->leaf.info.sha256, h);
    ps = pins_from("192.0.2.10:443 pin-leaf-sha256 %s\n[2001:db8::1]:443 pin-leaf-sha256 %s\n", h,
                   h);
    SERVER(t, &F->leaf, &F->inter);
    run(ps, NULL, t, &g);
    assert_silent(&g);
    SERVER(t, &F->evil_leaf, &F->evil_ca);
    run(ps, NULL, t, &g);
    assert_int_equal(g.n, 1);
    assert_contains(find_check(&g, "pin.violation")->evidence, "for '192.0.2.10:443'");
    t->server.addr[3] = 11; /* another server */
    run(ps, NULL, t, &g);
    assert_silent(&g);
    t->server.family = 6;
    memcpy(t->server.addr, v6, 16);
    run(ps, NULL, t, &g);
    assert_int_equal(g.n, 1);
    assert_contains(find_check(&g, "pin.violation")->evidence, "for '[2001:db8::1]:443'");
    pins_free(ps);
    free(t);
}

static void test_no_pins(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    struct pinset *ps = pins_new();
    struct got g;
    struct check_out none = {NULL, NULL};

    (void)state;
    SERVER(t, &F->evil_leaf, &F->evil_ca);
    run(ps, NULL, t, &g);
    assert_silent(&g);
    run(NULL, NULL, t, &g);
    assert_silent(&g);
    pins_check(ps, NULL, &none);
    pins_free(ps);
    free(t);
}

/* ---- known TLS-inspection issuers
 * ----------------------------------------------------------------- */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;

    if (f == NULL)
        return NULL;
    buf = malloc(1 << 16);
    assert_non_null(buf);
    *len = fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    buf[*len] = '\0';
    return buf;
}

static void test_intercept_shipped_list(void **state)
{
    struct intercept_list *il = intercept_new();
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    const struct got_alert *a;
    struct check_out o;
    char err[256], *text;
    size_t len = 0;
    struct got g;

    (void)state;
    /* tests run from the repository root (tests/run_tests.sh) */
    text = read_file("rules/interception-issuers.txt", &len);
    if (text == NULL) {
        intercept_free(il);
        free(t);
        skip();
    }
    assert_int_equal(
        intercept_load(il, "rules/interception-issuers.txt", text, len, err, sizeof(err)), PR_OK);
    assert_true(intercept_count(il) >= 12);
    o.sink = sink;
    o.ctx = &g;

    SERVER(t, &F->forti_leaf, &F->forti_ca);
    memset(&g, 0, sizeof(g));
    intercept_check(il, t, &o);
    assert_int_equal(g.n, 1); /* once per chain */
    a = find_check(&g, "intercept.known_issuer");
    assert_string_equal(a->category, "mitm");
    assert_int_equal(a->severity, 2);
    assert_int_equal(a->sid, INTERCEPT_SID_KNOWN_ISSUER);
    assert_int_equal(a->index, 0);
    assert_contains(a->source, "rules/interception-issuers.txt:");
    assert_contains(a->evidence, "server #0 issuer 'CN=FortiGate CA,O=Fortinet' contains "
                                 "'fortigate ca'");
    /* the CA alone (its subject) */
    SERVER(t, &F->forti_ca);
    memset(&g, 0, sizeof(g));
    intercept_check(il, t, &o);
    assert_int_equal(g.n, 1);
    /* benign: an ordinary chain, and the vendor's own site */
    SERVER(t, &F->leaf, &F->inter, &F->root);
    CLIENT(t, &F->vendor_leaf, &F->inter);
    memset(&g, 0, sizeof(g));
    intercept_check(il, t, &o);
    assert_silent(&g);
    intercept_free(il);
    free(text);
    free(t);
}

static void test_intercept_thumbprints_and_errors(void **state)
{
    struct intercept_list *il = intercept_new();
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    const struct got_alert *a;
    struct check_out o = {sink, NULL};
    char text[512], err[256], h[65];
    struct got g;
    int n;

    (void)state;
    o.ctx = &g;
    hexs(F->evil_ca.info.spki_sha256, h);
    n = snprintf(text, sizeof(text), "# ours\nspki-sha256 %s\nsha256 %064d\n", h, 0);
    assert_int_equal(intercept_load(il, "ic.txt", text, (size_t)n, err, sizeof(err)), PR_OK);
    assert_int_equal(intercept_count(il), 2);
    SERVER(t, &F->leaf, &F->inter);
    CLIENT(t, &F->evil_leaf, &F->evil_ca);
    memset(&g, 0, sizeof(g));
    intercept_check(il, t, &o);
    assert_int_equal(g.n, 1);
    a = find_check(&g, "intercept.known_issuer");
    assert_string_equal(a->role, "client");
    assert_int_equal(a->index, 1);
    assert_string_equal(a->source, "ic.txt:2");
    assert_contains(a->evidence, h);

    assert_int_equal(intercept_load(il, "ic.txt", "name \"x\"\nnam \"y\"\n", 17, err, sizeof(err)),
                     PR_MALFORMED);
    assert_string_equal(err,
                        "ic.txt:2: unknown entry 'nam' (expected name, sha256 or spki-sha256)");
    assert_int_equal(intercept_count(il), 2); /* all or nothing */
    assert_int_equal(intercept_load(il, "ic.txt", "name Blue Coat\n", 15, err, sizeof(err)),
                     PR_MALFORMED);
    assert_contains(err, "ic.txt:1: name takes exactly one value (quote names with spaces)");
    assert_int_equal(intercept_load(il, "ic.txt", "sha256 abc\n", 11, err, sizeof(err)),
                     PR_MALFORMED);
    assert_contains(err, "ic.txt:1: invalid sha256 'abc' (3 hex digits, expected 64)");
    intercept_check(NULL, t, &o);
    intercept_free(il);
    intercept_free(NULL);
    free(t);
}

static void test_error_queue_kept(void **state)
{
    struct cs_tls *t = tls_new(T_2025_06_01, "www.example.com");
    struct pinset *ps;
    unsigned long before;
    struct got g;

    (void)state;
    ps = pins_from("www.example.com pin-root-sha256 %064d\n", 1);
    ERR_clear_error();
    ERR_raise(ERR_LIB_USER, 3);
    before = ERR_peek_last_error();
    SERVER(t, &F->evil_leaf, &F->evil_ca);
    run(ps, F->store, t, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(ERR_peek_error(), before);
    assert_int_equal(ERR_peek_last_error(), before);
    ERR_clear_error();
    pins_free(ps);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_tokenizer_and_hex),
        cmocka_unit_test(test_spki_pin),
        cmocka_unit_test(test_leaf_pin),
        cmocka_unit_test(test_intermediate_pin),
        cmocka_unit_test(test_root_pin),
        cmocka_unit_test(test_issuer_pin),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_client_role),
        cmocka_unit_test(test_ip_patterns),
        cmocka_unit_test(test_no_pins),
        cmocka_unit_test(test_intercept_shipped_list),
        cmocka_unit_test(test_intercept_thumbprints_and_errors),
        cmocka_unit_test(test_error_queue_kept),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
