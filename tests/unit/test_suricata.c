/* Unit tests for rules/suricata.c (the Suricata rule subset).
 *
 * One hand-built TLS session: client 10.0.0.5:51000 -> server
 * 93.184.216.34:443, a three-certificate server chain and a one-certificate
 * client chain with fake cs_cert_info values. Every keyword is tried with a
 * rule that must match and one that must not; each expectation was worked
 * out by hand from the Suricata user guide's description of the keyword. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "suricata.h"

/* ---- alert capture -------------------------------------------------------- */

struct got {
    uint32_t sid, rev;
    uint8_t severity;
    char signature[256], category[64], check[32], role[16], evidence[512], source[128];
    int chain_index;
    const struct cs_cert *cert;
};

struct sinkbuf {
    size_t n;
    struct got a[16];
};

static void cp(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s != NULL ? s : "(null)");
}

static void sink(void *ctx, const struct cs_alert *a)
{
    struct sinkbuf *sb = ctx;
    struct got *g;

    assert_true(sb->n < 16);
    g = &sb->a[sb->n++];
    g->sid = a->signature_id;
    g->rev = a->rev;
    g->severity = a->severity;
    cp(g->signature, sizeof g->signature, a->signature);
    cp(g->category, sizeof g->category, a->category);
    cp(g->check, sizeof g->check, a->check);
    cp(g->role, sizeof g->role, a->role);
    cp(g->evidence, sizeof g->evidence, a->evidence);
    cp(g->source, sizeof g->source, a->source);
    g->chain_index = a->chain_index;
    g->cert = a->cert;
}

/* ---- the session -------------------------------------------------------------- */

static struct cs_cert_info srv[3], cli[1];
static const uint8_t der_leaf[] = "0\x82"
                                  "LEAF certificate bytes";
static const uint8_t der_int[] = "0\x82\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b"
                                 "Intermediate Marker";
static const uint8_t der_root[] = "0\x82"
                                  "ROOT certificate bytes";
static const uint8_t der_cli[] = "0\x82"
                                 "CLIENT certificate bytes";

static void digests(struct cs_cert_info *in, unsigned seed)
{
    size_t j;
    for (j = 0; j < 20; j++)
        in->sha1[j] = (uint8_t)(seed * 17u + j * 9u);
    for (j = 0; j < 32; j++)
        in->sha256[j] = in->spki_sha256[j] = (uint8_t)(seed + j);
    in->has_spki = true;
}

static void add_san(struct cs_cert_info *in, enum cs_san_type ty, const char *v)
{
    in->san[in->san_count].type = ty;
    snprintf(in->san[in->san_count].value, sizeof in->san[0].value, "%s", v);
    in->san_count++;
}

static void make_tls(struct cs_tls *t)
{
    memset(t, 0, sizeof *t);
    memset(srv, 0, sizeof srv);
    memset(cli, 0, sizeof cli);
    t->ts_us = INT64_C(1700000000) * 1000000 + 500000;
    t->client.family = 4;
    memcpy(t->client.addr, "\x0a\x00\x00\x05", 4);
    t->client.port = 51000;
    t->server.family = 4;
    memcpy(t->server.addr, "\x5d\xb8\xd8\x22", 4);
    t->server.port = 443;
    t->version = 0x0303;
    snprintf(t->sni, sizeof t->sni, "www.Example.com");
    snprintf(t->ja3, sizeof t->ja3, "e7eca2baf4458d095b7f45da28c16c34");
    snprintf(t->ja3s, sizeof t->ja3s, "b26c652e0a402a24b5ca2a660e84f9d5");
    snprintf(t->ja4, sizeof t->ja4, "t13d1516h2_8daaf6152771_02713d6af862");
    t->ja3_string = "771,4865-4866-4867,0-23-65281,29-23,0";
    t->ja3s_string = "771,4865,43-51";

    digests(&srv[0], 1);
    srv[0].parsed = true;
    snprintf(srv[0].subject, CS_NAME_MAX, "CN=www.example.com,O=Example\\, Inc,L=Springfield,C=US");
    snprintf(srv[0].issuer, CS_NAME_MAX, "CN=Example Issuing CA,O=Example Trust,C=US");
    snprintf(srv[0].serial, sizeof srv[0].serial, "9a2b3c");
    srv[0].not_before = 1690000000;
    srv[0].not_after = 1710000000;
    srv[0].validity_ok = true;
    add_san(&srv[0], CS_SAN_DNS, "www.example.com");
    add_san(&srv[0], CS_SAN_DNS, "api.example.net");
    add_san(&srv[0], CS_SAN_IP, "192.0.2.1");
    digests(&srv[1], 2);
    srv[1].parsed = true;
    snprintf(srv[1].subject, CS_NAME_MAX, "CN=Example Issuing CA,O=Example Trust,C=US");
    snprintf(srv[1].issuer, CS_NAME_MAX, "CN=Example Root,O=Example Trust,C=US");
    snprintf(srv[1].serial, sizeof srv[1].serial, "2");
    digests(&srv[2], 3);
    srv[2].parsed = true;
    snprintf(srv[2].subject, CS_NAME_MAX, "CN=Example Root,O=Example Trust,C=US");
    snprintf(srv[2].issuer, CS_NAME_MAX, "CN=Example Root,O=Example Trust,C=US");
    snprintf(srv[2].serial, sizeof srv[2].serial, "1");
    digests(&cli[0], 4);
    cli[0].parsed = true;
    snprintf(cli[0].subject, CS_NAME_MAX, "CN=client-42,O=Corp");
    snprintf(cli[0].issuer, CS_NAME_MAX, "CN=Corp CA,O=Corp");
    snprintf(cli[0].serial, sizeof cli[0].serial, "-80");
    cli[0].not_after = 1600000000; /* expired at capture time */
    cli[0].validity_ok = true;

    t->server_certs[0].der = der_leaf;
    t->server_certs[0].der_len = sizeof der_leaf - 1;
    t->server_certs[0].info = &srv[0];
    t->server_certs[1].der = der_int;
    t->server_certs[1].der_len = sizeof der_int - 1;
    t->server_certs[1].info = &srv[1];
    t->server_certs[2].der = der_root;
    t->server_certs[2].der_len = sizeof der_root - 1;
    t->server_certs[2].info = &srv[2];
    t->server_cert_count = 3;
    t->client_certs[0].der = der_cli;
    t->client_certs[0].der_len = sizeof der_cli - 1;
    t->client_certs[0].info = &cli[0];
    t->client_cert_count = 1;
}

