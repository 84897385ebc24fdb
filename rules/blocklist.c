/* Indicator blocklists; see blocklist.h for the contract and
 * rules/README-rules.md for the accepted formats. */
#include "blocklist.h"
#include "loadmsg.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suricata.h"

enum bl_kind { K_SHA1, K_SHA256, K_SPKI, K_JA3, K_JA4, K_COUNT };

#define JA4_LEN 36u
#define KEY_MAX 36u

static const size_t key_len[K_COUNT] = {20, 32, 32, 16, JA4_LEN};
static const char *const kind_what[K_COUNT] = {"sha1 thumbprint", "sha256 thumbprint",
                                               "spki sha256 digest", "ja3 hash", "ja4 fingerprint"};
static const char *const kind_prefix[K_COUNT] = {"sha1", "sha256", "spki", "ja3", "ja4"};
static const char *const kind_check[K_COUNT] = {"blocklist.cert_sha1", "blocklist.cert_sha256",
                                                "blocklist.spki_sha256", "blocklist.ja3",
                                                "blocklist.ja4"};
static const char *const kind_signature[K_COUNT] = {
    "CERTSENSOR certificate SHA-1 on blocklist", "CERTSENSOR certificate SHA-256 on blocklist",
    "CERTSENSOR certificate public key (SPKI SHA-256) on blocklist",
    "CERTSENSOR client JA3 on blocklist", "CERTSENSOR client JA4 on blocklist"};
static const uint32_t kind_sid[K_COUNT] = {BLOCKLIST_SID_CERT_SHA1, BLOCKLIST_SID_CERT_SHA256,
                                           BLOCKLIST_SID_SPKI_SHA256, BLOCKLIST_SID_JA3,
                                           BLOCKLIST_SID_JA4};

#define M_SHA1 (1u << K_SHA1)
#define M_SHA256 (1u << K_SHA256)
#define M_JA3 (1u << K_JA3)
#define M_JA4 (1u << K_JA4)
#define M_PLAIN (M_SHA1 | M_SHA256 | M_JA3 | M_JA4)

struct bl_entry {
    uint32_t label; /* pool offset + 1; 0: none (a rule entry: its msg) */
    uint32_t line;
    uint32_t sid, rev; /* sid 0: not from a Suricata rule */
    uint16_t load;     /* index into names */
};

/* Open addressing, linear probing, load factor <= 1/2. A slot is
 * (32 bits of the key's hash << 32) | (entry index + 1), 0 when empty, so
 * probes compare hashes before touching keys and growing never rehashes
 * keys; the slot index uses the low bits of the same 64-bit hash. Keys of
 * entry i are at keys[i * keylen]. */
struct bl_set {
    uint8_t *keys;
    struct bl_entry *ents;
    size_t n, cap;
    uint64_t *slots;
    size_t nslots;
};

struct blocklist {
    struct bl_set set[K_COUNT];
    char *pool;
    size_t pool_len, pool_cap;
    uint32_t last_label; /* consecutive equal labels share one copy */
    char **names;
    size_t nnames, capnames;
    size_t dups, skipped;
};

/* ---- helpers ---------------------------------------------------------- */

struct ld {
    struct blocklist *bl;
    const char *name;
    uint16_t load;
    size_t line;
    char *err;
    size_t errlen;
};

__attribute__((format(printf, 3, 4))) static enum pr_status
fail(const struct ld *ld, enum pr_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    loadmsg_v(ld->err, ld->errlen, ld->name, ld->line, fmt, ap);
    va_end(ap);
    return st;
}

/* List text for a message: printable ASCII, at most 72 bytes. */
static const char *shown(const char *s, size_t n, char *out, size_t cap)
{
    return loadmsg_shown(s, n, 72, out, cap);
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* hex digit value + 1, 0 for anything else */
static const uint8_t hex_tab[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static int hexval(char c)
{
    return (int)hex_tab[(unsigned char)c] - 1;
}

static bool is_alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

static bool eq_nocase(const char *s, size_t n, const char *lit)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (lit[i] == '\0' || lower(s[i]) != lower(lit[i]))
            return false;
    }
    return lit[n] == '\0';
}

static bool starts_nocase(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n >= l && eq_nocase(s, l, lit);
}

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && is_ws(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_ws((*s)[*n - 1]))
        (*n)--;
}

/* Grow an array to hold `need` elements (doubling); NULL on size overflow
 * or no memory, p untouched then. */
