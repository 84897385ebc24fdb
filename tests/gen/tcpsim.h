/* certgen: one simulated TCP connection written to a capture.
 *
 * Opening handshake, data segmented at the MSS with correct seq/ack, pure ACKs,
 * optional reordering / retransmission of one flight, and a FIN close. Each
 * emitted frame is logged so the ground truth can name the frame in which a
 * byte range first becomes contiguous (what a reassembler sees). */
#ifndef CERTGEN_TCPSIM_H
#define CERTGEN_TCPSIM_H

#include "netpkt.h"
#include "pcapw.h"
#include "util.h"

enum tcp_dir { TCP_C2S = 0, TCP_S2C = 1 };

/* Tricks for one flight, passed to tcp_send(). */
#define TCP_TRICK_REORDER 0x1u    /* segments swapped pairwise: 1,0,3,2,... */
#define TCP_TRICK_RETRANSMIT 0x2u /* exact duplicate, a lost segment, overlapping re-sends */

/* Timing: fixed increments keep captures deterministic. */
#define TCP_GAP_SAME_US 120u  /* between frames sent back to back */
#define TCP_GAP_TURN_US 2500u /* when the other side starts talking */
#define TCP_GAP_RTO_US                                                                             \
    200000u /* before a retransmission (RFC 6298 minimum RTO is 1 s; Linux uses 200 ms) */

struct tcp_seg {
    size_t frame; /* 1-based frame number in the capture */
    enum tcp_dir dir;
    uint64_t start; /* stream offsets of the payload, [start, end) */
    uint64_t end;
};

/* Capture clock and writer, shared by every connection in one capture file. */
struct tcp_capture {
    struct pcapw w;
    uint64_t ts_us; /* timestamp of the last frame */
};

struct tcp_conn {
    struct tcp_capture *cap; /* borrowed */
    struct net_path path;
    size_t mss;       /* payload bytes per segment, 1..NET_MAX_PAYLOAD */
    uint32_t isn[2];  /* initial sequence number per direction */
    uint64_t sent[2]; /* stream bytes sent per direction */
    bool fin_sent[2];
    uint16_t ip_id[2];
    int last_dir;         /* -1 before the first frame */
    bool ack_owed[2];     /* [d]: side d has received data it has not acknowledged */
    struct tcp_seg *segs; /* log of every data segment, in capture order */
    size_t n_segs, cap_segs;
};

/* Fills c (path, mss, ISNs derived from seed). Does not write anything. */
void tcp_init(struct tcp_conn *c, struct tcp_capture *cap, const struct net_path *path, size_t mss,
              const char *seed);
void tcp_free(struct tcp_conn *c);

/* SYN, SYN-ACK, ACK (MSS option = mss). */
int tcp_open(struct tcp_conn *c);
/* Sends n bytes from side d as one flight of MSS-sized segments, applying TCP_TRICK_* tricks.
 * The receiving side then owes an ACK (see tcp_ack_if_owed). */
int tcp_send(struct tcp_conn *c, enum tcp_dir d, const uint8_t *p, size_t n, unsigned tricks);
/* Pure ACK from side d if d owes one. */
int tcp_ack_if_owed(struct tcp_conn *c, enum tcp_dir d);
/* FIN from side first, FIN from the other side, final ACK. */
int tcp_close(struct tcp_conn *c, enum tcp_dir first);

/* First frame after which bytes [0, end) of direction d are all in the capture;
 * 0 if they never are. */
size_t tcp_frame_completing(const struct tcp_conn *c, enum tcp_dir d, uint64_t end);

#endif
