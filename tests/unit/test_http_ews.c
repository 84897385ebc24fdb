/* Unit tests for parsers/http.c and parsers/ews.c.
 *
 * Requests are written for these tests. Each is parsed whole and at every
 * prefix (each an exactly sized heap copy, so AddressSanitizer sees any read
 * past the bytes given): a prefix of a valid request is PR_INCOMPLETE until
 * the head is complete, and the EWS classifier on every body prefix is
 * PR_INCOMPLETE until the operation shows, then gives the full answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ews.h"
#include "http.h"

static bool bv_is(struct bytes v, const char *s)
{
    return v.n == strlen(s) && (v.n == 0 || memcmp(v.p, s, v.n) == 0);
}

#define assert_bytes(v, s)                                                                         \
    do {                                                                                           \
        if (!bv_is((v), (s)))                                                                      \
            fail_msg("%s: want \"%s\", got \"%.*s\"", #v, (s), (int)(v).n,                         \
                     (v).p ? (const char *)(v).p : "");                                            \
    } while (0)

static uint8_t *dup_bytes(const void *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    assert_non_null(c);
    if (n > 0)
        memcpy(c, p, n);
    return c;
}

static struct http_request g_req;

/* parse a copy of s; the copy lives until the next call, so views can be checked */
static uint8_t *g_last;

static enum pr_status parse(const char *s, struct http_request *r)
{
    size_t n = strlen(s);
    free(g_last);
    g_last = dup_bytes(s, n);
    return http_parse_request(g_last, n, r);
}

static bool contains(const void *hay, size_t n, const char *needle)
{
    const uint8_t *h = hay;
    size_t k = strlen(needle);
    for (size_t i = 0; k <= n && i <= n - k; i++)
        if (memcmp(h + i, needle, k) == 0)
            return true;
    return false;
}

/* ---- an EWS FindItem with impersonation --------------------------------------------- */

#define FINDITEM_BODY                                                                              \
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n"                                               \
    "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" "                     \
    "xmlns:t=\"http://schemas.microsoft.com/exchange/services/2006/types\" "                       \
    "xmlns:m=\"http://schemas.microsoft.com/exchange/services/2006/messages\">\r\n"                \
    "  <soap:Header>\r\n"                                                                          \
    "    <t:RequestServerVersion Version=\"Exchange2013_SP1\" />\r\n"                              \
    "    <t:ExchangeImpersonation>\r\n"                                                            \
    "      <t:ConnectingSID>\r\n"                                                                  \
    "        <t:PrimarySmtpAddress> victim@example.com </t:PrimarySmtpAddress>\r\n"                \
    "      </t:ConnectingSID>\r\n"                                                                 \
    "    </t:ExchangeImpersonation>\r\n"                                                           \
    "  </soap:Header>\r\n"                                                                         \
    "  <soap:Body>\r\n"                                                                            \
    "    <m:FindItem Traversal=\"Shallow\">\r\n"                                                   \
    "      <m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>\r\n"                       \
    "      <m:ParentFolderIds><t:DistinguishedFolderId Id=\"inbox\"/></m:ParentFolderIds>\r\n"     \
    "    </m:FindItem>\r\n"                                                                        \
    "  </soap:Body>\r\n"                                                                           \
    "</soap:Envelope>\r\n"

#define FINDITEM_HEAD                                                                              \
    "POST /EWS/Exchange.asmx HTTP/1.1\r\n"                                                         \
    "Host: mail.example.com\r\n"                                                                   \
    "User-Agent: ExchangeServicesClient/15.00.0913.015\r\n"                                        \
    "Authorization: NTLM TlRMTVNTUAADAAAAGAAYAHAAAAAYABgAiAAAAAAAAABIAAAA\r\n"                     \
    "Content-Type: text/xml; charset=utf-8\r\n"                                                    \
    "X-AnchorMailbox: victim@example.com\r\n"                                                      \
    "Content-Length: 792\r\n"                                                                      \
    "\r\n"

