/* Unit tests for rules/geo.c (libmaxminddb lookups) and rules/geobind.c
 * (geographic binding rules).
 *
 * The MaxMind DB files are made at test time by tests/unit/mmdb_writer.c,
 * written from the public format specification; the writer's output is
 * checked with libmaxminddb itself (and with mmdblookup(1) from the Debian
 * package mmdb-bin when it is installed) before geo.c is tested on it.
 * Addresses are from the documentation ranges (RFC 5737, RFC 3849) and
 * private space; ASNs from the private / documentation ranges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <maxminddb.h>

#include "geo.h"
#include "geobind.h"

#include "mmdb_writer.c"
#include "rules_fixture.c"

static char tmpdir[512];
static char country_db[600], asn_db[600], v4_db[600];

/* 128 bytes of UTF-8 "é" (2 bytes each) after a control byte: 129 bytes */
static char long_org[160];

static void path_in(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

static void build_country_db(const char *path, unsigned record_size)
{
    struct mmdbw *w = mmdbw_new(6, record_size, "Test-Country");
    assert_non_null(w);
    assert_true(mmdbw_add_country(w, "10.0.0.0/8", "US"));
    assert_true(mmdbw_add_country(w, "10.9.0.0/16", "FR"));
    assert_true(mmdbw_add_country(w, "198.51.100.0/24", "ie")); /* lower case: normalised */
    assert_true(mmdbw_add_country(w, "203.0.113.0/24", "USA")); /* not alpha-2: ignored */
    /* registered_country only (GeoLite2 anycast / EU blocks) */
    uint32_t off = mmdbw_record_start(w);
    mmdbw_map(w, 1);
    mmdbw_str(w, "registered_country");
    mmdbw_map(w, 2);
    mmdbw_str(w, "geoname_id");
    mmdbw_u32(w, 2921044);
    mmdbw_str(w, "iso_code");
    mmdbw_str(w, "DE");
    assert_true(mmdbw_insert(w, "192.0.2.0/24", off));
    assert_true(mmdbw_add_country(w, "2001:db8::/32", "IE"));
    assert_true(mmdbw_add_country(w, "2001:db8:ff::/48", "JP"));
    assert_true(mmdbw_write(w, path));
    assert_string_equal(mmdbw_error(w), "");
    mmdbw_free(w);
}

static void build_asn_db(const char *path)
{
    struct mmdbw *w = mmdbw_new(6, 24, "Test-ASN");
    assert_non_null(w);
    assert_true(mmdbw_add_asn(w, "10.0.0.0/8", 64500, "Example Transit"));
    assert_true(mmdbw_add_asn(w, "10.9.0.0/16", 64501, "Other Net"));
    assert_true(mmdbw_add_asn(w, "2001:db8::/32", 64510, "V6 Org"));
    /* uint16 ASN and an awkward organisation name */
    uint32_t off = mmdbw_record_start(w);
    mmdbw_map(w, 2);
    mmdbw_str(w, "autonomous_system_number");
    mmdbw_u16(w, 65001);
    mmdbw_str(w, "autonomous_system_organization");
    mmdbw_str(w, long_org);
    assert_true(mmdbw_insert(w, "192.0.2.0/24", off));
    /* uint64 ASN, no organisation */
    off = mmdbw_record_start(w);
    mmdbw_map(w, 1);
    mmdbw_str(w, "autonomous_system_number");
    mmdbw_u64(w, 4200000000u);
    assert_true(mmdbw_insert(w, "198.51.100.0/24", off));
    /* a record without a number */
    off = mmdbw_record_start(w);
    mmdbw_map(w, 1);
    mmdbw_str(w, "autonomous_system_organization");
    mmdbw_str(w, "Nameless");
    assert_true(mmdbw_insert(w, "10.7.0.0/16", off));
    assert_true(mmdbw_write(w, path));
    mmdbw_free(w);
}

static int setup(void **state)
{
    (void)state;
    fx_mkdtemp(tmpdir, sizeof tmpdir);
    long_org[0] = '\x01';
    for (size_t i = 0; i < 64; i++)
        memcpy(long_org + 1 + 2 * i, "\xc3\xa9", 2);
    long_org[129] = '\0';
    path_in(country_db, sizeof country_db, "country.mmdb");
    path_in(asn_db, sizeof asn_db, "asn.mmdb");
    path_in(v4_db, sizeof v4_db, "v4.mmdb");
    build_country_db(country_db, 28);
    build_asn_db(asn_db);
    struct mmdbw *w = mmdbw_new(4, 32, "Test-ASN-v4");
    assert_non_null(w);
    assert_true(mmdbw_add_asn(w, "10.0.0.0/8", 64500, "Example Transit"));
    assert_true(mmdbw_write(w, v4_db));
    mmdbw_free(w);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fx_rmdir(tmpdir);
    return 0;
}

/* ---- the writer, checked with libmaxminddb ------------------------------ */

static void expect_mmdb_string(MMDB_s *db, const char *ip, const char *k1, const char *k2,
                               const char *want)
{
    int gai = 0, merr = 0;
    MMDB_lookup_result_s r = MMDB_lookup_string(db, ip, &gai, &merr);
    assert_int_equal(gai, 0);
    assert_int_equal(merr, MMDB_SUCCESS);
    if (want == NULL) {
        assert_false(r.found_entry);
        return;
    }
    assert_true(r.found_entry);
    MMDB_entry_data_s d;
    assert_int_equal(MMDB_get_value(&r.entry, &d, k1, k2, NULL), MMDB_SUCCESS);
    assert_true(d.has_data);
    assert_int_equal(d.type, MMDB_DATA_TYPE_UTF8_STRING);
    assert_int_equal(d.data_size, strlen(want));
    assert_memory_equal(d.utf8_string, want, d.data_size);
}

static void test_writer_record_sizes(void **state)
{
    (void)state;
    static const unsigned sizes[] = {24, 28, 32};
    for (size_t i = 0; i < 3; i++) {
        char p[600];
        char name[32];
        snprintf(name, sizeof name, "rs%u.mmdb", sizes[i]);
        path_in(p, sizeof p, name);
        build_country_db(p, sizes[i]);
        MMDB_s db;
        assert_int_equal(MMDB_open(p, MMDB_MODE_MMAP, &db), MMDB_SUCCESS);
        assert_int_equal(db.metadata.record_size, sizes[i]);
        assert_int_equal(db.metadata.ip_version, 6);
        assert_int_equal(db.metadata.binary_format_major_version, 2);
        assert_string_equal(db.metadata.database_type, "Test-Country");
        assert_int_equal(db.metadata.languages.count, 1);
        assert_string_equal(db.metadata.languages.names[0], "en");
        expect_mmdb_string(&db, "10.1.2.3", "country", "iso_code", "US");
        expect_mmdb_string(&db, "10.9.200.1", "country", "iso_code", "FR");
        expect_mmdb_string(&db, "10.255.255.255", "country", "iso_code", "US");
        expect_mmdb_string(&db, "::ffff:10.9.0.1", "country", "iso_code", "FR");
        expect_mmdb_string(&db, "2001:db8:1::1", "country", "iso_code", "IE");
        expect_mmdb_string(&db, "2001:db8:ff:1::1", "country", "iso_code", "JP");
        expect_mmdb_string(&db, "192.0.2.9", "registered_country", "iso_code", "DE");
        expect_mmdb_string(&db, "11.0.0.1", NULL, NULL, NULL);
        expect_mmdb_string(&db, "9.255.255.255", NULL, NULL, NULL);
        expect_mmdb_string(&db, "2001:db9::1", NULL, NULL, NULL);
        MMDB_close(&db);
    }
}

/* Record values above 2^24 exercise the high nibbles of 28-bit records and
 * the full width of 32-bit ones; 24-bit records cannot hold them. */
static void test_writer_large_offsets(void **state)
{
    (void)state;
    static const unsigned sizes[] = {28, 32, 24};
    size_t pad_n = 16800000; /* one string field, the format allows up to 16843036 */
    char *pad = malloc(pad_n + 1);
    assert_non_null(pad);
    memset(pad, 'x', pad_n);
    pad[pad_n] = '\0';
    for (size_t i = 0; i < 3; i++) {
        char p[600];
        path_in(p, sizeof p, "large.mmdb");
        struct mmdbw *w = mmdbw_new(6, sizes[i], "Test-Large");
        assert_non_null(w);
        assert_true(mmdbw_add_country(w, "10.0.0.0/8", "US"));
        mmdbw_str(w, pad); /* unreferenced */
        assert_true(mmdbw_record_start(w) > (1u << 24));
        assert_true(mmdbw_add_country(w, "2001:db8::/32", "NZ"));
        if (sizes[i] == 24) {
            assert_false(mmdbw_write(w, p));
            assert_non_null(strstr(mmdbw_error(w), "does not fit"));
            mmdbw_free(w);
            continue;
        }
        assert_true(mmdbw_write(w, p));
        mmdbw_free(w);
        MMDB_s db;
        assert_int_equal(MMDB_open(p, MMDB_MODE_MMAP, &db), MMDB_SUCCESS);
        expect_mmdb_string(&db, "10.3.3.3", "country", "iso_code", "US");
        expect_mmdb_string(&db, "2001:db8::5", "country", "iso_code", "NZ");
        MMDB_close(&db);
        unlink(p);
    }
    free(pad);
}

static void test_writer_ipv4_database(void **state)
{
    (void)state;
    MMDB_s db;
    assert_int_equal(MMDB_open(v4_db, MMDB_MODE_MMAP, &db), MMDB_SUCCESS);
    assert_int_equal(db.metadata.ip_version, 4);
    assert_int_equal(db.metadata.record_size, 32);
    int gai = 0, merr = 0;
    MMDB_lookup_result_s r = MMDB_lookup_string(&db, "10.4.4.4", &gai, &merr);
    assert_int_equal(merr, MMDB_SUCCESS);
    assert_true(r.found_entry);
    MMDB_entry_data_s d;
    assert_int_equal(MMDB_get_value(&r.entry, &d, "autonomous_system_number", NULL), MMDB_SUCCESS);
    assert_int_equal(d.type, MMDB_DATA_TYPE_UINT32);
    assert_int_equal(d.uint32, 64500);
    r = MMDB_lookup_string(&db, "2001:db8::1", &gai, &merr);
    assert_int_equal(merr, MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR);
    MMDB_close(&db);

    struct mmdbw *w = mmdbw_new(4, 24, "x");
    assert_false(mmdbw_insert(w, "2001:db8::/32", 0));
    assert_non_null(strstr(mmdbw_error(w), "IPv6 network"));
    mmdbw_free(w);
}

/* mmdblookup(1), when installed, reads the same files the same way */
static void test_writer_mmdblookup(void **state)
{
    (void)state;
    if (system("command -v mmdblookup >/dev/null 2>&1") != 0) {
        print_message("mmdblookup not installed (Debian mmdb-bin): cross-check skipped\n");
        return;
    }
    static const struct {
        const char *db, *ip, *path, *want;
    } cases[] = {
        {country_db, "10.1.2.3", "country iso_code", "\"US\" <utf8_string>"},
        {country_db, "10.9.0.1", "country iso_code", "\"FR\" <utf8_string>"},
        {country_db, "2001:db8:ff::7", "country iso_code", "\"JP\" <utf8_string>"},
        {country_db, "2001:db8::7", "country iso_code", "\"IE\" <utf8_string>"},
        {asn_db, "10.200.0.1", "autonomous_system_number", "64500 <uint32>"},
        {asn_db, "2001:db8::1", "autonomous_system_organization", "\"V6 Org\" <utf8_string>"},
        {asn_db, "198.51.100.1", "autonomous_system_number", "4200000000 <uint64>"},
        {v4_db, "10.0.0.1", "autonomous_system_number", "64500 <uint32>"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char cmd[1400], out[512] = "";
        snprintf(cmd, sizeof cmd, "mmdblookup --file '%s' --ip %s %s 2>&1", cases[i].db,
                 cases[i].ip, cases[i].path);
        FILE *fp = popen(cmd, "r");
        assert_non_null(fp);
        size_t n = fread(out, 1, sizeof out - 1, fp);
        out[n] = '\0';
        assert_int_equal(pclose(fp), 0);
        if (strstr(out, cases[i].want) == NULL)
            fail_msg("%s: got '%s', want '%s'", cmd, out, cases[i].want);
    }
}

/* ---- geo_open / geo_lookup -------------------------------------------- */

static void test_geo_open_errors(void **state)
{
    (void)state;
    char err[512];
    char missing[600], garbage[600];
    path_in(missing, sizeof missing, "missing.mmdb");
    path_in(garbage, sizeof garbage, "garbage.mmdb");

    assert_null(geo_open(NULL, NULL, err, sizeof err));
    assert_non_null(strstr(err, "no database"));

    assert_null(geo_open(missing, NULL, err, sizeof err));
    assert_non_null(strstr(err, missing));
    assert_non_null(strstr(err, "No such file"));

    /* a good country file but a bad ASN file: the error names the bad one */
    assert_null(geo_open(country_db, missing, err, sizeof err));
    assert_non_null(strstr(err, missing));

    FILE *fp = fopen(garbage, "wb");
    assert_non_null(fp);
    for (int i = 0; i < 1000; i++)
        fputc(i * 7, fp);
    fclose(fp);
    assert_null(geo_open(NULL, garbage, err, sizeof err));
    assert_non_null(strstr(err, garbage));
    assert_non_null(strstr(err, "not a usable MaxMind DB"));

    /* a tiny err buffer is still terminated; NULL err is fine */
    char small[8];
    assert_null(geo_open(missing, NULL, small, sizeof small));
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_null(geo_open(missing, NULL, NULL, 0));

    struct geo *g = geo_open(country_db, NULL, err, sizeof err);
    assert_non_null(g);
    assert_string_equal(err, "");
    assert_true(geo_has_country_db(g));
    assert_false(geo_has_asn_db(g));
    geo_close(g);
    geo_close(NULL);
}

static struct geo_info lookup(const struct geo *g, const char *ip)
{
    struct cs_endpoint ep;
    struct geo_info gi;
    fx_endpoint(&ep, ip, 443);
    memset(&gi, 0x5a, sizeof gi); /* everything must be written */
    geo_lookup(g, &ep, &gi);
    return gi;
}

static void test_geo_lookup(void **state)
{
    (void)state;
    char err[512];
    struct geo *g = geo_open(country_db, asn_db, err, sizeof err);
    assert_non_null(g);

    struct geo_info gi = lookup(g, "10.1.2.3");
    assert_true(gi.has_country);
    assert_string_equal(gi.country, "US");
    assert_true(gi.has_asn);
    assert_int_equal(gi.asn, 64500);
    assert_string_equal(gi.as_org, "Example Transit");

    gi = lookup(g, "10.9.3.4"); /* the more specific network wins */
    assert_string_equal(gi.country, "FR");
    assert_int_equal(gi.asn, 64501);

    gi = lookup(g, "::ffff:10.9.3.4"); /* IPv4-mapped: looked up as IPv4 */
    assert_string_equal(gi.country, "FR");
    assert_int_equal(gi.asn, 64501);

    gi = lookup(g, "2001:db8:1234::1"); /* IPv6 */
    assert_true(gi.has_country);
    assert_string_equal(gi.country, "IE");
    assert_true(gi.has_asn);
    assert_int_equal(gi.asn, 64510);
    assert_string_equal(gi.as_org, "V6 Org");

    gi = lookup(g, "2001:db8:ff::9");
    assert_string_equal(gi.country, "JP");
    assert_int_equal(gi.asn, 64510);

    gi = lookup(g, "192.0.2.77"); /* registered_country fallback; uint16 ASN */
    assert_true(gi.has_country);
    assert_string_equal(gi.country, "DE");
    assert_true(gi.has_asn);
    assert_int_equal(gi.asn, 65001);
    /* control byte replaced, cut at 127 bytes without splitting "é" */
    assert_int_equal(gi.as_org[0], '?');
    assert_int_equal(strlen(gi.as_org), 1 + 2 * 63);
    assert_memory_equal(gi.as_org + strlen(gi.as_org) - 2, "\xc3\xa9", 2);

    gi = lookup(g, "198.51.100.5"); /* lower-case code; uint64 ASN; no org */
    assert_string_equal(gi.country, "IE");
    assert_int_equal(gi.asn, 4200000000u);
    assert_string_equal(gi.as_org, "");

    gi = lookup(g, "203.0.113.1"); /* "USA" is not a country code */
    assert_false(gi.has_country);
    assert_string_equal(gi.country, "");
    assert_false(gi.has_asn);

    gi = lookup(g, "10.7.1.1"); /* ASN record without a number */
    assert_true(gi.has_country);
    assert_false(gi.has_asn);
    assert_int_equal(gi.asn, 0);
    assert_string_equal(gi.as_org, "");

    gi = lookup(g, "172.16.0.1"); /* miss */
    assert_false(gi.has_country);
    assert_false(gi.has_asn);
    gi = lookup(g, "2001:db9::1");
    assert_false(gi.has_country);
    assert_false(gi.has_asn);

    struct cs_endpoint bad;
    memset(&bad, 0, sizeof bad);
    bad.family = 5;
    geo_lookup(g, &bad, &gi);
    assert_false(gi.has_country);
    assert_false(gi.has_asn);
    geo_close(g);

    /* no handle: unknown */
    gi = lookup(NULL, "10.1.2.3");
    assert_false(gi.has_country);
    assert_false(gi.has_asn);

    /* ASN only, IPv4-only database: IPv6 is unknown, not an error */
    g = geo_open(NULL, v4_db, err, sizeof err);
    assert_non_null(g);
    gi = lookup(g, "10.1.2.3");
    assert_false(gi.has_country);
    assert_true(gi.has_asn);
    assert_int_equal(gi.asn, 64500);
    gi = lookup(g, "2001:db8::1");
    assert_false(gi.has_asn);
    gi = lookup(g, "::ffff:10.1.2.3");
    assert_true(gi.has_asn);
    geo_close(g);
}

static void test_geo_strings(void **state)
{
    (void)state;
    char buf[256];
    struct geo_info gi;
    memset(&gi, 0, sizeof gi);
    geo_info_str(&gi, buf, sizeof buf);
    assert_string_equal(buf, "location unknown");
    gi.has_asn = true;
    gi.asn = 64500;
    geo_info_str(&gi, buf, sizeof buf);
    assert_string_equal(buf, "AS64500, country unknown");
    snprintf(gi.as_org, sizeof gi.as_org, "Example");
    gi.has_country = true;
    memcpy(gi.country, "US", 3);
    geo_info_str(&gi, buf, sizeof buf);
    assert_string_equal(buf, "AS64500 \"Example\", US");
    gi.has_asn = false;
    geo_info_str(&gi, buf, sizeof buf);
    assert_string_equal(buf, "ASN unknown, US");

    struct cs_endpoint ep;
    fx_endpoint(&ep, "2001:db8:0:0:0:0:0:1", 1);
    geo_addr_str(&ep, buf, sizeof buf);
    assert_string_equal(buf, "2001:db8::1");
    fx_endpoint(&ep, "192.0.2.1", 1);
    geo_addr_str(&ep, buf, sizeof buf);
    assert_string_equal(buf, "192.0.2.1");
    ep.family = 0;
    geo_addr_str(&ep, buf, sizeof buf);
    assert_string_equal(buf, "?");
}

/* ---- geobind: parsing --------------------------------------------------- */

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
/* spki of fx_info(seed 0x11) = 32 x 0xb4 */
#define SPKI_11                                                                                    \
    "B4:B4:B4:B4:B4:B4:B4:B4:B4:B4:B4:B4:B4:B4:B4:B4:B4:B4:B4:B4:B4:B4:B4:B4:"                     \
    "B4:B4:B4:B4:B4:B4:B4:B4"

static void test_geobind_parse_ok(void **state)
{
    (void)state;
    static const char text[] =
        "# binding rules\n"
        "\n"
        "sha256:" SHA_A " server allow-asn 64500,AS64501 allow-country US,ie\n"
        "  spki:" SPKI_11 " client allow-country FR strict   # trailing comment\r\n"
        "subject:\"CN=Payroll \\\"Prod\\\" \\\\ x\" any allow-asn as8075\n"
        "issuer:\"O=Example CA\" server strict allow-asn 16509\n"
        "\t# indented comment\n"
        "sha256:" SHA_B " any allow-asn 4294967295"; /* no final newline */
    char err[256] = "x";
    struct geobind *gb = geobind_load_buf("rules/geo.rules", text, strlen(text), err, sizeof err);
    if (gb == NULL)
        fail_msg("%s", err);
    assert_string_equal(err, "");
    assert_int_equal(geobind_count(gb), 5);
    geobind_free(gb);

    gb = geobind_load_buf("empty", "", 0, err, sizeof err);
    assert_non_null(gb);
    assert_int_equal(geobind_count(gb), 0);
    geobind_free(gb);
    gb = geobind_load_buf("null", NULL, 0, err, sizeof err);
    assert_non_null(gb);
    geobind_free(gb);
    geobind_free(NULL);
    assert_int_equal(geobind_count(NULL), 0);
}

static void test_geobind_parse_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *want; /* full message after "bad.rules:" */
    } cases[] = {
        {"sha256:" SHA_A " server allow-asn 1\nsha256:abc server allow-asn 1\n",
         "2: invalid sha256 thumbprint (3 hex digits), expected 64"},
        {"spki:" SHA_A "a server allow-asn 1\n",
         "1: invalid spki thumbprint (65 hex digits), expected 64"},
        {"sha256:" SHA_A "zz server allow-asn 1\n", "1: invalid thumbprint: not hexadecimal"},
        {"md5:abc server allow-asn 1\n",
         "1: unknown certificate match, expected sha256:<hex>, spki:<hex>, subject:\"...\" or "
         "issuer:\"...\""},
        {"\n\nsubject:CN=x server allow-asn 1\n",
         "3: expected a quoted string after subject: / issuer:"},
        {"subject:\"CN=x server allow-asn 1\n",
         "1: unterminated quoted string, expected a closing '\"'"},
        {"subject:\"\" server allow-asn 1\n",
         "1: empty quoted string, expected some text to match"},
        {"subject:\"a\\nb\" server allow-asn 1\n",
         "1: bad escape in quoted string, expected \\\" or \\\\"},
        {"issuer:\"x\"server allow-asn 1\n",
         "1: text right after the closing quote, expected a space"},
        {"sha256:" SHA_A "\n", "1: missing role, expected server, client or any"},
        {"sha256:" SHA_A " both allow-asn 1\n",
         "1: unknown role 'both', expected server, client or any"},
        {"sha256:" SHA_A " server\n",
         "1: rule allows nothing, expected allow-asn and/or allow-country"},
        {"sha256:" SHA_A " server strict\n",
         "1: rule allows nothing, expected allow-asn and/or allow-country"},
        {"sha256:" SHA_A " server allow-asn\n",
         "1: allow-asn without a list, expected e.g. 8075,16509"},
        {"sha256:" SHA_A " server allow-country\n",
         "1: allow-country without a list, expected e.g. US,IE"},
        {"sha256:" SHA_A " server allow-asn 1,,2\n",
         "1: invalid ASN '', expected a number from 1 to 4294967295 (AS prefix optional)"},
        {"sha256:" SHA_A " server allow-asn 4294967296\n",
         "1: invalid ASN '4294967296', expected a number from 1 to 4294967295 (AS prefix "
         "optional)"},
        {"sha256:" SHA_A " server allow-asn 0\n",
         "1: invalid ASN '0', expected a number from 1 to 4294967295 (AS prefix optional)"},
        {"sha256:" SHA_A " server allow-asn AS\n",
         "1: invalid ASN 'AS', expected a number from 1 to 4294967295 (AS prefix optional)"},
        {"sha256:" SHA_A " server allow-country USA\n",
         "1: invalid country 'USA', expected a two-letter ISO 3166-1 code"},
        {"sha256:" SHA_A " server allow-country U1\n",
         "1: invalid country 'U1', expected a two-letter ISO 3166-1 code"},
        {"sha256:" SHA_A " server allow-asn 1 allow-asn 2\n", "1: allow-asn given twice"},
        {"sha256:" SHA_A " server allow-country US allow-country FR\n",
         "1: allow-country given twice"},
        {"sha256:" SHA_A " server allow-asn 1 strict strict\n", "1: strict given twice"},
        {"sha256:" SHA_A " server allow-asn 1 deny-asn 2\n",
         "1: unknown option 'deny-asn', expected allow-asn, allow-country or strict"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512] = "";
        struct geobind *gb =
            geobind_load_buf("bad.rules", cases[i].text, strlen(cases[i].text), err, sizeof err);
        char want[512];
        snprintf(want, sizeof want, "bad.rules:%s", cases[i].want);
        if (gb != NULL || strcmp(err, want) != 0)
            fail_msg("case %zu: got '%s', want '%s'", i, err, want);
    }

    /* 65 ASNs */
    char text[1024];
    size_t k = (size_t)snprintf(text, sizeof text, "sha256:%s server allow-asn 1", SHA_A);
    for (int i = 2; i <= 65; i++)
        k += (size_t)snprintf(text + k, sizeof text - k, ",%d", i);
    snprintf(text + k, sizeof text - k, "\n");
    char err[512];
    assert_null(geobind_load_buf("many", text, strlen(text), err, sizeof err));
    assert_string_equal(err, "many:1: more than 64 ASNs in one rule");

    /* an over-long line, a NUL byte */
    size_t big = GEOBIND_MAX_LINE + 10;
    char *long_line = malloc(big);
    assert_non_null(long_line);
    memset(long_line, ' ', big);
    assert_null(geobind_load_buf("long", long_line, big, err, sizeof err));
    assert_string_equal(err, "long:1: line longer than 4096 bytes");
    free(long_line);
    static const char nul[] = "# ok\nsha256:\0 server allow-asn 1\n";
    assert_null(geobind_load_buf("nul", nul, sizeof nul - 1, err, sizeof err));
    assert_string_equal(err, "nul:2: NUL byte in line, expected text");

    /* files */
    char missing[600];
    path_in(missing, sizeof missing, "no-such.rules");
    assert_null(geobind_load_file(missing, err, sizeof err));
    assert_non_null(strstr(err, missing));
    assert_non_null(strstr(err, "No such file"));
    char good[600];
    path_in(good, sizeof good, "good.rules");
    FILE *fp = fopen(good, "w");
    assert_non_null(fp);
    fprintf(fp, "sha256:%s server allow-asn 64500\nsha256:%s server allow-asn x\n", SHA_A, SHA_B);
    fclose(fp);
    assert_null(geobind_load_file(good, err, sizeof err));
    char want[700];
    snprintf(want, sizeof want,
             "%s:2: invalid ASN 'x', expected a number from 1 to 4294967295 (AS prefix optional)",
             good);
    assert_string_equal(err, want);
}

