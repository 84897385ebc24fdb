#include "reasm.h"

#include <string.h>

struct reasm_seg {
    struct reasm_seg *next;
    uint32_t seq;
    uint32_t held_end; /* tail only: no held byte lies at or after this (an upper bound) */
    size_t cap; /* bytes stored in data[] */
    size_t len; /* sequence space covered (>= cap when the capture cut bytes) */
    uint8_t data[];
};

/* signed distance a - b in sequence space (RFC 793 3.3, modulo 2^32) */
static int64_t seq_diff(uint32_t a, uint32_t b)
{
    return (int64_t)(int32_t)(a - b);
}

void reasm_start(struct reasm_dir *d, uint32_t seq)
{
    d->next_seq = seq;
    d->started = true;
}

/* Take the first held segment off the list. */
static struct reasm_seg *unlink_head(struct reasm_dir *d)
{
    struct reasm_seg *s = d->held;
    d->held = s->next;
    if (d->held == NULL)
        d->tail = NULL;
    return s;
}

static void seg_free(struct reasm_glob *g, struct reasm_dir *d, struct reasm_seg *s)
{
    d->held_bytes -= s->cap;
    d->held_count--;
    g->held_total -= s->cap;
    mem_free(g->mem, s, sizeof *s + s->cap);
}

/* Deliver [seq, seq+len) of which the first cap bytes are present, given
 * that seq <= next_seq; only bytes beyond next_seq count. */
static void deliver_range(struct reasm_glob *g, struct reasm_dir *d, uint32_t seq,
                          const uint8_t *p, size_t cap, size_t len,
                          const struct reasm_sink *sink)
{
    int64_t skip = seq_diff(d->next_seq, seq);
    if (skip < 0)
        return;
    size_t sk = (size_t)skip;
    if (sk >= len)
        return;
    if (sk < cap) {
        size_t n = cap - sk;
        d->next_seq += (uint32_t)n;
        sink->deliver(sink->ctx, p + sk, n);
        sk = cap;
    }
    if (sk < len) { /* bytes the capture did not keep */
        size_t n = len - sk;
        g->st.gaps++;
        g->st.gap_bytes += n;
        d->next_seq += (uint32_t)n;
        sink->gap(sink->ctx, n);
    }
}

/* Hand over every held segment that now touches next_seq. */
static void drain_ready(struct reasm_glob *g, struct reasm_dir *d, const struct reasm_sink *sink)
{
    while (d->held != NULL && seq_diff(d->held->seq, d->next_seq) <= 0) {
        struct reasm_seg *s = unlink_head(d);
        deliver_range(g, d, s->seq, s->data, s->cap, s->len, sink);
        seg_free(g, d, s);
    }
}

/* Give up on the hole before the first held segment. */
static void skip_gap(struct reasm_glob *g, struct reasm_dir *d, const struct reasm_sink *sink)
{
    if (d->held == NULL)
        return;
    int64_t hole = seq_diff(d->held->seq, d->next_seq);
    if (hole > 0) {
        g->st.gaps++;
        g->st.gap_bytes += (uint64_t)hole;
        d->next_seq = d->held->seq;
        sink->gap(sink->ctx, (size_t)hole);
    }
    drain_ready(g, d, sink);
}

static bool fits(const struct reasm_glob *g, const struct reasm_dir *d, size_t n)
{
    return d->held_count < g->max_segs_dir && n <= g->max_dir - d->held_bytes &&
           d->held_bytes <= g->max_dir && g->held_total <= g->max_total &&
           n <= g->max_total - g->held_total && mem_fits(g->mem, n + sizeof(struct reasm_seg));
}

/* Count held bytes that a new segment overlaps but disagrees with. */
static void compare_overlaps(struct reasm_glob *g, const struct reasm_dir *d, uint32_t seq,
                             const uint8_t *p, size_t cap)
{
    for (const struct reasm_seg *s = d->held; s != NULL; s = s->next) {
        int64_t off = seq_diff(seq, s->seq); /* new relative to held */
        if (off >= (int64_t)s->cap)
            continue;
        if (-off >= (int64_t)cap)
            break;
        size_t a_off = off >= 0 ? 0 : (size_t)-off;    /* into new */
        size_t b_off = off >= 0 ? (size_t)off : 0;     /* into held */
        size_t n = cap - a_off < s->cap - b_off ? cap - a_off : s->cap - b_off;
        if (memcmp(p + a_off, s->data + b_off, n) != 0) {
            g->st.overlaps_differ++;
            return;
        }
    }
}

/* Where a segment starting at seq goes: after every held one that starts at or
 * before it. */
static struct reasm_seg **insert_point(struct reasm_dir *d, uint32_t seq)
{
    if (d->tail != NULL && seq_diff(seq, d->tail->seq) > 0)
        return &d->tail->next;
    struct reasm_seg **pp = &d->held;
    while (*pp != NULL && seq_diff((*pp)->seq, seq) <= 0)
        pp = &(*pp)->next;
    return pp;
}

