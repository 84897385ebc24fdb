/* Unit tests for sensor/decode.c.
 *
 * Frames are built inside out by hand: a TCP segment first, then each
 * encapsulation is prepended (lengths computed from what it wraps), so the
 * payload offset of every frame is known exactly. Each valid frame is also
 * decoded at every truncated prefix, from an exactly sized heap copy:
 * the result is DEC_TCP exactly when the TCP header is complete, otherwise
 * DEC_TRUNCATED, and a reported payload always lies inside the bytes given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "certsensor.h"
#include "decode.h"

/* ---- frame builder ------------------------------------------------------- */

#define PKT_MAX 4096

struct pkt {
    uint8_t b[PKT_MAX];
    size_t n;
    size_t payload_len; /* TCP payload bytes at the end of the innermost segment */
    size_t after;       /* bytes appended after the segment (padding) */
};

static void pre(struct pkt *p, const uint8_t *h, size_t n)
{
    assert_true(p->n + n <= PKT_MAX);
    memmove(p->b + n, p->b, p->n);
    memcpy(p->b, h, n);
    p->n += n;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static const uint8_t V4A[4] = {192, 0, 2, 1}, V4B[4] = {198, 51, 100, 7};
static const uint8_t V6A[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t V6B[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
static const uint8_t OUTER_A[4] = {10, 0, 0, 1}, OUTER_B[4] = {10, 0, 0, 2};

#define SPORT 49152
#define DPORT 443
#define SEQ 0x11223344u
#define ACK 0xaabbccddu
#define FLAGS (TCPF_ACK | TCPF_PSH)

/* TCP header (doff words, options zero-filled) + payload */
static void tcp_seg(struct pkt *p, size_t plen, unsigned doff)
{
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < plen; i++)
        p->b[i] = (uint8_t)('A' + i % 26);
    p->n = plen;
    p->payload_len = plen;
    uint8_t h[60] = {0};
    put16(h, SPORT);
    put16(h + 2, DPORT);
    put32(h + 4, SEQ);
    put32(h + 8, ACK);
    h[12] = (uint8_t)(doff << 4);
    h[13] = FLAGS;
    put16(h + 14, 65535);
    size_t hl = doff >= 5 ? doff * 4 : 20;
    pre(p, h, hl);
}

/* RFC 791 header; total length from what it wraps */
static void ipv4_wrap_ex(struct pkt *p, uint8_t proto, const uint8_t *src, const uint8_t *dst,
                         uint16_t frag, unsigned ihl_words, int total_delta)
{
    uint8_t h[60] = {0};
    size_t hl = ihl_words >= 5 ? ihl_words * 4 : 20;
    h[0] = (uint8_t)(0x40 | ihl_words);
    put16(h + 2, (uint16_t)((int)(hl + p->n) + total_delta));
    put16(h + 4, 0x1234);
    put16(h + 6, frag);
    h[8] = 64;
    h[9] = proto;
    memcpy(h + 12, src, 4);
    memcpy(h + 16, dst, 4);
    pre(p, h, hl);
}

static void ipv4_wrap(struct pkt *p, uint8_t proto, const uint8_t *src, const uint8_t *dst)
{
    ipv4_wrap_ex(p, proto, src, dst, 0x4000 /* DF */, 5, 0);
}

/* RFC 8200 fixed header */
static void ipv6_wrap(struct pkt *p, uint8_t next, const uint8_t *src, const uint8_t *dst)
{
    uint8_t h[40] = {0};
    put32(h, 0x60012345u);
    put16(h + 4, (uint16_t)p->n);
    h[6] = next;
    h[7] = 64;
    memcpy(h + 8, src, 16);
    memcpy(h + 24, dst, 16);
    pre(p, h, sizeof h);
}

/* hop-by-hop / destination options / routing: (len8 + 1) * 8 bytes */
static void ipv6_ext(struct pkt *p, uint8_t next, uint8_t len8)
{
    uint8_t h[2048] = {0};
    size_t n = ((size_t)len8 + 1) * 8;
    h[0] = next;
    h[1] = len8;
    h[2] = 1; /* PadN */
    h[3] = (uint8_t)(n - 4);
    pre(p, h, n);
}

static void udp_wrap(struct pkt *p, uint16_t dport)
{
    uint8_t h[8] = {0};
    put16(h, 33333);
    put16(h + 2, dport);
    put16(h + 4, (uint16_t)(8 + p->n));
    pre(p, h, sizeof h);
}

static void eth_wrap(struct pkt *p, uint16_t type)
{
    uint8_t h[14] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb};
    put16(h + 12, type);
    pre(p, h, sizeof h);
}

/* an 802.1Q/802.1ad tag: TCI then the type of what follows; the caller
 * then prepends the Ethernet header (or another tag) with the TPID */
static void vlan_tag(struct pkt *p, uint16_t inner_type)
{
    uint8_t h[4];
    put16(h, 0x0064);
    put16(h + 2, inner_type);
    pre(p, h, sizeof h);
}

/* IPv4 TCP packet with `plen` payload bytes */
static void v4_tcp(struct pkt *p, size_t plen)
{
    tcp_seg(p, plen, 5);
    ipv4_wrap(p, 6, V4A, V4B);
}

static void v6_tcp(struct pkt *p, size_t plen)
{
    tcp_seg(p, plen, 5);
    ipv6_wrap(p, 6, V6A, V6B);
}

/* ---- checks --------------------------------------------------------------- */

static enum decode_result decode_copy(int lt, const uint8_t *b, size_t n, struct decoded *d,
                                      uint8_t **copy)
{
    uint8_t *q = malloc(n ? n : 1);
    assert_non_null(q);
    if (n > 0)
        memcpy(q, b, n);
    enum decode_result r = decode_packet(lt, q, n, d);
    *copy = q;
    return r;
}

/* the payload view lies inside [base, base + n) */
static void assert_payload_inside(const struct decoded *d, const uint8_t *base, size_t n)
{
    assert_true(d->payload >= base);
    assert_true(d->payload <= base + n);
    assert_true(d->payload_len <= (size_t)(base + n - d->payload));
    assert_true(d->payload_len <= d->seg_len);
}

#define ANY_DEPTH 99u /* bridged Ethernet in GRE/Geneve: the tunnel, maybe the frame too */

/* Full decode of p: every field, then every truncated prefix. */
static void check_frame(int lt, const struct pkt *p, unsigned family, unsigned depth)
{
    size_t poff = p->n - p->after - p->payload_len;
    struct decoded d;
    uint8_t *q;
    enum decode_result r = decode_copy(lt, p->b, p->n, &d, &q);
    if (r != DEC_TCP)
        fail_msg("full frame (%zu bytes, linktype %d): result %d", p->n, lt, (int)r);
    assert_int_equal(d.family, family);
    if (family == 4) {
        assert_memory_equal(d.src, V4A, 4);
        assert_memory_equal(d.dst, V4B, 4);
        for (int i = 4; i < 16; i++)
            assert_true(d.src[i] == 0 && d.dst[i] == 0);
    } else {
        assert_memory_equal(d.src, V6A, 16);
        assert_memory_equal(d.dst, V6B, 16);
    }
    assert_int_equal(d.sport, SPORT);
    assert_int_equal(d.dport, DPORT);
    assert_int_equal(d.seq, SEQ);
    assert_int_equal(d.ack, ACK);
    assert_int_equal(d.flags, FLAGS);
    assert_ptr_equal(d.payload, q + poff);
    assert_int_equal(d.payload_len, p->payload_len);
    assert_int_equal(d.seg_len, p->payload_len);
    if (depth != ANY_DEPTH)
        assert_int_equal(d.encap_depth, depth);
    else
        assert_true(d.encap_depth >= 1 && d.encap_depth <= DECODE_MAX_DEPTH);
    assert_memory_equal(d.payload, "ABCDEFGHIJ", p->payload_len < 10 ? p->payload_len : 10);
    free(q);

    for (size_t k = 0; k < p->n; k++) {
        r = decode_copy(lt, p->b, k, &d, &q);
        if (k >= poff && k <= poff + p->payload_len) {
            if (r != DEC_TCP)
                fail_msg("prefix %zu of %zu (linktype %d): result %d, expected DEC_TCP", k, p->n,
                         lt, (int)r);
            assert_ptr_equal(d.payload, q + poff);
            assert_int_equal(d.payload_len, k - poff);
            assert_int_equal(d.seg_len, p->payload_len);
        } else if (k < poff) {
            if (r != DEC_TRUNCATED)
                fail_msg("prefix %zu of %zu (linktype %d): result %d, expected DEC_TRUNCATED", k,
                         p->n, lt, (int)r);
        } else { /* inside the padding */
            assert_int_equal(r, DEC_TCP);
            assert_int_equal(d.payload_len, p->payload_len);
        }
        if (r == DEC_TCP)
            assert_payload_inside(&d, q, k);
        free(q);
    }
}

static enum decode_result dec(int lt, const struct pkt *p, struct decoded *d)
{
    uint8_t *q;
    enum decode_result r = decode_copy(lt, p->b, p->n, d, &q);
    if (r == DEC_TCP)
        assert_payload_inside(d, q, p->n);
    free(q);
    return r;
}

/* ---- link layers ---------------------------------------------------------- */

static void test_ethernet_ipv4(void **state)
{
    (void)state;
    struct pkt p;
    v4_tcp(&p, 100);
    eth_wrap(&p, 0x0800);
    check_frame(CS_LINK_ETHERNET, &p, 4, 0);
    /* IPv4 options (IHL 7) */
    tcp_seg(&p, 30, 5);
    ipv4_wrap_ex(&p, 6, V4A, V4B, 0, 7, 0);
    eth_wrap(&p, 0x0800);
    check_frame(CS_LINK_ETHERNET, &p, 4, 0);
    /* TCP options (data offset 8) */
    tcp_seg(&p, 30, 8);
    ipv4_wrap(&p, 6, V4A, V4B);
    eth_wrap(&p, 0x0800);
    check_frame(CS_LINK_ETHERNET, &p, 4, 0);
    /* no payload at all: a pure ACK */
    v4_tcp(&p, 0);
    eth_wrap(&p, 0x0800);
    check_frame(CS_LINK_ETHERNET, &p, 4, 0);
}

static void test_ethernet_ipv6(void **state)
{
    (void)state;
    struct pkt p;
    v6_tcp(&p, 77);
    eth_wrap(&p, 0x86dd);
    check_frame(CS_LINK_ETHERNET, &p, 6, 0);
}

static void test_vlan_qinq(void **state)
{
    (void)state;
    struct pkt p;
    v4_tcp(&p, 50);
    vlan_tag(&p, 0x0800);
    eth_wrap(&p, 0x8100);
    check_frame(CS_LINK_ETHERNET, &p, 4, 1);

    v6_tcp(&p, 50);
    vlan_tag(&p, 0x86dd);
    vlan_tag(&p, 0x8100);
    eth_wrap(&p, 0x88a8);
    check_frame(CS_LINK_ETHERNET, &p, 6, 2);

    v4_tcp(&p, 50);
    vlan_tag(&p, 0x0800);
    vlan_tag(&p, 0x8100);
    eth_wrap(&p, 0x9100);
    check_frame(CS_LINK_ETHERNET, &p, 4, 2);
}

static void test_pppoe(void **state)
{
    (void)state;
    struct pkt p;
    v4_tcp(&p, 40);
    uint8_t h[8] = {0x11, 0x00, 0x12, 0x34, 0, 0, 0x00, 0x21};
    put16(h + 4, (uint16_t)(p.n + 2));
    pre(&p, h, sizeof h);
    eth_wrap(&p, 0x8864);
    check_frame(CS_LINK_ETHERNET, &p, 4, 0);

    v6_tcp(&p, 40);
    h[7] = 0x57; /* PPP IPv6 */
    pre(&p, h, sizeof h);
    eth_wrap(&p, 0x8864);
    check_frame(CS_LINK_ETHERNET, &p, 6, 0);

    /* LCP inside PPPoE: not TCP */
    v4_tcp(&p, 10);
    h[6] = 0xc0;
    h[7] = 0x21;
    pre(&p, h, sizeof h);
    eth_wrap(&p, 0x8864);
    struct decoded d;
    assert_int_equal(dec(CS_LINK_ETHERNET, &p, &d), DEC_NOT_TCP);
}

static void test_mpls(void **state)
{
    (void)state;
    struct pkt p;
    v4_tcp(&p, 60);
    uint8_t l2[4] = {0x00, 0x01, 0x41, 0x40}; /* label 20, bottom of stack */
    uint8_t l1[4] = {0x00, 0x00, 0xa0, 0x40}; /* label 10 */
    pre(&p, l2, 4);
    pre(&p, l1, 4);
    eth_wrap(&p, 0x8847);
    check_frame(CS_LINK_ETHERNET, &p, 4, 0);
    /* a label stack that never ends */
    v4_tcp(&p, 10);
    for (int i = 0; i < DECODE_MAX_DEPTH + 1; i++)
        pre(&p, l1, 4);
    eth_wrap(&p, 0x8847);
    struct decoded d;
    assert_int_equal(dec(CS_LINK_ETHERNET, &p, &d), DEC_MALFORMED);
}

static void test_sll_sll2(void **state)
{
    (void)state;
    struct pkt p;
    v4_tcp(&p, 33);
    uint8_t sll[16] = {0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00};
    pre(&p, sll, sizeof sll);
    check_frame(CS_LINK_LINUX_SLL, &p, 4, 0);

    v6_tcp(&p, 33);
    uint8_t sll2[20] = {0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0x00, 0x01, 0x00, 6, 1, 2, 3, 4, 5, 6, 0, 0};
    pre(&p, sll2, sizeof sll2);
    check_frame(CS_LINK_LINUX_SLL2, &p, 6, 0);

    /* SLL carrying a VLAN tag */
    v4_tcp(&p, 33);
    vlan_tag(&p, 0x0800);
    sll[14] = 0x81;
    sll[15] = 0x00;
    pre(&p, sll, sizeof sll);
    check_frame(CS_LINK_LINUX_SLL, &p, 4, 1);
}

static void test_null_loopback(void **state)
{
    (void)state;
    struct pkt p;
    static const uint8_t le4[4] = {2, 0, 0, 0}, be4[4] = {0, 0, 0, 2};
    static const uint8_t le6[4] = {30, 0, 0, 0}, be6[4] = {0, 0, 0, 24}, lin6[4] = {10, 0, 0, 0};
    v4_tcp(&p, 20);
    pre(&p, le4, 4);
    check_frame(CS_LINK_NULL, &p, 4, 0);
    v4_tcp(&p, 20);
    pre(&p, be4, 4);
    check_frame(CS_LINK_NULL, &p, 4, 0);
    check_frame(CS_LINK_LOOP, &p, 4, 0);
    v6_tcp(&p, 20);
    pre(&p, le6, 4);
    check_frame(CS_LINK_NULL, &p, 6, 0);
    v6_tcp(&p, 20);
    pre(&p, be6, 4);
    check_frame(CS_LINK_LOOP, &p, 6, 0);
    v6_tcp(&p, 20);
    pre(&p, lin6, 4);
    check_frame(CS_LINK_NULL, &p, 6, 0);
    /* an unknown family */
    static const uint8_t other[4] = {7, 0, 0, 0};
    v4_tcp(&p, 20);
    pre(&p, other, 4);
    struct decoded d;
    assert_int_equal(dec(CS_LINK_NULL, &p, &d), DEC_NOT_TCP);
}

static void test_raw(void **state)
{
    (void)state;
    struct pkt p;
    static const int v4types[] = {CS_LINK_RAW, 12, 14, CS_LINK_IPV4};
    static const int v6types[] = {CS_LINK_RAW, 12, 14, CS_LINK_IPV6};
    v4_tcp(&p, 25);
    for (size_t i = 0; i < 4; i++)
        check_frame(v4types[i], &p, 4, 0);
    v6_tcp(&p, 25);
    for (size_t i = 0; i < 4; i++)
        check_frame(v6types[i], &p, 6, 0);
    /* version nibble neither 4 nor 6 */
    v4_tcp(&p, 25);
    p.b[0] = 0x55;
    struct decoded d;
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_MALFORMED);
}

