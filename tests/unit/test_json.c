/* Unit tests for sensor/json.c (the JSON writer) and cs_event_to_json /
 * cs_endpoint_str (sensor/event_json.c).
 *
 * Small cases compare exact strings. Larger ones go through a strict JSON
 * checker written here (RFC 8259 grammar, raw bytes must be valid UTF-8,
 * no raw control characters) that also decodes strings, so escaping can be
 * checked by round trip. Truncated renderings use exactly sized heap
 * buffers: a write past `cap` is an AddressSanitizer error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "certsensor.h"
#include "json.h"

/* ---- a strict JSON checker ------------------------------------------------- */

struct jp {
    const unsigned char *p, *end;
    bool ok;
    /* the last string decoded (UTF-8), for round trips */
    unsigned char str[8192];
    size_t strn;
};

static void jp_ws(struct jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static bool jp_fail(struct jp *j)
{
    j->ok = false;
    return false;
}

/* one UTF-8 sequence per RFC 3629 section 4 table, independent of json.c */
static size_t utf8_ok(const unsigned char *p, size_t n)
{
    if (n == 0)
        return 0;
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    size_t need;
    unsigned lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        need = 2;
    else if (c == 0xe0)
        need = 3, lo = 0xa0;
    else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef)
        need = 3;
    else if (c == 0xed)
        need = 3, hi = 0x9f;
    else if (c == 0xf0)
        need = 4, lo = 0x90;
    else if (c >= 0xf1 && c <= 0xf3)
        need = 4;
    else if (c == 0xf4)
        need = 4, hi = 0x8f;
    else
        return 0;
    if (n < need || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return need;
}

static void put_utf8(struct jp *j, unsigned cp)
{
    unsigned char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xc0 | cp >> 6);
        b[1] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 2;
    } else {
        b[0] = (unsigned char)(0xe0 | cp >> 12);
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (unsigned char)(0x80 | (cp & 0x3f));
        n = 3;
    }
    if (j->strn + n <= sizeof j->str) {
        memcpy(j->str + j->strn, b, n);
        j->strn += n;
    }
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool jp_string(struct jp *j)
{
    j->strn = 0;
    if (j->p >= j->end || *j->p != '"')
        return jp_fail(j);
    j->p++;
    while (j->p < j->end) {
        unsigned char c = *j->p;
        if (c == '"') {
            j->p++;
            return true;
        }
        if (c < 0x20)
            return jp_fail(j); /* raw control byte */
        if (c == '\\') {
            if (j->end - j->p < 2)
                return jp_fail(j);
            unsigned char e = j->p[1];
            j->p += 2;
            const char *simple = "\"\\/bfnrt";
            const char *map = "\"\\/\b\f\n\r\t";
            const char *s = e ? strchr(simple, e) : NULL;
            if (s != NULL) {
                put_utf8(j, (unsigned char)map[s - simple]);
                continue;
            }
            if (e != 'u' || j->end - j->p < 4)
                return jp_fail(j);
            unsigned cp = 0;
            for (int i = 0; i < 4; i++) {
                int v = hexval(j->p[i]);
                if (v < 0)
                    return jp_fail(j);
                cp = cp << 4 | (unsigned)v;
            }
            j->p += 4;
            if (cp >= 0xd800 && cp <= 0xdfff)
                return jp_fail(j); /* the writer never needs surrogates */
            put_utf8(j, cp);
            continue;
        }
        size_t u = utf8_ok(j->p, (size_t)(j->end - j->p));
        if (u == 0)
            return jp_fail(j);
        if (j->strn + u <= sizeof j->str) {
            memcpy(j->str + j->strn, j->p, u);
            j->strn += u;
        }
        j->p += u;
    }
    return jp_fail(j);
}

static bool jp_number(struct jp *j)
{
    const unsigned char *s = j->p;
    if (j->p < j->end && *j->p == '-')
        j->p++;
    if (j->p >= j->end)
        return jp_fail(j);
    if (*j->p == '0') {
        j->p++;
    } else if (*j->p >= '1' && *j->p <= '9') {
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    } else {
        return jp_fail(j);
    }
    return j->p > s;
}

static bool jp_value(struct jp *j, int depth);

static bool jp_lit(struct jp *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
        return jp_fail(j);
    j->p += n;
    return true;
}

