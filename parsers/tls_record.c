#include "tls_record.h"

#include <string.h>

#define TLS_HS_BUF_MIN 4096u /* first buffer for a fragmented handshake message */

bool tls_record_header_plausible(const uint8_t *p, size_t n)
{
    if (p == NULL || n < TLS_RECORD_HDR)
        return false;
    uint8_t type = p[0];
    if (type < TLS_CT_CHANGE_CIPHER_SPEC || type > TLS_CT_HEARTBEAT)
        return false;
    if (p[1] != 3 || p[2] > 4)
        return false;
    size_t len = (size_t)p[3] << 8 | p[4];
    return len >= 1 && len <= TLS_RECORD_BODY_MAX;
}

void tls_hs_init(struct tls_hs_asm *a, size_t hs_max)
{
    memset(a, 0, sizeof *a);
    a->hs_max = hs_max;
}

void tls_hs_reset(struct tls_hs_asm *a, const struct tls_rec_ops *ops)
{
    (void)ops;
    a->hdr_have = 0;
    a->msg_len = 0;
    a->msg_have = 0;
    a->skipping = false;
}

void tls_hs_release(struct tls_hs_asm *a, const struct tls_rec_ops *ops)
{
    if (a->buf != NULL)
        ops->grow(ops->ctx, a->buf, a->buf_size, 0);
    a->buf = NULL;
    a->buf_size = 0;
    tls_hs_reset(a, ops);
}

/* RFC 8446 4: struct { HandshakeType msg_type; uint24 length; body } */
enum pr_status tls_hs_feed(struct tls_hs_asm *a, const struct tls_rec_ops *ops, const uint8_t *p,
                           size_t n)
{
    enum pr_status st = PR_OK;
    while (n > 0) {
        if (a->hdr_have < sizeof a->hdr) {
            a->hdr[a->hdr_have++] = *p++;
            n--;
            if (a->hdr_have < sizeof a->hdr)
                continue;
            a->msg_len = (size_t)a->hdr[1] << 16 | (size_t)a->hdr[2] << 8 | a->hdr[3];
            a->msg_have = 0;
            a->skipping = false;
            if (a->msg_len > a->hs_max) { /* [TLS-HS-CAP] */
                a->skipping = true;
                st = PR_LIMIT;
                ops->anomaly(ops->ctx, "tls.handshake_too_large", PR_LIMIT);
            }
            if (a->msg_len == 0) {
                ops->handshake(ops->ctx, a->hdr[0], p, 0);
                a->hdr_have = 0;
            }
            continue;
        }
        size_t want = a->msg_len - a->msg_have;
        size_t m = n < want ? n : want;
        if (a->skipping) {
            /* counted once above; bytes are dropped */
        } else if (a->msg_have == 0 && m == a->msg_len) {
            /* whole body present: no copy */
            ops->handshake(ops->ctx, a->hdr[0], p, m);
        } else {
            if (a->buf_size < a->msg_have + m) {
                /* [TLS-HS-GROW] grow with the bytes that arrived (doubling), never to the
                 * length the header claims up front: a peer announcing 2 MiB that sends
                 * 16 KiB and stalls costs about 32 KiB, not 2 MiB */
                size_t ns = a->buf_size > TLS_HS_BUF_MIN ? a->buf_size : TLS_HS_BUF_MIN;
                while (ns < a->msg_have + m)
                    ns = ns > a->msg_len / 2 ? a->msg_len : ns * 2;
                if (ns > a->msg_len)
                    ns = a->msg_len;
                uint8_t *nb = ops->grow(ops->ctx, a->buf, a->buf_size, ns);
                if (nb == NULL) {
                    a->skipping = true;
                    st = PR_LIMIT;
                    ops->anomaly(ops->ctx, "tls.handshake_memcap", PR_LIMIT);
                } else {
                    a->buf = nb;
                    a->buf_size = ns;
                }
            }
            if (!a->skipping) {
                memcpy(a->buf + a->msg_have, p, m);
                if (a->msg_have + m == a->msg_len)
                    ops->handshake(ops->ctx, a->hdr[0], a->buf, a->msg_len);
            }
        }
        a->msg_have += m;
        p += m;
        n -= m;
        if (a->msg_have == a->msg_len)
            tls_hs_reset(a, ops);
    }
    return st;
}

void tls_rec_init(struct tls_rec_dir *d, size_t hs_max)
{
    memset(d, 0, sizeof *d);
    d->sslv2_ok = true;
    tls_hs_init(&d->hs, hs_max);
}

void tls_rec_gap(struct tls_rec_dir *d, const struct tls_rec_ops *ops)
{
    d->hdr_have = 0;
    d->in_body = false;
    d->body_left = 0;
    d->alert_have = 0;
    d->rec_have = 0;
    d->desync = true;
    tls_hs_reset(&d->hs, ops);
}

void tls_rec_release(struct tls_rec_dir *d, const struct tls_rec_ops *ops)
{
    tls_hs_release(&d->hs, ops);
    if (d->rec != NULL)
        ops->grow(ops->ctx, d->rec, d->rec_size, 0);
    d->rec = NULL;
    d->rec_size = 0;
    d->rec_have = 0;
}

