/* NSS key log reader and store; see keylog.h for the contract. */
#include "keylog.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

struct keylog_slot {
    uint8_t random[KEYLOG_RANDOM_LEN];
    bool used;
    uint8_t len[KEYLOG_SECRET_KINDS]; /* 0: absent */
    uint8_t secret[KEYLOG_SECRET_KINDS][KEYLOG_SECRET_MAX];
};

struct keylog {
    struct keylog_slot *slots;
    size_t cap; /* power of two, > max_entries */
    size_t max_entries;
    struct keylog_stats stats;
    uint8_t line[KEYLOG_LINE_MAX]; /* pending partial line (keylog_feed) */
    size_t line_len;
    bool line_overlong; /* the pending line is longer than line[] */
};

enum label_use { LABEL_STORE, LABEL_IGNORE };

struct label_info {
    const char *name;
    enum label_use use;
    enum keylog_secret_kind kind; /* LABEL_STORE only */
    bool tls12;                   /* 48-byte master secret; else 32 or 48 (hash size) */
};

/* NSS Key Log Format labels */
static const struct label_info labels[] = {
    {"CLIENT_RANDOM", LABEL_STORE, KEYLOG_MASTER_SECRET, true},
    {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", LABEL_STORE, KEYLOG_CLIENT_HS, false},
    {"SERVER_HANDSHAKE_TRAFFIC_SECRET", LABEL_STORE, KEYLOG_SERVER_HS, false},
    {"CLIENT_TRAFFIC_SECRET_0", LABEL_STORE, KEYLOG_CLIENT_AP0, false},
    {"SERVER_TRAFFIC_SECRET_0", LABEL_STORE, KEYLOG_SERVER_AP0, false},
    {"EXPORTER_SECRET", LABEL_IGNORE, KEYLOG_MASTER_SECRET, false},
    {"EARLY_EXPORTER_SECRET", LABEL_IGNORE, KEYLOG_MASTER_SECRET, false},
    {"CLIENT_EARLY_TRAFFIC_SECRET", LABEL_IGNORE, KEYLOG_MASTER_SECRET, false},
};

struct keylog *keylog_new(size_t max_entries)
{
    struct keylog *kl = NULL;
    size_t want = 0;
    size_t cap = 1;

    if (max_entries == 0 || max_entries > KEYLOG_MAX_ENTRIES)
        return NULL;
    /* load factor <= 3/4, so a probe always ends at an empty slot */
    want = max_entries + max_entries / 3 + 1;
    while (cap < want)
        cap *= 2;
    if (cap > SIZE_MAX / sizeof(struct keylog_slot)) /* [KEYLOG-SIZE-OVERFLOW] */
        return NULL;
    kl = calloc(1, sizeof *kl);
    if (kl == NULL)
        return NULL;
    kl->slots = calloc(cap, sizeof(struct keylog_slot));
    if (kl->slots == NULL) {
        free(kl);
        return NULL;
    }
    kl->cap = cap;
    kl->max_entries = max_entries;
    return kl;
}

void keylog_free(struct keylog *kl)
{
    if (kl == NULL)
        return;
    OPENSSL_cleanse(kl->slots, kl->cap * sizeof(struct keylog_slot));
    free(kl->slots);
    OPENSSL_cleanse(kl, sizeof *kl);
    free(kl);
}

size_t keylog_mem_bytes(const struct keylog *kl)
{
    if (kl == NULL)
        return 0;
    return sizeof *kl + kl->cap * sizeof(struct keylog_slot);
}

const struct keylog_stats *keylog_stats(const struct keylog *kl)
{
    return kl ? &kl->stats : NULL;
}

const char *keylog_reason_text(enum keylog_reason r)
{
    switch (r) {
    case KEYLOG_R_NONE:
        return "no error";
    case KEYLOG_R_FIELDS:
        return "expected three fields: label, client random, secret";
    case KEYLOG_R_LABEL:
        return "unknown label";
    case KEYLOG_R_RANDOM:
        return "client random is not 64 hex digits";
    case KEYLOG_R_SECRET_HEX:
        return "secret is not an even number of hex digits";
    case KEYLOG_R_SECRET_LEN:
        return "secret has the wrong size (48 bytes for CLIENT_RANDOM, 32 or 48 otherwise)";
    case KEYLOG_R_TOO_LONG:
        return "line too long";
    case KEYLOG_R_FULL:
        return "key log store full";
    }
    return "unknown reason";
}

/* ---- hash table --------------------------------------------------------- */

static size_t slot_index(const struct keylog *kl, const uint8_t *random)
{
    /* FNV-1a over the whole random, then a final mix */
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < KEYLOG_RANDOM_LEN; i++) {
        h ^= random[i];
        h *= 0x100000001b3u;
    }
    h ^= h >> 32;
    return (size_t)h & (kl->cap - 1);
}

