/* EWS / Autodiscover classification; contract and limits in ews.h.
 *
 * A tokenizer hands out one markup construct at a time from p[*pos..n),
 * never looking at p[n] or beyond: every search is bounded by n, and a
 * construct that does not end before n is reported as incomplete rather
 * than guessed. The classifier keeps a bounded stack of open elements. */
#include "ews.h"

#include <string.h>

static struct bytes bv_make(const uint8_t *p, size_t n)
{
    struct bytes b = {p, n};
    return b;
}

static uint8_t ascii_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

static bool bv_eq(struct bytes v, const char *s)
{
    size_t k = strlen(s);
    return v.n == k && (k == 0 || memcmp(v.p, s, k) == 0);
}

static bool bv_same(struct bytes a, struct bytes b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static bool is_xml_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static struct bytes bv_trim(struct bytes v)
{
    while (v.n > 0 && is_xml_ws(v.p[0])) {
        v.p++;
        v.n--;
    }
    while (v.n > 0 && is_xml_ws(v.p[v.n - 1]))
        v.n--;
    return v;
}

static struct bytes xml_local(struct bytes qname)
{
    for (size_t i = qname.n; i > 0; i--)
        if (qname.p[i - 1] == ':')
            return bv_make(qname.p + i, qname.n - i);
    return qname;
}

/* ---- path ------------------------------------------------------------------------- */

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = ascii_lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* path equals pat (lower-case), percent-decoded and case-insensitively; with
 * `sub`, a further "/..." may follow */
static bool path_is(struct bytes path, const char *pat, bool sub)
{
    size_t i = 0, m = strlen(pat);
    for (size_t k = 0; k < m; k++) {
        if (i >= path.n)
            return false;
        uint8_t c = path.p[i];
        /* RFC 3986 2.1 percent-encoding */
        if (c == '%' && path.n - i >= 3 && hexval(path.p[i + 1]) >= 0 &&
            hexval(path.p[i + 2]) >= 0) {
            c = (uint8_t)(hexval(path.p[i + 1]) * 16 + hexval(path.p[i + 2]));
            i += 3;
        } else {
            i++;
        }
        if (ascii_lower(c) != (uint8_t)pat[k])
            return false;
    }
    return i == path.n || (sub && path.p[i] == '/');
}

bool ews_path_match(struct bytes path, enum ews_endpoint *ep)
{
    enum ews_endpoint e = EWS_EP_NONE;
    if (path_is(path, "/ews/exchange.asmx", true))
        e = EWS_EP_EXCHANGE;
    else if (path_is(path, "/autodiscover/autodiscover.xml", false))
        e = EWS_EP_AUTODISCOVER_XML;
    else if (path_is(path, "/autodiscover/autodiscover.svc", true))
        e = EWS_EP_AUTODISCOVER_SVC;
    if (ep != NULL)
        *ep = e;
    return e != EWS_EP_NONE;
}

/* ---- tokenizer --------------------------------------------------------------------- */

enum xt {
    XT_EOF,
    XT_START,
    XT_END,
    XT_TEXT, /* character data or a CDATA section's content */
    XT_SKIP, /* comment, processing instruction, XML declaration */
    XT_INCOMPLETE,
    XT_DOCTYPE,
    XT_BAD,
};

struct xtok {
    enum xt type;
    struct bytes name;  /* qualified name (start and end tags) */
    struct bytes attrs; /* start tag: the bytes after the name */
    struct bytes text;
    bool self; /* <empty/> */
    bool cut;  /* text that runs to the end of the prefix */
};

/* first index >= i where lit starts within p[..n), or n */
static size_t find_lit(const uint8_t *p, size_t n, size_t i, const char *lit)
{
    size_t k = strlen(lit);
    while (i < n && n - i >= k) {
        const uint8_t *q = memchr(p + i, (uint8_t)lit[0], n - i - k + 1);
        if (q == NULL)
            return n;
        if (memcmp(q, lit, k) == 0)
            return (size_t)(q - p);
        i = (size_t)(q - p) + 1;
    }
    return n;
}

/* 1: p[i..n) starts with lit; -1: it is a proper prefix of lit (need more); 0: no */
static int starts_with(const uint8_t *p, size_t n, size_t i, const char *lit)
{
    size_t k = strlen(lit), have = n - i;
    size_t m = have < k ? have : k;
    if (memcmp(p + i, lit, m) != 0)
        return 0;
    return have >= k ? 1 : -1;
}

/* everything from *pos up to the end of `close`: skipped, or incomplete */
static struct xtok skip_to(const uint8_t *p, size_t n, size_t *pos, size_t from, const char *close)
{
    struct xtok t = {0};
    size_t e = find_lit(p, n, from, close);
    if (e == n) {
        t.type = XT_INCOMPLETE;
        return t;
    }
    t.type = XT_SKIP;
    t.text = bv_make(p + from, e - from);
    *pos = e + strlen(close);
    return t;
}

static struct xtok next_tok(const uint8_t *p, size_t n, size_t *pos)
{
    struct xtok t = {0};
    size_t i = *pos;
    int r;
    if (i >= n) {
        t.type = XT_EOF;
        return t;
    }
    if (p[i] != '<') {
        const uint8_t *lt = memchr(p + i, '<', n - i);
        size_t e = lt ? (size_t)(lt - p) : n;
        t.type = XT_TEXT;
        t.text = bv_make(p + i, e - i);
        t.cut = (lt == NULL);
        *pos = e;
        return t;
    }
    /* XML 1.0 2.5 comments, 2.7 CDATA sections, 2.6 processing instructions */
    if ((r = starts_with(p, n, i, "<!--")) != 0) {
        if (r < 0) {
            t.type = XT_INCOMPLETE;
            return t;
        }
        return skip_to(p, n, pos, i + 4, "-->");
    }
    if ((r = starts_with(p, n, i, "<![CDATA[")) != 0) {
        if (r < 0) {
            t.type = XT_INCOMPLETE;
            return t;
        }
        t = skip_to(p, n, pos, i + 9, "]]>");
        if (t.type == XT_SKIP)
            t.type = XT_TEXT;
        return t;
    }
    if (n - i < 2) {
        t.type = XT_INCOMPLETE;
        return t;
    }
    if (p[i + 1] == '?')
        return skip_to(p, n, pos, i + 2, "?>");
    if (p[i + 1] == '!') {
        t.type = XT_DOCTYPE; /* XML 1.0 2.8: DTDs are refused */
        return t;
    }
    if (p[i + 1] == '/') {
        /* XML 1.0 3.1 ETag: '</' Name S? '>' */
        const uint8_t *gt = memchr(p + i + 2, '>', n - i - 2);
        if (gt == NULL) {
            t.type = XT_INCOMPLETE;
            return t;
        }
        t.type = XT_END;
        t.name = bv_trim(bv_make(p + i + 2, (size_t)(gt - p) - (i + 2)));
        *pos = (size_t)(gt - p) + 1;
        if (t.name.n == 0)
            t.type = XT_BAD;
        return t;
    }
    /* XML 1.0 3.1 STag / EmptyElemTag: quoted values may hold '>' */
    size_t j = i + 1;
    while (j < n && !is_xml_ws(p[j]) && p[j] != '/' && p[j] != '>' && p[j] != '<')
        j++;
    if (j == i + 1) {
        t.type = (j == n) ? XT_INCOMPLETE : XT_BAD;
        return t;
    }
    uint8_t quote = 0;
    size_t k;
    for (k = j; k < n; k++) {
        uint8_t c = p[k];
        if (quote != 0) {
            if (c == quote)
                quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '>') {
            break;
        } else if (c == '<') {
            t.type = XT_BAD; /* XML 1.0 3.1: '<' is not allowed inside a tag */
            return t;
        }
    }
    if (k == n) {
        t.type = XT_INCOMPLETE;
        return t;
    }
    t.type = XT_START;
    t.name = bv_make(p + i + 1, j - (i + 1));
    t.self = (k > j && p[k - 1] == '/');
    t.attrs = bv_make(p + j, k - j - (t.self ? 1 : 0));
    *pos = k + 1;
    return t;
}

/* attribute `name` (local name compared, prefix stripped) of a start tag */
static bool xml_attr(struct bytes attrs, const char *name, struct bytes *val)
{
    size_t i = 0;
    while (i < attrs.n) {
        while (i < attrs.n && is_xml_ws(attrs.p[i]))
            i++;
        size_t a = i;
        while (i < attrs.n && !is_xml_ws(attrs.p[i]) && attrs.p[i] != '=')
            i++;
        struct bytes an = bv_make(attrs.p + a, i - a);
        while (i < attrs.n && is_xml_ws(attrs.p[i]))
            i++;
        if (i >= attrs.n || attrs.p[i] != '=')
            return false;
        i++;
        while (i < attrs.n && is_xml_ws(attrs.p[i]))
            i++;
        if (i >= attrs.n || (attrs.p[i] != '"' && attrs.p[i] != '\''))
            return false;
        uint8_t q = attrs.p[i++];
        size_t v = i;
        while (i < attrs.n && attrs.p[i] != q)
            i++;
        if (i >= attrs.n)
            return false;
        if (bv_eq(xml_local(an), name)) {
            *val = bv_make(attrs.p + v, i - v);
            return true;
        }
        i++;
    }
    return false;
}

/* ---- classification ---------------------------------------------------------------- */

/* last '/'-separated segment of a SOAP action URI, quotes removed */
static struct bytes action_name(struct bytes v)
{
    v = bv_trim(v);
    if (v.n >= 2 && v.p[0] == '"' && v.p[v.n - 1] == '"') {
        v.p++;
        v.n -= 2;
    }
    for (size_t i = v.n; i > 0; i--)
        if (v.p[i - 1] == '/')
            return bv_make(v.p + i, v.n - i);
    return v;
}

/* SOAP 1.2 (RFC 3902): Content-Type: application/soap+xml; action="..." */
static struct bytes content_type_action(struct bytes ct)
{
    static const char key[] = "action=";
    size_t k = sizeof key - 1;
    for (size_t i = 0; k <= ct.n && i <= ct.n - k; i++) {
        bool m = true;
        for (size_t j = 0; j < k && m; j++)
            m = ascii_lower(ct.p[i + j]) == (uint8_t)key[j];
        if (m && (i == 0 || ct.p[i - 1] == ';' || is_xml_ws(ct.p[i - 1]))) {
            struct bytes v = bv_make(ct.p + i + k, ct.n - i - k);
            size_t e = 0;
            bool quoted = v.n > 0 && v.p[0] == '"';
            for (e = quoted ? 1 : 0; e < v.n; e++)
                if (quoted ? v.p[e] == '"' : v.p[e] == ';')
                    break;
            return action_name(bv_make(v.p, quoted && e < v.n ? e + 1 : e));
        }
    }
    return bv_make(NULL, 0);
}

struct frame {
    struct bytes qname, local;
};

static void take_first(struct bytes *field, struct bytes **want, bool *wanted)
{
    if (field->n == 0) {
        *want = field;
        *wanted = true;
    }
}

static bool finished(const struct ews_request *out)
{
    if (out->endpoint == EWS_EP_AUTODISCOVER_XML)
        return out->mailbox.n > 0;
    if (out->operation.n == 0)
        return false;
    return out->endpoint != EWS_EP_AUTODISCOVER_SVC || out->mailbox.n > 0;
}

/* scan p[0..n): PR_OK when finished() or the document ended */
static enum pr_status scan(struct ews_request *out, const uint8_t *p, size_t n)
{
    struct frame stack[EWS_DEPTH_MAX];
    size_t depth = 0, pos = 0;
    static const uint8_t bom[3] = {0xef, 0xbb, 0xbf}; /* UTF-8 byte order mark */
    if (n > 0 && memcmp(p, bom, n < 3 ? n : 3) == 0) {
        if (n < 3)
            return PR_INCOMPLETE;
        pos = 3;
    }
    struct bytes *want = NULL;
    size_t want_depth = 0;
    bool pox = false, root_seen = false;

    for (;;) {
        out->scanned = pos;
        if (finished(out))
            return PR_OK;
        struct xtok t = next_tok(p, n, &pos);
        switch (t.type) {
        case XT_EOF:
            return (depth == 0 && (root_seen || n == 0)) ? PR_OK : PR_INCOMPLETE;
        case XT_INCOMPLETE:
            return PR_INCOMPLETE;
        case XT_DOCTYPE:
            return PR_UNSUPPORTED;
        case XT_BAD:
            return PR_MALFORMED;
        case XT_SKIP:
            break;
        case XT_TEXT:
            if (t.cut && depth > 0)
                return PR_INCOMPLETE; /* the value may go on */
            if (want != NULL && depth == want_depth) {
                struct bytes v = bv_trim(t.text);
                if (v.n > 0) {
                    *want = v;
                    want = NULL;
                }
            } else if (depth == 0 && bv_trim(t.text).n > 0) {
                return PR_MALFORMED; /* XML 1.0 2.1: nothing but markup outside the root */
            }
            break;
        case XT_END:
            if (depth == 0 || !bv_same(stack[depth - 1].qname, t.name))
                return PR_MALFORMED; /* XML 1.0 3 WFC: Element Type Match */
            depth--;
            want = NULL;
            break;
        case XT_START: {
            if (depth == 0 && root_seen)
                return PR_MALFORMED; /* XML 1.0 2.1: one root element */
            if (depth == EWS_DEPTH_MAX)
                return PR_LIMIT; /* [EWS-DEPTH-CAP] */
            struct bytes local = xml_local(t.name);
            stack[depth].qname = t.name;
            stack[depth].local = local;
            depth++;
            root_seen = true;
            want = NULL;
            bool wanted = false;
            struct bytes v;
            if (depth == 1) {
                out->soap = bv_eq(local, "Envelope");
                pox = bv_eq(local, "Autodiscover");
            } else if (out->soap && depth >= 3 && bv_eq(stack[1].local, "Header")) {
                /* EWS SOAP headers (MS-OXWSCDATA 2.2.4) */
                if (bv_eq(local, "ExchangeImpersonation"))
                    out->impersonation = true;
                else if (bv_eq(local, "SerializedSecurityContext"))
                    out->serialized_context = true;
                else if (bv_eq(local, "RequestServerVersion") && out->server_version.n == 0 &&
                         xml_attr(t.attrs, "Version", &v))
                    out->server_version = v;
                else if (bv_eq(local, "PrimarySmtpAddress"))
                    take_first(&out->primary_smtp, &want, &wanted);
                else if (bv_eq(local, "SID"))
                    take_first(&out->sid, &want, &wanted);
                else if (bv_eq(local, "PrincipalName"))
                    take_first(&out->principal_name, &want, &wanted);
                else if (bv_eq(local, "SmtpAddress"))
                    take_first(&out->smtp_address, &want, &wanted);
            } else if (out->soap && depth >= 3 && bv_eq(stack[1].local, "Body")) {
                if (depth == 3 && out->operation.n == 0)
                    out->operation = local;
                else if (bv_eq(local, "Mailbox"))
                    take_first(&out->mailbox, &want, &wanted);
            } else if (pox && bv_eq(local, "EMailAddress")) {
                take_first(&out->mailbox, &want, &wanted); /* MS-OXDSCLI 2.2.3 */
            }
            if (wanted)
                want_depth = depth;
            if (t.self) {
                depth--;
                want = NULL;
            }
            break;
        }
        default:
            return PR_MALFORMED;
        }
    }
}

enum pr_status ews_classify(struct bytes path, const struct http_header *hdrs, size_t n_hdrs,
                            const uint8_t *body_prefix, size_t n, struct ews_request *out)
{
    if (out == NULL)
        return PR_MALFORMED;
    memset(out, 0, sizeof *out);
    const struct http_header *h = http_find_header(hdrs, n_hdrs, "X-AnchorMailbox");
    if (h != NULL)
        out->anchor_mailbox = h->value;
    if (!ews_path_match(path, &out->endpoint))
        return PR_OK;
    out->is_ews = true;
    if (body_prefix == NULL && n > 0)
        return PR_MALFORMED;
    size_t lim = n < EWS_BODY_SCAN_MAX ? n : EWS_BODY_SCAN_MAX;
    out->body_truncated = n > lim;
    enum pr_status st = scan(out, body_prefix, lim);
    if (st == PR_INCOMPLETE && out->body_truncated)
        st = PR_LIMIT; /* [EWS-SCAN-CAP] */
    if (out->operation.n == 0 && out->endpoint != EWS_EP_AUTODISCOVER_XML) {
        struct bytes a = bv_make(NULL, 0);
        if ((h = http_find_header(hdrs, n_hdrs, "SOAPAction")) != NULL)
            a = action_name(h->value);
        if (a.n == 0 && (h = http_find_header(hdrs, n_hdrs, "Content-Type")) != NULL)
            a = content_type_action(h->value);
        if (a.n > 0) {
            out->operation = a;
            out->operation_from_soapaction = true;
        }
    }
    return st;
}
