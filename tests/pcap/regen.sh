#!/usr/bin/env bash
# Rewrite tests/pcap/golden/ from the current sensor. Review `git diff` after.
set -eu
SENSOR=${1:?usage: regen.sh CERTSENSOR}
cd "$(dirname "$0")/../.."
mkdir -p tests/pcap/golden
rm -f tests/pcap/golden/*.jsonl
for cap in pcaps/*.pcap pcaps/*.pcapng; do
    [ -f "$cap" ] || continue
    "$SENSOR" -r "$cap" -o "tests/pcap/golden/$(basename "$cap").jsonl"
done
ls tests/pcap/golden
