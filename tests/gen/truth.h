/* certgen: ground truth files, in the format of ../shared/pcaps:
 *   expected.jsonl  one object per certificate occurrence, fixed key order
 *   MANIFEST.tsv    one row per capture
 * Values come from OpenSSL (i2d_X509 of the configured certificates) and from the
 * generator's own TCP bookkeeping, never from sensor code. */
#ifndef CERTGEN_TRUTH_H
#define CERTGEN_TRUTH_H

#include "pki.h"
#include "tcpsim.h"
#include "tlsrun.h"
#include "util.h"

#define TRUTH_EXPECTED "expected.jsonl"
#define TRUTH_MANIFEST "MANIFEST.tsv"
#define TRUTH_MANIFEST_HEADER                                                                      \
    "file\tsource_repo\tsource_path\tsource_commit\tsha256_of_file\tcategory\ttls_versions\t"      \
    "n_cert_messages\tnotes\n"

/* Appends one expected.jsonl line per certificate of every Certificate message in r.
 * msg_index counts Certificate messages in the capture, starting at *msg_index
 * (advanced). */
int truth_expected(struct buf *out, const char *file, size_t tcp_stream, size_t *msg_index,
                   const struct tcp_conn *c, const struct pki *pki, const struct tls_result *r);

/* Appends one MANIFEST.tsv row. Tabs and newlines in notes are replaced by spaces. */
int truth_manifest(struct buf *out, const char *file, const char *sha256, const char *category,
                   const char *tls_versions, size_t n_cert_messages, const char *notes);

/* Writes dir/name from per-capture parts, in table order. For captures not regenerated
 * in this run (fresh[i] false), the lines already in the file are kept; lines naming
 * captures outside files[] are dropped. header may be NULL. */
int truth_write(const char *dir, const char *name, const char *header, const char *const *files,
                const struct buf *parts, const bool *fresh, size_t n);

#endif
