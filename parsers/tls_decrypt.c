/* TLS record decryption; see tls_decrypt.h for the contract. */
#include "tls_decrypt.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "cursor.h"

#define CT_APPLICATION_DATA 23u

/* ---- cipher suite table ---------------------------------------------- */

/* Numbers and names: IANA TLS Cipher Suites registry; key, IV and MAC sizes:
 * RFC 5246 Appendix C, RFC 5288 3, RFC 5289 3.2, RFC 7905 2, RFC 8446 B.4. */
/* clang-format off */
#define T13(id_, name_, kind_, cipher_, key_, tag_, prf_, hlen_) \
    {id_, name_, true, kind_, cipher_, key_, 12, 0, tag_, NULL, 0, prf_, hlen_}
#define GCM12(id_, name_, key_, prf_, hlen_) \
    {id_, name_, false, TLS_CIPHER_GCM, (key_) == 16 ? "AES-128-GCM" : "AES-256-GCM", key_, 4, 8, \
     16, NULL, 0, prf_, hlen_}
#define CHACHA12(id_, name_) \
    {id_, name_, false, TLS_CIPHER_CHACHA20_POLY1305, "ChaCha20-Poly1305", 32, 12, 0, 16, NULL, \
     0, "SHA256", 32}
#define CBC12(id_, name_, cipher_, key_, blk_, mac_, maclen_, prf_, hlen_) \
    {id_, name_, false, TLS_CIPHER_CBC, cipher_, key_, blk_, 0, 0, mac_, maclen_, prf_, hlen_}
/* clang-format on */

