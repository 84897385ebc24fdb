/* certgen hostile: captures that attack the sensor's bounds (see hostile.h). */
#include "hostile.h"
#include "detrand.h"
#include "dialog.h"
#include "netpkt.h"
#include "pcapw.h"
#include "pki.h"
#include "run.h"
#include "tcpsim.h"
#include "tlsrun.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

/* What the sensor does by default, so the captures aim just at its bounds. */
#define H_CHAIN_MAX 16           /* certificates reported per chain (CS_CHAIN_MAX) */
#define H_SENSOR_HS_MAX 2097152u /* --hs-max default: largest handshake message reassembled */
#define H_MAX_LEGIT 8            /* legitimate sessions mixed into one capture */

/* RFC 5246 6.2.1 / 6.2.3: TLSPlaintext.length <= 2^14, TLSCiphertext.length <= 2^14 + 2048 */
#define H_REC_PLAIN_MAX 16384u
#define H_REC_CIPHER_MAX (16384u + 2048u)

enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23 };
enum {
    HS_CLIENT_HELLO = 1,
    HS_SERVER_HELLO = 2,
    HS_CERTIFICATE = 11,
    HS_SERVER_HELLO_DONE = 14,
    HS_CLIENT_KEY_EXCHANGE = 16
};

/* ---- deterministic filler ------------------------------------------------------------ */

/* xorshift64*: fast and reproducible; for packet filler and choices, not keys. */
struct rng {
    uint64_t s;
};

static void rng_seed(struct rng *r, const char *label)
{
    r->s = ((uint64_t)gen_fnv1a(label) << 32 | gen_fnv1a("hostile")) | 1u;
}

static uint64_t rng_next(struct rng *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545f4914f6cdd1dull;
}

static uint32_t rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(rng_next(r) % n);
}

static void rng_fill(struct rng *r, uint8_t *p, size_t n)
{
    while (n > 0) {
        uint64_t v = rng_next(r);
        size_t k = n < 8 ? n : 8;
        memcpy(p, &v, k);
        p += k;
        n -= k;
    }
}

/* ---- frames ------------------------------------------------------------------------- */

struct frame {
    uint8_t *p;
    size_t len;
};

struct flist {
    struct frame *v;
    size_t n, cap;
};

static int flist_add(struct flist *l, const uint8_t *p, size_t len)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        if (nc > SIZE_MAX / sizeof(*l->v))
            return -1;
        struct frame *v = realloc(l->v, nc * sizeof(*v));
        if (v == NULL)
            return -1;
        l->v = v;
        l->cap = nc;
    }
    uint8_t *c = malloc(len ? len : 1);
    if (c == NULL)
        return -1;
    memcpy(c, p, len);
    l->v[l->n++] = (struct frame){c, len};
    return 0;
}

static void flist_free(struct flist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].p);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static uint32_t get32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32le(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Frames of a classic little-endian pcap written by pcapw; the file is removed. */
static int read_frames(const char *path, struct flist *out)
{
    struct buf f = {0};
    int rc = -1;
    if (gen_read_file(path, &f) != 0 || f.n < 24 || get32le(f.p) != 0xa1b2c3d4u) {
        gen_err("hostile: %s: cannot read back", path);
        goto out;
    }
    for (size_t off = 24; off < f.n;) {
        if (f.n - off < 16)
            goto out;
        size_t cap = get32le(f.p + off + 8);
        if (cap > f.n - off - 16)
            goto out;
        if (flist_add(out, f.p + off + 16, cap) != 0)
            goto out;
        off += 16 + cap;
    }
    rc = 0;
out:
    buf_free(&f);
    unlink(path);
    return rc;
}

/* ---- capture writer: classic pcap, a snap length per frame ------------------------ */

struct hw {
    FILE *f;
    uint64_t frames, bytes;
    bool failed;
};

static int hw_open(struct hw *w, const char *path)
{
    uint8_t hdr[24];
    memset(w, 0, sizeof(*w));
    w->f = fopen(path, "wb");
    if (w->f == NULL) {
        gen_err("%s: %s", path, strerror(errno));
        return -1;
    }
    setvbuf(w->f, NULL, _IOFBF, 1u << 20);
    put32le(hdr, 0xa1b2c3d4u); /* microsecond timestamps */
    put32le(hdr + 4, 2u | 4u << 16);
    put32le(hdr + 8, 0);
    put32le(hdr + 12, 0);
    put32le(hdr + 16, PCAPW_SNAPLEN);
    put32le(hdr + 20, PCAPW_LINKTYPE_ETHERNET);
    if (fwrite(hdr, 1, sizeof(hdr), w->f) != sizeof(hdr))
        w->failed = true;
    w->bytes = sizeof(hdr);
    return w->failed ? -1 : 0;
}

/* One frame of len bytes on the wire, of which the first snap are kept (0: all). Several
 * captures merged into one (mergecap) look like this: one file, per-frame snap lengths. */
static void hw_frame(struct hw *w, uint64_t ts_us, const uint8_t *p, size_t len, size_t snap)
{
    uint8_t rec[16];
    size_t cap = snap != 0 && snap < len ? snap : len;
    put32le(rec, (uint32_t)(ts_us / 1000000u));
    put32le(rec + 4, (uint32_t)(ts_us % 1000000u));
    put32le(rec + 8, (uint32_t)cap);
    put32le(rec + 12, (uint32_t)len);
    if (fwrite(rec, 1, 16, w->f) != 16 || fwrite(p, 1, cap, w->f) != cap)
        w->failed = true;
    w->frames++;
    w->bytes += 16 + cap;
}

static int hw_close(struct hw *w)
{
    int rc = w->failed ? -1 : 0;
    if (w->f != NULL && fclose(w->f) != 0)
        rc = -1;
    w->f = NULL;
    return rc;
}

/* ---- ground truth -------------------------------------------------------------------- */

struct expect {
    const char *what;
    bool must; /* a sensor must report these certificates */
    struct net_path path;
    char server[H_CHAIN_MAX][65];
    size_t n_server;
    char client[H_CHAIN_MAX][65];
    size_t n_client;
    bool server_truncated;
};

struct legit {
    struct flist fl;
    size_t next;    /* next frame to write */
    uint64_t start; /* written from this hostile frame on */
};

struct hctx {
    const char *outdir;
    bool small;
    unsigned index; /* of the capture: keeps the legitimate 4-tuples apart */
    const char *name;
    struct pki pki;
    char tmp[4200];     /* scratch capture of tcpsim conversations */
    char tmp_tls[4200]; /* scratch capture of one tls_run() */
    struct rng rng;
    struct hw w;
    uint64_t ts_us;
    uint32_t step_us; /* between two hostile frames */
    uint64_t hostile; /* hostile frames written */
    struct legit legit[H_MAX_LEGIT];
    size_t n_legit;
    uint64_t spacing; /* hostile frames between two frames of one legitimate session */
    struct expect *ex;
    size_t n_ex, cap_ex;
    struct buf summary; /* `, "key": value` pairs */
};

static struct expect *expect_new(struct hctx *h, const char *what, bool must,
                                 const struct net_path *np)
{
    if (h->n_ex == h->cap_ex) {
        size_t nc = h->cap_ex ? h->cap_ex * 2 : 16;
        struct expect *v = realloc(h->ex, nc * sizeof(*v));
        if (v == NULL)
            return NULL;
        h->ex = v;
        h->cap_ex = nc;
    }
    struct expect *e = &h->ex[h->n_ex++];
    memset(e, 0, sizeof(*e));
    e->what = what;
    e->must = must;
    e->path = *np;
    return e;
}

static int sha256_hex(const uint8_t *p, size_t n, char out[65])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    if (!EVP_Digest(p, n, d, &dl, EVP_sha256(), NULL))
        return -1;
    return gen_hex(d, dl, out, 65);
}

/* DER of x appended to out; its SHA-256 into sha (may be NULL). */
static int der_of(X509 *x, struct buf *out, char *sha)
{
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    int rc = -1;
    if (n <= 0)
        goto out;
    if (buf_append(out, der, (size_t)n) != 0)
        goto out;
    if (sha != NULL && sha256_hex(der, (size_t)n, sha) != 0)
        goto out;
    rc = 0;
out:
    OPENSSL_free(der);
    return rc;
}

