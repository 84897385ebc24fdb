/* Certificate pins per host (file format in rules/README-pins.md).
 *
 * A pin set is loaded from one or more texts, then used read-only. For each
 * session, every pin whose host pattern, port and role apply is checked on
 * its own; a pin is satisfied when a certificate at the pinned position
 * matches one of its values:
 *
 *   pin-leaf-sha256          SHA-256 of sent certificate #0
 *   pin-intermediate-sha256  SHA-256 of a certificate on the issuance path
 *                            between the leaf and the root
 *   pin-root-sha256          SHA-256 of the root: the top of the path when it
 *                            is self-signed or a trust-store anchor
 *   pin-spki-sha256          SPKI SHA-256 of any certificate on the path
 *   issuer                   the leaf's issuer DN, as the events print it
 *                            (RFC 4514), ASCII case-insensitive
 *
 * The path is the one OpenSSL builds (trust_verify): from the leaf, through
 * sent certificates (and stored intermediates), cut at the first certificate
 * its successor did not sign; so a genuine certificate merely appended to a
 * forged chain does not satisfy a pin. Without a trust store the root is
 * only visible when it is sent; a root pin is then violated by a chain
 * whose root is not sent ("seen: no root").
 *
 * check id            category  sev  sid      when
 * pin.violation        mitm      1   2100240  no certificate at the pinned position matches
 * pin.rotation_used    info      3   2100241  matched only through a "rotation" value
 * The alert's source is "file:line" of the pin (of the rotation value for
 * pin.rotation_used).
 *
 * Host patterns match the SNI (RFC 6125 wildcard rules, hygiene_host_match);
 * IP-address patterns match the server address. No I/O, no globals; the
 * OpenSSL error queue is left as found. */
#ifndef CS_RULES_PINS_H
#define CS_RULES_PINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "status.h"
#include "trust.h"

#define PINS_SID_VIOLATION 2100240u
#define PINS_SID_ROTATION 2100241u

#define PINS_MAX 4096       /* pins (distinct host/port/role/kind) per set */
#define PINS_VALUES_MAX 256 /* values per pin */
#define PINS_LINE_MAX 4096  /* bytes per line */
#define PINS_TOKENS_MAX 300 /* tokens per line */

struct pinset;

/* NULL when out of memory. Pair with pins_free (NULL is fine). */
struct pinset *pins_new(void);
void pins_free(struct pinset *ps);

/* Parse text (len bytes, need not be NUL-terminated) and add its pins.
 * Lines repeating a host/port/role/kind add values to that pin. All or
 * nothing: on error nothing from this text is added and err holds
 * "NAME:LINE: what (expected ...)". Returns PR_OK, PR_MALFORMED, or
 * PR_LIMIT (a cap above, or out of memory). err may be NULL. */
enum pr_status pins_load(struct pinset *ps, const char *name, const char *text, size_t len,
                         char *err, size_t errlen);

size_t pins_count(const struct pinset *ps);

/* Check t against the pins (no trust store: pins_check_trust with NULL). */
void pins_check(const struct pinset *ps, const struct cs_tls *t, const struct check_out *o);

/* The same, building paths with the given trust store (roots make unsent
 * roots visible to pin-root-sha256 and pin-spki-sha256; may be NULL). */
void pins_check_trust(const struct pinset *ps, const struct trust_store *ts, const struct cs_tls *t,
                      const struct check_out *o);

/* ---- helpers shared with the other list loaders of rules/ ---------------- */

struct pins_tok {
    const char *s; /* NUL-terminated, inside the caller's buffer */
    size_t n;
    bool quoted;
};

/* Split one line (n bytes, no newline) into tokens separated by spaces or
 * tabs. A token starting with '#' (unquoted) ends the line. "..." is one
 * token; inside it \" and \\ stand for " and \, any other backslash is kept
 * as it is. Unescaped tokens are written to buf (cap >= n + 1). Returns
 * false with *why set on an unterminated quote, text right after a closing
 * quote, a NUL byte, or more than max tokens. */
bool pins_tokenize(const char *line, size_t n, char *buf, size_t cap, struct pins_tok *toks,
                   size_t max, size_t *count, const char **why);

/* 64 hex digits, optionally in colon-separated pairs, either case. On
 * failure *digits is the number of hex digits seen (for the message). */
bool pins_parse_sha256(const char *s, size_t n, uint8_t out[32], size_t *digits);

#endif
