/* certgen: ground truth writers (see truth.h). */
#include "truth.h"
#include "util.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

static int ip_text(const struct net_path *p, unsigned which, char *out, size_t outsz)
{
    if (inet_ntop(p->ipv6 ? AF_INET6 : AF_INET, p->host[which].ip, out, (socklen_t)outsz) == NULL)
        return -1;
    return 0;
}

/* RFC 4514 string, most specific RDN first (what tshark and OpenSSL -nameopt RFC2253 print). */
static int name_text(const X509_NAME *name, struct buf *out)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL;
    int rc = -1;
    if (b == NULL || X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) < 0)
        goto out;
    long n = BIO_get_mem_data(b, &p);
    if (n < 0 || buf_append(out, p, (size_t)n) != 0 || buf_append(out, "", 1) != 0)
        goto out;
    rc = 0;
out:
    BIO_free(b);
    return rc;
}

/* Lowercase hex without leading zeros ("0" for zero), like ../shared/pcaps/expected.jsonl. */
static int serial_text(const X509 *x, char *out, size_t outsz)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    int rc = -1;
    if (hex == NULL)
        goto out;
    const char *p = hex;
    bool neg = *p == '-';
    if (neg)
        p++;
    while (p[0] == '0' && p[1] != '\0')
        p++;
    int n = snprintf(out, outsz, "%s%s", neg ? "-" : "", p);
    if (n < 0 || (size_t)n >= outsz)
        goto out;
    for (char *q = out; *q != '\0'; q++)
        if (*q >= 'A' && *q <= 'F')
            *q = (char)(*q - 'A' + 'a');
    rc = 0;
out:
    OPENSSL_free(hex);
    BN_free(bn);
    return rc;
}

static const char *record_version_text(uint16_t v)
{
    switch (v) {
    case 0x0300:
        return "SSL 3.0 (0x0300)";
    case 0x0301:
        return "TLS 1.0 (0x0301)";
    case 0x0302:
        return "TLS 1.1 (0x0302)";
    case 0x0303:
        return "TLS 1.2 (0x0303)";
    default:
        return "unknown";
    }
}

static int digest_hex(const EVP_MD *md, const uint8_t *p, size_t n, char *out, size_t outsz)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    if (!EVP_Digest(p, n, d, &dl, md, NULL))
        return -1;
    return gen_hex(d, dl, out, outsz);
}

static int cert_line(struct buf *out, const char *file, size_t frame, size_t tcp_stream,
                     const struct tcp_conn *c, const struct tls_cert_msg *m, size_t msg_index,
                     size_t chain_index, X509 *x)
{
    char src[64], dst[64], sha1[41], sha256[65], serial[130];
    unsigned char *der = NULL;
    struct buf subj = {0}, iss = {0};
    unsigned s = (unsigned)m->dir; /* host index of the sender */
    int rc = -1;

    int dl = i2d_X509(x, &der);
    if (dl <= 0 || ip_text(&c->path, s, src, sizeof(src)) != 0 ||
        ip_text(&c->path, s ^ 1u, dst, sizeof(dst)) != 0 ||
        digest_hex(EVP_sha1(), der, (size_t)dl, sha1, sizeof(sha1)) != 0 ||
        digest_hex(EVP_sha256(), der, (size_t)dl, sha256, sizeof(sha256)) != 0 ||
        name_text(X509_get_subject_name(x), &subj) != 0 ||
        name_text(X509_get_issuer_name(x), &iss) != 0 || serial_text(x, serial, sizeof(serial)))
        goto out;

    if (buf_puts(out, "{\"file\": ") != 0 || buf_json_str(out, file) != 0 ||
        buf_printf(out,
                   ", \"frame\": %zu, \"tcp_stream\": %zu, \"src\": \"%s\", \"sport\": %u, "
                   "\"dst\": \"%s\", \"dport\": %u, \"sender\": \"%s\", \"msg_index\": %zu, "
                   "\"chain_index\": %zu, \"der_len\": %d, \"sha1\": \"%s\", ",
                   frame, tcp_stream, src, (unsigned)c->path.host[s].port, dst,
                   (unsigned)c->path.host[s ^ 1u].port, m->dir == TCP_S2C ? "server" : "client",
                   msg_index, chain_index, dl, sha1) != 0 ||
        buf_printf(out, "\"sha256\": \"%s\", \"subject\": ", sha256) != 0 ||
        buf_json_str(out, (const char *)subj.p) != 0 || buf_puts(out, ", \"issuer\": ") != 0 ||
        buf_json_str(out, (const char *)iss.p) != 0 ||
        buf_printf(out,
                   ", \"serial\": \"%s\", \"tls_record_version\": \"%s\", "
                   "\"decrypted\": %s, \"oracle\": \"certgen\"}\n",
                   serial, record_version_text(m->record_version),
                   m->encrypted ? "true" : "false") != 0)
        goto out;
    rc = 0;
out:
    OPENSSL_free(der);
    buf_free(&subj);
    buf_free(&iss);
    if (rc != 0)
        gen_err("truth: cannot describe a certificate of %s", file);
    return rc;
}

