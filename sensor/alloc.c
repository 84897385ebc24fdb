#include "alloc.h"

#include <stdlib.h>

bool mem_fits(const struct cs_mem *m, size_t n)
{
    return m->used <= m->cap && (uint64_t)n <= m->cap - m->used;
}

static bool mem_charge(struct cs_mem *m, size_t n)
{
    if (!mem_fits(m, n)) {
        m->cap_hits++;
        return false;
    }
    m->used += n;
    if (m->used > m->peak)
        m->peak = m->used;
    return true;
}

void *mem_calloc(struct cs_mem *m, size_t n, size_t size)
{
    if (n == 0 || size == 0)
        return NULL;
    if (n > SIZE_MAX / size) /* [ALLOC-MUL-OVERFLOW] */
        return NULL;
    size_t total = n * size;
    if (!mem_charge(m, total))
        return NULL;
    void *p = calloc(n, size);
    if (p == NULL)
        m->used -= total;
    return p;
}

void *mem_realloc(struct cs_mem *m, void *p, size_t old_size, size_t new_size)
{
    if (new_size == 0)
        return NULL;
    if (new_size > old_size && !mem_charge(m, new_size - old_size))
        return NULL;
    void *q = realloc(p, new_size);
    if (q == NULL) {
        if (new_size > old_size)
            m->used -= new_size - old_size;
        return NULL;
    }
    if (new_size < old_size)
        m->used -= old_size - new_size;
    return q;
}

void mem_free(struct cs_mem *m, void *p, size_t size)
{
    if (p == NULL)
        return;
    free(p);
    m->used = size <= m->used ? m->used - size : 0;
}
