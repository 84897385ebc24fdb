/* Certificate analyses cached by SHA-256 of the DER.
 *
 * Bounded to `max` entries; when full the least recently used entry is
 * replaced. A returned pointer stays valid until `max` further distinct
 * certificates have been looked up, so an event of up to max/2
 * certificates can hold all its pointers at once. */
#ifndef CS_SENSOR_CERTCACHE_H
#define CS_SENSOR_CERTCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "certsensor.h"

struct cert_cache;

struct cert_cache *certcache_new(struct cs_mem *mem, size_t max);
void certcache_free(struct cert_cache *cc);
/* Analysis of der (analysed and inserted on a miss). Never NULL; when
 * memory is exhausted `scratch` is filled and returned. *x509 is set to
 * the cached parsed certificate (OpenSSL X509 *), valid as long as the
 * returned analysis, or NULL. */
const struct cs_cert_info *certcache_get(struct cert_cache *cc, const uint8_t *der, size_t len,
                                         struct cs_cert_info *scratch, uint64_t *hits,
                                         uint64_t *misses, const void **x509);

#endif
