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
};

struct dialog {
    const char *name;
    uint16_t port;                   /* server port */
    const struct dialog_line *clear; /* before the handshake, in the clear; may be NULL */
    const struct dialog_line *inner; /* after the handshake, as TLS application data */
    enum tcp_dir closes_first;       /* sends close_notify and FIN first */
};

extern const struct dialog dialog_https;
extern const struct dialog dialog_smtp_starttls;

#endif
