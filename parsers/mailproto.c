/* Cleartext STARTTLS protocols: detection and per-direction state machines.
 *
 * Structure: mp_feed() hands each direction's bytes to a framer (lines for
 * SMTP/IMAP/POP3/FTP, an XML tag scanner for XMPP, BER message framing for
 * LDAP) that assembles one unit at a time into the direction's bounded
 * buffer; each complete unit goes to the protocol's client or server
 * handler. Framers decide everything byte by byte or at unit boundaries, so
 * a unit split over any number of calls is seen exactly as if it came in
 * one. Text handling works on `struct bytes` views with length-checked
 * helpers; BER goes through the cursor (cursor.h).
 *
 * Contract and limits: mailproto.h. */
#include "mailproto.h"

#include "b64.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cursor.h"

/* Commands awaiting a reply (SMTP, POP3, FTP) and reply contexts. */
enum mp_cmd {
    MPC_UNKNOWN = 0, /* nothing known to be waiting: the command was not seen (yet) */
    MPC_GREETING,
    MPC_EHLO,
    MPC_HELO,
    MPC_STARTTLS,
    MPC_AUTH,
    MPC_MAIL,
    MPC_RCPT,
    MPC_DATA,
    MPC_DATA_END,
    MPC_BDAT,
    MPC_CAPA,  /* POP3 CAPA: multi-line capability list */
    MPC_MULTI, /* POP3 command whose +OK answer is multi-line */
    MPC_FEAT,  /* FTP FEAT */
    MPC_OTHER,
};

enum mp_mech {
    MECH_NONE,
    MECH_PLAIN,       /* RFC 4616 */
    MECH_LOGIN,       /* draft-murchison-sasl-login */
    MECH_CRAM_MD5,    /* RFC 2195 */
    MECH_XOAUTH2,     /* Google/Microsoft XOAUTH2 */
    MECH_OAUTHBEARER, /* RFC 7628 */
    MECH_OTHER,
};

enum { XS_TEXT, XS_TAG, XS_PI, XS_COMMENT, XS_CDATA };
enum { XC_NONE, XC_MECHANISM, XC_AUTH };
enum { LIT_NONE, LIT_OPEN, LIT_DIGITS, LIT_PLUS, LIT_CLOSED, LIT_CLOSED_CR };

/* RFC 4511 4.14.1 */
#define LDAP_STARTTLS_OID "1.3.6.1.4.1.1466.20037"

/* ---- byte views ------------------------------------------------------------------ */

static const struct bytes bv_empty = {NULL, 0};

static struct bytes bv_make(const uint8_t *p, size_t n)
{
    struct bytes b = {p, n};
    return b;
}

static struct bytes bv_str(const char *s)
{
    return bv_make((const uint8_t *)s, strlen(s));
}

static uint8_t ascii_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

static uint8_t ascii_upper(uint8_t c)
{
    return (c >= 'a' && c <= 'z') ? (uint8_t)(c - ('a' - 'A')) : c;
}

static bool is_ws(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static bool is_xml_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* v without its first k bytes; empty when k >= v.n */
static struct bytes bv_tail(struct bytes v, size_t k)
{
    if (k >= v.n)
        return bv_make(v.n ? v.p + v.n : v.p, 0);
    return bv_make(v.p + k, v.n - k);
}

static struct bytes bv_head(struct bytes v, size_t k)
{
    return bv_make(v.p, k < v.n ? k : v.n);
}

static struct bytes bv_ltrim(struct bytes v)
{
    size_t i = 0;
    while (i < v.n && is_ws(v.p[i]))
        i++;
    return bv_tail(v, i);
}

static struct bytes bv_trim(struct bytes v)
{
    v = bv_ltrim(v);
    while (v.n > 0 && is_ws(v.p[v.n - 1]))
        v.n--;
    return v;
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

static bool bv_eq(struct bytes v, const char *s)
{
    size_t k = strlen(s);
    return v.n == k && (k == 0 || memcmp(v.p, s, k) == 0);
}

static bool bv_iprefix(struct bytes v, const char *s)
{
    return bv_ieq(bv_head(v, strlen(s)), s);
}

/* index of the first c in v, or v.n */
static size_t bv_find(struct bytes v, uint8_t c)
{
    if (v.n == 0)
        return 0;
    const uint8_t *q = memchr(v.p, c, v.n);
    return q ? (size_t)(q - v.p) : v.n;
}

/* index of the last c in v, or v.n */
static size_t bv_rfind(struct bytes v, uint8_t c)
{
    for (size_t i = v.n; i > 0; i--)
        if (v.p[i - 1] == c)
            return i - 1;
    return v.n;
}

static bool bv_icontains(struct bytes hay, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; k <= hay.n && i <= hay.n - k; i++)
        if (bv_ieq(bv_make(hay.p + i, k), needle))
            return true;
    return false;
}

/* the next blank-separated word of *rest; *rest moves past it */
static struct bytes bv_word(struct bytes *rest)
{
    struct bytes r = bv_ltrim(*rest);
    size_t i = 0;
    while (i < r.n && !is_ws(r.p[i]))
        i++;
    *rest = bv_tail(r, i);
    return bv_head(r, i);
}

static bool bv_alpha(struct bytes v)
{
    if (v.n == 0)
        return false;
    for (size_t i = 0; i < v.n; i++) {
        uint8_t c = ascii_lower(v.p[i]);
        if (c < 'a' || c > 'z')
            return false;
    }
    return true;
}

/* 1..19 decimal digits, no sign; false on anything else or overflow */
static bool bv_dec(struct bytes v, uint64_t *out)
{
    uint64_t x = 0;
    if (v.n == 0 || v.n > 19)
        return false;
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return false;
        x = x * 10u + (uint64_t)(v.p[i] - '0'); /* 19 digits < 2^64 */
    }
    *out = x;
    return true;
}

/* ---- facts ----------------------------------------------------------------------- */

/* Sanitised copy into dst[cap] (cap >= 1): bytes outside 0x20..0x7e become
 * '?', the rest of dst is zeroed. Returns true when v was cut. */
static bool san_copy(char *dst, size_t cap, struct bytes v, bool upper)
{
    size_t k = v.n < cap - 1 ? v.n : cap - 1;
    memset(dst, 0, cap);
    for (size_t i = 0; i < k; i++) {
        uint8_t c = upper ? ascii_upper(v.p[i]) : v.p[i];
        dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    return v.n > k;
}

static void put_text(struct mp_facts *f, char *dst, size_t cap, struct bytes v, bool upper)
{
    if (san_copy(dst, cap, v, upper))
        f->strings_truncated++;
}

/* first non-empty value wins */
static void put_first(struct mp_facts *f, char *dst, size_t cap, struct bytes v, bool upper)
{
    if (dst[0] == '\0' && v.n > 0)
        put_text(f, dst, cap, v, upper);
}

static void put_uint(char *dst, size_t cap, unsigned v)
{
    char tmp[12];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0 && n < sizeof tmp);
    memset(dst, 0, cap);
    for (size_t i = 0; i < n && i < cap - 1; i++)
        dst[i] = tmp[n - 1 - i];
}

static void starttls_reply(struct mp_state *st, unsigned code, const char *word, bool ok)
{
    struct mp_facts *f = &st->facts;
    f->starttls_reply_code = code;
    if (word != NULL)
        san_copy(f->starttls_reply, sizeof f->starttls_reply, bv_str(word), false);
    else
        put_uint(f->starttls_reply, sizeof f->starttls_reply, code);
    if (ok)
        f->starttls_accepted = true;
    else
        f->starttls_refused = true;
}

/* Capabilities: upper-cased, sanitised, deduplicated, at most MP_CAP_MAX. */
static void cap_add(struct mp_state *st, struct bytes v)
{
    struct mp_facts *f = &st->facts;
    char tmp[MP_CAP_LEN];
    v = bv_trim(v);
    if (v.n == 0)
        return;
    bool cut = san_copy(tmp, sizeof tmp, v, true);
    for (size_t i = 0; i < f->n_caps; i++)
        if (strcmp(f->caps[i], tmp) == 0)
            return;
    if (f->n_caps == MP_CAP_MAX) {
        f->caps_truncated = true;
        f->limit_hits++;
        return;
    }
    if (cut)
        f->strings_truncated++;
    memcpy(f->caps[f->n_caps++], tmp, sizeof tmp);
}

static void cap_add_prefixed(struct mp_state *st, const char *prefix, struct bytes v)
{
    uint8_t tmp[MP_CAP_LEN * 2];
    size_t k = strlen(prefix);
    v = bv_trim(v);
    if (v.n == 0 || k >= sizeof tmp)
        return;
    memcpy(tmp, prefix, k);
    size_t m = v.n < sizeof tmp - k ? v.n : sizeof tmp - k;
    memcpy(tmp + k, v.p, m);
    cap_add(st, bv_make(tmp, k + m));
}

/* Known SMTP EHLO keywords (IANA "SMTP Service Extensions" and common
 * vendor ones) and POP3 CAPA tags (RFC 2449 and IANA): never "mangled". */
