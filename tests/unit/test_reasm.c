/* Unit tests for sensor/reasm.c: TCP reassembly of one direction.
 *
 * The sink appends delivered bytes to a buffer and logs deliveries and gaps
 * in order, so each case can assert the exact byte stream and the exact
 * gap sizes. Segments are passed from exactly sized heap copies that are
 * freed right after the call: a held segment that kept a pointer into the
 * packet instead of copying would be caught by AddressSanitizer. Memory is
 * charged to a struct cs_mem whose `used` must come back to its starting
 * value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reasm.h"

#define DATA_MAX 4096

struct ev {
    char kind; /* 'D' delivered, 'G' gap */
    size_t n;
};

struct sinkc {
    uint8_t out[2 * DATA_MAX];
    size_t n;
    struct ev ev[1024];
    size_t nev;
    size_t gap_total;
    const uint8_t *last_p; /* pointer of the last delivery */
};

static void sk_deliver(void *ctx, const uint8_t *p, size_t n)
{
    struct sinkc *s = ctx;
    assert_true(n > 0);
    assert_true(s->n + n <= sizeof s->out);
    memcpy(s->out + s->n, p, n);
    s->n += n;
    s->last_p = p;
    assert_true(s->nev < 1024);
    s->ev[s->nev++] = (struct ev){'D', n};
}

static void sk_gap(void *ctx, size_t n)
{
    struct sinkc *s = ctx;
    assert_true(n > 0);
    s->gap_total += n;
    assert_true(s->nev < 1024);
    s->ev[s->nev++] = (struct ev){'G', n};
}

struct fix {
    struct cs_mem mem;
    struct reasm_glob g;
    struct reasm_dir d;
    struct sinkc s;
    struct reasm_sink k;
    uint8_t data[DATA_MAX]; /* the stream's true bytes, offset 0 = base */
    uint32_t base;
};

static void fix_init(struct fix *f, uint32_t base)
{
    memset(f, 0, sizeof *f);
    f->mem.cap = 1u << 24;
    f->g.mem = &f->mem;
    f->g.max_dir = 1u << 20;
    f->g.max_total = 1u << 22;
    f->g.max_segs_dir = 64;
    f->k = (struct reasm_sink){sk_deliver, sk_gap, &f->s};
    f->base = base;
    for (size_t i = 0; i < DATA_MAX; i++)
        f->data[i] = (uint8_t)(i * 131u + (i >> 8) + 7u);
    reasm_start(&f->d, base);
}

/* segment [off, off + len) of the true stream, `cap` bytes captured;
 * returns the heap copy's address (already freed: compare only) */
static uintptr_t seg_cap(struct fix *f, size_t off, size_t cap, size_t len)
{
    uint8_t *q = malloc(cap ? cap : 1);
    assert_non_null(q);
    memcpy(q, f->data + off, cap);
    reasm_segment(&f->g, &f->d, f->base + (uint32_t)off, q, cap, len, &f->k);
    free(q);
    return (uintptr_t)q;
}

static void seg(struct fix *f, size_t off, size_t len)
{
    seg_cap(f, off, len, len);
}

/* same sequence range as the true stream, other bytes */
static void seg_bytes(struct fix *f, size_t off, const uint8_t *p, size_t len)
{
    uint8_t *q = malloc(len);
    assert_non_null(q);
    memcpy(q, p, len);
    reasm_segment(&f->g, &f->d, f->base + (uint32_t)off, q, len, len, &f->k);
    free(q);
}

static void assert_delivered(const struct fix *f, size_t from, size_t to)
{
    assert_int_equal(f->s.n, to - from);
    assert_memory_equal(f->s.out, f->data + from, to - from);
}

/* invariants that must hold after every call */
static void assert_accounting(const struct fix *f)
{
    assert_true(f->d.held_bytes <= f->g.max_dir);
    assert_true(f->d.held_count <= f->g.max_segs_dir);
    assert_int_equal(f->g.held_total, f->d.held_bytes);
    assert_int_equal(f->d.held_count == 0, f->d.held == NULL);
    assert_int_equal(f->d.tail == NULL, f->d.held == NULL);
}