/* ---- helpers -------------------------------------------------------------------- */

static struct cs_tls T;
static struct sinkbuf SB;

static void check(const struct srules *rs, const struct cs_tls *t)
{
    struct check_out o = {sink, &SB};
    memset(&SB, 0, sizeof SB);
    srules_check(rs, t, &o);
}

static struct srules *load_ok(const char *text)
{
    struct srules *rs = srules_new();
    char err[256];
    enum pr_status st;

    assert_non_null(rs);
    st = srules_load(rs, "t.rules", text, strlen(text), err, sizeof err);
    if (st != PR_OK)
        print_error("unexpected: %s\n", err);
    assert_int_equal(st, PR_OK);
    assert_string_equal(err, "");
    return rs;
}

static void load_err(const char *text, enum pr_status want, const char *msg)
{
    struct srules *rs = srules_new();
    char err[256];

    assert_non_null(rs);
    assert_int_equal(srules_load(rs, "t.rules", text, strlen(text), err, sizeof err), want);
    assert_string_equal(err, msg);
    srules_free(rs);
}

/* Does "alert tls any any -> any any (OPTS sid:1;)" alert on t? */
static bool hit_on(const struct cs_tls *t, const char *opts)
{
    char text[2048];
    struct srules *rs;

    snprintf(text, sizeof text, "alert tls any any -> any any (%s sid:1;)\n", opts);
    rs = load_ok(text);
    check(rs, t);
    srules_free(rs);
    assert_true(SB.n <= 1);
    return SB.n == 1;
}

static bool hit(const char *opts)
{
    return hit_on(&T, opts);
}

/* Does the rule with this header (and a ja3 or cert condition) alert? */
static bool hdr_hit(struct srules *vars_from, const char *header, const char *opts)
{
    char text[1024], err[256];
    struct srules *rs = vars_from != NULL ? vars_from : srules_new();
    size_t before = srules_count(rs);
    enum pr_status st;

    snprintf(text, sizeof text, "%s (%s sid:%zu;)\n", header, opts, 100 + before);
    st = srules_load(rs, "h.rules", text, strlen(text), err, sizeof err);
    if (st != PR_OK)
        print_error("unexpected: %s\n", err);
    assert_int_equal(st, PR_OK);
    check(rs, &T);
    if (vars_from == NULL)
        srules_free(rs);
    /* only the newest rule counts */
    {
        size_t i;
        for (i = 0; i < SB.n; i++) {
            if (SB.a[i].sid == 100 + before)
                return true;
        }
    }
    return false;
}

static int setup(void **state)
{
    (void)state;
    make_tls(&T);
    return 0;
}

/* ---- sticky buffers and content modifiers --------------------------------- */

static void test_sni_and_modifiers(void **state)
{
    (void)state;
    assert_true(hit("tls.sni; content:\"www.Example.com\";"));
    assert_false(hit("tls.sni; content:\"www.example.com\";"));
    assert_true(hit("tls.sni; content:\"www.example.com\"; nocase;"));
    assert_true(hit("tls_sni; content:\"Example\";"));
    assert_true(hit("tls.sni; content:\"www.\"; startswith;"));
    assert_false(hit("tls.sni; content:\"Example\"; startswith;"));
    assert_true(hit("tls.sni; content:\".com\"; endswith;"));
    assert_false(hit("tls.sni; content:\"www\"; endswith;"));
    assert_true(hit("tls.sni; content:\"www.Example.com\"; startswith; endswith;"));
    assert_false(hit("tls.sni; content:\"www.Example.co\"; startswith; endswith;"));
    assert_true(hit("tls.sni; content:!\"evil\";"));
    assert_false(hit("tls.sni; content:!\"Example\";"));
    /* every content must match */
    assert_true(hit("tls.sni; content:\"www\"; content:\"com\";"));
    assert_false(hit("tls.sni; content:\"www\"; content:\"org\";"));
    /* offset / depth / bsize / dotprefix / fast_pattern */
    assert_true(hit("tls.sni; content:\"Example\"; offset:4; depth:7;"));
    assert_false(hit("tls.sni; content:\"Example\"; offset:5;"));
    assert_false(hit("tls.sni; content:\"Example\"; depth:10;"));
    assert_true(hit("tls.sni; bsize:15; content:\"www\"; fast_pattern;"));
    assert_false(hit("tls.sni; bsize:>15; content:\"www\";"));
    assert_true(hit("tls.sni; dotprefix; content:\".www.Example.com\"; startswith;"));
    assert_false(hit("tls.sni; content:\".www.Example.com\";"));
    /* hex blocks and escapes */
    assert_true(hit("tls.sni; content:\"www.|45 78|ample\";"));
    assert_false(hit("tls.sni; content:\"www.|65 78|ample\";"));
    /* no SNI: no buffer, even a negated content does not match */
    {
        struct cs_tls t2 = T;
        t2.sni[0] = '\0';
        assert_false(hit_on(&t2, "tls.sni; content:!\"evil\";"));
    }
}