/* ---- geobind: checks ------------------------------------------------------ */

static struct geobind *load_rules(const char *text)
{
    char err[512];
    struct geobind *gb = geobind_load_buf("t.rules", text, strlen(text), err, sizeof err);
    if (gb == NULL)
        fail_msg("%s", err);
    return gb;
}

/* server cert A (seed 0xaa) bound to AS64500 */
static void test_geobind_server(void **state)
{
    (void)state;
    char err[512];
    struct geo *g = geo_open(country_db, asn_db, err, sizeof err);
    assert_non_null(g);
    struct geobind *gb = load_rules("# header\nsha256:" SHA_A " server allow-asn 64500\n");
    static struct cs_cert_info leaf, other;
    fx_info(&leaf, 0xaa, "CN=app.example", "CN=Example CA");
    fx_info(&other, 0x22, "CN=other.example", "CN=Example CA");
    struct cs_tls t;
    struct fx_sink s;

    /* inside: silent */
    fx_tls(&t, "10.9.1.1", "10.1.2.3", 443, "app.example", 1000);
    fx_add_server_cert(&t, &leaf);
    fx_sink_init(&s);
    geobind_check(gb, g, &t, &s.out);
    assert_int_equal(s.n, 0);

    /* outside: one alert with everything named */
    fx_tls(&t, "10.1.2.3", "10.9.1.1", 443, "app.example", 2000);
    fx_add_server_cert(&t, &leaf);
    fx_sink_init(&s);
    geobind_check(gb, g, &t, &s.out);
    assert_int_equal(s.n, 1);
    const struct fx_alert *a = &s.a[0];
    assert_string_equal(a->check, "geo.binding");
    assert_string_equal(a->category, "mitm");
    assert_int_equal(a->severity, 1);
    assert_int_equal(a->sid, GEOBIND_SID);
    assert_int_equal(a->rev, 1);
    assert_string_equal(a->role, "server");
    assert_int_equal(a->chain_index, 0);
    assert_ptr_equal(a->cert, &t.server_certs[0]);
    assert_string_equal(a->source, "t.rules:2");
    assert_string_equal(a->evidence,
                        "server certificate sha256 " SHA_A " (subject CN=app.example) presented "
                        "by server 10.9.1.1 (AS64501 \"Other Net\", FR), outside the allowed "
                        "set; allowed: asn 64500");

    /* a certificate the rule does not name: silent */
    fx_tls(&t, "10.1.2.3", "10.9.1.1", 443, "app.example", 3000);
    fx_add_server_cert(&t, &other);
    fx_sink_init(&s);
    geobind_check(gb, g, &t, &s.out);
    assert_int_equal(s.n, 0);

    /* the same certificate as a CLIENT certificate: a server rule does not apply */
    fx_tls(&t, "10.9.1.1", "10.9.1.2", 443, NULL, 4000);
    fx_add_client_cert(&t, &leaf);
    fx_sink_init(&s);
    geobind_check(gb, g, &t, &s.out);
    assert_int_equal(s.n, 0);

    /* IPv6 server outside */
    fx_tls(&t, "10.1.2.3", "2001:db8::443", 443, "app.example", 5000);
    fx_add_server_cert(&t, &leaf);
    fx_sink_init(&s);
    geobind_check(gb, g, &t, &s.out);
    assert_int_equal(s.n, 1);
    assert_non_null(strstr(s.a[0].evidence, "server 2001:db8::443 (AS64510 \"V6 Org\", IE)"));

    /* no check_out / NULL sink: nothing happens */
    geobind_check(gb, g, &t, NULL);
    geobind_check(NULL, g, &t, &s.out);
    geobind_free(gb);
    geo_close(g);
}