static const char *const known_caps[] = {
    "8BITMIME",
    "ATRN",
    "AUTH",
    "BINARYMIME",
    "BURL",
    "CHECKPOINT",
    "CHUNKING",
    "CONNEG",
    "DELIVERBY",
    "DSN",
    "ENHANCEDSTATUSCODES",
    "ETRN",
    "EXPN",
    "FUTURERELEASE",
    "HELP",
    "LIMITS",
    "MT-PRIORITY",
    "MTRK",
    "NO-SOLICITING",
    "ONEX",
    "PIPELINING",
    "REQUIRETLS",
    "RRVS",
    "SIZE",
    "SMTPUTF8",
    "STARTTLS",
    "SUBMITTER",
    "TURN",
    "UTF8SMTP",
    "VERB",
    "VRFY",
    "X-ANONYMOUSTLS",
    "X-EXPS",
    "X-LINK2STATE",
    "XCLIENT",
    "XEXCH50",
    "XFORWARD",
    "XOORG",
    "XRDST",
    "XSHADOW",
    "XSHADOWREQUEST",
    "XUSR",
    "TOP",
    "USER",
    "UIDL",
    "STLS",
    "EXPIRE",
    "LOGIN-DELAY",
    "RESP-CODES",
    "AUTH-RESP-CODE",
    "IMPLEMENTATION",
    "SASL",
    "UTF8",
    "LANG",
};

/* [MP-MANGLED] Heuristic: a capability keyword is a damaged copy of `want`
 * ("STARTTLS" / "STLS") when it is neither `want` nor a known keyword and
 *   (a) it has the length of `want` and at least half of it is 'X' (Cisco
 *       PIX/ASA ESMTP inspection rewrites STARTTLS as "XXXXXXXA"), or
 *   (b) it has the length of `want` and differs from it in at most a quarter
 *       of the positions, case-insensitively ("STARTTLX": bit damage or a
 *       deliberate near-miss), or
 *   (c) it is at least 4 characters long and made only of 'X' (other
 *       masking middleboxes blank the whole keyword).
 * Keywords are compared by themselves: order in the list is not used, as
 * servers order their extensions freely. */
bool mp_cap_looks_mangled(const uint8_t *cap, size_t n, const char *want)
{
    struct bytes v = bv_make(cap, n);
    size_t wl = want ? strlen(want) : 0;
    if (cap == NULL || n == 0 || wl == 0 || bv_ieq(v, want))
        return false;
    for (size_t i = 0; i < sizeof known_caps / sizeof known_caps[0]; i++)
        if (bv_ieq(v, known_caps[i]))
            return false;
    size_t xs = 0, diffs = 0;
    for (size_t i = 0; i < n; i++) {
        if (ascii_upper(cap[i]) == 'X')
            xs++;
        if (i < wl && ascii_upper(cap[i]) != ascii_upper((uint8_t)want[i]))
            diffs++;
    }
    if (n == wl && xs * 2 >= wl)
        return true; /* (a) */
    if (n == wl && diffs * 4 <= wl)
        return true; /* (b) */
    if (n >= 4 && xs == n)
        return true; /* (c) */
    return false;
}

static void cap_check(struct mp_state *st, struct bytes kw, const char *want)
{
    struct mp_facts *f = &st->facts;
    if (bv_ieq(kw, want)) {
        f->starttls_offered = true;
    } else if (!f->cap_mangled && mp_cap_looks_mangled(kw.p, kw.n, want)) {
        f->cap_mangled = true;
        put_text(f, f->mangled_cap, sizeof f->mangled_cap, kw, false);
    }
}

/* ---- commands awaiting replies ----------------------------------------------------- */

static void pend_push(struct mp_state *st, uint8_t cmd)
{
    if (st->pend_n == MP_PENDING_MAX) {
        st->facts.limit_hits++; /* replies will be matched to older commands */
        return;
    }
    st->pend[(st->pend_head + st->pend_n) % MP_PENDING_MAX] = cmd;
    st->pend_n++;
}

static uint8_t pend_peek(const struct mp_state *st)
{
    return st->pend_n ? st->pend[st->pend_head] : (uint8_t)MPC_UNKNOWN;
}

static void pend_pop(struct mp_state *st)
{
    if (st->pend_n == 0)
        return;
    st->pend_head = (st->pend_head + 1) % MP_PENDING_MAX;
    st->pend_n--;
}

/* ---- SASL (identity only) ---------------------------------------------------------- */


static uint8_t mech_of(struct bytes m)
{
    if (m.n == 0)
        return MECH_NONE;
    if (bv_ieq(m, "PLAIN"))
        return MECH_PLAIN;
    if (bv_ieq(m, "LOGIN"))
        return MECH_LOGIN;
    if (bv_ieq(m, "CRAM-MD5"))
        return MECH_CRAM_MD5;
    if (bv_ieq(m, "XOAUTH2"))
        return MECH_XOAUTH2;
    if (bv_ieq(m, "OAUTHBEARER"))
        return MECH_OAUTHBEARER;
    return MECH_OTHER;
}

/* The identity in a decoded client response; never keeps anything else. */
static void sasl_identity(struct mp_state *st, uint8_t mech, struct bytes raw)
{
    struct mp_facts *f = &st->facts;
    struct bytes user = bv_empty;
    switch (mech) {
    case MECH_PLAIN: {
        /* RFC 4616 2: [authzid] NUL authcid NUL passwd */
        size_t a = bv_find(raw, 0);
        if (a == raw.n)
            break;
        struct bytes rest = bv_tail(raw, a + 1);
        user = bv_head(rest, bv_find(rest, 0));
        f->secret_in_clear = true;
        break;
    }
    case MECH_LOGIN:
        user = raw; /* the first response is the user name */
        break;
    case MECH_CRAM_MD5: {
        /* RFC 2195 2: user SP digest (the digest is not reusable) */
        size_t sp = bv_rfind(raw, ' ');
        if (sp < raw.n)
            user = bv_head(raw, sp);
        break;
    }
    case MECH_XOAUTH2:
        /* "user=" user ^A "auth=Bearer " token ^A ^A */
        if (bv_iprefix(raw, "user=")) {
            struct bytes r = bv_tail(raw, 5);
            user = bv_head(r, bv_find(r, 0x01));
        }
        f->secret_in_clear = true;
        break;
    case MECH_OAUTHBEARER: {
        /* RFC 7628 3.1, RFC 5801 4: gs2-cb-flag "," ["a=" saslname] "," */
        size_t c = bv_find(raw, ',');
        struct bytes r = bv_tail(raw, c + 1);
        if (c < raw.n && bv_iprefix(r, "a=")) {
            r = bv_tail(r, 2);
            user = bv_head(r, bv_find(r, ','));
        }
        f->secret_in_clear = true;
        break;
    }
    default:
        break;
    }
    put_first(f, f->auth_user, sizeof f->auth_user, user, false);
}

/* base64 client response -> identity (the decoded bytes are wiped) */
static void sasl_decode_identity(struct mp_state *st, uint8_t mech, struct bytes b64, bool cut)
{
    uint8_t raw[MP_UNIT_MAX];
    b64 = bv_trim(b64);
    if (b64.n == 0 || bv_eq(b64, "=")) /* RFC 4954 4: "=" is an empty response */
        return;
    size_t n = b64_decode(bv_trim(b64), cut || bv_trim(b64).n > B64_IN_MAX, raw, sizeof raw);
    if (n == SIZE_MAX)
        st->facts.malformed++;
    else
        sasl_identity(st, mech, bv_make(raw, n));
    OPENSSL_cleanse(raw, sizeof raw);
}

/* One client line during a SASL exchange (SMTP/IMAP/POP3). */
static void sasl_response(struct mp_state *st, struct bytes line, bool cut)
{
    struct bytes v = bv_trim(line);
    uint8_t step = st->sasl_step;
    if (bv_eq(v, "*")) { /* RFC 4954 4, RFC 9051 6.2.2, RFC 5034 4: cancel */
        st->sasl = false;
        return;
    }
    if (st->sasl_step < UINT8_MAX)
        st->sasl_step++;
    switch (st->sasl_mech) {
    case MECH_LOGIN:
        if (step >= 1) { /* the password: never decoded */
            st->facts.secret_in_clear = true;
            st->sasl = false;
            return;
        }
        sasl_decode_identity(st, MECH_LOGIN, v, cut);
        return;
    case MECH_PLAIN:
    case MECH_CRAM_MD5:
    case MECH_XOAUTH2:
    case MECH_OAUTHBEARER:
        /* one response carries the identity; the client is done */
        sasl_decode_identity(st, st->sasl_mech, v, cut);
        st->sasl = false;
        return;
    default:
        return; /* other mechanisms: wait for the server's final reply */
    }
}

