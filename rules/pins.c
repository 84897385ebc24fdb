/* Certificate pins per host (contract in pins.h, format in README-pins.md). */
#include "pins.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "hygiene.h" /* hygiene_host_match, hygiene_host_pattern_valid */

#define EV_MAX 1536
#define HOST_MAX 256

enum pin_kind { PK_SPKI, PK_LEAF, PK_INTER, PK_ROOT, PK_ISSUER };

static const char *const kind_names[] = {"pin-spki-sha256", "pin-leaf-sha256",
                                         "pin-intermediate-sha256", "pin-root-sha256", "issuer"};
#define NKINDS (sizeof(kind_names) / sizeof(kind_names[0]))

struct pin_val {
    uint8_t h[32];
    char *dn; /* issuer pins: the DN text */
    bool rotation;
    char *src; /* "name:line" */
};

struct pin {
    char host[HOST_MAX]; /* lowercase, no trailing dot; an IP in inet_ntop form */
    bool is_ip;
    uint8_t family; /* 4 or 6 when is_ip */
    uint8_t ip[16];
    uint16_t port; /* 0: any */
    bool client;
    enum pin_kind kind;
    struct pin_val *v;
    size_t nv, capv;
};

struct pinset {
    struct pin *p;
    size_t n, cap;
};

/* ---- small helpers -------------------------------------------------------------- */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Make room for need elements of size bytes in *p (capacity *cap). */
static bool reserve(void **p, size_t *cap, size_t need, size_t size)
{
    size_t ncap;
    void *np;

    if (need <= *cap)
        return true;
    ncap = *cap < 8 ? 8 : *cap;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return false;
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / size) /* [PINS-ALLOC-OVERFLOW] */
        return false;
    np = realloc(*p, ncap * size);
    if (np == NULL)
        return false;
    *p = np;
    *cap = ncap;
    return true;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool ieq_str(const char *a, const char *b)
{
    for (; *a != '\0' && *b != '\0'; a++, b++)
        if (lower(*a) != lower(*b))
            return false;
    return *a == *b;
}

static void hex32(const uint8_t h[32], char out[65])
{
    static const char hx[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < 32; i++) {
        out[2 * i] = hx[h[i] >> 4];
        out[2 * i + 1] = hx[h[i] & 15];
    }
    out[64] = '\0';
}

/* bounded text builder: stops with "..." when full */
struct sbuf {
    char *p;
    size_t cap, len;
    bool full;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->full)
        return;
    va_start(ap, fmt);
    n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len) {
        b->full = true;
        b->len = b->cap - 1;
        memcpy(b->p + b->cap - 4, "...", 4);
        return;
    }
    b->len += (size_t)n;
}

/* printable ASCII kept, other bytes as \xHH (for DNs and SNI in evidence) */
static void sb_text(struct sbuf *b, const char *s)
{
    static const char hx[] = "0123456789abcdef";

    for (; *s != '\0' && !b->full; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c <= 0x7e)
            sb_add(b, "%c", c);
        else
            sb_add(b, "\\x%c%c", hx[c >> 4], hx[c & 15]);
    }
}

/* ---- tokenizer and values (shared) ------------------------------------------ */

