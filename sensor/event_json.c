/* JSON rendering of events (the contract in the README). Field names
 * follow Suricata's EVE where Suricata has the field. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "certsensor.h"
#include "json.h"
#include "tls_handshake.h"

static void ts_str(int64_t us, char out[80])
{
    int64_t sec = us / 1000000, frac = us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        sec -= 1;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) {
        snprintf(out, 80, "1970-01-01T00:00:00.000000+0000");
        return;
    }
    snprintf(out, 80, "%04d-%02d-%02dT%02d:%02d:%02d.%06d+0000", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
}

/* Suricata's notbefore/notafter: "2016-07-13T09:37:00" */
static void time_str(int64_t sec, char out[80])
{
    time_t t = (time_t)sec;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) {
        out[0] = '\0';
        return;
    }
    snprintf(out, 80, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void cs_hex(const uint8_t *p, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[p[i] >> 4];
        out[2 * i + 1] = hex[p[i] & 15];
    }
    out[2 * n] = '\0';
}

void cs_endpoint_str(const struct cs_endpoint *ep, char *out, size_t cap)
{
    if (cap == 0)
        return;
    if (ep->family == 4) {
        snprintf(out, cap, "%u.%u.%u.%u", ep->addr[0], ep->addr[1], ep->addr[2], ep->addr[3]);
        return;
    }
    /* RFC 5952: lowercase, longest run of zero groups (>1) as "::" */
    uint16_t g[8];
    for (int i = 0; i < 8; i++)
        g[i] = (uint16_t)(ep->addr[2 * i] << 8 | ep->addr[2 * i + 1]);
    int best = -1, bestlen = 0;
    for (int i = 0; i < 8;) {
        if (g[i] != 0) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > bestlen && j - i > 1) {
            best = i;
            bestlen = j - i;
        }
        i = j;
    }
    char buf[48];
    size_t n = 0;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            n += (size_t)snprintf(buf + n, sizeof buf - n, "::");
            i += bestlen - 1;
            continue;
        }
        bool after_gap = best >= 0 && i == best + bestlen;
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%x", (i == 0 || after_gap) ? "" : ":",
                              g[i]);
    }
    snprintf(out, cap, "%s", buf);
}

static void common(struct jw *w, int64_t ts_us, uint64_t flow_id, const char *type)
{
    char ts[80];
    ts_str(ts_us, ts);
    jw_str(w, "timestamp", ts);
    if (flow_id)
        jw_u64(w, "flow_id", flow_id);
    jw_str(w, "event_type", type);
}

static char upper_hex(char c)
{
    return (char)(c >= 'a' && c <= 'f' ? c - 'a' + 'A' : c);
}

/* "23a76" -> "02:3A:76" (Suricata's tls.serial) */
static void serial_colon(const char *hex, char *out, size_t cap)
{
    const char *p = hex[0] == '-' ? hex + 1 : hex;
    size_t n = strlen(p), o = 0, i = 0;
    while (i < n && o + 4 < cap) {
        if (o > 0)
            out[o++] = ':';
        if (i == 0 && n % 2) {
            out[o++] = '0';
            out[o++] = upper_hex(p[0]);
            i = 1;
            continue;
        }
        out[o++] = upper_hex(p[i]);
        out[o++] = upper_hex(p[i + 1]);
        i += 2;
    }
    out[o] = '\0';
}

static void sha1_colon(const uint8_t *p, char out[60])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < 20; i++) {
        if (i)
            out[o++] = ':';
        out[o++] = hex[p[i] >> 4];
        out[o++] = hex[p[i] & 15];
    }
    out[o] = '\0';
}

static void san_list(struct jw *w, const char *key, const struct cs_cert_info *ci,
                     enum cs_san_type type)
{
    jw_arr_open(w, key);
    for (size_t i = 0; i < ci->san_count; i++)
        if (ci->san[i].type == type)
            jw_str(w, NULL, ci->san[i].value);
    jw_arr_close(w);
}

