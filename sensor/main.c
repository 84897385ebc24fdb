/* certsensor CLI: a thin embedder of the library. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture.h"
#include "certsensor.h"
#include "output.h"

#define CS_VERSION "0.1.0"
#define MAX_INPUTS 4096
#define MAX_KEYLOGS 64

struct keyfile {
    const char *path;
    FILE *fp;
    bool warned;
};

struct keyfiles {
    struct keyfile f[MAX_KEYLOGS];
    size_t n;
    struct cs_sensor *s;
};

/* Feed whatever the key logs gained since the last call: a key log that
 * is still being written (SSLKEYLOGFILE of a running client) is followed. */
static void keylogs_poll(void *ctx)
{
    struct keyfiles *k = ctx;
    uint8_t buf[16384];
    for (size_t i = 0; i < k->n; i++) {
        struct keyfile *f = &k->f[i];
        size_t got;
        while ((got = fread(buf, 1, sizeof buf, f->fp)) > 0) {
            if (cs_keylog_feed(k->s, buf, got) != CS_OK && !f->warned) {
                fprintf(stderr, "certsensor: %s: %s\n", f->path, cs_last_error(k->s));
                f->warned = true;
            }
        }
        clearerr(f->fp); /* EOF now; more may be appended later */
    }
}

static volatile int g_stop; /* CLI only: set from the signal handler */

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: certsensor -r CAPTURE [-r CAPTURE ...] [options] [BPF filter]\n"
            "       certsensor -i IFACE [options] [BPF filter]\n"
            "\n"
            "input\n"
            "  -r FILE               pcap or pcapng file, '-' for stdin; repeatable, read in order\n"
            "  -i IFACE              live capture on an interface\n"
            "  --snaplen N           live capture snap length (default 65535)\n"
            "  --keylog FILE         NSS key log (SSLKEYLOGFILE), repeatable; followed as it grows\n"
            "                        during live capture\n"
            "output\n"
            "  -o PATH               JSON lines output, '-' for stdout (default)\n"
            "  --extract-certs DIR   write each distinct certificate once as DIR/<sha256>.pem\n"
            "  --anomalies           also write anomaly events\n"
            "  --no-stats            do not write the final stats event\n"
            "  --no-ndpi             do not label flows with nDPI\n"
            "limits\n"
            "  --max-flows N         flow table size (default 262144)\n"
            "  --flow-timeout S      idle flow timeout in seconds of packet time (default 600)\n"
            "  --hs-max BYTES        largest handshake message reassembled (default 2097152)\n"
            "  --reasm-max BYTES     out-of-order bytes held per direction (default 262144)\n"
            "  --memcap MIB          heap the sensor may use (default 2048)\n"
            "other\n"
            "  -V, --version         print the version\n"
            "  -h, --help            this text\n"
            "\n"
            "exit status: 0 ok, 1 an input was damaged or output failed (everything found\n"
            "before the damage is written), 2 usage error\n");
}

static bool parse_size(const char *opt, const char *s, size_t min, size_t max, size_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max) {
        fprintf(stderr, "certsensor: %s: expected an integer from %zu to %zu, got '%s'\n", opt,
                min, max, s);
        return false;
    }
    *out = (size_t)v;
    return true;
}

