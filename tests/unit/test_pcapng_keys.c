/* Unit tests for sensor/pcapng_keys.c (key logs from pcapng Decryption
 * Secrets Blocks).
 *
 * Every file is built here, block by block, in either byte order
 * (draft-ietf-opsawg-pcapng 3.1, 4.1, 4.7), and read through fmemopen() and
 * through a real temporary file (fseeko() past the end behaves differently
 * on the two). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pcapng_keys.h"

#define SHB 0x0a0d0d0au
#define IDB 0x00000001u
#define EPB 0x00000006u
#define DSB 0x0000000au
#define TLSK 0x544c534bu
#define WGKL 0x57474b4cu /* WireGuard key log: a secrets type the reader must skip */

#define KEYS1                                                                                      \
    "CLIENT_RANDOM 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f "              \
    "916abf9da55973e13614ae0a3f5d3f37b023ba129aee02cc9134338127cd7049781c8e19fc1eb2a7387ac06ae237" \
    "344c\n"
#define KEYS2                                                                                      \
    "SERVER_HANDSHAKE_TRAFFIC_SECRET 0a 1b" /* 37 bytes, no newline: 3 bytes of padding            \
                                             */

/* ---- building files --------------------------------------------------------- */

struct img {
    uint8_t p[160 * 1024];
    size_t n;
    bool big;        /* byte order of the section being written */
    size_t ends[32]; /* offset just past each block */
    size_t n_blocks;
};

static void put8(struct img *m, uint8_t v)
{
    assert_true(m->n < sizeof(m->p));
    m->p[m->n++] = v;
}

static void put32(struct img *m, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        put8(m, (uint8_t)(m->big ? v >> (24 - 8 * i) : v >> (8 * i)));
}

static void put16(struct img *m, uint16_t v)
{
    put8(m, (uint8_t)(m->big ? v >> 8 : v));
    put8(m, (uint8_t)(m->big ? v : v >> 8));
}

static void put_bytes(struct img *m, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put8(m, ((const uint8_t *)p)[i]);
}

static void pad4(struct img *m)
{
    while (m->n % 4 != 0)
        put8(m, 0);
}

/* Block header with a placeholder length; block_end() fills both lengths. */
static size_t block_start(struct img *m, uint32_t type)
{
    size_t at = m->n;
    put32(m, type);
    put32(m, 0);
    return at;
}

static void block_end(struct img *m, size_t at)
{
    uint32_t len = (uint32_t)(m->n - at + 4);
    size_t save = m->n;
    m->n = at + 4;
    put32(m, len);
    m->n = save;
    put32(m, len);
    assert_true(m->n_blocks < 32);
    m->ends[m->n_blocks++] = m->n;
}

static void shb(struct img *m, bool big, bool with_option)
{
    m->big = big;
    size_t at = block_start(m, SHB);
    put32(m, 0x1a2b3c4du);
    put16(m, 1);
    put16(m, 0);
    put32(m, 0xffffffffu); /* section length: not given */
    put32(m, 0xffffffffu);
    if (with_option) {
        put16(m, 4); /* shb_userappl */
        put16(m, 7);
        put_bytes(m, "certgen", 7);
        pad4(m);
        put16(m, 0); /* opt_endofopt */
        put16(m, 0);
    }
    block_end(m, at);
}

static void idb(struct img *m)
{
    size_t at = block_start(m, IDB);
    put16(m, 1); /* LINKTYPE_ETHERNET */
    put16(m, 0);
    put32(m, 65535);
    block_end(m, at);
}

static void epb(struct img *m, size_t caplen)
{
    size_t at = block_start(m, EPB);
    put32(m, 0);
    put32(m, 0x00063684u);
    put32(m, 0x12345678u);
    put32(m, (uint32_t)caplen);
    put32(m, (uint32_t)caplen);
    for (size_t i = 0; i < caplen; i++)
        put8(m, (uint8_t)(0xa0 + i));
    pad4(m);
    block_end(m, at);
}

static void dsb(struct img *m, uint32_t stype, const char *text, bool with_option)
{
    size_t n = strlen(text);
    size_t at = block_start(m, DSB);
    put32(m, stype);
    put32(m, (uint32_t)n);
    put_bytes(m, text, n);
    pad4(m);
    if (with_option) {
        put16(m, 1); /* opt_comment */
        put16(m, 4);
        put_bytes(m, "note", 4);
        put16(m, 0);
        put16(m, 0);
    }
    block_end(m, at);
}