static void test_in_order_no_copy(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, 1000);
    seg(&f, 0, 100);
    uint8_t *q = malloc(200);
    memcpy(q, f.data + 100, 200);
    reasm_segment(&f.g, &f.d, 1100, q, 200, 200, &f.k);
    assert_ptr_equal(f.s.last_p, q); /* straight from the packet */
    free(q);
    seg(&f, 300, 1);
    assert_delivered(&f, 0, 301);
    assert_int_equal(f.s.nev, 3);
    assert_int_equal(f.d.next_seq, 1301);
    assert_int_equal(f.mem.used, 0);
    assert_int_equal(f.mem.peak, 0); /* nothing was ever held */
    assert_int_equal(f.g.st.ooo, 0);
    assert_int_equal(f.g.st.retransmits, 0);
    assert_int_equal(f.g.st.gaps, 0);
    /* empty segments (pure ACKs) change nothing */
    reasm_segment(&f.g, &f.d, 1301, f.data, 0, 0, &f.k);
    reasm_segment(&f.g, &f.d, 5000, f.data, 0, 0, &f.k);
    assert_int_equal(f.d.next_seq, 1301);
    assert_int_equal(f.s.nev, 3);
}

static void test_first_segment_starts_direction(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, 77);
    memset(&f.d, 0, sizeof f.d); /* not started: the first segment sets next_seq */
    seg(&f, 10, 50);
    assert_true(f.d.started);
    assert_int_equal(f.d.next_seq, 77 + 60);
    assert_int_equal(f.s.n, 50);
    assert_memory_equal(f.s.out, f.data + 10, 50);
}

/* all 24 orders of 4 segments, disjoint and overlapping */
static void permute_case(const size_t (*segs)[2], uint32_t base)
{
    static const int perms[24][4] = {
        {0, 1, 2, 3}, {0, 1, 3, 2}, {0, 2, 1, 3}, {0, 2, 3, 1}, {0, 3, 1, 2}, {0, 3, 2, 1},
        {1, 0, 2, 3}, {1, 0, 3, 2}, {1, 2, 0, 3}, {1, 2, 3, 0}, {1, 3, 0, 2}, {1, 3, 2, 0},
        {2, 0, 1, 3}, {2, 0, 3, 1}, {2, 1, 0, 3}, {2, 1, 3, 0}, {2, 3, 0, 1}, {2, 3, 1, 0},
        {3, 0, 1, 2}, {3, 0, 2, 1}, {3, 1, 0, 2}, {3, 1, 2, 0}, {3, 2, 0, 1}, {3, 2, 1, 0},
    };
    size_t end = 0;
    for (int i = 0; i < 4; i++)
        if (segs[i][0] + segs[i][1] > end)
            end = segs[i][0] + segs[i][1];
    for (int p = 0; p < 24; p++) {
        struct fix f;
        fix_init(&f, base);
        for (int i = 0; i < 4; i++) {
            int s = perms[p][i];
            seg(&f, segs[s][0], segs[s][1]);
            assert_accounting(&f);
        }
        assert_delivered(&f, 0, end);
        assert_int_equal(f.s.gap_total, 0);
        assert_int_equal(f.g.st.gaps, 0);
        assert_int_equal(f.g.st.overlaps_differ, 0);
        assert_null(f.d.held);
        assert_int_equal(f.d.held_count, 0);
        assert_int_equal(f.mem.used, 0);
        assert_int_equal(f.d.next_seq, (uint32_t)(base + end));
        if (p == 0)
            assert_int_equal(f.g.st.ooo, 0); /* all in order: nothing held */
        if (perms[p][0] != 0)
            assert_true(f.g.st.ooo > 0 && f.mem.peak > 0); /* something was held */
    }
}

static void test_permutations(void **state)
{
    (void)state;
    static const size_t disjoint[4][2] = {{0, 100}, {100, 80}, {180, 120}, {300, 100}};
    static const size_t overlapping[4][2] = {{0, 120}, {100, 100}, {150, 170}, {300, 100}};
    static const size_t nested[4][2] = {{0, 50}, {50, 350}, {100, 50}, {120, 10}};
    permute_case(disjoint, 5000);
    permute_case(overlapping, 5000);
    permute_case(nested, 5000);
    permute_case(disjoint, 0xffffff00u); /* across the wrap */
    permute_case(overlapping, 0xffffffc0u);
}

