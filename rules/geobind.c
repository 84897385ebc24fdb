/* Geographic binding rules: see geobind.h for the file format. */
#include "geobind.h"
#include "loadmsg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum gb_kind { GB_SHA256, GB_SPKI, GB_SUBJECT, GB_ISSUER };

enum { GB_ROLE_SERVER = 1, GB_ROLE_CLIENT = 2, GB_ROLE_ANY = 3 };

struct gb_rule {
    enum gb_kind kind;
    unsigned roles;     /* GB_ROLE_* bits */
    uint8_t digest[32]; /* GB_SHA256, GB_SPKI */
    char *substr;       /* GB_SUBJECT, GB_ISSUER: NUL-terminated, owned */
    size_t substr_len;
    uint32_t asn[GEOBIND_MAX_LIST];
    size_t n_asn;
    char cc[GEOBIND_MAX_LIST][3];
    size_t n_cc;
    bool strict;
    size_t line;
};

struct geobind {
    char *name;
    struct gb_rule *rules;
    size_t n, cap;
};

/* ---- parsing ---------------------------------------------------------- */

struct lcur {
    const char *p, *end; /* the rest of one line */
};

static void perr(char *err, size_t errlen, const char *name, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void perr(char *err, size_t errlen, const char *name, size_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    loadmsg_v(err, errlen, name, line, fmt, ap);
    va_end(ap);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static void skip_ws(struct lcur *c)
{
    while (c->p < c->end && is_space(*c->p))
        c->p++;
}

/* Next whitespace-delimited token; false at the end of the line or at a comment. */
static bool next_tok(struct lcur *c, const char **tok, size_t *n)
{
    skip_ws(c);
    if (c->p >= c->end || *c->p == '#')
        return false;
    const char *s = c->p;
    while (c->p < c->end && !is_space(*c->p))
        c->p++;
    *tok = s;
    *n = (size_t)(c->p - s);
    return true;
}

static bool tok_is(const char *tok, size_t n, const char *word)
{
    size_t wl = strlen(word);
    return n == wl && memcmp(tok, word, wl) == 0;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* 64 hex digits, ':' allowed between bytes. Returns the digit count seen,
 * or (size_t)-1 on a character that is neither. */
static size_t parse_hex32(const char *s, size_t n, uint8_t out[32])
{
    size_t digits = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ':')
            continue;
        int v = hexval(s[i]);
        if (v < 0)
            return (size_t)-1;
        if (digits < 64)
            out[digits / 2] = (uint8_t)((digits % 2) ? (out[digits / 2] | v) : (v << 4));
        digits++;
    }
    return digits;
}

/* "..." with \" and \\; c->p is on the opening quote. */
static bool parse_quoted(struct lcur *c, struct gb_rule *r, const char **why)
{
    c->p++; /* opening quote */
    char buf[GEOBIND_MAX_SUBSTR + 1];
    size_t k = 0;
    for (;;) {
        if (c->p >= c->end) {
            *why = "unterminated quoted string, expected a closing '\"'";
            return false;
        }
        char ch = *c->p++;
        if (ch == '"')
            break;
        if (ch == '\\') {
            if (c->p >= c->end || (*c->p != '"' && *c->p != '\\')) {
                *why = "bad escape in quoted string, expected \\\" or \\\\";
                return false;
            }
            ch = *c->p++;
        }
        if (k >= GEOBIND_MAX_SUBSTR) {
            *why = "quoted string longer than 512 bytes";
            return false;
        }
        buf[k++] = ch;
    }
    if (k == 0) {
        *why = "empty quoted string, expected some text to match";
        return false;
    }
    if (c->p < c->end && !is_space(*c->p)) {
        *why = "text right after the closing quote, expected a space";
        return false;
    }
    r->substr = malloc(k + 1);
    if (r->substr == NULL) {
        *why = "out of memory";
        return false;
    }
    memcpy(r->substr, buf, k);
    r->substr[k] = '\0';
    r->substr_len = k;
    return true;
}

static bool parse_match(struct lcur *c, struct gb_rule *r, char *why_buf, size_t why_cap,
                        const char **why)
{
    skip_ws(c);
    size_t rest = (size_t)(c->end - c->p);
    static const struct {
        const char *prefix;
        enum gb_kind kind;
    } quoted[] = {{"subject:", GB_SUBJECT}, {"issuer:", GB_ISSUER}};
    for (size_t i = 0; i < sizeof quoted / sizeof quoted[0]; i++) {
        size_t pl = strlen(quoted[i].prefix);
        if (rest > pl && memcmp(c->p, quoted[i].prefix, pl) == 0) {
            c->p += pl;
            r->kind = quoted[i].kind;
            if (*c->p != '"') {
                *why = "expected a quoted string after subject: / issuer:";
                return false;
            }
            return parse_quoted(c, r, why);
        }
    }
    const char *tok;
    size_t n;
    if (!next_tok(c, &tok, &n)) {
        *why = "missing certificate match";
        return false;
    }
    size_t pl;
    if (n >= 7 && memcmp(tok, "sha256:", 7) == 0) {
        r->kind = GB_SHA256;
        pl = 7;
    } else if (n >= 5 && memcmp(tok, "spki:", 5) == 0) {
        r->kind = GB_SPKI;
        pl = 5;
    } else {
        *why = "unknown certificate match, expected sha256:<hex>, spki:<hex>, "
               "subject:\"...\" or issuer:\"...\"";
        return false;
    }
    size_t digits = parse_hex32(tok + pl, n - pl, r->digest);
    if (digits == (size_t)-1) {
        *why = "invalid thumbprint: not hexadecimal";
        return false;
    }
    if (digits != 64) {
        snprintf(why_buf, why_cap, "invalid %s thumbprint (%zu hex digits), expected 64",
                 r->kind == GB_SHA256 ? "sha256" : "spki", digits);
        *why = why_buf;
        return false;
    }
    return true;
}

static bool parse_asn(const char *s, size_t n, uint32_t *out)
{
    if (n >= 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's')) {
        s += 2;
        n -= 2;
    }
    if (n == 0 || n > 10)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v == 0 || v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool parse_list(const char *tok, size_t n, struct gb_rule *r, bool asn, char *why_buf,
                       size_t why_cap, const char **why)
{
    const char *p = tok, *end = tok + n;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *e = comma ? comma : end;
        size_t len = (size_t)(e - p);
        if (asn) {
            uint32_t v;
            if (!parse_asn(p, len, &v)) {
                snprintf(why_buf, why_cap,
                         "invalid ASN '%.*s', expected a number from 1 to 4294967295 "
                         "(AS prefix optional)",
                         (int)(len > 32 ? 32 : len), p);
                *why = why_buf;
                return false;
            }
            if (r->n_asn >= GEOBIND_MAX_LIST) {
                *why = "more than 64 ASNs in one rule";
                return false;
            }
            r->asn[r->n_asn++] = v;
        } else {
            bool ok = len == 2;
            char cc[3] = {0, 0, 0};
            for (size_t i = 0; ok && i < 2; i++) {
                char ch = p[i];
                if (ch >= 'a' && ch <= 'z')
                    ch = (char)(ch - 'a' + 'A');
                ok = ch >= 'A' && ch <= 'Z';
                cc[i] = ch;
            }
            if (!ok) {
                snprintf(why_buf, why_cap,
                         "invalid country '%.*s', expected a two-letter ISO 3166-1 code",
                         (int)(len > 32 ? 32 : len), p);
                *why = why_buf;
                return false;
            }
            if (r->n_cc >= GEOBIND_MAX_LIST) {
                *why = "more than 64 countries in one rule";
                return false;
            }
            memcpy(r->cc[r->n_cc++], cc, 3);
        }
        if (comma == NULL)
            return true;
        p = comma + 1;
    }
}

