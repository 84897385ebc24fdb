/* Certificate analysis with OpenSSL 3 (contract in x509.h).
 *
 * Order of work: thumbprints over the raw bytes first (they never depend on
 * OpenSSL accepting anything), then d2i_X509 and the field extraction. The
 * only DER we look at ourselves is the path to the SubjectPublicKeyInfo
 * (RFC 5280 4.1), walked with ASN1_get_object when d2i_X509 fails, so that a
 * key pin still matches a certificate OpenSSL rejects. */
#include "x509.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cursor.h"

/* ---- bounded text output ---------------------------------------------- */

/* Text goes out in units (a character, an escape, a UTF-8 sequence) that
 * are never split. When a unit does not fit, the text is cut back to the
 * last unit boundary that leaves room for "..." and the marker is added. */
struct sbuf {
    char *p;
    size_t cap;  /* >= 4 */
    size_t pos;  /* p[pos] == '\0' */
    size_t safe; /* last unit boundary <= cap - 4 */
    bool full;
};

static void sb_init(struct sbuf *b, char *p, size_t cap)
{
    b->p = p;
    b->cap = cap;
    b->pos = 0;
    b->safe = 0;
    b->full = false;
    p[0] = '\0';
}

static void sb_put(struct sbuf *b, const char *u, size_t n)
{
    if (b->full)
        return;
    if (n > b->cap - 1 - b->pos) { /* [X509-TEXT-CAP] */
        memcpy(b->p + b->safe, "...", 3);
        b->pos = b->safe + 3;
        b->full = true;
    } else {
        memcpy(b->p + b->pos, u, n);
        b->pos += n;
        if (b->pos <= b->cap - 4)
            b->safe = b->pos;
    }
    b->p[b->pos] = '\0';
}

/* One byte as \xhh (x_form) or RFC 4514 \HH. */
static void sb_hex_esc(struct sbuf *b, uint8_t c, bool x_form)
{
    static const char lc[] = "0123456789abcdef";
    static const char uc[] = "0123456789ABCDEF";
    char u[4];
    size_t n = 0;

    u[n++] = '\\';
    if (x_form) {
        u[n++] = 'x';
        u[n++] = lc[c >> 4];
        u[n++] = lc[c & 15];
    } else {
        u[n++] = uc[c >> 4];
        u[n++] = uc[c & 15];
    }
    sb_put(b, u, n);
}

/* [X509-ESC] Wire strings (SAN values): 0x20..0x7e except '\' as they are,
 * every other byte (NUL, controls, DEL, >= 0x80) as \xhh; all: every byte. */
static void sb_escaped(struct sbuf *b, const uint8_t *p, size_t n, bool all)
{
    size_t i;

    for (i = 0; i < n && !b->full; i++) {
        char c = (char)p[i];
        if (!all && p[i] >= 0x20 && p[i] <= 0x7e && p[i] != '\\')
            sb_put(b, &c, 1);
        else
            sb_hex_esc(b, p[i], true);
    }
}

static void copy_str(const char *s, char *dst, size_t cap)
{
    struct sbuf b;

    sb_init(&b, dst, cap);
    sb_escaped(&b, (const uint8_t *)s, strlen(s), false);
}

/* ---- digests -------------------------------------------------------------- */

static bool digest(const EVP_MD *md, const uint8_t *p, size_t n, uint8_t *out, size_t outlen)
{
    unsigned int got = 0;

    if (md == NULL || EVP_MD_get_size(md) < 0 || (size_t)EVP_MD_get_size(md) != outlen ||
        EVP_Digest(n > 0 ? (const void *)p : (const void *)"", n, out, &got, md, NULL) != 1 ||
        got != outlen) {
        memset(out, 0, outlen);
        return false;
    }
    return true;
}

/* ---- SubjectPublicKeyInfo location without d2i_X509 --------------------- */

struct der_tlv {
    const uint8_t *start;   /* first header byte */
    const uint8_t *content; /* first content byte */
    size_t declared;        /* content length from the header */
    size_t present;         /* content bytes actually available (<= declared) */
    int tag, xclass;
    bool constructed;
};

/* Read one TLV header at c with ASN1_get_object. The header must be
 * complete and definite-length (DER); the content may be cut short
 * (t->present < t->declared). The cursor is not moved. */
