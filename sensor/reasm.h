/* TCP reassembly, one direction of one flow.
 *
 * Policy (documented in the README):
 * - In-order bytes are handed to the sink straight from the packet, with
 *   no copy. Out-of-order segments are copied and held, within a per
 *   direction and a global byte bound and a per direction segment count.
 * - Bytes already delivered win: a retransmission only contributes the
 *   bytes beyond what was delivered. Among held segments the one that
 *   starts earlier wins; overlapping held bytes that differ are counted.
 * - A gap is skipped (and counted, with its size) when the peer
 *   acknowledges data beyond it, when holding the next segment would break
 *   a bound, or when the flow ends. The sink is told about every gap so a
 *   record parser can resynchronise.
 * - Bytes a capture cut off (snap length) are a gap of their own. */
#ifndef CS_SENSOR_REASM_H
#define CS_SENSOR_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc.h"

struct reasm_seg;

struct reasm_dir {
    uint32_t next_seq;          /* next byte expected */
    bool started;               /* next_seq is known */
    bool fin;                   /* FIN seen */
    struct reasm_seg *held;     /* out-of-order segments, sorted by seq */
    struct reasm_seg *tail;     /* the last of them (NULL when none) */
    size_t held_bytes;
    size_t held_count;
};

struct reasm_stats {
    uint64_t ooo, retransmits, overlaps_differ, gaps, gap_bytes, limit_drops, held_peak;
};

/* Shared by every flow of a sensor. */
struct reasm_glob {
    struct cs_mem *mem;
    size_t max_dir;
    size_t max_total;
    size_t max_segs_dir;
    size_t held_total;
    struct reasm_stats st;
};

struct reasm_sink {
    void (*deliver)(void *ctx, const uint8_t *p, size_t n);
    void (*gap)(void *ctx, size_t n);
    void *ctx;
};

/* Start the direction at `seq` (the first data byte's sequence number). */
void reasm_start(struct reasm_dir *d, uint32_t seq);

/* One segment: `cap` bytes captured of the `len` the segment carries. */
void reasm_segment(struct reasm_glob *g, struct reasm_dir *d, uint32_t seq, const uint8_t *p,
                   size_t cap, size_t len, const struct reasm_sink *sink);

/* The peer acknowledged everything before `ack`: gaps before it will not fill. */
void reasm_ack(struct reasm_glob *g, struct reasm_dir *d, uint32_t ack,
               const struct reasm_sink *sink);

/* End of the flow: deliver every held byte, skipping gaps. */
void reasm_drain(struct reasm_glob *g, struct reasm_dir *d, const struct reasm_sink *sink);

/* Release held segments without delivering them. */
void reasm_release(struct reasm_glob *g, struct reasm_dir *d);

#endif
