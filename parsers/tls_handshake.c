/* Pure parsers for TLS handshake message bodies.
 *
 * Wire formats: RFC 5246 (TLS 1.2) section 7.4, RFC 4346 (TLS 1.1) 7.4.4,
 * RFC 8446 (TLS 1.3) section 4, RFC 6066 (server_name), RFC 7301 (ALPN),
 * RFC 8422 (ec_point_formats), RFC 8701 (GREASE).
 *
 * Every read goes through the cursor in cursor.h. The policy throughout:
 * the framing of every structure is enforced (each length must fit and each
 * vector must exactly fill its block), the top-level minimums of the hello
 * skeleton are enforced, and the contents of extensions are recorded as
 * sent (a passive sensor fingerprints what clients send; the peer decides
 * whether it is acceptable). On any status other than PR_OK, *out is zeroed
 * so a caller never sees views from a rejected message. */
#include "tls_handshake.h"

#include <string.h>

/* A length-prefixed opaque vector (1, 2 or 3 length bytes) as a view.
 * On a bad length the parent cursor's sticky error is set. */
static struct bytes take_vec(struct cur *c, unsigned lenbytes)
{
    struct cur s = cur_block(c, lenbytes);
    return cur_bytes(&s, cur_left(&s));
}

/* The body of an extension that is exactly one length-prefixed vector of
 * elem-byte elements (e.g. supported_groups, signature_algorithms).
 * [TLS-EXT-INNER-LEN] the inner length must exactly fill the extension. */
static bool ext_single_vec(struct bytes body, unsigned lenbytes, size_t elem, struct bytes *out)
{
    struct cur c = cur_make(body.p, body.n);
    struct bytes v = take_vec(&c, lenbytes);
    if (!cur_done(&c) || v.n % elem != 0)
        return false;
    *out = v;
    return true;
}

/* RFC 6066 3: struct { NameType name_type; select (name_type) {
 * case host_name: HostName; } name; } ServerName;
 * ServerName server_name_list<1..2^16-1>. Every name type in use is framed
 * with a 2-byte length, so all entries are walked with that framing; the
 * first host_name (0) is returned. An empty body (the form a server echoes)
 * is accepted as "no name". */
static bool parse_server_name(struct bytes body, struct bytes *sni)
{
    if (body.n == 0)
        return true;
    struct cur c = cur_make(body.p, body.n);
    struct cur list = cur_block(&c, 2);
    if (!cur_done(&c))
        return false;
    bool found = false;
    while (!cur_empty(&list)) {
        uint8_t name_type = cur_u8(&list);
        struct bytes name = take_vec(&list, 2);
        if (list.err)
            return false;
        if (name_type == 0 && !found) {
            *sni = name;
            found = true;
        }
    }
    return !list.err;
}

/* RFC 7301 3.1: opaque ProtocolName<1..2^8-1>;
 * ProtocolName protocol_name_list<2..2^16-1>. Returns the list body (the
 * names with their 1-byte lengths) and the number of names. Empty names
 * are framed correctly and kept: JA4 defines their fingerprint. */
static bool parse_alpn_list(struct bytes body, struct bytes *list_body, size_t *count)
{
    struct bytes v;
    if (!ext_single_vec(body, 2, 1, &v))
        return false;
    struct cur c = cur_make(v.p, v.n);
    size_t n = 0;
    while (!cur_empty(&c)) {
        (void)take_vec(&c, 1);
        if (c.err)
            return false;
        n++;
    }
    *list_body = v;
    *count = n;
    return true;
}

/* Walks an extensions block only to check its framing (used for the
 * per-entry extensions of a TLS 1.3 CertificateEntry). */
static bool ext_block_ok(struct bytes exts)
{
    struct tls_ext_iter it;
    uint16_t type;
    struct bytes body;
    tls_ext_iter_init(&it, exts);
    while (tls_ext_next(&it, &type, &body)) {
    }
    return !it.err;
}

void tls_ext_iter_init(struct tls_ext_iter *it, struct bytes extensions)
{
    it->c = cur_make(extensions.p, extensions.n);
    it->err = it->c.err;
}