static int sha_of(X509 *x, char sha[65])
{
    struct buf b = {0};
    int rc = der_of(x, &b, sha);
    buf_free(&b);
    return rc;
}

/* ---- addresses ------------------------------------------------------------------------- */

static const uint8_t mac_client[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
static const uint8_t mac_server[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02};

static void put_ip4(uint8_t *ip, uint32_t a)
{
    ip[0] = (uint8_t)(a >> 24);
    ip[1] = (uint8_t)(a >> 16);
    ip[2] = (uint8_t)(a >> 8);
    ip[3] = (uint8_t)a;
}

static void path_v4(struct net_path *np, uint32_t cip, uint16_t cport, uint32_t sip, uint16_t sport)
{
    memset(np, 0, sizeof(*np));
    memcpy(np->host[0].mac, mac_client, 6);
    memcpy(np->host[1].mac, mac_server, 6);
    put_ip4(np->host[0].ip, cip);
    put_ip4(np->host[1].ip, sip);
    np->host[0].port = cport;
    np->host[1].port = sport;
}

#define IP4(a, b, c, d)                                                                            \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* ---- mixing hostile and legitimate frames ------------------------------------------- */

static void emit_legit_due(struct hctx *h)
{
    for (size_t i = 0; i < h->n_legit; i++) {
        struct legit *l = &h->legit[i];
        if (l->next < l->fl.n && h->hostile >= l->start &&
            (h->hostile - l->start) % h->spacing == 0) {
            h->ts_us += 1;
            hw_frame(&h->w, h->ts_us, l->fl.v[l->next].p, l->fl.v[l->next].len, 0);
            l->next++;
        }
    }
}

/* One hostile frame (snap as in hw_frame), then whatever legitimate frame is due. */
static void mix(struct hctx *h, const uint8_t *p, size_t len, size_t snap)
{
    h->ts_us += h->step_us;
    hw_frame(&h->w, h->ts_us, p, len, snap);
    h->hostile++;
    emit_legit_due(h);
}

static void mix_list(struct hctx *h, const struct flist *l, size_t snap)
{
    for (size_t i = 0; i < l->n; i++)
        mix(h, l->v[i].p, l->v[i].len, snap);
}

/* The legitimate frames not written yet (their schedule ran past the hostile ones). */
static void mix_finish(struct hctx *h)
{
    bool more = true;
    while (more) {
        more = false;
        for (size_t i = 0; i < h->n_legit; i++) {
            struct legit *l = &h->legit[i];
            if (l->next < l->fl.n) {
                h->ts_us += h->step_us;
                hw_frame(&h->w, h->ts_us, l->fl.v[l->next].p, l->fl.v[l->next].len, 0);
                l->next++;
                more = true;
            }
        }
    }
}

/* ---- real TLS sessions (OpenSSL both sides, tlsrun.c) ----------------------------- */

enum variant { V_RSA_CHAIN, V_EC_MTLS, V_EC_CHAIN3, V_COUNT };

static const enum pki_id chain_rsa[] = {PKI_SRV_RSA, PKI_INT_RSA, PKI_NONE};
static const enum pki_id chain_ec[] = {PKI_SRV_EC, PKI_INT_EC, PKI_NONE};
static const enum pki_id chain_ec3[] = {PKI_SRV_EC, PKI_INT_EC, PKI_ROOT_EC, PKI_NONE};
static const enum pki_id chain_cli[] = {PKI_CLI_EC, PKI_INT_EC, PKI_NONE};

/* One TLS 1.2 session (https dialog) on np at the given MSS: its frames into out, and
 * the certificates each side sent into ex. */
static int tls_session(struct hctx *h, unsigned variant, const struct net_path *np, size_t mss,
                       const char *seed, struct flist *out, struct expect *ex)
{
    struct tcp_capture cap;
    struct tcp_conn conn;
    struct tls_result r;
    int rc = -1;
    memset(&cap, 0, sizeof(cap));
    memset(&conn, 0, sizeof(conn));
    memset(&r, 0, sizeof(r));

    struct tls_params tp = {
        .version = TLS1_2_VERSION,
        .sni = "www.example.test",
        .dialog = &dialog_https,
        .verify_time = RUN_START_TIME,
    };
    switch (variant % V_COUNT) {
    case V_RSA_CHAIN:
        tp.cipher = "ECDHE-RSA-AES128-GCM-SHA256";
        tp.server_chain = chain_rsa;
        break;
    case V_EC_MTLS:
        tp.cipher = "ECDHE-ECDSA-AES256-GCM-SHA384";
        tp.server_chain = chain_ec;
        tp.client_chain = chain_cli;
        break;
    default:
        tp.cipher = "ECDHE-ECDSA-CHACHA20-POLY1305";
        tp.server_chain = chain_ec3;
        break;
    }
    detrand_seed(seed);
    if (pcapw_open(&cap.w, h->tmp_tls, PCAPW_LINKTYPE_ETHERNET) != 0)
        goto out;
    cap.ts_us = (uint64_t)RUN_START_TIME * 1000000u;
    tcp_init(&conn, &cap, np, mss, seed);
    if (tls_run(&conn, &h->pki, &tp, &r) != 0)
        goto out;
    if (pcapw_close(&cap.w) != 0 || read_frames(h->tmp_tls, out) != 0)
        goto out;
    for (size_t i = 0; i < r.n_msgs; i++) {
        const struct tls_cert_msg *m = &r.msgs[i];
        bool srv = m->dir == TCP_S2C;
        for (size_t j = 0; j < m->n_certs; j++) {
            size_t *n = srv ? &ex->n_server : &ex->n_client;
            char *sha = srv ? ex->server[*n] : ex->client[*n];
            if (*n >= H_CHAIN_MAX || sha_of(h->pki.cert[m->chain[j]].x509, sha) != 0)
                goto out;
            (*n)++;
        }
    }
    rc = 0;
out:
    if (cap.w.f != NULL)
        pcapw_close(&cap.w);
    if (rc != 0)
        gen_err("hostile: TLS session %s failed", seed);
    tcp_free(&conn);
    tls_result_free(&r);
    return rc;
}

/* count legitimate sessions, started evenly over the first `expected` hostile frames, one
 * frame every `spacing` hostile frames. 4-tuples: 192.0.2.100+k -> 198.51.100.20+k%4:443. */
static int legit_add(struct hctx *h, size_t count, uint64_t expected, uint64_t spacing)
{
    char seed[128];
    if (count > H_MAX_LEGIT)
        return -1;
    h->spacing = spacing ? spacing : 1;
    for (size_t k = 0; k < count; k++) {
        struct net_path np;
        path_v4(&np, IP4(192, 0, 2, 100 + k), (uint16_t)(40000 + h->index * 100 + k),
                IP4(198, 51, 100, 20 + k % 4), 443);
        snprintf(seed, sizeof(seed), "hostile/%s/legit-%zu", h->name, k);
        struct expect *e = expect_new(h, "legit", true, &np);
        if (e == NULL ||
            tls_session(h, (unsigned)k, &np, NET_MAX_PAYLOAD, seed, &h->legit[k].fl, e) != 0)
            return -1;
        h->legit[k].start = expected * (k + 1) / (count + 1);
        h->n_legit++;
    }
    return 0;
}

/* ---- hand-built TLS 1.2 handshakes ---------------------------------------------------- */

static int put_be(struct buf *b, uint64_t v, unsigned n)
{
    uint8_t t[8];
    for (unsigned i = 0; i < n; i++)
        t[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    return buf_append(b, t, n);
}

/* RFC 5246 7.4: msg_type(1) length(3) */
static int hs_header(struct buf *b, uint8_t type, size_t len)
{
    return put_be(b, type, 1) || put_be(b, len, 3);
}

/* p[0..n) as records of ctype holding at most maxrec bytes each (RFC 5246 6.2.1). */
static int to_records(struct buf *out, uint8_t ctype, const uint8_t *p, size_t n, size_t maxrec)
{
    for (size_t off = 0; off < n;) {
        size_t m = n - off < maxrec ? n - off : maxrec;
        if (put_be(out, ctype, 1) || put_be(out, 0x0303, 2) || put_be(out, m, 2) ||
            buf_append(out, p + off, m))
            return -1;
        off += m;
    }
    return 0;
}

/* A record header declaring len bytes of type ctype (the body is the caller's). */
static int rec_header(struct buf *out, uint8_t ctype, size_t len)
{
    return put_be(out, ctype, 1) || put_be(out, 0x0303, 2) || put_be(out, len, 2);
}

/* ClientHello: TLS 1.2, two ECDHE suites, SNI, P-256, ECDSA-SHA256 (RFC 5246 7.4.1.2,
 * RFC 6066 3, RFC 8422 5.1). */
static int client_hello(struct hctx *h, struct buf *hs, const char *sni)
{
    struct buf b = {0}, ext = {0};
    uint8_t rnd[32];
    size_t sl = strlen(sni);
    int rc = -1;
    rng_fill(&h->rng, rnd, sizeof(rnd));
    if (put_be(&ext, 0, 2) || put_be(&ext, sl + 5, 2) || put_be(&ext, sl + 3, 2) ||
        put_be(&ext, 0, 1) || put_be(&ext, sl, 2) || buf_append(&ext, sni, sl) ||
        put_be(&ext, 10, 2) || put_be(&ext, 4, 2) || put_be(&ext, 2, 2) || put_be(&ext, 23, 2) ||
        put_be(&ext, 11, 2) || put_be(&ext, 2, 2) || put_be(&ext, 1, 1) || put_be(&ext, 0, 1) ||
        put_be(&ext, 13, 2) || put_be(&ext, 4, 2) || put_be(&ext, 2, 2) || put_be(&ext, 0x0403, 2))
        goto out;
    if (put_be(&b, 0x0303, 2) || buf_append(&b, rnd, 32) || put_be(&b, 0, 1) || put_be(&b, 4, 2) ||
        put_be(&b, 0xc02b, 2) || put_be(&b, 0xc02f, 2) || put_be(&b, 1, 1) || put_be(&b, 0, 1) ||
        put_be(&b, ext.n, 2) || buf_append(&b, ext.p, ext.n))
        goto out;
    rc = hs_header(hs, HS_CLIENT_HELLO, b.n) || buf_append(hs, b.p, b.n) ? -1 : 0;
out:
    buf_free(&b);
    buf_free(&ext);
    return rc;
}

/* ServerHello choosing ECDHE-ECDSA-AES128-GCM-SHA256, with renegotiation_info and, when
 * pad > 0, an unassigned extension of pad bytes (to place later messages at record
 * boundaries). */
static int server_hello(struct hctx *h, struct buf *hs, size_t pad)
{
    struct buf b = {0};
    uint8_t rnd[32];
    int rc = -1;
    rng_fill(&h->rng, rnd, sizeof(rnd));
    size_t ext_len = 5 + (pad ? 4 + pad : 0);
    if (put_be(&b, 0x0303, 2) || buf_append(&b, rnd, 32) || put_be(&b, 0, 1) ||
        put_be(&b, 0xc02b, 2) || put_be(&b, 0, 1) || put_be(&b, ext_len, 2) ||
        put_be(&b, 0xff01, 2) || put_be(&b, 1, 2) || put_be(&b, 0, 1))
        goto out;
    if (pad > 0) {
        if (put_be(&b, 0xfe7e, 2) || put_be(&b, pad, 2))
            goto out;
        for (size_t i = 0; i < pad; i++)
            if (put_be(&b, 0, 1))
                goto out;
    }
    rc = hs_header(hs, HS_SERVER_HELLO, b.n) || buf_append(hs, b.p, b.n) ? -1 : 0;
out:
    buf_free(&b);
    return rc;
}

/* Certificate (RFC 5246 7.4.2) from ready entries (each length(3) + DER). */
static int certificate_msg(struct buf *hs, const struct buf *entries)
{
    return hs_header(hs, HS_CERTIFICATE, entries->n + 3) || put_be(hs, entries->n, 3) ||
           buf_append(hs, entries->p, entries->n);
}

/* chain's certificates as Certificate entries; their SHA-256 into e->server. */
static int chain_entries(struct hctx *h, const enum pki_id *chain, struct buf *entries,
                         struct expect *e)
{
    for (size_t i = 0; chain[i] != PKI_NONE; i++) {
        struct buf der = {0};
        char *sha = e != NULL && e->n_server < H_CHAIN_MAX ? e->server[e->n_server] : NULL;
        int bad = der_of(h->pki.cert[chain[i]].x509, &der, sha) || put_be(entries, der.n, 3) ||
                  buf_append(entries, der.p, der.n);
        buf_free(&der);
        if (bad)
            return -1;
        if (sha != NULL)
            e->n_server++;
    }
    return 0;
}

/* The client's second flight: ClientKeyExchange (an uncompressed P-256 point), CCS and a
 * Finished that is opaque once protected (RFC 5246 7.4.7, 7.1, 7.4.9). */
static int client_end(struct hctx *h, struct buf *out)
{
    struct buf hs = {0};
    uint8_t pt[65], fin[40];
    int rc = -1;
    pt[0] = 4;
    rng_fill(&h->rng, pt + 1, 64);
    rng_fill(&h->rng, fin, sizeof(fin));
    if (hs_header(&hs, HS_CLIENT_KEY_EXCHANGE, 66) || put_be(&hs, 65, 1) ||
        buf_append(&hs, pt, 65) || to_records(out, CT_HANDSHAKE, hs.p, hs.n, H_REC_PLAIN_MAX) ||
        to_records(out, CT_CCS, (const uint8_t *)"\x01", 1, 1) ||
        to_records(out, CT_HANDSHAKE, fin, sizeof(fin), H_REC_PLAIN_MAX))
        goto out;
    rc = 0;
out:
    buf_free(&hs);
    return rc;
}

static int server_end(struct hctx *h, struct buf *out)
{
    uint8_t fin[40];
    rng_fill(&h->rng, fin, sizeof(fin));
    return to_records(out, CT_CCS, (const uint8_t *)"\x01", 1, 1) ||
           to_records(out, CT_HANDSHAKE, fin, sizeof(fin), H_REC_PLAIN_MAX);
}

static int appdata(struct hctx *h, struct buf *out, size_t n)
{
    uint8_t b[1024];
    if (n > sizeof(b))
        return -1;
    rng_fill(&h->rng, b, n);
    return to_records(out, CT_APPDATA, b, n, H_REC_PLAIN_MAX);
}

/* ---- tcpsim conversations into a scratch capture ---------------------------------- */

static int cap_begin(struct hctx *h, struct tcp_capture *cap)
{
    memset(cap, 0, sizeof(*cap));
    cap->ts_us = (uint64_t)RUN_START_TIME * 1000000u;
    return pcapw_open(&cap->w, h->tmp, PCAPW_LINKTYPE_ETHERNET);
}

static int cap_end(struct hctx *h, struct tcp_capture *cap, struct flist *out)
{
    if (pcapw_close(&cap->w) != 0)
        return -1;
    return read_frames(h->tmp, out);
}

/* n bytes from d as flights of at most 1000 segments (tcpsim's plan limit), each
 * acknowledged by the peer. */
static int send_big(struct tcp_conn *c, enum tcp_dir d, const uint8_t *p, size_t n)
{
    size_t chunk = c->mss * 1000;
    for (size_t off = 0; off < n;) {
        size_t m = n - off < chunk ? n - off : chunk;
        if (tcp_send(c, d, p + off, m, 0) != 0 || tcp_ack_if_owed(c, (enum tcp_dir)(d ^ 1)))
            return -1;
        off += m;
    }
    return 0;
}

/* A complete TLS 1.2 conversation: the client's hello flight, the server's flight, the
 * client's and the server's end (with extra bytes after each, may be empty), application
 * data both ways, FIN. */
static int synth_conv(struct hctx *h, struct tcp_capture *cap, const struct net_path *np,
                      const char *seed, const struct buf *cflight, const struct buf *sflight,
                      const struct buf *cextra, const struct buf *sextra)
{
    struct tcp_conn c;
    struct buf ce = {0}, se = {0}, ca = {0}, sa = {0};
    int rc = -1;
    tcp_init(&c, cap, np, NET_MAX_PAYLOAD, seed);
    if (client_end(h, &ce) || server_end(h, &se) || appdata(h, &ca, 200) || appdata(h, &sa, 700))
        goto out;
    if (cextra != NULL && buf_append(&ce, cextra->p, cextra->n))
        goto out;
    if (sextra != NULL && buf_append(&se, sextra->p, sextra->n))
        goto out;
    if (tcp_open(&c) || send_big(&c, TCP_C2S, cflight->p, cflight->n) ||
        send_big(&c, TCP_S2C, sflight->p, sflight->n) || send_big(&c, TCP_C2S, ce.p, ce.n) ||
        send_big(&c, TCP_S2C, se.p, se.n) || send_big(&c, TCP_C2S, ca.p, ca.n) ||
        send_big(&c, TCP_S2C, sa.p, sa.n) || tcp_close(&c, TCP_C2S))
        goto out;
    rc = 0;
out:
    tcp_free(&c);
    buf_free(&ce);
    buf_free(&se);
    buf_free(&ca);
    buf_free(&sa);
    return rc;
}

/* ---- frame surgery (overlap-disagree) ------------------------------------------------ */

struct pframe {
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t win, ip_id;
    const uint8_t *payload;
    size_t plen;
    bool s2c;
};

/* A frame net_build() made for np (Ethernet, IPv4, TCP). */
static bool parse_frame(const struct frame *f, const struct net_path *np, struct pframe *o)
{
    const uint8_t *p = f->p;
    if (f->len < 14 + 20 + 20 || p[12] != 0x08 || p[13] != 0x00 || (p[14] >> 4) != 4)
        return false;
    const uint8_t *ip = p + 14;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    if (ihl < 20 || f->len < 14 + ihl + 20)
        return false;
    const uint8_t *tcp = ip + ihl;
    size_t doff = (size_t)(tcp[12] >> 4) * 4;
    if (doff < 20 || f->len < 14 + ihl + doff)
        return false;
    o->ip_id = (uint16_t)(ip[4] << 8 | ip[5]);
    o->s2c = memcmp(ip + 12, np->host[1].ip, 4) == 0 &&
             (uint16_t)(tcp[0] << 8 | tcp[1]) == np->host[1].port;
    o->seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
    o->ack = (uint32_t)tcp[8] << 24 | (uint32_t)tcp[9] << 16 | (uint32_t)tcp[10] << 8 | tcp[11];
    o->flags = tcp[13];
    o->win = (uint16_t)(tcp[14] << 8 | tcp[15]);
    o->payload = tcp + doff;
    o->plen = f->len - 14 - ihl - doff;
    return true;
}

/* A server segment at seq carrying plen bytes of `from` (at offset off) XOR x. */
static int forge(const struct net_path *np, const struct pframe *o, size_t off, size_t plen,
                 uint8_t x, struct flist *out)
{
    uint8_t pay[NET_MAX_PAYLOAD], frame[NET_MAX_FRAME];
    if (off > o->plen || plen > o->plen - off)
        return -1;
    for (size_t i = 0; i < plen; i++)
        pay[i] = o->payload[off + i] ^ x;
    struct net_tcp t = {.seq = o->seq + (uint32_t)off,
                        .ack = o->ack,
                        .flags = o->flags,
                        .window = o->win,
                        .ip_id = o->ip_id};
    size_t len = net_build(np, 1, &t, pay, plen, frame, sizeof(frame));
    return len == 0 ? -1 : flist_add(out, frame, len);
}

/* The server's Certificate flight S0 S1 S2 S3... becomes S0 S2 S2' S2'' S1 S0' S3...:
 * S2 arrives early and is held; S2' (bytes 60..210 of S2) and S2'' (all of S2, same
 * sequence number) disagree with it while it is held; S1 fills the hole, S0' re-sends
 * bytes already delivered, with other bytes. The genuine bytes are always first, so a
 * first-wins reassembler still finds the certificates. Returns forged segments made. */
static int overlap_rewrite(const struct flist *in, const struct net_path *np, struct flist *out)
{
    size_t a = 0;
    struct pframe pf[4];
    bool found = false;
    for (a = 0; a + 3 < in->n && !found; a++) {
        found = true;
        for (size_t k = 0; k < 4 && found; k++)
            found = parse_frame(&in->v[a + k], np, &pf[k]) && pf[k].s2c && pf[k].plen > 0;
    }
    if (!found || pf[2].plen < 210)
        return -1;
    a--; /* the loop stepped past it */
    for (size_t i = 0; i < in->n; i++) {
        const struct frame *f = &in->v[i];
        int bad = 0;
        if (i == a + 1)
            bad = flist_add(out, in->v[a + 2].p, in->v[a + 2].len) ||
                  forge(np, &pf[2], 60, 150, 0xa5, out) ||
                  forge(np, &pf[2], 0, pf[2].plen, 0x5a, out) || flist_add(out, f->p, f->len) ||
                  forge(np, &pf[0], 0, pf[0].plen, 0x33, out);
        else if (i != a + 2)
            bad = flist_add(out, f->p, f->len);
        if (bad)
            return -1;
    }
    return 3;
}

/* ---- the captures ---------------------------------------------------------------------- */

static int sum_u(struct hctx *h, const char *key, uint64_t v)
{
    return buf_printf(&h->summary, ", \"%s\": %llu", key, (unsigned long long)v);
}

/* syn-flood: SYNs from distinct 4-tuples (10.0.0.0/8 -> 203.0.113.0/24:443), nothing more. */
static int gen_syn_flood(struct hctx *h)
{
    uint64_t n = h->small ? 2000 : 1000000;
    uint8_t frame[NET_MAX_FRAME];
    h->step_us = 10;
    if (legit_add(h, h->small ? 2 : 4, n, h->small ? 16 : 500) != 0)
        return -1;
    for (uint64_t i = 0; i < n; i++) {
        struct net_path np;
        path_v4(&np, IP4(10, 0, 0, 0) | (uint32_t)((i + 1) & 0xffffff),
                (uint16_t)(1024 + rng_below(&h->rng, 64000)), IP4(203, 0, 113, 1 + i % 200), 443);
        struct net_tcp t = {.seq = (uint32_t)rng_next(&h->rng),
                            .flags = NET_TCP_SYN,
                            .window = 64240,
                            .mss_opt = 1460,
                            .ip_id = (uint16_t)i};
        size_t len = net_build(&np, 0, &t, NULL, 0, frame, sizeof(frame));
        if (len == 0)
            return -1;
        mix(h, frame, len, 0);
    }
    return sum_u(h, "syn_flows", n);
}

/* ooo-flood: a few hundred connections whose client never sends its first 1000 bytes;
 * every later segment leaves a hole after itself too, so nothing ever becomes contiguous. */
static int gen_ooo_flood(struct hctx *h)
{
    size_t nf = h->small ? 20 : 400;
    uint64_t nseg = h->small ? 20000 : 1000000, per = nseg / nf;
    const uint32_t hole = 1000, stride = 256;
    uint8_t frame[NET_MAX_FRAME], pay[256];
    struct ooo {
        struct net_path np;
        uint32_t isn_c, isn_s;
        uint16_t ip_id;
    } *fl = gen_calloc(nf, sizeof(*fl));
    int rc = -1;
    if (fl == NULL)
        return -1;
    h->step_us = 5;
    if (legit_add(h, h->small ? 2 : 4, per * nf + 3 * nf, h->small ? 50 : 1000) != 0)
        goto out;
    for (size_t f = 0; f < nf; f++) {
        path_v4(&fl[f].np, IP4(10, 200, f >> 8, f & 255), (uint16_t)(30000 + f),
                IP4(203, 0, 113, 50), f % 2 ? 443 : 8443);
        fl[f].isn_c = (uint32_t)rng_next(&h->rng);
        fl[f].isn_s = (uint32_t)rng_next(&h->rng);
        struct net_tcp syn = {
            .seq = fl[f].isn_c, .flags = NET_TCP_SYN, .window = 64240, .mss_opt = 1460};
        struct net_tcp sa = {.seq = fl[f].isn_s,
                             .ack = fl[f].isn_c + 1,
                             .flags = NET_TCP_SYN | NET_TCP_ACK,
                             .window = 65535,
                             .mss_opt = 1460};
        struct net_tcp ack = {.seq = fl[f].isn_c + 1,
                              .ack = fl[f].isn_s + 1,
                              .flags = NET_TCP_ACK,
                              .window = 64240,
                              .ip_id = 1};
        size_t l1 = net_build(&fl[f].np, 0, &syn, NULL, 0, frame, sizeof(frame));
        mix(h, frame, l1, 0);
        size_t l2 = net_build(&fl[f].np, 1, &sa, NULL, 0, frame, sizeof(frame));
        mix(h, frame, l2, 0);
        size_t l3 = net_build(&fl[f].np, 0, &ack, NULL, 0, frame, sizeof(frame));
        mix(h, frame, l3, 0);
        fl[f].ip_id = 2;
        if (l1 == 0 || l2 == 0 || l3 == 0)
            goto out;
    }
    for (uint64_t k = 0; k < per; k++) {
        for (size_t f = 0; f < nf; f++) {
            size_t plen = 64 + rng_below(&h->rng, 129); /* < stride: a hole after each */
            rng_fill(&h->rng, pay, plen);
            struct net_tcp t = {.seq = fl[f].isn_c + 1 + hole + (uint32_t)(k * stride),
                                .ack = fl[f].isn_s + 1,
                                .flags = NET_TCP_ACK | NET_TCP_PSH,
                                .window = 64240,
                                .ip_id = fl[f].ip_id++};
            size_t len = net_build(&fl[f].np, 0, &t, pay, plen, frame, sizeof(frame));
            if (len == 0)
                goto out;
            mix(h, frame, len, 0);
        }
    }
    rc = sum_u(h, "ooo_flows", nf) || sum_u(h, "ooo_segments", per * nf) ? -1 : 0;
out:
    free(fl);
    return rc;
}

/* huge-handshake: one server declares and sends a 16 MiB - 1 Certificate message (the
 * largest a uint24 length allows), then finishes the handshake. The full version also has
 * `stalled` servers that each declare a Certificate of exactly the sensor's default cap
 * (2 MiB), send its first 16 KiB record and then nothing more. */
static int gen_huge_handshake(struct hctx *h)
{
    size_t stalled = h->small ? 0 : 1200;
    const size_t huge = 0xffffff;
    struct tcp_capture cap;
    struct flist sf = {0}, hf = {0};
    struct buf ch = {0}, srv = {0}, cf = {0}, sfl = {0}, leaf = {0}, msg = {0};
    char seed[128];
    int rc = -1;
    memset(&cap, 0, sizeof(cap));

    if (der_of(h->pki.cert[PKI_SRV_EC].x509, &leaf, NULL) != 0)
        goto out;
    if (stalled > 0) {
        if (cap_begin(h, &cap) != 0)
            goto out;
        for (size_t k = 0; k < stalled; k++) {
            struct net_path np;
            struct tcp_conn c;
            path_v4(&np, IP4(10, 77, k >> 8, k & 255), (uint16_t)(50000 + k % 10000),
                    IP4(203, 0, 113, 1 + k % 100), 443);
            snprintf(seed, sizeof(seed), "hostile/huge-handshake/stalled-%zu", k);
            tcp_init(&c, &cap, &np, NET_MAX_PAYLOAD, seed);
            ch.n = srv.n = cf.n = sfl.n = 0;
            if (client_hello(h, &ch, "stalled.example.test") ||
                to_records(&cf, CT_HANDSHAKE, ch.p, ch.n, H_REC_PLAIN_MAX) ||
                server_hello(h, &srv, 0) || hs_header(&srv, HS_CERTIFICATE, H_SENSOR_HS_MAX) ||
                put_be(&srv, H_SENSOR_HS_MAX - 3, 3)) {
                tcp_free(&c);
                goto out;
            }
            while (srv.n < H_REC_PLAIN_MAX) /* the first record of the message, full */
                if (buf_append(&srv, leaf.p,
                               H_REC_PLAIN_MAX - srv.n < leaf.n ? H_REC_PLAIN_MAX - srv.n
                                                                : leaf.n)) {
                    tcp_free(&c);
                    goto out;
                }
            int bad = to_records(&sfl, CT_HANDSHAKE, srv.p, srv.n, H_REC_PLAIN_MAX) ||
                      tcp_open(&c) || tcp_send(&c, TCP_C2S, cf.p, cf.n, 0) ||
                      tcp_send(&c, TCP_S2C, sfl.p, sfl.n, 0) || tcp_ack_if_owed(&c, TCP_C2S);
            tcp_free(&c);
            if (bad)
                goto out;
        }
        if (cap_end(h, &cap, &sf) != 0)
            goto out;
    }

    /* The 16 MiB one: certificate_list of copies of the leaf, the last entry shorter. */
    ch.n = srv.n = cf.n = sfl.n = 0;
    if (client_hello(h, &ch, "huge.example.test") ||
        to_records(&cf, CT_HANDSHAKE, ch.p, ch.n, H_REC_PLAIN_MAX) || server_hello(h, &msg, 0) ||
        hs_header(&msg, HS_CERTIFICATE, huge) || put_be(&msg, huge - 3, 3))
        goto out;
    size_t left = huge - 3;
    while (left > 0) {
        size_t e = leaf.n + 3 <= left && left - (leaf.n + 3) >= 4 ? leaf.n : left - 3;
        if (put_be(&msg, e, 3) || buf_append(&msg, leaf.p, e <= leaf.n ? e : leaf.n))
            goto out;
        for (size_t z = leaf.n; z < e; z++) /* a last entry longer than the leaf: zeros */
            if (put_be(&msg, 0, 1))
                goto out;
        left -= e + 3;
    }
    if (hs_header(&msg, HS_SERVER_HELLO_DONE, 0) ||
        to_records(&sfl, CT_HANDSHAKE, msg.p, msg.n, H_REC_PLAIN_MAX))
        goto out;
    struct net_path np;
    path_v4(&np, IP4(10, 78, 0, 1), 51000, IP4(203, 0, 113, 200), 443);
    if (cap_begin(h, &cap) != 0 ||
        synth_conv(h, &cap, &np, "hostile/huge-handshake/huge", &cf, &sfl, NULL, NULL) != 0 ||
        cap_end(h, &cap, &hf) != 0)
        goto out;

    h->step_us = 20;
    if (legit_add(h, h->small ? 2 : 4, sf.n + hf.n, h->small ? 200 : 1000) != 0)
        goto out;
    mix_list(h, &sf, 0);
    mix_list(h, &hf, 0);
    rc = sum_u(h, "declared_bytes", huge) || sum_u(h, "server_flight_bytes", sfl.n) ||
                 sum_u(h, "stalled_flows", stalled) ||
                 sum_u(h, "stalled_declared_bytes", stalled ? H_SENSOR_HS_MAX : 0)
             ? -1
             : 0;
out:
    if (cap.w.f != NULL)
        pcapw_close(&cap.w);
    flist_free(&sf);
    flist_free(&hf);
    buf_free(&ch);
    buf_free(&srv);
    buf_free(&cf);
    buf_free(&sfl);
    buf_free(&leaf);
    buf_free(&msg);
    return rc;
}

/* One more certificate for a long chain: the server's key, signed by the EC intermediate,
 * CN=chain-<i>.example.test. */
static int chain_cert(struct hctx *h, size_t i, struct buf *entries, char *sha)
{
    X509 *x = X509_new();
    X509_NAME *nm = X509_NAME_new();
    struct buf der = {0};
    char cn[64];
    int rc = -1;
    snprintf(cn, sizeof(cn), "chain-%05zu.example.test", i);
    if (x == NULL || nm == NULL || !X509_set_version(x, 2) ||
        !ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(0x100000 + i)) ||
        !X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) ||
        !X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_ASC, (const unsigned char *)PKI_ORG, -1, -1,
                                    0) ||
        !X509_set_subject_name(x, nm) ||
        !X509_set_issuer_name(x, X509_get_subject_name(h->pki.cert[PKI_INT_EC].x509)) ||
        !ASN1_TIME_set_string_X509(X509_getm_notBefore(x), "20250101000000Z") ||
        !ASN1_TIME_set_string_X509(X509_getm_notAfter(x), "20270101000000Z") ||
        !X509_set_pubkey(x, h->pki.cert[PKI_SRV_EC].key) ||
        !X509_sign(x, h->pki.cert[PKI_INT_EC].key, EVP_sha256()))
        goto out;
    if (der_of(x, &der, sha) || put_be(entries, der.n, 3) || buf_append(entries, der.p, der.n))
        goto out;
    rc = 0;