static void *grow(void *p, size_t *cap, size_t need, size_t elsz)
{
    size_t ncap = *cap != 0 ? *cap : 16;
    void *np;

    if (need <= *cap)
        return p;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return NULL;
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / elsz) /* [BL-SIZE-OVERFLOW] */
        return NULL;
    np = realloc(p, ncap * elsz);
    if (np == NULL)
        return NULL;
    *cap = ncap;
    return np;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

/* 64-bit words of the key, each mixed in, then a finaliser: every key
 * byte reaches every bit of the result. */
static uint64_t key_hash(const uint8_t *k, size_t n)
{
    uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ n, w;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        memcpy(&w, k + i, 8);
        h = (h ^ mix64(w)) * UINT64_C(0x100000001b3);
    }
    if (i < n) {
        w = 0;
        memcpy(&w, k + i, n - i);
        h = (h ^ mix64(w)) * UINT64_C(0x100000001b3);
    }
    return mix64(h);
}

/* ---- the hash sets ------------------------------------------------------ */

/* The slot keeps 32 bits of the key hash (its high half) as a tag; the
 * slot index is the tag's low bits, so growing the table re-places slots
 * from their tags without reading keys. Tables stay far below 2^32 slots. */
static uint64_t slot_tag(uint64_t h)
{
    return h & UINT64_C(0xffffffff00000000);
}

static size_t slot_home(uint64_t tagged, size_t mask)
{
    return (size_t)(tagged >> 32) & mask;
}

static const struct bl_entry *set_find(const struct bl_set *s, size_t klen, const uint8_t *key)
{
    uint64_t h, tag;
    size_t mask, i;

    if (s->nslots == 0)
        return NULL;
    h = key_hash(key, klen);
    tag = slot_tag(h);
    mask = s->nslots - 1;
    for (i = slot_home(tag, mask); s->slots[i] != 0; i = (i + 1) & mask) {
        size_t e = (size_t)(s->slots[i] & 0xffffffffu) - 1u;
        if (slot_tag(s->slots[i]) == tag && memcmp(s->keys + e * klen, key, klen) == 0)
            return &s->ents[e];
    }
    return NULL;
}

/* Re-place every slot in a table of nslots (a power of two). */
static bool set_rehash(struct bl_set *s, size_t nslots)
{
    uint64_t *slots;
    size_t i, mask = nslots - 1;

    if (nslots > SIZE_MAX / sizeof *slots || nslots > (size_t)UINT32_MAX) /* [BL-SIZE-OVERFLOW] */
        return false;
    slots = calloc(nslots, sizeof *slots);
    if (slots == NULL)
        return false;
    for (i = 0; i < s->nslots; i++) {
        size_t j;
        if (s->slots[i] == 0)
            continue;
        for (j = slot_home(s->slots[i], mask); slots[j] != 0; j = (j + 1) & mask)
            ;
        slots[j] = s->slots[i];
    }
    free(s->slots);
    s->slots = slots;
    s->nslots = nslots;
    return true;
}

/* Find key, or add it with *ent. *idx is the entry (new or old); *dup
 * tells which. PR_LIMIT on a cap or no memory. */
static enum pr_status set_insert(struct bl_set *s, size_t klen, const uint8_t *key,
                                 const struct bl_entry *ent, size_t *idx, bool *dup)
{
    uint64_t h, tag;
    size_t mask, i;
    void *p;

    *dup = false;
    /* keep at least half the slots empty: grow before probing */
    if ((s->n + 1) > s->nslots / 2) {
        size_t ns = s->nslots != 0 ? s->nslots : 64;
        while ((s->n + 1) > ns / 2) {
            if (ns > SIZE_MAX / 2)
                return PR_LIMIT;
            ns *= 2;
        }
        if (!set_rehash(s, ns))
            return PR_LIMIT;
    }
    h = key_hash(key, klen);
    tag = slot_tag(h);
    mask = s->nslots - 1;
    for (i = slot_home(tag, mask); s->slots[i] != 0; i = (i + 1) & mask) {
        size_t e = (size_t)(s->slots[i] & 0xffffffffu) - 1u;
        if (slot_tag(s->slots[i]) == tag && memcmp(s->keys + e * klen, key, klen) == 0) {
            *idx = e;
            *dup = true;
            return PR_OK;
        }
    }
    if (s->n >= BLOCKLIST_MAX_ENTRIES)
        return PR_LIMIT;
    if (s->n + 1 > s->cap) {
        size_t kcap = s->cap, ecap = s->cap;
        p = grow(s->keys, &kcap, s->n + 1, klen);
        if (p == NULL)
            return PR_LIMIT;
        s->keys = p;
        p = grow(s->ents, &ecap, s->n + 1, sizeof *s->ents);
        if (p == NULL)
            return PR_LIMIT; /* keys grew, entries did not: cap stays */
        s->ents = p;
        s->cap = kcap < ecap ? kcap : ecap;
    }
    memcpy(s->keys + s->n * klen, key, klen);
    s->ents[s->n] = *ent;
    s->slots[i] = tag | (uint64_t)(s->n + 1);
    *idx = s->n++;
    return PR_OK;
}

