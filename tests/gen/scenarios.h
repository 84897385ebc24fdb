/* certgen: the scenario table. One row = one capture file <name>.pcap.
 *
 * To add a scenario, add one row to scenario_table[] in scenarios.c (and, if it
 * needs a new certificate, one row to pki_specs[] in pki.c). */
#ifndef CERTGEN_SCENARIOS_H
#define CERTGEN_SCENARIOS_H

#include "dialog.h"
#include "pki.h"
#include "tlsrun.h"
#include "util.h"

struct scenario {
    const char *name;     /* capture is <name>.pcap(ng); also seeds its randomness */
    const char *category; /* MANIFEST.tsv category (same vocabulary as ../shared/pcaps) */
    const char *notes;    /* MANIFEST.tsv notes and --list text */
    int tls_version;      /* TLS1_2_VERSION or TLS1_3_VERSION */
    const char *cipher;   /* 1.2 cipher list or 1.3 ciphersuites; NULL: OpenSSL default */
    enum pki_id server_chain[TLS_MAX_CHAIN]; /* leaf first; unused slots PKI_NONE */
    enum pki_id client_chain[TLS_MAX_CHAIN]; /* empty: no client certificate */
    const struct dialog *dialog;             /* NULL: dialog_https */
    const char *sni; /* server_name sent and verified; NULL: "www.example.test" */
    bool ipv6;
    uint16_t vlan_id; /* non-zero: 802.1Q tag with this VLAN id */
    size_t mss;       /* TCP payload per segment; 0: 1460 */
    unsigned tricks;  /* TCP_TRICK_* on the server flight carrying its Certificate */
    bool keylog;      /* write <name>.pcap.keys (always done for TLS 1.3) */
    bool hrr;         /* TLS 1.3: server takes only P-256, client's key share is X25519 */
    bool renegotiate; /* TLS 1.2: client renegotiates after the first request/response */
    bool pcapng_dsb;  /* write <name>.pcapng with the key log in a Decryption Secrets
                       * Block before the packets, and no .keys file */
    bool extra;       /* only made when named on the command line */
    /* TLS 1.2 mutual TLS: the server rejects the client chain with a fatal
     * certificate_revoked alert; the handshake never completes */
    bool reject_client_cert;
};

extern const struct scenario scenario_table[];
extern const size_t scenario_count;

/* Row named name, or NULL. */
const struct scenario *scenario_find(const char *name);

/* The capture's file name, <name>.pcap or <name>.pcapng, into out; -1 if it does not fit. */
int scenario_file(const struct scenario *s, char *out, size_t outsz);

#endif
