/* CLI outputs: JSON lines to a file or stdout, certificates to a directory. */
#ifndef CS_SENSOR_OUTPUT_H
#define CS_SENSOR_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "certsensor.h"

struct output {
    FILE *fp;
    bool close_fp;
    char *buf;
    size_t cap;
    const char *cert_dir;   /* --extract-certs, or NULL */
    unsigned long certs_written;
    bool write_failed;
    bool stats;             /* write the stats event */
};

/* Open path ("-" = stdout); created 0640. Returns false with errno set. */
bool output_open(struct output *o, const char *path);
/* The cs_event_cb: render and write one event; extract certificates. */
void output_event(const struct cs_event *ev, void *user);
/* Flush and close; false if any write failed. */
bool output_close(struct output *o);

#endif
