/* CLI: key logs from pcapng Decryption Secrets Blocks (see pcapng_keys.h).
 *
 * Wire format, IETF draft-ietf-opsawg-pcapng:
 *   3.1  every block: Block Type (32), Block Total Length (32), body,
 *        Block Total Length (32) again; the length counts all of it and is a
 *        multiple of 4.
 *   4.1  Section Header Block: type 0x0A0D0D0A (the same in both byte
 *        orders), then the Byte-Order Magic 0x1A2B3C4D written in the
 *        section's byte order, version, section length, options. Every
 *        length after it in the section is in that order.
 *   4.7  Decryption Secrets Block: type 0x0000000A, Secrets Type (32),
 *        Secrets Length (32, without padding), secrets padded to 32 bits,
 *        options. */
#include "pcapng_keys.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define NG_TYPE_SHB 0x0a0d0d0au
#define NG_TYPE_DSB 0x0000000au
#define NG_BYTE_ORDER_MAGIC 0x1a2b3c4du
#define NG_SECRETS_TLSK 0x544c534bu /* "TLSK": NSS key log */
#define NG_MIN_BLOCK 12u            /* type, length, length */
#define NG_MIN_SHB 28u              /* + magic, major, minor, section length (64) */
#define NG_MIN_DSB 20u              /* + secrets type, secrets length */
#define NG_READ_START 4096u         /* first buffer for a key log; doubles as bytes arrive */
#define NG_SKIP_BY_READ                                                                            \
    (64u * 1024u) /* shorter skips read through stdio's buffer: fseeko()                           \
                   * costs an lseek() per block, 28k on a 30 MB file */

struct walk {
    FILE *fp;
    uint64_t off; /* bytes consumed from where fp stood at the start */
    char *err;
    size_t errlen;
};

