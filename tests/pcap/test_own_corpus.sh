#!/usr/bin/env bash
# pcaps/ (made by tests/gen with real OpenSSL handshakes) scored against the
# generator's own record of what it put on the wire (pcaps/expected.jsonl,
# written from OpenSSL's view of the configured chains, not by the sensor).
set -eu
B=$1 TMP=$2 SHARED=$3
out=$(python3 "$SHARED/tools/certscore.py" --corpus pcaps --sensor "$B/certsensor" \
      --out "$TMP/own" --timeout 120)
echo "$out"
echo "$out" | tail -n 1 | grep -q '^recall=1.0000 precision=1.0000 .* crashes=0 timeouts=0 bad_json=0$'
