#!/usr/bin/env bash
# The two simulation kernels agree: every workload in workloads/ and every regression
# scenario, run once on run.kernel = native and once on systemc, gives byte-identical
# results.csv and per-point statistics (but the kernel's own name), event counts
# included. kernel.h defines the same-time order both must keep. Run by `make check`,
# from the top of the source tree (scenarios name sample traces relative to it).
set -u
. "$(dirname "$0")/lib.sh" kernels
cd "$TOP" || exit 1

for wl in workloads/*.ini tests/regress/*.ini; do
    name=$(echo "${wl%.ini}" | tr / _)
    for k in native systemc; do
        "$IOVSIM" run "$wl" --set run.kernel=$k --out "$OUT/$name-$k" -q --no-plots -j 2 \
            >/dev/null 2>"$OUT/err" || bad "$wl on the $k kernel runs"
    done
    if ! cmp -s "$OUT/$name-native/results.csv" "$OUT/$name-systemc/results.csv"; then
        bad "$wl: results.csv differs between the kernels"
        diff "$OUT/$name-native/results.csv" "$OUT/$name-systemc/results.csv" | head -n 6
        continue
    fi
    differ=
    for st in "$OUT/$name-native"/points/*/stats.txt; do
        other="$OUT/$name-systemc/${st#"$OUT/$name-native/"}"
        if ! cmp -s <(grep -v '^sim\.kernel ' "$st") <(grep -v '^sim\.kernel ' "$other"); then
            differ="$differ ${st#"$OUT/$name-native/points/"}"
        fi
    done
    if [ -n "$differ" ]; then
        bad "$wl: statistics differ between the kernels:$differ"
    else
        ok "$wl: the kernels agree ($(($(wc -l <"$OUT/$name-native/results.csv") - 1)) points)"
    fi
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
