/* certgen: one real OpenSSL TLS session, client and server in memory, with every
 * byte that crosses written to a simulated TCP connection.
 *
 * The certificates each side sends are exactly the configured chains; tls_run()
 * checks that three ways (configured chain == bytes of the Certificate message
 * OpenSSL reports sending == chain the peer received) and fails otherwise. */
#ifndef CERTGEN_TLSRUN_H
#define CERTGEN_TLSRUN_H

#include "dialog.h"
#include "pki.h"
#include "tcpsim.h"
#include "util.h"

#define TLS_MAX_CHAIN 8     /* certificates per configured chain */
#define TLS_MAX_CERT_MSGS 4 /* Certificate messages per session */

struct tls_params {
    int version;                     /* TLS1_2_VERSION or TLS1_3_VERSION */
    const char *cipher;              /* 1.2: cipher list; 1.3: ciphersuites; NULL: default */
    const char *groups;              /* NULL: "X25519:P-256" */
    const char *sni;                 /* also the name the client verifies */
    const enum pki_id *server_chain; /* leaf first, PKI_NONE-terminated, non-empty */
    const enum pki_id *client_chain; /* NULL or empty: no client certificate requested */
    const struct dialog *dialog;
    unsigned cert_flight_tricks; /* TCP_TRICK_* for the server flight carrying Certificate */
    int64_t verify_time;         /* both peers verify as of this time (seconds) */
    /* TLS 1.3: the server accepts only P-256 while the client's key share is X25519, so
     * it sends a HelloRetryRequest; tls_run() fails if none is sent. */
    bool hrr;
    /* TLS 1.2: after the dialog's first exchange the client renegotiates (a full
     * handshake, encrypted under the first session's keys). */
    bool renegotiate;
    /* Mutual TLS 1.2 where the server rejects the client's certificate: its verify
     * callback fails with X509_V_ERR_CERT_REVOKED, so OpenSSL sends a fatal
     * certificate_revoked alert (RFC 5246 7.2.2) and both sides abort; no application
     * data, no close_notify, the server closes the TCP connection first. */
    bool reject_client_cert;
};

struct tls_cert_msg {
    enum tcp_dir dir; /* sender */
    /* Sent under record protection (TLS 1.3, or TLS 1.2 after this side's
     * ChangeCipherSpec: a renegotiation): visible only with the key log. */
    bool encrypted;
    uint16_t record_version;          /* outer version of the record that ends the message */
    uint64_t end;                     /* TCP stream offset just past that record */
    size_t frame;                     /* frame in which [0, end) of dir is first complete */
    enum pki_id chain[TLS_MAX_CHAIN]; /* as sent, leaf first */
    size_t n_certs;
    struct buf raw; /* the handshake message as OpenSSL sent it (plaintext) */
};

struct tls_result {
    struct tls_cert_msg msgs[TLS_MAX_CERT_MSGS];
    size_t n_msgs;
    struct buf keylog;    /* NSS key log lines (client side), '\n'-terminated */
    char version[16];     /* e.g. "TLSv1.3" */
    char cipher[64];      /* OpenSSL cipher name */
    long client_verify;   /* X509_V_* of the server chain, as the client saw it */
    long server_verify;   /* ... of the client chain, as the server saw it; -1: none */
    size_t server_hellos; /* ServerHello messages the server sent (an HRR is one) */
    bool hello_retry;     /* TLS 1.3: the server sent a HelloRetryRequest */
    bool renegotiated;    /* TLS 1.2: a second handshake completed inside the first */
    /* First alert each side wrote, indexed by enum tcp_dir of the sender; level 0: none */
    uint8_t alert_level[2];
    uint8_t alert_desc[2];
    bool rejected; /* reject_client_cert: the handshake ended in the server's fatal alert */
};

/* Runs the TCP open, the dialog's cleartext part, the handshake, the dialog's
 * inner part (with p->renegotiate: its first exchange, the renegotiation, the
 * rest), both close_notify alerts and the TCP close, all on conn.
 * 0 on success; on failure prints why. r must be zeroed; tls_result_free() after. */
int tls_run(struct tcp_conn *conn, const struct pki *pki, const struct tls_params *p,
            struct tls_result *r);
void tls_result_free(struct tls_result *r);

#endif