static void cert_obj(struct jw *w, const struct cs_cert *c)
{
    const struct cs_cert_info *ci = c->info;
    char t[80];
    jw_obj_open(w, NULL);
    jw_hex(w, "sha1", ci->sha1, 20);
    jw_hex(w, "sha256", ci->sha256, 32);
    if (ci->has_spki)
        jw_hex(w, "spki_sha256", ci->spki_sha256, 32);
    else
        jw_null(w, "spki_sha256");
    jw_u64(w, "der_len", c->der_len);
    jw_bool(w, "parsed", ci->parsed);
    jw_bool(w, "decrypted", c->decrypted);
    if (ci->parsed) {
        jw_str(w, "subject", ci->subject);
        jw_str(w, "issuer", ci->issuer);
        jw_str(w, "serial", ci->serial);
        if (ci->validity_ok) {
            time_str(ci->not_before, t);
            jw_str(w, "not_before", t);
            time_str(ci->not_after, t);
            jw_str(w, "not_after", t);
        } else {
            jw_null(w, "not_before");
            jw_null(w, "not_after");
        }
        jw_obj_open(w, "san");
        san_list(w, "dns", ci, CS_SAN_DNS);
        san_list(w, "ip", ci, CS_SAN_IP);
        san_list(w, "email", ci, CS_SAN_EMAIL);
        san_list(w, "uri", ci, CS_SAN_URI);
        jw_obj_close(w);
        if (ci->san_truncated)
            jw_bool(w, "san_truncated", true);
        jw_obj_open(w, "key");
        jw_str(w, "type", ci->key_type);
        jw_i64(w, "bits", ci->key_bits);
        if (ci->key_curve[0])
            jw_str(w, "curve", ci->key_curve);
        jw_obj_close(w);
        jw_str(w, "sig_alg", ci->sig_alg);
        jw_bool(w, "is_ca", ci->is_ca);
        jw_bool(w, "self_signed", ci->self_signed);
    }
    jw_obj_close(w);
}

static void chain(struct jw *w, const char *key, const struct cs_cert *c, size_t n)
{
    jw_arr_open(w, key);
    for (size_t i = 0; i < n; i++)
        cert_obj(w, &c[i]);
    jw_arr_close(w);
}

static const char *alert_name(uint8_t d)
{
    /* RFC 8446 6 / RFC 5246 7.2 AlertDescription */
    switch (d) {
    case 0: return "close_notify";
    case 10: return "unexpected_message";
    case 20: return "bad_record_mac";
    case 22: return "record_overflow";
    case 40: return "handshake_failure";
    case 42: return "bad_certificate";
    case 43: return "unsupported_certificate";
    case 44: return "certificate_revoked";
    case 45: return "certificate_expired";
    case 46: return "certificate_unknown";
    case 47: return "illegal_parameter";
    case 48: return "unknown_ca";
    case 49: return "access_denied";
    case 50: return "decode_error";
    case 51: return "decrypt_error";
    case 70: return "protocol_version";
    case 71: return "insufficient_security";
    case 80: return "internal_error";
    case 86: return "inappropriate_fallback";
    case 90: return "user_canceled";
    case 100: return "no_renegotiation";
    case 109: return "missing_extension";
    case 110: return "unsupported_extension";
    case 112: return "unrecognized_name";
    case 113: return "bad_certificate_status_response";
    case 115: return "unknown_psk_identity";
    case 116: return "certificate_required";
    case 120: return "no_application_protocol";
    default: return "unknown";
    }
}

static void ends(struct jw *w, const struct cs_endpoint *c, const struct cs_endpoint *sv,
                 const char *app)
{
    char ip[64];
    cs_endpoint_str(c, ip, sizeof ip);
    jw_str(w, "src_ip", ip);
    jw_u64(w, "src_port", c->port);
    cs_endpoint_str(sv, ip, sizeof ip);
    jw_str(w, "dest_ip", ip);
    jw_u64(w, "dest_port", sv->port);
    jw_str(w, "proto", "TCP");
    jw_str(w, "app_proto", app);
}

static void endpoints(struct jw *w, const struct cs_tls *t)
{
    ends(w, &t->client, &t->server, "tls");
    if (t->client_geo.has_country || t->client_geo.has_asn || t->server_geo.has_country ||
        t->server_geo.has_asn) {
        jw_obj_open(w, "geoip");
        const struct cs_geo *g[2] = {&t->client_geo, &t->server_geo};
        const char *k[2] = {"src", "dest"};
        for (int i = 0; i < 2; i++) {
            jw_obj_open(w, k[i]);
            if (g[i]->has_country)
                jw_str(w, "country", g[i]->country);
            if (g[i]->has_asn) {
                jw_u64(w, "asn", g[i]->asn);
                jw_str(w, "as_org", g[i]->as_org);
            }
            jw_obj_close(w);
        }
        jw_obj_close(w);
    }
}

static void str_list(struct jw *w, const char *key, const char (*v)[CS_MAIL_CAP_LEN], size_t n)
{
    jw_arr_open(w, key);
    for (size_t i = 0; i < n; i++)
        jw_str(w, NULL, v[i]);
    jw_arr_close(w);
}

