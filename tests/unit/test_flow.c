/* Unit tests for sensor/flow.c: the bidirectional flow table.
 *
 * on_end appends (id, reason, first port) to a log, so eviction, expiry
 * and flush order are asserted exactly. Memory goes through a struct
 * cs_mem whose `used` must come back to zero when the table is freed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flow.h"

struct ended {
    uint64_t id;
    enum flow_end_reason why;
    uint16_t port0;
    int64_t last_us;
};

struct endlog {
    struct ended e[8192];
    size_t n;
};

static void on_end(void *ctx, struct flow *f, enum flow_end_reason why)
{
    struct endlog *l = ctx;
    assert_true(f->id != 0); /* a live flow, not a zeroed slot */
    assert_true(l->n < 8192);
    l->e[l->n++] = (struct ended){f->id, why, f->port[0], f->last_us};
}

/* IPv4 a.b.c.d:sp -> 198.51.100.1:dp */
static struct decoded v4(uint32_t src, uint16_t sp, uint16_t dp)
{
    struct decoded d;
    memset(&d, 0, sizeof d);
    d.family = 4;
    d.src[0] = (uint8_t)(src >> 24);
    d.src[1] = (uint8_t)(src >> 16);
    d.src[2] = (uint8_t)(src >> 8);
    d.src[3] = (uint8_t)src;
    d.dst[0] = 198;
    d.dst[1] = 51;
    d.dst[2] = 100;
    d.dst[3] = 1;
    d.sport = sp;
    d.dport = dp;
    return d;
}

static struct decoded reversed(const struct decoded *d)
{
    struct decoded r = *d;
    memcpy(r.src, d->dst, 16);
    memcpy(r.dst, d->src, 16);
    r.sport = d->dport;
    r.dport = d->sport;
    return r;
}

struct fix {
    struct cs_mem mem;
    struct endlog log;
    struct flow_table *ft;
};

static struct fix *fix_new(size_t max)
{
    struct fix *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->mem.cap = 1u << 30;
    f->ft = flow_table_new(&f->mem, max, on_end, &f->log);
    assert_non_null(f->ft);
    return f;
}

static void fix_free(struct fix *f)
{
    flow_table_free(f->ft);
    assert_int_equal(f->mem.used, 0);
    free(f);
}

static struct flow *find(struct fix *f, const struct decoded *d, int *dir)
{
    *dir = -1;
    return flow_lookup(f->ft, d, dir);
}

static void test_create_lookup(void **state)
{
    (void)state;
    struct fix *f = fix_new(16);
    struct decoded d = v4(0xc0000201, 50000, 443);
    int dir;
    assert_null(find(f, &d, &dir));
    struct flow *fl = flow_create(f->ft, &d, 1000);
    assert_non_null(fl);
    assert_int_equal(fl->id, 1);
    assert_int_equal(fl->family, 4);
    assert_memory_equal(fl->addr[0], d.src, 4);
    assert_memory_equal(fl->addr[1], d.dst, 4);
    assert_int_equal(fl->port[0], 50000);
    assert_int_equal(fl->port[1], 443);
    assert_int_equal(fl->first_us, 1000);
    assert_int_equal(fl->last_us, 1000);
    assert_int_equal(fl->list, FLOW_LIST_OPEN);
    assert_int_equal(flow_active(f->ft), 1);

    assert_ptr_equal(find(f, &d, &dir), fl);
    assert_int_equal(dir, 0);
    struct decoded r = reversed(&d);
    assert_ptr_equal(find(f, &r, &dir), fl);
    assert_int_equal(dir, 1);
    /* anything else differs */
    struct decoded o = d;
    o.sport = 50001;
    assert_null(find(f, &o, &dir));
    o = d;
    o.dport = 444;
    assert_null(find(f, &o, &dir));
    o = d;
    o.src[3] ^= 1;
    assert_null(find(f, &o, &dir));
    o = d; /* same ports swapped but addresses not: not the reverse direction */
    o.sport = 443;
    o.dport = 50000;
    assert_null(find(f, &o, &dir));
    /* a second flow gets the next id and leaves the first reachable */
    struct flow *g = flow_create(f->ft, &o, 2000);
    assert_non_null(g);
    assert_true(g != fl);
    assert_int_equal(g->id, 2);
    assert_int_equal(flow_active(f->ft), 2);
    assert_ptr_equal(find(f, &o, &dir), g);
    assert_ptr_equal(find(f, &r, &dir), fl);
    fix_free(f);
}

