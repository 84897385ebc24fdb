/* Strict base64 decoding (RFC 4648 4) of short protocol tokens (SASL
 * responses, HTTP Basic credentials) through OpenSSL's EVP_DecodeBlock. */
#ifndef CS_PARSERS_B64_H
#define CS_PARSERS_B64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

#define B64_IN_MAX 1024u /* longer input is cut to this (then `cut` applies) */

/* '=' only in the last two places and subtracted (EVP_DecodeBlock counts
 * padding as zero bytes and accepts '=' anywhere); missing padding is
 * added; when `cut` (the text was truncated) a trailing partial quantum is
 * dropped. Returns the decoded length, or SIZE_MAX when the input is not
 * base64 or out (cap bytes) is too small. The caller wipes out[] when it
 * may hold a secret; the internal copy is wiped here. */
size_t b64_decode(struct bytes in, bool cut, uint8_t *out, size_t cap);

#endif
