#!/usr/bin/env bash
# Runs every test of the project against one build variant.
#   tests/run_tests.sh BUILD_DIR [SHARED_DIR]
# Ends with the line "N passed, N failed"; exit status 1 if anything failed.
set -u
B=${1:?usage: run_tests.sh BUILD_DIR [SHARED_DIR]}
SHARED=${2:-../shared}
cd "$(dirname "$0")/.." || exit 2
SENSOR="$B/certsensor"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cstest.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0
failed=()

# run NAME CMD...: one test, its output kept in $TMP/NAME.log
run() {
    local name=$1
    shift
    if "$@" >"$TMP/$name.log" 2>&1; then
        pass=$((pass + 1))
        echo "ok    $name"
    else
        fail=$((fail + 1))
        failed+=("$name")
        echo "FAIL  $name"
        tail -n 25 "$TMP/$name.log" | sed 's/^/      /'
    fi
}

echo "== unit tests ($B)"
for t in "$B"/tests/test_*; do
    [ -x "$t" ] || continue
    run "unit:$(basename "$t")" "$t"
done

echo "== capture tests"
for t in tests/pcap/test_*.sh; do
    [ -f "$t" ] || continue
    run "pcap:$(basename "$t" .sh)" bash "$t" "$B" "$TMP" "$SHARED"
done

if [ -d "$SHARED/pcaps" ]; then
    echo "== shared corpus ($SHARED/pcaps)"
    run "shared:certscore" bash tests/pcap/shared_corpus.sh "$B" "$TMP" "$SHARED"
    run "shared:alerts" bash tests/pcap/shared_alerts.sh "$B" "$TMP" "$SHARED"
else
    echo "== shared corpus: $SHARED/pcaps not present, skipped"
fi

if [ -d tests/fuzz/corpus ] && ls "$B"/tests/replay_* >/dev/null 2>&1; then
    echo "== fuzz corpus replay"
    for r in "$B"/tests/replay_*; do
        tgt=$(basename "$r")
        tgt=${tgt#replay_}
        [ -d "tests/fuzz/corpus/$tgt" ] || continue
        run "fuzz-replay:$tgt" "$r" "tests/fuzz/corpus/$tgt"
    done
fi

echo
if [ "$fail" -gt 0 ]; then
    echo "failed: ${failed[*]}"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
