/* HTTP/1.x request head parser; contract in http.h.
 *
 * One pass over the lines of the head, each checked by the grammar of RFC
 * 9112 (request-line 3, field-line 5) before anything is kept. The partial
 * last line is checked as far as it goes, so garbage is PR_MALFORMED as soon
 * as its first line shows it, not after 16 KiB. */
#include "http.h"

#include "b64.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

static struct bytes bv_make(const uint8_t *p, size_t n)
{
    struct bytes b = {p, n};
    return b;
}

static uint8_t ascii_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

static bool bv_ieq(struct bytes v, const char *s)
{
    size_t k = strlen(s);
    if (v.n != k)
        return false;
    for (size_t i = 0; i < k; i++)
        if (ascii_lower(v.p[i]) != ascii_lower((uint8_t)s[i]))
            return false;
    return true;
}

static bool is_ows(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static struct bytes bv_trim(struct bytes v)
{
    while (v.n > 0 && is_ows(v.p[0])) {
        v.p++;
        v.n--;
    }
    while (v.n > 0 && is_ows(v.p[v.n - 1]))
        v.n--;
    return v;
}

/* index of the first c in v, or v.n */
static size_t bv_find(struct bytes v, uint8_t c)
{
    if (v.n == 0)
        return 0;
    const uint8_t *q = memchr(v.p, c, v.n);
    return q ? (size_t)(q - v.p) : v.n;
}

static struct bytes bv_tail(struct bytes v, size_t k)
{
    if (k >= v.n)
        return bv_make(v.n ? v.p + v.n : v.p, 0);
    return bv_make(v.p + k, v.n - k);
}

/* RFC 9110 5.6.2 tchar */
static bool is_tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 9110 5.5 field-value: VCHAR, obs-text, SP, HTAB */
static bool is_value_char(uint8_t c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* RFC 9112 3.2 request-target: no whitespace or controls (obs-text tolerated) */
static bool is_target_char(uint8_t c)
{
    return c > 0x20 && c != 0x7f;
}

/* RFC 9112 3: method SP request-target SP HTTP-version. When `partial`, l
 * is the start of a line still being received: PR_INCOMPLETE if it can
 * still become valid. */
static enum pr_status check_request_line(struct bytes l, bool partial, struct http_request *out)
{
    size_t i = 0, t;
    while (i < l.n && is_tchar(l.p[i]))
        i++;
    if (i == l.n)
        return partial ? PR_INCOMPLETE : PR_MALFORMED;
    if (i == 0 || l.p[i] != ' ')
        return PR_MALFORMED;
    out->method = bv_make(l.p, i);
    t = ++i;
    while (i < l.n && is_target_char(l.p[i]))
        i++;
    if (i == l.n)
        return partial ? PR_INCOMPLETE : PR_MALFORMED;
    if (i == t || l.p[i] != ' ')
        return PR_MALFORMED;
    out->target = bv_make(l.p + t, i - t);
    struct bytes v = bv_tail(l, i + 1);
    /* RFC 9112 2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT */
    static const char shape[] = "HTTP/9.9";
    if (v.n > 8)
        return PR_MALFORMED;
    for (size_t k = 0; k < v.n; k++) {
        bool ok = (shape[k] == '9') ? (v.p[k] >= '0' && v.p[k] <= '9') : v.p[k] == shape[k];
        if (!ok)
            return PR_MALFORMED;
    }
    if (partial || v.n < 8)
        return partial ? PR_INCOMPLETE : PR_MALFORMED;
    if (v.p[5] != '1' || v.p[7] > '1')
        return PR_UNSUPPORTED;
    out->version_minor = (uint8_t)(v.p[7] - '0');
    return PR_OK;
}

/* RFC 9112 5: field-name ":" OWS field-value OWS */
static enum pr_status check_header(struct bytes l, bool partial, struct http_header *h)
{
    size_t i = 0;
    if (l.n > 0 && is_ows(l.p[0]))
        return PR_MALFORMED; /* RFC 9112 5.2 obs-fold: rejected */
    while (i < l.n && is_tchar(l.p[i]))
        i++;
    if (i == l.n)
        return partial ? PR_INCOMPLETE : PR_MALFORMED;
    if (i == 0 || l.p[i] != ':')
        return PR_MALFORMED; /* RFC 9112 5.1: no whitespace before ':' */
    struct bytes v = bv_tail(l, i + 1);
    for (size_t k = 0; k < v.n; k++)
        if (!is_value_char(v.p[k]))
            return PR_MALFORMED;
    if (partial)
        return PR_INCOMPLETE;
    h->name = bv_make(l.p, i);
    h->value = bv_trim(v);
    return PR_OK;
}


/* RFC 9110 11.6.2 credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ] */
static void parse_authorization(struct http_request *r, struct bytes v)
{
    size_t i = 0;
    while (i < v.n && is_tchar(v.p[i]))
        i++;
    struct bytes scheme = bv_make(v.p, i);
    struct bytes cred = bv_trim(bv_tail(v, i));
    r->auth_scheme_name = scheme;
    if (scheme.n == 0)
        r->auth = HTTP_AUTH_OTHER;
    else if (bv_ieq(scheme, "Basic"))
        r->auth = HTTP_AUTH_BASIC;
    else if (bv_ieq(scheme, "NTLM"))
        r->auth = HTTP_AUTH_NTLM;
    else if (bv_ieq(scheme, "Negotiate"))
        r->auth = HTTP_AUTH_NEGOTIATE;
    else if (bv_ieq(scheme, "Bearer"))
        r->auth = HTTP_AUTH_BEARER;
    else if (bv_ieq(scheme, "Digest"))
        r->auth = HTTP_AUTH_DIGEST;
    else
        r->auth = HTTP_AUTH_OTHER;

    if (r->auth == HTTP_AUTH_NEGOTIATE) {
        /* RFC 4559 4.2 allows raw NTLMSSP here; base64 of "NTLMSSP\0" */
        static const char ntlmssp[] = "TlRMTVNTUA";
        r->auth_negotiate_ntlm =
            cred.n >= sizeof ntlmssp - 1 && memcmp(cred.p, ntlmssp, sizeof ntlmssp - 1) == 0;
    }
    if (r->auth != HTTP_AUTH_BASIC || cred.n == 0)
        return;
    /* RFC 7617 2: base64(user-id ":" password); user-id has no ':', so the
     * bytes before the first ':' are never part of the password */
    uint8_t raw[800];
    size_t n = b64_decode(cred, cred.n > 1024, raw, sizeof raw);
    if (n != SIZE_MAX) {
        struct bytes d = bv_make(raw, n);
        size_t colon = bv_find(d, ':');
        size_t k = colon < HTTP_USER_MAX - 1 ? colon : HTTP_USER_MAX - 1;
        for (size_t j = 0; j < k; j++)
            r->basic_user[j] = (raw[j] >= 0x20 && raw[j] < 0x7f) ? (char)raw[j] : '?';
        r->basic_user_truncated = colon > k;
    }
    OPENSSL_cleanse(raw, sizeof raw);
}

/* RFC 9110 8.6: Content-Length = 1*DIGIT; a list of identical values may be
 * folded into one; anything else is an unrecoverable error (RFC 9112 6.3) */
static bool parse_content_length(struct http_request *r, struct bytes v)
{
    for (;;) {
        size_t comma = bv_find(v, ',');
        struct bytes one = bv_trim(bv_make(v.p, comma));
        uint64_t x = 0;
        if (one.n == 0 || one.n > 19)
            return false;
        for (size_t i = 0; i < one.n; i++) {
            if (one.p[i] < '0' || one.p[i] > '9')
                return false;
            x = x * 10u + (uint64_t)(one.p[i] - '0'); /* 19 digits < 2^64 */
        }
        if (r->has_content_length && r->content_length != x)
            return false; /* [HTTP-CL-CONFLICT] request smuggling shape */
        r->has_content_length = true;
        r->content_length = x;
        if (comma == v.n)
            return true;
        v = bv_tail(v, comma + 1);
    }
}

/* origin-form path and query (RFC 9112 3.2.1), also out of absolute-form (3.2.2) */
static void split_target(struct http_request *r)
{
    struct bytes t = r->target;
    size_t start;
    if (t.n > 0 && t.p[0] == '/') {
        start = 0;
    } else {
        size_t k = 0;
        while (k + 2 < t.n && !(t.p[k] == ':' && t.p[k + 1] == '/' && t.p[k + 2] == '/'))
            k++;
        if (k + 2 >= t.n)
            return; /* authority-form or asterisk-form: no path */
        struct bytes auth = bv_tail(t, k + 3);
        size_t e = 0;
        while (e < auth.n && auth.p[e] != '/' && auth.p[e] != '?' && auth.p[e] != '#')
            e++;
        start = (size_t)(auth.p - t.p) + e;
    }
    struct bytes rest = bv_tail(t, start);
    size_t frag = bv_find(rest, '#');
    rest.n = frag;
    size_t q = bv_find(rest, '?');
    r->path = bv_make(rest.p, q);
    if (q < rest.n)
        r->query = bv_tail(rest, q + 1);
}

static enum pr_status interpret(struct http_request *r)
{
    bool te = false;
    for (size_t i = 0; i < r->n_headers; i++) {
        const struct http_header *h = &r->headers[i];
        if (bv_ieq(h->name, "Host")) {
            if (r->host.p != NULL)
                r->duplicate_host = true;
            else
                r->host = h->value;
        } else if (bv_ieq(h->name, "User-Agent") && r->user_agent.p == NULL) {
            r->user_agent = h->value;
        } else if (bv_ieq(h->name, "X-AnchorMailbox") && r->anchor_mailbox.p == NULL) {
            r->anchor_mailbox = h->value;
        } else if (bv_ieq(h->name, "Content-Type") && r->content_type.p == NULL) {
            r->content_type = h->value;
        } else if (bv_ieq(h->name, "SOAPAction") && r->soap_action.p == NULL) {
            r->soap_action = h->value;
        } else if (bv_ieq(h->name, "Authorization") && r->auth == HTTP_AUTH_NONE) {
            parse_authorization(r, h->value);
        } else if (bv_ieq(h->name, "Content-Length")) {
            if (!parse_content_length(r, h->value))
                return PR_MALFORMED;
        } else if (bv_ieq(h->name, "Transfer-Encoding")) {
            /* RFC 9112 6.1: chunked must be the last coding */
            struct bytes v = h->value;
            size_t last = 0;
            for (size_t k = 0; k < v.n; k++)
                if (v.p[k] == ',')
                    last = k + 1;
            r->chunked = bv_ieq(bv_trim(bv_tail(v, last)), "chunked");
            te = true;
        }
    }
    r->te_and_cl = te && r->has_content_length;
    split_target(r);
    return PR_OK;
}

enum pr_status http_parse_request(const uint8_t *p, size_t n, struct http_request *out)
{
    enum pr_status st = PR_MALFORMED;
    if (out == NULL)
        return PR_MALFORMED;
    memset(out, 0, sizeof *out);
    if (p == NULL && n > 0)
        goto fail;
    size_t lim = n < HTTP_HEADER_BLOCK_MAX ? n : HTTP_HEADER_BLOCK_MAX;
    struct bytes all = bv_make(p, lim);
    size_t i = 0;
    bool first = true;
    /* RFC 9112 2.2: empty lines before the request-line are ignored */
    while (i < lim && (p[i] == '\n' || (p[i] == '\r' && (i + 1 == lim || p[i + 1] == '\n'))))
        i++;
    for (;;) {
        struct bytes rest = bv_tail(all, i);
        size_t lf = bv_find(rest, '\n');
        bool partial = (lf == rest.n);
        struct bytes line = bv_make(rest.p, lf);
        if (line.n > 0 && line.p[line.n - 1] == '\r')
            line.n--; /* for a partial line: the LF may follow */
        if (bv_find(line, '\r') < line.n) {
            st = PR_MALFORMED; /* [HTTP-BARE-CR] RFC 9112 2.2 */
            goto fail;
        }
        if (partial) {
            if (!first && out->n_headers == HTTP_MAX_HEADERS && line.n > 0) {
                st = PR_LIMIT;
                goto fail;
            }
            if (first)
                st = check_request_line(line, true, out);
            else if (line.n == 0)
                st = PR_INCOMPLETE;
            else
                st = check_header(line, true, &out->headers[out->n_headers]);
            if (st == PR_INCOMPLETE && n >= HTTP_HEADER_BLOCK_MAX)
                st = PR_LIMIT; /* [HTTP-HEAD-CAP] the head does not end within the cap */
            goto fail;
        }
        i += lf + 1;
        if (first) {
            st = check_request_line(line, false, out);
            if (st != PR_OK)
                goto fail;
            first = false;
            continue;
        }
        if (line.n == 0) {
            out->head_len = i;
            break;
        }
        if (out->n_headers == HTTP_MAX_HEADERS) { /* [HTTP-HDR-CAP] */
            st = PR_LIMIT;
            goto fail;
        }
        st = check_header(line, false, &out->headers[out->n_headers]);
        if (st != PR_OK)
            goto fail;
        out->n_headers++;
    }
    st = interpret(out);
    if (st == PR_OK)
        return PR_OK;
fail:
    OPENSSL_cleanse(out->basic_user, sizeof out->basic_user);
    memset(out, 0, sizeof *out);
    return st;
}

const struct http_header *http_find_header(const struct http_header *hdrs, size_t n_hdrs,
                                           const char *name)
{
    for (size_t i = 0; hdrs != NULL && i < n_hdrs; i++)
        if (bv_ieq(hdrs[i].name, name))
            return &hdrs[i];
    return NULL;
}
