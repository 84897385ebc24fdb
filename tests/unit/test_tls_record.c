/* Unit tests for parsers/tls_record.c: record framing and handshake message
 * assembly.
 *
 * Streams are built by hand (record headers, handshake headers, patterned
 * bodies: the driver never parses bodies). Every callback is checked, as it
 * happens, against the list of expected callbacks: kind, type, version,
 * length and the body bytes themselves. The same list must come out for
 * every two-way split of a stream, for byte-at-a-time feeding and for
 * pseudo-random chunkings; every chunk is an exactly sized heap copy so
 * AddressSanitizer sees a body view that points outside what was fed. The
 * grow callback counts live buffers and bytes: every run ends balanced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tls_record.h"

/* ---- stream builder ---------------------------------------------------- */

struct sb {
    uint8_t *p;
    size_t n, cap;
};

static void sb_put(struct sb *s, const void *p, size_t n)
{
    if (s->n + n > s->cap) {
        size_t nc = s->cap ? s->cap : 256;
        while (nc < s->n + n)
            nc *= 2;
        s->p = realloc(s->p, nc);
        assert_non_null(s->p);
        s->cap = nc;
    }
    if (n > 0)
        memcpy(s->p + s->n, p, n);
    s->n += n;
}

static void sb_u8(struct sb *s, uint8_t v)
{
    sb_put(s, &v, 1);
}

/* RFC 5246 6.2.1 TLSPlaintext header */
static void sb_rec_hdr(struct sb *s, uint8_t type, uint16_t ver, size_t len)
{
    uint8_t h[5] = {type, (uint8_t)(ver >> 8), (uint8_t)ver, (uint8_t)(len >> 8), (uint8_t)len};
    sb_put(s, h, sizeof h);
}

static void sb_rec(struct sb *s, uint8_t type, uint16_t ver, const uint8_t *body, size_t len)
{
    sb_rec_hdr(s, type, ver, len);
    sb_put(s, body, len);
}

/* a handshake message (4-byte header + body) appended to s */
static void sb_hs(struct sb *s, uint8_t type, const uint8_t *body, size_t len)
{
    uint8_t h[4] = {type, (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
    sb_put(s, h, sizeof h);
    sb_put(s, body, len);
}

/* handshake bytes cut into records of at most `frag` body bytes */
static void sb_records_of(struct sb *s, uint8_t type, uint16_t ver, const struct sb *msgs,
                          size_t frag)
{
    for (size_t off = 0; off < msgs->n; off += frag) {
        size_t m = msgs->n - off < frag ? msgs->n - off : frag;
        sb_rec(s, type, ver, msgs->p + off, m);
    }
}

static void sb_free(struct sb *s)
{
    free(s->p);
    memset(s, 0, sizeof *s);
}

/* patterned bytes, different for each seed */
static uint8_t *pattern(size_t n, unsigned seed)
{
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed * 31u + i * 7u + (i >> 8) * 13u);
    return p;
}

/* ---- expected callbacks and the checking sink --------------------------- */

enum ev_kind { EV_HS = 'H', EV_CCS = 'C', EV_ALERT = 'A', EV_PROT = 'P', EV_ANOM = 'X' };

struct ev {
    enum ev_kind kind;
    uint8_t type;        /* handshake / record type; alert level */
    uint16_t version;    /* protected record version; alert description */
    const uint8_t *body; /* expected bytes; NULL for "no body" */
    size_t len;
    const char *anom;
    enum pr_status st;
};

#define HS(t, b, n)                                                                                \
    {                                                                                              \
        EV_HS, (t), 0, (b), (n), NULL, PR_OK                                                       \
    }
#define CCS()                                                                                      \
    {                                                                                              \
        EV_CCS, 0, 0, NULL, 0, NULL, PR_OK                                                         \
    }
#define ALERT(l, d)                                                                                \
    {                                                                                              \
        EV_ALERT, (l), (d), NULL, 0, NULL, PR_OK                                                   \
    }
#define PROT(t, v, b, n)                                                                           \
    {                                                                                              \
        EV_PROT, (t), (v), (b), (n), NULL, PR_OK                                                   \
    }
#define ANOM(s, st)                                                                                \
    {                                                                                              \
        EV_ANOM, 0, 0, NULL, 0, (s), (st)                                                          \
    }

struct chk {
    const struct ev *exp;
    size_t nexp, idx;
    bool bad;
    char why[256];
    /* grow accounting */
    long live; /* buffers handed out and not freed */
    long long live_bytes;
    size_t grows; /* successful allocations and resizes */
    size_t refusals;
    size_t limit; /* refuse new_size above this (0: no limit) */
};

static void chk_init(struct chk *c, const struct ev *exp, size_t nexp)
{
    memset(c, 0, sizeof *c);
    c->exp = exp;
    c->nexp = nexp;
}

static void chk_fail(struct chk *c, const char *fmt, ...)
{
    if (c->bad)
        return;
    c->bad = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->why, sizeof c->why, fmt, ap);
    va_end(ap);
}

