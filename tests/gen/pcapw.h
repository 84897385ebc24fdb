/* certgen: capture file writer.
 *
 * Classic libpcap (microsecond timestamps, little-endian):
 *   https://wiki.wireshark.org/Development/LibpcapFileFormat
 *   (24-byte global header, then a 16-byte record header before each frame).
 * pcapng (little-endian, one section, one interface, microsecond timestamps):
 *   IETF draft-ietf-opsawg-pcapng, sections 4.1 (Section Header Block), 4.2
 *   (Interface Description Block), 4.3 (Enhanced Packet Block) and 4.7 (Decryption
 *   Secrets Block). The file is SHB, IDB, then the DSBs, then one EPB per frame, so
 *   the secrets come before every packet that needs them. Secrets are only known
 *   after the handshake: in pcapng mode frames are held in memory until close. */
#ifndef CERTGEN_PCAPW_H
#define CERTGEN_PCAPW_H

#include "util.h"

#include <stdio.h>

#define PCAPW_LINKTYPE_ETHERNET 1u
#define PCAPW_SNAPLEN 65535u
#define PCAPW_SECRETS_TLS_KEYLOG 0x544c534bu /* "TLSK": NSS key log text */

struct pcapw {
    FILE *f;
    size_t frames; /* frames written so far; the next frame's number is frames + 1 */
    bool failed;   /* sticky: some write failed */
    bool ng;       /* pcapng */
    uint32_t linktype;
    struct buf dsbs;    /* pcapng: Decryption Secrets Blocks, in order */
    struct buf packets; /* pcapng: Enhanced Packet Blocks, written at close */
};

/* Creates path and writes the classic global header. 0 on success. */
int pcapw_open(struct pcapw *w, const char *path, uint32_t linktype);
/* Creates path for a pcapng file (written at close). 0 on success. */
int pcapw_open_ng(struct pcapw *w, const char *path, uint32_t linktype);
/* Appends one frame stamped ts_us (microseconds since the epoch). len <= PCAPW_SNAPLEN. */
int pcapw_write(struct pcapw *w, uint64_t ts_us, const uint8_t *frame, size_t len);
/* pcapng only: adds a Decryption Secrets Block of the given type. */
int pcapw_add_secrets(struct pcapw *w, uint32_t type, const uint8_t *p, size_t n);
/* Closes (pcapng: writes the whole file first); -1 if any write failed. Accepts a
 * never-opened (zeroed) writer. */
int pcapw_close(struct pcapw *w);

#endif