/* SHB, IDB, DSB(TLSK), EPB, DSB(unknown type), DSB(TLSK, with an option), EPB. */
static void sample(struct img *m, bool big)
{
    memset(m, 0, sizeof(*m));
    shb(m, big, true);
    idb(m);
    dsb(m, TLSK, KEYS1, false);
    epb(m, 61);
    dsb(m, WGKL, "wg-secret-line\n", false);
    dsb(m, TLSK, KEYS2, true);
    epb(m, 64);
}

/* Overwrites the 32-bit value at off in the image's byte order. */
static void patch32(struct img *m, size_t off, uint32_t v)
{
    size_t save = m->n;
    m->n = off;
    put32(m, v);
    m->n = save;
}

/* ---- running the scanner ----------------------------------------------------- */

struct got {
    size_t calls;
    char text[4][1024];
    size_t len[4];
};

static void on_keys(void *ctx, const uint8_t *p, size_t n)
{
    struct got *g = ctx;
    assert_non_null(p);
    assert_true(n > 0);
    if (g->calls < 4 && n < sizeof(g->text[0])) {
        memcpy(g->text[g->calls], p, n);
        g->text[g->calls][n] = '\0';
        g->len[g->calls] = n;
    }
    g->calls++;
}

enum via { VIA_MEMORY, VIA_FILE };

static int scan(const uint8_t *p, size_t n, enum via via, struct got *g, char *err, size_t errlen)
{
    static const uint8_t none[1];
    FILE *f;
    memset(g, 0, sizeof(*g));
    if (via == VIA_MEMORY) {
        /* glibc refuses a zero-size fmemopen buffer on some versions: an empty
         * file is tested through VIA_FILE */
        f = fmemopen((void *)(n ? p : none), n ? n : 1, "rb");
        assert_non_null(f);
        if (n == 0)
            assert_int_equal(fseek(f, 1, SEEK_SET), 0);
    } else {
        f = tmpfile();
        assert_non_null(f);
        if (n > 0)
            assert_int_equal(fwrite(p, 1, n, f), n);
        rewind(f);
    }
    int rc = pcapng_keys_scan(f, on_keys, g, err, errlen);
    fclose(f);
    return rc;
}

static void expect_both_keys(const struct got *g)
{
    assert_int_equal(g->calls, 2);
    assert_int_equal(g->len[0], strlen(KEYS1));
    assert_string_equal(g->text[0], KEYS1);
    assert_int_equal(g->len[1], strlen(KEYS2));
    assert_string_equal(g->text[1], KEYS2);
}

static void expect_error_at(int rc, const char *err, size_t offset)
{
    char want[64];
    snprintf(want, sizeof(want), "byte offset %zu: ", offset);
    assert_int_equal(rc, -1);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("error \"%s\" does not start with \"%s\"", err, want);
    assert_true(strlen(err) > strlen(want));
}

/* ---- tests ----------------------------------------------------------------------- */

static void test_both_byte_orders(void **state)
{
    (void)state;
    for (int big = 0; big <= 1; big++) {
        for (int via = VIA_MEMORY; via <= VIA_FILE; via++) {
            struct img m;
            struct got g;
            char err[256] = "untouched";
            sample(&m, big);
            assert_int_equal(scan(m.p, m.n, (enum via)via, &g, err, sizeof(err)), 0);
            assert_string_equal(err, "");
            expect_both_keys(&g);
        }
    }
}

/* A second section may switch byte order; its DSB is read in the new order. */
static void test_two_sections(void **state)
{
    (void)state;
    struct img m;
    struct got g;
    char err[256];
    memset(&m, 0, sizeof(m));
    shb(&m, false, false);
    idb(&m);
    dsb(&m, TLSK, KEYS1, false);
    epb(&m, 3);
    shb(&m, true, true);
    idb(&m);
    dsb(&m, TLSK, KEYS2, false);
    epb(&m, 0);
    for (int via = VIA_MEMORY; via <= VIA_FILE; via++) {
        assert_int_equal(scan(m.p, m.n, (enum via)via, &g, err, sizeof(err)), 0);
        expect_both_keys(&g);
    }
    /* cut inside the second section header's byte-order magic: damage, not a clean end */
    size_t second = m.ends[3];
    assert_int_equal(scan(m.p, second + 10, VIA_MEMORY, &g, err, sizeof(err)), -1);
    expect_error_at(-1, err, second);
    assert_int_equal(g.calls, 1);
    /* a damaged byte-order magic in the second section is damage, not "not pcapng" */
    m.p[second + 8] ^= 0x01;
    assert_int_equal(scan(m.p, m.n, VIA_MEMORY, &g, err, sizeof(err)), -1);
    expect_error_at(-1, err, second);
    assert_int_equal(g.calls, 1);
}

