/* The one allocator of the sensor: overflow-checked sizes and a memcap.
 * Every heap byte the library holds is charged here; a request over the
 * cap fails (NULL) and is counted, so callers degrade instead of dying. */
#ifndef CS_SENSOR_ALLOC_H
#define CS_SENSOR_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cs_mem {
    uint64_t cap;   /* bytes allowed */
    uint64_t used;  /* bytes charged now */
    uint64_t peak;
    uint64_t cap_hits;
};

/* n * size elements, zeroed; NULL on overflow, memcap or malloc failure. */
void *mem_calloc(struct cs_mem *m, size_t n, size_t size);
/* Resize p (of old_size bytes) to new_size bytes; contents kept; on failure
 * p is untouched and NULL is returned. */
void *mem_realloc(struct cs_mem *m, void *p, size_t old_size, size_t new_size);
/* Free p of size bytes; NULL is fine. */
void mem_free(struct cs_mem *m, void *p, size_t size);
/* true if n more bytes fit under the cap (no charge) */
bool mem_fits(const struct cs_mem *m, size_t n);

#endif
