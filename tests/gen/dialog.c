/* certgen: application scripts (see dialog.h). */
#include "dialog.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRLF "\r\n"
/* A line's bytes and their count (a literal may hold NUL bytes: LDAP BER). */
#define LINE(s) s, sizeof(s) - 1

static const struct dialog_line https_inner[] = {
    {TCP_C2S, LINE("GET / HTTP/1.1" CRLF "Host: www.example.test" CRLF "User-Agent: certgen/1" CRLF
                   "Accept: */*" CRLF CRLF)},
    {TCP_S2C, LINE("HTTP/1.1 200 OK" CRLF "Content-Type: text/plain" CRLF
                   "Content-Length: 14" CRLF CRLF "hello, world!\n")},
    {TCP_C2S, LINE("GET /favicon.ico HTTP/1.1" CRLF "Host: www.example.test" CRLF
                   "User-Agent: certgen/1" CRLF "Accept: */*" CRLF "Connection: close" CRLF CRLF)},
    {TCP_S2C,
     LINE("HTTP/1.1 404 Not Found" CRLF "Content-Length: 0" CRLF "Connection: close" CRLF CRLF)},
    {TCP_C2S, NULL, 0},
};

const struct dialog dialog_https = {
    .name = "https",
    .port = 443,
    .clear = NULL,
    .inner = https_inner,
    .closes_first = TCP_C2S,
};

/* RFC 5321 4.1.1 (EHLO, QUIT) and RFC 3207 4 (STARTTLS). */
static const struct dialog_line smtp_clear[] = {
    {TCP_S2C, LINE("220 mail.example.test ESMTP certgen" CRLF)},
    {TCP_C2S, LINE("EHLO client01.example.test" CRLF)},
    {TCP_S2C,
     LINE("250-mail.example.test Hello client01.example.test" CRLF "250-SIZE 10240000" CRLF
          "250-8BITMIME" CRLF "250-PIPELINING" CRLF "250-STARTTLS" CRLF "250 SMTPUTF8" CRLF)},
    {TCP_C2S, LINE("STARTTLS" CRLF)},
    {TCP_S2C, LINE("220 2.0.0 Ready to start TLS" CRLF)},
    {TCP_C2S, NULL, 0},
};

/* RFC 3207 4.2: the client must EHLO again after the handshake. */
static const struct dialog_line smtp_inner[] = {
    {TCP_C2S, LINE("EHLO client01.example.test" CRLF)},
    {TCP_S2C, LINE("250-mail.example.test Hello client01.example.test" CRLF "250-SIZE 10240000" CRLF
                   "250-8BITMIME" CRLF "250-PIPELINING" CRLF "250-AUTH PLAIN LOGIN" CRLF
                   "250 SMTPUTF8" CRLF)},
    {TCP_C2S, LINE("QUIT" CRLF)},
    {TCP_S2C, LINE("221 2.0.0 Bye" CRLF)},
    {TCP_C2S, NULL, 0},
};

const struct dialog dialog_smtp_starttls = {
    .name = "smtp-starttls",
    .port = 25,
    .clear = smtp_clear,
    .inner = smtp_inner,
    .closes_first = TCP_S2C,
};

/* ---- helpers ----------------------------------------------------------------------- */

int dialog_play_clear(struct tcp_conn *c, const struct dialog_line *lines, enum tcp_dir next)
{
    for (size_t i = 0; lines != NULL && lines[i].text != NULL; i++) {
        enum tcp_dir d = lines[i].from;
        if (tcp_send(c, d, (const uint8_t *)lines[i].text, lines[i].len, 0) != 0)
            return -1;
        enum tcp_dir after = lines[i + 1].text != NULL ? lines[i + 1].from : next;
        if (after == d && tcp_ack_if_owed(c, (enum tcp_dir)(d ^ 1)) != 0)
            return -1;
    }
    return 0;
}

/* An HTTP/1.1 message line ("HTTP/1.1 ..." or a request line ending in " HTTP/1.1")
 * with a Content-Length must carry exactly that many body bytes (RFC 9112 6.2). */