out:
    buf_free(&der);
    X509_NAME_free(nm);
    X509_free(x);
    return rc;
}

/* long-chain: a Certificate message with 10,000 certificates (2,000 small): the real leaf
 * and intermediate, then distinct certificates signed by the intermediate. */
static int gen_long_chain(struct hctx *h)
{
    size_t n = h->small ? 2000 : 10000;
    struct tcp_capture cap;
    struct flist hf = {0};
    struct buf entries = {0}, ch = {0}, cf = {0}, msg = {0}, sfl = {0};
    struct net_path np;
    int rc = -1;
    memset(&cap, 0, sizeof(cap));

    path_v4(&np, IP4(10, 79, 0, 1), 52000, IP4(203, 0, 113, 201), 443);
    struct expect *e = expect_new(h, "long-chain", true, &np);
    if (e == NULL || chain_entries(h, chain_ec, &entries, e) != 0)
        goto out;
    e->server_truncated = true;
    detrand_seed("hostile/long-chain/certs");
    for (size_t i = 2; i < n; i++) {
        char *sha = e->n_server < H_CHAIN_MAX ? e->server[e->n_server] : NULL;
        if (chain_cert(h, i, &entries, sha) != 0)
            goto out;
        if (sha != NULL)
            e->n_server++;
    }
    if (client_hello(h, &ch, "chain.example.test") ||
        to_records(&cf, CT_HANDSHAKE, ch.p, ch.n, H_REC_PLAIN_MAX) || server_hello(h, &msg, 0) ||
        certificate_msg(&msg, &entries) || hs_header(&msg, HS_SERVER_HELLO_DONE, 0) ||
        to_records(&sfl, CT_HANDSHAKE, msg.p, msg.n, H_REC_PLAIN_MAX))
        goto out;
    if (cap_begin(h, &cap) != 0 ||
        synth_conv(h, &cap, &np, "hostile/long-chain/conn", &cf, &sfl, NULL, NULL) != 0 ||
        cap_end(h, &cap, &hf) != 0)
        goto out;
    h->step_us = 50;
    if (legit_add(h, h->small ? 2 : 3, hf.n, h->small ? 20 : 100) != 0)
        goto out;
    mix_list(h, &hf, 0);
    rc = sum_u(h, "certificates", n) || sum_u(h, "certificate_msg_bytes", entries.n + 7) ? -1 : 0;
out:
    if (cap.w.f != NULL)
        pcapw_close(&cap.w);
    flist_free(&hf);
    buf_free(&entries);
    buf_free(&ch);
    buf_free(&cf);
    buf_free(&msg);
    buf_free(&sfl);
    return rc;
}