bool pins_tokenize(const char *line, size_t n, char *buf, size_t cap, struct pins_tok *toks,
                   size_t max, size_t *count, const char **why)
{
    size_t i = 0, o = 0;

    *count = 0;
    *why = NULL;
    if (cap < n + 1) {
        *why = "line too long";
        return false;
    }
    if (memchr(line, '\0', n) != NULL) {
        *why = "NUL byte in line";
        return false;
    }
    for (;;) {
        struct pins_tok *t;

        while (i < n && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i >= n || line[i] == '#')
            return true;
        if (*count >= max) {
            *why = "too many values on one line";
            return false;
        }
        t = &toks[(*count)++];
        t->s = buf + o;
        t->quoted = line[i] == '"';
        if (t->quoted) {
            i++;
            while (i < n && line[i] != '"') {
                if (line[i] == '\\' && i + 1 < n && (line[i + 1] == '"' || line[i + 1] == '\\'))
                    i++;
                buf[o++] = line[i++];
            }
            if (i >= n) {
                *why = "unterminated quoted string";
                return false;
            }
            i++; /* closing quote */
            if (i < n && line[i] != ' ' && line[i] != '\t') {
                *why = "text right after a closing quote";
                return false;
            }
        } else {
            while (i < n && line[i] != ' ' && line[i] != '\t')
                buf[o++] = line[i++];
        }
        t->n = (size_t)(buf + o - t->s);
        buf[o++] = '\0';
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

bool pins_parse_sha256(const char *s, size_t n, uint8_t out[32], size_t *digits)
{
    size_t i, d = 0;
    bool colons = n > 2 && memchr(s, ':', n) != NULL, ok = true;

    for (i = 0; i < n; i++) {
        int v = hexval(s[i]);
        if (colons && s[i] == ':' && i % 3 == 2 && i + 1 < n)
            continue;
        if (v < 0 || (colons && i % 3 == 2)) {
            ok = false;
            continue;
        }
        if (d < 64)
            out[d / 2] = (uint8_t)(d % 2 == 0 ? v << 4 : out[d / 2] | v);
        d++;
    }
    *digits = d;
    return ok && d == 64;
}

/* ---- loading ------------------------------------------------------------------ */

struct pinset *pins_new(void)
{
    return calloc(1, sizeof(struct pinset));
}

static void val_free(struct pin_val *v)
{
    free(v->dn);
    free(v->src);
}

void pins_free(struct pinset *ps)
{
    size_t i, j;

    if (ps == NULL)
        return;
    for (i = 0; i < ps->n; i++) {
        for (j = 0; j < ps->p[i].nv; j++)
            val_free(&ps->p[i].v[j]);
        free(ps->p[i].v);
    }
    free(ps->p);
    free(ps);
}

size_t pins_count(const struct pinset *ps)
{
    return ps != NULL ? ps->n : 0;
}

static bool same_key(const struct pin *a, const struct pin *b)
{
    return a->is_ip == b->is_ip && a->port == b->port && a->client == b->client &&
           a->kind == b->kind && strcmp(a->host, b->host) == 0;
}

static struct pin *find_pin(struct pinset *ps, const struct pin *key)
{
    size_t i;

    for (i = 0; i < ps->n; i++)
        if (same_key(&ps->p[i], key))
            return &ps->p[i];
    return NULL;
}

/* HOST[:PORT], [IPv6]:PORT, or a bare IPv6 address. */
static bool parse_host(const struct pins_tok *t, struct pin *p, const char **why)
{
    char host[HOST_MAX];
    const char *port = NULL;
    const char *s = t->s, *colon = strchr(s, ':');
    size_t hl, i;

    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || (close[1] != '\0' && close[1] != ':')) {
            *why = "invalid bracketed address (expected [IPv6] or [IPv6]:PORT)";
            return false;
        }
        hl = (size_t)(close - s - 1);
        if (hl >= sizeof(host)) {
            *why = "host too long";
            return false;
        }
        memcpy(host, s + 1, hl);
        host[hl] = '\0';
        if (close[1] == ':')
            port = close + 2;
        if (inet_pton(AF_INET6, host, p->ip) != 1) {
            *why = "invalid IPv6 address in brackets";
            return false;
        }
        p->is_ip = true;
        p->family = 6;
    } else if (colon != NULL && strchr(colon + 1, ':') != NULL) {
        if (inet_pton(AF_INET6, s, p->ip) != 1) {
            *why = "invalid IPv6 address (write [ADDRESS]:PORT to give a port)";
            return false;
        }
        p->is_ip = true;
        p->family = 6;
    } else {
        hl = colon != NULL ? (size_t)(colon - s) : t->n;
        if (hl >= sizeof(host)) {
            *why = "host too long";
            return false;
        }
        memcpy(host, s, hl);
        host[hl] = '\0';
        if (colon != NULL)
            port = colon + 1;
        if (inet_pton(AF_INET, host, p->ip) == 1) {
            p->is_ip = true;
            p->family = 4;
        } else {
            if (!hygiene_host_pattern_valid(host, hl)) {
                *why = "invalid host pattern (expected a DNS name, \"*.\" and at least two "
                       "labels, or an IP address)";
                return false;
            }
            if (hl > 1 && host[hl - 1] == '.')
                host[--hl] = '\0';
            for (i = 0; i < hl; i++)
                p->host[i] = lower(host[i]);
            p->host[hl] = '\0';
        }
    }
    if (p->is_ip &&
        inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->ip, p->host, sizeof(p->host)) == NULL) {
        *why = "invalid address";
        return false;
    }
    if (port != NULL) {
        unsigned long v = 0;
        if (*port == '\0' || strlen(port) > 5) {
            *why = "invalid port (expected 1-65535)";
            return false;
        }
        for (i = 0; port[i] != '\0'; i++) {
            if (port[i] < '0' || port[i] > '9') {
                *why = "invalid port (expected 1-65535)";
                return false;
            }
            v = v * 10 + (unsigned long)(port[i] - '0');
        }
        if (v == 0 || v > 65535) {
            *why = "invalid port (expected 1-65535)";
            return false;
        }
        p->port = (uint16_t)v;
    }
    return true;
}

