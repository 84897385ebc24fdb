/* Known TLS-inspection (interception proxy) issuers.
 *
 * A list of certificate-name substrings and thumbprints of the CAs that
 * TLS-inspection products (firewalls, secure web gateways, antivirus "web
 * shields") use to re-sign intercepted sessions. A session whose server or
 * client chain holds a matching certificate is reported once per chain.
 *
 * List format (rules/interception-issuers.txt is the shipped example), one
 * entry a line, '#' starts a comment, blank lines are ignored:
 *   name "SUBSTRING"       ASCII case-insensitive substring of the issuer DN
 *                          of any sent certificate, or of the subject DN of a
 *                          sent CA certificate (cA or self-signed); the DN
 *                          text is the RFC 4514 string the events print.
 *                          Leaf subjects are not searched, so the vendor's
 *                          own web site does not match its name.
 *   sha256 HEX             SHA-256 of a sent certificate (the product's CA)
 *   spki-sha256 HEX        SPKI SHA-256 of a sent certificate
 * HEX is 64 hex digits, optionally colon-separated.
 *
 * check id                category  sev  sid
 * intercept.known_issuer   mitm      2   2100250
 * The alert's source is "file:line" of the matching entry.
 *
 * No I/O, no globals. */
#ifndef CS_RULES_INTERCEPT_H
#define CS_RULES_INTERCEPT_H

#include <stdbool.h>
#include <stddef.h>

#include "check.h"
#include "status.h"

#define INTERCEPT_SID_KNOWN_ISSUER 2100250u
#define INTERCEPT_MAX 10000       /* entries per list */
#define INTERCEPT_PATTERN_MAX 256 /* bytes per name pattern */

struct intercept_list;

/* NULL when out of memory; pair with intercept_free (NULL is fine). */
struct intercept_list *intercept_new(void);
void intercept_free(struct intercept_list *il);

/* Parse text (len bytes, need not be NUL-terminated) and add its entries.
 * All or nothing; errors as "NAME:LINE: what (expected ...)". Returns
 * PR_OK, PR_MALFORMED, or PR_LIMIT (caps above, out of memory). */
enum pr_status intercept_load(struct intercept_list *il, const char *name, const char *text,
                              size_t len, char *err, size_t errlen);

size_t intercept_count(const struct intercept_list *il);

void intercept_check(const struct intercept_list *il, const struct cs_tls *t,
                     const struct check_out *o);

#endif
