/* Rule sets, check dispatch, alert events.
 *
 * Checks that only depend on the certificates, the SNI and the capture hour
 * (chain linkage, trust, hygiene, interception issuers) are expensive
 * (signature verification, path building) and repeat for every session of
 * the same service; their findings are memoised by a digest of exactly
 * those inputs, so each distinct chain is verified once an hour of capture
 * time. Blocklists, rules, pins, bindings and baselines run every time. */
#include "detect.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "blocklist.h"
#include "chain.h"
#include "geo.h"
#include "geobind.h"
#include "hygiene.h"
#include "intercept.h"
#include "pins.h"
#include "sensor_int.h"
#include "suricata.h"
#include "trust.h"

#define RS_MAX_DISABLED 64
#define MEMO_SLOTS 512u      /* direct-mapped verdict memo, per group */
#define MEMO_ALERTS 8        /* findings kept per memo entry; more: not memoised */

struct cs_ruleset {
    struct blocklist *bl;
    struct srules *sr;
    struct trust_store *trust;
    struct pinset *pins;
    struct intercept_list *icpt;
    struct geobind *gb;
    struct geo *geo;
    struct chain_opts chain;
    struct hygiene_opts hyg;
    char disabled[RS_MAX_DISABLED][48];
    size_t ndisabled;
};

struct memo_alert {
    uint32_t sid, rev;
    uint8_t severity;
    int chain_index;
    int role; /* 0 none, 1 server, 2 client */
    char signature[128], category[32], check[48], evidence[384], source[96];
};

struct memo_entry {
    uint8_t key[32];
    bool used;
    size_t n;
    struct memo_alert a[MEMO_ALERTS];
};

/* two groups: [0] chain linkage + trust (certificates and hour only),
 * [1] hygiene + interception issuers (also the SNI) */
struct detect_memo {
    struct memo_entry e[2][MEMO_SLOTS];
};

/* ---- rule sets --------------------------------------------------------------- */

struct cs_ruleset *cs_ruleset_new(void)
{
    struct cs_ruleset *rs = calloc(1, sizeof *rs);
    if (rs == NULL)
        return NULL;
    rs->bl = blocklist_new();
    rs->sr = srules_new();
    rs->trust = trust_new();
    rs->pins = pins_new();
    rs->icpt = intercept_new();
    chain_opts_default(&rs->chain);
    hygiene_opts_default(&rs->hyg);
    if (rs->bl == NULL || rs->sr == NULL || rs->trust == NULL || rs->pins == NULL ||
        rs->icpt == NULL) {
        cs_ruleset_free(rs);
        return NULL;
    }
    return rs;
}

void cs_ruleset_free(struct cs_ruleset *rs)
{
    if (rs == NULL)
        return;
    blocklist_free(rs->bl);
    srules_free(rs->sr);
    trust_free(rs->trust);
    pins_free(rs->pins);
    intercept_free(rs->icpt);
    geobind_free(rs->gb);
    geo_close(rs->geo);
    free(rs);
}

cs_err cs_ruleset_load(struct cs_ruleset *rs, enum cs_rs_input kind, const char *name,
                       const char *text, size_t len, char *err, size_t errlen)
{
    if (rs == NULL || name == NULL || (text == NULL && len > 0) || err == NULL || errlen == 0)
        return CS_ERR_INVAL;
    err[0] = '\0';
    enum pr_status st = PR_OK;
    switch (kind) {
    case CS_RS_BLOCKLIST:
        st = blocklist_load(rs->bl, name, text, len, err, errlen);
        break;
    case CS_RS_RULES:
        st = srules_load(rs->sr, name, text, len, err, errlen);
        break;
    case CS_RS_CA:
        st = trust_add_pem(rs->trust, name, text, len, err, errlen);
        break;
    case CS_RS_INTERMEDIATES:
        st = trust_add_intermediates_pem(rs->trust, name, text, len, err, errlen);
        break;
    case CS_RS_PINS:
        st = pins_load(rs->pins, name, text, len, err, errlen);
        break;
    case CS_RS_INTERCEPT:
        st = intercept_load(rs->icpt, name, text, len, err, errlen);
        break;
    case CS_RS_GEOBIND: {
        struct geobind *gb = geobind_load_buf(name, text, len, err, errlen);
        if (gb == NULL)
            return CS_ERR_FORMAT;
        geobind_free(rs->gb); /* one binding file at a time */
        rs->gb = gb;
        return CS_OK;
    }
    default:
        snprintf(err, errlen, "%s: unknown input kind %d", name, (int)kind);
        return CS_ERR_INVAL;
    }
    if (st == PR_OK)
        return CS_OK;
    if (err[0] == '\0')
        snprintf(err, errlen, "%s: %s", name, pr_status_name(st));
    return st == PR_LIMIT ? CS_ERR_NOMEM : CS_ERR_FORMAT;
}