static const struct tls_suite_info suite_table[] = {
    T13(0x1301, "TLS_AES_128_GCM_SHA256", TLS_CIPHER_GCM, "AES-128-GCM", 16, 16, "SHA256", 32),
    T13(0x1302, "TLS_AES_256_GCM_SHA384", TLS_CIPHER_GCM, "AES-256-GCM", 32, 16, "SHA384", 48),
    T13(0x1303, "TLS_CHACHA20_POLY1305_SHA256", TLS_CIPHER_CHACHA20_POLY1305, "ChaCha20-Poly1305",
        32, 16, "SHA256", 32),
    T13(0x1304, "TLS_AES_128_CCM_SHA256", TLS_CIPHER_CCM, "AES-128-CCM", 16, 16, "SHA256", 32),
    T13(0x1305, "TLS_AES_128_CCM_8_SHA256", TLS_CIPHER_CCM, "AES-128-CCM", 16, 8, "SHA256", 32),

    CBC12(0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "DES-EDE3-CBC", 24, 8, "SHA1", 20, "SHA256", 32),
    CBC12(0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA", "AES-128-CBC", 16, 16, "SHA1", 20, "SHA256", 32),
    CBC12(0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "AES-128-CBC", 16, 16, "SHA1", 20, "SHA256",
          32),
    CBC12(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", "AES-256-CBC", 32, 16, "SHA1", 20, "SHA256", 32),
    CBC12(0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", "AES-256-CBC", 32, 16, "SHA1", 20, "SHA256",
          32),
    CBC12(0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256", "AES-128-CBC", 16, 16, "SHA256", 32, "SHA256",
          32),
    CBC12(0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256", "AES-256-CBC", 32, 16, "SHA256", 32, "SHA256",
          32),
    CBC12(0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", "AES-128-CBC", 16, 16, "SHA256", 32,
          "SHA256", 32),
    CBC12(0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", "AES-256-CBC", 32, 16, "SHA256", 32,
          "SHA256", 32),
    GCM12(0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256", 16, "SHA256", 32),
    GCM12(0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384", 32, "SHA384", 48),
    GCM12(0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", 16, "SHA256", 32),
    GCM12(0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", 32, "SHA384", 48),
    CBC12(0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "AES-128-CBC", 16, 16, "SHA1", 20,
          "SHA256", 32),
    CBC12(0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "AES-256-CBC", 32, 16, "SHA1", 20,
          "SHA256", 32),
    CBC12(0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "DES-EDE3-CBC", 24, 8, "SHA1", 20,
          "SHA256", 32),
    CBC12(0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "AES-128-CBC", 16, 16, "SHA1", 20, "SHA256",
          32),
    CBC12(0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "AES-256-CBC", 32, 16, "SHA1", 20, "SHA256",
          32),
    CBC12(0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "AES-128-CBC", 16, 16, "SHA256", 32,
          "SHA256", 32),
    CBC12(0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "AES-256-CBC", 32, 16, "SHA384", 48,
          "SHA384", 48),
    CBC12(0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "AES-128-CBC", 16, 16, "SHA256", 32,
          "SHA256", 32),
    CBC12(0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", "AES-256-CBC", 32, 16, "SHA384", 48,
          "SHA384", 48),
    GCM12(0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 16, "SHA256", 32),
    GCM12(0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 32, "SHA384", 48),
    GCM12(0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 16, "SHA256", 32),
    GCM12(0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 32, "SHA384", 48),
    CHACHA12(0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
    CHACHA12(0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
    CHACHA12(0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
};

const struct tls_suite_info *tls_suite_find(uint16_t suite)
{
    for (size_t i = 0; i < sizeof suite_table / sizeof suite_table[0]; i++) {
        if (suite_table[i].id == suite)
            return &suite_table[i];
    }
    return NULL;
}

/* ---- helpers ------------------------------------------------------------ */

void tls_dir_keys_free(struct tls_dir_keys *k)
{
    if (k == NULL)
        return;
    EVP_CIPHER_CTX_free(k->cipher_ctx);
    EVP_MAC_CTX_free(k->mac_ctx);
    OPENSSL_cleanse(k, sizeof *k); /* zeroes, and is not optimised away */
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (size_t i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void put_u16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Allocate the cipher (and, for CBC, HMAC) contexts of `k` for k->suite. */
static bool alloc_contexts(struct tls_dir_keys *k)
{
    bool ok = false;
    EVP_CIPHER *cipher = NULL;
    EVP_MAC *mac = NULL;

    cipher = EVP_CIPHER_fetch(NULL, k->suite->cipher, NULL);
    k->cipher_ctx = EVP_CIPHER_CTX_new();
    if (cipher == NULL || k->cipher_ctx == NULL)
        goto out;
    /* The context keeps its own reference to the cipher. */
    if (EVP_DecryptInit_ex2(k->cipher_ctx, cipher, NULL, NULL, NULL) != 1)
        goto out;
    if (k->suite->kind == TLS_CIPHER_CBC) {
        OSSL_PARAM params[2];
        params[0] =
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)k->suite->mac, 0);
        params[1] = OSSL_PARAM_construct_end();
        mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
        if (mac == NULL)
            goto out;
        k->mac_ctx = EVP_MAC_CTX_new(mac);
        if (k->mac_ctx == NULL || EVP_MAC_CTX_set_params(k->mac_ctx, params) != 1)
            goto out;
    }
    ok = true;
out:
    EVP_CIPHER_free(cipher);
    EVP_MAC_free(mac);
    return ok;
}

/* RFC 8446 7.1: HKDF-Expand-Label(Secret, Label, "", Length) */
static bool hkdf_expand_label(EVP_KDF_CTX *kctx, const char *digest, const uint8_t *secret,
                              size_t secret_len, const char *label, uint8_t *out, size_t out_len)
{
    static const char prefix[] = "tls13 ";
    uint8_t info[2 + 1 + 255 + 1];
    size_t plen = sizeof prefix - 1;
    size_t llen = strlen(label);
    size_t n = 0;
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    OSSL_PARAM params[5];

    if (plen + llen > 255 || out_len > 0xffff)
        return false;
    /* struct { uint16 length; opaque label<7..255>; opaque context<0..255>; } HkdfLabel */
    put_u16(info, out_len);
    n = 2;
    info[n++] = (uint8_t)(plen + llen);
    memcpy(info + n, prefix, plen);
    n += plen;
    memcpy(info + n, label, llen);
    n += llen;
    info[n++] = 0; /* empty context */

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0);
    params[1] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, secret_len);
    params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n);
    params[4] = OSSL_PARAM_construct_end();
    return EVP_KDF_derive(kctx, out, out_len, params) == 1;
}

enum pr_status tls_dir_keys_tls13(struct tls_dir_keys *k, uint16_t suite, const uint8_t *secret,
                                  size_t secret_len)
{
    enum pr_status st = PR_LIMIT;
    const struct tls_suite_info *si = tls_suite_find(suite);
    EVP_KDF *kdf = NULL;
    EVP_KDF_CTX *kctx = NULL;

    if (k == NULL)
        return PR_UNSUPPORTED;
    tls_dir_keys_free(k);
    if (si == NULL || !si->tls13)
        return PR_UNSUPPORTED;
    if (secret == NULL || secret_len != si->hash_len)
        return PR_MALFORMED;

    k->suite = si;
    k->version = TLS_VERSION_1_3;
    k->key_len = si->key_len;
    k->iv_len = si->iv_len;
    kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    if (kctx == NULL)
        goto out;
    /* RFC 8446 7.3: [sender]_write_key / _iv = HKDF-Expand-Label(Secret, "key"/"iv", "", len) */
    if (!hkdf_expand_label(kctx, si->prf, secret, secret_len, "key", k->key, k->key_len) ||
        !hkdf_expand_label(kctx, si->prf, secret, secret_len, "iv", k->iv, k->iv_len))
        goto out;
    if (!alloc_contexts(k))
        goto out;
    st = PR_OK;
out:
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    if (st != PR_OK)
        tls_dir_keys_free(k);
    return st;
}

/* Fill one direction from its slices of the key block. */
static bool setup_tls12_dir(struct tls_dir_keys *k, const struct tls_suite_info *si,
                            uint16_t version, bool etm, const uint8_t *mac_key, const uint8_t *key,
                            const uint8_t *iv)
{
    k->suite = si;
    k->version = version;
    k->encrypt_then_mac = etm && si->kind == TLS_CIPHER_CBC;
    k->key_len = si->key_len;
    k->iv_len = si->iv_len;
    k->mac_key_len = si->mac_len;
    memcpy(k->key, key, si->key_len);
    memcpy(k->iv, iv, si->iv_len);
    memcpy(k->mac_key, mac_key, si->mac_len);
    return alloc_contexts(k);
}

enum pr_status tls_dir_keys_tls12(struct tls_dir_keys *client, struct tls_dir_keys *server,
                                  uint16_t suite, uint16_t version, bool encrypt_then_mac,
                                  const uint8_t *master, size_t master_len,
                                  const uint8_t client_random[32], const uint8_t server_random[32])
{
    static const char label[] = "key expansion";
    enum pr_status st = PR_LIMIT;
    const struct tls_suite_info *si = tls_suite_find(suite);
    uint8_t seed[sizeof label - 1 + 64];
    uint8_t block[2 * (48 + 32 + 16)];
    size_t block_len = 0;
    EVP_KDF *kdf = NULL;
    EVP_KDF_CTX *kctx = NULL;
    OSSL_PARAM params[4];
    const char *digest = NULL;

    tls_dir_keys_free(client);
    tls_dir_keys_free(server);
    if (si == NULL || si->tls13)
        return PR_UNSUPPORTED;
    if (version < TLS_VERSION_1_0 || version > TLS_VERSION_1_2)
        return PR_UNSUPPORTED;
    /* AEAD suites and SHA-2 MACs exist only from TLS 1.2 (RFC 5246 1.2) */
    if (version < TLS_VERSION_1_2 && (si->kind != TLS_CIPHER_CBC || strcmp(si->mac, "SHA1") != 0))
        return PR_UNSUPPORTED;
    if (master == NULL || master_len != 48 || client_random == NULL || server_random == NULL)
        return PR_MALFORMED;

    /* RFC 5246 5: P_<suite hash>; RFC 2246 5 / RFC 4346 5: MD5 xor SHA-1 */
    digest = version == TLS_VERSION_1_2 ? si->prf : "MD5-SHA1";
    memcpy(seed, label, sizeof label - 1);
    memcpy(seed + sizeof label - 1, server_random, 32);
    memcpy(seed + sizeof label - 1 + 32, client_random, 32);
    block_len = 2 * (si->mac_len + si->key_len + si->iv_len);
    if (block_len > sizeof block)
        goto out;

    kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
    kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    if (kctx == NULL)
        goto out;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0);
    params[1] =
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)master, master_len);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof seed);
    params[3] = OSSL_PARAM_construct_end();
    if (EVP_KDF_derive(kctx, block, block_len, params) != 1)
        goto out;

    /* RFC 5246 6.3: client MAC, server MAC, client key, server key, client IV, server IV */
    {
        const uint8_t *cmac = block;
        const uint8_t *smac = cmac + si->mac_len;
        const uint8_t *ckey = smac + si->mac_len;
        const uint8_t *skey = ckey + si->key_len;
        const uint8_t *civ = skey + si->key_len;
        const uint8_t *siv = civ + si->iv_len;
        if (client != NULL &&
            !setup_tls12_dir(client, si, version, encrypt_then_mac, cmac, ckey, civ))
            goto out;
        if (server != NULL &&
            !setup_tls12_dir(server, si, version, encrypt_then_mac, smac, skey, siv))
            goto out;
    }
    st = PR_OK;
out:
    OPENSSL_cleanse(block, sizeof block);
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    if (st != PR_OK) {
        tls_dir_keys_free(client);
        tls_dir_keys_free(server);
    }
    return st;
}

/* ---- record decryption -------------------------------------------------- */

/* AEAD open: ct[0..ct_len) with tag[0..tag_len) into out. */
static bool aead_open(struct tls_dir_keys *k, const uint8_t nonce[12], const uint8_t *aad,
                      size_t aad_len, const uint8_t *ct, size_t ct_len, const uint8_t *tag,
                      uint8_t *out)
{
    EVP_CIPHER_CTX *ctx = k->cipher_ctx;
    int tag_len = (int)k->suite->tag_len;
    int outl = 0;

    /* lengths are bounded by TLS12_CIPHERTEXT_MAX by the caller: the int casts hold */
    if (k->suite->kind == TLS_CIPHER_CCM) {
        /* CCM needs the expected tag and the total length before any data
         * (RFC 3610; OpenSSL EVP CCM decrypt sequence). */
        if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, tag_len, (void *)tag) != 1 ||
            EVP_DecryptInit_ex2(ctx, NULL, k->key, nonce, NULL) != 1 ||
            EVP_DecryptUpdate(ctx, NULL, &outl, NULL, (int)ct_len) != 1 ||
            EVP_DecryptUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1)
            return false;
        /* For CCM the tag is checked here: no final call. */
        return EVP_DecryptUpdate(ctx, out, &outl, ct, (int)ct_len) == 1 && (size_t)outl == ct_len;
    }
    if (EVP_DecryptInit_ex2(ctx, NULL, k->key, nonce, NULL) != 1 ||
        EVP_DecryptUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1)
        return false;
    if (ct_len > 0 &&
        (EVP_DecryptUpdate(ctx, out, &outl, ct, (int)ct_len) != 1 || (size_t)outl != ct_len))
        return false;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, tag_len, (void *)tag) != 1)
        return false;
    return EVP_DecryptFinal_ex(ctx, out + ct_len, &outl) == 1 && outl == 0;
}

