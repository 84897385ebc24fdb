/* certgen: frame builder (see netpkt.h). */
#include "netpkt.h"
#include "util.h"

#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* RFC 1071 ones'-complement sum, folded later. */
static uint32_t sum16(uint32_t acc, const uint8_t *p, size_t n)
{
    size_t i = 0;
    for (; i + 1 < n; i += 2)
        acc += (uint32_t)p[i] << 8 | p[i + 1];
    if (i < n)
        acc += (uint32_t)p[i] << 8;
    return acc;
}

static uint16_t fold(uint32_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xffffu) + (acc >> 16);
    return (uint16_t)~acc;
}

size_t net_build(const struct net_path *path, unsigned from, const struct net_tcp *t,
                 const uint8_t *payload, size_t plen, uint8_t *out, size_t cap)
{
    const struct net_host *src = &path->host[from & 1u];
    const struct net_host *dst = &path->host[(from & 1u) ^ 1u];
    size_t l2 = path->vlan ? 18 : 14;
    size_t l3 = path->ipv6 ? 40 : 20;
    size_t l4 = t->mss_opt ? 24 : 20;

    if (plen > NET_MAX_PAYLOAD || cap < l2 + l3 + l4 + plen)
        return 0;
    size_t total = l2 + l3 + l4 + plen;
    memset(out, 0, l2 + l3 + l4);

    /* Ethernet II, optional 802.1Q tag (PCP 0, DEI 0). */
    memcpy(out, dst->mac, 6);
    memcpy(out + 6, src->mac, 6);
    uint8_t *p = out + 12;
    if (path->vlan) {
        put16(p, 0x8100);
        put16(p + 2, path->vlan_id & 0x0fffu);
        p += 4;
    }
    put16(p, path->ipv6 ? 0x86dd : 0x0800);
    uint8_t *ip = out + l2;
    uint8_t *tcp = ip + l3;

    if (path->ipv6) {
        /* RFC 8200 3 */
        ip[0] = 0x60;
        put16(ip + 4, (uint16_t)(l4 + plen));
        ip[6] = 6; /* next header: TCP */
        ip[7] = 64;
        memcpy(ip + 8, src->ip, 16);
        memcpy(ip + 24, dst->ip, 16);
    } else {
        /* RFC 791 3.1 */
        ip[0] = 0x45;
        put16(ip + 2, (uint16_t)(l3 + l4 + plen));
        put16(ip + 4, t->ip_id);
        put16(ip + 6, 0x4000); /* DF */
        ip[8] = 64;
        ip[9] = 6;
        memcpy(ip + 12, src->ip, 4);
        memcpy(ip + 16, dst->ip, 4);
        put16(ip + 10, fold(sum16(0, ip, 20)));
    }

    /* RFC 9293 3.1 */
    put16(tcp, src->port);
    put16(tcp + 2, dst->port);
    put32(tcp + 4, t->seq);
    put32(tcp + 8, t->ack);
    tcp[12] = (uint8_t)((l4 / 4) << 4);
    tcp[13] = t->flags;
    put16(tcp + 14, t->window);
    if (t->mss_opt) {
        tcp[20] = 2; /* kind MSS */
        tcp[21] = 4;
        put16(tcp + 22, t->mss_opt);
    }
    if (plen > 0)
        memcpy(tcp + l4, payload, plen);

    /* Pseudo-header: RFC 9293 3.1 (IPv4), RFC 8200 8.1 (IPv6). */
    uint32_t acc = 0;
    uint8_t ph[8];
    size_t seglen = l4 + plen;
    if (path->ipv6) {
        acc = sum16(acc, ip + 8, 32);
        put32(ph, (uint32_t)seglen);
        ph[4] = ph[5] = ph[6] = 0;
        ph[7] = 6;
        acc = sum16(acc, ph, 8);
    } else {
        acc = sum16(acc, ip + 12, 8);
        ph[0] = 0;
        ph[1] = 6;
        put16(ph + 2, (uint16_t)seglen);
        acc = sum16(acc, ph, 4);
    }
    acc = sum16(acc, tcp, seglen);
    put16(tcp + 16, fold(acc));
    return total;
}
