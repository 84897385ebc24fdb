#!/usr/bin/env bash
# Rewrite tests/pcap/golden/ from the current sensor. Review `git diff` after.
#   tests/pcap/regen.sh CERTSENSOR [SHARED_DIR]
# The per-capture goldens of pcaps/, then (when SHARED_DIR/pcaps exists, default
# ../shared) the rows of golden/shared-alerts.tsv; that step fails while a check in
# the rows has no review note in the file's header.
set -eu
SENSOR=${1:?usage: regen.sh CERTSENSOR [SHARED_DIR]}
SHARED=${2:-../shared}
cd "$(dirname "$0")/../.."
mkdir -p tests/pcap/golden
rm -f tests/pcap/golden/*.jsonl
# the capture's key log, when it has one (goldens show decrypted certificates too);
# the generator's roots as the trust store, so no golden depends on the machine
keys() { [ -f "$1.keys" ] && printf -- '--keylog %s' "$1.keys"; }
for cap in pcaps/*.pcap pcaps/*.pcapng; do
    [ -f "$cap" ] || continue
    "$SENSOR" -r "$cap" -o "tests/pcap/golden/$(basename "$cap").jsonl" $(keys "$cap") --ca-file pcaps/certgen-roots.pem
done
ls tests/pcap/golden
if [ -d "$SHARED/pcaps" ]; then
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/csregen.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    bash tests/pcap/shared_alerts.sh "$(dirname "$SENSOR")" "$tmp" "$SHARED" --write
else
    echo "$SHARED/pcaps absent: golden/shared-alerts.tsv left as it is"
fi
