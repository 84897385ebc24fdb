/* certgen --mmdb: tiny MaxMind DB files for the GeoIP tests (see geodb.h).
 *
 * The writer is the unit tests' own (tests/unit/mmdb_writer.c, written from the
 * MaxMind DB specification and checked there against libmaxminddb); it is
 * included as a source file, as the unit tests do, because the Makefile builds
 * certgen from the files of tests/gen only. It defines its own `struct buf`, so this file
 * does not include util.h. */
#include "geodb.h"

#include "../unit/mmdb_writer.c"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEODB_MAX_ORG 128

static void geodb_usage(void)
{
    fputs("usage: certgen --mmdb OUT.mmdb country CIDR=CC...\n"
          "       certgen --mmdb OUT.mmdb asn CIDR=ASN:ORGANISATION...\n",
          stderr);
}

/* "64500:Example Net" -> 64500, "Example Net" */
static bool parse_asn(const char *v, uint32_t *asn, char *org, size_t orgsz)
{
    char *end = NULL;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (errno != 0 || end == v || *end != ':' || n == 0 || n > 0xffffffffUL || v[0] == '-')
        return false;
    int w = snprintf(org, orgsz, "%s", end + 1);
    if (w <= 0 || (size_t)w >= orgsz)
        return false;
    *asn = (uint32_t)n;
    return true;
}

int geodb_main(int argc, char **argv)
{
    if (argc < 5) {
        geodb_usage();
        return 2;
    }
    const char *out = argv[2], *kind = argv[3];
    bool country = strcmp(kind, "country") == 0;
    if (!country && strcmp(kind, "asn") != 0) {
        geodb_usage();
        return 2;
    }
    /* IPv6 tree, 28-bit records: IPv4 networks are also reachable as ::a.b.c.d and
     * ::ffff:a.b.c.d, like the GeoLite2 files */
    struct mmdbw *w = mmdbw_new(6, 28, country ? "GeoLite2-Country" : "GeoLite2-ASN");
    if (w == NULL) {
        fprintf(stderr, "certgen: --mmdb: out of memory\n");
        return 1;
    }
    int rc = 1;
    for (int i = 4; i < argc; i++) {
        char cidr[64];
        const char *eq = strchr(argv[i], '=');
        if (eq == NULL || (size_t)(eq - argv[i]) >= sizeof(cidr) || eq == argv[i]) {
            fprintf(stderr, "certgen: --mmdb: '%s': expected CIDR=VALUE\n", argv[i]);
            rc = 2;
            goto out;
        }
        memcpy(cidr, argv[i], (size_t)(eq - argv[i]));
        cidr[eq - argv[i]] = '\0';
        bool ok;
        if (country) {
            ok = strlen(eq + 1) == 2 && mmdbw_add_country(w, cidr, eq + 1);
        } else {
            uint32_t asn;
            char org[GEODB_MAX_ORG];
            ok = parse_asn(eq + 1, &asn, org, sizeof(org)) && mmdbw_add_asn(w, cidr, asn, org);
        }
        if (!ok) {
            fprintf(stderr, "certgen: --mmdb: '%s': invalid (%s)\n", argv[i],
                    mmdbw_error(w)[0] ? mmdbw_error(w) : "expected a 2-letter country or ASN:ORG");
            rc = 2;
            goto out;
        }
    }
    if (!mmdbw_write(w, out)) {
        fprintf(stderr, "certgen: --mmdb: %s: %s\n", out, mmdbw_error(w));
        goto out;
    }
    rc = 0;
out:
    mmdbw_free(w);
    return rc;
}