static bool jp_value(struct jp *j, int depth)
{
    if (depth > 64)
        return jp_fail(j);
    jp_ws(j);
    if (j->p >= j->end)
        return jp_fail(j);
    unsigned char c = *j->p;
    if (c == '{' || c == '[') {
        unsigned char close = c == '{' ? '}' : ']';
        j->p++;
        jp_ws(j);
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return true;
        }
        for (;;) {
            if (c == '{') {
                jp_ws(j);
                if (!jp_string(j))
                    return false;
                jp_ws(j);
                if (j->p >= j->end || *j->p != ':')
                    return jp_fail(j);
                j->p++;
            }
            if (!jp_value(j, depth + 1))
                return false;
            jp_ws(j);
            if (j->p >= j->end)
                return jp_fail(j);
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p == close) {
                j->p++;
                return true;
            }
            return jp_fail(j);
        }
    }
    if (c == '"')
        return jp_string(j);
    if (c == 't')
        return jp_lit(j, "true");
    if (c == 'f')
        return jp_lit(j, "false");
    if (c == 'n')
        return jp_lit(j, "null");
    return jp_number(j);
}

/* s[0..n) is exactly one JSON value */
static bool json_valid(const char *s, size_t n)
{
    static struct jp j;
    j.p = (const unsigned char *)s;
    j.end = j.p + n;
    j.ok = true;
    if (!jp_value(&j, 0))
        return false;
    jp_ws(&j);
    return j.ok && j.p == j.end;
}

/* decode the JSON string literal s[0..n) into out */
static size_t json_unquote(const char *s, size_t n, unsigned char *out, size_t cap)
{
    static struct jp j;
    j.p = (const unsigned char *)s;
    j.end = j.p + n;
    j.ok = true;
    assert_true(jp_string(&j));
    assert_true(j.p == j.end);
    assert_true(j.strn <= cap);
    memcpy(out, j.str, j.strn);
    return j.strn;
}

static bool jv(const char *s)
{
    return json_valid(s, strlen(s));
}

static void test_checker_itself(void **state)
{
    (void)state;
    assert_true(jv("{\"a\":[1,-2,true,false,null,\"x\"],\"b\":{}}"));
    assert_false(jv("{\"a\":1,}"));
    assert_false(jv("{\"a\" 1}"));
    assert_false(jv("\"\x01\""));
    assert_false(jv("\"\xff\""));
    assert_false(jv("\"\xed\xa0\x80\""));
    assert_false(jv("[1] [2]"));
    assert_false(jv("\"\\x41\""));
    assert_true(jv("\"\xf0\x9f\x98\x80\""));
}

/* ---- writer: exact output ------------------------------------------------------ */

static size_t render_str(const char *v, size_t n, char *out, size_t cap)
{
    struct jw w;
    jw_init(&w, out, cap);
    jw_strn(&w, NULL, v, n);
    return jw_finish(&w);
}

static void expect_str(const char *v, size_t n, const char *want)
{
    char out[1024];
    size_t len = render_str(v, n, out, sizeof out);
    assert_int_equal(len, strlen(want));
    assert_string_equal(out, want);
    assert_true(json_valid(out, len));
}

