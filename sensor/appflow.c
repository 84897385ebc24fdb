#include "appflow.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "detect.h"
#include "ews.h"
#include "http.h"
#include "hygiene.h"
#include "mailproto.h"
#include "sensor_int.h"

struct appflow {
    /* mail-style protocol */
    enum mp_proto proto;
    bool detect_done;            /* decided (a protocol, or none) */
    struct mp_state *mp;
    size_t followed[2];          /* clear-text bytes fed, per direction */
    bool mail_emitted;
    struct cs_mail mail;
    /* clear-text history until the protocol is known: [dir][len hi][len lo][bytes]... */
    uint8_t hist[APPFLOW_HISTORY];
    size_t hist_len;
    bool hist_full;
    uint8_t first[2][64];        /* first bytes of each direction, for detection */
    size_t first_len[2];
    /* HTTP requests (clear text, or decrypted from TLS) */
    bool http_checked, http;
    uint8_t *req;
    size_t req_len, req_cap;  /* grows with the data, up to APPFLOW_HTTP_BUF */
    size_t body_skip;            /* body bytes of the previous request still to pass */
    size_t requests;
};

static const char *proto_name(enum mp_proto p)
{
    switch (p) {
    case MP_SMTP: return "smtp";
    case MP_IMAP: return "imap";
    case MP_POP3: return "pop3";
    case MP_LDAP: return "ldap";
    case MP_FTP: return "ftp";
    case MP_XMPP: return "xmpp";
    default: return NULL;
    }
}

struct appflow *appflow_new(struct cs_sensor *s)
{
    return mem_calloc(&s->mem, 1, sizeof(struct appflow));
}

void appflow_free(struct cs_sensor *s, struct appflow *a)
{
    if (a == NULL)
        return;
    if (a->mp != NULL) {
        mp_finish(a->mp); /* wipes a half-received line: it may hold a password */
        mem_free(&s->mem, a->mp, sizeof *a->mp);
    }
    mem_free(&s->mem, a->req, a->req_cap);
    mem_free(&s->mem, a, sizeof *a);
}

static void endpoints(const struct flow *f, struct cs_endpoint *client, struct cs_endpoint *server)
{
    int c = f->client, sv = !f->client;
    client->family = server->family = f->family;
    memcpy(client->addr, f->addr[c], 16);
    memcpy(server->addr, f->addr[sv], 16);
    client->port = f->port[c];
    server->port = f->port[sv];
}

