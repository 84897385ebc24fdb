#include "b64.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

size_t b64_decode(struct bytes in, bool cut, uint8_t *out, size_t cap)
{
    uint8_t tmp[B64_IN_MAX + 4];
    size_t n = in.n, pad = 0, ret = SIZE_MAX;
    if (n > B64_IN_MAX) {
        n = B64_IN_MAX;
        cut = true;
    }
    if (cut)
        n -= n % 4;
    if (n > 0)
        memcpy(tmp, in.p, n);
    switch (n % 4) {
    case 0:
        break;
    case 2:
        tmp[n++] = '=';
        tmp[n++] = '=';
        break;
    case 3:
        tmp[n++] = '=';
        break;
    default:
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (tmp[i] == '=' && i + 2 < n)
            goto out;
    if (n >= 2 && tmp[n - 2] == '=' && tmp[n - 1] != '=')
        goto out; /* "x=y": data after padding */
    if (n >= 1 && tmp[n - 1] == '=')
        pad++;
    if (n >= 2 && tmp[n - 2] == '=')
        pad++;
    if (n / 4 * 3 > cap)
        goto out;
    if (n == 0) {
        ret = 0;
        goto out;
    }
    int r = EVP_DecodeBlock(out, tmp, (int)n); /* n <= B64_IN_MAX + 4 fits an int */
    if (r >= 0 && (size_t)r >= pad)
        ret = (size_t)r - pad;
out:
    OPENSSL_cleanse(tmp, sizeof tmp);
    return ret;
}