/* AUTH <mech> [initial-response]: the exchange starts in clear. */
static void sasl_start(struct mp_state *st, struct bytes mech, struct bytes rest, bool cut)
{
    struct mp_facts *f = &st->facts;
    f->auth_in_clear = true;
    put_first(f, f->auth_mechanism, sizeof f->auth_mechanism, mech, true);
    st->sasl = true;
    st->sasl_mech = mech_of(mech);
    st->sasl_step = 0;
    struct bytes ir = bv_word(&rest);
    if (ir.n > 0) /* RFC 4954 4 / RFC 4959 / RFC 5034: initial response */
        sasl_response(st, ir, cut);
}

static void auth_simple(struct mp_state *st, const char *mech, struct bytes user)
{
    struct mp_facts *f = &st->facts;
    f->auth_in_clear = true;
    put_first(f, f->auth_mechanism, sizeof f->auth_mechanism, bv_str(mech), true);
    put_first(f, f->auth_user, sizeof f->auth_user, user, false);
}

/* ---- SMTP (RFC 5321, RFC 3207, RFC 4954) ------------------------------------------- */

/* Reply line: 3 digits, then end, SP or '-' (RFC 5321 4.2, RFC 959 4.2). */
static bool reply_code(struct bytes line, unsigned *code, bool *more, struct bytes *text)
{
    if (line.n < 3)
        return false;
    for (size_t i = 0; i < 3; i++)
        if (line.p[i] < '0' || line.p[i] > '9')
            return false;
    if (line.p[0] < '1' || line.p[0] > '5')
        return false;
    *code = (unsigned)(line.p[0] - '0') * 100u + (unsigned)(line.p[1] - '0') * 10u +
            (unsigned)(line.p[2] - '0');
    *more = false;
    *text = bv_tail(line, 4);
    if (line.n == 3)
        return true;
    if (line.p[3] == '-')
        *more = true;
    else if (line.p[3] != ' ')
        return false;
    return true;
}

static void smtp_mail_from(struct mp_state *st, struct bytes rest)
{
    struct mp_facts *f = &st->facts;
    rest = bv_ltrim(rest);
    if (!bv_iprefix(rest, "FROM:")) {
        f->malformed++;
        return;
    }
    rest = bv_ltrim(bv_tail(rest, 5));
    struct bytes path;
    if (rest.n > 0 && rest.p[0] == '<') {
        rest = bv_tail(rest, 1);
        path = bv_head(rest, bv_find(rest, '>'));
    } else {
        path = bv_word(&rest);
    }
    /* RFC 5321 4.1.2: a source route "@a,@b:" may precede the mailbox; the
     * domain is after the mailbox's last '@' */
    size_t at = bv_rfind(path, '@');
    if (at < path.n)
        put_first(f, f->mail_from_domain, sizeof f->mail_from_domain, bv_tail(path, at + 1), false);
}

static void smtp_client(struct mp_state *st, struct bytes line, bool cut)
{
    struct mp_facts *f = &st->facts;
    struct mp_dir *dc = &st->dir[MP_DIR_CLIENT];
    if (dc->data) {
        /* RFC 5321 4.1.1.4: the body ends with a line holding a single "." */
        if (bv_eq(line, ".")) {
            dc->data = false;
            pend_push(st, MPC_DATA_END);
        }
        return;
    }
    if (st->sasl) {
        sasl_response(st, line, cut);
        return;
    }
    struct bytes rest = line;
    struct bytes verb = bv_word(&rest);
    if (verb.n == 0)
        return;
    if (bv_ieq(verb, "EHLO") || bv_ieq(verb, "LHLO") || bv_ieq(verb, "HELO")) {
        put_first(f, f->client_name, sizeof f->client_name, bv_word(&rest), false);
        pend_push(st, bv_ieq(verb, "HELO") ? MPC_HELO : MPC_EHLO);
    } else if (bv_ieq(verb, "STARTTLS")) {
        f->starttls_requested = true;
        pend_push(st, MPC_STARTTLS);
    } else if (bv_ieq(verb, "AUTH")) {
        pend_push(st, MPC_AUTH);
        struct bytes mech = bv_word(&rest);
        sasl_start(st, mech, rest, cut);
    } else if (bv_ieq(verb, "MAIL")) {
        f->mail_count++;
        smtp_mail_from(st, rest);
        pend_push(st, MPC_MAIL);
    } else if (bv_ieq(verb, "RCPT")) {
        f->rcpt_count++;
        pend_push(st, MPC_RCPT);
    } else if (bv_ieq(verb, "DATA")) {
        dc->data = true; /* undone if the reply is not 354 */
        pend_push(st, MPC_DATA);
    } else if (bv_ieq(verb, "BDAT")) {
        /* RFC 3030 2: BDAT <size> [LAST], then exactly <size> octets */
        uint64_t size;
        if (bv_dec(bv_word(&rest), &size) && size <= SIZE_MAX)
            dc->skip_left = (size_t)size;
        else
            f->malformed++;
        pend_push(st, MPC_BDAT);
    } else if (bv_alpha(verb)) {
        pend_push(st, MPC_OTHER);
    } else {
        f->malformed++;
    }
}

static void smtp_reply_done(struct mp_state *st)
{
    uint8_t cmd = st->reply_cmd;
    unsigned code = st->reply_code;
    if (cmd == MPC_GREETING) {
        st->greeted = true;
        return;
    }
    if (cmd == MPC_AUTH && code == 334)
        return; /* RFC 4954 4: a challenge; the command goes on */
    pend_pop(st);
    switch (cmd) {
    case MPC_STARTTLS:
        starttls_reply(st, code, NULL, code == 220); /* RFC 3207 4 */
        break;
    case MPC_UNKNOWN:
        /* the command was not seen: after the greeting only STARTTLS is
         * answered with 220 (RFC 3207 4, RFC 5321 4.2.3) */
        if (code == 220)
            starttls_reply(st, code, NULL, true);
        break;
    case MPC_AUTH:
        st->sasl = false;
        break;
    case MPC_DATA:
        if (code != 354)
            st->dir[MP_DIR_CLIENT].data = false;
        break;
    default:
        break;
    }
}

static void smtp_server(struct mp_state *st, struct bytes line)
{
    struct mp_facts *f = &st->facts;
    struct mp_dir *ds = &st->dir[MP_DIR_SERVER];
    unsigned code;
    bool more;
    struct bytes text;
    if (!reply_code(line, &code, &more, &text)) {
        if (line.n > 0)
            f->malformed++;
        return;
    }
    if (!ds->ml) {
        st->reply_code = code;
        st->reply_lines = 0;
        st->reply_cmd = st->greeted ? pend_peek(st) : (uint8_t)MPC_GREETING;
        if (st->reply_cmd == MPC_GREETING)
            put_first(f, f->banner, sizeof f->banner, bv_trim(text), false);
    } else if (code != st->reply_code) {
        f->malformed++; /* RFC 5321 4.2.1: every line carries the same code */
    }
    size_t idx = st->reply_lines++;
    /* RFC 5321 4.1.1.1: EHLO reply lines after the first are keyword [params];
     * an unattributed multi-line 250 is taken as an EHLO reply */
    if (code == 250 && idx >= 1 && (st->reply_cmd == MPC_EHLO || st->reply_cmd == MPC_UNKNOWN)) {
        struct bytes kw = bv_word(&text);
        cap_add(st, kw);
        cap_check(st, kw, "STARTTLS");
    }
    ds->ml = more;
    if (!more)
        smtp_reply_done(st);
}

/* ---- IMAP (RFC 9051, RFC 3501) ------------------------------------------------------- */

/* RFC 9051 9: astring = atom / quoted / literal. The value (unescaped) goes
 * to out[cap]; *outn its kept length. *rest moves past it. */
static bool imap_astring(struct bytes *rest, uint8_t *out, size_t cap, size_t *outn)
{
    struct bytes r = bv_ltrim(*rest);
    size_t k = 0, i;
    if (r.n == 0)
        return false;
    if (r.p[0] == '"') {
        for (i = 1; i < r.n; i++) {
            uint8_t c = r.p[i];
            if (c == '\\' && i + 1 < r.n)
                c = r.p[++i];
            else if (c == '"')
                break;
            if (k < cap)
                out[k++] = c;
        }
        *rest = bv_tail(r, i + 1);
    } else if (r.p[0] == '{') {
        struct bytes in = bv_tail(r, 1);
        size_t close = bv_find(in, '}');
        struct bytes digits = bv_head(in, close);
        if (digits.n > 0 && digits.p[digits.n - 1] == '+')
            digits.n--; /* RFC 7888 LITERAL+ */
        uint64_t len;
        if (close == in.n || !bv_dec(digits, &len))
            return false;
        i = close + 1;
        if (i < in.n && in.p[i] == '\r')
            i++;
        if (i >= in.n || in.p[i] != '\n')
            return false;
        struct bytes lit = bv_tail(in, i + 1);
        size_t take = len < lit.n ? (size_t)len : lit.n; /* the unit may have been cut */
        for (i = 0; i < take && k < cap; i++)
            out[k++] = lit.p[i];
        *rest = bv_tail(lit, take);
    } else {
        for (i = 0; i < r.n; i++) {
            uint8_t c = r.p[i];
            if (is_ws(c) || c == '(' || c == ')' || c < 0x20 || c == 0x7f)
                break;
            if (k < cap)
                out[k++] = c;
        }
        if (i == 0)
            return false;
        *rest = bv_tail(r, i);
    }
    *outn = k;
    return true;
}

