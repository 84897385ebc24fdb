/* Trust check (contract and check table in trust.h). */
#include "trust.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "x509.h" /* X509_ANALYSE_MAX */

#define EV_MAX 1024
#define EV_NAME 200

struct trust_store {
    X509_STORE *roots;
    STACK_OF(X509) * inter;
    size_t n_roots, n_inter;
};

/* ---- loading ------------------------------------------------------------- */

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

/* Never ask for a pass phrase: the library does no terminal I/O. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

static bool starts(const char *p, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n >= l && memcmp(p, lit, l) == 0;
}

static size_t line_end(const char *p, size_t len, size_t pos)
{
    const char *nl = memchr(p + pos, '\n', len - pos);
    return nl != NULL ? (size_t)(nl - p) : len;
}

/* Every certificate block of a PEM text into out; all or nothing. */
static enum pr_status pem_certs(const char *name, const char *pem, size_t len, size_t room,
                                STACK_OF(X509) * out, char *err, size_t errlen)
{
    size_t pos = 0, line = 1, found = 0;
    enum pr_status st = PR_OK;

    if (name == NULL)
        name = "(pem)";
    if (len > INT_MAX) {
        set_err(err, errlen, "%s: text too large (%zu bytes)", name, len);
        return PR_LIMIT;
    }
    while (pos < len && st == PR_OK) {
        size_t eol = line_end(pem, len, pos), bline = line, start = pos, end;
        const char *lab;
        bool cert;

        if (!starts(pem + pos, eol - pos, "-----BEGIN ")) {
            pos = eol + 1;
            line++;
            continue;
        }
        /* RFC 7468 2: the labels certificates come under */
        lab = pem + pos + 11;
        cert = starts(lab, eol - pos - 11, "CERTIFICATE-----") ||
               starts(lab, eol - pos - 11, "X509 CERTIFICATE-----") ||
               starts(lab, eol - pos - 11, "TRUSTED CERTIFICATE-----");
        do {
            pos = eol + 1;
            line++;
            eol = pos < len ? line_end(pem, len, pos) : len;
        } while (pos < len && !starts(pem + pos, eol - pos, "-----END "));
        if (pos >= len) {
            set_err(err, errlen, "%s:%zu: BEGIN line without an END line", name, bline);
            st = PR_MALFORMED;
            break;
        }
        end = eol < len ? eol + 1 : eol; /* with its newline */
        pos = eol + 1;
        line++;
        if (!cert)
            continue;
        if (found >= room) {
            set_err(err, errlen, "%s:%zu: more than %d certificates in the store", name, bline,
                    TRUST_MAX_CERTS);
            st = PR_LIMIT;
            break;
        }
        {
            BIO *b = BIO_new_mem_buf(pem + start, (int)(end - start));
            X509 *x = b != NULL ? PEM_read_bio_X509_AUX(b, NULL, no_passphrase, NULL) : NULL;
            BIO_free(b);
            if (x == NULL) {
                unsigned long e = ERR_peek_last_error();
                const char *why = e != 0 ? ERR_reason_error_string(e) : NULL;
                set_err(err, errlen, "%s:%zu: certificate does not parse (%s)", name, bline,
                        why != NULL ? why : "unknown reason");
                st = PR_MALFORMED;
                break;
            }
            if (!sk_X509_push(out, x)) {
                X509_free(x);
                set_err(err, errlen, "%s:%zu: out of memory", name, bline);
                st = PR_LIMIT;
                break;
            }
            found++;
        }
    }
    if (st == PR_OK && found == 0) {
        set_err(err, errlen, "%s: no PEM certificate found (expected -----BEGIN CERTIFICATE-----)",
                name);
        st = PR_MALFORMED;
    }
    return st;
}

struct trust_store *trust_new(void)
{
    struct trust_store *ts = OPENSSL_zalloc(sizeof(*ts));

    if (ts == NULL)
        return NULL;
    ts->roots = X509_STORE_new();
    ts->inter = sk_X509_new_null();
    if (ts->roots == NULL || ts->inter == NULL) {
        trust_free(ts);
        return NULL;
    }
    return ts;
}

