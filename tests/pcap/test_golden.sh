#!/usr/bin/env bash
# Golden output per sample capture: the exact bytes the CLI writes (packet
# time only, fixed key order). Regenerate with `make goldens` and review the diff.
set -eu
B=$1 TMP=$2
n=0
# the capture's key log, when it has one (goldens show decrypted certificates too);
# the generator's roots as the trust store, so no golden depends on the machine
keys() { [ -f "$1.keys" ] && printf -- '--keylog %s' "$1.keys"; }
for cap in pcaps/*.pcap pcaps/*.pcapng; do
    [ -f "$cap" ] || continue
    name=$(basename "$cap")
    golden="tests/pcap/golden/$name.jsonl"
    [ -f "$golden" ] || { echo "no golden for $cap (run make goldens)"; exit 1; }
    "$B/certsensor" -r "$cap" -o "$TMP/$name.jsonl" $(keys "$cap") --ca-file pcaps/certgen-roots.pem
    if ! cmp -s "$golden" "$TMP/$name.jsonl"; then
        echo "output of $cap differs from $golden:"
        diff "$golden" "$TMP/$name.jsonl" | head -20
        exit 1
    fi
    n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "no sample captures in pcaps/"; exit 1; }
echo "$n goldens match"