static void test_ews_finditem_impersonation(void **state)
{
    (void)state;
    static const char req[] = FINDITEM_HEAD FINDITEM_BODY;
    size_t n = sizeof req - 1, head = sizeof FINDITEM_HEAD - 1;
    uint8_t *c = dup_bytes(req, n);
    struct http_request *r = &g_req;
    assert_int_equal(http_parse_request(c, n, r), PR_OK);
    assert_int_equal(r->head_len, head);
    assert_bytes(r->method, "POST");
    assert_bytes(r->path, "/EWS/Exchange.asmx");
    assert_int_equal(r->query.n, 0);
    assert_int_equal(r->version_minor, 1);
    assert_bytes(r->host, "mail.example.com");
    assert_bytes(r->user_agent, "ExchangeServicesClient/15.00.0913.015");
    assert_bytes(r->anchor_mailbox, "victim@example.com");
    assert_int_equal(r->auth, HTTP_AUTH_NTLM);
    assert_bytes(r->auth_scheme_name, "NTLM");
    assert_string_equal(r->basic_user, "");
    assert_true(r->has_content_length);
    assert_int_equal(r->content_length, sizeof FINDITEM_BODY - 1);
    assert_int_equal(r->n_headers, 6);

    struct ews_request e;
    assert_int_equal(ews_classify(r->path, r->headers, r->n_headers, c + head, n - head, &e),
                     PR_OK);
    assert_true(e.is_ews && e.soap);
    assert_int_equal(e.endpoint, EWS_EP_EXCHANGE);
    assert_bytes(e.operation, "FindItem");
    assert_false(e.operation_from_soapaction);
    assert_true(e.impersonation);
    assert_bytes(e.primary_smtp, "victim@example.com");
    assert_bytes(e.server_version, "Exchange2013_SP1");
    assert_bytes(e.anchor_mailbox, "victim@example.com");
    assert_int_equal(e.sid.n, 0);

    struct bytes path = r->path;
    /* every prefix of the head is incomplete (never malformed) */
    for (size_t k = 0; k < head; k++) {
        uint8_t *pc = dup_bytes(req, k);
        enum pr_status st = http_parse_request(pc, k, r);
        free(pc);
        if (st != PR_INCOMPLETE)
            fail_msg("head prefix %zu: %d", k, st);
    }
    /* every body prefix: incomplete until <m:FindItem ...> is whole, then the same answer */
    size_t op_end = (size_t)(strstr(FINDITEM_BODY, "Shallow\">") - FINDITEM_BODY) + 9;
    struct http_header hs[1] = {
        {{(const uint8_t *)"X-AnchorMailbox", 15}, {(const uint8_t *)"a@b", 3}}};
    for (size_t k = 0; k <= n - head; k++) {
        uint8_t *pc = dup_bytes(req + head, k);
        enum pr_status st = ews_classify(path, hs, 1, pc, k, &e);
        if (k == 0) {
            assert_int_equal(st, PR_OK); /* no body yet: nothing to say */
            assert_int_equal(e.operation.n, 0);
        } else if (k < op_end) {
            if (st != PR_INCOMPLETE)
                fail_msg("body prefix %zu: %d", k, st);
        } else {
            if (st != PR_OK)
                fail_msg("body prefix %zu: %d", k, st);
            assert_bytes(e.operation, "FindItem");
            assert_bytes(e.primary_smtp, "victim@example.com");
            assert_true(e.impersonation);
            assert_int_equal(e.scanned, op_end);
        }
        free(pc);
    }
    free(c);
}

