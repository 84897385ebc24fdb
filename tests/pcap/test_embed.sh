#!/usr/bin/env bash
# The example embedder (tests/embed_example.c: library only, its own pcap
# loop, events as typed structs) sees the same certificates as the CLI.
set -eu
B=$1 TMP=$2
for cap in pcaps/tls12-mtls.pcap pcaps/tls12-chain.pcap; do
    cli=$("$B/certsensor" -r "$cap" --no-stats | python3 -c '
import json, sys
n = 0
for l in sys.stdin:
    ev = json.loads(l)
    if ev["event_type"] != "tls":
        continue
    n += len(ev["tls"]["server_certs"]) + len(ev["tls"]["client_certs"])
print(n)')
    emb=$("$B/tests/embed_example" "$cap" | awk '/^certificates /{print $2}')
    [ "$cli" = "$emb" ] && [ "$cli" -gt 0 ] || { echo "$cap: cli $cli, embedder $emb"; exit 1; }
done
echo ok
