/* Public API: configuration, packet pipeline, flush. */
#include <stdio.h>
#include <string.h>

#include "certsensor.h"
#include "decode.h"
#include "detect.h"
#include "cs_limits.h"
#include "sensor_int.h"
#include "session.h"

const char *cs_strerror(cs_err err)
{
    switch (err) {
    case CS_OK:
        return "success";
    case CS_ERR_NOMEM:
        return "out of memory or memcap reached";
    case CS_ERR_INVAL:
        return "invalid argument";
    case CS_ERR_LINKTYPE:
        return "unsupported link type";
    case CS_ERR_IO:
        return "input/output error";
    case CS_ERR_FORMAT:
        return "malformed input";
    case CS_ERR_STATE:
        return "call not valid in this state";
    default:
        return "unknown error";
    }
}

void cs_config_init(struct cs_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_flows = CS_DEF_MAX_FLOWS;
    cfg->flow_timeout_s = CS_DEF_FLOW_TIMEOUT_S;
    cfg->closed_timeout_s = CS_DEF_CLOSED_TIMEOUT_S;
    cfg->reasm_max_dir = CS_DEF_REASM_MAX_DIR;
    cfg->reasm_max_total = CS_DEF_REASM_MAX_TOTAL;
    cfg->hs_msg_max = CS_DEF_HS_MSG_MAX;
    cfg->probe_bytes = CS_DEF_PROBE_BYTES;
    cfg->cert_cache_entries = CS_DEF_CERT_CACHE;
    cfg->memcap = CS_DEF_MEMCAP;
    cfg->keylog_max_entries = CS_DEF_KEYLOG_ENTRIES;
    cfg->ndpi = true;
    cfg->decrypt_watch = CS_DEF_DECRYPT_WATCH;
    cfg->key_wait_ms = CS_DEF_KEY_WAIT_MS;
    cfg->key_wait_bytes = CS_DEF_KEY_WAIT_BYTES;
}

static void set_err(struct cs_sensor *s, const char *msg)
{
    snprintf(s->err, sizeof s->err, "%s", msg);
}

void sensor_emit(struct cs_sensor *s, const struct cs_event *ev)
{
    s->st.events++;
    if (s->cfg.on_event != NULL)
        s->cfg.on_event(ev, s->cfg.user);
}

void sensor_anomaly(struct cs_sensor *s, uint64_t flow_id, const char *type, const char *detail)
{
    s->st.anomalies++;
    if (!s->cfg.emit_anomalies)
        return;
    struct cs_anomaly a = {.flow_id = flow_id, .ts_us = s->now_us, .type = type, .detail = detail};
    struct cs_event ev = {.type = CS_EVENT_ANOMALY, .u.anomaly = &a};
    sensor_emit(s, &ev);
}

/* ---- reassembly sink ------------------------------------------------------- */

struct sink_ctx {
    struct cs_sensor *s;
    struct flow *f;
    int dir;
};

static void sink_deliver(void *ctx, const uint8_t *p, size_t n)
{
    struct sink_ctx *c = ctx;
    session_data(c->s, c->f, c->dir, p, n);
}

static void sink_gap(void *ctx, size_t n)
{
    struct sink_ctx *c = ctx;
    session_gap(c->s, c->f, c->dir, n);
}

static struct reasm_sink make_sink(struct sink_ctx *c)
{
    struct reasm_sink k = {sink_deliver, sink_gap, c};
    return k;
}

static const char *end_state(enum flow_end_reason why)
{
    switch (why) {
    case FLOW_END_CLOSED:
        return "closed";
    case FLOW_END_TIMEOUT:
        return "timeout";
    case FLOW_END_EVICTED:
        return "evicted";
    case FLOW_END_REUSED:
        return "closed";
    case FLOW_END_FLUSH:
    default:
        return "flushed";
    }
}

static void on_flow_end(void *ctx, struct flow *f, enum flow_end_reason why)
{
    struct cs_sensor *s = ctx;
    switch (why) {
    case FLOW_END_CLOSED:
    case FLOW_END_REUSED:
        s->st.flows_closed++;
        break;
    case FLOW_END_TIMEOUT:
        s->st.flows_timeout++;
        break;
    case FLOW_END_EVICTED:
        s->st.flows_evicted++;
        sensor_anomaly(s, f->id, "flow.evicted",
                       s->evicting_for_memory ? "memcap" : "flow table full");
        break;
    case FLOW_END_FLUSH:
        break;
    }
    if (s->cls != NULL && f->sess != NULL)
        classify_finish(s->cls, &f->app);
    if (f->sess != NULL) {
        /* whatever is still held is delivered now, gaps skipped */
        for (int d = 0; d < 2; d++) {
            struct sink_ctx c = {s, f, d};
            struct reasm_sink k = make_sink(&c);
            reasm_drain(&s->rg, &f->rd[d], &k);
        }
        session_end(s, f, end_state(why));
    }
    reasm_release(&s->rg, &f->rd[0]);
    reasm_release(&s->rg, &f->rd[1]);
    if (s->cls != NULL)
        classify_release(s->cls, &f->app);
}