/* ---- public: lifetime and counts ------------------------------------------ */

struct blocklist *blocklist_new(void)
{
    return calloc(1, sizeof(struct blocklist));
}

void blocklist_free(struct blocklist *bl)
{
    size_t i;

    if (bl == NULL)
        return;
    for (i = 0; i < K_COUNT; i++) {
        free(bl->set[i].keys);
        free(bl->set[i].ents);
        free(bl->set[i].slots);
    }
    for (i = 0; i < bl->nnames; i++)
        free(bl->names[i]);
    free(bl->names);
    free(bl->pool);
    free(bl);
}

size_t blocklist_count(const struct blocklist *bl)
{
    size_t i, n = 0;

    if (bl == NULL)
        return 0;
    for (i = 0; i < K_COUNT; i++)
        n += bl->set[i].n;
    return n;
}

size_t blocklist_duplicates(const struct blocklist *bl)
{
    return bl != NULL ? bl->dups : 0;
}

size_t blocklist_skipped(const struct blocklist *bl)
{
    return bl != NULL ? bl->skipped : 0;
}

/* ---- entries ------------------------------------------------------------- */

/* Label into the pool (control bytes as '?', cut at BLOCKLIST_LABEL_MAX);
 * 0 for none. */
static enum pr_status label_add(struct ld *ld, const char *s, size_t n, uint32_t *out)
{
    struct blocklist *bl = ld->bl;
    size_t i;
    char *pool;

    *out = 0;
    trim(&s, &n);
    if (n == 0)
        return PR_OK;
    if (n > BLOCKLIST_LABEL_MAX)
        n = BLOCKLIST_LABEL_MAX;
    if (bl->last_label != 0) {
        const char *prev = bl->pool + bl->last_label - 1;
        bool same = strlen(prev) == n;
        for (i = 0; same && i < n; i++) {
            char c = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
            same = prev[i] == c;
        }
        if (same) {
            *out = bl->last_label;
            return PR_OK;
        }
    }
    if (bl->pool_len > UINT32_MAX - 2 - n)
        return fail(ld, PR_LIMIT, "too much label text");
    pool = grow(bl->pool, &bl->pool_cap, bl->pool_len + n + 1, 1);
    if (pool == NULL)
        return fail(ld, PR_LIMIT, "out of memory");
    bl->pool = pool;
    for (i = 0; i < n; i++)
        pool[bl->pool_len + i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    pool[bl->pool_len + n] = '\0';
    *out = (uint32_t)(bl->pool_len + 1);
    bl->pool_len += n + 1;
    bl->last_label = *out;
    return PR_OK;
}

static enum pr_status entry_add(struct ld *ld, enum bl_kind k, const uint8_t *key,
                                const char *label, size_t label_len, uint32_t sid, uint32_t rev)
{
    struct bl_set *set = &ld->bl->set[k];
    struct bl_entry ent;
    size_t idx;
    bool dup;
    enum pr_status st;

    memset(&ent, 0, sizeof ent);
    ent.line = ld->line > UINT32_MAX ? UINT32_MAX : (uint32_t)ld->line;
    ent.sid = sid;
    ent.rev = rev;
    ent.load = ld->load;
    st = set_insert(set, key_len[k], key, &ent, &idx, &dup);
    if (st != PR_OK)
        return fail(ld, st, "too many %s entries or out of memory", kind_prefix[k]);
    if (dup) {
        /* the first entry stays; a duplicate costs no label text */
        ld->bl->dups++;
        return PR_OK;
    }
    return label_add(ld, label, label_len, &set->ents[idx].label);
}

/* ---- indicators ------------------------------------------------------------ */

/* JA4 (FoxIO): 10 characters, '_', 12 hex, '_', 12 hex. The hex parts are
 * compared lowercase. */
static bool ja4_key(const char *s, size_t n, uint8_t *key)
{
    size_t i;

    if (n != JA4_LEN || s[10] != '_' || s[23] != '_')
        return false;
    for (i = 0; i < n; i++) {
        if (i == 10 || i == 23) {
            key[i] = '_';
        } else if (i < 10) {
            if (!is_alnum(s[i]))
                return false;
            key[i] = (uint8_t)s[i];
        } else {
            if (hexval(s[i]) < 0)
                return false;
            key[i] = (uint8_t)lower(s[i]);
        }
    }
    return true;
}

/* Nearest kind in mask for a count of hex digits, for messages. */
static enum bl_kind nearest(unsigned mask, size_t ndig)
{
    if ((mask & M_JA3) && (ndig <= 36 || !(mask & (M_SHA1 | M_SHA256))))
        return K_JA3;
    if ((mask & M_SHA1) && (ndig <= 52 || !(mask & M_SHA256)))
        return K_SHA1;
    return K_SHA256;
}

/* One indicator: optional "sha1:" / "sha256:" / "spki:" / "ja3:" / "ja4:"
 * prefix, then hex digits (any case, ':' between every two digits
 * allowed) or a JA4. Unprefixed, the kind comes from the length among
 * `mask`: 40 hex SHA-1, 64 hex SHA-256, 32 hex JA3, JA4 by its shape. */
static enum pr_status parse_indicator(const struct ld *ld, const char *s, size_t n, unsigned mask,
                                      enum bl_kind *kind, uint8_t *key)
{
    const char *colon;
    char sh[96];
    int forced = -1;
    size_t i, ndig = 0, group = 0;
    bool colons = false;