static void test_unknown_secrets_type_only(void **state)
{
    (void)state;
    struct img m;
    struct got g;
    char err[256];
    memset(&m, 0, sizeof(m));
    shb(&m, false, false);
    dsb(&m, WGKL, "a wireguard key\n", false);
    dsb(&m, 0xffffffffu, "x", false);
    dsb(&m, TLSK, "", false); /* empty key log: no call */
    idb(&m);
    epb(&m, 10);
    assert_int_equal(scan(m.p, m.n, VIA_MEMORY, &g, err, sizeof(err)), 0);
    assert_int_equal(g.calls, 0);
}

static void test_not_pcapng(void **state)
{
    (void)state;
    static const uint8_t classic[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0};
    static const uint8_t text[] = "CLIENT_RANDOM 00 11\n";
    struct got g;
    char err[64];
    for (int via = VIA_MEMORY; via <= VIA_FILE; via++) {
        assert_int_equal(scan(classic, sizeof(classic), (enum via)via, &g, err, sizeof(err)), 0);
        assert_int_equal(scan(text, sizeof(text) - 1, (enum via)via, &g, err, sizeof(err)), 0);
        assert_int_equal(scan(classic, 0, (enum via)via, &g, err, sizeof(err)), 0);
        assert_int_equal(g.calls, 0);
    }
    /* the SHB type with a wrong byte-order magic: not pcapng either */
    struct img m;
    sample(&m, false);
    m.p[8] = 0x00;
    assert_int_equal(scan(m.p, m.n, VIA_MEMORY, &g, err, sizeof(err)), 0);
    assert_int_equal(g.calls, 0);
}

/* Every prefix of the sample: never a crash, either a clean end (only at a block
 * boundary, or before a section header is recognised) or an error naming a block;
 * the key logs handed over are always whole and in order. */
static void test_every_truncation(void **state)
{
    (void)state;
    for (int big = 0; big <= 1; big++) {
        struct img m;
        sample(&m, big);
        for (size_t k = 0; k < m.n; k++) {
            for (int via = VIA_MEMORY; via <= VIA_FILE; via++) {
                struct got g;
                char err[256];
                int rc = scan(m.p, k, (enum via)via, &g, err, sizeof(err));
                bool boundary = k < 12;
                for (size_t b = 0; b < m.n_blocks; b++)
                    boundary = boundary || m.ends[b] == k;
                if (boundary) {
                    assert_int_equal(rc, 0);
                } else {
                    assert_int_equal(rc, -1);
                    assert_memory_equal(err, "byte offset ", 12);
                }
                /* whole key logs, a prefix of the full list */
                assert_true(g.calls <= 2);
                if (g.calls >= 1)
                    assert_string_equal(g.text[0], KEYS1);
                if (g.calls == 2)
                    assert_string_equal(g.text[1], KEYS2);
                /* a DSB that ends inside the prefix was delivered */
                size_t want = (k >= m.ends[2]) + (k >= m.ends[5]);
                assert_true(g.calls >= want);
            }
        }
    }
}

/* A block longer than 64 KiB is skipped with fseeko() rather than read through:
 * both ways must land on its trailing length. */
static void test_long_block(void **state)
{
    (void)state;
    static struct img m;
    for (int big = 0; big <= 1; big++) {
        memset(&m, 0, sizeof(m));
        shb(&m, big, false);
        idb(&m);
        epb(&m, 70000);
        dsb(&m, TLSK, KEYS1, false);
        epb(&m, 65536 - 20); /* skipped by reading: exactly 64 KiB to its trailer */
        dsb(&m, TLSK, KEYS2, false);
        for (int via = VIA_MEMORY; via <= VIA_FILE; via++) {
            struct got g;
            char err[256];
            assert_int_equal(scan(m.p, m.n, (enum via)via, &g, err, sizeof(err)), 0);
            expect_both_keys(&g);
            /* cut inside the long block: an error naming it, on both paths */
            assert_int_equal(scan(m.p, m.ends[1] + 40000, (enum via)via, &g, err, sizeof(err)), -1);
            expect_error_at(-1, err, m.ends[1]);
            assert_int_equal(g.calls, 0);
        }
    }
}