/* comments, CDATA, PIs and quoted '>' must not be taken for structure */
static void test_ews_scanner_not_fooled(void **state)
{
    (void)state;
    static const char body[] =
        "\xef\xbb\xbf<?xml version='1.0'?><!-- <soap:Body><m:DeleteItem/></soap:Body> -->"
        "<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/' note='a>b' "
        "other=\"<\">"
        "<s:Header><t:ExchangeImpersonation><t:ConnectingSID>"
        "<t:SmtpAddress><![CDATA[cdata@example.com]]></t:SmtpAddress>"
        "<t:PrincipalName>user@corp.example</t:PrincipalName>"
        "<t:SID>S-1-5-21-1-2-3-1104</t:SID>"
        "</t:ConnectingSID></t:ExchangeImpersonation>"
        "<![CDATA[ <s:Body><m:CreateItem/></s:Body> ]]>"
        "<?pi <s:Body> ?>"
        "</s:Header><s:Body><!-- <m:ExportItems/> --><m:SyncFolderItems>"
        "<m:ItemShape/></m:SyncFolderItems></s:Body></s:Envelope>";
    struct bytes path = {(const uint8_t *)"/ews/exchange.asmx", 18};
    size_t n = sizeof body - 1;
    struct ews_request e;
    size_t ops = 0;
    for (size_t k = 0; k <= n; k++) {
        uint8_t *c = dup_bytes(body, k);
        enum pr_status st = ews_classify(path, NULL, 0, c, k, &e);
        assert_true(st == PR_OK || st == PR_INCOMPLETE);
        if (e.operation.n > 0) {
            assert_bytes(e.operation, "SyncFolderItems");
            assert_int_equal(st, PR_OK);
            ops++;
        }
        free(c);
    }
    assert_true(ops > 0);
    uint8_t *c = dup_bytes(body, n);
    assert_int_equal(ews_classify(path, NULL, 0, c, n, &e), PR_OK);
    assert_bytes(e.smtp_address, "cdata@example.com");
    assert_bytes(e.principal_name, "user@corp.example");
    assert_bytes(e.sid, "S-1-5-21-1-2-3-1104");
    assert_true(e.impersonation);
    assert_int_equal(e.primary_smtp.n, 0);
    free(c);
}

static void ews_status(const char *body, enum pr_status want, const char *op)
{
    struct bytes path = {(const uint8_t *)"/EWS/Exchange.asmx", 18};
    size_t n = strlen(body);
    uint8_t *c = dup_bytes(body, n);
    struct ews_request e;
    enum pr_status st = ews_classify(path, NULL, 0, c, n, &e);
    if (st != want)
        fail_msg("status %d, want %d for: %.60s", st, want, body);
    if (op != NULL)
        assert_bytes(e.operation, op);
    else
        assert_int_equal(e.operation.n, 0);
    free(c);
}

static void test_ews_bad_and_bounded(void **state)
{
    (void)state;
    /* DTDs are refused (SOAP forbids them; entity expansion is an attack) */
    ews_status("<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><s:Envelope/>", PR_UNSUPPORTED,
               NULL);
    /* end tag mismatch, stray text, two roots, '<' inside a tag */
    ews_status("<s:Envelope><s:Body></s:Header></s:Envelope>", PR_MALFORMED, NULL);
    ews_status("junk<s:Envelope/>", PR_MALFORMED, NULL);
    ews_status("<a/><b/>", PR_MALFORMED, NULL);
    ews_status("<s:Envelope <s:Body>", PR_MALFORMED, NULL);
    ews_status("</x>", PR_MALFORMED, NULL);
    /* unterminated constructs: incomplete, never a read past the end */
    ews_status("<s:Envelope><!-- <s:Body><m:GetItem/>", PR_INCOMPLETE, NULL);
    ews_status("<s:Envelope><![CDATA[ <s:Body><m:GetItem/>", PR_INCOMPLETE, NULL);
    ews_status("<s:Envelope a='>", PR_INCOMPLETE, NULL);
    ews_status("<s:Envelope><s:Body><m:GetFolder", PR_INCOMPLETE, NULL);
    ews_status("<s:Envelope><s:Body><m:GetFolder>", PR_OK, "GetFolder");
    ews_status("<s:Envelope><s:Body><m:GetItem/></s:Body></s:Envelope>", PR_OK, "GetItem");
    ews_status("<s:Envelope><s:Body></s:Body></s:Envelope>  \r\n", PR_OK, NULL);
    ews_status("<!-", PR_INCOMPLETE, NULL);
    ews_status("<", PR_INCOMPLETE, NULL);
    /* an operation deeper than Body's first child does not count */
    ews_status("<s:Envelope><s:Body><x><m:ExportItems/></x></s:Body></s:Envelope>", PR_OK, "x");
    ews_status("<Envelope><Body><ResolveNames/></Body></Envelope>", PR_OK, "ResolveNames");

    /* depth bomb */
    static char deep[2048];
    size_t n = 0;
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(deep + n, sizeof deep - n, "<d%d>", i);
    ews_status(deep, PR_LIMIT, NULL);

    /* the operation beyond the 64 KiB scan window */
    size_t big = EWS_BODY_SCAN_MAX + 4096;
    char *b = malloc(big + 1);
    assert_non_null(b);
    static const char pre[] = "<s:Envelope><s:Header><!--";
    static const char post[] = "--></s:Header><s:Body><m:GetItem/></s:Body></s:Envelope>";
    memcpy(b, pre, sizeof pre - 1);
    memset(b + sizeof pre - 1, 'c', big - (sizeof pre - 1) - (sizeof post - 1));
    memcpy(b + big - (sizeof post - 1), post, sizeof post);
    struct bytes path = {(const uint8_t *)"/EWS/Exchange.asmx", 18};
    struct ews_request e;
    uint8_t *c = dup_bytes(b, big);
    assert_int_equal(ews_classify(path, NULL, 0, c, big, &e), PR_LIMIT);
    assert_true(e.body_truncated);
    assert_int_equal(e.operation.n, 0);
    free(c);
    free(b);
    assert_int_equal(ews_classify(path, NULL, 0, NULL, 5, &e), PR_MALFORMED);
    assert_int_equal(ews_classify(path, NULL, 0, NULL, 0, NULL), PR_MALFORMED);
}