static bool add_value(struct pinset *ps, const struct pin *key, struct pin_val *v)
{
    struct pin *p = find_pin(ps, key);
    size_t j;

    if (p == NULL) {
        if (ps->n >= PINS_MAX || !reserve((void **)&ps->p, &ps->cap, ps->n + 1, sizeof(*ps->p)))
            return false;
        p = &ps->p[ps->n++];
        *p = *key;
        p->v = NULL;
        p->nv = p->capv = 0;
    }
    for (j = 0; j < p->nv; j++) { /* an exact repeat adds nothing */
        const struct pin_val *w = &p->v[j];
        if (w->rotation == v->rotation && memcmp(w->h, v->h, 32) == 0 &&
            ((w->dn == NULL && v->dn == NULL) ||
             (w->dn != NULL && v->dn != NULL && strcmp(w->dn, v->dn) == 0))) {
            val_free(v);
            return true;
        }
    }
    if (p->nv >= PINS_VALUES_MAX || !reserve((void **)&p->v, &p->capv, p->nv + 1, sizeof(*p->v)))
        return false;
    p->v[p->nv++] = *v;
    return true;
}

static char *dup_mem(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* One line into tmp. Returns PR_OK (also for blank and comment lines). */
static enum pr_status parse_line(struct pinset *tmp, const char *name, size_t lineno,
                                 const char *line, size_t n, char *err, size_t errlen)
{
    char buf[PINS_LINE_MAX + 1];
    struct pins_tok toks[PINS_TOKENS_MAX];
    size_t count = 0, i = 0, k;
    const char *why = NULL;
    struct pin key;
    bool rotation = false;
    int kind = -1;

    if (n > PINS_LINE_MAX) {
        set_err(err, errlen, "%s:%zu: line longer than %d bytes", name, lineno, PINS_LINE_MAX);
        return PR_LIMIT;
    }
    if (!pins_tokenize(line, n, buf, sizeof(buf), toks, PINS_TOKENS_MAX, &count, &why)) {
        set_err(err, errlen, "%s:%zu: %s", name, lineno, why);
        return PR_MALFORMED;
    }
    if (count == 0)
        return PR_OK;
    memset(&key, 0, sizeof(key));
    if (toks[0].quoted || !parse_host(&toks[0], &key, &why)) {
        set_err(err, errlen, "%s:%zu: '%.100s': %s", name, lineno, toks[0].s,
                why != NULL ? why : "host pattern must not be quoted");
        return PR_MALFORMED;
    }
    i = 1;
    if (i < count && strncmp(toks[i].s, "role=", 5) == 0) {
        if (strcmp(toks[i].s, "role=server") == 0) {
            key.client = false;
        } else if (strcmp(toks[i].s, "role=client") == 0) {
            key.client = true;
        } else {
            set_err(err, errlen, "%s:%zu: invalid '%.60s' (expected role=server or role=client)",
                    name, lineno, toks[i].s);
            return PR_MALFORMED;
        }
        i++;
    }
    if (i < count && strcmp(toks[i].s, "rotation") == 0) {
        rotation = true;
        i++;
    }
    if (i < count) {
        for (k = 0; k < NKINDS; k++)
            if (strcmp(toks[i].s, kind_names[k]) == 0)
                kind = (int)k;
    }
    if (kind < 0) {
        set_err(err, errlen,
                "%s:%zu: %s '%.60s' (expected [rotation] pin-spki-sha256, pin-leaf-sha256, "
                "pin-intermediate-sha256, pin-root-sha256 or issuer)",
                name, lineno, i < count ? "unknown action" : "missing action",
                i < count ? toks[i].s : "");
        return PR_MALFORMED;
    }
    key.kind = (enum pin_kind)kind;
    i++;
    if (i >= count) {
        set_err(err, errlen, "%s:%zu: %s needs at least one value", name, lineno, kind_names[kind]);
        return PR_MALFORMED;
    }
    for (; i < count; i++) {
        struct pin_val v;
        char src[64];
        size_t digits = 0;

        memset(&v, 0, sizeof(v));
        v.rotation = rotation;
        if (key.kind == PK_ISSUER) {
            if (toks[i].n == 0) {
                set_err(err, errlen, "%s:%zu: empty issuer DN", name, lineno);
                return PR_MALFORMED;
            }
            v.dn = dup_mem(toks[i].s, toks[i].n);
            if (v.dn == NULL)
                goto nomem;
        } else if (!pins_parse_sha256(toks[i].s, toks[i].n, v.h, &digits)) {
            set_err(err, errlen,
                    "%s:%zu: invalid sha256 '%.80s' (%zu hex digits, expected 64, optionally "
                    "colon-separated)",
                    name, lineno, toks[i].s, digits);
            return PR_MALFORMED;
        }
        snprintf(src, sizeof(src), ":%zu", lineno);
        v.src = malloc(strlen(name) + strlen(src) + 1);
        if (v.src == NULL) {
            free(v.dn);
            goto nomem;
        }
        memcpy(v.src, name, strlen(name));
        memcpy(v.src + strlen(name), src, strlen(src) + 1);
        if (!add_value(tmp, &key, &v)) {
            val_free(&v);
            set_err(err, errlen, "%s:%zu: more than %d pins or %d values for one pin", name, lineno,
                    PINS_MAX, PINS_VALUES_MAX);
            return PR_LIMIT;
        }
    }
    return PR_OK;
nomem:
    set_err(err, errlen, "%s:%zu: out of memory", name, lineno);
    return PR_LIMIT;
}

/* Move every value of tmp into ps; reserves first so the moves cannot fail. */
static enum pr_status merge(struct pinset *ps, struct pinset *tmp, const char *name, char *err,
                            size_t errlen)
{
    size_t i, fresh = 0;

    for (i = 0; i < tmp->n; i++) {
        struct pin *p = find_pin(ps, &tmp->p[i]);
        if (p == NULL) {
            fresh++;
        } else if (p->nv + tmp->p[i].nv > PINS_VALUES_MAX ||
                   !reserve((void **)&p->v, &p->capv, p->nv + tmp->p[i].nv, sizeof(*p->v))) {
            set_err(err, errlen, "%s: pin for '%s' gets more than %d values", name, p->host,
                    PINS_VALUES_MAX);
            return PR_LIMIT;
        }
    }
    if (ps->n + fresh > PINS_MAX ||
        !reserve((void **)&ps->p, &ps->cap, ps->n + fresh, sizeof(*ps->p))) {
        set_err(err, errlen, "%s: more than %d pins", name, PINS_MAX);
        return PR_LIMIT;
    }
    for (i = 0; i < tmp->n; i++) {
        struct pin *src = &tmp->p[i], *p = find_pin(ps, src);
        if (p == NULL) {
            ps->p[ps->n++] = *src; /* takes the value array */
        } else {
            memcpy(p->v + p->nv, src->v, src->nv * sizeof(*src->v));
            p->nv += src->nv;
            free(src->v);
        }
        src->v = NULL;
        src->nv = 0;
    }
    tmp->n = 0;
    return PR_OK;
}

enum pr_status pins_load(struct pinset *ps, const char *name, const char *text, size_t len,
                         char *err, size_t errlen)
{
    struct pinset *tmp;
    size_t pos = 0, lineno = 0;
    enum pr_status st = PR_OK;

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (name == NULL)
        name = "(pins)";
    if (ps == NULL || (text == NULL && len > 0)) {
        set_err(err, errlen, "%s: invalid argument", name);
        return PR_MALFORMED;
    }
    tmp = pins_new();
    if (tmp == NULL)
        return PR_LIMIT;
    while (pos < len && st == PR_OK) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - text) : len, n = end - pos;

        lineno++;
        if (n > 0 && text[pos + n - 1] == '\r')
            n--;
        st = parse_line(tmp, name, lineno, text + pos, n, err, errlen);
        pos = end + 1;
    }
    if (st == PR_OK)
        st = merge(ps, tmp, name, err, errlen);
    pins_free(tmp);
    return st;
}