static void imap_caps(struct mp_state *st, struct bytes list)
{
    for (;;) {
        struct bytes w = bv_word(&list);
        if (w.n == 0)
            break;
        cap_add(st, w);
        cap_check(st, w, "STARTTLS");
    }
}

/* "[CAPABILITY ...]" response code (RFC 9051 7.1) at the start of text:
 * capabilities are taken; returns the text after the code */
static struct bytes imap_resp_code(struct mp_state *st, struct bytes text)
{
    text = bv_ltrim(text);
    if (text.n == 0 || text.p[0] != '[')
        return text;
    struct bytes in = bv_tail(text, 1);
    size_t close = bv_find(in, ']');
    struct bytes code = bv_head(in, close);
    struct bytes name = bv_word(&code);
    if (bv_ieq(name, "CAPABILITY"))
        imap_caps(st, code);
    return bv_ltrim(bv_tail(in, close + 1));
}

static bool tag_is(const char *saved, struct bytes tag)
{
    char tmp[MP_TAG_MAX];
    if (saved[0] == '\0')
        return false;
    san_copy(tmp, sizeof tmp, tag, false);
    return strcmp(saved, tmp) == 0;
}

/* RFC 9051 6.3.1 / RFC 2971: ID ("name" "value" ...): the client's "name" */
static void imap_id(struct mp_state *st, struct bytes rest)
{
    uint8_t key[16], val[MP_TEXT_MAX];
    size_t kn, vn;
    rest = bv_ltrim(rest);
    if (rest.n == 0 || rest.p[0] != '(')
        return;
    rest = bv_tail(rest, 1);
    for (int pairs = 0; pairs < 30; pairs++) {
        if (!imap_astring(&rest, key, sizeof key, &kn) ||
            !imap_astring(&rest, val, sizeof val, &vn))
            return;
        if (bv_ieq(bv_make(key, kn), "name"))
            put_first(&st->facts, st->facts.client_name, sizeof st->facts.client_name,
                      bv_make(val, vn), false);
    }
}

static void imap_client(struct mp_state *st, struct bytes line, bool cut)
{
    struct mp_facts *f = &st->facts;
    if (st->sasl) {
        sasl_response(st, line, cut);
        return;
    }
    struct bytes rest = line;
    struct bytes tag = bv_word(&rest);
    struct bytes cmd = bv_word(&rest);
    if (tag.n == 0)
        return;
    if (cmd.n == 0) {
        f->malformed++;
        return;
    }
    if (bv_ieq(cmd, "STARTTLS")) {
        f->starttls_requested = true;
        san_copy(st->stls_tag, sizeof st->stls_tag, tag, false);
    } else if (bv_ieq(cmd, "LOGIN")) {
        /* RFC 9051 6.2.3: LOGIN user password, both in clear */
        uint8_t user[MP_TEXT_MAX];
        size_t un = 0;
        if (!imap_astring(&rest, user, sizeof user, &un))
            un = 0;
        auth_simple(st, "LOGIN", bv_make(user, un));
        f->secret_in_clear = true;
        OPENSSL_cleanse(user, sizeof user);
    } else if (bv_ieq(cmd, "AUTHENTICATE")) {
        san_copy(st->auth_tag, sizeof st->auth_tag, tag, false);
        struct bytes mech = bv_word(&rest);
        sasl_start(st, mech, rest, cut); /* RFC 4959 SASL-IR */
    } else if (bv_ieq(cmd, "ID")) {
        imap_id(st, rest);
    }
}

static void imap_server(struct mp_state *st, struct bytes line)
{
    struct mp_facts *f = &st->facts;
    struct bytes rest = line;
    struct bytes tag = bv_word(&rest);
    if (tag.n == 0)
        return;
    if (bv_eq(tag, "+"))
        return; /* RFC 9051 7.5: continuation request */
    struct bytes status = bv_word(&rest);
    if (bv_eq(tag, "*")) {
        bool first = !st->greeted;
        st->greeted = true;
        if (bv_ieq(status, "OK") || bv_ieq(status, "PREAUTH")) {
            struct bytes text = imap_resp_code(st, rest);
            if (first) /* RFC 9051 7.1: the greeting */
                put_first(f, f->banner, sizeof f->banner, bv_trim(text), false);
        } else if (bv_ieq(status, "CAPABILITY")) {
            imap_caps(st, rest);
        }
        return;
    }
    bool ok = bv_ieq(status, "OK"), no = bv_ieq(status, "NO"), bad = bv_ieq(status, "BAD");
    if (!ok && !no && !bad) {
        f->malformed++;
        return;
    }
    if (ok)
        imap_resp_code(st, rest);
    if (tag_is(st->stls_tag, tag)) { /* RFC 9051 6.2.1 */
        starttls_reply(st, 0, ok ? "OK" : no ? "NO" : "BAD", ok);
        memset(st->stls_tag, 0, sizeof st->stls_tag);
    }
    if (tag_is(st->auth_tag, tag)) {
        st->sasl = false;
        memset(st->auth_tag, 0, sizeof st->auth_tag);
    }
}

/* IMAP literal marker at the end of a line: "{n}" or "{n+}" then CRLF
 * (RFC 9051 4.3, RFC 7888). Recognised byte by byte so a split anywhere in
 * the marker gives the same result. */
static void lit_scan(struct mp_dir *dd, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '\n')
            continue;
        if (c == '{') {
            dd->lit_st = LIT_OPEN;
            dd->lit_acc = 0;
            continue;
        }
        switch (dd->lit_st) {
        case LIT_OPEN:
        case LIT_DIGITS:
            if (c >= '0' && c <= '9') {
                uint32_t d = (uint32_t)(c - '0');
                if (dd->lit_acc > (UINT32_MAX - d) / 10u) { /* [MP-LIT-OVERFLOW] */
                    dd->lit_st = LIT_NONE;
                } else {
                    dd->lit_acc = dd->lit_acc * 10u + d;
                    dd->lit_st = LIT_DIGITS;
                }
            } else if (dd->lit_st == LIT_DIGITS && c == '+') {
                dd->lit_st = LIT_PLUS;
            } else if (dd->lit_st == LIT_DIGITS && c == '}') {
                dd->lit_st = LIT_CLOSED;
            } else {
                dd->lit_st = LIT_NONE;
            }
            break;
        case LIT_PLUS:
            dd->lit_st = (c == '}') ? LIT_CLOSED : LIT_NONE;
            break;
        case LIT_CLOSED:
            dd->lit_st = (c == '\r') ? LIT_CLOSED_CR : LIT_NONE;
            break;
        default:
            dd->lit_st = LIT_NONE;
            break;
        }
    }
}

/* ---- POP3 (RFC 1939, RFC 2449, RFC 2595, RFC 5034) ----------------------------------- */

static void pop_client(struct mp_state *st, struct bytes line, bool cut)
{
    struct mp_facts *f = &st->facts;
    if (st->sasl) {
        sasl_response(st, line, cut);
        return;
    }
    struct bytes rest = line;
    struct bytes verb = bv_word(&rest);
    if (verb.n == 0)
        return;
    if (bv_ieq(verb, "CAPA")) {
        pend_push(st, MPC_CAPA);
    } else if (bv_ieq(verb, "STLS")) {
        f->starttls_requested = true;
        pend_push(st, MPC_STARTTLS);
    } else if (bv_ieq(verb, "USER")) {
        auth_simple(st, "USER", bv_word(&rest));
        pend_push(st, MPC_OTHER);
    } else if (bv_ieq(verb, "PASS")) {
        f->secret_in_clear = true; /* the argument is never read */
        pend_push(st, MPC_OTHER);
    } else if (bv_ieq(verb, "APOP")) {
        auth_simple(st, "APOP", bv_word(&rest)); /* RFC 1939 7: name digest */
        pend_push(st, MPC_OTHER);
    } else if (bv_ieq(verb, "AUTH")) {
        struct bytes mech = bv_word(&rest);
        if (mech.n == 0) {
            pend_push(st, MPC_MULTI); /* mechanism list (pre-RFC 5034 clients) */
        } else {
            pend_push(st, MPC_AUTH);
            sasl_start(st, mech, rest, cut);
        }
    } else if (bv_ieq(verb, "LIST") || bv_ieq(verb, "UIDL")) {
        pend_push(st, bv_word(&rest).n ? MPC_OTHER : MPC_MULTI);
    } else if (bv_ieq(verb, "RETR") || bv_ieq(verb, "TOP")) {
        pend_push(st, MPC_MULTI);
    } else if (bv_alpha(verb)) {
        pend_push(st, MPC_OTHER);
    } else {
        f->malformed++;
    }
}