/* nonce = iv XOR (seq as 64-bit big endian, left-padded to 12 bytes)
 * (RFC 8446 5.3, RFC 7905 2) */
static void xor_nonce(const uint8_t iv[12], uint64_t seq, uint8_t nonce[12])
{
    memcpy(nonce, iv, 12);
    for (size_t i = 0; i < 8; i++)
        nonce[4 + i] ^= (uint8_t)(seq >> (56 - 8 * i));
}

static enum pr_status open_tls13(struct tls_dir_keys *k, const uint8_t *hdr, struct bytes frag,
                                 uint8_t *out, struct tls_plain *res)
{
    uint8_t nonce[12];
    size_t tag_len = k->suite->tag_len;
    size_t ct_len = 0;
    size_t i = 0;

    /* [TLS-LEN-UNDERFLOW] at least the content type byte and the tag */
    if (frag.n < tag_len + 1)
        return PR_MALFORMED;
    ct_len = frag.n - tag_len;
    xor_nonce(k->iv, k->seq, nonce);
    /* RFC 8446 5.2: additional_data = the 5-byte record header */
    if (!aead_open(k, nonce, hdr, TLS_RECORD_HEADER_LEN, frag.p, ct_len, frag.p + ct_len, out))
        return PR_MALFORMED;
    /* TLSInnerPlaintext: content || ContentType type || uint8 zeros[] */
    i = ct_len;
    while (i > 0 && out[i - 1] == 0)
        i--;
    if (i == 0)
        return PR_MALFORMED; /* all zeros: no content type (unexpected_message) */
    i--;
    if (i > TLS_PLAINTEXT_MAX)
        return PR_MALFORMED; /* record_overflow */
    res->content_type = out[i];
    res->len = i;
    return PR_OK;
}