static bool der_header(const struct cur *c, struct der_tlv *t)
{
    size_t avail = cur_left(c);
    const unsigned char *p = c->p;
    long clen = 0;
    int r, tag = 0, xclass = 0;
    size_t hl;

    if (avail == 0)
        return false;
    r = ASN1_get_object(&p, &clen, &tag, &xclass, avail > LONG_MAX ? LONG_MAX : (long)avail);
    /* 0x80 with p unmoved: the header itself is bad. 0x80 with p moved: the
     * content runs past omax, which we measure ourselves below. */
    if (p == c->p || (r & 0x01) != 0 || clen < 0)
        return false;
    hl = (size_t)(p - c->p);
    if (hl > avail) /* [X509-DER-LEN] ASN1_get_object promises this; check anyway */
        return false;
    t->start = c->p;
    t->content = p;
    t->declared = (size_t)clen;
    t->present = t->declared <= avail - hl ? t->declared : avail - hl; /* [X509-DER-LEN] */
    t->tag = tag;
    t->xclass = xclass;
    t->constructed = (r & V_ASN1_CONSTRUCTED) != 0;
    return true;
}

static bool der_is(const struct der_tlv *t, int xclass, int tag, bool constructed)
{
    return t->xclass == xclass && t->tag == tag && t->constructed == constructed;
}

/* Next element inside a container: must match and be entirely present. */
static bool der_take(struct cur *c, int xclass, int tag, bool constructed, struct der_tlv *t)
{
    if (!der_header(c, t) || !der_is(t, xclass, tag, constructed) || t->present != t->declared)
        return false;
    return cur_skip(c, (size_t)(t->content - t->start) + t->declared); /* [X509-DER-LEN] */
}

/* Enter a SEQUENCE whose content may be truncated (the outer Certificate and
 * tbsCertificate of a cut-short DER): the child covers what is present. */
static bool der_enter_seq(struct cur *c, struct cur *child)
{
    struct der_tlv t;

    if (!der_header(c, &t) || !der_is(&t, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, true))
        return false;
    *child = cur_make(t.content, t.present);
    return true;
}

/* RFC 5280 4.1: Certificate ::= SEQUENCE { tbsCertificate SEQUENCE {
 *   version [0] EXPLICIT OPTIONAL, serialNumber INTEGER, signature
 *   AlgorithmIdentifier, issuer Name, validity Validity, subject Name,
 *   subjectPublicKeyInfo SEQUENCE, ... } ... }
 * On success *spki is the full SPKI TLV. */
static bool spki_locate(const uint8_t *der, size_t len, struct bytes *spki)
{
    struct cur top = cur_make(der, len), cert, tbs;
    struct der_tlv t;

    if (!der_enter_seq(&top, &cert) || !der_enter_seq(&cert, &tbs))
        return false;
    if (der_header(&tbs, &t) && der_is(&t, V_ASN1_CONTEXT_SPECIFIC, 0, true) &&
        !der_take(&tbs, V_ASN1_CONTEXT_SPECIFIC, 0, true, &t))
        return false;
    if (!der_take(&tbs, V_ASN1_UNIVERSAL, V_ASN1_INTEGER, false, &t) || /* serial */
        !der_take(&tbs, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, true, &t) || /* signature */
        !der_take(&tbs, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, true, &t) || /* issuer */
        !der_take(&tbs, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, true, &t) || /* validity */
        !der_take(&tbs, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, true, &t) || /* subject */
        !der_take(&tbs, V_ASN1_UNIVERSAL, V_ASN1_SEQUENCE, true, &t))   /* SPKI */
        return false;
    spki->p = t.start;
    spki->n = (size_t)(t.content - t.start) + t.declared;
    return true;
}

static void spki_from_der(const uint8_t *der, size_t len, struct cs_cert_info *out)
{
    struct bytes spki = {NULL, 0};

    if (spki_locate(der, len, &spki))
        out->has_spki = digest(EVP_sha256(), spki.p, spki.n, out->spki_sha256, 32);
}

/* Re-encode the parsed key (DER, so equal to the wire bytes for DER input). */
static bool spki_from_x509(X509 *x, struct cs_cert_info *out)
{
    unsigned char *enc = NULL;
    int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &enc);
    bool ok = n > 0 && digest(EVP_sha256(), enc, (size_t)n, out->spki_sha256, 32);

    OPENSSL_free(enc);
    return ok;
}