/* a client certificate's binding applies to the client address */
static void test_geobind_client_and_any(void **state)
{
    (void)state;
    char err[512];
    struct geo *g = geo_open(country_db, asn_db, err, sizeof err);
    assert_non_null(g);
    struct geobind *gb = load_rules("spki:" SPKI_11 " client allow-country FR\n"
                                    "subject:\"cn=ANY.example\" any allow-country US\n");
    static struct cs_cert_info cli, anyc;
    fx_info(&cli, 0x11, "CN=alice", "CN=Corp CA");
    fx_info(&anyc, 0x33, "O=x, CN=any.example", "CN=Corp CA");
    struct cs_tls t;
    struct fx_sink s;

    /* client in FR (10.9/16), server in US: fine */
    fx_tls(&t, "10.9.1.1", "10.1.2.3", 443, NULL, 1);
    fx_add_client_cert(&t, &cli);
    fx_sink_init(&s);
    geobind_check(gb, g, &t, &s.out);
    assert_int_equal(s.n, 0);

    /* client in US: alert about the client address */
    fx_tls(&t, "10.1.2.3", "10.9.1.1", 443, NULL, 2);
    fx_add_client_cert(&t, &cli);
    fx_sink_init(&s);
    geobind_check(gb, g, &t, &s.out);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.a[0].role, "client");
    assert_string_equal(s.a[0].source, "t.rules:1");
    assert_ptr_equal(s.a[0].cert, &t.client_certs[0]);
    assert_non_null(strstr(s.a[0].evidence, "client certificate sha256 1111"));
    assert_non_null(strstr(s.a[0].evidence, "presented from client 10.1.2.3 (AS64500 "
                                            "\"Example Transit\", US)"));
    assert_non_null(strstr(s.a[0].evidence, "allowed: country FR"));

    /* "any": as a server certificate from FR -> alert (server role) ... */
    fx_tls(&t, "10.1.2.3", "10.9.1.1", 443, NULL, 3);
    fx_add_server_cert(&t, &anyc);
    fx_sink_init(&s);
    geobind_check(gb, g, &t, &s.out);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.a[0].role, "server");
    assert_string_equal(s.a[0].source, "t.rules:2");
    /* ... and as a client certificate from FR -> alert (client role); as
     * an intermediate (chain index 1) in the client chain */
    fx_tls(&t, "10.9.1.1", "10.1.2.3", 443, NULL, 4);
    fx_add_client_cert(&t, &cli);
    fx_add_client_cert(&t, &anyc);
    fx_sink_init(&s);
    geobind_check(gb, g, &t, &s.out);
    assert_int_equal(s.n, 1); /* rule 1 is satisfied (FR), rule 2 is not */
    assert_string_equal(s.a[0].role, "client");
    assert_int_equal(s.a[0].chain_index, 1);
    assert_string_equal(s.a[0].source, "t.rules:2");
    /* both chains in one session, both violated: two alerts */
    fx_tls(&t, "10.9.1.1", "10.9.1.2", 443, NULL, 5);
    fx_add_server_cert(&t, &anyc);
    fx_add_client_cert(&t, &anyc);
    fx_sink_init(&s);
    geobind_check(gb, g, &t, &s.out);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.a[0].role, "server");
    assert_string_equal(s.a[1].role, "client");
    geobind_free(gb);
    geo_close(g);
}

