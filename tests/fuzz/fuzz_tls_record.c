/* Fuzz target: the TLS record driver and handshake assembler
 * (parsers/tls_record.h).
 *
 * Input: [flags] [split: 2 bytes, big endian] stream bytes...
 *   flags bit 0  want_protected: protected records are delivered whole
 *         bit 1  start protected, as if a ChangeCipherSpec had been seen
 *         bit 2  call tls_rec_gap() at the split (a capture gap)
 *         bit 3  small handshake cap (256 bytes): the over-cap path
 * The stream goes to two drivers: one gets it in one call, the other in two
 * calls cut at `split` (modulo size + 1). Every chunk is an exactly sized
 * heap copy, so AddressSanitizer catches a view that leaves what was fed.
 * Callbacks fold every byte they get into an order-sensitive digest.
 *
 * Property (tls_record.h: "every split of the same bytes gives the same
 * callbacks"): without an injected gap, and when the one-call feed never
 * lost framing, both drivers report exactly the same callbacks.
 * The stream also goes, split the same way, through tls_hs_feed() on its
 * own (as decrypted handshake plaintext would). Every buffer obtained
 * through the grow callback is released by the end. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tls_record.h"

struct rec_ctx {
    uint64_t h;
    size_t hs_max;
    size_t live, live_bytes; /* buffers obtained through grow and not yet freed */
};

static void on_handshake(void *ctx, uint8_t type, const uint8_t *body, size_t len)
{
    struct rec_ctx *c = ctx;
    FUZZ_CHECK(len <= c->hs_max);
    FUZZ_CHECK(len == 0 || body != NULL);
    c->h = fuzz_mix_u64(fuzz_mix_u64(c->h, 1), type);
    c->h = fuzz_mix(fuzz_mix_u64(c->h, len), body, len);
}

static void on_ccs(void *ctx)
{
    struct rec_ctx *c = ctx;
    c->h = fuzz_mix_u64(c->h, 2);
}

static void on_alert(void *ctx, uint8_t level, uint8_t desc)
{
    struct rec_ctx *c = ctx;
    c->h = fuzz_mix_u64(c->h, 3u << 16 | (unsigned)level << 8 | desc);
}

static void on_protected(void *ctx, uint8_t type, uint16_t version, const uint8_t *body, size_t len)
{
    struct rec_ctx *c = ctx;
    FUZZ_CHECK(len <= TLS_RECORD_BODY_MAX);
    c->h = fuzz_mix_u64(c->h, 4u << 24 | (unsigned)type << 16 | version);
    c->h = fuzz_mix_u64(c->h, len);
    if (body != NULL)
        c->h = fuzz_mix(c->h, body, len);
}

static void on_anomaly(void *ctx, const char *type, enum pr_status st)
{
    struct rec_ctx *c = ctx;
    FUZZ_CHECK(type != NULL);
    c->h = fuzz_mix(fuzz_mix_u64(c->h, 5u << 8 | (unsigned)st), type, strlen(type));
}

static void *on_grow(void *ctx, void *p, size_t old_size, size_t new_size)
{
    struct rec_ctx *c = ctx;
    FUZZ_CHECK((p == NULL) == (old_size == 0));
    if (new_size == 0) {
        FUZZ_CHECK(p != NULL && c->live > 0 && c->live_bytes >= old_size);
        free(p);
        c->live--;
        c->live_bytes -= old_size;
        return NULL;
    }
    void *np = realloc(p, new_size);
    if (np == NULL)
        return NULL; /* refusal: the old buffer stays with the caller */
    if (p == NULL)
        c->live++;
    c->live_bytes = c->live_bytes - old_size + new_size;
    return np;
}

static void set_ops(struct tls_rec_ops *ops, struct rec_ctx *c)
{
    memset(ops, 0, sizeof *ops);
    ops->handshake = on_handshake;
    ops->ccs = on_ccs;
    ops->alert = on_alert;
    ops->protected_record = on_protected;
    ops->anomaly = on_anomaly;
    ops->grow = on_grow;
    ops->ctx = c;
}

