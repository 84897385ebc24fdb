/* certgen: small helpers shared by the capture generator (test tooling). */
#ifndef CERTGEN_UTIL_H
#define CERTGEN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Growable byte buffer. Zero-initialise; buf_free() releases; never NULL-terminated
 * unless the caller appends the NUL. */
struct buf {
    uint8_t *p;
    size_t n;
    size_t cap;
};

/* Appends n bytes; 0 on success, -1 on size overflow or out of memory (buffer unchanged). */
int buf_append(struct buf *b, const void *data, size_t n);
/* Appends a C string without its NUL. */
int buf_puts(struct buf *b, const char *s);
/* printf-style append; -1 on failure. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal (quotes included), escaping as RFC 8259 section 7 asks. */
int buf_json_str(struct buf *b, const char *s);
void buf_free(struct buf *b);

/* Overflow-checked calloc; NULL on overflow or out of memory. */
void *gen_calloc(size_t n, size_t size);

/* "certgen: <message>\n" on stderr, then any queued OpenSSL errors. */
void gen_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Lowercase hex of n bytes into out (needs 2n+1 bytes); returns -1 if outsz is too small. */
int gen_hex(const uint8_t *p, size_t n, char *out, size_t outsz);

/* 32-bit FNV-1a of a string: stable, table-order-independent numbers (ports, ISNs). */
uint32_t gen_fnv1a(const char *s);

/* Writes len bytes to path (created or truncated); 0 on success. */
int gen_write_file(const char *path, const uint8_t *p, size_t len);
/* Reads a whole file into out (appended); 1 if the file does not exist, 0 on success, -1 error. */
int gen_read_file(const char *path, struct buf *out);
/* SHA-256 of a file, lowercase hex into out[65]; 0 on success. */
int gen_sha256_file(const char *path, char out[65]);

/* Joins dir and name with '/' into out; -1 if it does not fit. */
int gen_path(char *out, size_t outsz, const char *dir, const char *name);

#endif
