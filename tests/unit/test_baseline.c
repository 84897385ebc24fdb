/* Unit tests for rules/baseline.c (certificate baselines in SQLite).
 *
 * Sessions are built by hand (tests/unit/rules_fixture.c); the GeoIP / ASN
 * databases for the client checks are made at test time by
 * tests/unit/mmdb_writer.c. State files live in a scratch directory and are
 * inspected, locked and corrupted with SQLite directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "baseline.h"
#include "geo.h"

#include "mmdb_writer.c"
#include "rules_fixture.c"

static char tmpdir[512];
static char country_db[600], asn_db[600];

#define SEC 1000000LL
#define T0 (1700000000LL * SEC)

static void path_in(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

static int setup(void **state)
{
    (void)state;
    fx_mkdtemp(tmpdir, sizeof tmpdir);
    path_in(country_db, sizeof country_db, "country.mmdb");
    path_in(asn_db, sizeof asn_db, "asn.mmdb");
    /* 10.1/16 AS64500 US; 10.2/16 AS64500 US; 10.3/16 AS64501 US;
     * 10.4/16 AS64502 FR; 2001:db8:1::/48 AS64510 IE; 172.16/12 nowhere */
    struct mmdbw *w = mmdbw_new(6, 28, "Test-Country");
    assert_non_null(w);
    assert_true(mmdbw_add_country(w, "10.0.0.0/8", "US"));
    assert_true(mmdbw_add_country(w, "10.4.0.0/16", "FR"));
    assert_true(mmdbw_add_country(w, "2001:db8:1::/48", "IE"));
    assert_true(mmdbw_write(w, country_db));
    mmdbw_free(w);
    w = mmdbw_new(6, 24, "Test-ASN");
    assert_non_null(w);
    assert_true(mmdbw_add_asn(w, "10.1.0.0/16", 64500, "Home ISP"));
    assert_true(mmdbw_add_asn(w, "10.2.0.0/16", 64500, "Home ISP"));
    assert_true(mmdbw_add_asn(w, "10.3.0.0/16", 64501, "Other ISP"));
    assert_true(mmdbw_add_asn(w, "10.4.0.0/16", 64502, "Abroad ISP"));
    assert_true(mmdbw_add_asn(w, "2001:db8:1::/48", 64510, "V6 ISP"));
    assert_true(mmdbw_write(w, asn_db));
    mmdbw_free(w);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    fx_rmdir(tmpdir);
    return 0;
}

static struct baseline *open_mem(void)
{
    char err[512];
    struct baseline *b = baseline_open(":memory:", err, sizeof err);
    if (b == NULL)
        fail_msg("%s", err);
    assert_string_equal(baseline_last_error(b), "");
    return b;
}

/* one session with a server leaf */
static void server_session(struct baseline *b, const char *server_ip, uint16_t port,
                           const char *sni, const struct cs_cert_info *leaf, int64_t ts,
                           struct fx_sink *s)
{
    struct cs_tls t;
    fx_tls(&t, "10.1.0.1", server_ip, port, sni, ts);
    fx_add_server_cert(&t, leaf);
    fx_sink_init(s);
    baseline_check(b, NULL, &t, &s->out);
}

/* one session with a client leaf (and a fixed server leaf) */
static void client_session(struct baseline *b, const struct geo *g, const char *client_ip,
                           const struct cs_cert_info *cli, int64_t ts, struct fx_sink *s)
{
    static struct cs_cert_info srv;
    fx_info(&srv, 0xee, "CN=vpn.example", "CN=Corp CA");
    struct cs_tls t;
    fx_tls(&t, client_ip, "192.0.2.10", 443, "vpn.example", ts);
    fx_add_server_cert(&t, &srv);
    fx_add_client_cert(&t, cli);
    fx_sink_init(s);
    baseline_check(b, g, &t, &s->out);
}

/* ---- server side ---------------------------------------------------- */

