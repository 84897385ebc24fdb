/* JA3, JA3S and JA4 (TCP) fingerprints over parsed hellos.
 *
 * JA3/JA3S: Salesforce definition (github.com/salesforce/ja3): the fields
 * in decimal, list items joined with '-', fields with ','; GREASE values
 * (RFC 8701) removed from ciphers, extensions and groups; MD5 of the text.
 * JA4: FoxIO specification (technical_details/JA4.md, BSD-3-Clause).
 *
 * The text is streamed through an OpenSSL digest as it is produced, so a
 * hash never depends on the size of the caller's buffer and nothing here
 * allocates except the digest context OpenSSL itself needs. The OpenSSL
 * error queue is left as it was found. */
#include "ja.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

/* Text sink: feeds a digest and, optionally, a caller's string buffer. */
struct ja_sink {
    EVP_MD_CTX *md;
    bool md_err;
    char *str; /* may be NULL (JA4 components) */
    size_t cap;
    size_t len;
    bool over; /* the text did not fit in str */
    char buf[256];
    size_t nbuf;
};

static bool sink_init(struct ja_sink *s, const EVP_MD *type, char *str, size_t cap)
{
    memset(s, 0, sizeof *s);
    s->str = str;
    s->cap = (str == NULL) ? 0 : cap;
    s->md = EVP_MD_CTX_new();
    if (s->md == NULL || type == NULL || EVP_DigestInit_ex(s->md, type, NULL) != 1)
        s->md_err = true;
    return !s->md_err;
}

static void sink_flush(struct ja_sink *s)
{
    if (s->nbuf > 0 && !s->md_err && EVP_DigestUpdate(s->md, s->buf, s->nbuf) != 1)
        s->md_err = true;
    s->nbuf = 0;
}

static void sink_put(struct ja_sink *s, const char *p, size_t n)
{
    if (s->str != NULL && !s->over) {
        /* keep one byte for the NUL */
        size_t room = (s->cap > s->len) ? s->cap - s->len - 1 : 0;
        size_t k = (n < room) ? n : room;
        memcpy(s->str + s->len, p, k);
        s->len += k;
        if (k < n)
            s->over = true;
    }
    while (n > 0) {
        if (s->nbuf == sizeof s->buf)
            sink_flush(s);
        size_t k = sizeof s->buf - s->nbuf;
        if (k > n)
            k = n;
        memcpy(s->buf + s->nbuf, p, k);
        s->nbuf += k;
        p += k;
        n -= k;
    }
}

static void sink_ch(struct ja_sink *s, char ch)
{
    sink_put(s, &ch, 1);
}

static void sink_dec(struct ja_sink *s, unsigned v)
{
    char tmp[12];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0 && i > 0);
    sink_put(s, tmp + i, sizeof tmp - i);
}

static const char ja_hex[] = "0123456789abcdef";

static void sink_hex4(struct ja_sink *s, uint16_t v)
{
    char tmp[4] = {ja_hex[(v >> 12) & 0xf], ja_hex[(v >> 8) & 0xf], ja_hex[(v >> 4) & 0xf],
                   ja_hex[v & 0xf]};
    sink_put(s, tmp, sizeof tmp);
}

/* Finishes the digest into hex (nhex digits of it, NUL-terminated), NUL-
 * terminates str and frees the context. false if the digest failed. */
static bool sink_finish(struct ja_sink *s, char *hex, size_t nhex)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    sink_flush(s);
    if (!s->md_err && EVP_DigestFinal_ex(s->md, md, &mdlen) != 1)
        s->md_err = true;
    EVP_MD_CTX_free(s->md);
    s->md = NULL;
    if (s->str != NULL && s->cap > 0)
        s->str[s->len] = '\0';
    if (s->md_err || (size_t)mdlen * 2 < nhex) {
        hex[0] = '\0';
        return false;
    }
    for (size_t i = 0; i < nhex; i++) {
        unsigned char byte = md[i / 2];
        hex[i] = ja_hex[(i % 2 == 0) ? byte >> 4 : byte & 0xf];
    }
    hex[nhex] = '\0';
    return true;
}

/* A list of 2-byte values in decimal joined by '-', GREASE removed. */
static void put_u16_dec_list(struct ja_sink *s, struct bytes list)
{
    struct cur c = cur_make(list.p, list.n);
    bool first = true;
    while (!cur_empty(&c)) {
        uint16_t v = cur_u16(&c);
        if (c.err || tls_is_grease(v))
            continue;
        if (!first)
            sink_ch(s, '-');
        sink_dec(s, v);
        first = false;
    }
}

/* The extension types of a block in decimal joined by '-', GREASE removed. */
static void put_ext_dec_list(struct ja_sink *s, struct bytes exts)
{
    struct tls_ext_iter it;
    uint16_t type;
    struct bytes body;
    bool first = true;
    tls_ext_iter_init(&it, exts);
    while (tls_ext_next(&it, &type, &body)) {
        if (tls_is_grease(type))
            continue;
        if (!first)
            sink_ch(s, '-');
        sink_dec(s, type);
        first = false;
    }
}