static const struct ev *chk_next(struct chk *c, enum ev_kind k)
{
    if (c->idx >= c->nexp) {
        chk_fail(c, "callback %zu ('%c') beyond the %zu expected", c->idx, (char)k, c->nexp);
        c->idx++;
        return NULL;
    }
    const struct ev *e = &c->exp[c->idx];
    if (e->kind != k) {
        chk_fail(c, "callback %zu: got '%c', expected '%c'", c->idx, (char)k, (char)e->kind);
        c->idx++;
        return NULL;
    }
    c->idx++;
    return e;
}

static void chk_body(struct chk *c, const struct ev *e, const uint8_t *body, size_t len)
{
    if (len != e->len) {
        chk_fail(c, "callback %zu: length %zu, expected %zu", c->idx - 1, len, e->len);
        return;
    }
    if (e->body == NULL) {
        if (body != NULL)
            chk_fail(c, "callback %zu: a body where none was expected", c->idx - 1);
        return;
    }
    if (len > 0 && (body == NULL || memcmp(body, e->body, len) != 0))
        chk_fail(c, "callback %zu: body bytes differ", c->idx - 1);
}

static void cb_hs(void *ctx, uint8_t type, const uint8_t *body, size_t len)
{
    struct chk *c = ctx;
    const struct ev *e = chk_next(c, EV_HS);
    if (e == NULL)
        return;
    if (type != e->type)
        chk_fail(c, "callback %zu: handshake type %u, expected %u", c->idx - 1, type, e->type);
    chk_body(c, e, body, len);
}

static void cb_ccs(void *ctx)
{
    chk_next(ctx, EV_CCS);
}

static void cb_alert(void *ctx, uint8_t level, uint8_t desc)
{
    struct chk *c = ctx;
    const struct ev *e = chk_next(c, EV_ALERT);
    if (e != NULL && (level != e->type || desc != e->version))
        chk_fail(c, "callback %zu: alert %u/%u", c->idx - 1, level, desc);
}

static void cb_prot(void *ctx, uint8_t type, uint16_t version, const uint8_t *body, size_t len)
{
    struct chk *c = ctx;
    const struct ev *e = chk_next(c, EV_PROT);
    if (e == NULL)
        return;
    if (type != e->type || version != e->version)
        chk_fail(c, "callback %zu: protected type %u version %04x", c->idx - 1, type, version);
    chk_body(c, e, body, len);
}

static void cb_anom(void *ctx, const char *type, enum pr_status st)
{
    struct chk *c = ctx;
    const struct ev *e = chk_next(c, EV_ANOM);
    if (e != NULL && (strcmp(type, e->anom) != 0 || st != e->st))
        chk_fail(c, "callback %zu: anomaly %s/%d, expected %s/%d", c->idx - 1, type, (int)st,
                 e->anom, (int)e->st);
}

static void *cb_grow(void *ctx, void *p, size_t old_size, size_t new_size)
{
    struct chk *c = ctx;
    if (new_size == 0) {
        if (p == NULL)
            chk_fail(c, "grow: free of NULL");
        free(p);
        c->live--;
        c->live_bytes -= (long long)old_size;
        return NULL;
    }
    if (c->limit && new_size > c->limit) {
        c->refusals++;
        return NULL;
    }
    if (p == NULL && old_size != 0)
        chk_fail(c, "grow: NULL with old_size %zu", old_size);
    void *q = realloc(p, new_size);
    if (q == NULL)
        return NULL;
    if (p == NULL)
        c->live++;
    c->live_bytes += (long long)new_size - (long long)old_size;
    c->grows++;
    return q;
}

static struct tls_rec_ops make_ops(struct chk *c)
{
    struct tls_rec_ops o = {cb_hs, cb_ccs, cb_alert, cb_prot, cb_anom, cb_grow, c};
    return o;
}

/* Feed an exactly sized heap copy of p[0..n). */
static enum pr_status feed_copy(struct tls_rec_dir *d, const struct tls_rec_ops *ops,
                                const uint8_t *p, size_t n)
{
    uint8_t *q = malloc(n ? n : 1);
    assert_non_null(q);
    if (n > 0)
        memcpy(q, p, n);
    enum pr_status st = tls_rec_feed(d, ops, q, n);
    free(q);
    return st;
}

/* Runs one chunking described by cut points; returns false on a mismatch
 * (message in c->why). */
static bool run_cuts(const uint8_t *s, size_t n, const size_t *cuts, size_t ncuts,
                     const struct ev *exp, size_t nexp, size_t hs_max, bool want_prot,
                     struct chk *c)
{
    chk_init(c, exp, nexp);
    struct tls_rec_ops ops = make_ops(c);
    struct tls_rec_dir d;
    tls_rec_init(&d, hs_max);
    d.want_protected = want_prot;
    size_t prev = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : n;
        enum pr_status st = feed_copy(&d, &ops, s + prev, end - prev);
        if (st != PR_OK)
            chk_fail(c, "feed [%zu,%zu) returned %d", prev, end, (int)st);
        prev = end;
    }
    if (c->idx != nexp)
        chk_fail(c, "%zu callbacks, expected %zu", c->idx, nexp);
    tls_rec_release(&d, &ops);
    if (c->live != 0 || c->live_bytes != 0)
        chk_fail(c, "grow not balanced: %ld buffers, %lld bytes live", c->live, c->live_bytes);
    if (d.hs.buf != NULL || d.rec != NULL)
        chk_fail(c, "buffers still referenced after release");
    return !c->bad;
}

