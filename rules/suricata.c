/* Suricata rule subset for TLS session records; see suricata.h for the
 * contract and rules/README-rules.md for the language. Written from the
 * Suricata user guide (rules/intro, tls-keywords, ja-keywords,
 * payload-keywords, multi-buffer-matching); no Suricata code. */
#include "suricata.h"
#include "loadmsg.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- data --------------------------------------------------------------- */

enum sr_buf {
    BUF_SNI,
    BUF_SUBJECT,
    BUF_ISSUER,
    BUF_SERIAL,
    BUF_FINGERPRINT,
    BUF_CERTS,
    BUF_SAN,
    BUF_JA3,
    BUF_JA3_STRING,
    BUF_JA3S,
    BUF_JA3S_STRING,
    BUF_JA4,
};

enum sr_cmp_op { CMP_EQ, CMP_NE, CMP_LT, CMP_GT, CMP_LE, CMP_GE, CMP_RANGE };

struct sr_cmp {
    enum sr_cmp_op op;
    uint64_t a, b;
};

struct sr_content {
    uint8_t *pat;
    size_t len;
    bool neg, nocase, startswith, endswith, has_depth, has_offset;
    size_t depth, offset;
};

enum sr_cond_type { COND_GROUP, COND_VERSION, COND_EXPIRED, COND_VALID, COND_CHAIN_LEN };

/* One condition. A group is one sticky buffer (or legacy value keyword)
 * with the contents that follow it; every condition must hold. */
struct sr_cond {
    enum sr_cond_type type;
    const char *kw; /* canonical keyword name, static */
    enum sr_buf buf;
    bool legacy, dotprefix, has_bsize;
    struct sr_cmp bsize;
    struct sr_content *c;
    size_t nc, capc;
    uint16_t version;
    struct sr_cmp cmp; /* tls.cert_chain_len */
};

enum sr_node_kind { NODE_ANY, NODE_CIDR, NODE_PORTS, NODE_GROUP };
#define NODE_NONE UINT32_MAX
#define SR_NODES_MAX 65536u

/* Address / port group tree; children linked through `next`. */
struct sr_node {
    uint8_t kind;
    bool neg;
    uint8_t family, plen;
    uint8_t addr[16];
    uint16_t lo, hi;
    uint32_t child, next;
};

enum sr_dir { DIR_NONE, DIR_TO_SERVER, DIR_TO_CLIENT };

struct sr_rule {
    uint32_t sid, rev, gid;
    uint8_t severity;
    bool has_sid, has_priority;
    char *msg, *classtype, *source;
    enum sr_dir flow_dir;
    bool bidir, proto_tls, has_tls_kw, client_kw, server_kw;
    uint32_t src, sport, dst, dport;
    struct sr_node *nodes;
    size_t nnodes, capnodes;
    struct sr_cond *conds;
    size_t nconds, capconds;
};

struct sr_var {
    char *name, *value;
};

struct srules {
    struct sr_rule *rules;
    size_t n, cap;
    struct sr_var *vars;
    size_t nvars, capvars;
    uint64_t *sids; /* open addressing, (gid << 32 | sid) + 1, 0 empty */
    size_t sidcap, nsids;
};

/* suricata.yaml defaults, consulted when a variable is not set */
static const struct {
    const char *name, *value;
} default_vars[] = {
    {"HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"},
    {"EXTERNAL_NET", "!$HOME_NET"},
    {"HTTP_SERVERS", "$HOME_NET"},
    {"SMTP_SERVERS", "$HOME_NET"},
    {"SQL_SERVERS", "$HOME_NET"},
    {"DNS_SERVERS", "$HOME_NET"},
    {"TELNET_SERVERS", "$HOME_NET"},
    {"AIM_SERVERS", "$EXTERNAL_NET"},
    {"DC_SERVERS", "$HOME_NET"},
    {"DNP3_SERVER", "$HOME_NET"},
    {"DNP3_CLIENT", "$HOME_NET"},
    {"MODBUS_CLIENT", "$HOME_NET"},
    {"MODBUS_SERVER", "$HOME_NET"},
    {"ENIP_CLIENT", "$HOME_NET"},
    {"ENIP_SERVER", "$HOME_NET"},
    {"HTTP_PORTS", "80"},
    {"SHELLCODE_PORTS", "!80"},
    {"ORACLE_PORTS", "1521"},
    {"SSH_PORTS", "22"},
    {"DNP3_PORTS", "20000"},
    {"MODBUS_PORTS", "502"},
    {"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"},
    {"FTP_PORTS", "21"},
    {"GENEVE_PORTS", "6081"},
    {"VXLAN_PORTS", "4789"},
    {"TEREDO_PORTS", "3544"},
};

/* Suricata's etc/classification.config priorities */
static const struct {
    const char *name;
    uint8_t prio;
} classtypes[] = {
    {"not-suspicious", 3},
    {"unknown", 3},
    {"bad-unknown", 2},
    {"attempted-recon", 2},
    {"successful-recon-limited", 2},
    {"successful-recon-largescale", 2},
    {"attempted-dos", 2},
    {"successful-dos", 2},
    {"attempted-user", 1},
    {"unsuccessful-user", 1},
    {"successful-user", 1},
    {"attempted-admin", 1},
    {"successful-admin", 1},
    {"rpc-portmap-decode", 2},
    {"shellcode-detect", 1},
    {"string-detect", 3},
    {"suspicious-filename-detect", 2},
    {"suspicious-login", 2},
    {"system-call-detect", 2},
    {"tcp-connection", 4},
    {"trojan-activity", 1},
    {"unusual-client-port-connection", 2},
    {"network-scan", 3},
    {"denial-of-service", 2},
    {"non-standard-protocol", 2},
    {"protocol-command-decode", 3},
    {"web-application-activity", 2},
    {"web-application-attack", 1},
    {"misc-activity", 3},
    {"misc-attack", 2},
    {"icmp-event", 3},
    {"inappropriate-content", 1},
    {"policy-violation", 1},
    {"default-login-attempt", 2},
    {"targeted-activity", 1},
    {"exploit-kit", 1},
    {"external-ip-check", 2},
    {"domain-c2", 1},
    {"pup-activity", 2},
    {"credential-theft", 1},
    {"social-engineering", 2},
    {"coin-mining", 2},
    {"command-and-control", 1},
};

enum kw_id {
    KW_MSG,
    KW_SID,
    KW_REV,
    KW_GID,
    KW_CLASSTYPE,
    KW_PRIORITY,
    KW_IGNORED, /* reference, metadata, target */
    KW_FLOW,
    KW_CONTENT,
    KW_NOCASE,
    KW_STARTSWITH,
    KW_ENDSWITH,
    KW_DEPTH,
    KW_OFFSET,
    KW_FAST_PATTERN,
    KW_BSIZE,
    KW_DOTPREFIX,
    KW_STICKY,
    KW_LEGACY,
    KW_VERSION,
    KW_EXPIRED,
    KW_VALID,
    KW_CHAIN_LEN,
};

enum kw_val { VAL_NONE, VAL_REQ, VAL_OPT };

struct kw {
    const char *name;
    enum kw_id id;
    enum kw_val val;
    enum sr_buf buf;
    const char *canon; /* name in evidence */
};