static void copy_cstr(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void copy_view(char *dst, size_t cap, struct bytes b)
{
    size_t n = b.n < cap - 1 ? b.n : cap - 1;
    if (n > 0)
        memcpy(dst, b.p, n);
    dst[n] = '\0';
}

/* ---- mail -------------------------------------------------------------------- */

static void hist_add(struct appflow *a, int dir, const uint8_t *p, size_t n)
{
    if (a->hist_full || n > 0xffff || n + 3 > APPFLOW_HISTORY - a->hist_len) {
        a->hist_full = true;
        return;
    }
    a->hist[a->hist_len++] = (uint8_t)dir;
    a->hist[a->hist_len++] = (uint8_t)(n >> 8);
    a->hist[a->hist_len++] = (uint8_t)n;
    memcpy(a->hist + a->hist_len, p, n);
    a->hist_len += n;
}

/* Feed the history into a freshly detected protocol, in arrival order. */
static void hist_replay(const struct flow *f, struct appflow *a)
{
    size_t off = 0, at;
    while (off + 3 <= a->hist_len) {
        int dir = a->hist[off];
        size_t n = (size_t)a->hist[off + 1] << 8 | a->hist[off + 2];
        mp_feed(a->mp, dir == f->client ? MP_DIR_CLIENT : MP_DIR_SERVER, a->hist + off + 3, n, &at);
        off += 3 + n;
    }
    a->hist_len = 0;
}

static void detect(struct cs_sensor *s, struct appflow *a, const struct flow *f, int dir,
                   const uint8_t *p, size_t n)
{
    size_t room = sizeof a->first[0] - a->first_len[dir];
    size_t k = n < room ? n : room;
    memcpy(a->first[dir] + a->first_len[dir], p, k);
    a->first_len[dir] += k;
    int c = f->client, sv = !f->client;
    enum mp_proto pr = mp_detect(a->first[sv], a->first_len[sv], a->first[c], a->first_len[c],
                                 f->port[sv]);
    if (pr == MP_NONE) {
        /* undecided until both sides spoke or the history is full */
        if (a->hist_full || (a->first_len[0] >= sizeof a->first[0] &&
                             a->first_len[1] >= sizeof a->first[1]))
            a->detect_done = true;
        return;
    }
    a->detect_done = true;
    a->mp = mem_calloc(&s->mem, 1, sizeof *a->mp);
    if (a->mp == NULL)
        return;
    a->proto = pr;
    mp_init(a->mp, pr);
    s->st.mail_sessions++;
}

size_t appflow_clear(struct cs_sensor *s, struct appflow *a, const struct flow *f, int dir,
                     const uint8_t *p, size_t n, bool *claimed)
{
    *claimed = false;
    if (!a->detect_done) {
        hist_add(a, dir, p, n);
        detect(s, a, f, dir, p, n);
        if (a->mp == NULL)
            return SIZE_MAX;
        /* this chunk is the history's last entry: the replay covers it */
        size_t at = SIZE_MAX;
        size_t off = 0, last = SIZE_MAX;
        while (off + 3 <= a->hist_len) { /* find where this chunk starts in the history */
            last = off;
            off += 3 + ((size_t)a->hist[off + 1] << 8 | a->hist[off + 2]);
        }
        if (a->hist_full || last == SIZE_MAX) {
            /* history lost: follow from this chunk on */
            a->hist_len = 0;
            mp_feed(a->mp, dir == f->client ? MP_DIR_CLIENT : MP_DIR_SERVER, p, n, &at);
        } else {
            a->hist_len = last; /* replay everything before this chunk ... */
            hist_replay(f, a);
            /* ... then this chunk itself, to learn where TLS starts in it */
            mp_feed(a->mp, dir == f->client ? MP_DIR_CLIENT : MP_DIR_SERVER, p, n, &at);
        }
        a->followed[dir] += n;
        *claimed = true;
        return at;
    }
    if (a->mp == NULL)
        return SIZE_MAX;
    *claimed = true;
    if (a->followed[dir] > APPFLOW_MAIL_BUDGET)
        return SIZE_MAX; /* [MAIL-BUDGET] enough clear text seen for the facts */
    size_t at = SIZE_MAX;
    mp_feed(a->mp, dir == f->client ? MP_DIR_CLIENT : MP_DIR_SERVER, p, n, &at);
    a->followed[dir] += n;
    return at;
}

bool appflow_following(const struct appflow *a)
{
    return a != NULL && a->mp != NULL && !a->mail_emitted &&
           (a->followed[0] <= APPFLOW_MAIL_BUDGET || a->followed[1] <= APPFLOW_MAIL_BUDGET);
}

const struct cs_mail *appflow_mail(struct cs_sensor *s, struct appflow *a, const struct flow *f)
{
    if (a == NULL || a->mp == NULL)
        return NULL;
    const struct mp_facts *mf = &a->mp->facts;
    struct cs_mail *m = &a->mail;
    memset(m, 0, sizeof *m);
    m->flow_id = f->id;
    m->ts_us = s->now_us;
    endpoints(f, &m->client, &m->server);
    m->proto = proto_name(a->proto);
    copy_cstr(m->banner, sizeof m->banner, mf->banner);
    copy_cstr(m->client_name, sizeof m->client_name, mf->client_name);
    for (size_t i = 0; i < mf->n_caps && i < CS_MAIL_CAPS_MAX; i++)
        copy_cstr(m->caps[i], sizeof m->caps[i], mf->caps[i]);
    m->cap_count = mf->n_caps < CS_MAIL_CAPS_MAX ? mf->n_caps : CS_MAIL_CAPS_MAX;
    m->caps_truncated = mf->caps_truncated;
    m->starttls_offered = mf->starttls_offered;
    m->starttls_required = mf->starttls_required;
    m->starttls_requested = mf->starttls_requested;
    m->starttls_accepted = mf->starttls_accepted;
    m->starttls_refused = mf->starttls_refused;
    m->starttls_reply_code = mf->starttls_reply_code;
    copy_cstr(m->starttls_reply, sizeof m->starttls_reply, mf->starttls_reply);
    m->cap_mangled = mf->cap_mangled;
    copy_cstr(m->mangled_cap, sizeof m->mangled_cap, mf->mangled_cap);
    m->auth_in_clear = mf->auth_in_clear;
    m->secret_in_clear = mf->secret_in_clear;
    copy_cstr(m->auth_mechanism, sizeof m->auth_mechanism, mf->auth_mechanism);
    copy_cstr(m->auth_user, sizeof m->auth_user, mf->auth_user);
    copy_cstr(m->mail_from_domain, sizeof m->mail_from_domain, mf->mail_from_domain);
    m->mail_count = mf->mail_count;
    m->rcpt_count = mf->rcpt_count;
    m->tls = mf->tls_started[0] || mf->tls_started[1];
    return m;
}

void appflow_emit_mail(struct cs_sensor *s, struct appflow *a, const struct flow *f)
{
    if (a == NULL || a->mp == NULL || a->mail_emitted)
        return;
    const struct cs_mail *m = appflow_mail(s, a, f);
    a->mail_emitted = true;
    struct cs_event ev = {.type = CS_EVENT_MAIL, .u.mail = m};
    sensor_emit(s, &ev);
    detect_mail(s, m);
}

/* ---- HTTP and EWS ------------------------------------------------------------------ */

static const char *auth_name(const struct http_request *r)
{
    switch (r->auth) {
    case HTTP_AUTH_BASIC: return "Basic";
    case HTTP_AUTH_NTLM: return "NTLM";
    case HTTP_AUTH_NEGOTIATE: return r->auth_negotiate_ntlm ? "Negotiate (NTLM)" : "Negotiate";
    case HTTP_AUTH_BEARER: return "Bearer";
    case HTTP_AUTH_DIGEST: return "Digest";
    case HTTP_AUTH_OTHER: return "other";
    default: return "";
    }
}

static void emit_ews(struct cs_sensor *s, const struct flow *f, const char *sni, bool decrypted,
                     const struct http_request *r, const struct ews_request *e)
{
    struct cs_ews ev_ews;
    memset(&ev_ews, 0, sizeof ev_ews);
    struct cs_ews *w = &ev_ews;
    w->flow_id = f->id;
    w->ts_us = s->now_us;
    endpoints(f, &w->client, &w->server);
    w->endpoint = e->endpoint == EWS_EP_EXCHANGE ? "ews" : "autodiscover";
    w->decrypted = decrypted;
    copy_cstr(w->sni, sizeof w->sni, sni != NULL ? sni : "");
    copy_view(w->method, sizeof w->method, r->method);
    copy_view(w->host, sizeof w->host, r->host);
    copy_view(w->path, sizeof w->path, r->path);
    copy_view(w->user_agent, sizeof w->user_agent, r->user_agent);
    copy_cstr(w->auth_scheme, sizeof w->auth_scheme, auth_name(r));
    copy_cstr(w->basic_user, sizeof w->basic_user, r->basic_user);
    copy_view(w->anchor_mailbox, sizeof w->anchor_mailbox, e->anchor_mailbox);
    copy_view(w->operation, sizeof w->operation, e->operation);
    w->impersonation = e->impersonation;
    copy_view(w->primary_smtp, sizeof w->primary_smtp, e->primary_smtp);
    copy_view(w->sid, sizeof w->sid, e->sid);
    copy_view(w->principal_name, sizeof w->principal_name, e->principal_name);
    copy_view(w->smtp_address, sizeof w->smtp_address, e->smtp_address);
    copy_view(w->server_version, sizeof w->server_version, e->server_version);
    copy_view(w->mailbox, sizeof w->mailbox, e->mailbox);
    s->st.ews_requests++;
    struct cs_event ev = {.type = CS_EVENT_EWS, .u.ews = w};
    sensor_emit(s, &ev);
    detect_ews(s, w);
}

static bool looks_like_request(const uint8_t *p, size_t n)
{
    static const char *const methods[] = {"GET ", "POST ", "PUT ", "HEAD ", "OPTIONS ",
                                          "DELETE ", "PATCH ", "RPC_IN_DATA ", "RPC_OUT_DATA "};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        size_t m = strlen(methods[i]);
        if (n >= m ? memcmp(p, methods[i], m) == 0 : memcmp(p, methods[i], n) == 0)
            return true;
    }
    return false;
}

