/* Test fixtures shared by the rules/ unit tests: session records built by
 * hand, an alert sink that keeps copies, and a scratch directory.
 *
 * Tests include rules_fixture.c directly (the unit test rule links one
 * source file per test). */
#ifndef CS_TESTS_RULES_FIXTURE_H
#define CS_TESTS_RULES_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"

#define FX_ALERTS_MAX 16

struct fx_alert {
    uint32_t sid, rev;
    char signature[160];
    char category[32];
    uint8_t severity;
    char check[64];
    char role[16];
    int chain_index;
    const struct cs_cert *cert;
    char evidence[2048];
    char source[512];
};

struct fx_sink {
    struct fx_alert a[FX_ALERTS_MAX];
    size_t n;
    size_t dropped;
    struct check_out out;
};

void fx_sink_init(struct fx_sink *s);
/* the first alert with this check id, or NULL */
const struct fx_alert *fx_find(const struct fx_sink *s, const char *check);

/* A parsed certificate analysis: sha256 = 32 x seed, spki_sha256 = 32 x (seed ^ 0xa5). */
void fx_info(struct cs_cert_info *ci, uint8_t seed, const char *subject, const char *issuer);

/* A session: addresses as text (IPv4 or IPv6), sni may be NULL. No chains. */
void fx_tls(struct cs_tls *t, const char *client_ip, const char *server_ip, uint16_t server_port,
            const char *sni, int64_t ts_us);
void fx_endpoint(struct cs_endpoint *ep, const char *ip, uint16_t port);
/* append a certificate to a chain */
void fx_add_server_cert(struct cs_tls *t, const struct cs_cert_info *ci);
void fx_add_client_cert(struct cs_tls *t, const struct cs_cert_info *ci);

/* mkdtemp under $TMPDIR (or /tmp); fx_rmdir removes its files and itself */
void fx_mkdtemp(char *out, size_t cap);
void fx_rmdir(const char *dir);

#endif
