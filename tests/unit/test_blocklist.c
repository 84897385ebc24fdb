/* Unit tests for rules/blocklist.c.
 *
 * Sessions are built by hand: each certificate gets a fake cs_cert_info
 * whose digests are distinct byte patterns (the module only looks at the
 * digests). List texts are written here in each supported format. One
 * test also loads the abuse.ch SSLBL file of ../shared (when present) and
 * checks it lists the leaf certificate of ndpi-tls_malicious_sha1.pcapng,
 * SHA-1 0ddb34f8...dfeb6 (tshark: x509af.certificate fingerprint of the
 * capture's server Certificate). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "blocklist.h"

/* ---- alert capture ------------------------------------------------------ */

struct got {
    uint32_t sid, rev;
    uint8_t severity;
    char signature[256], category[32], check[64], role[16], evidence[1024], source[256];
    int chain_index;
    const struct cs_cert *cert;
};

struct sinkbuf {
    size_t n;
    struct got a[64];
};

static void cp(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s != NULL ? s : "(null)");
}

static void sink(void *ctx, const struct cs_alert *a)
{
    struct sinkbuf *sb = ctx;
    struct got *g;

    assert_true(sb->n < 64);
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

static void run(const struct blocklist *bl, const struct cs_tls *t, struct sinkbuf *sb)
{
    struct check_out o = {sink, sb};
    memset(sb, 0, sizeof *sb);
    blocklist_check(bl, t, &o);
}

static const struct got *find_check(const struct sinkbuf *sb, const char *check)
{
    size_t i;
    for (i = 0; i < sb->n; i++) {
        if (strcmp(sb->a[i].check, check) == 0)
            return &sb->a[i];
    }
    return NULL;
}

/* ---- fake sessions --------------------------------------------------------- */

static struct cs_cert_info infos[2][CS_CHAIN_MAX];
static const uint8_t der[] = {0x30, 0x03, 0x02, 0x01, 0x01};

static void fill_info(struct cs_cert_info *in, unsigned seed)
{
    size_t j;

    memset(in, 0, sizeof *in);
    for (j = 0; j < 20; j++)
        in->sha1[j] = (uint8_t)(seed * 7u + j + 1u);
    for (j = 0; j < 32; j++) {
        in->sha256[j] = (uint8_t)(seed * 11u + j * 3u + 2u);
        in->spki_sha256[j] = (uint8_t)(seed * 13u + j * 5u + 3u);
    }
    in->has_spki = true;
    in->parsed = true;
}

/* server chain of ns certificates (seeds 1..), client chain of nc (seeds 101..) */
static void make_tls(struct cs_tls *t, size_t ns, size_t nc)
{
    size_t i;

    memset(t, 0, sizeof *t);
    for (i = 0; i < ns; i++) {
        fill_info(&infos[0][i], (unsigned)(1 + i));
        t->server_certs[i].der = der;
        t->server_certs[i].der_len = sizeof der;
        t->server_certs[i].info = &infos[0][i];
    }
    t->server_cert_count = ns;
    for (i = 0; i < nc; i++) {
        fill_info(&infos[1][i], (unsigned)(101 + i));
        t->client_certs[i].der = der;
        t->client_certs[i].der_len = sizeof der;
        t->client_certs[i].info = &infos[1][i];
    }
    t->client_cert_count = nc;
    snprintf(t->ja3, sizeof t->ja3, "%s", "e7eca2baf4458d095b7f45da28c16c34");
    snprintf(t->ja4, sizeof t->ja4, "%s", "t13d1516h2_8daaf6152771_02713d6af862");
}

static void hexs(const uint8_t *p, size_t n, bool upper, bool colons, char *out)
{
    const char *hx = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    size_t i, k = 0;

    for (i = 0; i < n; i++) {
        if (colons && i != 0)
            out[k++] = ':';
        out[k++] = hx[p[i] >> 4];
        out[k++] = hx[p[i] & 15];
    }
    out[k] = '\0';
}

static struct blocklist *load_ok(const char *name, const char *text)
{
    struct blocklist *bl = blocklist_new();
    char err[256];
    enum pr_status st;

    assert_non_null(bl);
    st = blocklist_load(bl, name, text, strlen(text), err, sizeof err);
    if (st != PR_OK)
        print_error("unexpected error: %s\n", err);
    assert_int_equal(st, PR_OK);
    assert_string_equal(err, "");
    return bl;
}

static void load_err(const char *name, const char *text, enum pr_status want, const char *msg)
{
    struct blocklist *bl = blocklist_new();
    char err[256];
    enum pr_status st;

    assert_non_null(bl);
    st = blocklist_load(bl, name, text, strlen(text), err, sizeof err);
    assert_int_equal(st, want);
    assert_string_equal(err, msg);
    blocklist_free(bl);
}

/* ---- plain lists ---------------------------------------------------------- */

static void test_plain_every_kind(void **state)
{
    struct cs_tls t;
    struct sinkbuf sb;
    struct blocklist *bl;
    char text[4096], s1[128], s256[128], spki[128];
    const struct got *g;

    (void)state;
    make_tls(&t, 1, 0);
    hexs(infos[0][0].sha1, 20, false, false, s1);
    hexs(infos[0][0].sha256, 32, true, false, s256);
    hexs(infos[0][0].spki_sha256, 32, false, true, spki);
    snprintf(text, sizeof text,
             "# a comment\n"
             "\n"
             "   # indented comment\n"
             "%s evil sha1 label\n"                                /* line 4 */
             "sha256:%s\t# tabbed label, with a comma\n"           /* line 5 */
             "SPKI:%s pinned-bad-key\n"                            /* line 6 */
             "ja3:E7ECA2BAF4458D095B7F45DA28C16C34\n"              /* line 7 */
             "ja4:t13d1516h2_8DAAF6152771_02713d6af862 ja4 bad\n", /* line 8 */
             s1, s256, spki);
    bl = load_ok("lists/plain.txt", text);
    assert_int_equal(blocklist_count(bl), 5);
    run(bl, &t, &sb);
    assert_int_equal(sb.n, 5);

    g = find_check(&sb, "blocklist.cert_sha1");
    assert_non_null(g);
    assert_int_equal(g->sid, BLOCKLIST_SID_CERT_SHA1);
    assert_int_equal(g->severity, 1);
    assert_string_equal(g->category, "blocklist");
    assert_string_equal(g->role, "server");
    assert_int_equal(g->chain_index, 0);
    assert_ptr_equal(g->cert, &t.server_certs[0]);
    assert_string_equal(g->source, "lists/plain.txt:4");
    {
        char want[256];
        snprintf(want, sizeof want,
                 "server certificate #0 sha1 %s listed in lists/plain.txt:4 (evil sha1 label)", s1);
        assert_string_equal(g->evidence, want);
    }

    g = find_check(&sb, "blocklist.cert_sha256");
    assert_non_null(g);
    assert_int_equal(g->sid, BLOCKLIST_SID_CERT_SHA256);
    assert_string_equal(g->source, "lists/plain.txt:5");
    assert_non_null(strstr(g->evidence, "(tabbed label, with a comma)"));

    g = find_check(&sb, "blocklist.spki_sha256");
    assert_non_null(g);
    assert_int_equal(g->sid, BLOCKLIST_SID_SPKI_SHA256);
    assert_string_equal(g->source, "lists/plain.txt:6");
    assert_non_null(strstr(g->evidence, "server certificate #0 spki sha256 "));

    g = find_check(&sb, "blocklist.ja3");
    assert_non_null(g);
    assert_int_equal(g->sid, BLOCKLIST_SID_JA3);
    assert_null(g->cert);
    assert_int_equal(g->chain_index, -1);
    assert_string_equal(g->evidence, "client ja3 e7eca2baf4458d095b7f45da28c16c34 listed in "
                                     "lists/plain.txt:7");

    g = find_check(&sb, "blocklist.ja4");
    assert_non_null(g);
    assert_int_equal(g->sid, BLOCKLIST_SID_JA4);
    assert_string_equal(g->evidence, "client ja4 t13d1516h2_8daaf6152771_02713d6af862 listed in "
                                     "lists/plain.txt:8 (ja4 bad)");
    blocklist_free(bl);

    /* the same session against an empty list: nothing */
    bl = load_ok("empty", "# nothing\n");
    run(bl, &t, &sb);
    assert_int_equal(sb.n, 0);
    blocklist_free(bl);
}

/* Unprefixed 64 hex is a certificate SHA-256; only "spki:" makes it a key. */
static void test_plain_64hex_is_cert_sha256(void **state)
{
    struct cs_tls t;
    struct sinkbuf sb;
    struct blocklist *bl;
    char text[256], spki[128];

    (void)state;
    make_tls(&t, 1, 0);
    hexs(infos[0][0].spki_sha256, 32, false, false, spki);
    snprintf(text, sizeof text, "%s\n", spki);
    bl = load_ok("l", text);
    run(bl, &t, &sb);
    assert_int_equal(sb.n, 0);
    blocklist_free(bl);

    snprintf(text, sizeof text, "spki:%s\n", spki);
    bl = load_ok("l", text);
    run(bl, &t, &sb);
    assert_int_equal(sb.n, 1);
    assert_string_equal(sb.a[0].check, "blocklist.spki_sha256");
    /* a certificate without a located SPKI never matches an SPKI entry */
    infos[0][0].has_spki = false;
    run(bl, &t, &sb);
    assert_int_equal(sb.n, 0);
    blocklist_free(bl);

    /* unprefixed 40 hex: certificate SHA-1; 32 hex: JA3 */
    make_tls(&t, 1, 0);
    bl = load_ok("l", "e7eca2baf4458d095b7f45da28c16c34\n");
    run(bl, &t, &sb);
    assert_int_equal(sb.n, 1);
    assert_string_equal(sb.a[0].check, "blocklist.ja3");
    blocklist_free(bl);
}

static void test_colons_case_crlf_bom(void **state)
{
    struct cs_tls t;
    struct sinkbuf sb;
    struct blocklist *bl;
    char text[512], s1[128];

    (void)state;
    make_tls(&t, 1, 0);
    hexs(infos[0][0].sha1, 20, true, true, s1);
    snprintf(text, sizeof text, "\xef\xbb\xbf# list\r\n%s\r\n", s1);
    bl = load_ok("crlf", text);
    assert_int_equal(blocklist_count(bl), 1);
    run(bl, &t, &sb);
    assert_int_equal(sb.n, 1);
    assert_string_equal(sb.a[0].source, "crlf:2");
    /* the label never carries the CR */
    assert_null(strchr(sb.a[0].evidence, '\r'));
    blocklist_free(bl);
}

static void test_errors(void **state)
{
    (void)state;
    load_err("x.txt",
             "# c\n\n"
             "sha256:"
             "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1\n",
             PR_MALFORMED, "x.txt:3: invalid sha256 thumbprint (63 hex digits)");
    /* unprefixed: the nearest kind names the error */
    load_err("x.txt", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1\n",
             PR_MALFORMED, "x.txt:1: invalid sha256 thumbprint (63 hex digits)");
    load_err("x.txt", "000102030405060708090a0b0c0d0e0f1011121\n", PR_MALFORMED,
             "x.txt:1: invalid sha1 thumbprint (39 hex digits)");
    load_err("x.txt", "spki:0001\n", PR_MALFORMED,
             "x.txt:1: invalid spki sha256 digest (4 hex digits)");
    load_err("x.txt", "ja3:0001\n", PR_MALFORMED, "x.txt:1: invalid ja3 hash (4 hex digits)");
    load_err("x.txt", "md5:00112233445566778899aabbccddeeff\n", PR_MALFORMED,
             "x.txt:1: unknown prefix 'md5:' (expected sha1, sha256, spki, ja3 or ja4)");
    load_err("x.txt", "00112233445566778899aabbccddeeff0011223g\n", PR_MALFORMED,
             "x.txt:1: invalid hex digit 'g' in '00112233445566778899aabbccddeeff0011223g'");
    load_err("x.txt", "001:12233445566778899aabbccddeeff00112233\n", PR_MALFORMED,
             "x.txt:1: invalid colon grouping in '001:12233445566778899aabbccddeeff00112233'");
    load_err("x.txt", "ja4:t13d1516h2_8daaf6152771_02713d6af86\n", PR_MALFORMED,
             "x.txt:1: invalid ja4 fingerprint 't13d1516h2_8daaf6152771_02713d6af86'");
    /* lines before the bad one are loaded, the error names the bad one */
    {
        struct blocklist *bl = blocklist_new();
        char err[128];
        const char *text = "00112233445566778899aabbccddeeff00112233\nbogus\n";
        assert_int_equal(blocklist_load(bl, "y", text, strlen(text), err, sizeof err),
                         PR_MALFORMED);
        assert_string_equal(err, "y:2: invalid hex digit 'o' in 'bogus'");
        assert_int_equal(blocklist_count(bl), 1);
        /* err may be NULL */
        assert_int_equal(blocklist_load(bl, "y", text, strlen(text), NULL, 0), PR_MALFORMED);
        blocklist_free(bl);
    }
}

static void test_duplicates(void **state)
{
    struct cs_tls t;
    struct sinkbuf sb;
    struct blocklist *bl;
    char text[512], a[128], b[128];

    (void)state;
    make_tls(&t, 1, 0);
    hexs(infos[0][0].sha1, 20, false, false, a);
    hexs(infos[0][0].sha1, 20, true, true, b);
    snprintf(text, sizeof text, "%s first\n%s second\nsha1:%s third\n", a, b, a);
    bl = load_ok("dup", text);
    assert_int_equal(blocklist_count(bl), 1);
    assert_int_equal(blocklist_duplicates(bl), 2);
    run(bl, &t, &sb);
    assert_int_equal(sb.n, 1);
    assert_string_equal(sb.a[0].source, "dup:1");
    assert_non_null(strstr(sb.a[0].evidence, "(first)"));
    /* a second load of the same indicator: still one alert, from the first */
    assert_int_equal(blocklist_load(bl, "dup2", text, strlen(text), NULL, 0), PR_OK);
    assert_int_equal(blocklist_count(bl), 1);
    run(bl, &t, &sb);
    assert_int_equal(sb.n, 1);
    assert_string_equal(sb.a[0].source, "dup:1");
    blocklist_free(bl);
}

/* Every position of both chains, each digest kind. */
static void test_every_chain_position(void **state)
{
    struct cs_tls t;
    struct sinkbuf sb;
    struct blocklist *bl;
    char text[8192], h[128];
    size_t k = 0, i, nexp = 0;

    (void)state;
    make_tls(&t, CS_CHAIN_MAX, 4);
    t.ja3[0] = '\0';
    t.ja4[0] = '\0';
    for (i = 0; i < CS_CHAIN_MAX; i++) {
        /* rotate the digest kind with the position */
        if (i % 3 == 0)
            hexs(infos[0][i].sha1, 20, false, false, h);
        else if (i % 3 == 1)
            hexs(infos[0][i].sha256, 32, false, false, h);
        else
            hexs(infos[0][i].spki_sha256, 32, false, false, h);
        k += (size_t)snprintf(text + k, sizeof text - k, "%s%s s%zu\n", i % 3 == 2 ? "spki:" : "",
                              h, i);
        nexp++;
    }
    for (i = 0; i < 4; i++) {
        hexs(i % 2 == 0 ? infos[1][i].sha256 : infos[1][i].spki_sha256, 32, false, false, h);
        k += (size_t)snprintf(text + k, sizeof text - k, "%s%s c%zu\n", i % 2 ? "spki:" : "", h, i);
        nexp++;
    }
    bl = load_ok("chain", text);
    run(bl, &t, &sb);
    assert_int_equal(sb.n, nexp);
    for (i = 0; i < CS_CHAIN_MAX; i++) {
        const struct got *g = &sb.a[i];
        assert_string_equal(g->role, "server");
        assert_int_equal(g->chain_index, (int)i);
        assert_ptr_equal(g->cert, &t.server_certs[i]);
        assert_string_equal(g->check, i % 3 == 0   ? "blocklist.cert_sha1"
                                      : i % 3 == 1 ? "blocklist.cert_sha256"
                                                   : "blocklist.spki_sha256");
    }
    for (i = 0; i < 4; i++) {
        const struct got *g = &sb.a[CS_CHAIN_MAX + i];
        char want[32];
        assert_string_equal(g->role, "client");
        assert_int_equal(g->chain_index, (int)i);
        assert_ptr_equal(g->cert, &t.client_certs[i]);
        snprintf(want, sizeof want, "client certificate #%zu ", i);
        assert_memory_equal(g->evidence, want, strlen(want));
    }
    /* a certificate without analysis is skipped, the others still match */
    t.server_certs[1].info = NULL;
    run(bl, &t, &sb);
    assert_int_equal(sb.n, nexp - 1);
    blocklist_free(bl);
}

/* ---- SSLBL CSV -------------------------------------------------------------- */

static void test_sslbl_sha1_csv(void **state)
{
    struct cs_tls t;
    struct sinkbuf sb;
    struct blocklist *bl;
    char text[2048], up[128], lo[128];

    (void)state;
    make_tls(&t, 2, 0);
    hexs(infos[0][0].sha1, 20, true, false, up);
    hexs(infos[0][1].sha1, 20, false, false, lo);
    snprintf(text, sizeof text,
             "################################\n"
             "# abuse.ch SSLBL (format sample) #\n"
             "################################\n"
             "#\n"
             "# Listingdate,SHA1,Listingreason\n"
             "1970-01-01 00:00:00,%s, Fake\n"        /* line 6 */
             "2022-07-02 07:02:11,%s,AsyncRAT C&C\n" /* line 7 */
             "2022-07-01 18:28:10,a0d78b3ddb27cd4f110a0292cab800beadaf9bd2,AsyncRAT C&C\n",
             up, lo);
    bl = load_ok("sslbl.csv", text);
    assert_int_equal(blocklist_count(bl), 3);
    run(bl, &t, &sb);
    assert_int_equal(sb.n, 2);
    assert_string_equal(sb.a[0].source, "sslbl.csv:6");
    assert_non_null(strstr(sb.a[0].evidence, "listed in sslbl.csv:6 (Fake)"));
    assert_string_equal(sb.a[1].source, "sslbl.csv:7");
    assert_non_null(strstr(sb.a[1].evidence, "(AsyncRAT C&C)"));
    blocklist_free(bl);

    /* the SHA1 column must be a SHA-1 */
    load_err("sslbl.csv",
             "# Listingdate,SHA1,Listingreason\n"
             "2022-07-02 07:02:11,3784422d67a6ae0c82d60eeaf3850960a9896c,x\n",
             PR_MALFORMED, "sslbl.csv:2: invalid sha1 thumbprint (38 hex digits)");
    /* under the SSLBL header the column is a SHA-1 even when 64 hex would
     * otherwise be a SHA-256 */
    load_err("sslbl.csv",
             "# Listingdate,SHA1,Listingreason\n"
             "2022-07-02 07:02:11,"
             "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f,x\n",
             PR_MALFORMED, "sslbl.csv:2: invalid sha1 thumbprint (64 hex digits)");
    /* without the header, a CSV line's first hex field is the indicator and
     * its last field the label */
    {
        struct blocklist *g = load_ok(
            "any.csv", "2022-07-02,"
                       "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f,x\n"
                       "00112233445566778899aabbccddeeff00112233,label two\n");
        assert_int_equal(blocklist_count(g), 2);
        make_tls(&t, 1, 0);
        memcpy(infos[0][0].sha1,
               "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff\x00\x11\x22\x33",
               20);
        run(g, &t, &sb);
        assert_int_equal(sb.n, 1);
        assert_string_equal(sb.a[0].evidence,
                            "server certificate #0 sha1 00112233445566778899aabbccddeeff00112233 "
                            "listed in any.csv:2 (label two)");
        blocklist_free(g);
    }
}

static void test_sslbl_ja3_csv(void **state)
{
    struct cs_tls t;
    struct sinkbuf sb;
    struct blocklist *bl;

    (void)state;
    make_tls(&t, 0, 0);
    bl = load_ok("ja3.csv", "# ja3_md5,Firstseen,Lastseen,Listingreason\n"
                            "b386946a5a44d1ddcc843bc75336dfce,2017-07-14 18:08:15,2019-07-27 "
                            "20:42:54,Dridex\n"
                            "e7eca2baf4458d095b7f45da28c16c34,2017-07-14 19:12:17,2019-07-27 "
                            "20:42:54,Tofsee\n");
    assert_int_equal(blocklist_count(bl), 2);
    run(bl, &t, &sb);
    assert_int_equal(sb.n, 1);
    assert_string_equal(sb.a[0].check, "blocklist.ja3");
    assert_string_equal(sb.a[0].evidence, "client ja3 e7eca2baf4458d095b7f45da28c16c34 listed in "
                                          "ja3.csv:3 (Tofsee)");
    blocklist_free(bl);
    load_err("ja3.csv", "# ja3_md5,Firstseen,Lastseen,Listingreason\nnot-a-hash,a,b,c\n",
             PR_MALFORMED, "ja3.csv:2: invalid hex digit 'n' in 'not-a-hash'");
    load_err("ja3.csv",
             "# ja3_md5,Firstseen,Lastseen,Listingreason\n"
             "00112233445566778899aabbccddeeff00112233,2017-07-14 18:08:15,2019-07-27,x\n",
             PR_MALFORMED, "ja3.csv:2: invalid ja3 hash (40 hex digits)");
}

/* The real abuse.ch file from ../shared, when it is there. */
static void test_sslbl_real_file(void **state)
{
    const char *shared = getenv("CS_SHARED");
    char path[512], err[256];
    FILE *f;
    char *buf;
    long sz;
    struct blocklist *bl;
    struct cs_tls t;
    struct sinkbuf sb;
    static const uint8_t leaf[20] = {0x0d, 0xdb, 0x34, 0xf8, 0x75, 0x63, 0x2c, 0x7e, 0x1e, 0xc0,
                                     0x9d, 0x75, 0x82, 0x7f, 0x82, 0xd2, 0x33, 0x6d, 0xfe, 0xb6};

    (void)state;
    snprintf(path, sizeof path, "%s/pcaps/blocklists/ndpi-sha1_fingerprints.csv",
             shared != NULL ? shared : "../shared");
    f = fopen(path, "rb");
    if (f == NULL)
        skip();
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    sz = ftell(f);
    assert_true(sz > 0);
    rewind(f);
    buf = malloc((size_t)sz);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)sz, f), (size_t)sz);
    fclose(f);
    bl = blocklist_new();
    assert_int_equal(blocklist_load(bl, "sslbl.csv", buf, (size_t)sz, err, sizeof err), PR_OK);
    assert_true(blocklist_count(bl) > 4000);
    make_tls(&t, 1, 0);
    memcpy(infos[0][0].sha1, leaf, sizeof leaf);
    run(bl, &t, &sb);
    assert_int_equal(sb.n, 1);
    assert_string_equal(sb.a[0].source, "sslbl.csv:11");
    assert_string_equal(sb.a[0].evidence,
                        "server certificate #0 sha1 0ddb34f875632c7e1ec09d75827f82d2336dfeb6 "
                        "listed in sslbl.csv:11 (Fake)");
    blocklist_free(bl);
    free(buf);
}