static void test_cert_changed(void **state)
{
    (void)state;
    struct baseline *b = open_mem();
    static struct cs_cert_info a, a2, c;
    fx_info(&a, 0x01, "CN=www.example", "CN=R3, O=Let's Encrypt");
    fx_info(&a2, 0x02, "CN=www.example", "CN=R3, O=Let's Encrypt");
    fx_info(&c, 0x03, "CN=www.example", "CN=Evil Proxy CA");
    struct fx_sink s;

    server_session(b, "192.0.2.1", 443, "www.example", &a, T0, &s); /* learning */
    assert_int_equal(s.n, 0);
    server_session(b, "192.0.2.1", 443, "www.example", &a, T0 + SEC, &s); /* known leaf */
    assert_int_equal(s.n, 0);
    server_session(b, "192.0.2.2", 443, "WWW.Example", &a, T0 + 2 * SEC,
                   &s); /* SNI is case-insensitive */
    assert_int_equal(s.n, 0);

    /* renewed leaf from the same issuer */
    server_session(b, "192.0.2.1", 443, "www.example", &a2, T0 + 3 * SEC, &s);
    assert_int_equal(s.n, 1);
    const struct fx_alert *x = &s.a[0];
    assert_string_equal(x->check, "baseline.cert_changed");
    assert_string_equal(x->category, "mitm");
    assert_int_equal(x->severity, 2);
    assert_int_equal(x->sid, BASELINE_SID_CERT_CHANGED);
    assert_string_equal(x->role, "server");
    assert_int_equal(x->chain_index, 0);
    assert_non_null(x->cert);
    assert_ptr_equal(x->cert->info, &a2);
    assert_string_equal(
        x->evidence,
        "service www.example (known since 2023-11-14T22:13:20Z) presented leaf sha256 "
        "0202020202020202020202020202020202020202020202020202020202020202 (issuer 'CN=R3, "
        "O=Let's Encrypt') never seen for it; 1 leaf(s) known, most recent sha256 "
        "0101010101010101010101010101010101010101010101010101010101010101 (last seen "
        "2023-11-14T22:13:22Z)");

    /* now learnt: silent; the old one too */
    server_session(b, "192.0.2.1", 443, "www.example", &a2, T0 + 4 * SEC, &s);
    assert_int_equal(s.n, 0);
    server_session(b, "192.0.2.1", 443, "www.example", &a, T0 + 5 * SEC, &s);
    assert_int_equal(s.n, 0);

    /* a leaf from a new issuer: issuer_changed instead */
    server_session(b, "192.0.2.1", 443, "www.example", &c, T0 + 6 * SEC, &s);
    assert_int_equal(s.n, 1);
    x = &s.a[0];
    assert_string_equal(x->check, "baseline.issuer_changed");
    assert_int_equal(x->severity, 1);
    assert_int_equal(x->sid, BASELINE_SID_ISSUER_CHANGED);
    assert_string_equal(x->category, "mitm");
    assert_string_equal(x->role, "server");
    assert_non_null(strstr(x->evidence, "from issuer 'CN=Evil Proxy CA' never seen for it; 1 "
                                        "issuer(s) known, most recent 'CN=R3, O=Let's "
                                        "Encrypt'"));
    server_session(b, "192.0.2.1", 443, "www.example", &c, T0 + 7 * SEC, &s);
    assert_int_equal(s.n, 0);

    /* a different service presenting a known leaf: that is learning */
    server_session(b, "192.0.2.1", 443, "api.example", &c, T0 + 8 * SEC, &s);
    assert_int_equal(s.n, 0);

    struct baseline_stats st;
    baseline_get_stats(b, &st);
    assert_int_equal(st.sessions, 9);
    assert_int_equal(st.alerts, 2);
    assert_int_equal(st.errors, 0);
    assert_int_equal(st.services_new, 2);
    assert_int_equal(st.leaves_new, 4);
    baseline_close(b);
}

/* no SNI: the service is the server address and port */
static void test_service_key_address(void **state)
{
    (void)state;
    struct baseline *b = open_mem();
    static struct cs_cert_info a, z;
    fx_info(&a, 0x01, "CN=mail", "CN=CA");
    fx_info(&z, 0x09, "CN=mail", "CN=CA");
    struct fx_sink s;
    server_session(b, "192.0.2.25", 465, NULL, &a, T0, &s);
    assert_int_equal(s.n, 0);
    server_session(b, "192.0.2.25", 993, NULL, &z, T0 + 1, &s); /* other port: other service */
    assert_int_equal(s.n, 0);
    server_session(b, "192.0.2.26", 465, NULL, &z, T0 + 2, &s); /* other address */
    assert_int_equal(s.n, 0);
    server_session(b, "192.0.2.25", 465, NULL, &z, T0 + 3, &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.a[0].check, "baseline.cert_changed");
    assert_non_null(strstr(s.a[0].evidence, "service 192.0.2.25:465 "));
    /* IPv6 */
    server_session(b, "2001:db8::25", 465, NULL, &a, T0 + 4, &s);
    assert_int_equal(s.n, 0);
    server_session(b, "2001:db8::25", 465, NULL, &z, T0 + 5, &s);
    assert_int_equal(s.n, 1);
    assert_non_null(strstr(s.a[0].evidence, "service [2001:db8::25]:465 "));
    /* an SNI with odd bytes is escaped in the key */
    server_session(b, "192.0.2.1", 443, "a b\\c\x7f", &a, T0 + 6, &s);
    server_session(b, "192.0.2.1", 443, "A B\\C\x7f", &z, T0 + 7, &s);
    assert_int_equal(s.n, 1);
    assert_non_null(strstr(s.a[0].evidence, "service a\\x20b\\x5cc\\x7f "));
    baseline_close(b);
}