static enum pr_status open_tls12_aead(struct tls_dir_keys *k, const uint8_t *hdr, struct bytes frag,
                                      uint8_t *out, struct tls_plain *res)
{
    const struct tls_suite_info *si = k->suite;
    uint8_t nonce[12];
    uint8_t aad[13];
    size_t ct_len = 0;
    const uint8_t *ct = NULL;

    /* [TLS-LEN-UNDERFLOW] explicit nonce and tag must fit */
    if (frag.n < si->explicit_nonce_len + si->tag_len)
        return PR_MALFORMED;
    ct = frag.p + si->explicit_nonce_len;
    ct_len = frag.n - si->explicit_nonce_len - si->tag_len;
    if (si->kind == TLS_CIPHER_GCM) {
        /* RFC 5288 3: nonce = salt (4, from the key block) || nonce_explicit (8, in the record) */
        memcpy(nonce, k->iv, 4);
        memcpy(nonce + 4, frag.p, 8);
    } else {
        xor_nonce(k->iv, k->seq, nonce); /* RFC 7905 2 */
    }
    /* RFC 5246 6.2.3.3: seq_num + type + version + length (of the plaintext) */
    put_u64(aad, k->seq);
    aad[8] = hdr[0];
    aad[9] = hdr[1];
    aad[10] = hdr[2];
    put_u16(aad + 11, ct_len);
    if (!aead_open(k, nonce, aad, sizeof aad, ct, ct_len, ct + ct_len, out))
        return PR_MALFORMED;
    if (ct_len > TLS_PLAINTEXT_MAX)
        return PR_MALFORMED;
    res->content_type = hdr[0];
    res->len = ct_len;
    return PR_OK;
}