static const struct kw keywords[] = {
    {"msg", KW_MSG, VAL_REQ, BUF_SNI, "msg"},
    {"sid", KW_SID, VAL_REQ, BUF_SNI, "sid"},
    {"rev", KW_REV, VAL_REQ, BUF_SNI, "rev"},
    {"gid", KW_GID, VAL_REQ, BUF_SNI, "gid"},
    {"classtype", KW_CLASSTYPE, VAL_REQ, BUF_SNI, "classtype"},
    {"priority", KW_PRIORITY, VAL_REQ, BUF_SNI, "priority"},
    {"reference", KW_IGNORED, VAL_REQ, BUF_SNI, "reference"},
    {"metadata", KW_IGNORED, VAL_REQ, BUF_SNI, "metadata"},
    {"target", KW_IGNORED, VAL_REQ, BUF_SNI, "target"},
    {"flow", KW_FLOW, VAL_REQ, BUF_SNI, "flow"},
    {"content", KW_CONTENT, VAL_REQ, BUF_SNI, "content"},
    {"nocase", KW_NOCASE, VAL_NONE, BUF_SNI, "nocase"},
    {"startswith", KW_STARTSWITH, VAL_NONE, BUF_SNI, "startswith"},
    {"endswith", KW_ENDSWITH, VAL_NONE, BUF_SNI, "endswith"},
    {"depth", KW_DEPTH, VAL_REQ, BUF_SNI, "depth"},
    {"offset", KW_OFFSET, VAL_REQ, BUF_SNI, "offset"},
    {"fast_pattern", KW_FAST_PATTERN, VAL_OPT, BUF_SNI, "fast_pattern"},
    {"bsize", KW_BSIZE, VAL_REQ, BUF_SNI, "bsize"},
    {"dotprefix", KW_DOTPREFIX, VAL_NONE, BUF_SNI, "dotprefix"},
    {"tls.sni", KW_STICKY, VAL_NONE, BUF_SNI, "tls.sni"},
    {"tls_sni", KW_STICKY, VAL_NONE, BUF_SNI, "tls.sni"},
    {"tls.cert_subject", KW_STICKY, VAL_NONE, BUF_SUBJECT, "tls.cert_subject"},
    {"tls_cert_subject", KW_STICKY, VAL_NONE, BUF_SUBJECT, "tls.cert_subject"},
    {"tls.cert_issuer", KW_STICKY, VAL_NONE, BUF_ISSUER, "tls.cert_issuer"},
    {"tls_cert_issuer", KW_STICKY, VAL_NONE, BUF_ISSUER, "tls.cert_issuer"},
    {"tls.cert_serial", KW_STICKY, VAL_NONE, BUF_SERIAL, "tls.cert_serial"},
    {"tls_cert_serial", KW_STICKY, VAL_NONE, BUF_SERIAL, "tls.cert_serial"},
    {"tls.cert_fingerprint", KW_STICKY, VAL_NONE, BUF_FINGERPRINT, "tls.cert_fingerprint"},
    {"tls_cert_fingerprint", KW_STICKY, VAL_NONE, BUF_FINGERPRINT, "tls.cert_fingerprint"},
    {"tls.certs", KW_STICKY, VAL_NONE, BUF_CERTS, "tls.certs"},
    {"tls.subjectaltname", KW_STICKY, VAL_NONE, BUF_SAN, "tls.subjectaltname"},
    {"ja3.hash", KW_STICKY, VAL_NONE, BUF_JA3, "ja3.hash"},
    {"ja3_hash", KW_STICKY, VAL_NONE, BUF_JA3, "ja3.hash"},
    {"ja3.string", KW_STICKY, VAL_NONE, BUF_JA3_STRING, "ja3.string"},
    {"ja3_string", KW_STICKY, VAL_NONE, BUF_JA3_STRING, "ja3.string"},
    {"ja3s.hash", KW_STICKY, VAL_NONE, BUF_JA3S, "ja3s.hash"},
    {"ja3s_hash", KW_STICKY, VAL_NONE, BUF_JA3S, "ja3s.hash"},
    {"ja3s.string", KW_STICKY, VAL_NONE, BUF_JA3S_STRING, "ja3s.string"},
    {"ja3s_string", KW_STICKY, VAL_NONE, BUF_JA3S_STRING, "ja3s.string"},
    {"ja4.hash", KW_STICKY, VAL_NONE, BUF_JA4, "ja4.hash"},
    {"tls.subject", KW_LEGACY, VAL_REQ, BUF_SUBJECT, "tls.subject"},
    {"tls.issuerdn", KW_LEGACY, VAL_REQ, BUF_ISSUER, "tls.issuerdn"},
    {"tls.fingerprint", KW_LEGACY, VAL_REQ, BUF_FINGERPRINT, "tls.fingerprint"},
    {"tls.version", KW_VERSION, VAL_REQ, BUF_SNI, "tls.version"},
    {"tls_cert_expired", KW_EXPIRED, VAL_NONE, BUF_SNI, "tls_cert_expired"},
    {"tls.cert_expired", KW_EXPIRED, VAL_NONE, BUF_SNI, "tls_cert_expired"},
    {"tls_cert_valid", KW_VALID, VAL_NONE, BUF_SNI, "tls_cert_valid"},
    {"tls.cert_valid", KW_VALID, VAL_NONE, BUF_SNI, "tls_cert_valid"},
    {"tls.cert_chain_len", KW_CHAIN_LEN, VAL_REQ, BUF_SNI, "tls.cert_chain_len"},
};

/* ---- small helpers ------------------------------------------------------ */

struct perr {
    char *buf;
    size_t cap;
    const char *name;
    size_t line; /* 0: no line */
};

__attribute__((format(printf, 3, 4))) static enum pr_status
fail(const struct perr *e, enum pr_status st, const char *fmt, ...)
{
    if (e == NULL)
        return st;
    va_list ap;
    va_start(ap, fmt);
    loadmsg_v(e->buf, e->cap, e->name, e->line, fmt, ap);
    va_end(ap);
    return st;
}

/* Rule text for a message: printable ASCII only, at most 40 bytes. */
static const char *shown(const char *s, size_t n, char *out, size_t cap)
{
    return loadmsg_shown(s, n, 40, out, cap);
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

static bool eq_nocase(const char *s, size_t n, const char *lit)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (lit[i] == '\0' || lower((uint8_t)s[i]) != lower((uint8_t)lit[i]))
            return false;
    }
    return lit[n] == '\0';
}

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && is_ws(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_ws((*s)[*n - 1]))
        (*n)--;
}

/* Grow an array to hold `need` elements (doubling); NULL when the size
 * would overflow or memory runs out, p untouched then. */
static void *grow(void *p, size_t *cap, size_t need, size_t elsz)
{
    size_t ncap = *cap != 0 ? *cap : 8;
    void *np;

    if (need <= *cap)
        return p;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            return NULL;
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / elsz) /* [SR-SIZE-OVERFLOW] */
        return NULL;
    np = realloc(p, ncap * elsz);
    if (np == NULL)
        return NULL;
    *cap = ncap;
    return np;
}