/* Parse as many complete requests as the buffer holds. */
static void http_drain(struct cs_sensor *s, struct appflow *a, const struct flow *f,
                       const char *sni, bool decrypted)
{
    while (a->req_len > 0 && a->requests < APPFLOW_HTTP_REQUESTS) {
        struct http_request r;
        enum pr_status st = http_parse_request(a->req, a->req_len, &r);
        if (st == PR_INCOMPLETE && a->req_len < APPFLOW_HTTP_BUF)
            return; /* wait for the rest of the head */
        if (st != PR_OK) {
            a->http = false; /* not HTTP we can follow: stop looking */
            a->req_len = 0;
            return;
        }
        size_t body = r.has_content_length && !r.chunked ? (size_t)r.content_length : 0;
        if (r.content_length > APPFLOW_HTTP_BUF)
            body = APPFLOW_HTTP_BUF; /* the classifier sees a prefix; the rest is passed */
        size_t have = a->req_len - r.head_len;
        enum ews_endpoint ep;
        bool ews = ews_path_match(r.path, &ep);
        if (ews && have < body && a->req_len < APPFLOW_HTTP_BUF)
            return; /* wait for the body prefix */
        size_t bodyn = have < body ? have : body;
        s->st.http_requests++;
        a->requests++;
        if (ews) {
            struct ews_request e;
            if (ews_classify(r.path, r.headers, r.n_headers, a->req + r.head_len, bodyn, &e) !=
                    PR_MALFORMED &&
                e.is_ews)
                emit_ews(s, f, sni, decrypted, &r, &e);
        }
        /* drop this request: head, and body up to what is here */
        size_t used = r.head_len + bodyn;
        a->body_skip = (r.has_content_length ? (size_t)r.content_length : 0) - bodyn;
        memmove(a->req, a->req + used, a->req_len - used);
        a->req_len -= used;
        if (a->body_skip > 0) {
            size_t k = a->body_skip < a->req_len ? a->body_skip : a->req_len;
            memmove(a->req, a->req + k, a->req_len - k);
            a->req_len -= k;
            a->body_skip -= k;
        }
    }
}

