#!/usr/bin/env bash
# What the command line says when a user searches or mistypes: params by any part of a
# name, suggestions for options and for every unknown parameter of a file, conflicts
# between parameters naming where each value was set, plot's exit status. Run by
# `make check`.
set -u
. "$(dirname "$0")/lib.sh" messages

# params finds a word anywhere in a name, not only at its start.
expect 0 "iommu\.iotlb_entries" "params iotlb finds iommu.iotlb_*" -- "$IOVSIM" params iotlb
expect 0 "" "params iotlb lists no parameter without iotlb" -- "$IOVSIM" params iotlb
if tail -n +2 "$OUT/out" | grep -v iotlb | grep -q .; then
    bad "params iotlb lists only names containing iotlb"
else
    ok "params iotlb lists only names containing iotlb"
fi
expect 0 "contains WORD" "params --help says it matches any part of a name" -- "$IOVSIM" params --help
expect 2 "no parameter name contains 'zzqq'" "params with a word no name contains" -- \
    "$IOVSIM" params zzqq

# A mistyped option gets the closest one; one far from any gets none.
expect 2 "unknown option '--sets' \(did you mean '--set'\?\)" "run --sets suggests --set" -- \
    "$IOVSIM" run --sets run.seed=2 x.ini
expect 2 "unknown option '--sweeep=run.seed=1' \(did you mean '--sweep'\?\)" \
    "run --sweeep=... suggests --sweep" -- "$IOVSIM" run --sweeep=run.seed=1 x.ini
expect 2 "unknown option '--frob'$" "no suggestion for an option far from any" -- \
    "$IOVSIM" run --frob x.ini
expect 2 "params: unknown option '--markdwon' \(did you mean '--markdown'\?\)" \
    "params --markdwon suggests --markdown" -- "$IOVSIM" params --markdwon
expect 2 "import: unknown option '--form' \(did you mean '--from'\?\)" \
    "trace import --form suggests --from" -- "$IOVSIM" trace import --form linux a b

# Every unknown parameter of a file (and of the files it includes) is reported, each
# with its file:line and the closest name, in reading order.
printf '[run]\nsede = 2\n' >"$OUT/typo-inc.ini"
printf 'include = typo-inc.ini\n[workload]\nkind = mdq\n[run]\nseeed = 3\nduration_us = 1\n[mdq]\nservce_ns = 10\n[sweep]\nrun.warmpu_us = 0, 1\n' >"$OUT/typos.ini"
expect 2 "" "a file with four typos is refused" -- "$IOVSIM" run "$OUT/typos.ini" --out "$OUT/r"
if grep -q "typo-inc\.ini:2: unknown parameter 'run\.sede' (did you mean 'run\.seed'?)" "$OUT/err" &&
    grep -q "typos\.ini:5: unknown parameter 'run\.seeed' (did you mean 'run\.seed'?)" "$OUT/err" &&
    grep -q "typos\.ini:8: unknown parameter 'mdq\.servce_ns' (did you mean 'mdq\.service_ns'?)" "$OUT/err" &&
    grep -q "typos\.ini:10: unknown parameter 'run\.warmpu_us' (did you mean 'run\.warmup_us'?)" "$OUT/err" &&
    [ "$(grep -c 'unknown parameter' "$OUT/err")" = 4 ]; then
    ok "each typo is named with its file:line and the closest name"
else
    bad "each typo is named with its file:line and the closest name"
fi
printf '[run]\nseeed = 3\nduration_us = abc\n' >"$OUT/typo-bad.ini"
expect 2 "typo-bad\.ini:3: parameter 'run\.duration_us': 'abc'" \
    "a bad value after a typo is reported after it" -- "$IOVSIM" run "$OUT/typo-bad.ini" --out "$OUT/r"
grep -q "typo-bad\.ini:2: unknown parameter 'run\.seeed'" "$OUT/err" &&
    ok "and so is the typo before it" || bad "and so is the typo before it"
