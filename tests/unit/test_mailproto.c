/* Unit tests for parsers/mailproto.c: protocol detection and the STARTTLS
 * state machines (SMTP, IMAP, POP3, FTP, XMPP, LDAP).
 *
 * Each conversation is a list of (direction, bytes) segments written for
 * these tests (modelled on the shapes seen in public STARTTLS captures, no
 * bytes copied from them). A conversation is fed whole, then at every
 * two-way split of its bytes, byte at a time and in pseudo-random chunkings:
 * every run must give the same facts and the same TLS start offsets (as
 * offsets into each direction's stream). Every truncated prefix is fed too
 * (then mp_finish): nothing may crash, and no password, in clear or base64,
 * may remain anywhere in the state struct. Every chunk is an exactly sized
 * heap copy so AddressSanitizer sees any read past what was fed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto.h"

/* ---- conversations --------------------------------------------------------------- */

struct seg {
    int client;
    const char *p;
    size_t n;
};

#define C(s)                                                                                       \
    {                                                                                              \
        1, (s), sizeof(s) - 1                                                                      \
    }
#define S(s)                                                                                       \
    {                                                                                              \
        0, (s), sizeof(s) - 1                                                                      \
    }
#define NSEG(a) (sizeof(a) / sizeof((a)[0]))

/* first bytes of a TLS record (any content: the driver only looks at the first byte) */
#define CLIENT_HELLO "\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00"
#define SERVER_HELLO "\x16\x03\x03\x00\x05\x02\x00\x00\x01\x00"

static size_t conv_total(const struct seg *s, size_t n)
{
    size_t t = 0;
    for (size_t i = 0; i < n; i++)
        t += s[i].n;
    return t;
}

/* Feed the first `limit` bytes of a conversation. One segment is cut in two
 * at global offset split_at (SIZE_MAX: none); chunk > 0 cuts every segment
 * into pieces of at most chunk bytes, and chunk == SIZE_MAX - 1 into
 * pseudo-random pieces drawn from *rng. tls[d] is the first TLS offset seen
 * in direction d's stream, or SIZE_MAX. */
static void feed_conv(struct mp_state *st, enum mp_proto proto, const struct seg *segs, size_t nseg,
                      size_t split_at, size_t chunk, uint32_t *rng, size_t limit, size_t tls[2])
{
    size_t off[2] = {0, 0};
    size_t g = 0;
    mp_init(st, proto);
    tls[0] = tls[1] = SIZE_MAX;
    for (size_t i = 0; i < nseg && g < limit; i++) {
        const struct seg *s = &segs[i];
        int d = s->client ? MP_DIR_CLIENT : MP_DIR_SERVER;
        size_t pos = 0;
        while (pos < s->n && g < limit) {
            size_t len = s->n - pos;
            if (split_at > g && split_at < g + len)
                len = split_at - g;
            if (chunk == SIZE_MAX - 1 && rng != NULL) {
                *rng = *rng * 1103515245u + 12345u;
                size_t r = 1 + (*rng >> 16) % 37;
                if (len > r)
                    len = r;
            } else if (chunk > 0 && len > chunk) {
                len = chunk;
            }
            if (len > limit - g)
                len = limit - g;
            uint8_t *copy = malloc(len);
            assert_non_null(copy);
            memcpy(copy, s->p + pos, len);
            size_t at = 12345;
            enum pr_status r = mp_feed(st, s->client, copy, len, &at);
            free(copy);
            assert_true(r == PR_OK || r == PR_LIMIT || r == PR_MALFORMED);
            if (at != SIZE_MAX) {
                assert_true(at < len || (at == 0 && st->dir[d].tls));
                if (tls[d] == SIZE_MAX)
                    tls[d] = off[d] + at;
            }
            off[d] += len;
            pos += len;
            g += len;
        }
    }
}

/* ---- facts as text ----------------------------------------------------------------- */

struct sbuf {
    char *p;
    size_t n, cap;
};