    trim(&s, &n);
    if (n == 0)
        return fail(ld, PR_MALFORMED, "empty indicator");
    colon = memchr(s, ':', n);
    if (colon != NULL) {
        size_t pl = (size_t)(colon - s);
        bool hex = pl > 0;
        for (i = 0; i < pl; i++)
            hex = hex && hexval(s[i]) >= 0;
        for (i = 0; i < K_COUNT && forced < 0; i++) {
            if (eq_nocase(s, pl, kind_prefix[i]))
                forced = (int)i;
        }
        if (forced >= 0) {
            s = colon + 1;
            n -= pl + 1;
            trim(&s, &n);
        } else if (!hex) {
            return fail(ld, PR_MALFORMED,
                        "unknown prefix '%s:' (expected sha1, sha256, spki, "
                        "ja3 or ja4)",
                        shown(s, pl, sh, sizeof sh));
        }
    }
    if (forced == K_JA4 || (forced < 0 && (mask & M_JA4) && memchr(s, '_', n) != NULL)) {
        if (!ja4_key(s, n, key))
            return fail(ld, PR_MALFORMED, "invalid ja4 fingerprint '%s'",
                        shown(s, n, sh, sizeof sh));
        *kind = K_JA4;
        return PR_OK;
    }
    /* hex digits, colons only between pairs; decoded as they come */
    for (i = 0; i < n; i++) {
        int h;
        if (s[i] == ':') {
            if (group != 2)
                return fail(ld, PR_MALFORMED, "invalid colon grouping in '%s'",
                            shown(s, n, sh, sizeof sh));
            colons = true;
            group = 0;
            continue;
        }
        h = hexval(s[i]);
        if (h < 0)
            return fail(ld, PR_MALFORMED, "invalid hex digit '%c' in '%s'",
                        (s[i] >= 0x20 && s[i] <= 0x7e) ? s[i] : '?', shown(s, n, sh, sizeof sh));
        if (ndig < 2 * KEY_MAX) {
            if (ndig % 2 == 0)
                key[ndig / 2] = (uint8_t)(h << 4);
            else
                key[ndig / 2] |= (uint8_t)h;
        }
        ndig++;
        group++;
    }
    if (colons && group != 2)
        return fail(ld, PR_MALFORMED, "invalid colon grouping in '%s'", shown(s, n, sh, sizeof sh));
    if (forced >= 0) {
        *kind = (enum bl_kind)forced;
    } else if (ndig == 40 && (mask & M_SHA1)) {
        *kind = K_SHA1;
    } else if (ndig == 64 && (mask & M_SHA256)) {
        *kind = K_SHA256;
    } else if (ndig == 32 && (mask & M_JA3)) {
        *kind = K_JA3;
    } else {
        *kind = nearest(mask, ndig);
    }
    if (ndig != 2 * key_len[*kind])
        return fail(ld, PR_MALFORMED, "invalid %s (%zu hex digits)", kind_what[*kind], ndig);
    return PR_OK;
}

/* ---- line formats ------------------------------------------------------------ */

enum csv_mode { CSV_GENERIC, CSV_SSLBL_SHA1, CSV_SSLBL_JA3 };

struct fmt {
    enum csv_mode csv;
    bool zeek;
    size_t zi_ind, zi_type, zi_src, zi_desc; /* SIZE_MAX: absent */
};

/* plain: INDICATOR [blanks LABEL | blanks # LABEL] */
static enum pr_status plain_line(struct ld *ld, const char *s, size_t n)
{
    size_t t = 0;
    const char *lab;
    size_t ln;
    enum bl_kind k;
    uint8_t key[KEY_MAX];
    enum pr_status st;