static void test_linktypes(void **state)
{
    (void)state;
    static const int ok[] = {CS_LINK_NULL, CS_LINK_ETHERNET,  CS_LINK_RAW,       12,
                             14,           CS_LINK_LOOP,      CS_LINK_LINUX_SLL, CS_LINK_IPV4,
                             CS_LINK_IPV6, CS_LINK_LINUX_SLL2};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_true(decode_linktype_supported(ok[i]));
    assert_false(decode_linktype_supported(105)); /* 802.11 */
    assert_false(decode_linktype_supported(-1));
    struct pkt p;
    v4_tcp(&p, 10);
    struct decoded d;
    assert_int_equal(dec(105, &p, &d), DEC_BAD_LINKTYPE);
    assert_int_equal(decode_packet(CS_LINK_ETHERNET, NULL, 0, &d), DEC_TRUNCATED);
}

/* ---- IPv6 extension headers and fragments --------------------------------- */

static void test_ipv6_ext_headers(void **state)
{
    (void)state;
    struct pkt p;
    tcp_seg(&p, 44, 5);
    ipv6_ext(&p, 6, 1);  /* destination options, 16 bytes, then TCP */
    ipv6_ext(&p, 60, 0); /* hop-by-hop, 8 bytes, then destination options */
    ipv6_wrap(&p, 0, V6A, V6B);
    eth_wrap(&p, 0x86dd);
    check_frame(CS_LINK_ETHERNET, &p, 6, 0);

    /* routing header (type 43) too */
    tcp_seg(&p, 44, 5);
    ipv6_ext(&p, 6, 2);
    ipv6_wrap(&p, 43, V6A, V6B);
    check_frame(CS_LINK_RAW, &p, 6, 0);

    /* no next header */
    tcp_seg(&p, 44, 5);
    ipv6_ext(&p, 59, 0);
    ipv6_wrap(&p, 0, V6A, V6B);
    struct decoded d;
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_NOT_TCP);

    /* more extension headers than DECODE_MAX_DEPTH */
    tcp_seg(&p, 4, 5);
    ipv6_ext(&p, 6, 0);
    for (int i = 0; i < DECODE_MAX_DEPTH; i++)
        ipv6_ext(&p, 60, 0);
    ipv6_wrap(&p, 60, V6A, V6B);
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_MALFORMED);
}

