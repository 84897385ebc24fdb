#include "json.h"

#include <string.h>

void jw_init(struct jw *w, char *buf, size_t cap)
{
    memset(w, 0, sizeof *w);
    w->buf = buf;
    w->cap = cap;
    w->first[0] = true;
}

static void put(struct jw *w, const char *s, size_t n)
{
    if (w->len < w->cap) {
        size_t room = w->cap - w->len;
        memcpy(w->buf + w->len, s, n < room ? n : room);
    }
    w->len += n;
}

static void putc1(struct jw *w, char c)
{
    if (w->len < w->cap)
        w->buf[w->len] = c;
    w->len++;
}

/* Length of the valid UTF-8 sequence at p (RFC 3629 4), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    size_t need;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (need > n)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return need;
}

static void put_escaped(struct jw *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    putc1(w, '"');
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            putc1(w, '\\');
            putc1(w, (char)c);
            i++;
        } else if (c >= 0x20 && c < 0x7f) {
            /* copy the whole run of plain bytes at once */
            size_t j = i + 1;
            while (j < n && p[j] >= 0x20 && p[j] < 0x7f && p[j] != '"' && p[j] != '\\')
                j++;
            put(w, s + i, j - i);
            i = j;
        } else {
            size_t u = c >= 0x80 ? utf8_len(p + i, n - i) : 0;
            if (u > 0) {
                put(w, s + i, u);
                i += u;
            } else {
                char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                put(w, e, sizeof e);
                i++;
            }
        }
    }
    putc1(w, '"');
}

static void sep_key(struct jw *w, const char *key)
{
    if (!w->first[w->depth])
        putc1(w, ',');
    w->first[w->depth] = false;
    if (key != NULL) {
        put_escaped(w, key, strlen(key));
        putc1(w, ':');
    }
}

static void open_(struct jw *w, const char *key, char c)
{
    sep_key(w, key);
    putc1(w, c);
    if (w->depth + 1 < JW_DEPTH)
        w->depth++;
    w->first[w->depth] = true;
}

void jw_obj_open(struct jw *w, const char *key)
{
    open_(w, key, '{');
}

void jw_arr_open(struct jw *w, const char *key)
{
    open_(w, key, '[');
}

void jw_obj_close(struct jw *w)
{
    putc1(w, '}');
    if (w->depth > 0)
        w->depth--;
}

void jw_arr_close(struct jw *w)
{
    putc1(w, ']');
    if (w->depth > 0)
        w->depth--;
}

void jw_strn(struct jw *w, const char *key, const char *v, size_t n)
{
    sep_key(w, key);
    put_escaped(w, v, n);
}

void jw_str(struct jw *w, const char *key, const char *v)
{
    if (v == NULL) {
        jw_null(w, key);
        return;
    }
    jw_strn(w, key, v, strlen(v));
}

/* decimal digits of v into the end of b[24]; returns the first digit */
static char *u64_digits(uint64_t v, char b[24])
{
    char *p = b + 24;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return p;
}

void jw_u64(struct jw *w, const char *key, uint64_t v)
{
    char b[24];
    char *p = u64_digits(v, b);
    sep_key(w, key);
    put(w, p, (size_t)(b + 24 - p));
}

void jw_i64(struct jw *w, const char *key, int64_t v)
{
    char b[24];
    /* magnitude without overflow for INT64_MIN */
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *p = u64_digits(m, b);
    if (v < 0)
        *--p = '-';
    sep_key(w, key);
    put(w, p, (size_t)(b + 24 - p));
}

void jw_bool(struct jw *w, const char *key, bool v)
{
    sep_key(w, key);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct jw *w, const char *key)
{
    sep_key(w, key);
    put(w, "null", 4);
}

void jw_hex(struct jw *w, const char *key, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    sep_key(w, key);
    putc1(w, '"');
    for (size_t i = 0; i < n; i++) {
        putc1(w, hex[p[i] >> 4]);
        putc1(w, hex[p[i] & 15]);
    }
    putc1(w, '"');
}

size_t jw_finish(struct jw *w)
{
    if (w->cap > 0)
        w->buf[w->len < w->cap ? w->len : w->cap - 1] = '\0';
    return w->len;
}