/* ---- fields ---------------------------------------------------------------- */

/* Strict UTF-8 (RFC 3629 4): length of the sequence at p, 0 if invalid
 * (overlong, surrogate, > U+10FFFF, cut short). */
static size_t utf8_seq(const uint8_t *p, size_t n, uint32_t *cp)
{
    uint8_t c = p[0], lo = 0x80, hi = 0xbf;
    uint32_t v;
    size_t len, i;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        v = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        v = c & 0x0fu;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        v = c & 0x07u;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (i = 1; i < len; i++) {
        uint8_t d = p[i];
        if (d < (i == 1 ? lo : 0x80) || d > (i == 1 ? hi : 0xbf))
            return 0;
        v = v << 6 | (d & 0x3fu);
    }
    *cp = v;
    return len;
}

/* Code points written as \HH escapes of their UTF-8 bytes: C0 and C1
 * controls, DEL, and invisible format characters that can disguise text
 * (soft hyphen, zero-width, bidi controls, line separators, BOM). */
static bool cp_hidden(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0xad || cp == 0x61c ||
           (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
           (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb);
}

/* RFC 4514 2.4 string value, from UTF-8: escape , + " \ < > ; with '\',
 * a leading '#' or ' ' and a trailing ' '; NUL, controls, hidden code
 * points and invalid UTF-8 as \HH. Printable UTF-8 stays as it is. */
static void name_value_utf8(struct sbuf *b, const uint8_t *p, size_t n)
{
    size_t i, k, len;

    for (i = 0; i < n && !b->full; i += len) {
        uint32_t cp = 0;
        len = utf8_seq(p + i, n - i, &cp);
        if (len == 0) {
            sb_hex_esc(b, p[i], false);
            len = 1;
        } else if (cp_hidden(cp)) {
            for (k = 0; k < len; k++)
                sb_hex_esc(b, p[i + k], false);
        } else if ((cp < 0x80 && strchr(",+\"\\<>;", (int)cp) != NULL) ||
                   (i == 0 && (cp == '#' || cp == ' ')) || (i + 1 == n && cp == ' ')) {
            char u[2] = {'\\', (char)cp};
            sb_put(b, u, 2);
        } else {
            sb_put(b, (const char *)p + i, len);
        }
    }
}

/* RFC 4514 2.4: a value that is not a character string is '#' and the hex
 * of its DER encoding. */
static void name_value_der(struct sbuf *b, const ASN1_STRING *val)
{
    static const char lc[] = "0123456789abcdef";
    ASN1_TYPE *t = ASN1_TYPE_new();
    unsigned char *der = NULL;
    int n = -1, i;

    sb_put(b, "#", 1);
    if (t != NULL && ASN1_TYPE_set1(t, ASN1_STRING_type(val), val) == 1)
        n = i2d_ASN1_TYPE(t, &der);
    for (i = 0; i < n && der != NULL && !b->full; i++) {
        char u[2] = {lc[der[i] >> 4], lc[der[i] & 15]};
        sb_put(b, u, 2);
    }
    OPENSSL_free(der);
    ASN1_TYPE_free(t);
}

static void name_attr(struct sbuf *b, const X509_NAME_ENTRY *ne)
{
    const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(ne);
    const ASN1_STRING *val = X509_NAME_ENTRY_get_data(ne);
    const char *key = NULL;
    char oid[128];
    unsigned char *utf8 = NULL;
    int n;

    /* RFC 4514 3: these keywords; any other type as its dotted OID */
    switch (OBJ_obj2nid(obj)) {
    case NID_commonName:
        key = "CN";
        break;
    case NID_localityName:
        key = "L";
        break;
    case NID_stateOrProvinceName:
        key = "ST";
        break;
    case NID_organizationName:
        key = "O";
        break;
    case NID_organizationalUnitName:
        key = "OU";
        break;
    case NID_countryName:
        key = "C";
        break;
    case NID_streetAddress:
        key = "STREET";
        break;
    case NID_domainComponent:
        key = "DC";
        break;
    case NID_userId:
        key = "UID";
        break;
    default:
        n = obj != NULL ? OBJ_obj2txt(oid, (int)sizeof(oid), obj, 1) : 0;
        key = n > 0 ? oid : "0.0";
        break;
    }
    sb_escaped(b, (const uint8_t *)key, strlen(key), false);
    sb_put(b, "=", 1);
    if (val == NULL)
        return;
    /* OpenSSL converts every character string type to UTF-8 (T61 as Latin-1)
     * and rejects invalid UTF8String contents. */
    n = ASN1_STRING_to_UTF8(&utf8, val);
    if (n >= 0)
        name_value_utf8(b, utf8, (size_t)n);
    else
        name_value_der(b, val);
    OPENSSL_free(utf8);
}

/* RFC 4514 2.1 string: RDNs from last to first, separated by ','; the
 * attributes of a multi-valued RDN in encoded order, joined by '+'. This is
 * X509_NAME_print_ex(XN_FLAG_RFC2253) except that attribute types outside
 * the RFC 4514 3 table are dotted OIDs ("2.5.4.5=", not "serialNumber=") and
 * printable non-ASCII stays UTF-8; the output never holds NUL or controls. */
static void name_str(const X509_NAME *name, char *dst, size_t cap)
{
    struct sbuf b;
    int count, last, first, j;

    sb_init(&b, dst, cap);
    count = name != NULL ? X509_NAME_entry_count(name) : 0;
    for (last = count - 1; last >= 0 && !b.full; last = first - 1) {
        int set = X509_NAME_ENTRY_set(X509_NAME_get_entry(name, last));
        first = last;
        while (first > 0 && X509_NAME_ENTRY_set(X509_NAME_get_entry(name, first - 1)) == set)
            first--;
        if (last != count - 1)
            sb_put(&b, ",", 1);
        for (j = first; j <= last; j++) {
            if (j != first)
                sb_put(&b, "+", 1);
            name_attr(&b, X509_NAME_get_entry(name, j));
        }
    }
}

/* Lowercase hex of the magnitude without leading zero nibbles ("23a76" for
 * 0x023a76), "-" first for a negative serial, "0" for zero. */
static void serial_str(const ASN1_INTEGER *serial, char *dst, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p;
    struct sbuf b;
    size_t n, i;
    int ilen;

    sb_init(&b, dst, cap);
    if (serial == NULL || (ilen = ASN1_STRING_length(serial)) < 0)
        return;
    p = ASN1_STRING_get0_data(serial);
    n = p != NULL ? (size_t)ilen : 0;
    if (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER)
        sb_put(&b, "-", 1);
    /* first significant nibble */
    for (i = 0; i < 2 * n; i++) {
        if (((i % 2 == 0) ? p[i / 2] >> 4 : p[i / 2] & 15u) != 0)
            break;
    }
    if (i == 2 * n)
        sb_put(&b, "0", 1);
    for (; i < 2 * n && !b.full; i++)
        sb_put(&b, &hex[(i % 2 == 0) ? p[i / 2] >> 4 : p[i / 2] & 15u], 1);
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (the
 * era arithmetic of the civil-from-days derivation; no TZ, no libc state). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= (m <= 2);
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* UTCTime and GeneralizedTime (RFC 5280 4.1.2.5) to seconds since the epoch. */
static bool time_epoch(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    /* ASN1_TIME_to_tm(NULL, ...) would report the current time */
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return false;
    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour < 0 ||
        tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60)
        return false;
    *out = days_from_civil((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400 +
           (int64_t)tm.tm_hour * 3600 + (int64_t)tm.tm_min * 60 + tm.tm_sec;
    return true;
}

static void san_add(struct cs_cert_info *out, enum cs_san_type type, const uint8_t *p, size_t n,
                    bool all)
{
    struct sbuf b;

    if (out->san_count >= CS_SAN_MAX) { /* [X509-SAN-CAP] */
        out->san_truncated = true;
        return;
    }
    out->san[out->san_count].type = type;
    sb_init(&b, out->san[out->san_count].value, CS_SAN_LEN_MAX);
    sb_escaped(&b, p, n, all);
    out->san_count++;
}

/* RFC 5280 4.2.1.6: dNSName, iPAddress, rfc822Name, uniformResourceIdentifier.
 * Raw string bytes are used (an embedded NUL stays visible as \x00). */
static void sans(X509 *x, struct cs_cert_info *out)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    int i, count = gens != NULL ? sk_GENERAL_NAME_num(gens) : 0;

    for (i = 0; i < count; i++) {
        const GENERAL_NAME *gen = sk_GENERAL_NAME_value(gens, i);
        int type = -1;
        const ASN1_STRING *s = gen != NULL ? GENERAL_NAME_get0_value(gen, &type) : NULL;
        const unsigned char *p;
        size_t n;
        char ip[INET6_ADDRSTRLEN];

        if (s == NULL || ASN1_STRING_length(s) < 0)
            continue;
        p = ASN1_STRING_get0_data(s);
        n = (size_t)ASN1_STRING_length(s);
        if (p == NULL)
            n = 0;
        switch (type) {
        case GEN_DNS:
            san_add(out, CS_SAN_DNS, p, n, false);
            break;
        case GEN_EMAIL:
            san_add(out, CS_SAN_EMAIL, p, n, false);
            break;
        case GEN_URI:
            san_add(out, CS_SAN_URI, p, n, false);
            break;
        case GEN_IPADD:
            if ((n == 4 && inet_ntop(AF_INET, p, ip, sizeof(ip)) != NULL) ||
                (n == 16 && inet_ntop(AF_INET6, p, ip, sizeof(ip)) != NULL)) {
                san_add(out, CS_SAN_IP, (const uint8_t *)ip, strlen(ip), false);
            } else {
                /* not an address length: keep the bytes, all escaped */
                san_add(out, CS_SAN_IP, p, n, true);
            }
            break;
        default:
            break;
        }
    }
    GENERAL_NAMES_free(gens);
}

static void key_info(X509 *x, struct cs_cert_info *out)
{
    ASN1_OBJECT *alg = NULL;
    X509_PUBKEY *xpk = X509_get_X509_PUBKEY(x);
    EVP_PKEY *pkey;
    const char *name = "unknown";
    int nid = NID_undef;
    size_t glen = 0;

    if (xpk != NULL && X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, xpk) == 1)
        nid = OBJ_obj2nid(alg);
    switch (nid) {
    case NID_rsaEncryption:
        name = "RSA";
        break;
    case NID_X9_62_id_ecPublicKey:
        name = "EC";
        break;
    case NID_dsa:
        name = "DSA";
        break;
    case NID_ED25519:
        name = "ED25519";
        break;
    case NID_ED448:
        name = "ED448";
        break;
    case NID_undef:
        /* an algorithm OpenSSL has no name for (ML-DSA on 3.0): its dotted OID */
        if (alg != NULL && OBJ_obj2txt(out->key_type, (int)sizeof(out->key_type), alg, 1) > 0)
            name = NULL;
        break;
    default:
        if (OBJ_nid2sn(nid) != NULL)
            name = OBJ_nid2sn(nid);
        break;
    }
    if (name != NULL)
        copy_str(name, out->key_type, sizeof(out->key_type));

    /* borrowed from x; NULL when OpenSSL cannot decode the key (ML-DSA on 3.0) */
    pkey = X509_get0_pubkey(x);
    if (pkey == NULL)
        return;
    out->key_bits = EVP_PKEY_get_bits(pkey) > 0 ? EVP_PKEY_get_bits(pkey) : 0;
    if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC &&
        EVP_PKEY_get_group_name(pkey, out->key_curve, sizeof(out->key_curve), &glen) != 1)
        out->key_curve[0] = '\0'; /* explicit curve parameters: no name */
}

