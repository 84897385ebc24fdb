/* certgen: builds Ethernet [802.1Q] IPv4/IPv6 TCP frames with correct checksums. */
#ifndef CERTGEN_NETPKT_H
#define CERTGEN_NETPKT_H

#include "util.h"

#define NET_TCP_FIN 0x01u
#define NET_TCP_SYN 0x02u
#define NET_TCP_RST 0x04u
#define NET_TCP_PSH 0x08u
#define NET_TCP_ACK 0x10u

#define NET_MAX_PAYLOAD 1460u /* largest TCP payload per frame we build */
#define NET_MAX_FRAME 1600u   /* >= 14 + 4 + 40 + 24 + NET_MAX_PAYLOAD */

struct net_host {
    uint8_t mac[6];
    uint8_t ip[16]; /* IPv4 uses the first 4 bytes */
    uint16_t port;
};

/* The two ends of one TCP connection and how frames between them are framed. */
struct net_path {
    bool ipv6;
    bool vlan;               /* insert an IEEE 802.1Q tag */
    uint16_t vlan_id;        /* 1..4094 */
    struct net_host host[2]; /* [0] client, [1] server */
};

struct net_tcp {
    uint32_t seq;
    uint32_t ack;
    uint8_t flags; /* NET_TCP_* */
    uint16_t window;
    uint16_t mss_opt; /* non-zero: add the MSS option (RFC 9293 3.7.1), for SYNs */
    uint16_t ip_id;   /* IPv4 identification */
};

/* Frame from host[from] to host[1 - from] into out. Returns the frame length,
 * or 0 if plen > NET_MAX_PAYLOAD or cap is too small. */
size_t net_build(const struct net_path *path, unsigned from, const struct net_tcp *t,
                 const uint8_t *payload, size_t plen, uint8_t *out, size_t cap);

#endif
