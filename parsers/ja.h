/* TLS client and server fingerprints: JA3, JA3S and JA4 (client).
 *
 * JA3/JA3S: the decimal string "version,ciphers,extensions,groups,formats"
 * (server: "version,cipher,extensions") with GREASE values removed, and its
 * MD5 as 32 lowercase hex digits.
 * JA4 (FoxIO, BSD-3-Clause spec, TCP variant): "t13d1516h2_8daaf6152771_e5627efa2ab1".
 * Pure functions over parsed hellos; no allocation. */
#ifndef CS_PARSERS_JA_H
#define CS_PARSERS_JA_H

#include <stddef.h>

#include "tls_handshake.h"

/* Most ciphers, and most extensions, JA4 sorts (on the stack, 2 bytes each).
 * Real clients send well under 400; a hello with more gets PR_LIMIT. */
#ifndef JA4_SORT_MAX
#define JA4_SORT_MAX 2048
#endif

/* Writes the JA3 string into str (NUL-terminated, cap bytes) and the MD5 hex
 * into hash (33 bytes). Returns PR_LIMIT if the string did not fit (the hash
 * is then still of the full string), PR_OK otherwise. str may be NULL (then
 * only the hash is produced). PR_MALFORMED if the extensions block is not
 * well framed, PR_UNSUPPORTED if OpenSSL cannot provide the digest (e.g. MD5
 * under a FIPS provider); on both, str and hash are "". */
enum pr_status ja3_client(const struct tls_client_hello *ch, char *str, size_t cap,
                          char hash[33]);
enum pr_status ja3_server(const struct tls_server_hello *sh, char *str, size_t cap,
                          char hash[33]);
/* JA4 for a ClientHello seen over TCP; out needs 37 bytes ("a_b_c" + NUL).
 * PR_OK, or out is "" and: PR_LIMIT (more than JA4_SORT_MAX ciphers or
 * extensions), PR_MALFORMED (bad extensions block), PR_UNSUPPORTED (no
 * SHA-256 from OpenSSL). */
enum pr_status ja4_client(const struct tls_client_hello *ch, char out[40]);

#endif
