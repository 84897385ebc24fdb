#include "decode.h"

#include <string.h>

#include "certsensor.h"
#include "cursor.h"

enum {
    ETH_IPV4 = 0x0800,
    ETH_IPV6 = 0x86dd,
    ETH_VLAN = 0x8100,
    ETH_QINQ = 0x88a8,
    ETH_QINQ_OLD = 0x9100,
    ETH_PPPOE_SESS = 0x8864,
    ETH_MPLS = 0x8847,
    ETH_MPLS_MC = 0x8848,
    ETH_TEB = 0x6558, /* transparent Ethernet bridging (GRE, Geneve) */
};

enum {
    IPP_HOPOPT = 0,
    IPP_IPIP = 4,
    IPP_TCP = 6,
    IPP_UDP = 17,
    IPP_IPV6 = 41,
    IPP_ROUTING = 43,
    IPP_FRAGMENT = 44,
    IPP_GRE = 47,
    IPP_AH = 51,
    IPP_NONE = 59,
    IPP_DSTOPTS = 60,
};

enum { UDP_GENEVE = 6081, UDP_VXLAN = 4789, UDP_GTPU = 2152 };

static enum decode_result dec_ether(struct cur c, struct decoded *d);
static enum decode_result dec_ip(struct cur c, struct decoded *d);
static enum decode_result dec_by_ethertype(uint16_t type, struct cur c, struct decoded *d);

static bool deeper(struct decoded *d)
{
    return ++d->encap_depth <= DECODE_MAX_DEPTH;
}

/* RFC 793 3.1 */
static enum decode_result dec_tcp(struct cur c, size_t declared, struct decoded *d)
{
    const uint8_t *start = c.p;
    size_t have = cur_left(&c);
    d->sport = cur_u16(&c);
    d->dport = cur_u16(&c);
    d->seq = cur_u32(&c);
    d->ack = cur_u32(&c);
    uint8_t off = cur_u8(&c);
    d->flags = cur_u8(&c);
    if (c.err)
        return DEC_TRUNCATED;
    size_t hlen = (size_t)(off >> 4) * 4;
    if (hlen < 20 || hlen > declared) /* [TCP-HLEN] */
        return DEC_MALFORMED;
    if (hlen > have)
        return DEC_TRUNCATED;
    d->payload = start + hlen;
    d->payload_len = have - hlen;
    d->seg_len = declared - hlen;
    if (d->payload_len > d->seg_len) /* Ethernet padding beyond the IP length */
        d->payload_len = d->seg_len;
    return DEC_TCP;
}

/* 3GPP TS 29.281 5: GTPv1-U, G-PDU messages carry a user IP packet */
static enum decode_result dec_gtpu(struct cur c, struct decoded *d)
{
    uint8_t flags = cur_u8(&c);
    uint8_t type = cur_u8(&c);
    cur_skip(&c, 6); /* length, TEID */
    if (c.err)
        return DEC_TRUNCATED;
    if ((flags >> 5) != 1 || !(flags & 0x10) || type != 0xff)
        return DEC_NOT_TCP;
    if (flags & 0x07) {
        cur_skip(&c, 3); /* sequence number, N-PDU number */
        uint8_t next = cur_u8(&c);
        if (!(flags & 0x04)) /* 5.1: without E the next-type byte is not interpreted */
            next = 0;
        for (unsigned i = 0; next != 0 && i < DECODE_MAX_DEPTH; i++) {
            size_t len = (size_t)cur_u8(&c) * 4; /* includes this byte and next-type */
            if (len < 4 || !cur_skip(&c, len - 2))
                return c.err ? DEC_TRUNCATED : DEC_MALFORMED;
            next = cur_u8(&c);
        }
        if (c.err)
            return DEC_TRUNCATED;
        if (next != 0)
            return DEC_MALFORMED;
    }
    if (!deeper(d))
        return DEC_MALFORMED;
    return dec_ip(c, d);
}