static void pop_server(struct mp_state *st, struct bytes line)
{
    struct mp_facts *f = &st->facts;
    struct mp_dir *ds = &st->dir[MP_DIR_SERVER];
    if (ds->ml) {
        /* RFC 1939 3: a multi-line response ends with a line holding "." */
        if (bv_eq(line, ".")) {
            ds->ml = false;
            return;
        }
        if (st->reply_cmd == MPC_CAPA) { /* RFC 2449 5 */
            struct bytes rest = line;
            struct bytes kw = bv_word(&rest);
            cap_add(st, kw);
            cap_check(st, kw, "STLS");
            if (bv_ieq(kw, "SASL"))
                for (struct bytes m = bv_word(&rest); m.n > 0; m = bv_word(&rest))
                    cap_add_prefixed(st, "SASL=", m);
        }
        return;
    }
    struct bytes rest = line;
    struct bytes status = bv_word(&rest);
    bool ok = bv_ieq(status, "+OK"), err = bv_ieq(status, "-ERR");
    if (!st->greeted) {
        st->greeted = true;
        if (ok)
            put_first(f, f->banner, sizeof f->banner, bv_trim(rest), false);
        return;
    }
    if (!ok && !err) {
        if (line.n > 0 && line.p[0] == '+')
            return; /* RFC 5034 4: "+ " SASL challenge */
        if (line.n > 0)
            f->malformed++;
        return;
    }
    uint8_t cmd = pend_peek(st);
    pend_pop(st);
    switch (cmd) {
    case MPC_STARTTLS:
        starttls_reply(st, 0, ok ? "+OK" : "-ERR", ok); /* RFC 2595 4 */
        break;
    case MPC_CAPA:
    case MPC_MULTI:
        if (ok) {
            ds->ml = true;
            st->reply_cmd = cmd;
        }
        break;
    case MPC_AUTH:
        st->sasl = false;
        break;
    default:
        break;
    }
}

/* ---- FTP (RFC 959, RFC 2228, RFC 2389, RFC 4217) ------------------------------------- */

static void ftp_client(struct mp_state *st, struct bytes line)
{
    struct mp_facts *f = &st->facts;
    struct bytes rest = line;
    struct bytes verb = bv_word(&rest);
    if (verb.n == 0)
        return;
    if (bv_ieq(verb, "AUTH")) {
        /* RFC 4217 6: AUTH TLS (and the older SSL, TLS-C, TLS-P) */
        struct bytes arg = bv_word(&rest);
        if (bv_ieq(arg, "TLS") || bv_ieq(arg, "SSL") || bv_ieq(arg, "TLS-C") ||
            bv_ieq(arg, "TLS-P")) {
            f->starttls_requested = true;
            pend_push(st, MPC_STARTTLS);
        } else {
            pend_push(st, MPC_OTHER);
        }
    } else if (bv_ieq(verb, "USER")) {
        struct bytes user = bv_word(&rest);
        auth_simple(st, "USER", user);
        st->ftp_anonymous = bv_ieq(user, "anonymous") || bv_ieq(user, "ftp");
        pend_push(st, MPC_OTHER);
    } else if (bv_ieq(verb, "PASS")) {
        if (!st->ftp_anonymous) /* RFC 1635: anonymous FTP "passwords" are not secrets */
            f->secret_in_clear = true;
        pend_push(st, MPC_OTHER);
    } else if (bv_ieq(verb, "FEAT")) {
        pend_push(st, MPC_FEAT);
    } else if (bv_alpha(verb)) {
        pend_push(st, MPC_OTHER);
    } else {
        f->malformed++;
    }
}

static void ftp_reply_done(struct mp_state *st)
{
    uint8_t cmd = st->reply_cmd;
    unsigned code = st->reply_code;
    if (code / 100u == 1u)
        return; /* RFC 959 4.2: preliminary reply; the command goes on */
    if (cmd == MPC_GREETING) {
        st->greeted = true;
        return;
    }
    pend_pop(st);
    if (cmd == MPC_STARTTLS || (cmd == MPC_UNKNOWN && code == 234))
        starttls_reply(st, code, NULL, code == 234); /* RFC 4217 4 */
}

static void ftp_server(struct mp_state *st, struct bytes line)
{
    struct mp_facts *f = &st->facts;
    struct mp_dir *ds = &st->dir[MP_DIR_SERVER];
    unsigned code;
    bool more;
    struct bytes text;
    bool has = reply_code(line, &code, &more, &text);
    if (ds->ml) {
        /* RFC 959 4.2: lines up to one starting with the same code and SP */
        if (has && !more && code == st->reply_code) {
            ds->ml = false;
            ftp_reply_done(st);
            return;
        }
        if (st->reply_cmd == MPC_FEAT && line.n > 0 && line.p[0] == ' ') {
            /* RFC 2389 3.2: each feature line starts with a space */
            struct bytes feat = bv_trim(line);
            struct bytes args = feat;
            struct bytes kw = bv_word(&args);
            cap_add(st, feat);
            if (bv_ieq(kw, "AUTH") && (bv_icontains(args, "TLS") || bv_icontains(args, "SSL")))
                f->starttls_offered = true;
        }
        return;
    }
    if (!has) {
        if (line.n > 0)
            f->malformed++;
        return;
    }
    st->reply_code = code;
    st->reply_cmd = st->greeted ? pend_peek(st) : (uint8_t)MPC_GREETING;
    if (st->reply_cmd == MPC_GREETING)
        put_first(f, f->banner, sizeof f->banner, bv_trim(text), false);
    if (more) {
        ds->ml = true;
        return;
    }
    ftp_reply_done(st);
}

/* ---- framing: units --------------------------------------------------------------- */

static bool tls_armed(const struct mp_state *st)
{
    return st->facts.starttls_requested || st->facts.starttls_accepted;
}

/* RFC 8446 5.1 / RFC 5246 6.2.1: change_cipher_spec .. application_data. No
 * text protocol line, BER SEQUENCE or XML character data starts with these. */
static bool tls_first_byte(uint8_t c)
{
    return c >= 0x14 && c <= 0x17;
}

static void unit_append(struct mp_state *st, struct mp_dir *dd, const uint8_t *p, size_t n)
{
    size_t room = MP_UNIT_MAX - dd->len;
    size_t k = n < room ? n : room;
    if (k > 0) {
        memcpy(dd->buf + dd->len, p, k);
        dd->len += k;
    }
    size_t before = dd->seen;
    dd->seen = (SIZE_MAX - dd->seen < n) ? SIZE_MAX : dd->seen + n;
    if (before <= MP_UNIT_MAX && dd->seen > MP_UNIT_MAX) { /* [MP-UNIT-CAP] */
        st->facts.units_truncated++;
        st->facts.limit_hits++;
    }
}

/* forget the unit; its bytes may hold a password */
static void unit_reset(struct mp_dir *dd)
{
    if (dd->len > 0)
        OPENSSL_cleanse(dd->buf, dd->len);
    dd->len = 0;
    dd->seen = 0;
    dd->need = 0;
    dd->lit_st = LIT_NONE;
    dd->lit_acc = 0;
}

static void start_tls(struct mp_state *st, int d)
{
    struct mp_dir *dd = &st->dir[d];
    unit_reset(dd);
    dd->tls = true;
    st->facts.tls_started[d] = true;
}

static void line_done(struct mp_state *st, int d)
{
    struct mp_dir *dd = &st->dir[d];
    bool cut = dd->seen > dd->len;
    struct bytes line = bv_make(dd->buf, dd->len);
    if (!cut && line.n > 0) { /* strip LF and a CR before it */
        line.n--;
        if (line.n > 0 && line.p[line.n - 1] == '\r')
            line.n--;
    }
    st->facts.units[d]++;
    bool client = (d == MP_DIR_CLIENT);
    switch (st->facts.proto) {
    case MP_SMTP:
        if (client)
            smtp_client(st, line, cut);
        else
            smtp_server(st, line);
        break;
    case MP_IMAP:
        if (client)
            imap_client(st, line, cut);
        else
            imap_server(st, line);
        break;
    case MP_POP3:
        if (client)
            pop_client(st, line, cut);
        else
            pop_server(st, line);
        break;
    case MP_FTP:
        if (client)
            ftp_client(st, line);
        else
            ftp_server(st, line);
        break;
    default:
        break;
    }
    unit_reset(dd);
}