/* ---- Zeek Intel ------------------------------------------------------------ */

static void test_zeek_intel(void **state)
{
    struct cs_tls t;
    struct sinkbuf sb;
    struct blocklist *bl;
    char text[2048], s1[128], s256[128];

    (void)state;
    make_tls(&t, 2, 0);
    hexs(infos[0][0].sha1, 20, false, false, s1);
    hexs(infos[0][1].sha256, 32, false, false, s256);
    snprintf(text, sizeof text,
             "#separator \\x09\n"
             "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n"
             "evil.example.com\tIntel::DOMAIN\tfeed-a\tdomain\n"
             "%s\tIntel::CERT_HASH\tfeed-a\t-\n"        /* line 4 */
             "%s\tIntel::CERT_HASH\tfeed-b\tbad root\n" /* line 5 */
             "10.0.0.1\tIntel::ADDR\tfeed-a\t-\n",
             s1, s256);
    bl = load_ok("intel.dat", text);
    assert_int_equal(blocklist_count(bl), 2);
    assert_int_equal(blocklist_skipped(bl), 2);
    run(bl, &t, &sb);
    assert_int_equal(sb.n, 2);
    assert_string_equal(sb.a[0].check, "blocklist.cert_sha1");
    assert_non_null(strstr(sb.a[0].evidence, "listed in intel.dat:4 (feed-a)"));
    assert_string_equal(sb.a[1].check, "blocklist.cert_sha256");
    assert_int_equal(sb.a[1].chain_index, 1);
    assert_non_null(strstr(sb.a[1].evidence, "listed in intel.dat:5 (bad root)"));
    blocklist_free(bl);

    load_err("intel.dat",
             "#fields\tindicator\tindicator_type\tmeta.source\n"
             "0011223344556677889900112233445566778899aa\tIntel::CERT_HASH\tx\n",
             PR_MALFORMED, "intel.dat:2: invalid sha1 thumbprint (42 hex digits)");
    load_err("intel.dat", "#fields\tindicator\tmeta.source\n", PR_MALFORMED,
             "intel.dat:1: Zeek Intel header without indicator and indicator_type fields");
    load_err("intel.dat",
             "#fields\tindicator\tindicator_type\tmeta.source\n"
             "0011223344556677889900112233445566778899\n",
             PR_MALFORMED, "intel.dat:2: expected at least 2 tab-separated fields, found 1");
}

