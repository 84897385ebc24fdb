#include "session.h"

#include <string.h>

#include "appflow.h"
#include "cs_limits.h"
#include "detect.h"
#include "ja.h"
#include "sensor_int.h"
#include "keylog.h"
#include "tls_decrypt.h"
#include "tls_handshake.h"
#include "tls_record.h"

enum dir_mode { DM_PROBE = 0, DM_TLS, DM_NONE };

struct session;

struct sess_dir {
    struct session *ss;
    uint8_t dir;
    enum dir_mode mode;
    size_t probed;          /* cleartext bytes scanned */
    bool ccs;
    bool appdata;           /* protected application data seen */
    int role_evidence;      /* >0 looks like the server, <0 like the client */
    bool sent_client_hello, sent_server_hello, sent_hello_done;
    struct tls_rec_dir rec;
    uint8_t *cert_msg;      /* owned copy of the Certificate message body */
    size_t cert_msg_size;
    struct tls_cert_list certs;
    bool has_certs;
    bool certs_decrypted;   /* the Certificate message came out of decryption */
    /* key-log decryption (TLS 1.3 handshake) */
    bool have_keys;
    bool in_plaintext;      /* callbacks now come from decrypted bytes */
    bool finished;          /* Finished seen (decrypted) */
    struct tls_dir_keys keys;
    struct tls_dir_keys pending; /* TLS 1.2 renegotiation: keys after the next CCS */
    bool has_pending;
    bool ccs_protected;     /* a CCS came inside protected records (renegotiation) */
    size_t watched;         /* protected bytes decrypted after the handshake */
    struct tls_hs_asm dec_hs;
};

struct session {
    struct cs_sensor *s;
    struct flow *f;
    struct sess_dir d[2];
    bool tls;               /* a TLS record stream was found in some direction */
    bool done;              /* handshake over: the flow can be bypassed */
    bool emitted;
    bool cleartext_before;  /* bytes preceded the TLS start (STARTTLS-style) */
    int alert_dir;
    uint8_t ch_sid[32];
    size_t ch_sid_len;
    uint8_t client_random[32];
    bool have_client_random;
    bool decrypting;        /* session keys were found: protected records are decrypted */
    bool renego;            /* inside a renegotiated handshake */
    /* TLS 1.3 whose keys are not (yet) in the key log: protected records
     * held, bounded, while the key log may still grow */
    bool awaiting_keys;
    uint8_t srv_dir;
    uint16_t suite;
    int64_t wait_until_us;
    struct appflow *app;    /* clear-text protocol (mail, HTTP/EWS), or NULL */
    bool exchange_sni;      /* the ClientHello names an Exchange endpoint */
    bool ews_watch;         /* decrypting the client's application data for EWS */
    uint8_t *held;          /* [dir, type, ver hi, ver lo, len hi, len lo, body]... */
    size_t held_len, held_size;
    uint8_t *rec_buf;       /* header + body of one protected record */
    uint8_t *plain_buf;     /* its plaintext */
    struct cs_tls t;
    char ja3_str[CS_JA3_STR_MAX];
    char ja3s_str[CS_JA3_STR_MAX];
};

/* ---- helpers ------------------------------------------------------------ */

static void copy_str(char *dst, size_t cap, struct bytes b)
{
    size_t n = b.n < cap - 1 ? b.n : cap - 1;
    if (n > 0)
        memcpy(dst, b.p, n);
    dst[n] = '\0';
}

static void *grow_cb(void *ctx, void *p, size_t old_size, size_t new_size)
{
    struct sess_dir *sd = ctx;
    struct cs_mem *m = &sd->ss->s->mem;
    if (new_size == 0) {
        mem_free(m, p, old_size);
        return NULL;
    }
    if (p == NULL)
        return mem_calloc(m, 1, new_size);
    return mem_realloc(m, p, old_size, new_size);
}

static void anomaly_cb(void *ctx, const char *type, enum pr_status st)
{
    struct sess_dir *sd = ctx;
    struct cs_sensor *s = sd->ss->s;
    if (strcmp(type, "tls.record_malformed") == 0)
        s->st.tls_records_malformed++;
    else if (strcmp(type, "tls.handshake_too_large") == 0)
        s->st.tls_handshake_too_large++;
    sensor_anomaly(s, sd->ss->f->id, type, pr_status_name(st));
}

/* ---- orientation ---------------------------------------------------------- */

/* The TLS client is the side that sent ClientHello (or, failing that, the
 * side whose messages only a client sends); a SYN decides when the
 * handshake itself does not. */
static void decide_client(struct session *ss)
{
    struct flow *f = ss->f;
    for (int d = 0; d < 2; d++) {
        if (ss->d[d].sent_client_hello) {
            f->client = (uint8_t)d;
            f->client_known = true;
            return;
        }
        if (ss->d[d].sent_server_hello) {
            f->client = (uint8_t)!d;
            f->client_known = true;
            return;
        }
    }
    if (f->client_known)
        return;
    int ev = ss->d[0].role_evidence - ss->d[1].role_evidence;
    if (ev != 0) {
        f->client = ev > 0 ? 1 : 0;
        return;
    }
    /* nothing else to go on: the well-known port is the server's */
    if (f->port[0] < 1024 && f->port[1] >= 1024)
        f->client = 1;
    else if (f->port[1] < 1024 && f->port[0] >= 1024)
        f->client = 0;
}