static void http_feed(struct cs_sensor *s, struct appflow *a, const struct flow *f,
                      const char *sni, bool decrypted, const uint8_t *p, size_t n)
{
    if (!a->http_checked) {
        a->http_checked = true;
        a->http = looks_like_request(p, n);
        if (!a->http)
            return;
        /* [HTTP-GROW] a small buffer first: a flow only claiming to be HTTP
         * must not reserve the whole request buffer */
        a->req = mem_calloc(&s->mem, 1, 4096);
        if (a->req == NULL) {
            a->http = false;
            return;
        }
        a->req_cap = 4096;
    }
    if (!a->http || a->requests >= APPFLOW_HTTP_REQUESTS)
        return;
    while (n > 0 && a->http) {
        if (a->body_skip > 0) { /* the rest of a previous body */
            size_t k = a->body_skip < n ? a->body_skip : n;
            a->body_skip -= k;
            p += k;
            n -= k;
            continue;
        }
        if (a->req_len == a->req_cap && a->req_cap < APPFLOW_HTTP_BUF) {
            size_t nc = a->req_cap * 2 < APPFLOW_HTTP_BUF ? a->req_cap * 2 : APPFLOW_HTTP_BUF;
            uint8_t *nb = mem_realloc(&s->mem, a->req, a->req_cap, nc);
            if (nb == NULL) {
                a->http = false;
                break;
            }
            a->req = nb;
            a->req_cap = nc;
        }
        size_t room = a->req_cap - a->req_len;
        size_t k = n < room ? n : room;
        memcpy(a->req + a->req_len, p, k);
        a->req_len += k;
        p += k;
        n -= k;
        http_drain(s, a, f, sni, decrypted);
        if (k == 0 && a->req_len == APPFLOW_HTTP_BUF) {
            a->http = false; /* a head larger than the buffer */
            break;
        }
    }
}

void appflow_plain(struct cs_sensor *s, struct appflow *a, const struct flow *f,
                   const char *sni, const uint8_t *p, size_t n)
{
    http_feed(s, a, f, sni, true, p, n);
}

bool appflow_http_active(const struct appflow *a)
{
    return a != NULL && a->http && a->requests < APPFLOW_HTTP_REQUESTS;
}

void appflow_clear_http(struct cs_sensor *s, struct appflow *a, const struct flow *f,
                        const uint8_t *p, size_t n)
{
    http_feed(s, a, f, NULL, false, p, n);
}

bool appflow_is_exchange_name(const struct cs_sensor *s, const char *name, size_t n)
{
    static const char *const online[] = {"outlook.office365.com", "outlook.office.com",
                                         "*.outlook.com", "outlook.com"};
    for (size_t i = 0; i < sizeof online / sizeof online[0]; i++)
        if (hygiene_host_match(online[i], strlen(online[i]), name, n))
            return true;
    if (n > 13 && strncasecmp(name, "autodiscover.", 13) == 0)
        return true;
    const char *h = s->cfg.exchange_hosts;
    while (h != NULL && *h) {
        const char *e = strchr(h, ',');
        size_t len = e != NULL ? (size_t)(e - h) : strlen(h);
        if (len > 0 && hygiene_host_match(h, len, name, n))
            return true;
        h += len + (e != NULL ? 1 : 0);
    }
    return false;
}
