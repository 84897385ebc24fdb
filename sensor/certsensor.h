/* certsensor — passive TLS certificate sensor library.
 *
 * This is the only installed header. An embedder fills a struct cs_config,
 * creates a sensor with cs_new(), feeds it captured packets with cs_feed()
 * in capture order, calls cs_flush() at end of input and cs_free() at the
 * end. Events (one per TLS session, anomalies, statistics) are delivered
 * synchronously to the configured callback as typed structs; every pointer
 * in an event is borrowed and valid only for the duration of the callback.
 *
 * The library has no globals, never exits, never prints and never does I/O.
 * It is not thread-safe per handle; distinct handles are independent.
 */
#ifndef CERTSENSOR_H
#define CERTSENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CS_API_VERSION 1

#if defined(__GNUC__)
#define CS_EXPORT __attribute__((visibility("default")))
#else
#define CS_EXPORT
#endif

/* ---- errors ---------------------------------------------------------- */

typedef int cs_err;
enum {
    CS_OK = 0,
    CS_ERR_NOMEM = -1,    /* allocation failed or memcap reached */
    CS_ERR_INVAL = -2,    /* bad argument or configuration */
    CS_ERR_LINKTYPE = -3, /* link type not supported */
    CS_ERR_IO = -4,       /* used by embedders' I/O helpers (the CLI) */
    CS_ERR_FORMAT = -5,   /* input is not what it claims to be */
    CS_ERR_STATE = -6,    /* call not valid in this state (e.g. feed after flush) */
};

/* Static string for an error code; never NULL. */
CS_EXPORT const char *cs_strerror(cs_err err);

/* ---- link types (values are libpcap DLT_* numbers) ------------------- */

enum {
    CS_LINK_NULL = 0,       /* BSD loopback, host byte order family */
    CS_LINK_ETHERNET = 1,
    CS_LINK_RAW = 101,      /* raw IPv4/IPv6 (also 12 / 14 on some systems) */
    CS_LINK_LOOP = 108,     /* OpenBSD loopback, network byte order family */
    CS_LINK_LINUX_SLL = 113,
    CS_LINK_IPV4 = 228,
    CS_LINK_IPV6 = 229,
    CS_LINK_LINUX_SLL2 = 276,
};

/* ---- certificates ---------------------------------------------------- */

#define CS_NAME_MAX 2048   /* subject / issuer string, RFC 4514, truncated with "..." */
#define CS_SAN_MAX 64      /* SAN entries kept per certificate */
#define CS_SAN_LEN_MAX 256 /* one SAN value */

enum cs_san_type { CS_SAN_DNS, CS_SAN_IP, CS_SAN_EMAIL, CS_SAN_URI };

struct cs_san {
    enum cs_san_type type;
    char value[CS_SAN_LEN_MAX]; /* printable; bytes outside 0x20-0x7e escaped as \xHH */
};

/* Analysis of one certificate. Thumbprints are always computed on the raw
 * DER bytes; the other fields are only meaningful when `parsed` is true
 * (OpenSSL accepted the DER). Cached by SHA-256 inside the sensor. */
struct cs_cert_info {
    uint8_t sha1[20];
    uint8_t sha256[32];
    uint8_t spki_sha256[32];
    bool has_spki;     /* the SubjectPublicKeyInfo could be located */
    bool parsed;       /* OpenSSL parsed the certificate */
    char subject[CS_NAME_MAX];
    char issuer[CS_NAME_MAX];
    char serial[130];  /* lowercase hex, no colons, no leading "00" padding */
    int64_t not_before; /* seconds since the epoch, UTC (may be negative) */
    int64_t not_after;
    bool validity_ok;  /* both times were decoded */
    struct cs_san san[CS_SAN_MAX];
    size_t san_count;
    bool san_truncated;
    char key_type[32]; /* "RSA", "EC", "DSA", "ED25519", "ED448", or OpenSSL's short name */
    int key_bits;      /* 0 when unknown */
    char key_curve[32];/* EC curve short name, "" otherwise */
    char sig_alg[64];  /* e.g. "sha256WithRSAEncryption" */
    bool is_ca;        /* basicConstraints cA = TRUE */
    bool self_signed;  /* subject == issuer and the signature verifies with its own key */
    uint8_t ski[64];   /* subjectKeyIdentifier, if present */
    size_t ski_len;
    uint8_t aki[64];   /* authorityKeyIdentifier keyIdentifier, if present */
    size_t aki_len;
};