/* Total lengths at 0, below the minimum, not a multiple of 4, and absurd. */
static void test_bad_block_lengths(void **state)
{
    (void)state;
    static const uint32_t bad_any[] = {0, 4, 8, 11, 13, 14, 15, 0xfffffffdu, 0xffffffffu};
    for (int big = 0; big <= 1; big++) {
        struct img m;
        struct got g;
        char err[256];
        /* the EPB after the first DSB (block 3) */
        size_t epb_at = 0;
        sample(&m, big);
        epb_at = m.ends[2];
        for (size_t i = 0; i < sizeof(bad_any) / sizeof(bad_any[0]); i++) {
            sample(&m, big);
            patch32(&m, epb_at + 4, bad_any[i]);
            expect_error_at(scan(m.p, m.n, VIA_MEMORY, &g, err, sizeof(err)), err, epb_at);
            assert_int_equal(g.calls, 1);
        }
        /* a well-formed but absurd length: the block runs past the end of the file */
        for (int via = VIA_MEMORY; via <= VIA_FILE; via++) {
            sample(&m, big);
            patch32(&m, epb_at + 4, 0xfffffffcu);
            expect_error_at(scan(m.p, m.n, (enum via)via, &g, err, sizeof(err)), err, epb_at);
            assert_int_equal(g.calls, 1);
        }
        /* 12 is a legal block length to walk, but then the trailing length differs */
        sample(&m, big);
        patch32(&m, epb_at + 4, 12);
        expect_error_at(scan(m.p, m.n, VIA_MEMORY, &g, err, sizeof(err)), err, epb_at);
        /* leading and trailing lengths that differ by 4 */
        sample(&m, big);
        patch32(&m, m.ends[3] - 4, (uint32_t)(m.ends[3] - epb_at + 4));
        expect_error_at(scan(m.p, m.n, VIA_MEMORY, &g, err, sizeof(err)), err, epb_at);
        /* an SHB shorter than its fixed part */
        sample(&m, big);
        patch32(&m, 4, 24);
        expect_error_at(scan(m.p, m.n, VIA_MEMORY, &g, err, sizeof(err)), err, 0);
        assert_int_equal(g.calls, 0);
    }
}

static void test_bad_dsb_lengths(void **state)
{
    (void)state;
    for (int big = 0; big <= 1; big++) {
        struct img m;
        struct got g;
        char err[256];
        sample(&m, big);
        size_t at = m.ends[1]; /* the first DSB */
        size_t total = m.ends[2] - at;
        static const uint32_t bad[] = {
            0,           12,          16,
            19,          21,          PCAPNG_KEYS_MAX_DSB + 4u, /* over the limit by one word */
            0x7ffffffcu, 0xfffffffcu, /* absurd: refused before any allocation */
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            sample(&m, big);
            patch32(&m, at + 4, bad[i]);
            expect_error_at(scan(m.p, m.n, VIA_MEMORY, &g, err, sizeof(err)), err, at);
            assert_int_equal(g.calls, 0);
        }
        /* exactly at the limit, claiming 64 MiB of secrets, in a file of a few
         * hundred bytes: the buffer grows only with the bytes that arrive */
        for (int via = VIA_MEMORY; via <= VIA_FILE; via++) {
            sample(&m, big);
            patch32(&m, at + 4, PCAPNG_KEYS_MAX_DSB);
            patch32(&m, at + 12, PCAPNG_KEYS_MAX_DSB - 20u);
            expect_error_at(scan(m.p, m.n, (enum via)via, &g, err, sizeof(err)), err, at);
            assert_int_equal(g.calls, 0);
        }
        /* secrets length: more than the block holds, or absurd */
        static const uint32_t bad_slen[] = {(uint32_t)strlen(KEYS1) + 5u, 0xffffffffu, 0xfffffffcu};
        for (size_t i = 0; i < sizeof(bad_slen) / sizeof(bad_slen[0]); i++) {
            sample(&m, big);
            patch32(&m, at + 12, bad_slen[i]);
            expect_error_at(scan(m.p, m.n, VIA_MEMORY, &g, err, sizeof(err)), err, at);
            assert_int_equal(g.calls, 0);
        }
        /* a shorter secrets length is legal (the rest reads as padding and options):
         * the call gets exactly that many bytes */
        sample(&m, big);
        patch32(&m, at + 12, 13);
        assert_int_equal(scan(m.p, m.n, VIA_MEMORY, &g, err, sizeof(err)), 0);
        assert_int_equal(g.calls, 2);
        assert_int_equal(g.len[0], 13);
        assert_string_equal(g.text[0], "CLIENT_RANDOM");
        /* the largest secrets length the block can hold: the last DSB's padding and
         * option then read as secrets */
        sample(&m, big);
        size_t at2 = m.ends[4];
        size_t total2 = m.ends[5] - at2;
        patch32(&m, at2 + 12, (uint32_t)(total2 - 20));
        assert_int_equal(scan(m.p, m.n, VIA_MEMORY, &g, err, sizeof(err)), 0);
        assert_int_equal(g.calls, 2);
        assert_int_equal(g.len[1], total2 - 20);
        assert_memory_equal(g.text[1], KEYS2, strlen(KEYS2));
        patch32(&m, at2 + 12, (uint32_t)(total2 - 19));
        expect_error_at(scan(m.p, m.n, VIA_MEMORY, &g, err, sizeof(err)), err, at2);
        assert_int_equal(g.calls, 1);
        (void)total;
    }
}

