/* Trust check: does a sent chain verify to a configured root at the time
 * it was captured?
 *
 * A trust store holds roots (trust anchors; the CLI loads --ca-file, the
 * files of a directory, or by default /etc/ssl/certs/ca-certificates.crt)
 * and an optional set of intermediates that may complete chains whose
 * server forgot to send them. Both are loaded once, before checking, and
 * are immutable afterwards: checks on distinct sessions may then run in
 * parallel on one store.
 *
 * Verification uses OpenSSL's X509_STORE_CTX with the sent certificates
 * (positions 1..) plus the intermediates as untrusted, purpose SSL server
 * for the server chain and SSL client for the client chain, and the capture
 * time of the session (t->ts_us / 10^6, X509_V_FLAG_USE_CHECK_TIME), never
 * the wall clock. Expiry (X509_V_ERR_CERT_HAS_EXPIRED, _NOT_YET_VALID) is
 * ignored by the verify callback and counted, so that it never masks a
 * trust problem: validity is the hygiene module's business. Any certificate
 * in the root store is an anchor (X509_V_FLAG_PARTIAL_CHAIN).
 *
 * check id                    category sev  sid      when
 * trust.untrusted_root         mitm     2  2100210  the path ends at a certificate that is not
 *                                                   a configured root: self-signed leaf or chain
 *                                                   top, unable to get (local) issuer, untrusted
 *                                                   or rejected
 * trust.missing_intermediate   hygiene  3  2100211  unable to get local issuer at depth 0 and no
 *                                                   sent certificate (nor stored intermediate) is
 *                                                   the leaf's issuer: needs AIA fetching
 * trust.invalid                mitm     2  2100212  a path to a root was built but does not verify
 *                                                   (signature failure, not a CA, purpose, path
 *                                                   length, ...)
 * Evidence carries OpenSSL's verify error string, its number and depth.
 *
 * No I/O, no globals; the OpenSSL error queue is left as found. */
#ifndef CS_RULES_TRUST_H
#define CS_RULES_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "status.h"

#define TRUST_SID_UNTRUSTED_ROOT 2100210u
#define TRUST_SID_MISSING_INTERMEDIATE 2100211u
#define TRUST_SID_INVALID 2100212u

#define TRUST_MAX_CERTS 100000 /* per store (roots, intermediates) */
#define TRUST_PATH_MAX 24      /* path entries reported by trust_verify */

struct trust_store;

/* NULL when out of memory. Pair with trust_free (NULL is fine). */
struct trust_store *trust_new(void);
void trust_free(struct trust_store *ts);

/* Add every certificate of a PEM text (labels CERTIFICATE, X509
 * CERTIFICATE, TRUSTED CERTIFICATE; other PEM blocks such as keys or CRLs
 * are skipped) as roots. pem need not be NUL-terminated. All or nothing:
 * on error nothing from this text is added. Returns PR_OK; PR_MALFORMED
 * with "NAME:LINE: what" in err (certificate that does not parse, BEGIN
 * without END, or "NAME: no PEM certificate found"); PR_LIMIT past
 * TRUST_MAX_CERTS or for texts over INT_MAX bytes. err may be NULL. Adding
 * a certificate already present is not an error. */
enum pr_status trust_add_pem(struct trust_store *ts, const char *name, const char *pem, size_t len,
                             char *err, size_t errlen);

/* The same for the optional intermediate store (untrusted: used to build
 * paths, never an anchor). */
enum pr_status trust_add_intermediates_pem(struct trust_store *ts, const char *name,
                                           const char *pem, size_t len, char *err, size_t errlen);

/* Distinct roots in the store; intermediates added (repeats included). */
size_t trust_root_count(const struct trust_store *ts);
size_t trust_intermediate_count(const struct trust_store *ts);

/* One certificate of the path OpenSSL built, leaf first. */
struct trust_path_entry {
    uint8_t sha256[32];      /* of the DER */
    uint8_t spki_sha256[32]; /* of the SubjectPublicKeyInfo DER (as x509_analyse) */
    int sent_index;          /* position in the sent chain, -1 when from a store */
    bool from_roots;         /* taken from the root store (a trust anchor) */
    bool self_signed;        /* subject == issuer and the signature verifies with its key */
};

struct trust_result {
    int error;                  /* X509_V_OK, or the X509_V_ERR_* that ended verification */
    int error_depth;            /* path position the error is about; -1 when none */
    const char *error_text;     /* OpenSSL's static string for error */
    size_t time_errors_ignored; /* expiry errors the callback ignored */
    bool leaf_issuer_sent;      /* a sent certificate other than #0 has the leaf's issuer name */
    bool anchored;              /* the path ends at a certificate from the root store */
    size_t path_len;            /* entries in path (<= TRUST_PATH_MAX) */
    bool path_truncated;        /* the built path was longer */
    size_t path_linked;         /* leading entries each signed by the next one (all when
                                   verification succeeded) */
    struct trust_path_entry path[TRUST_PATH_MAX];
};

/* Build and verify one chain of t (client false: the server chain) at the
 * capture time. ts may be NULL (an empty store: nothing is trusted, but the
 * path and its links are still reported). Returns PR_OK when the chain was
 * verified, whatever the outcome (see r->error); PR_UNSUPPORTED when the
 * chain is empty or its leaf does not parse (r zeroed, error_depth -1);
 * PR_LIMIT when OpenSSL could not allocate. */
enum pr_status trust_verify(const struct trust_store *ts, const struct cs_tls *t, bool client,
                            struct trust_result *r);

/* Verify the server chain and, when present, the client chain; report as
 * in the table above. Does nothing when ts is NULL or holds no root. */
void trust_check(const struct trust_store *ts, const struct cs_tls *t, const struct check_out *o);

#endif
