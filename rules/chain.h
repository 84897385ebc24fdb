/* Chain linkage check: does each sent certificate link to the next one?
 *
 * For the server chain and the client chain of a session, every sent
 * certificate (positions 0 .. min(count, CS_CHAIN_MAX) - 1) is parsed with
 * d2i_X509; a certificate OpenSSL cannot parse is skipped without an alert,
 * and so is every pair it is part of. Byte-identical repeats are reported
 * once each and then left out, so a repeat does not break the pairs around
 * it. For each remaining adjacent pair (i, next):
 *
 *  - the issuer of i is looked for among the other sent certificates by
 *    X509_NAME_cmp against their subjects; a candidate "verifies" when
 *    X509_verify(i, candidate's key) succeeds;
 *  - next has the name and verifies  -> fine (keyid still compared);
 *  - i is self-issued (issuer == its own subject)
 *                                     -> chain.order: the path ended at i,
 *                                        next is an extra certificate;
 *  - another sent certificate verifies, or only another one has the name
 *                                     -> chain.order (hygiene), then keyid /
 *                                        signature are judged against it;
 *  - next has the name, nothing verifies -> chain.signature (mitm);
 *  - nothing has the name             -> chain.name (mitm).
 *  - AKI keyIdentifier of i != SKI of its issuer, both present -> chain.keyid.
 *
 * A signature whose algorithm OpenSSL does not know, or an issuer key it
 * cannot decode, is neither a success nor a failure: no chain.signature.
 *
 * check id         category sev sid      evidence, e.g.
 * chain.order      hygiene   3  2100200  "server #0 issuer 'CN=I' is #2, not #1 'CN=R'
 *                                        (out of order)"; one alert per chain, "(+N more
 *                                        ordering findings)"
 * chain.duplicate  hygiene   3  2100201  "server #2 is a byte-identical repeat of #1 'CN=I'"
 * chain.name       mitm      2  2100202  "server #0 issuer 'CN=X' != #1 subject 'CN=Y', and no
 *                                        other sent certificate has that subject"
 * chain.signature  mitm      1  2100203  "server #0 signature does not verify with the key of
 *                                        #1 'CN=I' (issuer name matches)"
 * chain.keyid      mitm      2  2100204  "server #0 authorityKeyIdentifier 0a0b.. != #1
 *                                        subjectKeyIdentifier 1c1d.. (...)"
 *
 * Pure: no I/O, no globals, nothing kept between calls; the OpenSSL error
 * queue is left as found. Cost: one d2i_X509 per sent certificate and one
 * signature verification per pair (more only when a chain is out of order). */
#ifndef CS_RULES_CHAIN_H
#define CS_RULES_CHAIN_H

#include <stdbool.h>

#include "check.h"

#define CHAIN_SID_ORDER 2100200u
#define CHAIN_SID_DUPLICATE 2100201u
#define CHAIN_SID_NAME 2100202u
#define CHAIN_SID_SIGNATURE 2100203u
#define CHAIN_SID_KEYID 2100204u

struct chain_opts {
    bool order, duplicate, name, signature, keyid;
};

/* Every check on. */
void chain_opts_default(struct chain_opts *opts);

/* All checks on (chain_check_opts with the defaults). */
void chain_check(const struct cs_tls *t, const struct check_out *o);

/* The enabled checks only; opts NULL means the defaults. */
void chain_check_opts(const struct chain_opts *opts, const struct cs_tls *t,
                      const struct check_out *o);

#endif
