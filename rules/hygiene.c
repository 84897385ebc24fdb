/* Certificate hygiene checks (contract and check table in hygiene.h). */
#include "hygiene.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "x509.h" /* X509_ANALYSE_MAX */

#define EV_MAX 1024 /* evidence text */
#define EV_NAME 256 /* one DN or name inside evidence */

/* ---- text helpers ------------------------------------------------------- */

/* Bytes 0x20..0x7e except '\\' as they are, others as \\xHH; when the whole
 * does not fit in cap (>= 4) it is cut at an escape boundary and "..." is
 * added. out always ends in NUL. */
static void esc(const void *src, size_t n, char *out, size_t cap)
{
    static const char hx[] = "0123456789abcdef";
    const unsigned char *p = src;
    size_t i, o = 0, total = 0, limit;

    for (i = 0; i < n; i++)
        total += (p[i] >= 0x20 && p[i] <= 0x7e && p[i] != '\\') ? 1 : 4;
    limit = total <= cap - 1 ? cap - 1 : cap - 4;
    for (i = 0; i < n; i++) {
        bool plain = p[i] >= 0x20 && p[i] <= 0x7e && p[i] != '\\';
        if (o + (plain ? 1 : 4) > limit)
            break;
        if (plain) {
            out[o++] = (char)p[i];
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hx[p[i] >> 4];
            out[o++] = hx[p[i] & 15];
        }
    }
    if (total > cap - 1) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

/* Already printable text (the analysis strings), cut to cap with "...". */
static void cut(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s);

    if (n < cap) {
        memcpy(out, s, n + 1);
        return;
    }
    memcpy(out, s, cap - 4);
    memcpy(out + cap - 4, "...", 4);
}

/* civil date from days since 1970-01-01 (proleptic Gregorian) */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* ISO 8601 UTC, e.g. "2025-06-01T00:00:00Z"; times are bounded by what
 * ASN.1 can encode (years 0..9999), so the arithmetic cannot overflow. */