struct cs_cert {
    const uint8_t *der; /* raw bytes as sent on the wire */
    size_t der_len;
    const struct cs_cert_info *info;
    bool decrypted;     /* only visible after decryption with session keys */
    const void *x509;   /* internal: the sensor's parsed copy (OpenSSL X509 *) shared by its
                           checks; NULL when unparsed. Embedders must not use it. */
};

/* ---- mail protocols and Exchange Web Services -------------------------- */

struct cs_endpoint {
    uint8_t family;   /* 4 or 6 */
    uint8_t addr[16]; /* IPv4 in the first 4 bytes */
    uint16_t port;
};


#define CS_MAIL_TEXT_MAX 128
#define CS_MAIL_CAPS_MAX 32
#define CS_MAIL_CAP_LEN 32

/* What the clear-text part of a mail-style session showed (SMTP, IMAP,
 * POP3, LDAP, FTP, XMPP). Passwords are never kept. */
struct cs_mail {
    uint64_t flow_id;
    int64_t ts_us;
    struct cs_endpoint client, server;
    const char *proto;               /* "smtp", "imap", "pop3", "ldap", "ftp", "xmpp" */
    char banner[CS_MAIL_TEXT_MAX];
    char client_name[CS_MAIL_TEXT_MAX]; /* EHLO/HELO name, IMAP ID name, XMPP to= */
    char caps[CS_MAIL_CAPS_MAX][CS_MAIL_CAP_LEN];
    size_t cap_count;
    bool caps_truncated;
    bool starttls_offered, starttls_required, starttls_requested, starttls_accepted,
        starttls_refused;
    unsigned starttls_reply_code;
    char starttls_reply[16];
    bool cap_mangled;                /* a capability that looks like a damaged STARTTLS */
    char mangled_cap[CS_MAIL_CAP_LEN];
    bool auth_in_clear;              /* authentication seen before TLS (or without it) */
    bool secret_in_clear;            /* ... and a reusable secret crossed in clear */
    char auth_mechanism[CS_MAIL_CAP_LEN];
    char auth_user[CS_MAIL_TEXT_MAX];/* SASL authcid, LOGIN/USER name, LDAP bind DN */
    char mail_from_domain[CS_MAIL_TEXT_MAX];
    size_t mail_count, rcpt_count;
    bool tls;                        /* TLS started on the connection */
};

#define CS_EWS_TEXT_MAX 256

/* One HTTP request to Exchange Web Services or Autodiscover, in clear or
 * inside TLS decrypted with a key log. Credentials are never kept. */
struct cs_ews {
    uint64_t flow_id;
    int64_t ts_us;
    struct cs_endpoint client, server;
    const char *endpoint;            /* "ews", "autodiscover" */
    bool decrypted;
    char sni[CS_EWS_TEXT_MAX];       /* of the TLS session carrying it, "" in clear */
    char method[16];
    char host[CS_EWS_TEXT_MAX], path[CS_EWS_TEXT_MAX], user_agent[CS_EWS_TEXT_MAX];
    char auth_scheme[32];            /* "Basic", "NTLM", "Negotiate", "Bearer", ... */
    char basic_user[128];            /* Basic: the user id only */
    char anchor_mailbox[CS_EWS_TEXT_MAX];
    char operation[64];              /* SOAP operation, e.g. "FindItem" */
    bool impersonation;              /* ExchangeImpersonation in the SOAP header */
    char primary_smtp[CS_EWS_TEXT_MAX], sid[CS_EWS_TEXT_MAX], principal_name[CS_EWS_TEXT_MAX],
        smtp_address[CS_EWS_TEXT_MAX];
    char server_version[64];
    char mailbox[CS_EWS_TEXT_MAX];   /* Autodiscover: the mailbox asked about */
};

/* ---- sessions -------------------------------------------------------- */

#define CS_SNI_MAX 256
#define CS_ALPN_MAX 8
#define CS_ALPN_LEN_MAX 32
#define CS_JA3_STR_MAX 4096
#define CS_CHAIN_MAX 16 /* certificates reported per chain; more are counted */

