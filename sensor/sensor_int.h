/* Internal state of a sensor handle (not installed). */
#ifndef CS_SENSOR_INT_H
#define CS_SENSOR_INT_H

#include "alloc.h"
#include "certcache.h"
#include "certsensor.h"
#include "classify.h"
#include "flow.h"
#include "keylog.h"
#include "reasm.h"

struct baseline;
struct detect_memo;

struct cs_sensor {
    struct cs_config cfg;
    struct cs_mem mem;
    struct flow_table *ft;
    struct reasm_glob rg;
    struct cert_cache *cc;
    struct classifier *cls;       /* NULL when nDPI is disabled */
    struct keylog *kl;            /* session keys, created by the first cs_keylog_feed */
    struct cs_ruleset *rs;        /* detection snapshot (NULL: no checks) */
    struct baseline *baseline;    /* persisted certificate baselines (cs_open_state) */
    struct detect_memo *memo;     /* verdicts of the expensive checks, by chain */
    size_t kl_bytes;              /* charged to the memcap */
    struct cs_stats st;
    int64_t now_us;
    bool flushed;
    bool evicting_for_memory;     /* flows end to free memory, not because the table is full */
    char err[256];
    struct cs_tls ev;             /* event being built (reused, no per-event malloc) */
    struct cs_cert_info scratch;  /* analysis when the cache cannot hold one */
};

/* deliver an event to the embedder */
void sensor_emit(struct cs_sensor *s, const struct cs_event *ev);
/* count and (optionally) report an anomaly */
void sensor_anomaly(struct cs_sensor *s, uint64_t flow_id, const char *type, const char *detail);

#endif