static int check_http_line(const char *dialog, const struct dialog_line *l)
{
    const char *t = l->text;
    const char *eol = strstr(t, "\r\n");
    const char *head_end = strstr(t, "\r\n\r\n");
    if (strlen(t) != l->len || eol == NULL || head_end == NULL)
        return 0;
    bool http = strncmp(t, "HTTP/1.1 ", 9) == 0 ||
                ((size_t)(eol - t) > 9 && strncmp(eol - 9, " HTTP/1.1", 9) == 0);
    const char *cl = strstr(t, "\r\nContent-Length: ");
    if (!http || cl == NULL || cl > head_end)
        return 0;
    unsigned long want = strtoul(cl + 18, NULL, 10);
    size_t body = strlen(head_end + 4);
    if (want != body) {
        gen_err("dialog %s: Content-Length %lu but the body has %zu bytes", dialog, want, body);
        return -1;
    }
    return 0;
}

int dialog_check(const struct dialog *d)
{
    const struct dialog_line *parts[2] = {d->clear, d->inner};
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; parts[k] != NULL && parts[k][i].text != NULL; i++)
            if (check_http_line(d->name, &parts[k][i]) != 0)
                return -1;
    return 0;
}

/* ---- SMTP (RFC 5321), STARTTLS (RFC 3207), AUTH (RFC 4954) ------------------------------ */

#define SMTP_BANNER "220 mail.example.test ESMTP certgen" CRLF
#define SMTP_EHLO "EHLO client01.example.test" CRLF
#define SMTP_EHLO_FIRST "250-mail.example.test Hello client01.example.test" CRLF

/* The server offers STARTTLS; the client never uses it and authenticates in the clear
 * (AUTH PLAIN initial response, RFC 4616: "\0alice\0Str1pped-Pa55!"), then sends a
 * message to two recipients. */
static const struct dialog_line smtp_stripped_clear[] = {
    {TCP_S2C, LINE(SMTP_BANNER)},
    {TCP_C2S, LINE(SMTP_EHLO)},
    {TCP_S2C,
     LINE(SMTP_EHLO_FIRST "250-SIZE 10240000" CRLF "250-8BITMIME" CRLF "250-PIPELINING" CRLF
                          "250-AUTH PLAIN LOGIN" CRLF "250-STARTTLS" CRLF "250 SMTPUTF8" CRLF)},
    {TCP_C2S, LINE("AUTH PLAIN AGFsaWNlAFN0cjFwcGVkLVBhNTUh" CRLF)},
    {TCP_S2C, LINE("235 2.7.0 Authentication successful" CRLF)},
    {TCP_C2S, LINE("MAIL FROM:<alice@example.test>" CRLF)},
    {TCP_S2C, LINE("250 2.1.0 Ok" CRLF)},
    {TCP_C2S, LINE("RCPT TO:<bob@example.net>" CRLF)},
    {TCP_S2C, LINE("250 2.1.5 Ok" CRLF)},
    {TCP_C2S, LINE("RCPT TO:<carol@example.org>" CRLF)},
    {TCP_S2C, LINE("250 2.1.5 Ok" CRLF)},
    {TCP_C2S, LINE("DATA" CRLF)},
    {TCP_S2C, LINE("354 End data with <CR><LF>.<CR><LF>" CRLF)},
    {TCP_C2S, LINE("From: alice@example.test" CRLF "To: bob@example.net, carol@example.org" CRLF
                   "Subject: quarterly numbers" CRLF CRLF "See attached." CRLF "." CRLF)},
    {TCP_S2C, LINE("250 2.0.0 Ok: queued as 4ZcG1L0x2Yz" CRLF)},
    {TCP_C2S, LINE("QUIT" CRLF)},
    {TCP_S2C, LINE("221 2.0.0 Bye" CRLF)},
    {TCP_C2S, NULL, 0},
};

const struct dialog dialog_smtp_stripped = {
    .name = "smtp-stripped",
    .port = 25,
    .clear = smtp_stripped_clear,
    .closes_first = TCP_S2C,
    .no_tls = true,
};

/* A middlebox overwrote the STARTTLS keyword of the EHLO reply with "XXXXXXXA"; the
 * client carries on in the clear with AUTH LOGIN (user "bob", password
 * "M4ngled-Secret", each base64 on its own line). */
