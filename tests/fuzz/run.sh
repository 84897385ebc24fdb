#!/usr/bin/env bash
# Runs one libFuzzer target for a while and keeps what it learnt.
#   tests/fuzz/run.sh BUILD_DIR TARGET SECS      (make fuzz-run T=TARGET SECS=N)
#
# The fuzzer works on a scratch copy of tests/fuzz/corpus/TARGET; at the end
# only the inputs that add coverage to the committed corpus are merged back
# (libFuzzer -merge=1), within a byte budget per target, so the corpus grows
# slowly and stays small. Crash, leak and timeout inputs go to
# tests/fuzz/crashes/TARGET/ (not committed: a crash that was fixed goes into
# the corpus, where the replay test keeps it). Prints executions, coverage
# (cov: edges, ft: features) and findings; exit status 1 if the target crashed.
set -u
B=${1:?usage: run.sh BUILD_DIR TARGET SECS}
T=${2:-}
SECS=${3:-60}
cd "$(dirname "$0")/../.." || exit 2

targets=$(ls tests/fuzz/fuzz_*.c 2>/dev/null | sed 's|.*/fuzz_||; s|\.c$||' | tr '\n' ' ')
if [ -z "$T" ]; then
    echo "usage: make fuzz-run T=TARGET [SECS=N]; targets: $targets" >&2
    exit 2
fi
bin=$B/fuzz_$T
if [ ! -x "$bin" ]; then
    echo "run.sh: $bin: no such fuzz target (targets: $targets)" >&2
    exit 2
fi

# Longest input per target (a bit over the largest real unit of input), and
# the bytes of found inputs the committed corpus may hold (seeds aside):
# together about 100 KB, so the corpora stay well under 300 KB.
case $T in
feed) max_len=65536 budget=40000 ;;        # a short capture
tls_record) max_len=32768 budget=16000 ;;  # a few records, up to 18 KB each
tls_decrypt) max_len=20480 budget=12000 ;; # key material and one largest record
tls_hs) max_len=16384 budget=12000 ;;      # one handshake message
x509) max_len=8192 budget=12000 ;;         # one certificate
keylog) max_len=8192 budget=6000 ;;        # a few dozen key log lines
decode) max_len=4096 budget=8000 ;;        # one frame
*) max_len=16384 budget=8000 ;;
esac

corpus=tests/fuzz/corpus/$T
crashes=tests/fuzz/crashes/$T
mkdir -p "$corpus" "$crashes"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/csfuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/corpus"
cp -p "$corpus"/. "$scratch/corpus/" 2>/dev/null || cp -rp "$corpus"/. "$scratch/corpus/"
before=$(ls "$corpus" | wc -l)
dict=()
[ -f "tests/fuzz/$T.dict" ] && dict=("-dict=tests/fuzz/$T.dict")

echo "fuzz $T: ${SECS}s, max_len $max_len, corpus $before inputs"
"$bin" -max_total_time="$SECS" -max_len="$max_len" -timeout=25 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$crashes/" "${dict[@]}" \
    "$scratch/corpus" >"$scratch/log" 2>&1
rc=$?

# New interesting inputs only: judged on edges alone (-use_counters=0, about
# half the files that edges plus hit counts would keep), merged into a copy of
# the committed corpus; then the new files, smallest first, while the target's
# byte budget for found inputs (seed-* files not counted) lasts.
mkdir "$scratch/merged"
cp -p "$corpus"/. "$scratch/merged/" 2>/dev/null || cp -rp "$corpus"/. "$scratch/merged/"
"$bin" -merge=1 -use_counters=0 -max_len="$max_len" -artifact_prefix="$crashes/" \
    "$scratch/merged" "$scratch/corpus" >"$scratch/merge.log" 2>&1
used=$(find "$corpus" -type f ! -name 'seed-*' -printf '%s\n' | awk '{s += $1} END {print s + 0}')
kept=0
dropped=0
while read -r sz f; do
    [ -e "$corpus/$f" ] && continue
    if [ $((used + sz)) -le "$budget" ]; then
        cp -p "$scratch/merged/$f" "$corpus/$f"
        used=$((used + sz))
        kept=$((kept + 1))
    else
        dropped=$((dropped + 1))
    fi
done < <(find "$scratch/merged" -type f -printf '%s %f\n' | sort -n)
after=$(ls "$corpus" | wc -l)

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/log" | tail -n 1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$scratch/log" | tail -n 1)
rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$scratch/log" | tail -n 1)
last=$(grep -E '^#[0-9]+.*cov: ' "$scratch/log" | tail -n 1)
cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
bytes=$(cat "$corpus"/* 2>/dev/null | wc -c)

echo "fuzz $T: execs ${execs:-?} (${rate:-?}/s), cov ${cov:-?}, ft ${ft:-?}, peak rss ${rss:-?} MB"
echo "fuzz $T: corpus $before -> $after inputs ($bytes bytes; $kept new kept, $dropped over the budget of $budget bytes)"
if [ "$rc" -ne 0 ]; then
    echo "fuzz $T: FAILED (exit $rc); the report:"
    grep -E -A 30 '^==[0-9]+==ERROR|runtime error|property broken|ERROR: libFuzzer' "$scratch/log" |
        head -n 60 | sed 's/^/    /'
    echo "fuzz $T: artifacts in $crashes/:"
    ls -l "$crashes" | sed 's/^/    /'
    echo "reproduce: $B/tests/replay_$T $crashes/<file>   (or $bin <file>)"
    exit 1
fi
echo "fuzz $T: no findings"