/* Whole, every two-way split, byte at a time, and 64 pseudo-random chunkings. */
static void check_all_splits(const uint8_t *s, size_t n, const struct ev *exp, size_t nexp,
                             size_t hs_max, bool want_prot)
{
    struct chk c;
    if (!run_cuts(s, n, NULL, 0, exp, nexp, hs_max, want_prot, &c))
        fail_msg("whole stream: %s", c.why);
    for (size_t k = 0; k <= n; k++) {
        if (!run_cuts(s, n, &k, 1, exp, nexp, hs_max, want_prot, &c))
            fail_msg("split at %zu of %zu: %s", k, n, c.why);
    }
    size_t *cuts = malloc(n * sizeof *cuts);
    assert_non_null(cuts);
    for (size_t i = 0; i + 1 < n; i++)
        cuts[i] = i + 1;
    if (!run_cuts(s, n, cuts, n > 0 ? n - 1 : 0, exp, nexp, hs_max, want_prot, &c))
        fail_msg("byte at a time: %s", c.why);
    uint32_t r = 0x12345678u;
    for (int round = 0; round < 64; round++) {
        size_t nc = 0, at = 0;
        for (;;) {
            r = r * 1103515245u + 12345u;
            at += 1 + (r >> 8) % (round < 32 ? 16 : 3000);
            if (at >= n)
                break;
            cuts[nc++] = at;
        }
        if (!run_cuts(s, n, cuts, nc, exp, nexp, hs_max, want_prot, &c))
            fail_msg("random chunking %d: %s", round, c.why);
    }
    free(cuts);
}

/* ---- the main stream ----------------------------------------------------- */

struct main_stream {
    struct sb s;
    uint8_t *m1, *m2, *big, *m12, *fin, *ad1, *ad2, *palert;
};

#define BIG_LEN 40000u

static void main_stream_build(struct main_stream *ms)
{
    memset(ms, 0, sizeof *ms);
    ms->m1 = pattern(50, 1);
    ms->m2 = pattern(70, 2);
    ms->big = pattern(BIG_LEN, 3);
    ms->m12 = pattern(300, 4);
    ms->fin = pattern(40, 5);
    ms->ad1 = pattern(100, 6);
    ms->ad2 = pattern(TLS_RECORD_BODY_MAX, 7);
    ms->palert = pattern(26, 8);
    struct sb *s = &ms->s;

    /* two messages coalesced in one record */
    struct sb h = {0};
    sb_hs(&h, 1, ms->m1, 50);
    sb_hs(&h, 2, ms->m2, 70);
    sb_rec(s, TLS_CT_HANDSHAKE, 0x0301, h.p, h.n);
    sb_free(&h);
    /* one 40 KB message over three records: 16384 + 16384 + 7236 */
    sb_hs(&h, 11, ms->big, BIG_LEN);
    sb_records_of(s, TLS_CT_HANDSHAKE, 0x0303, &h, 16384);
    sb_free(&h);
    /* a message and an empty one (ServerHelloDone) in one record */
    sb_hs(&h, 12, ms->m12, 300);
    sb_hs(&h, 14, NULL, 0);
    sb_rec(s, TLS_CT_HANDSHAKE, 0x0303, h.p, h.n);
    sb_free(&h);
    /* alert in clear: warning, unrecognized_name */
    const uint8_t al[2] = {1, 112};
    sb_rec(s, TLS_CT_ALERT, 0x0303, al, 2);
    /* two alerts coalesced in one record: the driver reports the record's
     * first alert, exactly once whatever the split */
    const uint8_t al2[4] = {2, 40, 1, 0};
    sb_rec(s, TLS_CT_ALERT, 0x0303, al2, 4);
    /* heartbeat: no callback */
    const uint8_t hb[3] = {1, 0, 0};
    sb_rec(s, TLS_CT_HEARTBEAT, 0x0303, hb, 3);
    /* zero-length application data record */
    sb_rec_hdr(s, TLS_CT_APPLICATION_DATA, 0x0303, 0);
    /* ChangeCipherSpec, then everything is protected */
    const uint8_t one = 1;
    sb_rec(s, TLS_CT_CHANGE_CIPHER_SPEC, 0x0303, &one, 1);
    sb_rec(s, TLS_CT_HANDSHAKE, 0x0303, ms->fin, 40);
    sb_rec(s, TLS_CT_APPLICATION_DATA, 0x0303, ms->ad1, 100);
    sb_rec(s, TLS_CT_APPLICATION_DATA, 0x0303, ms->ad2, TLS_RECORD_BODY_MAX);
    sb_rec_hdr(s, TLS_CT_APPLICATION_DATA, 0x0303, 0);
    sb_rec(s, TLS_CT_ALERT, 0x0303, ms->palert, 26);
}

