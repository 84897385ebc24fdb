/* Minimal MaxMind DB writer for tests: see mmdb_writer.h. */
#include "mmdb_writer.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* search tree record: a node, "no data", or a data section offset */
enum rec_kind { REC_EMPTY, REC_NODE, REC_DATA };

struct rec {
    enum rec_kind kind;
    uint32_t v; /* node index or data offset */
};

struct node {
    struct rec r[2];
};

struct buf {
    uint8_t *p;
    size_t n, cap;
};

struct mmdbw {
    unsigned ip_version, record_size;
    char *database_type;
    struct node *nodes;
    size_t n_nodes, cap_nodes;
    struct buf data;
    char err[160];
};

static void w_fail(struct mmdbw *w, const char *msg)
{
    if (w->err[0] == '\0')
        snprintf(w->err, sizeof w->err, "%s", msg);
}

static bool buf_put(struct mmdbw *w, struct buf *b, const void *p, size_t n)
{
    if (w->err[0] != '\0')
        return false;
    if (n > SIZE_MAX / 2 - b->n) {
        w_fail(w, "buffer too large");
        return false;
    }
    if (b->n + n > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->n + n)
            nc *= 2;
        uint8_t *np = realloc(b->p, nc);
        if (np == NULL) {
            w_fail(w, "out of memory");
            return false;
        }
        b->p = np;
        b->cap = nc;
    }
    if (n > 0)
        memcpy(b->p + b->n, p, n);
    b->n += n;
    return true;
}

static void buf_u8(struct mmdbw *w, struct buf *b, uint8_t v)
{
    buf_put(w, b, &v, 1);
}

struct mmdbw *mmdbw_new(unsigned ip_version, unsigned record_size, const char *database_type)
{
    if ((ip_version != 4 && ip_version != 6) ||
        (record_size != 24 && record_size != 28 && record_size != 32) || database_type == NULL)
        return NULL;
    struct mmdbw *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->ip_version = ip_version;
    w->record_size = record_size;
    w->database_type = strdup(database_type);
    w->cap_nodes = 64;
    w->nodes = calloc(w->cap_nodes, sizeof *w->nodes);
    if (w->database_type == NULL || w->nodes == NULL) {
        mmdbw_free(w);
        return NULL;
    }
    w->n_nodes = 1; /* node 0, the root, both records empty */
    return w;
}

void mmdbw_free(struct mmdbw *w)
{
    if (w == NULL)
        return;
    free(w->database_type);
    free(w->nodes);
    free(w->data.p);
    free(w);
}

const char *mmdbw_error(const struct mmdbw *w)
{
    return w->err;
}

/* ---- data section fields (spec "Data Field Format") -------------------- */

/* control byte(s) for a type and a size / count */
static void put_ctrl(struct mmdbw *w, struct buf *b, unsigned type, size_t size)
{
    if (size > 16843036u) { /* 65821 + 2^24 - 1 */
        w_fail(w, "field too large");
        return;
    }
    uint8_t c = (uint8_t)((type <= 7 ? type : 0) << 5);
    uint8_t ext[4];
    size_t n_ext = 0;
    if (size < 29) {
        c |= (uint8_t)size;
    } else if (size < 285) {
        c |= 29;
        ext[n_ext++] = (uint8_t)(size - 29);
    } else if (size < 65821) {
        c |= 30;
        size_t v = size - 285;
        ext[n_ext++] = (uint8_t)(v >> 8);
        ext[n_ext++] = (uint8_t)v;
    } else {
        c |= 31;
        size_t v = size - 65821;
        ext[n_ext++] = (uint8_t)(v >> 16);
        ext[n_ext++] = (uint8_t)(v >> 8);
        ext[n_ext++] = (uint8_t)v;
    }
    buf_u8(w, b, c);
    if (type > 7)
        buf_u8(w, b, (uint8_t)(type - 7)); /* extended type byte comes before the size bytes */
    buf_put(w, b, ext, n_ext);
}

static void put_uint(struct mmdbw *w, struct buf *b, unsigned type, uint64_t v)
{
    uint8_t be[8];
    size_t n = 0;
    for (int sh = 56; sh >= 0; sh -= 8) {
        uint8_t byte = (uint8_t)(v >> sh);
        if (n == 0 && byte == 0)
            continue; /* minimal length; 0 is encoded with no payload */
        be[n++] = byte;
    }
    put_ctrl(w, b, type, n);
    buf_put(w, b, be, n);
}

static void put_str(struct mmdbw *w, struct buf *b, const char *s, size_t n)
{
    put_ctrl(w, b, 2, n);
    buf_put(w, b, s, n);
}

uint32_t mmdbw_record_start(struct mmdbw *w)
{
    return (uint32_t)w->data.n;
}