/* ---- Suricata rules as entries ------------------------------------------ */

static void test_suricata_rules(void **state)
{
    struct cs_tls t;
    struct sinkbuf sb;
    struct blocklist *bl;
    char text[4096], fp0[128], fp1[128];
    const struct got *g;

    (void)state;
    make_tls(&t, 2, 1);
    hexs(infos[0][0].sha1, 20, false, true, fp0);
    hexs(infos[1][0].sha1, 20, false, true, fp1);
    snprintf(text, sizeof text,
             "# SSLBL-style rules\n"
             "alert tls $EXTERNAL_NET any -> $HOME_NET any (msg:\"SSLBL: Malicious SSL "
             "certificate detected (Test C&C)\"; tls.fingerprint:\"%s\"; "
             "reference:url, sslbl.abuse.ch; sid:902200001; rev:2;)\n" /* line 2 */
             "alert tls any any -> any any (msg:\"client cert\"; \\\n"
             "  tls_cert_fingerprint; content:\"%s\"; sid:902200002;)\n" /* line 3-4 */
             "alert tls $HOME_NET any -> $EXTERNAL_NET any (msg:\"SSLBL: Malicious JA3 "
             "SSL-Client Fingerprint detected (Tofsee)\"; ja3_hash; "
             "content:\"e7eca2baf4458d095b7f45da28c16c34\"; sid:906200056; rev:1;)\n" /* 5 */
             "alert tls any any -> any any (msg:\"ja4 rule\"; ja4.hash; "
             "content:\"t13d1516h2_8daaf6152771_02713d6af862\"; sid:1000001; rev:3;)\n",
             fp0, fp1);
    bl = load_ok("sslbl.rules", text);
    assert_int_equal(blocklist_count(bl), 4);
    run(bl, &t, &sb);
    assert_int_equal(sb.n, 4);

    g = &sb.a[0];
    assert_string_equal(g->check, "blocklist.cert_sha1");
    assert_int_equal(g->sid, 902200001);
    assert_int_equal(g->rev, 2);
    assert_string_equal(g->signature, "SSLBL: Malicious SSL certificate detected (Test C&C)");
    assert_string_equal(g->source, "sslbl.rules:2");
    assert_string_equal(g->role, "server");

    /* the fingerprint keyword names no chain: a blocklist entry matches both */
    g = &sb.a[1];
    assert_int_equal(g->sid, 902200002);
    assert_int_equal(g->rev, 0);
    assert_string_equal(g->role, "client");
    assert_string_equal(g->source, "sslbl.rules:3");

    g = &sb.a[2];
    assert_string_equal(g->check, "blocklist.ja3");
    assert_int_equal(g->sid, 906200056);
    assert_string_equal(g->signature,
                        "SSLBL: Malicious JA3 SSL-Client Fingerprint detected (Tofsee)");

    g = &sb.a[3];
    assert_string_equal(g->check, "blocklist.ja4");
    assert_int_equal(g->sid, 1000001);
    assert_int_equal(g->rev, 3);
    blocklist_free(bl);

    /* a rule that is more than an indicator */
    load_err("r.rules",
             "alert tls any any -> any any (msg:\"x\"; tls.sni; content:\"a\"; "
             "ja3.hash; content:\"e7eca2baf4458d095b7f45da28c16c34\"; sid:5;)\n",
             PR_UNSUPPORTED,
             "r.rules:1: rule sid 5 is not a single indicator (a blocklist takes rules whose only "
             "condition is one certificate fingerprint, ja3.hash or ja4.hash content)");
    /* a negated fingerprint is not an entry */
    load_err("r.rules", "\nalert tls any any -> any any (tls.fingerprint:!\"00:11\"; sid:6;)\n",
             PR_UNSUPPORTED,
             "r.rules:2: rule sid 6 is not a single indicator (a blocklist takes rules whose only "
             "condition is one certificate fingerprint, ja3.hash or ja4.hash content)");
    /* a partial fingerprint */
    load_err("r.rules", "alert tls any any -> any any (tls.fingerprint:\"00:11\"; sid:7;)\n",
             PR_MALFORMED, "r.rules:1: invalid sha1 thumbprint (4 hex digits)");
    /* rule syntax errors come from the rule parser, with the line */
    load_err("r.rules", "# x\nalert tls any any -> any any (msg:\"x; sid:7;)\n", PR_MALFORMED,
             "r.rules:2: unterminated quote in 'msg'");
}