static void ipv6_frag_hdr(struct pkt *p, uint8_t next, uint16_t off_flags)
{
    uint8_t h[8] = {next, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef};
    put16(h + 2, off_flags);
    pre(p, h, sizeof h);
}

static void test_ipv6_fragment(void **state)
{
    (void)state;
    struct pkt p;
    struct decoded d;
    tcp_seg(&p, 40, 5);
    ipv6_frag_hdr(&p, 6, 185 << 3); /* offset 1480, not first */
    ipv6_wrap(&p, 44, V6A, V6B);
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_FRAGMENT);
    tcp_seg(&p, 40, 5);
    ipv6_frag_hdr(&p, 6, 1); /* first fragment, more follow */
    ipv6_wrap(&p, 44, V6A, V6B);
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_FRAGMENT);
    /* atomic fragment (offset 0, M 0, RFC 6946): the whole packet */
    tcp_seg(&p, 40, 5);
    ipv6_frag_hdr(&p, 6, 0);
    ipv6_wrap(&p, 44, V6A, V6B);
    check_frame(CS_LINK_RAW, &p, 6, 0);
}

static void test_ipv4_fragment(void **state)
{
    (void)state;
    struct pkt p;
    struct decoded d;
    tcp_seg(&p, 40, 5);
    ipv4_wrap_ex(&p, 6, V4A, V4B, 0x2000, 5, 0); /* MF, offset 0 */
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_FRAGMENT);
    tcp_seg(&p, 40, 5);
    ipv4_wrap_ex(&p, 6, V4A, V4B, 185, 5, 0); /* offset 1480, last */
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_FRAGMENT);
    tcp_seg(&p, 40, 5);
    ipv4_wrap_ex(&p, 6, V4A, V4B, 0x0000, 5, 0); /* neither DF nor MF: whole */
    check_frame(CS_LINK_RAW, &p, 4, 0);
}

