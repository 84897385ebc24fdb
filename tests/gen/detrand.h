/* certgen: deterministic randomness, so that regenerating the sample captures
 * gives byte-identical files (same keys, certificates, handshake randoms and
 * ECDHE shares) on the same OpenSSL version.
 *
 * NEVER use outside the test generator: every "random" byte is predictable. */
#ifndef CERTGEN_DETRAND_H
#define CERTGEN_DETRAND_H

/* Replaces OpenSSL's process-wide RNG (RAND_bytes*, RAND_priv_bytes*) with the
 * stream below. Call once, before any other OpenSSL use. 0 on success. */
int detrand_install(void);

/* Restarts the stream at SHA-256("certgen/" label), so each scenario's bytes do not
 * depend on which scenarios ran before it. */
void detrand_seed(const char *label);

#endif