[ ! -e "$OUT/r" ] && ok "refused files create no results folder" || bad "refused files create no results folder"

# A conflict between parameters names where each value involved was set: a file's line
# (through includes), --set, --sweep or the default.
printf '[nic]\nvfs = 40\n' >"$OUT/vfs-inc.ini"
printf 'include = vfs-inc.ini\n[workload]\nkind = nic\n' >"$OUT/vfs.ini"
expect 2 "more queues than the pool holds" "VFs beyond the queue pool are refused" -- \
    "$IOVSIM" run "$OUT/vfs.ini" --set nic.queues_per_vf=4 --out "$OUT/r"
grep -q "^  nic\.vfs = 40 VFs set at .*vfs-inc\.ini:2$" "$OUT/err" &&
    grep -q "^  nic\.queues_per_vf = 4 queue pairs set at --set$" "$OUT/err" &&
    grep -q "^  nic\.total_queues = 128 queue pairs by default$" "$OUT/err" &&
    ok "... naming the include's line, --set and the default" ||
    bad "... naming the include's line, --set and the default"
printf '[workload]\nkind = dma\n[iommu]\nmode = strict\niotlb_entries = 100\n' >"$OUT/ways.ini"
expect 2 "point 1 \(iommu\.iotlb_ways=8\): iommu\.iotlb_ways = 8 does not divide" \
    "IOTLB ways that do not divide the entries are refused" -- \
    "$IOVSIM" run "$OUT/ways.ini" --sweep iommu.iotlb_ways=4,8 --out "$OUT/r"
grep -q "^  iommu\.iotlb_ways = 8 ways set at --sweep$" "$OUT/err" &&
    grep -q "^  iommu\.iotlb_entries = 100 entries set at .*ways\.ini:5$" "$OUT/err" &&
    ok "... naming --sweep and the file's line" || bad "... naming --sweep and the file's line"

# iovsim plot draws what it can: a plot whose where selects no point of the sweep that
# ran (the sweep was changed on the command line) is a note, not a failure; -q silences
# the notes.
PDATA="$TOP/tests/data/plots"
expect 0 "" "a run whose --sweep leaves plots without points succeeds" -- \
    "$IOVSIM" run "$PDATA/mdq.ini" --sweep run.kernel=systemc --set mdq.arrival_rate_mpps=0.5 \
    --set run.duration_us=200 --out "$OUT/p" -q
[ ! -s "$OUT/err" ] && ok "run -q prints no plot notes" || bad "run -q prints no plot notes"
if command -v gnuplot >/dev/null 2>&1 && gnuplot -e 'set terminal pngcairo' 2>/dev/null; then
    expect 0 "plots: .*kernels" "plot DIR exits 0 when it drew every plot it could" -- \
        "$IOVSIM" plot "$OUT/p"
    grep -q "note: .*plots\.ini:[0-9]*: plot 'sojourn': run\.kernel=native matches no point.*not drawn" \
        "$OUT/err" && ok "and notes each plot it left out, with file:line" ||
        bad "and notes each plot it left out, with file:line"
    expect 0 "" "plot -q exits 0 too" -- "$IOVSIM" plot "$OUT/p" -q
    [ ! -s "$OUT/err" ] && [ ! -s "$OUT/out" ] && ok "plot -q prints nothing" || bad "plot -q prints nothing"
else
    echo "SKIP: plot exit status (gnuplot with pngcairo is not installed)"
fi
expect 1 "gnuplot-nox" "plot without gnuplot exits 1" -- \
    env IOVSIM_GNUPLOT=/nonexistent/gnuplot "$IOVSIM" plot "$OUT/p" -q
expect 2 "unknown option '--quite' \(did you mean '--quiet'\?\)" "plot --quite suggests --quiet" -- \
    "$IOVSIM" plot "$OUT/p" --quite

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
