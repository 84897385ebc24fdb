#!/usr/bin/env bash
# make bench-hostile (or BENCH_HOSTILE=1 make bench): the sensor against
# captures that attack its bounds, each with a few legitimate TLS sessions
# mixed in.
#   tests/bench/hostile.sh BUILD_DIR
# `certgen hostile` (tests/gen/hostile.c) writes the captures and the ground
# truth of every session whose certificates are known into build/hostile/
# (made once, again when certgen changes; never committed). For each capture:
# size, peak RSS and CPU seconds of the sensor (tests/bench/runstat), whether
# every legitimate session's certificates were found, and the counters that
# say what was dropped and why. Figures are printed, never asserted; the exit
# status is 1 only if the sensor failed or a session that must be found was
# not.
set -u
B=${1:?usage: hostile.sh BUILD_DIR}
cd "$(dirname "$0")/../.." || exit 2
W=build/hostile
GEN=$B/gen/certgen
SENSOR=$B/certsensor
for f in "$GEN" "$SENSOR"; do
    [ -x "$f" ] || { echo "hostile: $f missing (make VARIANT=release cli gen)" >&2; exit 2; }
done
mkdir -p "$W" build/bench
[ -x build/bench/runstat ] && [ build/bench/runstat -nt tests/bench/runstat.c ] ||
    cc -O2 -o build/bench/runstat tests/bench/runstat.c || exit 2

t0=$(date +%s)
if [ ! -f "$W/.made" ] || [ "$GEN" -nt "$W/.made" ]; then
    echo "hostile: generating captures into $W/"
    rm -f "$W"/*.pcap "$W"/*.truth.jsonl
    "$GEN" hostile "$W" | sed 's/^/  /' || { echo "hostile: certgen failed" >&2; exit 1; }
    touch "$W/.made"
    echo "hostile: generated in $(($(date +%s) - t0)) s"
fi

# Options per capture; defaults otherwise.
#   long-chain: its Certificate message (10,000 certificates, ~4 MB) is over the
#   default --hs-max of 2 MiB, which would only count it as too large; raised so
#   the 10,000 entries are parsed and the chain truncated at 16.
opts_for() {
    case $1 in
    long-chain) echo "--hs-max 8388608" ;;
    *) echo "" ;;
    esac
}

status=0
for name in syn-flood ooo-flood huge-handshake long-chain overlap-disagree record-extremes \
    tls-header-every-port tiny-snaplen; do
    cap=$W/$name.pcap
    out=$W/$name.jsonl
    opts=$(opts_for "$name")
    size=$(stat -c %s "$cap")
    # shellcheck disable=SC2086
    build/bench/runstat "$SENSOR" -r "$cap" -o "$out" $opts 2>"$W/$name.err"
    rc=$?
    line=$(grep '^runstat ' "$W/$name.err" | tail -n 1)
    cpu=$(sed -n 's/.*cpu_s=\([0-9.]*\).*/\1/p' <<<"$line")
    rss=$(sed -n 's/.*maxrss_kib=\([0-9]*\).*/\1/p' <<<"$line")
    printf '%s: %s MB, %s\n' "$name" "$(awk -v b="$size" 'BEGIN { printf "%.1f", b / 1e6 }')" \
        "$(head -n 1 "$W/$name.truth.jsonl" | python3 -c 'import json,sys
s = json.load(sys.stdin)
skip = {"what", "capture", "small", "bytes"}
print(", ".join(f"{k} {v}" for k, v in s.items() if k not in skip))')"
    printf '  sensor%s: peak RSS %s MiB, CPU %s s, exit %s\n' "${opts:+ $opts}" \
        "$(awk -v k="${rss:-0}" 'BEGIN { printf "%.1f", k / 1024 }')" "${cpu:-?}" "$rc"
    if [ "$rc" -ne 0 ]; then
        echo "  FAILED:"
        grep -v '^runstat ' "$W/$name.err" | tail -n 20 | sed 's/^/    /'
        status=1
        continue
    fi
    python3 tests/bench/hostile_check.py "$W/$name.truth.jsonl" "$out" || status=1
done
echo "hostile: $(($(date +%s) - t0)) s in all"
[ "$status" -eq 0 ] && echo "hostile: every session that must be found was found" ||
    echo "hostile: FAILURES above (a crash or lost sessions is a bug)"
exit "$status"