/* ---- scale ------------------------------------------------------------------ */

static uint64_t xs(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_million_entries(void **state)
{
    const size_t n = 1000000, line = 65;
    char *text = malloc(n * line + 1);
    uint64_t seed = UINT64_C(0x9e3779b97f4a7c15);
    size_t i, j;
    struct blocklist *bl = blocklist_new();
    struct timespec a, b;
    struct cs_tls t;
    struct sinkbuf sb;
    char err[128];

    (void)state;
    assert_non_null(text);
    assert_non_null(bl);
    make_tls(&t, 1, 0);
    for (i = 0; i < n; i++) {
        uint8_t d[32];
        for (j = 0; j < 32; j += 8) {
            uint64_t v = xs(&seed);
            memcpy(d + j, &v, 8);
        }
        if (i == 777777)
            memcpy(d, infos[0][0].sha256, 32);
        hexs(d, 32, false, false, text + i * line);
        text[i * line + 64] = '\n';
    }
    text[n * line] = '\0';
    clock_gettime(CLOCK_MONOTONIC, &a);
    assert_int_equal(blocklist_load(bl, "big.txt", text, n * line, err, sizeof err), PR_OK);
    clock_gettime(CLOCK_MONOTONIC, &b);
    print_message("      1,000,000 sha256 entries loaded in %.3f s\n",
                  (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
    assert_int_equal(blocklist_count(bl) + blocklist_duplicates(bl), n);
    assert_int_equal(blocklist_duplicates(bl), 0);
    run(bl, &t, &sb);
    assert_int_equal(sb.n, 1);
    assert_string_equal(sb.a[0].source, "big.txt:777778");
    blocklist_free(bl);
    free(text);
}

static void test_null_and_empty(void **state)
{
    struct cs_tls t;
    struct blocklist *bl = blocklist_new();
    struct sinkbuf sb;
    char err[64];

    (void)state;
    blocklist_free(NULL);
    assert_int_equal(blocklist_count(NULL), 0);
    make_tls(&t, 1, 0);
    blocklist_check(NULL, &t, NULL);
    blocklist_check(bl, NULL, NULL);
    blocklist_check(bl, &t, NULL); /* no sink */
    assert_int_equal(blocklist_load(bl, "e", "", 0, err, sizeof err), PR_OK);
    assert_int_equal(blocklist_load(bl, "e", NULL, 0, err, sizeof err), PR_OK);
    assert_int_equal(blocklist_load(NULL, "e", "x", 1, err, sizeof err), PR_MALFORMED);
    run(bl, &t, &sb);
    assert_int_equal(sb.n, 0);
    blocklist_free(bl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_every_kind),
        cmocka_unit_test(test_plain_64hex_is_cert_sha256),
        cmocka_unit_test(test_colons_case_crlf_bom),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_every_chain_position),
        cmocka_unit_test(test_sslbl_sha1_csv),
        cmocka_unit_test(test_sslbl_ja3_csv),
        cmocka_unit_test(test_sslbl_real_file),
        cmocka_unit_test(test_zeek_intel),
        cmocka_unit_test(test_suricata_rules),
        cmocka_unit_test(test_million_entries),
        cmocka_unit_test(test_null_and_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
