#!/usr/bin/env bash
# make bench: speed and memory figures (printed, never asserted).
#   tests/bench/run.sh BUILD_DIR SHARED_DIR [small|large]
# Builds ../shared/bench's captures once into build/bench/ (deterministic
# bytes), then measures, in the same run, CPU seconds and peak RSS of the
# libpcap floor program and of certsensor (median of N runs).
set -eu
B=${1:?} SHARED=${2:?} SIZE=${3:-${BENCH_SIZE:-large}}
cd "$(dirname "$0")/../.."
W=build/bench
mkdir -p "$W"
if [ ! -d "$SHARED/bench" ]; then
    echo "bench: $SHARED/bench not present; nothing to measure"
    exit 0
fi
cap="$W/bench-$SIZE.pcap"
if [ ! -f "$cap" ]; then
    echo "bench: building $cap from $SHARED/bench/base.pcap (one time)"
    bash "$SHARED/bench/make-bench.sh" "$W" >/dev/null
fi
cc -O2 -o "$W/pcap_floor" "$SHARED/bench/pcap_floor.c" -lpcap
cc -O2 -o "$W/runstat" tests/bench/runstat.c
python3 tests/bench/measure.py --runs "${BENCH_RUNS:-3}" --cap "$cap" \
    --floor "$W/pcap_floor" --sensor "$B/certsensor" --out "$W" --runstat "$W/runstat" \
    --expected "$SHARED/bench/base.pcap.expected.json" --base "$SHARED/bench/base.pcap"