static void hold(struct reasm_glob *g, struct reasm_dir *d, uint32_t seq, const uint8_t *p,
                 size_t cap, size_t len, const struct reasm_sink *sink)
{
    /* [REASM-FAST] a segment that starts after every held one cannot repeat one,
     * and one that starts past every held byte cannot overlap one: a hole followed
     * by segments in order (and a flood of them) costs O(1) per segment, not a walk
     * of up to max_segs_dir held segments */
    struct reasm_seg **pp = &d->held;
    if (d->tail == NULL || seq_diff(seq, d->tail->seq) <= 0) {
        /* an exact duplicate of a held segment adds nothing */
        while (*pp != NULL && seq_diff((*pp)->seq, seq) <= 0) {
            if ((*pp)->seq == seq && (*pp)->len >= len) {
                g->st.retransmits++;
                if (cap <= (*pp)->cap && memcmp((*pp)->data, p, cap) != 0)
                    g->st.overlaps_differ++;
                return;
            }
            pp = &(*pp)->next;
        }
    } else {
        pp = &d->tail->next;
    }
    if (d->tail != NULL && seq_diff(seq, d->tail->held_end) < 0)
        compare_overlaps(g, d, seq, p, cap);
    if (!fits(g, d, cap)) {
        /* [REASM-BOUND] the hole is not going to be waited for any longer.
         * Skip only up to the earliest byte in hand: when the new segment
         * starts before every held one, the hole ends at the new segment
         * (skipping to the first held one would discard the new bytes). */
        if (d->held != NULL && seq_diff(seq, d->held->seq) < 0) {
            int64_t hole = seq_diff(seq, d->next_seq); /* > 0: we are in hold() */
            g->st.gaps++;
            g->st.gap_bytes += (uint64_t)hole;
            d->next_seq = seq;
            sink->gap(sink->ctx, (size_t)hole);
            deliver_range(g, d, seq, p, cap, len, sink);
            drain_ready(g, d, sink);
            return;
        }
        skip_gap(g, d, sink);
        int64_t rel = seq_diff(seq, d->next_seq);
        if (rel <= 0) {
            deliver_range(g, d, seq, p, cap, len, sink);
            drain_ready(g, d, sink);
            return;
        }
        if (!fits(g, d, cap)) {
            g->st.limit_drops++;
            return;
        }
        pp = insert_point(d, seq);
    }
    struct reasm_seg *s = mem_calloc(g->mem, 1, sizeof *s + cap);
    if (s == NULL) {
        g->st.limit_drops++;
        return;
    }
    s->seq = seq;
    s->cap = cap;
    s->len = len;
    if (cap > 0)
        memcpy(s->data, p, cap);
    /* the tail's held_end stays an upper bound as segments leave from the front */
    uint32_t end = seq + (uint32_t)len;
    if (d->tail != NULL && seq_diff(d->tail->held_end, end) > 0)
        end = d->tail->held_end;
    s->next = *pp;
    *pp = s;
    if (s->next == NULL)
        d->tail = s;
    d->tail->held_end = end;
    d->held_bytes += cap;
    d->held_count++;
    g->held_total += cap;
    if (g->held_total > g->st.held_peak)
        g->st.held_peak = g->held_total;
}

void reasm_segment(struct reasm_glob *g, struct reasm_dir *d, uint32_t seq, const uint8_t *p,
                   size_t cap, size_t len, const struct reasm_sink *sink)
{
    if (len == 0)
        return;
    if (cap > len)
        cap = len;
    if (!d->started)
        reasm_start(d, seq);
    int64_t rel = seq_diff(seq, d->next_seq);
    if (rel <= 0) {
        if (seq_diff(seq + (uint32_t)len, d->next_seq) <= 0) {
            g->st.retransmits++;
            return;
        }
        if (rel < 0)
            g->st.retransmits++;
        deliver_range(g, d, seq, p, cap, len, sink);
        drain_ready(g, d, sink);
        return;
    }
    g->st.ooo++;
    hold(g, d, seq, p, cap, len, sink);
}

void reasm_ack(struct reasm_glob *g, struct reasm_dir *d, uint32_t ack,
               const struct reasm_sink *sink)
{
    if (!d->started || d->held == NULL)
        return;
    /* only when the receiver has acknowledged bytes we never saw */
    if (seq_diff(ack, d->next_seq) > 0 && seq_diff(d->held->seq, ack) <= 0)
        skip_gap(g, d, sink);
}

void reasm_drain(struct reasm_glob *g, struct reasm_dir *d, const struct reasm_sink *sink)
{
    while (d->held != NULL)
        skip_gap(g, d, sink);
}

void reasm_release(struct reasm_glob *g, struct reasm_dir *d)
{
    while (d->held != NULL)
        seg_free(g, d, unlink_head(d));
}