/* ---- lifecycle ----------------------------------------------------------------- */

struct cs_sensor *cs_new(const struct cs_config *cfg, cs_err *err)
{
    struct cs_config def;
    if (cfg == NULL) {
        cs_config_init(&def);
        cfg = &def;
    }
    if (cfg->max_flows == 0 || cfg->hs_msg_max < 64 || cfg->cert_cache_entries == 0) {
        if (err)
            *err = CS_ERR_INVAL;
        return NULL;
    }
    struct cs_mem boot = {.cap = cfg->memcap ? cfg->memcap : CS_DEF_MEMCAP};
    struct cs_sensor *s = mem_calloc(&boot, 1, sizeof *s);
    if (s == NULL) {
        if (err)
            *err = CS_ERR_NOMEM;
        return NULL;
    }
    s->mem = boot;
    s->cfg = *cfg;
    /* an event holds up to 2 * CS_CHAIN_MAX analyses at once (see certcache.h) */
    if (s->cfg.cert_cache_entries < 4 * CS_CHAIN_MAX)
        s->cfg.cert_cache_entries = 4 * CS_CHAIN_MAX;
    s->rg.mem = &s->mem;
    s->rg.max_dir = cfg->reasm_max_dir;
    s->rg.max_total = cfg->reasm_max_total;
    s->rg.max_segs_dir = CS_REASM_MAX_SEGS_DIR;
    s->ft = flow_table_new(&s->mem, cfg->max_flows, on_flow_end, s);
    s->cc = certcache_new(&s->mem, s->cfg.cert_cache_entries);
    if (cfg->ndpi)
        s->cls = classify_new(&s->mem);
    if (s->ft == NULL || s->cc == NULL || (cfg->ndpi && s->cls == NULL)) {
        cs_free(s);
        if (err)
            *err = CS_ERR_NOMEM;
        return NULL;
    }
    if (err)
        *err = CS_OK;
    return s;
}

void cs_free(struct cs_sensor *s)
{
    if (s == NULL)
        return;
    if (s->ft != NULL) {
        /* release without emitting: the embedder chose not to flush */
        s->cfg.on_event = NULL;
        flow_end_all(s->ft, FLOW_END_FLUSH);
    }
    flow_table_free(s->ft);
    certcache_free(s->cc);
    classify_free(s->cls);
    detect_free(s);
    keylog_free(s->kl);
    s->mem.used -= s->kl_bytes <= s->mem.used ? s->kl_bytes : s->mem.used;
    struct cs_mem m = s->mem;
    mem_free(&m, s, sizeof *s);
}

const char *cs_last_error(const struct cs_sensor *s)
{
    return s == NULL ? "" : s->err;
}

void cs_get_stats(const struct cs_sensor *s, struct cs_stats *out)
{
    *out = s->st;
    out->flows_active = flow_active(s->ft);
    out->tcp_segments_ooo = s->rg.st.ooo;
    out->tcp_retransmits = s->rg.st.retransmits;
    out->tcp_overlaps_differ = s->rg.st.overlaps_differ;
    out->tcp_gaps = s->rg.st.gaps;
    out->tcp_gap_bytes = s->rg.st.gap_bytes;
    out->tcp_reasm_limit_drops = s->rg.st.limit_drops;
    out->tcp_reasm_bytes_peak = s->rg.st.held_peak;
    if (s->kl != NULL) {
        const struct keylog_stats *ks = keylog_stats(s->kl);
        out->keylog_lines = ks->lines;
        out->keylog_entries = ks->entries;
        out->keylog_malformed = ks->malformed;
        out->keylog_full = ks->full;
    }
    out->baseline_errors = detect_baseline_errors(s);
    out->memcap_hits = s->mem.cap_hits;
    out->mem_peak = s->mem.peak;
}

/* ---- packets ---------------------------------------------------------------------- */