/* ---- tunnels ------------------------------------------------------------------ */

static void test_6in4_ipip(void **state)
{
    (void)state;
    struct pkt p;
    v6_tcp(&p, 70);
    ipv4_wrap(&p, 41, OUTER_A, OUTER_B);
    eth_wrap(&p, 0x0800);
    check_frame(CS_LINK_ETHERNET, &p, 6, 1);
    v4_tcp(&p, 70);
    ipv4_wrap(&p, 4, OUTER_A, OUTER_B);
    check_frame(CS_LINK_RAW, &p, 4, 1);
    v4_tcp(&p, 70); /* IPv4 in IPv6 */
    ipv6_wrap(&p, 4, V6B, V6A);
    check_frame(CS_LINK_RAW, &p, 4, 1);
}

static void test_gre(void **state)
{
    (void)state;
    struct pkt p;
    v4_tcp(&p, 80);
    uint8_t g[8] = {0x20, 0x00, 0x08, 0x00, 0, 0, 0, 42}; /* key present */
    pre(&p, g, sizeof g);
    ipv4_wrap(&p, 47, OUTER_A, OUTER_B);
    eth_wrap(&p, 0x0800);
    check_frame(CS_LINK_ETHERNET, &p, 4, 1);

    /* checksum + key + sequence, IPv6 inside */
    v6_tcp(&p, 80);
    uint8_t g3[16] = {0xb0, 0x00, 0x86, 0xdd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9};
    pre(&p, g3, sizeof g3);
    ipv4_wrap(&p, 47, OUTER_A, OUTER_B);
    check_frame(CS_LINK_RAW, &p, 6, 1);

    /* transparent Ethernet bridging: an Ethernet frame inside */
    v4_tcp(&p, 80);
    eth_wrap(&p, 0x0800);
    uint8_t gt[4] = {0x00, 0x00, 0x65, 0x58};
    pre(&p, gt, sizeof gt);
    ipv4_wrap(&p, 47, OUTER_A, OUTER_B);
    check_frame(CS_LINK_RAW, &p, 4, ANY_DEPTH);

    /* GRE version 1 (PPTP): not followed */
    v4_tcp(&p, 10);
    uint8_t g1[4] = {0x00, 0x01, 0x08, 0x00};
    pre(&p, g1, sizeof g1);
    ipv4_wrap(&p, 47, OUTER_A, OUTER_B);
    struct decoded d;
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_NOT_TCP);
}