static void test_escapes(void **state)
{
    struct cs_tls t2 = T;
    (void)state;
    snprintf(t2.sni, sizeof t2.sni, "a;b\"c\\d:e|f");
    assert_true(
        hit_on(&t2, "tls.sni; content:\"a\\;b\\\"c\\\\d\\:e|7c|f\"; startswith; endswith;"));
    assert_false(hit_on(&t2, "tls.sni; content:\"a\\;b\\\"X\";"));
}

static void test_cert_subject_issuer(void **state)
{
    (void)state;
    /* RFC 4514 rendering (ours) */
    assert_true(hit("tls.cert_subject; content:\"CN=www.example.com\"; startswith;"));
    /* Suricata's rendering: certificate order, ", ", unescaped */
    assert_true(hit("tls.cert_subject; content:\"C=US, L=Springfield, O=Example, Inc, "
                    "CN=www.example.com\"; startswith; endswith;"));
    assert_true(hit("tls.cert_subject; content:\"C=US\"; startswith;"));
    assert_true(hit("tls_cert_subject; content:\"example\";"));
    assert_false(hit("tls.cert_subject; content:\"CN=evil\";"));
    /* a negated content must be absent from both renderings */
    assert_false(hit("tls.cert_subject; content:!\"O=Example, Inc\";"));
    assert_true(hit("tls.cert_subject; content:!\"O=Evil\";"));
    assert_true(hit("tls.cert_issuer; content:\"Example Trust\";"));
    assert_true(hit("tls.cert_issuer; content:\"C=US, O=Example Trust, CN=Example Issuing CA\";"));
    assert_false(hit("tls.cert_issuer; content:\"WoSign\"; nocase;"));
    /* only the leaf: the root's subject is not inspected */
    assert_false(hit("tls.cert_subject; content:\"CN=Example Root\";"));
}

static void test_cert_serial_fingerprint(void **state)
{
    char fp[64], opts[256];
    size_t i, k = 0;

    (void)state;
    /* 0x9a2b3c has its top bit set: DER adds 00 */
    assert_true(hit("tls.cert_serial; content:\"00:9A:2B:3C\"; startswith; endswith;"));
    assert_false(hit("tls.cert_serial; content:\"9a:2b\";"));
    assert_true(hit("tls.cert_serial; content:\"9a:2b\"; nocase;"));
    assert_true(hit("tls_cert_serial; content:\"2B:3C\"; endswith;"));
    for (i = 0; i < 20; i++)
        k += (size_t)snprintf(fp + k, sizeof fp - k, "%s%02x", i ? ":" : "", srv[0].sha1[i]);
    snprintf(opts, sizeof opts, "tls.cert_fingerprint; content:\"%s\";", fp);
    assert_true(hit(opts));
    snprintf(opts, sizeof opts, "tls_cert_fingerprint; content:\"%s\"; startswith; endswith;", fp);
    assert_true(hit(opts));
    for (i = 0; fp[i] != '\0'; i++) {
        if (fp[i] >= 'a' && fp[i] <= 'f')
            fp[i] = (char)(fp[i] - 32);
    }
    assert_non_null(strpbrk(fp, "ABCDEF"));
    snprintf(opts, sizeof opts, "tls.cert_fingerprint; content:\"%s\";", fp);
    assert_false(hit(opts));
}

/* Serial renderings for other magnitudes: odd digit count, zero, negative. */
static void test_serial_forms(void **state)
{
    struct cs_tls t2 = T;
    (void)state;
    snprintf(srv[0].serial, sizeof srv[0].serial, "abc");
    assert_true(hit_on(&t2, "tls.cert_serial; content:\"0A:BC\"; startswith; endswith;"));
    snprintf(srv[0].serial, sizeof srv[0].serial, "0");
    assert_true(hit_on(&t2, "tls.cert_serial; content:\"00\"; startswith; endswith;"));
    /* -128 is 80; -255 is FF 01 */
    snprintf(srv[0].serial, sizeof srv[0].serial, "-80");
    assert_true(hit_on(&t2, "tls.cert_serial; content:\"80\"; startswith; endswith;"));
    snprintf(srv[0].serial, sizeof srv[0].serial, "-ff");
    assert_true(hit_on(&t2, "tls.cert_serial; content:\"FF:01\"; startswith; endswith;"));
    make_tls(&T);
}

static void test_certs_and_san(void **state)
{
    char text[512];
    struct srules *rs;

    (void)state;
    snprintf(text, sizeof text,
             "alert tls any any -> any any (msg:\"oid\"; tls.certs; "
             "content:\"|06 09 2a 86 48 86 f7 0d 01 01 0b|\"; sid:7; rev:2;)\n");
    rs = load_ok(text);
    check(rs, &T);
    assert_int_equal(SB.n, 1);
    assert_int_equal(SB.a[0].chain_index, 1);
    assert_ptr_equal(SB.a[0].cert, &T.server_certs[1]);
    assert_string_equal(SB.a[0].role, "server");
    assert_string_equal(SB.a[0].evidence, "matched tls.certs (server certificate #1)");
    srules_free(rs);
    assert_true(hit("tls.certs; content:\"ROOT\";"));
    assert_false(hit("tls.certs; content:\"NOT THERE\";"));
    assert_false(hit("tls.certs; content:\"CLIENT\";"));
    /* contents after one tls.certs must match in the same certificate;
     * each tls.certs may pick its own */
    assert_false(hit("tls.certs; content:\"LEAF\"; content:\"Intermediate\";"));
    assert_true(hit("tls.certs; content:\"LEAF\"; tls.certs; content:\"Intermediate\";"));
    /* SAN: each DNS name is one buffer */
    assert_true(hit("tls.subjectaltname; content:\"api.example.net\"; startswith; endswith;"));
    assert_true(hit("tls.subjectaltname; content:\".net\"; endswith;"));
    assert_false(hit("tls.subjectaltname; content:\"www\"; content:\"api\";"));
    assert_false(hit("tls.subjectaltname; content:\"192.0.2.1\";"));
}