static const struct dialog_line smtp_mangled_clear[] = {
    {TCP_S2C, LINE(SMTP_BANNER)},
    {TCP_C2S, LINE(SMTP_EHLO)},
    {TCP_S2C,
     LINE(SMTP_EHLO_FIRST "250-SIZE 10240000" CRLF "250-8BITMIME" CRLF "250-PIPELINING" CRLF
                          "250-AUTH LOGIN PLAIN" CRLF "250-XXXXXXXA" CRLF "250 SMTPUTF8" CRLF)},
    {TCP_C2S, LINE("AUTH LOGIN" CRLF)},
    {TCP_S2C, LINE("334 VXNlcm5hbWU6" CRLF)},
    {TCP_C2S, LINE("Ym9i" CRLF)},
    {TCP_S2C, LINE("334 UGFzc3dvcmQ6" CRLF)},
    {TCP_C2S, LINE("TTRuZ2xlZC1TZWNyZXQ=" CRLF)},
    {TCP_S2C, LINE("235 2.7.0 Authentication successful" CRLF)},
    {TCP_C2S, LINE("MAIL FROM:<bob@example.test>" CRLF)},
    {TCP_S2C, LINE("250 2.1.0 Ok" CRLF)},
    {TCP_C2S, LINE("RCPT TO:<alice@example.net>" CRLF)},
    {TCP_S2C, LINE("250 2.1.5 Ok" CRLF)},
    {TCP_C2S, LINE("QUIT" CRLF)},
    {TCP_S2C, LINE("221 2.0.0 Bye" CRLF)},
    {TCP_C2S, NULL, 0},
};

const struct dialog dialog_smtp_mangled = {
    .name = "smtp-mangled",
    .port = 25,
    .clear = smtp_mangled_clear,
    .closes_first = TCP_S2C,
    .no_tls = true,
};

/* STARTTLS is requested and refused with 454 (RFC 3207 4); the client sends its
 * message in the clear anyway. */
static const struct dialog_line smtp_refused_clear[] = {
    {TCP_S2C, LINE(SMTP_BANNER)},
    {TCP_C2S, LINE(SMTP_EHLO)},
    {TCP_S2C, LINE(SMTP_EHLO_FIRST "250-SIZE 10240000" CRLF "250-PIPELINING" CRLF
                                   "250-STARTTLS" CRLF "250 8BITMIME" CRLF)},
    {TCP_C2S, LINE("STARTTLS" CRLF)},
    {TCP_S2C, LINE("454 4.7.0 TLS not available due to temporary reason" CRLF)},
    {TCP_C2S, LINE("MAIL FROM:<alice@example.test>" CRLF)},
    {TCP_S2C, LINE("250 2.1.0 Ok" CRLF)},
    {TCP_C2S, LINE("RCPT TO:<bob@example.net>" CRLF)},
    {TCP_S2C, LINE("250 2.1.5 Ok" CRLF)},
    {TCP_C2S, LINE("QUIT" CRLF)},
    {TCP_S2C, LINE("221 2.0.0 Bye" CRLF)},
    {TCP_C2S, NULL, 0},
};

const struct dialog dialog_smtp_refused = {
    .name = "smtp-refused",
    .port = 25,
    .clear = smtp_refused_clear,
    .closes_first = TCP_S2C,
    .no_tls = true,
};

/* Implicit TLS on the submissions port (RFC 8314 3.3): the whole SMTP dialogue,
 * AUTH PLAIN included ("\0alice\0Impl1cit-Tls-Pw"), is inside TLS. */
static const struct dialog_line smtps_inner[] = {
    {TCP_S2C, LINE(SMTP_BANNER)},
    {TCP_C2S, LINE(SMTP_EHLO)},
    {TCP_S2C, LINE(SMTP_EHLO_FIRST "250-SIZE 10240000" CRLF "250-PIPELINING" CRLF
                                   "250-AUTH PLAIN LOGIN" CRLF "250 8BITMIME" CRLF)},
    {TCP_C2S, LINE("AUTH PLAIN AGFsaWNlAEltcGwxY2l0LVRscy1Qdw==" CRLF)},
    {TCP_S2C, LINE("235 2.7.0 Authentication successful" CRLF)},
    {TCP_C2S, LINE("QUIT" CRLF)},
    {TCP_S2C, LINE("221 2.0.0 Bye" CRLF)},
    {TCP_C2S, NULL, 0},
};

