/* Exchange Web Services / Autodiscover request classification.
 *
 * Pure and stateless: given a request path, its headers (see http.h) and a
 * prefix of its body, says whether this is an EWS or Autodiscover request,
 * which SOAP operation it carries and which mailbox it acts for. Outputs are
 * borrowed views into the caller's headers and body; nothing is allocated.
 *
 * Endpoints (path without query, percent-decoded, case-insensitive):
 *   /EWS/Exchange.asmx[/...]               EWS_EP_EXCHANGE
 *   /autodiscover/autodiscover.xml          EWS_EP_AUTODISCOVER_XML (POX)
 *   /autodiscover/autodiscover.svc[/...]    EWS_EP_AUTODISCOVER_SVC (SOAP)
 * No dot-segment or repeated-slash normalisation is done.
 *
 * The body is read by a bounded XML scanner over its first
 * EWS_BODY_SCAN_MAX bytes, at most EWS_DEPTH_MAX elements deep. It skips
 * comments, processing instructions and CDATA sections as wholes (a '<' or
 * '>' inside them, or inside a quoted attribute value, never starts or ends
 * a tag), checks that end tags match their start tags, and treats CDATA as
 * character data. It does not handle: DTDs (a <!DOCTYPE makes the result
 * PR_UNSUPPORTED: SOAP forbids them), entity or character references (values
 * are raw bytes, e.g. "a&amp;b"), namespace URIs (elements are matched by
 * local name, prefixes stripped, so any namespace bound to "Body" counts),
 * encodings other than ASCII-compatible ones (UTF-16 bodies are not
 * recognised) and XML well-formedness beyond the above.
 *
 * SOAP facts: the operation is the local name of the first child element of
 * Envelope/Body (FindItem, GetItem, SyncFolderItems, ExportItems, ...); if
 * the body does not show it, the last path segment of the SOAPAction header
 * (SOAP 1.1) or of the Content-Type action parameter (SOAP 1.2) is used and
 * operation_from_soapaction is set. From Envelope/Header: ExchangeImpersonation,
 * SerializedSecurityContext, RequestServerVersion/@Version, and the first
 * PrimarySmtpAddress, SID, PrincipalName and SmtpAddress values (ConnectingSID
 * and SerializedSecurityContext children).
 *
 * Results: PR_OK (classified; for a non-EWS path only anchor_mailbox is
 * filled and the body is not read), PR_INCOMPLETE (the body prefix ends
 * inside the document before the operation: call again with more), PR_LIMIT
 * (the scan cap or the depth cap was reached first), PR_MALFORMED (broken
 * markup), PR_UNSUPPORTED (a DTD). Facts found before any non-OK result
 * are kept. */
#ifndef CS_PARSERS_EWS_H
#define CS_PARSERS_EWS_H

#include <stdbool.h>
#include <stddef.h>

#include "cursor.h"
#include "http.h"
#include "status.h"

#define EWS_BODY_SCAN_MAX (64u * 1024u)
#define EWS_DEPTH_MAX 32u

enum ews_endpoint {
    EWS_EP_NONE = 0,
    EWS_EP_EXCHANGE,
    EWS_EP_AUTODISCOVER_XML,
    EWS_EP_AUTODISCOVER_SVC,
};

struct ews_request {
    bool is_ews; /* one of the endpoints above */
    enum ews_endpoint endpoint;
    bool soap;              /* the body's root element is Envelope */
    struct bytes operation; /* e.g. "FindItem" (prefix stripped) */
    bool operation_from_soapaction;
    bool impersonation;          /* ExchangeImpersonation in the SOAP header */
    bool serialized_context;     /* SerializedSecurityContext in the SOAP header */
    struct bytes primary_smtp;   /* PrimarySmtpAddress */
    struct bytes sid;            /* SID */
    struct bytes principal_name; /* PrincipalName */
    struct bytes smtp_address;   /* SmtpAddress */
    struct bytes server_version; /* RequestServerVersion Version="..." */
    struct bytes mailbox;        /* Autodiscover: EMailAddress (POX) or Mailbox (SOAP) */
    struct bytes anchor_mailbox; /* X-AnchorMailbox header */
    size_t scanned;              /* body bytes looked at */
    bool body_truncated;         /* the body prefix was longer than the scan cap */
};

/* true when path (no query) is an EWS or Autodiscover endpoint */
bool ews_path_match(struct bytes path, enum ews_endpoint *ep);

enum pr_status ews_classify(struct bytes path, const struct http_header *hdrs, size_t n_hdrs,
                            const uint8_t *body_prefix, size_t n, struct ews_request *out);

#endif