/* the protocol object of a mail event (also the pre_tls context of a tls event) */
static void mail_obj(struct jw *w, const char *key, const struct cs_mail *m, bool brief)
{
    jw_obj_open(w, key);
    if (!brief && m->banner[0])
        jw_str(w, "banner", m->banner);
    if (m->client_name[0])
        jw_str(w, "client_name", m->client_name);
    str_list(w, "capabilities", m->caps, m->cap_count);
    if (!brief) {
        jw_obj_open(w, "starttls");
        jw_bool(w, "offered", m->starttls_offered);
        jw_bool(w, "required", m->starttls_required);
        jw_bool(w, "requested", m->starttls_requested);
        jw_bool(w, "accepted", m->starttls_accepted);
        jw_bool(w, "refused", m->starttls_refused);
        if (m->starttls_requested) {
            jw_u64(w, "reply_code", m->starttls_reply_code);
            jw_str(w, "reply", m->starttls_reply);
        }
        jw_obj_close(w);
        if (m->cap_mangled)
            jw_str(w, "capability_mangled", m->mangled_cap);
    }
    if (m->auth_in_clear) {
        jw_obj_open(w, "auth");
        jw_str(w, "mechanism", m->auth_mechanism);
        if (m->auth_user[0])
            jw_str(w, "user", m->auth_user);
        jw_bool(w, "secret_in_clear", m->secret_in_clear);
        jw_obj_close(w);
    }
    if (!brief) {
        if (m->mail_from_domain[0])
            jw_str(w, "mail_from_domain", m->mail_from_domain);
        if (m->mail_count || m->rcpt_count) {
            jw_u64(w, "mail_count", m->mail_count);
            jw_u64(w, "rcpt_count", m->rcpt_count);
        }
        jw_bool(w, "tls", m->tls);
    }
    jw_obj_close(w);
}

static void opt_str(struct jw *w, const char *key, const char *v)
{
    if (v[0])
        jw_str(w, key, v);
}

static void ews_obj(struct jw *w, const struct cs_ews *e)
{
    jw_obj_open(w, "ews");
    jw_str(w, "endpoint", e->endpoint);
    jw_bool(w, "decrypted", e->decrypted);
    opt_str(w, "sni", e->sni);
    jw_str(w, "method", e->method);
    opt_str(w, "host", e->host);
    jw_str(w, "path", e->path);
    opt_str(w, "user_agent", e->user_agent);
    opt_str(w, "auth_scheme", e->auth_scheme);
    opt_str(w, "basic_user", e->basic_user);
    opt_str(w, "anchor_mailbox", e->anchor_mailbox);
    opt_str(w, "operation", e->operation);
    if (e->impersonation || e->primary_smtp[0] || e->sid[0] || e->principal_name[0] ||
        e->smtp_address[0]) {
        jw_obj_open(w, "impersonation");
        opt_str(w, "primary_smtp", e->primary_smtp);
        opt_str(w, "sid", e->sid);
        opt_str(w, "principal_name", e->principal_name);
        opt_str(w, "smtp_address", e->smtp_address);
        jw_obj_close(w);
    }
    opt_str(w, "server_version", e->server_version);
    opt_str(w, "mailbox", e->mailbox);
    jw_obj_close(w);
}

/* the "tls" object: the session record; `brief` (alert context) leaves out
 * the certificate arrays, which the session's own tls event carries */