    while (t < n && !is_ws(s[t]) && s[t] != '#')
        t++;
    lab = s + t;
    ln = n - t;
    trim(&lab, &ln);
    if (ln > 0 && lab[0] == '#') {
        lab++;
        ln--;
    }
    st = parse_indicator(ld, s, t, M_PLAIN, &k, key);
    if (st != PR_OK)
        return st;
    return entry_add(ld, k, key, lab, ln, 0, 0);
}

static bool field(const char *s, size_t n, char sep, size_t idx, const char **f, size_t *fn)
{
    size_t i = 0, cur = 0, start = 0;

    for (;;) {
        if (i == n || s[i] == sep) {
            if (cur == idx) {
                *f = s + start;
                *fn = i - start;
                return true;
            }
            if (i == n)
                return false;
            cur++;
            start = i + 1;
        }
        i++;
    }
}

static size_t field_count(const char *s, size_t n, char sep)
{
    size_t i, c = 1;

    for (i = 0; i < n; i++)
        c += s[i] == sep;
    return c;
}

static bool looks_hexish(const char *s, size_t n)
{
    size_t i;
    bool any = false;

    trim(&s, &n);
    for (i = 0; i < n; i++) {
        if (s[i] != ':' && hexval(s[i]) < 0)
            return false;
        any = true;
    }
    return any;
}

/* CSV: SSLBL "Listingdate,SHA1,Listingreason" and
 * "ja3_md5,Firstseen,Lastseen,Listingreason", or any CSV line whose
 * first hex-looking field is the indicator; the last field is the label. */
static enum pr_status csv_line(struct ld *ld, const struct fmt *fm, const char *s, size_t n)
{
    size_t nf = field_count(s, n, ','), i, ind = SIZE_MAX, fn, ln = 0;
    const char *f, *lab = NULL;
    unsigned mask = M_PLAIN;
    enum bl_kind k;
    uint8_t key[KEY_MAX];
    enum pr_status st;

    if (fm->csv == CSV_SSLBL_SHA1) {
        ind = 1;
        mask = M_SHA1;
    } else if (fm->csv == CSV_SSLBL_JA3) {
        ind = 0;
        mask = M_JA3;
    } else {
        for (i = 0; i < nf && ind == SIZE_MAX; i++) {
            if (field(s, n, ',', i, &f, &fn) &&
                (looks_hexish(f, fn) || (memchr(f, ':', fn) != NULL && memchr(f, ' ', fn) == NULL)))
                ind = i;
        }
        if (ind == SIZE_MAX)
            return fail(ld, PR_MALFORMED, "no indicator in CSV line");
    }
    if (!field(s, n, ',', ind, &f, &fn))
        return fail(ld, PR_MALFORMED, "expected at least %zu comma-separated fields, found %zu",
                    ind + 1, nf);
    st = parse_indicator(ld, f, fn, mask, &k, key);
    if (st != PR_OK)
        return st;
    if (nf - 1 != ind)
        field(s, n, ',', nf - 1, &lab, &ln);
    return entry_add(ld, k, key, lab, ln, 0, 0);
}

/* Zeek Intel framework: "#fields\tindicator\tindicator_type\tmeta.source..." */
static enum pr_status zeek_header(struct ld *ld, struct fmt *fm, const char *s, size_t n)
{
    size_t i = 0, col = 0;