static bool ext_block_valid(struct bytes exts)
{
    struct tls_ext_iter it;
    uint16_t type;
    struct bytes body;
    tls_ext_iter_init(&it, exts);
    while (tls_ext_next(&it, &type, &body)) {
    }
    return !it.err;
}

static void ja_clear(char *str, size_t cap, char hash[33])
{
    if (str != NULL && cap > 0)
        str[0] = '\0';
    if (hash != NULL)
        hash[0] = '\0';
}

/* JA3: SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats
 * SSLVersion is the ClientHello's legacy_version field (RFC 8446 4.1.2). */
enum pr_status ja3_client(const struct tls_client_hello *ch, char *str, size_t cap, char hash[33])
{
    ja_clear(str, cap, hash);
    if (ch == NULL || hash == NULL || !ext_block_valid(ch->extensions))
        return PR_MALFORMED;

    enum pr_status st = PR_UNSUPPORTED;
    struct ja_sink s;
    ERR_set_mark();
    if (!sink_init(&s, EVP_md5(), str, cap)) {
        (void)sink_finish(&s, hash, 32);
        goto out;
    }
    sink_dec(&s, ch->legacy_version);
    sink_ch(&s, ',');
    put_u16_dec_list(&s, ch->ciphers);
    sink_ch(&s, ',');
    put_ext_dec_list(&s, ch->extensions);
    sink_ch(&s, ',');
    put_u16_dec_list(&s, ch->groups);
    sink_ch(&s, ',');
    {
        /* RFC 8422 5.1.2: 1-byte point formats; no GREASE is defined for them */
        struct cur c = cur_make(ch->ec_point_formats.p, ch->ec_point_formats.n);
        bool first = true;
        while (!cur_empty(&c)) {
            uint8_t f = cur_u8(&c);
            if (!first)
                sink_ch(&s, '-');
            sink_dec(&s, f);
            first = false;
        }
    }
    if (!sink_finish(&s, hash, 32))
        goto out;
    st = s.over ? PR_LIMIT : PR_OK;
out:
    ERR_pop_to_mark();
    if (st == PR_UNSUPPORTED)
        ja_clear(str, cap, hash);
    return st;
}

/* JA3S: SSLVersion,Cipher,Extensions (legacy_version, RFC 8446 4.1.3) */
enum pr_status ja3_server(const struct tls_server_hello *sh, char *str, size_t cap, char hash[33])
{
    ja_clear(str, cap, hash);
    if (sh == NULL || hash == NULL || !ext_block_valid(sh->extensions))
        return PR_MALFORMED;

    enum pr_status st = PR_UNSUPPORTED;
    struct ja_sink s;
    ERR_set_mark();
    if (!sink_init(&s, EVP_md5(), str, cap)) {
        (void)sink_finish(&s, hash, 32);
        goto out;
    }
    sink_dec(&s, sh->legacy_version);
    sink_ch(&s, ',');
    sink_dec(&s, sh->cipher_suite);
    sink_ch(&s, ',');
    put_ext_dec_list(&s, sh->extensions);
    if (!sink_finish(&s, hash, 32))
        goto out;
    st = s.over ? PR_LIMIT : PR_OK;
out:
    ERR_pop_to_mark();
    if (st == PR_UNSUPPORTED)
        ja_clear(str, cap, hash);
    return st;
}

/* ---- JA4 ------------------------------------------------------------- */

/* JA4 spec "TLS and DTLS Version"; anything else is "00". */
static const char *ja4_version(uint16_t v)
{
    switch (v) {
    case 0x0304:
        return "13";
    case 0x0303:
        return "12";
    case 0x0302:
        return "11";
    case 0x0301:
        return "10";
    case 0x0300:
        return "s3";
    case 0x0002:
        return "s2";
    case 0xfeff:
        return "d1";
    case 0xfefd:
        return "d2";
    case 0xfefc:
        return "d3";
    default:
        return "00";
    }
}

/* ASCII 0-9, A-Z, a-z only (isalnum() depends on the locale). */
static bool ja4_alnum(uint8_t b)
{
    return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

/* JA4 spec "ALPN Extension Value": first and last character of the first
 * ALPN value; "00" when there is none or it is empty; when either end byte
 * is not alphanumeric, the first and last hex digit of the value instead
 * (high nibble of the first byte, low nibble of the last). */
static void ja4_alpn(struct bytes alpn, char out[2])
{
    out[0] = '0';
    out[1] = '0';
    struct cur c = cur_make(alpn.p, alpn.n);
    struct cur name = cur_block(&c, 1);
    if (name.err || cur_empty(&name))
        return;
    size_t n = cur_left(&name);
    uint8_t first = cur_u8(&name);
    uint8_t last = first;
    if (n > 1) {
        (void)cur_skip(&name, n - 2);
        last = cur_u8(&name);
    }
    if (ja4_alnum(first) && ja4_alnum(last)) {
        out[0] = (char)first;
        out[1] = (char)last;
    } else {
        out[0] = ja_hex[first >> 4];
        out[1] = ja_hex[last & 0xf];
    }
}

static void ja4_two_digits(size_t n, char out[2])
{
    if (n > 99)
        n = 99;
    out[0] = (char)('0' + n / 10);
    out[1] = (char)('0' + n % 10);
}

/* In-place heapsort: O(n log n) even on adversarial input, no allocation. */
static void ja4_sift(uint16_t *v, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && v[child + 1] > v[child])
            child++;
        if (v[root] >= v[child])
            return;
        uint16_t t = v[root];
        v[root] = v[child];
        v[child] = t;
        root = child;
    }
}

