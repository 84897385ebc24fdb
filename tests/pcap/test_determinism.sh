#!/usr/bin/env bash
# Offline runs are deterministic: same input and options, same bytes.
set -eu
B=$1 TMP=$2 SHARED=$3
caps=(pcaps/*.pcap*)
if [ -d "$SHARED/pcaps" ]; then
    caps+=("$SHARED"/pcaps/*.pcap "$SHARED"/pcaps/*.pcapng)
fi
args=()
for c in "${caps[@]}"; do
    case "$c" in *.keys) continue ;; esac
    [ -f "$c" ] && args+=(-r "$c")
done
"$B/certsensor" "${args[@]}" -o "$TMP/det1.jsonl" --anomalies || true
"$B/certsensor" "${args[@]}" -o "$TMP/det2.jsonl" --anomalies || true
cmp "$TMP/det1.jsonl" "$TMP/det2.jsonl"
test "$(grep -c '"event_type":"tls"' "$TMP/det1.jsonl")" -gt 0
echo "$(wc -l < "$TMP/det1.jsonl") identical lines"