static void test_many_flows_symmetric(void **state)
{
    (void)state;
    enum { N = 3000 };
    struct fix *f = fix_new(N);
    static struct flow *fl[N];
    /* same server, same client port, only the client address differs: long bucket chains */
    for (uint32_t i = 0; i < N; i++) {
        struct decoded d = v4(0x0a000000u + i, 40000, 443);
        fl[i] = flow_create(f->ft, &d, i);
        assert_non_null(fl[i]);
    }
    assert_int_equal(flow_active(f->ft), N);
    for (uint32_t i = 0; i < N; i++) {
        struct decoded d = v4(0x0a000000u + i, 40000, 443), r = reversed(&d);
        int dir;
        assert_ptr_equal(find(f, &d, &dir), fl[i]);
        assert_int_equal(dir, 0);
        assert_ptr_equal(find(f, &r, &dir), fl[i]);
        assert_int_equal(dir, 1);
    }
    /* ending every third flow keeps the others reachable (bucket chain unlinking) */
    for (uint32_t i = 0; i < N; i += 3)
        flow_end(f->ft, fl[i], FLOW_END_CLOSED);
    assert_int_equal(flow_active(f->ft), N - N / 3);
    assert_int_equal(f->log.n, N / 3);
    for (uint32_t i = 0; i < N; i++) {
        struct decoded d = v4(0x0a000000u + i, 40000, 443), r = reversed(&d);
        int dir;
        if (i % 3 == 0) {
            assert_null(find(f, &d, &dir));
            assert_null(find(f, &r, &dir));
        } else {
            assert_ptr_equal(find(f, &r, &dir), fl[i]);
            assert_int_equal(dir, 1);
        }
    }
    /* freed slots are reused: the table is full again without evicting */
    for (uint32_t i = 0; i < N; i += 3) {
        struct decoded d = v4(0x0b000000u + i, 40000, 443);
        assert_non_null(flow_create(f->ft, &d, N + i));
    }
    assert_int_equal(flow_active(f->ft), N);
    assert_int_equal(flow_evicted(f->ft), 0);
    fix_free(f);
}

static void test_ipv4_ipv6_no_collision(void **state)
{
    (void)state;
    struct fix *f = fix_new(8);
    struct decoded a = v4(0x0a000001, 1234, 443);
    /* IPv6 addresses whose first 4 bytes equal the IPv4 ones, rest zero */
    struct decoded b = a;
    b.family = 6;
    struct flow *fa = flow_create(f->ft, &a, 1);
    int dir;
    assert_null(find(f, &b, &dir));
    struct flow *fb = flow_create(f->ft, &b, 2);
    assert_true(fa != fb);
    assert_ptr_equal(find(f, &a, &dir), fa);
    assert_ptr_equal(find(f, &b, &dir), fb);
    struct decoded ra = reversed(&a), rb = reversed(&b);
    assert_ptr_equal(find(f, &ra, &dir), fa);
    assert_ptr_equal(find(f, &rb, &dir), fb);
    assert_int_equal(fb->family, 6);
    /* IPv6 addresses that differ only after byte 4 are different flows */
    struct decoded c = b;
    c.src[15] = 1;
    assert_null(find(f, &c, &dir));
    struct flow *fc = flow_create(f->ft, &c, 3);
    assert_ptr_equal(find(f, &c, &dir), fc);
    assert_ptr_equal(find(f, &b, &dir), fb);
    flow_end(f->ft, fa, FLOW_END_CLOSED);
    assert_null(find(f, &a, &dir));
    assert_ptr_equal(find(f, &b, &dir), fb);
    fix_free(f);
}