/* a leaf OpenSSL could not parse has no issuer: cert_changed only */
static void test_unparsed_leaf(void **state)
{
    (void)state;
    struct baseline *b = open_mem();
    static struct cs_cert_info a, raw;
    fx_info(&a, 0x01, "CN=x", "CN=CA");
    fx_info(&raw, 0x07, NULL, NULL);
    struct fx_sink s;
    server_session(b, "192.0.2.1", 443, "x.example", &a, T0, &s);
    server_session(b, "192.0.2.1", 443, "x.example", &raw, T0 + 1, &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.a[0].check, "baseline.cert_changed");
    assert_non_null(strstr(s.a[0].evidence, "(issuer '?')"));

    /* a service first learnt from an unparsed leaf: no issuer is known, so a
     * parsed leaf is cert_changed, not issuer_changed */
    server_session(b, "192.0.2.1", 443, "y.example", &raw, T0 + 2, &s);
    server_session(b, "192.0.2.1", 443, "y.example", &a, T0 + 3, &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.a[0].check, "baseline.cert_changed");

    /* sessions without certificates teach nothing and cost no transaction */
    struct cs_tls t;
    fx_tls(&t, "10.1.0.1", "192.0.2.1", 443, "z.example", T0 + 4);
    t.resumed = true;
    fx_sink_init(&s);
    baseline_check(b, NULL, &t, &s.out);
    assert_int_equal(s.n, 0);
    struct baseline_stats st;
    baseline_get_stats(b, &st);
    assert_int_equal(st.sessions, 4);
    baseline_close(b);
}

/* ---- client side ---------------------------------------------------- */

static void test_client_no_geo(void **state)
{
    (void)state;
    struct baseline *b = open_mem();
    static struct cs_cert_info cli;
    fx_info(&cli, 0x51, "CN=alice", "CN=Corp CA");
    struct fx_sink s;
    client_session(b, NULL, "10.1.0.5", &cli, T0, &s); /* learning */
    assert_int_equal(s.n, 0);
    client_session(b, NULL, "10.1.0.5", &cli, T0 + SEC, &s);
    assert_int_equal(s.n, 0);
    client_session(b, NULL, "10.4.0.5", &cli, T0 + 2 * SEC, &s);
    assert_int_equal(s.n, 1);
    const struct fx_alert *x = &s.a[0];
    assert_string_equal(x->check, "baseline.client_new_source");
    assert_int_equal(x->severity, 3);
    assert_int_equal(x->sid, BASELINE_SID_CLIENT_NEW_SOURCE);
    assert_string_equal(x->category, "mitm");
    assert_string_equal(x->role, "client");
    assert_int_equal(x->chain_index, 0);
    assert_ptr_equal(x->cert->info, &cli);
    assert_string_equal(x->evidence,
                        "client certificate sha256 "
                        "5151515151515151515151515151515151515151515151515151515151515151 "
                        "(subject CN=alice, known since 2023-11-14T22:13:20Z) used from "
                        "10.4.0.5 (location unknown): address never seen for it; known "
                        "addresses: 10.1.0.5");
    client_session(b, NULL, "10.4.0.5", &cli, T0 + 3 * SEC, &s);
    assert_int_equal(s.n, 0);
    /* IPv6 source */
    client_session(b, NULL, "2001:db8:1::5", &cli, T0 + 4 * SEC, &s);
    assert_int_equal(s.n, 1);
    assert_non_null(strstr(s.a[0].evidence, "used from 2001:db8:1::5 (location unknown)"));
    assert_non_null(strstr(s.a[0].evidence, "known addresses: 10.4.0.5, 10.1.0.5"));
    baseline_close(b);
}

