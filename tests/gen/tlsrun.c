/* certgen: in-memory TLS session over a simulated TCP connection (see tlsrun.h). */
#include "tlsrun.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define MAX_ROUNDS 32
#define IO_CHUNK 16384

struct run;

struct side {
    struct run *run;
    enum tcp_dir dir; /* direction of what this side sends */
    SSL *ssl;
    BIO *in;          /* network -> this side (owned by ssl) */
    BIO *out;         /* this side -> network (owned by ssl) */
    uint64_t records; /* bytes of TLS records this side wrote, per the msg callback */
    uint64_t flushed; /* bytes taken from out and put on the wire */
    uint16_t last_record_version;
    bool sent_ccs; /* wrote a ChangeCipherSpec: TLS 1.2 records from now on are protected */
    bool failed;   /* a callback could not record something */
};

struct run {
    struct tcp_conn *conn;
    const struct pki *pki;
    const struct tls_params *p;
    struct tls_result *r;
    struct side side[2];  /* [TCP_C2S] client, [TCP_S2C] server */
    uint64_t tls_base[2]; /* stream offset where TLS starts, per direction */
    /* reject_client_cert: the verify callback ran and saw exactly the configured client
     * chain (OpenSSL keeps no peer chain on the server after a failed verification) */
    bool reject_called, reject_saw_chain;
    bool failed[2]; /* [dir]: that side's handshake has ended in the expected failure */
};

static size_t chain_len(const enum pki_id *chain)
{
    size_t n = 0;
    while (chain != NULL && n < TLS_MAX_CHAIN && chain[n] != PKI_NONE)
        n++;
    return n;
}

/* ---- callbacks ------------------------------------------------------------ */

static void msg_cb(int write_p, int version, int content_type, const void *buf, size_t len,
                   SSL *ssl, void *arg)
{
    struct side *s = arg;
    const uint8_t *b = buf;
    (void)version;
    (void)ssl;
    if (!write_p)
        return;
    if (content_type == SSL3_RT_HEADER && len == SSL3_RT_HEADER_LENGTH) {
        /* RFC 8446 5.1 / RFC 5246 6.2.1: type(1) version(2) length(2) */
        s->records += SSL3_RT_HEADER_LENGTH + ((uint64_t)b[3] << 8 | b[4]);
        s->last_record_version = (uint16_t)(b[1] << 8 | b[2]);
        return;
    }
    if (content_type == SSL3_RT_CHANGE_CIPHER_SPEC) {
        s->sent_ccs = true;
        return;
    }
    /* RFC 5246 7.2: struct { AlertLevel level; AlertDescription description; } */
    if (content_type == SSL3_RT_ALERT && len == 2 && s->run->r->alert_level[s->dir] == 0) {
        s->run->r->alert_level[s->dir] = b[0];
        s->run->r->alert_desc[s->dir] = b[1];
        return;
    }
    if (content_type != SSL3_RT_HANDSHAKE || len < 4)
        return;
    if (b[0] == SSL3_MT_SERVER_HELLO && s->dir == TCP_S2C)
        s->run->r->server_hellos++; /* RFC 8446 4.1.4: an HRR is a ServerHello message */
    if (b[0] != SSL3_MT_CERTIFICATE)
        return;
    /* OpenSSL reports a handshake message after all its records were written, so
     * s->records is now the end of the record that carries its last byte. */
    struct tls_result *r = s->run->r;
    if (r->n_msgs == TLS_MAX_CERT_MSGS) {
        s->failed = true;
        return;
    }
    struct tls_cert_msg *m = &r->msgs[r->n_msgs++];
    m->dir = s->dir;
    /* TLS 1.3 protects every Certificate (RFC 8446 4.4); in TLS 1.2 only one sent in a
     * renegotiation, after this side's ChangeCipherSpec of the first handshake. */
    m->encrypted = SSL_version(ssl) == TLS1_3_VERSION || s->sent_ccs;
    m->record_version = s->last_record_version;
    m->end = s->run->tls_base[s->dir] + s->records;
    const enum pki_id *chain =
        s->dir == TCP_S2C ? s->run->p->server_chain : s->run->p->client_chain;
    m->n_certs = chain_len(chain);
    for (size_t i = 0; i < m->n_certs; i++)
        m->chain[i] = chain[i];
    if (buf_append(&m->raw, b, len) != 0)
        s->failed = true;
}