/* A tiny err buffer still gets a NUL-terminated prefix; a NULL one is fine with 0. */
static void test_error_buffer(void **state)
{
    (void)state;
    struct img m;
    struct got g;
    char small[8];
    sample(&m, false);
    patch32(&m, m.ends[2] + 4, 13);
    memset(small, 'x', sizeof(small));
    assert_int_equal(scan(m.p, m.n, VIA_MEMORY, &g, small, sizeof(small)), -1);
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_int_equal(scan(m.p, m.n, VIA_MEMORY, &g, NULL, 0), -1);
    FILE *f = fmemopen(m.p, m.n, "rb");
    assert_non_null(f);
    assert_int_equal(pcapng_keys_scan(f, NULL, NULL, NULL, 0), -1); /* no callback: walk only */
    fclose(f);
    char err[64];
    assert_int_equal(pcapng_keys_scan(NULL, on_keys, &g, err, sizeof(err)), -1);
    assert_string_equal(err, "byte offset 0: no file");
}

/* The whole sample with every single byte flipped: never a crash, never more
 * than the two key logs. */
static void test_every_byte_flipped(void **state)
{
    (void)state;
    for (int big = 0; big <= 1; big++) {
        struct img m;
        sample(&m, big);
        for (size_t i = 0; i < m.n; i++) {
            uint8_t old = m.p[i];
            for (unsigned v = 0; v < 3; v++) {
                struct got g;
                char err[256];
                m.p[i] = v == 0 ? (uint8_t)(old ^ 0x80) : v == 1 ? 0xff : 0x00;
                int rc = scan(m.p, m.n, VIA_MEMORY, &g, err, sizeof(err));
                assert_true(rc == 0 || rc == -1);
                assert_true(g.calls <= 2);
            }
            m.p[i] = old;
        }
    }
}

/* The generator's own sample (tests run from the repository root): one DSB holding
 * the TLS 1.3 key log of the session; a classic pcap next to it holds none. */
static void test_shipped_sample(void **state)
{
    (void)state;
    struct got g = {0};
    char err[256];
    FILE *f = fopen("pcaps/tls13-dsb.pcapng", "rb");
    if (f == NULL)
        skip();
    assert_int_equal(pcapng_keys_scan(f, on_keys, &g, err, sizeof(err)), 0);
    fclose(f);
    assert_int_equal(g.calls, 1);
    assert_true(g.len[0] > 0 && g.len[0] < sizeof(g.text[0]));
    assert_int_equal(g.text[0][g.len[0] - 1], '\n');
    static const char *const labels[] = {
        "SERVER_HANDSHAKE_TRAFFIC_SECRET ", "CLIENT_HANDSHAKE_TRAFFIC_SECRET ",
        "SERVER_TRAFFIC_SECRET_0 ", "CLIENT_TRAFFIC_SECRET_0 ", "EXPORTER_SECRET "};
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
        assert_non_null(strstr(g.text[0], labels[i]));

    memset(&g, 0, sizeof(g));
    f = fopen("pcaps/tls13.pcap", "rb");
    if (f == NULL)
        skip();
    assert_int_equal(pcapng_keys_scan(f, on_keys, &g, err, sizeof(err)), 0);
    fclose(f);
    assert_int_equal(g.calls, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_both_byte_orders),
        cmocka_unit_test(test_two_sections),
        cmocka_unit_test(test_unknown_secrets_type_only),
        cmocka_unit_test(test_not_pcapng),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_long_block),
        cmocka_unit_test(test_bad_block_lengths),
        cmocka_unit_test(test_bad_dsb_lengths),
        cmocka_unit_test(test_error_buffer),
        cmocka_unit_test(test_every_byte_flipped),
        cmocka_unit_test(test_shipped_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
