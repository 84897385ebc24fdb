/* Fuzz target: the whole sensor through the public API (certsensor.h).
 *
 * Input: [link flags] [time step] then packets, each [length: 2 bytes, big
 * endian] [frame bytes]; a last packet shorter than its length takes what
 * is left. Packet i is raw IP (CS_LINK_RAW) when bit (i % 8) of the link
 * flags is set, Ethernet otherwise. Timestamps start at 2025-06-01 and grow
 * by 2^(step & 31) microseconds per packet (up to ~36 minutes, past the
 * idle timeout); bit 7 of the step also calls cs_tick() every 16 packets,
 * bit 5 turns nDPI flow labelling on (its set-up is slow: seeds leave it off).
 * With bit 6 of the step set, the first [length][bytes] record is not a
 * packet but a key log, given to cs_keylog_feed() in two halves and then
 * cs_keylog_finish() (seeds from captures with a key log carry it), so
 * the decryption paths are reached end to end.
 * A small flow table, certificate cache and key store make eviction and
 * "full" reachable.
 * Then cs_flush() and cs_free().
 *
 * Every event is rendered with cs_event_to_json(): measured with cap 0,
 * rendered whole, and rendered into a 16-byte buffer; the three agree on
 * the length, the output is NUL-terminated and holds no raw control byte
 * (the JSON writer escapes everything). Certificate bytes in TLS events are
 * read whole. Properties: cs_feed() is CS_OK for every packet (malformed
 * packets are counted, not errors) and CS_ERR_STATE after cs_flush();
 * cs_keylog_feed() is CS_OK, CS_ERR_FORMAT (bad lines, counted) or
 * CS_ERR_NOMEM (store full). */
#include <string.h>

#include "certsensor.h"
#include "fuzz.h"

struct feed_ctx {
    uint64_t h;
    size_t events;
};

static void check_certs(struct feed_ctx *c, const struct cs_cert *certs, size_t n)
{
    FUZZ_CHECK(n <= CS_CHAIN_MAX);
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(certs[i].info != NULL);
        c->h = fuzz_mix(c->h, certs[i].der, certs[i].der_len);
        c->h = fuzz_mix(c->h, certs[i].info->sha256, sizeof certs[i].info->sha256);
    }
}

static void on_event(const struct cs_event *ev, void *user)
{
    struct feed_ctx *c = user;
    c->events++;
    if (ev->type == CS_EVENT_TLS) {
        const struct cs_tls *t = ev->u.tls;
        check_certs(c, t->server_certs, t->server_cert_count);
        check_certs(c, t->client_certs, t->client_cert_count);
        FUZZ_CHECK(strnlen(t->sni, sizeof t->sni) < sizeof t->sni);
        FUZZ_CHECK(t->alpn_offered_count <= CS_ALPN_MAX);
    }
    size_t need = cs_event_to_json(ev, NULL, 0);
    char *buf = malloc(need + 1);
    FUZZ_CHECK(buf != NULL);
    size_t got = cs_event_to_json(ev, buf, need + 1);
    FUZZ_CHECK(got == need && strlen(buf) == need);
    for (size_t i = 0; i < need; i++)
        FUZZ_CHECK((unsigned char)buf[i] >= 0x20);
    char small[16];
    size_t got_small = cs_event_to_json(ev, small, sizeof small);
    FUZZ_CHECK(got_small == need);
    size_t want_small = need < sizeof small - 1 ? need : sizeof small - 1;
    FUZZ_CHECK(strlen(small) == want_small && memcmp(small, buf, want_small) == 0);
    c->h = fuzz_mix(c->h, buf, need);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t link_flags = data[0], step = data[1];
    const uint8_t *p = data + 2;
    size_t n = size - 2;

    struct feed_ctx ctx = {FUZZ_HASH_INIT, 0};
    struct cs_config cfg;
    cs_config_init(&cfg);
    cfg.max_flows = 8;
    cfg.cert_cache_entries = 4;
    cfg.keylog_max_entries = 4; /* small: the store is allocated per run */
    cfg.flow_timeout_s = 60;
    cfg.emit_anomalies = true;
    /* nDPI's set-up costs ~0.1 s per sensor: only when asked (step bit 5) */
    cfg.ndpi = step & 0x20;
    cfg.on_event = on_event;
    cfg.user = &ctx;
    cs_err err = CS_OK;
    struct cs_sensor *s = cs_new(&cfg, &err);
    FUZZ_CHECK(s != NULL);

    if ((step & 0x40) && n >= 2) {
        size_t len = (size_t)p[0] << 8 | p[1];
        p += 2;
        n -= 2;
        if (len > n)
            len = n;
        uint8_t *keys = malloc(len ? len : 1);
        FUZZ_CHECK(keys != NULL);
        if (len > 0)
            memcpy(keys, p, len);
        cs_err e1 = cs_keylog_feed(s, keys, len / 2);
        cs_err e2 = cs_keylog_feed(s, keys + len / 2, len - len / 2);
        cs_err e3 = cs_keylog_finish(s);
        FUZZ_CHECK(e1 == CS_OK || e1 == CS_ERR_FORMAT || e1 == CS_ERR_NOMEM);
        FUZZ_CHECK(e2 == CS_OK || e2 == CS_ERR_FORMAT || e2 == CS_ERR_NOMEM);
        FUZZ_CHECK(e3 == CS_OK || e3 == CS_ERR_FORMAT || e3 == CS_ERR_NOMEM);
        free(keys);
        p += len;
        n -= len;
    }

    int64_t ts = 1748779200LL * 1000000;    /* 2025-06-01T00:00:00Z */
    int64_t dt = (int64_t)1 << (step & 31); /* bits 0-4 */
    for (size_t i = 0; n >= 2; i++) {
        size_t len = (size_t)p[0] << 8 | p[1];
        p += 2;
        n -= 2;
        if (len > n)
            len = n;
        /* an exactly sized copy: a read past the frame is an ASan report */
        uint8_t *frame = malloc(len ? len : 1);
        FUZZ_CHECK(frame != NULL);
        if (len > 0)
            memcpy(frame, p, len);
        struct cs_packet pkt = {ts, (link_flags >> (i % 8) & 1) ? CS_LINK_RAW : CS_LINK_ETHERNET,
                                frame, len, len};
        FUZZ_CHECK(cs_feed(s, &pkt) == CS_OK);
        free(frame);
        p += len;
        n -= len;
        ts += dt;
        if ((step & 0x80) && i % 16 == 15)
            FUZZ_CHECK(cs_tick(s, ts) == CS_OK);
    }
    FUZZ_CHECK(cs_flush(s) == CS_OK);
    struct cs_packet late = {ts, CS_LINK_ETHERNET, data, 0, 0};
    FUZZ_CHECK(cs_feed(s, &late) == CS_ERR_STATE);
    struct cs_stats st;
    cs_get_stats(s, &st);
    FUZZ_CHECK(st.events == ctx.events);
    cs_free(s);
    return 0;
}