static void tls_obj(struct jw *w, const struct cs_tls *t, bool brief)
{
    char buf[200];
    if (t->app_proto[0]) {
        jw_obj_open(w, "ndpi");
        jw_str(w, "protocol", t->app_proto);
        jw_str(w, "category", t->app_category);
        jw_arr_open(w, "risks");
        const char *r = t->app_risks;
        while (*r) {
            const char *e = strchr(r, ',');
            size_t n = e ? (size_t)(e - r) : strlen(r);
            jw_strn(w, NULL, r, n);
            r += n + (e ? 1 : 0);
        }
        jw_arr_close(w);
        jw_obj_close(w);
    }
    jw_obj_open(w, "tls");
    jw_str(w, "version", t->version ? tls_version_name(t->version) : "UNDETERMINED");
    if (t->has_client_hello)
        jw_str(w, "sni", t->sni[0] ? t->sni : NULL);
    jw_str(w, "session_state", t->state);
    if (t->from_proto)
        jw_str(w, "from_proto", t->from_proto);
    if (t->pre_tls != NULL)
        mail_obj(w, "pre_tls", t->pre_tls, true);
    if (t->exchange)
        jw_bool(w, "exchange", true);
    if (t->client_cert_count > 0) {
        /* who authenticated: the client identity alongside server and addresses */
        const struct cs_cert_info *ci = t->client_certs[0].info;
        jw_obj_open(w, "client_identity");
        jw_hex(w, "sha256", ci->sha256, 32);
        if (ci->has_spki)
            jw_hex(w, "spki_sha256", ci->spki_sha256, 32);
        if (ci->parsed) {
            jw_str(w, "subject", ci->subject);
            jw_str(w, "issuer", ci->issuer);
        }
        jw_obj_close(w);
    }
    if (t->server_cert_count > 0) {
        const struct cs_cert_info *leaf = t->server_certs[0].info;
        if (leaf->parsed) {
            jw_str(w, "subject", leaf->subject);
            jw_str(w, "issuerdn", leaf->issuer);
            serial_colon(leaf->serial, buf, sizeof buf);
            jw_str(w, "serial", buf);
            if (leaf->validity_ok) {
                time_str(leaf->not_before, buf);
                jw_str(w, "notbefore", buf);
                time_str(leaf->not_after, buf);
                jw_str(w, "notafter", buf);
            }
        }
        sha1_colon(leaf->sha1, buf);
        jw_str(w, "fingerprint", buf);
    }
    if (t->has_client_hello) {
        jw_obj_open(w, "ja3");
        jw_str(w, "hash", t->ja3);
        jw_str(w, "string", t->ja3_string);
        jw_obj_close(w);
        jw_str(w, "ja4", t->ja4);
        jw_str(w, "client_version", tls_version_name(t->client_version));
        jw_arr_open(w, "alpn_offered");
        for (size_t i = 0; i < t->alpn_offered_count; i++)
            jw_str(w, NULL, t->alpn_offered[i]);
        jw_arr_close(w);
    }
    if (t->has_server_hello) {
        jw_obj_open(w, "ja3s");
        jw_str(w, "hash", t->ja3s);
        jw_str(w, "string", t->ja3s_string);
        jw_obj_close(w);
        snprintf(buf, sizeof buf, "0x%04x", t->cipher_suite);
        jw_str(w, "cipher_suite", buf);
        jw_str(w, "alpn", t->alpn[0] ? t->alpn : NULL);
        jw_bool(w, "resumed", t->resumed);
    }
    if (t->renegotiation)
        jw_bool(w, "renegotiation", true);
    jw_bool(w, "certs_encrypted", t->certs_encrypted);
    jw_bool(w, "client_cert_requested", t->client_cert_requested);
    if (!brief) {
        chain(w, "server_certs", t->server_certs, t->server_cert_count);
        chain(w, "client_certs", t->client_certs, t->client_cert_count);
    } else {
        jw_u64(w, "server_cert_count", t->server_cert_count);
        jw_u64(w, "client_cert_count", t->client_cert_count);
    }
    if (t->server_chain_truncated)
        jw_bool(w, "server_chain_truncated", true);
    if (t->client_chain_truncated)
        jw_bool(w, "client_chain_truncated", true);
    if (t->alert_level) {
        jw_obj_open(w, "alert");
        jw_u64(w, "level", t->alert_level);
        jw_u64(w, "code", t->alert_desc);
        jw_str(w, "description", alert_name(t->alert_desc));
        jw_str(w, "from", t->alert_from_server ? "server" : "client");
        if (t->alert_after_client_cert)
            jw_bool(w, "after_client_certificate", true);
        jw_obj_close(w);
    }
    jw_obj_close(w);
}

static void tls_event(struct jw *w, const struct cs_tls *t)
{
    common(w, t->ts_us, t->flow_id, "tls");
    endpoints(w, t);
    tls_obj(w, t, false);
}

