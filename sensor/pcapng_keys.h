/* CLI: TLS key logs embedded in a pcapng file (Decryption Secrets Blocks).
 *
 * pcapng (IETF draft-ietf-opsawg-pcapng) lets a capture carry its own
 * decryption secrets: a Decryption Secrets Block (block type 0x0000000A)
 * holds a Secrets Type, a Secrets Length and the secrets; type 0x544c534b
 * ("TLSK") is an NSS key log (SSLKEYLOGFILE text). libpcap skips these
 * blocks, so the CLI walks the file once on its own before the packets are
 * read and feeds the key logs to the sensor.
 *
 * This is block walking only: 8-byte block headers, the byte-order magic of
 * each Section Header Block, the DSB's fixed fields. Every other block is
 * skipped (read through stdio when it is short, fseeko() past it when it is
 * longer than 64 KiB) and its trailing length checked; nothing but a
 * DSB body is ever read into memory, and a DSB is at most
 * PCAPNG_KEYS_MAX_DSB bytes. */
#ifndef CS_SENSOR_PCAPNG_KEYS_H
#define CS_SENSOR_PCAPNG_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PCAPNG_KEYS_MAX_DSB (64u * 1024u * 1024u) /* one DSB, total length, bytes */

/* Walks the pcapng file fp from its current position (a separately opened
 * FILE for the capture's path, positioned at the start; not stdin: long
 * blocks are skipped with fseeko) to its end.
 *
 * For every DSB of secrets type TLSK with a non-empty key log, in file order,
 * on_keys(ctx, p, n) is called with the key log bytes (the block's padding
 * and options excluded). p is borrowed for the duration of the call; it is
 * one DSB's text, which need not end with a newline, so a consumer that
 * joins several DSBs must not run the last line of one into the next. DSBs
 * of other secrets types are skipped. Every section's byte order is taken
 * from its SHB's byte-order magic 0x1A2B3C4D; both orders are read.
 *
 * Returns 0 when the file was walked to its end, or when it is not pcapng
 * (it does not start with an SHB with a valid byte-order magic; nothing is
 * called then). Returns -1 on damage (a block length that is not a multiple
 * of 4, below the block's minimum, above PCAPNG_KEYS_MAX_DSB for a DSB, or
 * past the end of the file; leading and trailing lengths that differ; a
 * secrets length past its block; a read error; out of memory) and writes
 * "byte offset N: what" into err (errlen bytes, always NUL-terminated when
 * errlen > 0), N being the offset, from where fp stood, of the block at
 * fault. Key logs of DSBs before the damage have been handed over. */
int pcapng_keys_scan(FILE *fp, void (*on_keys)(void *ctx, const uint8_t *p, size_t n), void *ctx,
                     char *err, size_t errlen);

#endif