/* UDP only matters as a tunnel carrier (RFC 8926 Geneve, RFC 7348 VXLAN). */
static enum decode_result dec_udp(struct cur c, struct decoded *d)
{
    cur_u16(&c); /* source port */
    uint16_t dport = cur_u16(&c);
    cur_skip(&c, 4); /* length, checksum */
    if (c.err)
        return DEC_TRUNCATED;
    if (dport == UDP_GENEVE) {
        uint8_t vo = cur_u8(&c);
        cur_u8(&c); /* flags */
        uint16_t proto = cur_u16(&c);
        cur_skip(&c, 4); /* VNI, reserved */
        if ((vo >> 6) != 0)
            return DEC_NOT_TCP;
        cur_skip(&c, (size_t)(vo & 0x3f) * 4);
        if (c.err)
            return DEC_TRUNCATED;
        if (!deeper(d))
            return DEC_MALFORMED;
        return dec_by_ethertype(proto, c, d);
    }
    if (dport == UDP_GTPU)
        return dec_gtpu(c, d);
    if (dport == UDP_VXLAN) {
        uint8_t flags = cur_u8(&c);
        cur_skip(&c, 7);
        if (c.err)
            return DEC_TRUNCATED;
        if (!(flags & 0x08))
            return DEC_NOT_TCP;
        if (!deeper(d)) /* too deep, as for every other tunnel */
            return DEC_MALFORMED;
        return dec_ether(c, d);
    }
    return DEC_NOT_TCP;
}

/* RFC 2784 / RFC 2890 GRE, version 0 only */
static enum decode_result dec_gre(struct cur c, struct decoded *d)
{
    uint16_t fl = cur_u16(&c);
    uint16_t proto = cur_u16(&c);
    if (c.err)
        return DEC_TRUNCATED;
    if ((fl & 0x0007) != 0 || (fl & 0x4000)) /* version != 0, or source routing */
        return DEC_NOT_TCP;
    if (fl & 0x8000)
        cur_skip(&c, 4); /* checksum + reserved */
    if (fl & 0x2000)
        cur_skip(&c, 4); /* key */
    if (fl & 0x1000)
        cur_skip(&c, 4); /* sequence */
    if (c.err)
        return DEC_TRUNCATED;
    if (!deeper(d))
        return DEC_MALFORMED;
    return dec_by_ethertype(proto, c, d);
}

static enum decode_result dec_l4(uint8_t proto, struct cur c, size_t declared, struct decoded *d)
{
    switch (proto) {
    case IPP_TCP:
        return dec_tcp(c, declared, d);
    case IPP_UDP:
        return dec_udp(c, d);
    case IPP_IPIP:
    case IPP_IPV6:
        if (!deeper(d))
            return DEC_MALFORMED;
        return dec_ip(c, d);
    case IPP_GRE:
        return dec_gre(c, d);
    default:
        return DEC_NOT_TCP;
    }
}

/* RFC 791 3.1 */
static enum decode_result dec_ipv4(struct cur c, struct decoded *d)
{
    size_t have = cur_left(&c);
    d->l3 = c.p;
    d->l3_len = have;
    struct cur h = c;
    uint8_t vihl = cur_u8(&h);
    cur_u8(&h); /* TOS */
    size_t total = cur_u16(&h);
    cur_u16(&h); /* id */
    uint16_t frag = cur_u16(&h);
    cur_u8(&h); /* TTL */
    uint8_t proto = cur_u8(&h);
    cur_u16(&h); /* checksum */
    struct bytes src = cur_bytes(&h, 4);
    struct bytes dst = cur_bytes(&h, 4);
    if (h.err)
        return DEC_TRUNCATED;
    size_t ihl = (size_t)(vihl & 0x0f) * 4;
    /* total 0 is the TSO case below, not a length shorter than the header */
    if ((vihl >> 4) != 4 || ihl < 20 || (total != 0 && total < ihl)) /* [IPV4-LEN] */
        return DEC_MALFORMED;
    if (ihl > have)
        return DEC_TRUNCATED;
    /* TSO captures carry total length 0; trust the capture then */
    if (total == 0)
        total = have;
    if ((frag & 0x1fff) != 0 || (frag & 0x2000))
        return DEC_FRAGMENT;
    d->family = 4;
    memset(d->src, 0, sizeof d->src);
    memset(d->dst, 0, sizeof d->dst);
    memcpy(d->src, src.p, 4);
    memcpy(d->dst, dst.p, 4);
    cur_skip(&c, ihl);
    size_t body_have = cur_left(&c);
    size_t declared = total - ihl;
    if (body_have > declared) {
        struct cur t = cur_sub(&c, declared);
        return dec_l4(proto, t, declared, d);
    }
    return dec_l4(proto, c, declared, d);
}