static void ja4_sort(uint16_t *v, size_t n)
{
    for (size_t i = n / 2; i > 0; i--)
        ja4_sift(v, i - 1, n);
    for (size_t end = n; end > 1; end--) {
        uint16_t t = v[0];
        v[0] = v[end - 1];
        v[end - 1] = t;
        ja4_sift(v, 0, end - 1);
    }
}

/* Sorted values as 4-digit lowercase hex joined by ',' into the sink. */
static void put_hex_list(struct ja_sink *s, const uint16_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            sink_ch(s, ',');
        sink_hex4(s, v[i]);
    }
}

enum pr_status ja4_client(const struct tls_client_hello *ch, char out[40])
{
    uint16_t vals[JA4_SORT_MAX];
    size_t nvals = 0;
    bool too_many = false;
    enum pr_status st = PR_MALFORMED;
    struct ja_sink s;
    char b[13], c[13];

    if (out == NULL)
        return PR_MALFORMED;
    out[0] = '\0';
    if (ch == NULL || !ext_block_valid(ch->extensions))
        return PR_MALFORMED;
    ERR_set_mark();

    /* JA4_b: ciphers without GREASE, sorted, as 4-digit hex (SCSVs included) */
    size_t ncipher = 0;
    struct cur cc = cur_make(ch->ciphers.p, ch->ciphers.n);
    while (!cur_empty(&cc)) {
        uint16_t v = cur_u16(&cc);
        if (cc.err || tls_is_grease(v))
            continue;
        ncipher++;
        if (nvals < JA4_SORT_MAX)
            vals[nvals++] = v;
        else
            too_many = true; /* [JA4-SORT-CAP] */
    }
    if (too_many) {
        st = PR_LIMIT;
        goto out;
    }
    if (nvals == 0) {
        memcpy(b, "000000000000", 13); /* spec: empty list is not hashed */
    } else {
        ja4_sort(vals, nvals);
        st = PR_UNSUPPORTED;
        if (!sink_init(&s, EVP_sha256(), NULL, 0)) {
            (void)sink_finish(&s, b, 12);
            goto out;
        }
        put_hex_list(&s, vals, nvals);
        if (!sink_finish(&s, b, 12))
            goto out;
    }

    /* JA4_c: extension types without GREASE, SNI (0) and ALPN (16), sorted;
     * then '_' and the signature algorithms in wire order, GREASE removed
     * (the spec ignores GREASE "anywhere it sees them"). */
    size_t next = 0;
    bool has_sni = false;
    nvals = 0;
    struct tls_ext_iter it;
    uint16_t type;
    struct bytes body;
    tls_ext_iter_init(&it, ch->extensions);
    while (tls_ext_next(&it, &type, &body)) {
        if (tls_is_grease(type))
            continue;
        next++;
        if (type == TLS_EXT_SERVER_NAME)
            has_sni = true;
        if (type == TLS_EXT_SERVER_NAME || type == TLS_EXT_ALPN)
            continue;
        if (nvals < JA4_SORT_MAX)
            vals[nvals++] = type;
        else
            too_many = true; /* [JA4-SORT-CAP] */
    }
    if (too_many) {
        st = PR_LIMIT;
        goto out;
    }
    if (nvals == 0) {
        memcpy(c, "000000000000", 13);
    } else {
        ja4_sort(vals, nvals);
        st = PR_UNSUPPORTED;
        if (!sink_init(&s, EVP_sha256(), NULL, 0)) {
            (void)sink_finish(&s, c, 12);
            goto out;
        }
        put_hex_list(&s, vals, nvals);
        struct cur sc = cur_make(ch->sig_algs.p, ch->sig_algs.n);
        bool first = true;
        while (!cur_empty(&sc)) {
            uint16_t v = cur_u16(&sc);
            if (sc.err || tls_is_grease(v))
                continue;
            sink_ch(&s, first ? '_' : ',');
            sink_hex4(&s, v);
            first = false;
        }
        if (!sink_finish(&s, c, 12))
            goto out;
    }

    /* JA4_a: t, version, d/i, cipher count, extension count, ALPN */
    const char *ver = ja4_version(ch->max_version);
    char a[10];
    a[0] = 't';
    a[1] = ver[0];
    a[2] = ver[1];
    a[3] = has_sni ? 'd' : 'i';
    ja4_two_digits(ncipher, a + 4);
    ja4_two_digits(next, a + 6);
    ja4_alpn(ch->alpn, a + 8);

    memcpy(out, a, 10);
    out[10] = '_';
    memcpy(out + 11, b, 12);
    out[23] = '_';
    memcpy(out + 24, c, 12);
    out[36] = '\0';
    st = PR_OK;
out:
    ERR_pop_to_mark();
    return st;
}
