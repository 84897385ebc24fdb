/* HTTP/1.x request head parser (RFC 9112, RFC 9110), picohttpparser style.
 *
 * Pure and stateless: the caller keeps the bytes received so far and calls
 * again with the longer buffer; the result for a prefix never depends on how
 * it arrived. Outputs are borrowed views into the caller's buffer (valid while
 * it is), except basic_user which is copied (decoded). Nothing is allocated.
 *
 * Bounds: at most HTTP_MAX_HEADERS header fields and HTTP_HEADER_BLOCK_MAX
 * bytes from the first byte through the empty line ending the head; past
 * either, PR_LIMIT. Credentials are never exposed: for Authorization only
 * the scheme is reported, plus the user-id of a Basic credential (decoded);
 * the password and every token are left alone and decoded copies are wiped.
 *
 * Results:
 *   PR_OK          a complete head; *out filled; out->head_len is where the
 *                  body starts
 *   PR_INCOMPLETE  no end of head yet and every complete line so far (and
 *                  the partial last one) is well-formed
 *   PR_MALFORMED   syntax error (bare CR, whitespace before ':', obs-fold,
 *                  control bytes, conflicting Content-Length, ...)
 *   PR_UNSUPPORTED an HTTP version other than 1.0/1.1 (e.g. the HTTP/2 preface)
 *   PR_LIMIT       a bound was hit
 * On any status but PR_OK, *out is zeroed. */
#ifndef CS_PARSERS_HTTP_H
#define CS_PARSERS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "status.h"

#define HTTP_MAX_HEADERS 64u
#define HTTP_HEADER_BLOCK_MAX (16u * 1024u)
#define HTTP_USER_MAX 128u /* Basic user-id kept, incl. NUL */

enum http_auth_scheme {
    HTTP_AUTH_NONE = 0,
    HTTP_AUTH_BASIC,     /* RFC 7617 */
    HTTP_AUTH_NTLM,      /* MS-NTHT */
    HTTP_AUTH_NEGOTIATE, /* RFC 4559 */
    HTTP_AUTH_BEARER,    /* RFC 6750 */
    HTTP_AUTH_DIGEST,    /* RFC 7616 */
    HTTP_AUTH_OTHER,
};

struct http_header {
    struct bytes name;  /* as sent */
    struct bytes value; /* without leading/trailing whitespace */
};

struct http_request {
    struct bytes method;
    struct bytes target; /* request-target as sent */
    struct bytes path;   /* origin-form path (also from absolute-form), without query */
    struct bytes query;  /* after '?', without '#fragment' */
    uint8_t version_minor;
    struct http_header headers[HTTP_MAX_HEADERS];
    size_t n_headers;
    size_t head_len; /* bytes through the empty line: the body starts here */

    /* first occurrence of each */
    struct bytes host, user_agent, anchor_mailbox, content_type, soap_action;
    bool duplicate_host; /* RFC 9112 3.2: a server must reject this */

    enum http_auth_scheme auth;
    struct bytes auth_scheme_name;  /* the scheme token as sent */
    bool auth_negotiate_ntlm;       /* a Negotiate token that is raw NTLMSSP */
    char basic_user[HTTP_USER_MAX]; /* Basic: user-id, sanitised; never the password */
    bool basic_user_truncated;

    bool has_content_length;
    uint64_t content_length;
    bool chunked;   /* Transfer-Encoding ends with chunked */
    bool te_and_cl; /* both Transfer-Encoding and Content-Length (RFC 9112 6.1) */
};

enum pr_status http_parse_request(const uint8_t *p, size_t n, struct http_request *out);

/* first header named `name` (case-insensitive), or NULL */
const struct http_header *http_find_header(const struct http_header *hdrs, size_t n_hdrs,
                                           const char *name);

#endif
