/* Minimal JSON writer into a caller buffer, snprintf-style: it keeps
 * counting past the end so the caller learns the size it needs. Strings
 * are escaped completely (RFC 8259 7): quotes, backslash, every control
 * byte, and bytes that are not valid UTF-8 become \u00XX of the byte, so
 * output is always valid UTF-8 JSON whatever the packet contained. */
#ifndef CS_SENSOR_JSON_H
#define CS_SENSOR_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JW_DEPTH 16

struct jw {
    char *buf;
    size_t cap;
    size_t len;            /* bytes the full output needs */
    int depth;
    bool first[JW_DEPTH];  /* no element written yet at this depth */
};

void jw_init(struct jw *w, char *buf, size_t cap);
void jw_obj_open(struct jw *w, const char *key);  /* key NULL inside arrays / at top */
void jw_obj_close(struct jw *w);
void jw_arr_open(struct jw *w, const char *key);
void jw_arr_close(struct jw *w);
void jw_str(struct jw *w, const char *key, const char *v);
void jw_strn(struct jw *w, const char *key, const char *v, size_t n);
void jw_u64(struct jw *w, const char *key, uint64_t v);
void jw_i64(struct jw *w, const char *key, int64_t v);
void jw_bool(struct jw *w, const char *key, bool v);
void jw_null(struct jw *w, const char *key);
void jw_hex(struct jw *w, const char *key, const uint8_t *p, size_t n);
/* NUL-terminate (within cap) and return the needed length */
size_t jw_finish(struct jw *w);

#endif