static void keylog_cb(const SSL *ssl, const char *line)
{
    struct run *run = SSL_get_app_data(ssl);
    if (run == NULL)
        return;
    if (buf_puts(&run->r->keylog, line) != 0 || buf_puts(&run->r->keylog, "\n") != 0)
        run->side[TCP_C2S].failed = true;
}

/* Both peers accept any chain (later scenarios send broken ones on purpose);
 * SSL_get_verify_result() still reports what verification found. */
static int accept_any(int ok, X509_STORE_CTX *ctx)
{
    (void)ok;
    (void)ctx;
    return 1;
}

static bool same_cert(X509 *a, X509 *b);

/* reject_client_cert: the server fails verification of the client chain as revoked.
 * OpenSSL maps X509_V_ERR_CERT_REVOKED to a certificate_revoked alert. */
static int reject_revoked(int ok, X509_STORE_CTX *ctx)
{
    (void)ok;
    SSL *ssl = X509_STORE_CTX_get_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct run *run = ssl ? SSL_get_app_data(ssl) : NULL;
    if (run != NULL && !run->reject_called) {
        /* ssl_verify_cert_chain() passes the received chain, leaf first, as untrusted */
        STACK_OF(X509) *got = X509_STORE_CTX_get0_untrusted(ctx);
        const enum pki_id *chain = run->p->client_chain;
        bool same = got != NULL && X509_STORE_CTX_get0_cert(ctx) != NULL &&
                    same_cert(X509_STORE_CTX_get0_cert(ctx), run->pki->cert[chain[0]].x509);
        int n = got ? sk_X509_num(got) : 0;
        for (int i = 0; same && i < n; i++)
            same = i < TLS_MAX_CHAIN && chain[i] != PKI_NONE &&
                   same_cert(sk_X509_value(got, i), run->pki->cert[chain[i]].x509);
        run->reject_called = true;
        run->reject_saw_chain = same && n > 0 && (n == TLS_MAX_CHAIN || chain[n] == PKI_NONE);
    }
    X509_STORE_CTX_set_error(ctx, X509_V_ERR_CERT_REVOKED);
    return 0;
}

/* ---- set-up --------------------------------------------------------------- */

static int use_chain(SSL_CTX *ctx, const struct pki *pki, const enum pki_id *chain)
{
    size_t n = chain_len(chain);
    if (n == 0)
        return -1;
    const struct pki_cert *leaf = &pki->cert[chain[0]];
    /* RSA-1024 and SHA-1 samples: OpenSSL's default level refuses to send them */
    for (size_t i = 0; i < n; i++)
        if (pki_needs_weak_security(chain[i]))
            SSL_CTX_set_security_level(ctx, 0);
    if (!SSL_CTX_use_certificate(ctx, leaf->x509) || !SSL_CTX_use_PrivateKey(ctx, leaf->key) ||
        !SSL_CTX_check_private_key(ctx))
        return -1;
    for (size_t i = 1; i < n; i++)
        if (!SSL_CTX_add1_chain_cert(ctx, pki->cert[chain[i]].x509))
            return -1;
    return 0;
}

static int add_roots(SSL_CTX *ctx, const struct pki *pki)
{
    X509_STORE *st = SSL_CTX_get_cert_store(ctx);
    for (int i = (int)PKI_NONE + 1; i < (int)PKI_COUNT; i++) {
        if (pki_is_trusted_root((enum pki_id)i) && !X509_STORE_add_cert(st, pki->cert[i].x509))
            return -1;
    }
    return 0;
}