static void sig_alg(X509 *x, char *dst, size_t cap)
{
    const X509_ALGOR *alg = NULL;
    const ASN1_OBJECT *obj = NULL;
    char txt[128];
    int nid;

    dst[0] = '\0';
    X509_get0_signature(NULL, &alg, x);
    if (alg == NULL)
        return;
    X509_ALGOR_get0(&obj, NULL, NULL, alg);
    if (obj == NULL)
        return;
    nid = OBJ_obj2nid(obj);
    if (nid != NID_undef && OBJ_nid2ln(nid) != NULL) {
        copy_str(OBJ_nid2ln(nid), dst, cap);
    } else if (OBJ_obj2txt(txt, (int)sizeof(txt), obj, 1) > 0) {
        copy_str(txt, dst, cap); /* truncates with "..." past cap */
    }
}

/* keyIdentifier bytes; longer than the array: nothing stored. */
static void key_id(const ASN1_OCTET_STRING *s, uint8_t *dst, size_t cap, size_t *len)
{
    int n = s != NULL ? ASN1_STRING_length(s) : -1;
    const unsigned char *p = s != NULL ? ASN1_STRING_get0_data(s) : NULL;

    *len = 0;
    if (n <= 0 || p == NULL || (size_t)n > cap) /* [X509-KEYID-CAP] */
        return;
    memcpy(dst, p, (size_t)n);
    *len = (size_t)n;
}