static void test_geneve(void **state)
{
    (void)state;
    struct pkt p;
    /* IPv4 directly, with 8 bytes of options */
    v4_tcp(&p, 90);
    uint8_t opt[8] = {0x01, 0x02, 0x03, 0x01, 0xaa, 0xbb, 0xcc, 0xdd};
    pre(&p, opt, sizeof opt);
    uint8_t gh[8] = {0x02, 0x00, 0x08, 0x00, 0x12, 0x34, 0x56, 0x00};
    pre(&p, gh, sizeof gh);
    udp_wrap(&p, 6081);
    ipv4_wrap(&p, 17, OUTER_A, OUTER_B);
    eth_wrap(&p, 0x0800);
    check_frame(CS_LINK_ETHERNET, &p, 4, 1);

    /* an Ethernet frame inside, no options */
    v6_tcp(&p, 90);
    eth_wrap(&p, 0x86dd);
    uint8_t ge[8] = {0x00, 0x00, 0x65, 0x58, 0, 0, 1, 0};
    pre(&p, ge, sizeof ge);
    udp_wrap(&p, 6081);
    ipv4_wrap(&p, 17, OUTER_A, OUTER_B);
    check_frame(CS_LINK_RAW, &p, 6, ANY_DEPTH);

    /* unknown Geneve version */
    v4_tcp(&p, 10);
    uint8_t gv[8] = {0x40, 0x00, 0x08, 0x00, 0, 0, 1, 0};
    pre(&p, gv, sizeof gv);
    udp_wrap(&p, 6081);
    ipv4_wrap(&p, 17, OUTER_A, OUTER_B);
    struct decoded d;
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_NOT_TCP);
}

static void vxlan_wrap(struct pkt *p)
{
    uint8_t vx[8] = {0x08, 0, 0, 0, 0x00, 0x10, 0x01, 0};
    pre(p, vx, sizeof vx);
    udp_wrap(p, 4789);
    ipv4_wrap(p, 17, OUTER_A, OUTER_B);
}