static void alert_event(struct jw *w, const struct cs_alert *a, const struct cs_tls *t,
                        const struct cs_mail *m, const struct cs_ews *e)
{
    if (t != NULL) {
        common(w, t->ts_us, t->flow_id, "alert");
        endpoints(w, t);
    } else if (m != NULL) {
        common(w, m->ts_us, m->flow_id, "alert");
        ends(w, &m->client, &m->server, m->proto);
    } else if (e != NULL) {
        common(w, e->ts_us, e->flow_id, "alert");
        ends(w, &e->client, &e->server, e->decrypted ? "tls" : "http");
    } else {
        common(w, 0, 0, "alert");
    }
    jw_obj_open(w, "alert");
    jw_u64(w, "signature_id", a->signature_id);
    jw_u64(w, "rev", a->rev);
    jw_str(w, "signature", a->signature);
    jw_str(w, "category", a->category);
    jw_u64(w, "severity", a->severity);
    jw_str(w, "check", a->check);
    jw_str(w, "evidence", a->evidence);
    if (a->source)
        jw_str(w, "source", a->source);
    if (a->role) {
        jw_str(w, "role", a->role);
        jw_i64(w, "chain_index", a->chain_index);
    }
    if (a->cert != NULL) {
        const struct cs_cert_info *ci = a->cert->info;
        jw_obj_open(w, "cert");
        jw_hex(w, "sha256", ci->sha256, 32);
        jw_hex(w, "sha1", ci->sha1, 20);
        if (ci->has_spki)
            jw_hex(w, "spki_sha256", ci->spki_sha256, 32);
        if (ci->parsed) {
            jw_str(w, "subject", ci->subject);
            jw_str(w, "issuer", ci->issuer);
        }
        jw_obj_close(w);
    }
    jw_obj_close(w);
    if (t != NULL)
        tls_obj(w, t, true);
    else if (m != NULL)
        mail_obj(w, m->proto, m, false);
    else if (e != NULL)
        ews_obj(w, e);
}

static void stats_event(struct jw *w, const struct cs_stats *st)
{
    common(w, st->last_ts_us, 0, "stats");
    jw_obj_open(w, "stats");
#define S(f) jw_u64(w, #f, st->f)
    S(packets); S(bytes); S(packets_invalid); S(packets_truncated); S(packets_non_tcp);
    S(flows_created); S(flows_active); S(flows_evicted); S(flows_timeout); S(flows_closed);
    S(flows_bypassed); S(packets_bypassed); S(flows_no_tls);
    S(tcp_segments_ooo); S(tcp_retransmits); S(tcp_overlaps_differ); S(tcp_gaps);
    S(tcp_gap_bytes); S(tcp_reasm_limit_drops); S(tcp_reasm_bytes_peak);
    S(tls_sessions); S(tls_records_malformed); S(tls_handshake_too_large);
    S(tls_handshake_malformed); S(tls_chain_truncated);
    S(certs_seen); S(certs_unparsed); S(cert_cache_hits); S(cert_cache_misses);
    S(certs_decrypted); S(tls_sessions_decrypted); S(tls_keys_missing); S(tls_decrypt_errors);
    S(keylog_lines); S(keylog_entries); S(keylog_malformed); S(keylog_full);
    S(tls_keys_late); S(tls_key_wait_expired);
    S(alerts); S(alerts_suppressed); S(check_memo_hits); S(check_memo_misses);
    S(mail_sessions); S(ews_requests); S(http_requests); S(baseline_errors);
    S(memcap_hits); S(mem_peak); S(events); S(anomalies);
#undef S
    jw_obj_close(w);
}

size_t cs_event_to_json(const struct cs_event *ev, char *buf, size_t cap)
{
    struct jw w;
    jw_init(&w, buf, cap);
    jw_obj_open(&w, NULL);
    switch (ev->type) {
    case CS_EVENT_TLS:
        tls_event(&w, ev->u.tls);
        break;
    case CS_EVENT_ANOMALY:
        common(&w, ev->u.anomaly->ts_us, ev->u.anomaly->flow_id, "anomaly");
        jw_obj_open(&w, "anomaly");
        jw_str(&w, "type", ev->u.anomaly->type);
        if (ev->u.anomaly->detail)
            jw_str(&w, "detail", ev->u.anomaly->detail);
        jw_obj_close(&w);
        break;
    case CS_EVENT_STATS:
        stats_event(&w, ev->u.stats);
        break;
    case CS_EVENT_ALERT:
        alert_event(&w, ev->u.alert, ev->context, ev->mail_context, ev->ews_context);
        break;
    case CS_EVENT_MAIL: {
        const struct cs_mail *m = ev->u.mail;
        common(&w, m->ts_us, m->flow_id, m->proto);
        ends(&w, &m->client, &m->server, m->proto);
        mail_obj(&w, m->proto, m, false);
        break;
    }
    case CS_EVENT_EWS: {
        const struct cs_ews *e = ev->u.ews;
        common(&w, e->ts_us, e->flow_id, "ews");
        ends(&w, &e->client, &e->server, e->decrypted ? "tls" : "http");
        ews_obj(&w, e);
        break;
    }
    }
    jw_obj_close(&w);
    return jw_finish(&w);
}