/* ---- checking ------------------------------------------------------------------ */

struct seen {
    uint8_t h[32];
    char label[16];
};

static bool applies(const struct pin *p, const struct cs_tls *t)
{
    size_t slen;

    if (p->port != 0 && p->port != t->server.port)
        return false;
    if (p->is_ip)
        return t->server.family == p->family &&
               memcmp(t->server.addr, p->ip, p->family == 4 ? 4 : 16) == 0;
    slen = strnlen(t->sni, sizeof(t->sni));
    return slen > 0 && hygiene_host_match(p->host, strlen(p->host), t->sni, slen);
}

static void path_label(const struct trust_path_entry *pe, char *out, size_t cap)
{
    if (pe->sent_index >= 0)
        snprintf(out, cap, "#%d", pe->sent_index);
    else
        snprintf(out, cap, "%s", pe->from_roots ? "root-store" : "int-store");
}

/* the top of the linked path when it is a root */
static bool top_is_root(const struct trust_result *r)
{
    const struct trust_path_entry *top;

    if (r->path_linked == 0)
        return false;
    top = &r->path[r->path_linked - 1];
    return top->from_roots || top->self_signed;
}

/* Hashes at the pinned position; note explains an empty result. */
static size_t seen_at(const struct pin *p, const struct cs_cert *certs,
                      const struct trust_result *r, bool have_path, struct seen *out,
                      const char **note)
{
    size_t k, n = 0, end;

    *note = NULL;
    switch (p->kind) {
    case PK_LEAF:
        if (certs[0].info != NULL) {
            memcpy(out[0].h, certs[0].info->sha256, 32);
        } else {
            unsigned int got = 0;
            if (certs[0].der == NULL || EVP_Digest(certs[0].der, certs[0].der_len, out[0].h, &got,
                                                   EVP_sha256(), NULL) != 1) {
                *note = "leaf thumbprint unavailable";
                return 0;
            }
        }
        snprintf(out[0].label, sizeof(out[0].label), "#0");
        return 1;
    case PK_SPKI:
        if (!have_path) {
            if (certs[0].info != NULL && certs[0].info->has_spki) {
                memcpy(out[0].h, certs[0].info->spki_sha256, 32);
                snprintf(out[0].label, sizeof(out[0].label), "#0");
                return 1;
            }
            *note = "leaf key not parsed";
            return 0;
        }
        for (k = 0; k < r->path_linked; k++, n++) {
            memcpy(out[n].h, r->path[k].spki_sha256, 32);
            path_label(&r->path[k], out[n].label, sizeof(out[n].label));
        }
        return n;
    case PK_INTER:
        if (!have_path) {
            *note = "leaf not parsed";
            return 0;
        }
        end = top_is_root(r) ? r->path_linked - 1 : r->path_linked;
        for (k = 1; k < end; k++, n++) {
            memcpy(out[n].h, r->path[k].sha256, 32);
            path_label(&r->path[k], out[n].label, sizeof(out[n].label));
        }
        if (n == 0)
            *note = "no intermediate on the path";
        return n;
    case PK_ROOT:
        if (!have_path) {
            *note = "leaf not parsed";
            return 0;
        }
        if (!top_is_root(r)) {
            *note = "no root (the path ends at a certificate that is neither self-signed nor "
                    "in the root store)";
            return 0;
        }
        memcpy(out[0].h, r->path[r->path_linked - 1].sha256, 32);
        path_label(&r->path[r->path_linked - 1], out[0].label, sizeof(out[0].label));
        return 1;
    case PK_ISSUER:
        break;
    }
    return 0;
}