/* RFC 8446 4.2 / RFC 5246 7.4.1.4: struct { ExtensionType extension_type;
 * opaque extension_data<0..2^16-1>; } Extension; */
bool tls_ext_next(struct tls_ext_iter *it, uint16_t *type, struct bytes *body)
{
    if (it->err || cur_empty(&it->c))
        return false;
    uint16_t t = cur_u16(&it->c);
    struct bytes b = take_vec(&it->c, 2);
    if (it->c.err) {
        /* [TLS-EXT-LEN] an extension that runs past its block */
        it->err = true;
        return false;
    }
    *type = t;
    *body = b;
    return true;
}

/* Bits for the extensions whose contents we interpret. RFC 8446 4.2: "There
 * MUST NOT be more than one extension of the same type in a given extension
 * block." A duplicate of one of these would make the views ambiguous (which
 * SNI did the server see?), so it is PR_MALFORMED. Duplicates of types we
 * do not interpret are not searched for: that would cost O(n^2). */
enum {
    SEEN_SNI = 1u << 0,
    SEEN_ALPN = 1u << 1,
    SEEN_VERSIONS = 1u << 2,
    SEEN_GROUPS = 1u << 3,
    SEEN_FORMATS = 1u << 4,
    SEEN_SIGALGS = 1u << 5,
    SEEN_TICKET = 1u << 6,
    SEEN_PSK = 1u << 7,
    SEEN_CAS = 1u << 8,
};

static bool first_seen(unsigned *seen, unsigned bit)
{
    if (*seen & bit)
        return false;
    *seen |= bit;
    return true;
}

static bool client_ext(struct tls_client_hello *ch, unsigned *seen, uint16_t type,
                       struct bytes body)
{
    size_t count;
    switch (type) {
    case TLS_EXT_SERVER_NAME:
        return first_seen(seen, SEEN_SNI) && parse_server_name(body, &ch->sni);
    case TLS_EXT_ALPN:
        return first_seen(seen, SEEN_ALPN) && parse_alpn_list(body, &ch->alpn, &count);
    case TLS_EXT_SUPPORTED_VERSIONS:
        /* RFC 8446 4.2.1: ProtocolVersion versions<2..254> */
        return first_seen(seen, SEEN_VERSIONS) &&
               ext_single_vec(body, 1, 2, &ch->supported_versions);
    case TLS_EXT_SUPPORTED_GROUPS:
        /* RFC 8446 4.2.7: NamedGroup named_group_list<2..2^16-1> */
        return first_seen(seen, SEEN_GROUPS) && ext_single_vec(body, 2, 2, &ch->groups);
    case TLS_EXT_EC_POINT_FORMATS:
        /* RFC 8422 5.1.2: ECPointFormat ec_point_format_list<1..2^8-1> */
        return first_seen(seen, SEEN_FORMATS) && ext_single_vec(body, 1, 1, &ch->ec_point_formats);
    case TLS_EXT_SIGNATURE_ALGORITHMS:
        /* RFC 8446 4.2.3: SignatureScheme supported_signature_algorithms<2..2^16-2> */
        return first_seen(seen, SEEN_SIGALGS) && ext_single_vec(body, 2, 2, &ch->sig_algs);
    case TLS_EXT_SESSION_TICKET:
        /* RFC 5077 3.2: opaque ticket, any length */
        ch->has_session_ticket_ext = true;
        return first_seen(seen, SEEN_TICKET);
    case TLS_EXT_PRE_SHARED_KEY:
        /* RFC 8446 4.2.11: OfferedPsks; presence is what we report */
        ch->has_pre_shared_key = true;
        return first_seen(seen, SEEN_PSK);
    default:
        return true;
    }
}

/* RFC 8446 4.2.1: the highest non-GREASE entry of supported_versions when
 * the extension carries one, else legacy_version. Plain numeric order is
 * right for TLS (0x0300..0x0304); DTLS is not parsed here. */
