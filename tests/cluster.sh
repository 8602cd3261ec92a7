#!/usr/bin/env bash
# Sweeps beyond one machine: --list-points through GNU parallel, a Slurm job array,
# `iovsim merge` (byte-identical results.csv to a local -j run whatever the order or
# the folders the points ran in), and --resume after a sweep is killed halfway. Run by
# `make check` (IOVSIM and TOP_SRCDIR come from the test environment).
set -u
. "$(dirname "$0")/lib.sh" cluster
case $IOVSIM in /*) ;; *) IOVSIM="$PWD/$IOVSIM" ;; esac
SMALL="$(cd "$TOP" && pwd)/tests/data/cli/small.ini"

check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

if ! command -v parallel >/dev/null 2>&1; then
    echo "GNU parallel is needed (Debian package parallel; ./bootstrap installs it)"
    exit 1
fi

# Six points: 3 seeds x 2 kernels.
SWEEP=(--sweep run.seed=1..3)
expect 0 "" "the local reference run (-j 2)" -- \
    "$IOVSIM" run "$SMALL" "${SWEEP[@]}" --out "$OUT/local" -j 2 -q
REF="$OUT/local/results.csv"

# ---- --list-points ----------------------------------------------------------------
mkdir -p "$OUT/elsewhere"
(cd "$OUT/elsewhere" && "$IOVSIM" run "$SMALL" "${SWEEP[@]}" --out rel --list-points) \
    >"$OUT/lines" 2>"$OUT/err"
check "--list-points prints one line per point" [ "$(wc -l <"$OUT/lines")" = 6 ]
lines_ok=1
i=0
while IFS= read -r line; do
    case $line in
    "'/"*"/iovsim' run '$SMALL' --sweep 'run.seed=1..3' --out '$OUT/elsewhere/rel' --point $i") ;;
    *) lines_ok=0; echo "    unexpected line: $line" ;;
    esac
    i=$((i + 1))
done <"$OUT/lines"
check "each line has absolute paths, the overrides and its own --point" [ "$lines_ok" = 1 ]
check "listing runs nothing" [ ! -e "$OUT/elsewhere/rel" ]

# ---- GNU parallel, from another folder, then merge ----------------------------------
"$IOVSIM" run "$SMALL" "${SWEEP[@]}" --out "$OUT/par" --list-points >"$OUT/plines"
(cd / && parallel -j 2 --halt now,fail=1 <"$OUT/plines") >"$OUT/out" 2>"$OUT/err"
check "GNU parallel runs every listed point" eval '[ $? = 0 ] && [ "$(ls -d "$OUT"/par/points/*/ | wc -l)" = 6 ]'
check "a point run writes no results.csv of its own" [ ! -e "$OUT/par/results.csv" ]
expect 0 "merged: .*6 points" "iovsim merge DIR assembles the points in place" -- "$IOVSIM" merge "$OUT/par"
check "results.csv through GNU parallel is byte-identical to the local -j run" cmp "$REF" "$OUT/par/results.csv"

# ---- points run in two places, merged in either order -------------------------------
sed -n '1~2p' "$OUT/plines" | sed "s|$OUT/par|$OUT/half1|" | bash >/dev/null 2>&1
sed -n '2~2p' "$OUT/plines" | sed "s|$OUT/par|$OUT/half2|" | tac | bash >/dev/null 2>&1
expect 0 "" "merge OUT DIR1 DIR2" -- "$IOVSIM" merge "$OUT/m12" "$OUT/half1" "$OUT/half2" -q
expect 0 "" "merge OUT DIR2 DIR1" -- "$IOVSIM" merge "$OUT/m21" "$OUT/half2" "$OUT/half1" -q
check "merged halves equal the local run, in both orders" \
    eval 'cmp -s "$REF" "$OUT/m12/results.csv" && cmp -s "$REF" "$OUT/m21/results.csv"'
check "the merged folder has every point's files" \
    eval '[ "$(ls "$OUT"/m12/points/*/stats.txt | wc -l)" = 6 ] && [ -s "$OUT/m12/sweep.txt" ]'

expect 1 "3 of 6 points missing.*0, 2, 4" "merging a partial run lists the missing points" -- \
    "$IOVSIM" merge "$OUT/part" "$OUT/half2"
check "missing points are rows that say not run" \
    eval '[ "$(grep -c ",error,.*not run$" "$OUT/part/results.csv")" = 3 ]'
expect 0 "" "merging the rest into it completes it" -- "$IOVSIM" merge "$OUT/part" "$OUT/half1" -q
check "... to the same results.csv" cmp "$REF" "$OUT/part/results.csv"

"$IOVSIM" run "$SMALL" --sweep run.seed=7..8 --out "$OUT/other" -q
expect 2 "hold different sweeps" "merging folders of different sweeps is refused" -- \
    "$IOVSIM" merge "$OUT/mx" "$OUT/local" "$OUT/other"