/* overlap-disagree: real sessions (MSS 320) whose Certificate flight carries segments that
 * overlap held data with other bytes (see overlap_rewrite). */
static int gen_overlap_disagree(struct hctx *h)
{
    size_t m = h->small ? 3 : 60;
    struct flist all = {0};
    char seed[128];
    int rc = -1;
    uint64_t forged = 0;
    for (size_t s = 0; s < m; s++) {
        struct net_path np;
        struct flist one = {0};
        path_v4(&np, IP4(10, 90, s >> 8, s & 255), (uint16_t)(52000 + s),
                IP4(203, 0, 113, 150 + s % 10), 443);
        snprintf(seed, sizeof(seed), "hostile/overlap-disagree/%zu", s);
        struct expect *e = expect_new(h, "overlap-disagree", true, &np);
        int k = e == NULL ? -1 : tls_session(h, (unsigned)s, &np, 320, seed, &one, e);
        if (k == 0)
            k = overlap_rewrite(&one, &np, &all);
        flist_free(&one);
        if (k < 0)
            goto out;
        forged += (uint64_t)k;
    }
    h->step_us = 200;
    if (legit_add(h, h->small ? 2 : 3, all.n, h->small ? 5 : 20) != 0)
        goto out;
    mix_list(h, &all, 0);
    rc = sum_u(h, "sessions", m) || sum_u(h, "forged_segments", forged) ? -1 : 0;
out:
    flist_free(&all);
    return rc;
}