int truth_expected(struct buf *out, const char *file, size_t tcp_stream, size_t *msg_index,
                   const struct tcp_conn *c, const struct pki *pki, const struct tls_result *r)
{
    for (size_t i = 0; i < r->n_msgs; i++) {
        const struct tls_cert_msg *m = &r->msgs[i];
        for (size_t k = 0; k < m->n_certs; k++)
            if (cert_line(out, file, m->frame, tcp_stream, c, m, *msg_index, k,
                          pki->cert[m->chain[k]].x509) != 0)
                return -1;
        (*msg_index)++;
    }
    return 0;
}

static int tsv_field(struct buf *out, const char *s, bool last)
{
    for (const char *p = s; *p != '\0'; p++) {
        char ch = (*p == '\t' || *p == '\n' || *p == '\r') ? ' ' : *p;
        if (buf_append(out, &ch, 1) != 0)
            return -1;
    }
    return buf_puts(out, last ? "\n" : "\t");
}

int truth_manifest(struct buf *out, const char *file, const char *sha256, const char *category,
                   const char *tls_versions, size_t n_cert_messages, const char *notes)
{
    char n[32];
    snprintf(n, sizeof(n), "%zu", n_cert_messages);
    if (tsv_field(out, file, false) != 0 || tsv_field(out, "certsensor", false) != 0 ||
        tsv_field(out, "tests/gen", false) != 0 || tsv_field(out, "-", false) != 0 ||
        tsv_field(out, sha256, false) != 0 || tsv_field(out, category, false) != 0 ||
        tsv_field(out, tls_versions, false) != 0 || tsv_field(out, n, false) != 0 ||
        tsv_field(out, notes, true) != 0)
        return -1;
    return 0;
}

/* The capture a line describes: the first TSV field, or the "file" value of our
 * own JSON lines. NULL if neither. */
static const char *line_file(const char *line, size_t len, char *out, size_t outsz)
{
    static const char key[] = "{\"file\": \"";
    const char *start = line;
    const char *stop;
    size_t klen = sizeof(key) - 1;
    if (len >= klen && memcmp(line, key, klen) == 0) {
        start = line + klen;
        stop = memchr(start, '"', len - klen);
    } else {
        stop = memchr(line, '\t', len);
    }
    if (stop == NULL || (size_t)(stop - start) >= outsz)
        return NULL;
    memcpy(out, start, (size_t)(stop - start));
    out[stop - start] = '\0';
    return out;
}

int truth_write(const char *dir, const char *name, const char *header, const char *const *files,
                const struct buf *parts, const bool *fresh, size_t n)
{
    char path[4096];
    struct buf old = {0}, all = {0};
    struct buf *kept = NULL;
    size_t dropped = 0;
    int rc = -1;

    if (gen_path(path, sizeof(path), dir, name) != 0)
        goto out;
    if ((kept = gen_calloc(n, sizeof(*kept))) == NULL)
        goto out;
    int rd = gen_read_file(path, &old);
    if (rd < 0)
        goto out;
    /* Sort the old lines of captures not regenerated now into their slots. */
    for (size_t pos = 0; rd == 0 && pos < old.n;) {
        const uint8_t *nl = memchr(old.p + pos, '\n', old.n - pos);
        size_t len = nl ? (size_t)(nl - (old.p + pos)) : old.n - pos;
        const char *line = (const char *)old.p + pos;
        char fname[256];
        const char *f = line_file(line, len, fname, sizeof(fname));
        size_t i = 0;
        while (f != NULL && i < n && strcmp(files[i], f) != 0)
            i++;
        if (f != NULL && i < n) {
            if (!fresh[i] && (buf_append(&kept[i], line, len) != 0 || buf_puts(&kept[i], "\n")))
                goto out;
        } else if (header == NULL || pos != 0) {
            dropped++;
        }
        pos += len + (nl != NULL);
    }
    if (header != NULL && buf_puts(&all, header) != 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const struct buf *b = fresh[i] ? &parts[i] : &kept[i];
        if (buf_append(&all, b->p, b->n) != 0)
            goto out;
    }
    if (dropped > 0)
        fprintf(stderr, "certgen: %s: dropped %zu line(s) for captures no scenario makes\n", path,
                dropped);
    rc = gen_write_file(path, all.p, all.n);
out:
    for (size_t i = 0; kept != NULL && i < n; i++)
        buf_free(&kept[i]);
    free(kept);
    buf_free(&old);
    buf_free(&all);
    return rc;
}