static void main_stream_free(struct main_stream *ms)
{
    sb_free(&ms->s);
    free(ms->m1);
    free(ms->m2);
    free(ms->big);
    free(ms->m12);
    free(ms->fin);
    free(ms->ad1);
    free(ms->ad2);
    free(ms->palert);
}

static void test_stream_splits_protected_bodies(void **state)
{
    (void)state;
    struct main_stream ms;
    main_stream_build(&ms);
    static const uint8_t empty[1];
    const struct ev exp[] = {
        HS(1, ms.m1, 50),
        HS(2, ms.m2, 70),
        HS(11, ms.big, BIG_LEN),
        HS(12, ms.m12, 300),
        HS(14, empty, 0),
        ALERT(1, 112),
        ALERT(2, 40),
        PROT(TLS_CT_APPLICATION_DATA, 0x0303, empty, 0),
        CCS(),
        PROT(TLS_CT_HANDSHAKE, 0x0303, ms.fin, 40),
        PROT(TLS_CT_APPLICATION_DATA, 0x0303, ms.ad1, 100),
        PROT(TLS_CT_APPLICATION_DATA, 0x0303, ms.ad2, TLS_RECORD_BODY_MAX),
        PROT(TLS_CT_APPLICATION_DATA, 0x0303, empty, 0),
        PROT(TLS_CT_ALERT, 0x0303, ms.palert, 26),
    };
    check_all_splits(ms.s.p, ms.s.n, exp, sizeof exp / sizeof exp[0], 65536, true);
    main_stream_free(&ms);
}

static void test_stream_splits_headers_only(void **state)
{
    (void)state;
    struct main_stream ms;
    main_stream_build(&ms);
    static const uint8_t empty[1];
    /* without want_protected: header fields and length, no body, no buffer */
    const struct ev exp[] = {
        HS(1, ms.m1, 50),
        HS(2, ms.m2, 70),
        HS(11, ms.big, BIG_LEN),
        HS(12, ms.m12, 300),
        HS(14, empty, 0),
        ALERT(1, 112),
        ALERT(2, 40),
        PROT(TLS_CT_APPLICATION_DATA, 0x0303, NULL, 0),
        CCS(),
        PROT(TLS_CT_HANDSHAKE, 0x0303, NULL, 40),
        PROT(TLS_CT_APPLICATION_DATA, 0x0303, NULL, 100),
        PROT(TLS_CT_APPLICATION_DATA, 0x0303, NULL, TLS_RECORD_BODY_MAX),
        PROT(TLS_CT_APPLICATION_DATA, 0x0303, NULL, 0),
        PROT(TLS_CT_ALERT, 0x0303, NULL, 26),
    };
    check_all_splits(ms.s.p, ms.s.n, exp, sizeof exp / sizeof exp[0], 65536, false);

    /* the grow callback is what holds a fragmented message: the 40 KB one
     * needs a buffer; nothing else does when records arrive whole */
    struct chk c;
    chk_init(&c, exp, sizeof exp / sizeof exp[0]);
    struct tls_rec_ops ops = make_ops(&c);
    struct tls_rec_dir d;
    tls_rec_init(&d, 65536);
    assert_int_equal(feed_copy(&d, &ops, ms.s.p, ms.s.n), PR_OK);
    assert_false(c.bad);
    assert_int_equal(c.live, 1);
    assert_true(c.live_bytes >= (long long)BIG_LEN);
    assert_int_equal(d.records, 15);
    assert_int_equal(d.bytes, ms.s.n);
    tls_rec_release(&d, &ops);
    assert_int_equal(c.live, 0);
    assert_int_equal(c.live_bytes, 0);
    tls_rec_release(&d, &ops); /* twice is harmless */
    assert_int_equal(c.live, 0);
    main_stream_free(&ms);
}

/* ---- handshake cap -------------------------------------------------------- */