/* record-extremes: hand-built TLS 1.2 handshakes framed at the record layer's limits. */
enum rx {
    RX_ONE_BYTE,     /* every handshake record 1 byte long, both sides (valid) */
    RX_MAX_PLAIN,    /* server flight in 16384-byte records, Certificate across a boundary */
    RX_MAX_CIPHER,   /* ... in 18432-byte records (the TLSCiphertext limit) */
    RX_ZERO_APPDATA, /* 500 zero-length application_data records each way (RFC 5246 6.2.1 allows) */
    RX_ZERO_HANDSHAKE, /* a zero-length handshake record before the Certificate (forbidden) */
    RX_OVER_CIPHER,    /* the Certificate in a record of 18433 bytes (over every limit) */
    RX_LEN_65535,      /* ... of 65535 bytes */
    RX_COUNT
};

static const struct {
    const char *name;
    bool must;
} rx_table[RX_COUNT] = {
    [RX_ONE_BYTE] = {"rec-1byte-fragments", true},
    [RX_MAX_PLAIN] = {"rec-16384", true},
    [RX_MAX_CIPHER] = {"rec-18432", true},
    [RX_ZERO_APPDATA] = {"rec-zero-appdata", true},
    [RX_ZERO_HANDSHAKE] = {"rec-zero-handshake", false},
    [RX_OVER_CIPHER] = {"rec-18433", false},
    [RX_LEN_65535] = {"rec-65535", false},
};