static void iso_time(int64_t s, char *out, size_t cap)
{
    int64_t days = s / 86400, rem = s % 86400, y;
    unsigned m, d;

    if (rem < 0) {
        rem += 86400;
        days--;
    }
    civil_from_days(days, &y, &m, &d);
    snprintf(out, cap, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m, d,
             (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ---- host name matching (RFC 6125 6.4) ------------------------------------ */

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool ieq(const char *a, const char *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

/* a dot-separated name with no empty label, no NUL, no '*' */
static bool plain_name(const char *s, size_t n, size_t *labels)
{
    size_t i, len = 0, count = 0;

    if (n == 0)
        return false;
    for (i = 0; i < n; i++) {
        if (s[i] == '\0' || s[i] == '*')
            return false;
        if (s[i] == '.') {
            if (len == 0)
                return false;
            count++;
            len = 0;
        } else {
            len++;
        }
    }
    if (len == 0)
        return false;
    *labels = count + 1;
    return true;
}

static size_t strip_dot(const char *s, size_t n)
{
    return (n > 1 && s[n - 1] == '.') ? n - 1 : n;
}

static bool is_ip_text(const char *s, size_t n)
{
    char buf[INET6_ADDRSTRLEN + 1];
    uint8_t a[16];

    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return inet_pton(AF_INET, buf, a) == 1 || inet_pton(AF_INET6, buf, a) == 1;
}

bool hygiene_host_match(const char *pattern, size_t plen, const char *host, size_t hlen)
{
    size_t pl, hl, dot;

    if (pattern == NULL || host == NULL)
        return false;
    plen = strip_dot(pattern, plen);
    hlen = strip_dot(host, hlen);
    if (!plain_name(host, hlen, &hl))
        return false;
    if (plen >= 2 && pattern[0] == '*' && pattern[1] == '.') {
        /* [HOST-WILDCARD] whole left-most label only, over >= 2 labels */
        if (!plain_name(pattern + 2, plen - 2, &pl) || pl < 2 || is_ip_text(host, hlen))
            return false;
        /* the label the '*' stands for: letters, digits, '-', '_' only */
        for (dot = 0; dot < hlen && host[dot] != '.'; dot++) {
            char c = lower(host[dot]);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
                return false;
        }
        /* the '*' stands for exactly one non-empty label */
        return dot > 0 && dot < hlen && hlen - dot - 1 == plen - 2 &&
               ieq(host + dot + 1, pattern + 2, plen - 2);
    }
    if (!plain_name(pattern, plen, &pl)) /* partial-label or stray '*': never */
        return false;
    return plen == hlen && ieq(pattern, host, plen);
}

bool hygiene_host_pattern_valid(const char *pattern, size_t plen)
{
    size_t i, labels, start = 0;

    if (pattern == NULL || plen == 0)
        return false;
    if (plen >= 2 && pattern[0] == '*' && pattern[1] == '.')
        start = 2;
    for (i = start; i < plen; i++) {
        char c = lower(pattern[i]);
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return false;
    }
    if (!plain_name(pattern + start, strip_dot(pattern + start, plen - start), &labels))
        return false;
    return start == 0 || labels >= 2;
}

/* ---- emission ------------------------------------------------------------- */

struct emit {
    const struct check_out *o;
    const char *role;
};

static void emit(const struct emit *e, uint32_t sid, const char *sig, const char *cat, uint8_t sev,
                 const char *check, int idx, const struct cs_cert *c, const char *evidence)
{
    struct cs_alert a;

    memset(&a, 0, sizeof(a));
    a.signature_id = sid;
    a.rev = 1;
    a.signature = sig;
    a.category = cat;
    a.severity = sev;
    a.check = check;
    a.role = e->role;
    a.chain_index = idx;
    a.cert = c;
    a.evidence = evidence;
    a.source = NULL;
    check_emit(e->o, &a);
}

/* ---- per-certificate checks ------------------------------------------------- */

static void check_validity(const struct hygiene_opts *opts, const struct emit *e,
                           const struct cs_cert *c, int idx, int64_t now)
{
    const struct cs_cert_info *ci = c->info;
    char subj[EV_NAME], t1[32], t2[32], ev[EV_MAX];

    if (!ci->validity_ok)
        return;
    cut(ci->subject, subj, sizeof(subj));
    iso_time(now, t2, sizeof(t2));
    /* RFC 5280 4.1.2.5: valid from notBefore through notAfter inclusive */
    if (opts->expired && now > ci->not_after) {
        iso_time(ci->not_after, t1, sizeof(t1));
        snprintf(ev, sizeof(ev), "%s #%d '%s' expired: notAfter %s < capture time %s (%lld days)",
                 e->role, idx, subj, t1, t2, (long long)((now - ci->not_after) / 86400));
        emit(e, HYGIENE_SID_EXPIRED, "CERTSENSOR certificate expired at capture time", "hygiene", 2,
             "validity.expired", idx, c, ev);
    }
    if (opts->not_yet_valid && now < ci->not_before) {
        iso_time(ci->not_before, t1, sizeof(t1));
        snprintf(ev, sizeof(ev),
                 "%s #%d '%s' not yet valid: notBefore %s > capture time %s (%lld days)", e->role,
                 idx, subj, t1, t2, (long long)((ci->not_before - now) / 86400));
        emit(e, HYGIENE_SID_NOT_YET_VALID, "CERTSENSOR certificate not yet valid at capture time",
             "hygiene", 2, "validity.not_yet_valid", idx, c, ev);
    }
}

static void check_too_long(const struct hygiene_opts *opts, const struct emit *e,
                           const struct cs_cert *c)
{
    const struct cs_cert_info *ci = c->info;
    char subj[EV_NAME], t1[32], t2[32], ev[EV_MAX];
    int64_t secs, max;

    if (opts->max_validity_days <= 0 || !ci->validity_ok || ci->not_after < ci->not_before)
        return;
    /* BR 1.6.1: the validity period counts notBefore through notAfter
     * inclusive, so one second more than the difference */
    secs = ci->not_after - ci->not_before + 1;
    max = opts->max_validity_days > INT64_MAX / 86400 ? INT64_MAX : opts->max_validity_days * 86400;
    if (secs <= max)
        return;
    cut(ci->subject, subj, sizeof(subj));
    iso_time(ci->not_before, t1, sizeof(t1));
    iso_time(ci->not_after, t2, sizeof(t2));
    snprintf(ev, sizeof(ev), "%s #0 '%s' valid %lld days (%s .. %s) > %lld days", e->role, subj,
             (long long)(secs / 86400), t1, t2, (long long)opts->max_validity_days);
    emit(e, HYGIENE_SID_TOO_LONG, "CERTSENSOR leaf validity period too long", "hygiene", 3,
         "validity.too_long", 0, c, ev);
}

static void check_key(const struct emit *e, const struct cs_cert *c, int idx)
{
    const struct cs_cert_info *ci = c->info;
    char subj[EV_NAME], ev[EV_MAX];
    int min;

    if (strcmp(ci->key_type, "RSA") == 0 || strcmp(ci->key_type, "DSA") == 0)
        min = 2048;
    else if (strcmp(ci->key_type, "EC") == 0)
        min = 224;
    else
        return;
    if (ci->key_bits <= 0 || ci->key_bits >= min)
        return;
    cut(ci->subject, subj, sizeof(subj));
    snprintf(ev, sizeof(ev), "%s #%d '%s' has a %d-bit %s key (< %d)", e->role, idx, subj,
             ci->key_bits, ci->key_type, min);
    emit(e, HYGIENE_SID_WEAK_KEY, "CERTSENSOR weak certificate key", "hygiene", 2, "key.weak", idx,
         c, ev);
}

/* Digest of the signature algorithm named in the analysis (OpenSSL's long
 * name, or its dotted OID when OpenSSL has no name), NID_undef if unknown. */
static int sig_digest(const char *alg)
{
    int nid = OBJ_ln2nid(alg), md = NID_undef, pk = NID_undef;

    if (nid == NID_undef)
        nid = OBJ_sn2nid(alg);
    if (nid == NID_undef || OBJ_find_sigid_algs(nid, &md, &pk) != 1)
        return NID_undef;
    return md;
}

static void check_sig(const struct emit *e, const struct cs_cert *c, int idx)
{
    const struct cs_cert_info *ci = c->info;
    char subj[EV_NAME], ev[EV_MAX];
    int md;

    /* a self-signed certificate's own signature protects nothing */
    if (ci->self_signed || ci->sig_alg[0] == '\0')
        return;
    md = sig_digest(ci->sig_alg);
    cut(ci->subject, subj, sizeof(subj));
    if (md == NID_md5 || md == NID_md4 || md == NID_md2 || md == NID_sha) {
        snprintf(ev, sizeof(ev), "%s #%d '%s' signed with %s", e->role, idx, subj, ci->sig_alg);
        emit(e, HYGIENE_SID_SIG_MD5, "CERTSENSOR certificate signed with MD5", "hygiene", 1,
             "sig.md5", idx, c, ev);
    } else if (md == NID_sha1) {
        snprintf(ev, sizeof(ev), "%s #%d '%s' signed with %s", e->role, idx, subj, ci->sig_alg);
        emit(e, HYGIENE_SID_SIG_SHA1, "CERTSENSOR certificate signed with SHA-1", "hygiene", 3,
             "sig.sha1", idx, c, ev);
    }
}

/* ---- hostname (RFC 6125, RFC 6066 3) ------------------------------------------ */

/* Append "TYPE:value" to a comma list; when an item does not fit the
 * list ends in "..." and later items are dropped. */
static void list_add(char *list, size_t cap, bool *full, const char *type, const void *v, size_t n)
{
    char val[EV_NAME], item[EV_NAME + 16];
    size_t used = strlen(list), len;

    if (*full)
        return;
    esc(v, n, val, sizeof(val));
    snprintf(item, sizeof(item), "%s%s:%s", used > 0 ? ", " : "", type, val);
    len = strlen(item);
    if (used + len < cap) {
        memcpy(list + used, item, len + 1);
        return;
    }
    *full = true;
    if (used + 6 <= cap)
        memcpy(list + used, ", ...", 6);
    else
        memcpy(list + cap - 4, "...", 4);
}

struct host_ref {
    const char *name;
    size_t len;
    bool is_ip;
    uint8_t ip[16];
    size_t ip_len;
};

static bool cn_matches(X509 *x, const struct host_ref *h, char *list, size_t cap, bool *full)
{
    const X509_NAME *subj = X509_get_subject_name(x);
    int i = -1;
    bool hit = false;

    while ((i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0) {
        const ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));
        unsigned char *u = NULL;
        int n = ASN1_STRING_to_UTF8(&u, s);

        if (n >= 0) {
            list_add(list, cap, full, "CN", u, (size_t)n);
            if (h->is_ip) {
                uint8_t a[16];
                char buf[INET6_ADDRSTRLEN + 1];
                if ((size_t)n < sizeof(buf)) {
                    memcpy(buf, u, (size_t)n);
                    buf[n] = '\0';
                    hit = hit ||
                          (h->ip_len == 4 && inet_pton(AF_INET, buf, a) == 1 &&
                           memcmp(a, h->ip, 4) == 0) ||
                          (h->ip_len == 16 && inet_pton(AF_INET6, buf, a) == 1 &&
                           memcmp(a, h->ip, 16) == 0);
                }
            } else {
                hit = hit || hygiene_host_match((const char *)u, (size_t)n, h->name, h->len);
            }
        }
        OPENSSL_free(u);
    }
    return hit;
}

static void check_hostname(const struct emit *e, const struct cs_tls *t)
{
    const struct cs_cert *c = &t->server_certs[0];
    struct host_ref h;
    GENERAL_NAMES *gens = NULL;
    X509 *x = NULL;
    char list[640], sni[EV_NAME], ev[EV_MAX];
    bool hit = false, full = false;
    int i, n_dns = 0, n_ip = 0, count;

    memset(&h, 0, sizeof(h));
    h.name = t->sni;
    h.len = strnlen(t->sni, sizeof(t->sni));
    if (h.len == 0 || c->der == NULL || c->der_len == 0 || c->der_len > X509_ANALYSE_MAX)
        return;
    x = x509_parse(c);
    if (x == NULL)
        return;
    /* RFC 6066 3: an IP literal is not a valid HostName, but if the client
     * sent one, compare it with iPAddress names (RFC 6125 does not match IPs
     * against DNS names or wildcards). */
    if (h.len < INET6_ADDRSTRLEN && memchr(h.name, '\0', h.len) == NULL) {
        char buf[INET6_ADDRSTRLEN];
        memcpy(buf, h.name, h.len);
        buf[h.len] = '\0';
        if (inet_pton(AF_INET, buf, h.ip) == 1) {
            h.is_ip = true;
            h.ip_len = 4;
        } else if (inet_pton(AF_INET6, buf, h.ip) == 1) {
            h.is_ip = true;
            h.ip_len = 16;
        }
    }
    list[0] = '\0';
    gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    count = gens != NULL ? sk_GENERAL_NAME_num(gens) : 0;
    for (i = 0; i < count; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        int type = -1;
        const ASN1_STRING *s = g != NULL ? GENERAL_NAME_get0_value(g, &type) : NULL;
        const unsigned char *v = s != NULL ? ASN1_STRING_get0_data(s) : NULL;
        int n = s != NULL ? ASN1_STRING_length(s) : -1;

        if (v == NULL || n < 0)
            continue;
        if (type == GEN_DNS) {
            n_dns++;
            list_add(list, sizeof(list), &full, "DNS", v, (size_t)n);
            if (!h.is_ip && hygiene_host_match((const char *)v, (size_t)n, h.name, h.len))
                hit = true;
        } else if (type == GEN_IPADD) {
            char ip[INET6_ADDRSTRLEN];
            n_ip++;
            if ((n == 4 && inet_ntop(AF_INET, v, ip, sizeof(ip)) != NULL) ||
                (n == 16 && inet_ntop(AF_INET6, v, ip, sizeof(ip)) != NULL))
                list_add(list, sizeof(list), &full, "IP", ip, strlen(ip));
            if (h.is_ip && (size_t)n == h.ip_len && memcmp(v, h.ip, h.ip_len) == 0)
                hit = true;
        }
    }
    /* RFC 6125 6.4.4: the CN only when there is no DNS-ID (for an IP
     * reference: when there is no subjectAltName name of either kind) */
    if (!hit && ((!h.is_ip && n_dns == 0) || (h.is_ip && n_dns == 0 && n_ip == 0)))
        hit = cn_matches(x, &h, list, sizeof(list), &full);
    if (!hit) {
        esc(h.name, h.len, sni, sizeof(sni));
        snprintf(ev, sizeof(ev), "sni '%s'%s does not match server #0 names: %s", sni,
                 h.is_ip ? " (an IP address, not valid SNI per RFC 6066)" : "",
                 list[0] != '\0' ? list : "(none)");
        emit(e, HYGIENE_SID_HOSTNAME, "CERTSENSOR certificate does not match SNI", "mitm", 2,
             "hostname.mismatch", 0, c, ev);
    }
    GENERAL_NAMES_free(gens);
    X509_free(x);
}

/* ---- driver ------------------------------------------------------------------- */

void hygiene_opts_default(struct hygiene_opts *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->expired = opts->not_yet_valid = opts->long_validity = true;
    opts->self_signed_leaf = opts->weak_key = opts->weak_sig = opts->hostname = true;
    opts->long_validity_client = false;
    opts->max_validity_days = HYGIENE_MAX_VALIDITY_DAYS;
}

static void check_chain(const struct hygiene_opts *opts, const struct emit *e,
                        const struct cs_cert *certs, size_t count, bool server, int64_t now)
{
    size_t i, n = count < CS_CHAIN_MAX ? count : CS_CHAIN_MAX;

    for (i = 0; i < n; i++) {
        const struct cs_cert *c = &certs[i];
        int idx = (int)i;

        if (c->info == NULL || !c->info->parsed)
            continue;
        if (opts->expired || opts->not_yet_valid)
            check_validity(opts, e, c, idx, now);
        if (i == 0 && opts->long_validity && (server || opts->long_validity_client))
            check_too_long(opts, e, c);
        if (i == 0 && server && opts->self_signed_leaf && c->info->self_signed) {
            char subj[EV_NAME], ev[EV_MAX];
            cut(c->info->subject, subj, sizeof(subj));
            snprintf(ev, sizeof(ev), "server #0 '%s' is self-signed%s", subj,
                     count == 1 ? " and sent alone" : "");
            emit(e, HYGIENE_SID_SELF_SIGNED_LEAF, "CERTSENSOR self-signed server certificate",
                 "mitm", 2, "leaf.self_signed", 0, c, ev);
        }
        if (opts->weak_key)
            check_key(e, c, idx);
        if (opts->weak_sig)
            check_sig(e, c, idx);
    }
}

void hygiene_check(const struct hygiene_opts *opts, const struct cs_tls *t,
                   const struct check_out *o)
{
    struct hygiene_opts def;
    struct emit e;
    int64_t now;

    if (t == NULL)
        return;
    if (opts == NULL) {
        hygiene_opts_default(&def);
        opts = &def;
    }
    now = floor_div(t->ts_us, 1000000);
    ERR_set_mark();
    e.o = o;
    e.role = "server";
    check_chain(opts, &e, t->server_certs, t->server_cert_count, true, now);
    if (opts->hostname && t->server_cert_count > 0)
        check_hostname(&e, t);
    e.role = "client";
    check_chain(opts, &e, t->client_certs, t->client_cert_count, false, now);
    ERR_pop_to_mark();
}