static void test_retransmission(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, 100);
    seg(&f, 0, 100);
    seg(&f, 0, 100); /* exact retransmission */
    assert_int_equal(f.g.st.retransmits, 1);
    assert_delivered(&f, 0, 100);
    seg(&f, 20, 30); /* inside delivered data */
    assert_int_equal(f.g.st.retransmits, 2);
    assert_delivered(&f, 0, 100);
    seg(&f, 50, 100); /* half old, half new: only the new half is delivered */
    assert_int_equal(f.g.st.retransmits, 3);
    assert_delivered(&f, 0, 150);
    assert_int_equal(f.s.ev[f.s.nev - 1].n, 50);
    /* delivered bytes win even when the retransmission carries other bytes */
    uint8_t other[60];
    memset(other, 0xee, sizeof other);
    seg_bytes(&f, 120, other, 60);
    assert_int_equal(f.s.n, 180);
    assert_memory_equal(f.s.out, f.data, 150);
    assert_memory_equal(f.s.out + 150, other + 30, 30);
    /* a retransmission of a held segment is held once */
    seg(&f, 300, 50);
    seg(&f, 300, 50);
    seg(&f, 300, 20);
    assert_int_equal(f.d.held_count, 1);
    assert_int_equal(f.d.held_bytes, 50);
    assert_int_equal(f.g.st.retransmits, 6);
    assert_int_equal(f.g.st.overlaps_differ, 0);
    reasm_release(&f.g, &f.d);
    assert_int_equal(f.mem.used, 0);
}

static void test_overlaps_differ(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, 0);
    seg(&f, 100, 100); /* held [100,200) */
    uint8_t alt[100];
    memcpy(alt, f.data + 150, 100);
    alt[10] ^= 0xff;              /* differs at 160, inside the held segment */
    seg_bytes(&f, 150, alt, 100); /* held [150,250): overlap disagrees */
    assert_int_equal(f.g.st.overlaps_differ, 1);
    /* agreeing overlap: not counted */
    seg(&f, 240, 30);
    assert_int_equal(f.g.st.overlaps_differ, 1);
    /* exact duplicate position with other bytes */
    uint8_t alt2[100];
    memcpy(alt2, f.data + 100, 100);
    alt2[0] ^= 1;
    seg_bytes(&f, 100, alt2, 100);
    assert_int_equal(f.g.st.overlaps_differ, 2);
    assert_int_equal(f.d.held_count, 3);
    assert_accounting(&f);
    /* fill the hole: the earlier-starting held segment wins on [150,200),
     * the later one contributes [200,250), with its own byte at 160 unused */
    seg(&f, 0, 100);
    assert_int_equal(f.s.n, 270);
    assert_memory_equal(f.s.out, f.data, 200);
    assert_memory_equal(f.s.out + 200, alt + 50, 50);
    assert_memory_equal(f.s.out + 250, f.data + 250, 20);
    assert_int_equal(f.mem.used, 0);

    /* a new segment straddling two held ones, disagreeing with the second */
    fix_init(&f, 0);
    seg(&f, 100, 50);
    seg(&f, 200, 50);
    uint8_t alt3[150];
    memcpy(alt3, f.data + 120, 150);
    alt3[100] ^= 0x55; /* stream offset 220 */
    seg_bytes(&f, 120, alt3, 150);
    assert_int_equal(f.g.st.overlaps_differ, 1);
    reasm_release(&f.g, &f.d);
    assert_int_equal(f.mem.used, 0);
}

/* [REASM-FAST] a segment that starts after the last held one skips the walks
 * of the held list; it must still see an earlier long segment that reaches past
 * the last one's start, and a duplicate of the last one */
