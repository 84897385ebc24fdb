#include "certcache.h"

#include <string.h>

#include "x509.h"

struct cc_entry {
    uint32_t next; /* chain: index + 1 */
    uint32_t bucket;
    uint32_t lprev, lnext; /* recency list: index + 1 */
    X509 *x;               /* OpenSSL's parse, shared with the checks (one reference) */
    uint64_t h;            /* fast hash of the DER (lookup key) */
    uint8_t *der;          /* the DER itself: a hit is a byte-exact match */
    size_t der_len;
    struct cs_cert_info info;
};

struct cert_cache {
    struct cs_mem *mem;
    struct cc_entry **entries; /* allocated on first use */
    size_t max, count;
    uint32_t lru_head, lru_tail; /* head = least recently used */
    uint32_t *buckets;
    size_t nbuckets;
};

struct cert_cache *certcache_new(struct cs_mem *mem, size_t max)
{
    if (max == 0 || max > UINT32_MAX / 4)
        return NULL;
    struct cert_cache *cc = mem_calloc(mem, 1, sizeof *cc);
    if (cc == NULL)
        return NULL;
    cc->mem = mem;
    cc->max = max;
    cc->nbuckets = 64;
    while (cc->nbuckets < max * 2)
        cc->nbuckets <<= 1;
    cc->entries = mem_calloc(mem, max, sizeof *cc->entries);
    cc->buckets = mem_calloc(mem, cc->nbuckets, sizeof *cc->buckets);
    if (cc->entries == NULL || cc->buckets == NULL) {
        certcache_free(cc);
        return NULL;
    }
    return cc;
}

void certcache_free(struct cert_cache *cc)
{
    if (cc == NULL)
        return;
    if (cc->entries != NULL)
        for (size_t i = 0; i < cc->max; i++) {
            if (cc->entries[i] != NULL) {
                X509_free(cc->entries[i]->x);
                mem_free(cc->mem, cc->entries[i]->der, cc->entries[i]->der_len);
            }
            mem_free(cc->mem, cc->entries[i], sizeof(struct cc_entry));
        }
    mem_free(cc->mem, cc->entries, cc->max * sizeof *cc->entries);
    mem_free(cc->mem, cc->buckets, cc->nbuckets * sizeof *cc->buckets);
    mem_free(cc->mem, cc, sizeof *cc);
}

/* Lookup key: a fast 64-bit mix of the DER (not a security boundary: a
 * hit is confirmed byte for byte). Computing SHA-256 for every occurrence
 * only to find the cached analysis cost 7% of the benchmark. */
static uint64_t der_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        h = (h ^ v) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    for (; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

static uint32_t bucket_of(const struct cert_cache *cc, uint64_t h)
{
    return (uint32_t)h & (uint32_t)(cc->nbuckets - 1);
}

static void lru_unlink(struct cert_cache *cc, uint32_t i1)
{
    struct cc_entry *e = cc->entries[i1 - 1];
    if (e->lprev)
        cc->entries[e->lprev - 1]->lnext = e->lnext;
    else
        cc->lru_head = e->lnext;
    if (e->lnext)
        cc->entries[e->lnext - 1]->lprev = e->lprev;
    else
        cc->lru_tail = e->lprev;
    e->lprev = e->lnext = 0;
}

static void lru_push(struct cert_cache *cc, uint32_t i1)
{
    struct cc_entry *e = cc->entries[i1 - 1];
    e->lnext = 0;
    e->lprev = cc->lru_tail;
    if (cc->lru_tail)
        cc->entries[cc->lru_tail - 1]->lnext = i1;
    else
        cc->lru_head = i1;
    cc->lru_tail = i1;
}

static void unlink_entry(struct cert_cache *cc, uint32_t i1)
{
    struct cc_entry *e = cc->entries[i1 - 1];
    uint32_t *pp = &cc->buckets[e->bucket];
    while (*pp) {
        if (*pp == i1) {
            *pp = e->next;
            return;
        }
        pp = &cc->entries[*pp - 1]->next;
    }
}

const struct cs_cert_info *certcache_get(struct cert_cache *cc, const uint8_t *der, size_t len,
                                         struct cs_cert_info *scratch, uint64_t *hits,
                                         uint64_t *misses, const void **x509)
{
    *x509 = NULL;
    uint64_t h = der_hash(der, len);
    uint32_t b = bucket_of(cc, h);
    for (uint32_t i = cc->buckets[b]; i; i = cc->entries[i - 1]->next) {
        struct cc_entry *e = cc->entries[i - 1];
        if (e->h == h && e->der_len == len && (len == 0 || memcmp(e->der, der, len) == 0)) {
            (*hits)++;
            lru_unlink(cc, i);
            lru_push(cc, i);
            *x509 = e->x;
            return &e->info;
        }
    }
    (*misses)++;
    size_t slot;
    struct cc_entry *e;
    if (cc->count < cc->max) {
        slot = cc->count;
        e = mem_calloc(cc->mem, 1, sizeof *e);
        if (e == NULL) {
            x509_analyse(der, len, scratch);
            return scratch;
        }
        cc->entries[slot] = e;
        cc->count++;
    } else {
        /* least recently used: never one handed out for the event being built */
        slot = cc->lru_head - 1;
        e = cc->entries[slot];
        unlink_entry(cc, (uint32_t)slot + 1);
        lru_unlink(cc, (uint32_t)slot + 1);
        X509_free(e->x);
        e->x = NULL;
        mem_free(cc->mem, e->der, e->der_len);
        e->der = NULL;
        e->der_len = 0;
    }
    x509_analyse_keep(der, len, &e->info, &e->x);
    *x509 = e->x;
    e->h = h;
    e->der = len > 0 ? mem_calloc(cc->mem, 1, len) : NULL;
    e->der_len = e->der != NULL ? len : 0;
    if (e->der != NULL)
        memcpy(e->der, der, len);
    /* without its bytes an entry can never be hit again: it still serves this call */
    e->bucket = b;
    e->next = cc->buckets[b];
    cc->buckets[b] = (uint32_t)slot + 1;
    lru_push(cc, (uint32_t)slot + 1);
    return &e->info;
}