static void endpoint_of(const struct flow *f, int side, struct cs_endpoint *ep)
{
    ep->family = f->family;
    memcpy(ep->addr, f->addr[side], 16);
    ep->port = f->port[side];
}

/* ---- emission --------------------------------------------------------------- */

static void fill_chain(struct cs_sensor *s, const struct sess_dir *sd, struct cs_cert *out,
                       size_t *count, bool *truncated)
{
    *count = 0;
    *truncated = false;
    if (!sd->has_certs)
        return;
    size_t n = sd->certs.count < CS_CHAIN_MAX ? sd->certs.count : CS_CHAIN_MAX;
    for (size_t i = 0; i < n; i++) {
        const struct bytes *b = &sd->certs.certs[i];
        out[i].der = b->p;
        out[i].der_len = b->n;
        out[i].decrypted = sd->certs_decrypted;
        if (sd->certs_decrypted)
            s->st.certs_decrypted++;
        out[i].info = certcache_get(s->cc, b->p, b->n, &s->scratch, &s->st.cert_cache_hits,
                                    &s->st.cert_cache_misses, &out[i].x509);
        s->st.certs_seen++;
        if (!out[i].info->parsed)
            s->st.certs_unparsed++;
    }
    *count = n;
    *truncated = sd->certs.truncated || sd->certs.total > n;
    if (*truncated)
        s->st.tls_chain_truncated++;
}

static void emit_tls(struct session *ss, const char *state)
{
    struct cs_sensor *s = ss->s;
    struct flow *f = ss->f;
    if (ss->emitted || !ss->tls)
        return;
    ss->emitted = true;
    decide_client(ss);
    struct cs_tls *t = &ss->t;
    int c = f->client, sv = !f->client;
    t->flow_id = f->id;
    t->ts_us = s->now_us;
    t->flow_start_us = f->first_us;
    t->orientation_from_syn = f->client_from_syn;
    endpoint_of(f, c, &t->client);
    endpoint_of(f, sv, &t->server);
    t->state = state;
    t->from_proto = NULL;
    t->pre_tls = NULL;
    if (ss->app != NULL) {
        appflow_emit_mail(s, ss->app, f); /* the clear-text part comes first */
        t->pre_tls = appflow_mail(s, ss->app, f);
        if (t->pre_tls != NULL)
            t->from_proto = t->pre_tls->proto;
    }
    t->ja3_string = t->ja3[0] ? ss->ja3_str : NULL;
    t->ja3s_string = t->ja3s[0] ? ss->ja3s_str : NULL;
    if (t->alert_level != 0)
        t->alert_from_server = ss->alert_dir == sv;
    if (s->cls != NULL)
        classify_describe(s->cls, &f->app, t->app_proto, sizeof t->app_proto, t->app_category,
                          sizeof t->app_category, t->app_risks, sizeof t->app_risks);
    fill_chain(s, &ss->d[sv], t->server_certs, &t->server_cert_count, &t->server_chain_truncated);
    fill_chain(s, &ss->d[c], t->client_certs, &t->client_cert_count, &t->client_chain_truncated);
    t->exchange = ss->exchange_sni;
    if (!t->exchange && t->server_cert_count > 0) {
        const struct cs_cert_info *leaf = t->server_certs[0].info;
        for (size_t i = 0; i < leaf->san_count && !t->exchange; i++)
            if (leaf->san[i].type == CS_SAN_DNS)
                t->exchange =
                    appflow_is_exchange_name(s, leaf->san[i].value, strlen(leaf->san[i].value));
    }
    s->st.tls_sessions++;
    detect_enrich(s, t);
    struct cs_event ev = {.type = CS_EVENT_TLS, .u.tls = t};
    sensor_emit(s, &ev);
    detect_run(s, t); /* alerts follow the session they are about */
}

static void finish(struct session *ss, const char *state)
{
    emit_tls(ss, state);
    ss->done = true;
}

/* ---- handshake messages ---------------------------------------------------- */

static void on_client_hello(struct session *ss, struct sess_dir *sd, const uint8_t *b, size_t n)
{
    struct cs_tls *t = &ss->t;
    sd->role_evidence--;
    if (t->has_client_hello)
        return; /* the second ClientHello after a HelloRetryRequest */
    struct tls_client_hello ch;
    if (tls_parse_client_hello(b, n, &ch) != PR_OK) {
        ss->s->st.tls_handshake_malformed++;
        sensor_anomaly(ss->s, ss->f->id, "tls.client_hello_malformed", NULL);
        return;
    }
    sd->sent_client_hello = true;
    t->has_client_hello = true;
    if (ch.random.n == sizeof ss->client_random) {
        memcpy(ss->client_random, ch.random.p, sizeof ss->client_random);
        ss->have_client_random = true;
    }
    t->client_version = ch.max_version;
    copy_str(t->sni, sizeof t->sni, ch.sni);
    struct cur c = cur_make(ch.alpn.p, ch.alpn.n);
    while (!cur_empty(&c) && t->alpn_offered_count < CS_ALPN_MAX) {
        struct bytes name = cur_bytes(&c, cur_u8(&c));
        if (c.err)
            break;
        copy_str(t->alpn_offered[t->alpn_offered_count++], CS_ALPN_LEN_MAX, name);
    }
    ss->ch_sid_len = ch.session_id.n <= sizeof ss->ch_sid ? ch.session_id.n : 0;
    if (ss->ch_sid_len)
        memcpy(ss->ch_sid, ch.session_id.p, ss->ch_sid_len);
    ss->exchange_sni = ch.sni.n > 0 && appflow_is_exchange_name(ss->s, t->sni, strlen(t->sni));
    ja3_client(&ch, ss->ja3_str, sizeof ss->ja3_str, t->ja3);
    ja4_client(&ch, t->ja4);
    if (!ss->f->client_from_syn) {
        ss->f->client = sd->dir;
        ss->f->client_known = true;
    }
}

