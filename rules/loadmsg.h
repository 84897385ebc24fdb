/* Messages of the rule and list loaders: "NAME:LINE: what, expected what",
 * and short printable excerpts of the offending input. */
#ifndef CS_RULES_LOADMSG_H
#define CS_RULES_LOADMSG_H

#include <stdarg.h>
#include <stddef.h>

/* "name:line: " (or "name: " when line is 0) then fmt, into buf (cap
 * bytes, always NUL-terminated when cap > 0). */
void loadmsg_v(char *buf, size_t cap, const char *name, size_t line, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

/* At most `limit` bytes of s as printable ASCII ('?' for others), "..."
 * when cut; returns out. */
const char *loadmsg_shown(const char *s, size_t n, size_t limit, char *out, size_t cap);

#endif