static void test_fast_path_edges(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, 0);
    seg(&f, 1000, 2000); /* held [1000,3000) */
    seg(&f, 1500, 100);  /* starts later, inside it, agrees */
    assert_int_equal(f.g.st.overlaps_differ, 0);
    uint8_t alt[100], alt2[50];
    memcpy(alt, f.data + 2000, 100);
    alt[50] ^= 0xff;               /* stream offset 2050 */
    seg_bytes(&f, 2000, alt, 100); /* after the last start, inside the first one */
    assert_int_equal(f.g.st.overlaps_differ, 1);
    memcpy(alt2, f.data + 2000, 50);
    alt2[0] ^= 1;
    seg_bytes(&f, 2000, alt2, 50); /* the last one's start again, shorter, other bytes */
    assert_int_equal(f.g.st.retransmits, 1);
    assert_int_equal(f.g.st.overlaps_differ, 2);
    seg(&f, 3500, 100); /* past every held byte */
    seg(&f, 3200, 100); /* before the last one */
    assert_int_equal(f.d.held_count, 5);
    assert_int_equal(f.g.st.overlaps_differ, 2);
    assert_accounting(&f);
    /* the holes fill: the first bytes held win everywhere */
    seg(&f, 0, 1000);
    assert_delivered(&f, 0, 3000);
    assert_int_equal(f.d.held_count, 2);
    assert_accounting(&f);
    seg(&f, 3000, 200);
    seg(&f, 3300, 200);
    assert_delivered(&f, 0, 3600);
    assert_null(f.d.held);
    assert_null(f.d.tail);
    /* an emptied list starts over */
    seg(&f, 4000, 10);
    seg(&f, 3700, 10);
    seg(&f, 4020, 10);
    assert_int_equal(f.d.held_count, 3);
    assert_accounting(&f);
    reasm_drain(&f.g, &f.d, &f.k);
    assert_int_equal(f.s.n, 3630);
    assert_memory_equal(f.s.out + 3600, f.data + 3700, 10);
    assert_memory_equal(f.s.out + 3610, f.data + 4000, 10);
    assert_memory_equal(f.s.out + 3620, f.data + 4020, 10);
    assert_null(f.d.tail);
    assert_int_equal(f.mem.used, 0);
}

static void test_wraparound(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, 0xfffffff0u);
    seg(&f, 0, 10);
    seg(&f, 40, 20); /* 0x00000018..: held across the wrap */
    assert_int_equal(f.d.held_count, 1);
    seg(&f, 10, 30); /* 0xfffffffa..0x00000018 fills the hole */
    assert_delivered(&f, 0, 60);
    assert_int_equal(f.d.next_seq, 0x2cu);
    assert_int_equal(f.g.st.gaps, 0);
    seg(&f, 5, 20); /* old data before the wrap point */
    assert_int_equal(f.g.st.retransmits, 1);
    assert_delivered(&f, 0, 60);
    /* an ack after the wrap skips a gap that crosses it */
    fix_init(&f, 0xffffff00u);
    seg(&f, 0, 16);
    seg(&f, 0x200, 16);
    reasm_ack(&f.g, &f.d, 0xffffff00u + 0x210u, &f.k);
    assert_int_equal(f.g.st.gaps, 1);
    assert_int_equal(f.g.st.gap_bytes, 0x200 - 16);
    assert_int_equal(f.d.next_seq, 0x110u);
    assert_int_equal(f.s.n, 32);
}

