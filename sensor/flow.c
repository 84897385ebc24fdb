#include "flow.h"

#include <stdlib.h>
#include <string.h>

struct lru {
    uint32_t head, tail; /* slot index + 1 */
};

struct flow_table {
    struct cs_mem *mem;
    struct flow *slots;
    size_t max;
    uint32_t *buckets; /* slot index + 1 */
    size_t nbuckets;   /* power of two */
    uint32_t free_head; /* free list through hnext */
    size_t used_slots;  /* slots handed out at least once */
    size_t active;
    uint64_t next_id;
    uint64_t evicted;
    struct lru lists[3];
    flow_end_fn on_end;
    void *ctx;
};

/* 64-bit multiply-xorshift mixing (fixed constants: offline output and
 * memory layout stay the same run to run) */
static uint64_t mix64(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
    return h ^ (h >> 33);
}

static uint64_t ep_hash(const uint8_t *addr, uint16_t port)
{
    uint64_t a, b;
    memcpy(&a, addr, 8);
    memcpy(&b, addr + 8, 8);
    return mix64(mix64(mix64(0x243f6a8885a308d3ull, a), b), port);
}

/* symmetric: both directions of a flow hash the same */
static uint32_t flow_hash(uint8_t family, const uint8_t *s, uint16_t sp, const uint8_t *d,
                          uint16_t dp)
{
    uint64_t x = ep_hash(s, sp), y = ep_hash(d, dp);
    uint64_t lo = x < y ? x : y, hi = x < y ? y : x;
    return (uint32_t)mix64(mix64(lo, hi), family);
}

struct flow_table *flow_table_new(struct cs_mem *mem, size_t max_flows, flow_end_fn on_end,
                                  void *ctx)
{
    if (max_flows == 0 || max_flows > UINT32_MAX / 2)
        return NULL;
    struct flow_table *ft = mem_calloc(mem, 1, sizeof *ft);
    if (ft == NULL)
        return NULL;
    ft->mem = mem;
    ft->max = max_flows;
    ft->on_end = on_end;
    ft->ctx = ctx;
    ft->nbuckets = 1024;
    while (ft->nbuckets < max_flows * 2)
        ft->nbuckets <<= 1;
    ft->slots = mem_calloc(mem, max_flows, sizeof *ft->slots);
    ft->buckets = mem_calloc(mem, ft->nbuckets, sizeof *ft->buckets);
    if (ft->slots == NULL || ft->buckets == NULL) {
        flow_table_free(ft);
        return NULL;
    }
    return ft;
}

void flow_table_free(struct flow_table *ft)
{
    if (ft == NULL)
        return;
    mem_free(ft->mem, ft->slots, ft->max * sizeof *ft->slots);
    mem_free(ft->mem, ft->buckets, ft->nbuckets * sizeof *ft->buckets);
    mem_free(ft->mem, ft, sizeof *ft);
}

static uint32_t idx1(const struct flow_table *ft, const struct flow *f)
{
    return (uint32_t)(f - ft->slots) + 1;
}

static void lru_unlink(struct flow_table *ft, struct flow *f)
{
    if (f->list == FLOW_LIST_NONE)
        return;
    struct lru *l = &ft->lists[f->list];
    if (f->lprev)
        ft->slots[f->lprev - 1].lnext = f->lnext;
    else
        l->head = f->lnext;
    if (f->lnext)
        ft->slots[f->lnext - 1].lprev = f->lprev;
    else
        l->tail = f->lprev;
    f->lprev = f->lnext = 0;
    f->list = FLOW_LIST_NONE;
}

static void lru_append(struct flow_table *ft, struct flow *f, uint8_t which)
{
    struct lru *l = &ft->lists[which];
    uint32_t i = idx1(ft, f);
    f->list = which;
    f->lnext = 0;
    f->lprev = l->tail;
    if (l->tail)
        ft->slots[l->tail - 1].lnext = i;
    else
        l->head = i;
    l->tail = i;
}

static bool key_match(const struct flow *f, const struct decoded *d, int *dir)
{
    if (f->family != d->family)
        return false;
    size_t n = d->family == 4 ? 4 : 16;
    if (f->port[0] == d->sport && f->port[1] == d->dport && memcmp(f->addr[0], d->src, n) == 0 &&
        memcmp(f->addr[1], d->dst, n) == 0) {
        *dir = 0;
        return true;
    }
    if (f->port[1] == d->sport && f->port[0] == d->dport && memcmp(f->addr[1], d->src, n) == 0 &&
        memcmp(f->addr[0], d->dst, n) == 0) {
        *dir = 1;
        return true;
    }
    return false;
}

struct flow *flow_lookup(struct flow_table *ft, const struct decoded *d, int *dir)
{
    uint32_t h = flow_hash(d->family, d->src, d->sport, d->dst, d->dport);
    uint32_t i = ft->buckets[h & (ft->nbuckets - 1)];
    while (i) {
        struct flow *f = &ft->slots[i - 1];
        if (f->hash == h && key_match(f, d, dir))
            return f;
        i = f->hnext;
    }
    return NULL;
}