static void test_client_geo(void **state)
{
    (void)state;
    char err[512];
    struct geo *g = geo_open(country_db, asn_db, err, sizeof err);
    assert_non_null(g);
    struct baseline *b = open_mem();
    static struct cs_cert_info cli;
    fx_info(&cli, 0x52, "CN=bob", "CN=Corp CA");
    struct fx_sink s;
    const struct fx_alert *x;

    client_session(b, g, "10.1.0.5", &cli, T0, &s); /* learning: AS64500, US */
    assert_int_equal(s.n, 0);

    /* new address, same ASN and country: new_source only */
    client_session(b, g, "10.2.0.5", &cli, T0 + 1 * SEC, &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.a[0].check, "baseline.client_new_source");
    assert_non_null(strstr(s.a[0].evidence, "(AS64500 \"Home ISP\", US)"));

    /* new ASN, same country: new_asn (severity 2) only */
    client_session(b, g, "10.3.0.5", &cli, T0 + 2 * SEC, &s);
    assert_int_equal(s.n, 1);
    x = &s.a[0];
    assert_string_equal(x->check, "baseline.client_new_asn");
    assert_int_equal(x->severity, 2);
    assert_int_equal(x->sid, BASELINE_SID_CLIENT_NEW_ASN);
    assert_non_null(strstr(x->evidence, "used from 10.3.0.5 (AS64501 \"Other ISP\", US): ASN "
                                        "never seen for it; known ASNs: AS64500"));

    /* again from there: learnt */
    client_session(b, g, "10.3.0.5", &cli, T0 + 3 * SEC, &s);
    assert_int_equal(s.n, 0);
    /* another address in a known ASN: new_source */
    client_session(b, g, "10.3.0.6", &cli, T0 + 4 * SEC, &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.a[0].check, "baseline.client_new_source");

    /* new country (and new ASN): new_country (severity 1) only */
    client_session(b, g, "10.4.0.5", &cli, T0 + 5 * SEC, &s);
    assert_int_equal(s.n, 1);
    x = &s.a[0];
    assert_string_equal(x->check, "baseline.client_new_country");
    assert_int_equal(x->severity, 1);
    assert_int_equal(x->sid, BASELINE_SID_CLIENT_NEW_COUNTRY);
    assert_non_null(strstr(x->evidence, "used from 10.4.0.5 (AS64502 \"Abroad ISP\", FR): "
                                        "country never seen for it; known countries: US"));
    client_session(b, g, "10.4.0.5", &cli, T0 + 6 * SEC, &s);
    assert_int_equal(s.n, 0);

    /* IPv6, new country IE */
    client_session(b, g, "2001:db8:1::9", &cli, T0 + 7 * SEC, &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.a[0].check, "baseline.client_new_country");
    assert_non_null(strstr(s.a[0].evidence, "known countries: FR, US"));

    /* an address with no database hit: unknown ASN/country are not "new" */
    client_session(b, g, "172.16.0.9", &cli, T0 + 8 * SEC, &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.a[0].check, "baseline.client_new_source");
    assert_non_null(strstr(s.a[0].evidence, "(location unknown)"));

    /* a known address is not a move, even without geo this time */
    client_session(b, NULL, "10.4.0.5", &cli, T0 + 9 * SEC, &s);
    assert_int_equal(s.n, 0);
    baseline_close(b);

    /* a certificate first seen without geo learns ASN/country silently */
    b = open_mem();
    static struct cs_cert_info cli2;
    fx_info(&cli2, 0x53, "CN=carol", "CN=Corp CA");
    client_session(b, NULL, "10.1.0.7", &cli2, T0, &s);
    client_session(b, g, "10.1.0.7", &cli2, T0 + SEC, &s); /* known address, geo learnt */
    assert_int_equal(s.n, 0);
    client_session(b, g, "10.4.0.7", &cli2, T0 + 2 * SEC, &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.a[0].check, "baseline.client_new_country");
    baseline_close(b);

    /* ... and one first seen from an unknown location, then from a known one */
    b = open_mem();
    client_session(b, g, "172.16.0.1", &cli2, T0, &s);
    client_session(b, g, "10.4.0.7", &cli2, T0 + SEC, &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.a[0].check, "baseline.client_new_source");
    baseline_close(b);
    geo_close(g);
}