static void host_text(const struct pin *p, struct sbuf *b)
{
    bool v6 = p->is_ip && p->family == 6;

    if (p->port != 0)
        sb_add(b, "%s%s%s:%u", v6 ? "[" : "", p->host, v6 ? "]" : "", (unsigned)p->port);
    else
        sb_add(b, "%s", p->host);
}

static void emit(const struct check_out *o, bool client, uint32_t sid, const char *check,
                 const char *sig, const char *cat, uint8_t sev, const struct cs_cert *cert, int idx,
                 const char *src, const char *ev)
{
    struct cs_alert a;

    memset(&a, 0, sizeof(a));
    a.signature_id = sid;
    a.rev = 1;
    a.signature = sig;
    a.category = cat;
    a.severity = sev;
    a.check = check;
    a.role = client ? "client" : "server";
    a.chain_index = idx;
    a.cert = cert;
    a.evidence = ev;
    a.source = src;
    check_emit(o, &a);
}

static void check_pin(const struct pin *p, const struct cs_cert *certs,
                      const struct trust_result *r, bool have_path, const struct check_out *o)
{
    struct seen seen[TRUST_PATH_MAX + 1];
    const struct pin_val *main_hit = NULL, *rot_hit = NULL;
    const char *note = NULL, *issuer = NULL;
    const char *first_src = p->nv > 0 ? p->v[0].src : NULL;
    size_t ns = 0, i, j;
    char ev[EV_MAX], hx[65];
    struct sbuf b = {ev, sizeof(ev), 0, false};
    bool any_rot = false;

    ev[0] = '\0';
    if (p->kind == PK_ISSUER) {
        if (certs[0].info != NULL && certs[0].info->parsed)
            issuer = certs[0].info->issuer;
        else
            note = "leaf not parsed";
        for (j = 0; issuer != NULL && j < p->nv && main_hit == NULL; j++) {
            if (ieq_str(p->v[j].dn, issuer)) {
                if (p->v[j].rotation) {
                    if (rot_hit == NULL)
                        rot_hit = &p->v[j];
                } else {
                    main_hit = &p->v[j];
                }
            }
        }
    } else {
        ns = seen_at(p, certs, r, have_path, seen, &note);
        for (i = 0; i < ns && main_hit == NULL; i++) {
            for (j = 0; j < p->nv; j++) {
                if (memcmp(p->v[j].h, seen[i].h, 32) != 0)
                    continue;
                if (!p->v[j].rotation) {
                    main_hit = &p->v[j];
                    break;
                }
                if (rot_hit == NULL)
                    rot_hit = &p->v[j];
            }
        }
    }
    if (main_hit != NULL)
        return;

    sb_add(&b, "%s for '", kind_names[p->kind]);
    host_text(p, &b);
    sb_add(&b, "' (%s chain): ", p->client ? "client" : "server");
    if (rot_hit != NULL) {
        sb_add(&b, "matched rotation value ");
        if (p->kind == PK_ISSUER) {
            sb_add(&b, "'");
            sb_text(&b, rot_hit->dn);
            sb_add(&b, "'");
        } else {
            hex32(rot_hit->h, hx);
            sb_add(&b, "%s", hx);
        }
        sb_add(&b, " from %s", rot_hit->src);
        emit(o, p->client, PINS_SID_ROTATION, "pin.rotation_used",
             "CERTSENSOR pinned host uses a rotation pin", "info", 3,
             p->kind == PK_LEAF || p->kind == PK_ISSUER ? &certs[0] : NULL,
             p->kind == PK_LEAF || p->kind == PK_ISSUER ? 0 : -1, rot_hit->src, ev);
        return;
    }
    sb_add(&b, "expected one of");
    for (j = 0; j < p->nv; j++) {
        if (p->v[j].rotation) {
            any_rot = true;
            continue;
        }
        if (p->kind == PK_ISSUER) {
            sb_add(&b, " '");
            sb_text(&b, p->v[j].dn);
            sb_add(&b, "'");
        } else {
            hex32(p->v[j].h, hx);
            sb_add(&b, " %s", hx);
        }
    }
    if (any_rot)
        sb_add(&b, " (or a rotation value)");
    sb_add(&b, "; seen:");
    if (p->kind == PK_ISSUER && issuer != NULL) {
        sb_add(&b, " #0 issuer '");
        sb_text(&b, issuer);
        sb_add(&b, "'");
    }
    for (i = 0; i < ns; i++) {
        hex32(seen[i].h, hx);
        sb_add(&b, " %s %s", seen[i].label, hx);
    }
    if (note != NULL)
        sb_add(&b, " %s", note);
    emit(o, p->client, PINS_SID_VIOLATION, "pin.violation",
         "CERTSENSOR certificate does not match the pin", "mitm", 1,
         p->kind == PK_LEAF || p->kind == PK_ISSUER ? &certs[0] : NULL,
         p->kind == PK_LEAF || p->kind == PK_ISSUER ? 0 : -1, first_src, ev);
}

