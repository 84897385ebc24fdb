/* certgen: test PKI (see pki.h). */
#include "pki.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#define VALID_FROM "20250101000000Z"
#define VALID_TO "20350101000000Z"
/* The attack and hygiene leaves: one year around the capture time (2025-06-01), under
 * the 398 days of CA/B BR 6.3.2, so only the property a sample is about stands out. */
#define SHORT_FROM "20250501000000Z"
#define SHORT_TO "20260430235959Z"

/* clang-format off */
#define WWW_DNS {"www.example.test", "example.test", "mail.example.test"}
static const struct pki_spec pki_specs[PKI_COUNT] = {
    [PKI_ROOT_EC] = {
        .id = PKI_ROOT_EC, .name = "root-ec", .alg = PKI_ALG_EC_P256, .role = PKI_ROLE_CA,
        .cn = "certgen Root CA EC",
        .not_before = VALID_FROM, .not_after = VALID_TO, .serial_hex = "1a00000000000001",
    },
    [PKI_INT_EC] = {
        .id = PKI_INT_EC, .name = "int-ec", .alg = PKI_ALG_EC_P256, .role = PKI_ROLE_CA,
        .issuer = PKI_ROOT_EC, .cn = "certgen Intermediate CA EC",
        .not_before = VALID_FROM, .not_after = VALID_TO, .serial_hex = "1a00000000000002",
    },
    [PKI_SRV_EC] = {
        .id = PKI_SRV_EC, .name = "srv-ec", .alg = PKI_ALG_EC_P256, .role = PKI_ROLE_SERVER,
        .issuer = PKI_INT_EC, .cn = "www.example.test",
        .dns = {"www.example.test", "example.test", "mail.example.test"},
        .not_before = VALID_FROM, .not_after = VALID_TO, .serial_hex = "1a00000000000003",
    },
    [PKI_CLI_EC] = {
        .id = PKI_CLI_EC, .name = "cli-ec", .alg = PKI_ALG_EC_P256, .role = PKI_ROLE_CLIENT,
        .issuer = PKI_INT_EC, .cn = "client01.example.test",
        .dns = {"client01.example.test"},
        .not_before = VALID_FROM, .not_after = VALID_TO, .serial_hex = "1a00000000000004",
    },
    [PKI_ROOT_RSA] = {
        .id = PKI_ROOT_RSA, .name = "root-rsa", .alg = PKI_ALG_RSA_2048, .role = PKI_ROLE_CA,
        .cn = "certgen Root CA RSA",
        .not_before = VALID_FROM, .not_after = VALID_TO, .serial_hex = "2b00000000000001",
    },
    [PKI_INT_RSA] = {
        .id = PKI_INT_RSA, .name = "int-rsa", .alg = PKI_ALG_RSA_2048, .role = PKI_ROLE_CA,
        .issuer = PKI_ROOT_RSA, .cn = "certgen Intermediate CA RSA",
        .not_before = VALID_FROM, .not_after = VALID_TO, .serial_hex = "2b00000000000002",
    },
    [PKI_SRV_RSA] = {
        .id = PKI_SRV_RSA, .name = "srv-rsa", .alg = PKI_ALG_RSA_2048, .role = PKI_ROLE_SERVER,
        .issuer = PKI_INT_RSA, .cn = "www.example.test",
        .dns = {"www.example.test", "example.test", "mail.example.test"},
        .not_before = VALID_FROM, .not_after = VALID_TO, .serial_hex = "2b00000000000003",
    },
    [PKI_SELF_EC] = {
        .id = PKI_SELF_EC, .name = "self-ec", .alg = PKI_ALG_EC_P256, .role = PKI_ROLE_SERVER,
        .cn = "selfsigned.example.test", .dns = {"selfsigned.example.test"},
        .not_before = VALID_FROM, .not_after = VALID_TO, .serial_hex = "3c00000000000001",
    },
    [PKI_SRV_EXCHANGE] = {
        .id = PKI_SRV_EXCHANGE, .name = "srv-exchange", .alg = PKI_ALG_RSA_2048,
        .role = PKI_ROLE_SERVER, .issuer = PKI_INT_RSA, .cn = "outlook.office365.com",
        .dns = {"outlook.office365.com", "outlook.office.com", "*.outlook.com"},
        .not_before = VALID_FROM, .not_after = VALID_TO, .serial_hex = "2b00000000000004",
    },
    /* A second CA with exactly the names of the EC one (an interceptor's own root). */
    [PKI_EVIL_ROOT_EC] = {
        .id = PKI_EVIL_ROOT_EC, .name = "evil-root-ec", .alg = PKI_ALG_EC_P256,
        .role = PKI_ROLE_CA, .cn = "certgen Root CA EC",
        .not_before = VALID_FROM, .not_after = VALID_TO, .serial_hex = "4d00000000000001",
        .flags = PKI_F_UNTRUSTED,
    },
    [PKI_EVIL_INT_EC] = {
        .id = PKI_EVIL_INT_EC, .name = "evil-int-ec", .alg = PKI_ALG_EC_P256,
        .role = PKI_ROLE_CA, .issuer = PKI_EVIL_ROOT_EC, .cn = "certgen Intermediate CA EC",
        .not_before = VALID_FROM, .not_after = VALID_TO, .serial_hex = "4d00000000000002",
    },
    [PKI_EVIL_SRV_EC] = {
        .id = PKI_EVIL_SRV_EC, .name = "evil-srv-ec", .alg = PKI_ALG_EC_P256,
        .role = PKI_ROLE_SERVER, .issuer = PKI_EVIL_INT_EC, .cn = "www.example.test",
        .dns = WWW_DNS,
        .not_before = SHORT_FROM, .not_after = SHORT_TO, .serial_hex = "4d00000000000003",
    },
    [PKI_FORGED_EC] = {
        .id = PKI_FORGED_EC, .name = "forged-ec", .alg = PKI_ALG_EC_P256,
        .role = PKI_ROLE_SERVER, .issuer = PKI_INT_EC, .signer = PKI_EVIL_INT_EC,
        .cn = "www.example.test", .dns = WWW_DNS,
        .not_before = SHORT_FROM, .not_after = SHORT_TO, .serial_hex = "4d00000000000004",
    },
    [PKI_SELF_WWW_EC] = {
        .id = PKI_SELF_WWW_EC, .name = "self-www-ec", .alg = PKI_ALG_EC_P256,
        .role = PKI_ROLE_SERVER, .cn = "www.example.test", .dns = {"www.example.test"},
        .not_before = SHORT_FROM, .not_after = SHORT_TO, .serial_hex = "4d00000000000005",
    },
    [PKI_OTHER_EC] = {
        .id = PKI_OTHER_EC, .name = "other-ec", .alg = PKI_ALG_EC_P256, .role = PKI_ROLE_SERVER,
        .issuer = PKI_INT_EC, .cn = "other.test", .dns = {"other.test"},
        .not_before = SHORT_FROM, .not_after = SHORT_TO, .serial_hex = "1a00000000000105",
    },
    [PKI_EXPIRED_EC] = {
        .id = PKI_EXPIRED_EC, .name = "expired-ec", .alg = PKI_ALG_EC_P256,
        .role = PKI_ROLE_SERVER, .issuer = PKI_INT_EC, .cn = "www.example.test", .dns = WWW_DNS,
        .not_before = "20240101000000Z", .not_after = "20241231233000Z",
        .serial_hex = "1a00000000000106",
    },
    [PKI_NOTYET_EC] = {
        .id = PKI_NOTYET_EC, .name = "notyet-ec", .alg = PKI_ALG_EC_P256,
        .role = PKI_ROLE_SERVER, .issuer = PKI_INT_EC, .cn = "www.example.test", .dns = WWW_DNS,
        .not_before = "20250701000000Z", .not_after = "20260630235959Z",
        .serial_hex = "1a00000000000107",
    },
    [PKI_SRV_RSA1024] = {
        .id = PKI_SRV_RSA1024, .name = "srv-rsa1024", .alg = PKI_ALG_RSA_1024,
        .role = PKI_ROLE_SERVER, .issuer = PKI_INT_RSA, .cn = "www.example.test", .dns = WWW_DNS,
        .not_before = SHORT_FROM, .not_after = SHORT_TO, .serial_hex = "2b00000000000104",
    },
    [PKI_SRV_SHA1] = {
        .id = PKI_SRV_SHA1, .name = "srv-sha1", .alg = PKI_ALG_RSA_2048, .role = PKI_ROLE_SERVER,
        .issuer = PKI_INT_RSA, .key_from = PKI_SRV_RSA, .cn = "www.example.test", .dns = WWW_DNS,
        .not_before = SHORT_FROM, .not_after = SHORT_TO, .serial_hex = "2b00000000000105",
        .md = "sha1",
    },
    [PKI_SRV_MD5] = {
        .id = PKI_SRV_MD5, .name = "srv-md5", .alg = PKI_ALG_RSA_2048, .role = PKI_ROLE_SERVER,
        .issuer = PKI_INT_RSA, .key_from = PKI_SRV_RSA, .cn = "www.example.test", .dns = WWW_DNS,
        .not_before = SHORT_FROM, .not_after = SHORT_TO, .serial_hex = "2b00000000000106",
        .md = "md5",
    },
    [PKI_FORTI_INT_EC] = {
        .id = PKI_FORTI_INT_EC, .name = "forti-int-ec", .alg = PKI_ALG_EC_P256,
        .role = PKI_ROLE_CA, .issuer = PKI_EVIL_ROOT_EC, .cn = "FortiGate CA",
        .not_before = VALID_FROM, .not_after = VALID_TO, .serial_hex = "4d00000000000006",
    },
    [PKI_FORTI_SRV_EC] = {
        .id = PKI_FORTI_SRV_EC, .name = "forti-srv-ec", .alg = PKI_ALG_EC_P256,
        .role = PKI_ROLE_SERVER, .issuer = PKI_FORTI_INT_EC, .cn = "www.example.test",
        .dns = WWW_DNS,
        .not_before = SHORT_FROM, .not_after = SHORT_TO, .serial_hex = "4d00000000000007",
    },
};
/* clang-format on */