/* RFC 8200 3, 4 */
static enum decode_result dec_ipv6(struct cur c, struct decoded *d)
{
    d->l3 = c.p;
    d->l3_len = cur_left(&c);
    uint32_t vtf = cur_u32(&c);
    size_t plen = cur_u16(&c);
    uint8_t next = cur_u8(&c);
    cur_u8(&c); /* hop limit */
    struct bytes src = cur_bytes(&c, 16);
    struct bytes dst = cur_bytes(&c, 16);
    if (c.err)
        return DEC_TRUNCATED;
    if ((vtf >> 28) != 6)
        return DEC_MALFORMED;
    d->family = 6;
    memcpy(d->src, src.p, 16);
    memcpy(d->dst, dst.p, 16);
    if (plen == 0) /* jumbogram or TSO: use what was captured */
        plen = cur_left(&c);
    if (cur_left(&c) > plen)
        c = cur_sub(&c, plen);
    size_t declared = plen;
    for (unsigned i = 0; i < DECODE_MAX_DEPTH; i++) {
        switch (next) {
        case IPP_HOPOPT:
        case IPP_ROUTING:
        case IPP_DSTOPTS: {
            uint8_t nh = cur_u8(&c);
            size_t len = ((size_t)cur_u8(&c) + 1) * 8;
            if (c.err)
                return DEC_TRUNCATED;
            if (len > declared) /* [IPV6-EXT-LEN] */
                return DEC_MALFORMED;
            if (!cur_skip(&c, len - 2))
                return DEC_TRUNCATED;
            declared -= len;
            next = nh;
            break;
        }
        case IPP_AH: {
            uint8_t nh = cur_u8(&c);
            size_t len = ((size_t)cur_u8(&c) + 2) * 4;
            if (c.err)
                return DEC_TRUNCATED;
            if (len > declared)
                return DEC_MALFORMED;
            if (!cur_skip(&c, len - 2))
                return DEC_TRUNCATED;
            declared -= len;
            next = nh;
            break;
        }
        case IPP_FRAGMENT: {
            uint8_t nh = cur_u8(&c);
            cur_u8(&c);
            uint16_t off = cur_u16(&c);
            cur_skip(&c, 4);
            if (c.err)
                return DEC_TRUNCATED;
            if (declared < 8)
                return DEC_MALFORMED;
            declared -= 8;
            if ((off & 0xfff8) != 0 || (off & 1))
                return DEC_FRAGMENT;
            next = nh; /* atomic fragment */
            break;
        }
        case IPP_NONE:
            return DEC_NOT_TCP;
        default:
            return dec_l4(next, c, declared, d);
        }
    }
    return DEC_MALFORMED;
}

static enum decode_result dec_ip(struct cur c, struct decoded *d)
{
    if (cur_empty(&c))
        return DEC_TRUNCATED;
    switch (c.p[0] >> 4) {
    case 4:
        return dec_ipv4(c, d);
    case 6:
        return dec_ipv6(c, d);
    default:
        return DEC_MALFORMED;
    }
}

/* RFC 3032: label stack until the bottom-of-stack bit, then guess IP by version */
static enum decode_result dec_mpls(struct cur c, struct decoded *d)
{
    for (unsigned i = 0; i < DECODE_MAX_DEPTH; i++) {
        uint32_t lse = cur_u32(&c);
        if (c.err)
            return DEC_TRUNCATED;
        if (lse & 0x100)
            return dec_ip(c, d);
    }
    return DEC_MALFORMED;
}

/* RFC 2516 PPPoE session stage, then PPP protocol (RFC 1661) */
static enum decode_result dec_pppoe(struct cur c, struct decoded *d)
{
    cur_skip(&c, 6); /* ver/type, code, session id, length */
    uint16_t ppp = cur_u16(&c);
    if (c.err)
        return DEC_TRUNCATED;
    if (ppp == 0x0021 || ppp == 0x0057)
        return dec_ip(c, d);
    return DEC_NOT_TCP;
}

