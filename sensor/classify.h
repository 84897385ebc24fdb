/* Application labels from nDPI (libndpi), per flow.
 *
 * nDPI sees a flow's first packets (at most CLASSIFY_MAX_PKTS, in both
 * directions) until it has a final label or the flow is bypassed (the
 * handshake is over, so nDPI has seen it too); then its per-flow state is
 * freed and the flow costs nothing more.
 * Only this file includes nDPI. */
#ifndef CS_SENSOR_CLASSIFY_H
#define CS_SENSOR_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc.h"

#define CLASSIFY_MAX_PKTS 24

struct classifier;

/* The per-flow part kept in struct flow. */
struct classify_flow {
    void *state;          /* nDPI's flow struct while detection runs */
    size_t state_size;
    uint16_t master, app; /* nDPI protocol ids once known */
    uint16_t category;
    uint64_t risk;        /* nDPI risk bitmask */
    uint8_t pkts;
    bool done;
};

struct classifier *classify_new(struct cs_mem *mem);
void classify_free(struct classifier *c);
/* One packet of the flow (l3: its IP header). */
void classify_packet(struct classifier *c, struct classify_flow *cf, const uint8_t *l3,
                     size_t l3_len, int64_t ts_us);
/* Finish detection (flow end or event time): guess if still unknown. */
void classify_finish(struct classifier *c, struct classify_flow *cf);
/* Release the per-flow state. */
void classify_release(struct classifier *c, struct classify_flow *cf);
/* Label text: "TLS.Microsoft365", category name, comma-separated risk names. */
void classify_describe(struct classifier *c, const struct classify_flow *cf, char *proto,
                       size_t proto_cap, char *category, size_t cat_cap, char *risks,
                       size_t risks_cap);

#endif