static char *dup_n(const char *s, size_t n)
{
    char *d;

    if (n == SIZE_MAX)
        return NULL;
    d = malloc(n + 1);
    if (d == NULL)
        return NULL;
    if (n > 0)
        memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* Decimal without sign, at most `max`. */
static bool parse_uint(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    trim(&s, &n);
    if (n == 0)
        return false;
    for (i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        if (v > (max - (uint64_t)(s[i] - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

/* ---- comparisons: N, !N, <N, >N, <=N, >=N, A<>B, A-B -------------------- */

static bool parse_cmp(const char *s, size_t n, struct sr_cmp *c)
{
    size_t i;

    trim(&s, &n);
    memset(c, 0, sizeof *c);
    if (n >= 2 && s[0] == '<' && s[1] == '=') {
        c->op = CMP_LE;
        return parse_uint(s + 2, n - 2, UINT32_MAX, &c->a);
    }
    if (n >= 2 && s[0] == '>' && s[1] == '=') {
        c->op = CMP_GE;
        return parse_uint(s + 2, n - 2, UINT32_MAX, &c->a);
    }
    if (n >= 1 && (s[0] == '<' || s[0] == '>' || s[0] == '!' || s[0] == '=')) {
        c->op = s[0] == '<' ? CMP_LT : s[0] == '>' ? CMP_GT : s[0] == '!' ? CMP_NE : CMP_EQ;
        return parse_uint(s + 1, n - 1, UINT32_MAX, &c->a);
    }
    for (i = 0; i < n; i++) {
        if (s[i] == '<' && i + 1 < n && s[i + 1] == '>') {
            c->op = CMP_RANGE;
            return parse_uint(s, i, UINT32_MAX, &c->a) &&
                   parse_uint(s + i + 2, n - i - 2, UINT32_MAX, &c->b) && c->a < c->b;
        }
        if (s[i] == '-') {
            /* A-B: Suricata's integer keywords read it like A<>B */
            c->op = CMP_RANGE;
            return parse_uint(s, i, UINT32_MAX, &c->a) &&
                   parse_uint(s + i + 1, n - i - 1, UINT32_MAX, &c->b) && c->a < c->b;
        }
    }
    c->op = CMP_EQ;
    return parse_uint(s, n, UINT32_MAX, &c->a);
}

static bool cmp_eval(const struct sr_cmp *c, uint64_t x)
{
    switch (c->op) {
    case CMP_EQ:
        return x == c->a;
    case CMP_NE:
        return x != c->a;
    case CMP_LT:
        return x < c->a;
    case CMP_GT:
        return x > c->a;
    case CMP_LE:
        return x <= c->a;
    case CMP_GE:
        return x >= c->a;
    case CMP_RANGE:
        return x > c->a && x < c->b;
    }
    return false;
}

/* ---- rules and variables ------------------------------------------------- */

static void rule_free(struct sr_rule *r)
{
    size_t i, j;

    if (r == NULL)
        return;
    for (i = 0; i < r->nconds; i++) {
        for (j = 0; j < r->conds[i].nc; j++)
            free(r->conds[i].c[j].pat);
        free(r->conds[i].c);
    }
    free(r->conds);
    free(r->nodes);
    free(r->msg);
    free(r->classtype);
    free(r->source);
    memset(r, 0, sizeof *r);
}

static const char *var_lookup(const struct srules *rs, const char *name, size_t n)
{
    size_t i;

    if (rs != NULL) {
        for (i = 0; i < rs->nvars; i++) {
            if (strlen(rs->vars[i].name) == n && memcmp(rs->vars[i].name, name, n) == 0)
                return rs->vars[i].value;
        }
    }
    for (i = 0; i < sizeof default_vars / sizeof default_vars[0]; i++) {
        if (strlen(default_vars[i].name) == n && memcmp(default_vars[i].name, name, n) == 0)
            return default_vars[i].value;
    }
    return NULL;
}

/* ---- address and port groups --------------------------------------------- */

struct gparse {
    const struct srules *rs;
    struct sr_rule *r;
    const struct perr *e;
    bool ports;
};

static enum pr_status node_add(struct gparse *g, uint8_t kind, uint32_t *out)
{
    struct sr_rule *r = g->r;
    struct sr_node *nodes;

    if (r->nnodes >= SR_NODES_MAX)
        return fail(g->e, PR_LIMIT, "%s group too large (more than %u entries)",
                    g->ports ? "port" : "address", SR_NODES_MAX);
    nodes = grow(r->nodes, &r->capnodes, r->nnodes + 1, sizeof *r->nodes);
    if (nodes == NULL)
        return fail(g->e, PR_LIMIT, "out of memory");
    r->nodes = nodes;
    memset(&nodes[r->nnodes], 0, sizeof nodes[0]);
    nodes[r->nnodes].kind = kind;
    nodes[r->nnodes].child = NODE_NONE;
    nodes[r->nnodes].next = NODE_NONE;
    *out = (uint32_t)r->nnodes++;
    return PR_OK;
}

static enum pr_status addr_leaf(struct gparse *g, const char *s, size_t n, uint32_t *out)
{
    char tmp[72], mask[72], sh[64];
    const char *slash = memchr(s, '/', n);
    size_t alen = slash != NULL ? (size_t)(slash - s) : n;
    uint8_t a[16];
    int family = 0;
    uint64_t plen;
    enum pr_status st;
    struct sr_node *nd;

    if (eq_nocase(s, n, "any"))
        return node_add(g, NODE_ANY, out);
    if (alen == 0 || alen >= sizeof tmp)
        return fail(g->e, PR_MALFORMED, "invalid address '%s'", shown(s, n, sh, sizeof sh));
    memcpy(tmp, s, alen);
    tmp[alen] = '\0';
    memset(a, 0, sizeof a);
    if (inet_pton(AF_INET, tmp, a) == 1)
        family = 4;
    else if (inet_pton(AF_INET6, tmp, a) == 1)
        family = 6;
    else
        return fail(g->e, PR_MALFORMED, "invalid address '%s'", shown(s, n, sh, sizeof sh));
    plen = family == 4 ? 32 : 128;
    if (slash != NULL) {
        size_t mlen = n - alen - 1;
        const char *m = slash + 1;
        uint8_t mb[4];
        bool dotted = false;
        if (family == 4 && mlen > 0 && mlen < sizeof mask && memchr(m, '.', mlen) != NULL) {
            memcpy(mask, m, mlen);
            mask[mlen] = '\0';
            dotted = inet_pton(AF_INET, mask, mb) == 1;
        }
        if (parse_uint(m, mlen, family == 4 ? 32 : 128, &plen)) {
            /* prefix length */
        } else if (dotted) {
            /* dotted netmask: leading ones only */
            uint32_t v =
                (uint32_t)mb[0] << 24 | (uint32_t)mb[1] << 16 | (uint32_t)mb[2] << 8 | mb[3];
            plen = 0;
            while (plen < 32 && (v & (UINT32_C(1) << (31 - plen))) != 0)
                plen++;
            if (plen < 32 && (v << plen) != 0)
                return fail(g->e, PR_MALFORMED, "invalid netmask in '%s'",
                            shown(s, n, sh, sizeof sh));
        } else {
            return fail(g->e, PR_MALFORMED, "invalid prefix length in '%s'",
                        shown(s, n, sh, sizeof sh));
        }
    }
    st = node_add(g, NODE_CIDR, out);
    if (st != PR_OK)
        return st;
    nd = &g->r->nodes[*out];
    nd->family = (uint8_t)family;
    nd->plen = (uint8_t)plen;
    memcpy(nd->addr, a, sizeof a);
    return PR_OK;
}

static enum pr_status port_leaf(struct gparse *g, const char *s, size_t n, uint32_t *out)
{
    const char *colon = memchr(s, ':', n);
    uint64_t lo = 0, hi = 65535;
    char sh[64];
    enum pr_status st;

    if (eq_nocase(s, n, "any"))
        return node_add(g, NODE_ANY, out);
    if (colon == NULL) {
        if (!parse_uint(s, n, 65535, &lo))
            return fail(g->e, PR_MALFORMED, "invalid port '%s'", shown(s, n, sh, sizeof sh));
        hi = lo;
    } else {
        size_t l1 = (size_t)(colon - s), l2 = n - l1 - 1;
        if ((l1 > 0 && !parse_uint(s, l1, 65535, &lo)) ||
            (l2 > 0 && !parse_uint(colon + 1, l2, 65535, &hi)) || (l1 == 0 && l2 == 0) || lo > hi)
            return fail(g->e, PR_MALFORMED, "invalid port range '%s'", shown(s, n, sh, sizeof sh));
    }
    st = node_add(g, NODE_PORTS, out);
    if (st != PR_OK)
        return st;
    g->r->nodes[*out].lo = (uint16_t)lo;
    g->r->nodes[*out].hi = (uint16_t)hi;
    return PR_OK;
}

static enum pr_status g_whole(struct gparse *g, const char *s, size_t n, unsigned depth,
                              uint32_t *out);

/* item := '!' item | '[' item (',' item)* ']' | '$' NAME | leaf */
static enum pr_status g_item(struct gparse *g, const char **pp, const char *end, unsigned depth,
                             uint32_t *out)
{
    const char *p = *pp;
    const char *what = g->ports ? "port" : "address";
    char sh[64];
    enum pr_status st;

    if (depth > SRULES_NEST_MAX)
        return fail(g->e, PR_LIMIT, "%s groups or variables nested too deeply (a loop?)", what);
    while (p < end && is_ws(*p))
        p++;
    if (p == end)
        return fail(g->e, PR_MALFORMED, "empty %s", what);
    if (*p == '!') {
        p++;
        st = g_item(g, &p, end, depth + 1, out);
        if (st != PR_OK)
            return st;
        g->r->nodes[*out].neg = !g->r->nodes[*out].neg;
    } else if (*p == '[') {
        uint32_t grp, child, last = NODE_NONE;
        p++;
        st = node_add(g, NODE_GROUP, &grp);
        if (st != PR_OK)
            return st;
        for (;;) {
            st = g_item(g, &p, end, depth + 1, &child);
            if (st != PR_OK)
                return st;
            if (last == NODE_NONE)
                g->r->nodes[grp].child = child;
            else
                g->r->nodes[last].next = child;
            last = child;
            while (p < end && is_ws(*p))
                p++;
            if (p < end && *p == ',') {
                p++;
                continue;
            }
            if (p < end && *p == ']') {
                p++;
                break;
            }
            return fail(g->e, PR_MALFORMED, "expected ',' or ']' in %s group", what);
        }
        *out = grp;
    } else if (*p == '$') {
        const char *nm = ++p, *val;
        while (p < end &&
               ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || is_digit(*p) || *p == '_'))
            p++;
        if (p == nm)
            return fail(g->e, PR_MALFORMED, "empty variable name in %s", what);
        val = var_lookup(g->rs, nm, (size_t)(p - nm));
        if (val == NULL)
            return fail(g->e, PR_MALFORMED, "undefined variable '$%s'",
                        shown(nm, (size_t)(p - nm), sh, sizeof sh));
        st = g_whole(g, val, strlen(val), depth + 1, out);
        if (st != PR_OK)
            return st;
    } else {
        const char *s = p;
        while (p < end && *p != ',' && *p != ']' && *p != '[' && !is_ws(*p))
            p++;
        if (p == s)
            return fail(g->e, PR_MALFORMED, "unexpected '%c' in %s", *p, what);
        st = g->ports ? port_leaf(g, s, (size_t)(p - s), out)
                      : addr_leaf(g, s, (size_t)(p - s), out);
        if (st != PR_OK)
            return st;
    }
    *pp = p;
    return PR_OK;
}

static enum pr_status g_whole(struct gparse *g, const char *s, size_t n, unsigned depth,
                              uint32_t *out)
{
    const char *p = s, *end = s + n;
    char sh[64];
    enum pr_status st = g_item(g, &p, end, depth, out);

    if (st != PR_OK)
        return st;
    while (p < end && is_ws(*p))
        p++;
    if (p != end)
        return fail(g->e, PR_MALFORMED, "unexpected '%s' in %s",
                    shown(p, (size_t)(end - p), sh, sizeof sh), g->ports ? "port" : "address");
    return PR_OK;
}

static bool cidr_match(const struct sr_node *nd, const struct cs_endpoint *ep)
{
    size_t full, i;
    unsigned rem;

    if (ep->family != nd->family)
        return false;
    full = nd->plen / 8u;
    rem = nd->plen % 8u;
    for (i = 0; i < full; i++) {
        if (ep->addr[i] != nd->addr[i])
            return false;
    }
    if (rem != 0) {
        uint8_t m = (uint8_t)(0xffu << (8 - rem));
        if ((ep->addr[full] & m) != (nd->addr[full] & m))
            return false;
    }
    return true;
}

/* A group holds when some positive member holds (or it has none) and no
 * negated member's inner value holds: "[10.0.0.0/8,!10.1.0.0/16]". */
static bool node_raw(const struct sr_rule *r, uint32_t i, const struct cs_endpoint *ep)
{
    const struct sr_node *nd = &r->nodes[i];
    uint32_t c;
    bool any_pos = false, pos = false;

    switch (nd->kind) {
    case NODE_ANY:
        return true;
    case NODE_CIDR:
        return cidr_match(nd, ep);
    case NODE_PORTS:
        return ep->port >= nd->lo && ep->port <= nd->hi;
    case NODE_GROUP:
        for (c = nd->child; c != NODE_NONE; c = r->nodes[c].next) {
            bool m = node_raw(r, c, ep);
            if (r->nodes[c].neg) {
                if (m)
                    return false;
            } else {
                any_pos = true;
                pos = pos || m;
            }
        }
        return !any_pos || pos;
    default:
        return false;
    }
}

static bool node_match(const struct sr_rule *r, uint32_t i, const struct cs_endpoint *ep)
{
    bool m = node_raw(r, i, ep);
    return r->nodes[i].neg ? !m : m;
}

/* ---- option values -------------------------------------------------------- */

/* A quoted string after an optional '!': escapes \" \; \\ \: and, when
 * hex is allowed, |41 42| blocks. Only blanks may follow the closing
 * quote. The result is malloc'ed. */
static enum pr_status parse_pattern(const struct perr *e, const char *kw, const char *v, size_t n,
                                    bool hex, bool *neg, uint8_t **out, size_t *outlen)
{
    const char *p = v, *end = v + n, *q;
    uint8_t *buf = NULL;
    size_t k = 0;
    bool in_hex = false;
    int hi = -1;

    *neg = false;
    *out = NULL;
    *outlen = 0;
    while (p < end && is_ws(*p))
        p++;
    if (p < end && *p == '!') {
        *neg = true;
        p++;
        while (p < end && is_ws(*p))
            p++;
    }
    if (p == end || *p != '"')
        return fail(e, PR_MALFORMED, "'%s' needs a quoted string", kw);
    p++;
    /* closing quote: the first one not escaped */
    for (q = p; q < end && *q != '"'; q++) {
        if (*q == '\\' && q + 1 < end)
            q++;
    }
    if (q == end)
        return fail(e, PR_MALFORMED, "unterminated quote in '%s'", kw);
    {
        const char *t = q + 1;
        while (t < end && is_ws(*t))
            t++;
        if (t != end)
            return fail(e, PR_MALFORMED, "missing ';' after '%s'", kw);
    }
    if ((size_t)(q - p) > SRULES_CONTENT_MAX * 3u)
        return fail(e, PR_LIMIT, "'%s' longer than %u bytes", kw, SRULES_CONTENT_MAX);
    buf = malloc((size_t)(q - p) + 1);
    if (buf == NULL)
        return fail(e, PR_LIMIT, "out of memory");
    for (; p < q; p++) {
        if (in_hex) {
            int h;
            if (*p == '|') {
                if (hi >= 0) {
                    free(buf);
                    return fail(e, PR_MALFORMED, "odd number of hex digits in '%s'", kw);
                }
                in_hex = false;
                continue;
            }
            if (is_ws(*p))
                continue;
            h = hexval(*p);
            if (h < 0) {
                free(buf);
                return fail(e, PR_MALFORMED, "invalid hex digit '%c' in '%s'",
                            (*p >= 0x20 && *p <= 0x7e) ? *p : '?', kw);
            }
            if (hi < 0) {
                hi = h;
            } else {
                buf[k++] = (uint8_t)(hi << 4 | h);
                hi = -1;
            }
        } else if (*p == '|' && hex) {
            in_hex = true;
        } else if (*p == '\\') {
            char c = p + 1 < q ? p[1] : '\0';
            if (c != '"' && c != ';' && c != '\\' && c != ':') {
                free(buf);
                return fail(e, PR_MALFORMED, "invalid escape '\\%c' in '%s'",
                            (c >= 0x20 && c <= 0x7e) ? c : '?', kw);
            }
            buf[k++] = (uint8_t)c;
            p++;
        } else {
            buf[k++] = (uint8_t)*p;
        }
    }
    if (in_hex) {
        free(buf);
        return fail(e, PR_MALFORMED, "unterminated |hex| block in '%s'", kw);
    }
    if (k == 0) {
        free(buf);
        return fail(e, PR_MALFORMED, "empty '%s'", kw);
    }
    if (k > SRULES_CONTENT_MAX) {
        free(buf);
        return fail(e, PR_LIMIT, "'%s' longer than %u bytes", kw, SRULES_CONTENT_MAX);
    }
    *out = buf;
    *outlen = k;
    return PR_OK;
}

/* msg: quoted (escapes: backslash + any character) or bare. */
static enum pr_status parse_text(const struct perr *e, const char *kw, const char *v, size_t n,
                                 char **out)
{
    char *buf;
    size_t i, k = 0;

    trim(&v, &n);
    if (n >= 1 && v[0] == '"') {
        const char *q;
        for (q = v + 1; q < v + n && *q != '"'; q++) {
            if (*q == '\\' && q + 1 < v + n)
                q++;
        }
        if (q == v + n)
            return fail(e, PR_MALFORMED, "unterminated quote in '%s'", kw);
        if (q + 1 != v + n)
            return fail(e, PR_MALFORMED, "missing ';' after '%s'", kw);
        v++;
        n = (size_t)(q - v);
    }
    buf = malloc(n + 1);
    if (buf == NULL)
        return fail(e, PR_LIMIT, "out of memory");
    for (i = 0; i < n; i++) {
        if (v[i] == '\\' && i + 1 < n)
            i++;
        buf[k++] = v[i];
    }
    buf[k] = '\0';
    free(*out);
    *out = buf;
    return PR_OK;
}

static enum pr_status parse_flow(const struct perr *e, struct sr_rule *r, const char *v, size_t n)
{
    const char *p = v, *end = v + n;
    char sh[64];

    while (p < end) {
        const char *s = p;
        size_t len;
        enum sr_dir d = DIR_NONE;
        while (p < end && *p != ',')
            p++;
        len = (size_t)(p - s);
        trim(&s, &len);
        if (p < end)
            p++;
        if (eq_nocase(s, len, "to_server") || eq_nocase(s, len, "from_client")) {
            d = DIR_TO_SERVER;
        } else if (eq_nocase(s, len, "to_client") || eq_nocase(s, len, "from_server")) {
            d = DIR_TO_CLIENT;
        } else if (eq_nocase(s, len, "established") || eq_nocase(s, len, "stateless") ||
                   eq_nocase(s, len, "only_stream") || eq_nocase(s, len, "no_stream") ||
                   eq_nocase(s, len, "only_frag") || eq_nocase(s, len, "no_frag")) {
            /* a TLS session record is an established stream */
        } else if (eq_nocase(s, len, "not_established")) {
            return fail(e, PR_UNSUPPORTED, "unsupported flow option 'not_established'");
        } else {
            return fail(e, PR_MALFORMED, "invalid flow option '%s'", shown(s, len, sh, sizeof sh));
        }
        if (d != DIR_NONE) {
            if (r->flow_dir != DIR_NONE && r->flow_dir != d)
                return fail(e, PR_MALFORMED, "conflicting flow directions");
            r->flow_dir = d;
        }
    }
    return PR_OK;
}

static bool parse_version(const char *v, size_t n, uint16_t *out)
{
    uint64_t x = 0;
    size_t i;

    trim(&v, &n);
    if (n == 3 && v[0] == '1' && v[1] == '.' && v[2] >= '0' && v[2] <= '3') {
        *out = (uint16_t)(0x0301 + (v[2] - '0'));
        return true;
    }
    if (n > 2 && n <= 6 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
        for (i = 2; i < n; i++) {
            int h = hexval(v[i]);
            if (h < 0)
                return false;
            x = x << 4 | (uint64_t)h;
        }
        *out = (uint16_t)x;
        return true;
    }
    return false;
}

/* ---- the rule parser ---------------------------------------------------- */

struct opt_state {
    size_t cur_group; /* cond index of the current sticky buffer, SIZE_MAX none */
    size_t lc_cond;   /* last content: cond index, SIZE_MAX none */
};

static enum pr_status cond_add(const struct perr *e, struct sr_rule *r, enum sr_cond_type type,
                               const char *kw, size_t *idx)
{
    struct sr_cond *c = grow(r->conds, &r->capconds, r->nconds + 1, sizeof *r->conds);

    if (c == NULL)
        return fail(e, PR_LIMIT, "out of memory");
    r->conds = c;
    memset(&c[r->nconds], 0, sizeof c[0]);
    c[r->nconds].type = type;
    c[r->nconds].kw = kw;
    *idx = r->nconds++;
    return PR_OK;
}

static enum pr_status content_add(const struct perr *e, struct sr_cond *c, uint8_t *pat, size_t len,
                                  bool neg)
{
    struct sr_content *cs = grow(c->c, &c->capc, c->nc + 1, sizeof *c->c);

    if (cs == NULL) {
        free(pat);
        return fail(e, PR_LIMIT, "out of memory");
    }
    c->c = cs;
    memset(&cs[c->nc], 0, sizeof cs[0]);
    cs[c->nc].pat = pat;
    cs[c->nc].len = len;
    cs[c->nc].neg = neg;
    c->nc++;
    return PR_OK;
}

static void note_side(struct sr_rule *r, enum sr_buf b)
{
    r->has_tls_kw = true;
    switch (b) {
    case BUF_SNI:
    case BUF_JA3:
    case BUF_JA3_STRING:
    case BUF_JA4:
        r->client_kw = true;
        break;
    default:
        r->server_kw = true; /* ja3s and the certificate keywords */
        break;
    }
}

static enum pr_status group_done(const struct perr *e, const struct sr_rule *r, size_t g)
{
    if (g != SIZE_MAX && r->conds[g].nc == 0 && !r->conds[g].has_bsize)
        return fail(e, PR_MALFORMED, "'%s' is not followed by a content", r->conds[g].kw);
    return PR_OK;
}

static enum pr_status option(const struct perr *e, struct sr_rule *r, struct opt_state *os,
                             const struct kw *k, const char *v, size_t vn, bool has_val)
{
    char sh[64];
    uint64_t u;
    size_t idx;
    enum pr_status st;
    struct sr_content *lc =
        os->lc_cond != SIZE_MAX ? &r->conds[os->lc_cond].c[r->conds[os->lc_cond].nc - 1] : NULL;

    if (k->val == VAL_NONE && has_val)
        return fail(e, PR_MALFORMED, "'%s' takes no value", k->name);
    if (k->val == VAL_REQ && (!has_val || vn == 0))
        return fail(e, PR_MALFORMED, "'%s' needs a value", k->name);
    switch (k->id) {
    case KW_MSG:
        return parse_text(e, k->name, v, vn, &r->msg);
    case KW_SID:
    case KW_REV:
    case KW_GID:
        if (!parse_uint(v, vn, UINT32_MAX, &u) || (k->id == KW_SID && u == 0))
            return fail(e, PR_MALFORMED, "invalid %s '%s'", k->name, shown(v, vn, sh, sizeof sh));
        if (k->id == KW_SID) {
            r->sid = (uint32_t)u;
            r->has_sid = true;
        } else if (k->id == KW_REV) {
            r->rev = (uint32_t)u;
        } else {
            r->gid = (uint32_t)u;
        }
        return PR_OK;
    case KW_CLASSTYPE: {
        size_t i;
        for (i = 0; i < vn; i++) {
            char c = v[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' ||
                  c == '_'))
                return fail(e, PR_MALFORMED, "invalid classtype '%s'", shown(v, vn, sh, sizeof sh));
        }
        free(r->classtype);
        r->classtype = dup_n(v, vn);
        return r->classtype != NULL ? PR_OK : fail(e, PR_LIMIT, "out of memory");
    }
    case KW_PRIORITY:
        if (!parse_uint(v, vn, 255, &u) || u == 0)
            return fail(e, PR_MALFORMED, "invalid priority '%s' (expected 1-255)",
                        shown(v, vn, sh, sizeof sh));
        r->severity = (uint8_t)u;
        r->has_priority = true;
        return PR_OK;
    case KW_IGNORED:
        return PR_OK;
    case KW_FLOW:
        return parse_flow(e, r, v, vn);
    case KW_CONTENT: {
        uint8_t *pat;
        size_t plen;
        bool neg;
        if (os->cur_group == SIZE_MAX)
            return fail(e, PR_UNSUPPORTED,
                        "'content' without a TLS sticky buffer (payload inspection is not "
                        "supported)");
        st = parse_pattern(e, "content", v, vn, true, &neg, &pat, &plen);
        if (st != PR_OK)
            return st;
        st = content_add(e, &r->conds[os->cur_group], pat, plen, neg);
        if (st != PR_OK)
            return st;
        os->lc_cond = os->cur_group;
        return PR_OK;
    }
    case KW_NOCASE:
    case KW_STARTSWITH:
    case KW_ENDSWITH:
    case KW_DEPTH:
    case KW_OFFSET:
    case KW_FAST_PATTERN:
        if (lc == NULL)
            return fail(e, PR_MALFORMED, "'%s' needs a preceding content", k->name);
        if (k->id == KW_NOCASE) {
            lc->nocase = true;
        } else if (k->id == KW_STARTSWITH) {
            lc->startswith = true;
        } else if (k->id == KW_ENDSWITH) {
            lc->endswith = true;
        } else if (k->id == KW_DEPTH || k->id == KW_OFFSET) {
            if (!parse_uint(v, vn, 65535, &u) || (k->id == KW_DEPTH && u == 0))
                return fail(e, PR_MALFORMED, "invalid %s '%s'", k->name,
                            shown(v, vn, sh, sizeof sh));
            if (k->id == KW_DEPTH) {
                lc->has_depth = true;
                lc->depth = (size_t)u;
            } else {
                lc->has_offset = true;
                lc->offset = (size_t)u;
            }
        }
        return PR_OK;
    case KW_BSIZE:
        if (os->cur_group == SIZE_MAX)
            return fail(e, PR_MALFORMED, "'bsize' needs a sticky buffer");
        if (!parse_cmp(v, vn, &r->conds[os->cur_group].bsize))
            return fail(e, PR_MALFORMED, "invalid bsize '%s'", shown(v, vn, sh, sizeof sh));
        r->conds[os->cur_group].has_bsize = true;
        return PR_OK;
    case KW_DOTPREFIX:
        if (os->cur_group == SIZE_MAX)
            return fail(e, PR_MALFORMED, "'dotprefix' needs a sticky buffer");
        if (r->conds[os->cur_group].nc != 0)
            return fail(e, PR_MALFORMED, "'dotprefix' must come before the contents of '%s'",
                        r->conds[os->cur_group].kw);
        r->conds[os->cur_group].dotprefix = true;
        return PR_OK;
    case KW_STICKY:
        st = group_done(e, r, os->cur_group);
        if (st == PR_OK)
            st = cond_add(e, r, COND_GROUP, k->canon, &idx);
        if (st != PR_OK)
            return st;
        r->conds[idx].buf = k->buf;
        note_side(r, k->buf);
        os->cur_group = idx;
        os->lc_cond = SIZE_MAX;
        return PR_OK;
    case KW_LEGACY: {
        uint8_t *pat;
        size_t plen;
        bool neg;
        st = parse_pattern(e, k->name, v, vn, false, &neg, &pat, &plen);
        if (st != PR_OK)
            return st;
        st = cond_add(e, r, COND_GROUP, k->canon, &idx);
        if (st != PR_OK) {
            free(pat);
            return st;
        }
        r->conds[idx].buf = k->buf;
        r->conds[idx].legacy = true;
        note_side(r, k->buf);
        os->lc_cond = SIZE_MAX; /* modifiers do not apply to value keywords */
        return content_add(e, &r->conds[idx], pat, plen, neg);
    }
    case KW_VERSION: {
        uint16_t ver;
        if (!parse_version(v, vn, &ver))
            return fail(e, PR_MALFORMED,
                        "invalid tls.version '%s' (expected 1.0, 1.1, 1.2, 1.3 or 0xHHHH)",
                        shown(v, vn, sh, sizeof sh));
        st = cond_add(e, r, COND_VERSION, k->canon, &idx);
        if (st != PR_OK)
            return st;
        r->conds[idx].version = ver;
        r->has_tls_kw = true;
        return PR_OK;
    }
    case KW_EXPIRED:
    case KW_VALID:
    case KW_CHAIN_LEN: {
        struct sr_cmp cmp;
        if (k->id == KW_CHAIN_LEN && !parse_cmp(v, vn, &cmp))
            return fail(e, PR_MALFORMED, "invalid tls.cert_chain_len '%s'",
                        shown(v, vn, sh, sizeof sh));
        st = cond_add(e, r,
                      k->id == KW_EXPIRED ? COND_EXPIRED
                      : k->id == KW_VALID ? COND_VALID
                                          : COND_CHAIN_LEN,
                      k->canon, &idx);
        if (st != PR_OK)
            return st;
        if (k->id == KW_CHAIN_LEN)
            r->conds[idx].cmp = cmp;
        note_side(r, BUF_CERTS);
        return PR_OK;
    }
    }
    return PR_OK;
}

static bool is_kwchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
           c == '.' || c == '-';
}

static enum pr_status parse_options(const struct perr *e, struct sr_rule *r, const char *p,
                                    const char *end)
{
    struct opt_state os = {SIZE_MAX, SIZE_MAX};
    size_t nopts = 0, i;
    char sh[64];
    enum pr_status st;

    for (;;) {
        const char *kw, *v = NULL;
        size_t kn, vn = 0;
        bool has_val = false;
        const struct kw *k = NULL;

        while (p < end && is_ws(*p))
            p++;
        if (p == end)
            break;
        if (++nopts > SRULES_OPTIONS_MAX)
            return fail(e, PR_LIMIT, "more than %u options", SRULES_OPTIONS_MAX);
        kw = p;
        while (p < end && is_kwchar(*p))
            p++;
        kn = (size_t)(p - kw);
        if (kn == 0)
            return fail(e, PR_MALFORMED, "syntax error at '%s' (expected a keyword)",
                        shown(kw, (size_t)(end - kw), sh, sizeof sh));
        for (i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
            if (eq_nocase(kw, kn, keywords[i].name)) {
                k = &keywords[i];
                break;
            }
        }
        while (p < end && is_ws(*p))
            p++;
        if (p < end && *p == ':') {
            bool inq = false;
            p++;
            v = p;
            while (p < end) {
                if (*p == '\\') {
                    p += (p + 1 < end) ? 2 : 1;
                    continue;
                }
                if (*p == '"')
                    inq = !inq;
                else if (*p == ';' && !inq)
                    break;
                p++;
            }
            if (p == end) {
                if (inq)
                    return fail(e, PR_MALFORMED, "unterminated quote in '%.*s'", (int)kn, kw);
                return fail(e, PR_MALFORMED, "missing ';' after '%.*s'", (int)kn, kw);
            }
            vn = (size_t)(p - v);
            trim(&v, &vn);
            has_val = true;
            p++;
        } else if (p < end && *p == ';') {
            p++;
        } else {
            return fail(e, PR_MALFORMED, "missing ';' after '%.*s'", (int)kn, kw);
        }
        if (k == NULL)
            return fail(e, PR_UNSUPPORTED, "unsupported keyword '%.*s'", (int)kn, kw);
        st = option(e, r, &os, k, v, vn, has_val);
        if (st != PR_OK)
            return st;
    }
    return group_done(e, r, os.cur_group);
}

/* Header token: up to a blank or '(' outside brackets. */
static enum pr_status header_token(const struct perr *e, const char **pp, const char *end,
                                   const char *what, const char **tok, size_t *tn)
{
    const char *p = *pp;
    int depth = 0;

    while (p < end && is_ws(*p))
        p++;
    *tok = p;
    while (p < end) {
        if (*p == '[')
            depth++;
        else if (*p == ']')
            depth--;
        if (depth < 0)
            return fail(e, PR_MALFORMED, "unbalanced ']' in %s", what);
        if (depth == 0 && (is_ws(*p) || *p == '('))
            break;
        p++;
    }
    if (depth != 0)
        return fail(e, PR_MALFORMED, "unbalanced '[' in %s", what);
    *tn = (size_t)(p - *tok);
    if (*tn == 0)
        return fail(e, PR_MALFORMED, "incomplete rule header: missing %s", what);
    *pp = p;
    return PR_OK;
}

static enum pr_status parse_rule(const struct srules *rs, const char *s, size_t n,
                                 struct sr_rule *r, const struct perr *e)
{
    static const char *const other_actions[] = {"drop",      "pass",      "reject",
                                                "rejectsrc", "rejectdst", "rejectboth"};
    struct gparse g = {rs, r, e, false};
    const char *p = s, *end = s + n, *tok, *close, *proto;
    size_t tn, i, proto_n;
    char sh[64];
    enum pr_status st;
    bool proto_any;

    memset(r, 0, sizeof *r);
    r->gid = 1;
    r->severity = 2;
    st = header_token(e, &p, end, "action", &tok, &tn);
    if (st != PR_OK)
        return st;
    if (!eq_nocase(tok, tn, "alert")) {
        for (i = 0; i < sizeof other_actions / sizeof other_actions[0]; i++) {
            if (eq_nocase(tok, tn, other_actions[i]))
                return fail(e, PR_UNSUPPORTED, "unsupported action '%s' (only alert)",
                            other_actions[i]);
        }
        return fail(e, PR_MALFORMED, "invalid action '%s'", shown(tok, tn, sh, sizeof sh));
    }
    st = header_token(e, &p, end, "protocol", &tok, &tn);
    if (st != PR_OK)
        return st;
    proto = tok;
    proto_n = tn;
    r->proto_tls = eq_nocase(tok, tn, "tls");
    proto_any = eq_nocase(tok, tn, "tcp") || eq_nocase(tok, tn, "any");
    if (!r->proto_tls && !proto_any)
        return fail(e, PR_UNSUPPORTED, "unsupported protocol '%s' (only tls, tcp, any)",
                    shown(tok, tn, sh, sizeof sh));
    st = header_token(e, &p, end, "source address", &tok, &tn);
    if (st == PR_OK)
        st = g_whole(&g, tok, tn, 0, &r->src);
    if (st != PR_OK)
        return st;
    g.ports = true;
    st = header_token(e, &p, end, "source port", &tok, &tn);
    if (st == PR_OK)
        st = g_whole(&g, tok, tn, 0, &r->sport);
    if (st != PR_OK)
        return st;
    st = header_token(e, &p, end, "direction", &tok, &tn);
    if (st != PR_OK)
        return st;
    if (tn == 2 && tok[0] == '<' && tok[1] == '>')
        r->bidir = true;
    else if (!(tn == 2 && tok[0] == '-' && tok[1] == '>'))
        return fail(e, PR_MALFORMED, "invalid direction '%s' (expected -> or <>)",
                    shown(tok, tn, sh, sizeof sh));
    g.ports = false;
    st = header_token(e, &p, end, "destination address", &tok, &tn);
    if (st == PR_OK)
        st = g_whole(&g, tok, tn, 0, &r->dst);
    if (st != PR_OK)
        return st;
    g.ports = true;
    st = header_token(e, &p, end, "destination port", &tok, &tn);
    if (st == PR_OK)
        st = g_whole(&g, tok, tn, 0, &r->dport);
    if (st != PR_OK)
        return st;
    while (p < end && is_ws(*p))
        p++;
    if (p == end || *p != '(')
        return fail(e, PR_MALFORMED, "expected '(' after the rule header");
    close = end;
    while (close > p && is_ws(close[-1]))
        close--;
    if (close == p + 1 || close[-1] != ')')
        return fail(e, PR_MALFORMED, "missing ')' at the end of the rule");
    st = parse_options(e, r, p + 1, close - 1);
    if (st != PR_OK)
        return st;
    if (!r->has_sid)
        return fail(e, PR_MALFORMED, "rule has no sid");
    if (proto_any && !r->has_tls_kw)
        return fail(e, PR_UNSUPPORTED, "rule has no TLS keyword (protocol '%.*s' needs one)",
                    (int)proto_n, proto);
    if (!r->has_priority) {
        r->severity = 2;
        for (i = 0; r->classtype != NULL && i < sizeof classtypes / sizeof classtypes[0]; i++) {
            if (strcmp(classtypes[i].name, r->classtype) == 0)
                r->severity = classtypes[i].prio;
        }
    }
    return PR_OK;
}

/* ---- the rule set --------------------------------------------------------- */

struct srules *srules_new(void)
{
    return calloc(1, sizeof(struct srules));
}

void srules_free(struct srules *rs)
{
    size_t i;

    if (rs == NULL)
        return;
    for (i = 0; i < rs->n; i++)
        rule_free(&rs->rules[i]);
    for (i = 0; i < rs->nvars; i++) {
        free(rs->vars[i].name);
        free(rs->vars[i].value);
    }
    free(rs->rules);
    free(rs->vars);
    free(rs->sids);
    free(rs);
}

size_t srules_count(const struct srules *rs)
{
    return rs != NULL ? rs->n : 0;
}

enum pr_status srules_set_var(struct srules *rs, const char *name, const char *value, char *err,
                              size_t errlen)
{
    char what[96];
    struct perr e = {err, errlen, what, 0};
    struct sr_rule scratch;
    struct gparse g;
    struct sr_var *vars;
    char *nv = NULL, *nn = NULL;
    size_t i, n;
    uint32_t root;
    enum pr_status st;
    bool portish = true;

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    snprintf(what, sizeof what, "variable %.64s", name != NULL ? name : "(null)");
    if (rs == NULL || name == NULL || value == NULL)
        return fail(&e, PR_MALFORMED, "no name or value");
    n = strlen(name);
    if (n == 0 || n > 64)
        return fail(&e, PR_MALFORMED, "invalid variable name");
    for (i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '_'))
            return fail(&e, PR_MALFORMED, "invalid variable name");
    }
    /* A port group has only digits, ':', ',', '!', brackets and blanks;
     * everything else is checked as an address group. */
    for (i = 0; value[i] != '\0'; i++) {
        char c = value[i];
        if (!(is_digit(c) || c == ':' || c == ',' || c == '!' || c == '[' || c == ']' || is_ws(c)))
            portish = false;
    }
    if (eq_nocase(value, strlen(value), "any"))
        portish = false;
    memset(&scratch, 0, sizeof scratch);
    g.rs = rs;
    g.r = &scratch;
    g.e = &e;
    g.ports = portish;
    /* '$' references are resolved against the current variables */
    if (strchr(value, '$') != NULL) {
        /* try both kinds: a variable may name a port or an address group */
        char tmp[8];
        struct perr quiet = {tmp, sizeof tmp, what, 0};
        g.e = &quiet;
        g.ports = false;
        st = g_whole(&g, value, strlen(value), 0, &root);
        if (st != PR_OK) {
            free(scratch.nodes);
            memset(&scratch, 0, sizeof scratch);
            g.ports = true;
            g.e = &e;
            st = g_whole(&g, value, strlen(value), 0, &root);
        }
    } else {
        st = g_whole(&g, value, strlen(value), 0, &root);
    }
    free(scratch.nodes);
    if (st != PR_OK)
        return st;
    for (i = 0; i < rs->nvars; i++) {
        if (strcmp(rs->vars[i].name, name) == 0) {
            nv = dup_n(value, strlen(value));
            if (nv == NULL)
                return fail(&e, PR_LIMIT, "out of memory");
            free(rs->vars[i].value);
            rs->vars[i].value = nv;
            return PR_OK;
        }
    }
    if (rs->nvars >= SRULES_VARS_MAX)
        return fail(&e, PR_LIMIT, "more than %u variables", SRULES_VARS_MAX);
    vars = grow(rs->vars, &rs->capvars, rs->nvars + 1, sizeof *rs->vars);
    if (vars == NULL)
        return fail(&e, PR_LIMIT, "out of memory");
    rs->vars = vars;
    nn = dup_n(name, n);
    nv = dup_n(value, strlen(value));
    if (nn == NULL || nv == NULL) {
        free(nn);
        free(nv);
        return fail(&e, PR_LIMIT, "out of memory");
    }
    rs->vars[rs->nvars].name = nn;
    rs->vars[rs->nvars].value = nv;
    rs->nvars++;
    return PR_OK;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

/* true when (gid, sid) was not there; false and *dup on a duplicate */
static bool sid_insert(struct srules *rs, uint32_t gid, uint32_t sid, bool *dup)
{
    uint64_t key = ((uint64_t)gid << 32 | sid) + 1; /* never 0: gid < 2^32 - 1 or sid */
    size_t i, mask;

    *dup = false;
    if (key == 0)
        key = 1;
    if (rs->nsids + 1 > rs->sidcap / 2) {
        size_t ncap = rs->sidcap != 0 ? rs->sidcap * 2 : 64;
        uint64_t *ns;
        if (ncap > SIZE_MAX / sizeof *ns || ncap < rs->sidcap)
            return false;
        ns = calloc(ncap, sizeof *ns);
        if (ns == NULL)
            return false;
        for (i = 0; i < rs->sidcap; i++) {
            size_t j;
            if (rs->sids[i] == 0)
                continue;
            for (j = mix64(rs->sids[i]) & (ncap - 1); ns[j] != 0; j = (j + 1) & (ncap - 1))
                ;
            ns[j] = rs->sids[i];
        }
        free(rs->sids);
        rs->sids = ns;
        rs->sidcap = ncap;
    }
    mask = rs->sidcap - 1;
    for (i = mix64(key) & mask; rs->sids[i] != 0; i = (i + 1) & mask) {
        if (rs->sids[i] == key) {
            *dup = true;
            return false;
        }
    }
    rs->sids[i] = key;
    rs->nsids++;
    return true;
}

static enum pr_status add_rule(struct srules *rs, const char *s, size_t n, const struct perr *e)
{
    struct sr_rule r;
    struct sr_rule *rules;
    char src[512];
    bool dup;
    enum pr_status st = parse_rule(rs, s, n, &r, e);

    if (st != PR_OK) {
        rule_free(&r);
        return st;
    }
    snprintf(src, sizeof src, "%s:%zu", e->name, e->line);
    r.source = dup_n(src, strlen(src));
    rules = grow(rs->rules, &rs->cap, rs->n + 1, sizeof *rs->rules);
    if (r.source == NULL || rules == NULL) {
        rule_free(&r);
        return fail(e, PR_LIMIT, "out of memory");
    }
    rs->rules = rules;
    if (!sid_insert(rs, r.gid, r.sid, &dup)) {
        uint32_t sid = r.sid;
        rule_free(&r);
        if (dup)
            return fail(e, PR_MALFORMED, "duplicate sid %" PRIu32, sid);
        return fail(e, PR_LIMIT, "out of memory");
    }
    rs->rules[rs->n++] = r;
    return PR_OK;
}

/* Lines of text: '#' comments and blank lines skipped, a trailing '\'
 * joins the next line (its leading blanks kept); a rule is named by the
 * line it starts on. */
enum pr_status srules_load(struct srules *rs, const char *name, const char *text, size_t len,
                           char *err, size_t errlen)
{
    struct perr e = {err, errlen, name != NULL ? name : "rules", 0};
    const char *p = text, *end = text + len;
    char *buf = NULL;
    size_t bn = 0, bcap = 0, line = 0, start = 0;
    enum pr_status st = PR_OK;

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (rs == NULL || (text == NULL && len > 0))
        return fail(&e, PR_MALFORMED, "no rule set or text");
    while (p < end && st == PR_OK) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *ls = p, *le = nl != NULL ? nl : end;
        bool cont;
        char *nb;

        p = nl != NULL ? nl + 1 : end;
        line++;
        while (le > ls && is_ws(le[-1]))
            le--;
        if (bn == 0) {
            while (ls < le && is_ws(*ls))
                ls++;
            if (ls == le || *ls == '#')
                continue;
            start = line;
        }
        cont = le > ls && le[-1] == '\\';
        if (cont)
            le--;
        if ((size_t)(le - ls) > SRULES_RULE_MAX - bn) {
            e.line = start;
            st = fail(&e, PR_LIMIT, "rule longer than %u bytes", SRULES_RULE_MAX);
            break;
        }
        nb = grow(buf, &bcap, bn + (size_t)(le - ls) + 1, 1);
        if (nb == NULL) {
            st = fail(&e, PR_LIMIT, "out of memory");
            break;
        }
        buf = nb;
        memcpy(buf + bn, ls, (size_t)(le - ls));
        bn += (size_t)(le - ls);
        if (cont && p < end)
            continue;
        e.line = start;
        st = add_rule(rs, buf, bn, &e);
        bn = 0;
    }
    free(buf);
    return st;
}

/* ---- evaluation ------------------------------------------------------------ */

struct view {
    const uint8_t *p;
    size_t n;
    bool dot; /* dotprefix: a '.' before p */
};

static size_t v_len(const struct view *v)
{
    return v->n + (v->dot ? 1u : 0u);
}

static uint8_t v_at(const struct view *v, size_t i)
{
    if (v->dot) {
        if (i == 0)
            return '.';
        i--;
    }
    return v->p[i];
}

static bool v_eq_at(const struct view *v, size_t at, const struct sr_content *c)
{
    size_t i;

    for (i = 0; i < c->len; i++) {
        uint8_t a = v_at(v, at + i), b = c->pat[i];
        if (c->nocase) {
            a = lower(a);
            b = lower(b);
        }
        if (a != b)
            return false;
    }
    return true;
}

/* Does c occur in v where its modifiers allow? Positions are bounded by
 * offset, depth (counted from offset), startswith and endswith. */
static bool content_found(const struct view *v, const struct sr_content *c)
{
    size_t len = v_len(v), m = c->len, lo = 0, hi, at;

    if (m > len)
        return false;
    hi = len - m;
    if (c->has_offset)
        lo = c->offset;
    if (c->has_depth) {
        size_t lim = lo + c->depth; /* both <= 65535 */
        if (lim < m)
            return false;
        if (lim - m < hi)
            hi = lim - m;
    }
    if (c->startswith) {
        if (lo > 0)
            return false;
        hi = 0;
    }
    if (c->endswith) {
        if (len - m < lo || len - m > hi)
            return false;
        lo = hi = len - m;
    }
    if (lo > hi)
        return false;
    if (!v->dot && !c->nocase) {
        /* exact bytes: let memchr find candidate first bytes */
        const uint8_t *s = v->p + lo, *last = v->p + hi;
        while (s <= last) {
            const uint8_t *f = memchr(s, c->pat[0], (size_t)(last - s) + 1);
            if (f == NULL)
                return false;
            if (memcmp(f, c->pat, m) == 0)
                return true;
            s = f + 1;
        }
        return false;
    }
    for (at = lo; at <= hi; at++) {
        if (v_eq_at(v, at, c))
            return true;
    }
    return false;
}

/* One buffer instance, given as one or two renderings of the same value
 * (subject and issuer: RFC 4514 and Suricata's order). A content holds when
 * some rendering has it; a negated content when none has it. */
static bool instance_eval(const struct sr_cond *c, const struct view *reps, size_t nrep)
{
    size_t i, j;

    if (c->has_bsize) {
        bool ok = false;
        for (j = 0; j < nrep; j++)
            ok = ok || cmp_eval(&c->bsize, v_len(&reps[j]));
        if (!ok)
            return false;
    }
    for (i = 0; i < c->nc; i++) {
        bool found = false;
        for (j = 0; j < nrep && !found; j++)
            found = content_found(&reps[j], &c->c[i]);
        if (found == c->c[i].neg)
            return false;
    }
    return true;
}

/* Per chain, the leaf certificate's strings, built on first use. */
struct chain_eval {
    const struct cs_tls *t;
    const struct cs_cert *certs;
    size_t n;
    const char *role;
    bool built;
    char fp[60];
    char serial[256];
    char subject[CS_NAME_MAX];
    char issuer[CS_NAME_MAX];
};

/* Suricata prints a DN in certificate order, ", " between RDNs and values
 * unescaped; our cs_cert_info strings are RFC 4514 (last RDN first, ','
 * between RDNs, '\' escapes). Reverse the RDNs, unescape, join with ", "
 * and multi-valued RDNs with " + ". */
static void suricata_dn(const char *rfc, char *out, size_t cap)
{
    size_t starts[256], nr = 0, i, k = 0, n = strlen(rfc);

    out[0] = '\0';
    starts[nr++] = 0;
    for (i = 0; i < n; i++) {
        if (rfc[i] == '\\' && i + 1 < n) {
            i++;
        } else if (rfc[i] == ',') {
            if (nr == sizeof starts / sizeof starts[0])
                return; /* absurd name: no Suricata rendering */
            starts[nr++] = i + 1;
        }
    }
    while (nr > 0) {
        size_t s = starts[--nr];
        if (k != 0) {
            if (k + 2 >= cap)
                break;
            out[k++] = ',';
            out[k++] = ' ';
        }
        for (i = s; i < n && rfc[i] != ',' && k + 1 < cap; i++) {
            if (rfc[i] == '\\' && i + 1 < n) {
                int h1 = hexval(rfc[i + 1]), h2 = i + 2 < n ? hexval(rfc[i + 2]) : -1;
                if (h1 >= 0 && h2 >= 0) {
                    out[k++] = (char)(h1 << 4 | h2);
                    i += 2;
                } else {
                    out[k++] = rfc[++i];
                }
            } else if (rfc[i] == '+') {
                if (k + 3 >= cap)
                    break;
                memcpy(out + k, " + ", 3);
                k += 3;
            } else {
                out[k++] = rfc[i];
            }
        }
    }
    out[k < cap ? k : cap - 1] = '\0';
}

/* Suricata's serial: the DER INTEGER content bytes, uppercase hex, ':'
 * between bytes. cs_cert_info has the magnitude without leading zeros and
 * '-' for a negative serial; rebuild the minimal two's complement. */
static void suricata_serial(const char *mag, char *out, size_t cap)
{
    static const char hx[] = "0123456789ABCDEF";
    uint8_t b[80];
    size_t nb = 0, nd, i, k = 0, off = 1;
    bool negative = mag[0] == '-';
    const char *d = negative ? mag + 1 : mag;

    out[0] = '\0';
    nd = strlen(d);
    if (nd == 0 || (nd + 1) / 2 + 1 > sizeof b)
        return;
    memset(b, 0, sizeof b);
    /* b[0] is room for a sign byte */
    for (i = 0; i < nd; i++) {
        int h = hexval(d[i]);
        size_t pos = i + (nd % 2); /* nibble position, left padded to bytes */
        if (h < 0)
            return;
        b[1 + pos / 2] |= (uint8_t)(pos % 2 == 0 ? h << 4 : h);
    }
    nb = 1 + (nd + 1) / 2;
    if (negative) {
        unsigned carry = 1;
        for (i = nb; i-- > 1;) {
            unsigned v = (uint8_t)~b[i] + carry;
            b[i] = (uint8_t)v;
            carry = v >> 8;
        }
        if ((b[1] & 0x80) == 0) {
            b[0] = 0xff;
            off = 0;
        }
    } else if ((b[1] & 0x80) != 0) {
        off = 0; /* leading 00 keeps the value positive */
    }
    for (i = off; i < nb && k + 3 < cap; i++) {
        if (i != off)
            out[k++] = ':';
        out[k++] = hx[b[i] >> 4];
        out[k++] = hx[b[i] & 15];
    }
    out[k] = '\0';
}

static const struct cs_cert_info *leaf_info(const struct chain_eval *ce)
{
    return ce->n > 0 ? ce->certs[0].info : NULL;
}

static void chain_build(struct chain_eval *ce)
{
    static const char hx[] = "0123456789abcdef";
    const struct cs_cert_info *in = leaf_info(ce);
    size_t i, k = 0;

    if (ce->built)
        return;
    ce->built = true;
    ce->fp[0] = ce->serial[0] = ce->subject[0] = ce->issuer[0] = '\0';
    if (in == NULL)
        return;
    for (i = 0; i < sizeof in->sha1; i++) {
        if (i != 0)
            ce->fp[k++] = ':';
        ce->fp[k++] = hx[in->sha1[i] >> 4];
        ce->fp[k++] = hx[in->sha1[i] & 15];
    }
    ce->fp[k] = '\0';
    if (!in->parsed)
        return;
    suricata_serial(in->serial, ce->serial, sizeof ce->serial);
    suricata_dn(in->subject, ce->subject, sizeof ce->subject);
    suricata_dn(in->issuer, ce->issuer, sizeof ce->issuer);
}

static struct view sv(const char *s, bool dot)
{
    struct view v = {(const uint8_t *)s, strlen(s), dot};
    return v;
}

/* Holds when some instance of the buffer satisfies every content. *cert
 * is the chain position the match was on, -1 when not a certificate. */
static bool group_eval(struct chain_eval *ce, const struct sr_cond *c, int *cert)
{
    const struct cs_tls *t = ce->t;
    const struct cs_cert_info *in = leaf_info(ce);
    struct view reps[2];
    size_t i;

    *cert = -1;
    switch (c->buf) {
    case BUF_SNI:
    case BUF_JA3:
    case BUF_JA3S:
    case BUF_JA4: {
        const char *s = c->buf == BUF_SNI    ? t->sni
                        : c->buf == BUF_JA3  ? t->ja3
                        : c->buf == BUF_JA3S ? t->ja3s
                                             : t->ja4;
        if (s[0] == '\0')
            return false;
        reps[0] = sv(s, c->dotprefix);
        return instance_eval(c, reps, 1);
    }
    case BUF_JA3_STRING:
    case BUF_JA3S_STRING: {
        const char *s = c->buf == BUF_JA3_STRING ? t->ja3_string : t->ja3s_string;
        if (s == NULL || s[0] == '\0')
            return false;
        reps[0] = sv(s, c->dotprefix);
        return instance_eval(c, reps, 1);
    }
    case BUF_SUBJECT:
    case BUF_ISSUER:
        if (in == NULL || !in->parsed)
            return false;
        chain_build(ce);
        reps[0] = sv(c->buf == BUF_SUBJECT ? in->subject : in->issuer, c->dotprefix);
        reps[1] = sv(c->buf == BUF_SUBJECT ? ce->subject : ce->issuer, c->dotprefix);
        *cert = 0;
        return instance_eval(c, reps, reps[1].n > 0 ? 2 : 1);
    case BUF_SERIAL:
        if (in == NULL || !in->parsed)
            return false;
        chain_build(ce);
        if (ce->serial[0] == '\0')
            return false;
        reps[0] = sv(ce->serial, c->dotprefix);
        *cert = 0;
        return instance_eval(c, reps, 1);
    case BUF_FINGERPRINT:
        if (in == NULL)
            return false;
        chain_build(ce);
        reps[0] = sv(ce->fp, c->dotprefix);
        *cert = 0;
        return instance_eval(c, reps, 1);
    case BUF_CERTS:
        for (i = 0; i < ce->n; i++) {
            if (ce->certs[i].der == NULL || ce->certs[i].der_len == 0)
                continue;
            reps[0].p = ce->certs[i].der;
            reps[0].n = ce->certs[i].der_len;
            reps[0].dot = c->dotprefix;
            if (instance_eval(c, reps, 1)) {
                *cert = (int)i;
                return true;
            }
        }
        return false;
    case BUF_SAN:
        if (in == NULL || !in->parsed)
            return false;
        for (i = 0; i < in->san_count && i < CS_SAN_MAX; i++) {
            if (in->san[i].type != CS_SAN_DNS)
                continue;
            reps[0] = sv(in->san[i].value, c->dotprefix);
            if (instance_eval(c, reps, 1)) {
                *cert = 0;
                return true;
            }
        }
        return false;
    }
    return false;
}

/* Capture time in whole seconds (floor). */
static int64_t ts_seconds(int64_t ts_us)
{
    int64_t s = ts_us / 1000000;
    return (ts_us % 1000000 < 0) ? s - 1 : s;
}

static bool cond_eval(struct chain_eval *ce, const struct sr_cond *c, int *cert)
{
    const struct cs_cert_info *in = leaf_info(ce);

    *cert = -1;
    switch (c->type) {
    case COND_GROUP:
        return group_eval(ce, c, cert);
    case COND_VERSION:
        return ce->t->version != 0 && ce->t->version == c->version;
    case COND_EXPIRED:
    case COND_VALID: {
        bool expired;
        if (in == NULL || !in->parsed || !in->validity_ok)
            return false;
        expired = ts_seconds(ce->t->ts_us) > in->not_after;
        *cert = 0;
        return c->type == COND_EXPIRED ? expired : !expired;
    }
    case COND_CHAIN_LEN:
        return cmp_eval(&c->cmp, ce->n);
    }
    return false;
}

static bool header_dir(const struct sr_rule *r, const struct cs_endpoint *src,
                       const struct cs_endpoint *dst)
{
    return node_match(r, r->src, src) && node_match(r, r->sport, src) &&
           node_match(r, r->dst, dst) && node_match(r, r->dport, dst);
}

/* Which endpoint is the rule's source: see suricata.h. */
static bool header_ok(const struct sr_rule *r, const struct cs_tls *t)
{
    bool c2s = true, s2c = true;

    if (!r->bidir) {
        if (r->flow_dir == DIR_TO_SERVER ||
            (r->flow_dir == DIR_NONE && r->client_kw && !r->server_kw))
            s2c = false;
        else if (r->flow_dir == DIR_TO_CLIENT ||
                 (r->flow_dir == DIR_NONE && r->server_kw && !r->client_kw))
            c2s = false;
    }
    return (c2s && header_dir(r, &t->client, &t->server)) ||
           (s2c && header_dir(r, &t->server, &t->client));
}

static void append(char *buf, size_t cap, size_t *k, const char *s)
{
    size_t n = strlen(s);

    if (*k >= cap)
        return;
    if (n > cap - 1 - *k)
        n = cap - 1 - *k;
    memcpy(buf + *k, s, n);
    *k += n;
    buf[*k] = '\0';
}

void srules_check(const struct srules *rs, const struct cs_tls *t, const struct check_out *o)
{
    struct chain_eval ce[2];
    size_t i, j;

    if (rs == NULL || t == NULL || rs->n == 0)
        return;
    memset(&ce[0], 0, offsetof(struct chain_eval, fp));
    memset(&ce[1], 0, offsetof(struct chain_eval, fp));
    ce[0].t = ce[1].t = t;
    ce[0].certs = t->server_certs;
    ce[0].n = t->server_cert_count < CS_CHAIN_MAX ? t->server_cert_count : CS_CHAIN_MAX;
    ce[0].role = "server";
    ce[1].certs = t->client_certs;
    ce[1].n = t->client_cert_count < CS_CHAIN_MAX ? t->client_cert_count : CS_CHAIN_MAX;
    ce[1].role = "client";
    for (i = 0; i < rs->n; i++) {
        const struct sr_rule *r = &rs->rules[i];
        struct chain_eval *c = r->flow_dir == DIR_TO_SERVER ? &ce[1] : &ce[0];
        char ev[512];
        size_t k = 0;
        int first_cert = -1;
        bool ok = true;
        struct cs_alert a;

        if (!header_ok(r, t))
            continue;
        ev[0] = '\0';
        append(ev, sizeof ev, &k, r->nconds > 0 ? "matched " : "rule header matched");
        for (j = 0; j < r->nconds && ok; j++) {
            int cert = -1;
            ok = cond_eval(c, &r->conds[j], &cert);
            if (!ok)
                break;
            if (j != 0)
                append(ev, sizeof ev, &k, ", ");
            append(ev, sizeof ev, &k, r->conds[j].kw);
            if (cert >= 0) {
                char pos[64];
                snprintf(pos, sizeof pos, " (%s certificate #%d)", c->role, cert);
                append(ev, sizeof ev, &k, pos);
                if (first_cert < 0)
                    first_cert = cert;
            }
        }
        if (!ok)
            continue;
        memset(&a, 0, sizeof a);
        a.signature_id = r->sid;
        a.rev = r->rev;
        a.signature = r->msg != NULL ? r->msg : "";
        a.category = r->classtype != NULL ? r->classtype : "rule";
        a.severity = r->severity;
        a.check = "rule";
        a.chain_index = first_cert;
        if (first_cert >= 0) {
            a.role = c->role;
            a.cert = &c->certs[first_cert];
        }
        a.evidence = ev;
        a.source = r->source;
        check_emit(o, &a);
    }
}

/* ---- blocklist extraction ------------------------------------------------ */

enum pr_status srules_parse_indicator(const char *name, size_t line, const char *text, size_t len,
                                      struct srules_indicator *out, char *err, size_t errlen)
{
    struct perr e = {err, errlen, name != NULL ? name : "rules", line};
    struct sr_rule r;
    const struct sr_cond *c;
    const struct sr_content *ct;
    enum pr_status st;

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    memset(out, 0, sizeof *out);
    if (text == NULL)
        return fail(&e, PR_MALFORMED, "no rule");
    st = parse_rule(NULL, text, len, &r, &e);
    if (st != PR_OK) {
        rule_free(&r);
        return st;
    }
    c = r.nconds == 1 ? &r.conds[0] : NULL;
    ct = c != NULL && c->type == COND_GROUP && c->nc == 1 ? &c->c[0] : NULL;
    if (ct == NULL || ct->neg || ct->startswith || ct->endswith || ct->has_depth ||
        ct->has_offset || c->has_bsize || c->dotprefix || ct->len >= sizeof out->value ||
        (c->buf != BUF_FINGERPRINT && c->buf != BUF_JA3 && c->buf != BUF_JA4)) {
        st = fail(&e, PR_UNSUPPORTED,
                  "rule sid %" PRIu32 " is not a single indicator (a blocklist takes rules whose "
                  "only condition is one certificate fingerprint, ja3.hash or ja4.hash content)",
                  r.sid);
        rule_free(&r);
        return st;
    }
    out->kind = c->buf == BUF_FINGERPRINT ? SRULES_IND_SHA1
                : c->buf == BUF_JA3       ? SRULES_IND_JA3
                                          : SRULES_IND_JA4;
    memcpy(out->value, ct->pat, ct->len);
    out->value[ct->len] = '\0';
    out->sid = r.sid;
    out->rev = r.rev;
    snprintf(out->msg, sizeof out->msg, "%s", r.msg != NULL ? r.msg : "");
    rule_free(&r);
    return PR_OK;
}
