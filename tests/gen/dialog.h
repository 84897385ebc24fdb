/* certgen: application-layer scripts around the TLS handshake.
 *
 * A dialog is the cleartext exchange before the handshake (STARTTLS protocols),
 * the exchange inside TLS afterwards, and who closes first. Adding a protocol
 * (IMAP STARTTLS, POP3 STLS, ...) is one more dialog here. */
#ifndef CERTGEN_DIALOG_H
#define CERTGEN_DIALOG_H

#include "tcpsim.h"
#include "util.h"

struct dialog_line {
    enum tcp_dir from;
    const char *text; /* NULL ends the script */
    size_t len;       /* bytes of text (binary lines, e.g. LDAP BER, may hold NULs) */
};

struct dialog {
    const char *name;
    uint16_t port;                   /* server port */
    const struct dialog_line *clear; /* before the handshake, in the clear; may be NULL */
    const struct dialog_line *inner; /* after the handshake, as TLS application data */
    enum tcp_dir closes_first;       /* sends close_notify and FIN first */
    /* Cleartext only: no TLS handshake; `inner` is unused and the connection closes
     * (FIN from closes_first) right after `clear`. */
    bool no_tls;
};

extern const struct dialog dialog_https;
extern const struct dialog dialog_smtp_starttls;

/* Mail protocols, STARTTLS and clear-text authentication (see dialog.c). */
extern const struct dialog dialog_smtp_stripped;
extern const struct dialog dialog_smtp_mangled;
extern const struct dialog dialog_smtp_refused;
extern const struct dialog dialog_smtps;
extern const struct dialog dialog_imap_starttls;
extern const struct dialog dialog_imap_login_clear;
extern const struct dialog dialog_pop3_stls;
extern const struct dialog dialog_pop3_user_clear;
extern const struct dialog dialog_ldap_starttls;
extern const struct dialog dialog_ldap_bind_clear;
extern const struct dialog dialog_ftp_authtls;
extern const struct dialog dialog_xmpp_starttls;
/* Exchange Web Services: clear HTTP on port 80, and inside TLS on 443. */
extern const struct dialog dialog_ews_http_clear;
extern const struct dialog dialog_ews_https;

/* Consistency of the script itself: every HTTP/1.1 line's Content-Length equals its
 * body. 0 if fine; otherwise prints why. */
int dialog_check(const struct dialog *d);

/* Sends lines[] in the clear on c, each line one flight. The receiver of a line
 * acknowledges it at once unless it speaks next; `next` is who speaks after the
 * last line (the client's ClientHello, or whoever closes first). */
int dialog_play_clear(struct tcp_conn *c, const struct dialog_line *lines, enum tcp_dir next);

#endif