static void line_feed(struct mp_state *st, int d, const uint8_t *p, size_t n, size_t *tls_at)
{
    struct mp_dir *dd = &st->dir[d];
    bool imap = (st->facts.proto == MP_IMAP);
    size_t i = 0;
    while (i < n) {
        size_t left = n - i;
        if (dd->skip_left > 0) { /* SMTP BDAT chunk */
            size_t k = dd->skip_left < left ? dd->skip_left : left;
            dd->skip_left -= k;
            i += k;
            continue;
        }
        if (dd->lit_left > 0) { /* IMAP literal: part of the unit, not lines */
            size_t k = dd->lit_left < left ? dd->lit_left : left;
            unit_append(st, dd, p + i, k);
            dd->lit_left -= k;
            i += k;
            continue;
        }
        if (dd->seen == 0 && !dd->data && tls_armed(st) && tls_first_byte(p[i])) {
            start_tls(st, d);
            *tls_at = i;
            return;
        }
        const uint8_t *lf = memchr(p + i, '\n', left);
        size_t k = lf ? (size_t)(lf - (p + i)) + 1 : left;
        if (imap)
            lit_scan(dd, p + i, k);
        unit_append(st, dd, p + i, k);
        i += k;
        if (lf == NULL)
            break;
        if (imap && (dd->lit_st == LIT_CLOSED || dd->lit_st == LIT_CLOSED_CR)) {
            dd->lit_left = dd->lit_acc;
            dd->lit_st = LIT_NONE;
            dd->lit_acc = 0;
            continue;
        }
        line_done(st, d);
    }
}

/* ---- XMPP (RFC 6120) ----------------------------------------------------------------- */

static struct bytes xml_local(struct bytes name)
{
    size_t c = bv_rfind(name, ':');
    return c < name.n ? bv_tail(name, c + 1) : name;
}

/* Attribute `name` (exact, prefix included) of a start tag's text (the bytes
 * between '<' and '>'); the value is raw (entities are not expanded). */
static bool xml_attr(struct bytes tag, const char *name, struct bytes *val)
{
    size_t i = 0;
    while (i < tag.n && !is_xml_ws(tag.p[i]) && tag.p[i] != '/')
        i++; /* element name */
    while (i < tag.n) {
        while (i < tag.n && (is_xml_ws(tag.p[i]) || tag.p[i] == '/'))
            i++;
        size_t a = i;
        while (i < tag.n && !is_xml_ws(tag.p[i]) && tag.p[i] != '=' && tag.p[i] != '/')
            i++;
        struct bytes an = bv_make(tag.p + a, i - a);
        while (i < tag.n && is_xml_ws(tag.p[i]))
            i++;
        if (i >= tag.n || tag.p[i] != '=')
            continue; /* attribute without value: not XML, skip it */
        i++;
        while (i < tag.n && is_xml_ws(tag.p[i]))
            i++;
        if (i >= tag.n || (tag.p[i] != '"' && tag.p[i] != '\''))
            return false;
        uint8_t q = tag.p[i++];
        size_t v = i;
        while (i < tag.n && tag.p[i] != q)
            i++;
        if (bv_eq(an, name)) {
            *val = bv_make(tag.p + v, i - v); /* unterminated: up to the cut */
            return true;
        }
        if (i < tag.n)
            i++;
    }
    return false;
}

static void xmpp_text_done(struct mp_state *st, int d)
{
    struct mp_dir *dd = &st->dir[d];
    bool cut = dd->seen > dd->len;
    struct bytes text = bv_make(dd->buf, dd->len);
    uint8_t ctx = st->x_ctx[d];
    st->x_ctx[d] = XC_NONE;
    if (ctx == XC_MECHANISM) {
        /* RFC 6120 6.4.1: <mechanism>NAME</mechanism> */
        struct bytes t = text;
        while (t.n > 0 && is_xml_ws(t.p[0]))
            t = bv_tail(t, 1);
        while (t.n > 0 && is_xml_ws(t.p[t.n - 1]))
            t.n--;
        cap_add_prefixed(st, "AUTH=", t);
    } else if (ctx == XC_AUTH) {
        /* RFC 6120 6.4.2: <auth mechanism='M'>base64 initial response</auth> */
        sasl_decode_identity(st, st->sasl_mech, text, cut);
    }
    unit_reset(dd);
}

static void xmpp_tag_done(struct mp_state *st, int d)
{
    struct mp_facts *f = &st->facts;
    struct mp_dir *dd = &st->dir[d];
    bool cut = dd->seen > dd->len;
    struct bytes t = bv_make(dd->buf, dd->len);
    f->units[d]++;
    if (t.n == 0) {
        f->malformed++;
        goto out;
    }
    if (t.p[0] == '!' || t.p[0] == '?')
        goto out; /* declarations; XMPP forbids DTDs (RFC 6120 11.1) */
    bool end = (t.p[0] == '/');
    if (end)
        t = bv_tail(t, 1);
    size_t i = 0;
    while (i < t.n && !is_xml_ws(t.p[i]) && t.p[i] != '/')
        i++;
    struct bytes local = xml_local(bv_head(t, i));
    size_t last = t.n;
    while (last > 0 && is_xml_ws(t.p[last - 1]))
        last--;
    bool self = !end && !cut && last > 0 && t.p[last - 1] == '/';
    struct bytes v;

    if (end) {
        if (st->x_features && st->x_fdepth > 0) {
            st->x_fdepth--;
            if (bv_eq(local, "starttls"))
                st->x_starttls = false;
            else if (bv_eq(local, "mechanisms"))
                st->x_mechanisms = false;
        } else if (bv_eq(local, "features")) {
            st->x_features = false;
        }
        goto out;
    }
    if (d == MP_DIR_CLIENT) {
        if (bv_eq(local, "stream")) {
            if (xml_attr(t, "to", &v)) /* RFC 6120 4.7.2 */
                put_first(f, f->client_name, sizeof f->client_name, v, false);
        } else if (bv_eq(local, "starttls")) {
            f->starttls_requested = true; /* RFC 6120 5.4.2.1 */
        } else if (bv_eq(local, "auth")) {
            struct bytes mech = bv_empty;
            xml_attr(t, "mechanism", &mech);
            f->auth_in_clear = true;
            put_first(f, f->auth_mechanism, sizeof f->auth_mechanism, mech, true);
            st->sasl_mech = mech_of(mech);
            if (!self)
                st->x_ctx[d] = XC_AUTH;
        }
        goto out;
    }
    if (bv_eq(local, "stream")) {
        st->greeted = true;
        if (xml_attr(t, "from", &v))
            put_first(f, f->banner, sizeof f->banner, v, false);
    } else if (bv_eq(local, "features") && !st->x_features) {
        /* RFC 6120 4.3.2 */
        st->x_features = !self;
        st->x_fdepth = 0;
        st->x_starttls = st->x_mechanisms = false;
    } else if (st->x_features) {
        if (st->x_fdepth == 0) {
            cap_add(st, local);
            if (bv_eq(local, "starttls")) {
                f->starttls_offered = true;
                st->x_starttls = !self;
            } else if (bv_eq(local, "mechanisms")) {
                st->x_mechanisms = !self;
            }
        } else if (st->x_starttls && bv_eq(local, "required")) {
            f->starttls_required = true; /* RFC 6120 5.3.1 */
        } else if (st->x_mechanisms && bv_eq(local, "mechanism") && !self) {
            st->x_ctx[d] = XC_MECHANISM;
        }
        if (!self && st->x_fdepth < UINT8_MAX)
            st->x_fdepth++;
    } else if (bv_eq(local, "proceed")) {
        starttls_reply(st, 0, "proceed", true); /* RFC 6120 5.4.2.3 */
    } else if (bv_eq(local, "failure")) {
        /* RFC 6120 5.4.2.2; a SASL <failure/> has another namespace */
        if (xml_attr(t, "xmlns", &v) && bv_icontains(v, "xmpp-tls"))
            starttls_reply(st, 0, "failure", false);
    }
out:
    unit_reset(dd);
}

/* Byte-at-a-time XML scanner: tags (with quoted attribute values, which may
 * hold '>'), comments, CDATA sections and processing instructions are
 * skipped as wholes; character data is only kept where it matters. */
static void xmpp_feed(struct mp_state *st, int d, const uint8_t *p, size_t n, size_t *tls_at)
{
    struct mp_dir *dd = &st->dir[d];
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        switch (dd->xst) {
        case XS_TEXT:
            if (c == '<') {
                xmpp_text_done(st, d);
                dd->xst = XS_TAG;
                dd->quote = 0;
            } else if (tls_armed(st) && tls_first_byte(c)) {
                /* XML 1.0 2.2: these bytes are not XML characters */
                start_tls(st, d);
                *tls_at = i;
                return;
            } else if (st->x_ctx[d] != XC_NONE) {
                unit_append(st, dd, &c, 1);
            }
            break;
        case XS_TAG:
            if (dd->quote != 0) {
                if (c == dd->quote)
                    dd->quote = 0;
            } else if (c == '>') {
                xmpp_tag_done(st, d);
                dd->xst = XS_TEXT;
                break;
            } else if (c == '"' || c == '\'') {
                dd->quote = c;
            }
            unit_append(st, dd, &c, 1);
            if (dd->seen == 1 && c == '?') {
                dd->xst = XS_PI; /* XML 1.0 2.6 */
                dd->xrun = 0;
                unit_reset(dd);
            } else if (dd->seen == 3 && memcmp(dd->buf, "!--", 3) == 0) {
                dd->xst = XS_COMMENT; /* XML 1.0 2.5 */
                dd->xrun = 0;
                unit_reset(dd);
            } else if (dd->seen == 8 && memcmp(dd->buf, "![CDATA[", 8) == 0) {
                dd->xst = XS_CDATA; /* XML 1.0 2.7 */
                dd->xrun = 0;
                unit_reset(dd);
            }
            break;
        case XS_PI:
            if (c == '>' && dd->xrun == 1)
                dd->xst = XS_TEXT;
            else
                dd->xrun = (c == '?');
            break;
        case XS_COMMENT:
        case XS_CDATA: {
            uint8_t run = (dd->xst == XS_COMMENT) ? '-' : ']';
            if (c == run) {
                if (dd->xrun < 2)
                    dd->xrun++;
            } else if (c == '>' && dd->xrun == 2) {
                dd->xst = XS_TEXT;
            } else {
                dd->xrun = 0;
            }
            break;
        }
        default:
            dd->xst = XS_TEXT;
            break;
        }
    }
}

