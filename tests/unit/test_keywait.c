/* Keys that arrive after the handshake packets (a key log still being
 * written during live capture): a TLS 1.3 session holds its protected
 * records, bounded, and decrypts them once the key log has its secrets.
 * Uses the generated sample pcaps/tls13.pcap and its key log, through the
 * public API only. The certificates expected are the generator's record
 * of what it sent (pcaps/expected.jsonl), read independently here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "certsensor.h"

struct seen {
    size_t sessions, server_certs, decrypted;
    bool encrypted_flag;
    struct cs_stats stats;
};

static void on_event(const struct cs_event *ev, void *user)
{
    struct seen *s = user;
    if (ev->type == CS_EVENT_STATS)
        s->stats = *ev->u.stats;
    if (ev->type != CS_EVENT_TLS)
        return;
    s->sessions++;
    s->server_certs += ev->u.tls->server_cert_count;
    for (size_t i = 0; i < ev->u.tls->server_cert_count; i++)
        s->decrypted += ev->u.tls->server_certs[i].decrypted;
    s->encrypted_flag = ev->u.tls->certs_encrypted;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 16);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

/* count the server certificates pcaps/expected.jsonl lists for tls13.pcap */
static size_t expected_server_certs(void)
{
    FILE *f = fopen("pcaps/expected.jsonl", "r");
    assert_non_null(f);
    char line[4096];
    size_t n = 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (strstr(line, "\"file\": \"tls13.pcap\"") && strstr(line, "\"sender\": \"server\""))
            n++;
    fclose(f);
    return n;
}

/* feed the capture; the key log (if any) goes in after `keys_after` packets */
static void run(struct seen *seen, long keys_after, bool with_keylog, uint32_t wait_ms)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline("pcaps/tls13.pcap", err);
    assert_non_null(p);
    struct cs_config cfg;
    cs_config_init(&cfg);
    cfg.max_flows = 64;
    cfg.on_event = on_event;
    cfg.user = seen;
    cfg.key_wait_ms = wait_ms;
    struct cs_sensor *s = cs_new(&cfg, NULL);
    assert_non_null(s);
    size_t klen;
    char *keys = slurp("pcaps/tls13.pcap.keys", &klen);
    if (with_keylog)
        assert_int_equal(cs_keylog_feed(s, (const uint8_t *)"# nothing yet\n", 14), CS_OK);
    struct pcap_pkthdr *h;
    const u_char *d;
    long n = 0;
    while (pcap_next_ex(p, &h, &d) == 1) {
        if (with_keylog && n == keys_after) {
            /* the key log grows in two pieces, split inside a line */
            assert_int_equal(cs_keylog_feed(s, (const uint8_t *)keys, 50), CS_OK);
            assert_int_equal(cs_keylog_feed(s, (const uint8_t *)keys + 50, klen - 50), CS_OK);
        }
        struct cs_packet pkt = {(int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec, pcap_datalink(p),
                                d, h->caplen, h->len};
        assert_int_equal(cs_feed(s, &pkt), CS_OK);
        n++;
    }
    cs_flush(s);
    cs_free(s);
    pcap_close(p);
    free(keys);
}

static void test_keys_after_server_flight(void **state)
{
    (void)state;
    struct seen seen = {0};
    size_t want = expected_server_certs();
    assert_true(want > 0);
    /* packet 7: after the SYNs, ClientHello and the server's encrypted flight */
    run(&seen, 7, true, 5000);
    assert_int_equal(seen.sessions, 1);
    assert_int_equal(seen.server_certs, want);
    assert_int_equal(seen.decrypted, want);
    assert_false(seen.encrypted_flag);
    assert_int_equal(seen.stats.tls_keys_late, 1);
    assert_int_equal(seen.stats.tls_keys_missing, 0);
}

static void test_keys_never_come(void **state)
{
    (void)state;
    struct seen seen = {0};
    run(&seen, -1, true, 5000);
    assert_int_equal(seen.sessions, 1);
    assert_int_equal(seen.server_certs, 0);
    assert_true(seen.encrypted_flag);
    assert_int_equal(seen.stats.tls_keys_missing, 1);
    assert_int_equal(seen.stats.tls_key_wait_expired, 1);
}

static void test_no_wait_configured(void **state)
{
    (void)state;
    struct seen seen = {0};
    /* with the wait switched off, late keys are not used */
    run(&seen, 7, true, 0);
    assert_int_equal(seen.server_certs, 0);
    assert_true(seen.encrypted_flag);
}

static void test_keys_up_front(void **state)
{
    (void)state;
    struct seen seen = {0};
    run(&seen, 0, true, 5000);
    assert_int_equal(seen.server_certs, expected_server_certs());
    assert_int_equal(seen.stats.tls_keys_late, 0);
    assert_int_equal(seen.stats.tls_sessions_decrypted, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_after_server_flight),
        cmocka_unit_test(test_keys_never_come),
        cmocka_unit_test(test_no_wait_configured),
        cmocka_unit_test(test_keys_up_front),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
