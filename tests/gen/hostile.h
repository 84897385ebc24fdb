/* certgen hostile: captures that attack the sensor's bounds (floods, huge and
 * malformed handshakes, disagreeing retransmissions, cut packets), each with a
 * few legitimate TLS sessions mixed in, and the ground truth of what a sensor
 * must still find in them.
 *
 *   certgen hostile [--small] OUTDIR [NAME...]
 *
 * Writes OUTDIR/<NAME>.pcap and OUTDIR/<NAME>.truth.jsonl for every NAME (all
 * of them without names; `certgen hostile --list` lists them). --small makes
 * the fast versions a test can afford (thousands of packets, not millions).
 *
 * truth.jsonl: the first line is {"what": "summary", ...} (what the capture
 * holds, in numbers); then one line per TLS session whose certificates are
 * known: {"what", "must", "src_ip", "src_port", "dest_ip", "dest_port",
 * "server_certs": [sha256...], "client_certs": [...], "server_chain_truncated"}.
 * "what" is "legit" for the legitimate sessions mixed in; "must" is false for
 * hostile sessions whose certificates a sensor may lose (records that break
 * the RFC, cut packets).
 *
 * The files are deterministic for a given OpenSSL version, like certgen's
 * other output, but nothing is committed: the benchmark makes them on demand.
 * Test tooling only; nothing here is sensor code. */
#ifndef CERTGEN_HOSTILE_H
#define CERTGEN_HOSTILE_H

/* argv[0] is "hostile". Returns the process exit status. */
int hostile_main(int argc, char **argv);

#endif
