/* TLS record decryption with keys from a key log (TLS 1.0-1.2 and TLS 1.3).
 *
 * Pure building blocks: key derivation from a logged secret and the
 * decryption of one protected record. All crypto is OpenSSL 3 (EVP_KDF
 * "HKDF" and "TLS1-PRF", EVP_CIPHER AEAD and CBC, EVP_MAC "HMAC"); nothing
 * here does I/O or touches a global.
 *
 * Per-direction state lives in a caller-owned `struct tls_dir_keys`. The
 * set-up functions allocate the OpenSSL contexts it needs once (key set-up
 * time, never per record) and tls_dir_keys_free() releases them. A struct
 * must start zeroed ({0}); a set-up function called on a struct that is
 * already set up releases the old keys first, which is how a caller
 * switches from handshake to application traffic keys.
 *
 * What the caller must do:
 *  - Sequence numbers (RFC 5246 6.1, RFC 8446 5.3) are per direction and
 *    start at 0 when keys are set up. tls_decrypt_record() uses k->seq and
 *    adds one for every complete record it was given (PR_OK and
 *    PR_MALFORMED alike, so one damaged record does not desynchronise the
 *    rest). A record lost from the capture shifts every later nonce: the
 *    caller may set k->seq itself to resynchronise. For a trial decryption
 *    that must not count (TLS 1.3 0-RTT data the server rejected, sent
 *    under keys not logged here, is skipped by the server: RFC 8446
 *    4.2.10), save k->seq before the call and restore it on failure.
 *  - TLS 1.3: only records with outer type application_data (23) are
 *    protected; ServerHello, ChangeCipherSpec (20) and cleartext alerts are
 *    not (PR_UNSUPPORTED, seq unchanged, res->consumed set). Per direction:
 *    set up with *_HANDSHAKE_TRAFFIC_SECRET once the ServerHello is seen,
 *    decrypt EncryptedExtensions .. Finished (the server's flight, or the
 *    client's Certificate / CertificateVerify / Finished), and set up again
 *    with *_TRAFFIC_SECRET_0 at the first record after the record that
 *    ends that direction's Finished (RFC 8446 5.1: a key change happens at
 *    a record boundary). KeyUpdate is not handled: records after one fail
 *    with PR_MALFORMED.
 *  - TLS 1.0-1.2: both directions come from the master secret
 *    (CLIENT_RANDOM line) with the client and server randoms of the hellos.
 *    A direction is protected from the record after its ChangeCipherSpec;
 *    every such record is passed here whatever its type. In a renegotiation
 *    the new hellos, key exchange and ChangeCipherSpec arrive protected
 *    under the current keys; the new keys (from the new randoms) apply from
 *    the record after that protected ChangeCipherSpec. The GCM explicit
 *    nonce and the TLS 1.1+ CBC IV are read from the record itself: pass
 *    the record as it is on the wire. Pass encrypt_then_mac when the
 *    ServerHello carried the encrypt_then_mac extension (22, RFC 7366) and
 *    the suite is CBC.
 *  - A struct tls_dir_keys owns OpenSSL contexts: do not copy it.
 */
#ifndef CS_PARSERS_TLS_DECRYPT_H
#define CS_PARSERS_TLS_DECRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "status.h"

#define TLS_RECORD_HEADER_LEN 5u
#define TLS_PLAINTEXT_MAX 16384u              /* RFC 8446 5.1, RFC 5246 6.2.1: 2^14 */
#define TLS13_CIPHERTEXT_MAX (16384u + 256u)  /* RFC 8446 5.2 */
#define TLS12_CIPHERTEXT_MAX (16384u + 2048u) /* RFC 5246 6.2.3 */
/* An output buffer of this size is enough for any record this module accepts. */
#define TLS_DECRYPT_OUT_MAX TLS12_CIPHERTEXT_MAX

#define TLS_VERSION_1_0 0x0301u
#define TLS_VERSION_1_1 0x0302u
#define TLS_VERSION_1_2 0x0303u
#define TLS_VERSION_1_3 0x0304u

enum tls_cipher_kind {
    TLS_CIPHER_GCM = 1, /* AES-GCM */
    TLS_CIPHER_CHACHA20_POLY1305,
    TLS_CIPHER_CCM, /* AES-CCM (TLS 1.3 only) */
    TLS_CIPHER_CBC, /* block cipher + HMAC (TLS 1.0-1.2) */
};

/* One row of the cipher suite table (static, never freed). */
struct tls_suite_info {
    uint16_t id;      /* IANA number */
    const char *name; /* IANA name */
    bool tls13;       /* a TLS 1.3 suite (0x13xx) */
    enum tls_cipher_kind kind;
    const char *cipher;        /* OpenSSL cipher name */
    size_t key_len;            /* encryption key bytes */
    size_t iv_len;             /* TLS 1.3: 12; 1.2 GCM: 4 (implicit salt); 1.2 ChaCha20: 12;
                                  CBC: the block size (explicit IV size in TLS 1.1+) */
    size_t explicit_nonce_len; /* TLS 1.2 GCM: 8, else 0 (CBC: see iv_len) */
    size_t tag_len;            /* AEAD tag bytes; 0 for CBC */
    const char *mac;           /* CBC: HMAC digest ("SHA1", "SHA256", "SHA384"); AEAD: NULL */
    size_t mac_len;            /* CBC: MAC key and MAC bytes; AEAD: 0 */
    const char *prf;           /* TLS 1.3: HKDF digest; TLS 1.2: PRF digest */
    size_t hash_len;           /* output size of `prf` (TLS 1.3 traffic secret size) */
};