static void test_evict_oldest_idle(void **state)
{
    (void)state;
    struct fix *f = fix_new(4);
    struct flow *fl[4];
    for (int i = 0; i < 4; i++) {
        struct decoded d = v4(0x0a000001, (uint16_t)(1000 + i), 443);
        fl[i] = flow_create(f->ft, &d, 10 + i);
    }
    flow_touch(f->ft, fl[0], 20, false); /* flow 1 is busy again: flow 2 is the oldest idle */
    struct decoded d5 = v4(0x0a000001, 1004, 443);
    struct flow *f5 = flow_create(f->ft, &d5, 21);
    assert_non_null(f5);
    assert_int_equal(f->log.n, 1);
    assert_int_equal(f->log.e[0].id, 2);
    assert_int_equal(f->log.e[0].why, FLOW_END_EVICTED);
    assert_int_equal(f->log.e[0].port0, 1001); /* on_end saw the flow before reuse */
    assert_int_equal(flow_evicted(f->ft), 1);
    assert_int_equal(flow_active(f->ft), 4);
    assert_int_equal(f5->id, 5);
    int dir;
    struct decoded d2 = v4(0x0a000001, 1001, 443);
    assert_null(find(f, &d2, &dir));
    assert_ptr_equal(find(f, &d5, &dir), f5);

    /* a closed flow goes first, even when open ones are older */
    flow_touch(f->ft, fl[3], 22, true); /* flow 4 */
    assert_int_equal(fl[3]->list, FLOW_LIST_CLOSED);
    struct decoded d6 = v4(0x0a000001, 1005, 443);
    assert_non_null(flow_create(f->ft, &d6, 23));
    assert_int_equal(f->log.n, 2);
    assert_int_equal(f->log.e[1].id, 4);
    assert_int_equal(f->log.e[1].why, FLOW_END_EVICTED);
    /* then the oldest open one: flow 3 (last 12), not flow 1 (last 20) */
    struct decoded d7 = v4(0x0a000001, 1006, 443);
    assert_non_null(flow_create(f->ft, &d7, 24));
    assert_int_equal(f->log.e[2].id, 3);
    assert_int_equal(flow_evicted(f->ft), 3);
    assert_int_equal(flow_active(f->ft), 4);
    /* several closed flows: the least recently touched closed one */
    struct decoded d1 = v4(0x0a000001, 1000, 443);
    struct flow *f1 = find(f, &d1, &dir);
    assert_non_null(f1);
    flow_touch(f->ft, f1, 30, true);
    flow_touch(f->ft, f5, 31, true);
    flow_touch(f->ft, f1, 32, true); /* f1 touched again: f5 is older */
    struct decoded d8 = v4(0x0a000001, 1007, 443);
    assert_non_null(flow_create(f->ft, &d8, 33));
    assert_int_equal(f->log.e[3].id, 5);
    fix_free(f);
}

/* [MEMCAP-EVICT] flow_evict_oldest(): the same victim as a full table (closed
 * first, then the oldest open), never the flow being served, false when only
 * that one is left */
static void test_evict_for_memory(void **state)
{
    (void)state;
    struct fix *f = fix_new(8);
    struct flow *fl[3];
    for (int i = 0; i < 3; i++) {
        struct decoded d = v4(0x0a000002, (uint16_t)(2000 + i), 443);
        fl[i] = flow_create(f->ft, &d, 10 + i);
    }
    flow_touch(f->ft, fl[2], 13, true); /* flow 3 closed */
    assert_true(flow_evict_oldest(f->ft, fl[0]));
    assert_int_equal(f->log.e[0].id, 3); /* closed first */
    assert_true(flow_evict_oldest(f->ft, fl[0]));
    assert_int_equal(f->log.e[1].id, 2); /* flow 1 is the oldest but kept */
    assert_false(flow_evict_oldest(f->ft, fl[0]));
    assert_int_equal(f->log.n, 2);
    assert_int_equal(f->log.e[1].why, FLOW_END_EVICTED);
    assert_int_equal(flow_evicted(f->ft), 2);
    assert_int_equal(flow_active(f->ft), 1);
    assert_true(flow_evict_oldest(f->ft, NULL)); /* without a flow to keep: flow 1 */
    assert_int_equal(f->log.e[2].id, 1);
    assert_false(flow_evict_oldest(f->ft, NULL));
    assert_int_equal(flow_active(f->ft), 0);
    fix_free(f);
}