const struct dialog dialog_smtps = {
    .name = "smtps",
    .port = 465,
    .clear = NULL,
    .inner = smtps_inner,
    .closes_first = TCP_S2C,
};

/* ---- IMAP (RFC 9051 / RFC 3501; STARTTLS 6.2.1, LOGIN 6.2.3; ID RFC 2971) ---------------- */

#define IMAP_CAPS_PRE "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+"

static const struct dialog_line imap_starttls_clear[] = {
    {TCP_S2C,
     LINE("* OK [CAPABILITY " IMAP_CAPS_PRE " STARTTLS LOGINDISABLED] certgen IMAP ready" CRLF)},
    {TCP_C2S, LINE("a001 CAPABILITY" CRLF)},
    {TCP_S2C,
     LINE("* CAPABILITY " IMAP_CAPS_PRE " STARTTLS LOGINDISABLED" CRLF
          "a001 OK Pre-login capabilities listed, post-login capabilities have more." CRLF)},
    {TCP_C2S, LINE("a002 STARTTLS" CRLF)},
    {TCP_S2C, LINE("a002 OK Begin TLS negotiation now." CRLF)},
    {TCP_C2S, NULL, 0},
};

static const struct dialog_line imap_starttls_inner[] = {
    {TCP_C2S, LINE("a003 CAPABILITY" CRLF)},
    {TCP_S2C,
     LINE("* CAPABILITY " IMAP_CAPS_PRE " AUTH=PLAIN" CRLF "a003 OK Capability completed." CRLF)},
    {TCP_C2S, LINE("a004 LOGIN carol \"Inner-Imap-Pw\"" CRLF)},
    {TCP_S2C, LINE("a004 OK Logged in" CRLF)},
    {TCP_C2S, LINE("a005 LOGOUT" CRLF)},
    {TCP_S2C, LINE("* BYE Logging out" CRLF "a005 OK Logout completed." CRLF)},
    {TCP_C2S, NULL, 0},
};

const struct dialog dialog_imap_starttls = {
    .name = "imap-starttls",
    .port = 143,
    .clear = imap_starttls_clear,
    .inner = imap_starttls_inner,
    .closes_first = TCP_S2C,
};

/* No STARTTLS offered; LOGIN with user and password in the clear. */
static const struct dialog_line imap_login_clear_clear[] = {
    {TCP_S2C, LINE("* OK [CAPABILITY " IMAP_CAPS_PRE " AUTH=PLAIN] certgen IMAP ready" CRLF)},
    {TCP_C2S, LINE("a1 ID (\"name\" \"certgen-mua\" \"version\" \"1.0\")" CRLF)},
    {TCP_S2C, LINE("* ID (\"name\" \"certgen-imapd\")" CRLF "a1 OK ID completed." CRLF)},
    {TCP_C2S, LINE("a2 LOGIN carol \"Cl34r-Imap-Pw\"" CRLF)},
    {TCP_S2C, LINE("a2 OK [CAPABILITY " IMAP_CAPS_PRE " AUTH=PLAIN] Logged in" CRLF)},
    {TCP_C2S, LINE("a3 SELECT INBOX" CRLF)},
    {TCP_S2C, LINE("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)" CRLF "* 3 EXISTS" CRLF
                   "* 0 RECENT" CRLF "a3 OK [READ-WRITE] Select completed." CRLF)},
    {TCP_C2S, LINE("a4 LOGOUT" CRLF)},
    {TCP_S2C, LINE("* BYE Logging out" CRLF "a4 OK Logout completed." CRLF)},
    {TCP_C2S, NULL, 0},
};

const struct dialog dialog_imap_login_clear = {
    .name = "imap-login-clear",
    .port = 143,
    .clear = imap_login_clear_clear,
    .closes_first = TCP_S2C,
    .no_tls = true,
};

/* ---- POP3 (RFC 1939; CAPA and STLS RFC 2449, RFC 2595 4) ------------------------------- */

#define POP3_BANNER "+OK certgen POP3 server ready" CRLF