static void test_handshake_too_large(void **state)
{
    (void)state;
    uint8_t *big = pattern(5000, 9), *small = pattern(10, 10), *edge = pattern(1000, 11);
    struct sb s = {0}, h = {0};
    /* 5000 > hs_max in two records, then a 10-byte message, then one of
     * exactly hs_max bytes fragmented, then hs_max + 1 in one record */
    sb_hs(&h, 11, big, 5000);
    sb_hs(&h, 14, small, 10);
    sb_records_of(&s, TLS_CT_HANDSHAKE, 0x0303, &h, 3000);
    sb_free(&h);
    sb_hs(&h, 11, edge, 1000);
    sb_records_of(&s, TLS_CT_HANDSHAKE, 0x0303, &h, 600);
    sb_free(&h);
    sb_hs(&h, 13, big, 1001);
    sb_hs(&h, 16, small, 3);
    sb_rec(&s, TLS_CT_HANDSHAKE, 0x0303, h.p, h.n);
    sb_free(&h);
    const struct ev exp[] = {
        ANOM("tls.handshake_too_large", PR_LIMIT), HS(14, small, 10), HS(11, edge, 1000),
        ANOM("tls.handshake_too_large", PR_LIMIT), HS(16, small, 3),
    };
    check_all_splits(s.p, s.n, exp, sizeof exp / sizeof exp[0], 1000, false);

    /* the skipped message never asked for a buffer of its size */
    struct chk c;
    chk_init(&c, exp, sizeof exp / sizeof exp[0]);
    c.limit = 1000;
    struct tls_rec_ops ops = make_ops(&c);
    struct tls_rec_dir d;
    tls_rec_init(&d, 1000);
    for (size_t i = 0; i < s.n; i++)
        assert_int_equal(tls_rec_feed(&d, &ops, s.p + i, 1), PR_OK);
    assert_false(c.bad);
    assert_int_equal(c.idx, 5);
    assert_int_equal(c.refusals, 0);
    tls_rec_release(&d, &ops);
    assert_int_equal(c.live, 0);
    sb_free(&s);
    free(big);
    free(small);
    free(edge);
}

/* [TLS-HS-GROW] the buffer of a fragmented message grows with the bytes that
 * arrive, not with the length its header announces: a peer that announces
 * 2 MiB and stalls after one record must not cost 2 MiB (certgen hostile's
 * huge-handshake and tls-header-every-port captures exhausted the 2 GiB
 * memcap with a few thousand such flows) */
static void test_hs_grows_with_data(void **state)
{
    (void)state;
    const size_t big = 2u * 1024 * 1024; /* exactly hs_max */
    uint8_t *body = pattern(big, 15);
    struct sb h = {0}, s = {0};
    sb_hs(&h, 11, body, big);
    sb_records_of(&s, TLS_CT_HANDSHAKE, 0x0303, &h, 16384);
    const struct ev exp[] = {HS(11, body, big)};
    struct chk c;
    chk_init(&c, exp, 1);
    struct tls_rec_ops ops = make_ops(&c);
    struct tls_rec_dir d;
    tls_rec_init(&d, big);
    /* the first record only: 16380 body bytes held in at most twice that */
    size_t first = TLS_RECORD_HDR + 16384;
    assert_int_equal(feed_copy(&d, &ops, s.p, first), PR_OK);
    assert_int_equal(c.idx, 0);
    assert_int_equal(c.live, 1);
    assert_true(c.live_bytes <= 2 * 16384);
    /* the rest, record by record: never more than twice what arrived */
    for (size_t off = first; off < s.n; off += TLS_RECORD_HDR + 16384) {
        size_t n = s.n - off < TLS_RECORD_HDR + 16384 ? s.n - off : TLS_RECORD_HDR + 16384;
        assert_int_equal(feed_copy(&d, &ops, s.p + off, n), PR_OK);
        assert_true(c.live_bytes <= (long long)(2 * (off + n)));
    }
    assert_false(c.bad);
    assert_int_equal(c.idx, 1); /* delivered whole and intact */
    assert_int_equal(c.live_bytes, (long long)big);
    assert_true(c.grows <= 12); /* doubling: a handful of resizes */
    tls_rec_release(&d, &ops);
    assert_int_equal(c.live, 0);
    sb_free(&h);
    sb_free(&s);
    free(body);
}

/* grow refusing (the caller's memcap): the message is skipped, later ones parse */
static void test_grow_refused(void **state)
{
    (void)state;
    uint8_t *a = pattern(3000, 12), *b = pattern(20, 13);
    struct sb s = {0}, h = {0};
    sb_hs(&h, 11, a, 3000);
    sb_hs(&h, 14, b, 20);
    /* records [0,1000) [1000,3010) [3010,3028): the first message is
     * fragmented (needs a 3000-byte buffer, refused), the second straddles
     * the last two records (needs 20 bytes, granted) */
    sb_rec(&s, TLS_CT_HANDSHAKE, 0x0303, h.p, 1000);
    sb_rec(&s, TLS_CT_HANDSHAKE, 0x0303, h.p + 1000, 2010);
    sb_rec(&s, TLS_CT_HANDSHAKE, 0x0303, h.p + 3010, h.n - 3010);
    sb_free(&h);
    const struct ev exp[] = {
        ANOM("tls.handshake_memcap", PR_LIMIT),
        HS(14, b, 20),
    };
    struct chk c;
    chk_init(&c, exp, 2);
    c.limit = 100;
    struct tls_rec_ops ops = make_ops(&c);
    struct tls_rec_dir d;
    tls_rec_init(&d, 65536);
    assert_int_equal(feed_copy(&d, &ops, s.p, s.n), PR_OK);
    assert_false(c.bad);
    assert_int_equal(c.idx, 2);
    assert_int_equal(c.refusals, 1);
    assert_int_equal(c.live, 1); /* the 20-byte buffer */
    tls_rec_release(&d, &ops);
    assert_int_equal(c.live, 0);
    assert_int_equal(c.live_bytes, 0);

    /* want_protected with no memory: the record is still reported, without body */
    struct sb p = {0};
    uint8_t *ad = pattern(500, 14);
    sb_rec(&p, TLS_CT_APPLICATION_DATA, 0x0303, ad, 500);
    sb_rec(&p, TLS_CT_APPLICATION_DATA, 0x0303, ad, 7);
    const struct ev exp2[] = {
        ANOM("tls.record_memcap", PR_LIMIT),
        PROT(TLS_CT_APPLICATION_DATA, 0x0303, NULL, 500),
        PROT(TLS_CT_APPLICATION_DATA, 0x0303, NULL, 7),
    };
    chk_init(&c, exp2, 3);
    c.limit = 100;
    tls_rec_init(&d, 65536);
    d.want_protected = true;
    assert_int_equal(feed_copy(&d, &ops, p.p, 200), PR_OK);
    assert_int_equal(feed_copy(&d, &ops, p.p + 200, p.n - 200), PR_OK);
    assert_false(c.bad);
    assert_int_equal(c.idx, 3);
    tls_rec_release(&d, &ops);
    assert_int_equal(c.live, 0);
    sb_free(&p);
    sb_free(&s);
    free(a);
    free(b);
    free(ad);
}