static bool decrypt_buffers(struct session *ss)
{
    struct cs_sensor *s = ss->s;
    if (ss->rec_buf == NULL)
        ss->rec_buf = mem_calloc(&s->mem, 1, TLS_RECORD_HDR + TLS_RECORD_BODY_MAX);
    if (ss->plain_buf == NULL)
        ss->plain_buf = mem_calloc(&s->mem, 1, TLS_DECRYPT_OUT_MAX);
    if (ss->rec_buf == NULL || ss->plain_buf == NULL) {
        sensor_anomaly(s, ss->f->id, "tls.decrypt_memcap", NULL);
        return false;
    }
    return true;
}

/* RFC 8446 7.1: handshake traffic secrets from the key log, when present
 * for this ClientHello's random. `srv` is the direction that sent ServerHello. */
static bool tls13_keys(struct session *ss, struct sess_dir *srv, uint16_t suite)
{
    struct cs_sensor *s = ss->s;
    if (s->kl == NULL || !ss->have_client_random)
        return false;
    struct keylog_entry e;
    if (!keylog_lookup(s->kl, ss->client_random, &e) || e.secret[KEYLOG_CLIENT_HS].n == 0 ||
        e.secret[KEYLOG_SERVER_HS].n == 0) {
        if (!ss->awaiting_keys)
            s->st.tls_keys_missing++; /* once per session, not per retry */
        return false;
    }
    struct sess_dir *cli = &ss->d[!srv->dir];
    if (tls_dir_keys_tls13(&srv->keys, suite, e.secret[KEYLOG_SERVER_HS].p,
                           e.secret[KEYLOG_SERVER_HS].n) != PR_OK ||
        tls_dir_keys_tls13(&cli->keys, suite, e.secret[KEYLOG_CLIENT_HS].p,
                           e.secret[KEYLOG_CLIENT_HS].n) != PR_OK) {
        sensor_anomaly(s, ss->f->id, "tls.decrypt_unsupported_suite", NULL);
        tls_dir_keys_free(&srv->keys);
        tls_dir_keys_free(&cli->keys);
        return false;
    }
    if (!decrypt_buffers(ss))
        return false;
    for (int d = 0; d < 2; d++) {
        ss->d[d].have_keys = true;
        ss->d[d].rec.want_protected = true;
        tls_hs_init(&ss->d[d].dec_hs, s->cfg.hs_msg_max);
    }
    ss->decrypting = true;
    s->st.tls_sessions_decrypted++;
    return true;
}

/* RFC 5246 6.3: the key block from CLIENT_RANDOM's master secret. In a
 * renegotiation (RFC 5746) the new keys wait for each side's next CCS. */
static bool tls12_keys(struct session *ss, struct sess_dir *srv, const struct tls_server_hello *sh)
{
    struct cs_sensor *s = ss->s;
    if (s->kl == NULL || !ss->have_client_random || sh->random.n != 32)
        return false;
    struct keylog_entry e;
    if (!keylog_lookup(s->kl, ss->client_random, &e) || e.secret[KEYLOG_MASTER_SECRET].n == 0) {
        s->st.tls_keys_missing++;
        return false;
    }
    bool etm = false; /* RFC 7366: encrypt_then_mac extension (22) in ServerHello */
    struct tls_ext_iter it;
    uint16_t type;
    struct bytes body;
    tls_ext_iter_init(&it, sh->extensions);
    while (tls_ext_next(&it, &type, &body))
        if (type == 22)
            etm = true;
    struct sess_dir *cli = &ss->d[!srv->dir];
    struct tls_dir_keys *ck = ss->renego ? &cli->pending : &cli->keys;
    struct tls_dir_keys *sk = ss->renego ? &srv->pending : &srv->keys;
    if (tls_dir_keys_tls12(ck, sk, sh->cipher_suite, sh->version, etm,
                           e.secret[KEYLOG_MASTER_SECRET].p, e.secret[KEYLOG_MASTER_SECRET].n,
                           ss->client_random, sh->random.p) != PR_OK) {
        sensor_anomaly(s, ss->f->id, "tls.decrypt_unsupported_suite", NULL);
        return false;
    }
    if (!decrypt_buffers(ss))
        return false;
    for (int d = 0; d < 2; d++) {
        ss->d[d].has_pending = ss->renego;
        if (ss->renego)
            continue;
        ss->d[d].have_keys = true;
        ss->d[d].rec.want_protected = true;
        tls_hs_init(&ss->d[d].dec_hs, s->cfg.hs_msg_max);
    }
    if (!ss->renego)
        s->st.tls_sessions_decrypted++;
    ss->decrypting = true;
    return true;
}