/* ---- LDAP (RFC 4511) over a minimal BER walker (X.690) ------------------------------- */

/* X.690 8.1.2 identifier (low-tag-number form: every LDAP tag is < 31) and
 * 8.1.3 length: short form, or long form with 1..4 octets. RFC 4511 5.1:
 * only the definite form is used, so 0x80 (indefinite) is refused. */
static bool ber_hdr(struct cur *c, uint8_t *tag, size_t *len)
{
    uint8_t t = cur_u8(c);
    uint8_t l = cur_u8(c);
    if (c->err)
        return false;
    if ((t & 0x1f) == 0x1f) { /* [LDAP-BER-TAG] high-tag-number form */
        c->err = true;
        return false;
    }
    if (l < 0x80) {
        *len = l;
    } else {
        size_t k = l & 0x7fu;
        uint64_t v = 0;
        if (k == 0 || k > 4) { /* [LDAP-BER-LEN] indefinite or over 2^32 */
            c->err = true;
            return false;
        }
        for (size_t i = 0; i < k; i++)
            v = v << 8 | cur_u8(c);
        if (c->err || v > SIZE_MAX)
            return false;
        *len = (size_t)v;
    }
    *tag = t;
    return true;
}

/* a whole element; its value must be present (cur_sub checks) */
static bool ber_tlv(struct cur *c, uint8_t *tag, struct cur *val)
{
    size_t n;
    if (!ber_hdr(c, tag, &n))
        return false;
    *val = cur_sub(c, n);
    return !val->err;
}

/* an element whose value may run past a cut unit: the part that is there */
static bool ber_tlv_prefix(struct cur *c, uint8_t *tag, struct cur *val, bool cut)
{
    size_t n;
    if (!ber_hdr(c, tag, &n))
        return false;
    if (cut && n > cur_left(c))
        n = cur_left(c);
    *val = cur_sub(c, n);
    return !val->err;
}

/* INTEGER / ENUMERATED in 0..2^31-1 (RFC 4511 4.1.1 MessageID, 4.1.9 resultCode) */
static bool ber_uint(struct cur *v, uint32_t *out)
{
    size_t n = cur_left(v);
    uint64_t x = 0;
    if (v->err || n == 0 || n > 5)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = cur_u8(v);
        if (i == 0 && (b & 0x80))
            return false; /* negative */
        x = x << 8 | b;
    }
    if (x > 0x7fffffffu)
        return false;
    *out = (uint32_t)x;
    return true;
}

static struct bytes cur_rest(const struct cur *c)
{
    return bv_make(c->p, cur_left(c));
}

/* RFC 4511 4.2 BindRequest ::= [APPLICATION 0] SEQUENCE { version INTEGER (1..127),
 * name LDAPDN, authentication CHOICE { simple [0] OCTET STRING, sasl [3]
 * SaslCredentials } }; SaslCredentials ::= SEQUENCE { mechanism LDAPString,
 * credentials OCTET STRING OPTIONAL } */
static void ldap_bind(struct mp_state *st, struct cur *op, bool cut)
{
    struct mp_facts *f = &st->facts;
    uint8_t t;
    struct cur v, name, auth;
    uint32_t version;
    size_t alen;
    if (!ber_tlv(op, &t, &v) || t != 0x02 || !ber_uint(&v, &version) || version < 1 ||
        version > 127 || !ber_tlv_prefix(op, &t, &name, cut) || t != 0x04) {
        f->malformed++;
        return;
    }
    struct bytes dn = cur_rest(&name);
    struct cur peek = *op;
    if (!ber_hdr(&peek, &t, &alen)) {
        if (!cut)
            f->malformed++;
        if (dn.n > 0) /* the choice was cut away: the name is known anyway */
            auth_simple(st, "SIMPLE", dn);
        return;
    }
    if (t == 0x80) {              /* simple: the password is never read */
        if (dn.n > 0 || alen > 0) /* RFC 4513 5.1.1: empty both = anonymous */
            auth_simple(st, "SIMPLE", dn);
        if (alen > 0)
            f->secret_in_clear = true;
        return;
    }
    if (t != 0xa3 || !ber_tlv_prefix(op, &t, &auth, cut)) {
        f->malformed++;
        return;
    }
    struct cur mech;
    if (!ber_tlv(&auth, &t, &mech) || t != 0x04) {
        if (!cut)
            f->malformed++;
        return;
    }
    struct bytes m = cur_rest(&mech);
    f->auth_in_clear = true;
    put_first(f, f->auth_mechanism, sizeof f->auth_mechanism, m, true);
    put_first(f, f->auth_user, sizeof f->auth_user, dn, false);
    struct cur cred;
    if (!cur_empty(&auth) && ber_tlv_prefix(&auth, &t, &cred, cut) && t == 0x04)
        sasl_identity(st, mech_of(m), cur_rest(&cred)); /* raw, not base64, in LDAP */
}

static bool oid_is_starttls(struct cur *v)
{
    return bv_eq(cur_rest(v), LDAP_STARTTLS_OID);
}

/* RFC 4511 4.12 ExtendedRequest ::= [APPLICATION 23] SEQUENCE { requestName [0]
 * LDAPOID, requestValue [1] OCTET STRING OPTIONAL } */
static void ldap_ext_req(struct mp_state *st, uint32_t id, struct cur *op)
{
    uint8_t t;
    struct cur name;
    if (!ber_tlv(op, &t, &name) || t != 0x80) {
        st->facts.malformed++;
        return;
    }
    if (oid_is_starttls(&name)) { /* RFC 4511 4.14.1 */
        st->facts.starttls_requested = true;
        st->ldap_stls_id = id;
        st->ldap_stls_id_set = true;
    }
}

/* RFC 4511 4.12 ExtendedResponse ::= [APPLICATION 24] SEQUENCE { COMPONENTS OF
 * LDAPResult, responseName [10] LDAPOID OPTIONAL, responseValue [11] OCTET
 * STRING OPTIONAL }; 4.1.9 LDAPResult: resultCode ENUMERATED, matchedDN,
 * diagnosticMessage, referral [3] OPTIONAL. 4.14.2: the StartTLS response
 * names the OID, but servers often leave it out: the messageID decides too. */
static void ldap_ext_resp(struct mp_state *st, uint32_t id, struct cur *op)
{
    uint8_t t;
    struct cur v, dn, diag;
    uint32_t rc;
    if (!ber_tlv(op, &t, &v) || t != 0x0a || !ber_uint(&v, &rc) || !ber_tlv(op, &t, &dn) ||
        t != 0x04 || !ber_tlv(op, &t, &diag) || t != 0x04) {
        st->facts.malformed++;
        return;
    }
    bool named = false;
    while (!cur_empty(op)) {
        if (!ber_tlv(op, &t, &v))
            break;
        if (t == 0x8a)
            named = oid_is_starttls(&v);
    }
    if ((st->ldap_stls_id_set && id != 0 && id == st->ldap_stls_id) || named) {
        starttls_reply(st, rc, "resultCode", rc == 0);
        st->ldap_stls_id_set = false;
    }
}

/* RFC 4511 4.1.1 LDAPMessage ::= SEQUENCE { messageID MessageID, protocolOp
 * CHOICE { ... }, controls [0] Controls OPTIONAL } */
static void ldap_message(struct mp_state *st, struct bytes msg, bool cut)
{
    struct mp_facts *f = &st->facts;
    struct cur c = cur_make(msg.p, msg.n);
    struct cur body, v, op;
    uint8_t t;
    uint32_t id;
    if (!ber_tlv_prefix(&c, &t, &body, cut) || t != 0x30 || !ber_tlv(&body, &t, &v) || t != 0x02 ||
        !ber_uint(&v, &id) || !ber_tlv_prefix(&body, &t, &op, cut)) {
        f->malformed++;
        return;
    }
    switch (t) {
    case 0x60: /* [APPLICATION 0] BindRequest */
        ldap_bind(st, &op, cut);
        break;
    case 0x77: /* [APPLICATION 23] ExtendedRequest */
        ldap_ext_req(st, id, &op);
        break;
    case 0x78: /* [APPLICATION 24] ExtendedResponse */
        ldap_ext_resp(st, id, &op);
        break;
    default:
        break;
    }
}