static uint16_t client_max_version(const struct tls_client_hello *ch, bool have_versions)
{
    uint16_t best = 0;
    bool any = false;
    if (have_versions) {
        struct cur c = cur_make(ch->supported_versions.p, ch->supported_versions.n);
        while (!cur_empty(&c)) {
            uint16_t v = cur_u16(&c);
            if (c.err || tls_is_grease(v))
                continue;
            if (!any || v > best)
                best = v;
            any = true;
        }
    }
    return any ? best : ch->legacy_version;
}

/* RFC 5246 7.4.1.2 / RFC 8446 4.1.2:
 *   ProtocolVersion legacy_version; Random random;
 *   opaque legacy_session_id<0..32>;
 *   CipherSuite cipher_suites<2..2^16-2>;
 *   opaque legacy_compression_methods<1..2^8-1>;
 *   Extension extensions<8..2^16-1>;   -- absent in SSLv3 / early TLS 1.0 hellos
 */
enum pr_status tls_parse_client_hello(const uint8_t *msg, size_t len, struct tls_client_hello *out)
{
    struct tls_client_hello ch;
    memset(&ch, 0, sizeof ch);
    if (out == NULL)
        return PR_MALFORMED;

    struct cur c = cur_make(msg, len);
    ch.legacy_version = cur_u16(&c);
    ch.random = cur_bytes(&c, 32);
    ch.session_id = take_vec(&c, 1);
    ch.ciphers = take_vec(&c, 2);
    ch.compression = take_vec(&c, 1);
    if (c.err)
        goto bad;
    /* [TLS-CH-SKELETON] RFC minimums of the hello itself */
    if (ch.session_id.n > 32 || ch.ciphers.n == 0 || ch.ciphers.n % 2 != 0 || ch.compression.n == 0)
        goto bad;

    bool have_versions = false;
    if (!cur_empty(&c)) {
        ch.has_extensions = true;
        ch.extensions = take_vec(&c, 2);
        /* [TLS-TRAILING] nothing may follow the extensions block */
        if (!cur_done(&c))
            goto bad;

        unsigned seen = 0;
        struct tls_ext_iter it;
        uint16_t type;
        struct bytes body;
        tls_ext_iter_init(&it, ch.extensions);
        while (tls_ext_next(&it, &type, &body)) {
            if (!client_ext(&ch, &seen, type, body))
                goto bad;
        }
        if (it.err)
            goto bad;
        have_versions = (seen & SEEN_VERSIONS) != 0;
    }
    ch.max_version = client_max_version(&ch, have_versions);
    *out = ch;
    return PR_OK;
bad:
    memset(out, 0, sizeof *out);
    return PR_MALFORMED;
}

/* RFC 8446 4.1.3: the Random of a HelloRetryRequest is SHA-256("HelloRetryRequest"). */
static bool is_hrr_random(struct bytes random)
{
    static const uint8_t hrr[32] = {
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
        0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
        0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
    };
    return random.n == sizeof hrr && memcmp(random.p, hrr, sizeof hrr) == 0;
}

static bool server_ext(struct tls_server_hello *sh, unsigned *seen, uint16_t type,
                       struct bytes body)
{
    struct cur c = cur_make(body.p, body.n);
    switch (type) {
    case TLS_EXT_SUPPORTED_VERSIONS:
        /* RFC 8446 4.2.1: ServerHello carries ProtocolVersion selected_version */
        if (!first_seen(seen, SEEN_VERSIONS))
            return false;
        sh->version = cur_u16(&c);
        return cur_done(&c);
    case TLS_EXT_ALPN: {
        /* RFC 7301 3.1: the server's list "MUST contain exactly one" name */
        struct bytes list;
        size_t count = 0;
        if (!first_seen(seen, SEEN_ALPN) || !parse_alpn_list(body, &list, &count) || count != 1)
            return false;
        struct cur lc = cur_make(list.p, list.n);
        sh->alpn = take_vec(&lc, 1);
        return cur_done(&lc);
    }
    case TLS_EXT_PRE_SHARED_KEY:
        /* RFC 8446 4.2.11: ServerHello carries uint16 selected_identity */
        if (!first_seen(seen, SEEN_PSK))
            return false;
        sh->has_pre_shared_key = true;
        (void)cur_u16(&c);
        return cur_done(&c);
    default:
        return true;
    }
}