void pins_check_trust(const struct pinset *ps, const struct trust_store *ts, const struct cs_tls *t,
                      const struct check_out *o)
{
    struct trust_result r;
    int role;
    size_t i;

    if (ps == NULL || t == NULL || ps->n == 0)
        return;
    ERR_set_mark();
    for (role = 0; role < 2; role++) {
        bool client = role == 1, tried = false, have_path = false;
        const struct cs_cert *certs = client ? t->client_certs : t->server_certs;
        size_t count = client ? t->client_cert_count : t->server_cert_count;

        if (count == 0) /* nothing sent (resumed, TLS 1.3 without keys): nothing to judge */
            continue;
        for (i = 0; i < ps->n; i++) {
            const struct pin *p = &ps->p[i];
            if (p->client != client || !applies(p, t))
                continue;
            if (!tried && p->kind != PK_LEAF && p->kind != PK_ISSUER) {
                tried = true;
                have_path = trust_verify(ts, t, client, &r) == PR_OK && r.path_len > 0;
            }
            check_pin(p, certs, &r, have_path, o);
        }
    }
    ERR_pop_to_mark();
}

void pins_check(const struct pinset *ps, const struct cs_tls *t, const struct check_out *o)
{
    pins_check_trust(ps, NULL, t, o);
}