static void test_ack_skips_gap(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, 5000);
    seg(&f, 0, 100);
    seg(&f, 300, 100);
    seg(&f, 500, 100);
    /* acks not beyond next_seq, or not reaching the held data: keep waiting */
    reasm_ack(&f.g, &f.d, 5000 + 100, &f.k);
    reasm_ack(&f.g, &f.d, 5000 + 50, &f.k);
    reasm_ack(&f.g, &f.d, 5000 + 299, &f.k);
    assert_int_equal(f.g.st.gaps, 0);
    assert_int_equal(f.s.n, 100);
    /* the peer acknowledged 300: [100,300) will never come */
    reasm_ack(&f.g, &f.d, 5000 + 300, &f.k);
    assert_int_equal(f.g.st.gaps, 1);
    assert_int_equal(f.g.st.gap_bytes, 200);
    assert_int_equal(f.s.nev, 3);
    assert_int_equal(f.s.ev[1].kind, 'G');
    assert_int_equal(f.s.ev[1].n, 200);
    assert_int_equal(f.s.ev[2].kind, 'D');
    assert_int_equal(f.s.ev[2].n, 100);
    assert_int_equal(f.d.next_seq, 5400);
    assert_int_equal(f.d.held_count, 1);
    /* an ack beyond everything skips the next hole too, once */
    reasm_ack(&f.g, &f.d, 5000 + 1000, &f.k);
    assert_int_equal(f.g.st.gaps, 2);
    assert_int_equal(f.g.st.gap_bytes, 300);
    assert_int_equal(f.d.next_seq, 5600);
    assert_null(f.d.held);
    reasm_ack(&f.g, &f.d, 5000 + 2000, &f.k); /* nothing held: nothing to do */
    assert_int_equal(f.g.st.gaps, 2);
    /* the bytes that did arrive are intact around the gaps */
    assert_int_equal(f.s.n, 300);
    assert_memory_equal(f.s.out, f.data, 100);
    assert_memory_equal(f.s.out + 100, f.data + 300, 100);
    assert_memory_equal(f.s.out + 200, f.data + 500, 100);
    assert_int_equal(f.mem.used, 0);
    /* an ack on a direction that never started does nothing */
    struct reasm_dir fresh = {0};
    reasm_ack(&f.g, &fresh, 123, &f.k);
    assert_false(fresh.started);
}

static void test_bound_per_direction(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, 0);
    f.g.max_dir = 250;
    seg(&f, 0, 10);
    seg(&f, 100, 100); /* held 100 */
    seg(&f, 300, 100); /* held 200 */
    assert_int_equal(f.d.held_bytes, 200);
    /* 100 more would make 300 > 250: the first hole is given up */
    seg(&f, 500, 100);
    assert_accounting(&f);
    assert_int_equal(f.g.st.gaps, 1);
    assert_int_equal(f.g.st.gap_bytes, 90);
    assert_int_equal(f.d.next_seq, 200);
    assert_int_equal(f.d.held_bytes, 200); /* [300,400) and [500,600) */
    assert_int_equal(f.g.st.limit_drops, 0);
    assert_int_equal(f.s.n, 110);
    /* never more than max_dir held, whatever arrives */
    for (size_t off = 700; off + 60 <= DATA_MAX; off += 80) {
        seg(&f, off, 60);
        assert_accounting(&f);
    }
    assert_true(f.g.st.gaps > 2);
    assert_true(f.g.st.held_peak <= 250);
    /* a segment larger than the bound on its own cannot be held: dropped, counted */
    struct fix h;
    fix_init(&h, 0);
    h.g.max_dir = 250;
    seg(&h, 100, 300);
    assert_int_equal(h.g.st.limit_drops, 1);
    assert_int_equal(h.d.held_count, 0);
    assert_int_equal(h.mem.used, 0);
    assert_int_equal(h.s.nev, 0);
    reasm_release(&f.g, &f.d);
    assert_int_equal(f.mem.used, 0);
}

static void test_bound_keeps_earlier_data(void **state)
{
    (void)state;
    /* the bound is hit by a segment that starts before everything held:
     * the bytes in hand are delivered, only the real hole is a gap */
    struct fix f;
    fix_init(&f, 0);
    f.g.max_dir = 250;
    seg(&f, 1000, 200);
    seg(&f, 100, 100);
    assert_accounting(&f);
    assert_int_equal(f.g.st.gaps, 1);
    assert_int_equal(f.g.st.gap_bytes, 100);
    assert_int_equal(f.s.n, 100);
    assert_memory_equal(f.s.out, f.data + 100, 100);
    assert_int_equal(f.d.next_seq, 200);
    assert_int_equal(f.d.held_count, 1);
    /* the rest of the hole can still be filled */
    seg(&f, 200, 800);
    assert_int_equal(f.g.st.gaps, 1);
    assert_int_equal(f.s.n, 1100);
    assert_memory_equal(f.s.out + 100, f.data + 200, 1000);
    assert_int_equal(f.mem.used, 0);
}