cs_err cs_ruleset_set_var(struct cs_ruleset *rs, const char *name, const char *value, char *err,
                          size_t errlen)
{
    if (rs == NULL || name == NULL || value == NULL)
        return CS_ERR_INVAL;
    return srules_set_var(rs->sr, name, value, err, errlen) == PR_OK ? CS_OK : CS_ERR_FORMAT;
}

cs_err cs_ruleset_open_geo(struct cs_ruleset *rs, const char *country_db, const char *asn_db,
                           char *err, size_t errlen)
{
    if (rs == NULL || (country_db == NULL && asn_db == NULL))
        return CS_ERR_INVAL;
    struct geo *g = geo_open(country_db, asn_db, err, errlen);
    if (g == NULL)
        return CS_ERR_FORMAT;
    geo_close(rs->geo);
    rs->geo = g;
    return CS_OK;
}

/* every check family and alert category a name may refer to */
static const char *const known_names[] = {
    "blocklist", "rule", "chain", "trust", "validity", "leaf", "key", "sig", "hostname", "pin",
    "intercept", "geo", "baseline", "starttls", "auth", "ews", "tls", "mitm", "hygiene",
    "credential", "info"};

static bool matches(const char *entry, const char *v)
{
    size_t n = strlen(entry);
    /* "chain" switches off "chain.name"; "validity.expired" only itself */
    return v != NULL && strncmp(v, entry, n) == 0 && (v[n] == '\0' || v[n] == '.');
}

static bool name_known(const char *name)
{
    for (size_t i = 0; i < sizeof known_names / sizeof known_names[0]; i++)
        if (matches(known_names[i], name))
            return true;
    return false;
}

cs_err cs_ruleset_disable(struct cs_ruleset *rs, const char *name)
{
    if (rs == NULL || name == NULL || name[0] == '\0' ||
        strlen(name) >= sizeof rs->disabled[0] || rs->ndisabled == RS_MAX_DISABLED)
        return CS_ERR_INVAL;
    const char *bare = name;
    if (strncmp(name, "client:", 7) == 0 || strncmp(name, "server:", 7) == 0)
        bare = name + 7;
    if (!name_known(bare))
        return CS_ERR_INVAL;
    snprintf(rs->disabled[rs->ndisabled++], sizeof rs->disabled[0], "%s", name);
    return CS_OK;
}

cs_err cs_ruleset_set_max_validity(struct cs_ruleset *rs, int64_t days)
{
    if (rs == NULL || days < 0)
        return CS_ERR_INVAL;
    rs->hyg.max_validity_days = days;
    return CS_OK;
}

/* A whole check family off for both sides (its work can be skipped). */
static bool disabled(const struct cs_ruleset *rs, const char *check)
{
    if (rs == NULL || check == NULL)
        return false;
    for (size_t i = 0; i < rs->ndisabled; i++)
        if (matches(rs->disabled[i], check))
            return true;
    return false;
}

/* Is an alert of this check / category / role switched off? */
static bool alert_disabled(const struct cs_ruleset *rs, const struct cs_alert *a)
{
    if (rs == NULL)
        return false;
    for (size_t i = 0; i < rs->ndisabled; i++) {
        const char *e = rs->disabled[i];
        if (strncmp(e, "client:", 7) == 0 || strncmp(e, "server:", 7) == 0) {
            if (a->role == NULL || strncmp(a->role, e, 6) != 0)
                continue;
            e += 7;
        }
        if (matches(e, a->check) || matches(e, a->category))
            return true;
    }
    return false;
}

void cs_set_ruleset(struct cs_sensor *s, struct cs_ruleset *rs)
{
    if (s == NULL)
        return;
    cs_ruleset_free(s->rs);
    s->rs = rs;
    if (s->memo != NULL) /* verdicts of the old rules are not this set's */
        memset(s->memo, 0, sizeof *s->memo);
}

cs_err cs_open_state(struct cs_sensor *s, const char *path, char *err, size_t errlen)
{
    if (s == NULL || path == NULL)
        return CS_ERR_INVAL;
    struct baseline *b = baseline_open(path, err, errlen);
    if (b == NULL)
        return CS_ERR_IO;
    baseline_close(s->baseline);
    s->baseline = b;
    return CS_OK;
}

