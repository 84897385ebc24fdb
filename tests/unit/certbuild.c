/* Certificates built at test time, shared by test_chain.c, test_trust.c,
 * test_hygiene.c and test_pins.c (included: each test links one file).
 * The includes it needs come from the including file. */

#define MAYBE_UNUSED __attribute__((unused)) /* not every file needs every helper */

struct tc {
    X509 *x;
    EVP_PKEY *key; /* borrowed */
    uint8_t *der;
    size_t len;
    struct cs_cert_info info;
};

struct tspec {
    const char *cn, *o;      /* subject; O optional */
    const struct tc *issuer; /* NULL: self-issued */
    EVP_PKEY *key;           /* subject key */
    EVP_PKEY *sign_key;      /* default: the issuer's key, or key when self-issued */
    bool ca;
    const char *nb, *na; /* "YYYYMMDDHHMMSSZ"; default 2025-01-01 .. 2025-12-31 */
    const char *dns[6];  /* subjectAltName dNSName */
    const char *ip[3];   /* subjectAltName iPAddress, as text */
    const EVP_MD *md;    /* default SHA-256 */
    bool no_keyids;      /* neither SKI nor AKI */
    const uint8_t *aki;  /* explicit AKI keyIdentifier */
    size_t aki_len;
    const char *eku; /* extendedKeyUsage, e.g. "serverAuth" */
    long serial;
};

