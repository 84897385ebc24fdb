/* Certificate hygiene checks on one TLS session record.
 *
 * Every finding is reported through the check sink (rules/check.h). The
 * checks read the per-certificate analysis (struct cs_cert_info, filled by
 * x509_analyse); a certificate whose analysis is missing or unparsed is
 * skipped. Only the hostname check parses the server leaf again (d2i_X509)
 * to see every subjectAltName, not just the CS_SAN_MAX the analysis keeps.
 * Times are compared with the capture time t->ts_us, never the wall clock.
 *
 * check id                category sev sid      what
 * validity.expired        hygiene   2  2100220  capture time after notAfter (any certificate,
 *                                               both chains)
 * validity.not_yet_valid  hygiene   2  2100221  capture time before notBefore (any certificate)
 * validity.too_long       hygiene   3  2100222  leaf validity > max_validity_days (server leaf;
 *                                               client leaf only with long_validity_client)
 * leaf.self_signed        mitm      2  2100223  the server leaf is self-signed
 * key.weak                hygiene   2  2100224  RSA/DSA < 2048 bits, EC < 224 bits (any cert)
 * sig.md5                 hygiene   1  2100225  signed with MD5 (or MD2, MD4, SHA-0)
 * sig.sha1                hygiene   3  2100226  signed with SHA-1
 *                                               (sig.*: never for self-signed certificates)
 * hostname.mismatch       mitm      2  2100227  SNI not matched by the server leaf (RFC 6125)
 *
 * Pure: no I/O, no globals; the OpenSSL error queue is left as found. */
#ifndef CS_RULES_HYGIENE_H
#define CS_RULES_HYGIENE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"

#define HYGIENE_SID_EXPIRED 2100220u
#define HYGIENE_SID_NOT_YET_VALID 2100221u
#define HYGIENE_SID_TOO_LONG 2100222u
#define HYGIENE_SID_SELF_SIGNED_LEAF 2100223u
#define HYGIENE_SID_WEAK_KEY 2100224u
#define HYGIENE_SID_SIG_MD5 2100225u
#define HYGIENE_SID_SIG_SHA1 2100226u
#define HYGIENE_SID_HOSTNAME 2100227u

/* CA/Browser Forum Baseline Requirements 6.3.2 (certificates issued
 * after 2020-09-01). */
#define HYGIENE_MAX_VALIDITY_DAYS 398

struct hygiene_opts {
    bool expired, not_yet_valid, long_validity, self_signed_leaf, weak_key, weak_sig, hostname;
    bool long_validity_client; /* also apply validity.too_long to the client leaf (default off:
                                  long-lived client certificates are ordinary) */
    int64_t max_validity_days; /* <= 0 disables validity.too_long */
};

/* Every check on, max_validity_days = HYGIENE_MAX_VALIDITY_DAYS,
 * long_validity_client off. */
void hygiene_opts_default(struct hygiene_opts *opts);

/* Run the enabled checks; opts NULL means the defaults. */
void hygiene_check(const struct hygiene_opts *opts, const struct cs_tls *t,
                   const struct check_out *o);

/* RFC 6125 6.4 matching of a presented DNS identifier (pattern, plen bytes)
 * against a reference host name (host, hlen bytes), ASCII case-insensitive,
 * one trailing dot ignored on either side. A wildcard matches only when it
 * is the whole left-most label ("*.example.com"), stands for exactly one
 * non-empty label of letters, digits, '-' and '_', is followed by at least
 * two labels (never "*.com"), and the host is not an IP address. Partial-label wildcards
 * ("f*.example.com",
 * "*x.example.com") and any other '*' never match. Empty labels, NUL bytes
 * and empty strings never match. */
bool hygiene_host_match(const char *pattern, size_t plen, const char *host, size_t hlen);

/* Whether pattern is usable as a host pattern for hygiene_host_match: a
 * syntactically plain DNS name (letters, digits, '-', '_', '.'), optionally
 * with "*." as the whole left-most label followed by at least two labels. */
bool hygiene_host_pattern_valid(const char *pattern, size_t plen);

#endif