void mmdbw_map(struct mmdbw *w, size_t pairs)
{
    put_ctrl(w, &w->data, 7, pairs);
}

void mmdbw_array(struct mmdbw *w, size_t items)
{
    put_ctrl(w, &w->data, 11, items);
}

void mmdbw_str(struct mmdbw *w, const char *s)
{
    put_str(w, &w->data, s, strlen(s));
}

void mmdbw_bytes_str(struct mmdbw *w, const char *s, size_t n)
{
    put_str(w, &w->data, s, n);
}

void mmdbw_u16(struct mmdbw *w, uint16_t v)
{
    put_uint(w, &w->data, 5, v);
}

void mmdbw_u32(struct mmdbw *w, uint32_t v)
{
    put_uint(w, &w->data, 6, v);
}

void mmdbw_u64(struct mmdbw *w, uint64_t v)
{
    put_uint(w, &w->data, 9, v);
}

/* ---- search tree ------------------------------------------------------ */

static bool new_node(struct mmdbw *w, struct rec fill, uint32_t *idx)
{
    if (w->n_nodes == w->cap_nodes) {
        struct node *nn = realloc(w->nodes, w->cap_nodes * 2 * sizeof *nn);
        if (nn == NULL) {
            w_fail(w, "out of memory");
            return false;
        }
        w->nodes = nn;
        w->cap_nodes *= 2;
    }
    *idx = (uint32_t)w->n_nodes++;
    w->nodes[*idx].r[0] = fill;
    w->nodes[*idx].r[1] = fill;
    return true;
}

static bool addr_bit(const uint8_t *a, unsigned i)
{
    return (a[i / 8] >> (7 - i % 8)) & 1;
}

/* Set the record at prefix (a, bits) to data offset off. */
static bool insert_bits(struct mmdbw *w, const uint8_t *a, unsigned bits, uint32_t off)
{
    if (bits == 0) {
        w_fail(w, "prefix length 0 not supported");
        return false;
    }
    uint32_t node = 0;
    for (unsigned i = 0; i + 1 < bits; i++) {
        struct rec *r = &w->nodes[node].r[addr_bit(a, i)];
        if (r->kind != REC_NODE) {
            /* split: a covering network's data (or nothing) goes to both halves */
            struct rec fill = *r;
            uint32_t nn;
            if (!new_node(w, fill, &nn))
                return false;
            r = &w->nodes[node].r[addr_bit(a, i)]; /* nodes may have moved */
            r->kind = REC_NODE;
            r->v = nn;
        }
        node = r->v;
    }
    struct rec *last = &w->nodes[node].r[addr_bit(a, bits - 1)];
    last->kind = REC_DATA;
    last->v = off;
    return true;
}

bool mmdbw_insert(struct mmdbw *w, const char *cidr, uint32_t record)
{
    if (w->err[0] != '\0')
        return false;
    char host[64];
    const char *slash = strchr(cidr, '/');
    size_t hl = slash ? (size_t)(slash - cidr) : strlen(cidr);
    if (hl >= sizeof host) {
        w_fail(w, "bad network");
        return false;
    }
    memcpy(host, cidr, hl);
    host[hl] = '\0';
    uint8_t a[16];
    memset(a, 0, sizeof a);
    bool v4 = inet_pton(AF_INET, host, a + 12) == 1;
    if (!v4 && inet_pton(AF_INET6, host, a) != 1) {
        w_fail(w, "bad network address");
        return false;
    }
    unsigned max = v4 ? 32 : 128;
    unsigned len = max;
    if (slash != NULL) {
        char *end;
        unsigned long l = strtoul(slash + 1, &end, 10);
        if (*end != '\0' || l > max) {
            w_fail(w, "bad prefix length");
            return false;
        }
        len = (unsigned)l;
    }
    if (w->ip_version == 4) {
        if (!v4) {
            w_fail(w, "IPv6 network in an IPv4 database");
            return false;
        }
        return insert_bits(w, a + 12, len, record);
    }
    if (!v4)
        return insert_bits(w, a, len, record);
    /* ::a.b.c.d, then ::ffff:a.b.c.d */
    if (!insert_bits(w, a, 96 + len, record))
        return false;
    a[10] = 0xff;
    a[11] = 0xff;
    return insert_bits(w, a, 96 + len, record);
}

bool mmdbw_add_country(struct mmdbw *w, const char *cidr, const char *cc)
{
    uint32_t off = mmdbw_record_start(w);
    mmdbw_map(w, 1);
    mmdbw_str(w, "country");
    mmdbw_map(w, 1);
    mmdbw_str(w, "iso_code");
    mmdbw_str(w, cc);
    return mmdbw_insert(w, cidr, off);
}

