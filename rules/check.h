/* The shape every detection module in rules/ shares.
 *
 * A check looks at one finished TLS session record (struct cs_tls, with
 * both chains and their analyses) and reports each finding through an
 * alert sink. Checks are pure: no I/O, no globals; what they need besides
 * the session (a loaded blocklist, a trust store, a pin set, a rule set)
 * comes in an immutable, caller-owned object built beforehand. A check
 * may call the sink any number of times; the strings it passes in a
 * struct cs_alert only need to live for the duration of the sink call. */
#ifndef CS_RULES_CHECK_H
#define CS_RULES_CHECK_H

#include "../sensor/certsensor.h"

typedef void (*check_sink)(void *ctx, const struct cs_alert *a);

struct check_out {
    check_sink sink;
    void *ctx;
};

static inline void check_emit(const struct check_out *o, const struct cs_alert *a)
{
    if (o != NULL && o->sink != NULL)
        o->sink(o->ctx, a);
}

#endif