/* server and client alerts in one session */
static void test_both_sides(void **state)
{
    (void)state;
    struct baseline *b = open_mem();
    static struct cs_cert_info srv, srv2, cli;
    fx_info(&srv, 0x61, "CN=vpn", "CN=Corp CA");
    fx_info(&srv2, 0x62, "CN=vpn", "CN=Corp CA");
    fx_info(&cli, 0x63, "CN=dave", "CN=Corp CA");
    struct cs_tls t;
    struct fx_sink s;
    fx_tls(&t, "10.1.0.1", "192.0.2.10", 443, "vpn.corp", T0);
    fx_add_server_cert(&t, &srv);
    fx_add_client_cert(&t, &cli);
    fx_sink_init(&s);
    baseline_check(b, NULL, &t, &s.out);
    assert_int_equal(s.n, 0);
    fx_tls(&t, "10.1.0.2", "192.0.2.10", 443, "vpn.corp", T0 + SEC);
    fx_add_server_cert(&t, &srv2);
    fx_add_client_cert(&t, &cli);
    fx_sink_init(&s);
    baseline_check(b, NULL, &t, &s.out);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.a[0].check, "baseline.cert_changed");
    assert_ptr_equal(s.a[0].cert, &t.server_certs[0]);
    assert_string_equal(s.a[1].check, "baseline.client_new_source");
    assert_ptr_equal(s.a[1].cert, &t.client_certs[0]);
    baseline_check(b, NULL, &t, NULL); /* no sink: fine */
    baseline_check(NULL, NULL, &t, &s.out);
    baseline_check(b, NULL, NULL, &s.out);
    baseline_close(b);
    baseline_close(NULL);
}

/* ---- persistence, bounds, determinism ----------------------------------- */

static int64_t sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void test_persistence(void **state)
{
    (void)state;
    char path[600], err[512];
    path_in(path, sizeof path, "state.db");
    static struct cs_cert_info a, a2, cli;
    fx_info(&a, 0x71, "CN=p", "CN=CA");
    fx_info(&a2, 0x72, "CN=p", "CN=CA");
    fx_info(&cli, 0x73, "CN=erin", "CN=CA");
    struct fx_sink s;

    struct baseline *b = baseline_open(path, err, sizeof err);
    assert_non_null(b);
    server_session(b, "192.0.2.1", 443, "p.example", &a, T0 + 5 * SEC, &s);
    server_session(b, "192.0.2.1", 443, "p.example", &a, T0 + 2 * SEC, &s); /* older capture */
    client_session(b, NULL, "10.1.0.1", &cli, T0, &s);
    assert_int_equal(s.n, 0);
    baseline_close(b);

    /* what is on disk */
    assert_int_equal(sql_int(path, "SELECT version FROM schema_version"), 1);
    assert_int_equal(sql_int(path, "SELECT COUNT(*) FROM schema_version"), 1);
    assert_int_equal(sql_int(path, "SELECT first_seen FROM service_leaf"), T0 + 2 * SEC);
    assert_int_equal(sql_int(path, "SELECT last_seen FROM service_leaf"), T0 + 5 * SEC);
    assert_int_equal(sql_int(path, "SELECT count FROM service_leaf"), 2);
    assert_int_equal(sql_int(path, "SELECT sessions FROM service WHERE name='p.example'"), 2);
    {
        sqlite3 *db;
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
        sqlite3_finalize(st);
        sqlite3_close(db);
    }

    /* a second open sees the earlier state */
    b = baseline_open(path, err, sizeof err);
    assert_non_null(b);
    server_session(b, "192.0.2.1", 443, "p.example", &a, T0 + 10 * SEC, &s);
    assert_int_equal(s.n, 0);
    server_session(b, "192.0.2.1", 443, "p.example", &a2, T0 + 11 * SEC, &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.a[0].check, "baseline.cert_changed");
    client_session(b, NULL, "10.1.0.2", &cli, T0 + 12 * SEC, &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.a[0].check, "baseline.client_new_source");
    baseline_close(b);

    /* a newer schema is refused */
    {
        sqlite3 *db;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, "UPDATE schema_version SET version=2", NULL, NULL, NULL),
                         SQLITE_OK);
        sqlite3_close(db);
    }
    assert_null(baseline_open(path, err, sizeof err));
    char want[800];
    snprintf(want, sizeof want,
             "%s: unsupported baseline schema: version 2, this build reads version 1", path);
    assert_string_equal(err, want);
}

