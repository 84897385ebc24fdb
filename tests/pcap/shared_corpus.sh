#!/usr/bin/env bash
# The shared corpus of real captures, scored with the shared oracle
# (expected.jsonl: every certificate occurrence as tshark sees it).
# Target: recall 1.0000, precision 1.0000, no crash, no timeout.
# Certificates that only a key log reveals are left out until the sensor
# decrypts (see README, "Known limits").
set -eu
B=$1 TMP=$2 SHARED=$3
out=$(python3 "$SHARED/tools/certscore.py" --corpus "$SHARED/pcaps" --sensor "$B/certsensor" \
      --skip-decrypted --out "$TMP/shared" --timeout 120)
echo "$out"
echo "$out" | tail -n 1 | grep -q '^recall=1.0000 precision=1.0000 .* crashes=0 timeouts=0 bad_json=0$'

# With key logs: the TLS 1.3 captures whose certificates only decryption
# reveals (AES-128-GCM, AES-256-GCM, ChaCha20, AES-128-CCM with a hybrid
# post-quantum key share, HTTP/2 sessions over IPv4 and IPv6).
files=hotplace-tls13_TLS_AES_128_GCM_SHA256.pcapng,hotplace-tls13_TLS_CHACHA20_POLY1305_SHA256.pcapng
files=$files,hotplace-tls13_TLS_AES_128_CCM_SHA256_X25519MLKEM768.pcapng,it13-capture.pcap
files=$files,hotplace-http2.pcapng
out=$(python3 "$SHARED/tools/certscore.py" --corpus "$SHARED/pcaps" --sensor "$B/certsensor" \
      --files "$files" --out "$TMP/shared-keys" --timeout 120)
echo "$out"
echo "$out" | tail -n 1 | grep -q '^recall=1.0000 precision=1.0000 .* crashes=0 timeouts=0 bad_json=0$'