uint64_t detect_baseline_errors(const struct cs_sensor *s)
{
    if (s->baseline == NULL)
        return 0;
    struct baseline_stats bs;
    baseline_get_stats(s->baseline, &bs);
    return bs.errors;
}

void detect_tick(struct cs_sensor *s)
{
    if (s->baseline != NULL)
        baseline_flush(s->baseline);
}

void detect_free(struct cs_sensor *s)
{
    cs_ruleset_free(s->rs);
    s->rs = NULL;
    baseline_close(s->baseline);
    s->baseline = NULL;
    mem_free(&s->mem, s->memo, sizeof *s->memo);
    s->memo = NULL;
}

/* ---- alerts -------------------------------------------------------------------- */

struct run_ctx {
    struct cs_sensor *s;
    const struct cs_tls *t;
    struct memo_entry *record; /* findings being memoised, or NULL */
};

static void emit_alert_ctx(struct cs_sensor *s, const struct cs_tls *t, const struct cs_mail *m,
                           const struct cs_ews *e, const struct cs_alert *a)
{
    if (alert_disabled(s->rs, a)) {
        s->st.alerts_suppressed++;
        return;
    }
    s->st.alerts++;
    struct cs_event ev = {.type = CS_EVENT_ALERT, .u.alert = a, .context = t, .mail_context = m,
                          .ews_context = e};
    sensor_emit(s, &ev);
}

static void emit_alert(struct cs_sensor *s, const struct cs_tls *t, const struct cs_alert *a)
{
    emit_alert_ctx(s, t, NULL, NULL, a);
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = src != NULL ? strnlen(src, cap - 1) : 0;
    if (n > 0)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

static void sink(void *ctx, const struct cs_alert *a)
{
    struct run_ctx *rc = ctx;
    if (rc->record != NULL) {
        struct memo_entry *m = rc->record;
        if (m->n < MEMO_ALERTS) {
            struct memo_alert *x = &m->a[m->n];
            x->sid = a->signature_id;
            x->rev = a->rev;
            x->severity = a->severity;
            x->chain_index = a->chain_index;
            x->role = a->role == NULL ? 0 : strcmp(a->role, "client") == 0 ? 2 : 1;
            copy_str(x->signature, sizeof x->signature, a->signature);
            copy_str(x->category, sizeof x->category, a->category);
            copy_str(x->check, sizeof x->check, a->check);
            copy_str(x->evidence, sizeof x->evidence, a->evidence);
            copy_str(x->source, sizeof x->source, a->source);
        }
        m->n++; /* beyond MEMO_ALERTS the entry is dropped after the run */
    }
    emit_alert(rc->s, rc->t, a);
}

static void replay(struct cs_sensor *s, const struct cs_tls *t, const struct memo_entry *m)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct memo_alert *x = &m->a[i];
        struct cs_alert a = {
            .signature_id = x->sid,
            .rev = x->rev,
            .signature = x->signature,
            .category = x->category,
            .severity = x->severity,
            .check = x->check,
            .role = x->role == 0 ? NULL : x->role == 2 ? "client" : "server",
            .chain_index = x->chain_index,
            .evidence = x->evidence,
            .source = x->source[0] ? x->source : NULL,
        };
        const struct cs_cert *chain = x->role == 2 ? t->client_certs : t->server_certs;
        size_t n = x->role == 2 ? t->client_cert_count : t->server_cert_count;
        if (x->role != 0 && x->chain_index >= 0 && (size_t)x->chain_index < n)
            a.cert = &chain[x->chain_index];
        emit_alert(s, t, &a);
    }
}

/* Digest of what a memoised group looks at. */
static void memo_key(const struct cs_tls *t, bool with_sni, uint8_t key[32])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned int n = 0;
    int64_t hour = t->ts_us / 3600000000;
    uint8_t sep[2] = {(uint8_t)t->server_cert_count, (uint8_t)t->client_cert_count};
    if (c == NULL || !EVP_DigestInit_ex(c, EVP_sha256(), NULL)) {
        memset(key, 0, 32);
        EVP_MD_CTX_free(c);
        return;
    }
    EVP_DigestUpdate(c, sep, sizeof sep);
    for (size_t i = 0; i < t->server_cert_count; i++)
        EVP_DigestUpdate(c, t->server_certs[i].info->sha256, 32);
    for (size_t i = 0; i < t->client_cert_count; i++)
        EVP_DigestUpdate(c, t->client_certs[i].info->sha256, 32);
    if (with_sni) {
        EVP_DigestUpdate(c, t->sni, strlen(t->sni) + 1);
        /* validity is judged to the second: a certificate that expires inside
         * the hour must not reuse the verdict from before it expired */
        int64_t now = t->ts_us / 1000000 - (t->ts_us % 1000000 < 0);
        for (int r = 0; r < 2; r++) {
            const struct cs_cert *cc = r ? t->client_certs : t->server_certs;
            size_t cnt = r ? t->client_cert_count : t->server_cert_count;
            for (size_t i = 0; i < cnt; i++) {
                const struct cs_cert_info *ci = cc[i].info;
                uint8_t st = ci != NULL && ci->validity_ok
                                 ? (uint8_t)((now < ci->not_before) | (now > ci->not_after) << 1)
                                 : 4;
                EVP_DigestUpdate(c, &st, 1);
            }
        }
    }
    EVP_DigestUpdate(c, &hour, sizeof hour);
    EVP_DigestFinal_ex(c, key, &n);
    EVP_MD_CTX_free(c);
}

