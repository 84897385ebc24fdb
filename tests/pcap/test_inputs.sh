#!/usr/bin/env bash
# Several -r in one run are read in order; "-r -" reads stdin; a BPF filter
# given as trailing arguments applies; -o - writes to stdout.
set -eu
B=$1 TMP=$2
S="$B/certsensor"
a=pcaps/tls12-chain.pcap
b=pcaps/tls12-mtls.pcap
"$S" -r "$a" -o "$TMP/a.jsonl" --no-stats
"$S" -r "$b" -o "$TMP/b.jsonl" --no-stats
"$S" -r "$a" -r "$b" -o "$TMP/ab.jsonl" --no-stats
cat "$TMP/a.jsonl" "$TMP/b.jsonl" | grep -c '"event_type":"tls"' > "$TMP/n_sep"
grep -c '"event_type":"tls"' "$TMP/ab.jsonl" > "$TMP/n_both"
cmp "$TMP/n_sep" "$TMP/n_both"
# stdin gives the same bytes as the file
"$S" -r - -o "$TMP/stdin.jsonl" --no-stats < "$a"
cmp "$TMP/a.jsonl" "$TMP/stdin.jsonl"
"$S" -r "$a" --no-stats > "$TMP/stdout.jsonl"
cmp "$TMP/a.jsonl" "$TMP/stdout.jsonl"
# a filter that excludes every packet gives no tls event
"$S" -r "$a" -o "$TMP/none.jsonl" --no-stats udp
test ! -s "$TMP/none.jsonl"
# a filter that keeps the TLS port gives the same events
"$S" -r "$a" -o "$TMP/port.jsonl" --no-stats tcp
cmp "$TMP/a.jsonl" "$TMP/port.jsonl"
# usage errors exit 2 with a message naming the option
set +e
"$S" -r "$a" --max-flows abc 2> "$TMP/err"; rc=$?
set -e
test "$rc" = 2
grep -q -- '--max-flows' "$TMP/err"
echo ok