struct cs_tls {
    uint64_t flow_id;
    int64_t ts_us;                 /* capture time of the packet that completed the event */
    int64_t flow_start_us;
    struct cs_endpoint client, server;
    bool orientation_from_syn;     /* client chosen by SYN; otherwise by ClientHello/ServerHello */
    uint16_t version;              /* negotiated (supported_versions considered); 0 unknown */
    uint16_t client_version;       /* highest version the client offered */
    char sni[CS_SNI_MAX];
    bool has_client_hello, has_server_hello;
    uint16_t cipher_suite;
    char alpn_offered[CS_ALPN_MAX][CS_ALPN_LEN_MAX];
    size_t alpn_offered_count;
    char alpn[CS_ALPN_LEN_MAX];    /* selected by the server */
    char ja3[33], ja3s[33], ja4[40];
    const char *ja3_string, *ja3s_string;
    bool resumed;                  /* abbreviated handshake (session id or ticket) */
    bool renegotiation;            /* a renegotiated handshake inside an earlier session */
    bool certs_encrypted;          /* TLS 1.3 without keys: certificates not visible */
    bool client_cert_requested;    /* CertificateRequest seen */
    struct cs_cert server_certs[CS_CHAIN_MAX];
    size_t server_cert_count;
    bool server_chain_truncated;
    struct cs_cert client_certs[CS_CHAIN_MAX];
    size_t client_cert_count;
    bool client_chain_truncated;
    uint8_t alert_level, alert_desc; /* first alert seen in clear; level 0 = none */
    bool alert_from_server;
    const char *state;             /* "complete", "bypassed", "closed", "timeout", "flushed" */
    const char *from_proto;        /* protocol before a STARTTLS-style upgrade, or NULL */
    const struct cs_mail *pre_tls; /* its clear-text facts, or NULL */
    bool exchange;                 /* SNI or server certificate names an Exchange endpoint */
    bool alert_after_client_cert;  /* the alert followed the client's Certificate */
    char app_proto[64];            /* nDPI label, e.g. "TLS.Microsoft365" ("" when disabled) */
    char app_category[32];         /* nDPI category, e.g. "Collaborative" */
    char app_risks[512];           /* nDPI risk names, comma-separated */
    struct cs_geo {
        bool has_country, has_asn;
        char country[3];           /* ISO 3166 code */
        uint32_t asn;
        char as_org[128];
    } client_geo, server_geo;      /* filled when GeoIP databases are open */
};

/* ---- anomalies and statistics ----------------------------------------- */

struct cs_anomaly {
    uint64_t flow_id;              /* 0 when not tied to a flow */
    int64_t ts_us;
    const char *type;              /* stable identifier, e.g. "tls.record_malformed" */
    const char *detail;            /* short human text, never raw packet bytes */
};

struct cs_stats {
    int64_t last_ts_us; /* capture time of the newest packet */
    uint64_t packets, bytes, packets_invalid, packets_truncated, packets_non_tcp;
    uint64_t flows_created, flows_active, flows_evicted, flows_timeout, flows_closed;
    uint64_t flows_bypassed, packets_bypassed, flows_no_tls;
    uint64_t tcp_segments_ooo, tcp_retransmits, tcp_overlaps_differ, tcp_gaps,
        tcp_gap_bytes, tcp_reasm_limit_drops, tcp_reasm_bytes_peak;
    uint64_t tls_sessions, tls_records_malformed, tls_handshake_too_large,
        tls_handshake_malformed, tls_chain_truncated;
    uint64_t certs_seen, certs_unparsed, cert_cache_hits, cert_cache_misses;
    uint64_t certs_decrypted, tls_sessions_decrypted, tls_keys_missing, tls_decrypt_errors;
    uint64_t keylog_lines, keylog_entries, keylog_malformed, keylog_full;
    uint64_t tls_keys_late, tls_key_wait_expired;
    uint64_t alerts, alerts_suppressed, check_memo_hits, check_memo_misses;
    uint64_t mail_sessions, ews_requests, http_requests;
    uint64_t baseline_errors;
    uint64_t memcap_hits, mem_peak;
    uint64_t events, anomalies;
};

/* ---- alerts ----------------------------------------------------------- */

/* Severity as in Suricata: 1 high, 2 medium, 3 low. */
struct cs_alert {
    uint32_t signature_id;     /* sid: rules give theirs; built-in checks use 2100000+ */
    uint32_t rev;
    const char *signature;     /* human-readable name, e.g. "CERTSENSOR chain does not link" */
    const char *category;      /* e.g. "mitm", "blocklist", "hygiene", "rule" */
    uint8_t severity;
    const char *check;         /* stable identifier of the check, e.g. "chain.signature" */
    const char *role;          /* "server", "client", or NULL when not about one certificate */
    int chain_index;           /* position in that chain, -1 when not about one certificate */
    const struct cs_cert *cert;/* the certificate concerned, or NULL */
    const char *evidence;      /* short text: which check failed and why (never raw bytes) */
    const char *source;        /* where the rule or list came from ("file:line"), or NULL */
};

