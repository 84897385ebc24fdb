/* certgen: helpers (byte buffers, JSON strings, hex, files). */
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

int buf_append(struct buf *b, const void *data, size_t n)
{
    if (n == 0)
        return 0;
    if (n > SIZE_MAX - b->n)
        return -1;
    size_t need = b->n + n;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need) {
            if (cap > SIZE_MAX / 2)
                return -1;
            cap *= 2;
        }
        uint8_t *p = realloc(b->p, cap);
        if (p == NULL)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n = need;
    return 0;
}

int buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return -1;
    return buf_append(b, tmp, (size_t)n);
}

int buf_json_str(struct buf *b, const char *s)
{
    static const char hexd[] = "0123456789abcdef";
    if (buf_puts(b, "\"") != 0)
        return -1;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        char esc[7];
        size_t n;
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            n = 2;
        } else if (*p < 0x20 || *p == 0x7f) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hexd[*p >> 4];
            esc[5] = hexd[*p & 0x0f];
            n = 6;
        } else {
            esc[0] = (char)*p;
            n = 1;
        }
        if (buf_append(b, esc, n) != 0)
            return -1;
    }
    return buf_puts(b, "\"");
}

void buf_free(struct buf *b)
{
    if (b == NULL)
        return;
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

void *gen_calloc(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void gen_err(const char *fmt, ...)
{
    va_list ap;
    fputs("certgen: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    ERR_print_errors_fp(stderr);
}

int gen_hex(const uint8_t *p, size_t n, char *out, size_t outsz)
{
    static const char hexd[] = "0123456789abcdef";
    if (outsz == 0 || n > (outsz - 1) / 2)
        return -1;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexd[p[i] >> 4];
        out[2 * i + 1] = hexd[p[i] & 0x0f];
    }
    out[2 * n] = '\0';
    return 0;
}

uint32_t gen_fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return h;
}

int gen_write_file(const char *path, const uint8_t *p, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        gen_err("%s: %s", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    if (len > 0 && fwrite(p, 1, len, f) != len)
        rc = -1;
    if (fclose(f) != 0)
        rc = -1;
    if (rc != 0)
        gen_err("%s: write failed", path);
    return rc;
}

int gen_read_file(const char *path, struct buf *out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (errno == ENOENT)
            return 1;
        gen_err("%s: %s", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    uint8_t tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) {
        if (buf_append(out, tmp, n) != 0) {
            rc = -1;
            break;
        }
    }
    if (ferror(f))
        rc = -1;
    fclose(f);
    if (rc != 0)
        gen_err("%s: read failed", path);
    return rc;
}

int gen_sha256_file(const char *path, char out[65])
{
    struct buf b = {0};
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int rc = -1;
    if (gen_read_file(path, &b) != 0)
        goto out;
    if (!EVP_Digest(b.p ? b.p : (const uint8_t *)"", b.n, md, &mdlen, EVP_sha256(), NULL) ||
        mdlen != 32)
        goto out;
    rc = gen_hex(md, mdlen, out, 65);
out:
    buf_free(&b);
    return rc;
}

int gen_path(char *out, size_t outsz, const char *dir, const char *name)
{
    int n = snprintf(out, outsz, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= outsz) {
        gen_err("path too long: %s/%s", dir, name);
        return -1;
    }
    return 0;
}
