/* A subset of the Suricata rule language for TLS session records.
 *
 * Rules are parsed from text buffers (the caller reads the files; no I/O
 * here) into an immutable set, then evaluated against finished TLS sessions
 * (struct cs_tls) by srules_check(), which reports each matching rule
 * through the check sink (rules/check.h). The whole supported language is
 * described in rules/README-rules.md; in short:
 *
 *   alert tls|tcp|any SRC SPORT ->|<> DST DPORT (option; ...)
 *
 * addresses and ports with groups, negation, ranges and $VARS; options msg,
 * sid, rev, gid, classtype, priority, reference, metadata, target, flow;
 * sticky buffers tls.sni, tls.cert_subject, tls.cert_issuer,
 * tls.cert_serial, tls.cert_fingerprint, tls.certs, tls.subjectaltname,
 * ja3.hash, ja3.string, ja3s.hash, ja3s.string, ja4.hash (and their legacy
 * underscore names) with content (!, |hex|), nocase, startswith, endswith,
 * depth, offset, bsize, fast_pattern, dotprefix; value keywords
 * tls.version, tls.subject, tls.issuerdn, tls.fingerprint,
 * tls.cert_chain_len, tls_cert_expired, tls_cert_valid.
 *
 * A session record holds both directions, so the rule header is matched
 * with the client as source for client-side rules (flow:to_server, or
 * keywords that only exist client side: tls.sni, ja3, ja4) and the server
 * as source for server-side rules (flow:to_client, server certificate
 * keywords, ja3s); a rule with no such hint, or with "<>", matches in
 * either orientation.
 *
 * Ownership: every string passed in is copied. Not thread-safe while
 * loading; once loaded srules_check() only reads. */
#ifndef CS_RULES_SURICATA_H
#define CS_RULES_SURICATA_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "status.h"

/* Caps: bytes of one rule (after joining continuation lines), bytes of one
 * content pattern, options per rule, nesting of address/port groups and
 * variables, number of variables. */
#define SRULES_RULE_MAX 65536u
#define SRULES_CONTENT_MAX 4096u
#define SRULES_OPTIONS_MAX 256u
#define SRULES_NEST_MAX 16u
#define SRULES_VARS_MAX 1024u

struct srules;

/* Empty rule set with Suricata's default variables (suricata.yaml):
 * HOME_NET "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]", EXTERNAL_NET
 * "!$HOME_NET", HTTP_SERVERS / SMTP_SERVERS / SQL_SERVERS / DNS_SERVERS /
 * TELNET_SERVERS / DC_SERVERS "$HOME_NET", HTTP_PORTS "80", SSH_PORTS
 * "22", ... NULL when out of memory. */
struct srules *srules_new(void);
/* NULL is fine. */
void srules_free(struct srules *rs);

/* Define or replace a variable ("HOME_NET", without '$') used by rules
 * loaded afterwards. The value is an address group ("any",
 * "[10.0.0.0/8,!10.1.0.0/16,192.168.0.1]", "!$HOME_NET") or a port group
 * ("[80,443,8000:8100]"); it is checked when set. PR_MALFORMED with a
 * message in err when it is neither. */
enum pr_status srules_set_var(struct srules *rs, const char *name, const char *value, char *err,
                              size_t errlen);

/* Parse every rule of one text buffer ('#' comments, blank lines, lines
 * continued with a trailing '\'); `name` is used in sources ("NAME:LINE",
 * LINE being where the rule starts) and messages. Stops at the first bad
 * rule: PR_MALFORMED for a syntax error ("rules/x.rules:17: unterminated
 * quote in 'content'"), PR_UNSUPPORTED for a valid Suricata construct this
 * subset lacks ("NAME:LINE: unsupported keyword 'pcre'"), PR_LIMIT when a
 * cap or memory runs out. Rules before the bad one stay loaded; callers
 * (and --check-rules) treat any failure as fatal. err may be NULL. */
enum pr_status srules_load(struct srules *rs, const char *name, const char *text, size_t len,
                           char *err, size_t errlen);

/* Evaluate every rule against t; one alert per matching rule with the
 * rule's sid, rev, msg (signature), classtype (category, "rule" when
 * none), severity (priority, else the classtype's default priority, else
 * 2), check "rule", source "NAME:LINE", evidence naming the keywords that
 * matched, and role / chain_index / cert of the first certificate a
 * certificate keyword matched on. */
void srules_check(const struct srules *rs, const struct cs_tls *t, const struct check_out *o);

/* Rules loaded. */
size_t srules_count(const struct srules *rs);

/* ---- for rules/blocklist.c ---------------------------------------------- */

enum srules_ind_kind { SRULES_IND_SHA1, SRULES_IND_JA3, SRULES_IND_JA4 };

/* A rule that is nothing but one indicator. */
struct srules_indicator {
    enum srules_ind_kind kind;
    char value[64]; /* the content as written (colon hex, hex, JA4) */
    uint32_t sid, rev;
    char msg[256]; /* cut at 255 bytes */
};

/* Parse the single rule in text[0..len) with this module's parser (default
 * variables) and, when its only condition is one certificate SHA-1
 * (tls.cert_fingerprint / tls_cert_fingerprint content, or
 * tls.fingerprint:"..."), one ja3.hash / ja3_hash content or one ja4.hash
 * content, fill *out. Errors as srules_load(), "NAME:LINE: ..." with the
 * line given; PR_UNSUPPORTED for a valid rule that is more than an
 * indicator. */
enum pr_status srules_parse_indicator(const char *name, size_t line, const char *text, size_t len,
                                      struct srules_indicator *out, char *err, size_t errlen);

#endif