/* the operation from SOAPAction / the SOAP 1.2 action parameter when the body does not show it */
static void test_ews_soapaction_fallback(void **state)
{
    (void)state;
    struct http_header h[2] = {
        {{(const uint8_t *)"SOAPAction", 10},
         {(const uint8_t *)"\"http://schemas.microsoft.com/exchange/services/2006/messages/"
                           "ExportItems\"",
          75}},
        {{(const uint8_t *)"Content-Type", 12},
         {(const uint8_t *)"application/soap+xml; charset=utf-8; "
                           "action=\"http://schemas.microsoft.com/exchange/services/2006/"
                           "messages/GetItem\"",
          114}},
    };
    h[0].value.n = strlen((const char *)h[0].value.p);
    h[1].value.n = strlen((const char *)h[1].value.p);
    struct bytes path = {(const uint8_t *)"/EWS/Exchange.asmx", 18};
    struct ews_request e;
    assert_int_equal(ews_classify(path, h, 2, NULL, 0, &e), PR_OK);
    assert_bytes(e.operation, "ExportItems");
    assert_true(e.operation_from_soapaction);
    assert_int_equal(ews_classify(path, h + 1, 1, NULL, 0, &e), PR_OK);
    assert_bytes(e.operation, "GetItem");
    assert_true(e.operation_from_soapaction);
    /* the body wins when it shows the operation */
    static const char body[] = "<s:Envelope><s:Body><m:CreateItem/></s:Body></s:Envelope>";
    uint8_t *c = dup_bytes(body, sizeof body - 1);
    assert_int_equal(ews_classify(path, h, 2, c, sizeof body - 1, &e), PR_OK);
    assert_bytes(e.operation, "CreateItem");
    assert_false(e.operation_from_soapaction);
    free(c);
}

/* ---- Autodiscover ---------------------------------------------------------------------- */