static enum decode_result dec_by_ethertype(uint16_t type, struct cur c, struct decoded *d)
{
    for (;;) {
        switch (type) {
        case ETH_IPV4:
        case ETH_IPV6:
            return dec_ip(c, d);
        case ETH_VLAN:
        case ETH_QINQ:
        case ETH_QINQ_OLD:
            cur_u16(&c); /* TCI */
            type = cur_u16(&c);
            if (c.err)
                return DEC_TRUNCATED;
            if (!deeper(d))
                return DEC_MALFORMED;
            continue;
        case ETH_PPPOE_SESS:
            return dec_pppoe(c, d);
        case ETH_MPLS:
        case ETH_MPLS_MC:
            return dec_mpls(c, d);
        case ETH_TEB:
            if (!deeper(d))
                return DEC_MALFORMED;
            return dec_ether(c, d);
        default:
            return DEC_NOT_TCP;
        }
    }
}

static enum decode_result dec_ether(struct cur c, struct decoded *d)
{
    cur_skip(&c, 12); /* destination, source MAC */
    uint16_t type = cur_u16(&c);
    if (c.err)
        return DEC_TRUNCATED;
    if (type < 0x0600) /* 802.3 length field: LLC, not IP */
        return DEC_NOT_TCP;
    return dec_by_ethertype(type, c, d);
}

/* BSD loopback: 4-byte address family, in host (NULL) or network (LOOP) order */
static enum decode_result dec_null(struct cur c, struct decoded *d)
{
    struct bytes fam = cur_bytes(&c, 4);
    if (c.err)
        return DEC_TRUNCATED;
    uint32_t le = (uint32_t)fam.p[0] | (uint32_t)fam.p[1] << 8 | (uint32_t)fam.p[2] << 16 |
                  (uint32_t)fam.p[3] << 24;
    uint32_t be = (uint32_t)fam.p[3] | (uint32_t)fam.p[2] << 8 | (uint32_t)fam.p[1] << 16 |
                  (uint32_t)fam.p[0] << 24;
    uint32_t f = le < 256 ? le : be;
    /* AF_INET is 2 everywhere; AF_INET6 is 24, 28 or 30 depending on the BSD */
    if (f == 2 || f == 24 || f == 28 || f == 30 || f == 10)
        return dec_ip(c, d);
    return DEC_NOT_TCP;
}

bool decode_linktype_supported(int linktype)
{
    switch (linktype) {
    case CS_LINK_NULL:
    case CS_LINK_ETHERNET:
    case CS_LINK_RAW:
    case 12: /* DLT_RAW on OpenBSD */
    case 14: /* DLT_RAW on BSD/OS */
    case CS_LINK_LOOP:
    case CS_LINK_LINUX_SLL:
    case CS_LINK_IPV4:
    case CS_LINK_IPV6:
    case CS_LINK_LINUX_SLL2:
        return true;
    default:
        return false;
    }
}

enum decode_result decode_packet(int linktype, const uint8_t *data, size_t caplen,
                                 struct decoded *out)
{
    memset(out, 0, sizeof *out);
    struct cur c = cur_make(data, caplen);
    switch (linktype) {
    case CS_LINK_ETHERNET:
        return dec_ether(c, out);
    case CS_LINK_NULL:
    case CS_LINK_LOOP:
        return dec_null(c, out);
    case CS_LINK_RAW:
    case 12:
    case 14:
    case CS_LINK_IPV4:
    case CS_LINK_IPV6:
        return dec_ip(c, out);
    case CS_LINK_LINUX_SLL: {
        /* packet type, ARPHRD, addr len, 8 addr bytes, protocol */
        cur_skip(&c, 14);
        uint16_t proto = cur_u16(&c);
        if (c.err)
            return DEC_TRUNCATED;
        return dec_by_ethertype(proto, c, out);
    }
    case CS_LINK_LINUX_SLL2: {
        uint16_t proto = cur_u16(&c);
        cur_skip(&c, 18);
        if (c.err)
            return DEC_TRUNCATED;
        return dec_by_ethertype(proto, c, out);
    }
    default:
        return DEC_BAD_LINKTYPE;
    }
}
