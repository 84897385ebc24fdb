/* GeoIP / ASN enrichment with libmaxminddb: see geo.h. */
#include "geo.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <maxminddb.h>

struct geo {
    MMDB_s country;
    MMDB_s asn;
    bool has_country;
    bool has_asn;
};

static void set_err(char *err, size_t errlen, const char *path, const char *what,
                    const char *detail)
{
    if (err == NULL || errlen == 0)
        return;
    snprintf(err, errlen, "%s: %s%s%s", path, what, detail ? ": " : "", detail ? detail : "");
}

static bool open_one(const char *path, MMDB_s *db, char *err, size_t errlen)
{
    int st = MMDB_open(path, MMDB_MODE_MMAP, db);
    if (st == MMDB_SUCCESS)
        return true;
    if (st == MMDB_FILE_OPEN_ERROR)
        set_err(err, errlen, path, "cannot open", strerror(errno));
    else if (st == MMDB_IO_ERROR)
        set_err(err, errlen, path, "cannot map", strerror(errno));
    else
        set_err(err, errlen, path, "not a usable MaxMind DB", MMDB_strerror(st));
    return false;
}

struct geo *geo_open(const char *country_or_city_mmdb, const char *asn_mmdb, char *err,
                     size_t errlen)
{
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (country_or_city_mmdb == NULL && asn_mmdb == NULL) {
        set_err(err, errlen, "geo", "no database given", NULL);
        return NULL;
    }
    struct geo *g = calloc(1, sizeof *g);
    if (g == NULL) {
        set_err(err, errlen, country_or_city_mmdb ? country_or_city_mmdb : asn_mmdb,
                "out of memory", NULL);
        return NULL;
    }
    if (country_or_city_mmdb != NULL) {
        if (!open_one(country_or_city_mmdb, &g->country, err, errlen))
            goto fail;
        g->has_country = true;
    }
    if (asn_mmdb != NULL) {
        if (!open_one(asn_mmdb, &g->asn, err, errlen))
            goto fail;
        g->has_asn = true;
    }
    return g;
fail:
    geo_close(g);
    return NULL;
}

void geo_close(struct geo *g)
{
    if (g == NULL)
        return;
    if (g->has_country)
        MMDB_close(&g->country);
    if (g->has_asn)
        MMDB_close(&g->asn);
    free(g);
}

bool geo_has_country_db(const struct geo *g)
{
    return g != NULL && g->has_country;
}

bool geo_has_asn_db(const struct geo *g)
{
    return g != NULL && g->has_asn;
}

/* ::ffff:0:0/96 (RFC 4291 2.5.5.2) */
static bool is_v4_mapped(const uint8_t a[16])
{
    static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(a, pfx, sizeof pfx) == 0;
}

static bool lookup_entry(const MMDB_s *db, const struct cs_endpoint *ep, MMDB_entry_s *entry)
{
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    const struct sockaddr *sa;
    memset(&sin, 0, sizeof sin);
    memset(&sin6, 0, sizeof sin6);
    if (ep->family == 4 || (ep->family == 6 && is_v4_mapped(ep->addr))) {
        sin.sin_family = AF_INET;
        memcpy(&sin.sin_addr, ep->family == 4 ? ep->addr : ep->addr + 12, 4);
        sa = (const struct sockaddr *)&sin;
    } else if (ep->family == 6) {
        sin6.sin6_family = AF_INET6;
        memcpy(&sin6.sin6_addr, ep->addr, 16);
        sa = (const struct sockaddr *)&sin6;
    } else {
        return false;
    }
    int mmdb_err = MMDB_SUCCESS;
    /* An IPv6 address in an IPv4-only database comes back as
     * MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR: unknown, like a miss. */
    MMDB_lookup_result_s r = MMDB_lookup_sockaddr(db, sa, &mmdb_err);
    if (mmdb_err != MMDB_SUCCESS || !r.found_entry)
        return false;
    *entry = r.entry;
    return true;
}

static bool get_string(MMDB_entry_s *entry, const char *const *path, const char **s, size_t *n)
{
    MMDB_entry_data_s d;
    memset(&d, 0, sizeof d);
    if (MMDB_aget_value(entry, &d, path) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_UTF8_STRING)
        return false;
    *s = d.utf8_string;
    *n = d.data_size;
    return true;
}

