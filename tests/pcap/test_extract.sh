#!/usr/bin/env bash
# --extract-certs writes each distinct certificate once as DIR/<sha256>.pem;
# openssl (independent of the sensor) confirms each file's SHA-256 matches
# its name, and every certificate of the JSON output has its file.
set -eu
B=$1 TMP=$2
D="$TMP/certs"
"$B/certsensor" -r pcaps/tls12-mtls.pcap -r pcaps/tls12-chain.pcap --extract-certs "$D" \
    -o "$TMP/x.jsonl"
n=0
for f in "$D"/*.pem; do
    name=$(basename "$f" .pem)
    got=$(openssl x509 -in "$f" -outform DER | sha256sum | cut -d' ' -f1)
    [ "$got" = "$name" ] || { echo "$f has sha256 $got"; exit 1; }
    n=$((n + 1))
done
python3 - "$TMP/x.jsonl" "$D" <<'PY'
import json, os, sys
want = set()
for line in open(sys.argv[1]):
    ev = json.loads(line)
    if ev.get("event_type") == "tls":
        for c in ev["tls"]["server_certs"] + ev["tls"]["client_certs"]:
            want.add(c["sha256"])
have = {f[:-4] for f in os.listdir(sys.argv[2]) if f.endswith(".pem")}
assert want and want == have, (sorted(want - have), sorted(have - want))
print(len(want), "certificates extracted")
PY
# a second run adds nothing and leaves no temporary files
"$B/certsensor" -r pcaps/tls12-chain.pcap --extract-certs "$D" -o /dev/null
test "$(ls -A "$D" | wc -l)" = "$n"