/* ---- framing errors and resynchronisation -------------------------------- */

static void bad_header_case(uint8_t type, uint16_t ver, size_t len)
{
    uint8_t *m = pattern(60, 15), *n2 = pattern(33, 16);
    struct sb good = {0}, half = {0}, h = {0}, resync = {0};
    sb_hs(&h, 1, m, 60);
    sb_rec(&good, TLS_CT_HANDSHAKE, 0x0301, h.p, h.n);
    /* a record holding the first 30 bytes of a message whose rest never comes */
    sb_rec(&half, TLS_CT_HANDSHAKE, 0x0303, h.p, 30);
    sb_free(&h);
    sb_hs(&h, 2, n2, 33);
    sb_rec(&resync, TLS_CT_HANDSHAKE, 0x0303, h.p, h.n);
    sb_free(&h);

    const struct ev exp[] = {
        HS(1, m, 60),
        ANOM("tls.record_malformed", PR_MALFORMED),
        HS(2, n2, 33),
    };
    struct chk c;
    chk_init(&c, exp, 3);
    struct tls_rec_ops ops = make_ops(&c);
    struct tls_rec_dir d;
    tls_rec_init(&d, 65536);
    assert_int_equal(feed_copy(&d, &ops, good.p, good.n), PR_OK);
    assert_int_equal(c.idx, 1);
    assert_int_equal(feed_copy(&d, &ops, half.p, half.n), PR_OK);
    /* the bad header arrives in two pieces, with body bytes after it */
    uint8_t bad[5 + 8] = {type,
                          (uint8_t)(ver >> 8),
                          (uint8_t)ver,
                          (uint8_t)(len >> 8),
                          (uint8_t)len,
                          22,
                          3,
                          3,
                          0,
                          5,
                          1,
                          2,
                          3};
    assert_int_equal(feed_copy(&d, &ops, bad, 2), PR_OK);
    assert_int_equal(feed_copy(&d, &ops, bad + 2, sizeof bad - 2), PR_MALFORMED);
    assert_int_equal(c.idx, 2);
    assert_true(d.desync);
    /* a chunk that does not start with a plausible header is dropped */
    assert_int_equal(feed_copy(&d, &ops, resync.p + 1, resync.n - 1), PR_MALFORMED);
    assert_int_equal(feed_copy(&d, &ops, resync.p, 4), PR_MALFORMED); /* too short to judge */
    assert_int_equal(c.idx, 2);
    /* a plausible header at a chunk start: framing is back; the half
     * message from before the error is not glued to the new one */
    assert_int_equal(feed_copy(&d, &ops, resync.p, resync.n), PR_OK);
    assert_false(d.desync);
    assert_false(c.bad);
    assert_int_equal(c.idx, 3);
    tls_rec_release(&d, &ops);
    assert_int_equal(c.live, 0);
    sb_free(&good);
    sb_free(&half);
    sb_free(&resync);
    free(m);
    free(n2);
}

static void test_bad_headers(void **state)
{
    (void)state;
    bad_header_case(99, 0x0303, 10);                  /* unknown type */
    bad_header_case(19, 0x0303, 10);                  /* just below the known types */
    bad_header_case(25, 0x0303, 10);                  /* just above */
    bad_header_case(TLS_CT_HANDSHAKE, 0x0303, 20000); /* too long */
    bad_header_case(TLS_CT_HANDSHAKE, 0x0303, TLS_RECORD_BODY_MAX + 1);
    bad_header_case(TLS_CT_HANDSHAKE, 0x0303, 0);  /* empty handshake record */
    bad_header_case(TLS_CT_HANDSHAKE, 0x0305, 10); /* version 3.5 */
    bad_header_case(TLS_CT_HANDSHAKE, 0x0203, 10); /* major 2 */
    bad_header_case(0x80, 0x2e01, 0x0301);         /* an SSLv2 hello header, not at stream start */
}