const struct pki_spec *pki_spec(enum pki_id id)
{
    if ((int)id <= (int)PKI_NONE || (int)id >= (int)PKI_COUNT)
        return NULL;
    return &pki_specs[id];
}

enum pki_id pki_root_of(enum pki_id id)
{
    /* Rows only name earlier rows, so this walk ends within PKI_COUNT steps. */
    for (int steps = 0; steps < (int)PKI_COUNT; steps++) {
        const struct pki_spec *s = pki_spec(id);
        if (s == NULL)
            return PKI_NONE;
        if (s->issuer == PKI_NONE)
            return s->role == PKI_ROLE_CA ? id : PKI_NONE;
        id = s->issuer;
    }
    return PKI_NONE;
}

bool pki_is_trusted_root(enum pki_id id)
{
    const struct pki_spec *s = pki_spec(id);
    return s != NULL && s->role == PKI_ROLE_CA && s->issuer == PKI_NONE &&
           !(s->flags & PKI_F_UNTRUSTED);
}

bool pki_needs_weak_security(enum pki_id id)
{
    const struct pki_spec *s = pki_spec(id);
    return s != NULL && (s->alg == PKI_ALG_RSA_1024 || s->md != NULL);
}

int pki_write_roots(const struct pki *pki, const char *path)
{
    struct buf pem = {0};
    int rc = -1;
    for (int i = (int)PKI_NONE + 1; i < (int)PKI_COUNT; i++) {
        if (!pki_is_trusted_root((enum pki_id)i))
            continue;
        BIO *b = BIO_new(BIO_s_mem());
        char *p = NULL;
        long n;
        bool ok = b != NULL && PEM_write_bio_X509(b, pki->cert[i].x509) == 1 &&
                  (n = BIO_get_mem_data(b, &p)) > 0 && buf_append(&pem, p, (size_t)n) == 0;
        BIO_free(b);
        if (!ok)
            goto out;
    }
    if (pem.n == 0 || gen_write_file(path, pem.p, pem.n) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        gen_err("pki: cannot write the roots to %s", path);
    buf_free(&pem);
    return rc;
}

static EVP_PKEY *make_key(enum pki_alg alg)
{
    switch (alg) {
    case PKI_ALG_EC_P256:
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    case PKI_ALG_RSA_2048:
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    case PKI_ALG_RSA_1024:
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    }
    return NULL;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    if (ext == NULL)
        return -1;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

static int set_name(X509_NAME *n, const char *cn)
{
    if (!X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)PKI_ORG, -1, -1,
                                    0) ||
        !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0))
        return -1;
    return 0;
}

