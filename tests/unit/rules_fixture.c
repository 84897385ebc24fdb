/* Test fixtures for the rules/ unit tests: see rules_fixture.h. */
#include "rules_fixture.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void fx_copy(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s != NULL ? s : "");
}

static void fx_sink_cb(void *ctx, const struct cs_alert *a)
{
    struct fx_sink *s = ctx;
    if (s->n >= FX_ALERTS_MAX) {
        s->dropped++;
        return;
    }
    struct fx_alert *x = &s->a[s->n++];
    x->sid = a->signature_id;
    x->rev = a->rev;
    fx_copy(x->signature, sizeof x->signature, a->signature);
    fx_copy(x->category, sizeof x->category, a->category);
    x->severity = a->severity;
    fx_copy(x->check, sizeof x->check, a->check);
    fx_copy(x->role, sizeof x->role, a->role);
    x->chain_index = a->chain_index;
    x->cert = a->cert;
    fx_copy(x->evidence, sizeof x->evidence, a->evidence);
    fx_copy(x->source, sizeof x->source, a->source);
}

void fx_sink_init(struct fx_sink *s)
{
    memset(s, 0, sizeof *s);
    s->out.sink = fx_sink_cb;
    s->out.ctx = s;
}

const struct fx_alert *fx_find(const struct fx_sink *s, const char *check)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->a[i].check, check) == 0)
            return &s->a[i];
    return NULL;
}

void fx_info(struct cs_cert_info *ci, uint8_t seed, const char *subject, const char *issuer)
{
    memset(ci, 0, sizeof *ci);
    memset(ci->sha256, seed, sizeof ci->sha256);
    memset(ci->spki_sha256, seed ^ 0xa5, sizeof ci->spki_sha256);
    memset(ci->sha1, seed, sizeof ci->sha1);
    ci->has_spki = true;
    ci->parsed = subject != NULL;
    fx_copy(ci->subject, sizeof ci->subject, subject);
    fx_copy(ci->issuer, sizeof ci->issuer, issuer);
}

void fx_endpoint(struct cs_endpoint *ep, const char *ip, uint16_t port)
{
    memset(ep, 0, sizeof *ep);
    ep->port = port;
    if (inet_pton(AF_INET, ip, ep->addr) == 1) {
        ep->family = 4;
        return;
    }
    if (inet_pton(AF_INET6, ip, ep->addr) == 1) {
        ep->family = 6;
        return;
    }
    fprintf(stderr, "fx_endpoint: bad address %s\n", ip);
    abort();
}

void fx_tls(struct cs_tls *t, const char *client_ip, const char *server_ip, uint16_t server_port,
            const char *sni, int64_t ts_us)
{
    memset(t, 0, sizeof *t);
    fx_endpoint(&t->client, client_ip, 50000);
    fx_endpoint(&t->server, server_ip, server_port);
    fx_copy(t->sni, sizeof t->sni, sni);
    t->ts_us = ts_us;
    t->flow_start_us = ts_us;
    t->has_client_hello = true;
    t->has_server_hello = true;
    t->state = "complete";
}

void fx_add_server_cert(struct cs_tls *t, const struct cs_cert_info *ci)
{
    if (t->server_cert_count < CS_CHAIN_MAX)
        t->server_certs[t->server_cert_count++].info = ci;
}

void fx_add_client_cert(struct cs_tls *t, const struct cs_cert_info *ci)
{
    if (t->client_cert_count < CS_CHAIN_MAX)
        t->client_certs[t->client_cert_count++].info = ci;
}

void fx_mkdtemp(char *out, size_t cap)
{
    const char *base = getenv("TMPDIR");
    snprintf(out, cap, "%s/csrules.XXXXXX", base != NULL && base[0] ? base : "/tmp");
    if (mkdtemp(out) == NULL) {
        perror("mkdtemp");
        abort();
    }
}

void fx_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    char p[4096];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}