/* One non-empty, non-comment line into r. */
static bool parse_rule(struct lcur *c, struct gb_rule *r, char *why_buf, size_t why_cap,
                       const char **why)
{
    if (!parse_match(c, r, why_buf, why_cap, why))
        return false;
    const char *tok;
    size_t n;
    if (!next_tok(c, &tok, &n)) {
        *why = "missing role, expected server, client or any";
        return false;
    }
    if (tok_is(tok, n, "server"))
        r->roles = GB_ROLE_SERVER;
    else if (tok_is(tok, n, "client"))
        r->roles = GB_ROLE_CLIENT;
    else if (tok_is(tok, n, "any"))
        r->roles = GB_ROLE_ANY;
    else {
        snprintf(why_buf, why_cap, "unknown role '%.*s', expected server, client or any",
                 (int)(n > 32 ? 32 : n), tok);
        *why = why_buf;
        return false;
    }
    bool seen_asn = false, seen_cc = false;
    while (next_tok(c, &tok, &n)) {
        bool is_asn = tok_is(tok, n, "allow-asn");
        if (is_asn || tok_is(tok, n, "allow-country")) {
            if (is_asn ? seen_asn : seen_cc) {
                *why = is_asn ? "allow-asn given twice" : "allow-country given twice";
                return false;
            }
            const char *list;
            size_t ln;
            if (!next_tok(c, &list, &ln)) {
                *why = is_asn ? "allow-asn without a list, expected e.g. 8075,16509"
                              : "allow-country without a list, expected e.g. US,IE";
                return false;
            }
            if (!parse_list(list, ln, r, is_asn, why_buf, why_cap, why))
                return false;
            if (is_asn)
                seen_asn = true;
            else
                seen_cc = true;
        } else if (tok_is(tok, n, "strict")) {
            if (r->strict) {
                *why = "strict given twice";
                return false;
            }
            r->strict = true;
        } else {
            snprintf(why_buf, why_cap,
                     "unknown option '%.*s', expected allow-asn, allow-country or strict",
                     (int)(n > 32 ? 32 : n), tok);
            *why = why_buf;
            return false;
        }
    }
    if (!seen_asn && !seen_cc) {
        *why = "rule allows nothing, expected allow-asn and/or allow-country";
        return false;
    }
    return true;
}