static void bucket_remove(struct flow_table *ft, struct flow *f)
{
    uint32_t *pp = &ft->buckets[f->hash & (ft->nbuckets - 1)];
    uint32_t me = idx1(ft, f);
    while (*pp) {
        if (*pp == me) {
            *pp = f->hnext;
            return;
        }
        pp = &ft->slots[*pp - 1].hnext;
    }
}

void flow_end(struct flow_table *ft, struct flow *f, enum flow_end_reason why)
{
    ft->on_end(ft->ctx, f, why);
    lru_unlink(ft, f);
    bucket_remove(ft, f);
    memset(f, 0, sizeof *f);
    f->hnext = ft->free_head;
    ft->free_head = idx1(ft, f);
    ft->active--;
}

bool flow_evict_oldest(struct flow_table *ft, const struct flow *keep)
{
    for (uint8_t w = FLOW_LIST_CLOSED; w >= FLOW_LIST_OPEN; w--) {
        uint32_t victim = ft->lists[w].head;
        if (victim && &ft->slots[victim - 1] == keep)
            victim = keep->lnext;
        if (victim) {
            ft->evicted++;
            flow_end(ft, &ft->slots[victim - 1], FLOW_END_EVICTED);
            return true;
        }
    }
    return false;
}

struct flow *flow_create(struct flow_table *ft, const struct decoded *d, int64_t ts_us)
{
    struct flow *f = NULL;
    if (ft->free_head) {
        f = &ft->slots[ft->free_head - 1];
        ft->free_head = f->hnext;
    } else if (ft->used_slots < ft->max) {
        f = &ft->slots[ft->used_slots++];
    } else {
        /* [FLOW-EVICT] full: the oldest idle flow, closed ones first */
        if (!flow_evict_oldest(ft, NULL))
            return NULL;
        f = &ft->slots[ft->free_head - 1];
        ft->free_head = f->hnext;
    }
    memset(f, 0, sizeof *f);
    f->family = d->family;
    memcpy(f->addr[0], d->src, 16);
    memcpy(f->addr[1], d->dst, 16);
    f->port[0] = d->sport;
    f->port[1] = d->dport;
    f->hash = flow_hash(d->family, d->src, d->sport, d->dst, d->dport);
    f->id = ++ft->next_id;
    f->first_us = f->last_us = ts_us;
    uint32_t *b = &ft->buckets[f->hash & (ft->nbuckets - 1)];
    f->hnext = *b;
    *b = idx1(ft, f);
    lru_append(ft, f, FLOW_LIST_OPEN);
    ft->active++;
    return f;
}

void flow_touch(struct flow_table *ft, struct flow *f, int64_t ts_us, bool closed)
{
    if (ts_us > f->last_us)
        f->last_us = ts_us;
    uint8_t which = closed ? FLOW_LIST_CLOSED : FLOW_LIST_OPEN;
    if (f->list == which && ft->lists[which].tail == idx1(ft, f))
        return;
    lru_unlink(ft, f);
    lru_append(ft, f, which);
}

static size_t expire_list(struct flow_table *ft, uint8_t which, int64_t before,
                          enum flow_end_reason why)
{
    size_t n = 0;
    while (ft->lists[which].head) {
        struct flow *f = &ft->slots[ft->lists[which].head - 1];
        if (f->last_us >= before)
            break;
        flow_end(ft, f, why);
        n++;
    }
    return n;
}

size_t flow_expire(struct flow_table *ft, int64_t now_us, int64_t open_timeout_us,
                   int64_t closed_timeout_us)
{
    return expire_list(ft, FLOW_LIST_CLOSED, now_us - closed_timeout_us, FLOW_END_CLOSED) +
           expire_list(ft, FLOW_LIST_OPEN, now_us - open_timeout_us, FLOW_END_TIMEOUT);
}

static int cmp_id(const void *a, const void *b)
{
    const struct flow *x = *(struct flow *const *)a, *y = *(struct flow *const *)b;
    return x->id < y->id ? -1 : x->id > y->id;
}

void flow_end_all(struct flow_table *ft, enum flow_end_reason why)
{
    if (ft->active == 0)
        return;
    struct flow **v = mem_calloc(ft->mem, ft->active, sizeof *v);
    size_t n = 0, cap = ft->active;
    if (v != NULL) {
        for (uint8_t w = FLOW_LIST_OPEN; w <= FLOW_LIST_CLOSED; w++)
            for (uint32_t i = ft->lists[w].head; i && n < cap; i = ft->slots[i - 1].lnext)
                v[n++] = &ft->slots[i - 1];
        qsort(v, n, sizeof *v, cmp_id);
        for (size_t i = 0; i < n; i++)
            flow_end(ft, v[i], why);
        mem_free(ft->mem, v, cap * sizeof *v);
    }
    /* without memory for sorting: LRU order, still complete */
    for (uint8_t w = FLOW_LIST_OPEN; w <= FLOW_LIST_CLOSED; w++)
        while (ft->lists[w].head)
            flow_end(ft, &ft->slots[ft->lists[w].head - 1], why);
}

size_t flow_active(const struct flow_table *ft)
{
    return ft->active;
}

uint64_t flow_evicted(const struct flow_table *ft)
{
    return ft->evicted;
}