static SSL_CTX *make_ctx(const struct run *run, bool server)
{
    const struct tls_params *p = run->p;
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (ctx == NULL)
        goto fail;
    if (!SSL_CTX_set_min_proto_version(ctx, p->version) ||
        !SSL_CTX_set_max_proto_version(ctx, p->version))
        goto fail;
    if (p->cipher != NULL) {
        int ok = p->version == TLS1_3_VERSION ? SSL_CTX_set_ciphersuites(ctx, p->cipher)
                                              : SSL_CTX_set_cipher_list(ctx, p->cipher);
        if (!ok)
            goto fail;
    }
    /* OpenSSL's client sends a key share for the first group only: a server that takes
     * only P-256 must ask for it with a HelloRetryRequest (RFC 8446 4.1.4). */
    const char *groups = p->groups ? p->groups : "X25519:P-256";
    if (server && p->hrr)
        groups = "P-256";
    if (!SSL_CTX_set1_groups_list(ctx, groups))
        goto fail;
    /* No tickets or session cache: their contents depend on wall-clock time.
     * No automatic chain building: send exactly the configured chain. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
    if (server && !SSL_CTX_set_num_tickets(ctx, 0))
        goto fail;
    /* OpenSSL 3 refuses client-initiated renegotiation unless told otherwise; the secure
     * renegotiation extension (RFC 5746) is always on. */
    if (server && p->renegotiate)
        SSL_CTX_set_options(ctx, SSL_OP_ALLOW_CLIENT_RENEGOTIATION);

    X509_VERIFY_PARAM *vp = SSL_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(vp, (time_t)p->verify_time);
    if (add_roots(ctx, run->pki) != 0)
        goto fail;

    bool mutual = chain_len(p->client_chain) > 0;
    if (server) {
        if (use_chain(ctx, run->pki, p->server_chain) != 0)
            goto fail;
        if (mutual) {
            SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                               p->reject_client_cert ? reject_revoked : accept_any);
            /* RFC 5246 7.4.4 certificate_authorities: name the client chain's root. */
            enum pki_id root = pki_root_of(p->client_chain[0]);
            if (root != PKI_NONE && !SSL_CTX_add_client_CA(ctx, run->pki->cert[root].x509))
                goto fail;
        }
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
        if (p->sni != NULL && !X509_VERIFY_PARAM_set1_host(vp, p->sni, 0))
            goto fail;
        if (mutual && use_chain(ctx, run->pki, p->client_chain) != 0)
            goto fail;
        SSL_CTX_set_keylog_callback(ctx, keylog_cb);
    }
    return ctx;
fail:
    gen_err("tls: cannot configure the %s context", server ? "server" : "client");
    SSL_CTX_free(ctx);
    return NULL;
}

static int make_side(struct run *run, struct side *s, SSL_CTX *ctx, enum tcp_dir dir)
{
    s->run = run;
    s->dir = dir;
    s->ssl = SSL_new(ctx);
    s->in = BIO_new(BIO_s_mem());
    s->out = BIO_new(BIO_s_mem());
    if (s->ssl == NULL || s->in == NULL || s->out == NULL) {
        BIO_free(s->in);
        BIO_free(s->out);
        s->in = s->out = NULL;
        return -1;
    }
    SSL_set_bio(s->ssl, s->in, s->out); /* the SSL owns both BIOs now */
    SSL_set_msg_callback(s->ssl, msg_cb);
    SSL_set_msg_callback_arg(s->ssl, s);
    SSL_set_app_data(s->ssl, run);
    if (dir == TCP_C2S) {
        SSL_set_connect_state(s->ssl);
        if (run->p->sni != NULL && !SSL_set_tlsext_host_name(s->ssl, run->p->sni))
            return -1;
    } else {
        SSL_set_accept_state(s->ssl);
    }
    return 0;
}

/* ---- moving bytes ---------------------------------------------------------- */

/* Moves everything side s wrote onto the wire and into the peer. 1 if bytes moved,
 * 0 if none, -1 on error. */
static int flush(struct run *run, struct side *s, unsigned tricks)
{
    struct side *peer = &run->side[s->dir ^ 1];
    struct buf data = {0};
    uint8_t chunk[IO_CHUNK];
    int rc = -1;
    int n;

    while ((n = BIO_read(s->out, chunk, (int)sizeof(chunk))) > 0)
        if (buf_append(&data, chunk, (size_t)n) != 0)
            goto out;
    if (data.n == 0) {
        rc = 0;
        goto out;
    }
    /* The record offsets in the ground truth come from the msg callback; they must add
     * up to exactly the bytes on the wire. */
    if (s->records != s->flushed + data.n) {
        gen_err("tls: record accounting mismatch (%llu record bytes, %llu on the wire)",
                (unsigned long long)s->records, (unsigned long long)(s->flushed + data.n));
        goto out;
    }
    s->flushed += data.n;
    if (tcp_send(run->conn, s->dir, data.p, data.n, tricks) != 0)
        goto out;
    if (data.n > INT_MAX || BIO_write(peer->in, data.p, (int)data.n) != (int)data.n)
        goto out;
    rc = 1;
out:
    buf_free(&data);
    return rc;
}