static const struct dialog_line pop3_stls_clear[] = {
    {TCP_S2C, LINE(POP3_BANNER)},
    {TCP_C2S, LINE("CAPA" CRLF)},
    {TCP_S2C, LINE("+OK Capability list follows" CRLF "TOP" CRLF "UIDL" CRLF "RESP-CODES" CRLF
                   "PIPELINING" CRLF "STLS" CRLF "USER" CRLF "SASL PLAIN" CRLF "." CRLF)},
    {TCP_C2S, LINE("STLS" CRLF)},
    {TCP_S2C, LINE("+OK Begin TLS negotiation now." CRLF)},
    {TCP_C2S, NULL, 0},
};

static const struct dialog_line pop3_stls_inner[] = {
    {TCP_C2S, LINE("USER dave" CRLF)},
    {TCP_S2C, LINE("+OK" CRLF)},
    {TCP_C2S, LINE("PASS Inner-Pop-Pw" CRLF)},
    {TCP_S2C, LINE("+OK Logged in." CRLF)},
    {TCP_C2S, LINE("STAT" CRLF)},
    {TCP_S2C, LINE("+OK 0 0" CRLF)},
    {TCP_C2S, LINE("QUIT" CRLF)},
    {TCP_S2C, LINE("+OK Logging out." CRLF)},
    {TCP_C2S, NULL, 0},
};

const struct dialog dialog_pop3_stls = {
    .name = "pop3-stls",
    .port = 110,
    .clear = pop3_stls_clear,
    .inner = pop3_stls_inner,
    .closes_first = TCP_S2C,
};

/* STLS offered in CAPA but not used; USER/PASS in the clear. */
static const struct dialog_line pop3_user_clear_clear[] = {
    {TCP_S2C, LINE(POP3_BANNER)},
    {TCP_C2S, LINE("CAPA" CRLF)},
    {TCP_S2C, LINE("+OK Capability list follows" CRLF "TOP" CRLF "UIDL" CRLF "STLS" CRLF "USER" CRLF
                   "." CRLF)},
    {TCP_C2S, LINE("USER dave" CRLF)},
    {TCP_S2C, LINE("+OK" CRLF)},
    {TCP_C2S, LINE("PASS Cl34r-Pop-Pw" CRLF)},
    {TCP_S2C, LINE("+OK Logged in." CRLF)},
    {TCP_C2S, LINE("LIST" CRLF)},
    {TCP_S2C, LINE("+OK 1 messages:" CRLF "1 512" CRLF "." CRLF)},
    {TCP_C2S, LINE("QUIT" CRLF)},
    {TCP_S2C, LINE("+OK Logging out." CRLF)},
    {TCP_C2S, NULL, 0},
};

const struct dialog dialog_pop3_user_clear = {
    .name = "pop3-user-clear",
    .port = 110,
    .clear = pop3_user_clear_clear,
    .closes_first = TCP_S2C,
    .no_tls = true,
};

/* ---- LDAP (RFC 4511 BER; StartTLS 4.14, simple bind 4.2) ------------------------------- */

/* RFC 4511 4.14.1 */
#define LDAP_STARTTLS_OID "1.3.6.1.4.1.1466.20037" /* 22 bytes */

/* LDAPMessage ::= SEQUENCE { messageID INTEGER, protocolOp CHOICE { ... } }
 * ExtendedRequest ::= [APPLICATION 23] SEQUENCE { requestName [0] LDAPOID } */
#define LDAP_STARTTLS_REQ(id)                                                                      \
    "\x30\x1d"                                                                                     \
    "\x02\x01" id "\x77\x18"                                                                       \
    "\x80\x16" LDAP_STARTTLS_OID
/* ExtendedResponse ::= [APPLICATION 24] SEQUENCE { resultCode success(0), matchedDN "",
 * diagnosticMessage "", responseName [10] LDAPOID } */
#define LDAP_STARTTLS_RESP(id)                                                                     \
    "\x30\x24"                                                                                     \
    "\x02\x01" id "\x78\x1f"                                                                       \
    "\x0a\x01\x00"                                                                                 \
    "\x04\x00"                                                                                     \
    "\x04\x00"                                                                                     \
    "\x8a\x16" LDAP_STARTTLS_OID
/* BindResponse ::= [APPLICATION 1] SEQUENCE { resultCode success(0), matchedDN "",
 * diagnosticMessage "" } */