/* an exactly sized heap copy (at least one byte allocated, never read) */
static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
    uint8_t *q = malloc(n ? n : 1);
    FUZZ_CHECK(q != NULL);
    if (n > 0)
        memcpy(q, p, n);
    return q;
}

static enum pr_status feed_copy(struct tls_rec_dir *d, const struct tls_rec_ops *ops,
                                const uint8_t *p, size_t n)
{
    uint8_t *q = dup_exact(p, n);
    enum pr_status st = tls_rec_feed(d, ops, q, n);
    free(q);
    return st;
}

static void hs_feed_copy(struct tls_hs_asm *a, const struct tls_rec_ops *ops, const uint8_t *p,
                         size_t n)
{
    uint8_t *q = dup_exact(p, n);
    enum pr_status st = tls_hs_feed(a, ops, q, n);
    FUZZ_CHECK(st == PR_OK || st == PR_LIMIT);
    free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    uint8_t flags = data[0];
    size_t split = (size_t)data[1] << 8 | data[2];
    const uint8_t *s = data + 3;
    size_t n = size - 3;
    split %= n + 1;
    size_t hs_max = (flags & 8) ? 256 : 65536;

    /* A: the whole stream in one call */
    struct rec_ctx ca = {FUZZ_HASH_INIT, hs_max, 0, 0};
    struct tls_rec_ops oa;
    set_ops(&oa, &ca);
    struct tls_rec_dir da;
    tls_rec_init(&da, hs_max);
    da.want_protected = flags & 1;
    da.protect = flags & 2;
    enum pr_status sta = feed_copy(&da, &oa, s, n);

    /* B: two chunks, or two chunks with a gap between them */
    struct rec_ctx cb = {FUZZ_HASH_INIT, hs_max, 0, 0};
    struct tls_rec_ops ob;
    set_ops(&ob, &cb);
    struct tls_rec_dir db;
    tls_rec_init(&db, hs_max);
    db.want_protected = flags & 1;
    db.protect = flags & 2;
    enum pr_status stb1 = feed_copy(&db, &ob, s, split);
    if (flags & 4)
        tls_rec_gap(&db, &ob);
    enum pr_status stb2 = feed_copy(&db, &ob, s + split, n - split);

    if (!(flags & 4) && sta == PR_OK) {
        FUZZ_CHECK(stb1 == PR_OK && stb2 == PR_OK);
        FUZZ_CHECK(ca.h == cb.h);
        FUZZ_CHECK(da.records == db.records && da.bytes == db.bytes);
    }
    tls_rec_release(&da, &oa);
    tls_rec_release(&db, &ob);
    FUZZ_CHECK(ca.live == 0 && ca.live_bytes == 0);
    FUZZ_CHECK(cb.live == 0 && cb.live_bytes == 0);

    /* C and D: the handshake assembler on its own, whole and split */
    struct rec_ctx cc = {FUZZ_HASH_INIT, hs_max, 0, 0}, cd = {FUZZ_HASH_INIT, hs_max, 0, 0};
    struct tls_rec_ops oc, od;
    set_ops(&oc, &cc);
    set_ops(&od, &cd);
    struct tls_hs_asm hc, hd;
    tls_hs_init(&hc, hs_max);
    tls_hs_init(&hd, hs_max);
    hs_feed_copy(&hc, &oc, s, n);
    hs_feed_copy(&hd, &od, s, split);
    hs_feed_copy(&hd, &od, s + split, n - split);
    FUZZ_CHECK(cc.h == cd.h);
    /* tls_record.h has no release for a standalone assembler: its buffer
     * (public field) goes back through the same grow callback */
    if (hc.buf != NULL)
        on_grow(&cc, hc.buf, hc.buf_size, 0);
    if (hd.buf != NULL)
        on_grow(&cd, hd.buf, hd.buf_size, 0);
    FUZZ_CHECK(cc.live == 0 && cd.live == 0);
    return 0;
}
