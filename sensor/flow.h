/* Bidirectional flow table: preallocated, bounded, symmetric hash.
 *
 * Slots are allocated once (max_flows). Two LRU lists by last packet time
 * (open flows and closed flows, each with its own timeout) give O(1)
 * expiry and oldest-idle eviction when the table is full. The owner is
 * told about every flow that ends (on_end) before its slot is reused. */
#ifndef CS_SENSOR_FLOW_H
#define CS_SENSOR_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "classify.h"
#include "decode.h"
#include "reasm.h"

struct session;

enum flow_end_reason {
    FLOW_END_CLOSED,  /* FIN both ways or RST, then closed timeout */
    FLOW_END_TIMEOUT, /* idle */
    FLOW_END_EVICTED, /* table full: oldest idle flow made room */
    FLOW_END_FLUSH,   /* end of input */
    FLOW_END_REUSED,  /* a new SYN on the same 4-tuple */
};

enum flow_list { FLOW_LIST_NONE = 0, FLOW_LIST_OPEN = 1, FLOW_LIST_CLOSED = 2 };

struct flow {
    uint32_t hnext;           /* bucket chain: slot index + 1, 0 = end */
    uint32_t lprev, lnext;    /* LRU list: slot index + 1 */
    uint8_t list;             /* enum flow_list */
    uint8_t family;
    uint8_t addr[2][16];      /* [0] = sender of the first packet seen */
    uint16_t port[2];
    uint32_t hash;
    uint64_t id;              /* creation order, 1-based */
    int64_t first_us, last_us;
    uint64_t pkts[2], bytes[2];
    uint8_t client;           /* index (0/1) of the client side */
    bool client_from_syn;     /* orientation came from the handshake SYN */
    bool client_known;        /* orientation decided (SYN or hello) */
    bool syn[2], fin[2], rst;
    bool bypass;              /* handshake over or no TLS: count only */
    struct reasm_dir rd[2];
    struct session *sess;
    struct classify_flow app;  /* nDPI label */
};

struct flow_table;

typedef void (*flow_end_fn)(void *ctx, struct flow *f, enum flow_end_reason why);

struct flow_table *flow_table_new(struct cs_mem *mem, size_t max_flows, flow_end_fn on_end,
                                  void *ctx);
void flow_table_free(struct flow_table *ft);

/* Find the flow of a decoded packet; *dir is 0 if the packet goes from
 * addr[0] to addr[1]. NULL if none. */
struct flow *flow_lookup(struct flow_table *ft, const struct decoded *d, int *dir);
/* Create a flow for d (the packet's sender becomes addr[0]); evicts the
 * oldest idle flow when full. NULL only if max_flows is 0. */
struct flow *flow_create(struct flow_table *ft, const struct decoded *d, int64_t ts_us);
/* End the oldest idle flow other than `keep` (closed flows first), as a full table
 * does, and count it as evicted; false if there is none. */
bool flow_evict_oldest(struct flow_table *ft, const struct flow *keep);
/* Mark activity: move to the tail of its list (closed moves it to the closed list). */
void flow_touch(struct flow_table *ft, struct flow *f, int64_t ts_us, bool closed);
/* End every flow idle since before the timeouts; returns the number ended. */
size_t flow_expire(struct flow_table *ft, int64_t now_us, int64_t open_timeout_us,
                   int64_t closed_timeout_us);
/* End one flow now (its slot becomes free). */
void flow_end(struct flow_table *ft, struct flow *f, enum flow_end_reason why);
/* End every flow, in creation order. */
void flow_end_all(struct flow_table *ft, enum flow_end_reason why);
size_t flow_active(const struct flow_table *ft);
uint64_t flow_evicted(const struct flow_table *ft);

#endif