/* allow-asn and allow-country are a union; one alert per rule per chain */
static void test_geobind_union_and_once(void **state)
{
    (void)state;
    char err[512];
    struct geo *g = geo_open(country_db, asn_db, err, sizeof err);
    assert_non_null(g);
    struct geobind *gb =
        load_rules("issuer:\"example ca\" server allow-asn 64999 allow-country FR,JP\n");
    static struct cs_cert_info leaf, inter;
    fx_info(&leaf, 0x44, "CN=a", "CN=Example CA");
    fx_info(&inter, 0x45, "CN=Example CA", "CN=Example CA");
    struct cs_tls t;
    struct fx_sink s;

    /* ASN not listed but the country is: inside */
    fx_tls(&t, "10.1.2.3", "10.9.9.9", 443, NULL, 1);
    fx_add_server_cert(&t, &leaf);
    fx_add_server_cert(&t, &inter);
    fx_sink_init(&s);
    geobind_check(gb, g, &t, &s.out);
    assert_int_equal(s.n, 0);

    /* neither: one alert although both certificates match the issuer */
    fx_tls(&t, "10.1.2.3", "10.1.2.4", 443, NULL, 2);
    fx_add_server_cert(&t, &leaf);
    fx_add_server_cert(&t, &inter);
    fx_sink_init(&s);
    geobind_check(gb, g, &t, &s.out);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.a[0].chain_index, 0);
    assert_non_null(strstr(s.a[0].evidence, "allowed: asn 64999; country FR,JP"));

    /* an unparsed certificate never matches a subject/issuer rule */
    static struct cs_cert_info raw;
    fx_info(&raw, 0x46, NULL, NULL);
    fx_tls(&t, "10.1.2.3", "10.1.2.4", 443, NULL, 3);
    fx_add_server_cert(&t, &raw);
    fx_sink_init(&s);
    geobind_check(gb, g, &t, &s.out);
    assert_int_equal(s.n, 0);
    geobind_free(gb);
    geo_close(g);
}

