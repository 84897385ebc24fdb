/* The clear-text side of a flow: mail-style protocols before STARTTLS
 * (parsers/mailproto) and HTTP requests to Exchange Web Services
 * (parsers/http, parsers/ews), in clear or decrypted from TLS.
 * One struct appflow per flow that needs it, allocated on first use and
 * bounded; the session owns it. */
#ifndef CS_SENSOR_APPFLOW_H
#define CS_SENSOR_APPFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "certsensor.h"
#include "flow.h"

struct cs_sensor;
struct appflow;

#define APPFLOW_HISTORY 2048u        /* clear text kept until the protocol is known */
#define APPFLOW_MAIL_BUDGET (256u * 1024u) /* clear text followed per direction */
#define APPFLOW_HTTP_BUF (80u * 1024u)     /* one request: head + body prefix */
#define APPFLOW_HTTP_REQUESTS 64u    /* requests looked at per flow */

struct appflow *appflow_new(struct cs_sensor *s);
void appflow_free(struct cs_sensor *s, struct appflow *a);

/* Clear-text bytes of one direction before TLS. Returns the offset in p
 * where TLS begins when a mail protocol says so (STARTTLS accepted), else
 * SIZE_MAX. *claimed is true while a mail protocol owns the stream (the
 * generic TLS probe must then not run on it). */
size_t appflow_clear(struct cs_sensor *s, struct appflow *a, const struct flow *f, int dir,
                     const uint8_t *p, size_t n, bool *claimed);

/* Clear-text bytes the client sent on a flow no mail protocol claimed
 * (HTTP requests to EWS / Autodiscover). */
void appflow_clear_http(struct cs_sensor *s, struct appflow *a, const struct flow *f,
                        const uint8_t *p, size_t n);
/* HTTP requests are being followed on this flow. */
bool appflow_http_active(const struct appflow *a);

/* Application bytes the client sent inside TLS, decrypted (EWS requests). */
void appflow_plain(struct cs_sensor *s, struct appflow *a, const struct flow *f,
                   const char *sni, const uint8_t *p, size_t n);

/* Mail facts so far (for the tls event of an upgraded session), or NULL. */
const struct cs_mail *appflow_mail(struct cs_sensor *s, struct appflow *a, const struct flow *f);

/* Write the mail event (once) and its alerts. */
void appflow_emit_mail(struct cs_sensor *s, struct appflow *a, const struct flow *f);

/* A mail protocol is still being followed in clear (do not bypass yet). */
bool appflow_following(const struct appflow *a);

/* Exchange Online / Autodiscover / configured on-premises host names. */
bool appflow_is_exchange_name(const struct cs_sensor *s, const char *name, size_t n);

#endif
