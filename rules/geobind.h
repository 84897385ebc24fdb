/* Geographic binding rules: "this certificate may only be presented from /
 * to these ASNs or countries".
 *
 * File format (UTF-8 text, one rule per line, '#' starts a comment at the
 * start of a line or of a token, blank lines ignored, CRLF accepted):
 *
 *   MATCH ROLE [allow-asn LIST] [allow-country LIST] [strict]
 *
 *   MATCH   sha256:<64 hex>        SHA-256 of the certificate DER
 *           spki:<64 hex>          SHA-256 of its SubjectPublicKeyInfo
 *           subject:"substring"    in the RFC 4514 subject, ASCII case-insensitive
 *           issuer:"substring"     in the RFC 4514 issuer, ASCII case-insensitive
 *           (hex may be upper or lower case and may have ':' between bytes;
 *            in quotes, \" and \\ are the only escapes)
 *   ROLE    server | client | any  which chain the certificate must be in; a
 *           server certificate is bound by the SERVER address, a client
 *           certificate by the CLIENT address
 *   LIST    comma-separated, no spaces: ASNs as 8075 or AS8075; countries as
 *           ISO 3166-1 alpha-2 codes (US, ie)
 *   strict  also alert when the address cannot be placed (no database hit)
 *
 * At least one of allow-asn / allow-country is required. The allowed set is
 * the union: an address is inside it when its ASN is listed or its country
 * is listed. It is outside when every listed dimension is known for the
 * address and none matches; when a listed dimension is unknown and no known
 * one matches, the location is undetermined, and only a strict rule alerts.
 *
 * Every certificate of the chain is matched, not only the leaf; one rule
 * raises at most one alert per chain (for the first certificate it
 * matches). Alert: check "geo.binding", category "mitm", severity 1,
 * source "NAME:LINE" of the rule.
 *
 * A loaded rule set is immutable; geobind_check() may run concurrently. */
#ifndef CS_RULES_GEOBIND_H
#define CS_RULES_GEOBIND_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "geo.h"

#define GEOBIND_MAX_RULES 65536u               /* rules per set */
#define GEOBIND_MAX_LIST 64u                   /* ASNs, or countries, in one rule */
#define GEOBIND_MAX_LINE 4096u                 /* bytes per line, without the newline */
#define GEOBIND_MAX_SUBSTR 512u                /* bytes of a subject:/issuer: substring */
#define GEOBIND_MAX_FILE (64u * 1024u * 1024u) /* bytes read by geobind_load_file */

#define GEOBIND_SID 2100600u /* signature_id of "geo.binding" */

struct geobind;

/* Parse rules from text (len bytes, need not be NUL-terminated). name is
 * used in messages and as each alert's source ("name:line"). On the first
 * error returns NULL and writes "NAME:LINE: what, expected what" into err.
 * An empty text gives an empty, valid set. */
struct geobind *geobind_load_buf(const char *name, const char *text, size_t len, char *err,
                                 size_t errlen);

/* Read and parse a file; errors "PATH: reason" or "PATH:LINE: ...". */
struct geobind *geobind_load_file(const char *path, char *err, size_t errlen);

/* NULL is fine. */
void geobind_free(struct geobind *gb);

size_t geobind_count(const struct geobind *gb);

/* Check both chains of one session against every rule, looking endpoints
 * up in g (NULL: every location unknown, so only strict rules can fire).
 * Alerts go to o; the strings in them live for the sink call only. */
void geobind_check(const struct geobind *gb, const struct geo *g, const struct cs_tls *t,
                   const struct check_out *o);

#endif