static void test_bounds(void **state)
{
    (void)state;
    struct baseline *b = open_mem();
    struct baseline_limits l;
    memset(&l, 0, sizeof l);
    l.leaves_per_service = 3;
    l.max_services = 2;
    l.sources_per_client = 2;
    l.max_client_certs = 1;
    baseline_set_limits(b, &l);
    static struct cs_cert_info leaf[5], cli[2];
    for (int i = 0; i < 5; i++)
        fx_info(&leaf[i], (uint8_t)(0x80 + i), "CN=b", "CN=CA");
    fx_info(&cli[0], 0x90, "CN=c0", "CN=CA");
    fx_info(&cli[1], 0x91, "CN=c1", "CN=CA");
    struct fx_sink s;

    /* leaves 0..3 of one service: the fourth evicts leaf 0 (least recent) */
    for (int i = 0; i < 4; i++)
        server_session(b, "192.0.2.1", 443, "b.example", &leaf[i], T0 + i * SEC, &s);
    struct baseline_stats st;
    baseline_get_stats(b, &st);
    assert_int_equal(st.evicted_leaves, 1);
    server_session(b, "192.0.2.1", 443, "b.example", &leaf[3], T0 + 10 * SEC, &s);
    assert_int_equal(s.n, 0);
    server_session(b, "192.0.2.1", 443, "b.example", &leaf[0], T0 + 11 * SEC, &s);
    assert_int_equal(s.n, 1); /* forgotten, so new again */

    /* services: a third evicts the least recently seen */
    server_session(b, "192.0.2.1", 443, "c.example", &leaf[0], T0 + 12 * SEC, &s);
    server_session(b, "192.0.2.1", 443, "b.example", &leaf[0], T0 + 13 * SEC, &s);
    server_session(b, "192.0.2.1", 443, "d.example", &leaf[0], T0 + 14 * SEC, &s);
    baseline_get_stats(b, &st);
    assert_int_equal(st.evicted_services, 1);
    server_session(b, "192.0.2.1", 443, "b.example", &leaf[4], T0 + 15 * SEC, &s);
    assert_int_equal(s.n, 1); /* b.example was kept */
    server_session(b, "192.0.2.1", 443, "c.example", &leaf[4], T0 + 16 * SEC, &s);
    assert_int_equal(s.n, 0); /* c.example was evicted: learning again */

    /* client sources: at most 2 addresses kept */
    client_session(b, NULL, "10.1.0.1", &cli[0], T0 + 20 * SEC, &s);
    client_session(b, NULL, "10.1.0.2", &cli[0], T0 + 21 * SEC, &s);
    client_session(b, NULL, "10.1.0.3", &cli[0], T0 + 22 * SEC, &s);
    baseline_get_stats(b, &st);
    assert_int_equal(st.evicted_client_sources, 1);
    client_session(b, NULL, "10.1.0.1", &cli[0], T0 + 23 * SEC, &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.a[0].check, "baseline.client_new_source");
    /* one client cert overall: a second evicts the first */
    client_session(b, NULL, "10.1.0.9", &cli[1], T0 + 24 * SEC, &s);
    client_session(b, NULL, "10.1.0.8", &cli[0], T0 + 25 * SEC, &s);
    assert_int_equal(s.n, 0); /* cli[0] forgotten: learning */
    baseline_get_stats(b, &st);
    assert_int_equal(st.evicted_client_certs, 2);
    assert_int_equal(st.errors, 0);

    /* defaults */
    baseline_limits_default(&l);
    assert_int_equal(l.leaves_per_service, 64);
    baseline_set_limits(b, NULL);
    baseline_close(b);
}

/* 64 leaves are kept by default: the 65th evicts the oldest */
static void test_default_leaf_cap(void **state)
{
    (void)state;
    struct baseline *b = open_mem();
    static struct cs_cert_info leaf[66];
    struct fx_sink s;
    for (int i = 0; i < 66; i++) {
        fx_info(&leaf[i], (uint8_t)i, "CN=cdn", "CN=CA");
        leaf[i].sha256[31] = 0xfe; /* seed 0 would be all zero: fine, but keep distinct */
    }
    for (int i = 0; i < 65; i++)
        server_session(b, "192.0.2.1", 443, "cdn.example", &leaf[i], T0 + i * SEC, &s);
    struct baseline_stats st;
    baseline_get_stats(b, &st);
    assert_int_equal(st.leaves_new, 65);
    assert_int_equal(st.evicted_leaves, 1);
    assert_int_equal(st.alerts, 64);
    server_session(b, "192.0.2.1", 443, "cdn.example", &leaf[1], T0 + 100 * SEC, &s);
    assert_int_equal(s.n, 0);
    server_session(b, "192.0.2.1", 443, "cdn.example", &leaf[0], T0 + 101 * SEC, &s);
    assert_int_equal(s.n, 1);
    baseline_close(b);
}