static void tc_ext_conf(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;

    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

static void tc_name_add(X509_NAME *nm, const char *field, const char *v)
{
    assert_int_equal(
        X509_NAME_add_entry_by_txt(nm, field, MBSTRING_UTF8, (const unsigned char *)v, -1, -1, 0),
        1);
}

static void tc_build(struct tc *c, const struct tspec *s)
{
    X509 *x = X509_new();
    X509_NAME *nm = X509_NAME_new();
    ASN1_TIME *t = ASN1_TIME_new();
    EVP_PKEY *sk = s->sign_key != NULL ? s->sign_key : s->issuer != NULL ? s->issuer->key : s->key;
    unsigned char *p = NULL;
    size_t i;
    int n;

    memset(c, 0, sizeof(*c));
    assert_non_null(x);
    assert_non_null(nm);
    assert_non_null(t);
    assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), s->serial != 0 ? s->serial : 1), 1);
    /* most general first, so the RFC 4514 text reads "CN=...,O=..." */
    if (s->o != NULL)
        tc_name_add(nm, "O", s->o);
    tc_name_add(nm, "CN", s->cn);
    assert_int_equal(X509_set_subject_name(x, nm), 1);
    assert_int_equal(
        X509_set_issuer_name(x, s->issuer != NULL ? X509_get_subject_name(s->issuer->x) : nm), 1);
    assert_int_equal(ASN1_TIME_set_string_X509(t, s->nb != NULL ? s->nb : "20250101000000Z"), 1);
    assert_int_equal(X509_set1_notBefore(x, t), 1);
    assert_int_equal(ASN1_TIME_set_string_X509(t, s->na != NULL ? s->na : "20251231235959Z"), 1);
    assert_int_equal(X509_set1_notAfter(x, t), 1);
    assert_int_equal(X509_set_pubkey(x, s->key), 1);
    tc_ext_conf(x, NID_basic_constraints, s->ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    tc_ext_conf(x, NID_key_usage,
                s->ca ? "critical,keyCertSign,cRLSign"
                      : "critical,digitalSignature,keyEncipherment");
    if (s->eku != NULL)
        tc_ext_conf(x, NID_ext_key_usage, s->eku);
    if (!s->no_keyids) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        ASN1_OCTET_STRING *ski = ASN1_OCTET_STRING_new();
        AUTHORITY_KEYID *ak = AUTHORITY_KEYID_new();
        const ASN1_OCTET_STRING *iski;

        assert_non_null(ski);
        assert_non_null(ak);
        /* RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits */
        assert_int_equal(X509_pubkey_digest(x, EVP_sha1(), md, &mdlen), 1);
        assert_int_equal(ASN1_OCTET_STRING_set(ski, md, (int)mdlen), 1);
        assert_int_equal(X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0, 0), 1);
        ak->keyid = ASN1_OCTET_STRING_new();
        assert_non_null(ak->keyid);
        if (s->aki != NULL) {
            assert_int_equal(ASN1_OCTET_STRING_set(ak->keyid, s->aki, (int)s->aki_len), 1);
        } else {
            iski = s->issuer != NULL ? X509_get0_subject_key_id(s->issuer->x) : ski;
            if (iski != NULL)
                assert_int_equal(ASN1_STRING_copy(ak->keyid, iski), 1);
        }
        if (ASN1_STRING_length(ak->keyid) > 0)
            assert_int_equal(X509_add1_ext_i2d(x, NID_authority_key_identifier, ak, 0, 0), 1);
        AUTHORITY_KEYID_free(ak);
        ASN1_OCTET_STRING_free(ski);
    }
    if (s->dns[0] != NULL || s->ip[0] != NULL) {
        GENERAL_NAMES *g = sk_GENERAL_NAME_new_null();
        assert_non_null(g);
        for (i = 0; i < sizeof(s->dns) / sizeof(s->dns[0]) && s->dns[i] != NULL; i++) {
            GENERAL_NAME *gn = GENERAL_NAME_new();
            ASN1_IA5STRING *v = ASN1_IA5STRING_new();
            assert_non_null(gn);
            assert_non_null(v);
            assert_int_equal(ASN1_STRING_set(v, s->dns[i], -1), 1);
            GENERAL_NAME_set0_value(gn, GEN_DNS, v);
            assert_true(sk_GENERAL_NAME_push(g, gn) > 0);
        }
        for (i = 0; i < sizeof(s->ip) / sizeof(s->ip[0]) && s->ip[i] != NULL; i++) {
            GENERAL_NAME *gn = a2i_GENERAL_NAME(NULL, NULL, NULL, GEN_IPADD, s->ip[i], 0);
            assert_non_null(gn);
            assert_true(sk_GENERAL_NAME_push(g, gn) > 0);
        }
        assert_int_equal(X509_add1_ext_i2d(x, NID_subject_alt_name, g, 0, 0), 1);
        GENERAL_NAMES_free(g);
    }
    assert_true(X509_sign(x, sk, s->md != NULL ? s->md : EVP_sha256()) > 0);
    n = i2d_X509(x, &p);
    assert_true(n > 0);
    c->x = x;
    c->key = s->key;
    c->der = p;
    c->len = (size_t)n;
    (void)x509_analyse(c->der, c->len, &c->info);
    assert_true(c->info.parsed);
    X509_NAME_free(nm);
    ASN1_TIME_free(t);
}

MAYBE_UNUSED static void tc_free(struct tc *c)
{
    X509_free(c->x);
    OPENSSL_free(c->der);
    memset(c, 0, sizeof(*c));
}

MAYBE_UNUSED static EVP_PKEY *key_ec(const char *curve)
{
    EVP_PKEY *k = EVP_EC_gen(curve);
    assert_non_null(k);
    return k;
}

MAYBE_UNUSED static EVP_PKEY *key_rsa(unsigned bits)
{
    EVP_PKEY *k = EVP_RSA_gen(bits);
    assert_non_null(k);
    return k;
}

/* ---- sessions and the alert sink ------------------------------------------------ */

#define T_2025_06_01 1748736000LL /* date -u -d 2025-06-01 +%s */
#define T_DAY 86400LL

MAYBE_UNUSED static struct cs_tls *tls_new(int64_t ts_s, const char *sni)
{
    struct cs_tls *t = calloc(1, sizeof(*t));
    static const uint8_t srv[4] = {192, 0, 2, 10}, cli[4] = {198, 51, 100, 7};

    assert_non_null(t);
    t->ts_us = ts_s * 1000000;
    t->server.family = 4;
    memcpy(t->server.addr, srv, 4);
    t->server.port = 443;
    t->client.family = 4;
    memcpy(t->client.addr, cli, 4);
    t->client.port = 50000;
    if (sni != NULL)
        snprintf(t->sni, sizeof(t->sni), "%s", sni);
    return t;
}

