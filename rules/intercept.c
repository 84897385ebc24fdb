/* Known TLS-inspection issuers (contract and list format in intercept.h). */
#include "intercept.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pins.h" /* pins_tokenize, pins_parse_sha256 */

#define EV_MAX 1024

enum ic_kind { IC_NAME, IC_SHA256, IC_SPKI };

struct ic_entry {
    enum ic_kind kind;
    char pat[INTERCEPT_PATTERN_MAX + 1]; /* lowercase (IC_NAME) */
    uint8_t h[32];
    char *src; /* "name:line" */
};

struct intercept_list {
    struct ic_entry *e;
    size_t n, cap;
};

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

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

struct intercept_list *intercept_new(void)
{
    return calloc(1, sizeof(struct intercept_list));
}

void intercept_free(struct intercept_list *il)
{
    size_t i;

    if (il == NULL)
        return;
    for (i = 0; i < il->n; i++)
        free(il->e[i].src);
    free(il->e);
    free(il);
}

size_t intercept_count(const struct intercept_list *il)
{
    return il != NULL ? il->n : 0;
}

static bool push(struct intercept_list *il, const struct ic_entry *e)
{
    if (il->n >= INTERCEPT_MAX)
        return false;
    if (il->n == il->cap) {
        size_t ncap = il->cap < 16 ? 16 : il->cap * 2;
        struct ic_entry *ne;
        if (ncap > SIZE_MAX / sizeof(*ne)) /* [IC-ALLOC-OVERFLOW] */
            return false;
        ne = realloc(il->e, ncap * sizeof(*ne));
        if (ne == NULL)
            return false;
        il->e = ne;
        il->cap = ncap;
    }
    il->e[il->n++] = *e;
    return true;
}

static enum pr_status parse_line(struct intercept_list *il, const char *name, size_t lineno,
                                 const char *line, size_t n, char *err, size_t errlen)
{
    char buf[PINS_LINE_MAX + 1];
    struct pins_tok toks[4];
    size_t count = 0, digits = 0, i, srclen;
    const char *why = NULL;
    struct ic_entry e;
    char num[32];

    if (n > PINS_LINE_MAX) {
        set_err(err, errlen, "%s:%zu: line longer than %d bytes", name, lineno, PINS_LINE_MAX);
        return PR_LIMIT;
    }
    if (!pins_tokenize(line, n, buf, sizeof(buf), toks, 4, &count, &why)) {
        set_err(err, errlen, "%s:%zu: %s", name, lineno, why);
        return PR_MALFORMED;
    }
    if (count == 0)
        return PR_OK;
    memset(&e, 0, sizeof(e));
    if (strcmp(toks[0].s, "name") == 0)
        e.kind = IC_NAME;
    else if (strcmp(toks[0].s, "sha256") == 0)
        e.kind = IC_SHA256;
    else if (strcmp(toks[0].s, "spki-sha256") == 0)
        e.kind = IC_SPKI;
    else {
        set_err(err, errlen, "%s:%zu: unknown entry '%.60s' (expected name, sha256 or spki-sha256)",
                name, lineno, toks[0].s);
        return PR_MALFORMED;
    }
    if (count != 2) {
        set_err(err, errlen, "%s:%zu: %s takes exactly one value (quote names with spaces)", name,
                lineno, toks[0].s);
        return PR_MALFORMED;
    }
    if (e.kind == IC_NAME) {
        if (toks[1].n == 0 || toks[1].n > INTERCEPT_PATTERN_MAX) {
            set_err(err, errlen, "%s:%zu: name pattern of %zu bytes (expected 1-%d)", name, lineno,
                    toks[1].n, INTERCEPT_PATTERN_MAX);
            return PR_MALFORMED;
        }
        for (i = 0; i < toks[1].n; i++)
            e.pat[i] = lower(toks[1].s[i]);
        e.pat[toks[1].n] = '\0';
    } else if (!pins_parse_sha256(toks[1].s, toks[1].n, e.h, &digits)) {
        set_err(err, errlen, "%s:%zu: invalid sha256 '%.80s' (%zu hex digits, expected 64)", name,
                lineno, toks[1].s, digits);
        return PR_MALFORMED;
    }
    snprintf(num, sizeof(num), ":%zu", lineno);
    srclen = strlen(name);
    e.src = malloc(srclen + strlen(num) + 1);
    if (e.src == NULL)
        goto nomem;
    memcpy(e.src, name, srclen);
    memcpy(e.src + srclen, num, strlen(num) + 1);
    if (!push(il, &e)) {
        free(e.src);
        goto nomem;
    }
    return PR_OK;
nomem:
    set_err(err, errlen, "%s:%zu: more than %d entries or out of memory", name, lineno,
            INTERCEPT_MAX);
    return PR_LIMIT;
}

