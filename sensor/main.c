/* certsensor CLI: a thin embedder of the library. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

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
            "  --user NAME           after opening the interface, run as NAME (no privileges kept)\n"
            "  --keylog FILE         NSS key log (SSLKEYLOGFILE), repeatable; followed as it grows\n"
            "                        during live capture\n"
            "output\n"
            "  -o PATH               JSON lines output, '-' for stdout (default)\n"
            "  --extract-certs DIR   write each distinct certificate once as DIR/<sha256>.pem\n"
            "  --anomalies           also write anomaly events\n"
            "  --no-stats            do not write the final stats event\n"
            "  --no-ndpi             do not label flows with nDPI\n"
            "  --exchange-host NAME  an on-premises Exchange host (pattern, e.g. *.corp.example);\n"
            "                        repeatable. Exchange Online names are built in\n"
            "detection (alerts)\n"
            "  --blocklist FILE      thumbprints / JA3 / JA4: plain lists, abuse.ch SSLBL CSV, Zeek\n"
            "                        intel, Suricata fingerprint rules (repeatable; format detected)\n"
            "  --rules FILE          Suricata-syntax TLS rules (repeatable)\n"
            "  --check-rules FILE    validate a rules file and exit\n"
            "  --var NAME=VALUE      rule address variable, e.g. HOME_NET=[10.0.0.0/8]\n"
            "  --ca-file FILE        trusted roots, PEM (repeatable; default the system bundle)\n"
            "  --ca-path DIR         every *.pem / *.crt in DIR as trusted roots\n"
            "  --intermediates FILE  extra intermediates for path building\n"
            "  --pins FILE           certificate pins per host\n"
            "  --intercept-list FILE known TLS-interception issuers (e.g. rules/interception-issuers.txt)\n"
            "  --geoip-db FILE       MaxMind country/city database\n"
            "  --asn-db FILE         MaxMind ASN database\n"
            "  --geo-bind FILE       certificates bound to ASNs / countries\n"
            "  --state FILE          SQLite baseline of services and client certificates\n"
            "  --disable-check NAME  switch off a check, a family or a category (chain,\n"
            "                        trust.untrusted_root, validity, hygiene, ...); client:NAME or\n"
            "                        server:NAME for one side only\n"
            "  --max-validity-days N longest leaf validity before validity.too_long (398; 0 off)\n"
            "                        SIGHUP reloads every rule input\n"
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

/* ---- detection inputs ------------------------------------------------------ */

#define MAX_LISTS 64

struct list {
    const char *v[MAX_LISTS];
    size_t n;
};

struct rule_inputs {
    struct list blocklists, rules, cas, capaths, intermediates, pins, intercept, disable, vars;
    const char *geoip_db, *asn_db, *geobind;
    bool trust_default; /* no --ca-file/--ca-path: the system bundle */
    int64_t max_validity_days;
    bool max_validity_set;
};

#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

/* "--name" of an option value, for messages (works for "--opt=value" too) */
static const char *opt_name(const struct option *opts, int val, char *buf, size_t cap)
{
    for (; opts->name != NULL; opts++)
        if (opts->val == val) {
            snprintf(buf, cap, "--%s", opts->name);
            return buf;
        }
    return "option";
}

static bool list_add(struct list *l, const char *opt, const char *v)
{
    if (l->n == MAX_LISTS) {
        fprintf(stderr, "certsensor: %s: at most %d\n", opt, MAX_LISTS);
        return false;
    }
    l->v[l->n++] = v;
    return true;
}

/* Rules, lists and state decide what is alerted: refuse files anyone may
 * write, or that sit in a directory anyone may write without the sticky bit. */