static void test_vxlan(void **state)
{
    (void)state;
    struct pkt p;
    v4_tcp(&p, 64);
    vlan_tag(&p, 0x0800);
    eth_wrap(&p, 0x8100);
    vxlan_wrap(&p);
    eth_wrap(&p, 0x0800);
    check_frame(CS_LINK_ETHERNET, &p, 4, 2);
    /* I flag clear: VNI not valid, not followed */
    v4_tcp(&p, 10);
    eth_wrap(&p, 0x0800);
    vxlan_wrap(&p);
    p.b[28] = 0x00;
    struct decoded d;
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_NOT_TCP);
    /* other UDP: not TCP */
    v4_tcp(&p, 10);
    udp_wrap(&p, 53);
    ipv4_wrap(&p, 17, OUTER_A, OUTER_B);
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_NOT_TCP);
}

/* 3GPP TS 29.281 5.1 header: flags, type 0xff, length, TEID [, optional] */
static void gtpu_hdr(struct pkt *p, uint8_t flags, const uint8_t *opt, size_t optn)
{
    if (optn > 0)
        pre(p, opt, optn);
    uint8_t h[8] = {flags, 0xff, 0, 0, 0x01, 0x02, 0x03, 0x04};
    put16(h + 2, (uint16_t)p->n);
    pre(p, h, sizeof h);
    udp_wrap(p, 2152);
    ipv4_wrap(p, 17, OUTER_A, OUTER_B);
    eth_wrap(p, 0x0800);
}

static void test_gtpu(void **state)
{
    (void)state;
    struct pkt p;
    struct decoded d;
    v4_tcp(&p, 120);
    gtpu_hdr(&p, 0x30, NULL, 0);
    check_frame(CS_LINK_ETHERNET, &p, 4, 1);

    /* S flag: sequence number, N-PDU number, next-type (0) */
    v6_tcp(&p, 120);
    static const uint8_t seqopt[4] = {0x00, 0x07, 0x00, 0x00};
    gtpu_hdr(&p, 0x32, seqopt, 4);
    check_frame(CS_LINK_ETHERNET, &p, 6, 1);

    /* S without E: the next-type byte is not interpreted (TS 29.281 5.1) */
    v4_tcp(&p, 120);
    static const uint8_t junk[4] = {0x00, 0x07, 0x00, 0x85};
    gtpu_hdr(&p, 0x32, junk, 4);
    check_frame(CS_LINK_ETHERNET, &p, 4, 1);

    /* E flag: two extension headers (8 and 4 bytes), then the user packet */
    v4_tcp(&p, 120);
    static const uint8_t ext[4 + 8 + 4] = {0x00, 0x00, 0x00, 0x40, /* ... next: 0x40 */
                                           2,    1,    2,    3,
                                           4,    5,    6,    0x85,  /* 8 bytes, next 0x85 */
                                           1,    0x10, 0x05, 0x00}; /* 4 bytes, next 0 */
    gtpu_hdr(&p, 0x34, ext, sizeof ext);
    check_frame(CS_LINK_ETHERNET, &p, 4, 1);

    /* an extension header of length 0 */
    v4_tcp(&p, 10);
    static const uint8_t ext0[8] = {0, 0, 0, 0x85, 0, 0, 0, 0};
    gtpu_hdr(&p, 0x34, ext0, sizeof ext0);
    assert_int_equal(dec(CS_LINK_ETHERNET, &p, &d), DEC_MALFORMED);

    /* an extension chain that never ends */
    v4_tcp(&p, 10);
    uint8_t chain[4 + 4 * (DECODE_MAX_DEPTH + 1)];
    memset(chain, 0, sizeof chain);
    chain[3] = 0x85;
    for (int i = 0; i <= DECODE_MAX_DEPTH; i++) {
        chain[4 + 4 * i] = 1;
        chain[4 + 4 * i + 3] = 0x85;
    }
    gtpu_hdr(&p, 0x34, chain, sizeof chain);
    assert_int_equal(dec(CS_LINK_ETHERNET, &p, &d), DEC_MALFORMED);

    /* echo request (type 1) and GTP' (PT 0): not user data */
    v4_tcp(&p, 10);
    gtpu_hdr(&p, 0x30, NULL, 0);
    p.b[14 + 20 + 8 + 1] = 0x01;
    assert_int_equal(dec(CS_LINK_ETHERNET, &p, &d), DEC_NOT_TCP);
    v4_tcp(&p, 10);
    gtpu_hdr(&p, 0x20, NULL, 0);
    assert_int_equal(dec(CS_LINK_ETHERNET, &p, &d), DEC_NOT_TCP);
}

/* ---- hostile lengths ------------------------------------------------------------ */

