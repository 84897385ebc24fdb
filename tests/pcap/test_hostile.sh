#!/usr/bin/env bash
# Hostile traffic, small and fast (make bench-hostile runs the full-size ones):
# `certgen hostile --small` makes a SYN flood larger than the flow table, a
# 16 MiB handshake message declared and sent, a Certificate message of 2,000
# certificates, real handshakes whose segments overlap with other bytes, and
# garbage flows with TLS record headers over a small memcap. Each capture has
# legitimate TLS sessions mixed in. The counters must say what happened, and
# every legitimate session (and every hostile one whose certificates a sensor
# can still see) must come out with exactly its certificates.
set -eu
B=$1 TMP=$2
D=$TMP/hostile
"$B/gen/certgen" hostile --small "$D" syn-flood huge-handshake long-chain overlap-disagree \
    tls-header-every-port >/dev/null

# check NAME "SENSOR OPTIONS" EXPECTATIONS...
check() {
    local name=$1 opts=$2
    shift 2
    echo "$name ($opts):"
    # shellcheck disable=SC2086
    "$B/certsensor" -r "$D/$name.pcap" -o "$D/$name.jsonl" $opts
    local args=()
    for e in "$@"; do args+=(--expect "$e"); done
    python3 tests/bench/hostile_check.py --require-legit "${args[@]}" "$D/$name.truth.jsonl" \
        "$D/$name.jsonl"
}

# 2,000 SYN-only flows through a 512-slot table: the oldest idle flows go, the
# legitimate sessions (a packet every 16 SYNs) stay
check syn-flood "--max-flows 512" "flows_evicted>1000" "flows_created>2000"
# one Certificate message of 16 MiB - 1 bytes: over --hs-max, skipped and counted once
check huge-handshake "" "tls_handshake_too_large==1" "memcap_hits==0"
# 2,000 certificates: the first 16 reported, the chain marked truncated
check long-chain "" "tls_chain_truncated==1" "tls_handshake_too_large==0"
# held segments overlapped by others with other bytes: counted, the first bytes win
check overlap-disagree "" "tcp_overlaps_differ>5" "tcp_retransmits>2"
# 2,000 flows of garbage announcing handshake messages of up to 2 MiB, over a
# 16 MiB memcap: [TLS-HS-GROW] no flow costs what it announces, [MEMCAP-EVICT]
# idle flows are evicted to make room, so later legitimate sessions are still seen
check tls-header-every-port "--memcap 16 --max-flows 4096" "flows_evicted>0" \
    "tls_handshake_too_large==0"