static void test_gap_resync(void **state)
{
    (void)state;
    uint8_t *m = pattern(400, 17), *n2 = pattern(25, 18), *ad = pattern(80, 19);
    struct sb s1 = {0}, s2 = {0}, h = {0};
    sb_hs(&h, 11, m, 400);
    sb_rec(&s1, TLS_CT_HANDSHAKE, 0x0303, h.p, h.n);
    sb_free(&h);
    sb_hs(&h, 14, n2, 25);
    sb_rec(&s2, TLS_CT_HANDSHAKE, 0x0303, h.p, h.n);
    sb_free(&h);
    sb_rec(&s2, TLS_CT_APPLICATION_DATA, 0x0303, ad, 80);

    const struct ev exp[] = {
        HS(14, n2, 25),
        PROT(TLS_CT_APPLICATION_DATA, 0x0303, ad, 80),
    };
    struct chk c;
    chk_init(&c, exp, 2);
    struct tls_rec_ops ops = make_ops(&c);
    struct tls_rec_dir d;
    tls_rec_init(&d, 65536);
    d.want_protected = true;
    /* 200 bytes of a 409-byte record, then the capture loses bytes */
    assert_int_equal(feed_copy(&d, &ops, s1.p, 200), PR_OK);
    assert_int_equal(c.live, 1); /* the partial message is buffered */
    tls_rec_gap(&d, &ops);
    /* the next chunk starts mid-record: ignored */
    assert_int_equal(feed_copy(&d, &ops, s1.p + 300, s1.n - 300), PR_MALFORMED);
    assert_int_equal(c.idx, 0);
    /* a record boundary: parsing resumes, nothing of the lost message leaks */
    assert_int_equal(feed_copy(&d, &ops, s2.p, 7), PR_OK);
    assert_int_equal(feed_copy(&d, &ops, s2.p + 7, s2.n - 7), PR_OK);
    assert_false(c.bad);
    assert_int_equal(c.idx, 2);
    tls_rec_release(&d, &ops);
    assert_int_equal(c.live, 0);

    /* a gap in the middle of a protected record: the partial record is dropped */
    const struct ev exp2[] = {
        PROT(TLS_CT_APPLICATION_DATA, 0x0303, ad, 80),
    };
    chk_init(&c, exp2, 1);
    tls_rec_init(&d, 65536);
    d.want_protected = true;
    struct sb p = {0};
    sb_rec(&p, TLS_CT_APPLICATION_DATA, 0x0303, n2, 25);
    assert_int_equal(feed_copy(&d, &ops, p.p, 20), PR_OK);
    tls_rec_gap(&d, &ops);
    assert_int_equal(feed_copy(&d, &ops, s2.p + 34, s2.n - 34), PR_OK); /* the 80-byte record */
    assert_false(c.bad);
    assert_int_equal(c.idx, 1);
    tls_rec_release(&d, &ops);
    assert_int_equal(c.live, 0);
    assert_int_equal(c.live_bytes, 0);
    sb_free(&p);
    sb_free(&s1);
    sb_free(&s2);
    free(m);
    free(n2);
    free(ad);
}

/* ---- SSLv2-framed ClientHello ------------------------------------------------- */

/* RFC 5246 E.2: 2-byte length with the high bit set, msg_type 1, version,
 * cipher_spec_length, session_id_length, challenge_length, specs, challenge */
static void sb_sslv2_hello(struct sb *s)
{
    struct sb b = {0};
    const uint8_t fixed[] = {1, 3, 1, 0, 9, 0, 0, 0, 16};
    sb_put(&b, fixed, sizeof fixed);
    const uint8_t specs[9] = {0x01, 0x00, 0x80, 0x00, 0x00, 0x2f, 0x00, 0x00, 0x35};
    sb_put(&b, specs, sizeof specs);
    uint8_t *ch = pattern(16, 20);
    sb_put(&b, ch, 16);
    free(ch);
    sb_u8(s, (uint8_t)(0x80 | b.n >> 8));
    sb_u8(s, (uint8_t)b.n);
    sb_put(s, b.p, b.n);
    sb_free(&b);
}

