/* Chain linkage check (contract and check table in chain.h).
 *
 * RFC 5246 7.4.2: "each following certificate MUST directly certify the
 * one preceding it"; RFC 8446 4.4.2 relaxes this to SHOULD and asks
 * receivers to cope with extra certificates and any order. So order and
 * repeats are hygiene; a certificate whose named issuer is nowhere in the
 * chain, or whose issuer's key did not sign it, is what an interceptor that
 * swapped the leaf but kept the real intermediates produces. */
#include "chain.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "x509.h" /* X509_ANALYSE_MAX */

#define EV_MAX 1024
#define EV_NAME 200

struct pchain {
    const struct chain_opts *opts;
    const struct check_out *o;
    const char *role;
    const struct cs_cert *certs;
    size_t n;
    X509 *x[CS_CHAIN_MAX];
    int dup_of[CS_CHAIN_MAX]; /* -1, or the first position with the same bytes */
    char order_ev[EV_MAX];    /* first chain.order finding, emitted at the end */
    int order_idx;
    size_t order_count;
};

enum vres { V_OK, V_FAIL, V_UNKNOWN };

/* ---- text ----------------------------------------------------------------- */

/* printable ASCII kept, the rest as \xHH, cut at cap with "..." */
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

/* The RFC 4514 string of the analysis when there is one (the same text the
 * events show), else OpenSSL's RFC 2253 rendering of the parsed name. */
static void name_text(const X509_NAME *nm, const struct cs_cert *c, bool subject, char *out,
                      size_t cap)
{
    BIO *b;
    char *p = NULL;
    long len;

    if (c->info != NULL && c->info->parsed) {
        const char *s = subject ? c->info->subject : c->info->issuer;
        printable(s, strlen(s), out, cap);
        return;
    }
    out[0] = '\0';
    b = BIO_new(BIO_s_mem());
    if (b != NULL && X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253) >= 0 &&
        (len = BIO_get_mem_data(b, &p)) >= 0 && p != NULL)
        printable(p, (size_t)len, out, cap);
    BIO_free(b);
}

static void subj_text(const struct pchain *pc, int i, char *out, size_t cap)
{
    name_text(X509_get_subject_name(pc->x[i]), &pc->certs[i], true, out, cap);
}

static void iss_text(const struct pchain *pc, int i, char *out, size_t cap)
{
    name_text(X509_get_issuer_name(pc->x[i]), &pc->certs[i], false, out, cap);
}

static void hex_id(const ASN1_OCTET_STRING *s, char *out, size_t cap)
{
    static const char hx[] = "0123456789abcdef";
    const unsigned char *p = ASN1_STRING_get0_data(s);
    int n = ASN1_STRING_length(s), i;
    size_t o = 0;

    for (i = 0; i < n && p != NULL; i++) {
        if (o + 2 > cap - 4) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        out[o++] = hx[p[i] >> 4];
        out[o++] = hx[p[i] & 15];
    }
    out[o] = '\0';
}

/* ---- emission --------------------------------------------------------------- */

static void emit(const struct pchain *pc, uint32_t sid, const char *sig, const char *cat,
                 uint8_t sev, const char *check, int idx, const char *ev)
{
    struct cs_alert a;

    memset(&a, 0, sizeof(a));
    a.signature_id = sid;
    a.rev = 1;
    a.signature = sig;
    a.category = cat;
    a.severity = sev;
    a.check = check;
    a.role = pc->role;
    a.chain_index = idx;
    a.cert = idx >= 0 ? &pc->certs[idx] : NULL;
    a.evidence = ev;
    check_emit(pc->o, &a);
}

/* Order findings are summed up in one alert per chain. */
static void order_note(struct pchain *pc, int idx, const char *ev)
{
    if (pc->order_count++ == 0) {
        pc->order_idx = idx;
        snprintf(pc->order_ev, sizeof(pc->order_ev), "%s", ev);
    }
}

static void order_flush(struct pchain *pc)
{
    char ev[EV_MAX + 64];

    if (pc->order_count == 0 || !pc->opts->order)
        return;
    if (pc->order_count > 1)
        snprintf(ev, sizeof(ev), "%s (+%zu more ordering findings)", pc->order_ev,
                 pc->order_count - 1);
    else
        snprintf(ev, sizeof(ev), "%s", pc->order_ev);
    emit(pc, CHAIN_SID_ORDER, "CERTSENSOR certificate chain out of order", "hygiene", 3,
         "chain.order", pc->order_idx, ev);
}

