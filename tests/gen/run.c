/* certgen: one scenario -> one capture (see run.h). */
#include "run.h"
#include "detrand.h"
#include "truth.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

/* Documentation addresses: RFC 5737 (IPv4), RFC 3849 (IPv6); locally administered MACs. */
static const struct net_host host_v4[2] = {
    {.mac = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01}, .ip = {192, 0, 2, 10}},
    {.mac = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02}, .ip = {198, 51, 100, 20}},
};
static const struct net_host host_v6[2] = {
    {.mac = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01},
     .ip = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}},
    {.mac = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02},
     .ip = {0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20}},
};

static void describe_verify(const char *who, long v)
{
    if (v < 0)
        return;
    printf("  %s verify: %s\n", who, v == X509_V_OK ? "ok" : X509_verify_cert_error_string(v));
}

int run_scenario(const struct scenario *s, const char *outdir, struct run_out *out)
{
    struct pki pki;
    struct tcp_capture cap;
    struct tcp_conn conn;
    struct tls_result r;
    char path[4096], sha[65];
    const struct dialog *dlg = s->dialog ? s->dialog : &dialog_https;
    int rc = -1;

    memset(&cap, 0, sizeof(cap));
    memset(&conn, 0, sizeof(conn));
    memset(&r, 0, sizeof(r));
    if (scenario_file(s, out->file, sizeof(out->file)) != 0)
        return -1;

    /* The PKI is rebuilt for every scenario from the same seed: identical certificates
     * everywhere, and no key object carries state (RSA blinding) from one scenario to
     * the next, so a capture does not depend on which scenarios ran before it. */
    detrand_seed("pki");
    if (pki_build(&pki) != 0)
        goto out;
    detrand_seed(s->name);

    struct net_path np = {.ipv6 = s->ipv6, .vlan = s->vlan_id != 0, .vlan_id = s->vlan_id};
    memcpy(np.host, s->ipv6 ? host_v6 : host_v4, sizeof(np.host));
    np.host[0].port = (uint16_t)(49152u + gen_fnv1a(s->name) % 16384u);
    np.host[1].port = dlg->port;

    if (gen_path(path, sizeof(path), outdir, out->file) != 0)
        goto out;
    if ((s->pcapng_dsb ? pcapw_open_ng(&cap.w, path, PCAPW_LINKTYPE_ETHERNET)
                       : pcapw_open(&cap.w, path, PCAPW_LINKTYPE_ETHERNET)) != 0)
        goto out;
    cap.ts_us = (uint64_t)RUN_START_TIME * 1000000u;
    tcp_init(&conn, &cap, &np, s->mss ? s->mss : NET_MAX_PAYLOAD, s->name);

    if (dialog_check(dlg) != 0)
        goto out;
    if (dlg->no_tls) {
        /* Cleartext only: the truth is an empty certificate list. */
        if (tcp_open(&conn) != 0 || dialog_play_clear(&conn, dlg->clear, dlg->closes_first) != 0 ||
            tcp_close(&conn, dlg->closes_first) != 0)
            goto out;
        r.client_verify = r.server_verify = -1;
        snprintf(r.version, sizeof(r.version), "no TLS");
        snprintf(r.cipher, sizeof(r.cipher), "(%s in the clear)", dlg->name);
    }
    struct tls_params tp = {
        .version = s->tls_version,
        .cipher = s->cipher,
        .sni = s->sni ? s->sni : "www.example.test",
        .server_chain = s->server_chain,
        .client_chain = s->client_chain,
        .dialog = dlg,
        .cert_flight_tricks = s->tricks,
        .verify_time = RUN_START_TIME,
        .hrr = s->hrr,
        .renegotiate = s->renegotiate,
        .reject_client_cert = s->reject_client_cert,
    };
    if (!dlg->no_tls && tls_run(&conn, &pki, &tp, &r) != 0)
        goto out;
    /* The secrets go in before the packets (the writer puts them there at close). */
    if (s->pcapng_dsb &&
        pcapw_add_secrets(&cap.w, PCAPW_SECRETS_TLS_KEYLOG, r.keylog.p, r.keylog.n) != 0)
        goto out;
    out->frames = cap.w.frames;
    if (pcapw_close(&cap.w) != 0) {
        gen_err("%s: write failed", path);
        goto out;
    }

    struct stat st;
    if (stat(path, &st) != 0 || gen_sha256_file(path, sha) != 0)
        goto out;
    out->bytes = (size_t)st.st_size;

    if ((s->keylog || s->tls_version == TLS1_3_VERSION) && !s->pcapng_dsb && !dlg->no_tls) {
        char kpath[4200];
        int n = snprintf(kpath, sizeof(kpath), "%s.keys", path);
        if (n < 0 || (size_t)n >= sizeof(kpath) || gen_write_file(kpath, r.keylog.p, r.keylog.n))
            goto out;
        out->keys = true;
    }

    size_t msg_index = 0;
    const char *versions = dlg->no_tls                        ? "-"
                           : s->tls_version == TLS1_3_VERSION ? "TLS 1.3"
                                                              : "TLS 1.2";
    if (truth_expected(&out->expected, out->file, 0, &msg_index, &conn, &pki, &r) != 0 ||
        truth_manifest(&out->manifest, out->file, sha, s->category, versions, r.n_msgs, s->notes) !=
            0)
        goto out;

    const char *keys_note = out->keys ? ", + .keys" : s->pcapng_dsb ? ", key log in a DSB" : "";
    printf("%s: %zu frames, %zu bytes, %s %s%s%s%s, %zu Certificate message(s)%s\n", out->file,
           out->frames, out->bytes, r.version, r.cipher, r.hello_retry ? ", HelloRetryRequest" : "",
           r.renegotiated ? ", renegotiated" : "",
           r.rejected ? ", client certificate rejected (fatal certificate_revoked alert)" : "",
           r.n_msgs, keys_note);
    describe_verify("client", r.client_verify);
    describe_verify("server", r.server_verify);
    rc = 0;
out:
    if (cap.w.f != NULL)
        pcapw_close(&cap.w);
    if (rc != 0)
        gen_err("scenario %s failed", s->name);
    tcp_free(&conn);
    tls_result_free(&r);
    pki_free(&pki);
    return rc;
}

void run_out_free(struct run_out *out)
{
    if (out == NULL)
        return;
    buf_free(&out->expected);
    buf_free(&out->manifest);
}