static void test_autodiscover(void **state)
{
    (void)state;
    /* POX (MS-OXDSCLI), Basic auth: the user-id only */
    static const char pox[] =
        "POST /autodiscover/autodiscover.xml HTTP/1.1\r\n"
        "Host: autodiscover.example.com\r\n"
        "Authorization: Basic RVhBTVBMRVxqZG9lOlN1cGVyU2VjcmV0IQ==\r\n"
        "Content-Type: text/xml\r\n"
        "\r\n"
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Autodiscover "
        "xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006\">"
        "<Request><EMailAddress>jdoe@example.com</EMailAddress><AcceptableResponseSchema>"
        "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
        "</AcceptableResponseSchema></Request></Autodiscover>";
    size_t n = sizeof pox - 1;
    uint8_t *c = dup_bytes(pox, n);
    struct http_request *r = &g_req;
    assert_int_equal(http_parse_request(c, n, r), PR_OK);
    assert_int_equal(r->auth, HTTP_AUTH_BASIC);
    assert_string_equal(r->basic_user, "EXAMPLE\\jdoe");
    assert_false(contains(r, sizeof *r, "SuperSecret"));
    assert_false(r->has_content_length);
    struct ews_request e;
    assert_int_equal(
        ews_classify(r->path, r->headers, r->n_headers, c + r->head_len, n - r->head_len, &e),
        PR_OK);
    assert_true(e.is_ews);
    assert_int_equal(e.endpoint, EWS_EP_AUTODISCOVER_XML);
    assert_false(e.soap);
    assert_bytes(e.mailbox, "jdoe@example.com");
    free(c);

    /* SOAP (MS-OXWSADISC) GetUserSettings */
    static const char svc[] =
        "<?xml version=\"1.0\"?><soap:Envelope "
        "xmlns:a=\"http://schemas.microsoft.com/exchange/2010/Autodiscover\" "
        "xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Header>"
        "<a:RequestedServerVersion>Exchange2013</a:RequestedServerVersion></soap:Header>"
        "<soap:Body><a:GetUserSettingsRequestMessage><a:Request><a:Users><a:User>"
        "<a:Mailbox>svc@example.com</a:Mailbox></a:User></a:Users><a:RequestedSettings>"
        "<a:Setting>ExternalEwsUrl</a:Setting></a:RequestedSettings></a:Request>"
        "</a:GetUserSettingsRequestMessage></soap:Body></soap:Envelope>";
    struct bytes path = {(const uint8_t *)"/Autodiscover/Autodiscover.svc", 30};
    c = dup_bytes(svc, sizeof svc - 1);
    assert_int_equal(ews_classify(path, NULL, 0, c, sizeof svc - 1, &e), PR_OK);
    assert_int_equal(e.endpoint, EWS_EP_AUTODISCOVER_SVC);
    assert_bytes(e.operation, "GetUserSettingsRequestMessage");
    assert_bytes(e.mailbox, "svc@example.com");
    free(c);
}

/* ---- paths -------------------------------------------------------------------------- */

static enum ews_endpoint ep_of(const char *target)
{
    struct http_request *r = &g_req;
    char req[512];
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: h\r\n\r\n", target);
    size_t n = strlen(req);
    uint8_t *c = dup_bytes(req, n);
    enum ews_endpoint ep = EWS_EP_NONE;
    assert_int_equal(http_parse_request(c, n, r), PR_OK);
    struct ews_request e;
    assert_int_equal(ews_classify(r->path, r->headers, r->n_headers, NULL, 0, &e), PR_OK);
    ep = e.endpoint;
    assert_true(e.is_ews == (ep != EWS_EP_NONE));
    free(c);
    return ep;
}

static void test_ews_paths(void **state)
{
    (void)state;
    assert_int_equal(ep_of("/EWS/Exchange.asmx"), EWS_EP_EXCHANGE);
    assert_int_equal(ep_of("/ews/exchange.asmx?foo=1#x"), EWS_EP_EXCHANGE);
    assert_int_equal(ep_of("/EWS/Exchange.asmx/wssecurity"), EWS_EP_EXCHANGE);
    assert_int_equal(ep_of("/ews/exchange%2Easmx"), EWS_EP_EXCHANGE);
    assert_int_equal(ep_of("/%45WS/Exchange.asmx"), EWS_EP_EXCHANGE);
    assert_int_equal(ep_of("https://mail.example.com/EWS/Exchange.asmx?x"), EWS_EP_EXCHANGE);
    assert_int_equal(ep_of("/autodiscover/autodiscover.xml"), EWS_EP_AUTODISCOVER_XML);
    assert_int_equal(ep_of("/AutoDiscover/AutoDiscover.svc/root"), EWS_EP_AUTODISCOVER_SVC);
    assert_int_equal(ep_of("/autodiscover/autodiscover.xml/x"), EWS_EP_NONE);
    assert_int_equal(ep_of("/EWS/Exchange.asmxfoo"), EWS_EP_NONE);
    assert_int_equal(ep_of("/EWS/Exchange.asm"), EWS_EP_NONE);
    assert_int_equal(ep_of("/owa/"), EWS_EP_NONE);
    assert_int_equal(ep_of("/"), EWS_EP_NONE);
    assert_int_equal(ep_of("*"), EWS_EP_NONE);
    assert_int_equal(ep_of("/ews/exchange.asmx%"), EWS_EP_NONE);
    assert_int_equal(ep_of("/ews/exchange.asmx%2"), EWS_EP_NONE);

    /* a non-EWS request still reports its anchor mailbox and never reads the body */
    static const char owa[] = "POST /owa/service.svc HTTP/1.1\r\nHost: m\r\n"
                              "X-AnchorMailbox: SMTP:boss@example.com\r\n\r\n<<<<not xml";
    size_t n = sizeof owa - 1;
    uint8_t *c = dup_bytes(owa, n);
    struct http_request *r = &g_req;
    assert_int_equal(http_parse_request(c, n, r), PR_OK);
    struct ews_request e;
    assert_int_equal(
        ews_classify(r->path, r->headers, r->n_headers, c + r->head_len, n - r->head_len, &e),
        PR_OK);
    assert_false(e.is_ews);
    assert_bytes(e.anchor_mailbox, "SMTP:boss@example.com");
    free(c);
}