void trust_free(struct trust_store *ts)
{
    if (ts == NULL)
        return;
    X509_STORE_free(ts->roots);
    sk_X509_pop_free(ts->inter, X509_free);
    OPENSSL_free(ts);
}

static enum pr_status add_pem(struct trust_store *ts, bool roots, const char *name, const char *pem,
                              size_t len, char *err, size_t errlen)
{
    STACK_OF(X509) * got;
    size_t have, i;
    enum pr_status st;

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (ts == NULL || (pem == NULL && len > 0)) {
        set_err(err, errlen, "%s: invalid argument", name != NULL ? name : "(pem)");
        return PR_MALFORMED;
    }
    got = sk_X509_new_null();
    if (got == NULL)
        return PR_LIMIT;
    have = roots ? ts->n_roots : ts->n_inter;
    ERR_set_mark();
    st = pem_certs(name, pem != NULL ? pem : "", len, TRUST_MAX_CERTS - have, got, err, errlen);
    for (i = 0; st == PR_OK && i < (size_t)sk_X509_num(got); i++) {
        X509 *x = sk_X509_value(got, (int)i);
        if (roots) {
            /* duplicates are accepted by OpenSSL 3 (hashed directory links) */
            if (X509_STORE_add_cert(ts->roots, x) != 1) {
                set_err(err, errlen, "%s: cannot add certificate %zu to the store", name, i + 1);
                st = PR_LIMIT;
            }
        } else if (X509_up_ref(x) != 1 || !sk_X509_push(ts->inter, x)) {
            st = PR_LIMIT;
        }
    }
    if (st == PR_OK && roots) {
        /* distinct certificates: a directory's hash links repeat files */
        ts->n_roots = (size_t)sk_X509_OBJECT_num(X509_STORE_get0_objects(ts->roots));
    } else if (st == PR_OK) {
        ts->n_inter += (size_t)sk_X509_num(got);
    }
    ERR_pop_to_mark();
    sk_X509_pop_free(got, X509_free);
    return st;
}

enum pr_status trust_add_pem(struct trust_store *ts, const char *name, const char *pem, size_t len,
                             char *err, size_t errlen)
{
    return add_pem(ts, true, name, pem, len, err, errlen);
}

enum pr_status trust_add_intermediates_pem(struct trust_store *ts, const char *name,
                                           const char *pem, size_t len, char *err, size_t errlen)
{
    return add_pem(ts, false, name, pem, len, err, errlen);
}

size_t trust_root_count(const struct trust_store *ts)
{
    return ts != NULL ? ts->n_roots : 0;
}

size_t trust_intermediate_count(const struct trust_store *ts)
{
    return ts != NULL ? ts->n_inter : 0;
}

/* ---- verification ------------------------------------------------------------ */

/* One verification, kept alive while the caller reads the built path. */
struct vrun {
    const struct cs_cert *certs;
    size_t n;
    X509 *x[CS_CHAIN_MAX];
    STACK_OF(X509) * untrusted;
    X509_STORE *own_store; /* when no store was given */
    X509_STORE_CTX *ctx;
    STACK_OF(X509) * chain; /* borrowed from ctx */
};

static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
    struct trust_result *r = X509_STORE_CTX_get_app_data(ctx);
    int e = X509_STORE_CTX_get_error(ctx);

    /* [TRUST-TIME] expiry belongs to the validity check; ignoring it here
     * lets verification go on to the errors that matter for trust */
    if (!ok && (e == X509_V_ERR_CERT_HAS_EXPIRED || e == X509_V_ERR_CERT_NOT_YET_VALID)) {
        if (r != NULL)
            r->time_errors_ignored++;
        return 1;
    }
    return ok;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static void vrun_free(struct vrun *v)
{
    size_t i;

    X509_STORE_CTX_free(v->ctx);
    sk_X509_free(v->untrusted); /* borrowed pointers */
    X509_STORE_free(v->own_store);
    for (i = 0; i < v->n; i++)
        X509_free(v->x[i]);
    memset(v, 0, sizeof(*v));
}