/* Hold this TLS 1.3 session's protected records for a while when a key
 * log is configured but has no keys for it yet (live capture: the client
 * writes its keys as it goes). */
static bool await_keys(struct session *ss, struct sess_dir *srv, uint16_t suite)
{
    struct cs_sensor *s = ss->s;
    if (s->kl == NULL || s->cfg.key_wait_bytes == 0 || s->cfg.key_wait_ms == 0)
        return false;
    ss->awaiting_keys = true;
    ss->srv_dir = srv->dir;
    ss->suite = suite;
    ss->wait_until_us = s->now_us + (int64_t)s->cfg.key_wait_ms * 1000;
    for (int d = 0; d < 2; d++)
        ss->d[d].rec.want_protected = true;
    return true;
}

static void hold_record(struct session *ss, int dir, uint8_t type, uint16_t version,
                        const uint8_t *body, size_t len)
{
    struct cs_sensor *s = ss->s;
    size_t need = 6 + len;
    if (body == NULL || need > s->cfg.key_wait_bytes - ss->held_len ||
        ss->held_len > s->cfg.key_wait_bytes) {
        ss->awaiting_keys = false; /* [KEY-WAIT-BOUND] gave up: certificates stay unseen */
        s->st.tls_key_wait_expired++;
        finish(ss, "bypassed");
        return;
    }
    if (ss->held_size < ss->held_len + need) {
        size_t ns = s->cfg.key_wait_bytes;
        uint8_t *nb = ss->held == NULL ? mem_calloc(&s->mem, 1, ns)
                                       : mem_realloc(&s->mem, ss->held, ss->held_size, ns);
        if (nb == NULL) {
            ss->awaiting_keys = false;
            finish(ss, "bypassed");
            return;
        }
        ss->held = nb;
        ss->held_size = ns;
    }
    uint8_t *q = ss->held + ss->held_len;
    q[0] = (uint8_t)dir;
    q[1] = type;
    q[2] = (uint8_t)(version >> 8);
    q[3] = (uint8_t)version;
    q[4] = (uint8_t)(len >> 8);
    q[5] = (uint8_t)len;
    memcpy(q + 6, body, len);
    ss->held_len += need;
}

static void decrypt_record(struct session *ss, struct sess_dir *sd, uint8_t type,
                           uint16_t version, const uint8_t *body, size_t len);

/* Keys may have arrived: set them up and replay what was held, in order. */
static void retry_keys(struct session *ss)
{
    struct cs_sensor *s = ss->s;
    if (!tls13_keys(ss, &ss->d[ss->srv_dir], ss->suite))
        return;
    s->st.tls_keys_late++;
    s->st.tls_keys_missing--; /* counted when the ServerHello found none: "missing" means never */
    ss->awaiting_keys = false;
    ss->t.certs_encrypted = false;
    size_t off = 0;
    while (off + 6 <= ss->held_len && !ss->done) {
        const uint8_t *q = ss->held + off;
        size_t len = (size_t)q[4] << 8 | q[5];
        decrypt_record(ss, &ss->d[q[0] & 1], q[1], (uint16_t)(q[2] << 8 | q[3]), q + 6, len);
        off += 6 + len;
    }
    /* [LATE-KEYS-UAF] ss->app stays: it is the flow's, freed by session_free() (it was
     * freed here and then again there) */
    mem_free(&s->mem, ss->held, ss->held_size);
    ss->held = NULL;
    ss->held_len = ss->held_size = 0;
}

static void on_server_hello(struct session *ss, struct sess_dir *sd, const uint8_t *b, size_t n)
{
    struct cs_tls *t = &ss->t;
    sd->role_evidence++;
    struct tls_server_hello sh;
    if (tls_parse_server_hello(b, n, &sh) != PR_OK) {
        ss->s->st.tls_handshake_malformed++;
        sensor_anomaly(ss->s, ss->f->id, "tls.server_hello_malformed", NULL);
        return;
    }
    sd->sent_server_hello = true;
    if (sh.is_hello_retry_request)
        return; /* a real ServerHello follows the client's second hello */
    t->has_server_hello = true;
    t->version = sh.version;
    t->cipher_suite = sh.cipher_suite;
    copy_str(t->alpn, sizeof t->alpn, sh.alpn);
    ja3_server(&sh, ss->ja3s_str, sizeof ss->ja3s_str, t->ja3s);
    if (!ss->f->client_from_syn) {
        ss->f->client = (uint8_t)!sd->dir;
        ss->f->client_known = true;
    }
    if (sh.version == 0x0304) {
        /* RFC 8446 2: everything after ServerHello is encrypted */
        t->resumed = sh.has_pre_shared_key;
        if (tls13_keys(ss, sd, sh.cipher_suite))
            return; /* follow the encrypted handshake */
        t->certs_encrypted = !sh.has_pre_shared_key;
        if (!sh.has_pre_shared_key && await_keys(ss, sd, sh.cipher_suite))
            return; /* a key log is being followed: its keys may come later */
        finish(ss, "bypassed");
        return;
    }
    if (ss->ch_sid_len > 0 && sh.session_id.n == ss->ch_sid_len &&
        memcmp(sh.session_id.p, ss->ch_sid, ss->ch_sid_len) == 0)
        t->resumed = true;
    tls12_keys(ss, sd, &sh);
}

