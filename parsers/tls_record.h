/* TLS record layer and handshake message assembly, one direction.
 *
 * A stateful driver in a caller-owned struct: fed the byte stream of one
 * direction in any chunking, it frames records (RFC 5246 6.2, RFC 8446
 * 5.1), reassembles handshake messages across records and chunks (RFC 5246
 * 6.2.1: messages may be fragmented and coalesced) and calls back once per
 * complete message, per ChangeCipherSpec, per alert and per protected
 * record. Every split of the same bytes gives the same callbacks.
 *
 * Memory: a handshake message that is not contiguous in one chunk is
 * copied into a buffer obtained through ops->grow (the caller charges its
 * memcap), grown as its bytes arrive (never to the announced length up
 * front) and capped at `hs_max`; a longer message is skipped and reported
 * with PR_LIMIT. Protected records are delivered whole only when the caller
 * asks for them (`want_protected`), through a second bounded buffer. */
#ifndef CS_PARSERS_TLS_RECORD_H
#define CS_PARSERS_TLS_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

enum tls_content_type {
    TLS_CT_CHANGE_CIPHER_SPEC = 20,
    TLS_CT_ALERT = 21,
    TLS_CT_HANDSHAKE = 22,
    TLS_CT_APPLICATION_DATA = 23,
    TLS_CT_HEARTBEAT = 24,
};

#define TLS_RECORD_HDR 5
#define TLS_RECORD_BODY_MAX (16384u + 2048u) /* RFC 5246 6.2.3 */

struct tls_rec_ops {
    /* one complete handshake message: type and body (borrowed) */
    void (*handshake)(void *ctx, uint8_t type, const uint8_t *body, size_t len);
    void (*ccs)(void *ctx);
    void (*alert)(void *ctx, uint8_t level, uint8_t desc);
    /* a protected record (after CCS, or any application_data record):
     * header fields and, when want_protected is set, the whole body */
    void (*protected_record)(void *ctx, uint8_t type, uint16_t version, const uint8_t *body,
                             size_t len);
    /* something was wrong: a stable anomaly identifier */
    void (*anomaly)(void *ctx, const char *type, enum pr_status st);
    /* (re)allocate a buffer; new_size 0 frees; returns NULL on refusal */
    void *(*grow)(void *ctx, void *p, size_t old_size, size_t new_size);
    void *ctx;
};

/* Handshake message assembly, usable on its own for decrypted plaintext. */
struct tls_hs_asm {
    uint8_t hdr[4];
    uint8_t hdr_have;
    size_t msg_len;     /* body length from the header */
    size_t msg_have;    /* body bytes buffered or skipped */
    bool skipping;      /* message over the cap: bytes are dropped */
    uint8_t *buf;
    size_t buf_size;
    size_t hs_max;
};

struct tls_rec_dir {
    uint8_t hdr[TLS_RECORD_HDR];
    uint8_t hdr_have;
    bool in_body;
    uint8_t type;
    uint16_t version;
    size_t body_left;
    size_t body_len;
    bool protect;        /* CCS seen (or told): handshake records are opaque */
    bool want_protected; /* deliver protected records whole */
    bool desync;         /* lost framing: wait for a plausible header */
    bool sslv2_ok;       /* an SSLv2-framed ClientHello may start the stream */
    uint8_t alert[2];
    uint8_t alert_have;
    uint8_t *rec;        /* protected record assembly (want_protected) */
    size_t rec_have;
    size_t rec_size;
    struct tls_hs_asm hs;
    uint64_t records, bytes;
};

void tls_rec_init(struct tls_rec_dir *d, size_t hs_max);
/* Feed stream bytes. Returns PR_OK, or PR_MALFORMED when framing was lost
 * (the driver then looks for a new plausible record header at each later
 * chunk start). */
enum pr_status tls_rec_feed(struct tls_rec_dir *d, const struct tls_rec_ops *ops,
                            const uint8_t *p, size_t n);
/* Bytes were lost (capture gap): drop partial state and resynchronise. */
void tls_rec_gap(struct tls_rec_dir *d, const struct tls_rec_ops *ops);
/* Free buffers (through ops->grow). */
void tls_rec_release(struct tls_rec_dir *d, const struct tls_rec_ops *ops);

void tls_hs_init(struct tls_hs_asm *a, size_t hs_max);
enum pr_status tls_hs_feed(struct tls_hs_asm *a, const struct tls_rec_ops *ops, const uint8_t *p,
                           size_t n);
void tls_hs_reset(struct tls_hs_asm *a, const struct tls_rec_ops *ops);
/* Free the assembly buffer (through ops->grow) and reset. */
void tls_hs_release(struct tls_hs_asm *a, const struct tls_rec_ops *ops);

/* true if p[0..n) starts with a plausible TLS record header (n >= 5):
 * known content type, version 3.0-3.4 (or 0x0301-0x0304), body length
 * 1..TLS_RECORD_BODY_MAX. */
bool tls_record_header_plausible(const uint8_t *p, size_t n);

#endif