/* RFC 5246 7.4.1.3 / RFC 8446 4.1.3:
 *   ProtocolVersion legacy_version; Random random;
 *   opaque legacy_session_id_echo<0..32>; CipherSuite cipher_suite;
 *   uint8 legacy_compression_method; Extension extensions<6..2^16-1>;
 * (extensions absent in SSLv3 / early TLS 1.0 hellos) */
enum pr_status tls_parse_server_hello(const uint8_t *msg, size_t len, struct tls_server_hello *out)
{
    struct tls_server_hello sh;
    memset(&sh, 0, sizeof sh);
    if (out == NULL)
        return PR_MALFORMED;

    struct cur c = cur_make(msg, len);
    sh.legacy_version = cur_u16(&c);
    sh.random = cur_bytes(&c, 32);
    sh.session_id = take_vec(&c, 1);
    sh.cipher_suite = cur_u16(&c);
    sh.compression = cur_u8(&c);
    if (c.err || sh.session_id.n > 32)
        goto bad;

    bool have_version = false;
    if (!cur_empty(&c)) {
        sh.has_extensions = true;
        sh.extensions = take_vec(&c, 2);
        /* [TLS-TRAILING] nothing may follow the extensions block */
        if (!cur_done(&c))
            goto bad;

        unsigned seen = 0;
        struct tls_ext_iter it;
        uint16_t type;
        struct bytes body;
        tls_ext_iter_init(&it, sh.extensions);
        while (tls_ext_next(&it, &type, &body)) {
            if (!server_ext(&sh, &seen, type, body))
                goto bad;
        }
        if (it.err)
            goto bad;
        have_version = (seen & SEEN_VERSIONS) != 0;
    }
    if (!have_version)
        sh.version = sh.legacy_version;
    sh.is_hello_retry_request = is_hrr_random(sh.random);
    *out = sh;
    return PR_OK;
bad:
    memset(out, 0, sizeof *out);
    return PR_MALFORMED;
}

/* RFC 5246 7.4.2:
 *   opaque ASN.1Cert<1..2^24-1>;
 *   struct { ASN.1Cert certificate_list<0..2^24-1>; } Certificate;
 * RFC 8446 4.4.2:
 *   struct { opaque cert_data<1..2^24-1>; Extension extensions<0..2^16-1>; }
 *     CertificateEntry;
 *   struct { opaque certificate_request_context<0..2^8-1>;
 *            CertificateEntry certificate_list<0..2^24-1>; } Certificate;
 * The DER itself is not looked into here (x509_analyse does that). */
enum pr_status tls_parse_certificate(const uint8_t *msg, size_t len, bool tls13,
                                     struct tls_cert_list *out)
{
    if (out == NULL)
        return PR_MALFORMED;
    memset(out, 0, sizeof *out);

    struct cur c = cur_make(msg, len);
    if (tls13)
        out->request_context = take_vec(&c, 1);
    struct cur list = cur_block(&c, 3);
    /* [TLS-CERT-LIST-LEN] the list length must equal the rest of the message:
     * a list that claims more bytes than the message holds yields nothing. */
    if (!cur_done(&c))
        goto bad;

    while (!cur_empty(&list)) {
        struct bytes der = take_vec(&list, 3);
        /* [TLS-CERT-EMPTY] ASN.1Cert<1..2^24-1>: a zero-length entry is malformed */
        if (list.err || der.n == 0)
            goto bad;
        if (tls13) {
            struct bytes exts = take_vec(&list, 2);
            if (list.err || !ext_block_ok(exts))
                goto bad;
        }
        if (out->count < TLS_CERT_LIST_MAX)
            out->certs[out->count++] = der;
        else
            out->truncated = true; /* [TLS-CERT-CAP] counted, still validated */
        out->total++;
    }
    if (list.err)
        goto bad;
    return PR_OK;
bad:
    memset(out, 0, sizeof *out);
    return PR_MALFORMED;
}

/* opaque DistinguishedName<1..2^16-1>; DistinguishedName list<...>:
 * counts the entries of a list body; every entry must be non-empty and
 * the entries must exactly fill the list. */