static void rule_free(struct gb_rule *r)
{
    free(r->substr);
    r->substr = NULL;
}

void geobind_free(struct geobind *gb)
{
    if (gb == NULL)
        return;
    for (size_t i = 0; i < gb->n; i++)
        rule_free(&gb->rules[i]);
    free(gb->rules);
    free(gb->name);
    free(gb);
}

size_t geobind_count(const struct geobind *gb)
{
    return gb != NULL ? gb->n : 0;
}

static bool push_rule(struct geobind *gb, const struct gb_rule *r)
{
    if (gb->n == gb->cap) {
        size_t ncap = gb->cap ? gb->cap * 2 : 16;
        if (ncap > GEOBIND_MAX_RULES)
            ncap = GEOBIND_MAX_RULES;
        /* [GEOBIND-ALLOC-OVERFLOW] ncap <= GEOBIND_MAX_RULES keeps the product small */
        struct gb_rule *nr = realloc(gb->rules, ncap * sizeof *nr);
        if (nr == NULL)
            return false;
        gb->rules = nr;
        gb->cap = ncap;
    }
    gb->rules[gb->n++] = *r;
    return true;
}

struct geobind *geobind_load_buf(const char *name, const char *text, size_t len, char *err,
                                 size_t errlen)
{
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (name == NULL)
        name = "geobind";
    struct geobind *gb = calloc(1, sizeof *gb);
    if (gb == NULL || (gb->name = strdup(name)) == NULL) {
        perr(err, errlen, name, 0, "out of memory");
        free(gb);
        return NULL;
    }
    if (text == NULL)
        len = 0;
    const char *p = text, *end = text + len;
    size_t line = 0;
    while (p < end) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if ((size_t)(le - p) > GEOBIND_MAX_LINE) {
            perr(err, errlen, name, line, "line longer than %u bytes", GEOBIND_MAX_LINE);
            goto fail;
        }
        if (memchr(p, '\0', (size_t)(le - p)) != NULL) {
            perr(err, errlen, name, line, "NUL byte in line, expected text");
            goto fail;
        }
        struct lcur c = {p, le};
        p = nl ? nl + 1 : end;
        skip_ws(&c);
        if (c.p >= c.end || *c.p == '#')
            continue;
        if (gb->n >= GEOBIND_MAX_RULES) {
            perr(err, errlen, name, line, "more than %u rules", GEOBIND_MAX_RULES);
            goto fail;
        }
        struct gb_rule r;
        memset(&r, 0, sizeof r);
        r.line = line;
        char why_buf[160];
        const char *why = "invalid rule";
        if (!parse_rule(&c, &r, why_buf, sizeof why_buf, &why)) {
            perr(err, errlen, name, line, "%s", why);
            rule_free(&r);
            goto fail;
        }
        if (!push_rule(gb, &r)) {
            perr(err, errlen, name, line, "out of memory");
            rule_free(&r);
            goto fail;
        }
    }
    return gb;