static bool read_country(MMDB_entry_s *entry, char out[3])
{
    static const char *const paths[2][3] = {
        {"country", "iso_code", NULL},
        {"registered_country", "iso_code", NULL}, /* anycast / EU-wide blocks have only this */
    };
    for (size_t i = 0; i < 2; i++) {
        const char *s;
        size_t n;
        if (!get_string(entry, paths[i], &s, &n) || n != 2)
            continue;
        char a = s[0], b = s[1];
        if (a >= 'a' && a <= 'z')
            a = (char)(a - 'a' + 'A');
        if (b >= 'a' && b <= 'z')
            b = (char)(b - 'a' + 'A');
        if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z')
            continue;
        out[0] = a;
        out[1] = b;
        out[2] = '\0';
        return true;
    }
    return false;
}

static bool read_asn(MMDB_entry_s *entry, uint32_t *asn)
{
    static const char *const path[] = {"autonomous_system_number", NULL};
    MMDB_entry_data_s d;
    memset(&d, 0, sizeof d);
    if (MMDB_aget_value(entry, &d, path) != MMDB_SUCCESS || !d.has_data)
        return false;
    switch (d.type) {
    case MMDB_DATA_TYPE_UINT16:
        *asn = d.uint16;
        return true;
    case MMDB_DATA_TYPE_UINT32:
        *asn = d.uint32;
        return true;
    case MMDB_DATA_TYPE_UINT64:
        if (d.uint64 > UINT32_MAX)
            return false;
        *asn = (uint32_t)d.uint64;
        return true;
    case MMDB_DATA_TYPE_INT32:
        if (d.int32 < 0)
            return false;
        *asn = (uint32_t)d.int32;
        return true;
    default:
        return false;
    }
}

/* Copy a database string for use in evidence: controls become '?', and a
 * cut never leaves half a UTF-8 sequence at the end. */
static void copy_text(char *dst, size_t cap, const char *s, size_t n)
{
    size_t k = n < cap - 1 ? n : cap - 1;
    if (k < n) {
        /* back off continuation bytes (10xxxxxx) and the lead byte they follow */
        size_t j = k;
        while (j > 0 && ((unsigned char)s[j] & 0xc0) == 0x80)
            j--;
        k = j;
    }
    for (size_t i = 0; i < k; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    dst[k] = '\0';
}

void geo_lookup(const struct geo *g, const struct cs_endpoint *ep, struct geo_info *out)
{
    memset(out, 0, sizeof *out);
    if (g == NULL || ep == NULL)
        return;
    MMDB_entry_s e;
    if (g->has_country && lookup_entry(&g->country, ep, &e))
        out->has_country = read_country(&e, out->country);
    if (g->has_asn && lookup_entry(&g->asn, ep, &e) && read_asn(&e, &out->asn)) {
        static const char *const org_path[] = {"autonomous_system_organization", NULL};
        const char *s;
        size_t n;
        out->has_asn = true;
        if (get_string(&e, org_path, &s, &n))
            copy_text(out->as_org, sizeof out->as_org, s, n);
    }
}

void geo_info_str(const struct geo_info *gi, char *out, size_t cap)
{
    if (cap == 0)
        return;
    if (!gi->has_asn && !gi->has_country) {
        snprintf(out, cap, "location unknown");
        return;
    }
    char as[GEO_AS_ORG_MAX + 32];
    if (!gi->has_asn)
        snprintf(as, sizeof as, "ASN unknown");
    else if (gi->as_org[0] != '\0')
        snprintf(as, sizeof as, "AS%lu \"%s\"", (unsigned long)gi->asn, gi->as_org);
    else
        snprintf(as, sizeof as, "AS%lu", (unsigned long)gi->asn);
    snprintf(out, cap, "%s, %s", as, gi->has_country ? gi->country : "country unknown");
}

void geo_addr_str(const struct cs_endpoint *ep, char *out, size_t cap)
{
    char buf[INET6_ADDRSTRLEN];
    if (cap == 0)
        return;
    const char *r = NULL;
    if (ep->family == 4)
        r = inet_ntop(AF_INET, ep->addr, buf, sizeof buf);
    else if (ep->family == 6)
        r = inet_ntop(AF_INET6, ep->addr, buf, sizeof buf);
    snprintf(out, cap, "%s", r != NULL ? r : "?");
}