bool mmdbw_add_asn(struct mmdbw *w, const char *cidr, uint32_t asn, const char *org)
{
    uint32_t off = mmdbw_record_start(w);
    mmdbw_map(w, 2);
    mmdbw_str(w, "autonomous_system_number");
    mmdbw_u32(w, asn);
    mmdbw_str(w, "autonomous_system_organization");
    mmdbw_str(w, org);
    return mmdbw_insert(w, cidr, off);
}

/* ---- file ------------------------------------------------------------- */

static uint64_t rec_value(const struct mmdbw *w, struct rec r)
{
    switch (r.kind) {
    case REC_NODE:
        return r.v;
    case REC_DATA:
        return (uint64_t)w->n_nodes + 16 + r.v; /* spec: data offset + node_count + 16 */
    case REC_EMPTY:
        break;
    }
    return w->n_nodes; /* node_count means "no data" */
}

static void put_node(struct mmdbw *w, struct buf *b, const struct node *nd)
{
    uint64_t l = rec_value(w, nd->r[0]), r = rec_value(w, nd->r[1]);
    if (l >> w->record_size || r >> w->record_size) {
        w_fail(w, "record value does not fit the record size");
        return;
    }
    uint8_t o[8];
    size_t n = 0;
    switch (w->record_size) {
    case 24:
        o[n++] = (uint8_t)(l >> 16), o[n++] = (uint8_t)(l >> 8), o[n++] = (uint8_t)l;
        o[n++] = (uint8_t)(r >> 16), o[n++] = (uint8_t)(r >> 8), o[n++] = (uint8_t)r;
        break;
    case 28:
        /* | left 23..0 | left 27..24 : right 27..24 | right 23..0 | */
        o[n++] = (uint8_t)(l >> 16), o[n++] = (uint8_t)(l >> 8), o[n++] = (uint8_t)l;
        o[n++] = (uint8_t)(((l >> 24) & 0x0f) << 4 | ((r >> 24) & 0x0f));
        o[n++] = (uint8_t)(r >> 16), o[n++] = (uint8_t)(r >> 8), o[n++] = (uint8_t)r;
        break;
    default:
        for (int sh = 24; sh >= 0; sh -= 8)
            o[n++] = (uint8_t)(l >> sh);
        for (int sh = 24; sh >= 0; sh -= 8)
            o[n++] = (uint8_t)(r >> sh);
        break;
    }
    buf_put(w, b, o, n);
}

static void meta_key(struct mmdbw *w, struct buf *b, const char *k)
{
    put_str(w, b, k, strlen(k));
}

bool mmdbw_write(struct mmdbw *w, const char *path)
{
    struct buf f = {0};
    bool ok = false;
    if (w->data.n < 3) {
        /* libmaxminddb refuses a data section under 3 bytes: pad with an
         * unreferenced empty map */
        mmdbw_map(w, 0);
        mmdbw_map(w, 0);
        mmdbw_map(w, 0);
    }
    for (size_t i = 0; i < w->n_nodes; i++)
        put_node(w, &f, &w->nodes[i]);
    static const uint8_t sep[16];
    buf_put(w, &f, sep, sizeof sep);
    buf_put(w, &f, w->data.p, w->data.n);
    buf_put(w, &f, "\xab\xcd\xefMaxMind.com", 14);
    /* metadata map (spec "Database Metadata"); the integer widths are the
     * ones readers check */
    put_ctrl(w, &f, 7, 9);
    meta_key(w, &f, "binary_format_major_version");
    put_uint(w, &f, 5, 2);
    meta_key(w, &f, "binary_format_minor_version");
    put_uint(w, &f, 5, 0);
    meta_key(w, &f, "build_epoch");
    put_uint(w, &f, 9, 1700000000u);
    meta_key(w, &f, "database_type");
    put_str(w, &f, w->database_type, strlen(w->database_type));
    meta_key(w, &f, "description");
    put_ctrl(w, &f, 7, 1);
    meta_key(w, &f, "en");
    meta_key(w, &f, "certsensor test database");
    meta_key(w, &f, "ip_version");
    put_uint(w, &f, 5, w->ip_version);
    meta_key(w, &f, "languages");
    put_ctrl(w, &f, 11, 1);
    meta_key(w, &f, "en");
    meta_key(w, &f, "node_count");
    put_uint(w, &f, 6, w->n_nodes);
    meta_key(w, &f, "record_size");
    put_uint(w, &f, 5, w->record_size);
    if (w->err[0] != '\0')
        goto out;
    FILE *fp = fopen(path, "wb");
    if (fp == NULL) {
        w_fail(w, "cannot create the file");
        goto out;
    }
    ok = fwrite(f.p, 1, f.n, fp) == f.n;
    if (fclose(fp) != 0)
        ok = false;
    if (!ok)
        w_fail(w, "write failed");
out:
    free(f.p);
    return ok;
}