static bool count_dns(struct bytes list, size_t *count)
{
    struct cur c = cur_make(list.p, list.n);
    size_t n = 0;
    while (!cur_empty(&c)) {
        struct bytes dn = take_vec(&c, 2);
        if (c.err || dn.n == 0)
            return false;
        n++;
    }
    *count = n;
    return !c.err;
}

/* RFC 5246 7.4.4 (TLS 1.2):
 *   ClientCertificateType certificate_types<1..2^8-1>;
 *   SignatureAndHashAlgorithm supported_signature_algorithms<2..2^16-2>;
 *   DistinguishedName certificate_authorities<0..2^16-1>; */
static bool cert_request_12(const uint8_t *msg, size_t len, size_t *ca_count)
{
    struct cur c = cur_make(msg, len);
    struct bytes types = take_vec(&c, 1);
    struct bytes sigalgs = take_vec(&c, 2);
    struct bytes cas = take_vec(&c, 2);
    if (!cur_done(&c) || types.n == 0 || sigalgs.n < 2 || sigalgs.n % 2 != 0)
        return false;
    return count_dns(cas, ca_count);
}

/* RFC 4346 7.4.4 / RFC 2246 7.4.4 (TLS 1.1 / 1.0, SSLv3): no signature
 * algorithms field.
 *   ClientCertificateType certificate_types<1..2^8-1>;
 *   DistinguishedName certificate_authorities<3..2^16-1>;
 * (an empty list is sent in practice and accepted) */
static bool cert_request_10(const uint8_t *msg, size_t len, size_t *ca_count)
{
    struct cur c = cur_make(msg, len);
    struct bytes types = take_vec(&c, 1);
    struct bytes cas = take_vec(&c, 2);
    if (!cur_done(&c) || types.n == 0)
        return false;
    return count_dns(cas, ca_count);
}

/* RFC 8446 4.3.2:
 *   opaque certificate_request_context<0..2^8-1>;
 *   Extension extensions<2..2^16-1>;
 * RFC 8446 4.2.4: DistinguishedName authorities<3..2^16-1> in extension 47. */
static bool cert_request_13(const uint8_t *msg, size_t len, size_t *ca_count)
{
    struct cur c = cur_make(msg, len);
    (void)take_vec(&c, 1);
    struct bytes exts = take_vec(&c, 2);
    if (!cur_done(&c))
        return false;

    unsigned seen = 0;
    size_t n = 0;
    struct tls_ext_iter it;
    uint16_t type;
    struct bytes body;
    tls_ext_iter_init(&it, exts);
    while (tls_ext_next(&it, &type, &body)) {
        if (type != TLS_EXT_CERTIFICATE_AUTHORITIES)
            continue;
        struct bytes list;
        if (!first_seen(&seen, SEEN_CAS) || !ext_single_vec(body, 2, 1, &list) ||
            !count_dns(list, &n))
            return false;
    }
    if (it.err)
        return false;
    *ca_count = n;
    return true;
}

enum pr_status tls_parse_certificate_request(const uint8_t *msg, size_t len, bool tls13,
                                             struct tls_cert_request *out)
{
    if (out == NULL)
        return PR_MALFORMED;
    memset(out, 0, sizeof *out);
    size_t n = 0;
    bool ok;
    if (tls13)
        ok = cert_request_13(msg, len, &n);
    else /* the 1.2 layout first; if it does not fit exactly, the 1.0/1.1 one */
        ok = cert_request_12(msg, len, &n) || cert_request_10(msg, len, &n);
    if (!ok)
        return PR_MALFORMED;
    out->ca_count = n;
    return PR_OK;
}

const char *tls_version_name(uint16_t v)
{
    switch (v) {
    case 0x0002:
        return "SSLv2";
    case 0x0300:
        return "SSLv3";
    case 0x0301:
        return "TLS 1.0";
    case 0x0302:
        return "TLS 1.1";
    case 0x0303:
        return "TLS 1.2";
    case 0x0304:
        return "TLS 1.3";
    default:
        return "unknown";
    }
}