static bool spki_digest(X509 *x, uint8_t out[32])
{
    unsigned char *enc = NULL;
    unsigned int got = 0;
    int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &enc);
    bool ok = n > 0 && EVP_Digest(enc, (size_t)n, out, &got, EVP_sha256(), NULL) == 1 && got == 32;

    OPENSSL_free(enc);
    if (!ok)
        memset(out, 0, 32);
    return ok;
}

static bool signed_by(X509 *child, X509 *issuer)
{
    EVP_PKEY *k = X509_get0_pubkey(issuer);
    return k != NULL && X509_verify(child, k) == 1;
}

static enum pr_status vrun_start(struct vrun *v, const struct trust_store *ts,
                                 const struct cs_tls *t, bool client, struct trust_result *r)
{
    const struct cs_cert *certs = client ? t->client_certs : t->server_certs;
    size_t count = client ? t->client_cert_count : t->server_cert_count, i;
    X509_STORE *store;
    X509_VERIFY_PARAM *param;
    int rc;

    memset(v, 0, sizeof(*v));
    memset(r, 0, sizeof(*r));
    r->error = X509_V_OK;
    r->error_depth = -1;
    r->error_text = X509_verify_cert_error_string(X509_V_OK);
    v->certs = certs;
    v->n = count < CS_CHAIN_MAX ? count : CS_CHAIN_MAX;
    for (i = 0; i < v->n; i++) {
        v->x[i] = x509_parse(&certs[i]); /* the sensor's parsed copy when it has one */
    }
    if (v->n == 0 || v->x[0] == NULL)
        return PR_UNSUPPORTED;
    v->untrusted = sk_X509_new_null();
    if (v->untrusted == NULL)
        return PR_LIMIT;
    for (i = 1; i < v->n; i++) {
        if (v->x[i] == NULL)
            continue;
        if (!sk_X509_push(v->untrusted, v->x[i]))
            return PR_LIMIT;
        if (X509_NAME_cmp(X509_get_issuer_name(v->x[0]), X509_get_subject_name(v->x[i])) == 0)
            r->leaf_issuer_sent = true;
    }
    for (i = 0; ts != NULL && i < (size_t)sk_X509_num(ts->inter); i++) {
        if (!sk_X509_push(v->untrusted, sk_X509_value(ts->inter, (int)i)))
            return PR_LIMIT;
    }
    store = ts != NULL ? ts->roots : NULL;
    if (store == NULL)
        store = v->own_store = X509_STORE_new();
    v->ctx = X509_STORE_CTX_new();
    if (store == NULL || v->ctx == NULL ||
        X509_STORE_CTX_init(v->ctx, store, v->x[0], v->untrusted) != 1)
        return PR_LIMIT;
    param = X509_STORE_CTX_get0_param(v->ctx);
    /* [TRUST-TIME] the capture time, never the wall clock */
    X509_VERIFY_PARAM_set_time(param, (time_t)floor_div(t->ts_us, 1000000));
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_USE_CHECK_TIME | X509_V_FLAG_PARTIAL_CHAIN);
    if (X509_STORE_CTX_set_purpose(v->ctx,
                                   client ? X509_PURPOSE_SSL_CLIENT : X509_PURPOSE_SSL_SERVER) != 1)
        return PR_LIMIT;
    X509_STORE_CTX_set_verify_cb(v->ctx, verify_cb);
    X509_STORE_CTX_set_app_data(v->ctx, r);

    rc = X509_verify_cert(v->ctx);
    if (rc == 1) {
        r->error = X509_V_OK;
        r->error_depth = -1;
    } else {
        r->error = X509_STORE_CTX_get_error(v->ctx);
        if (r->error == X509_V_OK)
            r->error = X509_V_ERR_UNSPECIFIED;
        r->error_depth = X509_STORE_CTX_get_error_depth(v->ctx);
    }
    r->error_text = X509_verify_cert_error_string(r->error);
    X509_STORE_CTX_set_app_data(v->ctx, NULL);

    v->chain = X509_STORE_CTX_get0_chain(v->ctx);
    {
        size_t plen = v->chain != NULL ? (size_t)sk_X509_num(v->chain) : 0;
        size_t nu = (size_t)X509_STORE_CTX_get_num_untrusted(v->ctx), k;

        r->path_truncated = plen > TRUST_PATH_MAX;
        r->path_len = plen < TRUST_PATH_MAX ? plen : TRUST_PATH_MAX;
        r->anchored = plen > nu;
        for (k = 0; k < r->path_len; k++) {
            X509 *c = sk_X509_value(v->chain, (int)k);
            struct trust_path_entry *pe = &r->path[k];
            unsigned int got = 0;

            pe->sent_index = -1;
            for (i = 0; i < v->n; i++) {
                if (v->x[i] != NULL && (v->x[i] == c || X509_cmp(v->x[i], c) == 0)) {
                    pe->sent_index = (int)i;
                    break;
                }
            }
            pe->from_roots = k >= nu;
            if (pe->from_roots)
                pe->sent_index = -1;
            if (X509_digest(c, EVP_sha256(), pe->sha256, &got) != 1 || got != 32)
                memset(pe->sha256, 0, 32);
            spki_digest(c, pe->spki_sha256);
            pe->self_signed = X509_self_signed(c, 1) == 1;
        }
        /* how far the path holds together by signatures */
        if (rc == 1) {
            r->path_linked = r->path_len;
        } else {
            r->path_linked = r->path_len > 0 ? 1 : 0;
            for (k = 0; k + 1 < r->path_len; k++) {
                if (!signed_by(sk_X509_value(v->chain, (int)k),
                               sk_X509_value(v->chain, (int)k + 1)))
                    break;
                r->path_linked = k + 2;
            }
        }
    }
    return PR_OK;
}