static bool file_safe(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "certsensor: %s: %s\n", path, strerror(errno));
        return false;
    }
    if (st.st_mode & S_IWOTH) {
        fprintf(stderr, "certsensor: %s: refusing a world-writable file (chmod o-w)\n", path);
        return false;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    if (stat(dir, &st) == 0 && (st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
        fprintf(stderr, "certsensor: %s: refusing a file in the world-writable directory %s\n",
                path, dir);
        return false;
    }
    return true;
}

/* The state file may not exist yet; its directory must still be safe. */
static bool file_safe_or_new(const char *path)
{
    if (access(path, F_OK) == 0)
        return file_safe(path);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    struct stat st;
    if (stat(dir, &st) == 0 && (st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
        fprintf(stderr, "certsensor: %s: refusing a state file in the world-writable directory %s\n",
                path, dir);
        return false;
    }
    return true;
}

/* Whole file into memory (rules and lists; bounded). */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "certsensor: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        if (cap >= ((size_t)1 << 31)) { /* 2 GiB of rules is not a rule file */
            fprintf(stderr, "certsensor: %s: larger than 2 GiB\n", path);
            free(buf);
            buf = NULL;
            break;
        }
        char *nb = realloc(buf, cap * 2);
        if (nb == NULL) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    if (buf != NULL && ferror(f)) {
        fprintf(stderr, "certsensor: %s: read error\n", path);
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

static bool load_one(struct cs_ruleset *rs, enum cs_rs_input kind, const char *path, bool check_safe)
{
    if (check_safe && !file_safe(path))
        return false;
    size_t len;
    char *text = read_file(path, &len);
    if (text == NULL)
        return false;
    char err[512];
    cs_err e = cs_ruleset_load(rs, kind, path, text, len, err, sizeof err);
    free(text);
    if (e != CS_OK) {
        fprintf(stderr, "certsensor: %s\n", err);
        return false;
    }
    return true;
}

static bool has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* every *.pem / *.crt of a directory, in name order (deterministic) */
static bool load_ca_dir(struct cs_ruleset *rs, const char *dir)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "certsensor: --ca-path %s: %s\n", dir, strerror(errno));
        return false;
    }
    bool ok = true;
    for (int i = 0; i < n; i++) {
        const char *nm = names[i]->d_name;
        if (ok && nm[0] != '.' && (has_suffix(nm, ".pem") || has_suffix(nm, ".crt"))) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, nm);
            ok = load_one(rs, CS_RS_CA, path, true);
        }
        free(names[i]);
    }
    free(names);
    return ok;
}

/* A complete rule set from the command line's files, or NULL (message printed). */
static struct cs_ruleset *build_ruleset(const struct rule_inputs *in)
{
    struct cs_ruleset *rs = cs_ruleset_new();
    char err[512];
    if (rs == NULL) {
        fprintf(stderr, "certsensor: out of memory for the rule set\n");
        return NULL;
    }
    bool ok = true;
    for (size_t i = 0; ok && i < in->vars.n; i++) {
        char name[64];
        const char *eq = strchr(in->vars.v[i], '=');
        if (eq == NULL || (size_t)(eq - in->vars.v[i]) >= sizeof name || eq == in->vars.v[i]) {
            fprintf(stderr, "certsensor: --var %s: expected NAME=VALUE\n", in->vars.v[i]);
            ok = false;
            break;
        }
        snprintf(name, sizeof name, "%.*s", (int)(eq - in->vars.v[i]), in->vars.v[i]);
        if (cs_ruleset_set_var(rs, name, eq + 1, err, sizeof err) != CS_OK) {
            fprintf(stderr, "certsensor: --var %s: %s\n", in->vars.v[i], err);
            ok = false;
        }
    }
    for (size_t i = 0; ok && i < in->blocklists.n; i++)
        ok = load_one(rs, CS_RS_BLOCKLIST, in->blocklists.v[i], true);
    for (size_t i = 0; ok && i < in->rules.n; i++)
        ok = load_one(rs, CS_RS_RULES, in->rules.v[i], true);
    for (size_t i = 0; ok && i < in->cas.n; i++)
        ok = load_one(rs, CS_RS_CA, in->cas.v[i], true);
    for (size_t i = 0; ok && i < in->capaths.n; i++)
        ok = load_ca_dir(rs, in->capaths.v[i]);
    if (ok && in->trust_default && access(SYSTEM_CA_BUNDLE, R_OK) == 0)
        ok = load_one(rs, CS_RS_CA, SYSTEM_CA_BUNDLE, true);
    for (size_t i = 0; ok && i < in->intermediates.n; i++)
        ok = load_one(rs, CS_RS_INTERMEDIATES, in->intermediates.v[i], true);
    for (size_t i = 0; ok && i < in->pins.n; i++)
        ok = load_one(rs, CS_RS_PINS, in->pins.v[i], true);
    for (size_t i = 0; ok && i < in->intercept.n; i++)
        ok = load_one(rs, CS_RS_INTERCEPT, in->intercept.v[i], true);
    if (ok && in->geobind != NULL)
        ok = load_one(rs, CS_RS_GEOBIND, in->geobind, true);
    if (ok && in->geoip_db != NULL)
        ok = file_safe(in->geoip_db);
    if (ok && in->asn_db != NULL)
        ok = file_safe(in->asn_db);
    if (ok && in->max_validity_set)
        cs_ruleset_set_max_validity(rs, in->max_validity_days);
    if (ok && (in->geoip_db != NULL || in->asn_db != NULL) &&
        cs_ruleset_open_geo(rs, in->geoip_db, in->asn_db, err, sizeof err) != CS_OK) {
        fprintf(stderr, "certsensor: %s\n", err);
        ok = false;
    }
    for (size_t i = 0; ok && i < in->disable.n; i++) {
        if (cs_ruleset_disable(rs, in->disable.v[i]) != CS_OK) {
            fprintf(stderr,
                    "certsensor: --disable-check %s: not a check, family or category (expected e.g. "
                    "chain, trust.untrusted_root, validity, hostname, pin, starttls, auth, "
                    "hygiene, mitm; 'client:' or 'server:' in front for one side)\n",
                    in->disable.v[i]);
            ok = false;
        }
    }
    if (!ok) {
        cs_ruleset_free(rs);
        return NULL;
    }
    return rs;
}

