/* NSS key log (SSLKEYLOGFILE) reader and store.
 *
 * Format (NSS "Key Log Format"): one entry per line,
 *     <label> <client_random: 64 hex digits> <secret: hex>
 * fields separated by spaces (tabs are accepted too); lines starting with
 * '#' are comments; blank lines are ignored; a trailing CR is ignored.
 *
 * Stored labels (the rest are validated, counted and dropped):
 *   CLIENT_RANDOM                    48-byte TLS <= 1.2 master secret
 *   CLIENT_HANDSHAKE_TRAFFIC_SECRET  TLS 1.3, 32 or 48 bytes
 *   SERVER_HANDSHAKE_TRAFFIC_SECRET  TLS 1.3, 32 or 48 bytes
 *   CLIENT_TRAFFIC_SECRET_0          TLS 1.3, 32 or 48 bytes
 *   SERVER_TRAFFIC_SECRET_0          TLS 1.3, 32 or 48 bytes
 * Counted as ignored: EXPORTER_SECRET, EARLY_EXPORTER_SECRET,
 * CLIENT_EARLY_TRAFFIC_SECRET. Any other label: PR_UNSUPPORTED, counted.
 *
 * The store is an open-addressing hash table keyed by the 32-byte client
 * random, sized once by keylog_new() for at most `max_entries` distinct
 * client randoms; it never grows. This module allocates (once, at
 * keylog_new), it is not on the per-packet path. Not thread-safe: one
 * writer, and no lookups while a writer runs.
 *
 * Streaming: keylog_feed() takes any chunking of a file (for example a file
 * still being written, read as it grows); a partial last line is held in a
 * bounded buffer until its newline arrives. Every chunking of the same
 * bytes gives the same store and the same counters. */
#ifndef CS_PARSERS_KEYLOG_H
#define CS_PARSERS_KEYLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "status.h"

#define KEYLOG_RANDOM_LEN 32u
#define KEYLOG_SECRET_MAX 48u
/* Longest line accepted; a longer line is malformed unless it is a comment. */
#define KEYLOG_LINE_MAX 512u
/* Largest max_entries keylog_new() accepts. */
#define KEYLOG_MAX_ENTRIES (16u * 1024u * 1024u)

/* Secrets kept per client random, used as indexes into keylog_entry.secret */
enum keylog_secret_kind {
    KEYLOG_MASTER_SECRET = 0, /* CLIENT_RANDOM */
    KEYLOG_CLIENT_HS,         /* CLIENT_HANDSHAKE_TRAFFIC_SECRET */
    KEYLOG_SERVER_HS,         /* SERVER_HANDSHAKE_TRAFFIC_SECRET */
    KEYLOG_CLIENT_AP0,        /* CLIENT_TRAFFIC_SECRET_0 */
    KEYLOG_SERVER_AP0,        /* SERVER_TRAFFIC_SECRET_0 */
    KEYLOG_SECRET_KINDS
};

/* Why the last rejected line was rejected. */
enum keylog_reason {
    KEYLOG_R_NONE = 0,
    KEYLOG_R_FIELDS,     /* not exactly three fields */
    KEYLOG_R_LABEL,      /* unknown label (PR_UNSUPPORTED) */
    KEYLOG_R_RANDOM,     /* client random is not 64 hex digits */
    KEYLOG_R_SECRET_HEX, /* secret is not an even number of hex digits */
    KEYLOG_R_SECRET_LEN, /* secret has the wrong size for its label */
    KEYLOG_R_TOO_LONG,   /* line longer than KEYLOG_LINE_MAX */
    KEYLOG_R_FULL,       /* store full (PR_LIMIT) */
};

/* Counters; every line lands in exactly one of comments, stored,
 * duplicates, conflicts, ignored, unknown, malformed, full. */
struct keylog_stats {
    size_t lines;      /* lines processed */
    size_t comments;   /* comment and blank lines */
    size_t stored;     /* lines that stored a new secret */
    size_t duplicates; /* same label, random and secret as before: no change */
    size_t conflicts;  /* same label and random, other secret: the later one replaces */
    size_t ignored;    /* well-formed lines with a label that is not stored */
    size_t unknown;    /* unknown label */
    size_t malformed;
    size_t full;          /* new client random refused: store full */
    size_t entries;       /* distinct client randoms in the store */
    size_t last_bad_line; /* 1-based number of the last unknown/malformed/full line */
    enum keylog_reason last_reason;
};

/* Borrowed views of what the store holds for one client random. The views
 * point into the store: they stay valid until keylog_free(); a later line
 * with the same label and random but another secret overwrites the bytes. */
struct keylog_entry {
    struct bytes secret[KEYLOG_SECRET_KINDS]; /* {NULL, 0} when absent */
};

struct keylog;

/* A store for at most `max_entries` distinct client randoms (1 ..
 * KEYLOG_MAX_ENTRIES). NULL if out of range or out of memory. */
struct keylog *keylog_new(size_t max_entries);
/* NULL is fine. Wipes the secrets. */
void keylog_free(struct keylog *kl);
/* Heap bytes held by the store (to charge a memcap). */
size_t keylog_mem_bytes(const struct keylog *kl);

/* One line, without its newline (a trailing CR/LF is tolerated).
 * PR_OK: stored, duplicate, comment, blank or an ignored label.
 * PR_MALFORMED: see stats.last_reason. PR_UNSUPPORTED: unknown label.
 * PR_LIMIT: a new client random while the store is full. */
enum pr_status keylog_add_line(struct keylog *kl, const char *line, size_t len);

/* Streaming: any chunk of a key log file. Complete lines are added as by
 * keylog_add_line(); a partial last line waits for the next call (or for
 * keylog_finish()). Returns PR_LIMIT if a line of this chunk hit the
 * limit, else PR_MALFORMED if one was malformed, else PR_UNSUPPORTED if one
 * had an unknown label, else PR_OK; the counters say what happened to
 * every line (a chunk's status depends on where the chunk boundaries are,
 * the store and the counters do not). */
enum pr_status keylog_feed(struct keylog *kl, const uint8_t *bytes, size_t len);
/* End of input: add a pending last line that had no newline. Same
 * results as keylog_feed(). Feeding may continue afterwards. */
enum pr_status keylog_finish(struct keylog *kl);

/* true and *out filled when the store knows `client_random`. */
bool keylog_lookup(const struct keylog *kl, const uint8_t client_random[KEYLOG_RANDOM_LEN],
                   struct keylog_entry *out);

const struct keylog_stats *keylog_stats(const struct keylog *kl);
/* Static text for a reason, e.g. "client random is not 64 hex digits". */
const char *keylog_reason_text(enum keylog_reason r);

#endif
