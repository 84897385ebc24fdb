/* certgen: TCP connection simulation (see tcpsim.h). */
#include "tcpsim.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#define TCP_WINDOW 65535u
#define MAX_PLAN 4096u /* segments in one flight; 7-byte segments of a 16 KiB flight fit */

void tcp_init(struct tcp_conn *c, struct tcp_capture *cap, const struct net_path *path, size_t mss,
              const char *seed)
{
    memset(c, 0, sizeof(*c));
    c->cap = cap;
    c->path = *path;
    c->mss = mss;
    uint32_t h = gen_fnv1a(seed);
    c->isn[TCP_C2S] = h * 2654435761u;
    c->isn[TCP_S2C] = (h ^ 0x5bd1e995u) * 2246822519u;
    c->ip_id[TCP_C2S] = (uint16_t)(h >> 3);
    c->ip_id[TCP_S2C] = (uint16_t)(h >> 17);
    c->last_dir = -1;
}

void tcp_free(struct tcp_conn *c)
{
    if (c == NULL)
        return;
    free(c->segs);
    c->segs = NULL;
    c->n_segs = c->cap_segs = 0;
}

static int log_seg(struct tcp_conn *c, size_t frame, enum tcp_dir d, uint64_t start, uint64_t end)
{
    if (c->n_segs == c->cap_segs) {
        size_t ncap = c->cap_segs ? c->cap_segs * 2 : 64;
        if (ncap > SIZE_MAX / sizeof(*c->segs))
            return -1;
        struct tcp_seg *s = realloc(c->segs, ncap * sizeof(*s));
        if (s == NULL)
            return -1;
        c->segs = s;
        c->cap_segs = ncap;
    }
    c->segs[c->n_segs++] = (struct tcp_seg){frame, d, start, end};
    return 0;
}

/* Sequence number of stream offset off in direction d (after the SYN). */
static uint32_t seq_of(const struct tcp_conn *c, enum tcp_dir d, uint64_t off)
{
    return c->isn[d] + 1u + (uint32_t)off;
}

/* What side d acknowledges: everything the other side sent, plus its FIN. */
static uint32_t ack_of(const struct tcp_conn *c, enum tcp_dir d)
{
    enum tcp_dir o = (enum tcp_dir)(d ^ 1);
    return seq_of(c, o, c->sent[o]) + (c->fin_sent[o] ? 1u : 0u);
}

/* One frame from side d. ack is used only with NET_TCP_ACK. */
static int emit_acking(struct tcp_conn *c, enum tcp_dir d, uint32_t seq, uint32_t ack,
                       uint8_t flags, uint16_t mss_opt, const uint8_t *payload, size_t plen)
{
    uint8_t frame[NET_MAX_FRAME];
    struct net_tcp t = {
        .seq = seq,
        .ack = (flags & NET_TCP_ACK) ? ack : 0,
        .flags = flags,
        .window = TCP_WINDOW,
        .mss_opt = mss_opt,
        .ip_id = c->ip_id[d]++,
    };
    size_t len = net_build(&c->path, (unsigned)d, &t, payload, plen, frame, sizeof(frame));
    if (len == 0) {
        gen_err("tcp: frame does not fit (payload %zu)", plen);
        return -1;
    }
    c->cap->ts_us += (c->last_dir == (int)d) ? TCP_GAP_SAME_US : TCP_GAP_TURN_US;
    c->last_dir = (int)d;
    if (flags & NET_TCP_ACK)
        c->ack_owed[d] = false;
    return pcapw_write(&c->cap->w, c->cap->ts_us, frame, len);
}

/* One frame from side d acknowledging everything the other side sent. */
static int emit(struct tcp_conn *c, enum tcp_dir d, uint32_t seq, uint8_t flags, uint16_t mss_opt,
                const uint8_t *payload, size_t plen)
{
    return emit_acking(c, d, seq, ack_of(c, d), flags, mss_opt, payload, plen);
}

int tcp_open(struct tcp_conn *c)
{
    uint16_t mss = (uint16_t)c->mss;
    if (c->mss == 0 || c->mss > NET_MAX_PAYLOAD) {
        gen_err("tcp: MSS %zu out of range 1..%u", c->mss, NET_MAX_PAYLOAD);
        return -1;
    }
    if (emit(c, TCP_C2S, c->isn[TCP_C2S], NET_TCP_SYN, mss, NULL, 0) != 0 ||
        emit(c, TCP_S2C, c->isn[TCP_S2C], NET_TCP_SYN | NET_TCP_ACK, mss, NULL, 0) != 0)
        return -1;
    /* The SYN-ACK's ack field must be isn_c + 1: ack_of() gives seq_of(C2S, 0). */
    return emit(c, TCP_C2S, seq_of(c, TCP_C2S, 0), NET_TCP_ACK, 0, NULL, 0);
}

struct plan_item {
    uint64_t off; /* relative to the flight start */
    size_t len;   /* 0: a duplicate ACK from the receiver acknowledging up to off */
    bool rto;     /* a retransmission after a timeout: wait TCP_GAP_RTO_US first */
};