static void tls_chain(struct cs_tls *t, bool client, const struct tc *const *chain, size_t n)
{
    struct cs_cert *dst = client ? t->client_certs : t->server_certs;
    size_t i;

    assert_true(n <= CS_CHAIN_MAX);
    for (i = 0; i < n; i++) {
        dst[i].der = chain[i]->der;
        dst[i].der_len = chain[i]->len;
        dst[i].info = &chain[i]->info;
    }
    if (client)
        t->client_cert_count = n;
    else
        t->server_cert_count = n;
}

#define SERVER(t, ...)                                                                             \
    do {                                                                                           \
        const struct tc *const chain_[] = {__VA_ARGS__};                                           \
        tls_chain((t), false, chain_, sizeof(chain_) / sizeof(chain_[0]));                         \
    } while (0)
#define CLIENT(t, ...)                                                                             \
    do {                                                                                           \
        const struct tc *const chain_[] = {__VA_ARGS__};                                           \
        tls_chain((t), true, chain_, sizeof(chain_) / sizeof(chain_[0]));                          \
    } while (0)

struct got_alert {
    uint32_t sid;
    char check[64], category[32], role[16], evidence[2048], source[256];
    int severity, index;
    bool has_cert;
};

struct got {
    size_t n;
    struct got_alert a[32];
};

static void sink(void *ctx, const struct cs_alert *a)
{
    struct got *g = ctx;
    struct got_alert *d;
    const char *q;

    assert_true(g->n < sizeof(g->a) / sizeof(g->a[0]));
    assert_non_null(a->check);
    assert_non_null(a->category);
    assert_non_null(a->signature);
    assert_non_null(a->evidence);
    assert_true(a->severity >= 1 && a->severity <= 3);
    assert_true(a->signature_id >= 2100000);
    assert_true(strlen(a->evidence) < sizeof(d->evidence));
    d = &g->a[g->n++];
    d->sid = a->signature_id;
    snprintf(d->check, sizeof(d->check), "%s", a->check);
    snprintf(d->category, sizeof(d->category), "%s", a->category);
    snprintf(d->role, sizeof(d->role), "%s", a->role != NULL ? a->role : "");
    snprintf(d->evidence, sizeof(d->evidence), "%s", a->evidence);
    snprintf(d->source, sizeof(d->source), "%s", a->source != NULL ? a->source : "");
    d->severity = a->severity;
    d->index = a->chain_index;
    d->has_cert = a->cert != NULL;
    /* evidence ends up in log lines: printable ASCII only */
    for (q = a->evidence; *q != '\0'; q++)
        assert_true(*q >= 0x20 && *q <= 0x7e);
}

static void dump(const struct got *g)
{
    size_t i;
    for (i = 0; i < g->n; i++)
        print_message("  alert %s [%s %d] %s #%d: %s\n", g->a[i].check, g->a[i].category,
                      g->a[i].severity, g->a[i].role, g->a[i].index, g->a[i].evidence);
}

MAYBE_UNUSED static size_t count_check(const struct got *g, const char *check)
{
    size_t i, n = 0;
    for (i = 0; i < g->n; i++)
        n += strcmp(g->a[i].check, check) == 0;
    return n;
}

MAYBE_UNUSED static const struct got_alert *find_check(const struct got *g, const char *check)
{
    size_t i;
    for (i = 0; i < g->n; i++)
        if (strcmp(g->a[i].check, check) == 0)
            return &g->a[i];
    dump(g);
    fail_msg("no alert %s among %zu", check, g->n);
    return NULL;
}

MAYBE_UNUSED static void assert_contains(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("'%s' does not contain '%s'", hay, needle);
}

MAYBE_UNUSED static void assert_silent(const struct got *g)
{
    if (g->n != 0) {
        dump(g);
        fail_msg("%zu unexpected alert(s)", g->n);
    }
}