static void test_ipv4_hostile(void **state)
{
    (void)state;
    struct pkt p;
    struct decoded d;
    for (unsigned ihl = 0; ihl < 5; ihl++) {
        tcp_seg(&p, 20, 5);
        ipv4_wrap_ex(&p, 6, V4A, V4B, 0, 5, 0);
        p.b[0] = (uint8_t)(0x40 | ihl);
        assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_MALFORMED);
    }
    /* total length shorter than the header */
    tcp_seg(&p, 20, 5);
    ipv4_wrap_ex(&p, 6, V4A, V4B, 0, 5, 0);
    put16(p.b + 2, 19);
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_MALFORMED);
    put16(p.b + 2, 1);
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_MALFORMED);
    /* total length = header only: a TCP header cannot fit (reported as
     * truncated today, see the report; never as TCP) */
    put16(p.b + 2, 20);
    enum decode_result r = dec(CS_LINK_RAW, &p, &d);
    assert_true(r == DEC_MALFORMED || r == DEC_TRUNCATED);
    /* total length 0 (TSO capture): the captured bytes are the segment */
    put16(p.b + 2, 0);
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_TCP);
    assert_int_equal(d.payload_len, 20);
    assert_int_equal(d.seg_len, 20);
    /* IHL beyond the captured bytes */
    tcp_seg(&p, 0, 5);
    ipv4_wrap_ex(&p, 6, V4A, V4B, 0, 15, 0);
    p.n = 40; /* 60-byte header announced, 40 bytes captured */
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_TRUNCATED);
    /* total length larger than captured: payload is what is there, seg_len declared */
    v4_tcp(&p, 100);
    p.n -= 30;
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_TCP);
    assert_int_equal(d.payload_len, 70);
    assert_int_equal(d.seg_len, 100);
}

static void test_tcp_hostile(void **state)
{
    (void)state;
    struct pkt p;
    struct decoded d;
    for (unsigned off = 0; off < 5; off++) {
        v4_tcp(&p, 40);
        p.b[20 + 12] = (uint8_t)(off << 4);
        assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_MALFORMED);
    }
    /* data offset beyond what the IP header declares */
    v4_tcp(&p, 16);
    p.b[20 + 12] = 10 << 4; /* 40 > 36 */
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_MALFORMED);
    /* exactly the declared length: no payload */
    p.b[20 + 12] = 9 << 4;
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_TCP);
    assert_int_equal(d.payload_len, 0);
    assert_int_equal(d.seg_len, 0);
    /* within the declared length but beyond the capture */
    v4_tcp(&p, 40);
    p.b[20 + 12] = 15 << 4;
    p.n = 20 + 50;
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_TRUNCATED);
    /* the same in IPv6 */
    v6_tcp(&p, 16);
    p.b[40 + 12] = 10 << 4;
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_MALFORMED);
    p.b[40 + 12] = 4 << 4;
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_MALFORMED);
}

static void test_ipv6_hostile(void **state)
{
    (void)state;
    struct pkt p;
    struct decoded d;
    /* an extension header longer than the payload length */
    tcp_seg(&p, 20, 5);
    ipv6_ext(&p, 6, 0);
    ipv6_wrap(&p, 0, V6A, V6B);
    p.b[41] = 10; /* 88 bytes announced in a 48-byte payload */
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_MALFORMED);
    /* longer than the capture but within the payload length */
    tcp_seg(&p, 200, 5);
    ipv6_ext(&p, 6, 0);
    ipv6_wrap(&p, 0, V6A, V6B);
    p.b[41] = 20; /* 168 bytes of 228 */
    p.n = 40 + 100;
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_TRUNCATED);
    /* AH longer than the payload */
    tcp_seg(&p, 20, 5);
    uint8_t ah[12] = {6, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1};
    pre(&p, ah, sizeof ah);
    ipv6_wrap(&p, 51, V6A, V6B);
    check_frame(CS_LINK_RAW, &p, 6, 0); /* AH (len 1 -> 12 bytes) is skipped */
    p.b[41] = 100;
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_MALFORMED);
    /* a fragment header in a payload too short for it */
    tcp_seg(&p, 0, 5);
    p.n = 0;
    ipv6_frag_hdr(&p, 6, 0);
    ipv6_wrap(&p, 44, V6A, V6B);
    put16(p.b + 4, 4);
    enum decode_result r = dec(CS_LINK_RAW, &p, &d);
    assert_true(r == DEC_MALFORMED || r == DEC_TRUNCATED);
    /* payload length 0 (jumbogram or TSO capture): the captured bytes count */
    v6_tcp(&p, 30);
    put16(p.b + 4, 0);
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_TCP);
    assert_int_equal(d.payload_len, 30);
    assert_int_equal(d.seg_len, 30);
    /* version field wrong inside a tunnel */
    v6_tcp(&p, 20);
    ipv4_wrap(&p, 41, OUTER_A, OUTER_B);
    p.b[20] = 0x70;
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_MALFORMED);
}

static void test_ethernet_padding(void **state)
{
    (void)state;
    struct pkt p;
    /* 14 + 20 + 20 + 2 = 56 bytes, padded to the 60-byte minimum (+ junk) */
    v4_tcp(&p, 2);
    eth_wrap(&p, 0x0800);
    memset(p.b + p.n, 0xee, 10);
    p.n += 10;
    p.after = 10;
    check_frame(CS_LINK_ETHERNET, &p, 4, 0);
    /* IPv6 likewise */
    v6_tcp(&p, 3);
    eth_wrap(&p, 0x86dd);
    memset(p.b + p.n, 0xee, 7);
    p.n += 7;
    p.after = 7;
    check_frame(CS_LINK_ETHERNET, &p, 6, 0);
    /* padding after a tunnelled packet: the inner length bounds it too */
    v4_tcp(&p, 5);
    ipv4_wrap(&p, 4, OUTER_A, OUTER_B);
    memset(p.b + p.n, 0xee, 9);
    p.n += 9;
    p.after = 9;
    check_frame(CS_LINK_RAW, &p, 4, 1);
}

