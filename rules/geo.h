/* GeoIP / ASN enrichment of session endpoints with libmaxminddb.
 *
 * Two MaxMind DB files, either may be absent: a country (or city) database
 * in the GeoLite2-Country / GeoLite2-City layout, read at
 * country.iso_code (falling back to registered_country.iso_code), and an
 * ASN database in the GeoLite2-ASN layout, read at
 * autonomous_system_number / autonomous_system_organization. Both are
 * memory-mapped read-only (MMDB_MODE_MMAP) for the lifetime of the handle.
 *
 * The handle is immutable after geo_open(): geo_lookup() takes it const and
 * may be called from any number of threads at once. Nothing here prints,
 * allocates per lookup or touches a global. */
#ifndef CS_RULES_GEO_H
#define CS_RULES_GEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../sensor/certsensor.h"

#define GEO_AS_ORG_MAX 128  /* bytes kept of autonomous_system_organization, with NUL */
#define GEO_ADDR_STR_MAX 48 /* geo_addr_str() output, with NUL: enough for any IPv6 text */

struct geo;

struct geo_info {
    bool has_country;
    char country[3]; /* ISO 3166-1 alpha-2, upper case; "" when !has_country */
    bool has_asn;
    uint32_t asn;                /* 0 when !has_asn */
    char as_org[GEO_AS_ORG_MAX]; /* printable (controls replaced by '?'), may be "" even with
                                    has_asn; truncated on a UTF-8 character boundary */
};

/* Open the databases. Either path may be NULL, not both. On failure returns
 * NULL and writes "PATH: reason" into err (errlen bytes, always
 * NUL-terminated when errlen > 0). The files must stay in place while the
 * handle is open (they are mapped, not copied); replacing a file by rename
 * is safe, truncating it in place is not. */
struct geo *geo_open(const char *country_or_city_mmdb, const char *asn_mmdb, char *err,
                     size_t errlen);

/* Unmap and free. NULL is fine. */
void geo_close(struct geo *g);

/* true when that database was given to geo_open() */
bool geo_has_country_db(const struct geo *g);
bool geo_has_asn_db(const struct geo *g);

/* Look up one address. out is always fully written: fields are cleared and
 * has_country / has_asn say what was found. g == NULL, an address family
 * other than 4/6, an IPv6 address in an IPv4-only database, a miss or a
 * malformed record all simply leave the field unknown. An IPv4-mapped IPv6
 * address (::ffff:a.b.c.d) is looked up as the IPv4 address. */
void geo_lookup(const struct geo *g, const struct cs_endpoint *ep, struct geo_info *out);

/* "AS64500 \"Example Org\", US" / "AS64500, country unknown" /
 * "location unknown": for evidence texts. Always NUL-terminated (cap > 0). */
void geo_info_str(const struct geo_info *gi, char *out, size_t cap);

/* Address of ep as text (inet_ntop form, no port); "?" for an unknown family.
 * out should hold GEO_ADDR_STR_MAX bytes; shorter buffers truncate. */
void geo_addr_str(const struct cs_endpoint *ep, char *out, size_t cap);

#endif