static int rx_flights(struct hctx *h, enum rx kind, struct expect *e, struct buf *cf,
                      struct buf *sfl, struct buf *cx, struct buf *sx)
{
    struct buf ch = {0}, sh = {0}, cert = {0}, entries = {0};
    int rc = -1;
    size_t boundary = kind == RX_MAX_CIPHER ? 2 * H_REC_CIPHER_MAX : 2 * H_REC_PLAIN_MAX;
    size_t pad = 0;
    if (kind == RX_MAX_PLAIN || kind == RX_MAX_CIPHER) {
        /* the ServerHello grows so the Certificate starts 600 bytes before the second
         * record boundary: 4 + 38 + 2 + 5 + 4 bytes besides the padding */
        pad = boundary - 600 - (4 + 38 + 2 + 5 + 4);
    }
    if (client_hello(h, &ch, "records.example.test") || server_hello(h, &sh, pad) ||
        chain_entries(h, chain_ec3, &entries, e) || certificate_msg(&cert, &entries) ||
        hs_header(&cert, HS_SERVER_HELLO_DONE, 0))
        goto out;
    size_t crec = kind == RX_ONE_BYTE ? 1 : H_REC_PLAIN_MAX;
    if (to_records(cf, CT_HANDSHAKE, ch.p, ch.n, crec))
        goto out;
    switch (kind) {
    case RX_ONE_BYTE:
    case RX_MAX_PLAIN:
    case RX_MAX_CIPHER:
    case RX_ZERO_APPDATA: {
        size_t srec = kind == RX_ONE_BYTE     ? 1
                      : kind == RX_MAX_CIPHER ? H_REC_CIPHER_MAX
                                              : H_REC_PLAIN_MAX;
        if (buf_append(&sh, cert.p, cert.n) || to_records(sfl, CT_HANDSHAKE, sh.p, sh.n, srec))
            goto out;
        if (kind == RX_ZERO_APPDATA)
            for (int i = 0; i < 500; i++)
                if (rec_header(cx, CT_APPDATA, 0) || rec_header(sx, CT_APPDATA, 0))
                    goto out;
        break;
    }
    case RX_ZERO_HANDSHAKE:
        if (to_records(sfl, CT_HANDSHAKE, sh.p, sh.n, H_REC_PLAIN_MAX) ||
            rec_header(sfl, CT_HANDSHAKE, 0) ||
            to_records(sfl, CT_HANDSHAKE, cert.p, cert.n, H_REC_PLAIN_MAX))
            goto out;
        break;
    default: {
        /* one record of `len` bytes: the Certificate and ServerHelloDone, then zeros (empty
         * HelloRequest messages, type 0) */
        size_t len = kind == RX_OVER_CIPHER ? H_REC_CIPHER_MAX + 1 : 65535;
        if (to_records(sfl, CT_HANDSHAKE, sh.p, sh.n, H_REC_PLAIN_MAX) ||
            rec_header(sfl, CT_HANDSHAKE, len) || buf_append(sfl, cert.p, cert.n))
            goto out;
        for (size_t i = cert.n; i < len; i++)
            if (put_be(sfl, 0, 1))
                goto out;
        break;
    }
    }
    rc = 0;
out:
    buf_free(&ch);
    buf_free(&sh);
    buf_free(&cert);
    buf_free(&entries);
    return rc;
}