static void bypass(struct cs_sensor *s, struct flow *f)
{
    if (!session_is_tls(f))
        s->st.flows_no_tls++;
    session_free(s, f);
    reasm_release(&s->rg, &f->rd[0]);
    reasm_release(&s->rg, &f->rd[1]);
    f->bypass = true;
    s->st.flows_bypassed++;
    /* nDPI has seen the handshake too: its label is final now */
    if (s->cls != NULL)
        classify_finish(s->cls, &f->app);
}

/* [MEMCAP-EVICT] Memory for a new session: near the memcap the oldest idle flows
 * are ended first (as when the flow table is full), so flows that take memory
 * and then say nothing cannot blind the sensor to every later flow until they
 * time out; a reserve of the cap is kept for the sessions already under way. */
static void make_room(struct cs_sensor *s, const struct flow *keep)
{
    uint64_t reserve = s->mem.cap / CS_MEM_RESERVE_DIV;
    s->evicting_for_memory = true;
    for (unsigned i = 0; i < CS_EVICT_BATCH && !mem_fits(&s->mem, reserve); i++)
        if (!flow_evict_oldest(s->ft, keep))
            break;
    s->evicting_for_memory = false;
}

static void tcp_packet(struct cs_sensor *s, const struct decoded *d)
{
    int dir = 0;
    bool syn_only = (d->flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;
    struct flow *f = flow_lookup(s->ft, d, &dir);
    if (f != NULL && syn_only && (f->rst || f->fin[0] || f->fin[1] || f->bypass) &&
        (!f->rd[dir].started || f->rd[dir].next_seq != d->seq + 1)) {
        /* the 4-tuple is reused by a new connection */
        flow_end(s->ft, f, FLOW_END_REUSED);
        f = NULL;
    }
    if (f == NULL) {
        if (d->flags & TCPF_RST)
            return; /* nothing to track */
        f = flow_create(s->ft, d, s->now_us);
        if (f == NULL)
            return;
        dir = 0;
        s->st.flows_created++;
    }
    f->pkts[dir]++;
    f->bytes[dir] += d->seg_len;
    if (d->flags & TCPF_FIN)
        f->fin[dir] = true;
    if (d->flags & TCPF_RST)
        f->rst = true;
    bool closed = f->rst || (f->fin[0] && f->fin[1]);
    /* nDPI sees the first packets of every flow until it has a label, the
     * flow is bypassed, or CLASSIFY_MAX_PKTS; then never again */
    if (s->cls != NULL && !f->app.done)
        classify_packet(s->cls, &f->app, d->l3, d->l3_len, s->now_us);
    if (f->bypass) {
        s->st.packets_bypassed++;
        flow_touch(s->ft, f, s->now_us, closed);
        return;
    }
    if (d->flags & TCPF_SYN) {
        f->syn[dir] = true;
        if (!f->client_from_syn) {
            f->client = (uint8_t)((d->flags & TCPF_ACK) ? !dir : dir);
            f->client_from_syn = true;
            f->client_known = true;
        }
        if (!f->rd[dir].started)
            reasm_start(&f->rd[dir], d->seq + 1);
    }
    if (d->seg_len > 0) {
        if (f->sess == NULL)
            make_room(s, f);
        if (!session_attach(s, f)) {
            sensor_anomaly(s, f->id, "flow.session_memcap", NULL);
            bypass(s, f);
            flow_touch(s->ft, f, s->now_us, closed);
            return;
        }
        uint32_t seq = d->seq + ((d->flags & TCPF_SYN) ? 1u : 0u);
        struct sink_ctx c = {s, f, dir};
        struct reasm_sink k = make_sink(&c);
        reasm_segment(&s->rg, &f->rd[dir], seq, d->payload, d->payload_len, d->seg_len, &k);
    }
    if ((d->flags & TCPF_ACK) && f->sess != NULL && f->rd[!dir].held != NULL) {
        struct sink_ctx c = {s, f, !dir};
        struct reasm_sink k = make_sink(&c);
        reasm_ack(&s->rg, &f->rd[!dir], d->ack, &k);
    }
    if (session_done(f))
        bypass(s, f);
    flow_touch(s->ft, f, s->now_us, closed);
}

cs_err cs_feed(struct cs_sensor *s, const struct cs_packet *pkt)
{
    if (s == NULL || pkt == NULL || (pkt->data == NULL && pkt->caplen > 0))
        return CS_ERR_INVAL;
    if (s->flushed) {
        set_err(s, "cs_feed after cs_flush");
        return CS_ERR_STATE;
    }
    if (!decode_linktype_supported(pkt->linktype)) {
        snprintf(s->err, sizeof s->err, "unsupported link type %d", pkt->linktype);
        return CS_ERR_LINKTYPE;
    }
    s->st.packets++;
    s->st.bytes += pkt->wirelen;
    /* packet time drives every timeout; it never runs backwards */
    if (pkt->ts_us > s->now_us)
        s->now_us = pkt->ts_us;
    s->st.last_ts_us = s->now_us;
    flow_expire(s->ft, s->now_us, (int64_t)s->cfg.flow_timeout_s * 1000000,
                (int64_t)s->cfg.closed_timeout_s * 1000000);
    struct decoded d;
    switch (decode_packet(pkt->linktype, pkt->data, pkt->caplen, &d)) {
    case DEC_TCP:
        if (d.payload_len < d.seg_len)
            s->st.packets_truncated++;
        tcp_packet(s, &d);
        break;
    case DEC_NOT_TCP:
    case DEC_FRAGMENT:
        s->st.packets_non_tcp++;
        break;
    case DEC_TRUNCATED:
        s->st.packets_truncated++;
        break;
    case DEC_MALFORMED:
    case DEC_BAD_LINKTYPE:
        s->st.packets_invalid++;
        break;
    }
    return CS_OK;
}

cs_err cs_tick(struct cs_sensor *s, int64_t now_us)
{
    if (s == NULL)
        return CS_ERR_INVAL;
    if (s->flushed)
        return CS_ERR_STATE;
    if (now_us > s->now_us)
        s->now_us = now_us;
    flow_expire(s->ft, s->now_us, (int64_t)s->cfg.flow_timeout_s * 1000000,
                (int64_t)s->cfg.closed_timeout_s * 1000000);
    detect_tick(s);
    return CS_OK;
}

cs_err cs_flush(struct cs_sensor *s)
{
    if (s == NULL)
        return CS_ERR_INVAL;
    if (s->flushed)
        return CS_ERR_STATE;
    flow_end_all(s->ft, FLOW_END_FLUSH);
    detect_tick(s); /* the baseline's last batch is committed */
    s->flushed = true;
    struct cs_stats st;
    cs_get_stats(s, &st);
    struct cs_event ev = {.type = CS_EVENT_STATS, .u.stats = &st};
    sensor_emit(s, &ev);
    return CS_OK;
}

/* ---- key logs ------------------------------------------------------------------ */

static cs_err keylog_result(struct cs_sensor *s, enum pr_status st, uint64_t malformed_before)
{
    const struct keylog_stats *ks = keylog_stats(s->kl);
    if (ks->malformed > malformed_before) {
        snprintf(s->err, sizeof s->err, "key log line %zu: %s (%zu malformed lines so far)",
                 ks->last_bad_line, keylog_reason_text(ks->last_reason), ks->malformed);
        return CS_ERR_FORMAT;
    }
    if (st == PR_LIMIT) {
        snprintf(s->err, sizeof s->err, "key log store full (%zu client randoms)", ks->entries);
        return CS_ERR_NOMEM;
    }
    return CS_OK;
}

static bool keylog_ready(struct cs_sensor *s)
{
    if (s->kl != NULL)
        return true;
    s->kl = keylog_new(s->cfg.keylog_max_entries);
    if (s->kl == NULL) {
        set_err(s, "cannot create the key log store");
        return false;
    }
    /* allocated by the parser itself (it cannot see the sensor's allocator):
     * charged here so mem_peak and the memcap see it */
    s->kl_bytes = keylog_mem_bytes(s->kl);
    s->mem.used += s->kl_bytes;
    if (s->mem.used > s->mem.peak)
        s->mem.peak = s->mem.used;
    return true;
}

cs_err cs_keylog_feed(struct cs_sensor *s, const uint8_t *data, size_t len)
{
    if (s == NULL || (data == NULL && len > 0))
        return CS_ERR_INVAL;
    if (!keylog_ready(s))
        return CS_ERR_NOMEM;
    uint64_t before = keylog_stats(s->kl)->malformed;
    return keylog_result(s, keylog_feed(s->kl, data, len), before);
}

cs_err cs_keylog_finish(struct cs_sensor *s)
{
    if (s == NULL)
        return CS_ERR_INVAL;
    if (s->kl == NULL)
        return CS_OK;
    uint64_t before = keylog_stats(s->kl)->malformed;
    return keylog_result(s, keylog_finish(s->kl), before);
}
