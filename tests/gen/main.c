/* certgen: makes the project's sample captures with real OpenSSL handshakes.
 *
 *   certgen --list                 scenario names and what each capture holds
 *   certgen OUTDIR                 every default scenario
 *   certgen OUTDIR SCENARIO...     only those (other lines of the truth files are kept)
 *   certgen hostile [--small] OUTDIR [NAME...]   captures that attack the sensor's bounds
 *                                  (hostile.h; never part of pcaps/)
 *   certgen --mmdb OUT KIND NET=VALUE...   a MaxMind DB for the GeoIP tests (geodb.h)
 *
 * Writes OUTDIR/<scenario>.pcap (+ .keys for TLS 1.3; <scenario>.pcapng with the key
 * log inside for pcapng_dsb rows), OUTDIR/expected.jsonl, OUTDIR/MANIFEST.tsv and
 * OUTDIR/certgen-roots.pem (the trusted roots of the test PKI, for --ca-file).
 * Output is deterministic for a given OpenSSL version. */
#include "detrand.h"
#include "geodb.h"
#include "hostile.h"
#include "pki.h"
#include "run.h"
#include "scenarios.h"
#include "truth.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *f)
{
    fputs("usage: certgen OUTDIR [SCENARIO...]\n"
          "       certgen --list\n"
          "       certgen --mmdb OUT.mmdb country|asn CIDR=VALUE...\n"
          "       certgen hostile [--small] OUTDIR [NAME...]\n",
          f);
}

static void list(void)
{
    for (size_t i = 0; i < scenario_count; i++)
        printf("%-22s %s%s\n", scenario_table[i].name, scenario_table[i].extra ? "(extra) " : "",
               scenario_table[i].notes);
}

/* OUTDIR/certgen-roots.pem, from the same PKI every scenario uses */
static int write_roots(const char *outdir)
{
    struct pki pki;
    char path[4096];
    int rc = -1;
    detrand_seed("pki");
    if (pki_build(&pki) == 0 && gen_path(path, sizeof(path), outdir, "certgen-roots.pem") == 0 &&
        pki_write_roots(&pki, path) == 0)
        rc = 0;
    pki_free(&pki);
    return rc;
}

int main(int argc, char **argv)
{
    int rc = 1;
    bool *want = NULL;
    const char **files = NULL;
    struct run_out *outs = NULL;
    struct buf *exp_parts = NULL, *man_parts = NULL;

    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        list();
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "hostile") == 0)
        return hostile_main(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "--mmdb") == 0)
        return geodb_main(argc, argv);
    if (argc < 2 || argv[1][0] == '-') {
        bool help = argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0);
        usage(help ? stdout : stderr);
        return help ? 0 : 2;
    }
    const char *outdir = argv[1];

    want = gen_calloc(scenario_count, sizeof(*want));
    files = gen_calloc(scenario_count, sizeof(*files));
    outs = gen_calloc(scenario_count, sizeof(*outs));
    exp_parts = gen_calloc(scenario_count, sizeof(*exp_parts));
    man_parts = gen_calloc(scenario_count, sizeof(*man_parts));
    if (!want || !files || !outs || !exp_parts || !man_parts) {
        gen_err("out of memory");
        goto out;
    }
    for (int a = 2; a < argc; a++) {
        const struct scenario *s = scenario_find(argv[a]);
        if (s == NULL) {
            gen_err("unknown scenario '%s' (certgen --list shows them)", argv[a]);
            rc = 2;
            goto out;
        }
        want[s - scenario_table] = true;
    }
    if (argc == 2)
        for (size_t i = 0; i < scenario_count; i++)
            want[i] = !scenario_table[i].extra;

    if (mkdir(outdir, 0777) != 0 && errno != EEXIST) {
        gen_err("%s: %s", outdir, strerror(errno));
        goto out;
    }
    if (detrand_install() != 0)
        goto out;

    size_t total = 0;
    for (size_t i = 0; i < scenario_count; i++) {
        if (!want[i])
            continue;
        if (run_scenario(&scenario_table[i], outdir, &outs[i]) != 0)
            goto out;
        total += outs[i].bytes;
    }
    for (size_t i = 0; i < scenario_count; i++) {
        files[i] = outs[i].file;
        if (!want[i] && scenario_file(&scenario_table[i], outs[i].file, sizeof(outs[i].file)))
            goto out;
        exp_parts[i] = outs[i].expected;
        man_parts[i] = outs[i].manifest;
    }
    if (truth_write(outdir, TRUTH_EXPECTED, NULL, files, exp_parts, want, scenario_count) != 0 ||
        truth_write(outdir, TRUTH_MANIFEST, TRUTH_MANIFEST_HEADER, files, man_parts, want,
                    scenario_count) != 0)
        goto out;
    if (write_roots(outdir) != 0)
        goto out;
    printf("certgen: %zu bytes of captures in %s\n", total, outdir);
    rc = 0;
out:
    for (size_t i = 0; outs != NULL && i < scenario_count; i++)
        run_out_free(&outs[i]);
    free(want);
    free(files);
    free(outs);
    free(exp_parts);
    free(man_parts);
    return rc;
}