static void test_sslv2_hello_skipped(void **state)
{
    (void)state;
    uint8_t *m = pattern(130, 21);
    struct sb s = {0}, h = {0};
    sb_sslv2_hello(&s);
    sb_hs(&h, 16, m, 130);
    sb_rec(&s, TLS_CT_HANDSHAKE, 0x0301, h.p, h.n);
    sb_free(&h);
    const struct ev exp[] = {HS(16, m, 130)};
    check_all_splits(s.p, s.n, exp, 1, 65536, false);

    /* only at the start of the stream: after a TLS record it is a bad header */
    struct sb t = {0};
    sb_put(&t, s.p + 36, s.n - 36); /* the TLS record after the 36-byte SSLv2 hello */
    sb_sslv2_hello(&t);
    const struct ev exp2[] = {HS(16, m, 130), ANOM("tls.record_malformed", PR_MALFORMED)};
    struct chk c;
    chk_init(&c, exp2, 2);
    struct tls_rec_ops ops = make_ops(&c);
    struct tls_rec_dir d;
    tls_rec_init(&d, 65536);
    assert_int_equal(feed_copy(&d, &ops, t.p, t.n), PR_MALFORMED);
    assert_false(c.bad);
    assert_int_equal(c.idx, 2);
    tls_rec_release(&d, &ops);

    /* an SSLv2 header whose length cannot hold the fixed fields */
    const uint8_t tiny[] = {0x80, 0x08, 1, 3, 1, 0, 0, 0, 0, 0};
    const struct ev exp3[] = {ANOM("tls.sslv2_hello_malformed", PR_MALFORMED)};
    chk_init(&c, exp3, 1);
    tls_rec_init(&d, 65536);
    assert_int_equal(feed_copy(&d, &ops, tiny, sizeof tiny), PR_MALFORMED);
    assert_false(c.bad);
    assert_int_equal(c.idx, 1);
    tls_rec_release(&d, &ops);
    assert_int_equal(c.live, 0);
    sb_free(&s);
    sb_free(&t);
    free(m);
}

/* ---- tls_hs_feed on its own (decrypted plaintext) -------------------------- */

static void test_hs_asm_alone(void **state)
{
    (void)state;
    uint8_t *a = pattern(700, 22), *b = pattern(5, 23);
    struct sb h = {0};
    sb_hs(&h, 8, a, 700);
    sb_hs(&h, 20, b, 5);
    sb_hs(&h, 15, NULL, 0);
    const struct ev exp[] = {HS(8, a, 700), HS(20, b, 5), HS(15, b, 0)};
    for (size_t k = 0; k <= h.n; k++) {
        struct chk c;
        chk_init(&c, exp, 3);
        struct tls_rec_ops ops = make_ops(&c);
        struct tls_hs_asm as;
        tls_hs_init(&as, 4096);
        assert_int_equal(tls_hs_feed(&as, &ops, h.p, k), PR_OK);
        assert_int_equal(tls_hs_feed(&as, &ops, h.p + k, h.n - k), PR_OK);
        if (c.bad || c.idx != 3)
            fail_msg("split %zu: %s (%zu callbacks)", k, c.why, c.idx);
        if (as.buf != NULL)
            cb_grow(&c, as.buf, as.buf_size, 0);
        assert_int_equal(c.live, 0);
    }
    /* over the cap: PR_LIMIT from the feed that saw the header */
    const struct ev exp2[] = {ANOM("tls.handshake_too_large", PR_LIMIT), HS(20, b, 5)};
    struct chk c;
    chk_init(&c, exp2, 2);
    struct tls_rec_ops ops = make_ops(&c);
    struct tls_hs_asm as;
    tls_hs_init(&as, 699);
    assert_int_equal(tls_hs_feed(&as, &ops, h.p, 10), PR_LIMIT);
    assert_int_equal(tls_hs_feed(&as, &ops, h.p + 10, 704 - 10 + 9), PR_OK);
    assert_false(c.bad);
    assert_int_equal(c.idx, 2);
    assert_null(as.buf);
    sb_free(&h);
    free(a);
    free(b);
}

/* ---- header plausibility -------------------------------------------------------- */

static bool plausible(uint8_t type, uint8_t maj, uint8_t min, size_t len)
{
    uint8_t h[5] = {type, maj, min, (uint8_t)(len >> 8), (uint8_t)len};
    return tls_record_header_plausible(h, sizeof h);
}

static void test_header_plausible(void **state)
{
    (void)state;
    assert_false(plausible(22, 3, 3, 0));
    assert_true(plausible(22, 3, 3, 1));
    assert_true(plausible(22, 3, 3, 16384));
    assert_true(plausible(22, 3, 3, 18432));
    assert_false(plausible(22, 3, 3, 18433));
    assert_false(plausible(22, 3, 3, 0xffff));
    assert_true(plausible(20, 3, 0, 1));
    assert_true(plausible(24, 3, 4, 1));
    assert_false(plausible(19, 3, 3, 1));
    assert_false(plausible(25, 3, 3, 1));
    assert_false(plausible(99, 3, 3, 1));
    assert_false(plausible(22, 3, 5, 1));
    assert_false(plausible(22, 2, 0, 1));
    assert_false(plausible(22, 0x80, 0x2e, 1));
    const uint8_t h[5] = {22, 3, 1, 0, 5};
    for (size_t n = 0; n < 5; n++)
        assert_false(tls_record_header_plausible(h, n));
    assert_true(tls_record_header_plausible(h, 5));
    assert_false(tls_record_header_plausible(NULL, 5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_splits_protected_bodies),
        cmocka_unit_test(test_stream_splits_headers_only),
        cmocka_unit_test(test_handshake_too_large),
        cmocka_unit_test(test_hs_grows_with_data),
        cmocka_unit_test(test_grow_refused),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_gap_resync),
        cmocka_unit_test(test_sslv2_hello_skipped),
        cmocka_unit_test(test_hs_asm_alone),
        cmocka_unit_test(test_header_plausible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
