/* certgen: deterministic RNG for OpenSSL (test tooling only).
 *
 * Output block i of the stream is SHA-256(seed || be64(i)). Installed with
 * RAND_set_rand_method(): OpenSSL 3 marks that API deprecated, but it is the one
 * switch that routes both RAND_bytes_ex() and RAND_priv_bytes_ex() (key generation,
 * ECDSA nonces, TLS randoms, key shares, GCM nonces) to us without writing a
 * provider. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "detrand.h"
#include "util.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

static uint8_t det_seed[SHA256_DIGEST_LENGTH];
static uint64_t det_counter;
static uint8_t det_block[SHA256_DIGEST_LENGTH];
static size_t det_avail;

static void det_refill(void)
{
    uint8_t in[SHA256_DIGEST_LENGTH + 8];
    memcpy(in, det_seed, sizeof(det_seed));
    for (size_t i = 0; i < 8; i++)
        in[sizeof(det_seed) + i] = (uint8_t)(det_counter >> (56 - 8 * i));
    det_counter++;
    SHA256(in, sizeof(in), det_block);
    det_avail = sizeof(det_block);
}

static int det_bytes(unsigned char *out, int num)
{
    if (num < 0)
        return 0;
    size_t left = (size_t)num;
    while (left > 0) {
        if (det_avail == 0)
            det_refill();
        size_t take = left < det_avail ? left : det_avail;
        memcpy(out, det_block + (sizeof(det_block) - det_avail), take);
        out += take;
        left -= take;
        det_avail -= take;
    }
    return 1;
}

static int det_seed_cb(const void *buf, int num)
{
    (void)buf;
    (void)num;
    return 1;
}

static int det_add(const void *buf, int num, double entropy)
{
    (void)buf;
    (void)num;
    (void)entropy;
    return 1;
}

static int det_status(void)
{
    return 1;
}

static const RAND_METHOD det_method = {
    .seed = det_seed_cb,
    .bytes = det_bytes,
    .cleanup = NULL,
    .add = det_add,
    .pseudorand = det_bytes,
    .status = det_status,
};

void detrand_seed(const char *label)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int len = 0;
    /* SHA-256 over "certgen/" label; SHA256() one-shot cannot take two parts. */
    if (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
        !EVP_DigestUpdate(md, "certgen/", 8) || !EVP_DigestUpdate(md, label, strlen(label)) ||
        !EVP_DigestFinal_ex(md, det_seed, &len)) {
        /* Fall back to the label bytes themselves: still deterministic. */
        memset(det_seed, 0, sizeof(det_seed));
        size_t n = strlen(label);
        memcpy(det_seed, label, n < sizeof(det_seed) ? n : sizeof(det_seed));
    }
    EVP_MD_CTX_free(md);
    det_counter = 0;
    det_avail = 0;
}

int detrand_install(void)
{
    detrand_seed("default");
    if (!RAND_set_rand_method(&det_method)) {
        gen_err("RAND_set_rand_method failed");
        return -1;
    }
    return 0;
}