/* RFC 5280 4.2.1.9 cA flag. Absent, undecodable or duplicated: false. */
static bool basic_ca(X509 *x)
{
    BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
    bool ca = bc != NULL && bc->ca != 0;

    BASIC_CONSTRAINTS_free(bc);
    return ca;
}

static bool self_signed(X509 *x)
{
    EVP_PKEY *pkey;

    if (X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) != 0)
        return false;
    pkey = X509_get0_pubkey(x);
    return pkey != NULL && X509_verify(x, pkey) == 1;
}

/* ---- entry point ------------------------------------------------------------ */

enum pr_status x509_analyse(const uint8_t *der, size_t len, struct cs_cert_info *out)
{
    return x509_analyse_keep(der, len, out, NULL);
}

X509 *x509_parse(const struct cs_cert *c)
{
    if (c == NULL)
        return NULL;
    if (c->x509 != NULL) {
        X509 *x = (X509 *)(uintptr_t)c->x509; /* the cache's object, shared by reference */
        return X509_up_ref(x) == 1 ? x : NULL;
    }
    if (c->der == NULL || c->der_len == 0 || c->der_len > X509_ANALYSE_MAX)
        return NULL;
    const unsigned char *p = c->der;
    return d2i_X509(NULL, &p, (long)c->der_len);
}