/* the same input gives the same alerts, byte for byte */
static void run_replay(struct fx_alert *out, size_t *n)
{
    struct baseline *b = open_mem();
    static struct cs_cert_info l[4], c;
    fx_info(&l[0], 0xa0, "CN=r", "CN=CA1");
    fx_info(&l[1], 0xa1, "CN=r", "CN=CA1");
    fx_info(&l[2], 0xa2, "CN=r", "CN=CA2");
    fx_info(&l[3], 0xa3, "CN=r", "CN=CA2");
    fx_info(&c, 0xa4, "CN=cl", "CN=CA1");
    struct fx_sink s;
    *n = 0;
    for (int i = 0; i < 12; i++) {
        server_session(b, "192.0.2.1", 443, i % 3 ? "r.example" : "q.example", &l[(i * 7) % 4],
                       T0 + (i % 5) * SEC, &s); /* capture time jumps back and forth */
        for (size_t k = 0; k < s.n; k++)
            out[(*n)++] = s.a[k];
        char ip[32];
        snprintf(ip, sizeof ip, "10.1.0.%d", i % 4);
        client_session(b, NULL, ip, &c, T0 + (i % 5) * SEC, &s);
        for (size_t k = 0; k < s.n; k++)
            out[(*n)++] = s.a[k];
    }
    baseline_close(b);
}

static void test_deterministic(void **state)
{
    (void)state;
    static struct fx_alert a1[64], a2[64];
    size_t n1, n2;
    run_replay(a1, &n1);
    run_replay(a2, &n2);
    assert_true(n1 > 3);
    assert_int_equal(n1, n2);
    for (size_t i = 0; i < n1; i++) {
        assert_string_equal(a1[i].check, a2[i].check);
        assert_string_equal(a1[i].evidence, a2[i].evidence);
    }
}

/* ---- failures: locked, corrupt, unusable -------------------------------- */

static void test_locked(void **state)
{
    (void)state;
    char path[600], err[512];
    path_in(path, sizeof path, "locked.db");
    static struct cs_cert_info a, a2;
    fx_info(&a, 0xb1, "CN=l", "CN=CA");
    fx_info(&a2, 0xb2, "CN=l", "CN=CA");
    struct fx_sink s;
    struct baseline *b = baseline_open(path, err, sizeof err);
    assert_non_null(b);
    server_session(b, "192.0.2.1", 443, "l.example", &a, T0, &s);

    /* the batch is still open: another connection sees nothing yet */
    assert_int_equal(sql_int(path, "SELECT COUNT(*) FROM service"), 0);
    assert_true(baseline_flush(b));
    assert_int_equal(sql_int(path, "SELECT COUNT(*) FROM service"), 1);
    assert_true(baseline_flush(b)); /* nothing open: fine */

    /* another writer holds the lock */
    sqlite3 *other;
    assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
    server_session(b, "192.0.2.1", 443, "l.example", &a2, T0 + SEC, &s);
    assert_int_equal(s.n, 0); /* skipped, not learnt */
    struct baseline_stats st;
    baseline_get_stats(b, &st);
    assert_int_equal(st.errors, 1);
    char want[800];
    snprintf(want, sizeof want, "%s: begin: database is locked", path);
    assert_string_equal(baseline_last_error(b), want);
    assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);

    /* released: the session that was skipped is still new */
    server_session(b, "192.0.2.1", 443, "l.example", &a2, T0 + 2 * SEC, &s);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.a[0].check, "baseline.cert_changed");
    baseline_get_stats(b, &st);
    assert_int_equal(st.errors, 1);
    baseline_close(b);
}