/* Order in which the flight's bytes go on the wire. Returns the item count, 0 on error. */
static size_t make_plan(size_t n, size_t mss, unsigned tricks, struct plan_item *plan, size_t cap)
{
    size_t nseg = n / mss + (n % mss != 0);
    if (nseg == 0 || nseg > cap / 3)
        return 0;
    size_t k = 0;
    if (tricks & TCP_TRICK_REORDER) {
        if (nseg < 2)
            return 0;
        for (size_t i = 0; i < nseg; i++) {
            size_t j = (i % 2 == 0) ? (i + 1 < nseg ? i + 1 : i) : i - 1;
            size_t len = (j + 1 == nseg) ? n - j * mss : mss;
            plan[k++] = (struct plan_item){(uint64_t)j * mss, len, false};
        }
        return k;
    }
    if (tricks & TCP_TRICK_RETRANSMIT) {
        /* S0 S1 [S2 lost] S3 dupACK S4 dupACK ..., a timeout, then S1 again (spurious,
         * exact duplicate) and S2 re-sent as two segments that each overlap bytes
         * already captured: [S1.mid, S2.mid) and [S2.mid, S3.mid). Needs 4+ segments. */
        if (nseg < 4 || mss < 2)
            return 0;
        for (size_t i = 0; i < nseg; i++) {
            if (i == 2)
                continue;
            size_t len = (i + 1 == nseg) ? n - i * mss : mss;
            plan[k++] = (struct plan_item){(uint64_t)i * mss, len, false};
            if (i > 2)
                plan[k++] = (struct plan_item){(uint64_t)2 * mss, 0, false};
        }
        size_t half = mss / 2;
        size_t r2 = 2 * mss + half; /* < n: nseg >= 4 means n > 3 * mss */
        plan[k++] = (struct plan_item){(uint64_t)mss, mss, true};
        plan[k++] = (struct plan_item){(uint64_t)mss + half, mss, false};
        plan[k++] = (struct plan_item){(uint64_t)r2, n - r2 < mss ? n - r2 : mss, false};
        return k;
    }
    for (size_t i = 0; i < nseg; i++) {
        size_t len = (i + 1 == nseg) ? n - i * mss : mss;
        plan[k++] = (struct plan_item){(uint64_t)i * mss, len, false};
    }
    return k;
}

int tcp_send(struct tcp_conn *c, enum tcp_dir d, const uint8_t *p, size_t n, unsigned tricks)
{
    struct plan_item *plan = NULL;
    int rc = -1;
    if (n == 0)
        return 0;
    if (c->fin_sent[d]) {
        gen_err("tcp: data after FIN");
        goto out;
    }
    if ((tricks & TCP_TRICK_REORDER) && (tricks & TCP_TRICK_RETRANSMIT)) {
        gen_err("tcp: reorder and retransmit cannot be combined in one flight");
        goto out;
    }
    if ((plan = gen_calloc(MAX_PLAN, sizeof(*plan))) == NULL)
        goto out;
    size_t k = make_plan(n, c->mss, tricks, plan, MAX_PLAN);
    if (k == 0) {
        gen_err("tcp: cannot plan a %zu-byte flight at MSS %zu (reorder needs 2+ segments, "
                "retransmit 4+; tricks 0x%x)",
                n, c->mss, tricks);
        goto out;
    }
    uint64_t base = c->sent[d];
    enum tcp_dir rcv = (enum tcp_dir)(d ^ 1);
    for (size_t i = 0; i < k; i++) {
        if (plan[i].off > n || plan[i].len > n - plan[i].off) {
            gen_err("tcp: internal plan error");
            goto out;
        }
        uint64_t start = base + plan[i].off;
        if (plan[i].len == 0) {
            if (emit_acking(c, rcv, seq_of(c, rcv, c->sent[rcv]), seq_of(c, d, start), NET_TCP_ACK,
                            0, NULL, 0) != 0)
                goto out;
            continue;
        }
        bool last = (plan[i].off + plan[i].len == n);
        uint8_t flags = (uint8_t)(NET_TCP_ACK | (last ? NET_TCP_PSH : 0));
        if (plan[i].rto)
            c->cap->ts_us += TCP_GAP_RTO_US;
        if (emit(c, d, seq_of(c, d, start), flags, 0, p + plan[i].off, plan[i].len) != 0 ||
            log_seg(c, c->cap->w.frames, d, start, start + plan[i].len) != 0)
            goto out;
    }
    c->sent[d] += n;
    c->ack_owed[d ^ 1] = true;
    rc = 0;
out:
    free(plan);
    return rc;
}

int tcp_ack_if_owed(struct tcp_conn *c, enum tcp_dir d)
{
    if (!c->ack_owed[d])
        return 0;
    return emit(c, d, seq_of(c, d, c->sent[d]), NET_TCP_ACK, 0, NULL, 0);
}

int tcp_close(struct tcp_conn *c, enum tcp_dir first)
{
    enum tcp_dir second = (enum tcp_dir)(first ^ 1);
    if (emit(c, first, seq_of(c, first, c->sent[first]), NET_TCP_FIN | NET_TCP_ACK, 0, NULL, 0))
        return -1;
    c->fin_sent[first] = true;
    if (emit(c, second, seq_of(c, second, c->sent[second]), NET_TCP_FIN | NET_TCP_ACK, 0, NULL, 0))
        return -1;
    c->fin_sent[second] = true;
    return emit(c, first, seq_of(c, first, c->sent[first]) + 1u, NET_TCP_ACK, 0, NULL, 0);
}

size_t tcp_frame_completing(const struct tcp_conn *c, enum tcp_dir d, uint64_t end)
{
    uint64_t have = 0; /* bytes [0, have) are contiguous */
    if (end == 0)
        return 0;
    for (size_t i = 0; i < c->n_segs; i++) {
        if (c->segs[i].dir != d)
            continue;
        /* Each new segment may also connect segments captured earlier out of order. */
        bool grew = true;
        while (grew) {
            grew = false;
            for (size_t j = 0; j <= i; j++) {
                const struct tcp_seg *s = &c->segs[j];
                if (s->dir == d && s->start <= have && s->end > have) {
                    have = s->end;
                    grew = true;
                }
            }
        }
        if (have >= end)
            return c->segs[i].frame;
    }
    return 0;
}
