/* certgen: application scripts (see dialog.h). */
#include "dialog.h"
#include "util.h"

#define CRLF "\r\n"

static const struct dialog_line https_inner[] = {
    {TCP_C2S, "GET / HTTP/1.1" CRLF "Host: www.example.test" CRLF "User-Agent: certgen/1" CRLF
              "Accept: */*" CRLF CRLF},
    {TCP_S2C, "HTTP/1.1 200 OK" CRLF "Content-Type: text/plain" CRLF "Content-Length: 14" CRLF CRLF
              "hello, world!\n"},
    {TCP_C2S, "GET /favicon.ico HTTP/1.1" CRLF "Host: www.example.test" CRLF
              "User-Agent: certgen/1" CRLF "Accept: */*" CRLF "Connection: close" CRLF CRLF},
    {TCP_S2C, "HTTP/1.1 404 Not Found" CRLF "Content-Length: 0" CRLF "Connection: close" CRLF CRLF},
    {TCP_C2S, NULL},
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
    {TCP_S2C, "220 mail.example.test ESMTP certgen" CRLF},
    {TCP_C2S, "EHLO client01.example.test" CRLF},
    {TCP_S2C, "250-mail.example.test Hello client01.example.test" CRLF "250-SIZE 10240000" CRLF
              "250-8BITMIME" CRLF "250-PIPELINING" CRLF "250-STARTTLS" CRLF "250 SMTPUTF8" CRLF},
    {TCP_C2S, "STARTTLS" CRLF},
    {TCP_S2C, "220 2.0.0 Ready to start TLS" CRLF},
    {TCP_C2S, NULL},
};

/* RFC 3207 4.2: the client must EHLO again after the handshake. */
static const struct dialog_line smtp_inner[] = {
    {TCP_C2S, "EHLO client01.example.test" CRLF},
    {TCP_S2C,
     "250-mail.example.test Hello client01.example.test" CRLF "250-SIZE 10240000" CRLF
     "250-8BITMIME" CRLF "250-PIPELINING" CRLF "250-AUTH PLAIN LOGIN" CRLF "250 SMTPUTF8" CRLF},
    {TCP_C2S, "QUIT" CRLF},
    {TCP_S2C, "221 2.0.0 Bye" CRLF},
    {TCP_C2S, NULL},
};

const struct dialog dialog_smtp_starttls = {
    .name = "smtp-starttls",
    .port = 25,
    .clear = smtp_clear,
    .inner = smtp_inner,
    .closes_first = TCP_S2C,
};