static bool ssl_ok(SSL *ssl, int ret)
{
    if (ret > 0)
        return true;
    int e = SSL_get_error(ssl, ret);
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

static int handshake(struct run *run)
{
    for (int round = 0; round < MAX_ROUNDS; round++) {
        bool moved = false;
        for (int d = TCP_C2S; d <= TCP_S2C; d++) {
            struct side *s = &run->side[d];
            size_t before = run->r->n_msgs;
            if (!SSL_is_init_finished(s->ssl) && !run->failed[d]) {
                int ret = SSL_do_handshake(s->ssl);
                if (!ssl_ok(s->ssl, ret)) {
                    /* reject_client_cert: the server aborts on the client's chain, then
                     * the client on the server's alert */
                    bool expected = run->p->reject_client_cert &&
                                    (d == TCP_S2C ? run->reject_called : run->failed[TCP_S2C]);
                    if (!expected) {
                        gen_err("tls: %s handshake failed", d == TCP_C2S ? "client" : "server");
                        return -1;
                    }
                    ERR_clear_error();
                    run->failed[d] = true;
                }
            }
            if (s->failed)
                return -1;
            /* Tricks go to the server flight that carries the server's Certificate. */
            unsigned tricks = 0;
            for (size_t i = before; i < run->r->n_msgs; i++)
                if (run->r->msgs[i].dir == TCP_S2C)
                    tricks = run->p->cert_flight_tricks;
            int f = flush(run, s, tricks);
            if (f < 0)
                return -1;
            if (f > 0)
                moved = true;
            else if (tcp_ack_if_owed(run->conn, s->dir) != 0)
                return -1;
        }
        if (!moved && SSL_is_init_finished(run->side[0].ssl) &&
            SSL_is_init_finished(run->side[1].ssl))
            return run->p->reject_client_cert ? -1 : 0;
        if (!moved && run->failed[TCP_C2S] && run->failed[TCP_S2C]) {
            run->r->rejected = true;
            return 0;
        }
    }
    gen_err("tls: handshake did not finish in %d rounds", MAX_ROUNDS);
    return -1;
}

/* Reads what side s has received until it would block; appends it to got. */
static int drain_app(struct side *s, struct buf *got)
{
    uint8_t chunk[IO_CHUNK];
    for (;;) {
        int n = SSL_read(s->ssl, chunk, (int)sizeof(chunk));
        if (n > 0) {
            if (buf_append(got, chunk, (size_t)n) != 0)
                return -1;
            continue;
        }
        int e = SSL_get_error(s->ssl, n);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_ZERO_RETURN)
            return 0;
        gen_err("tls: SSL_read failed");
        return -1;
    }
}

static size_t dialog_len(const struct dialog_line *lines)
{
    size_t n = 0;
    while (lines != NULL && lines[n].text != NULL)
        n++;
    return n;
}

/* Lines [from, to) of the inner dialog; to <= dialog_len(lines). */
static int inner_dialog(struct run *run, const struct dialog_line *lines, size_t from, size_t to)
{
    int rc = -1;
    struct buf got = {0};
    for (size_t i = from; i < to; i++) {
        struct side *s = &run->side[lines[i].from];
        struct side *peer = &run->side[lines[i].from ^ 1];
        size_t len = lines[i].len;
        if (len > INT_MAX || SSL_write(s->ssl, lines[i].text, (int)len) != (int)len) {
            gen_err("tls: SSL_write failed");
            goto out;
        }
        got.n = 0;
        if (flush(run, s, 0) < 0 || drain_app(peer, &got) != 0 || flush(run, peer, 0) < 0)
            goto out;
        if (got.n != len || memcmp(got.p, lines[i].text, len) != 0) {
            gen_err("tls: application data did not arrive intact");
            goto out;
        }
        /* After the last line of this part the client speaks next if it renegotiates. */
        enum tcp_dir next = i + 1 < to                  ? lines[i + 1].from
                            : lines[i + 1].text != NULL ? TCP_C2S
                                                        : run->p->dialog->closes_first;
        if (next == s->dir && tcp_ack_if_owed(run->conn, peer->dir) != 0)
            goto out;
    }
    rc = 0;
out:
    buf_free(&got);
    return rc;
}

