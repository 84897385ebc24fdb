/* Bounds-checked byte cursor with a sticky error.
 *
 * Every read from wire bytes goes through these helpers. Once a read would
 * run past the end, `err` is set and every later read returns 0 / an empty
 * view, so a parser can read a whole structure and check `err` once.
 * Nothing here ever forms a pointer past `end`. */
#ifndef CS_PARSERS_CURSOR_H
#define CS_PARSERS_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A borrowed view into someone else's bytes. */
struct bytes {
    const uint8_t *p;
    size_t n;
};

struct cur {
    const uint8_t *p, *end;
    bool err;
};

static inline struct cur cur_make(const uint8_t *p, size_t n)
{
    struct cur c = {p, p, false};
    if (p == NULL) {
        /* [CUR-NULL] an empty view {NULL, 0}: no arithmetic on NULL, even + 0 */
        c.err = (n != 0);
        return c;
    }
    c.end = p + n;
    return c;
}

static inline size_t cur_left(const struct cur *c)
{
    return c->err ? 0 : (size_t)(c->end - c->p);
}

static inline bool cur_empty(const struct cur *c)
{
    return c->err || c->p == c->end;
}

/* [CUR-BOUNDS] never forms p + n before checking n fits */
static inline bool cur_has(struct cur *c, size_t n)
{
    if (c->err || n > (size_t)(c->end - c->p))
        c->err = true;
    return !c->err;
}

static inline bool cur_skip(struct cur *c, size_t n)
{
    if (!cur_has(c, n))
        return false;
    c->p += n;
    return true;
}

static inline uint8_t cur_u8(struct cur *c)
{
    if (!cur_has(c, 1))
        return 0;
    return *c->p++;
}

static inline uint16_t cur_u16(struct cur *c)
{
    if (!cur_has(c, 2))
        return 0;
    uint16_t v = (uint16_t)((uint16_t)c->p[0] << 8 | c->p[1]);
    c->p += 2;
    return v;
}

static inline uint32_t cur_u24(struct cur *c)
{
    if (!cur_has(c, 3))
        return 0;
    uint32_t v = (uint32_t)c->p[0] << 16 | (uint32_t)c->p[1] << 8 | c->p[2];
    c->p += 3;
    return v;
}

static inline uint32_t cur_u32(struct cur *c)
{
    if (!cur_has(c, 4))
        return 0;
    uint32_t v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 |
                 c->p[3];
    c->p += 4;
    return v;
}

/* n bytes as a view; empty view (and err) if they are not there */
static inline struct bytes cur_bytes(struct cur *c, size_t n)
{
    struct bytes b = {NULL, 0};
    if (!cur_has(c, n))
        return b;
    b.p = c->p;
    b.n = n;
    c->p += n;
    return b;
}

/* A sub-cursor over the next n bytes; the parent moves past them. */
static inline struct cur cur_sub(struct cur *c, size_t n)
{
    struct cur s = {NULL, NULL, true};
    if (!cur_has(c, n))
        return s;
    s.p = c->p;
    s.end = c->p + n;
    s.err = false;
    c->p += n;
    return s;
}

/* Length-prefixed block (1, 2 or 3 length bytes, big endian) as a child
 * cursor. The caller checks that the child is used up (cur_done). */
static inline struct cur cur_block(struct cur *c, unsigned lenbytes)
{
    size_t n = 0;
    switch (lenbytes) {
    case 1:
        n = cur_u8(c);
        break;
    case 2:
        n = cur_u16(c);
        break;
    case 3:
        n = cur_u24(c);
        break;
    default:
        c->err = true;
        break;
    }
    if (c->err) {
        struct cur s = {NULL, NULL, true};
        return s;
    }
    return cur_sub(c, n);
}

/* true when the cursor had no error and consumed exactly all its bytes */
static inline bool cur_done(const struct cur *c)
{
    return !c->err && c->p == c->end;
}

#endif