static void on_certificate(struct session *ss, struct sess_dir *sd, const uint8_t *b, size_t n)
{
    struct cs_sensor *s = ss->s;
    if (sd->has_certs) {
        sensor_anomaly(s, ss->f->id, "tls.certificate_repeated", NULL);
        return;
    }
    uint8_t *copy = n ? mem_calloc(&s->mem, 1, n) : NULL;
    if (n && copy == NULL) {
        sensor_anomaly(s, ss->f->id, "tls.certificate_memcap", NULL);
        return;
    }
    if (n)
        memcpy(copy, b, n);
    bool tls13 = ss->t.version == 0x0304;
    enum pr_status st = tls_parse_certificate(copy, n, tls13, &sd->certs);
    if (st != PR_OK) {
        mem_free(&s->mem, copy, n);
        memset(&sd->certs, 0, sizeof sd->certs);
        s->st.tls_handshake_malformed++;
        sensor_anomaly(s, ss->f->id, "tls.certificate_malformed", pr_status_name(st));
        return;
    }
    sd->cert_msg = copy;
    sd->cert_msg_size = n;
    sd->has_certs = true;
    sd->certs_decrypted = sd->in_plaintext;
}

/* TLS 1.3 to an Exchange endpoint: the client's application traffic
 * secret lets the sensor read its EWS requests (bounded by decrypt_watch). */
static bool ews_keys(struct session *ss, struct sess_dir *cli)
{
    struct cs_sensor *s = ss->s;
    struct keylog_entry e;
    if (!ss->exchange_sni || s->cfg.decrypt_watch == 0 || s->kl == NULL ||
        !keylog_lookup(s->kl, ss->client_random, &e) || e.secret[KEYLOG_CLIENT_AP0].n == 0)
        return false;
    if (tls_dir_keys_tls13(&cli->keys, ss->t.cipher_suite, e.secret[KEYLOG_CLIENT_AP0].p,
                           e.secret[KEYLOG_CLIENT_AP0].n) != PR_OK)
        return false;
    if (ss->app == NULL)
        ss->app = appflow_new(s);
    ss->ews_watch = ss->app != NULL;
    return ss->ews_watch;
}

/* RFC 5746: a ClientHello under the session's keys starts a new handshake;
 * it gets a session record (and a tls event) of its own. */
static void start_renegotiation(struct session *ss)
{
    struct cs_sensor *s = ss->s;
    for (int d = 0; d < 2; d++) {
        struct sess_dir *sd = &ss->d[d];
        mem_free(&s->mem, sd->cert_msg, sd->cert_msg_size);
        sd->cert_msg = NULL;
        sd->cert_msg_size = 0;
        sd->has_certs = false;
        sd->certs_decrypted = false;
        sd->sent_client_hello = sd->sent_server_hello = sd->sent_hello_done = false;
        sd->ccs_protected = false;
        memset(&sd->certs, 0, sizeof sd->certs);
    }
    memset(&ss->t, 0, sizeof ss->t);
    ss->t.renegotiation = true;
    ss->emitted = false;
    ss->renego = true;
    ss->have_client_random = false;
    ss->ch_sid_len = 0;
}

static void handshake_cb(void *ctx, uint8_t type, const uint8_t *body, size_t len)
{
    struct sess_dir *sd = ctx;
    struct session *ss = sd->ss;
    if (ss->done)
        return;
    switch (type) {
    case TLS_HS_CLIENT_HELLO:
        if (sd->in_plaintext && ss->emitted && !ss->renego)
            start_renegotiation(ss);
        on_client_hello(ss, sd, body, len);
        break;
    case TLS_HS_SERVER_HELLO:
        on_server_hello(ss, sd, body, len);
        break;
    case TLS_HS_CERTIFICATE:
        on_certificate(ss, sd, body, len);
        break;
    case TLS_HS_CERTIFICATE_REQUEST:
        ss->t.client_cert_requested = true;
        sd->role_evidence++;
        break;
    case TLS_HS_SERVER_HELLO_DONE:
        sd->sent_hello_done = true;
        sd->role_evidence++;
        break;
    case TLS_HS_SERVER_KEY_EXCHANGE:
    case TLS_HS_NEW_SESSION_TICKET:
    case TLS_HS_CERTIFICATE_STATUS:
        sd->role_evidence++;
        break;
    case TLS_HS_CLIENT_KEY_EXCHANGE:
    case TLS_HS_CERTIFICATE_VERIFY:
        sd->role_evidence--;
        break;
    case TLS_HS_FINISHED:
        if (sd->in_plaintext && ss->t.version == 0x0304) {
            sd->finished = true;
            /* RFC 8446 4.4.4: the client's Finished ends the handshake */
            if (sd->dir == ss->f->client && ss->f->client_known) {
                if (ews_keys(ss, sd))
                    emit_tls(ss, "complete"); /* keep reading the client's requests, bounded */
                else
                    finish(ss, "complete");
            } else if (sd->dir != ss->f->client && ss->exchange_sni) {
                sd->have_keys = false; /* responses are not needed */
            }
        }
        break;
    default:
        break;
    }
}

