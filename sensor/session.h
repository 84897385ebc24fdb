/* Per-flow application state: finds where TLS starts in a TCP stream,
 * drives the record layer for both directions, builds the session record
 * and emits the `tls` event when the handshake is over (or the flow ends).
 * Allocated for a flow when its first payload byte arrives; freed when
 * the flow is bypassed or ends. */
#ifndef CS_SENSOR_SESSION_H
#define CS_SENSOR_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

struct cs_sensor;

/* Ensure f->sess exists; false if memory refused (flow is then bypassed). */
bool session_attach(struct cs_sensor *s, struct flow *f);
/* In-order stream bytes of direction dir (0: addr[0] -> addr[1]). */
void session_data(struct cs_sensor *s, struct flow *f, int dir, const uint8_t *p, size_t n);
/* Bytes of direction dir were lost. */
void session_gap(struct cs_sensor *s, struct flow *f, int dir, size_t n);
/* The flow ends: emit what is pending, free. */
void session_end(struct cs_sensor *s, struct flow *f, const char *state);
/* The handshake is over (or the flow carries no TLS): bypass the flow. */
bool session_done(const struct flow *f);
/* TLS was found on the flow. */
bool session_is_tls(const struct flow *f);
/* Free without emitting. */
void session_free(struct cs_sensor *s, struct flow *f);

#endif
