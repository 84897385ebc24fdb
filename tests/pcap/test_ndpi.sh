#!/usr/bin/env bash
# nDPI labels: every tls event carries one; --no-ndpi removes them; where
# the SNI names a service nDPI knows (Webex, Microsoft 365), the label names
# it too (the SNI is read from the packet independently of nDPI).
set -eu
B=$1 TMP=$2 SHARED=$3
S="$B/certsensor"
"$S" -r pcaps/tls12-chain.pcap -o "$TMP/n1.jsonl" --no-stats
grep -q '"ndpi":{"protocol":"TLS"' "$TMP/n1.jsonl"
"$S" -r pcaps/tls12-chain.pcap -o "$TMP/n0.jsonl" --no-stats --no-ndpi
! grep -q '"ndpi"' "$TMP/n0.jsonl"
[ -d "$SHARED/pcaps" ] || { echo "shared corpus absent: label checks on own samples only"; exit 0; }
"$S" -r "$SHARED/pcaps/ndpi-webex.pcap" -r "$SHARED/pcaps/ndpi-sites.pcapng" -o "$TMP/n2.jsonl" --no-stats
python3 - "$TMP/n2.jsonl" <<'PY'
import json, sys
n = {"webex": 0, "m365": 0}
for line in open(sys.argv[1]):
    ev = json.loads(line)
    t, label = ev["tls"], ev["ndpi"]["protocol"]
    sni = (t.get("sni") or "").lower()
    if sni.endswith(".webex.com"):
        assert label == "TLS.Webex", (sni, label)
        n["webex"] += 1
    if sni in ("outlook.com", "teams.office.com") or sni.endswith(".office365.com"):
        assert label in ("TLS.Microsoft365", "TLS.Teams", "TLS.Outlook"), (sni, label)
        n["m365"] += 1
assert n["webex"] >= 4 and n["m365"] >= 2, n
print(n)
PY