/* HMAC(mac_key, seq || type || version || length || data) == expect */
static bool mac_ok(struct tls_dir_keys *k, const uint8_t *hdr, const uint8_t *data, size_t len,
                   const uint8_t *expect)
{
    uint8_t pre[13];
    uint8_t mac[EVP_MAX_MD_SIZE];
    size_t mac_len = 0;

    put_u64(pre, k->seq);
    pre[8] = hdr[0];
    pre[9] = hdr[1];
    pre[10] = hdr[2];
    put_u16(pre + 11, len);
    if (EVP_MAC_init(k->mac_ctx, k->mac_key, k->mac_key_len, NULL) != 1 ||
        EVP_MAC_update(k->mac_ctx, pre, sizeof pre) != 1 ||
        EVP_MAC_update(k->mac_ctx, data, len) != 1 ||
        EVP_MAC_final(k->mac_ctx, mac, &mac_len, sizeof mac) != 1)
        return false;
    return mac_len == k->mac_key_len && CRYPTO_memcmp(mac, expect, mac_len) == 0;
}

static bool cbc_decrypt(struct tls_dir_keys *k, const uint8_t *iv, const uint8_t *ct, size_t ct_len,
                        uint8_t *out)
{
    EVP_CIPHER_CTX *ctx = k->cipher_ctx;
    int outl = 0;

    if (EVP_DecryptInit_ex2(ctx, NULL, k->key, iv, NULL) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
        EVP_DecryptUpdate(ctx, out, &outl, ct, (int)ct_len) != 1 || (size_t)outl != ct_len)
        return false;
    return EVP_DecryptFinal_ex(ctx, out + ct_len, &outl) == 1 && outl == 0;
}