static void ccs_cb(void *ctx)
{
    struct sess_dir *sd = ctx;
    struct session *ss = sd->ss;
    if (ss->done)
        return;
    sd->ccs = true;
    /* RFC 8446 D.4: middlebox-compatibility CCS (also around a
     * HelloRetryRequest, before the real ServerHello) is not an end */
    if (ss->t.version == 0x0304 || !ss->t.has_server_hello) {
        /* and what follows is not protected by it: TLS 1.3 protects with
         * its own record type, and a second ClientHello / the real
         * ServerHello after a HelloRetryRequest are clear text */
        sd->rec.protect = false;
        return;
    }
    /* RFC 5246 7.3: an abbreviated handshake goes ServerHello -> CCS */
    if (sd->sent_server_hello && !sd->sent_hello_done && !sd->has_certs)
        ss->t.resumed = true;
    if (ss->d[0].ccs && ss->d[1].ccs) {
        if (ss->decrypting && ss->s->cfg.decrypt_watch > 0)
            emit_tls(ss, "complete"); /* keep decrypting a while: renegotiation */
        else
            finish(ss, "complete");
    }
}

static void alert_cb(void *ctx, uint8_t level, uint8_t desc)
{
    struct sess_dir *sd = ctx;
    struct session *ss = sd->ss;
    if (ss->done)
        return;
    if (ss->t.alert_level == 0) {
        ss->t.alert_level = level;
        ss->t.alert_desc = desc;
        ss->alert_dir = sd->dir;
        /* a server's alert after the client's Certificate: a rejected client certificate */
        ss->t.alert_after_client_cert = ss->d[!sd->dir].has_certs;
    }
    if (level == 2)
        finish(ss, "alert");
}

static void make_ops(struct sess_dir *sd, struct tls_rec_ops *ops);

static int64_t s_now(const struct session *ss)
{
    return ss->s->now_us;
}

/* One protected record of a direction whose keys are known: decrypt it
 * and hand the plaintext to the same handshake/alert code as clear text. */
static void decrypt_record(struct session *ss, struct sess_dir *sd, uint8_t type,
                           uint16_t version, const uint8_t *body, size_t len)
{
    struct cs_sensor *s = ss->s;
    if (body == NULL || len > TLS_RECORD_BODY_MAX)
        return;
    uint8_t *rec = ss->rec_buf;
    rec[0] = type;
    rec[1] = (uint8_t)(version >> 8);
    rec[2] = (uint8_t)version;
    rec[3] = (uint8_t)(len >> 8);
    rec[4] = (uint8_t)len;
    memcpy(rec + TLS_RECORD_HDR, body, len);
    uint64_t seq = sd->keys.seq;
    struct tls_plain res;
    enum pr_status st = tls_decrypt_record(&sd->keys, rec, TLS_RECORD_HDR + len, ss->plain_buf,
                                           TLS_DECRYPT_OUT_MAX, &res);
    if (st == PR_UNSUPPORTED)
        return; /* not a protected record for these keys (e.g. a clear alert) */
    if (st != PR_OK) {
        /* [DECRYPT-TAG] a record that does not authenticate is counted, never
         * parsed; the sequence number is kept for the next one (0-RTT data
         * the server skipped looks like this too) */
        sd->keys.seq = seq;
        s->st.tls_decrypt_errors++;
        sensor_anomaly(s, ss->f->id, "tls.decrypt_failed", pr_status_name(st));
        return;
    }
    if (ss->emitted && !ss->renego) {
        /* [DECRYPT-WATCH] after a TLS 1.2 handshake only a bounded amount is
         * decrypted, looking for a renegotiation; then the flow is bypassed */
        sd->watched += len;
        if (ss->d[0].watched + ss->d[1].watched > 2 * s->cfg.decrypt_watch) {
            ss->done = true;
            return;
        }
    }
    struct tls_rec_ops ops;
    make_ops(sd, &ops);
    switch (res.content_type) {
    case TLS_CT_HANDSHAKE:
        sd->in_plaintext = true;
        tls_hs_feed(&sd->dec_hs, &ops, ss->plain_buf, res.len);
        sd->in_plaintext = false;
        break;
    case TLS_CT_ALERT:
        if (res.len >= 2)
            ops.alert(ops.ctx, ss->plain_buf[0], ss->plain_buf[1]);
        break;
    case TLS_CT_CHANGE_CIPHER_SPEC:
        /* a renegotiation's CCS travels under the old keys; the new keys
         * start with this direction's next record */
        if (sd->has_pending) {
            tls_dir_keys_free(&sd->keys);
            sd->keys = sd->pending; /* moved: the OpenSSL contexts go with it */
            memset(&sd->pending, 0, sizeof sd->pending);
            sd->has_pending = false;
        } else if (ss->renego) {
            /* the key log has no secret for the renegotiated session: what
             * follows in this direction cannot be read (counted once as
             * tls_keys_missing when the ServerHello was seen) */
            sd->have_keys = false;
        }
        sd->ccs_protected = true;
        if (ss->renego && ss->d[0].ccs_protected && ss->d[1].ccs_protected)
            finish(ss, "complete");
        break;
    case TLS_CT_APPLICATION_DATA:
        /* after the handshake: the client's requests (EWS), when watched */
        sd->appdata = true;
        if (sd->dir == ss->f->client && ss->emitted && (ss->ews_watch || ss->exchange_sni)) {
            if (ss->app == NULL)
                ss->app = appflow_new(s);
            if (ss->app != NULL)
                appflow_plain(s, ss->app, ss->f, ss->t.sni, ss->plain_buf, res.len);
        }
        break;
    default:
        break;
    }
}