static void test_version_and_ja(void **state)
{
    (void)state;
    assert_true(hit("tls.version:1.2;"));
    assert_false(hit("tls.version:1.3;"));
    assert_true(hit("tls.version:0x0303;"));
    assert_false(hit("tls.version:0x7f12;"));
    assert_true(hit("ja3.hash; content:\"e7eca2baf4458d095b7f45da28c16c34\";"));
    assert_true(hit("ja3_hash; content:\"e7eca2baf4458d095b7f45da28c16c34\";"));
    assert_false(hit("ja3.hash; content:\"b26c652e0a402a24b5ca2a660e84f9d5\";"));
    assert_true(hit("ja3s.hash; content:\"b26c652e0a402a24b5ca2a660e84f9d5\";"));
    assert_false(hit("ja3s.hash; content:\"e7eca2baf4458d095b7f45da28c16c34\";"));
    assert_true(hit("ja4.hash; content:\"t13d1516h2_\"; startswith;"));
    assert_false(hit("ja4.hash; content:\"t12d\";"));
    assert_true(hit("ja3.string; content:\"771,4865-4866\"; startswith;"));
    assert_true(hit("ja3s.string; content:\"43-51\"; endswith;"));
    {
        struct cs_tls t2 = T;
        t2.ja3[0] = '\0';
        t2.version = 0;
        assert_false(hit_on(&t2, "ja3.hash; content:!\"x\";"));
        assert_false(hit_on(&t2, "tls.version:0x0000;"));
    }
}

static void test_expired_valid_chain_len(void **state)
{
    struct cs_tls t2 = T;

    (void)state;
    /* capture time 1700000000.5, not_after 1710000000 */
    assert_false(hit("tls_cert_expired;"));
    assert_true(hit("tls_cert_valid;"));
    assert_true(hit("tls.cert_expired; flow:to_server;")); /* client cert expired in 2020 */
    t2.ts_us = INT64_C(1710000000) * 1000000 + 999999;     /* the last valid second */
    assert_false(hit_on(&t2, "tls_cert_expired;"));
    t2.ts_us = INT64_C(1710000001) * 1000000;
    assert_true(hit_on(&t2, "tls_cert_expired;"));
    assert_false(hit_on(&t2, "tls_cert_valid;"));
    srv[0].validity_ok = false;
    assert_false(hit_on(&t2, "tls_cert_expired;"));
    assert_false(hit_on(&t2, "tls_cert_valid;"));
    srv[0].validity_ok = true;

    assert_true(hit("tls.cert_chain_len:3;"));
    assert_true(hit("tls.cert_chain_len:>2;"));
    assert_false(hit("tls.cert_chain_len:<1;"));
    assert_false(hit("tls.cert_chain_len:!3;"));
    assert_true(hit("tls.cert_chain_len:2<>4;"));
    assert_false(hit("tls.cert_chain_len:3<>5;"));
    assert_true(hit("tls.cert_chain_len:<=3;"));
    assert_false(hit("tls.cert_chain_len:>=4;"));
    assert_true(hit("flow:to_server; tls.cert_chain_len:1;"));
    t2 = T;
    t2.server_cert_count = 0;
    assert_true(hit_on(&t2, "tls.cert_chain_len:<1;"));
}

static void test_legacy_value_keywords(void **state)
{
    char opts[256], fp[64];
    size_t i, k = 0;

    (void)state;
    assert_true(hit("tls.subject:\"CN=www.example.com\";"));
    assert_false(hit("tls.subject:\"cn=www.example.com\";")); /* case sensitive */
    assert_false(hit("tls.subject:!\"CN=www\";"));
    assert_true(hit("tls.subject:!\"CN=evil\";"));
    assert_true(hit("tls.issuerdn:\"CN=Example Issuing CA\";"));
    assert_false(hit("tls.issuerdn:!\"CN=Example Issuing CA\";"));
    for (i = 0; i < 20; i++)
        k += (size_t)snprintf(fp + k, sizeof fp - k, "%s%02x", i ? ":" : "", srv[0].sha1[i]);
    snprintf(opts, sizeof opts, "tls.fingerprint:\"%s\";", fp);
    assert_true(hit(opts));
    snprintf(opts, sizeof opts, "tls.fingerprint:!\"%s\";", fp);
    assert_false(hit(opts));
    /* modifiers do not apply to value keywords */
    load_err("alert tls any any -> any any (tls.subject:\"CN=x\"; nocase; sid:1;)\n", PR_MALFORMED,
             "t.rules:1: 'nocase' needs a preceding content");
}