/* RFC 5246 6.2.3.2 (MAC-then-encrypt) and RFC 7366 3 (encrypt-then-MAC) */
static enum pr_status open_tls12_cbc(struct tls_dir_keys *k, const uint8_t *hdr, struct bytes frag,
                                     uint8_t *out, struct tls_plain *res)
{
    size_t bs = k->suite->iv_len;
    size_t mac_len = k->mac_key_len;
    size_t rec_iv = k->version >= TLS_VERSION_1_1 ? bs : 0; /* explicit IV from TLS 1.1 */
    size_t enc_len = frag.n;                                /* IV + ciphertext (+ MAC with EtM) */
    const uint8_t *iv = NULL;
    const uint8_t *ct = NULL;
    size_t ct_len = 0;
    size_t pad = 0;
    size_t plain_len = 0;
    bool etm = k->encrypt_then_mac;

    if (etm) {
        /* [TLS-LEN-UNDERFLOW] MAC, IV and one block */
        if (frag.n < mac_len + rec_iv + bs)
            return PR_MALFORMED;
        enc_len = frag.n - mac_len;
    } else if (frag.n < rec_iv + bs) {
        return PR_MALFORMED;
    }
    ct_len = enc_len - rec_iv;
    if (ct_len % bs != 0)
        return PR_MALFORMED;
    iv = rec_iv ? frag.p : k->iv;
    ct = frag.p + rec_iv;

    if (etm && !mac_ok(k, hdr, frag.p, enc_len, frag.p + enc_len))
        goto bad;
    if (!cbc_decrypt(k, iv, ct, ct_len, out))
        goto bad;
    /* GenericBlockCipher: content || MAC || padding || padding_length;
     * every padding byte equals padding_length */
    pad = out[ct_len - 1];
    if (pad + 1 + (etm ? 0 : mac_len) > ct_len)
        goto bad;
    for (size_t i = ct_len - 1 - pad; i < ct_len - 1; i++) {
        if (out[i] != pad)
            goto bad;
    }
    plain_len = ct_len - 1 - pad - (etm ? 0 : mac_len);
    if (!etm && !mac_ok(k, hdr, out, plain_len, out + plain_len))
        goto bad;
    if (plain_len > TLS_PLAINTEXT_MAX)
        goto bad;
    if (!rec_iv)
        memcpy(k->iv, ct + ct_len - bs, bs); /* TLS 1.0: chained IV */
    res->content_type = hdr[0];
    res->len = plain_len;
    return PR_OK;
bad:
    if (!rec_iv)
        memcpy(k->iv, ct + ct_len - bs, bs);
    return PR_MALFORMED;
}

enum pr_status tls_decrypt_record(struct tls_dir_keys *k, const uint8_t *rec, size_t rec_len,
                                  uint8_t *out, size_t out_cap, struct tls_plain *res)
{
    struct cur c = cur_make(rec, rec_len);
    const uint8_t *hdr = rec;
    uint8_t type = 0;
    size_t len = 0;
    size_t max_len = 0;
    struct bytes frag;
    enum pr_status st = PR_MALFORMED;

    if (res == NULL)
        return PR_UNSUPPORTED;
    memset(res, 0, sizeof *res);
    if (k == NULL || k->suite == NULL || k->cipher_ctx == NULL)
        return PR_UNSUPPORTED;

    /* RFC 8446 5.2 / RFC 5246 6.2.3: type(1) version(2) length(2) fragment */
    type = cur_u8(&c);
    (void)cur_u16(&c);
    len = cur_u16(&c);
    frag = cur_bytes(&c, len);
    if (c.err)
        return PR_INCOMPLETE;
    res->consumed = TLS_RECORD_HEADER_LEN + len;
    if (k->suite->tls13 && type != CT_APPLICATION_DATA)
        return PR_UNSUPPORTED; /* not protected in TLS 1.3 (e.g. compatibility CCS) */

    if (k->seq == UINT64_MAX)
        return PR_LIMIT; /* RFC 8446 5.3 / RFC 5246 6.1: sequence numbers never wrap */
    max_len = k->suite->tls13 ? TLS13_CIPHERTEXT_MAX : TLS12_CIPHERTEXT_MAX;
    if (len <= max_len && (out == NULL || out_cap < len))
        return PR_LIMIT;

    if (len > max_len)
        st = PR_MALFORMED; /* record_overflow */
    else if (k->suite->tls13)
        st = open_tls13(k, hdr, frag, out, res);
    else if (k->suite->kind == TLS_CIPHER_CBC)
        st = open_tls12_cbc(k, hdr, frag, out, res);
    else
        st = open_tls12_aead(k, hdr, frag, out, res);
    /* A complete record consumed a sequence number whatever the outcome. */
    k->seq++;
    if (st != PR_OK) {
        res->len = 0;
        res->content_type = 0;
    }
    return st;
}