/* unknown location: only strict rules alert */
static void test_geobind_strict_unknown(void **state)
{
    (void)state;
    char err[512];
    struct geo *g = geo_open(country_db, asn_db, err, sizeof err);
    assert_non_null(g);
    struct geobind *gb = load_rules("sha256:" SHA_A " server allow-asn 64500\n"
                                    "sha256:" SHA_A " server allow-asn 64500 strict\n"
                                    "sha256:" SHA_A " server allow-asn 64501 allow-country FR\n");
    static struct cs_cert_info leaf;
    fx_info(&leaf, 0xaa, "CN=app.example", "CN=Example CA");
    struct cs_tls t;
    struct fx_sink s;

    /* 172.16.0.1 is in neither database */
    fx_tls(&t, "10.1.2.3", "172.16.0.1", 443, NULL, 1);
    fx_add_server_cert(&t, &leaf);
    fx_sink_init(&s);
    geobind_check(gb, g, &t, &s.out);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.a[0].source, "t.rules:2");
    assert_non_null(strstr(s.a[0].evidence, "172.16.0.1 (location unknown), location "
                                            "undetermined; allowed: asn 64500 (strict)"));

    /* without any database handle: the same */
    fx_sink_init(&s);
    geobind_check(gb, NULL, &t, &s.out);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.a[0].source, "t.rules:2");

    /* 10.7.0.0/16: country US known, ASN unknown. Rule 3 lists both: the
     * known country does not match, the ASN might: undetermined, silent
     * (not strict). Rules 1 and 2 list only the ASN: undetermined, rule 2
     * alerts. */
    fx_tls(&t, "10.1.2.3", "10.7.0.1", 443, NULL, 2);
    fx_add_server_cert(&t, &leaf);
    fx_sink_init(&s);
    geobind_check(gb, g, &t, &s.out);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.a[0].source, "t.rules:2");

    /* 10.1.2.3 (AS64500, US): rules 1-2 inside, rule 3 outside */
    fx_tls(&t, "10.9.1.1", "10.1.2.3", 443, NULL, 3);
    fx_add_server_cert(&t, &leaf);
    fx_sink_init(&s);
    geobind_check(gb, g, &t, &s.out);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.a[0].source, "t.rules:3");
    assert_non_null(strstr(s.a[0].evidence, "outside the allowed set"));

    /* country-only database: rule 3 sees FR for 10.9/16 -> inside */
    geo_close(g);
    g = geo_open(country_db, NULL, err, sizeof err);
    assert_non_null(g);
    fx_tls(&t, "10.1.2.3", "10.9.1.1", 443, NULL, 4);
    fx_add_server_cert(&t, &leaf);
    fx_sink_init(&s);
    geobind_check(gb, g, &t, &s.out);
    /* rules 1 and 2: ASN unknown -> undetermined, only rule 2 (strict) alerts */
    assert_int_equal(s.n, 1);
    assert_string_equal(s.a[0].source, "t.rules:2");
    geobind_free(gb);
    geo_close(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_record_sizes),
        cmocka_unit_test(test_writer_large_offsets),
        cmocka_unit_test(test_writer_ipv4_database),
        cmocka_unit_test(test_writer_mmdblookup),
        cmocka_unit_test(test_geo_open_errors),
        cmocka_unit_test(test_geo_lookup),
        cmocka_unit_test(test_geo_strings),
        cmocka_unit_test(test_geobind_parse_ok),
        cmocka_unit_test(test_geobind_parse_errors),
        cmocka_unit_test(test_geobind_server),
        cmocka_unit_test(test_geobind_client_and_any),
        cmocka_unit_test(test_geobind_union_and_once),
        cmocka_unit_test(test_geobind_strict_unknown),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