/* ---- HTTP ---------------------------------------------------------------------------- */

static void test_http_auth_schemes(void **state)
{
    (void)state;
    struct http_request *r = &g_req;
    assert_int_equal(parse("GET / HTTP/1.1\r\nAuthorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOi"
                           "JSUzI1NiJ9.secretpayload.sig\r\n\r\n",
                           r),
                     PR_OK);
    assert_int_equal(r->auth, HTTP_AUTH_BEARER);
    assert_string_equal(r->basic_user, "");
    assert_int_equal(parse("GET / HTTP/1.1\r\nauthorization: negotiate "
                           "TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw==\r\n\r\n",
                           r),
                     PR_OK);
    assert_int_equal(r->auth, HTTP_AUTH_NEGOTIATE);
    assert_true(r->auth_negotiate_ntlm);
    assert_int_equal(parse("GET / HTTP/1.1\r\nAuthorization: Negotiate YIIGhgYGKwYBBQUCoIIGej"
                           "CCBnagMDAuBgkqhkiC9xIBAgIGCSqGSIb3EgECAgYKKwYBBAGCNwICHg==\r\n\r\n",
                           r),
                     PR_OK);
    assert_false(r->auth_negotiate_ntlm);
    assert_int_equal(parse("GET / HTTP/1.1\r\nAuthorization: Digest username=\"x\", "
                           "realm=\"r\"\r\n\r\n",
                           r),
                     PR_OK);
    assert_int_equal(r->auth, HTTP_AUTH_DIGEST);
    assert_int_equal(parse("GET / HTTP/1.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=x\r\n"
                           "\r\n",
                           r),
                     PR_OK);
    assert_int_equal(r->auth, HTTP_AUTH_OTHER);
    /* Basic: user-id without password; padding removed; garbage ignored */
    assert_int_equal(parse("GET / HTTP/1.1\r\nAuthorization: Basic YWxpY2U6cDRzcw==\r\n\r\n", r),
                     PR_OK);
    assert_string_equal(r->basic_user, "alice");
    assert_false(contains(r, sizeof *r, "p4ss"));
    /* no ':' at all: the whole decoded value is the user-id */
    assert_int_equal(parse("GET / HTTP/1.1\r\nAuthorization: Basic Ym9i\r\n\r\n", r), PR_OK);
    assert_string_equal(r->basic_user, "bob");
    assert_int_equal(parse("GET / HTTP/1.1\r\nAuthorization: Basic !!!!\r\n\r\n", r), PR_OK);
    assert_int_equal(r->auth, HTTP_AUTH_BASIC);
    assert_string_equal(r->basic_user, "");
    assert_int_equal(parse("GET / HTTP/1.1\r\nAuthorization: Basic YW=j\r\n\r\n", r), PR_OK);
    assert_string_equal(r->basic_user, "");
    /* a non-printable user-id is sanitised */
    assert_int_equal(parse("GET / HTTP/1.1\r\nAuthorization: Basic G2E6Yg==\r\n\r\n", r), PR_OK);
    assert_string_equal(r->basic_user, "?a");
}