    fm->zeek = true;
    fm->zi_ind = fm->zi_type = fm->zi_src = fm->zi_desc = SIZE_MAX;
    s += 7; /* "#fields" */
    n -= 7;
    while (i < n) {
        size_t st;
        while (i < n && is_ws(s[i]))
            i++;
        st = i;
        while (i < n && !is_ws(s[i]))
            i++;
        if (i == st)
            break;
        if (eq_nocase(s + st, i - st, "indicator"))
            fm->zi_ind = col;
        else if (eq_nocase(s + st, i - st, "indicator_type"))
            fm->zi_type = col;
        else if (eq_nocase(s + st, i - st, "meta.source"))
            fm->zi_src = col;
        else if (eq_nocase(s + st, i - st, "meta.desc"))
            fm->zi_desc = col;
        col++;
    }
    if (fm->zi_ind == SIZE_MAX || fm->zi_type == SIZE_MAX)
        return fail(ld, PR_MALFORMED,
                    "Zeek Intel header without indicator and indicator_type fields");
    return PR_OK;
}

static bool zeek_unset(const char *s, size_t n)
{
    return n == 0 || (n == 1 && s[0] == '-') || (n == 7 && memcmp(s, "(empty)", 7) == 0);
}

static enum pr_status zeek_line(struct ld *ld, const struct fmt *fm, const char *s, size_t n)
{
    const char *ind, *typ, *lab = NULL;
    size_t in, tn, ln = 0;
    enum bl_kind k;
    uint8_t key[KEY_MAX];
    enum pr_status st;

    if (!field(s, n, '\t', fm->zi_ind, &ind, &in) || !field(s, n, '\t', fm->zi_type, &typ, &tn))
        return fail(ld, PR_MALFORMED, "expected at least %zu tab-separated fields, found %zu",
                    (fm->zi_ind > fm->zi_type ? fm->zi_ind : fm->zi_type) + 1,
                    field_count(s, n, '\t'));
    trim(&typ, &tn);
    if (!eq_nocase(typ, tn, "Intel::CERT_HASH")) {
        ld->bl->skipped++;
        return PR_OK;
    }
    if (fm->zi_desc != SIZE_MAX && field(s, n, '\t', fm->zi_desc, &lab, &ln) &&
        !zeek_unset(lab, ln)) {
        /* meta.desc */
    } else if (fm->zi_src != SIZE_MAX && field(s, n, '\t', fm->zi_src, &lab, &ln) &&
               !zeek_unset(lab, ln)) {
        /* meta.source */
    } else {
        lab = NULL;
        ln = 0;
    }
    st = parse_indicator(ld, ind, in, M_SHA1 | M_SHA256, &k, key);
    if (st != PR_OK)
        return st;
    if (k != K_SHA1 && k != K_SHA256)
        return fail(ld, PR_MALFORMED, "Intel::CERT_HASH must be a sha1 or sha256 thumbprint");
    return entry_add(ld, k, key, lab, ln, 0, 0);
}

static enum pr_status rule_line(struct ld *ld, const char *s, size_t n)
{
    struct srules_indicator ind;
    enum bl_kind k;
    uint8_t key[KEY_MAX];
    enum pr_status st;
    unsigned mask;

    st = srules_parse_indicator(ld->name, ld->line, s, n, &ind, ld->err, ld->errlen);
    if (st != PR_OK)
        return st;
    mask = ind.kind == SRULES_IND_SHA1 ? M_SHA1 : ind.kind == SRULES_IND_JA3 ? M_JA3 : M_JA4;
    st = parse_indicator(ld, ind.value, strlen(ind.value), mask, &k, key);
    if (st != PR_OK)
        return st;
    if (((1u << k) & mask) == 0)
        return fail(ld, PR_MALFORMED, "rule sid %" PRIu32 ": content is not a %s", ind.sid,
                    kind_what[ind.kind == SRULES_IND_SHA1  ? K_SHA1
                              : ind.kind == SRULES_IND_JA3 ? K_JA3
                                                           : K_JA4]);
    return entry_add(ld, k, key, ind.msg, strlen(ind.msg), ind.sid, ind.rev);
}

static bool is_rule(const char *s, size_t n)
{
    static const char *const actions[] = {"alert",     "drop",      "pass",      "reject",
                                          "rejectsrc", "rejectdst", "rejectboth"};
    size_t i, l;

    for (i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        l = strlen(actions[i]);
        if (n > l && eq_nocase(s, l, actions[i]) && is_ws(s[l]))
            return true;
    }
    return false;
}

/* A CSV row: after an SSLBL header; or when the first blank-delimited
 * token holds a comma ("hash,label"); or when the line has a comma and
 * starts with something that is no indicator (an SSLBL date). A plain line
 * may have commas in its label. */
static bool is_csv(const struct fmt *fm, const char *s, size_t n)
{
    size_t i;

    if (fm->csv != CSV_GENERIC)
        return true;
    if (memchr(s, ',', n) == NULL)
        return false;
    for (i = 0; i < n && !is_ws(s[i]) && s[i] != '#'; i++) {
        if (s[i] == ',')
            return true;
        if (!is_alnum(s[i]) && s[i] != ':' && s[i] != '_')
            return true;
    }
    return false;
}

/* A '#' line: a Zeek "#fields" header, an SSLBL column header, or a comment. */
static enum pr_status comment_line(struct ld *ld, struct fmt *fm, const char *s, size_t n)
{
    const char *c = s + 1;
    size_t cn = n - 1;