static int set_serial(X509 *x, const char *hex)
{
    BIGNUM *bn = NULL;
    int rc = -1;
    if (BN_hex2bn(&bn, hex) == 0)
        goto out;
    ASN1_INTEGER *ai = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
    if (ai == NULL)
        goto out;
    rc = 0;
out:
    BN_free(bn);
    return rc;
}

static int add_extensions(X509 *x, X509 *issuer, const struct pki_spec *s)
{
    X509V3_CTX ctx;
    char san[512];
    size_t used = 0;

    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    const char *bc = "critical,CA:FALSE";
    const char *ku = "critical,digitalSignature";
    const char *eku = NULL;
    switch (s->role) {
    case PKI_ROLE_CA:
        bc = s->issuer == PKI_NONE ? "critical,CA:TRUE" : "critical,CA:TRUE,pathlen:0";
        ku = "critical,keyCertSign,cRLSign";
        break;
    case PKI_ROLE_SERVER:
        /* RFC 5246 7.4.2: an RSA key used for key transport needs keyEncipherment. */
        ku = s->alg != PKI_ALG_EC_P256 ? "critical,digitalSignature,keyEncipherment"
                                       : "critical,digitalSignature";
        eku = "serverAuth";
        break;
    case PKI_ROLE_CLIENT:
        eku = "clientAuth";
        break;
    }
    if (add_ext(x, &ctx, NID_basic_constraints, bc) != 0 ||
        add_ext(x, &ctx, NID_key_usage, ku) != 0 ||
        (eku != NULL && add_ext(x, &ctx, NID_ext_key_usage, eku) != 0) ||
        add_ext(x, &ctx, NID_subject_key_identifier, "hash") != 0)
        return -1;
    if (s->issuer != PKI_NONE &&
        add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") != 0)
        return -1;

    san[0] = '\0';
    for (size_t i = 0; i < PKI_MAX_DNS && s->dns[i] != NULL; i++) {
        int n = snprintf(san + used, sizeof(san) - used, "%sDNS:%s", used ? "," : "", s->dns[i]);
        if (n < 0 || (size_t)n >= sizeof(san) - used)
            return -1;
        used += (size_t)n;
    }
    if (used > 0 && add_ext(x, &ctx, NID_subject_alt_name, san) != 0)
        return -1;
    return 0;
}

/* Flips the lowest bit of the DER's last byte, which lies in signatureValue
 * (RFC 5280 4.1: it is the last field of Certificate), and re-parses. */
static X509 *break_signature(X509 *x)
{
    unsigned char *der = NULL;
    X509 *out = NULL;
    int len = i2d_X509(x, &der);
    if (len <= 0)
        return NULL;
    der[len - 1] ^= 0x01;
    const unsigned char *p = der;
    out = d2i_X509(NULL, &p, len);
    if (out != NULL && p != der + len) {
        X509_free(out);
        out = NULL;
    }
    OPENSSL_free(der);
    return out;
}

static int build_one(struct pki *pki, const struct pki_spec *s)
{
    struct pki_cert *c = &pki->cert[s->id];
    X509 *x = NULL;
    int rc = -1;

    if (s->key_from != PKI_NONE) {
        EVP_PKEY *k = pki->cert[s->key_from].key;
        if (k == NULL || !EVP_PKEY_up_ref(k))
            goto out;
        c->key = k;
    } else if ((c->key = make_key(s->alg)) == NULL) {
        goto out;
    }

    X509 *issuer = s->issuer == PKI_NONE ? NULL : pki->cert[s->issuer].x509;
    enum pki_id signer_id = s->signer != PKI_NONE ? s->signer : s->issuer;
    EVP_PKEY *signer = signer_id == PKI_NONE ? c->key : pki->cert[signer_id].key;
    const EVP_MD *md = s->md != NULL ? EVP_get_digestbyname(s->md) : EVP_sha256();
    if ((s->issuer != PKI_NONE && issuer == NULL) || signer == NULL || md == NULL)
        goto out;

    if ((x = X509_new()) == NULL || !X509_set_version(x, X509_VERSION_3) ||
        set_serial(x, s->serial_hex) != 0 || set_name(X509_get_subject_name(x), s->cn) != 0 ||
        !X509_set_issuer_name(x,
                              issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(x)) ||
        !ASN1_TIME_set_string_X509(X509_getm_notBefore(x), s->not_before) ||
        !ASN1_TIME_set_string_X509(X509_getm_notAfter(x), s->not_after) ||
        !X509_set_pubkey(x, c->key) || add_extensions(x, issuer ? issuer : x, s) != 0 ||
        X509_sign(x, signer, md) <= 0)
        goto out;

    if (s->flags & PKI_F_BAD_SIGNATURE) {
        X509 *broken = break_signature(x);
        if (broken == NULL)
            goto out;
        X509_free(x);
        x = broken;
    }
    c->x509 = x;
    x = NULL;
    rc = 0;
out:
    X509_free(x);
    if (rc != 0)
        gen_err("pki: cannot build certificate %s", s->name);
    return rc;
}

int pki_build(struct pki *pki)
{
    memset(pki, 0, sizeof(*pki));
    for (int i = (int)PKI_NONE + 1; i < (int)PKI_COUNT; i++) {
        const struct pki_spec *s = &pki_specs[i];
        /* Table sanity: ids in place, references only to earlier rows. */
        if ((int)s->id != i || (int)s->issuer >= i || (int)s->signer >= i ||
            (int)s->key_from >= i || s->cn == NULL || s->serial_hex == NULL) {
            gen_err("pki: table row %d is inconsistent", i);
            return -1;
        }
        if (build_one(pki, s) != 0)
            return -1;
    }
    return 0;
}

void pki_free(struct pki *pki)
{
    if (pki == NULL)
        return;
    for (int i = 0; i < (int)PKI_COUNT; i++) {
        X509_free(pki->cert[i].x509);
        EVP_PKEY_free(pki->cert[i].key);
        pki->cert[i].x509 = NULL;
        pki->cert[i].key = NULL;
    }
}
