/* certgen: classic libpcap file writer (microsecond timestamps, little-endian).
 * Format: https://wiki.wireshark.org/Development/LibpcapFileFormat
 * (24-byte global header, then a 16-byte record header before each frame). */
#ifndef CERTGEN_PCAPW_H
#define CERTGEN_PCAPW_H

#include "util.h"

#include <stdio.h>

#define PCAPW_LINKTYPE_ETHERNET 1u
#define PCAPW_SNAPLEN 65535u

struct pcapw {
    FILE *f;
    size_t frames; /* frames written so far; the next frame's number is frames + 1 */
    bool failed;   /* sticky: some write failed */
};

/* Creates path and writes the global header. 0 on success. */
int pcapw_open(struct pcapw *w, const char *path, uint32_t linktype);
/* Appends one frame stamped ts_us (microseconds since the epoch). len <= PCAPW_SNAPLEN. */
int pcapw_write(struct pcapw *w, uint64_t ts_us, const uint8_t *frame, size_t len);
/* Closes; -1 if any write failed. Accepts a never-opened (zeroed) writer. */
int pcapw_close(struct pcapw *w);

#endif
