#include "loadmsg.h"

#include <stdio.h>
#include <string.h>

void loadmsg_v(char *buf, size_t cap, const char *name, size_t line, const char *fmt, va_list ap)
{
    if (buf == NULL || cap == 0)
        return;
    int n = line > 0 ? snprintf(buf, cap, "%s:%zu: ", name, line) : snprintf(buf, cap, "%s: ", name);
    if (n < 0)
        n = 0;
    if ((size_t)n < cap)
        vsnprintf(buf + n, cap - (size_t)n, fmt, ap);
}

const char *loadmsg_shown(const char *s, size_t n, size_t limit, char *out, size_t cap)
{
    size_t k = 0, lim = n > limit ? limit : n;
    if (cap == 0)
        return out;
    for (size_t i = 0; i < lim && k + 4 < cap; i++)
        out[k++] = (s[i] >= 0x20 && s[i] <= 0x7e) ? s[i] : '?';
    if (n > lim && k + 4 < cap) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
    return out;
}