/* ---- the checks ---------------------------------------------------------------- */

/* Did the key of issuer sign child? Unknown when OpenSSL does not know the
 * signature algorithm or cannot decode the issuer's key. */
static enum vres verifies(X509 *child, X509 *issuer)
{
    EVP_PKEY *key = X509_get0_pubkey(issuer);
    int md = NID_undef, pk = NID_undef;

    if (key == NULL || OBJ_find_sigid_algs(X509_get_signature_nid(child), &md, &pk) != 1)
        return V_UNKNOWN;
    return X509_verify(child, key) == 1 ? V_OK : V_FAIL;
}

static bool names_link(X509 *child, X509 *issuer)
{
    return X509_NAME_cmp(X509_get_issuer_name(child), X509_get_subject_name(issuer)) == 0;
}

/* RFC 5280 4.2.1.1: the AKI keyIdentifier of a names the SKI of its issuer. */
static void check_keyid(const struct pchain *pc, int a, int b)
{
    const ASN1_OCTET_STRING *aki, *ski;
    char h1[96], h2[96], ev[EV_MAX];

    if (!pc->opts->keyid)
        return;
    aki = X509_get0_authority_key_id(pc->x[a]);
    ski = X509_get0_subject_key_id(pc->x[b]);
    if (aki == NULL || ski == NULL || ASN1_STRING_cmp(aki, ski) == 0)
        return;
    hex_id(aki, h1, sizeof(h1));
    hex_id(ski, h2, sizeof(h2));
    snprintf(ev, sizeof(ev),
             "%s #%d authorityKeyIdentifier %s != #%d subjectKeyIdentifier %s (issuer named but "
             "a different key)",
             pc->role, a, h1, b, h2);
    emit(pc, CHAIN_SID_KEYID, "CERTSENSOR chain key identifier mismatch", "mitm", 2, "chain.keyid",
         a, ev);
}

static void report_signature(const struct pchain *pc, int a, int b)
{
    char s[EV_NAME], ev[EV_MAX];

    if (!pc->opts->signature)
        return;
    subj_text(pc, b, s, sizeof(s));
    snprintf(ev, sizeof(ev),
             "%s #%d signature does not verify with the key of #%d '%s' (issuer name matches)",
             pc->role, a, b, s);
    emit(pc, CHAIN_SID_SIGNATURE, "CERTSENSOR chain signature does not verify", "mitm", 1,
         "chain.signature", a, ev);
}

static void check_pair(struct pchain *pc, const int *eff, size_t neff, int a, int b)
{
    char s1[EV_NAME], s2[EV_NAME], ev[EV_MAX];
    int alt = -1, alt_name = -1;
    bool b_name = names_link(pc->x[a], pc->x[b]);
    enum vres vb = b_name ? verifies(pc->x[a], pc->x[b]) : V_FAIL;
    size_t k;

    if (b_name && vb != V_FAIL) {
        check_keyid(pc, a, b);
        return;
    }
    if (names_link(pc->x[a], pc->x[a])) {
        /* the path ends at a self-issued certificate (a root, or a self-signed
         * leaf the hygiene check reports); what follows is extra, even when
         * it carries the same name */
        subj_text(pc, a, s1, sizeof(s1));
        subj_text(pc, b, s2, sizeof(s2));
        snprintf(ev, sizeof(ev),
                 "%s #%d '%s' is self-issued, #%d '%s' after it is not part of the path", pc->role,
                 a, s1, b, s2);
        order_note(pc, b, ev);
        return;
    }
    /* the issuer may be elsewhere in the sent chain (RFC 8446 4.4.2) */
    for (k = 0; k < neff; k++) {
        int c = eff[k];
        if (c == a || c == b || pc->x[c] == NULL || !names_link(pc->x[a], pc->x[c]))
            continue;
        if (alt_name < 0)
            alt_name = c;
        if (verifies(pc->x[a], pc->x[c]) == V_OK) {
            alt = c;
            break;
        }
    }
    if (alt < 0 && b_name) { /* named issuer is next, nothing verifies */
        check_keyid(pc, a, b);
        report_signature(pc, a, b);
        return;
    }
    if (alt < 0)
        alt = alt_name;
    if (alt >= 0) {
        iss_text(pc, a, s1, sizeof(s1));
        subj_text(pc, b, s2, sizeof(s2));
        snprintf(ev, sizeof(ev), "%s #%d issuer '%s' is #%d, not #%d '%s' (out of order)", pc->role,
                 a, s1, alt, b, s2);
        order_note(pc, a, ev);
        check_keyid(pc, a, alt);
        if (verifies(pc->x[a], pc->x[alt]) == V_FAIL)
            report_signature(pc, a, alt);
        return;
    }
    if (!pc->opts->name)
        return;
    iss_text(pc, a, s1, sizeof(s1));
    subj_text(pc, b, s2, sizeof(s2));
    snprintf(ev, sizeof(ev),
             "%s #%d issuer '%s' != #%d subject '%s', and no other sent certificate has that "
             "subject",
             pc->role, a, s1, b, s2);
    emit(pc, CHAIN_SID_NAME, "CERTSENSOR chain does not link", "mitm", 2, "chain.name", a, ev);
}