static void protected_cb(void *ctx, uint8_t type, uint16_t version, const uint8_t *body,
                         size_t len)
{
    struct sess_dir *sd = ctx;
    struct session *ss = sd->ss;
    if (ss->done)
        return;
    if (ss->decrypting && sd->have_keys) {
        decrypt_record(ss, sd, type, version, body, len);
        return;
    }
    if (ss->awaiting_keys) {
        if (s_now(ss) > ss->wait_until_us) {
            ss->awaiting_keys = false;
            ss->s->st.tls_key_wait_expired++;
            finish(ss, "bypassed");
            return;
        }
        hold_record(ss, sd->dir, type, version, body, len);
        if (ss->awaiting_keys)
            retry_keys(ss);
        return;
    }
    if (type != TLS_CT_APPLICATION_DATA || ss->emitted)
        return; /* after the event: a bounded watch, nothing more to decide */
    sd->appdata = true;
    /* application data both ways: the handshake is over even if a
     * ChangeCipherSpec was not captured */
    if (ss->d[0].appdata && ss->d[1].appdata)
        finish(ss, "complete");
}

static void make_ops(struct sess_dir *sd, struct tls_rec_ops *ops)
{
    ops->handshake = handshake_cb;
    ops->ccs = ccs_cb;
    ops->alert = alert_cb;
    ops->protected_record = protected_cb;
    ops->anomaly = anomaly_cb;
    ops->grow = grow_cb;
    ops->ctx = sd;
}

/* ---- finding TLS in a stream --------------------------------------------------- */

static bool hs_type_known(uint8_t t)
{
    switch (t) {
    case TLS_HS_CLIENT_HELLO:
    case TLS_HS_SERVER_HELLO:
    case TLS_HS_NEW_SESSION_TICKET:
    case TLS_HS_CERTIFICATE:
    case TLS_HS_SERVER_KEY_EXCHANGE:
    case TLS_HS_CERTIFICATE_REQUEST:
    case TLS_HS_SERVER_HELLO_DONE:
    case TLS_HS_CERTIFICATE_VERIFY:
    case TLS_HS_CLIENT_KEY_EXCHANGE:
    case TLS_HS_CERTIFICATE_STATUS:
        return true;
    default:
        return false;
    }
}

/* Offset of the first plausible TLS handshake record in p[0..n), or n.
 * A candidate must carry a known handshake type, and the record after it
 * (when the chunk holds its header) must look like a record too. */
static size_t find_tls_start(const uint8_t *p, size_t n, bool stream_start)
{
    if (stream_start && n >= 4 && (p[0] & 0x80) && p[2] == 1 && p[3] == 3)
        return 0; /* SSLv2-framed ClientHello */
    for (size_t i = 0; i + TLS_RECORD_HDR <= n; i++) {
        const uint8_t *q = memchr(p + i, TLS_CT_HANDSHAKE, n - i - TLS_RECORD_HDR + 1);
        if (q == NULL)
            break;
        i = (size_t)(q - p);
        size_t left = n - i;
        if (!tls_record_header_plausible(q, left))
            continue;
        if (left > TLS_RECORD_HDR && !hs_type_known(q[TLS_RECORD_HDR]))
            continue;
        size_t next = TLS_RECORD_HDR + ((size_t)q[3] << 8 | q[4]);
        if (next + TLS_RECORD_HDR <= left && !tls_record_header_plausible(q + next, left - next))
            continue;
        if (next < left && next + TLS_RECORD_HDR > left &&
            (q[next] < TLS_CT_CHANGE_CIPHER_SPEC || q[next] > TLS_CT_APPLICATION_DATA))
            continue;
        return i;
    }
    return n;
}

/* ---- public ----------------------------------------------------------------------- */

bool session_attach(struct cs_sensor *s, struct flow *f)
{
    if (f->sess != NULL)
        return true;
    struct session *ss = mem_calloc(&s->mem, 1, sizeof *ss);
    if (ss == NULL)
        return false;
    ss->s = s;
    ss->f = f;
    for (int d = 0; d < 2; d++) {
        ss->d[d].ss = ss;
        ss->d[d].dir = (uint8_t)d;
        tls_rec_init(&ss->d[d].rec, s->cfg.hs_msg_max);
    }
    f->sess = ss;
    return true;
}

