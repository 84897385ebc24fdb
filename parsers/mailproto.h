/* Cleartext protocols that upgrade to TLS in-band: SMTP (RFC 5321, RFC 3207),
 * IMAP (RFC 9051 / RFC 3501), POP3 (RFC 1939, RFC 2595), FTP (RFC 959,
 * RFC 4217), XMPP (RFC 6120) and LDAP (RFC 4511 4.14).
 *
 * A stateful driver in a caller-owned, fixed-size struct. The caller feeds
 * each direction's cleartext bytes, in any chunking, with a direction flag;
 * the driver follows the dialogue, fills in `struct mp_facts` and says where
 * TLS begins in each direction. Every split of the same bytes gives the same
 * facts and the same TLS start offsets (the offset is reported relative to the
 * chunk in which the first TLS byte arrives).
 *
 * Memory: nothing is allocated. One unit (a protocol line, an IMAP command
 * with its literals, an XML tag or text run, an LDAP message prefix) is
 * buffered per direction, at most MP_UNIT_MAX bytes; the rest of a longer
 * unit is dropped and counted (facts.units_truncated, facts.limit_hits), and
 * the kept prefix is still interpreted. Text facts are copied, sanitised
 * (bytes outside 0x20..0x7e become '?') and NUL-terminated into fixed
 * arrays; a longer value is cut and counted (facts.strings_truncated).
 *
 * Secrets: passwords, SASL responses other than the identity, bearer tokens
 * and LDAP simple-bind passwords are never copied into the facts. Each unit
 * buffer is wiped as soon as its unit has been interpreted, and decoded
 * SASL buffers are wiped with OPENSSL_cleanse; mp_finish() wipes a
 * partially received unit. Only the fact that a reusable secret crossed the
 * wire in clear is kept (facts.secret_in_clear).
 *
 * The driver never reads the other direction's bytes; it uses what the other
 * direction has already told it (the commands awaiting a reply, the IMAP
 * STARTTLS tag, the LDAP StartTLS messageID). When the caller feeds the two
 * directions in capture order, replies are matched to their commands.
 *
 * TLS start: in a direction, once STARTTLS was requested or accepted, the
 * first byte of a new unit (line start, LDAP message start, or any byte
 * outside an XML tag for XMPP) that is a TLS record content type
 * (0x14..0x17) is where TLS begins. Deciding on one byte keeps the result
 * independent of chunking. */
#ifndef CS_PARSERS_MAILPROTO_H
#define CS_PARSERS_MAILPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define MP_UNIT_MAX 1024u  /* one line / IMAP command with literals / XML tag / LDAP prefix */
#define MP_TEXT_MAX 128u   /* banner, client_name, auth_user, mail_from_domain incl. NUL */
#define MP_CAP_MAX 32u     /* capabilities kept */
#define MP_CAP_LEN 32u     /* one capability incl. NUL */
#define MP_PENDING_MAX 16u /* pipelined commands awaiting a reply */
#define MP_TAG_MAX 32u     /* IMAP tag kept for STARTTLS / AUTHENTICATE */

enum mp_proto { MP_NONE, MP_SMTP, MP_IMAP, MP_POP3, MP_LDAP, MP_FTP, MP_XMPP };

enum { MP_DIR_SERVER = 0, MP_DIR_CLIENT = 1 };

struct mp_facts {
    enum mp_proto proto;
    /* server greeting text: SMTP/FTP after the reply code, IMAP/POP3 after
     * "* OK" / "+OK" (an IMAP [response-code] is skipped), XMPP the
     * stream's from= attribute; empty for LDAP */
    char banner[MP_TEXT_MAX];
    /* SMTP EHLO/HELO/LHLO argument, IMAP ID "name", XMPP stream to= */
    char client_name[MP_TEXT_MAX];
    /* SMTP EHLO keywords (upper-cased first word of each line after the
     * first), IMAP CAPABILITY atoms, POP3 CAPA first words (and SASL=mech),
     * FTP FEAT lines (trimmed), XMPP stream feature names (and AUTH=mech).
     * Deduplicated (case-insensitive), first MP_CAP_MAX kept. */
    char caps[MP_CAP_MAX][MP_CAP_LEN];
    size_t n_caps;
    bool caps_truncated;

    bool starttls_offered;   /* STARTTLS / STLS / AUTH TLS / <starttls> advertised */
    bool starttls_required;  /* XMPP <starttls><required/></starttls> */
    bool starttls_requested; /* STARTTLS / STLS / AUTH TLS|SSL / <starttls/> / LDAP ExtendedRequest
                                1.3.6.1.4.1.1466.20037 */
    bool starttls_accepted;  /* 220 / OK / +OK / 234 / <proceed/> / LDAP resultCode 0 */
    bool starttls_refused;   /* any other final reply: 454, 502, NO, BAD, -ERR, <failure/>, LDAP
                                non-zero resultCode */
    /* SMTP/FTP reply code, LDAP resultCode; 0 for IMAP/POP3/XMPP */
    unsigned starttls_reply_code;
    /* the reply as a word: "220", "OK", "NO", "BAD", "+OK", "-ERR", "proceed", "failure",
     * LDAP "resultCode" */
    char starttls_reply[16];

    /* [MP-MANGLED] a capability that looks like a damaged STARTTLS (or STLS):
     * see mp_cap_looks_mangled() */
    bool cap_mangled;
    char mangled_cap[MP_CAP_LEN];