/* flow:to_server inspects the client's chain; default and to_client the server's */
static void test_flow_direction(void **state)
{
    char text[512];
    struct srules *rs;

    (void)state;
    assert_false(hit("tls.cert_subject; content:\"CN=client-42\";"));
    assert_false(hit("flow:established,to_client; tls.cert_subject; content:\"CN=client-42\";"));
    snprintf(text, sizeof text,
             "alert tls any any -> any any (msg:\"client cert\"; flow:established,to_server; "
             "tls.cert_subject; content:\"CN=client-42\"; sid:42;)\n");
    rs = load_ok(text);
    check(rs, &T);
    assert_int_equal(SB.n, 1);
    assert_string_equal(SB.a[0].role, "client");
    assert_int_equal(SB.a[0].chain_index, 0);
    assert_ptr_equal(SB.a[0].cert, &T.client_certs[0]);
    srules_free(rs);
    assert_true(hit("flow:from_client; tls.cert_issuer; content:\"Corp CA\";"));
    assert_true(hit("flow:from_server; tls.cert_issuer; content:\"Example Trust\";"));
    assert_true(hit("flow:to_server; tls.cert_serial; content:\"80\"; startswith; endswith;"));
    load_err("alert tls any any -> any any (flow:to_server,to_client; sid:1;)\n", PR_MALFORMED,
             "t.rules:1: conflicting flow directions");
    load_err("alert tls any any -> any any (flow:not_established; sid:1;)\n", PR_UNSUPPORTED,
             "t.rules:1: unsupported flow option 'not_established'");
}

/* ---- header: addresses, ports, variables, direction ------------------------ */

static void test_addresses_and_vars(void **state)
{
    struct srules *rs = srules_new();
    char err[256];
    const char *ja3 = "ja3.hash; content:\"e7eca2baf4458d095b7f45da28c16c34\";";
    const char *cert = "tls.cert_subject; content:\"CN=www\";";

    (void)state;
    assert_int_equal(srules_set_var(rs, "HOME_NET", "[10.0.0.0/8,!10.1.0.0/16]", err, sizeof err),
                     PR_OK);
    /* client-side keyword: the client is the source */
    assert_true(hdr_hit(rs, "alert tls $HOME_NET any -> $EXTERNAL_NET 443", ja3));
    assert_false(hdr_hit(rs, "alert tls $EXTERNAL_NET any -> $HOME_NET any", ja3));
    /* certificate keyword: the server is the source */
    assert_true(hdr_hit(rs, "alert tls $EXTERNAL_NET 443 -> $HOME_NET any", cert));
    assert_false(hdr_hit(rs, "alert tls $HOME_NET any -> $EXTERNAL_NET 443", cert));
    /* "<>" and an explicit flow direction */
    assert_true(hdr_hit(rs, "alert tls $HOME_NET any <> $EXTERNAL_NET 443", cert));
    assert_true(hdr_hit(rs, "alert tls $HOME_NET any -> $EXTERNAL_NET 443",
                        "flow:to_server; tls.cert_subject; content:\"CN=client\";"));
    /* no direction hint: either orientation */
    assert_true(hdr_hit(rs, "alert tls $HOME_NET any -> $EXTERNAL_NET any", "tls.version:1.2;"));
    assert_true(hdr_hit(rs, "alert tls $EXTERNAL_NET any -> $HOME_NET any", "tls.version:1.2;"));
    /* a client in the negated part of HOME_NET */
    memcpy(T.client.addr, "\x0a\x01\x02\x03", 4);
    assert_false(hdr_hit(rs, "alert tls $HOME_NET any -> $EXTERNAL_NET 443", ja3));
    assert_false(
        hdr_hit(rs, "alert tls [10.1.0.0/16,!10.1.2.0/24] any -> any any", "tls.version:1.2;"));
    assert_true(
        hdr_hit(rs, "alert tls [10.0.0.0/8,![10.1.0.0/16,!10.1.2.0/24]] any -> any any", ja3));
    /* a server inside HOME_NET is not EXTERNAL_NET (default !$HOME_NET) */
    memcpy(T.client.addr, "\x0a\x00\x00\x05", 4);
    memcpy(T.server.addr, "\x0a\x02\x00\x01", 4);
    assert_false(hdr_hit(rs, "alert tls $HOME_NET any -> $EXTERNAL_NET 443", ja3));
    assert_true(hdr_hit(rs, "alert tls $HOME_NET any -> $HOME_NET 443", ja3));
    /* a user EXTERNAL_NET replaces the default */
    assert_int_equal(srules_set_var(rs, "EXTERNAL_NET", "any", err, sizeof err), PR_OK);
    assert_true(hdr_hit(rs, "alert tls $HOME_NET any -> $EXTERNAL_NET 443", ja3));
    memcpy(T.server.addr, "\x5d\xb8\xd8\x22", 4);
    /* single addresses, dotted netmask, negation, nested variables */
    assert_true(hdr_hit(rs, "alert tls 10.0.0.5 any -> 93.184.216.34 any", ja3));
    assert_false(hdr_hit(rs, "alert tls 10.0.0.6 any -> 93.184.216.34 any", ja3));
    assert_true(hdr_hit(rs, "alert tls 10.0.0.0/255.0.0.0 any -> !10.0.0.0/8 any", ja3));
    assert_false(hdr_hit(rs, "alert tls !10.0.0.5 any -> any any", ja3));
    assert_int_equal(srules_set_var(rs, "CLIENTS", "[$HOME_NET, 192.168.1.1]", err, sizeof err),
                     PR_OK);
    assert_true(hdr_hit(rs, "alert tls $CLIENTS any -> any any", ja3));
    assert_true(hdr_hit(rs, "alert tls [ 192.168.1.1 , $CLIENTS ] any -> any any", ja3));
    srules_free(rs);
    memcpy(T.client.addr, "\x0a\x00\x00\x05", 4);
}

