#!/bin/sh
# run.sh SECONDS HARNESS...: runs each built harness (tests/out/fuzz/NAME) for SECONDS
# with libFuzzer, seeded from tests/fuzz/corpus/NAME (and, for the trace reader, the
# reader's regression files in tests/data/trace-corpus). New inputs the fuzzer finds go
# to tests/out/fuzz/NAME.corpus (not kept); an input that crashes, hangs (10 s) or trips
# a sanitizer is saved as tests/out/fuzz/NAME-crash-... and fails the run: fix the bug,
# then copy the input into tests/fuzz/corpus/NAME/ so every later run replays it.
# FUZZ_SEED (environment), when set and not empty, is libFuzzer's -seed: the same
# mutations every run, so a failure is one the same commit always shows (CI sets it).
set -u
secs=$1
shift
src=$(cd "$(dirname "$0")/../.." && pwd)
out=tests/out/fuzz
failed=
seed=
[ -n "${FUZZ_SEED:-}" ] && seed=-seed=$FUZZ_SEED
for h in "$@"; do
    extra=
    [ "$h" = trace_reader ] && extra=$src/tests/data/trace-corpus
    mkdir -p "$out/$h.corpus"
    echo "== fuzz $h for ${secs}s"
    if ! "$out/$h" $seed -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -print_final_stats=1 -artifact_prefix="$out/$h-" "$out/$h.corpus" \
        "$src/tests/fuzz/corpus/$h" $extra >"$out/$h.log" 2>&1; then
        failed="$failed $h"
        tail -n 40 "$out/$h.log"
    fi
    # The closing lines: executions, coverage, corpus.
    grep -E '^(#[0-9]+[[:space:]]+DONE|Done [0-9]+ runs)' "$out/$h.log" || true
done
if [ -n "$failed" ]; then
    echo "fuzz: failed:$failed (inputs in $out/)" >&2
    exit 1
fi