static void check_role(struct pchain *pc, const struct cs_cert *certs, size_t count)
{
    int eff[CS_CHAIN_MAX];
    size_t i, j, neff = 0;

    pc->certs = certs;
    pc->n = count < CS_CHAIN_MAX ? count : CS_CHAIN_MAX;
    pc->order_count = 0;
    pc->order_idx = -1;
    pc->order_ev[0] = '\0';
    for (i = 0; i < pc->n; i++) {
        pc->dup_of[i] = -1;
        /* [CHAIN-DER-LEN] the sensor's parsed copy, or bounded like the analysis;
         * unparsable: skipped */
        pc->x[i] = x509_parse(&certs[i]);
    }
    for (i = 0; i < pc->n; i++) {
        for (j = 0; j < i && pc->dup_of[i] < 0; j++) {
            if (pc->dup_of[j] < 0 && certs[i].der_len == certs[j].der_len && certs[i].der != NULL &&
                certs[j].der != NULL && memcmp(certs[i].der, certs[j].der, certs[i].der_len) == 0)
                pc->dup_of[i] = (int)j;
        }
        if (pc->dup_of[i] < 0) {
            eff[neff++] = (int)i;
        } else if (pc->opts->duplicate) {
            char s[EV_NAME], ev[EV_MAX];
            int first = pc->dup_of[i];
            if (pc->x[first] != NULL)
                subj_text(pc, first, s, sizeof(s));
            else
                snprintf(s, sizeof(s), "(not parsed)");
            snprintf(ev, sizeof(ev), "%s #%zu is a byte-identical repeat of #%d '%s'", pc->role, i,
                     first, s);
            emit(pc, CHAIN_SID_DUPLICATE, "CERTSENSOR duplicate certificate in chain", "hygiene", 3,
                 "chain.duplicate", (int)i, ev);
        }
    }
    for (i = 0; i + 1 < neff; i++) {
        if (pc->x[eff[i]] != NULL && pc->x[eff[i + 1]] != NULL)
            check_pair(pc, eff, neff, eff[i], eff[i + 1]);
    }
    order_flush(pc);
    for (i = 0; i < pc->n; i++)
        X509_free(pc->x[i]);
}

void chain_opts_default(struct chain_opts *opts)
{
    opts->order = opts->duplicate = opts->name = opts->signature = opts->keyid = true;
}

void chain_check_opts(const struct chain_opts *opts, const struct cs_tls *t,
                      const struct check_out *o)
{
    struct chain_opts def;
    struct pchain pc;

    if (t == NULL)
        return;
    if (opts == NULL) {
        chain_opts_default(&def);
        opts = &def;
    }
    memset(&pc, 0, sizeof(pc));
    pc.opts = opts;
    pc.o = o;
    ERR_set_mark();
    pc.role = "server";
    check_role(&pc, t->server_certs, t->server_cert_count);
    pc.role = "client";
    check_role(&pc, t->client_certs, t->client_cert_count);
    ERR_pop_to_mark();
}

void chain_check(const struct cs_tls *t, const struct check_out *o)
{
    chain_check_opts(NULL, t, o);
}