/* Client-initiated TLS 1.2 renegotiation (RFC 5246 7.4.1.2, RFC 5746): a full handshake
 * whose records are protected by the first session's keys. The server takes the new
 * ClientHello inside SSL_read(), like any server that is not in a handshake. */
static int renegotiate(struct run *run)
{
    struct side *c = &run->side[TCP_C2S];
    struct buf got = {0};
    int rc = -1;

    if (!SSL_renegotiate(c->ssl)) {
        gen_err("tls: SSL_renegotiate failed");
        goto out;
    }
    for (int round = 0; round < MAX_ROUNDS; round++) {
        bool moved = false;
        for (int d = TCP_C2S; d <= TCP_S2C; d++) {
            struct side *s = &run->side[d];
            if (SSL_renegotiate_pending(s->ssl) || !SSL_is_init_finished(s->ssl)) {
                int ret = SSL_do_handshake(s->ssl);
                if (!ssl_ok(s->ssl, ret)) {
                    gen_err("tls: %s renegotiation failed", d == TCP_C2S ? "client" : "server");
                    goto out;
                }
            } else if (drain_app(s, &got) != 0) {
                goto out;
            }
            if (s->failed || got.n != 0) {
                gen_err("tls: unexpected data during the renegotiation");
                goto out;
            }
            int f = flush(run, s, 0);
            if (f < 0)
                goto out;
            if (f > 0)
                moved = true;
            else if (tcp_ack_if_owed(run->conn, s->dir) != 0)
                goto out;
        }
        if (!moved && !SSL_renegotiate_pending(c->ssl) && SSL_is_init_finished(c->ssl) &&
            SSL_is_init_finished(run->side[TCP_S2C].ssl)) {
            run->r->renegotiated = true;
            rc = 0;
            goto out;
        }
    }
    gen_err("tls: renegotiation did not finish in %d rounds", MAX_ROUNDS);
out:
    buf_free(&got);
    return rc;
}

/* close_notify both ways (RFC 8446 6.1), then the TCP close. */
static int shutdown_both(struct run *run)
{
    enum tcp_dir first = run->p->dialog->closes_first;
    struct side *a = &run->side[first];
    struct side *b = &run->side[first ^ 1];
    struct buf got = {0};
    int rc = -1;

    if (SSL_shutdown(a->ssl) < 0 || flush(run, a, 0) < 0 || drain_app(b, &got) != 0)
        goto out;
    if (SSL_shutdown(b->ssl) < 0 || flush(run, b, 0) < 0)
        goto out;
    if (SSL_shutdown(a->ssl) != 1) {
        gen_err("tls: close_notify exchange incomplete");
        goto out;
    }
    rc = got.n == 0 ? tcp_close(run->conn, first) : -1;
out:
    buf_free(&got);
    return rc;
}

/* ---- checks ------------------------------------------------------------------ */

static bool same_cert(X509 *a, X509 *b)
{
    unsigned char *da = NULL, *db = NULL;
    int la = i2d_X509(a, &da);
    int lb = i2d_X509(b, &db);
    bool same = la > 0 && la == lb && memcmp(da, db, (size_t)la) == 0;
    OPENSSL_free(da);
    OPENSSL_free(db);
    return same;
}

/* Minimal bounds-checked reader for the message check below. */
struct rd {
    const uint8_t *p, *end;
    bool err;
};

static uint32_t rd_uint(struct rd *c, size_t nbytes)
{
    uint32_t v = 0;
    if (c->err || nbytes > (size_t)(c->end - c->p)) {
        c->err = true;
        return 0;
    }
    for (size_t i = 0; i < nbytes; i++)
        v = v << 8 | *c->p++;
    return v;
}