static void test_ports(void **state)
{
    struct srules *rs = srules_new();
    char err[128];
    const char *ja3 = "ja3.hash; content:\"e7eca2baf4458d095b7f45da28c16c34\";";

    (void)state;
    assert_true(hdr_hit(NULL, "alert tls any any -> any 443", ja3));
    assert_false(hdr_hit(NULL, "alert tls any any -> any [80,8443]", ja3));
    assert_true(hdr_hit(NULL, "alert tls any any -> any [80,400:500]", ja3));
    assert_false(hdr_hit(NULL, "alert tls any any -> any !443", ja3));
    assert_true(hdr_hit(NULL, "alert tls any 50000: -> any any", ja3));
    assert_false(hdr_hit(NULL, "alert tls any :1024 -> any any", ja3));
    assert_true(hdr_hit(NULL, "alert tls any [1:65535,!80] -> any [443,![1:100]]", ja3));
    assert_int_equal(srules_set_var(rs, "TLS_PORTS", "[443,8443]", err, sizeof err), PR_OK);
    assert_true(hdr_hit(rs, "alert tls any any -> any $TLS_PORTS", ja3));
    assert_false(hdr_hit(rs, "alert tls any any -> any !$TLS_PORTS", ja3));
    assert_false(hdr_hit(rs, "alert tls any any -> any $HTTP_PORTS", ja3));
    srules_free(rs);
}

