/* Minimal embedder: everything an appliance needs is in certsensor.h.
 * Reads a capture with its own libpcap loop, feeds the sensor, and uses
 * the typed event structs (no JSON) to print one line per TLS session.
 *   embed_example CAPTURE */
#include <pcap/pcap.h>
#include <stdio.h>

#include "certsensor.h"

struct tally {
    unsigned long sessions, certs;
};

static void on_event(const struct cs_event *ev, void *user)
{
    struct tally *t = user;
    if (ev->type != CS_EVENT_TLS)
        return;
    const struct cs_tls *s = ev->u.tls;
    char c[64], sv[64], fp[65] = "-";
    cs_endpoint_str(&s->client, c, sizeof c);
    cs_endpoint_str(&s->server, sv, sizeof sv);
    if (s->server_cert_count > 0)
        cs_hex(s->server_certs[0].info->sha256, 32, fp);
    printf("tls %s:%u -> %s:%u sni=%s server_certs=%zu client_certs=%zu leaf=%s\n", c,
           s->client.port, sv, s->server.port, s->sni[0] ? s->sni : "-", s->server_cert_count,
           s->client_cert_count, fp);
    t->sessions++;
    t->certs += s->server_cert_count + s->client_cert_count;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: embed_example CAPTURE\n");
        return 2;
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (p == NULL) {
        fprintf(stderr, "embed_example: %s: %s\n", argv[1], err);
        return 1;
    }
    struct tally t = {0, 0};
    struct cs_config cfg;
    cs_config_init(&cfg);
    cfg.max_flows = 1024;
    cfg.on_event = on_event;
    cfg.user = &t;
    cs_err e;
    struct cs_sensor *s = cs_new(&cfg, &e);
    if (s == NULL) {
        fprintf(stderr, "embed_example: %s\n", cs_strerror(e));
        pcap_close(p);
        return 1;
    }
    struct pcap_pkthdr *h;
    const u_char *d;
    while (pcap_next_ex(p, &h, &d) == 1) {
        struct cs_packet pkt = {(int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec, pcap_datalink(p),
                                d, h->caplen, h->len};
        if (cs_feed(s, &pkt) != CS_OK)
            fprintf(stderr, "embed_example: %s\n", cs_last_error(s));
    }
    cs_flush(s);
    struct cs_stats st;
    cs_get_stats(s, &st);
    cs_free(s);
    pcap_close(p);
    printf("sessions %lu\ncertificates %lu\npackets %llu\n", t.sessions, t.certs,
           (unsigned long long)st.packets);
    return 0;
}
