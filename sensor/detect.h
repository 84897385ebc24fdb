/* Detection: runs the checks of the installed rule set on every finished
 * session record and turns their findings into alert events. */
#ifndef CS_SENSOR_DETECT_H
#define CS_SENSOR_DETECT_H

#include "certsensor.h"

struct cs_sensor;
struct detect_memo;

/* Fill t's GeoIP fields (before the tls event is written). */
void detect_enrich(struct cs_sensor *s, struct cs_tls *t);
/* Run every enabled check on t and emit one alert event per finding. */
void detect_run(struct cs_sensor *s, const struct cs_tls *t);
/* Periodic work (live capture): commit the baseline's pending batch. */
void detect_tick(struct cs_sensor *s);
void detect_free(struct cs_sensor *s);
/* SQLite failures of the baseline so far (0 without one). */
uint64_t detect_baseline_errors(const struct cs_sensor *s);
/* Built-in checks on a mail session's clear text (STARTTLS stripping,
 * clear-text authentication) and on an EWS request (impersonation). */
void detect_mail(struct cs_sensor *s, const struct cs_mail *m);
void detect_ews(struct cs_sensor *s, const struct cs_ews *w);

#endif