/* ---- events ----------------------------------------------------------- */

enum cs_event_type {
    CS_EVENT_TLS = 1,
    CS_EVENT_ANOMALY = 2,
    CS_EVENT_STATS = 3,
    CS_EVENT_ALERT = 4,
    CS_EVENT_MAIL = 5,
    CS_EVENT_EWS = 6,
};

struct cs_event {
    enum cs_event_type type;
    union {
        const struct cs_tls *tls;
        const struct cs_anomaly *anomaly;
        const struct cs_stats *stats;
        const struct cs_alert *alert;
        const struct cs_mail *mail;
        const struct cs_ews *ews;
    } u;
    /* CS_EVENT_ALERT: what raised it (one of them is set) */
    const struct cs_tls *context;
    const struct cs_mail *mail_context;
    const struct cs_ews *ews_context;
};

typedef void (*cs_event_cb)(const struct cs_event *ev, void *user);

/* Render an event as one JSON object (no trailing newline) into buf.
 * Returns the full length the rendering needs, excluding the NUL, like
 * snprintf; the output is complete only when the result is < cap. With
 * cap 0 buf may be NULL. Deterministic: fixed key order. */
CS_EXPORT size_t cs_event_to_json(const struct cs_event *ev, char *buf, size_t cap);

/* ---- configuration ---------------------------------------------------- */

struct cs_config {
    size_t max_flows;            /* flow table size (preallocated) */
    uint32_t flow_timeout_s;     /* idle timeout, packet time */
    uint32_t closed_timeout_s;   /* after FIN both ways or RST */
    size_t reasm_max_dir;        /* out-of-order bytes held per direction */
    size_t reasm_max_total;      /* out-of-order bytes held in all flows */
    size_t hs_msg_max;           /* largest handshake message reassembled */
    size_t probe_bytes;          /* bytes scanned for a TLS start in a non-TLS stream */
    size_t cert_cache_entries;   /* certificate analyses kept (by SHA-256) */
    size_t memcap;               /* total heap the sensor may use; 0 = default */
    bool emit_anomalies;         /* deliver CS_EVENT_ANOMALY events */
    bool ndpi;                   /* label flows with nDPI (default true) */
    size_t keylog_max_entries;   /* client randoms kept from key logs (allocated on first use) */
    size_t decrypt_watch;        /* bytes per direction decrypted after a TLS 1.2 handshake */
    uint32_t key_wait_ms;        /* with a key log: how long a TLS 1.3 session waits for its keys */
    size_t key_wait_bytes;       /* ... holding at most this many protected bytes; 0 = no wait */
    const char *exchange_hosts;  /* extra Exchange host patterns, comma-separated ("*.corp.example") */
    cs_event_cb on_event;
    void *user;
};

/* Fill cfg with the defaults from limits.h. */
CS_EXPORT void cs_config_init(struct cs_config *cfg);

/* ---- the sensor ------------------------------------------------------- */

struct cs_sensor;

struct cs_packet {
    int64_t ts_us;          /* capture time, microseconds since the epoch */
    int linktype;           /* CS_LINK_* / DLT_* */
    const uint8_t *data;
    size_t caplen;          /* bytes present in data */
    size_t wirelen;         /* original length on the wire */
};

/* Create a sensor. On failure returns NULL and sets *err (if err != NULL). */
CS_EXPORT struct cs_sensor *cs_new(const struct cs_config *cfg, cs_err *err);

/* Feed one packet. Malformed packets are counted, not errors: the return
 * value is CS_OK unless the call itself is invalid (CS_ERR_INVAL,
 * CS_ERR_STATE) or the link type is unknown (CS_ERR_LINKTYPE). */
CS_EXPORT cs_err cs_feed(struct cs_sensor *s, const struct cs_packet *pkt);

/* Expire flows idle since before now_us (live capture calls this on a
 * timer; offline runs need not). */
CS_EXPORT cs_err cs_tick(struct cs_sensor *s, int64_t now_us);

/* End of input: emit every pending session (flow creation order), then one
 * stats event. Further cs_feed calls fail with CS_ERR_STATE. */
CS_EXPORT cs_err cs_flush(struct cs_sensor *s);

CS_EXPORT void cs_get_stats(const struct cs_sensor *s, struct cs_stats *out);

/* Last error text of this handle ("" if none). */
CS_EXPORT const char *cs_last_error(const struct cs_sensor *s);

/* ---- detection: rule sets ---------------------------------------------- */

