/* Certificate baselines persisted in SQLite: what each service presented
 * before, and where each client certificate came from before.
 *
 * Server side. Service key = the SNI (lower-cased, bytes outside 0x21-0x7e
 * as \xHH) when the ClientHello had one, else "ip:port" of the server
 * ("[v6]:port"). Per service the database remembers the server leaf
 * SHA-256s and leaf issuer DNs seen, each with first_seen / last_seen
 * (capture time, t->ts_us) and a count. A service seen in an earlier
 * session that now presents a leaf it never presented raises
 *   baseline.cert_changed    (mitm, severity 2), or, when the leaf's issuer
 *                             DN is also new for the service (and at least
 *                             one issuer was known),
 *   baseline.issuer_changed  (mitm, severity 1) instead.
 *
 * Client side. Per client leaf SHA-256: the source addresses seen, and
 * with a geo handle their ASNs and countries. A known client certificate
 * from an address never seen for it raises one alert, the most severe that
 * applies:
 *   baseline.client_new_country (mitm, severity 1)  country never seen for it
 *   baseline.client_new_asn     (mitm, severity 2)  ASN never seen for it
 *   baseline.client_new_source  (mitm, severity 3)  otherwise
 * An ASN or country only counts as new when at least one was recorded
 * before (a cert first seen without geo data learns them silently) and only
 * together with a new address (a known address whose database entry
 * changed is not a move).
 *
 * The first sighting of anything is learning, never an alert. A session
 * without a visible server (or client) chain teaches nothing on that side.
 * Everything is keyed on capture time, so an offline replay gives the same
 * alerts and the same database every time. Bounds (hitting one evicts the
 * least recently seen rows, by capture time, and is counted): leaves and
 * issuers per service, addresses / ASNs / countries per client cert,
 * services and client certs overall (struct baseline_limits).
 *
 * Writes are batched: sessions go into one write transaction (BEGIN
 * IMMEDIATE), each inside its own savepoint, committed after
 * BASELINE_BATCH_SESSIONS sessions or when capture time has moved
 * BASELINE_BATCH_US past the batch's first session (checked when the next
 * session arrives), by baseline_flush() and by baseline_close(). Between
 * commits the handle holds SQLite's write lock (readers are not blocked in
 * WAL mode); a crash loses the uncommitted batch. A live embedder calls
 * baseline_flush() from its timer.
 *
 * Any SQLite error (locked, busy, corrupt, disk full) undoes the session
 * (its savepoint; the whole open batch if SQLite rolled the transaction
 * back itself), is counted, leaves its text in baseline_last_error(), and
 * the session raises no baseline alert; the next call tries again. Nothing
 * here exits, aborts or prints. Not thread-safe per handle. */
#ifndef CS_RULES_BASELINE_H
#define CS_RULES_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "geo.h"

#define BASELINE_SCHEMA_VERSION 1
#define BASELINE_BUSY_TIMEOUT_MS 200 /* wait for another writer before counting an error */
#define BASELINE_BATCH_SESSIONS 256  /* sessions per write transaction */
#define BASELINE_BATCH_US 1000000    /* capture time a write transaction may span (1 s) */

/* signature_id of each alert */
#define BASELINE_SID_CERT_CHANGED 2100610u
#define BASELINE_SID_ISSUER_CHANGED 2100611u
#define BASELINE_SID_CLIENT_NEW_SOURCE 2100612u
#define BASELINE_SID_CLIENT_NEW_ASN 2100613u
#define BASELINE_SID_CLIENT_NEW_COUNTRY 2100614u

struct baseline_limits {
    size_t leaves_per_service;  /* default 64 */
    size_t issuers_per_service; /* default 64 */
    size_t sources_per_client;  /* addresses, and separately ASNs and countries; default 64 */
    size_t max_services;        /* default 1048576 */
    size_t max_client_certs;    /* default 1048576 */
};

struct baseline_stats {
    uint64_t sessions; /* baseline_check() calls that committed */
    uint64_t alerts;   /* alerts emitted */
    uint64_t errors;   /* SQLite failures (the session's alerts were skipped) */
    uint64_t commits;  /* write transactions committed */
    uint64_t services_new, leaves_new, client_certs_new, client_sources_new;
    uint64_t evicted_leaves, evicted_issuers, evicted_services, evicted_client_certs,
        evicted_client_sources;
};

struct baseline;

/* Open (creating if needed) the database at path; ":memory:" gives a
 * private in-memory baseline. Sets WAL mode (files), creates the tables,
 * checks the schema version (a newer version is refused) and prepares
 * every statement. On failure returns NULL and writes "PATH: reason" into
 * err. */
struct baseline *baseline_open(const char *path, char *err, size_t errlen);

/* Commit the open batch, if any. false (and an error counted) when the
 * commit failed: the batch's learning is lost, its alerts were emitted.
 * NULL is fine. */
bool baseline_flush(struct baseline *b);

/* Commit (baseline_flush), finalize, close (SQLite checkpoints the WAL)
 * and free. NULL is fine. */
void baseline_close(struct baseline *b);

/* Fill l with the defaults above. */
void baseline_limits_default(struct baseline_limits *l);

/* Replace the limits (0 in a field keeps that field's current value).
 * Tighter limits are enforced from the next insertion on. */
void baseline_set_limits(struct baseline *b, const struct baseline_limits *l);

/* The learning step: compare the session with the baseline, emit alerts
 * to o, then record what it showed. g may be NULL (no ASN / country
 * tracking). Mutates the database. */
void baseline_check(struct baseline *b, const struct geo *g, const struct cs_tls *t,
                    const struct check_out *o);

/* Text of the last error ("" if none yet). Valid until the next call on b. */
const char *baseline_last_error(const struct baseline *b);

void baseline_get_stats(const struct baseline *b, struct baseline_stats *out);

#endif