expect 2 "not an iovsim results folder" "merging a folder that is no results folder" -- \
    "$IOVSIM" merge "$OUT/my" "$OUT/elsewhere"
expect 2 "holds another sweep \(this run against its sweep\.txt: 4 points against 6\): use another --out folder for this one" "a point into a folder of another sweep is refused" -- \
    "$IOVSIM" run "$SMALL" --out "$OUT/local" --point 0 -q
expect 2 "--point 6: the workload has 6 points" "--point past the last point" -- \
    "$IOVSIM" run "$SMALL" "${SWEEP[@]}" --out "$OUT/x" --point 6
expect 2 "--point needs --out" "--point without --out" -- "$IOVSIM" run "$SMALL" --point 0
expect 2 "exclude each other" "--list-points with --emit-slurm" -- \
    "$IOVSIM" run "$SMALL" --list-points --emit-slurm "$OUT/s"

# ---- Slurm -----------------------------------------------------------------------------
# Run each array task the way Slurm would (SLURM_ARRAY_TASK_ID over the --array range)
# and record which points ran.
run_array() {
    local script=$1 log=$2 range lo hi
    range=$(sed -n 's/^#SBATCH --array=//p' "$script")
    lo=${range%-*}
    hi=${range#*-}
    : >"$log"
    for ((t = lo; t <= hi; t++)); do
        SLURM_ARRAY_TASK_ID=$t bash "$script" >>"$log" 2>&1 || echo "task $t failed" >>"$log"
    done
}
for max in 1000 2; do
    S="$OUT/slurm$max"
    expect 0 "sbatch" "--emit-slurm (array max $max) writes the script" -- \
        "$IOVSIM" run "$SMALL" "${SWEEP[@]}" --emit-slurm "$S" --slurm-array-max "$max"
    check "the script passes bash -n" bash -n "$S/iovsim.sbatch"
    check "the points file has one line per point" [ "$(wc -l <"$S/points.txt")" = 6 ]
    want=$([ "$max" = 2 ] && echo 0-2 || echo 0-5)
    check "its array is $want" grep -q "^#SBATCH --array=$want\$" "$S/iovsim.sbatch"
    run_array "$S/iovsim.sbatch" "$OUT/slog"
    check "the array runs every point exactly once (array max $max)" \
        eval '! grep -q failed "$OUT/slog" &&
              [ "$(sed -n "s/.*\] point \([0-9]*\) .*ok.*/\1/p" "$OUT/slog" | sort -n | tr "\n" " ")" = "0 1 2 3 4 5 " ]'
    expect 0 "" "iovsim merge after the array" -- "$IOVSIM" merge "$S" -q
    check "the array's results.csv equals the local run's" cmp "$REF" "$S/results.csv"
done
check "the script refuses to run outside a job array (no task id)" \
    eval '! SLURM_ARRAY_TASK_ID= bash "$OUT/slurm2/iovsim.sbatch" >/dev/null 2>&1'

# ---- killed halfway, then --resume ------------------------------------------------------
# Eight points of about half a second each, two at a time.
LONG=("$SMALL" --set run.kernel=native --sweep run.seed=1..8 --set run.duration_us=4e6 -q -j 2)
expect 0 "" "an uninterrupted run of the long sweep" -- "$IOVSIM" run "${LONG[@]}" --out "$OUT/whole"
for sig in TERM KILL; do
    K="$OUT/killed-$sig"
    "$IOVSIM" run "${LONG[@]}" --out "$K" 2>"$OUT/err" &
    pid=$!
    for _ in $(seq 600); do
        [ "$(ls "$K"/points/*/result.txt 2>/dev/null | wc -l)" -ge 2 ] && break
        sleep 0.02
    done
    kill -"$sig" "$pid"
    wait "$pid"
    status=$?
    sleep 0.5
    done_then=$(ls "$K"/points/*/result.txt 2>/dev/null | wc -l)
    sleep 1
    done_later=$(ls "$K"/points/*/result.txt 2>/dev/null | wc -l)
    check "SIG$sig stops the sweep halfway ($done_then of 8 done, exit $status)" \
        eval '[ "$status" -gt 128 ] && [ "$done_then" -ge 2 ] && [ "$done_then" -lt 8 ] && [ ! -e "$K/results.csv" ]'
    check "after SIG$sig no point goes on in the background" [ "$done_later" = "$done_then" ]
    [ "$sig" = TERM ] && check "SIGTERM says how to go on" grep -q -- "--resume" "$OUT/err"
    expect 0 "" "--resume after SIG$sig" -- "$IOVSIM" run "${LONG[@]}" --out "$K" --resume
    check "--resume after SIG$sig finishes with the uninterrupted results.csv" \
        cmp "$OUT/whole/results.csv" "$K/results.csv"
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