static uint32_t get32(const uint8_t *p, bool big_endian)
{
    if (big_endian)
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static int fail(struct walk *w, uint64_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes "byte offset AT: ..." into w->err; returns -1. */
static int fail(struct walk *w, uint64_t at, const char *fmt, ...)
{
    if (w->errlen == 0)
        return -1;
    int n = snprintf(w->err, w->errlen, "byte offset %llu: ", (unsigned long long)at);
    if (n >= 0 && (size_t)n < w->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->err + n, w->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Up to n bytes into buf; returns how many arrived (n unless end of file or error). */
static size_t take(struct walk *w, void *buf, size_t n)
{
    size_t got = fread(buf, 1, n, w->fp);
    w->off += got;
    return got;
}

/* Short read at `at` while reading `what`: end of file or a read error. */
static int short_read(struct walk *w, uint64_t at, const char *what)
{
    if (ferror(w->fp))
        return fail(w, at, "read error in %s: %s", what, strerror(errno));
    return fail(w, at, "file ends inside %s", what);
}

/* Moves to the block's trailing length (block at `at`, total length len, the
 * caller has consumed less than len - 4 bytes of it) and checks it equals len. */
static int finish_block(struct walk *w, uint64_t at, uint32_t type, uint32_t len, bool big)
{
    uint64_t trailer = at + len - 4u; /* len >= NG_MIN_BLOCK, checked by the caller */
    uint8_t b[4];
    uint8_t scratch[4096];
    /* w->off <= trailer: the caller consumed at most len - 4 bytes of the block
     * ([PCAPNG-LEN] and [PCAPNG-SECRETS-LEN]) */
    if (trailer - w->off <= NG_SKIP_BY_READ) {
        while (w->off < trailer) {
            uint64_t left = trailer - w->off;
            size_t want = left < sizeof(scratch) ? (size_t)left : sizeof(scratch);
            if (take(w, scratch, want) != want)
                return short_read(w, at,
                                  "a block (its total length runs past the end of the file)");
        }
    } else {
        /* [PCAPNG-SKIP] below 2^32 bytes: fits off_t (64-bit with _FILE_OFFSET_BITS=64) */
        if (fseeko(w->fp, (off_t)(trailer - w->off), SEEK_CUR) != 0)
            return fail(w, at, "block type 0x%08x of %u bytes: cannot skip to its end: %s", type,
                        len, strerror(errno));
        w->off = trailer;
    }
    if (take(w, b, sizeof(b)) != sizeof(b))
        return short_read(w, at, "a block (its total length runs past the end of the file)");
    uint32_t again = get32(b, big);
    if (again != len)
        return fail(w, at, "block type 0x%08x: total length %u at its start but %u at its end",
                    type, len, again);
    return 0;
}

/* Reads the n-byte key log of a TLSK DSB into a buffer that grows with the
 * bytes that actually arrive (a truncated file with a hostile Secrets Length
 * costs at most twice its real size), hands it over, frees it. */
static int deliver_keys(struct walk *w, uint64_t at, size_t n,
                        void (*on_keys)(void *ctx, const uint8_t *p, size_t n), void *ctx)
{
    uint8_t *buf = NULL;
    size_t cap = 0, have = 0;
    int rc = -1;

    while (have < n) {
        if (have == cap) {
            /* [PCAPNG-ALLOC] n <= PCAPNG_KEYS_MAX_DSB, so doubling cannot overflow */
            size_t ncap = cap == 0 ? NG_READ_START : cap * 2;
            if (ncap > n)
                ncap = n;
            uint8_t *nb = realloc(buf, ncap);
            if (nb == NULL) {
                rc = fail(w, at, "out of memory for a %zu-byte key log", n);
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        size_t want = cap - have;
        size_t got = take(w, buf + have, want);
        have += got;
        if (got != want) {
            rc = short_read(w, at, "a Decryption Secrets Block");
            goto out;
        }
    }
    if (on_keys != NULL)
        on_keys(ctx, buf, n);
    rc = 0;
out:
    free(buf);
    return rc;
}

int pcapng_keys_scan(FILE *fp, void (*on_keys)(void *ctx, const uint8_t *p, size_t n), void *ctx,
                     char *err, size_t errlen)
{
    struct walk w = {fp, 0, err, errlen};
    bool big = false;  /* byte order of the current section */
    bool first = true; /* nothing recognised yet: anything odd means "not pcapng" */
    uint8_t h[12];

    if (errlen > 0)
        err[0] = '\0';
    if (fp == NULL)
        return fail(&w, 0, "no file");
    for (;;) {
        uint64_t at = w.off;
        size_t got = take(&w, h, 8);
        if (got == 0 && !ferror(fp))
            return 0; /* the end, between blocks */
        if (got != 8) {
            if (first && !ferror(fp))
                return 0; /* shorter than a block header: not pcapng */
            return short_read(&w, at, "a block header");
        }
        /* the SHB's type reads the same in both byte orders; the rest in the section's */
        uint32_t type = get32(h, big);
        if (type == NG_TYPE_SHB) {
            got = take(&w, h + 8, 4);
            if (got != 4) {
                if (first && !ferror(fp))
                    return 0;
                return short_read(&w, at, "a section header block");
            }
            if (get32(h + 8, false) == NG_BYTE_ORDER_MAGIC) {
                big = false;
            } else if (get32(h + 8, true) == NG_BYTE_ORDER_MAGIC) {
                big = true;
            } else {
                if (first)
                    return 0; /* not pcapng (libpcap will say what it is not) */
                return fail(&w, at, "section header byte-order magic 0x%08x (expected 0x%08x)",
                            get32(h + 8, true), NG_BYTE_ORDER_MAGIC);
            }
        } else if (first) {
            return 0; /* a pcapng file starts with a section header block */
        }
        first = false;

        uint32_t len = get32(h + 4, big);
        uint32_t min = type == NG_TYPE_SHB   ? NG_MIN_SHB
                       : type == NG_TYPE_DSB ? NG_MIN_DSB
                                             : NG_MIN_BLOCK;
        /* [PCAPNG-LEN] every later subtraction from len relies on these */
        if (len % 4u != 0 || len < min)
            return fail(&w, at,
                        "block type 0x%08x: total length %u (expected a multiple of 4, at "
                        "least %u)",
                        type, len, min);
        if (type == NG_TYPE_DSB) {
            if (len > PCAPNG_KEYS_MAX_DSB)
                return fail(&w, at, "decryption secrets block of %u bytes (the limit is %u bytes)",
                            len, PCAPNG_KEYS_MAX_DSB);
            got = take(&w, h, 8);
            if (got != 8)
                return short_read(&w, at, "a Decryption Secrets Block");
            uint32_t stype = get32(h, big);
            uint32_t slen = get32(h + 4, big);
            /* [PCAPNG-SECRETS-LEN] secrets plus their padding stay inside the block,
             * before the trailing length; len <= 64 MiB so nothing here wraps */
            size_t room = (size_t)len - NG_MIN_DSB;
            if (slen > room || (size_t)slen + (4u - slen % 4u) % 4u > room)
                return fail(&w, at,
                            "decryption secrets block: secrets length %u does not fit in its "
                            "total length %u",
                            slen, len);
            if (stype == NG_SECRETS_TLSK && slen > 0 &&
                deliver_keys(&w, at, slen, on_keys, ctx) != 0)
                return -1;
        }
        if (finish_block(&w, at, type, len, big) != 0)
            return -1;
    }
}