/* Whole LDAPMessage size from its first bytes: 1 with *total, 0 when more
 * header bytes are needed, -1 when the header is not acceptable. */
static int ldap_msg_size(const uint8_t *p, size_t n, size_t *total)
{
    struct cur c = cur_make(p, n);
    uint8_t t = cur_u8(&c);
    if (c.err)
        return 0;
    if (t != 0x30)
        return -1; /* RFC 4511 4.1.1: every LDAPMessage is a SEQUENCE */
    uint8_t l = cur_u8(&c);
    if (c.err)
        return 0;
    size_t k = (l < 0x80) ? 0 : (size_t)(l & 0x7fu);
    if (l >= 0x80 && (k == 0 || k > 4))
        return -1; /* [LDAP-BER-LEN] */
    if (n < 2 + k)
        return 0;
    c = cur_make(p, 2 + k);
    size_t len;
    if (!ber_hdr(&c, &t, &len) || len > SIZE_MAX - (2 + k))
        return -1;
    *total = 2 + k + len;
    return 1;
}

static void ldap_lost(struct mp_state *st, int d)
{
    struct mp_dir *dd = &st->dir[d];
    unit_reset(dd);
    dd->dead = true;
    st->facts.malformed++;
}

static void ldap_feed(struct mp_state *st, int d, const uint8_t *p, size_t n, size_t *tls_at)
{
    struct mp_dir *dd = &st->dir[d];
    size_t i = 0;
    while (i < n) {
        if (dd->need == 0) {
            if (dd->seen == 0 && tls_armed(st) && tls_first_byte(p[i])) {
                start_tls(st, d);
                *tls_at = i;
                return;
            }
            unit_append(st, dd, p + i, 1); /* header: at most 6 bytes, always kept */
            i++;
            size_t total = 0;
            int r = ldap_msg_size(dd->buf, dd->len, &total);
            if (r < 0) {
                ldap_lost(st, d);
                return;
            }
            if (r == 0)
                continue;
            dd->need = total;
        } else {
            size_t want = dd->need - dd->seen;
            size_t k = want < n - i ? want : n - i;
            unit_append(st, dd, p + i, k);
            i += k;
        }
        if (dd->seen == dd->need) {
            st->facts.units[d]++;
            ldap_message(st, bv_make(dd->buf, dd->len), dd->seen > dd->len);
            unit_reset(dd);
        }
    }
}

/* ---- detection -------------------------------------------------------------------- */

static bool ldap_looks_like(const uint8_t *p, size_t n, bool request, uint16_t port)
{
    struct cur c = cur_make(p, n);
    uint8_t t;
    size_t len;
    if (n == 0 || !ber_hdr(&c, &t, &len) || t != 0x30 || len < 5)
        return false;
    if (!ber_hdr(&c, &t, &len) || t != 0x02 || len < 1 || len > 4 || !cur_skip(&c, len))
        return false;
    uint8_t op = cur_u8(&c);
    if (c.err)
        return false;
    if (request)
        return op == 0x60 || op == 0x77 || (op == 0x63 && (port == 389 || port == 3268));
    return op == 0x61 || op == 0x78;
}

static struct bytes first_line(const uint8_t *p, size_t n)
{
    struct bytes v = bv_make(p, n);
    return bv_head(v, bv_find(v, '\n'));
}

static bool imap_client_first(struct bytes l)
{
    struct bytes tag = bv_word(&l);
    struct bytes cmd = bv_word(&l);
    if (tag.n == 0 || tag.p[0] == '*' || tag.p[0] == '+')
        return false;
    if (cmd.n > 0 && cmd.p[cmd.n - 1] == '\r')
        cmd.n--;
    return bv_ieq(cmd, "CAPABILITY") || bv_ieq(cmd, "STARTTLS") || bv_ieq(cmd, "LOGIN") ||
           bv_ieq(cmd, "AUTHENTICATE") || bv_ieq(cmd, "ID") || bv_ieq(cmd, "NOOP");
}

static bool verb_is(struct bytes l, const char *v)
{
    struct bytes w = bv_word(&l);
    if (w.n > 0 && w.p[w.n - 1] == '\r')
        w.n--;
    return bv_ieq(w, v);
}

enum mp_proto mp_detect(const uint8_t *server_first, size_t n, const uint8_t *client_first,
                        size_t m, uint16_t server_port)
{
    struct bytes s = bv_make(server_first, server_first ? n : 0);
    struct bytes c = bv_make(client_first, client_first ? m : 0);
    bool s220 = false;

    if (s.n > 0) {
        if (bv_iprefix(s, "* OK") || bv_iprefix(s, "* PREAUTH"))
            return MP_IMAP;
        if (bv_iprefix(s, "+OK"))
            return MP_POP3;
        if (bv_iprefix(s, "<?xml") || bv_iprefix(s, "<stream:stream"))
            return MP_XMPP;
        if (ldap_looks_like(s.p, s.n, false, server_port))
            return MP_LDAP;
        struct bytes l = first_line(s.p, s.n);
        if (bv_iprefix(l, "220") && (l.n == 3 || l.p[3] == ' ' || l.p[3] == '-')) {
            if (bv_icontains(l, "SMTP"))
                return MP_SMTP;
            if (bv_icontains(l, "FTP"))
                return MP_FTP;
            s220 = true;
        }
    }
    if (c.n > 0) {
        struct bytes l = first_line(c.p, c.n);
        if (verb_is(l, "EHLO") || verb_is(l, "HELO") || verb_is(l, "LHLO"))
            return MP_SMTP;
        if (bv_iprefix(l, "AUTH TLS") || bv_iprefix(l, "AUTH SSL") || verb_is(l, "FEAT") ||
            verb_is(l, "SYST") || verb_is(l, "PASV"))
            return MP_FTP;
        if (verb_is(l, "CAPA") || verb_is(l, "STLS") || verb_is(l, "APOP"))
            return MP_POP3;
        if (verb_is(l, "USER"))
            return (s220 || server_port == 21) ? MP_FTP : MP_POP3;
        if (bv_iprefix(l, "<?xml") || bv_iprefix(l, "<stream:stream"))
            return MP_XMPP;
        if (ldap_looks_like(c.p, c.n, true, server_port))
            return MP_LDAP;
        if (imap_client_first(l))
            return MP_IMAP;
    }
    if (s220) { /* a bare "220 host ready": the port breaks the tie */
        if (server_port == 21 || server_port == 990)
            return MP_FTP;
        if (server_port == 25 || server_port == 465 || server_port == 587 || server_port == 2525 ||
            server_port == 24)
            return MP_SMTP;
    }
    return MP_NONE;
}

/* ---- public ----------------------------------------------------------------------- */

void mp_init(struct mp_state *st, enum mp_proto proto)
{
    if (st == NULL)
        return;
    memset(st, 0, sizeof *st);
    st->facts.proto = proto;
}

enum pr_status mp_feed(struct mp_state *st, int from_client, const uint8_t *p, size_t n,
                       size_t *tls_starts_at)
{
    size_t dummy;
    size_t *tls_at = tls_starts_at ? tls_starts_at : &dummy;
    *tls_at = SIZE_MAX;
    if (st == NULL || (p == NULL && n > 0))
        return PR_MALFORMED;
    int d = from_client ? MP_DIR_CLIENT : MP_DIR_SERVER;
    struct mp_dir *dd = &st->dir[d];
    if (dd->tls) {
        *tls_at = 0;
        return PR_OK;
    }
    if (dd->dead)
        return PR_MALFORMED;
    if (n == 0)
        return PR_OK;
    size_t hits = st->facts.limit_hits;
    switch (st->facts.proto) {
    case MP_SMTP:
    case MP_IMAP:
    case MP_POP3:
    case MP_FTP:
        line_feed(st, d, p, n, tls_at);
        break;
    case MP_XMPP:
        xmpp_feed(st, d, p, n, tls_at);
        break;
    case MP_LDAP:
        ldap_feed(st, d, p, n, tls_at);
        break;
    default:
        return PR_UNSUPPORTED;
    }
    if (dd->dead)
        return PR_MALFORMED;
    return st->facts.limit_hits > hits ? PR_LIMIT : PR_OK;
}

void mp_finish(struct mp_state *st)
{
    if (st == NULL)
        return;
    for (int d = 0; d < 2; d++)
        unit_reset(&st->dir[d]);
}

const char *mp_proto_name(enum mp_proto p)
{
    switch (p) {
    case MP_SMTP:
        return "smtp";
    case MP_IMAP:
        return "imap";
    case MP_POP3:
        return "pop3";
    case MP_LDAP:
        return "ldap";
    case MP_FTP:
        return "ftp";
    case MP_XMPP:
        return "xmpp";
    case MP_NONE:
        break;
    }
    return "none";
}