enum pr_status trust_verify(const struct trust_store *ts, const struct cs_tls *t, bool client,
                            struct trust_result *r)
{
    struct vrun v;
    enum pr_status st;

    if (t == NULL || r == NULL)
        return PR_UNSUPPORTED;
    ERR_set_mark();
    st = vrun_start(&v, ts, t, client, r);
    if (st != PR_OK) {
        memset(r, 0, sizeof(*r));
        r->error_depth = -1;
        r->error_text = X509_verify_cert_error_string(X509_V_OK);
    }
    vrun_free(&v);
    ERR_pop_to_mark();
    return st;
}

/* ---- reporting ------------------------------------------------------------------- */

static void printable(const char *s, size_t n, char *out, size_t cap)
{
    static const char hx[] = "0123456789abcdef";
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool plain = c >= 0x20 && c <= 0x7e;
        if (o + (plain ? 1 : 4) > cap - 4) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (plain) {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hx[c >> 4];
            out[o++] = hx[c & 15];
        }
    }
    out[o] = '\0';
}

/* Names: the analysis text for a sent certificate, OpenSSL's RFC 2253
 * rendering for one from a store. */
static void name_text(X509 *x, const struct cs_cert *sent, bool subject, char *out, size_t cap)
{
    const X509_NAME *nm = subject ? X509_get_subject_name(x) : X509_get_issuer_name(x);
    BIO *b;
    char *p = NULL;
    long len;

    out[0] = '\0';
    if (sent != NULL && sent->info != NULL && sent->info->parsed) {
        const char *s = subject ? sent->info->subject : sent->info->issuer;
        printable(s, strlen(s), out, cap);
        return;
    }
    b = BIO_new(BIO_s_mem());
    if (b != NULL && X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253) >= 0 &&
        (len = BIO_get_mem_data(b, &p)) >= 0 && p != NULL)
        printable(p, (size_t)len, out, cap);
    BIO_free(b);
}

