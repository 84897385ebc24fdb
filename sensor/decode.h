/* Packet decoding: link layer -> (tunnels) -> IPv4/IPv6 -> TCP.
 *
 * Pure: bytes in, a struct of views out; nothing is allocated or kept.
 * Tunnels (IP-in-IP, 6in4, GRE, Geneve, VXLAN) are followed to the
 * innermost TCP segment, up to DECODE_MAX_DEPTH encapsulations. */
#ifndef CS_SENSOR_DECODE_H
#define CS_SENSOR_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DECODE_MAX_DEPTH 8 /* nested encapsulations (VLAN tags count too) */

enum decode_result {
    DEC_TCP = 0,       /* a TCP segment: fields valid */
    DEC_NOT_TCP,       /* well-formed but not TCP (UDP, ICMP, ARP, ...) */
    DEC_FRAGMENT,      /* an IP fragment: not reassembled, counted */
    DEC_TRUNCATED,     /* headers cut by the snap length */
    DEC_MALFORMED,     /* headers contradict themselves */
    DEC_BAD_LINKTYPE,  /* link type not supported */
};

/* TCP flags */
enum {
    TCPF_FIN = 0x01,
    TCPF_SYN = 0x02,
    TCPF_RST = 0x04,
    TCPF_PSH = 0x08,
    TCPF_ACK = 0x10,
};

struct decoded {
    uint8_t family;            /* 4 or 6 (innermost IP header) */
    uint8_t src[16], dst[16];  /* IPv4 in the first 4 bytes, rest zero */
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    const uint8_t *payload;    /* captured TCP payload */
    size_t payload_len;        /* bytes present in the capture */
    size_t seg_len;            /* payload length the IP header declares (>= payload_len) */
    unsigned encap_depth;      /* tunnels and tags crossed */
    const uint8_t *l3;         /* innermost IP header (for the application classifier) */
    size_t l3_len;             /* bytes of that IP packet present in the capture */
};

/* Decode one captured frame. `data`/`caplen` are the captured bytes. */
enum decode_result decode_packet(int linktype, const uint8_t *data, size_t caplen,
                                 struct decoded *out);

/* true if linktype is one decode_packet understands */
bool decode_linktype_supported(int linktype);

#endif