static void test_ipv6(void **state)
{
    struct cs_tls t6 = T;
    char text[256];
    struct srules *rs;

    (void)state;
    t6.client.family = 6;
    memcpy(t6.client.addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x05", 16);
    t6.server.family = 6;
    memcpy(t6.server.addr, "\x2a\x00\x14\x50\0\0\0\0\0\0\0\0\0\0\x20\x13", 16);
    snprintf(text, sizeof text,
             "alert tls [2001:db8::/32] any -> !2001:db8::/32 443 (tls.sni; content:\"www\"; "
             "sid:1;)\nalert tls 10.0.0.0/8 any -> any any (tls.sni; content:\"www\"; sid:2;)\n"
             "alert tls any any -> 2a00:1450::2014 any (tls.sni; content:\"www\"; sid:3;)\n");
    rs = load_ok(text);
    check(rs, &t6);
    assert_int_equal(SB.n, 1);
    assert_int_equal(SB.a[0].sid, 1);
    srules_free(rs);
}

static void test_set_var_errors(void **state)
{
    struct srules *rs = srules_new();
    char err[256];

    (void)state;
    assert_int_equal(srules_set_var(rs, "HOME_NET", "[10.0.0.0/8", err, sizeof err), PR_MALFORMED);
    assert_string_equal(err, "variable HOME_NET: expected ',' or ']' in address group");
    assert_int_equal(srules_set_var(rs, "HOME_NET", "10.0.0.300", err, sizeof err), PR_MALFORMED);
    assert_string_equal(err, "variable HOME_NET: invalid address '10.0.0.300'");
    assert_int_equal(srules_set_var(rs, "PORTS", "[80,70000]", err, sizeof err), PR_MALFORMED);
    assert_string_equal(err, "variable PORTS: invalid port '70000'");
    assert_int_equal(srules_set_var(rs, "BAD NAME", "any", err, sizeof err), PR_MALFORMED);
    assert_string_equal(err, "variable BAD NAME: invalid variable name");
    assert_int_equal(srules_set_var(rs, "LOOP", "[$LOOP]", err, sizeof err), PR_MALFORMED);
    assert_string_equal(err, "variable LOOP: undefined variable '$LOOP'");
    assert_int_equal(srules_set_var(rs, "A", "any", err, sizeof err), PR_OK);
    assert_int_equal(srules_set_var(rs, "B", "[$A,!1.2.3.4]", err, sizeof err), PR_OK);
    /* a loop made by replacing A is caught where a rule uses it */
    assert_int_equal(srules_set_var(rs, "A", "$B", err, sizeof err), PR_OK);
    {
        const char *text = "alert tls $A any -> any any (sid:1;)\n";
        assert_int_equal(srules_load(rs, "t.rules", text, strlen(text), err, sizeof err), PR_LIMIT);
        assert_string_equal(err,
                            "t.rules:1: address groups or variables nested too deeply (a loop?)");
    }
    srules_free(rs);
}

/* ---- syntax errors: file:line and the keyword -------------------------------- */

static void test_syntax_errors(void **state)
{
    (void)state;
    load_err("# comment\nalert tls any any -> any any (tls.sni; content:\"abc; sid:1;)\n",
             PR_MALFORMED, "t.rules:2: unterminated quote in 'content'");
    load_err("alert tls any any -> any any (msg:\"x\" sid:1;)\n", PR_MALFORMED,
             "t.rules:1: missing ';' after 'msg'");
    load_err("alert tls any any -> any any (msg:\"x\"; sid:1)\n", PR_MALFORMED,
             "t.rules:1: missing ';' after 'sid'");
    load_err("alert tls any any -> any any (tls.sni; content:\"a\"; nocase sid:1;)\n", PR_MALFORMED,
             "t.rules:1: missing ';' after 'nocase'");
    load_err("alert tls any any -> any any (tls.sni; content:\"a\" nocase; sid:1;)\n", PR_MALFORMED,
             "t.rules:1: missing ';' after 'content'");
    load_err("\n\nalert tls any any -> any any (msg:\"x\"; foo:bar; sid:1;)\n", PR_UNSUPPORTED,
             "t.rules:3: unsupported keyword 'foo'");
    load_err("alert tls any any -> any any (tls.sni; pcre:\"/a;b/\"; sid:1;)\n", PR_UNSUPPORTED,
             "t.rules:1: unsupported keyword 'pcre'");
    load_err("alert tls any any -> any any (msg:\"x\";)\n", PR_MALFORMED,
             "t.rules:1: rule has no sid");
    load_err("alert tls any any -> any any (msg:\"x\"; sid:1;\n", PR_MALFORMED,
             "t.rules:1: missing ')' at the end of the rule");
    load_err("drop tls any any -> any any (sid:1;)\n", PR_UNSUPPORTED,
             "t.rules:1: unsupported action 'drop' (only alert)");
    load_err("alert http any any -> any any (sid:1;)\n", PR_UNSUPPORTED,
             "t.rules:1: unsupported protocol 'http' (only tls, tcp, any)");
    load_err("alert tcp any any -> any any (msg:\"x\"; sid:1;)\n", PR_UNSUPPORTED,
             "t.rules:1: rule has no TLS keyword (protocol 'tcp' needs one)");
    load_err("alert tls any any -> any any (content:\"x\"; sid:1;)\n", PR_UNSUPPORTED,
             "t.rules:1: 'content' without a TLS sticky buffer (payload inspection is not "
             "supported)");
    load_err("alert tls any any -> any any (tls.sni; sid:1;)\n", PR_MALFORMED,
             "t.rules:1: 'tls.sni' is not followed by a content");
    load_err("alert tls any any -> any any (tls.sni; tls.certs; content:\"a\"; sid:1;)\n",
             PR_MALFORMED, "t.rules:1: 'tls.sni' is not followed by a content");
    load_err("alert tls any any -> any any (tls.sni; content:\"|4g|\"; sid:1;)\n", PR_MALFORMED,
             "t.rules:1: invalid hex digit 'g' in 'content'");
    load_err("alert tls any any -> any any (tls.sni; content:\"|414|\"; sid:1;)\n", PR_MALFORMED,
             "t.rules:1: odd number of hex digits in 'content'");
    load_err("alert tls any any -> any any (tls.sni; content:\"|41\"; sid:1;)\n", PR_MALFORMED,
             "t.rules:1: unterminated |hex| block in 'content'");
    load_err("alert tls any any -> any any (tls.sni; content:\"a\\x\"; sid:1;)\n", PR_MALFORMED,
             "t.rules:1: invalid escape '\\x' in 'content'");
    load_err("alert tls any any -> any any (tls.sni; content:\"\"; sid:1;)\n", PR_MALFORMED,
             "t.rules:1: empty 'content'");
    load_err("alert tls any any -> any any (tls.sni; content:abc; sid:1;)\n", PR_MALFORMED,
             "t.rules:1: 'content' needs a quoted string");
    load_err("alert tls any any -> any any (nocase; sid:1;)\n", PR_MALFORMED,
             "t.rules:1: 'nocase' needs a preceding content");
    load_err("alert tls any any -> any any (tls.sni; content:\"a\"; nocase:1; sid:1;)\n",
             PR_MALFORMED, "t.rules:1: 'nocase' takes no value");
    load_err("alert tls any any -> any any (sid:x;)\n", PR_MALFORMED, "t.rules:1: invalid sid 'x'");
    load_err("alert tls any any -> any any (sid:1; priority:0;)\n", PR_MALFORMED,
             "t.rules:1: invalid priority '0' (expected 1-255)");
    load_err("alert tls any any -> any any (tls.version:1.4; sid:1;)\n", PR_MALFORMED,
             "t.rules:1: invalid tls.version '1.4' (expected 1.0, 1.1, 1.2, 1.3 or 0xHHHH)");
    load_err("alert tls any any -> any any (tls.cert_chain_len:>x; sid:1;)\n", PR_MALFORMED,
             "t.rules:1: invalid tls.cert_chain_len '>x'");
    load_err("alert tls any any -> any any (flow:sideways; sid:1;)\n", PR_MALFORMED,
             "t.rules:1: invalid flow option 'sideways'");
    load_err("alert tls any any -> any any (; sid:1;)\n", PR_MALFORMED,
             "t.rules:1: syntax error at '; sid:1;' (expected a keyword)");
    load_err("alert tls $FOO_NET any -> any any (sid:1;)\n", PR_MALFORMED,
             "t.rules:1: undefined variable '$FOO_NET'");
    load_err("alert tls 10.0.0.300 any -> any any (sid:1;)\n", PR_MALFORMED,
             "t.rules:1: invalid address '10.0.0.300'");
    load_err("alert tls 10.0.0.0/33 any -> any any (sid:1;)\n", PR_MALFORMED,
             "t.rules:1: invalid prefix length in '10.0.0.0/33'");
    load_err("alert tls any 70000 -> any any (sid:1;)\n", PR_MALFORMED,
             "t.rules:1: invalid port '70000'");
    load_err("alert tls any 90:80 -> any any (sid:1;)\n", PR_MALFORMED,
             "t.rules:1: invalid port range '90:80'");
    load_err("alert tls [10.0.0.0/8 any -> any any (sid:1;)\n", PR_MALFORMED,
             "t.rules:1: unbalanced '[' in source address");
    load_err("alert tls any any <- any any (sid:1;)\n", PR_MALFORMED,
             "t.rules:1: invalid direction '<-' (expected -> or <>)");
    load_err("alert tls any any -> any\n", PR_MALFORMED,
             "t.rules:1: incomplete rule header: missing destination port");
    load_err("alert tls any any -> any any sid:1;\n", PR_MALFORMED,
             "t.rules:1: expected '(' after the rule header");
    load_err("alert tls any any -> any any (sid:1;)\nalert tls any any -> any any (sid:1;)\n",
             PR_MALFORMED, "t.rules:2: duplicate sid 1");
    /* a rule spread over lines is named by its first line */
    load_err("alert tls any any -> any any ( \\\n  msg:\"x\"; \\\n  bogus; sid:1;)\n",
             PR_UNSUPPORTED, "t.rules:1: unsupported keyword 'bogus'");
    /* rules before the bad one stay loaded; err may be NULL */
    {
        struct srules *rs = srules_new();
        const char *text = "alert tls any any -> any any (sid:1;)\n"
                           "alert tls any any -> any any (sid:2)\n";
        assert_int_equal(srules_load(rs, "t", text, strlen(text), NULL, 0), PR_MALFORMED);
        assert_int_equal(srules_count(rs), 1);
        srules_free(rs);
    }
}

/* ---- alerts ---------------------------------------------------------------------- */

static void test_alert_fields(void **state)
{
    struct srules *rs;

    (void)state;
    rs = load_ok("# header comment\n"
                 "\n"
                 "alert tls any any -> any any (msg:\"sni and subject\"; flow:established; "
                 "tls.sni; content:\"Example\"; tls.cert_subject; content:\"CN=www\"; "
                 "classtype:trojan-activity; reference:url,example.org; metadata:a b; "
                 "sid:2000001; rev:4;)\n"
                 "alert tls any any -> any any (msg:\"prio\"; tls.version:1.2; "
                 "classtype:trojan-activity; priority:3; sid:2000002;)\n"
                 "alert tls any any -> any any (msg:\"misc\"; tls.version:1.2; "
                 "classtype:misc-activity; sid:2000003;)\n"
                 "alert tls any any -> any any (msg:\"plain\"; tls.version:1.2; sid:2000004;)\n"
                 "# alert tls any any -> any any (msg:\"disabled\"; sid:2000005;)\n"
                 "alert tls any any -> any any (msg:\"every tls session\"; sid:2000006;)\n"
                 "alert tcp any any -> any any (msg:\"tcp with tls\"; tls.sni; "
                 "content:\"www\"; sid:2000007;)\n"
                 "alert tls any any -> any any (msg:\"no\"; tls.sni; content:\"nope\"; "
                 "sid:2000008;)\n");
    assert_int_equal(srules_count(rs), 7);
    check(rs, &T);
    assert_int_equal(SB.n, 6);

    assert_int_equal(SB.a[0].sid, 2000001);
    assert_int_equal(SB.a[0].rev, 4);
    assert_string_equal(SB.a[0].signature, "sni and subject");
    assert_string_equal(SB.a[0].category, "trojan-activity");
    assert_int_equal(SB.a[0].severity, 1);
    assert_string_equal(SB.a[0].check, "rule");
    assert_string_equal(SB.a[0].source, "t.rules:3");
    assert_string_equal(SB.a[0].evidence,
                        "matched tls.sni, tls.cert_subject (server certificate #0)");
    assert_string_equal(SB.a[0].role, "server");
    assert_int_equal(SB.a[0].chain_index, 0);
    assert_ptr_equal(SB.a[0].cert, &T.server_certs[0]);

    assert_int_equal(SB.a[1].sid, 2000002);
    assert_int_equal(SB.a[1].severity, 3); /* priority beats classtype */
    assert_int_equal(SB.a[2].severity, 3); /* misc-activity */
    assert_int_equal(SB.a[3].severity, 2); /* default */
    assert_string_equal(SB.a[3].category, "rule");
    assert_string_equal(SB.a[3].evidence, "matched tls.version");
    assert_string_equal(SB.a[3].role, "(null)");
    assert_int_equal(SB.a[3].chain_index, -1);
    assert_null(SB.a[3].cert);
    assert_int_equal(SB.a[4].sid, 2000006);
    assert_string_equal(SB.a[4].evidence, "rule header matched");
    assert_string_equal(SB.a[4].source, "t.rules:8");
    assert_int_equal(SB.a[5].sid, 2000007);
    srules_free(rs);
}

static void test_null_and_empty(void **state)
{
    struct srules *rs = srules_new();
    char err[64];

    (void)state;
    srules_free(NULL);
    assert_int_equal(srules_count(NULL), 0);
    srules_check(NULL, &T, NULL);
    srules_check(rs, NULL, NULL);
    assert_int_equal(srules_load(rs, "e", "", 0, err, sizeof err), PR_OK);
    assert_int_equal(srules_load(rs, "e", NULL, 0, err, sizeof err), PR_OK);
    assert_int_equal(srules_load(rs, "e", "# only\n\n   \n", 12, err, sizeof err), PR_OK);
    assert_int_equal(srules_count(rs), 0);
    {
        const char *r = "alert tls any any -> any any (sid:1;)"; /* no final newline */
        assert_int_equal(srules_load(rs, "e", r, strlen(r), err, sizeof err), PR_OK);
        assert_int_equal(srules_count(rs), 1);
    }
    srules_check(rs, &T, NULL); /* no sink */
    srules_free(rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_sni_and_modifiers, setup),
        cmocka_unit_test_setup(test_escapes, setup),
        cmocka_unit_test_setup(test_cert_subject_issuer, setup),
        cmocka_unit_test_setup(test_cert_serial_fingerprint, setup),
        cmocka_unit_test_setup(test_serial_forms, setup),
        cmocka_unit_test_setup(test_certs_and_san, setup),
        cmocka_unit_test_setup(test_version_and_ja, setup),
        cmocka_unit_test_setup(test_expired_valid_chain_len, setup),
        cmocka_unit_test_setup(test_legacy_value_keywords, setup),
        cmocka_unit_test_setup(test_flow_direction, setup),
        cmocka_unit_test_setup(test_addresses_and_vars, setup),
        cmocka_unit_test_setup(test_ports, setup),
        cmocka_unit_test_setup(test_ipv6, setup),
        cmocka_unit_test_setup(test_set_var_errors, setup),
        cmocka_unit_test_setup(test_syntax_errors, setup),
        cmocka_unit_test_setup(test_alert_fields, setup),
        cmocka_unit_test_setup(test_null_and_empty, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