static void test_http_syntax(void **state)
{
    (void)state;
    struct http_request *r = &g_req;
    /* leading empty lines, HTTP/1.0, bare LF line ends */
    assert_int_equal(parse("\r\n\nGET /a?b=c HTTP/1.0\nHost: x\n\n", r), PR_OK);
    assert_int_equal(r->version_minor, 0);
    assert_bytes(r->target, "/a?b=c");
    assert_bytes(r->query, "b=c");
    /* authority-form has no path */
    assert_int_equal(parse("CONNECT mail.example.com:443 HTTP/1.1\r\n\r\n", r), PR_OK);
    assert_int_equal(r->path.n, 0);
    /* errors */
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost : x\r\n\r\n", r), PR_MALFORMED);
    assert_int_equal(parse("GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", r), PR_MALFORMED);
    assert_int_equal(parse("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", r), PR_MALFORMED);
    assert_int_equal(parse("GET / HTTP/1.1\r\nX: a\x01"
                           "b\r\n\r\n",
                           r),
                     PR_MALFORMED);
    assert_int_equal(parse("GET / HTTP/1.1\r\n: novalue\r\n\r\n", r), PR_MALFORMED);
    assert_int_equal(parse("GET  / HTTP/1.1\r\n\r\n", r), PR_MALFORMED);
    assert_int_equal(parse("GET / HTTP/1.1 \r\n\r\n", r), PR_MALFORMED);
    assert_int_equal(parse("GET / HTTX/1.1\r\n\r\n", r), PR_MALFORMED);
    assert_int_equal(parse("GET / HTTP/1.10\r\n\r\n", r), PR_MALFORMED);
    assert_int_equal(parse("GET /\r\n\r\n", r), PR_MALFORMED);
    assert_int_equal(parse("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", r), PR_UNSUPPORTED);
    assert_int_equal(parse("GET / HTTP/1.2\r\n\r\n", r), PR_UNSUPPORTED);
    assert_int_equal(r->method.n, 0); /* zeroed on failure */
    /* garbage is rejected at once, not after 16 KiB */
    assert_int_equal(parse("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", r), PR_MALFORMED);
    assert_int_equal(parse("GET /a\x01", r), PR_MALFORMED);
    assert_int_equal(parse("GET / HTTP/2", r), PR_INCOMPLETE);
    assert_int_equal(parse("GET / HTTP/x", r), PR_MALFORMED);
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nBad Name: x", r), PR_MALFORMED);
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r", r), PR_INCOMPLETE);
    assert_int_equal(parse("", r), PR_INCOMPLETE);
    assert_int_equal(http_parse_request(NULL, 0, r), PR_INCOMPLETE);
    assert_int_equal(http_parse_request(NULL, 4, r), PR_MALFORMED);
    assert_int_equal(http_parse_request(NULL, 0, NULL), PR_MALFORMED);
    /* Content-Length: equal list folded; conflicts and junk refused; TE + CL flagged */
    assert_int_equal(
        parse("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\nContent-Length: 5\r\n\r\n", r), PR_OK);
    assert_int_equal(r->content_length, 5);
    assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", r),
                     PR_MALFORMED);
    assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", r), PR_MALFORMED);
    assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: \r\n\r\n", r), PR_MALFORMED);
    assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", r),
                     PR_MALFORMED);
    assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 9999999999999999999\r\n\r\n", r),
                     PR_OK);
    assert_int_equal(parse("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n"
                           "Content-Length: 3\r\n\r\n",
                           r),
                     PR_OK);
    assert_true(r->chunked && r->te_and_cl);
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", r), PR_OK);
    assert_true(r->duplicate_host);
    assert_bytes(r->host, "a");
    const struct http_header *h = http_find_header(r->headers, r->n_headers, "HOST");
    assert_non_null(h);
    assert_bytes(h->value, "a");
    assert_null(http_find_header(r->headers, r->n_headers, "Cookie"));
    assert_null(http_find_header(NULL, 3, "Host"));
}