static void app(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void app(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    assert_true(k >= 0 && (size_t)k < b->cap - b->n);
    b->n += (size_t)k;
}

static void dump(const struct mp_state *st, const size_t tls[2], char *out, size_t cap)
{
    const struct mp_facts *f = &st->facts;
    struct sbuf b = {out, 0, cap};
    out[0] = '\0';
    app(&b, "proto=%s banner=[%s] client=[%s] caps=", mp_proto_name(f->proto), f->banner,
        f->client_name);
    for (size_t i = 0; i < f->n_caps; i++)
        app(&b, "%s%s", i ? "," : "", f->caps[i]);
    app(&b, " caps_trunc=%d offered=%d required=%d requested=%d accepted=%d refused=%d",
        f->caps_truncated, f->starttls_offered, f->starttls_required, f->starttls_requested,
        f->starttls_accepted, f->starttls_refused);
    app(&b, " reply=%u/[%s] mangled=%d/[%s] auth=%d/[%s]/[%s] secret=%d", f->starttls_reply_code,
        f->starttls_reply, f->cap_mangled, f->mangled_cap, f->auth_in_clear, f->auth_mechanism,
        f->auth_user, f->secret_in_clear);
    app(&b, " from=[%s] mails=%zu rcpts=%zu tls=%d/%d at=%zu/%zu", f->mail_from_domain,
        f->mail_count, f->rcpt_count, f->tls_started[0], f->tls_started[1], tls[0], tls[1]);
    app(&b, " units=%zu/%zu cut=%zu strcut=%zu bad=%zu limits=%zu", f->units[0], f->units[1],
        f->units_truncated, f->strings_truncated, f->malformed, f->limit_hits);
}

/* memmem is a GNU extension: a plain search */
static bool contains(const void *hay, size_t n, const char *needle)
{
    const uint8_t *h = hay;
    size_t k = strlen(needle);
    for (size_t i = 0; k <= n && i <= n - k; i++)
        if (h[i] == (uint8_t)needle[0] && memcmp(h + i, needle, k) == 0)
            return true;
    return false;
}

static void assert_absent(const struct mp_state *st, const char *const *secrets, const char *when)
{
    for (size_t i = 0; secrets != NULL && secrets[i] != NULL; i++)
        if (contains(st, sizeof *st, secrets[i]))
            fail_msg("secret \"%s\" found in the state (%s)", secrets[i], when);
}

/* ---- the split / chunking / prefix checker ----------------------------------------- */

static struct mp_state g_ref, g_st;

/* Runs a conversation every way; leaves the whole-feed result in g_ref and
 * the TLS offsets in tls_out. */
static void check_conv(const struct seg *segs, size_t nseg, enum mp_proto proto,
                       const char *const *secrets, size_t tls_out[2])
{
    static char want[4096], got[4096];
    size_t tref[2], t[2];
    size_t total = conv_total(segs, nseg);

    feed_conv(&g_ref, proto, segs, nseg, SIZE_MAX, 0, NULL, SIZE_MAX, tref);
    dump(&g_ref, tref, want, sizeof want);
    assert_absent(&g_ref, secrets, "whole");

    for (size_t k = 1; k < total; k++) {
        feed_conv(&g_st, proto, segs, nseg, k, 0, NULL, SIZE_MAX, t);
        dump(&g_st, t, got, sizeof got);
        if (strcmp(want, got) != 0)
            fail_msg("split at %zu of %zu:\n want %s\n got  %s", k, total, want, got);
        assert_absent(&g_st, secrets, "split");
    }
    feed_conv(&g_st, proto, segs, nseg, SIZE_MAX, 1, NULL, SIZE_MAX, t);
    dump(&g_st, t, got, sizeof got);
    if (strcmp(want, got) != 0)
        fail_msg("byte at a time:\n want %s\n got  %s", want, got);
    uint32_t rng = 0x2545f491u;
    for (int r = 0; r < 32; r++) {
        feed_conv(&g_st, proto, segs, nseg, SIZE_MAX, SIZE_MAX - 1, &rng, SIZE_MAX, t);
        dump(&g_st, t, got, sizeof got);
        if (strcmp(want, got) != 0)
            fail_msg("random chunking %d:\n want %s\n got  %s", r, want, got);
    }
    /* every truncated prefix: no crash, and nothing secret left after mp_finish */
    for (size_t k = 0; k <= total; k++) {
        feed_conv(&g_st, proto, segs, nseg, SIZE_MAX, 0, NULL, k, t);
        mp_finish(&g_st);
        assert_absent(&g_st, secrets, "prefix + mp_finish");
    }
    if (tls_out != NULL) {
        tls_out[0] = tref[0];
        tls_out[1] = tref[1];
    }
}

/* offset of the first 0x16 in direction d's stream (the test oracle for
 * where TLS starts) */
static size_t first_tls_byte(const struct seg *segs, size_t nseg, int client)
{
    size_t off = 0;
    for (size_t i = 0; i < nseg; i++) {
        if (segs[i].client != client)
            continue;
        const char *q = memchr(segs[i].p, 0x16, segs[i].n);
        if (q != NULL)
            return off + (size_t)(q - segs[i].p);
        off += segs[i].n;
    }
    return SIZE_MAX;
}

static bool has_cap(const struct mp_facts *f, const char *c)
{
    for (size_t i = 0; i < f->n_caps; i++)
        if (strcmp(f->caps[i], c) == 0)
            return true;
    return false;
}

/* ---- SMTP ------------------------------------------------------------------------ */

static const struct seg smtp_stls[] = {
    S("220 mx.example.net ESMTP Postfix (Debian)\r\n"),
    C("EHLO client.example.org\r\n"),
    S("250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n"
      "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 CHUNKING\r\n"),
    C("STARTTLS\r\n" CLIENT_HELLO), /* the ClientHello in the same chunk */
    S("220 2.0.0 Ready to start TLS\r\n" SERVER_HELLO),
    C("\x17\x03\x03\x00\x01\x00"),
};

static void test_smtp_starttls_accepted(void **state)
{
    (void)state;
    size_t tls[2];
    check_conv(smtp_stls, NSEG(smtp_stls), MP_SMTP, NULL, tls);
    const struct mp_facts *f = &g_ref.facts;
    assert_string_equal(f->banner, "mx.example.net ESMTP Postfix (Debian)");
    assert_string_equal(f->client_name, "client.example.org");
    assert_int_equal(f->n_caps, 6);
    assert_string_equal(f->caps[0], "PIPELINING");
    assert_string_equal(f->caps[2], "STARTTLS");
    assert_true(has_cap(f, "CHUNKING"));
    assert_true(f->starttls_offered && f->starttls_requested && f->starttls_accepted);
    assert_false(f->starttls_refused);
    assert_int_equal(f->starttls_reply_code, 220);
    assert_string_equal(f->starttls_reply, "220");
    assert_false(mp_starttls_unused(f));
    assert_true(f->tls_started[0] && f->tls_started[1]);
    assert_int_equal(tls[MP_DIR_CLIENT], first_tls_byte(smtp_stls, NSEG(smtp_stls), 1));
    assert_int_equal(tls[MP_DIR_SERVER], first_tls_byte(smtp_stls, NSEG(smtp_stls), 0));
    assert_int_equal(tls[MP_DIR_CLIENT], strlen("EHLO client.example.org\r\nSTARTTLS\r\n"));
    assert_false(f->auth_in_clear);
    assert_int_equal(f->malformed, 0);
}

/* tls_starts_at is an offset in the chunk that holds the first TLS byte;
 * later calls report 0 and interpret nothing */
static void test_smtp_tls_offset_same_chunk(void **state)
{
    (void)state;
    static const char cl[] = "EHLO a.example\r\nSTARTTLS\r\n" CLIENT_HELLO;
    struct mp_state *st = &g_st;
    size_t at;
    mp_init(st, MP_SMTP);
    assert_int_equal(mp_feed(st, 0, (const uint8_t *)"220 x ESMTP\r\n", 13, &at), PR_OK);
    assert_true(at == SIZE_MAX);
    assert_int_equal(mp_feed(st, 1, (const uint8_t *)cl, sizeof cl - 1, &at), PR_OK);
    assert_int_equal(at, strlen("EHLO a.example\r\nSTARTTLS\r\n"));
    assert_true(st->facts.tls_started[MP_DIR_CLIENT]);
    assert_int_equal(mp_feed(st, 1, (const uint8_t *)"MAIL FROM:<a@b>\r\n", 17, &at), PR_OK);
    assert_int_equal(at, 0);
    assert_int_equal(st->facts.mail_count, 0);
    /* the server is armed by the request: its TLS starts at a line start */
    assert_int_equal(mp_feed(st, 0, (const uint8_t *)"220 go\r\n" SERVER_HELLO, 18, &at), PR_OK);
    assert_int_equal(at, 8);
    /* no STARTTLS: a 0x16 at a line start is just a bad line */
    mp_init(st, MP_SMTP);
    assert_int_equal(mp_feed(st, 1, (const uint8_t *)CLIENT_HELLO "\n", 11, &at), PR_OK);
    assert_true(at == SIZE_MAX);
    assert_int_equal(st->facts.malformed, 1);
    /* NULL tls_starts_at is allowed; bad arguments */
    assert_int_equal(mp_feed(st, 1, NULL, 0, NULL), PR_OK);
    assert_int_equal(mp_feed(st, 1, NULL, 3, &at), PR_MALFORMED);
    assert_int_equal(mp_feed(NULL, 1, NULL, 0, &at), PR_MALFORMED);
    mp_init(st, MP_NONE);
    assert_int_equal(mp_feed(st, 1, (const uint8_t *)"x", 1, &at), PR_UNSUPPORTED);
}

static const struct seg smtp_unused[] = {
    S("220 mail.example.com ESMTP Exim 4.96\r\n"),
    C("EHLO laptop.local\r\n"),
    S("250-mail.example.com Hello laptop.local [192.0.2.7]\r\n250-SIZE 52428800\r\n"
      "250-8BITMIME\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 HELP\r\n"),
    /* pipelined (RFC 2920) */
    C("MAIL FROM:<sender@Sub.Example.COM> SIZE=1234\r\nRCPT TO:<a@example.net>\r\n"
      "RCPT TO:<b@example.net>\r\nDATA\r\n"),
    S("250 OK\r\n250 Accepted\r\n250 Accepted\r\n354 Enter message, ending with \".\"\r\n"),
    /* the body holds command-looking lines: none may count */
    C("Subject: hi\r\n\r\nSTARTTLS\r\nMAIL FROM:<evil@bad.example>\r\nRCPT TO:<x@y>\r\n"
      "..leading dot\r\n.\r\n"),
    S("250 OK id=1q2w3e\r\n"),
    C("QUIT\r\n"),
    S("221 mail.example.com closing connection\r\n"),
};

static void test_smtp_offered_not_used(void **state)
{
    (void)state;
    size_t tls[2];
    check_conv(smtp_unused, NSEG(smtp_unused), MP_SMTP, NULL, tls);
    const struct mp_facts *f = &g_ref.facts;
    assert_true(f->starttls_offered);
    assert_false(f->starttls_requested);
    assert_true(mp_starttls_unused(f));
    assert_string_equal(f->mail_from_domain, "Sub.Example.COM");
    assert_int_equal(f->mail_count, 1);
    assert_int_equal(f->rcpt_count, 2);
    assert_true(tls[0] == SIZE_MAX && tls[1] == SIZE_MAX);
    assert_false(f->tls_started[0] || f->tls_started[1]);
    assert_int_equal(f->malformed, 0);
    assert_int_equal(g_ref.pend_n, 0); /* every command answered */
}

static const struct seg smtp_454[] = {
    S("220 smtp.example.org ESMTP\r\n"),
    C("EHLO me.example\r\n"),
    S("250-smtp.example.org\r\n250-STARTTLS\r\n250 SIZE\r\n"),
    C("STARTTLS\r\n"),
    S("454 4.7.0 TLS not available due to temporary reason\r\n"),
    /* a 0x16 inside a line (at a chunk start in some splits) is not TLS */
    C("MAIL FROM:<x\x16y@me.example>\r\n"),
    S("250 2.1.0 Ok\r\n"),
    C("QUIT\r\n"),
};

static void test_smtp_starttls_refused(void **state)
{
    (void)state;
    size_t tls[2];
    check_conv(smtp_454, NSEG(smtp_454), MP_SMTP, NULL, tls);
    const struct mp_facts *f = &g_ref.facts;
    assert_true(f->starttls_offered && f->starttls_requested && f->starttls_refused);
    assert_false(f->starttls_accepted);
    assert_int_equal(f->starttls_reply_code, 454);
    assert_string_equal(f->starttls_reply, "454");
    assert_true(tls[0] == SIZE_MAX && tls[1] == SIZE_MAX);
    assert_false(f->tls_started[0] || f->tls_started[1]);
    assert_string_equal(f->mail_from_domain, "me.example");
}

static const struct seg smtp_mangled[] = {
    S("220 relay.example.com ESMTP\r\n"),
    C("EHLO x.example\r\n"),
    S("250-relay.example.com\r\n250-PIPELINING\r\n250-XXXXXXXA\r\n250-XEXCH50\r\n"
      "250 8BITMIME\r\n"),
    C("MAIL FROM:<>\r\n"),
    S("250 ok\r\n"),
};

static void test_smtp_mangled(void **state)
{
    (void)state;
    check_conv(smtp_mangled, NSEG(smtp_mangled), MP_SMTP, NULL, NULL);
    const struct mp_facts *f = &g_ref.facts;
    assert_true(f->cap_mangled);
    assert_string_equal(f->mangled_cap, "XXXXXXXA");
    assert_false(f->starttls_offered);
    assert_true(has_cap(f, "XEXCH50"));
    assert_string_equal(f->mail_from_domain, ""); /* null reverse-path */
    assert_int_equal(f->mail_count, 1);
}

static void test_cap_mangled_heuristic(void **state)
{
    (void)state;
#define MANGLED(s, w) mp_cap_looks_mangled((const uint8_t *)(s), strlen(s), (w))
    assert_true(MANGLED("XXXXXXXA", "STARTTLS"));
    assert_true(MANGLED("XXXXXXXX", "STARTTLS"));
    assert_true(MANGLED("xxxxxxxa", "STARTTLS"));
    assert_true(MANGLED("STARTTLX", "STARTTLS"));
    assert_true(MANGLED("XTARTTLS", "STARTTLS"));
    assert_true(MANGLED("XXXX", "STARTTLS"));
    assert_true(MANGLED("XXXX", "STLS"));
    assert_true(MANGLED("STLX", "STLS"));
    assert_false(MANGLED("STARTTLS", "STARTTLS"));
    assert_false(MANGLED("starttls", "STARTTLS"));
    assert_false(MANGLED("XEXCH50", "STARTTLS"));
    assert_false(MANGLED("XFORWARD", "STARTTLS"));
    assert_false(MANGLED("XCLIENT", "STARTTLS"));
    assert_false(MANGLED("8BITMIME", "STARTTLS"));
    assert_false(MANGLED("CHUNKING", "STARTTLS"));
    assert_false(MANGLED("SMTPUTF8", "STARTTLS"));
    assert_false(MANGLED("STXRTXLX", "STARTTLS")); /* 3 differences, 3 X */
    assert_false(MANGLED("USER", "STLS"));
    assert_false(MANGLED("SASL", "STLS"));
    assert_false(MANGLED("UIDL", "STLS"));
    assert_false(MANGLED("X", "STARTTLS"));
    assert_false(mp_cap_looks_mangled(NULL, 3, "STLS"));
    assert_false(MANGLED("XXXX", ""));
#undef MANGLED
}

static const char *const smtp_plain_secrets[] = {"s3cr3tPW", "AGFsaWNlAHMzY3IzdFBX",
                                                 "YWRtaW4AYWxpY2UAczNjcjN0UFc=", NULL};

static const struct seg smtp_plain[] = {
    S("220 submit.example.com ESMTP\r\n"),
    C("EHLO c\r\n"),
    S("250-submit.example.com\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n"),
    C("AUTH PLAIN AGFsaWNlAHMzY3IzdFBX\r\n"),
    S("235 2.7.0 Authentication successful\r\n"),
    C("MAIL FROM:<alice@example.com>\r\n"),
    S("250 ok\r\n"),
};

/* AUTH PLAIN without an initial response, with an authzid: the user is the authcid */
static const struct seg smtp_plain_nextline[] = {
    S("220 submit.example.com ESMTP\r\n"),
    C("EHLO c\r\n"),
    S("250-submit.example.com\r\n250 AUTH PLAIN\r\n"),
    C("AUTH plain\r\n"),
    S("334 \r\n"),
    C("YWRtaW4AYWxpY2UAczNjcjN0UFc=\r\n"),
    S("235 ok\r\n"),
    C("RCPT TO:<z@example.com>\r\n"), /* not taken as SASL data */
};

static void test_smtp_auth_plain(void **state)
{
    (void)state;
    check_conv(smtp_plain, NSEG(smtp_plain), MP_SMTP, smtp_plain_secrets, NULL);
    const struct mp_facts *f = &g_ref.facts;
    assert_true(f->auth_in_clear && f->secret_in_clear);
    assert_string_equal(f->auth_mechanism, "PLAIN");
    assert_string_equal(f->auth_user, "alice");
    assert_true(mp_starttls_unused(f));
    assert_string_equal(f->mail_from_domain, "example.com");

    check_conv(smtp_plain_nextline, NSEG(smtp_plain_nextline), MP_SMTP, smtp_plain_secrets, NULL);
    f = &g_ref.facts;
    assert_string_equal(f->auth_mechanism, "PLAIN");
    assert_string_equal(f->auth_user, "alice");
    assert_true(f->secret_in_clear);
    assert_int_equal(f->rcpt_count, 1);
}

static const char *const smtp_login_secrets[] = {"Pa55w0rdLOGIN", "UGE1NXcwcmRMT0dJTg==", NULL};

static const struct seg smtp_login[] = {
    S("220 submit.example.com ESMTP\r\n"),
    C("EHLO c\r\n"),
    S("250-submit.example.com\r\n250 AUTH LOGIN\r\n"),
    C("AUTH LOGIN\r\n"),
    S("334 VXNlcm5hbWU6\r\n"),
    C("Ym9iMg==\r\n"), /* "bob2": the padding must not show up as NULs */
    S("334 UGFzc3dvcmQ6\r\n"),
    C("UGE1NXcwcmRMT0dJTg==\r\n"),
    S("235 2.7.0 Authentication successful\r\n"),
    C("MAIL FROM:<bob@example.com>\r\n"),
    S("250 ok\r\n"),
    C("RCPT TO:<c@example.com>\r\n"),
};

static void test_smtp_auth_login(void **state)
{
    (void)state;
    check_conv(smtp_login, NSEG(smtp_login), MP_SMTP, smtp_login_secrets, NULL);
    const struct mp_facts *f = &g_ref.facts;
    assert_true(f->auth_in_clear && f->secret_in_clear);
    assert_string_equal(f->auth_mechanism, "LOGIN");
    assert_string_equal(f->auth_user, "bob2");
    assert_string_equal(f->mail_from_domain, "example.com");
    assert_int_equal(f->rcpt_count, 1);
    assert_int_equal(f->malformed, 0);
}

static const char *const smtp_oauth_secrets[] = {"ya29.TOKENSECRET", NULL};

static const struct seg smtp_xoauth2[] = {
    S("220 smtp.example.com ESMTP\r\n"),
    C("EHLO c\r\n"),
    S("250 smtp.example.com\r\n"),
    C("AUTH XOAUTH2 dXNlcj1vYXV0aEBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LlRPS0VOU0VDUkVUAQE=\r\n"),
    S("235 2.7.0 Accepted\r\n"),
    C("AUTH CRAM-MD5\r\n"), /* a second attempt: the first identity stays */
    S("334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"),
    C("ZGF2ZSBkNDFkOGNkOThmMDBiMjA0ZTk4MDA5OThlY2Y4NDI3ZQ==\r\n"),
    S("535 no\r\n"),
};

static void test_smtp_auth_xoauth2(void **state)
{
    (void)state;
    check_conv(smtp_xoauth2, NSEG(smtp_xoauth2), MP_SMTP, smtp_oauth_secrets, NULL);
    const struct mp_facts *f = &g_ref.facts;
    assert_string_equal(f->auth_mechanism, "XOAUTH2");
    assert_string_equal(f->auth_user, "oauth@example.com");
    assert_true(f->secret_in_clear);
    assert_int_equal(f->n_caps, 0); /* a one-line EHLO reply has no keywords */
}

static const struct seg smtp_bdat[] = {
    S("220 mx ESMTP\r\n"),
    C("EHLO c\r\n"),
    S("250-mx\r\n250 CHUNKING\r\n"),
    /* RFC 3030: 24 octets of message that look like commands */
    C("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d>\r\nBDAT 24 LAST\r\nSTARTTLS\r\nRCPT TO:<e@f>\r\n"),
    S("250 ok\r\n250 ok\r\n250 ok\r\n"),
    C("QUIT\r\n"),
};

static void test_smtp_bdat(void **state)
{
    (void)state;
    check_conv(smtp_bdat, NSEG(smtp_bdat), MP_SMTP, NULL, NULL);
    const struct mp_facts *f = &g_ref.facts;
    assert_false(f->starttls_requested);
    assert_int_equal(f->rcpt_count, 1);
    assert_int_equal(f->malformed, 0);
}

/* DATA refused: the client's next lines are commands again */
static const struct seg smtp_data_refused[] = {
    S("220 mx ESMTP\r\n"),
    C("HELO c.example\r\n"),
    S("250 mx\r\n"),
    C("DATA\r\n"),
    S("503 5.5.1 Error: need RCPT command\r\n"),
    C("RCPT TO:<a@b>\r\n"),
    S("250 ok\r\n"),
};

static void test_smtp_data_refused(void **state)
{
    (void)state;
    check_conv(smtp_data_refused, NSEG(smtp_data_refused), MP_SMTP, NULL, NULL);
    assert_int_equal(g_ref.facts.rcpt_count, 1);
    assert_string_equal(g_ref.facts.client_name, "c.example");
}

/* over-long lines are cut and counted; what follows still parses */
static void test_smtp_long_lines(void **state)
{
    (void)state;
    size_t big = 3000;
    char *ehlo = malloc(big + 16);
    char *junk = malloc(100000);
    assert_non_null(ehlo);
    assert_non_null(junk);
    memcpy(ehlo, "EHLO ", 5);
    memset(ehlo + 5, 'h', big);
    memcpy(ehlo + 5 + big, "\r\n", 2);
    memset(junk, 'j', 100000 - 2);
    memcpy(junk + 100000 - 2, "\r\n", 2);
    struct seg conv[] = {
        S("220 long.example ESMTP\r\n"),
        {1, ehlo, big + 7},
        S("250-long.example\r\n250 STARTTLS\r\n"),
        {0, junk, 100000},
        C("STARTTLS\r\n"),
        S("220 go ahead\r\n" SERVER_HELLO),
    };
    struct mp_state *st = &g_ref;
    size_t tls[2];
    feed_conv(st, MP_SMTP, conv, NSEG(conv), SIZE_MAX, 0, NULL, SIZE_MAX, tls);
    const struct mp_facts *f = &st->facts;
    assert_int_equal(strlen(f->client_name), MP_TEXT_MAX - 1);
    assert_int_equal(f->units_truncated, 2);
    assert_true(f->strings_truncated >= 1);
    assert_true(f->limit_hits >= 2);
    assert_int_equal(f->malformed, 1); /* the junk line */
    assert_true(f->starttls_accepted);
    assert_true(f->tls_started[MP_DIR_SERVER]);
    /* splits around the cap boundary give the same result */
    char want[4096], got[4096];
    dump(st, tls, want, sizeof want);
    for (size_t k = 1000; k < 1060; k++) {
        feed_conv(&g_st, MP_SMTP, conv, NSEG(conv), k, 0, NULL, SIZE_MAX, tls);
        dump(&g_st, tls, got, sizeof got);
        assert_string_equal(want, got);
    }
    /* PR_LIMIT is returned by the call in which a cap is hit */
    size_t at;
    mp_init(&g_st, MP_SMTP);
    assert_int_equal(mp_feed(&g_st, 1, (const uint8_t *)ehlo, 1000, &at), PR_OK);
    assert_int_equal(mp_feed(&g_st, 1, (const uint8_t *)ehlo + 1000, 1000, &at), PR_LIMIT);
    assert_int_equal(mp_feed(&g_st, 1, (const uint8_t *)ehlo + 2000, big + 7 - 2000, &at), PR_OK);
    free(ehlo);
    free(junk);
}

/* a server with more than MP_CAP_MAX keywords, and a pipelining flood */
static void test_smtp_caps_and_queue_caps(void **state)
{
    (void)state;
    static char reply[8192], cmds[4096];
    size_t n = 0, m = 0;
    n += (size_t)snprintf(reply + n, sizeof reply - n, "250-big.example\r\n");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(reply + n, sizeof reply - n, "250-KEYWORD%d\r\n", i);
    n += (size_t)snprintf(reply + n, sizeof reply - n, "250 STARTTLS\r\n");
    for (int i = 0; i < 20; i++)
        m += (size_t)snprintf(cmds + m, sizeof cmds - m, "RCPT TO:<u%d@example>\r\n", i);
    struct seg conv[] = {
        S("220 big ESMTP\r\n"),
        C("EHLO c\r\n"),
        {0, reply, n},
        {1, cmds, m},
    };
    size_t tls[2];
    feed_conv(&g_ref, MP_SMTP, conv, NSEG(conv), SIZE_MAX, 0, NULL, SIZE_MAX, tls);
    const struct mp_facts *f = &g_ref.facts;
    assert_int_equal(f->n_caps, MP_CAP_MAX);
    assert_true(f->caps_truncated);
    assert_true(f->starttls_offered); /* seen even though not kept in the list */
    assert_int_equal(f->rcpt_count, 20);
    assert_int_equal(g_ref.pend_n, MP_PENDING_MAX);
    assert_int_equal(f->limit_hits, (40 + 1 - MP_CAP_MAX) + (20 - MP_PENDING_MAX));
}

/* ---- IMAP ------------------------------------------------------------------------ */

static const struct seg imap_stls[] = {
    S("* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS "
      "AUTH=PLAIN] Dovecot ready.\r\n"),
    C("a1 ID (\"name\" \"Thunderbird\" \"version\" \"115.0\")\r\n"),
    S("* ID NIL\r\na1 OK ID completed.\r\n"),
    C("a2 STARTTLS\r\n"),
    S("a2 OK Begin TLS negotiation now.\r\n" SERVER_HELLO),
    C(CLIENT_HELLO),
};

static void test_imap_starttls(void **state)
{
    (void)state;
    size_t tls[2];
    check_conv(imap_stls, NSEG(imap_stls), MP_IMAP, NULL, tls);
    const struct mp_facts *f = &g_ref.facts;
    assert_string_equal(f->banner, "Dovecot ready.");
    assert_string_equal(f->client_name, "Thunderbird");
    assert_true(has_cap(f, "IMAP4REV1") && has_cap(f, "AUTH=PLAIN") && has_cap(f, "STARTTLS"));
    assert_true(f->starttls_offered && f->starttls_requested && f->starttls_accepted);
    assert_string_equal(f->starttls_reply, "OK");
    assert_int_equal(tls[MP_DIR_SERVER], first_tls_byte(imap_stls, NSEG(imap_stls), 0));
    assert_int_equal(tls[MP_DIR_CLIENT], first_tls_byte(imap_stls, NSEG(imap_stls), 1));
    assert_int_equal(f->malformed, 0);
}

static const char *const imap_secrets[] = {"imapSecret7", "AGdyYWNlAGltYXBTZWNyZXQ3", NULL};

/* LOGIN in clear with synchronising literals (RFC 9051 4.3) */
static const struct seg imap_login[] = {
    S("* OK IMAP4rev1 server ready\r\n"),
    C("b1 CAPABILITY\r\n"),
    S("* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN\r\nb1 OK CAPABILITY completed\r\n"),
    C("b2 LOGIN {5}\r\n"),
    S("+ Ready for literal data\r\n"),
    C("grace {11}\r\n"),
    S("+ go ahead\r\n"),
    C("imapSecret7\r\n"),
    S("b2 OK [CAPABILITY IMAP4rev1 IDLE] LOGIN completed\r\n"),
    C("b3 SELECT INBOX\r\n"),
    S("* 3 EXISTS\r\nb3 OK [READ-WRITE] SELECT completed\r\n"),
};

/* quoted strings with an escape */
static const struct seg imap_login_quoted[] = {
    S("* OK ready\r\n"),
    C("x LOGIN \"gr\\\"ace\" \"imapSecret7\"\r\n"),
    S("x OK done\r\n"),
};

/* STARTTLS refused, then AUTHENTICATE PLAIN with an initial response (RFC 4959) */
static const struct seg imap_refused[] = {
    S("* OK ready\r\n"),
    C("c1 STARTTLS\r\n"),
    S("c1 BAD TLS support isn't enabled.\r\n"),
    C("c2 AUTHENTICATE PLAIN AGdyYWNlAGltYXBTZWNyZXQ3\r\n"),
    S("c2 OK Logged in\r\n"),
    C("c3 LOGOUT\r\n"),
};

/* AUTHENTICATE PLAIN with the response on the next line */
static const struct seg imap_auth_nextline[] = {
    S("* OK ready\r\n"),
    C("d1 AUTHENTICATE PLAIN\r\n"),
    S("+ \r\n"),
    C("AGdyYWNlAGltYXBTZWNyZXQ3\r\n"),
    S("d1 OK Logged in\r\n"),
    C("d2 STARTTLS\r\n"),
    S("d2 NO already authenticated\r\n"),
};

static void test_imap_login_in_clear(void **state)
{
    (void)state;
    check_conv(imap_login, NSEG(imap_login), MP_IMAP, imap_secrets, NULL);
    const struct mp_facts *f = &g_ref.facts;
    assert_string_equal(f->banner, "IMAP4rev1 server ready");
    assert_true(f->auth_in_clear && f->secret_in_clear);
    assert_string_equal(f->auth_mechanism, "LOGIN");
    assert_string_equal(f->auth_user, "grace");
    assert_true(mp_starttls_unused(f));
    assert_true(has_cap(f, "IDLE"));
    assert_int_equal(f->malformed, 0);
    assert_int_equal(f->units[MP_DIR_CLIENT], 3); /* the LOGIN with literals is one unit */

    check_conv(imap_login_quoted, NSEG(imap_login_quoted), MP_IMAP, imap_secrets, NULL);
    assert_string_equal(g_ref.facts.auth_user, "gr\"ace");

    check_conv(imap_refused, NSEG(imap_refused), MP_IMAP, imap_secrets, NULL);
    f = &g_ref.facts;
    assert_true(f->starttls_requested && f->starttls_refused && !f->starttls_accepted);
    assert_string_equal(f->starttls_reply, "BAD");
    assert_string_equal(f->auth_mechanism, "PLAIN");
    assert_string_equal(f->auth_user, "grace");

    check_conv(imap_auth_nextline, NSEG(imap_auth_nextline), MP_IMAP, imap_secrets, NULL);
    f = &g_ref.facts;
    assert_string_equal(f->auth_user, "grace");
    assert_true(f->starttls_refused);
    assert_string_equal(f->starttls_reply, "NO");
    assert_int_equal(f->malformed, 0);
}

/* literal edge cases: huge (swallows the rest), overflowing (not a literal) */
static void test_imap_literals(void **state)
{
    (void)state;
    static const struct seg overflow[] = {
        S("* OK ready\r\n"),
        C("e1 LOGIN {99999999999}\r\n"),
        C("e2 STARTTLS\r\n"),
    };
    check_conv(overflow, NSEG(overflow), MP_IMAP, NULL, NULL);
    assert_true(g_ref.facts.starttls_requested);
    static const struct seg huge[] = {
        S("* OK ready\r\n"),
        C("e1 APPEND INBOX {4294967295+}\r\n"),
        C("e2 STARTTLS\r\n"),
    };
    check_conv(huge, NSEG(huge), MP_IMAP, NULL, NULL);
    assert_false(g_ref.facts.starttls_requested);
    /* a literal longer than the unit: cut, counted, the rest still read */
    static char lit[3000];
    size_t n = (size_t)snprintf(lit, sizeof lit, "f1 LOGIN {2000}\r\n");
    memset(lit + n, 'u', 2000);
    n += 2000;
    n += (size_t)snprintf(lit + n, sizeof lit - n, " pw\r\nf2 STARTTLS\r\n");
    struct seg conv[] = {S("* OK ready\r\n"), {1, lit, n}, S("f2 OK go\r\n" SERVER_HELLO)};
    size_t tls[2];
    feed_conv(&g_ref, MP_IMAP, conv, NSEG(conv), SIZE_MAX, 0, NULL, SIZE_MAX, tls);
    assert_int_equal(g_ref.facts.units_truncated, 1);
    assert_int_equal(strlen(g_ref.facts.auth_user), MP_TEXT_MAX - 1);
    assert_true(g_ref.facts.starttls_accepted);
    assert_int_equal(tls[MP_DIR_SERVER], strlen("* OK ready\r\nf2 OK go\r\n"));
}

/* ---- POP3 ------------------------------------------------------------------------ */

static const char *const pop_secrets[] = {"hunter2pw", "s3cr3tPW", NULL};

static const struct seg pop_stls[] = {
    S("+OK lavad ready <1896.697170952@pop.example.net>\r\n"),
    C("AUTH\r\n"),
    S("-ERR Unrecognized command.\r\n"),
    C("CAPA\r\n"),
    S("+OK Capabilities follow.\r\nTOP\r\nUSER\r\nUIDL\r\nSTLS\r\nSASL PLAIN LOGIN\r\n"
      "IMPLEMENTATION lavad 4.3.0\r\n.\r\n"),
    C("USER erin\r\nPASS hunter2pw\r\n"),
    S("+OK\r\n-ERR [AUTH] try STLS first\r\n"),
    C("STLS\r\n"),
    S("+OK Ready to start TLS negotiation.\r\n"),
    C(CLIENT_HELLO),
    S(SERVER_HELLO),
};

static void test_pop3_stls_user(void **state)
{
    (void)state;
    size_t tls[2];
    check_conv(pop_stls, NSEG(pop_stls), MP_POP3, pop_secrets, tls);
    const struct mp_facts *f = &g_ref.facts;
    assert_string_equal(f->banner, "lavad ready <1896.697170952@pop.example.net>");
    assert_true(has_cap(f, "STLS") && has_cap(f, "SASL=PLAIN") && has_cap(f, "IMPLEMENTATION"));
    assert_true(f->starttls_offered && f->starttls_requested && f->starttls_accepted);
    assert_string_equal(f->starttls_reply, "+OK");
    assert_true(f->auth_in_clear && f->secret_in_clear);
    assert_string_equal(f->auth_mechanism, "USER");
    assert_string_equal(f->auth_user, "erin");
    assert_int_equal(tls[MP_DIR_SERVER], first_tls_byte(pop_stls, NSEG(pop_stls), 0));
    assert_int_equal(tls[MP_DIR_CLIENT], first_tls_byte(pop_stls, NSEG(pop_stls), 1));
    assert_int_equal(f->malformed, 0);
}

static const struct seg pop_sasl[] = {
    S("+OK ready\r\n"),
    C("STLS\r\n"),
    S("-ERR not now\r\n"),
    C("AUTH PLAIN\r\n"),
    S("+ \r\n"),
    C("AGFsaWNlAHMzY3IzdFBX\r\n"),
    S("+OK maildrop locked\r\n"),
    C("LIST\r\n"),
    /* a multi-line body whose lines look like replies */
    S("+OK 2 messages\r\n1 120\r\n+OK fake\r\n.\r\n"),
    C("RETR 1\r\n"),
    S("+OK\r\nSTLS\r\n-ERR x\r\n..\r\n.\r\n"),
    C("QUIT\r\n"),
    S("+OK bye\r\n"),
};

static void test_pop3_sasl_and_multiline(void **state)
{
    (void)state;
    check_conv(pop_sasl, NSEG(pop_sasl), MP_POP3, pop_secrets, NULL);
    const struct mp_facts *f = &g_ref.facts;
    assert_true(f->starttls_refused);
    assert_string_equal(f->starttls_reply, "-ERR");
    assert_string_equal(f->auth_mechanism, "PLAIN");
    assert_string_equal(f->auth_user, "alice");
    assert_int_equal(f->n_caps, 0);
    assert_int_equal(f->malformed, 0);
    assert_int_equal(g_ref.pend_n, 0);
}

/* ---- FTP ------------------------------------------------------------------------- */

static const struct seg ftp_tls[] = {
    S("220 ProFTPD Server (Debian) [::ffff:192.0.2.10]\r\n"),
    C("FEAT\r\n"),
    S("211-Features:\r\n MDTM\r\n REST STREAM\r\n AUTH TLS;SSL\r\n PBSZ\r\n PROT\r\n UTF8\r\n"
      "211 End\r\n"),
    C("AUTH TLS\r\n"),
    S("234 AUTH TLS successful\r\n"),
    C(CLIENT_HELLO),
    S(SERVER_HELLO),
};

static void test_ftp_auth_tls(void **state)
{
    (void)state;
    size_t tls[2];
    check_conv(ftp_tls, NSEG(ftp_tls), MP_FTP, NULL, tls);
    const struct mp_facts *f = &g_ref.facts;
    assert_string_equal(f->banner, "ProFTPD Server (Debian) [::ffff:192.0.2.10]");
    assert_true(has_cap(f, "AUTH TLS;SSL") && has_cap(f, "REST STREAM"));
    assert_true(f->starttls_offered && f->starttls_requested && f->starttls_accepted);
    assert_int_equal(f->starttls_reply_code, 234);
    assert_int_equal(tls[MP_DIR_SERVER], first_tls_byte(ftp_tls, NSEG(ftp_tls), 0));
    assert_int_equal(tls[MP_DIR_CLIENT], first_tls_byte(ftp_tls, NSEG(ftp_tls), 1));
}

static const char *const ftp_secrets[] = {"frankSecret1", NULL};

static const struct seg ftp_user[] = {
    S("220-Welcome to the example FTP service\r\n220-second line\r\n220 ready\r\n"),
    C("AUTH TLS\r\n"),
    S("530 Please login with USER and PASS.\r\n"),
    C("USER frank\r\n"),
    S("331 Please specify the password.\r\n"),
    C("PASS frankSecret1\r\n"),
    S("230 Login successful.\r\n"),
    C("PASV\r\n"),
    S("227 Entering Passive Mode (192,0,2,10,195,80).\r\n"),
    C("RETR a\r\n"),
    S("150 Opening BINARY mode data connection\r\n226 Transfer complete.\r\n"),
};

static void test_ftp_user_in_clear(void **state)
{
    (void)state;
    check_conv(ftp_user, NSEG(ftp_user), MP_FTP, ftp_secrets, NULL);
    const struct mp_facts *f = &g_ref.facts;
    assert_string_equal(f->banner, "Welcome to the example FTP service");
    assert_true(f->starttls_requested && f->starttls_refused);
    assert_int_equal(f->starttls_reply_code, 530);
    assert_string_equal(f->auth_mechanism, "USER");
    assert_string_equal(f->auth_user, "frank");
    assert_true(f->secret_in_clear);
    assert_int_equal(g_ref.pend_n, 0); /* the 150 preliminary reply did not pop */
    assert_int_equal(f->malformed, 0);

    static const struct seg anon[] = {
        S("220 ftp ready\r\n"),          C("USER anonymous\r\n"), S("331 ok\r\n"),
        C("PASS guest@example.org\r\n"), S("230 ok\r\n"),
    };
    check_conv(anon, NSEG(anon), MP_FTP, NULL, NULL);
    assert_true(g_ref.facts.auth_in_clear);
    assert_false(g_ref.facts.secret_in_clear);
}

/* ---- XMPP ------------------------------------------------------------------------ */

static const struct seg xmpp_stls[] = {
    C("<?xml version='1.0'?><stream:stream to='chat.example.org' xmlns='jabber:client' "
      "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"),
    S("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
      "xmlns:stream='http://etherx.jabber.org/streams' id='c2s_123' from='chat.example.org' "
      "version='1.0' xml:lang='en'>"),
    S("<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
      "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism>"
      "<mechanism> PLAIN </mechanism></mechanisms><c xmlns='http://jabber.org/protocol/caps' "
      "hash='sha-1' node='http://example.org/a>b' ver='q07IKJEyjvHSyhy//CH0CxmKi8w='/>"
      "</stream:features>"),
    C("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
    S("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
    C(CLIENT_HELLO),
    S(SERVER_HELLO),
};

static void test_xmpp_starttls(void **state)
{
    (void)state;
    size_t tls[2];
    check_conv(xmpp_stls, NSEG(xmpp_stls), MP_XMPP, NULL, tls);
    const struct mp_facts *f = &g_ref.facts;
    assert_string_equal(f->client_name, "chat.example.org");
    assert_string_equal(f->banner, "chat.example.org");
    assert_true(has_cap(f, "STARTTLS") && has_cap(f, "MECHANISMS") && has_cap(f, "C"));
    assert_true(has_cap(f, "AUTH=SCRAM-SHA-1") && has_cap(f, "AUTH=PLAIN"));
    assert_int_equal(f->n_caps, 5);
    assert_true(f->starttls_offered && f->starttls_required);
    assert_true(f->starttls_requested && f->starttls_accepted);
    assert_string_equal(f->starttls_reply, "proceed");
    assert_int_equal(tls[MP_DIR_SERVER], first_tls_byte(xmpp_stls, NSEG(xmpp_stls), 0));
    assert_int_equal(tls[MP_DIR_CLIENT], first_tls_byte(xmpp_stls, NSEG(xmpp_stls), 1));
}

static const char *const xmpp_secrets[] = {"xmppSecret9", "AHhtcHB1c2VyAHhtcHBTZWNyZXQ5", NULL};

/* no STARTTLS: comments and CDATA mentioning <starttls/> must not count; a
 * SASL <failure/> is not a TLS refusal; PLAIN auth in clear */
static const struct seg xmpp_clear[] = {
    C("<?xml version=\"1.0\"?>\n<stream:stream to=\"im.example.net\" version=\"1.0\" "
      "xmlns=\"jabber:client\" xmlns:stream=\"http://etherx.jabber.org/streams\">"),
    S("<stream:stream from='im.example.net' id='x1' version='1.0'>"
      "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
      "<mechanism>PLAIN</mechanism></mechanisms></stream:features>"),
    C("<!-- <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/> --><![CDATA[ <starttls/> ]]>"
      "<?pi <starttls/> ?>"),
    C("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
      "AHhtcHB1c2VyAHhtcHBTZWNyZXQ5</auth>"),
    S("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>"),
};

static void test_xmpp_clear_auth(void **state)
{
    (void)state;
    check_conv(xmpp_clear, NSEG(xmpp_clear), MP_XMPP, xmpp_secrets, NULL);
    const struct mp_facts *f = &g_ref.facts;
    assert_string_equal(f->client_name, "im.example.net");
    assert_false(f->starttls_offered || f->starttls_requested || f->starttls_refused);
    assert_true(f->auth_in_clear && f->secret_in_clear);
    assert_string_equal(f->auth_mechanism, "PLAIN");
    assert_string_equal(f->auth_user, "xmppuser");

    static const struct seg refused[] = {
        C("<stream:stream to='a.example'>"),
        S("<stream:stream from='a.example'><stream:features><starttls "
          "xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>"),
        C("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
        S("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>"),
    };
    check_conv(refused, NSEG(refused), MP_XMPP, NULL, NULL);
    f = &g_ref.facts;
    assert_true(f->starttls_offered && !f->starttls_required);
    assert_true(f->starttls_refused && !f->starttls_accepted);
    assert_string_equal(f->starttls_reply, "failure");
}

/* ---- LDAP (RFC 4511) --------------------------------------------------------------- */

/* RFC 4511 4.2 BindRequest, simple, messageID 1:
 * 30 32 (LDAPMessage) 02 01 01 (messageID) 60 2d ([APPLICATION 0])
 *   02 01 03 (version 3) 04 1a "cn=admin,dc=example,dc=com" (name)
 *   80 0c "ldapPassw0rd" (simple [0]) */
#define LDAP_BIND_SIMPLE                                                                           \
    "\x30\x32\x02\x01\x01\x60\x2d\x02\x01\x03\x04\x1a"                                             \
    "cn=admin,dc=example,dc=com"                                                                   \
    "\x80\x0c"                                                                                     \
    "ldapPassw0rd"
/* RFC 4511 4.2.2 BindResponse: 61 07 { resultCode 0, matchedDN "", diagnosticMessage "" } */
#define LDAP_BIND_OK "\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00"
/* RFC 4511 4.14.1 StartTLS ExtendedRequest, messageID 2, with long-form
 * lengths (X.690 8.1.3.5): 30 81 1e 02 01 02 77 81 18 80 16 OID */
#define LDAP_STARTTLS_REQ                                                                          \
    "\x30\x81\x1e\x02\x01\x02\x77\x81\x18\x80\x16"                                                 \
    "1.3.6.1.4.1.1466.20037"
/* RFC 4511 4.14.2 ExtendedResponse, success, responseName left out (as many
 * servers do): 30 0c 02 01 02 78 07 0a 01 00 04 00 04 00 */
#define LDAP_STARTTLS_OK "\x30\x0c\x02\x01\x02\x78\x07\x0a\x01\x00\x04\x00\x04\x00"

static const char *const ldap_secrets[] = {"ldapPassw0rd", "ldapPlainPw", NULL};

static const struct seg ldap_stls[] = {
    C(LDAP_BIND_SIMPLE), S(LDAP_BIND_OK), C(LDAP_STARTTLS_REQ), S(LDAP_STARTTLS_OK SERVER_HELLO),
    C(CLIENT_HELLO),
};

static void test_ldap_bind_and_starttls(void **state)
{
    (void)state;
    size_t tls[2];
    check_conv(ldap_stls, NSEG(ldap_stls), MP_LDAP, ldap_secrets, tls);
    const struct mp_facts *f = &g_ref.facts;
    assert_true(f->auth_in_clear && f->secret_in_clear);
    assert_string_equal(f->auth_mechanism, "SIMPLE");
    assert_string_equal(f->auth_user, "cn=admin,dc=example,dc=com");
    assert_true(f->starttls_requested && f->starttls_accepted && !f->starttls_refused);
    assert_int_equal(f->starttls_reply_code, 0);
    assert_int_equal(tls[MP_DIR_SERVER], sizeof(LDAP_BIND_OK LDAP_STARTTLS_OK) - 1);
    assert_int_equal(tls[MP_DIR_CLIENT], sizeof(LDAP_BIND_SIMPLE LDAP_STARTTLS_REQ) - 1);
    assert_int_equal(f->units[MP_DIR_CLIENT], 2);
    assert_int_equal(f->malformed, 0);
}

/* refused with responseName present (0x34 = 52 unavailable), then a SASL
 * PLAIN bind (credentials are raw bytes in LDAP), and an anonymous bind */
static const struct seg ldap_refused[] = {
    C("\x30\x1d\x02\x01\x05\x77\x18\x80\x16"
      "1.3.6.1.4.1.1466.20037"),
    S("\x30\x24\x02\x01\x05\x78\x1f\x0a\x01\x34\x04\x00\x04\x00\x8a\x16"
      "1.3.6.1.4.1.1466.20037"),
    /* anonymous simple bind: 60 07 02 01 03 04 00 80 00 */
    C("\x30\x0c\x02\x01\x06\x60\x07\x02\x01\x03\x04\x00\x80\x00"),
    /* 60 25 { 02 01 03, 04 00, a3 1e { 04 05 "PLAIN", 04 15 "\0ldapuser\0ldapPlainPw" } } */
    C("\x30\x2a\x02\x01\x07\x60\x25\x02\x01\x03\x04\x00\xa3\x1e\x04\x05"
      "PLAIN"
      "\x04\x15\x00"
      "ldapuser"
      "\x00"
      "ldapPlainPw"),
};

static void test_ldap_refused_and_sasl(void **state)
{
    (void)state;
    size_t tls[2];
    check_conv(ldap_refused, NSEG(ldap_refused), MP_LDAP, ldap_secrets, tls);
    const struct mp_facts *f = &g_ref.facts;
    assert_true(f->starttls_requested && f->starttls_refused && !f->starttls_accepted);
    assert_int_equal(f->starttls_reply_code, 52);
    assert_string_equal(f->starttls_reply, "resultCode");
    assert_string_equal(f->auth_mechanism, "PLAIN");
    assert_string_equal(f->auth_user, "ldapuser");
    assert_true(f->secret_in_clear);
    assert_true(tls[0] == SIZE_MAX && tls[1] == SIZE_MAX);
    assert_int_equal(f->malformed, 0);
}

/* framing errors are sticky PR_MALFORMED; a message longer than the unit is
 * cut and its prefix still read */
static void test_ldap_malformed_and_long(void **state)
{
    (void)state;
    struct mp_state *st = &g_st;
    size_t at;
    static const uint8_t indefinite[] = {0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00};
    static const uint8_t five_len[] = {0x30, 0x85, 0x00, 0x00, 0x00, 0x00, 0x10};
    static const uint8_t not_seq[] = {0x31, 0x03, 0x02, 0x01, 0x01};
    static const uint8_t high_tag[] = {0x30, 0x05, 0x02, 0x01, 0x01, 0x7f, 0x00};
    static const uint8_t neg_id[] = {0x30, 0x05, 0x02, 0x01, 0x81, 0x42, 0x00};
    static const uint8_t short_inner[] = {0x30, 0x06, 0x02, 0x05, 0x01, 0x77, 0x01, 0x80};
    mp_init(st, MP_LDAP);
    assert_int_equal(mp_feed(st, 1, indefinite, sizeof indefinite, &at), PR_MALFORMED);
    assert_int_equal(mp_feed(st, 1, not_seq, sizeof not_seq, &at), PR_MALFORMED);   /* sticky */
    assert_int_equal(mp_feed(st, 0, (const uint8_t *)LDAP_BIND_OK, 0, &at), PR_OK); /* other dir */
    mp_init(st, MP_LDAP);
    assert_int_equal(mp_feed(st, 1, five_len, sizeof five_len, &at), PR_MALFORMED);
    mp_init(st, MP_LDAP);
    assert_int_equal(mp_feed(st, 1, not_seq, 1, &at), PR_MALFORMED);
    mp_init(st, MP_LDAP);
    assert_int_equal(mp_feed(st, 1, high_tag, sizeof high_tag, &at), PR_OK);
    assert_int_equal(mp_feed(st, 1, neg_id, sizeof neg_id, &at), PR_OK);
    assert_int_equal(mp_feed(st, 1, short_inner, sizeof short_inner, &at), PR_OK);
    assert_int_equal(st->facts.malformed, 3); /* framing held; the contents were wrong */
    assert_false(st->facts.starttls_requested);

    /* a 3000-byte simple bind DN: cut at the unit, DN prefix kept, the
     * password (after the cut) never seen, framing kept */
    static uint8_t msg[4000];
    size_t dn = 3000, pw = 8;
    size_t bind_len = 3 + 4 + dn + 2 + pw;
    size_t n = 0;
    msg[n++] = 0x30;
    msg[n++] = 0x82;
    msg[n++] = (uint8_t)((3 + 4 + bind_len) >> 8);
    msg[n++] = (uint8_t)(3 + 4 + bind_len);
    msg[n++] = 0x02, msg[n++] = 0x01, msg[n++] = 0x09;
    msg[n++] = 0x60, msg[n++] = 0x82, msg[n++] = (uint8_t)(bind_len >> 8);
    msg[n++] = (uint8_t)bind_len;
    msg[n++] = 0x02, msg[n++] = 0x01, msg[n++] = 0x03;
    msg[n++] = 0x04, msg[n++] = 0x82, msg[n++] = (uint8_t)(dn >> 8), msg[n++] = (uint8_t)dn;
    memset(msg + n, 'd', dn);
    n += dn;
    msg[n++] = 0x80, msg[n++] = (uint8_t)pw;
    memcpy(msg + n, "longPwXY", pw);
    n += pw;
    memcpy(msg + n, LDAP_STARTTLS_REQ, sizeof LDAP_STARTTLS_REQ - 1);
    n += sizeof LDAP_STARTTLS_REQ - 1;
    struct seg conv[] = {{1, (const char *)msg, n}};
    static const char *const secrets[] = {"longPwXY", NULL};
    check_conv(conv, 1, MP_LDAP, secrets, NULL);
    const struct mp_facts *f = &g_ref.facts;
    assert_int_equal(f->units_truncated, 1);
    assert_true(f->starttls_requested);
    assert_true(f->auth_in_clear);
    assert_string_equal(f->auth_mechanism, "SIMPLE");
    assert_int_equal(strlen(f->auth_user), MP_TEXT_MAX - 1);
    assert_false(f->secret_in_clear); /* the password was past the kept prefix */
}

/* ---- detection ------------------------------------------------------------------- */

static enum mp_proto det(const char *s, const char *c, uint16_t port)
{
    return mp_detect((const uint8_t *)s, s ? strlen(s) : 0, (const uint8_t *)c, c ? strlen(c) : 0,
                     port);
}

static void test_detect(void **state)
{
    (void)state;
    assert_int_equal(det("220 mx.example.com ESMTP Postfix\r\n", NULL, 0), MP_SMTP);
    assert_int_equal(det("220-mx.example.com SMTP\r\n", NULL, 2525), MP_SMTP);
    assert_int_equal(det("220 ProFTPD Server\r\n", NULL, 25), MP_FTP);
    assert_int_equal(det("220 (vsFTPd 3.0.3)\r\n", NULL, 0), MP_FTP);
    assert_int_equal(det("220 host ready\r\n", NULL, 21), MP_FTP);
    assert_int_equal(det("220 host ready\r\n", NULL, 587), MP_SMTP);
    assert_int_equal(det("220 host ready\r\n", NULL, 8080), MP_NONE);
    assert_int_equal(det("220 host ready\r\n", "EHLO me\r\n", 8080), MP_SMTP);
    assert_int_equal(det("220 host ready\r\n", "USER me\r\n", 8080), MP_FTP);
    assert_int_equal(det("220 host ready\r\n", "AUTH TLS\r\n", 8080), MP_FTP);
    assert_int_equal(det(NULL, "HELO me\r\n", 0), MP_SMTP);
    assert_int_equal(det("* OK [CAPABILITY IMAP4rev1] ready\r\n", NULL, 0), MP_IMAP);
    assert_int_equal(det("* PREAUTH ready\r\n", NULL, 0), MP_IMAP);
    assert_int_equal(det(NULL, "a001 CAPABILITY\r\n", 0), MP_IMAP);
    assert_int_equal(det(NULL, ". STARTTLS\r\n", 0), MP_IMAP);
    assert_int_equal(det("+OK POP3 ready\r\n", NULL, 0), MP_POP3);
    assert_int_equal(det(NULL, "CAPA\r\n", 0), MP_POP3);
    assert_int_equal(det(NULL, "USER me\r\n", 110), MP_POP3);
    assert_int_equal(det(NULL, "<?xml version='1.0'?><stream:stream to='x'>", 0), MP_XMPP);
    assert_int_equal(det("<stream:stream from='x'>", NULL, 0), MP_XMPP);
    assert_int_equal(
        mp_detect(NULL, 0, (const uint8_t *)LDAP_STARTTLS_REQ, sizeof LDAP_STARTTLS_REQ - 1, 0),
        MP_LDAP);
    assert_int_equal(mp_detect(NULL, 0, (const uint8_t *)LDAP_BIND_SIMPLE, 8, 0), MP_LDAP);
    assert_int_equal(
        mp_detect((const uint8_t *)LDAP_STARTTLS_OK, sizeof LDAP_STARTTLS_OK - 1, NULL, 0, 0),
        MP_LDAP);
    /* a SearchRequest only on an LDAP port */
    static const uint8_t search[] = {0x30, 0x25, 0x02, 0x01, 0x01, 0x63, 0x20};
    assert_int_equal(mp_detect(NULL, 0, search, sizeof search, 389), MP_LDAP);
    assert_int_equal(mp_detect(NULL, 0, search, sizeof search, 80), MP_NONE);
    /* TLS, HTTP and nothing */
    assert_int_equal(mp_detect(NULL, 0, (const uint8_t *)CLIENT_HELLO, 10, 25), MP_NONE);
    assert_int_equal(det(NULL, "GET / HTTP/1.1\r\n", 80), MP_NONE);
    assert_int_equal(det(NULL, NULL, 25), MP_NONE);
    assert_int_equal(det("", "", 0), MP_NONE);
    /* every prefix of every test greeting is safe to look at */
    static const char *const firsts[] = {"220 mx ESMTP\r\n", "* OK x\r\n", "+OK\r\n",
                                         LDAP_STARTTLS_REQ, "<?xml version='1.0'?>"};
    for (size_t i = 0; i < sizeof firsts / sizeof firsts[0]; i++) {
        size_t n = strlen(firsts[i]);
        for (size_t k = 0; k <= n; k++) {
            uint8_t *copy = malloc(k ? k : 1);
            assert_non_null(copy);
            memcpy(copy, firsts[i], k);
            (void)mp_detect(copy, k, copy, k, 25);
            free(copy);
        }
    }
    assert_string_equal(mp_proto_name(MP_LDAP), "ldap");
    assert_string_equal(mp_proto_name(MP_NONE), "none");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smtp_starttls_accepted),
        cmocka_unit_test(test_smtp_tls_offset_same_chunk),
        cmocka_unit_test(test_smtp_offered_not_used),
        cmocka_unit_test(test_smtp_starttls_refused),
        cmocka_unit_test(test_smtp_mangled),
        cmocka_unit_test(test_cap_mangled_heuristic),
        cmocka_unit_test(test_smtp_auth_plain),
        cmocka_unit_test(test_smtp_auth_login),
        cmocka_unit_test(test_smtp_auth_xoauth2),
        cmocka_unit_test(test_smtp_bdat),
        cmocka_unit_test(test_smtp_data_refused),
        cmocka_unit_test(test_smtp_long_lines),
        cmocka_unit_test(test_smtp_caps_and_queue_caps),
        cmocka_unit_test(test_imap_starttls),
        cmocka_unit_test(test_imap_login_in_clear),
        cmocka_unit_test(test_imap_literals),
        cmocka_unit_test(test_pop3_stls_user),
        cmocka_unit_test(test_pop3_sasl_and_multiline),
        cmocka_unit_test(test_ftp_auth_tls),
        cmocka_unit_test(test_ftp_user_in_clear),
        cmocka_unit_test(test_xmpp_starttls),
        cmocka_unit_test(test_xmpp_clear_auth),
        cmocka_unit_test(test_ldap_bind_and_starttls),
        cmocka_unit_test(test_ldap_refused_and_sasl),
        cmocka_unit_test(test_ldap_malformed_and_long),
        cmocka_unit_test(test_detect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