#define LDAP_BIND_OK(id)                                                                           \
    "\x30\x0c"                                                                                     \
    "\x02\x01" id "\x61\x07"                                                                       \
    "\x0a\x01\x00"                                                                                 \
    "\x04\x00"                                                                                     \
    "\x04\x00"
/* UnbindRequest ::= [APPLICATION 2] NULL */
#define LDAP_UNBIND(id)                                                                            \
    "\x30\x05"                                                                                     \
    "\x02\x01" id "\x42\x00"

static const struct dialog_line ldap_starttls_clear[] = {
    {TCP_C2S, LINE(LDAP_STARTTLS_REQ("\x01"))},
    {TCP_S2C, LINE(LDAP_STARTTLS_RESP("\x01"))},
    {TCP_C2S, NULL, 0},
};

/* BindRequest ::= [APPLICATION 0] SEQUENCE { version 3, name LDAPDN,
 * authentication simple [0] OCTET STRING } */
static const struct dialog_line ldap_starttls_inner[] = {
    {TCP_C2S, LINE("\x30\x35"
                   "\x02\x01\x02"
                   "\x60\x30"
                   "\x02\x01\x03"
                   "\x04\x1c"
                   "cn=reader,dc=example,dc=test"
                   "\x80\x0d"
                   "Inner-Ldap-Pw")},
    {TCP_S2C, LINE(LDAP_BIND_OK("\x02"))},
    {TCP_C2S, LINE(LDAP_UNBIND("\x03"))},
    {TCP_C2S, NULL, 0},
};

const struct dialog dialog_ldap_starttls = {
    .name = "ldap-starttls",
    .port = 389,
    .clear = ldap_starttls_clear,
    .inner = ldap_starttls_inner,
    .closes_first = TCP_C2S,
};

/* A simple bind with a DN and a password in the clear, then StartTLS. */
static const struct dialog_line ldap_bind_clear_clear[] = {
    {TCP_C2S, LINE("\x30\x34"
                   "\x02\x01\x01"
                   "\x60\x2f"
                   "\x02\x01\x03"
                   "\x04\x1b"
                   "cn=admin,dc=example,dc=test"
                   "\x80\x0d"
                   "Cl34r-Ldap-Pw")},
    {TCP_S2C, LINE(LDAP_BIND_OK("\x01"))},
    {TCP_C2S, LINE(LDAP_STARTTLS_REQ("\x02"))},
    {TCP_S2C, LINE(LDAP_STARTTLS_RESP("\x02"))},
    {TCP_C2S, NULL, 0},
};

static const struct dialog_line ldap_bind_clear_inner[] = {
    {TCP_C2S, LINE(LDAP_UNBIND("\x03"))},
    {TCP_C2S, NULL, 0},
};

const struct dialog dialog_ldap_bind_clear = {
    .name = "ldap-bind-clear",
    .port = 389,
    .clear = ldap_bind_clear_clear,
    .inner = ldap_bind_clear_inner,
    .closes_first = TCP_C2S,
};

/* ---- FTP (RFC 959; FEAT RFC 2389; AUTH TLS, PBSZ, PROT RFC 4217) ------------------------ */

static const struct dialog_line ftp_authtls_clear[] = {
    {TCP_S2C, LINE("220 certgen FTP server ready." CRLF)},
    {TCP_C2S, LINE("FEAT" CRLF)},
    {TCP_S2C, LINE("211-Features:" CRLF " AUTH TLS" CRLF " PBSZ" CRLF " PROT" CRLF " MDTM" CRLF
                   " SIZE" CRLF " UTF8" CRLF "211 End" CRLF)},
    {TCP_C2S, LINE("AUTH TLS" CRLF)},
    {TCP_S2C, LINE("234 Proceed with negotiation." CRLF)},
    {TCP_C2S, NULL, 0},
};