/* header bombs: the count and byte caps hold, and are reported as limits */
static void test_http_header_bombs(void **state)
{
    (void)state;
    struct http_request *r = &g_req;
    size_t cap = 1u << 20;
    char *b = malloc(cap);
    assert_non_null(b);
    size_t n = (size_t)snprintf(b, cap, "GET / HTTP/1.1\r\n");
    size_t line0 = n;
    for (unsigned i = 0; i < HTTP_MAX_HEADERS; i++)
        n += (size_t)snprintf(b + n, cap - n, "X-%u: v\r\n", i);
    memcpy(b + n, "\r\n", 2);
    uint8_t *c = dup_bytes(b, n + 2);
    assert_int_equal(http_parse_request(c, n + 2, r), PR_OK); /* exactly 64 */
    assert_int_equal(r->n_headers, HTTP_MAX_HEADERS);
    free(c);
    n += (size_t)snprintf(b + n, cap - n, "X-last: v\r\n\r\n");
    c = dup_bytes(b, n);
    assert_int_equal(http_parse_request(c, n, r), PR_LIMIT); /* 65 */
    free(c);
    /* 65th header still arriving: already over */
    c = dup_bytes(b, n - 6);
    assert_int_equal(http_parse_request(c, n - 6, r), PR_LIMIT);
    free(c);
    /* 50 000 headers: refused after 64, whatever the length */
    n = line0;
    while (n < cap - 32)
        n += (size_t)snprintf(b + n, cap - n, "A: b\r\n");
    c = dup_bytes(b, n);
    assert_int_equal(http_parse_request(c, n, r), PR_LIMIT);
    free(c);
    /* one 20 KiB header: the head does not end within 16 KiB */
    n = line0 + (size_t)snprintf(b + line0, cap - line0, "Cookie: ");
    memset(b + n, 'c', 20000);
    n += 20000;
    memcpy(b + n, "\r\n\r\n", 4);
    n += 4;
    c = dup_bytes(b, n);
    assert_int_equal(http_parse_request(c, n, r), PR_LIMIT);
    free(c);
    /* still arriving, under the cap: incomplete; at the cap: limit */
    c = dup_bytes(b, HTTP_HEADER_BLOCK_MAX - 1);
    assert_int_equal(http_parse_request(c, HTTP_HEADER_BLOCK_MAX - 1, r), PR_INCOMPLETE);
    free(c);
    c = dup_bytes(b, HTTP_HEADER_BLOCK_MAX);
    assert_int_equal(http_parse_request(c, HTTP_HEADER_BLOCK_MAX, r), PR_LIMIT);
    free(c);
    /* a head of exactly 16 KiB is accepted, one byte more is not */
    n = line0 + (size_t)snprintf(b + line0, cap - line0, "Cookie: ");
    size_t fill = HTTP_HEADER_BLOCK_MAX - n - 4;
    memset(b + n, 'c', fill);
    n += fill;
    memcpy(b + n, "\r\n\r\nBODY", 8);
    c = dup_bytes(b, n + 8);
    assert_int_equal(http_parse_request(c, n + 8, r), PR_OK);
    assert_int_equal(r->head_len, HTTP_HEADER_BLOCK_MAX);
    free(c);
    memmove(b + n + 1, b + n, 8);
    b[n] = 'c';
    c = dup_bytes(b, n + 9);
    assert_int_equal(http_parse_request(c, n + 9, r), PR_LIMIT);
    free(c);
    /* 16 KiB of empty lines before a request line */
    memset(b, '\n', HTTP_HEADER_BLOCK_MAX + 10);
    c = dup_bytes(b, HTTP_HEADER_BLOCK_MAX + 10);
    assert_int_equal(http_parse_request(c, HTTP_HEADER_BLOCK_MAX + 10, r), PR_LIMIT);
    free(c);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ews_finditem_impersonation),
        cmocka_unit_test(test_ews_scanner_not_fooled),
        cmocka_unit_test(test_ews_bad_and_bounded),
        cmocka_unit_test(test_ews_soapaction_fallback),
        cmocka_unit_test(test_autodiscover),
        cmocka_unit_test(test_ews_paths),
        cmocka_unit_test(test_http_auth_schemes),
        cmocka_unit_test(test_http_syntax),
        cmocka_unit_test(test_http_header_bombs),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(g_last);
    return rc;
}
