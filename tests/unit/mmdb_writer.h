/* A minimal MaxMind DB (format 2.0) writer for tests only.
 *
 * Written from the public specification (MaxMind-DB-spec.md): a binary
 * search tree over the 128-bit (ip_version 6) or 32-bit (ip_version 4)
 * address space with 24-, 28- or 32-bit records, 16 zero bytes, a data
 * section of typed fields (maps, UTF-8 strings, uint16/32/64), then
 * "\xab\xcd\xefMaxMind.com" and the metadata map.
 *
 * In an ip_version 6 tree an IPv4 network a.b.c.d/n is stored at
 * ::a.b.c.d/(96+n), where libmaxminddb looks IPv4 addresses up, and again
 * at ::ffff:a.b.c.d/(96+n) for IPv4-mapped lookups.
 *
 * Usage: mmdbw_new(), then for each network mmdbw_map()/mmdbw_str()/...
 * to encode its record (mmdbw_record_start() gives the record's offset),
 * mmdbw_insert() to point a network at it (or the helpers that do both),
 * then mmdbw_write() and mmdbw_free(). Errors are sticky: the first one is
 * kept in mmdbw_error() and every later call does nothing. Insert
 * shorter prefixes before longer ones inside them; an insert replaces
 * whatever was at exactly that prefix.
 *
 * Tests include this file's .c directly (the unit test rule links one
 * source file per test). */
#ifndef CS_TESTS_MMDB_WRITER_H
#define CS_TESTS_MMDB_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mmdbw;

/* ip_version 4 or 6; record_size 24, 28 or 32. NULL on bad arguments / OOM. */
struct mmdbw *mmdbw_new(unsigned ip_version, unsigned record_size, const char *database_type);
void mmdbw_free(struct mmdbw *w);

/* first error ("" when none) */
const char *mmdbw_error(const struct mmdbw *w);

/* Data section encoders. A record is one field, usually a map; a map of
 * n pairs is followed by n (key string, value) pairs. */
uint32_t mmdbw_record_start(struct mmdbw *w); /* offset of the next field */
void mmdbw_map(struct mmdbw *w, size_t pairs);
void mmdbw_array(struct mmdbw *w, size_t items);
void mmdbw_str(struct mmdbw *w, const char *s);
void mmdbw_bytes_str(struct mmdbw *w, const char *s, size_t n);
void mmdbw_u16(struct mmdbw *w, uint16_t v);
void mmdbw_u32(struct mmdbw *w, uint32_t v);
void mmdbw_u64(struct mmdbw *w, uint64_t v);

/* Point the network cidr ("10.0.0.0/8", "2001:db8::/32") at a record. */
bool mmdbw_insert(struct mmdbw *w, const char *cidr, uint32_t record);

/* {"country": {"iso_code": CC}} (GeoLite2-Country layout) */
bool mmdbw_add_country(struct mmdbw *w, const char *cidr, const char *cc);
/* {"autonomous_system_number": asn, "autonomous_system_organization": org} */
bool mmdbw_add_asn(struct mmdbw *w, const char *cidr, uint32_t asn, const char *org);

/* Serialise the whole file. */
bool mmdbw_write(struct mmdbw *w, const char *path);

#endif
