#!/usr/bin/env bash
# Damaged inputs: one-line error naming the file and the position, non-zero
# exit, and every event found before the damage still written.
set -eu
B=$1 TMP=$2
S="$B/certsensor"
src=pcaps/tls12-chain.pcap
size=$(stat -c %s "$src")

expect_fail() { # name, file, pattern in stderr
    set +e
    "$S" -r "$2" -o "$TMP/$1.jsonl" 2> "$TMP/$1.err"
    rc=$?
    set -e
    [ "$rc" = 1 ] || { echo "$1: exit $rc, expected 1"; cat "$TMP/$1.err"; exit 1; }
    grep -q "$2" "$TMP/$1.err" || { echo "$1: error does not name the file"; cat "$TMP/$1.err"; exit 1; }
    grep -Eq "$3" "$TMP/$1.err" || { echo "$1: error lacks '$3'"; cat "$TMP/$1.err"; exit 1; }
    test "$(wc -l < "$TMP/$1.err")" = 1 || { echo "$1: more than one line"; cat "$TMP/$1.err"; exit 1; }
}

: > "$TMP/empty.pcap"
expect_fail empty "$TMP/empty.pcap" 'byte 0'
head -c 10 "$src" > "$TMP/hdr10.pcap"
expect_fail hdr10 "$TMP/hdr10.pcap" 'byte 0'
head -c 4096 /dev/urandom > "$TMP/garbage.pcap"
expect_fail garbage "$TMP/garbage.pcap" 'byte 0'
expect_fail missing "$TMP/does-not-exist.pcap" 'byte 0'

# cut inside the last packet: the handshake before it is still reported
head -c $((size - 7)) "$src" > "$TMP/cut.pcap"
expect_fail cut "$TMP/cut.pcap" 'packet [0-9]+ at byte offset [0-9]+'
grep -q '"event_type":"tls"' "$TMP/cut.jsonl"
full=$("$S" -r "$src" --no-stats | python3 -c 'import json,sys; print(sum(len(e["tls"]["server_certs"]) for e in map(json.loads, sys.stdin) if e["event_type"] == "tls"))')
cut=$(python3 -c 'import json,sys; print(sum(len(e["tls"]["server_certs"]) for e in map(json.loads, open(sys.argv[1])) if e["event_type"] == "tls"))' "$TMP/cut.jsonl")
[ "$full" = "$cut" ] && [ "$full" -gt 0 ] || { echo "certs before damage lost: $cut of $full"; exit 1; }

# a damaged file among good ones: the others are still read, exit 1
set +e
"$S" -r "$src" -r "$TMP/garbage.pcap" -r pcaps/tls12-mtls.pcap -o "$TMP/mixed.jsonl" 2>/dev/null
rc=$?
set -e
[ "$rc" = 1 ]
test "$(grep -c '"event_type":"tls"' "$TMP/mixed.jsonl")" -ge 2

# every truncation of the first 300 bytes: never a crash, never a hang
for n in $(seq 0 300); do
    head -c "$n" "$src" > "$TMP/t.pcap"
    set +e
    timeout 10 "$S" -r "$TMP/t.pcap" -o /dev/null 2>/dev/null
    rc=$?
    set -e
    [ "$rc" -le 1 ] || { echo "truncated at $n: exit $rc"; exit 1; }
done
echo ok