static int gen_record_extremes(struct hctx *h)
{
    size_t copies = h->small ? 1 : 20;
    struct tcp_capture cap;
    struct flist all = {0};
    char seed[128];
    int rc = -1;
    memset(&cap, 0, sizeof(cap));
    if (cap_begin(h, &cap) != 0)
        goto out;
    for (size_t c = 0; c < copies; c++) {
        for (int k = 0; k < RX_COUNT; k++) {
            struct net_path np;
            struct buf cf = {0}, sfl = {0}, cx = {0}, sx = {0};
            size_t i = c * RX_COUNT + (size_t)k;
            path_v4(&np, IP4(10, 91, i >> 8, i & 255), (uint16_t)(53000 + i),
                    IP4(203, 0, 113, 170 + k), 443);
            snprintf(seed, sizeof(seed), "hostile/record-extremes/%zu", i);
            struct expect *e = expect_new(h, rx_table[k].name, rx_table[k].must, &np);
            int bad = e == NULL || rx_flights(h, (enum rx)k, e, &cf, &sfl, &cx, &sx) ||
                      synth_conv(h, &cap, &np, seed, &cf, &sfl, &cx, &sx);
            buf_free(&cf);
            buf_free(&sfl);
            buf_free(&cx);
            buf_free(&sx);
            if (bad)
                goto out;
        }
    }
    if (cap_end(h, &cap, &all) != 0)
        goto out;
    h->step_us = 100;
    if (legit_add(h, h->small ? 2 : 4, all.n, h->small ? 10 : 50) != 0)
        goto out;
    mix_list(h, &all, 0);
    rc = sum_u(h, "sessions", copies * RX_COUNT);
out:
    if (cap.w.f != NULL)
        pcapw_close(&cap.w);
    flist_free(&all);
    return rc;
}

/* tls-header-every-port: two connections to every port of 203.0.113.9 (131,070: more
 * than the default 2 GiB memcap holds sessions for) whose client sends
 * a plausible TLS handshake record header (after 0-63 bytes of garbage) announcing a
 * message of 20,000 bytes to 2 MiB, inside 300-1200 bytes of garbage. Half of them open
 * with a three-way handshake; a quarter get garbage back from the server. */
static int gen_tls_header_every_port(struct hctx *h)
{
    size_t nf = h->small ? 2000 : 2 * 65535;
    static const uint8_t types[] = {HS_CLIENT_HELLO, HS_SERVER_HELLO, HS_CERTIFICATE};
    uint8_t frame[NET_MAX_FRAME], pay[1400];
    h->step_us = 20;
    /* 2.75 frames per connection on average; legitimate sessions also late, when a
     * sensor without room for new sessions would miss them */
    if (legit_add(h, h->small ? 2 : 6, nf * 11 / 4, h->small ? 20 : 300) != 0)
        return -1;
    for (size_t i = 0; i < nf; i++) {
        struct net_path np;
        path_v4(&np, IP4(100, 64 + (i >> 16), (i >> 8) & 255, i & 255),
                (uint16_t)(1024 + rng_below(&h->rng, 60000)), IP4(203, 0, 113, 9),
                (uint16_t)(1 + i % 65535));
        uint32_t isn_c = (uint32_t)rng_next(&h->rng), isn_s = (uint32_t)rng_next(&h->rng);
        size_t len;
        if (i % 2 == 0) {
            struct net_tcp syn = {
                .seq = isn_c, .flags = NET_TCP_SYN, .window = 64240, .mss_opt = 1460};
            struct net_tcp sa = {.seq = isn_s,
                                 .ack = isn_c + 1,
                                 .flags = NET_TCP_SYN | NET_TCP_ACK,
                                 .window = 65535,
                                 .mss_opt = 1460};
            struct net_tcp ack = {
                .seq = isn_c + 1, .ack = isn_s + 1, .flags = NET_TCP_ACK, .window = 64240};
            if ((len = net_build(&np, 0, &syn, NULL, 0, frame, sizeof(frame))) == 0)
                return -1;
            mix(h, frame, len, 0);
            if ((len = net_build(&np, 1, &sa, NULL, 0, frame, sizeof(frame))) == 0)
                return -1;
            mix(h, frame, len, 0);
            if ((len = net_build(&np, 0, &ack, NULL, 0, frame, sizeof(frame))) == 0)
                return -1;
            mix(h, frame, len, 0);
        }
        size_t total = 300 + rng_below(&h->rng, 901);
        size_t pre = i % 4 == 0 ? 0 : rng_below(&h->rng, 64);
        uint32_t hs_len = 20000 + rng_below(&h->rng, H_SENSOR_HS_MAX - 20000 + 1);
        rng_fill(&h->rng, pay, total);
        uint8_t *q = pay + pre;
        q[0] = CT_HANDSHAKE;
        q[1] = 3;
        q[2] = rng_below(&h->rng, 2) ? 1 : 3;
        q[3] = 0x40; /* record length 16384: longer than the segment */
        q[4] = 0x00;
        q[5] = types[rng_below(&h->rng, sizeof(types))];
        q[6] = (uint8_t)(hs_len >> 16);
        q[7] = (uint8_t)(hs_len >> 8);
        q[8] = (uint8_t)hs_len;
        struct net_tcp d = {.seq = isn_c + 1,
                            .ack = isn_s + 1,
                            .flags = NET_TCP_ACK | NET_TCP_PSH,
                            .window = 64240,
                            .ip_id = 1};
        if ((len = net_build(&np, 0, &d, pay, total, frame, sizeof(frame))) == 0)
            return -1;
        mix(h, frame, len, 0);
        if (i % 4 == 1) {
            rng_fill(&h->rng, pay, 200);
            struct net_tcp r = {.seq = isn_s + 1,
                                .ack = isn_c + 1 + (uint32_t)total,
                                .flags = NET_TCP_ACK | NET_TCP_PSH,
                                .window = 65535};
            if ((len = net_build(&np, 1, &r, pay, 200, frame, sizeof(frame))) == 0)
                return -1;
            mix(h, frame, len, 0);
        }
    }
    return sum_u(h, "flows", nf);
}

/* tiny-snaplen: real sessions captured with a snap length of 96 (or 64) bytes, merged
 * with full-size legitimate ones (as mergecap would: per-frame captured lengths). */
static int gen_tiny_snaplen(struct hctx *h)
{
    size_t n = h->small ? 10 : 100;
    struct flist *fl = gen_calloc(n, sizeof(*fl));
    char seed[128];
    int rc = -1;
    uint64_t frames = 0;
    if (fl == NULL)
        return -1;
    for (size_t k = 0; k < n; k++) {
        struct net_path np;
        path_v4(&np, IP4(10, 50, k >> 8, k & 255), (uint16_t)(45000 + k),
                IP4(203, 0, 113, 80 + k % 8), 443);
        snprintf(seed, sizeof(seed), "hostile/tiny-snaplen/%zu", k);
        struct expect *e = expect_new(h, k % 2 ? "snaplen-64" : "snaplen-96", false, &np);
        if (e == NULL || tls_session(h, (unsigned)k, &np, NET_MAX_PAYLOAD, seed, &fl[k], e) != 0)
            goto out;
        frames += fl[k].n;
    }
    h->step_us = 100;
    if (legit_add(h, h->small ? 2 : 4, frames, h->small ? 5 : 20) != 0)
        goto out;
    for (size_t k = 0; k < n; k++)
        mix_list(h, &fl[k], k % 2 ? 64 : 96);
    rc = sum_u(h, "cut_sessions", n);
out:
    for (size_t k = 0; k < n; k++)
        flist_free(&fl[k]);
    free(fl);
    return rc;
}