enum pr_status intercept_load(struct intercept_list *il, const char *name, const char *text,
                              size_t len, char *err, size_t errlen)
{
    size_t pos = 0, lineno = 0, before, i;
    enum pr_status st = PR_OK;

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (name == NULL)
        name = "(intercept)";
    if (il == NULL || (text == NULL && len > 0)) {
        set_err(err, errlen, "%s: invalid argument", name);
        return PR_MALFORMED;
    }
    before = il->n;
    while (pos < len && st == PR_OK) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - text) : len, n = end - pos;

        lineno++;
        if (n > 0 && text[pos + n - 1] == '\r')
            n--;
        st = parse_line(il, name, lineno, text + pos, n, err, errlen);
        pos = end + 1;
    }
    if (st != PR_OK) { /* all or nothing */
        for (i = before; i < il->n; i++)
            free(il->e[i].src);
        il->n = before;
    }
    return st;
}

static void lower_copy(const char *s, char *out, size_t cap)
{
    size_t i;

    for (i = 0; s[i] != '\0' && i + 1 < cap; i++)
        out[i] = lower(s[i]);
    out[i] = '\0';
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

static void emit(const struct check_out *o, const char *role, const struct cs_cert *c, size_t idx,
                 const struct ic_entry *e, const char *what)
{
    struct cs_alert a;
    char ev[EV_MAX], hx[65];

    if (e->kind == IC_NAME) {
        snprintf(ev, sizeof(ev),
                 "%s #%zu %s '%.400s' contains '%s', a known TLS-inspection issuer name", role, idx,
                 what, what[0] == 'i' ? c->info->issuer : c->info->subject, e->pat);
    } else {
        hex32(e->kind == IC_SHA256 ? c->info->sha256 : c->info->spki_sha256, hx);
        snprintf(ev, sizeof(ev), "%s #%zu %s %s is a known TLS-inspection certificate", role, idx,
                 e->kind == IC_SHA256 ? "sha256" : "spki_sha256", hx);
    }
    memset(&a, 0, sizeof(a));
    a.signature_id = INTERCEPT_SID_KNOWN_ISSUER;
    a.rev = 1;
    a.signature = "CERTSENSOR known TLS-inspection issuer";
    a.category = "mitm";
    a.severity = 2;
    a.check = "intercept.known_issuer";
    a.role = role;
    a.chain_index = (int)idx;
    a.cert = c;
    a.evidence = ev;
    a.source = e->src;
    check_emit(o, &a);
}

static bool match_chain(const struct intercept_list *il, const char *role,
                        const struct cs_cert *certs, size_t count, const struct check_out *o)
{
    char iss[CS_NAME_MAX], sub[CS_NAME_MAX];
    size_t i, j, n = count < CS_CHAIN_MAX ? count : CS_CHAIN_MAX;

    for (i = 0; i < n; i++) {
        const struct cs_cert_info *ci = certs[i].info;
        bool ca;

        if (ci == NULL)
            continue;
        ca = ci->is_ca || ci->self_signed;
        lower_copy(ci->parsed ? ci->issuer : "", iss, sizeof(iss));
        lower_copy(ci->parsed && ca ? ci->subject : "", sub, sizeof(sub));
        for (j = 0; j < il->n; j++) {
            const struct ic_entry *e = &il->e[j];
            const char *what = NULL;

            if (e->kind == IC_NAME) {
                if (strstr(iss, e->pat) != NULL)
                    what = "issuer";
                else if (strstr(sub, e->pat) != NULL)
                    what = "subject";
            } else if (e->kind == IC_SHA256) {
                if (memcmp(ci->sha256, e->h, 32) == 0)
                    what = "sha256";
            } else if (ci->has_spki && memcmp(ci->spki_sha256, e->h, 32) == 0) {
                what = "spki";
            }
            if (what != NULL) {
                emit(o, role, &certs[i], i, e, what);
                return true;
            }
        }
    }
    return false;
}

void intercept_check(const struct intercept_list *il, const struct cs_tls *t,
                     const struct check_out *o)
{
    if (il == NULL || il->n == 0 || t == NULL)
        return;
    match_chain(il, "server", t->server_certs, t->server_cert_count, o);
    match_chain(il, "client", t->client_certs, t->client_cert_count, o);
}