static bool is_untrusted_error(int e)
{
    return e == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
           e == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
           e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
           e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT || e == X509_V_ERR_CERT_UNTRUSTED ||
           e == X509_V_ERR_CERT_REJECTED;
}

static void check_one(const struct trust_store *ts, const struct cs_tls *t, bool client,
                      const struct check_out *o)
{
    const char *role = client ? "client" : "server";
    struct trust_result *r;
    struct vrun v;
    struct cs_alert a;
    char subj[EV_NAME], iss[EV_NAME], ev[EV_MAX];
    X509 *at = NULL;
    int idx = -1;

    r = OPENSSL_zalloc(sizeof(*r)); /* ~1.7 KiB: kept off small stacks */
    if (r == NULL)
        return;
    if (vrun_start(&v, ts, t, client, r) != PR_OK || r->error == X509_V_OK)
        goto out;
    if (v.chain != NULL && r->error_depth >= 0 && r->error_depth < sk_X509_num(v.chain))
        at = sk_X509_value(v.chain, r->error_depth);
    if (at == NULL)
        at = v.x[0];
    if (r->error_depth >= 0 && (size_t)r->error_depth < r->path_len)
        idx = r->path[r->error_depth].sent_index;
    else if (at == v.x[0])
        idx = 0;
    name_text(at, idx >= 0 ? &v.certs[idx] : NULL, true, subj, sizeof(subj));
    name_text(at, idx >= 0 ? &v.certs[idx] : NULL, false, iss, sizeof(iss));

    memset(&a, 0, sizeof(a));
    a.rev = 1;
    a.role = role;
    a.chain_index = idx;
    a.cert = idx >= 0 ? &v.certs[idx] : NULL;
    a.evidence = ev;
    if (r->error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY && r->error_depth == 0 &&
        !r->leaf_issuer_sent &&
        X509_NAME_cmp(X509_get_issuer_name(v.x[0]), X509_get_subject_name(v.x[0])) != 0) {
        snprintf(ev, sizeof(ev),
                 "%s #0 '%s': issuer '%s' is not among the %zu sent certificate(s)%s (%s, "
                 "error %d, depth 0); clients need AIA fetching",
                 role, subj, iss, v.n, ts->n_inter > 0 ? " nor the intermediate store" : "",
                 r->error_text, r->error);
        a.signature_id = TRUST_SID_MISSING_INTERMEDIATE;
        a.signature = "CERTSENSOR chain misses its intermediate";
        a.category = "hygiene";
        a.severity = 3;
        a.check = "trust.missing_intermediate";
    } else if (is_untrusted_error(r->error)) {
        snprintf(ev, sizeof(ev),
                 "%s chain: %s (error %d) at depth %d, subject '%s', issuer '%s'; path of %zu "
                 "certificate(s) does not reach a configured root",
                 role, r->error_text, r->error, r->error_depth, subj, iss, r->path_len);
        a.signature_id = TRUST_SID_UNTRUSTED_ROOT;
        a.signature = "CERTSENSOR chain does not lead to a trusted root";
        a.category = "mitm";
        a.severity = 2;
        a.check = "trust.untrusted_root";
    } else {
        snprintf(ev, sizeof(ev), "%s chain: %s (error %d) at depth %d, subject '%s', issuer '%s'",
                 role, r->error_text, r->error, r->error_depth, subj, iss);
        a.signature_id = TRUST_SID_INVALID;
        a.signature = "CERTSENSOR chain does not verify";
        a.category = "mitm";
        a.severity = 2;
        a.check = "trust.invalid";
    }
    check_emit(o, &a);
out:
    vrun_free(&v);
    OPENSSL_free(r);
}

void trust_check(const struct trust_store *ts, const struct cs_tls *t, const struct check_out *o)
{
    if (ts == NULL || ts->n_roots == 0 || t == NULL)
        return;
    ERR_set_mark();
    if (t->server_cert_count > 0)
        check_one(ts, t, false, o);
    if (t->client_cert_count > 0)
        check_one(ts, t, true, o);
    ERR_pop_to_mark();
}
