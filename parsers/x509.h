/* Certificate analysis with OpenSSL.
 *
 * "Extract certificate bytes" (tls_parse_certificate) is separate from
 * "analyse a certificate" (here). Thumbprints (SHA-1, SHA-256) are computed
 * on the raw DER first, so they exist even when OpenSSL rejects the bytes;
 * the SPKI SHA-256 is taken from the DER structure located with OpenSSL's
 * ASN.1 primitives when the full parse fails. No I/O, no globals. */
#ifndef CS_PARSERS_X509_H
#define CS_PARSERS_X509_H

#include <stddef.h>
#include <stdint.h>

#include "../sensor/certsensor.h" /* struct cs_cert_info: the public vocabulary */
#include "status.h"

#include <openssl/x509.h>

/* Largest DER handed to OpenSSL. Longer input still gets its thumbprints. */
#define X509_ANALYSE_MAX ((size_t)1024 * 1024)

/* Fill *out from der/len (der may be NULL only when len is 0); *out is
 * zeroed first and owns no pointers. Returns
 *   PR_OK        OpenSSL parsed exactly len bytes as one certificate;
 *   PR_MALFORMED OpenSSL did not parse it (parsed false, thumbprints and, when
 *                the SubjectPublicKeyInfo can be located, spki_sha256 filled),
 *                or bytes follow the certificate (parsed true, fields filled);
 *   PR_LIMIT     len > X509_ANALYSE_MAX: thumbprints and, when locatable,
 *                spki_sha256; nothing else.
 * Leaves the OpenSSL error queue as it found it. No globals, thread-safe. */
enum pr_status x509_analyse(const uint8_t *der, size_t len, struct cs_cert_info *out);

/* The same, and when OpenSSL parsed the bytes, hand the parsed object to
 * the caller in *keep (one reference; X509_free it) instead of freeing it. */
enum pr_status x509_analyse_keep(const uint8_t *der, size_t len, struct cs_cert_info *out,
                                 X509 **keep);

/* The parsed certificate of c as a new reference (X509_free it): the
 * sensor's cached object when there is one, else parsed from c->der now.
 * NULL when OpenSSL cannot parse it or it is over X509_ANALYSE_MAX. */
X509 *x509_parse(const struct cs_cert *c);

#endif