static const struct dialog_line ftp_authtls_inner[] = {
    {TCP_C2S, LINE("USER erin" CRLF)},
    {TCP_S2C, LINE("331 Please specify the password." CRLF)},
    {TCP_C2S, LINE("PASS Inner-Ftp-Pw" CRLF)},
    {TCP_S2C, LINE("230 Login successful." CRLF)},
    {TCP_C2S, LINE("PBSZ 0" CRLF)},
    {TCP_S2C, LINE("200 PBSZ=0" CRLF)},
    {TCP_C2S, LINE("PROT P" CRLF)},
    {TCP_S2C, LINE("200 Protection level set to P" CRLF)},
    {TCP_C2S, LINE("QUIT" CRLF)},
    {TCP_S2C, LINE("221 Goodbye." CRLF)},
    {TCP_C2S, NULL, 0},
};

const struct dialog dialog_ftp_authtls = {
    .name = "ftp-authtls",
    .port = 21,
    .clear = ftp_authtls_clear,
    .inner = ftp_authtls_inner,
    .closes_first = TCP_S2C,
};

/* ---- XMPP (RFC 6120 5.4: STARTTLS, <required/>, <proceed/>) ---------------------------- */

#define XMPP_NS                                                                                    \
    "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
#define XMPP_CLIENT_STREAM "<?xml version='1.0'?><stream:stream to='example.test' " XMPP_NS
#define XMPP_SERVER_STREAM_1                                                                       \
    "<?xml version='1.0'?><stream:stream from='example.test' id='certgen-c2s-1' " XMPP_NS
#define XMPP_SERVER_STREAM_2                                                                       \
    "<?xml version='1.0'?><stream:stream from='example.test' id='certgen-c2s-2' " XMPP_NS
#define XMPP_TLS_NS "xmlns='urn:ietf:params:xml:ns:xmpp-tls'"
#define XMPP_SASL_NS "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'"

static const struct dialog_line xmpp_starttls_clear[] = {
    {TCP_C2S, LINE(XMPP_CLIENT_STREAM)},
    {TCP_S2C, LINE(XMPP_SERVER_STREAM_1 "<stream:features><starttls " XMPP_TLS_NS ">"
                                        "<required/></starttls></stream:features>")},
    {TCP_C2S, LINE("<starttls " XMPP_TLS_NS "/>")},
    {TCP_S2C, LINE("<proceed " XMPP_TLS_NS "/>")},
    {TCP_C2S, NULL, 0},
};

/* RFC 6120 5.4.3.3: the client opens a new stream over TLS; then SASL PLAIN (RFC 6120
 * 6.4.2, "\0frank\0Inner-Xmpp-Pw") inside TLS. The stream is not closed: tshark's XMPP
 * dissector calls a </stream:stream> in a record of its own malformed. */
static const struct dialog_line xmpp_starttls_inner[] = {
    {TCP_C2S, LINE(XMPP_CLIENT_STREAM)},
    {TCP_S2C, LINE(XMPP_SERVER_STREAM_2 "<stream:features><mechanisms " XMPP_SASL_NS ">"
                                        "<mechanism>SCRAM-SHA-1</mechanism>"
                                        "<mechanism>PLAIN</mechanism>"
                                        "</mechanisms></stream:features>")},
    {TCP_C2S, LINE("<auth " XMPP_SASL_NS " mechanism='PLAIN'>AGZyYW5rAElubmVyLVhtcHAtUHc=</auth>")},
    {TCP_S2C, LINE("<success " XMPP_SASL_NS "/>")},
    {TCP_C2S, NULL, 0},
};

const struct dialog dialog_xmpp_starttls = {
    .name = "xmpp-starttls",
    .port = 5222,
    .clear = xmpp_starttls_clear,
    .inner = xmpp_starttls_inner,
    .closes_first = TCP_C2S,
};

/* ---- Exchange Web Services (SOAP 1.1 over HTTP/1.1) ----------------------------------- */

/* FindItem on the inbox of ceo@example.test, acting as that mailbox through
 * ExchangeImpersonation/ConnectingSID/PrimarySmtpAddress. 783 bytes. */