static const struct {
    const char *name;
    int (*gen)(struct hctx *h);
    const char *notes;
} hostile_table[] = {
    {"syn-flood", gen_syn_flood, "1,000,000 SYNs from distinct 4-tuples (small: 2,000)"},
    {"ooo-flood", gen_ooo_flood,
     "1,000,000 out-of-order segments over 400 connections, none ever fills its hole "
     "(small: 20,000 over 20)"},
    {"huge-handshake", gen_huge_handshake,
     "a 16 MiB - 1 Certificate message declared and sent; 1,200 servers that declare 2 MiB "
     "and stall after 16 KiB (small: none)"},
    {"long-chain", gen_long_chain, "a Certificate message with 10,000 certificates (small: 2,000)"},
    {"overlap-disagree", gen_overlap_disagree,
     "60 real handshakes whose Certificate flight has overlapping segments with other bytes "
     "(small: 3)"},
    {"record-extremes", gen_record_extremes,
     "zero-length, 1-byte, 16384-, 18432-, 18433- and 65535-byte records, 20 of each kind "
     "(small: 1)"},
    {"tls-header-every-port", gen_tls_header_every_port,
     "a plausible TLS record header in garbage, two connections to each of 65,535 ports "
     "(small: 2,000 connections)"},
    {"tiny-snaplen", gen_tiny_snaplen,
     "100 real sessions captured with snaplen 96 or 64, merged with full-size ones (small: 10)"},
};

#define HOSTILE_COUNT (sizeof(hostile_table) / sizeof(hostile_table[0]))

static int ip_text(const struct net_host *hst, char *out, size_t n)
{
    return inet_ntop(AF_INET, hst->ip, out, (socklen_t)n) == NULL ? -1 : 0;
}

static int hash_list(struct buf *b, char (*v)[65], size_t n)
{
    if (buf_puts(b, "["))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (buf_printf(b, "%s\"%s\"", i ? ", " : "", v[i]))
            return -1;
    return buf_puts(b, "]");
}

static int write_truth(struct hctx *h, const char *file)
{
    struct buf b = {0};
    char path[4200], cip[64], sip[64];
    int rc = -1;
    if (buf_printf(&b,
                   "{\"what\": \"summary\", \"capture\": \"%s\", \"small\": %s, \"frames\": %llu, "
                   "\"bytes\": %llu, \"hostile_frames\": %llu, \"legit_sessions\": %zu",
                   file, h->small ? "true" : "false", (unsigned long long)h->w.frames,
                   (unsigned long long)h->w.bytes, (unsigned long long)h->hostile, h->n_legit) ||
        buf_append(&b, h->summary.p, h->summary.n) || buf_puts(&b, "}\n"))
        goto out;
    for (size_t i = 0; i < h->n_ex; i++) {
        const struct expect *e = &h->ex[i];
        if (ip_text(&e->path.host[0], cip, sizeof(cip)) ||
            ip_text(&e->path.host[1], sip, sizeof(sip)) ||
            buf_printf(&b,
                       "{\"what\": \"%s\", \"must\": %s, \"src_ip\": \"%s\", \"src_port\": %u, "
                       "\"dest_ip\": \"%s\", \"dest_port\": %u, \"server_certs\": ",
                       e->what, e->must ? "true" : "false", cip, (unsigned)e->path.host[0].port,
                       sip, (unsigned)e->path.host[1].port) ||
            hash_list(&b, (char(*)[65])e->server, e->n_server) ||
            buf_puts(&b, ", \"client_certs\": ") ||
            hash_list(&b, (char(*)[65])e->client, e->n_client) ||
            buf_printf(&b, ", \"server_chain_truncated\": %s}\n",
                       e->server_truncated ? "true" : "false"))
            goto out;
    }
    if (snprintf(path, sizeof(path), "%s/%s.truth.jsonl", h->outdir, h->name) >=
            (int)sizeof(path) ||
        gen_write_file(path, b.p, b.n) != 0)
        goto out;
    rc = 0;
out:
    buf_free(&b);
    return rc;
}

static int run_one(struct hctx *h, size_t which)
{
    char path[4200], file[128];
    int rc = -1;
    h->name = hostile_table[which].name;
    h->index = (unsigned)which;
    h->ts_us = (uint64_t)RUN_START_TIME * 1000000u;
    h->hostile = 0;
    h->n_legit = 0;
    h->n_ex = 0;
    h->spacing = 1;
    h->step_us = 10;
    h->summary.n = 0;
    rng_seed(&h->rng, h->name);
    snprintf(file, sizeof(file), "%s.pcap", h->name);
    if (snprintf(path, sizeof(path), "%s/%s", h->outdir, file) >= (int)sizeof(path) ||
        snprintf(h->tmp, sizeof(h->tmp), "%s/.%s.tmp.pcap", h->outdir, h->name) >=
            (int)sizeof(h->tmp) ||
        snprintf(h->tmp_tls, sizeof(h->tmp_tls), "%s/.%s.tls.pcap", h->outdir, h->name) >=
            (int)sizeof(h->tmp_tls))
        return -1;
    if (hw_open(&h->w, path) != 0)
        return -1;
    if (hostile_table[which].gen(h) != 0)
        goto out;
    mix_finish(h);
    if (hw_close(&h->w) != 0) {
        gen_err("%s: write failed", path);
        goto out;
    }
    if (write_truth(h, file) != 0)
        goto out;
    printf("%s: %llu frames (%llu hostile), %llu bytes, %zu legitimate sessions\n", file,
           (unsigned long long)h->w.frames, (unsigned long long)h->hostile,
           (unsigned long long)h->w.bytes, h->n_legit);
    rc = 0;
out:
    if (h->w.f != NULL)
        hw_close(&h->w);
    for (size_t i = 0; i < H_MAX_LEGIT; i++) {
        flist_free(&h->legit[i].fl);
        h->legit[i].next = 0;
    }
    if (rc != 0)
        gen_err("hostile capture %s failed", h->name);
    return rc;
}

int hostile_main(int argc, char **argv)
{
    struct hctx h;
    bool want[HOSTILE_COUNT];
    int a = 1, rc = 1;
    memset(&h, 0, sizeof(h));
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < HOSTILE_COUNT; i++)
            printf("%-22s %s\n", hostile_table[i].name, hostile_table[i].notes);
        return 0;
    }
    if (a < argc && strcmp(argv[a], "--small") == 0) {
        h.small = true;
        a++;
    }
    if (a >= argc || argv[a][0] == '-') {
        fputs("usage: certgen hostile [--small] OUTDIR [NAME...]\n"
              "       certgen hostile --list\n",
              stderr);
        return 2;
    }
    h.outdir = argv[a++];
    for (size_t i = 0; i < HOSTILE_COUNT; i++)
        want[i] = a == argc;
    for (; a < argc; a++) {
        size_t i = 0;
        while (i < HOSTILE_COUNT && strcmp(hostile_table[i].name, argv[a]) != 0)
            i++;
        if (i == HOSTILE_COUNT) {
            gen_err("unknown hostile capture '%s' (certgen hostile --list shows them)", argv[a]);
            return 2;
        }
        want[i] = true;
    }
    if (mkdir(h.outdir, 0777) != 0 && errno != EEXIST) {
        gen_err("%s: %s", h.outdir, strerror(errno));
        return 1;
    }
    if (detrand_install() != 0)
        return 1;
    detrand_seed("pki");
    if (pki_build(&h.pki) != 0)
        goto out;
    for (size_t i = 0; i < HOSTILE_COUNT; i++)
        if (want[i] && run_one(&h, i) != 0)
            goto out;
    rc = 0;
out:
    pki_free(&h.pki);
    free(h.ex);
    buf_free(&h.summary);
    return rc;
}