static void test_max_segs(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, 0);
    f.g.max_segs_dir = 3;
    seg(&f, 100, 10);
    seg(&f, 200, 10);
    seg(&f, 300, 10);
    assert_int_equal(f.d.held_count, 3);
    seg(&f, 400, 10); /* a fourth: the first hole goes */
    assert_accounting(&f);
    assert_int_equal(f.d.held_count, 3);
    assert_int_equal(f.g.st.gaps, 1);
    assert_int_equal(f.g.st.gap_bytes, 100);
    assert_int_equal(f.d.next_seq, 110);
    for (size_t off = 500; off < 3000; off += 20) {
        seg(&f, off, 10);
        assert_accounting(&f);
    }
    reasm_drain(&f.g, &f.d, &f.k);
    assert_null(f.d.held);
    assert_int_equal(f.mem.used, 0);
    /* everything that arrived was delivered, in order */
    size_t n = 0;
    for (size_t off = 100; off < 3000; off += off < 400 ? 100 : (off == 400 ? 100 : 20)) {
        assert_memory_equal(f.s.out + n, f.data + off, 10);
        n += 10;
    }
    assert_int_equal(n, f.s.n);
}

static void test_snap_cut(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, 0);
    seg_cap(&f, 0, 60, 100); /* in order, 40 bytes cut */
    assert_int_equal(f.s.nev, 2);
    assert_int_equal(f.s.ev[0].kind, 'D');
    assert_int_equal(f.s.ev[0].n, 60);
    assert_int_equal(f.s.ev[1].kind, 'G');
    assert_int_equal(f.s.ev[1].n, 40);
    assert_int_equal(f.g.st.gaps, 1);
    assert_int_equal(f.g.st.gap_bytes, 40);
    assert_int_equal(f.d.next_seq, 100);
    /* held, then cut: the cut is a gap when the segment is delivered */
    seg_cap(&f, 200, 30, 100);
    assert_int_equal(f.d.held_bytes, 30);
    seg(&f, 100, 100);
    assert_int_equal(f.d.next_seq, 300);
    assert_int_equal(f.g.st.gaps, 2);
    assert_int_equal(f.g.st.gap_bytes, 110);
    assert_int_equal(f.s.n, 60 + 100 + 30);
    assert_memory_equal(f.s.out + 60, f.data + 100, 130);
    /* nothing captured at all: all of it is a gap */
    seg_cap(&f, 300, 0, 50);
    assert_int_equal(f.g.st.gap_bytes, 160);
    assert_int_equal(f.d.next_seq, 350);
    /* cap > len is clamped */
    seg_cap(&f, 350, 20, 10);
    assert_int_equal(f.d.next_seq, 360);
    assert_int_equal(f.s.n, 200);
    assert_int_equal(f.mem.used, 0);
}

static void test_drain(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, 42);
    seg(&f, 0, 10);
    seg(&f, 700, 50);
    seg(&f, 100, 50);
    seg(&f, 140, 30); /* overlaps [100,150) */
    seg(&f, 300, 50);
    assert_int_equal(f.d.held_count, 4);
    reasm_drain(&f.g, &f.d, &f.k);
    const struct ev want[] = {{'D', 10},  {'G', 90}, {'D', 50},  {'D', 20},
                              {'G', 130}, {'D', 50}, {'G', 350}, {'D', 50}};
    assert_int_equal(f.s.nev, 8);
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(f.s.ev[i].kind, want[i].kind);
        assert_int_equal(f.s.ev[i].n, want[i].n);
    }
    assert_int_equal(f.g.st.gaps, 3);
    assert_int_equal(f.g.st.gap_bytes, 570);
    assert_memory_equal(f.s.out + 10, f.data + 100, 70);
    assert_memory_equal(f.s.out + 80, f.data + 300, 50);
    assert_memory_equal(f.s.out + 130, f.data + 700, 50);
    assert_null(f.d.held);
    assert_int_equal(f.d.held_bytes, 0);
    assert_int_equal(f.g.held_total, 0);
    assert_int_equal(f.mem.used, 0);
    reasm_drain(&f.g, &f.d, &f.k); /* nothing left */
    assert_int_equal(f.s.nev, 8);
}