    if (starts_nocase(s, n, "#fields") && (n == 7 || is_ws(s[7])))
        return zeek_header(ld, fm, s, n);
    trim(&c, &cn);
    if (starts_nocase(c, cn, "Listingdate,SHA1"))
        fm->csv = CSV_SSLBL_SHA1;
    else if (starts_nocase(c, cn, "ja3_md5,"))
        fm->csv = CSV_SSLBL_JA3;
    return PR_OK;
}

enum pr_status blocklist_load(struct blocklist *bl, const char *name, const char *text, size_t len,
                              char *err, size_t errlen)
{
    struct ld ld;
    struct fmt fm;
    const char *p = text, *end = text + len;
    char *rbuf = NULL, **names;
    size_t rn = 0, rcap = 0, rstart = 0;
    enum pr_status st = PR_OK;

    memset(&ld, 0, sizeof ld);
    memset(&fm, 0, sizeof fm);
    ld.bl = bl;
    ld.name = name != NULL ? name : "blocklist";
    ld.err = err;
    ld.errlen = errlen;
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (bl == NULL || (text == NULL && len > 0))
        return fail(&ld, PR_MALFORMED, "no blocklist or text");
    if (bl->nnames >= BLOCKLIST_MAX_LOADS)
        return fail(&ld, PR_LIMIT, "more than %u blocklists", BLOCKLIST_MAX_LOADS);
    names = grow(bl->names, &bl->capnames, bl->nnames + 1, sizeof *bl->names);
    if (names == NULL)
        return fail(&ld, PR_LIMIT, "out of memory");
    bl->names = names;
    names[bl->nnames] = malloc(strlen(ld.name) + 1);
    if (names[bl->nnames] == NULL)
        return fail(&ld, PR_LIMIT, "out of memory");
    memcpy(names[bl->nnames], ld.name, strlen(ld.name) + 1);
    ld.load = (uint16_t)bl->nnames++;
    /* a UTF-8 byte order mark */
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        p += 3;
    while (p < end && st == PR_OK) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *s = p;
        size_t n = (size_t)((nl != NULL ? nl : end) - p);

        p = nl != NULL ? nl + 1 : end;
        ld.line++;
        if (n > BLOCKLIST_LINE_MAX) {
            st = fail(&ld, PR_LIMIT, "line longer than %u bytes", BLOCKLIST_LINE_MAX);
            break;
        }
        if (rn > 0) {
            /* a continuation line keeps its leading blanks */
            while (n > 0 && is_ws(s[n - 1]))
                n--;
        } else {
            trim(&s, &n);
        }
        if (rn > 0 || (n > 0 && !fm.zeek && is_rule(s, n))) {
            /* a Suricata rule, possibly continued with a trailing '\' */
            bool cont = n > 0 && s[n - 1] == '\\';
            char *nb;
            if (rn == 0)
                rstart = ld.line;
            if (cont)
                n--;
            nb = grow(rbuf, &rcap, rn + n + 1, 1);
            if (nb == NULL || rn + n > SRULES_RULE_MAX) {
                st = fail(&ld, PR_LIMIT, "rule too long or out of memory");
                break;
            }
            rbuf = nb;
            memcpy(rbuf + rn, s, n);
            rn += n;
            if (cont && p < end)
                continue;
            {
                size_t here = ld.line;
                ld.line = rstart;
                st = rule_line(&ld, rbuf, rn);
                ld.line = here;
            }
            rn = 0;
            continue;
        }
        if (n == 0)
            continue;
        if (s[0] == '#')
            st = comment_line(&ld, &fm, s, n);
        else if (fm.zeek)
            st = zeek_line(&ld, &fm, s, n);
        else if (is_csv(&fm, s, n))
            st = csv_line(&ld, &fm, s, n);
        else
            st = plain_line(&ld, s, n);
    }
    free(rbuf);
    return st;
}