/* SIGHUP: rebuild the rule set from the same files and swap it in between
 * two packets; a broken new set keeps the old one running. */
static volatile sig_atomic_t g_reload;

static void on_hup(int sig)
{
    (void)sig;
    g_reload = 1;
}

struct reload_ctx {
    struct cs_sensor *s;
    const struct rule_inputs *in;
    struct keyfiles *keys;
};

static void between_packets(void *ctx)
{
    struct reload_ctx *rc = ctx;
    if (rc->keys != NULL && rc->keys->n > 0)
        keylogs_poll(rc->keys);
    if (!g_reload)
        return;
    g_reload = 0;
    struct cs_ruleset *rs = build_ruleset(rc->in);
    if (rs == NULL) {
        fprintf(stderr, "certsensor: reload failed; the previous rules stay in force\n");
        return;
    }
    cs_set_ruleset(rc->s, rs);
    fprintf(stderr, "certsensor: rules reloaded\n");
}

enum {
    OPT_BLOCKLIST = 300,
    OPT_RULES,
    OPT_CHECK_RULES,
    OPT_CA_FILE,
    OPT_CA_PATH,
    OPT_INTERMEDIATES,
    OPT_PINS,
    OPT_INTERCEPT,
    OPT_GEOIP,
    OPT_ASN,
    OPT_GEOBIND,
    OPT_STATE,
    OPT_DISABLE,
    OPT_VAR,
    OPT_USER,
    OPT_EXCHANGE_HOST,
    OPT_MAX_VALIDITY,
};

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
        {"blocklist", required_argument, NULL, OPT_BLOCKLIST},
        {"rules", required_argument, NULL, OPT_RULES},
        {"check-rules", required_argument, NULL, OPT_CHECK_RULES},
        {"ca-file", required_argument, NULL, OPT_CA_FILE},
        {"ca-path", required_argument, NULL, OPT_CA_PATH},
        {"intermediates", required_argument, NULL, OPT_INTERMEDIATES},
        {"pins", required_argument, NULL, OPT_PINS},
        {"intercept-list", required_argument, NULL, OPT_INTERCEPT},
        {"geoip-db", required_argument, NULL, OPT_GEOIP},
        {"asn-db", required_argument, NULL, OPT_ASN},
        {"geo-bind", required_argument, NULL, OPT_GEOBIND},
        {"state", required_argument, NULL, OPT_STATE},
        {"disable-check", required_argument, NULL, OPT_DISABLE},
        {"var", required_argument, NULL, OPT_VAR},
        {"user", required_argument, NULL, OPT_USER},
        {"exchange-host", required_argument, NULL, OPT_EXCHANGE_HOST},
        {"max-validity-days", required_argument, NULL, OPT_MAX_VALIDITY},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cs_config cfg;
    cs_config_init(&cfg);
    static const char *inputs[MAX_INPUTS];
    static struct keyfiles keys;
    static struct rule_inputs rin;
    struct list check_only = {{NULL}, 0};
    const char *state = NULL;
    const char *user = NULL;
    static char exchange_hosts[4096];
    size_t exlen = 0;
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
        case OPT_BLOCKLIST:
        case OPT_RULES:
        case OPT_CHECK_RULES:
        case OPT_CA_FILE:
        case OPT_CA_PATH:
        case OPT_INTERMEDIATES:
        case OPT_PINS:
        case OPT_INTERCEPT:
        case OPT_DISABLE:
        case OPT_VAR: {
            /* repeatable options: each collects its values in a list */
            struct list *l = c == OPT_BLOCKLIST       ? &rin.blocklists
                             : c == OPT_RULES         ? &rin.rules
                             : c == OPT_CHECK_RULES   ? &check_only
                             : c == OPT_CA_FILE       ? &rin.cas
                             : c == OPT_CA_PATH       ? &rin.capaths
                             : c == OPT_INTERMEDIATES ? &rin.intermediates
                             : c == OPT_PINS          ? &rin.pins
                             : c == OPT_INTERCEPT     ? &rin.intercept
                             : c == OPT_DISABLE       ? &rin.disable
                                                      : &rin.vars;
            char nm[40];
            if (!list_add(l, opt_name(longopts, c, nm, sizeof nm), optarg))
                return 2;
            break;
        }
        case OPT_GEOIP:
        case OPT_ASN:
        case OPT_GEOBIND:
        case OPT_STATE: {
            const char **slot = c == OPT_GEOIP ? &rin.geoip_db
                                : c == OPT_ASN ? &rin.asn_db
                                : c == OPT_GEOBIND ? &rin.geobind
                                                   : &state;
            if (*slot != NULL) {
                char nm[40];
                fprintf(stderr, "certsensor: %s given twice ('%s', '%s'); one is allowed\n",
                        opt_name(longopts, c, nm, sizeof nm), *slot, optarg);
                return 2;
            }
            *slot = optarg;
            break;
        }
        case OPT_MAX_VALIDITY:
            if (!parse_size("--max-validity-days", optarg, 0, 36500, &v))
                return 2;
            rin.max_validity_days = (int64_t)v;
            rin.max_validity_set = true;
            break;
        case OPT_USER:
            user = optarg;
            break;
        case OPT_EXCHANGE_HOST: {
            int w = snprintf(exchange_hosts + exlen, sizeof exchange_hosts - exlen, "%s%s",
                             exlen ? "," : "", optarg);
            if (w < 0 || (size_t)w >= sizeof exchange_hosts - exlen || strchr(optarg, ',')) {
                fprintf(stderr, "certsensor: --exchange-host %s: too long or contains ','\n", optarg);
                return 2;
            }
            exlen += (size_t)w;
            cfg.exchange_hosts = exchange_hosts;
            break;
        }
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
    if (check_only.n > 0) {
        /* --check-rules: validate and exit */
        bool ok = true;
        for (size_t i = 0; i < check_only.n; i++) {
            /* the same variables as a real run (--var) */
            struct rule_inputs vin = {0};
            vin.vars = rin.vars;
            struct cs_ruleset *rs = build_ruleset(&vin);
            if (rs == NULL || !load_one(rs, CS_RS_RULES, check_only.v[i], false))
                ok = false;
            else
                printf("%s: OK\n", check_only.v[i]);
            cs_ruleset_free(rs);
        }
        return ok ? 0 : 1;
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
    rin.trust_default = rin.cas.n == 0 && rin.capaths.n == 0;
    struct cs_ruleset *rs = build_ruleset(&rin);
    if (rs == NULL) {
        cs_free(s);
        output_close(&out);
        return 2;
    }
    cs_set_ruleset(s, rs);
    if (state != NULL) {
        char serr[512] = "";
        if (!file_safe_or_new(state) || cs_open_state(s, state, serr, sizeof serr) != CS_OK) {
            if (serr[0])
                fprintf(stderr, "certsensor: --state %s: %s\n", state, serr);
            cs_free(s);
            output_close(&out);
            return 2;
        }
    }
    struct sigaction hup;
    memset(&hup, 0, sizeof hup);
    hup.sa_handler = on_hup;
    hup.sa_flags = SA_RESTART; /* a reload must not end a read from a pipe (EINTR) */
    sigaction(SIGHUP, &hup, NULL);
    bool ok = true;
    keys.s = s;
    keylogs_poll(&keys);
    struct reload_ctx rctx = {s, &rin, &keys};
    if (iface == NULL)
        for (size_t i = 0; i < keys.n; i++)
            cs_keylog_finish(s); /* offline: a last line without newline counts */
    if (iface != NULL) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        ok = capture_live(s, iface, filter, snaplen, &g_stop, between_packets, &rctx, user);
    } else {
        /* offline: inputs are opened as they come, so drop now if asked */
        bool can_run = user == NULL || capture_drop_privileges(user);
        if (!can_run)
            ok = false;
        /* a damaged input does not stop the others */
        for (size_t i = 0; can_run && i < ninputs; i++)
            if (!capture_file(s, inputs[i], filter, between_packets, &rctx))
                ok = false;
    }
    cs_flush(s);
    struct cs_stats fin;
    cs_get_stats(s, &fin);
    if (fin.baseline_errors > 0)
        fprintf(stderr, "certsensor: --state %s: %llu baseline updates failed (see SQLite)\n",
                state, (unsigned long long)fin.baseline_errors);
    cs_free(s);
    for (size_t i = 0; i < keys.n; i++)
        fclose(keys.f[i].fp);
    if (!output_close(&out)) {
        fprintf(stderr, "certsensor: -o %s: write failed\n", outpath);
        ok = false;
    }
    return ok ? 0 : 1;
}