/* A record header is complete in d->hdr: validate and enter the body. */
static enum pr_status rec_begin(struct tls_rec_dir *d, const struct tls_rec_ops *ops)
{
    const uint8_t *h = d->hdr;
    /* SSLv2-framed ClientHello (RFC 6101 E.2 / RFC 5246 E.2): 2-byte header
     * with the high bit set, msg_type 1, then version 3.x. Skipped whole. */
    if (d->records == 0 && d->sslv2_ok && (h[0] & 0x80) && h[2] == 1 && h[3] == 3) {
        size_t len = (size_t)(h[0] & 0x7f) << 8 | h[1];
        if (len < 3 + 6) {
            ops->anomaly(ops->ctx, "tls.sslv2_hello_malformed", PR_MALFORMED);
            return PR_MALFORMED;
        }
        d->type = 0;
        d->version = 0x0002;
        d->body_len = len;
        d->body_left = len - 3; /* 3 body bytes are already in hdr */
        d->in_body = true;
        return PR_OK;
    }
    d->sslv2_ok = false;
    size_t len = (size_t)h[3] << 8 | h[4];
    bool empty_appdata = h[0] == TLS_CT_APPLICATION_DATA && h[1] == 3 && h[2] <= 4 && len == 0;
    if (!empty_appdata && !tls_record_header_plausible(h, TLS_RECORD_HDR)) { /* [TLS-REC-LEN] */
        ops->anomaly(ops->ctx, "tls.record_malformed", PR_MALFORMED);
        return PR_MALFORMED;
    }
    d->type = h[0];
    d->version = (uint16_t)(h[1] << 8 | h[2]);
    d->body_len = len;
    d->body_left = len;
    d->rec_have = 0;
    d->in_body = true;
    d->alert_have = 0;
    return PR_OK;
}

static void rec_protected(struct tls_rec_dir *d, const struct tls_rec_ops *ops, const uint8_t *p,
                          size_t m, bool last)
{
    if (!d->want_protected) {
        if (last)
            ops->protected_record(ops->ctx, d->type, d->version, NULL, d->body_len);
        return;
    }
    if (d->rec_have == 0 && last && m == d->body_len) {
        ops->protected_record(ops->ctx, d->type, d->version, p, m);
        return;
    }
    if (d->rec == NULL) {
        d->rec = ops->grow(ops->ctx, NULL, 0, TLS_RECORD_BODY_MAX);
        if (d->rec == NULL) {
            ops->anomaly(ops->ctx, "tls.record_memcap", PR_LIMIT);
            d->want_protected = false;
            return;
        }
        d->rec_size = TLS_RECORD_BODY_MAX;
    }
    memcpy(d->rec + d->rec_have, p, m); /* body_len <= TLS_RECORD_BODY_MAX */
    d->rec_have += m;
    if (last) {
        ops->protected_record(ops->ctx, d->type, d->version, d->rec, d->rec_have);
        d->rec_have = 0;
    }
}

static void rec_body(struct tls_rec_dir *d, const struct tls_rec_ops *ops, const uint8_t *p,
                     size_t m, bool last)
{
    switch (d->type) {
    case 0: /* SSLv2 hello: skipped */
        break;
    case TLS_CT_CHANGE_CIPHER_SPEC:
        if (d->protect) {
            /* RFC 5746: a renegotiation's CCS travels under the current keys */
            rec_protected(d, ops, p, m, last);
            break;
        }
        if (last) {
            d->protect = true;
            ops->ccs(ops->ctx);
        }
        break;
    case TLS_CT_ALERT:
        if (d->protect) {
            rec_protected(d, ops, p, m, last);
            break;
        }
        for (size_t i = 0; i < m && d->alert_have < 2; i++)
            d->alert[d->alert_have++] = p[i];
        if (last && d->alert_have == 2)
            ops->alert(ops->ctx, d->alert[0], d->alert[1]);
        break;
    case TLS_CT_HANDSHAKE:
        if (d->protect) {
            rec_protected(d, ops, p, m, last);
            break;
        }
        tls_hs_feed(&d->hs, ops, p, m);
        break;
    case TLS_CT_APPLICATION_DATA:
        rec_protected(d, ops, p, m, last);
        break;
    default: /* heartbeat */
        break;
    }
}

enum pr_status tls_rec_feed(struct tls_rec_dir *d, const struct tls_rec_ops *ops,
                            const uint8_t *p, size_t n)
{
    if (d->desync) {
        /* resynchronise only where a plausible header starts a chunk */
        if (!tls_record_header_plausible(p, n))
            return PR_MALFORMED;
        d->desync = false;
        d->sslv2_ok = false;
    }
    while (n > 0) {
        if (!d->in_body) {
            d->hdr[d->hdr_have++] = *p++;
            n--;
            if (d->hdr_have < TLS_RECORD_HDR)
                continue;
            d->hdr_have = 0;
            if (rec_begin(d, ops) != PR_OK) {
                d->desync = true;
                tls_hs_reset(&d->hs, ops);
                return PR_MALFORMED;
            }
            d->bytes += TLS_RECORD_HDR;
            if (d->body_left > 0)
                continue;
            /* zero-length record (only plausible for application data) */
            rec_body(d, ops, p, 0, true);
            d->in_body = false;
            d->records++;
            continue;
        }
        size_t m = n < d->body_left ? n : d->body_left;
        d->body_left -= m;
        rec_body(d, ops, p, m, d->body_left == 0);
        d->bytes += m;
        p += m;
        n -= m;
        if (d->body_left == 0) {
            d->in_body = false;
            d->records++;
        }
    }
    return PR_OK;
}