static void run_group(struct cs_sensor *s, const struct cs_tls *t, struct run_ctx *rc, int group)
{
    const struct cs_ruleset *rs = s->rs;
    struct check_out o = {sink, rc};
    struct memo_entry *m = NULL;
    uint8_t key[32];
    if (s->memo == NULL)
        s->memo = mem_calloc(&s->mem, 1, sizeof *s->memo);
    if (s->memo != NULL && (t->server_cert_count + t->client_cert_count) > 0) {
        memo_key(t, group == 1, key);
        uint32_t slot;
        memcpy(&slot, key, sizeof slot);
        m = &s->memo->e[group][slot % MEMO_SLOTS];
        if (m->used && memcmp(m->key, key, 32) == 0) {
            s->st.check_memo_hits++;
            replay(s, t, m);
            return;
        }
        memset(m, 0, sizeof *m);
        memcpy(m->key, key, 32);
        s->st.check_memo_misses++;
    }
    rc->record = m;
    if (group == 0) {
        if (!disabled(rs, "chain"))
            chain_check_opts(&rs->chain, t, &o);
        if (!disabled(rs, "trust"))
            trust_check(rs->trust, t, &o);
    } else {
        hygiene_check(&rs->hyg, t, &o);
        intercept_check(rs->icpt, t, &o);
    }
    rc->record = NULL;
    if (m != NULL)
        m->used = m->n <= MEMO_ALERTS;
}

static void run_memoised(struct cs_sensor *s, const struct cs_tls *t, struct run_ctx *rc)
{
    run_group(s, t, rc, 0);
    run_group(s, t, rc, 1);
}

static void client_cert_rejected(struct cs_sensor *s, const struct cs_tls *t);

void detect_enrich(struct cs_sensor *s, struct cs_tls *t)
{
    if (s->rs == NULL || s->rs->geo == NULL)
        return;
    struct geo_info gi;
    const struct cs_endpoint *ep[2] = {&t->client, &t->server};
    struct cs_geo *out[2] = {&t->client_geo, &t->server_geo};
    for (int i = 0; i < 2; i++) {
        geo_lookup(s->rs->geo, ep[i], &gi);
        out[i]->has_country = gi.has_country;
        memcpy(out[i]->country, gi.country, sizeof out[i]->country);
        out[i]->has_asn = gi.has_asn;
        out[i]->asn = gi.asn;
        snprintf(out[i]->as_org, sizeof out[i]->as_org, "%s", gi.as_org);
    }
}

void detect_run(struct cs_sensor *s, const struct cs_tls *t)
{
    struct cs_ruleset *rs = s->rs;
    struct run_ctx rc = {s, t, NULL};
    struct check_out o = {sink, &rc};
    if (rs != NULL) {
        blocklist_check(rs->bl, t, &o);
        srules_check(rs->sr, t, &o);
        run_memoised(s, t, &rc);
        if (!disabled(rs, "pin"))
            pins_check_trust(rs->pins, rs->trust, t, &o);
        if (rs->gb != NULL && !disabled(rs, "geo"))
            geobind_check(rs->gb, rs->geo, t, &o);
    }
    if (s->baseline != NULL)
        baseline_check(s->baseline, rs != NULL ? rs->geo : NULL, t, &o);
    if (t->client_cert_count > 0)
        client_cert_rejected(s, t);
}

/* ---- built-in checks on clear text and EWS ------------------------------------ */

enum {
    SID_STARTTLS_UNUSED = 2100300,
    SID_STARTTLS_MANGLED = 2100301,
    SID_STARTTLS_REFUSED = 2100302,
    SID_AUTH_CLEARTEXT = 2100303,
    SID_EWS_IMPERSONATION = 2100310,
    SID_CLIENT_CERT_REJECTED = 2100320,
};