static void test_release(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, 0);
    uint64_t before = 12345;
    f.mem.used = before; /* someone else's allocations */
    for (size_t off = 100; off < 2000; off += 100)
        seg(&f, off, 50);
    assert_int_equal(f.d.held_count, 19);
    assert_true(f.mem.used > before + 19 * 50);
    assert_int_equal(f.g.st.held_peak, 19 * 50);
    reasm_release(&f.g, &f.d);
    assert_int_equal(f.mem.used, before);
    assert_null(f.d.held);
    assert_int_equal(f.d.held_count, 0);
    assert_int_equal(f.d.held_bytes, 0);
    assert_int_equal(f.g.held_total, 0);
    assert_int_equal(f.s.nev, 0); /* nothing delivered */
    reasm_release(&f.g, &f.d);    /* twice is harmless */
    assert_int_equal(f.mem.used, before);
}

static void test_memcap_degrades(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, 0);
    f.mem.cap = 400; /* room for about two small segments with their headers */
    for (size_t off = 100; off < 2000; off += 100) {
        seg(&f, off, 50);
        assert_accounting(&f);
        assert_true(f.mem.used <= f.mem.cap);
    }
    assert_true(f.d.held_count >= 1);
    assert_true(f.g.st.gaps + f.g.st.limit_drops > 0);
    reasm_drain(&f.g, &f.d, &f.k);
    assert_int_equal(f.mem.used, 0);
    /* every byte delivered is the true byte at its place */
    size_t n = 0;
    uint32_t pos = 0;
    for (size_t i = 0; i < f.s.nev; i++) {
        if (f.s.ev[i].kind == 'G') {
            pos += (uint32_t)f.s.ev[i].n;
            continue;
        }
        assert_memory_equal(f.s.out + n, f.data + pos, f.s.ev[i].n);
        n += f.s.ev[i].n;
        pos += (uint32_t)f.s.ev[i].n;
    }
    assert_int_equal(pos, 1950);

    /* a cap that refuses everything: no crash, the drop is counted */
    fix_init(&f, 0);
    f.mem.cap = 10;
    seg(&f, 100, 50);
    assert_int_equal(f.g.st.limit_drops, 1);
    assert_int_equal(f.d.held_count, 0);
    assert_int_equal(f.mem.used, 0);
    seg(&f, 0, 100); /* in-order data needs no memory */
    assert_delivered(&f, 0, 100);
}

static void test_global_bound(void **state)
{
    (void)state;
    struct fix f;
    fix_init(&f, 0);
    f.g.max_total = 150;
    struct reasm_dir other = {0};
    reasm_start(&other, 0);
    /* the other direction holds 100 */
    uint8_t *q = malloc(100);
    memcpy(q, f.data, 100);
    reasm_segment(&f.g, &other, 1000, q, 100, 100, &f.k);
    free(q);
    assert_int_equal(f.g.held_total, 100);
    seg(&f, 100, 40);
    assert_int_equal(f.g.held_total, 140);
    seg(&f, 300, 40); /* 180 > 150: this direction gives up its hole */
    assert_true(f.g.held_total <= 150);
    assert_int_equal(f.g.st.gaps, 1);
    assert_int_equal(f.d.next_seq, 140);
    reasm_release(&f.g, &f.d);
    reasm_release(&f.g, &other);
    assert_int_equal(f.g.held_total, 0);
    assert_int_equal(f.mem.used, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order_no_copy),
        cmocka_unit_test(test_first_segment_starts_direction),
        cmocka_unit_test(test_permutations),
        cmocka_unit_test(test_retransmission),
        cmocka_unit_test(test_overlaps_differ),
        cmocka_unit_test(test_fast_path_edges),
        cmocka_unit_test(test_wraparound),
        cmocka_unit_test(test_ack_skips_gap),
        cmocka_unit_test(test_bound_per_direction),
        cmocka_unit_test(test_bound_keeps_earlier_data),
        cmocka_unit_test(test_max_segs),
        cmocka_unit_test(test_snap_cut),
        cmocka_unit_test(test_drain),
        cmocka_unit_test(test_release),
        cmocka_unit_test(test_memcap_degrades),
        cmocka_unit_test(test_global_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
