/* Certificate baselines persisted in SQLite: see baseline.h. */
#include "baseline.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

/* Schema version 1. Digests are lowercase hex so that an operator can read
 * the file with the sqlite3 shell; times are capture time in microseconds
 * since the epoch. */
static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS service("
    " id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, sessions INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS service_last ON service(last_seen);"
    "CREATE TABLE IF NOT EXISTS service_leaf("
    " id INTEGER PRIMARY KEY, service_id INTEGER NOT NULL, sha256 TEXT NOT NULL, issuer TEXT,"
    " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, count INTEGER NOT NULL,"
    " UNIQUE(service_id, sha256));"
    "CREATE TABLE IF NOT EXISTS service_issuer("
    " id INTEGER PRIMARY KEY, service_id INTEGER NOT NULL, issuer TEXT NOT NULL,"
    " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, count INTEGER NOT NULL,"
    " UNIQUE(service_id, issuer));"
    "CREATE TABLE IF NOT EXISTS client_cert("
    " id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, subject TEXT,"
    " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, count INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS client_cert_last ON client_cert(last_seen);"
    "CREATE TABLE IF NOT EXISTS client_source("
    " id INTEGER PRIMARY KEY, cert_id INTEGER NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,"
    " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, count INTEGER NOT NULL,"
    " UNIQUE(cert_id, kind, value));";

enum st_id {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_SVC_GET,
    ST_SVC_INS,
    ST_SVC_TOUCH,
    ST_SVC_COUNT,
    ST_SVC_OLDEST,
    ST_SVC_DEL,
    ST_LEAF_DEL_SVC,
    ST_ISS_DEL_SVC,
    ST_LEAF_GET,
    ST_LEAF_COUNT,
    ST_LEAF_UPSERT,
    ST_LEAF_TRIM,
    ST_LEAF_LAST,
    ST_ISS_GET,
    ST_ISS_COUNT,
    ST_ISS_UPSERT,
    ST_ISS_TRIM,
    ST_ISS_LAST,
    ST_CC_GET,
    ST_CC_INS,
    ST_CC_TOUCH,
    ST_CC_COUNT,
    ST_CC_OLDEST,
    ST_CC_DEL,
    ST_SRC_DEL_CC,
    ST_SRC_GET,
    ST_SRC_COUNT,
    ST_SRC_UPSERT,
    ST_SRC_TRIM,
    ST_SRC_LIST,
    ST__COUNT
};

static const struct {
    const char *what; /* for error messages */
    const char *sql;
} stmts[ST__COUNT] = {
    [ST_BEGIN] = {"begin", "BEGIN IMMEDIATE"},
    [ST_COMMIT] = {"commit", "COMMIT"},
    [ST_ROLLBACK] = {"rollback", "ROLLBACK"},
    [ST_SAVEPOINT] = {"savepoint", "SAVEPOINT session"},
    [ST_RELEASE] = {"release", "RELEASE session"},
    [ST_ROLLBACK_TO] = {"rollback", "ROLLBACK TO session"},
    [ST_SVC_GET] = {"service lookup", "SELECT id, first_seen FROM service WHERE name=?1"},
    [ST_SVC_INS] = {"service insert", "INSERT INTO service(name, first_seen, last_seen, sessions)"
                                      " VALUES(?1, ?2, ?2, 1)"},
    [ST_SVC_TOUCH] = {"service update",
                      "UPDATE service SET first_seen=MIN(first_seen, ?2),"
                      " last_seen=MAX(last_seen, ?2), sessions=sessions+1 WHERE id=?1"},
    [ST_SVC_COUNT] = {"service count", "SELECT COUNT(*) FROM service"},
    [ST_SVC_OLDEST] = {"service eviction",
                       "SELECT id FROM service ORDER BY last_seen ASC, id ASC LIMIT 1"},
    [ST_SVC_DEL] = {"service eviction", "DELETE FROM service WHERE id=?1"},
    [ST_LEAF_DEL_SVC] = {"service eviction", "DELETE FROM service_leaf WHERE service_id=?1"},
    [ST_ISS_DEL_SVC] = {"service eviction", "DELETE FROM service_issuer WHERE service_id=?1"},
    [ST_LEAF_GET] = {"leaf lookup",
                     "SELECT id FROM service_leaf WHERE service_id=?1 AND sha256=?2"},
    [ST_LEAF_COUNT] = {"leaf count", "SELECT COUNT(*) FROM service_leaf WHERE service_id=?1"},
    [ST_LEAF_UPSERT] = {"leaf insert",
                        "INSERT INTO service_leaf(service_id, sha256, issuer, first_seen,"
                        " last_seen, count) VALUES(?1, ?2, ?3, ?4, ?4, 1)"
                        " ON CONFLICT(service_id, sha256) DO UPDATE SET"
                        " first_seen=MIN(first_seen, excluded.first_seen),"
                        " last_seen=MAX(last_seen, excluded.last_seen), count=count+1"},
    [ST_LEAF_TRIM] = {"leaf eviction",
                      "DELETE FROM service_leaf WHERE id IN (SELECT id FROM service_leaf"
                      " WHERE service_id=?1 ORDER BY last_seen DESC, id DESC LIMIT -1 OFFSET ?2)"},
    [ST_LEAF_LAST] = {"leaf lookup", "SELECT sha256, last_seen FROM service_leaf"
                                     " WHERE service_id=?1 ORDER BY last_seen DESC, id DESC"
                                     " LIMIT 1"},
    [ST_ISS_GET] = {"issuer lookup",
                    "SELECT id FROM service_issuer WHERE service_id=?1 AND issuer=?2"},
    [ST_ISS_COUNT] = {"issuer count", "SELECT COUNT(*) FROM service_issuer WHERE service_id=?1"},
    [ST_ISS_UPSERT] = {"issuer insert",
                       "INSERT INTO service_issuer(service_id, issuer, first_seen, last_seen,"
                       " count) VALUES(?1, ?2, ?3, ?3, 1)"
                       " ON CONFLICT(service_id, issuer) DO UPDATE SET"
                       " first_seen=MIN(first_seen, excluded.first_seen),"
                       " last_seen=MAX(last_seen, excluded.last_seen), count=count+1"},
    [ST_ISS_TRIM] = {"issuer eviction",
                     "DELETE FROM service_issuer WHERE id IN (SELECT id FROM service_issuer"
                     " WHERE service_id=?1 ORDER BY last_seen DESC, id DESC LIMIT -1 OFFSET ?2)"},
    [ST_ISS_LAST] = {"issuer lookup", "SELECT issuer, last_seen FROM service_issuer"
                                      " WHERE service_id=?1 ORDER BY last_seen DESC, id DESC"
                                      " LIMIT 1"},
    [ST_CC_GET] = {"client cert lookup", "SELECT id, first_seen FROM client_cert WHERE sha256=?1"},
    [ST_CC_INS] = {"client cert insert",
                   "INSERT INTO client_cert(sha256, subject, first_seen, last_seen, count)"
                   " VALUES(?1, ?2, ?3, ?3, 1)"},
    [ST_CC_TOUCH] = {"client cert update",
                     "UPDATE client_cert SET first_seen=MIN(first_seen, ?2),"
                     " last_seen=MAX(last_seen, ?2), count=count+1 WHERE id=?1"},
    [ST_CC_COUNT] = {"client cert count", "SELECT COUNT(*) FROM client_cert"},
    [ST_CC_OLDEST] = {"client cert eviction",
                      "SELECT id FROM client_cert ORDER BY last_seen ASC, id ASC LIMIT 1"},
    [ST_CC_DEL] = {"client cert eviction", "DELETE FROM client_cert WHERE id=?1"},
    [ST_SRC_DEL_CC] = {"client cert eviction", "DELETE FROM client_source WHERE cert_id=?1"},
    [ST_SRC_GET] = {"client source lookup",
                    "SELECT id FROM client_source WHERE cert_id=?1 AND kind=?2 AND value=?3"},
    [ST_SRC_COUNT] = {"client source count",
                      "SELECT COUNT(*) FROM client_source WHERE cert_id=?1 AND kind=?2"},
    [ST_SRC_UPSERT] = {"client source insert",
                       "INSERT INTO client_source(cert_id, kind, value, first_seen, last_seen,"
                       " count) VALUES(?1, ?2, ?3, ?4, ?4, 1)"
                       " ON CONFLICT(cert_id, kind, value) DO UPDATE SET"
                       " first_seen=MIN(first_seen, excluded.first_seen),"
                       " last_seen=MAX(last_seen, excluded.last_seen), count=count+1"},
    [ST_SRC_TRIM] = {"client source eviction",
                     "DELETE FROM client_source WHERE id IN (SELECT id FROM client_source"
                     " WHERE cert_id=?1 AND kind=?2 ORDER BY last_seen DESC, id DESC"
                     " LIMIT -1 OFFSET ?3)"},
    [ST_SRC_LIST] = {"client source lookup",
                     "SELECT value FROM client_source WHERE cert_id=?1 AND kind=?2"
                     " ORDER BY last_seen DESC, id DESC LIMIT 4"},
};

#define EVIDENCE_MAX 1600
#define PENDING_MAX 2                /* one server-side and one client-side alert per session */
#define KEY_MAX (CS_SNI_MAX * 4 + 8) /* SNI with every byte as \xHH */

struct pending {
    struct cs_alert a;
    char evidence[EVIDENCE_MAX];
};

struct baseline {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *st[ST__COUNT];
    struct baseline_limits lim;
    struct baseline_stats stats;
    int64_t n_services, n_client_certs; /* rows now, kept in step with the tables */
    bool failed;                        /* sticky within one baseline_check() */
    bool in_txn;                        /* a batch transaction is open */
    size_t batch;                       /* sessions in it */
    int64_t batch_ts;                   /* capture time of its first session */
    char err[768];
    struct pending pend[PENDING_MAX];
    size_t n_pend;
};

/* ---- statement helpers ------------------------------------------------ */

static void fail_msg(struct baseline *b, const char *what, const char *msg)
{
    if (!b->failed)
        snprintf(b->err, sizeof b->err, "%s: %s: %s", b->path, what, msg);
    b->failed = true;
}

static void fail_db(struct baseline *b, enum st_id id)
{
    fail_msg(b, stmts[id].what, sqlite3_errmsg(b->db));
}

static void done(struct baseline *b, enum st_id id)
{
    sqlite3_reset(b->st[id]);
    sqlite3_clear_bindings(b->st[id]);
}

static void bind_i64(struct baseline *b, enum st_id id, int idx, int64_t v)
{
    if (!b->failed && sqlite3_bind_int64(b->st[id], idx, v) != SQLITE_OK)
        fail_db(b, id);
}

/* the text must stay in place until done(b, id) */
static void bind_text(struct baseline *b, enum st_id id, int idx, const char *s)
{
    if (b->failed)
        return;
    int rc = s != NULL ? sqlite3_bind_text(b->st[id], idx, s, -1, SQLITE_STATIC)
                       : sqlite3_bind_null(b->st[id], idx);
    if (rc != SQLITE_OK)
        fail_db(b, id);
}

/* Step to completion (statements without rows). */
static bool exec_st(struct baseline *b, enum st_id id)
{
    if (b->failed) {
        done(b, id);
        return false;
    }
    int rc;
    while ((rc = sqlite3_step(b->st[id])) == SQLITE_ROW)
        ;
    if (rc != SQLITE_DONE)
        fail_db(b, id);
    done(b, id);
    return !b->failed;
}

/* First row: up to two integer columns (b2 may be NULL). */
static bool query_i64(struct baseline *b, enum st_id id, bool *found, int64_t *v1, int64_t *v2)
{
    *found = false;
    if (b->failed) {
        done(b, id);
        return false;
    }
    int rc = sqlite3_step(b->st[id]);
    if (rc == SQLITE_ROW) {
        *found = true;
        if (v1 != NULL)
            *v1 = sqlite3_column_int64(b->st[id], 0);
        if (v2 != NULL)
            *v2 = sqlite3_column_int64(b->st[id], 1);
    } else if (rc != SQLITE_DONE) {
        fail_db(b, id);
    }
    done(b, id);
    return !b->failed;
}

/* First row: a text column and an optional integer column. */
static bool query_text(struct baseline *b, enum st_id id, bool *found, char *out, size_t cap,
                       int64_t *v2)
{
    *found = false;
    out[0] = '\0';
    if (b->failed) {
        done(b, id);
        return false;
    }
    int rc = sqlite3_step(b->st[id]);
    if (rc == SQLITE_ROW) {
        const unsigned char *s = sqlite3_column_text(b->st[id], 0);
        *found = true;
        snprintf(out, cap, "%s", s != NULL ? (const char *)s : "");
        if (v2 != NULL)
            *v2 = sqlite3_column_int64(b->st[id], 1);
    } else if (rc != SQLITE_DONE) {
        fail_db(b, id);
    }
    done(b, id);
    return !b->failed;
}

static int64_t lim64(size_t v)
{
    return v > (size_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

static bool count_rows(struct baseline *b, enum st_id id, int64_t *n)
{
    bool found;
    *n = 0;
    return query_i64(b, id, &found, n, NULL);
}

/* ---- open / close ------------------------------------------------------ */

void baseline_limits_default(struct baseline_limits *l)
{
    l->leaves_per_service = 64;
    l->issuers_per_service = 64;
    l->sources_per_client = 64;
    l->max_services = 1048576;
    l->max_client_certs = 1048576;
}

void baseline_set_limits(struct baseline *b, const struct baseline_limits *l)
{
    if (b == NULL || l == NULL)
        return;
    if (l->leaves_per_service)
        b->lim.leaves_per_service = l->leaves_per_service;
    if (l->issuers_per_service)
        b->lim.issuers_per_service = l->issuers_per_service;
    if (l->sources_per_client)
        b->lim.sources_per_client = l->sources_per_client;
    if (l->max_services)
        b->lim.max_services = l->max_services;
    if (l->max_client_certs)
        b->lim.max_client_certs = l->max_client_certs;
}

void baseline_close(struct baseline *b)
{
    if (b == NULL)
        return;
    baseline_flush(b);
    for (size_t i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(b->st[i]);
    sqlite3_close_v2(b->db);
    free(b->path);
    free(b);
}

static void open_err(char *err, size_t errlen, const char *path, const char *what,
                     const char *detail)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s: %s%s%s", path, what, detail ? ": " : "", detail ? detail : "");
}

/* One integer from a one-row query; false on error. */
static bool scalar(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    bool ok =
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW;
    if (ok)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return ok;
}

/* Create the tables in an empty database, or check the version of ours;
 * one transaction. A database holding other tables and no schema_version
 * is someone else's: refused, never written to. */
static bool init_schema(struct baseline *b, char *err, size_t errlen)
{
    bool ok = false;
    char *emsg = NULL;
    int64_t has_ver = 0, n_tables = 0, rows = 0, v = 0;
    if (sqlite3_exec(b->db, "BEGIN IMMEDIATE", NULL, NULL, &emsg) != SQLITE_OK) {
        open_err(err, errlen, b->path, "cannot start the schema transaction", emsg);
        sqlite3_free(emsg);
        return false;
    }
    if (!scalar(b->db,
                "SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name='schema_version'",
                &has_ver) ||
        !scalar(b->db, "SELECT COUNT(*) FROM sqlite_master", &n_tables)) {
        open_err(err, errlen, b->path, "cannot read the schema", sqlite3_errmsg(b->db));
        goto out;
    }
    if (has_ver == 0 && n_tables > 0) {
        open_err(err, errlen, b->path, "not a certsensor baseline",
                 "it has other tables and no schema_version");
        goto out;
    }
    if (has_ver != 0) {
        if (!scalar(b->db, "SELECT COUNT(*) FROM schema_version", &rows) ||
            (rows > 0 && !scalar(b->db, "SELECT MAX(version) FROM schema_version", &v))) {
            open_err(err, errlen, b->path, "cannot read the schema version", sqlite3_errmsg(b->db));
            goto out;
        }
        if (rows == 0 || v != BASELINE_SCHEMA_VERSION) {
            char d[96];
            if (rows == 0)
                snprintf(d, sizeof d, "no version recorded");
            else
                snprintf(d, sizeof d, "version %" PRId64 ", this build reads version %d", v,
                         BASELINE_SCHEMA_VERSION);
            open_err(err, errlen, b->path, "unsupported baseline schema", d);
            goto out;
        }
    }
    /* IF NOT EXISTS: also restores an index someone dropped */
    if (sqlite3_exec(b->db, schema_sql, NULL, NULL, &emsg) != SQLITE_OK) {
        open_err(err, errlen, b->path, "cannot create the tables", emsg);
        goto out;
    }
    if (has_ver == 0 && sqlite3_exec(b->db, "INSERT INTO schema_version(version) VALUES(1)", NULL,
                                     NULL, &emsg) != SQLITE_OK) {
        open_err(err, errlen, b->path, "cannot write the schema version", emsg);
        goto out;
    }
    ok = true;
out:
    sqlite3_free(emsg);
    emsg = NULL;
    if (sqlite3_exec(b->db, ok ? "COMMIT" : "ROLLBACK", NULL, NULL, &emsg) != SQLITE_OK && ok) {
        open_err(err, errlen, b->path, "cannot commit the schema", emsg);
        ok = false;
    }
    sqlite3_free(emsg);
    return ok;
}

struct baseline *baseline_open(const char *path, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (path == NULL || path[0] == '\0') {
        open_err(err, errlen, "baseline", "no database path given", NULL);
        return NULL;
    }
    struct baseline *b = calloc(1, sizeof *b);
    if (b == NULL || (b->path = strdup(path)) == NULL) {
        open_err(err, errlen, path, "out of memory", NULL);
        free(b);
        return NULL;
    }
    baseline_limits_default(&b->lim);
    int rc = sqlite3_open_v2(
        path, &b->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        open_err(err, errlen, path, "cannot open",
                 b->db != NULL ? sqlite3_errmsg(b->db) : sqlite3_errstr(rc));
        goto fail;
    }
    /* A state file may have been edited by someone else: no functions with
     * side effects from its schema, no writes to the schema by SQL. */
    sqlite3_db_config(b->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
    sqlite3_db_config(b->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    sqlite3_busy_timeout(b->db, BASELINE_BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(b->db, 1);

    /* The first statement reads the header: a file that is not a database
     * fails here with SQLITE_NOTADB. ":memory:" answers "memory". */
    char *emsg = NULL;
    if (sqlite3_exec(b->db, "PRAGMA journal_mode=WAL", NULL, NULL, &emsg) != SQLITE_OK ||
        sqlite3_exec(b->db, "PRAGMA synchronous=NORMAL", NULL, NULL, &emsg) != SQLITE_OK) {
        open_err(err, errlen, path, emsg != NULL ? emsg : sqlite3_errmsg(b->db), NULL);
        sqlite3_free(emsg);
        goto fail;
    }
    if (!init_schema(b, err, errlen))
        goto fail;
    for (size_t i = 0; i < ST__COUNT; i++) {
        if (sqlite3_prepare_v3(b->db, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT, &b->st[i],
                               NULL) != SQLITE_OK) {
            open_err(err, errlen, path, "cannot prepare statements", sqlite3_errmsg(b->db));
            goto fail;
        }
    }
    if (!count_rows(b, ST_SVC_COUNT, &b->n_services) ||
        !count_rows(b, ST_CC_COUNT, &b->n_client_certs)) {
        open_err(err, errlen, path, "cannot count rows", sqlite3_errmsg(b->db));
        goto fail;
    }
    b->failed = false;
    b->err[0] = '\0';
    return b;
fail:
    baseline_close(b);
    return NULL;
}

const char *baseline_last_error(const struct baseline *b)
{
    return b != NULL ? b->err : "";
}

void baseline_get_stats(const struct baseline *b, struct baseline_stats *out)
{
    if (b != NULL)
        *out = b->stats;
    else
        memset(out, 0, sizeof *out);
}

/* ---- text helpers ----------------------------------------------------- */

static void hex32(const uint8_t *p, char out[65])
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < 32; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[64] = '\0';
}

/* SNI (lower-cased, bytes outside 0x21-0x7e as \xHH) or "ip:port". */
static void service_key(const struct cs_tls *t, char *out, size_t cap)
{
    static const char hx[] = "0123456789abcdef";
    if (t->sni[0] != '\0') {
        size_t k = 0;
        for (size_t i = 0; i < sizeof t->sni && t->sni[i] != '\0' && k + 5 <= cap; i++) {
            unsigned char c = (unsigned char)t->sni[i];
            if (c >= 'A' && c <= 'Z') {
                out[k++] = (char)(c - 'A' + 'a');
            } else if (c > 0x20 && c < 0x7f && c != '\\') {
                out[k++] = (char)c;
            } else {
                out[k++] = '\\';
                out[k++] = 'x';
                out[k++] = hx[c >> 4];
                out[k++] = hx[c & 15];
            }
        }
        out[k] = '\0';
        return;
    }
    char addr[GEO_ADDR_STR_MAX];
    geo_addr_str(&t->server, addr, sizeof addr);
    if (t->server.family == 6)
        snprintf(out, cap, "[%s]:%u", addr, (unsigned)t->server.port);
    else
        snprintf(out, cap, "%s:%u", addr, (unsigned)t->server.port);
}

static void iso_time(int64_t us, char *out, size_t cap)
{
    int64_t s = us / 1000000;
    if (us % 1000000 < 0)
        s--;
    time_t tt = (time_t)s;
    struct tm tm;
    if ((int64_t)tt != s || gmtime_r(&tt, &tm) == NULL ||
        strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, cap, "?");
}

static struct pending *pend_new(struct baseline *b)
{
    if (b->n_pend >= PENDING_MAX)
        return NULL;
    struct pending *p = &b->pend[b->n_pend++];
    memset(&p->a, 0, sizeof p->a);
    p->a.evidence = p->evidence;
    p->a.rev = 1;
    p->a.category = "mitm";
    p->evidence[0] = '\0';
    return p;
}

/* ---- server side ------------------------------------------------------ */

static void evict_services(struct baseline *b)
{
    while (!b->failed && b->n_services >= lim64(b->lim.max_services)) {
        bool found;
        int64_t id = 0;
        if (!query_i64(b, ST_SVC_OLDEST, &found, &id, NULL))
            return;
        if (!found) {
            b->n_services = 0;
            return;
        }
        bind_i64(b, ST_LEAF_DEL_SVC, 1, id);
        exec_st(b, ST_LEAF_DEL_SVC);
        bind_i64(b, ST_ISS_DEL_SVC, 1, id);
        exec_st(b, ST_ISS_DEL_SVC);
        bind_i64(b, ST_SVC_DEL, 1, id);
        exec_st(b, ST_SVC_DEL);
        b->n_services--;
        b->stats.evicted_services++;
    }
}

/* Record a leaf (and its issuer) for a service; trim when it was new. */
static void record_leaf(struct baseline *b, int64_t svc, const char *sha, const char *issuer,
                        int64_t ts, bool leaf_new, bool issuer_new)
{
    bind_i64(b, ST_LEAF_UPSERT, 1, svc);
    bind_text(b, ST_LEAF_UPSERT, 2, sha);
    bind_text(b, ST_LEAF_UPSERT, 3, issuer);
    bind_i64(b, ST_LEAF_UPSERT, 4, ts);
    exec_st(b, ST_LEAF_UPSERT);
    if (leaf_new) {
        b->stats.leaves_new++;
        bind_i64(b, ST_LEAF_TRIM, 1, svc);
        bind_i64(b, ST_LEAF_TRIM, 2, lim64(b->lim.leaves_per_service));
        if (exec_st(b, ST_LEAF_TRIM))
            b->stats.evicted_leaves += (uint64_t)sqlite3_changes(b->db);
    }
    if (issuer == NULL)
        return;
    bind_i64(b, ST_ISS_UPSERT, 1, svc);
    bind_text(b, ST_ISS_UPSERT, 2, issuer);
    bind_i64(b, ST_ISS_UPSERT, 3, ts);
    exec_st(b, ST_ISS_UPSERT);
    if (issuer_new) {
        bind_i64(b, ST_ISS_TRIM, 1, svc);
        bind_i64(b, ST_ISS_TRIM, 2, lim64(b->lim.issuers_per_service));
        if (exec_st(b, ST_ISS_TRIM))
            b->stats.evicted_issuers += (uint64_t)sqlite3_changes(b->db);
    }
}

static void learn_server(struct baseline *b, const struct cs_tls *t)
{
    if (t->server_cert_count == 0 || t->server_certs[0].info == NULL)
        return;
    const struct cs_cert *leaf = &t->server_certs[0];
    const struct cs_cert_info *li = leaf->info;
    const char *issuer = li->parsed && li->issuer[0] != '\0' ? li->issuer : NULL;
    int64_t ts = t->ts_us;
    char key[KEY_MAX], sha[65];
    service_key(t, key, sizeof key);
    hex32(li->sha256, sha);

    bool found;
    int64_t svc = 0, svc_first = 0;
    bind_text(b, ST_SVC_GET, 1, key);
    if (!query_i64(b, ST_SVC_GET, &found, &svc, &svc_first))
        return;
    if (!found) {
        /* first sighting of the service: learn */
        evict_services(b);
        bind_text(b, ST_SVC_INS, 1, key);
        bind_i64(b, ST_SVC_INS, 2, ts);
        if (!exec_st(b, ST_SVC_INS))
            return;
        svc = sqlite3_last_insert_rowid(b->db);
        b->n_services++;
        b->stats.services_new++;
        record_leaf(b, svc, sha, issuer, ts, true, issuer != NULL);
        return;
    }

    bind_i64(b, ST_LEAF_GET, 1, svc);
    bind_text(b, ST_LEAF_GET, 2, sha);
    bool leaf_known;
    if (!query_i64(b, ST_LEAF_GET, &leaf_known, NULL, NULL))
        return;
    bool issuer_known = false;
    int64_t n_issuers = 0;
    if (issuer != NULL) {
        bind_i64(b, ST_ISS_GET, 1, svc);
        bind_text(b, ST_ISS_GET, 2, issuer);
        query_i64(b, ST_ISS_GET, &issuer_known, NULL, NULL);
    }
    if (!leaf_known) {
        int64_t n_leaves = 0, prev_seen = 0;
        char prev_sha[80], since[32], prev_time[32];
        bind_i64(b, ST_LEAF_COUNT, 1, svc);
        count_rows(b, ST_LEAF_COUNT, &n_leaves);
        bind_i64(b, ST_ISS_COUNT, 1, svc);
        count_rows(b, ST_ISS_COUNT, &n_issuers);
        bind_i64(b, ST_LEAF_LAST, 1, svc);
        query_text(b, ST_LEAF_LAST, &found, prev_sha, sizeof prev_sha, &prev_seen);
        if (b->failed)
            return;
        iso_time(svc_first, since, sizeof since);
        iso_time(prev_seen, prev_time, sizeof prev_time);
        struct pending *p = n_leaves > 0 ? pend_new(b) : NULL;
        if (p != NULL && issuer != NULL && !issuer_known && n_issuers > 0) {
            char prev_iss[CS_NAME_MAX];
            int64_t iss_seen = 0;
            char iss_time[32];
            bind_i64(b, ST_ISS_LAST, 1, svc);
            query_text(b, ST_ISS_LAST, &found, prev_iss, sizeof prev_iss, &iss_seen);
            iso_time(iss_seen, iss_time, sizeof iss_time);
            p->a.signature_id = BASELINE_SID_ISSUER_CHANGED;
            p->a.signature = "CERTSENSOR service certificate from a new issuer";
            p->a.severity = 1;
            p->a.check = "baseline.issuer_changed";
            snprintf(p->evidence, sizeof p->evidence,
                     "service %.300s (known since %s) presented leaf sha256 %s from issuer "
                     "'%.300s' never seen for it; %" PRId64 " issuer(s) known, most recent "
                     "'%.300s' (last seen %s)",
                     key, since, sha, issuer, n_issuers, prev_iss, iss_time);
        } else if (p != NULL) {
            p->a.signature_id = BASELINE_SID_CERT_CHANGED;
            p->a.signature = "CERTSENSOR service presented a certificate never seen for it";
            p->a.severity = 2;
            p->a.check = "baseline.cert_changed";
            snprintf(p->evidence, sizeof p->evidence,
                     "service %.300s (known since %s) presented leaf sha256 %s (issuer "
                     "'%.300s') never seen for it; %" PRId64 " leaf(s) known, most recent "
                     "sha256 %s (last seen %s)",
                     key, since, sha, issuer != NULL ? issuer : "?", n_leaves, prev_sha, prev_time);
        }
        if (p != NULL) {
            p->a.role = "server";
            p->a.chain_index = 0;
            p->a.cert = leaf;
        }
    }
    record_leaf(b, svc, sha, issuer, ts, !leaf_known, issuer != NULL && !issuer_known);
    bind_i64(b, ST_SVC_TOUCH, 1, svc);
    bind_i64(b, ST_SVC_TOUCH, 2, ts);
    exec_st(b, ST_SVC_TOUCH);
}

/* ---- client side ------------------------------------------------------ */

static const char KIND_ADDR[] = "addr", KIND_ASN[] = "asn", KIND_COUNTRY[] = "country";

static void evict_client_certs(struct baseline *b)
{
    while (!b->failed && b->n_client_certs >= lim64(b->lim.max_client_certs)) {
        bool found;
        int64_t id = 0;
        if (!query_i64(b, ST_CC_OLDEST, &found, &id, NULL))
            return;
        if (!found) {
            b->n_client_certs = 0;
            return;
        }
        bind_i64(b, ST_SRC_DEL_CC, 1, id);
        exec_st(b, ST_SRC_DEL_CC);
        bind_i64(b, ST_CC_DEL, 1, id);
        exec_st(b, ST_CC_DEL);
        b->n_client_certs--;
        b->stats.evicted_client_certs++;
    }
}

static bool source_known(struct baseline *b, int64_t cert, const char *kind, const char *value)
{
    bool found = false;
    bind_i64(b, ST_SRC_GET, 1, cert);
    bind_text(b, ST_SRC_GET, 2, kind);
    bind_text(b, ST_SRC_GET, 3, value);
    query_i64(b, ST_SRC_GET, &found, NULL, NULL);
    return found;
}

static int64_t source_count(struct baseline *b, int64_t cert, const char *kind)
{
    int64_t n = 0;
    bind_i64(b, ST_SRC_COUNT, 1, cert);
    bind_text(b, ST_SRC_COUNT, 2, kind);
    count_rows(b, ST_SRC_COUNT, &n);
    return n;
}

static void record_source(struct baseline *b, int64_t cert, const char *kind, const char *value,
                          int64_t ts, bool is_new)
{
    bind_i64(b, ST_SRC_UPSERT, 1, cert);
    bind_text(b, ST_SRC_UPSERT, 2, kind);
    bind_text(b, ST_SRC_UPSERT, 3, value);
    bind_i64(b, ST_SRC_UPSERT, 4, ts);
    exec_st(b, ST_SRC_UPSERT);
    if (!is_new)
        return;
    b->stats.client_sources_new++;
    bind_i64(b, ST_SRC_TRIM, 1, cert);
    bind_text(b, ST_SRC_TRIM, 2, kind);
    bind_i64(b, ST_SRC_TRIM, 3, lim64(b->lim.sources_per_client));
    if (exec_st(b, ST_SRC_TRIM))
        b->stats.evicted_client_sources += (uint64_t)sqlite3_changes(b->db);
}

/* "a, b, c, d" of the most recent values of one kind (at most 4) */
static void source_list(struct baseline *b, int64_t cert, const char *kind, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = '\0';
    if (b->failed)
        return;
    enum st_id id = ST_SRC_LIST;
    bind_i64(b, id, 1, cert);
    bind_text(b, id, 2, kind);
    int rc;
    while (!b->failed && (rc = sqlite3_step(b->st[id])) == SQLITE_ROW) {
        const unsigned char *s = sqlite3_column_text(b->st[id], 0);
        int w = snprintf(out + k, cap - k, "%s%s%s", k ? ", " : "", kind == KIND_ASN ? "AS" : "",
                         s ? (const char *)s : "");
        if (w < 0 || (size_t)w >= cap - k)
            break;
        k += (size_t)w;
    }
    if (!b->failed && rc != SQLITE_ROW && rc != SQLITE_DONE)
        fail_db(b, id);
    done(b, id);
}

static void learn_client(struct baseline *b, const struct geo *g, const struct cs_tls *t)
{
    if (t->client_cert_count == 0 || t->client_certs[0].info == NULL)
        return;
    const struct cs_cert *leaf = &t->client_certs[0];
    const struct cs_cert_info *li = leaf->info;
    int64_t ts = t->ts_us;
    char sha[65], addr[GEO_ADDR_STR_MAX], asn[16] = "", country[3] = "";
    hex32(li->sha256, sha);
    geo_addr_str(&t->client, addr, sizeof addr);
    struct geo_info gi;
    geo_lookup(g, &t->client, &gi); /* g == NULL: all unknown */
    if (gi.has_asn)
        snprintf(asn, sizeof asn, "%lu", (unsigned long)gi.asn);
    if (gi.has_country)
        memcpy(country, gi.country, sizeof country);

    bool found;
    int64_t cert = 0, cert_first = 0;
    bind_text(b, ST_CC_GET, 1, sha);
    if (!query_i64(b, ST_CC_GET, &found, &cert, &cert_first))
        return;
    if (!found) {
        evict_client_certs(b);
        bind_text(b, ST_CC_INS, 1, sha);
        bind_text(b, ST_CC_INS, 2, li->parsed ? li->subject : NULL);
        bind_i64(b, ST_CC_INS, 3, ts);
        if (!exec_st(b, ST_CC_INS))
            return;
        cert = sqlite3_last_insert_rowid(b->db);
        b->n_client_certs++;
        b->stats.client_certs_new++;
        record_source(b, cert, KIND_ADDR, addr, ts, true);
        if (gi.has_asn)
            record_source(b, cert, KIND_ASN, asn, ts, true);
        if (gi.has_country)
            record_source(b, cert, KIND_COUNTRY, country, ts, true);
        return;
    }

    bool addr_known = source_known(b, cert, KIND_ADDR, addr);
    bool asn_known = gi.has_asn && source_known(b, cert, KIND_ASN, asn);
    bool country_known = gi.has_country && source_known(b, cert, KIND_COUNTRY, country);
    if (!addr_known && !b->failed) {
        int64_t n_addr = source_count(b, cert, KIND_ADDR);
        int64_t n_asn = gi.has_asn ? source_count(b, cert, KIND_ASN) : 0;
        int64_t n_cc = gi.has_country ? source_count(b, cert, KIND_COUNTRY) : 0;
        const char *kind = NULL, *check = NULL, *sig = NULL, *what = NULL, *whats = NULL;
        uint32_t sid = 0;
        uint8_t sev = 0;
        if (gi.has_country && !country_known && n_cc > 0) {
            kind = KIND_COUNTRY;
            check = "baseline.client_new_country";
            sig = "CERTSENSOR client certificate used from a new country";
            sid = BASELINE_SID_CLIENT_NEW_COUNTRY;
            sev = 1;
            what = "country";
            whats = "countries";
        } else if (gi.has_asn && !asn_known && n_asn > 0) {
            kind = KIND_ASN;
            check = "baseline.client_new_asn";
            sig = "CERTSENSOR client certificate used from a new ASN";
            sid = BASELINE_SID_CLIENT_NEW_ASN;
            sev = 2;
            what = "ASN";
            whats = "ASNs";
        } else if (n_addr > 0) {
            kind = KIND_ADDR;
            check = "baseline.client_new_source";
            sig = "CERTSENSOR client certificate used from a new address";
            sid = BASELINE_SID_CLIENT_NEW_SOURCE;
            sev = 3;
            what = "address";
            whats = "addresses";
        }
        struct pending *p = kind != NULL && !b->failed ? pend_new(b) : NULL;
        if (p != NULL) {
            char known[256], loc[GEO_AS_ORG_MAX + 48], since[32];
            source_list(b, cert, kind, known, sizeof known);
            geo_info_str(&gi, loc, sizeof loc);
            iso_time(cert_first, since, sizeof since);
            p->a.signature_id = sid;
            p->a.signature = sig;
            p->a.severity = sev;
            p->a.check = check;
            p->a.role = "client";
            p->a.chain_index = 0;
            p->a.cert = leaf;
            snprintf(p->evidence, sizeof p->evidence,
                     "client certificate sha256 %s (subject %.300s, known since %s) used from "
                     "%s (%s): %s never seen for it; known %s: %s",
                     sha, li->parsed ? li->subject : "?", since, addr, loc, what, whats, known);
        }
    }
    record_source(b, cert, KIND_ADDR, addr, ts, !addr_known);
    if (gi.has_asn)
        record_source(b, cert, KIND_ASN, asn, ts, !asn_known);
    if (gi.has_country)
        record_source(b, cert, KIND_COUNTRY, country, ts, !country_known);
    bind_i64(b, ST_CC_TOUCH, 1, cert);
    bind_i64(b, ST_CC_TOUCH, 2, ts);
    exec_st(b, ST_CC_TOUCH);
}

/* ---- the check -------------------------------------------------------- */

/* COUNT(*) into *n, leaving the error state alone; *n unchanged on failure. */
static void recount(struct baseline *b, enum st_id id, int64_t *n)
{
    if (sqlite3_step(b->st[id]) == SQLITE_ROW)
        *n = sqlite3_column_int64(b->st[id], 0);
    done(b, id);
}

/* After a failure: undo what is not committed, count, resynchronise. */
static void recover(struct baseline *b, bool in_savepoint)
{
    if (sqlite3_get_autocommit(b->db)) {
        /* SQLite already rolled the whole transaction back (I/O error,
         * disk full, ...): the batch's earlier sessions are lost too */
        b->in_txn = false;
    } else if (in_savepoint) {
        bool ok = sqlite3_step(b->st[ST_ROLLBACK_TO]) == SQLITE_DONE;
        done(b, ST_ROLLBACK_TO);
        ok = ok && sqlite3_step(b->st[ST_RELEASE]) == SQLITE_DONE;
        done(b, ST_RELEASE);
        if (!ok) {
            sqlite3_step(b->st[ST_ROLLBACK]);
            done(b, ST_ROLLBACK);
            b->in_txn = false;
        }
    } else {
        sqlite3_step(b->st[ST_ROLLBACK]);
        done(b, ST_ROLLBACK);
        b->in_txn = false;
    }
    if (!b->in_txn)
        b->batch = 0;
    b->stats.errors++;
    b->n_pend = 0;
    /* the in-memory row counts may be off after a rollback */
    recount(b, ST_SVC_COUNT, &b->n_services);
    recount(b, ST_CC_COUNT, &b->n_client_certs);
}

bool baseline_flush(struct baseline *b)
{
    if (b == NULL || !b->in_txn)
        return true;
    b->failed = false;
    bool ok = exec_st(b, ST_COMMIT);
    if (!ok) {
        recover(b, false);
        return false;
    }
    b->in_txn = false;
    b->batch = 0;
    b->stats.commits++;
    return true;
}

void baseline_check(struct baseline *b, const struct geo *g, const struct cs_tls *t,
                    const struct check_out *o)
{
    if (b == NULL || t == NULL)
        return;
    b->n_pend = 0;
    if (t->server_cert_count == 0 && t->client_cert_count == 0)
        return; /* nothing to learn: no transaction */
    /* commit points depend on capture time only: replays stay deterministic */
    if (b->in_txn && (b->batch >= BASELINE_BATCH_SESSIONS || t->ts_us < b->batch_ts ||
                      t->ts_us - b->batch_ts >= BASELINE_BATCH_US))
        baseline_flush(b);
    b->failed = false;
    if (!b->in_txn) {
        if (!exec_st(b, ST_BEGIN)) {
            recover(b, false);
            return;
        }
        b->in_txn = true;
        b->batch = 0;
        b->batch_ts = t->ts_us;
    }
    /* a savepoint per session: a failure undoes this session only */
    if (!exec_st(b, ST_SAVEPOINT)) {
        recover(b, false);
        return;
    }
    learn_server(b, t);
    learn_client(b, g, t);
    if (!exec_st(b, ST_RELEASE)) {
        /* Alerts of a session whose learning did not stick are dropped:
         * the baseline and the alerts stay consistent. */
        recover(b, true);
        return;
    }
    b->batch++;
    b->stats.sessions++;
    for (size_t i = 0; i < b->n_pend; i++) {
        b->stats.alerts++;
        check_emit(o, &b->pend[i].a);
    }
    b->n_pend = 0;
}
