/* certgen: the test PKI, built in-process with OpenSSL from one table.
 *
 * Every certificate is one row of pki_specs[] in pki.c. To add a certificate
 * for a new scenario (expired leaf, wrong issuer, broken signature, hostname
 * mismatch, ...) add an id below and one row to the table; rows may only name
 * issuers and signers that come earlier in the table.
 *
 * Determinism: with detrand installed and seeded the same way, pki_build()
 * gives byte-identical keys and certificates. */
#ifndef CERTGEN_PKI_H
#define CERTGEN_PKI_H

#include "util.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

enum pki_id {
    PKI_NONE = 0, /* terminator of chains; "self" for issuer; "issuer's key" for signer */
    PKI_ROOT_EC,
    PKI_INT_EC,
    PKI_SRV_EC,
    PKI_CLI_EC,
    PKI_ROOT_RSA,
    PKI_INT_RSA,
    PKI_SRV_RSA,
    PKI_SELF_EC,
    PKI_SRV_EXCHANGE, /* Exchange Online names (outlook.office365.com), under int-rsa */
    /* Attack and hygiene samples (after the rows above, so adding them changed no
     * earlier certificate). A second, untrusted CA with the names of the EC one: */
    PKI_EVIL_ROOT_EC,
    PKI_EVIL_INT_EC,
    PKI_EVIL_SRV_EC,
    PKI_FORGED_EC,    /* names int-ec as issuer (name and AKI), signed by evil-int-ec's key */
    PKI_SELF_WWW_EC,  /* self-signed www.example.test */
    PKI_OTHER_EC,     /* int-ec issued, for other.test only */
    PKI_EXPIRED_EC,   /* int-ec issued, expired 2024-12-31T23:30:00Z */
    PKI_NOTYET_EC,    /* int-ec issued, valid from 2025-07-01 */
    PKI_SRV_RSA1024,  /* int-rsa issued, RSA-1024 key */
    PKI_SRV_SHA1,     /* int-rsa issued, sha1WithRSAEncryption, srv-rsa's key */
    PKI_SRV_MD5,      /* int-rsa issued, md5WithRSAEncryption, srv-rsa's key */
    PKI_FORTI_INT_EC, /* "FortiGate CA", issued by evil-root-ec */
    PKI_FORTI_SRV_EC, /* www.example.test issued by the "FortiGate CA" */
    PKI_COUNT
};

enum pki_alg { PKI_ALG_EC_P256, PKI_ALG_RSA_2048, PKI_ALG_RSA_1024 };

enum pki_role { PKI_ROLE_CA, PKI_ROLE_SERVER, PKI_ROLE_CLIENT };

/* flags */
#define PKI_F_BAD_SIGNATURE 0x1u /* flip the last bit of the signature after signing */
/* a self-issued CA nobody trusts: not in the peers' stores, not in certgen-roots.pem */
#define PKI_F_UNTRUSTED 0x2u

#define PKI_MAX_DNS 4

struct pki_spec {
    enum pki_id id;               /* must equal the row's index */
    const char *name;             /* short label for logs and docs, e.g. "srv-ec" */
    enum pki_alg alg;             /* key type; ignored if key_from is set */
    enum pki_role role;           /* selects basicConstraints / keyUsage / extKeyUsage */
    enum pki_id issuer;           /* issuer name and AKI come from it; PKI_NONE: self-issued */
    enum pki_id signer;           /* whose key signs; PKI_NONE: the issuer's (own if self-issued) */
    enum pki_id key_from;         /* reuse that row's key pair; PKI_NONE: generate one */
    const char *cn;               /* subject CN; the subject is CN=<cn>,O=<PKI_ORG> */
    const char *dns[PKI_MAX_DNS]; /* subjectAltName dNSName entries; unused slots NULL */
    const char *not_before;       /* "YYYYMMDDHHMMSSZ" */
    const char *not_after;
    const char *serial_hex; /* serial number, hex */
    unsigned flags;         /* PKI_F_* */
    const char *md;         /* signature digest ("sha1", "md5"); NULL: SHA-256 */
};

#define PKI_ORG "certsensor test PKI"

struct pki_cert {
    X509 *x509;    /* owned */
    EVP_PKEY *key; /* owned (a reference when key_from shares a key) */
};

struct pki {
    struct pki_cert cert[PKI_COUNT]; /* index PKI_NONE unused */
};

/* Row for id, or NULL if id is out of range. */
const struct pki_spec *pki_spec(enum pki_id id);

/* Builds every row, in table order. 0 on success; on failure prints why and
 * leaves *pki for pki_free(). */
int pki_build(struct pki *pki);
void pki_free(struct pki *pki);

/* The self-issued CA at the top of id's issuer chain, or PKI_NONE. */
enum pki_id pki_root_of(enum pki_id id);

/* A self-issued CA without PKI_F_UNTRUSTED: what the peers trust and what
 * certgen-roots.pem holds. */
bool pki_is_trusted_root(enum pki_id id);

/* OpenSSL's default security level (2 in Debian's build) refuses to send this
 * certificate (an RSA key under 2048 bits, a SHA-1 signature): the side sending
 * it runs at level 0. */
bool pki_needs_weak_security(enum pki_id id);

/* Writes the trusted roots (pki_is_trusted_root), in table order, as PEM to
 * path: the --ca-file under which every benign sample validates. 0 on success. */
int pki_write_roots(const struct pki *pki, const char *path);

#endif
