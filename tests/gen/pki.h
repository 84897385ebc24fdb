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
    PKI_COUNT
};

enum pki_alg { PKI_ALG_EC_P256, PKI_ALG_RSA_2048 };

enum pki_role { PKI_ROLE_CA, PKI_ROLE_SERVER, PKI_ROLE_CLIENT };

/* flags */
#define PKI_F_BAD_SIGNATURE 0x1u /* flip the last bit of the signature after signing */

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

#endif