static void test_escaping(void **state)
{
    (void)state;
    expect_str("plain", 5, "\"plain\"");
    expect_str("", 0, "\"\"");
    expect_str("a\"b\\c/", 6, "\"a\\\"b\\\\c/\"");
    expect_str("\n\r\t\b\f", 5, "\"\\u000a\\u000d\\u0009\\u0008\\u000c\"");
    expect_str("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
    expect_str("a\0b", 3, "\"a\\u0000b\""); /* NUL inside jw_strn */
    expect_str("\0", 1, "\"\\u0000\"");
    expect_str(" ~", 2, "\" ~\""); /* printable ASCII bounds */
    /* invalid UTF-8: each offending byte becomes \u00XX of itself */
    expect_str("\xff", 1, "\"\\u00ff\"");
    expect_str("\x80", 1, "\"\\u0080\"");            /* lone continuation */
    expect_str("\xc0\xaf", 2, "\"\\u00c0\\u00af\""); /* overlong '/' */
    expect_str("\xc1\xbf", 2, "\"\\u00c1\\u00bf\"");
    expect_str("\xe0\x80\xaf", 3, "\"\\u00e0\\u0080\\u00af\"");            /* overlong, 3 bytes */
    expect_str("\xed\xa0\x80", 3, "\"\\u00ed\\u00a0\\u0080\"");            /* surrogate D800 */
    expect_str("\xf4\x90\x80\x80", 4, "\"\\u00f4\\u0090\\u0080\\u0080\""); /* > U+10FFFF */
    expect_str("\xf0\x8f\xbf\xbf", 4, "\"\\u00f0\\u008f\\u00bf\\u00bf\""); /* overlong 4 */
    expect_str("\xf5\x80\x80\x80", 4, "\"\\u00f5\\u0080\\u0080\\u0080\"");
    expect_str("\xc3(", 2, "\"\\u00c3(\"");            /* bad continuation */
    expect_str("x\xe2\x82", 3, "\"x\\u00e2\\u0082\""); /* cut at the end */
    /* valid multi-byte UTF-8 passes unchanged */
    expect_str("\xc2\x80", 2, "\"\xc2\x80\"");                 /* U+0080 */
    expect_str("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"");           /* é */
    expect_str("\xe2\x82\xac", 3, "\"\xe2\x82\xac\"");         /* € */
    expect_str("\xef\xbf\xbf", 3, "\"\xef\xbf\xbf\"");         /* U+FFFF */
    expect_str("\xed\x9f\xbf", 3, "\"\xed\x9f\xbf\"");         /* U+D7FF */
    expect_str("\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\""); /* U+1F600 */
    expect_str("\xf4\x8f\xbf\xbf", 4, "\"\xf4\x8f\xbf\xbf\""); /* U+10FFFF */
    /* a valid sequence right after an invalid byte is kept */
    expect_str("\xff\xc3\xa9", 3, "\"\\u00ff\xc3\xa9\"");
}

static void test_document_shape(void **state)
{
    (void)state;
    char out[512];
    struct jw w;
    jw_init(&w, out, sizeof out);
    jw_obj_open(&w, NULL);
    jw_str(&w, "k\"ey", "v");
    jw_str(&w, "nul", NULL);
    jw_u64(&w, "max", UINT64_MAX);
    jw_i64(&w, "min", INT64_MIN);
    jw_i64(&w, "zero", 0);
    jw_bool(&w, "t", true);
    jw_bool(&w, "f", false);
    jw_null(&w, "n");
    const uint8_t hx[3] = {0x00, 0xab, 0xff};
    jw_hex(&w, "hex", hx, 3);
    jw_hex(&w, "nohex", hx, 0);
    jw_arr_open(&w, "arr");
    jw_u64(&w, NULL, 1);
    jw_obj_open(&w, NULL);
    jw_obj_close(&w);
    jw_arr_open(&w, NULL);
    jw_arr_close(&w);
    jw_str(&w, NULL, "s");
    jw_arr_close(&w);
    jw_obj_open(&w, "o");
    jw_u64(&w, "a", 2);
    jw_obj_close(&w);
    jw_obj_close(&w);
    size_t len = jw_finish(&w);
    const char *want = "{\"k\\\"ey\":\"v\",\"nul\":null,\"max\":18446744073709551615,"
                       "\"min\":-9223372036854775808,\"zero\":0,\"t\":true,\"f\":false,"
                       "\"n\":null,\"hex\":\"00abff\",\"nohex\":\"\",\"arr\":[1,{},[],\"s\"],"
                       "\"o\":{\"a\":2}}";
    assert_string_equal(out, want);
    assert_int_equal(len, strlen(want));
    assert_true(json_valid(out, len));
}

/* render the same document into a buffer of `cap` bytes */
static size_t render_doc(char *buf, size_t cap)
{
    struct jw w;
    jw_init(&w, buf, cap);
    jw_obj_open(&w, NULL);
    jw_str(&w, "a", "hello \"world\"\n");
    jw_strn(&w, "b", "\xff\x00\xe2\x82\xac", 5);
    jw_arr_open(&w, "c");
    for (int i = 0; i < 5; i++)
        jw_i64(&w, NULL, -i * 1000);
    jw_arr_close(&w);
    jw_bool(&w, "d", true);
    jw_obj_close(&w);
    return jw_finish(&w);
}

static void test_snprintf_semantics(void **state)
{
    (void)state;
    char full[256];
    size_t L = render_doc(full, sizeof full);
    assert_true(L < sizeof full);
    assert_int_equal(strlen(full), L);
    assert_true(json_valid(full, L));
    for (size_t cap = 0; cap <= L + 2; cap++) {
        char *b = cap ? malloc(cap) : NULL;
        if (cap)
            memset(b, 'Z', cap);
        size_t n = render_doc(b, cap);
        assert_int_equal(n, L);
        if (cap > 0) {
            size_t keep = L < cap ? L : cap - 1;
            assert_int_equal(b[keep], '\0');
            assert_memory_equal(b, full, keep);
        }
        free(b);
    }
    /* the same through cs_event_to_json */
    struct cs_anomaly an = {3, 1000000, "tls.record_malformed", "type 99 at offset 0"};
    struct cs_event ev = {.type = CS_EVENT_ANOMALY, .u.anomaly = &an};
    size_t need = cs_event_to_json(&ev, NULL, 0);
    assert_true(need > 0);
    char *big = malloc(need + 1);
    assert_int_equal(cs_event_to_json(&ev, big, need + 1), need);
    assert_int_equal(strlen(big), need);
    assert_true(json_valid(big, need));
    for (size_t cap = 1; cap <= need; cap++) {
        char *b = malloc(cap);
        assert_int_equal(cs_event_to_json(&ev, b, cap), need);
        assert_int_equal(strlen(b), cap - 1);
        assert_memory_equal(b, big, cap - 1);
        free(b);
    }
    assert_string_equal(big, "{\"timestamp\":\"1970-01-01T00:00:01.000000+0000\",\"flow_id\":3,"
                             "\"event_type\":\"anomaly\",\"anomaly\":{\"type\":"
                             "\"tls.record_malformed\",\"detail\":\"type 99 at offset 0\"}}");
    free(big);
}

/* random bytes: always valid JSON; valid UTF-8 round-trips exactly */
static void test_random_strings(void **state)
{
    (void)state;
    uint32_t r = 2463534242u;
    static char out[8 * 300 + 16];
    unsigned char in[300], back[2048];
    for (int round = 0; round < 3000; round++) {
        size_t n = (size_t)(round % 300);
        bool ascii_utf8 = round % 3 == 0;
        for (size_t i = 0; i < n; i++) {
            r ^= r << 13;
            r ^= r >> 17;
            r ^= r << 5;
            in[i] = (unsigned char)(ascii_utf8 ? r % 0x80 : r);
        }
        if (ascii_utf8 && n >= 4) /* sprinkle valid multi-byte characters */
            memcpy(in + n / 2 - 2, "\xe2\x82\xac", 3);
        size_t len = render_str((const char *)in, n, out, sizeof out);
        assert_true(len < sizeof out);
        if (!json_valid(out, len))
            fail_msg("round %d: invalid JSON: %s", round, out);
        size_t bn = json_unquote(out, len, back, sizeof back);
        if (ascii_utf8) {
            assert_int_equal(bn, n);
            assert_memory_equal(back, in, n);
        }
        /* every input byte is represented: at least one output byte each */
        assert_true(len >= n + 2);
    }
}

/* ---- events ------------------------------------------------------------------------- */

static void endpoint(const uint8_t *addr, uint8_t family, const char *want)
{
    struct cs_endpoint ep = {0};
    ep.family = family;
    memcpy(ep.addr, addr, family == 4 ? 4 : 16);
    char out[64];
    cs_endpoint_str(&ep, out, sizeof out);
    assert_string_equal(out, want);
}

static void v6(const uint16_t g[8], const char *want)
{
    uint8_t a[16];
    for (int i = 0; i < 8; i++) {
        a[2 * i] = (uint8_t)(g[i] >> 8);
        a[2 * i + 1] = (uint8_t)g[i];
    }
    endpoint(a, 6, want);
}

static void test_endpoint_str(void **state)
{
    (void)state;
    endpoint((const uint8_t[]){192, 0, 2, 1}, 4, "192.0.2.1");
    endpoint((const uint8_t[]){0, 0, 0, 0}, 4, "0.0.0.0");
    endpoint((const uint8_t[]){255, 255, 255, 255}, 4, "255.255.255.255");
    /* RFC 5952 section 4 */
    v6((const uint16_t[]){0x2001, 0xdb8, 0, 0, 0, 0, 0, 1}, "2001:db8::1");
    v6((const uint16_t[]){0, 0, 0, 0, 0, 0, 0, 1}, "::1");
    v6((const uint16_t[]){0, 0, 0, 0, 0, 0, 0, 0}, "::");
    v6((const uint16_t[]){1, 0, 0, 0, 0, 0, 0, 0}, "1::");
    v6((const uint16_t[]){0x2001, 0xdb8, 0, 0, 0, 0, 0, 0}, "2001:db8::");
    v6((const uint16_t[]){0xfe80, 0, 0, 0, 0x1, 0x2, 0x3, 0x4}, "fe80::1:2:3:4");
    /* 4.2.2: a single 16-bit 0 field is not shortened */
    v6((const uint16_t[]){0x2001, 0xdb8, 0, 1, 1, 1, 1, 1}, "2001:db8:0:1:1:1:1:1");
    /* 4.2.3: the longest run; the first of equal runs */
    v6((const uint16_t[]){0x2001, 0, 0, 1, 0, 0, 0, 1}, "2001:0:0:1::1");
    v6((const uint16_t[]){0x2001, 0xdb8, 0, 0, 1, 0, 0, 1}, "2001:db8::1:0:0:1");
    /* 4.1 no leading zeros, 4.3 lowercase */
    v6((const uint16_t[]){0x2001, 0x0db8, 0x00ab, 0xABCD, 0, 0, 0, 0x000f}, "2001:db8:ab:abcd::f");
    v6((const uint16_t[]){0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff},
       "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    /* truncation keeps a terminated prefix */
    struct cs_endpoint ep = {.family = 4, .addr = {192, 0, 2, 1}};
    char small[6];
    memset(small, 'Z', sizeof small);
    cs_endpoint_str(&ep, small, sizeof small);
    assert_string_equal(small, "192.0");
    cs_endpoint_str(&ep, small, 0); /* nothing written */
    assert_int_equal(small[0], '1');
}

struct tls_fixture {
    struct cs_cert_info ci;
    struct cs_tls t;
    struct cs_event ev;
    uint8_t der[3];
};

static void tls_fixture_init(struct tls_fixture *f)
{
    memset(f, 0, sizeof *f);
    for (int i = 0; i < 20; i++)
        f->ci.sha1[i] = (uint8_t)(i * 17);
    for (int i = 0; i < 32; i++)
        f->ci.sha256[i] = (uint8_t)(0xa0 + i);
    f->ci.parsed = true;
    strcpy(f->ci.subject, "CN=example.com,O=Example \"Org\"");
    strcpy(f->ci.issuer, "CN=Test CA");
    strcpy(f->ci.serial, "23a76");
    f->ci.not_before = 1468402620; /* 2016-07-13T09:37:00Z */
    f->ci.not_after = 1500000000;  /* 2017-07-14T02:40:00Z */
    f->ci.validity_ok = true;
    f->ci.san_count = 2;
    f->ci.san[0].type = CS_SAN_DNS;
    strcpy(f->ci.san[0].value, "example.com");
    f->ci.san[1].type = CS_SAN_IP;
    strcpy(f->ci.san[1].value, "192.0.2.1");
    strcpy(f->ci.key_type, "EC");
    f->ci.key_bits = 256;
    strcpy(f->ci.key_curve, "prime256v1");
    strcpy(f->ci.sig_alg, "ecdsa-with-SHA256");

    struct cs_tls *t = &f->t;
    t->flow_id = 42;
    t->ts_us = 1700000000123456; /* 2023-11-14T22:13:20.123456Z */
    t->client.family = 4;
    memcpy(t->client.addr, (const uint8_t[]){192, 0, 2, 1}, 4);
    t->client.port = 51000;
    t->server.family = 6;
    const uint8_t s6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    memcpy(t->server.addr, s6, 16);
    t->server.port = 443;
    t->version = 0x0303;
    t->client_version = 0x0303;
    t->has_client_hello = true;
    t->has_server_hello = true;
    strcpy(t->sni, "example.com");
    t->cipher_suite = 0xc02f;
    strcpy(t->ja3, "0123456789abcdef0123456789abcdef");
    t->ja3_string = "771,49199,0-10,29,0";
    strcpy(t->ja3s, "fedcba9876543210fedcba9876543210");
    t->ja3s_string = NULL;
    strcpy(t->ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    t->alpn_offered_count = 2;
    strcpy(t->alpn_offered[0], "h2");
    strcpy(t->alpn_offered[1], "http/1.1");
    strcpy(t->alpn, "h2");
    t->server_certs[0].der = f->der;
    t->server_certs[0].der_len = sizeof f->der;
    t->server_certs[0].info = &f->ci;
    t->server_cert_count = 1;
    t->alert_level = 2;
    t->alert_desc = 42;
    t->alert_from_server = true;
    t->state = "complete";
    f->ev.type = CS_EVENT_TLS;
    f->ev.u.tls = t;
}

static char *render_event(const struct cs_event *ev, size_t *len)
{
    size_t need = cs_event_to_json(ev, NULL, 0);
    char *b = malloc(need + 1);
    assert_non_null(b);
    assert_int_equal(cs_event_to_json(ev, b, need + 1), need);
    assert_int_equal(strlen(b), need);
    if (!json_valid(b, need))
        fail_msg("invalid JSON: %s", b);
    *len = need;
    return b;
}

static void assert_has(const char *doc, const char *frag)
{
    if (strstr(doc, frag) == NULL)
        fail_msg("missing %s in %s", frag, doc);
}

static void test_tls_event(void **state)
{
    (void)state;
    struct tls_fixture f;
    tls_fixture_init(&f);
    size_t len;
    char *j = render_event(&f.ev, &len);
    /* fixed key order: the common fields come first */
    const char *head = "{\"timestamp\":\"2023-11-14T22:13:20.123456+0000\",\"flow_id\":42,"
                       "\"event_type\":\"tls\",\"src_ip\":\"192.0.2.1\",\"src_port\":51000,"
                       "\"dest_ip\":\"2001:db8::1\",\"dest_port\":443,\"proto\":\"TCP\","
                       "\"app_proto\":\"tls\",\"tls\":{";
    assert_memory_equal(j, head, strlen(head));
    assert_has(j, "\"version\":\"TLS 1.2\"");
    assert_has(j, "\"sni\":\"example.com\"");
    assert_has(j, "\"subject\":\"CN=example.com,O=Example \\\"Org\\\"\"");
    assert_has(j, "\"issuerdn\":\"CN=Test CA\"");
    assert_has(j, "\"serial\":\"02:3A:76\"");
    assert_has(j, "\"notbefore\":\"2016-07-13T09:37:00\"");
    assert_has(j, "\"notafter\":\"2017-07-14T02:40:00\"");
    assert_has(j,
               "\"fingerprint\":\"00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:10:21:32:43\"");
    assert_has(j, "\"cipher_suite\":\"0xc02f\"");
    assert_has(j, "\"alpn_offered\":[\"h2\",\"http/1.1\"]");
    assert_has(j, "\"string\":null"); /* ja3s_string NULL */
    assert_has(j, "\"sha1\":\"00112233445566778899aabbccddeeff10213243\"");
    assert_has(j, "\"der_len\":3");
    assert_has(j, "\"serial\":\"23a76\""); /* the certificate keeps the raw hex */
    assert_has(j, "\"san\":{\"dns\":[\"example.com\"],\"ip\":[\"192.0.2.1\"],\"email\":[],"
                  "\"uri\":[]}");
    assert_has(j, "\"alert\":{\"level\":2,\"code\":42,\"description\":\"bad_certificate\","
                  "\"from\":\"server\"}");
    assert_has(j, "\"spki_sha256\":null");
    assert_int_equal(j[len - 1], '}');
    /* any cap gives the same length and a valid prefix */
    for (size_t cap = 1; cap < len; cap += 37) {
        char *b = malloc(cap);
        assert_int_equal(cs_event_to_json(&f.ev, b, cap), len);
        assert_int_equal(strlen(b), cap - 1);
        assert_memory_equal(b, j, cap - 1);
        free(b);
    }
    free(j);
}

static void test_tls_event_variants(void **state)
{
    (void)state;
    struct tls_fixture f;
    size_t len;
    char *j;
    /* serials: even length, leading zeros kept as given, negative, one digit */
    static const char *const serials[][2] = {
        {"23a76", "02:3A:76"},
        {"0123abcdef", "01:23:AB:CD:EF"},
        {"f", "0F"},
        {"-1a2", "01:A2"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof serials / sizeof serials[0]; i++) {
        tls_fixture_init(&f);
        strcpy(f.ci.serial, serials[i][0]);
        j = render_event(&f.ev, &len);
        char want[128];
        snprintf(want, sizeof want, "\"serial\":\"%s\"", serials[i][1]);
        assert_has(j, want);
        free(j);
    }
    /* the longest serial (20 octets, RFC 5280 4.1.2.2; OpenSSL allows more) */
    tls_fixture_init(&f);
    memset(f.ci.serial, 'a', 129);
    f.ci.serial[129] = '\0';
    j = render_event(&f.ev, &len);
    free(j);

    /* hostile strings from the wire stay valid JSON */
    tls_fixture_init(&f);
    memcpy(f.t.sni, "a\"b\\c\x01\xff\xc3\xa9", 10);
    memcpy(f.ci.subject, "CN=\x1b[31mred\x7f\xed\xa0\x80", 16);
    j = render_event(&f.ev, &len);
    assert_has(j, "\"sni\":\"a\\\"b\\\\c\\u0001\\u00ff\xc3\xa9\"");
    assert_has(j, "CN=\\u001b[31mred\\u007f\\u00ed\\u00a0\\u0080");
    free(j);

    /* no ClientHello, no certificate, IPv6 client, unparsed leaf */
    tls_fixture_init(&f);
    f.t.has_client_hello = false;
    f.t.has_server_hello = false;
    f.t.version = 0;
    f.t.client.family = 6;
    memset(f.t.client.addr, 0, 16);
    f.t.client.addr[15] = 1;
    f.ci.parsed = false;
    f.t.alert_level = 0;
    j = render_event(&f.ev, &len);
    assert_has(j, "\"src_ip\":\"::1\"");
    assert_has(j, "\"version\":\"UNDETERMINED\"");
    assert_has(j, "\"fingerprint\":\"00:11:22");
    assert_true(strstr(j, "\"sni\"") == NULL);
    assert_true(strstr(j, "\"serial\"") == NULL);
    assert_true(strstr(j, "\"alert\"") == NULL);
    assert_true(strstr(j, "\"ja3\"") == NULL);
    free(j);

    f.t.server_cert_count = 0;
    f.t.flow_id = 0;
    f.t.ts_us = -1; /* before the epoch */
    j = render_event(&f.ev, &len);
    assert_true(strstr(j, "\"fingerprint\"") == NULL);
    assert_true(strstr(j, "\"flow_id\"") == NULL);
    assert_has(j, "\"timestamp\":\"1969-12-31T23:59:59.999999+0000\"");
    assert_has(j, "\"server_certs\":[]");
    free(j);
}

static void test_stats_event(void **state)
{
    (void)state;
    struct cs_stats st;
    memset(&st, 0, sizeof st);
    st.packets = 12;
    st.mem_peak = UINT64_MAX;
    st.last_ts_us = 0;
    struct cs_event ev = {.type = CS_EVENT_STATS, .u.stats = &st};
    size_t len;
    char *j = render_event(&ev, &len);
    assert_has(j, "\"event_type\":\"stats\"");
    assert_has(j, "\"stats\":{\"packets\":12,");
    assert_has(j, "\"mem_peak\":18446744073709551615,");
    free(j);
    /* an anomaly with a hostile type string and no detail */
    struct cs_anomaly an = {0, 0, "x\"\n", NULL};
    ev.type = CS_EVENT_ANOMALY;
    ev.u.anomaly = &an;
    j = render_event(&ev, &len);
    assert_has(j, "\"anomaly\":{\"type\":\"x\\\"\\u000a\"}");
    free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checker_itself), cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_document_shape), cmocka_unit_test(test_snprintf_semantics),
        cmocka_unit_test(test_random_strings), cmocka_unit_test(test_endpoint_str),
        cmocka_unit_test(test_tls_event),      cmocka_unit_test(test_tls_event_variants),
        cmocka_unit_test(test_stats_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
