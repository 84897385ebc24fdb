/* Static names for parser results. */
#include "status.h"

const char *pr_status_name(enum pr_status s)
{
    switch (s) {
    case PR_OK:
        return "ok";
    case PR_INCOMPLETE:
        return "incomplete";
    case PR_MALFORMED:
        return "malformed";
    case PR_UNSUPPORTED:
        return "unsupported";
    case PR_LIMIT:
        return "limit";
    }
    return "unknown";
}
