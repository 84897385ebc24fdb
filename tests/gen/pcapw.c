/* certgen: capture file writer (see pcapw.h). */
#include "pcapw.h"
#include "util.h"

#include <errno.h>
#include <string.h>

/* pcapng block types and constants (draft-ietf-opsawg-pcapng 4.1-4.7) */
#define NG_SHB 0x0a0d0d0au
#define NG_IDB 0x00000001u
#define NG_EPB 0x00000006u
#define NG_DSB 0x0000000au
#define NG_BYTE_ORDER_MAGIC 0x1a2b3c4du
#define NG_MAX_BLOCK 0x7ffffff0u /* keep total lengths far from 2^32 */

static void put32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void put16le(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static int open_file(struct pcapw *w, const char *path)
{
    memset(w, 0, sizeof(*w));
    w->f = fopen(path, "wb");
    if (w->f == NULL) {
        gen_err("%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int pcapw_open(struct pcapw *w, const char *path, uint32_t linktype)
{
    uint8_t hdr[24];
    if (open_file(w, path) != 0)
        return -1;
    w->linktype = linktype;
    put32le(hdr, 0xa1b2c3d4u); /* magic: microsecond resolution */
    put16le(hdr + 4, 2);       /* version 2.4 */
    put16le(hdr + 6, 4);
    put32le(hdr + 8, 0);  /* thiszone */
    put32le(hdr + 12, 0); /* sigfigs */
    put32le(hdr + 16, PCAPW_SNAPLEN);
    put32le(hdr + 20, linktype);
    if (fwrite(hdr, 1, sizeof(hdr), w->f) != sizeof(hdr)) {
        w->failed = true;
        return -1;
    }
    return 0;
}

int pcapw_open_ng(struct pcapw *w, const char *path, uint32_t linktype)
{
    if (open_file(w, path) != 0)
        return -1;
    w->ng = true;
    w->linktype = linktype;
    return 0;
}

/* Appends one pcapng block: type, total length, fixed part, body padded to 32 bits
 * with zeros, no options, total length again (draft-ietf-opsawg-pcapng 3.1). */
static int ng_block(struct buf *out, uint32_t type, const uint8_t *fixed, size_t fixed_len,
                    const uint8_t *body, size_t body_len)
{
    static const uint8_t zeros[3] = {0, 0, 0};
    uint8_t word[4];
    size_t pad = (4 - body_len % 4) % 4;
    if (fixed_len > 64 || body_len > NG_MAX_BLOCK) /* total stays below 2^32 */
        return -1;
    size_t total = 12 + fixed_len + body_len + pad;
    put32le(word, type);
    if (buf_append(out, word, 4) != 0)
        return -1;
    put32le(word, (uint32_t)total);
    if (buf_append(out, word, 4) != 0 || buf_append(out, fixed, fixed_len) != 0 ||
        buf_append(out, body, body_len) != 0 || buf_append(out, zeros, pad) != 0 ||
        buf_append(out, word, 4) != 0)
        return -1;
    return 0;
}

int pcapw_write(struct pcapw *w, uint64_t ts_us, const uint8_t *frame, size_t len)
{
    uint8_t rec[20];
    if (w->f == NULL || w->failed || len > PCAPW_SNAPLEN || ts_us / 1000000u > UINT32_MAX) {
        w->failed = true;
        return -1;
    }
    if (w->ng) {
        /* EPB: interface id, timestamp (high, low) in the IDB's unit (default 10^-6 s),
         * captured length, original length. */
        put32le(rec, 0);
        put32le(rec + 4, (uint32_t)(ts_us >> 32));
        put32le(rec + 8, (uint32_t)ts_us);
        put32le(rec + 12, (uint32_t)len);
        put32le(rec + 16, (uint32_t)len);
        if (ng_block(&w->packets, NG_EPB, rec, sizeof(rec), frame, len) != 0) {
            w->failed = true;
            return -1;
        }
        w->frames++;
        return 0;
    }
    put32le(rec, (uint32_t)(ts_us / 1000000u));
    put32le(rec + 4, (uint32_t)(ts_us % 1000000u));
    put32le(rec + 8, (uint32_t)len);
    put32le(rec + 12, (uint32_t)len);
    if (fwrite(rec, 1, 16, w->f) != 16 || fwrite(frame, 1, len, w->f) != len) {
        w->failed = true;
        return -1;
    }
    w->frames++;
    return 0;
}

int pcapw_add_secrets(struct pcapw *w, uint32_t type, const uint8_t *p, size_t n)
{
    uint8_t fixed[8];
    if (!w->ng || w->failed || n > UINT32_MAX) {
        w->failed = true;
        return -1;
    }
    put32le(fixed, type);            /* Secrets Type */
    put32le(fixed + 4, (uint32_t)n); /* Secrets Length, without the padding */
    if (ng_block(&w->dsbs, NG_DSB, fixed, sizeof(fixed), p, n) != 0) {
        w->failed = true;
        return -1;
    }
    return 0;
}

/* SHB, IDB, the DSBs and the buffered EPBs. */
static int ng_write_all(struct pcapw *w)
{
    struct buf head = {0};
    uint8_t shb[16], idb[8];
    int rc = -1;

    put32le(shb, NG_BYTE_ORDER_MAGIC);
    put16le(shb + 4, 1);           /* major version */
    put16le(shb + 6, 0);           /* minor version */
    put32le(shb + 8, 0xffffffffu); /* section length -1: not given */
    put32le(shb + 12, 0xffffffffu);
    put16le(idb, (uint16_t)w->linktype);
    put16le(idb + 2, 0); /* reserved */
    put32le(idb + 4, PCAPW_SNAPLEN);
    if (ng_block(&head, NG_SHB, shb, sizeof(shb), NULL, 0) != 0 ||
        ng_block(&head, NG_IDB, idb, sizeof(idb), NULL, 0) != 0)
        goto out;
    if (fwrite(head.p, 1, head.n, w->f) != head.n ||
        (w->dsbs.n > 0 && fwrite(w->dsbs.p, 1, w->dsbs.n, w->f) != w->dsbs.n) ||
        (w->packets.n > 0 && fwrite(w->packets.p, 1, w->packets.n, w->f) != w->packets.n))
        goto out;
    rc = 0;
out:
    buf_free(&head);
    return rc;
}

int pcapw_close(struct pcapw *w)
{
    int rc = w->failed ? -1 : 0;
    if (w->f != NULL && w->ng && rc == 0 && ng_write_all(w) != 0)
        rc = -1;
    if (w->f != NULL && fclose(w->f) != 0)
        rc = -1;
    w->f = NULL;
    buf_free(&w->dsbs);
    buf_free(&w->packets);
    return rc;
}