static void test_expire(void **state)
{
    (void)state;
    struct fix *f = fix_new(16);
    struct flow *a, *b, *c, *d;
    struct decoded da = v4(1, 1, 443), db = v4(2, 2, 443), dc = v4(3, 3, 443), dd = v4(4, 4, 443);
    a = flow_create(f->ft, &da, 0);
    b = flow_create(f->ft, &db, 0);
    c = flow_create(f->ft, &dc, 0);
    d = flow_create(f->ft, &dd, 0);
    flow_touch(f->ft, b, 50, false);
    flow_touch(f->ft, d, 80, true);
    flow_touch(f->ft, c, 95, true);
    /* open timeout 100, closed timeout 10 */
    assert_int_equal(flow_expire(f->ft, 90, 100, 10), 0); /* d: 80 is not before 80 */
    assert_int_equal(flow_expire(f->ft, 100, 100, 10), 1);
    assert_int_equal(f->log.e[0].id, 4);
    assert_int_equal(f->log.e[0].why, FLOW_END_CLOSED);
    assert_int_equal(flow_expire(f->ft, 100, 100, 10), 0); /* a: 0 is not before 0 */
    assert_int_equal(flow_expire(f->ft, 101, 100, 10), 1);
    assert_int_equal(f->log.e[1].id, 1);
    assert_int_equal(f->log.e[1].why, FLOW_END_TIMEOUT);
    /* a touch keeps a flow alive; c (closed, 95) goes at 160 */
    flow_touch(f->ft, b, 140, false);
    assert_int_equal(flow_expire(f->ft, 160, 100, 10), 1);
    assert_int_equal(f->log.e[2].id, 3);
    assert_int_equal(f->log.e[2].why, FLOW_END_CLOSED);
    assert_int_equal(flow_active(f->ft), 1);
    int dir;
    assert_ptr_equal(find(f, &db, &dir), b);
    /* one call ends both lists */
    struct decoded de = v4(5, 5, 443);
    struct flow *e = flow_create(f->ft, &de, 150);
    flow_touch(f->ft, e, 155, true);
    assert_int_equal(flow_expire(f->ft, 1000, 100, 10), 2);
    assert_int_equal(f->log.n, 5);
    assert_int_equal(f->log.e[3].id, 5);
    assert_int_equal(f->log.e[3].why, FLOW_END_CLOSED);
    assert_int_equal(f->log.e[4].id, 2);
    assert_int_equal(f->log.e[4].why, FLOW_END_TIMEOUT);
    assert_int_equal(flow_active(f->ft), 0);
    assert_null(find(f, &db, &dir));
    (void)a;
    fix_free(f);
}

static void test_end_all_creation_order(void **state)
{
    (void)state;
    struct fix *f = fix_new(16);
    struct flow *fl[8];
    for (int i = 0; i < 8; i++) {
        struct decoded d = v4((uint32_t)(100 + i), (uint16_t)(2000 + i), 443);
        fl[i] = flow_create(f->ft, &d, i);
    }
    /* scramble both LRU lists */
    flow_touch(f->ft, fl[0], 10, false);
    flow_touch(f->ft, fl[5], 11, true);
    flow_touch(f->ft, fl[2], 12, true);
    flow_touch(f->ft, fl[6], 13, false);
    flow_touch(f->ft, fl[1], 14, true);
    /* a reused slot gets a later id than flows created before it */
    flow_end(f->ft, fl[3], FLOW_END_REUSED);
    struct decoded d = v4(999, 9, 443);
    fl[3] = flow_create(f->ft, &d, 15);
    assert_int_equal(fl[3]->id, 9);
    f->log.n = 0;
    flow_end_all(f->ft, FLOW_END_FLUSH);
    static const uint64_t want[8] = {1, 2, 3, 5, 6, 7, 8, 9};
    assert_int_equal(f->log.n, 8);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(f->log.e[i].id, want[i]);
        assert_int_equal(f->log.e[i].why, FLOW_END_FLUSH);
    }
    assert_int_equal(flow_active(f->ft), 0);
    flow_end_all(f->ft, FLOW_END_FLUSH); /* empty: nothing */
    assert_int_equal(f->log.n, 8);
    fix_free(f);
}