    /* first authentication seen in clear: mechanism ("PLAIN", "LOGIN",
     * "USER" for POP3/FTP USER, "APOP", "LOGIN" for IMAP LOGIN, "SIMPLE" for an LDAP
     * simple bind, else the SASL mechanism name, upper-cased) and identity
     * (SASL authcid, IMAP LOGIN user, POP3/FTP USER, LDAP bind DN) */
    bool auth_in_clear;
    char auth_mechanism[MP_CAP_LEN];
    char auth_user[MP_TEXT_MAX];
    /* a reusable secret (password, bearer token, non-empty LDAP simple
     * password) was sent in clear; its value is never kept */
    bool secret_in_clear;

    char mail_from_domain[MP_TEXT_MAX]; /* first non-empty SMTP MAIL FROM domain */
    size_t mail_count;                  /* MAIL FROM commands */
    size_t rcpt_count;                  /* RCPT TO commands */

    bool tls_started[2]; /* indexed by MP_DIR_*: TLS began in that direction */

    /* counters: everything that was cut, dropped or not understood */
    size_t units[2];          /* complete units interpreted, per direction */
    size_t units_truncated;   /* units longer than MP_UNIT_MAX */
    size_t strings_truncated; /* text facts cut to their array */
    size_t malformed;         /* units that do not follow the protocol */
    size_t limit_hits;        /* any cap hit (units, caps list, pending queue) */
};

/* ---- private: the driver's state, owned by the caller ---------------------------- */
struct mp_dir {
    uint8_t buf[MP_UNIT_MAX];
    size_t len;       /* bytes kept in buf */
    size_t seen;      /* bytes of the current unit, kept or not */
    size_t need;      /* LDAP: whole message length once its header is known, else 0 */
    size_t lit_left;  /* IMAP literal bytes still to come inside this unit */
    size_t skip_left; /* SMTP BDAT chunk bytes to pass over */
    uint32_t lit_acc; /* IMAP literal marker recogniser: value and state */
    uint8_t lit_st;
    uint8_t xst;   /* XMPP scanner state */
    uint8_t xrun;  /* XMPP: '-' or ']' run while looking for "-->" / "]]>" */
    uint8_t quote; /* XMPP: quote character inside a tag, or 0 */
    bool data;     /* SMTP: inside a DATA body (client) */
    bool ml;       /* POP3 multi-line body / SMTP-FTP multi-line reply in progress (server) */
    bool tls;      /* TLS began: nothing more is interpreted */
    bool dead;     /* framing lost (LDAP): nothing more is interpreted */
};

struct mp_state {
    struct mp_facts facts;
    struct mp_dir dir[2];
    /* commands awaiting a reply, oldest first (SMTP, POP3, FTP) */
    uint8_t pend[MP_PENDING_MAX];
    size_t pend_head, pend_n;
    /* server reply in progress (SMTP, FTP, POP3) */
    bool greeted;
    unsigned reply_code;
    size_t reply_lines;
    uint8_t reply_cmd;
    /* client SASL exchange in progress */
    bool sasl;
    uint8_t sasl_mech;
    uint8_t sasl_step;
    /* IMAP tags */
    char stls_tag[MP_TAG_MAX];
    char auth_tag[MP_TAG_MAX];
    /* XMPP element context */
    uint8_t x_ctx[2]; /* per direction: what the next character data is */
    uint8_t x_fdepth; /* element depth inside <stream:features> */
    bool x_features, x_starttls, x_mechanisms;
    /* LDAP StartTLS request */
    bool ldap_stls_id_set;
    uint32_t ldap_stls_id;
    /* FTP: USER was anonymous */
    bool ftp_anonymous;
};

/* Guess the protocol from the first bytes of each direction (either may be
 * empty). Content decides; server_port only breaks a tie (a bare "220 "
 * greeting: 21/990 FTP, else SMTP). Returns MP_NONE when nothing matches
 * (call again when more bytes arrived: a first line that is still
 * incomplete may decide later). Reads at most the given bytes. */
enum mp_proto mp_detect(const uint8_t *server_first, size_t n, const uint8_t *client_first,
                        size_t m, uint16_t server_port);

void mp_init(struct mp_state *st, enum mp_proto proto);

/* Feed cleartext bytes of one direction (from_client != 0: client to
 * server). *tls_starts_at is set to the offset within p where TLS bytes
 * begin in this direction, or SIZE_MAX; once TLS has begun every later call
 * sets 0 and interprets nothing. Returns PR_OK, PR_LIMIT when a cap was hit
 * during this call (the bytes were still consumed), PR_MALFORMED when the
 * direction's framing is lost (LDAP; sticky: later calls interpret nothing),
 * PR_UNSUPPORTED for MP_NONE. p may be NULL only when n is 0. */
enum pr_status mp_feed(struct mp_state *st, int from_client, const uint8_t *p, size_t n,
                       size_t *tls_starts_at);

/* The flow ended: wipe any partially received unit (it may hold part of a
 * password). Facts stay. */
void mp_finish(struct mp_state *st);

/* Downgrade summary: STARTTLS was offered but not requested by the end. */
static inline bool mp_starttls_unused(const struct mp_facts *f)
{
    return f->starttls_offered && !f->starttls_requested;
}

/* [MP-MANGLED] true when `cap` (length n, a capability keyword) looks like a
 * damaged copy of `want` ("STARTTLS" or "STLS") rather than a capability:
 * documented at its definition. */
bool mp_cap_looks_mangled(const uint8_t *cap, size_t n, const char *want);

const char *mp_proto_name(enum mp_proto p);

#endif