static const uint8_t *rd_take(struct rd *c, size_t n)
{
    if (c->err || n > (size_t)(c->end - c->p)) {
        c->err = true;
        return NULL;
    }
    const uint8_t *p = c->p;
    c->p += n;
    return p;
}

/* The Certificate message OpenSSL sent holds exactly the configured chain, in order.
 * RFC 5246 7.4.2: ASN.1Cert certificate_list<0..2^24-1>.
 * RFC 8446 4.4.2: opaque certificate_request_context<0..2^8-1>;
 *                 CertificateEntry certificate_list<0..2^24-1> (cert_data, extensions). */
static int check_message(const struct run *run, const struct tls_cert_msg *m)
{
    struct rd c = {m->raw.p, m->raw.p + m->raw.n, false};
    bool tls13 = run->p->version == TLS1_3_VERSION;
    size_t k = 0;
    if (rd_uint(&c, 1) != SSL3_MT_CERTIFICATE || rd_uint(&c, 3) != m->raw.n - 4)
        return -1;
    if (tls13)
        (void)rd_take(&c, rd_uint(&c, 1));
    size_t list = rd_uint(&c, 3);
    if (c.err || list != (size_t)(c.end - c.p))
        return -1;
    while (!c.err && c.p < c.end) {
        size_t len = rd_uint(&c, 3);
        const uint8_t *der = rd_take(&c, len);
        if (tls13)
            (void)rd_take(&c, rd_uint(&c, 2));
        if (c.err || k == m->n_certs)
            return -1;
        unsigned char *want = NULL;
        int wl = i2d_X509(run->pki->cert[m->chain[k]].x509, &want);
        bool same = wl > 0 && (size_t)wl == len && memcmp(want, der, len) == 0;
        OPENSSL_free(want);
        if (!same)
            return -1;
        k++;
    }
    return (!c.err && k == m->n_certs) ? 0 : -1;
}

/* What the peer received equals what was configured. OpenSSL: on the client the
 * peer chain includes the leaf; on the server it does not. */
static int check_peer_view(const struct run *run, enum tcp_dir sender, const enum pki_id *chain)
{
    size_t n = chain_len(chain);
    SSL *rcv = run->side[sender ^ 1].ssl;
    STACK_OF(X509) *got = SSL_get_peer_cert_chain(rcv);
    X509 *leaf = SSL_get0_peer_certificate(rcv);
    size_t off = sender == TCP_S2C ? 0 : 1;
    if (leaf == NULL || got == NULL || (size_t)sk_X509_num(got) + off != n ||
        !same_cert(leaf, run->pki->cert[chain[0]].x509))
        return -1;
    for (size_t i = off; i < n; i++)
        if (!same_cert(sk_X509_value(got, (int)(i - off)), run->pki->cert[chain[i]].x509))
            return -1;
    return 0;
}

static int check_results(struct run *run)
{
    struct tls_result *r = run->r;
    size_t per_hs = chain_len(run->p->client_chain) > 0 ? 2 : 1;
    size_t want = per_hs * (run->p->renegotiate ? 2 : 1);
    if (run->p->hrr != (r->server_hellos == 2 && run->p->version == TLS1_3_VERSION)) {
        gen_err("tls: %zu ServerHello message(s): HelloRetryRequest %s", r->server_hellos,
                run->p->hrr ? "expected but not sent" : "not expected");
        return -1;
    }
    r->hello_retry = run->p->hrr;
    if (r->n_msgs != want) {
        gen_err("tls: %zu Certificate messages sent, expected %zu", r->n_msgs, want);
        return -1;
    }
    if (run->p->reject_client_cert &&
        (!r->rejected || !run->reject_saw_chain || r->alert_level[TCP_S2C] != SSL3_AL_FATAL ||
         r->alert_desc[TCP_S2C] != SSL_AD_CERTIFICATE_REVOKED || r->alert_level[TCP_C2S] != 0)) {
        gen_err("tls: expected the server, and only the server, to reject the client chain "
                "with a fatal certificate_revoked alert");
        return -1;
    }
    for (size_t i = 0; i < r->n_msgs; i++) {
        struct tls_cert_msg *m = &r->msgs[i];
        /* a rejected client chain was checked by the verify callback instead */
        bool peer_view_known = !(run->p->reject_client_cert && m->dir == TCP_C2S);
        if (check_message(run, m) != 0 ||
            (peer_view_known && check_peer_view(run, m->dir,
                                                m->dir == TCP_S2C ? run->p->server_chain
                                                                  : run->p->client_chain) != 0)) {
            gen_err("tls: %s Certificate message does not carry the configured chain",
                    m->dir == TCP_S2C ? "server" : "client");
            return -1;
        }
        m->frame = tcp_frame_completing(run->conn, m->dir, m->end);
        if (m->frame == 0) {
            gen_err("tls: Certificate message never completes in the capture");
            return -1;
        }
    }
    const char *v = SSL_get_version(run->side[0].ssl);
    const char *ciph = SSL_get_cipher_name(run->side[0].ssl);
    snprintf(r->version, sizeof(r->version), "%s", v ? v : "?");
    snprintf(r->cipher, sizeof(r->cipher), "%s", ciph ? ciph : "?");
    r->client_verify = SSL_get_verify_result(run->side[TCP_C2S].ssl);
    r->server_verify = per_hs == 2 ? SSL_get_verify_result(run->side[TCP_S2C].ssl) : -1;
    return 0;
}