static void write_bytes(const char *path, long off, const void *p, size_t n)
{
    FILE *fp = fopen(path, off < 0 ? "wb" : "r+b");
    assert_non_null(fp);
    if (off > 0)
        assert_int_equal(fseek(fp, off, SEEK_SET), 0);
    assert_int_equal(fwrite(p, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
}

static void test_corrupt(void **state)
{
    (void)state;
    char path[600], err[512], want[800];
    static uint8_t junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 131 + 7);

    /* not a database at all */
    path_in(path, sizeof path, "junk.db");
    write_bytes(path, -1, junk, sizeof junk);
    assert_null(baseline_open(path, err, sizeof err));
    snprintf(want, sizeof want, "%s: file is not a database", path);
    assert_string_equal(err, want);

    /* someone else's SQLite database is not written to */
    path_in(path, sizeof path, "other.db");
    {
        sqlite3 *db;
        assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
    }
    assert_null(baseline_open(path, err, sizeof err));
    snprintf(want, sizeof want,
             "%s: not a certsensor baseline: it has other tables and no schema_version", path);
    assert_string_equal(err, want);
    assert_int_equal(sql_int(path, "SELECT COUNT(*) FROM sqlite_master"), 1);

    /* an empty file is a new database */
    path_in(path, sizeof path, "empty.db");
    write_bytes(path, -1, "", 0);
    struct baseline *e = baseline_open(path, err, sizeof err);
    assert_non_null(e);
    baseline_close(e);

    /* a directory that does not exist */
    char nodir[700];
    snprintf(nodir, sizeof nodir, "%s/no/such/dir/x.db", tmpdir);
    assert_null(baseline_open(nodir, err, sizeof err));
    assert_non_null(strstr(err, nodir));
    assert_non_null(strstr(err, "cannot open"));
    assert_null(baseline_open(NULL, err, sizeof err));
    assert_null(baseline_open("", NULL, 0));

    /* a valid database whose service_leaf table is then overwritten */
    path_in(path, sizeof path, "corrupt.db");
    struct baseline *b = baseline_open(path, err, sizeof err);
    assert_non_null(b);
    static struct cs_cert_info a, a2, cli;
    fx_info(&a, 0xc1, "CN=c", "CN=CA");
    fx_info(&a2, 0xc2, "CN=c", "CN=CA");
    fx_info(&cli, 0xc3, "CN=cc", "CN=CA");
    struct fx_sink s;
    server_session(b, "192.0.2.1", 443, "c.example", &a, T0, &s);
    baseline_close(b);
    int64_t root = sql_int(path, "SELECT rootpage FROM sqlite_master WHERE name='service_leaf'");
    int64_t psize = sql_int(path, "PRAGMA page_size");
    assert_true(root > 1);
    write_bytes(path, (long)((root - 1) * psize), junk, (size_t)psize);

    b = baseline_open(path, err, sizeof err);
    assert_non_null(b); /* the schema pages are intact */
    for (int i = 0; i < 3; i++) {
        server_session(b, "192.0.2.1", 443, "c.example", &a2, T0 + (i + 1) * SEC, &s);
        assert_int_equal(s.n, 0);
    }
    struct baseline_stats st;
    baseline_get_stats(b, &st);
    /* each session fails; so does the commit of the batch each one left
     * open (SQLite writes back the pages the savepoint restored) */
    assert_true(st.errors >= 3);
    assert_int_equal(st.alerts, 0);
    assert_non_null(strstr(baseline_last_error(b), path));
    assert_non_null(strstr(baseline_last_error(b), "malformed"));
    /* the untouched tables still work: a session with only a client chain */
    struct cs_tls t;
    fx_tls(&t, "10.1.0.1", "192.0.2.1", 443, "c.example", T0 + 10 * SEC);
    fx_add_client_cert(&t, &cli);
    fx_sink_init(&s);
    baseline_check(b, NULL, &t, &s.out);
    fx_tls(&t, "10.1.0.2", "192.0.2.1", 443, "c.example", T0 + 11 * SEC);
    fx_add_client_cert(&t, &cli);
    fx_sink_init(&s);
    baseline_check(b, NULL, &t, &s.out);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.a[0].check, "baseline.client_new_source");
    uint64_t errors = st.errors;
    baseline_get_stats(b, &st);
    assert_true(st.errors <= errors + 1); /* at most the pending commit */
    assert_true(baseline_flush(b));
    baseline_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cert_changed),     cmocka_unit_test(test_service_key_address),
        cmocka_unit_test(test_unparsed_leaf),    cmocka_unit_test(test_client_no_geo),
        cmocka_unit_test(test_client_geo),       cmocka_unit_test(test_both_sides),
        cmocka_unit_test(test_persistence),      cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_default_leaf_cap), cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_locked),           cmocka_unit_test(test_corrupt),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
