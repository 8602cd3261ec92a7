#!/usr/bin/env bash
# The two simulation kernels agree: every workload in workloads/ and every regression
# scenario, run once on run.kernel = native and once on systemc, gives byte-identical
# results.csv and per-point statistics, histograms and time series (but the kernel's
# own name), event counts included. kernel.h defines the same-time order both must keep. Run by
# `make check`, from the top of the source tree (scenarios name sample traces
# relative to it). A run that fails is reported with its stderr and not compared.
set -u
. "$(dirname "$0")/lib.sh" kernels
cd "$TOP" || exit 1

# Every point's statistics, histograms, time series and marks of one results folder, in
# one stream for cmp (one grep per workload, not per point), but the line that names the
# kernel.
points() {
    (
        cd "$1" || exit 1
        shopt -s nullglob
        files=(points/*/stats.txt points/*/hists.txt points/*/timeseries.csv points/*/events.csv)
        grep -Hv '^sim\.kernel ' "${files[@]}" </dev/null
    ) >"$1.points"
}

for wl in workloads/*.ini tests/regress/*.ini; do
    name=$(echo "${wl%.ini}" | tr / _)
    ran=yes
    for k in native systemc; do
        # bad shows the head of $OUT/err: this run's stderr.
        "$IOVSIM" run "$wl" --set run.kernel=$k --out "$OUT/$name-$k" -q --no-plots -j 2 \
            >/dev/null 2>"$OUT/err" || { bad "$wl on the $k kernel runs"; ran=; }
        rm -f "$OUT/err"
    done
    [ -n "$ran" ] || continue
    if ! cmp -s "$OUT/$name-native/results.csv" "$OUT/$name-systemc/results.csv"; then
        bad "$wl: results.csv differs between the kernels"
        diff "$OUT/$name-native/results.csv" "$OUT/$name-systemc/results.csv" | head -n 6
        continue
    fi
    points "$OUT/$name-native"
    points "$OUT/$name-systemc"
    if ! cmp -s "$OUT/$name-native.points" "$OUT/$name-systemc.points"; then
        differ=$(diff "$OUT/$name-native.points" "$OUT/$name-systemc.points" |
            sed -n 's|^[<>] points/\([^:]*\):.*|\1|p' | sort -u | paste -sd ' ')
        bad "$wl: statistics or histograms differ between the kernels: $differ"
    else
        ok "$wl: the kernels agree ($(($(wc -l <"$OUT/$name-native/results.csv") - 1)) points)"
    fi
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
