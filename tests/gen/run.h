/* certgen: runs one scenario into one capture file plus its ground truth. */
#ifndef CERTGEN_RUN_H
#define CERTGEN_RUN_H

#include "scenarios.h"
#include "util.h"

/* Capture clock start: 2025-06-01T12:00:00Z, inside every certificate's validity. */
#define RUN_START_TIME 1748779200

struct run_out {
    char file[128];      /* capture file name inside outdir */
    struct buf expected; /* expected.jsonl lines */
    struct buf manifest; /* MANIFEST.tsv row */
    size_t frames;
    size_t bytes; /* capture file size */
    bool keys;    /* <file>.keys written */
};

/* Writes outdir/<name>.pcap (and .keys), fills out. 0 on success. */
int run_scenario(const struct scenario *s, const char *outdir, struct run_out *out);
void run_out_free(struct run_out *out);

#endif