void session_free(struct cs_sensor *s, struct flow *f)
{
    struct session *ss = f->sess;
    if (ss == NULL)
        return;
    for (int d = 0; d < 2; d++) {
        struct tls_rec_ops ops;
        make_ops(&ss->d[d], &ops);
        tls_rec_release(&ss->d[d].rec, &ops);
        tls_hs_release(&ss->d[d].dec_hs, &ops);
        tls_dir_keys_free(&ss->d[d].keys);
        tls_dir_keys_free(&ss->d[d].pending);
        mem_free(&s->mem, ss->d[d].cert_msg, ss->d[d].cert_msg_size);
    }
    appflow_free(s, ss->app);
    mem_free(&s->mem, ss->held, ss->held_size);
    mem_free(&s->mem, ss->rec_buf, TLS_RECORD_HDR + TLS_RECORD_BODY_MAX);
    mem_free(&s->mem, ss->plain_buf, TLS_DECRYPT_OUT_MAX);
    mem_free(&s->mem, ss, sizeof *ss);
    f->sess = NULL;
}

void session_data(struct cs_sensor *s, struct flow *f, int dir, const uint8_t *p, size_t n)
{
    struct session *ss = f->sess;
    if (ss == NULL || ss->done || n == 0)
        return;
    struct sess_dir *sd = &ss->d[dir];
    if (sd->mode == DM_NONE)
        return;
    /* a stream that opens with a TLS record needs no clear-text protocol */
    bool direct_tls = sd->mode == DM_PROBE && sd->probed == 0 && ss->app == NULL && n > 0 &&
                      p[0] == TLS_CT_HANDSHAKE && tls_record_header_plausible(p, n);
    if (sd->mode == DM_PROBE && !direct_tls) {
        if (ss->app == NULL)
            ss->app = appflow_new(s); /* NULL under memcap: the generic probe still runs */
        if (ss->app != NULL) {
            bool claimed = false;
            size_t at = appflow_clear(s, ss->app, f, dir, p, n, &claimed);
            if (claimed) {
                if (at == SIZE_MAX || at > n) {
                    if (!appflow_following(ss->app)) { /* clear text only, budget spent */
                        appflow_emit_mail(s, ss->app, f);
                        ss->done = true;
                    }
                    return;
                }
                /* STARTTLS accepted: TLS from here on this direction */
                sd->mode = DM_TLS;
                ss->tls = true;
                ss->cleartext_before = true;
                p += at;
                n -= at;
                if (n == 0)
                    return;
                struct tls_rec_ops ops;
                make_ops(sd, &ops);
                tls_rec_feed(&sd->rec, &ops, p, n);
                return;
            }
            if (dir == f->client)
                appflow_clear_http(s, ss->app, f, p, n);
        }
    }
    if (sd->mode == DM_PROBE || sd->rec.desync) {
        size_t at = find_tls_start(p, n, sd->mode == DM_PROBE && sd->probed == 0);
        if (at == n) {
            if (sd->mode == DM_PROBE) {
                sd->probed += n;
                if (sd->probed > s->cfg.probe_bytes && !appflow_http_active(ss->app)) {
                    sd->mode = DM_NONE;
                    if (ss->d[!dir].mode == DM_NONE ||
                        (ss->d[!dir].mode == DM_PROBE && !ss->tls && f->bytes[!dir] > 0 &&
                         ss->d[!dir].probed > s->cfg.probe_bytes))
                        ss->done = true;
                }
            }
            return;
        }
        if (sd->mode == DM_PROBE) {
            if (sd->probed + at > 0)
                ss->cleartext_before = true;
            sd->mode = DM_TLS;
            ss->tls = true;
        }
        p += at;
        n -= at;
    }
    struct tls_rec_ops ops;
    make_ops(sd, &ops);
    tls_rec_feed(&sd->rec, &ops, p, n);
}

void session_gap(struct cs_sensor *s, struct flow *f, int dir, size_t n)
{
    (void)s;
    struct session *ss = f->sess;
    if (ss == NULL || ss->done)
        return;
    struct sess_dir *sd = &ss->d[dir];
    if (sd->mode == DM_PROBE) {
        sd->probed += n;
        return;
    }
    if (sd->mode == DM_TLS) {
        struct tls_rec_ops ops;
        make_ops(sd, &ops);
        tls_rec_gap(&sd->rec, &ops);
    }
}

void session_end(struct cs_sensor *s, struct flow *f, const char *state)
{
    struct session *ss = f->sess;
    if (ss == NULL)
        return;
    if (ss->app != NULL && !ss->tls)
        appflow_emit_mail(s, ss->app, f); /* a mail session that never went to TLS */
    if (ss->awaiting_keys && !ss->done) {
        retry_keys(ss); /* the key log may have grown since the last record */
        if (ss->awaiting_keys)
            s->st.tls_key_wait_expired++;
    }
    emit_tls(ss, state);
    session_free(s, f);
}

bool session_done(const struct flow *f)
{
    return f->sess != NULL && f->sess->done;
}

bool session_is_tls(const struct flow *f)
{
    return f->sess != NULL && f->sess->tls;
}
