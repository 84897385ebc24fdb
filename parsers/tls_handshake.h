/* Pure parsers for TLS handshake message bodies (RFC 5246, RFC 8446).
 *
 * Input is one complete handshake message body (the bytes after the 4-byte
 * msg_type/length header). Outputs are borrowed views into that input;
 * nothing is allocated. Every length read from the wire is checked; an
 * inner length that does not exactly fill its block is PR_MALFORMED.
 * Messages are complete, so truncation is PR_MALFORMED (never INCOMPLETE).
 * On any status other than PR_OK, *out is zeroed (no partial views). */
#ifndef CS_PARSERS_TLS_HANDSHAKE_H
#define CS_PARSERS_TLS_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "status.h"

/* RFC 8446 4. HandshakeType */
enum tls_hs_type {
    TLS_HS_HELLO_REQUEST = 0,
    TLS_HS_CLIENT_HELLO = 1,
    TLS_HS_SERVER_HELLO = 2,
    TLS_HS_NEW_SESSION_TICKET = 4,
    TLS_HS_END_OF_EARLY_DATA = 5,
    TLS_HS_ENCRYPTED_EXTENSIONS = 8,
    TLS_HS_CERTIFICATE = 11,
    TLS_HS_SERVER_KEY_EXCHANGE = 12,
    TLS_HS_CERTIFICATE_REQUEST = 13,
    TLS_HS_SERVER_HELLO_DONE = 14,
    TLS_HS_CERTIFICATE_VERIFY = 15,
    TLS_HS_CLIENT_KEY_EXCHANGE = 16,
    TLS_HS_FINISHED = 20,
    TLS_HS_CERTIFICATE_STATUS = 22,
    TLS_HS_KEY_UPDATE = 24,
    TLS_HS_COMPRESSED_CERTIFICATE = 25,
    TLS_HS_MESSAGE_HASH = 254,
};

/* Extension numbers used by the parsers and fingerprints */
enum {
    TLS_EXT_SERVER_NAME = 0,
    TLS_EXT_SUPPORTED_GROUPS = 10,
    TLS_EXT_EC_POINT_FORMATS = 11,
    TLS_EXT_SIGNATURE_ALGORITHMS = 13,
    TLS_EXT_ALPN = 16,
    TLS_EXT_SESSION_TICKET = 35,
    TLS_EXT_PRE_SHARED_KEY = 41,
    TLS_EXT_SUPPORTED_VERSIONS = 43,
    TLS_EXT_CERTIFICATE_AUTHORITIES = 47,
    TLS_EXT_KEY_SHARE = 51,
};

/* RFC 8701 GREASE values: 0x?A?A with both bytes equal */
static inline bool tls_is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

struct tls_client_hello {
    uint16_t legacy_version;
    struct bytes random;           /* 32 bytes */
    struct bytes session_id;       /* 0..32 bytes */
    struct bytes ciphers;          /* raw list of 2-byte suites (even length) */
    struct bytes compression;      /* raw list of 1-byte methods */
    bool has_extensions;           /* the extensions block was present (may be empty) */
    struct bytes extensions;       /* raw extensions block, without its 2-byte length */
    struct bytes sni;              /* first host_name in server_name, or empty */
    struct bytes alpn;             /* ProtocolNameList body (each: 1-byte len + name) */
    struct bytes supported_versions; /* list body: 2-byte versions */
    struct bytes groups;           /* supported_groups body: 2-byte groups */
    struct bytes ec_point_formats; /* body: 1-byte formats */
    struct bytes sig_algs;         /* signature_algorithms body: 2-byte schemes */
    bool has_session_ticket_ext;
    bool has_pre_shared_key;
    uint16_t max_version;          /* highest non-GREASE offered (supported_versions, else legacy) */
};

struct tls_server_hello {
    uint16_t legacy_version;
    uint16_t version;              /* selected: supported_versions if present, else legacy */
    struct bytes random;
    struct bytes session_id;
    uint16_t cipher_suite;
    uint8_t compression;
    bool has_extensions;
    struct bytes extensions;       /* raw extensions block */
    struct bytes alpn;             /* the one selected protocol name (no length byte) */
    bool is_hello_retry_request;   /* RFC 8446 4.1.3 special random */
    bool has_pre_shared_key;       /* TLS 1.3 PSK accepted (resumption) */
};

#ifndef TLS_CERT_LIST_MAX
#define TLS_CERT_LIST_MAX 16
#endif

struct tls_cert_list {
    struct bytes request_context;  /* TLS 1.3 only */
    struct bytes certs[TLS_CERT_LIST_MAX];
    size_t count;                  /* entries stored in certs[] */
    size_t total;                  /* entries present in the message */
    bool truncated;                /* total > TLS_CERT_LIST_MAX */
};

struct tls_cert_request {
    size_t ca_count;               /* certificate_authorities entries (TLS 1.2 list or 1.3 ext) */
};

/* RFC 5246 7.4.1.2 / RFC 8446 4.1.2 */
enum pr_status tls_parse_client_hello(const uint8_t *msg, size_t len,
                                      struct tls_client_hello *out);
/* RFC 5246 7.4.1.3 / RFC 8446 4.1.3 */
enum pr_status tls_parse_server_hello(const uint8_t *msg, size_t len,
                                      struct tls_server_hello *out);
/* RFC 5246 7.4.2: opaque ASN.1Cert<1..2^24-1>; certificate_list<0..2^24-1>
 * RFC 8446 4.4.2: request_context<0..255>, CertificateEntry list with
 * per-entry extensions. `tls13` selects the layout. Stores at most
 * TLS_CERT_LIST_MAX views but validates the whole list; a longer valid list
 * is still PR_OK, with `truncated` set and `total` counting every entry. */
enum pr_status tls_parse_certificate(const uint8_t *msg, size_t len, bool tls13,
                                     struct tls_cert_list *out);
/* RFC 5246 7.4.4 / RFC 8446 4.3.2. Without tls13, the TLS 1.2 layout is
 * tried first and the TLS 1.0/1.1 one (no signature algorithms, RFC 4346
 * 7.4.4) when it does not fit exactly. ca_count: TLS 1.2 list entries, or
 * entries of the TLS 1.3 certificate_authorities extension (47). */
enum pr_status tls_parse_certificate_request(const uint8_t *msg, size_t len, bool tls13,
                                             struct tls_cert_request *out);

/* Iterate a raw extensions block: returns true and fills type/body for each
 * extension in turn; false at the end or on a malformed block (then
 * it->err is set). */
struct tls_ext_iter {
    struct cur c;
    bool err;
};
void tls_ext_iter_init(struct tls_ext_iter *it, struct bytes extensions);
bool tls_ext_next(struct tls_ext_iter *it, uint16_t *type, struct bytes *body);

/* Static name for a version number ("TLS 1.2", "SSLv3", ...), "unknown" otherwise. */
const char *tls_version_name(uint16_t v);

#endif