static void builtin(struct cs_sensor *s, const struct cs_tls *t, const struct cs_mail *m,
                    const struct cs_ews *e, uint32_t sid, const char *sig, const char *cat,
                    uint8_t sev, const char *check, const char *evidence)
{
    struct cs_alert a = {.signature_id = sid,
                         .rev = 1,
                         .signature = sig,
                         .category = cat,
                         .severity = sev,
                         .check = check,
                         .chain_index = -1,
                         .evidence = evidence};
    emit_alert_ctx(s, t, m, e, &a);
}

void detect_mail(struct cs_sensor *s, const struct cs_mail *m)
{
    char ev[1024];
    if (m->cap_mangled) {
        snprintf(ev, sizeof ev, "%s capability '%s' where STARTTLS was expected (offered: %s)",
                 m->proto, m->mangled_cap, m->starttls_offered ? "yes" : "no");
        builtin(s, NULL, m, NULL, SID_STARTTLS_MANGLED,
                "CERTSENSOR STARTTLS capability mangled (stripping)", "mitm", 1,
                "starttls.capability_mangled", ev);
    }
    if (m->starttls_offered && !m->starttls_requested) {
        snprintf(ev, sizeof ev, "%s server offered STARTTLS, the client never asked for it%s", m->proto,
                 m->auth_in_clear ? " and authenticated in clear" : "");
        builtin(s, NULL, m, NULL, SID_STARTTLS_UNUSED, "CERTSENSOR STARTTLS offered but not used",
                "mitm", 2, "starttls.offered_unused", ev);
    }
    if (m->starttls_requested && m->starttls_refused) {
        snprintf(ev, sizeof ev, "%s STARTTLS answered '%s' (%u)", m->proto, m->starttls_reply,
                 m->starttls_reply_code);
        builtin(s, NULL, m, NULL, SID_STARTTLS_REFUSED, "CERTSENSOR STARTTLS refused", "mitm", 2,
                "starttls.refused", ev);
    }
    if (m->auth_in_clear) {
        snprintf(ev, sizeof ev, "%s %s authentication in clear text, user '%s'%s", m->proto,
                 m->auth_mechanism, m->auth_user,
                 m->secret_in_clear ? ", with a reusable secret" : "");
        builtin(s, NULL, m, NULL, SID_AUTH_CLEARTEXT, "CERTSENSOR clear-text authentication",
                "credential", m->secret_in_clear ? 1 : 2, "auth.cleartext", ev);
    }
}

void detect_ews(struct cs_sensor *s, const struct cs_ews *w)
{
    if (!w->impersonation)
        return;
    char ev[2048];
    snprintf(ev, sizeof ev, "EWS %s impersonating %s%s%s%s%s%s%s (user agent '%s', auth %s)",
             w->operation[0] ? w->operation : "request",
             w->primary_smtp[0] ? "PrimarySmtpAddress=" : "", w->primary_smtp,
             w->sid[0] ? " SID=" : "", w->sid, w->principal_name[0] ? " PrincipalName=" : "",
             w->principal_name, w->smtp_address[0] ? " SmtpAddress=" : "", w->user_agent,
             w->auth_scheme[0] ? w->auth_scheme : "none");
    builtin(s, NULL, NULL, w, SID_EWS_IMPERSONATION, "CERTSENSOR EWS impersonation", "ews", 2,
            "ews.impersonation", ev);
}

/* RFC 8446 6.2 / RFC 5246 7.2.2: the server turned the client certificate down */
static void client_cert_rejected(struct cs_sensor *s, const struct cs_tls *t)
{
    if (t->alert_level != 2 || !t->alert_from_server || !t->alert_after_client_cert)
        return;
    switch (t->alert_desc) {
    case 42: case 43: case 44: case 45: case 46: case 48: case 49: case 116:
        break;
    default:
        return;
    }
    char ev[256];
    snprintf(ev, sizeof ev, "server answered the client certificate with fatal alert %u",
             t->alert_desc);
    struct cs_alert a = {.signature_id = SID_CLIENT_CERT_REJECTED,
                         .rev = 1,
                         .signature = "CERTSENSOR client certificate rejected by the server",
                         .category = "credential",
                         .severity = 2,
                         .check = "tls.client_cert_rejected",
                         .role = "client",
                         .chain_index = 0,
                         .cert = &t->client_certs[0],
                         .evidence = ev};
    emit_alert(s, t, &a);
}