/* The slot holding `random`, or the empty slot where it would go. */
static struct keylog_slot *find_slot(const struct keylog *kl, const uint8_t *random)
{
    size_t i = slot_index(kl, random);
    /* terminates: cap > max_entries >= used slots */
    for (;;) {
        struct keylog_slot *s = &kl->slots[i];
        if (!s->used || memcmp(s->random, random, KEYLOG_RANDOM_LEN) == 0)
            return s;
        i = (i + 1) & (kl->cap - 1);
    }
}

bool keylog_lookup(const struct keylog *kl, const uint8_t client_random[KEYLOG_RANDOM_LEN],
                   struct keylog_entry *out)
{
    const struct keylog_slot *s = NULL;

    if (out != NULL)
        memset(out, 0, sizeof *out);
    if (kl == NULL || client_random == NULL)
        return false;
    s = find_slot(kl, client_random);
    if (!s->used)
        return false;
    if (out != NULL) {
        for (size_t k = 0; k < KEYLOG_SECRET_KINDS; k++) {
            if (s->len[k] != 0) {
                out->secret[k].p = s->secret[k];
                out->secret[k].n = s->len[k];
            }
        }
    }
    return true;
}

/* ---- line parsing ------------------------------------------------------- */

static bool is_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int hex_val(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* hex digits -> bytes; false unless every digit is hex and n is even and fits */
static bool hex_decode(struct bytes hex, uint8_t *out, size_t out_cap, size_t *out_len)
{
    if (hex.n % 2 != 0 || hex.n / 2 > out_cap)
        return false;
    for (size_t i = 0; i < hex.n / 2; i++) {
        int hi = hex_val(hex.p[2 * i]);
        int lo = hex_val(hex.p[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *out_len = hex.n / 2;
    return true;
}

static const struct label_info *find_label(struct bytes name)
{
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        if (strlen(labels[i].name) == name.n && memcmp(labels[i].name, name.p, name.n) == 0)
            return &labels[i];
    }
    return NULL;
}

static enum pr_status reject(struct keylog *kl, enum pr_status st, enum keylog_reason why)
{
    if (st == PR_UNSUPPORTED)
        kl->stats.unknown++;
    else if (st == PR_LIMIT)
        kl->stats.full++;
    else
        kl->stats.malformed++;
    kl->stats.last_bad_line = kl->stats.lines;
    kl->stats.last_reason = why;
    return st;
}

static enum pr_status store_secret(struct keylog *kl, const struct label_info *li,
                                   const uint8_t *random, const uint8_t *secret, size_t len)
{
    struct keylog_slot *s = find_slot(kl, random);
    size_t k = li->kind;

    if (!s->used) {
        if (kl->stats.entries >= kl->max_entries)
            return reject(kl, PR_LIMIT, KEYLOG_R_FULL);
        memcpy(s->random, random, KEYLOG_RANDOM_LEN);
        s->used = true;
        kl->stats.entries++;
    }
    if (s->len[k] == len && memcmp(s->secret[k], secret, len) == 0) {
        kl->stats.duplicates++;
        return PR_OK;
    }
    if (s->len[k] != 0)
        kl->stats.conflicts++;
    else
        kl->stats.stored++;
    memset(s->secret[k], 0, sizeof s->secret[k]);
    memcpy(s->secret[k], secret, len);
    s->len[k] = (uint8_t)len;
    return PR_OK;
}

/* One line of at most KEYLOG_LINE_MAX bytes (no newline); `overlong` when
 * the real line was longer and has been cut to these bytes. */
static enum pr_status process_line(struct keylog *kl, const uint8_t *p, size_t n, bool overlong)
{
    struct bytes field[4];
    size_t nfields = 0;
    size_t i = 0;
    const struct label_info *li = NULL;
    uint8_t random[KEYLOG_RANDOM_LEN];
    uint8_t secret[KEYLOG_SECRET_MAX];
    size_t rlen = 0;
    size_t slen = 0;
    enum pr_status st = PR_OK;

    kl->stats.lines++;
    while (i < n && is_blank(p[i]))
        i++;
    if (i < n && p[i] == '#') {
        kl->stats.comments++;
        return PR_OK;
    }
    if (overlong)
        return reject(kl, PR_MALFORMED, KEYLOG_R_TOO_LONG);
    if (i == n) {
        kl->stats.comments++;
        return PR_OK;
    }

    /* split into at most 4 fields (a 4th means too many) */
    while (i < n && nfields < 4) {
        size_t start = i;
        while (i < n && !is_blank(p[i]))
            i++;
        field[nfields].p = p + start;
        field[nfields].n = i - start;
        nfields++;
        while (i < n && is_blank(p[i]))
            i++;
    }

    li = find_label(field[0]);
    if (li == NULL)
        return reject(kl, PR_UNSUPPORTED, KEYLOG_R_LABEL);
    if (nfields != 3)
        return reject(kl, PR_MALFORMED, KEYLOG_R_FIELDS);
    if (field[1].n != 2 * KEYLOG_RANDOM_LEN || !hex_decode(field[1], random, sizeof random, &rlen))
        return reject(kl, PR_MALFORMED, KEYLOG_R_RANDOM);
    if (!hex_decode(field[2], secret, sizeof secret, &slen)) {
        /* an even run of hex digits that is merely too long is a size error */
        bool too_long = field[2].n % 2 == 0 && field[2].n / 2 > sizeof secret;
        for (size_t j = 0; too_long && j < field[2].n; j++)
            too_long = hex_val(field[2].p[j]) >= 0;
        return reject(kl, PR_MALFORMED, too_long ? KEYLOG_R_SECRET_LEN : KEYLOG_R_SECRET_HEX);
    }
    /* CLIENT_RANDOM: 48-byte master secret (RFC 5246 8.1); TLS 1.3 secrets
     * are the size of the suite's hash: SHA-256 or SHA-384 (RFC 8446 7.1) */
    if (li->tls12 ? slen != 48 : (slen != 32 && slen != 48))
        return reject(kl, PR_MALFORMED, KEYLOG_R_SECRET_LEN);

    if (li->use == LABEL_IGNORE)
        kl->stats.ignored++;
    else
        st = store_secret(kl, li, random, secret, slen);
    OPENSSL_cleanse(secret, sizeof secret);
    return st;
}

enum pr_status keylog_add_line(struct keylog *kl, const char *line, size_t len)
{
    const uint8_t *p = (const uint8_t *)line;

    if (kl == NULL || (line == NULL && len != 0))
        return PR_UNSUPPORTED;
    if (len > 0 && p[len - 1] == '\n')
        len--;
    /* the same cut as keylog_feed(), so both give the same answer */
    if (len > KEYLOG_LINE_MAX)
        return process_line(kl, p, KEYLOG_LINE_MAX, true);
    return process_line(kl, p, len, false);
}

static int severity(enum pr_status s)
{
    switch (s) {
    case PR_LIMIT:
        return 3;
    case PR_MALFORMED:
        return 2;
    case PR_UNSUPPORTED:
        return 1;
    default:
        return 0;
    }
}

/* PR_LIMIT over PR_MALFORMED over PR_UNSUPPORTED over PR_OK */
static enum pr_status worse(enum pr_status a, enum pr_status b)
{
    return severity(b) > severity(a) ? b : a;
}

static enum pr_status flush_line(struct keylog *kl)
{
    enum pr_status st = process_line(kl, kl->line, kl->line_len, kl->line_overlong);
    OPENSSL_cleanse(kl->line, sizeof kl->line);
    kl->line_len = 0;
    kl->line_overlong = false;
    return st;
}

enum pr_status keylog_feed(struct keylog *kl, const uint8_t *bytes, size_t len)
{
    enum pr_status st = PR_OK;

    if (kl == NULL || (bytes == NULL && len != 0))
        return PR_UNSUPPORTED;
    while (len > 0) {
        const uint8_t *nl = memchr(bytes, '\n', len);
        size_t take = nl ? (size_t)(nl - bytes) : len;
        size_t room = KEYLOG_LINE_MAX - kl->line_len;

        /* [KEYLOG-LINE-BOUND] keep at most KEYLOG_LINE_MAX bytes of a line */
        if (take > room) {
            memcpy(kl->line + kl->line_len, bytes, room);
            kl->line_len += room;
            kl->line_overlong = true;
        } else {
            memcpy(kl->line + kl->line_len, bytes, take);
            kl->line_len += take;
        }
        if (nl == NULL)
            break;
        st = worse(st, flush_line(kl));
        bytes += take + 1;
        len -= take + 1;
    }
    return st;
}

enum pr_status keylog_finish(struct keylog *kl)
{
    if (kl == NULL)
        return PR_UNSUPPORTED;
    if (kl->line_len == 0 && !kl->line_overlong)
        return PR_OK;
    return worse(PR_OK, flush_line(kl));
}
