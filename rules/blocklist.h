/* Indicator blocklists: certificate SHA-1 / SHA-256, SPKI SHA-256, JA3, JA4.
 *
 * A blocklist is built from text buffers with blocklist_load() (the caller
 * reads the files; this module does no I/O), then used read-only by
 * blocklist_check(), which reports every listed indicator in a finished TLS
 * session through the check sink (rules/check.h).
 *
 * Formats, recognised line by line from the content (rules/README-rules.md):
 *   plain list      one indicator per line, optional label after blanks or
 *                   '#'; hex with or without colons, any case; prefixes
 *                   "sha1:" "sha256:" "spki:" "ja3:" "ja4:" pick the kind,
 *                   unprefixed 40 hex = certificate SHA-1, 64 hex =
 *                   certificate SHA-256, 32 hex = JA3, JA4 by its shape
 *   CSV             abuse.ch SSLBL ("Listingdate,SHA1,Listingreason" and
 *                   "ja3_md5,Firstseen,Lastseen,Listingreason"): the
 *                   indicator column, the last column as the label
 *   Zeek Intel      after a "#fields" header naming indicator and
 *                   indicator_type: Intel::CERT_HASH rows (40 hex SHA-1, 64
 *                   hex SHA-256); rows of other types are skipped and counted
 *   Suricata rules  "alert ..." lines whose one condition is a certificate
 *                   SHA-1 (tls.cert_fingerprint / tls_cert_fingerprint /
 *                   tls.fingerprint) or a ja3.hash / ja3_hash / ja4.hash
 *                   content: one entry carrying the rule's msg, sid and rev
 *
 * Storage: one open-addressing hash set per indicator kind, keyed by the raw
 * digest bytes (JA4: its 36 characters), grown by doubling while loading
 * (load factor <= 1/2, sizes overflow-checked); lookups are O(1). Each
 * entry keeps where it came from (load name and line) and its label. A
 * duplicate indicator keeps its first entry and is counted.
 *
 * Ownership: every string passed in is copied. Not thread-safe while
 * loading; once loaded, blocklist_check() only reads and may run from any
 * number of threads. */
#ifndef CS_RULES_BLOCKLIST_H
#define CS_RULES_BLOCKLIST_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "status.h"

/* Alert signature ids of the built-in blocklist checks. */
#define BLOCKLIST_SID_CERT_SHA1 2100001u
#define BLOCKLIST_SID_CERT_SHA256 2100002u
#define BLOCKLIST_SID_SPKI_SHA256 2100003u
#define BLOCKLIST_SID_JA3 2100004u
#define BLOCKLIST_SID_JA4 2100005u

/* Caps: entries per indicator kind, loads (names) per blocklist, bytes of
 * one line (longer: error), bytes of one label (longer: cut). */
#define BLOCKLIST_MAX_ENTRIES (64u * 1024u * 1024u)
#define BLOCKLIST_MAX_LOADS 65535u
#define BLOCKLIST_LINE_MAX 65536u
#define BLOCKLIST_LABEL_MAX 256u

struct blocklist;

/* Empty blocklist, or NULL when out of memory. */
struct blocklist *blocklist_new(void);
/* NULL is fine. */
void blocklist_free(struct blocklist *bl);

/* Add the indicators of one text buffer; `name` (e.g. the file path) is
 * used in sources ("NAME:LINE") and error messages. Returns PR_OK;
 * PR_MALFORMED for a bad line, with "NAME:LINE: what" in err (e.g.
 * "lists/x.txt:17: invalid sha256 thumbprint (63 hex digits)");
 * PR_UNSUPPORTED for a Suricata rule that is more than one indicator;
 * PR_LIMIT when a cap or memory runs out. On failure the lines before the
 * bad one stay loaded: callers discard the blocklist (the sensor swaps in
 * a new one only when every load succeeded). err may be NULL. */
enum pr_status blocklist_load(struct blocklist *bl, const char *name, const char *text, size_t len,
                              char *err, size_t errlen);

/* Report every listed indicator of t: SHA-1, SHA-256 and SPKI SHA-256 of
 * every certificate at every position of both chains, then the JA3 and
 * JA4 of the client. One alert per match, category "blocklist", severity
 * 1, check "blocklist.cert_sha1" / "blocklist.cert_sha256" /
 * "blocklist.spki_sha256" / "blocklist.ja3" / "blocklist.ja4", signature
 * id BLOCKLIST_SID_* (or the sid/rev/msg of the Suricata rule the entry
 * came from), source "NAME:LINE". */
void blocklist_check(const struct blocklist *bl, const struct cs_tls *t, const struct check_out *o);

/* Distinct indicators loaded (all kinds). */
size_t blocklist_count(const struct blocklist *bl);
/* Indicators seen again after their first entry (not stored twice). */
size_t blocklist_duplicates(const struct blocklist *bl);
/* Zeek Intel rows of a type other than Intel::CERT_HASH (skipped). */
size_t blocklist_skipped(const struct blocklist *bl);

#endif