/* The table row for a suite, or NULL if this module cannot decrypt it. */
const struct tls_suite_info *tls_suite_find(uint16_t suite);

/* Keys and state for one direction of one connection. Start zeroed. */
struct tls_dir_keys {
    const struct tls_suite_info *suite; /* NULL until set up */
    uint16_t version;                   /* TLS_VERSION_1_0 .. TLS_VERSION_1_3 */
    bool encrypt_then_mac;              /* RFC 7366, CBC only */
    uint64_t seq;                       /* sequence number of the next record */
    uint8_t key[32];
    size_t key_len;
    uint8_t iv[16]; /* TLS 1.3 iv; TLS 1.2 AEAD fixed iv; TLS 1.0 CBC running iv */
    size_t iv_len;
    uint8_t mac_key[48];
    size_t mac_key_len;
    EVP_CIPHER_CTX *cipher_ctx; /* owned; allocated at set-up */
    EVP_MAC_CTX *mac_ctx;       /* owned, CBC only */
};

/* Result of one record. */
struct tls_plain {
    uint8_t content_type; /* TLS 1.3: the inner type; TLS 1.2: the record type */
    size_t len;           /* plaintext bytes written to `out` */
    size_t consumed;      /* bytes of `rec` that made up the record (5 + length) */
};

/* RFC 8446 7.3: traffic key and iv from a traffic secret with
 * HKDF-Expand-Label("key" / "iv"). `secret_len` must equal the suite's hash
 * size (32 for SHA-256 suites, 48 for SHA-384). Sets k->seq = 0.
 * PR_UNSUPPORTED: not a TLS 1.3 suite in the table. PR_MALFORMED: wrong
 * secret size. PR_LIMIT: OpenSSL failed (allocation, missing algorithm);
 * `k` is then left released (zeroed). */
enum pr_status tls_dir_keys_tls13(struct tls_dir_keys *k, uint16_t suite, const uint8_t *secret,
                                  size_t secret_len);

/* RFC 5246 6.3 (RFC 4346/2246 for TLS 1.1/1.0): the key block
 * PRF(master_secret, "key expansion", server_random + client_random) split
 * into client/server MAC keys, client/server keys and client/server IVs.
 * The PRF digest is the suite's (SHA-256 or SHA-384) for TLS 1.2 and
 * MD5+SHA-1 before it. `client` or `server` may be NULL when only one
 * direction is wanted. `version` is the negotiated version (0x0301..0x0303);
 * AEAD and SHA-256/384 MAC suites need TLS 1.2. `encrypt_then_mac` applies
 * to CBC suites only. Sets seq = 0 in both.
 * PR_UNSUPPORTED: unknown suite, TLS 1.3 suite, or version mismatch.
 * PR_MALFORMED: master_len is not 48. PR_LIMIT: OpenSSL failed. */
enum pr_status tls_dir_keys_tls12(struct tls_dir_keys *client, struct tls_dir_keys *server,
                                  uint16_t suite, uint16_t version, bool encrypt_then_mac,
                                  const uint8_t *master, size_t master_len,
                                  const uint8_t client_random[32], const uint8_t server_random[32]);

/* Release the OpenSSL contexts and wipe the key material; leaves `k`
 * zeroed and reusable. NULL and zeroed structs are fine. */
void tls_dir_keys_free(struct tls_dir_keys *k);

/* Decrypt the one record at the start of rec[0..rec_len) (5-byte header
 * included; bytes after the record are ignored, see res->consumed).
 * The plaintext goes to out[0..res->len); `out` must not overlap `rec`.
 *  - TLS 1.3 (RFC 8446 5.2): AEAD with nonce = iv XOR seq and the record
 *    header as additional data; the inner content type and zero padding are
 *    stripped (res->content_type is the inner type).
 *  - TLS 1.2 AEAD (RFC 5288 3, RFC 7905 2): additional data is
 *    seq + type + version + plaintext length.
 *  - CBC (RFC 5246 6.2.3.2, RFC 7366): padding and MAC are checked; a bad
 *    MAC or padding is PR_MALFORMED (no timing care: this is a passive sensor).
 * Results: PR_OK; PR_INCOMPLETE if the record is not all there (seq
 * unchanged); PR_MALFORMED if it is too long, too short for its cipher, or
 * does not authenticate (wrong key, damaged, out of sequence); PR_LIMIT if
 * out_cap is smaller than the record's ciphertext (out_cap >=
 * TLS_DECRYPT_OUT_MAX always suffices) or the sequence number is exhausted
 * (seq unchanged); PR_UNSUPPORTED if `k` is not set up, or a TLS 1.3
 * record is not of type application_data (seq unchanged).
 * res->consumed is set whenever `k` is set up and the whole record is
 * present; on anything but PR_OK, res->len and res->content_type are 0 and
 * out's contents are unspecified (possibly unauthenticated bytes). */
enum pr_status tls_decrypt_record(struct tls_dir_keys *k, const uint8_t *rec, size_t rec_len,
                                  uint8_t *out, size_t out_cap, struct tls_plain *res);

#endif