enum pr_status x509_analyse_keep(const uint8_t *der, size_t len, struct cs_cert_info *out,
                                 X509 **keep)
{
    enum pr_status st = PR_MALFORMED;
    const unsigned char *p = der;
    X509 *x = NULL;
    bool mark;

    if (out == NULL)
        return PR_MALFORMED;
    memset(out, 0, sizeof(*out));
    if (der == NULL && len != 0)
        return PR_MALFORMED;
    /* Errors OpenSSL queues while we work are ours; the embedder's stay. */
    mark = ERR_set_mark() == 1;

    /* Thumbprints first, whatever the bytes are. */
    digest(EVP_sha1(), der, len, out->sha1, sizeof(out->sha1));
    digest(EVP_sha256(), der, len, out->sha256, sizeof(out->sha256));

    if (len > X509_ANALYSE_MAX) { /* [X509-ANALYSE-CAP] */
        spki_from_der(der, len, out);
        st = PR_LIMIT;
        goto out;
    }
    if (len == 0) {
        st = PR_MALFORMED;
        goto out;
    }

    x = d2i_X509(NULL, &p, (long)len);
    if (x == NULL) {
        spki_from_der(der, len, out);
        st = PR_MALFORMED;
        goto out;
    }
    out->parsed = true;
    /* OpenSSL parses a prefix; TLS clients reject a length mismatch. */
    st = (size_t)(p - der) == len ? PR_OK : PR_MALFORMED;

    if (spki_from_x509(x, out))
        out->has_spki = true;
    else
        spki_from_der(der, len, out);

    name_str(X509_get_subject_name(x), out->subject, sizeof(out->subject));
    name_str(X509_get_issuer_name(x), out->issuer, sizeof(out->issuer));
    serial_str(X509_get0_serialNumber(x), out->serial, sizeof(out->serial));
    out->validity_ok = time_epoch(X509_get0_notBefore(x), &out->not_before) &&
                       time_epoch(X509_get0_notAfter(x), &out->not_after);
    if (!out->validity_ok) {
        out->not_before = 0;
        out->not_after = 0;
    }
    sans(x, out);
    key_info(x, out);
    sig_alg(x, out->sig_alg, sizeof(out->sig_alg));
    out->is_ca = basic_ca(x);
    out->self_signed = self_signed(x);
    key_id(X509_get0_subject_key_id(x), out->ski, sizeof(out->ski), &out->ski_len);
    key_id(X509_get0_authority_key_id(x), out->aki, sizeof(out->aki), &out->aki_len);

out:
    if (keep != NULL) {
        *keep = x; /* NULL when it did not parse */
        x = NULL;
    }
    X509_free(x);
    if (mark)
        ERR_pop_to_mark();
    else
        ERR_clear_error();
    return st;
}