enum {
    OPT_KEYLOG = 256,
    OPT_EXTRACT,
    OPT_MAX_FLOWS,
    OPT_FLOW_TIMEOUT,
    OPT_HS_MAX,
    OPT_REASM_MAX,
    OPT_MEMCAP,
    OPT_ANOMALIES,
    OPT_NO_STATS,
    OPT_SNAPLEN,
    OPT_NO_NDPI,
};

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"keylog", required_argument, NULL, OPT_KEYLOG},
        {"extract-certs", required_argument, NULL, OPT_EXTRACT},
        {"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
        {"flow-timeout", required_argument, NULL, OPT_FLOW_TIMEOUT},
        {"hs-max", required_argument, NULL, OPT_HS_MAX},
        {"reasm-max", required_argument, NULL, OPT_REASM_MAX},
        {"memcap", required_argument, NULL, OPT_MEMCAP},
        {"anomalies", no_argument, NULL, OPT_ANOMALIES},
        {"no-stats", no_argument, NULL, OPT_NO_STATS},
        {"snaplen", required_argument, NULL, OPT_SNAPLEN},
        {"no-ndpi", no_argument, NULL, OPT_NO_NDPI},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cs_config cfg;
    cs_config_init(&cfg);
    static const char *inputs[MAX_INPUTS];
    static struct keyfiles keys;
    size_t ninputs = 0;
    const char *iface = NULL, *outpath = "-", *certdir = NULL;
    bool stats = true;
    size_t v, snaplen = 65535;
    int c;
    while ((c = getopt_long(argc, argv, "+r:i:o:Vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (ninputs == MAX_INPUTS) {
                fprintf(stderr, "certsensor: -r: at most %d inputs\n", MAX_INPUTS);
                return 2;
            }
            inputs[ninputs++] = optarg;
            break;
        case 'i':
            iface = optarg;
            break;
        case 'o':
            outpath = optarg;
            break;
        case OPT_KEYLOG: {
            if (keys.n == MAX_KEYLOGS) {
                fprintf(stderr, "certsensor: --keylog: at most %d files\n", MAX_KEYLOGS);
                return 2;
            }
            FILE *kf = fopen(optarg, "rb");
            if (kf == NULL) {
                fprintf(stderr, "certsensor: --keylog %s: %s\n", optarg, strerror(errno));
                return 2;
            }
            keys.f[keys.n].path = optarg;
            keys.f[keys.n].fp = kf;
            keys.f[keys.n].warned = false;
            keys.n++;
            break;
        }
        case OPT_EXTRACT:
            certdir = optarg;
            break;
        case OPT_MAX_FLOWS:
            if (!parse_size("--max-flows", optarg, 1, 1u << 26, &cfg.max_flows))
                return 2;
            break;
        case OPT_FLOW_TIMEOUT:
            if (!parse_size("--flow-timeout", optarg, 1, 86400, &v))
                return 2;
            cfg.flow_timeout_s = (uint32_t)v;
            break;
        case OPT_HS_MAX:
            if (!parse_size("--hs-max", optarg, 1024, 1u << 24, &cfg.hs_msg_max))
                return 2;
            break;
        case OPT_REASM_MAX:
            if (!parse_size("--reasm-max", optarg, 0, (size_t)1 << 30, &cfg.reasm_max_dir))
                return 2;
            break;
        case OPT_MEMCAP:
            if (!parse_size("--memcap", optarg, 16, 1u << 20, &v))
                return 2;
            cfg.memcap = v * 1024 * 1024;
            break;
        case OPT_ANOMALIES:
            cfg.emit_anomalies = true;
            break;
        case OPT_NO_STATS:
            stats = false;
            break;
        case OPT_SNAPLEN:
            if (!parse_size("--snaplen", optarg, 64, 262144, &snaplen))
                return 2;
            break;
        case OPT_NO_NDPI:
            cfg.ndpi = false;
            break;
        case 'V':
            printf("certsensor %s\n", CS_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if ((ninputs == 0) == (iface == NULL)) {
        fprintf(stderr, "certsensor: give capture files with -r, or an interface with -i\n");
        usage(stderr);
        return 2;
    }
    /* trailing arguments form the BPF filter, as with tcpdump */
    char filter[4096] = "";
    size_t flen = 0;
    for (int i = optind; i < argc; i++) {
        int n = snprintf(filter + flen, sizeof filter - flen, "%s%s", flen ? " " : "", argv[i]);
        if (n < 0 || (size_t)n >= sizeof filter - flen) {
            fprintf(stderr, "certsensor: filter expression too long\n");
            return 2;
        }
        flen += (size_t)n;
    }
    if (certdir != NULL) {
        struct stat stb;
        if (stat(certdir, &stb) != 0 && mkdir(certdir, 0750) != 0) {
            fprintf(stderr, "certsensor: --extract-certs %s: %s\n", certdir, strerror(errno));
            return 2;
        }
        if (stat(certdir, &stb) != 0 || !S_ISDIR(stb.st_mode)) {
            fprintf(stderr, "certsensor: --extract-certs %s: not a directory\n", certdir);
            return 2;
        }
    }
    struct output out;
    if (!output_open(&out, outpath)) {
        fprintf(stderr, "certsensor: -o %s: %s\n", outpath, strerror(errno));
        return 2;
    }
    out.cert_dir = certdir;
    out.stats = stats;
    cfg.on_event = output_event;
    cfg.user = &out;
    cs_err err;
    struct cs_sensor *s = cs_new(&cfg, &err);
    if (s == NULL) {
        fprintf(stderr, "certsensor: cannot create the sensor: %s\n", cs_strerror(err));
        output_close(&out);
        return 1;
    }
    bool ok = true;
    keys.s = s;
    keylogs_poll(&keys);
    if (iface == NULL)
        for (size_t i = 0; i < keys.n; i++)
            cs_keylog_finish(s); /* offline: a last line without newline counts */
    if (iface != NULL) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        ok = capture_live(s, iface, filter, snaplen, &g_stop, keylogs_poll, &keys);
    } else {
        for (size_t i = 0; i < ninputs; i++)
            if (!capture_file(s, inputs[i], filter))
                ok = false;
    }
    cs_flush(s);
    cs_free(s);
    for (size_t i = 0; i < keys.n; i++)
        fclose(keys.f[i].fp);
    if (!output_close(&out)) {
        fprintf(stderr, "certsensor: -o %s: write failed\n", outpath);
        ok = false;
    }
    return ok ? 0 : 1;
}