static void test_end_all_without_memory(void **state)
{
    (void)state;
    struct fix *f = fix_new(16);
    for (int i = 0; i < 6; i++) {
        struct decoded d = v4((uint32_t)(100 + i), (uint16_t)(2000 + i), 443);
        struct flow *fl = flow_create(f->ft, &d, i);
        if (i % 2)
            flow_touch(f->ft, fl, 10 + i, true);
    }
    f->mem.cap = f->mem.used; /* no room for the sorting array */
    flow_end_all(f->ft, FLOW_END_FLUSH);
    assert_int_equal(f->log.n, 6); /* complete anyway */
    bool seen[7] = {false};
    for (size_t i = 0; i < 6; i++) {
        assert_true(f->log.e[i].id >= 1 && f->log.e[i].id <= 6);
        assert_false(seen[f->log.e[i].id]);
        seen[f->log.e[i].id] = true;
    }
    assert_int_equal(flow_active(f->ft), 0);
    fix_free(f);
}

static void test_table_new_limits(void **state)
{
    (void)state;
    struct cs_mem mem = {.cap = 1u << 30};
    assert_null(flow_table_new(&mem, 0, on_end, NULL));
    assert_null(flow_table_new(&mem, (size_t)UINT32_MAX, on_end, NULL));
    assert_int_equal(mem.used, 0);
    /* a memcap too small for the slots: NULL, nothing kept */
    struct cs_mem small = {.cap = 4096};
    assert_null(flow_table_new(&small, 1000, on_end, NULL));
    assert_int_equal(small.used, 0);
    assert_true(small.cap_hits > 0);
    flow_table_free(NULL);
    /* the whole table is charged to the memcap */
    struct endlog *log = calloc(1, sizeof *log);
    struct flow_table *ft = flow_table_new(&mem, 100, on_end, log);
    assert_non_null(ft);
    assert_true(mem.used >= 100 * sizeof(struct flow));
    flow_table_free(ft);
    assert_int_equal(mem.used, 0);
    free(log);
}

static void test_touch_and_end(void **state)
{
    (void)state;
    struct fix *f = fix_new(4);
    struct decoded d = v4(7, 7, 443);
    struct flow *fl = flow_create(f->ft, &d, 100);
    flow_touch(f->ft, fl, 50, false); /* time going backwards does not rewind */
    assert_int_equal(fl->last_us, 100);
    flow_touch(f->ft, fl, 150, true);
    assert_int_equal(fl->last_us, 150);
    assert_int_equal(fl->list, FLOW_LIST_CLOSED);
    flow_touch(f->ft, fl, 160, false); /* back to open */
    assert_int_equal(fl->list, FLOW_LIST_OPEN);
    flow_end(f->ft, fl, FLOW_END_CLOSED);
    assert_int_equal(f->log.n, 1);
    assert_int_equal(f->log.e[0].last_us, 160);
    assert_int_equal(fl->id, 0); /* the slot is free and cleared */
    assert_int_equal(flow_active(f->ft), 0);
    int dir;
    assert_null(find(f, &d, &dir));
    /* the freed slot comes back first */
    assert_ptr_equal(flow_create(f->ft, &d, 200), fl);
    assert_int_equal(fl->id, 2);
    fix_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_lookup),
        cmocka_unit_test(test_many_flows_symmetric),
        cmocka_unit_test(test_ipv4_ipv6_no_collision),
        cmocka_unit_test(test_evict_oldest_idle),
        cmocka_unit_test(test_evict_for_memory),
        cmocka_unit_test(test_expire),
        cmocka_unit_test(test_end_all_creation_order),
        cmocka_unit_test(test_end_all_without_memory),
        cmocka_unit_test(test_table_new_limits),
        cmocka_unit_test(test_touch_and_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