fail:
    geobind_free(gb);
    return NULL;
}

struct geobind *geobind_load_file(const char *path, char *err, size_t errlen)
{
    struct geobind *gb = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 0;
    for (;;) {
        if (len == cap) {
            if (cap >= GEOBIND_MAX_FILE) {
                if (err != NULL && errlen > 0)
                    snprintf(err, errlen, "%s: larger than %u bytes", path, GEOBIND_MAX_FILE);
                goto out;
            }
            size_t ncap = cap ? cap * 2 : 8192;
            if (ncap > GEOBIND_MAX_FILE)
                ncap = GEOBIND_MAX_FILE;
            char *nb = realloc(buf, ncap);
            if (nb == NULL) {
                if (err != NULL && errlen > 0)
                    snprintf(err, errlen, "%s: out of memory", path);
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (got == 0) {
            if (ferror(fp)) {
                if (err != NULL && errlen > 0)
                    snprintf(err, errlen, "%s: read error", path);
                goto out;
            }
            break;
        }
    }
    gb = geobind_load_buf(path, buf, len, err, errlen);
out:
    free(buf);
    fclose(fp);
    return gb;
}

/* ---- matching --------------------------------------------------------- */

static bool ci_contains(const char *hay, const char *needle, size_t nl)
{
    size_t hl = strlen(hay);
    if (nl > hl)
        return false;
    for (size_t i = 0; i + nl <= hl; i++) {
        size_t j = 0;
        while (j < nl) {
            char a = hay[i + j], b = needle[j];
            if (a >= 'A' && a <= 'Z')
                a = (char)(a - 'A' + 'a');
            if (b >= 'A' && b <= 'Z')
                b = (char)(b - 'A' + 'a');
            if (a != b)
                break;
            j++;
        }
        if (j == nl)
            return true;
    }
    return false;
}

static bool rule_matches(const struct gb_rule *r, const struct cs_cert *c)
{
    const struct cs_cert_info *ci = c->info;
    if (ci == NULL)
        return false;
    switch (r->kind) {
    case GB_SHA256:
        return memcmp(ci->sha256, r->digest, 32) == 0;
    case GB_SPKI:
        return ci->has_spki && memcmp(ci->spki_sha256, r->digest, 32) == 0;
    case GB_SUBJECT:
        return ci->parsed && ci_contains(ci->subject, r->substr, r->substr_len);
    case GB_ISSUER:
        return ci->parsed && ci_contains(ci->issuer, r->substr, r->substr_len);
    }
    return false;
}

enum gb_verdict { GB_INSIDE, GB_OUTSIDE, GB_UNKNOWN };

static enum gb_verdict judge(const struct gb_rule *r, const struct geo_info *gi)
{
    bool all_known = true;
    if (r->n_asn > 0) {
        if (!gi->has_asn)
            all_known = false;
        else
            for (size_t i = 0; i < r->n_asn; i++)
                if (r->asn[i] == gi->asn)
                    return GB_INSIDE;
    }
    if (r->n_cc > 0) {
        if (!gi->has_country)
            all_known = false;
        else
            for (size_t i = 0; i < r->n_cc; i++)
                if (memcmp(r->cc[i], gi->country, 3) == 0)
                    return GB_INSIDE;
    }
    return all_known ? GB_OUTSIDE : GB_UNKNOWN;
}

/* "asn 8075,16509; country US,IE" (truncated with "..." if cap is short) */
static void allowed_str(const struct gb_rule *r, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = '\0';
    for (int pass = 0; pass < 2; pass++) {
        size_t n = pass == 0 ? r->n_asn : r->n_cc;
        if (n == 0)
            continue;
        int w = snprintf(out + k, cap - k, "%s%s ", k ? "; " : "", pass == 0 ? "asn" : "country");
        if (w < 0 || (size_t)w >= cap - k)
            goto trunc;
        k += (size_t)w;
        for (size_t i = 0; i < n; i++) {
            if (pass == 0)
                w = snprintf(out + k, cap - k, "%s%lu", i ? "," : "", (unsigned long)r->asn[i]);
            else
                w = snprintf(out + k, cap - k, "%s%s", i ? "," : "", r->cc[i]);
            if (w < 0 || (size_t)w >= cap - k)
                goto trunc;
            k += (size_t)w;
        }
    }
    return;
trunc:
    if (cap >= 4)
        memcpy(out + cap - 4, "...", 4);
}

static void hex32(const uint8_t *p, char out[65])
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < 32; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[64] = '\0';
}

static void check_chain(const struct geobind *gb, const struct geo *g, const struct cs_tls *t,
                        bool client, const struct check_out *o)
{
    const struct cs_cert *chain = client ? t->client_certs : t->server_certs;
    size_t count = client ? t->client_cert_count : t->server_cert_count;
    if (count > CS_CHAIN_MAX)
        count = CS_CHAIN_MAX;
    if (count == 0)
        return;
    const struct cs_endpoint *ep = client ? &t->client : &t->server;
    unsigned role = client ? GB_ROLE_CLIENT : GB_ROLE_SERVER;
    struct geo_info gi;
    bool looked_up = false;
    for (size_t ri = 0; ri < gb->n; ri++) {
        const struct gb_rule *r = &gb->rules[ri];
        if ((r->roles & role) == 0)
            continue;
        size_t ci = 0;
        while (ci < count && !rule_matches(r, &chain[ci]))
            ci++;
        if (ci == count)
            continue;
        if (!looked_up) {
            geo_lookup(g, ep, &gi);
            looked_up = true;
        }
        enum gb_verdict v = judge(r, &gi);
        if (v == GB_INSIDE || (v == GB_UNKNOWN && !r->strict))
            continue;
        const struct cs_cert *c = &chain[ci];
        char sha[65], addr[GEO_ADDR_STR_MAX], loc[GEO_AS_ORG_MAX + 48], allowed[640];
        char evidence[1400], source[320];
        hex32(c->info->sha256, sha);
        geo_addr_str(ep, addr, sizeof addr);
        geo_info_str(&gi, loc, sizeof loc);
        allowed_str(r, allowed, sizeof allowed);
        snprintf(evidence, sizeof evidence,
                 "%s certificate sha256 %s (subject %.160s) %s %s %s (%s), %s; allowed: %s%s",
                 client ? "client" : "server", sha, c->info->parsed ? c->info->subject : "?",
                 client ? "presented from" : "presented by", client ? "client" : "server", addr,
                 loc, v == GB_OUTSIDE ? "outside the allowed set" : "location undetermined",
                 allowed, r->strict ? " (strict)" : "");
        snprintf(source, sizeof source, "%.300s:%zu", gb->name, r->line);
        struct cs_alert a = {
            .signature_id = GEOBIND_SID,
            .rev = 1,
            .signature = "CERTSENSOR certificate presented outside its geographic binding",
            .category = "mitm",
            .severity = 1,
            .check = "geo.binding",
            .role = client ? "client" : "server",
            .chain_index = (int)ci,
            .cert = c,
            .evidence = evidence,
            .source = source,
        };
        check_emit(o, &a);
    }
}

void geobind_check(const struct geobind *gb, const struct geo *g, const struct cs_tls *t,
                   const struct check_out *o)
{
    if (gb == NULL || t == NULL || gb->n == 0)
        return;
    check_chain(gb, g, t, false, o);
    check_chain(gb, g, t, true, o);
}