static void test_not_tcp(void **state)
{
    (void)state;
    struct pkt p;
    struct decoded d;
    v4_tcp(&p, 10);
    p.b[9] = 1; /* ICMP */
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_NOT_TCP);
    v4_tcp(&p, 10);
    eth_wrap(&p, 0x0806); /* ARP */
    assert_int_equal(dec(CS_LINK_ETHERNET, &p, &d), DEC_NOT_TCP);
    v4_tcp(&p, 10);
    eth_wrap(&p, 0x0050); /* 802.3 length field */
    assert_int_equal(dec(CS_LINK_ETHERNET, &p, &d), DEC_NOT_TCP);
}

/* ---- nesting depth ---------------------------------------------------------------- */

static void test_nesting_depth(void **state)
{
    (void)state;
    struct pkt p;
    struct decoded d;
    /* IP in IP: DECODE_MAX_DEPTH tunnels decode, one more does not */
    v4_tcp(&p, 10);
    for (int i = 0; i < DECODE_MAX_DEPTH; i++)
        ipv4_wrap(&p, 4, V4A, V4B);
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_TCP);
    assert_int_equal(d.encap_depth, DECODE_MAX_DEPTH);
    ipv4_wrap(&p, 4, V4A, V4B);
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_MALFORMED);

    /* VLAN tags count */
    v4_tcp(&p, 10);
    vlan_tag(&p, 0x0800);
    for (int i = 1; i < DECODE_MAX_DEPTH; i++)
        vlan_tag(&p, 0x8100);
    eth_wrap(&p, 0x8100);
    assert_int_equal(dec(CS_LINK_ETHERNET, &p, &d), DEC_TCP);
    assert_int_equal(d.encap_depth, DECODE_MAX_DEPTH);
    memmove(p.b + 18, p.b + 14, p.n - 14);
    put16(p.b + 14, 0x0064);
    put16(p.b + 16, 0x8100);
    p.n += 4;
    assert_int_equal(dec(CS_LINK_ETHERNET, &p, &d), DEC_MALFORMED);

    /* GRE in GRE */
    v4_tcp(&p, 10);
    uint8_t g[4] = {0, 0, 0x08, 0x00};
    for (int i = 0; i <= DECODE_MAX_DEPTH; i++) {
        pre(&p, g, 4);
        ipv4_wrap(&p, 47, OUTER_A, OUTER_B);
    }
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_MALFORMED);

    /* VXLAN in VXLAN */
    v4_tcp(&p, 10);
    for (int i = 0; i <= DECODE_MAX_DEPTH; i++) {
        eth_wrap(&p, 0x0800);
        vxlan_wrap(&p);
    }
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_MALFORMED);

    /* GTP-U in GTP-U */
    v4_tcp(&p, 10);
    for (int i = 0; i <= DECODE_MAX_DEPTH; i++) {
        uint8_t h[8] = {0x30, 0xff, 0, 0, 0, 0, 0, 1};
        put16(h + 2, (uint16_t)p.n);
        pre(&p, h, sizeof h);
        udp_wrap(&p, 2152);
        ipv4_wrap(&p, 17, OUTER_A, OUTER_B);
    }
    assert_int_equal(dec(CS_LINK_RAW, &p, &d), DEC_MALFORMED);

    /* a mix, within the limit: the innermost header wins */
    v6_tcp(&p, 10);
    ipv4_wrap(&p, 41, OUTER_A, OUTER_B);
    pre(&p, g, 4);
    ipv4_wrap(&p, 47, OUTER_B, OUTER_A);
    eth_wrap(&p, 0x0800);
    vxlan_wrap(&p);
    eth_wrap(&p, 0x0800);
    check_frame(CS_LINK_ETHERNET, &p, 6, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ethernet_ipv4),
        cmocka_unit_test(test_ethernet_ipv6),
        cmocka_unit_test(test_vlan_qinq),
        cmocka_unit_test(test_pppoe),
        cmocka_unit_test(test_mpls),
        cmocka_unit_test(test_sll_sll2),
        cmocka_unit_test(test_null_loopback),
        cmocka_unit_test(test_raw),
        cmocka_unit_test(test_linktypes),
        cmocka_unit_test(test_ipv6_ext_headers),
        cmocka_unit_test(test_ipv6_fragment),
        cmocka_unit_test(test_ipv4_fragment),
        cmocka_unit_test(test_6in4_ipip),
        cmocka_unit_test(test_gre),
        cmocka_unit_test(test_geneve),
        cmocka_unit_test(test_vxlan),
        cmocka_unit_test(test_gtpu),
        cmocka_unit_test(test_ipv4_hostile),
        cmocka_unit_test(test_tcp_hostile),
        cmocka_unit_test(test_ipv6_hostile),
        cmocka_unit_test(test_ethernet_padding),
        cmocka_unit_test(test_not_tcp),
        cmocka_unit_test(test_nesting_depth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