/* clang-format off */
#define EWS_FINDITEM_BODY                                                                          \
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>" CRLF                                              \
    "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\""                      \
    " xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\""                       \
    " xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/messages\">" CRLF              \
    "  <soap:Header>" CRLF                                                                         \
    "    <t:RequestServerVersion Version=\"Exchange2016\"/>" CRLF                                  \
    "    <t:ExchangeImpersonation>" CRLF                                                           \
    "      <t:ConnectingSID>" CRLF                                                                 \
    "        <t:PrimarySmtpAddress>ceo@example.test</t:PrimarySmtpAddress>" CRLF                   \
    "      </t:ConnectingSID>" CRLF                                                                \
    "    </t:ExchangeImpersonation>" CRLF                                                          \
    "  </soap:Header>" CRLF                                                                        \
    "  <soap:Body>" CRLF                                                                           \
    "    <m:FindItem Traversal=\"Shallow\">" CRLF                                                  \
    "      <m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>" CRLF                      \
    "      <m:ParentFolderIds><t:DistinguishedFolderId Id=\"inbox\"/></m:ParentFolderIds>" CRLF    \
    "    </m:FindItem>" CRLF                                                                       \
    "  </soap:Body>" CRLF                                                                          \
    "</soap:Envelope>" CRLF
/* clang-format on */

/* The request head; the NTLM token is a NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1) with no
 * domain or workstation. */
#define EWS_FINDITEM_HEAD(host)                                                                    \
    "POST /EWS/Exchange.asmx HTTP/1.1" CRLF "Host: " host CRLF                                     \
    "User-Agent: ExchangeServicesClient/15.00.0913.015" CRLF                                       \
    "Authorization: NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGVKAAAADw==" CRLF            \
    "X-AnchorMailbox: ceo@example.test" CRLF "Content-Type: text/xml; charset=utf-8" CRLF          \
    "SOAPAction: \"http://schemas.microsoft.com/exchange/services/2006/messages/FindItem\"" CRLF   \
    "Content-Length: 783" CRLF CRLF

#define EWS_FINDITEM_RESPONSE_BODY                                                                 \
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>"                                                   \
    "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>"                   \
    "<m:FindItemResponse"                                                                          \
    " xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/messages\""                    \
    " xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\">"                      \
    "<m:ResponseMessages><m:FindItemResponseMessage ResponseClass=\"Success\">"                    \
    "<m:ResponseCode>NoError</m:ResponseCode>"                                                     \
    "<m:RootFolder TotalItemsInView=\"0\" IncludesLastItemInRange=\"true\"><t:Items/>"             \
    "</m:RootFolder></m:FindItemResponseMessage></m:ResponseMessages></m:FindItemResponse>"        \
    "</s:Body></s:Envelope>"

#define EWS_FINDITEM_RESPONSE                                                                      \
    "HTTP/1.1 200 OK" CRLF "Content-Type: text/xml; charset=utf-8" CRLF                            \
    "Content-Length: 563" CRLF CRLF EWS_FINDITEM_RESPONSE_BODY

static const struct dialog_line ews_http_clear_clear[] = {
    {TCP_C2S, LINE(EWS_FINDITEM_HEAD("mail.example.test") EWS_FINDITEM_BODY)},
    {TCP_S2C, LINE(EWS_FINDITEM_RESPONSE)},
    {TCP_C2S,
     LINE("GET /autodiscover/autodiscover.xml HTTP/1.1" CRLF "Host: autodiscover.example.test" CRLF
          "User-Agent: Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; "
          "Pro)" CRLF "Accept: */*" CRLF "Connection: close" CRLF CRLF)},
    {TCP_S2C,
     LINE("HTTP/1.1 401 Unauthorized" CRLF "WWW-Authenticate: Negotiate" CRLF
          "WWW-Authenticate: NTLM" CRLF "Content-Length: 0" CRLF "Connection: close" CRLF CRLF)},
    {TCP_C2S, NULL, 0},
};

const struct dialog dialog_ews_http_clear = {
    .name = "ews-http-clear",
    .port = 80,
    .clear = ews_http_clear_clear,
    .closes_first = TCP_S2C,
    .no_tls = true,
};

static const struct dialog_line ews_https_inner[] = {
    {TCP_C2S, LINE(EWS_FINDITEM_HEAD("outlook.office365.com") EWS_FINDITEM_BODY)},
    {TCP_S2C, LINE(EWS_FINDITEM_RESPONSE)},
    {TCP_C2S, NULL, 0},
};

const struct dialog dialog_ews_https = {
    .name = "ews-https",
    .port = 443,
    .clear = NULL,
    .inner = ews_https_inner,
    .closes_first = TCP_C2S,
};