/* ---- entry -------------------------------------------------------------------- */

int tls_run(struct tcp_conn *conn, const struct pki *pki, const struct tls_params *p,
            struct tls_result *r)
{
    struct run run = {.conn = conn, .pki = pki, .p = p, .r = r};
    SSL_CTX *cctx = NULL, *sctx = NULL;
    int rc = -1;

    r->client_verify = r->server_verify = -1;
    if (chain_len(p->server_chain) == 0 || p->dialog == NULL) {
        gen_err("tls: no server chain or dialog");
        return -1;
    }
    if ((cctx = make_ctx(&run, false)) == NULL || (sctx = make_ctx(&run, true)) == NULL)
        goto out;
    if (make_side(&run, &run.side[TCP_C2S], cctx, TCP_C2S) != 0 ||
        make_side(&run, &run.side[TCP_S2C], sctx, TCP_S2C) != 0) {
        gen_err("tls: cannot create the SSL objects");
        goto out;
    }
    if (tcp_open(conn) != 0 || dialog_play_clear(conn, p->dialog->clear, TCP_C2S) != 0)
        goto out;
    run.tls_base[TCP_C2S] = conn->sent[TCP_C2S];
    run.tls_base[TCP_S2C] = conn->sent[TCP_S2C];
    size_t lines = dialog_len(p->dialog->inner);
    size_t first = lines; /* lines before the renegotiation */
    if (p->renegotiate) {
        if (p->version != TLS1_2_VERSION || lines < 3) {
            gen_err("tls: renegotiation needs TLS 1.2 and a dialog of 3+ lines");
            goto out;
        }
        first = 2;
    }
    if (p->reject_client_cert &&
        (p->version != TLS1_2_VERSION || chain_len(p->client_chain) == 0 || p->renegotiate)) {
        gen_err("tls: rejecting a client certificate needs TLS 1.2 and a client chain");
        goto out;
    }
    if (handshake(&run) != 0)
        goto out;
    if (r->rejected) {
        /* the server aborted: it closes the TCP connection, no close_notify */
        if (check_results(&run) != 0 || tcp_close(conn, TCP_S2C) != 0)
            goto out;
    } else if (inner_dialog(&run, p->dialog->inner, 0, first) != 0 ||
               (p->renegotiate && renegotiate(&run) != 0) ||
               inner_dialog(&run, p->dialog->inner, first, lines) != 0 ||
               check_results(&run) != 0 || shutdown_both(&run) != 0) {
        goto out;
    }
    if (run.side[0].failed || run.side[1].failed) {
        gen_err("tls: a callback could not record its data");
        goto out;
    }
    rc = 0;
out:
    SSL_free(run.side[TCP_C2S].ssl);
    SSL_free(run.side[TCP_S2C].ssl);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    return rc;
}

void tls_result_free(struct tls_result *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < TLS_MAX_CERT_MSGS; i++)
        buf_free(&r->msgs[i].raw);
    buf_free(&r->keylog);
}
