/* certgen: classic pcap writer (see pcapw.h). */
#include "pcapw.h"
#include "util.h"

#include <errno.h>
#include <string.h>

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

int pcapw_open(struct pcapw *w, const char *path, uint32_t linktype)
{
    uint8_t hdr[24];
    memset(w, 0, sizeof(*w));
    w->f = fopen(path, "wb");
    if (w->f == NULL) {
        gen_err("%s: %s", path, strerror(errno));
        return -1;
    }
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

int pcapw_write(struct pcapw *w, uint64_t ts_us, const uint8_t *frame, size_t len)
{
    uint8_t rec[16];
    if (w->f == NULL || w->failed || len > PCAPW_SNAPLEN || ts_us / 1000000u > UINT32_MAX) {
        w->failed = true;
        return -1;
    }
    put32le(rec, (uint32_t)(ts_us / 1000000u));
    put32le(rec + 4, (uint32_t)(ts_us % 1000000u));
    put32le(rec + 8, (uint32_t)len);
    put32le(rec + 12, (uint32_t)len);
    if (fwrite(rec, 1, sizeof(rec), w->f) != sizeof(rec) || fwrite(frame, 1, len, w->f) != len) {
        w->failed = true;
        return -1;
    }
    w->frames++;
    return 0;
}

int pcapw_close(struct pcapw *w)
{
    int rc = w->failed ? -1 : 0;
    if (w->f != NULL && fclose(w->f) != 0)
        rc = -1;
    w->f = NULL;
    return rc;
}
