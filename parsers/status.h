/* Parser results shared by every parser in parsers/.
 *
 * Incomplete, broken and over-limit input are different things: a caller
 * waits for more bytes on PR_INCOMPLETE, counts an anomaly on PR_MALFORMED,
 * skips on PR_UNSUPPORTED and counts a cap hit on PR_LIMIT. */
#ifndef CS_PARSERS_STATUS_H
#define CS_PARSERS_STATUS_H

enum pr_status {
    PR_OK = 0,
    PR_INCOMPLETE, /* more bytes are needed to decide */
    PR_MALFORMED,  /* the bytes contradict the wire format */
    PR_UNSUPPORTED, /* well-formed, but a variant this parser does not handle */
    PR_LIMIT,      /* well-formed so far, but a configured cap was hit */
};

const char *pr_status_name(enum pr_status s);

#endif