/* A rule set is an immutable snapshot of everything alerts are decided
 * with: blocklists, Suricata-style rules, the trust store, pins, the
 * interception-issuer list, GeoIP databases and certificate-to-network
 * bindings, and which checks are on. Build one, then hand it to a sensor
 * with cs_set_ruleset(); a reload builds a new one and swaps it in between
 * two packets (no flow or event is lost). Inputs are text buffers: the
 * library reads no files except the MaxMind databases it maps. */
struct cs_ruleset;

enum cs_rs_input {
    CS_RS_BLOCKLIST = 1, /* plain hex lists, abuse.ch SSLBL CSV, Zeek intel, Suricata fingerprint rules */
    CS_RS_RULES,         /* Suricata TLS rule subset */
    CS_RS_CA,            /* trusted roots, PEM */
    CS_RS_INTERMEDIATES, /* extra intermediates for path building, PEM */
    CS_RS_PINS,          /* pin file */
    CS_RS_INTERCEPT,     /* known TLS-interception issuers */
    CS_RS_GEOBIND,       /* certificate-to-ASN/country bindings */
};

CS_EXPORT struct cs_ruleset *cs_ruleset_new(void);
CS_EXPORT void cs_ruleset_free(struct cs_ruleset *rs);
/* Parse and add one input. `name` appears in messages and in alert
 * sources ("name:line"). On error returns CS_ERR_FORMAT and writes e.g.
 * "rules/x.rules:17: unsupported keyword 'foo'" into err. */
CS_EXPORT cs_err cs_ruleset_load(struct cs_ruleset *rs, enum cs_rs_input kind, const char *name,
                                 const char *text, size_t len, char *err, size_t errlen);
/* Address variable for rules, e.g. ("HOME_NET", "[10.0.0.0/8,192.168.0.0/16]"). */
CS_EXPORT cs_err cs_ruleset_set_var(struct cs_ruleset *rs, const char *name, const char *value,
                                    char *err, size_t errlen);
/* MaxMind databases (either may be NULL): events get country/ASN, and
 * bindings can be checked. */
CS_EXPORT cs_err cs_ruleset_open_geo(struct cs_ruleset *rs, const char *country_db,
                                     const char *asn_db, char *err, size_t errlen);
/* Switch off checks: a check identifier or its family ("chain",
 * "trust.untrusted_root", "validity"), an alert category ("hygiene",
 * "mitm", "credential", ...), optionally for one side only ("client:trust"
 * silences trust findings on client chains). CS_ERR_INVAL for a name that
 * is none of these. */
CS_EXPORT cs_err cs_ruleset_disable(struct cs_ruleset *rs, const char *name);
/* Longest acceptable leaf validity in days for validity.too_long (default 398; 0 = off). */
CS_EXPORT cs_err cs_ruleset_set_max_validity(struct cs_ruleset *rs, int64_t days);
/* Install rs (the sensor owns it from now on; the previous one is freed). */
CS_EXPORT void cs_set_ruleset(struct cs_sensor *s, struct cs_ruleset *rs);
/* Certificate baselines persisted in SQLite at path (":memory:" for none):
 * services and client certificates are compared with what earlier runs saw. */
CS_EXPORT cs_err cs_open_state(struct cs_sensor *s, const char *path, char *err, size_t errlen);

/* Session keys in NSS key log format (SSLKEYLOGFILE): CLIENT_RANDOM for
 * TLS <= 1.2, *_HANDSHAKE_TRAFFIC_SECRET and *_TRAFFIC_SECRET_0 for TLS 1.3.
 * Feed bytes in any chunking (a file that is still growing can be fed as it
 * grows); a partial last line is kept until its newline or
 * cs_keylog_finish(). Keys are used for sessions whose handshake is seen
 * after they arrive. Malformed lines are counted (keylog_malformed) and
 * described by cs_last_error(); the return value is CS_ERR_FORMAT then,
 * CS_ERR_NOMEM when the store cannot be created, else CS_OK. */
CS_EXPORT cs_err cs_keylog_feed(struct cs_sensor *s, const uint8_t *data, size_t len);
CS_EXPORT cs_err cs_keylog_finish(struct cs_sensor *s);

/* Free the sensor and everything it owns. NULL is fine. */
CS_EXPORT void cs_free(struct cs_sensor *s);

/* Helpers for embedders */
CS_EXPORT void cs_hex(const uint8_t *p, size_t n, char *out); /* out: 2n+1 bytes */
CS_EXPORT void cs_endpoint_str(const struct cs_endpoint *ep, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