/* ---- matching ------------------------------------------------------------- */

static void report(const struct blocklist *bl, enum bl_kind k, const struct bl_entry *e,
                   const char *what, const char *role, int idx, const struct cs_cert *cert,
                   const struct check_out *o)
{
    char src[512], ev[1024];
    const char *label = e->label != 0 ? bl->pool + e->label - 1 : NULL;
    struct cs_alert a;

    snprintf(src, sizeof src, "%s:%" PRIu32, bl->names[e->load], e->line);
    if (label != NULL)
        snprintf(ev, sizeof ev, "%s listed in %s (%s)", what, src, label);
    else
        snprintf(ev, sizeof ev, "%s listed in %s", what, src);
    memset(&a, 0, sizeof a);
    if (e->sid != 0) {
        a.signature_id = e->sid;
        a.rev = e->rev;
        a.signature = label != NULL ? label : kind_signature[k];
    } else {
        a.signature_id = kind_sid[k];
        a.rev = 1;
        a.signature = kind_signature[k];
    }
    a.category = "blocklist";
    a.severity = 1;
    a.check = kind_check[k];
    a.role = role;
    a.chain_index = idx;
    a.cert = cert;
    a.evidence = ev;
    a.source = src;
    check_emit(o, &a);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static void check_chain(const struct blocklist *bl, const struct cs_cert *certs, size_t n,
                        const char *role, const struct check_out *o)
{
    static const char *const names[3] = {"sha1", "sha256", "spki sha256"};
    size_t i, j;

    if (n > CS_CHAIN_MAX)
        n = CS_CHAIN_MAX;
    for (i = 0; i < n; i++) {
        const struct cs_cert_info *in = certs[i].info;
        if (in == NULL)
            continue;
        for (j = 0; j < 3; j++) {
            enum bl_kind k = j == 0 ? K_SHA1 : j == 1 ? K_SHA256 : K_SPKI;
            const uint8_t *d = j == 0 ? in->sha1 : j == 1 ? in->sha256 : in->spki_sha256;
            const struct bl_entry *e;
            char what[160], hx[65];
            if (k == K_SPKI && !in->has_spki)
                continue;
            e = set_find(&bl->set[k], key_len[k], d);
            if (e == NULL)
                continue;
            hex(d, key_len[k], hx);
            snprintf(what, sizeof what, "%s certificate #%zu %s %s", role, i, names[j], hx);
            report(bl, k, e, what, role, (int)i, &certs[i], o);
        }
    }
}

void blocklist_check(const struct blocklist *bl, const struct cs_tls *t, const struct check_out *o)
{
    uint8_t key[KEY_MAX];
    const struct bl_entry *e;
    char what[96];
    size_t i;

    if (bl == NULL || t == NULL)
        return;
    check_chain(bl, t->server_certs, t->server_cert_count, "server", o);
    check_chain(bl, t->client_certs, t->client_cert_count, "client", o);
    if (bl->set[K_JA3].n > 0 && strlen(t->ja3) == 32) {
        bool ok = true;
        for (i = 0; i < 16 && ok; i++) {
            int h = hexval(t->ja3[2 * i]), l = hexval(t->ja3[2 * i + 1]);
            ok = h >= 0 && l >= 0;
            if (ok)
                key[i] = (uint8_t)(h << 4 | l);
        }
        if (ok && (e = set_find(&bl->set[K_JA3], key_len[K_JA3], key)) != NULL) {
            snprintf(what, sizeof what, "client ja3 %.32s", t->ja3);
            report(bl, K_JA3, e, what, NULL, -1, NULL, o);
        }
    }
    if (bl->set[K_JA4].n > 0 && ja4_key(t->ja4, strnlen(t->ja4, sizeof t->ja4), key) &&
        (e = set_find(&bl->set[K_JA4], key_len[K_JA4], key)) != NULL) {
        snprintf(what, sizeof what, "client ja4 %.36s", t->ja4);
        report(bl, K_JA4, e, what, NULL, -1, NULL, o);
    }
}
