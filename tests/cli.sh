#!/usr/bin/env bash
# Command-line tests: exit statuses, error messages naming file:line, results files,
# determinism across runs and -j, --resume. Run by `make check` (IOVSIM and TOP_SRCDIR
# come from the test environment).
set -u
. "$(dirname "$0")/lib.sh" cli
DATA="$TOP/tests/data/cli"

expect 0 "usage: iovsim" "--help" -- "$IOVSIM" --help
expect 0 "^iovsim [0-9]" "--version" -- "$IOVSIM" --version
expect 2 "usage: iovsim" "no command" -- "$IOVSIM"
expect 2 "unknown command 'frobnicate'" "unknown command" -- "$IOVSIM" frobnicate
expect 0 "iovsim run FILE" "help run" -- "$IOVSIM" help run
expect 0 "run\.kernel" "params lists run.kernel" -- "$IOVSIM" params
expect 0 "run\.duration_us" "params lists run.duration_us" -- "$IOVSIM" params run.
expect 0 "workload\.kind" "params lists workload.kind" -- "$IOVSIM" params
expect 0 "^\|" "params --markdown is a table" -- "$IOVSIM" params --markdown
expect 2 "no parameter name contains" "params with an unknown prefix" -- "$IOVSIM" params nosuch.
if "$IOVSIM" params --markdown | cmp -s - "$TOP/docs/PARAMS.md"; then
    ok "docs/PARAMS.md is the current parameter reference"
else
    bad "docs/PARAMS.md is out of date: regenerate it with make docs/PARAMS.md"
fi

expect 2 "no workload file" "run without a file" -- "$IOVSIM" run
expect 2 "unknown option" "run with an unknown option" -- "$IOVSIM" run --frob "$DATA/small.ini"
expect 2 "-j takes" "run -j 0" -- "$IOVSIM" run -j 0 "$DATA/small.ini"
expect 2 "unknown-file\.ini" "run with a missing file" -- "$IOVSIM" run "$DATA/unknown-file.ini"
expect 2 "unknown\.ini:4:.*run\.seeed.*run\.seed" "unknown parameter names file:line and suggests" -- \
    "$IOVSIM" run "$DATA/unknown.ini" --out "$OUT/r"
expect 2 "badvalue\.ini:2:.*run\.duration_us" "bad value names file:line" -- \
    "$IOVSIM" run "$DATA/badvalue.ini" --out "$OUT/r"
expect 2 "range\.ini:2:.*run\.warmup_us.*range" "out of range names file:line" -- \
    "$IOVSIM" run "$DATA/range.ini" --out "$OUT/r"
expect 2 "dupkey\.ini:4:.*run\.seed" "duplicate key names file:line" -- \
    "$IOVSIM" run "$DATA/dupkey.ini" --out "$OUT/r"
expect 2 "noinclude\.ini:1:.*does-not-exist\.ini" "missing include names file:line" -- \
    "$IOVSIM" run "$DATA/noinclude.ini" --out "$OUT/r"
expect 2 "loop-[ab]\.ini:1:.*(loop|cycle)" "include loop is refused" -- \
    "$IOVSIM" run "$DATA/loop-a.ini" --out "$OUT/r"
expect 2 "emptyaxis\.ini:4:.*run\.seed" "empty sweep axis names file:line" -- \
    "$IOVSIM" run "$DATA/emptyaxis.ini" --out "$OUT/r"
expect 2 "badkind\.ini:2:.*run\.kernel.*systemc" "bad enum value lists the choices" -- \
    "$IOVSIM" run "$DATA/badkind.ini" --out "$OUT/r"
expect 2 "--set.*run\.sede" "--set of an unknown parameter" -- \
    "$IOVSIM" run "$DATA/small.ini" --set run.sede=3 --out "$OUT/r"
expect 2 "--set" "--set without =" -- "$IOVSIM" run "$DATA/small.ini" --set run.seed --out "$OUT/r"
expect 2 "--sweep.*run\.seed" "--sweep with an empty list" -- \
    "$IOVSIM" run "$DATA/small.ini" --sweep run.seed= --out "$OUT/r"
# A sweep of 9 million points is refused as the axis is read (once it allocated 4 KiB
# per point up front and died without a word).
printf '[workload]\nkind = mdq\n[run]\nduration_us = 1\n[sweep]\nrun.seed = 1..3000 step 1\nmdq.service_ns = 1..3000 step 1\n' >"$OUT/big.ini"
expect 2 "big\.ini:7: sweep axis 'mdq\.service_ns' \(3000 values\): the sweep would have 9000000 points, more than the 1000000 one sweep may have" \
    "a sweep of too many points names its size and the limit" -- "$IOVSIM" run "$OUT/big.ini" --out "$OUT/r"
expect 2 "--sweep: sweep axis 'mdq\.service_ns' \(1000 values\): the sweep would have 4000000 points" \
    "so does a --sweep" -- "$IOVSIM" run "$DATA/small.ini" --sweep run.seed=1..2000 --sweep mdq.service_ns=1..1000 --out "$OUT/r"

# run.name names one folder under results/: nothing above it, not results/ itself.
in_dir() { (cd "$1" && shift && "$@"); }
mkdir -p "$OUT/a/b"
printf '[workload]\nkind = mdq\n[run]\nduration_us = 1\nwarmup_us = 0\nname = ../../x\n' >"$OUT/name.ini"
expect 2 "name\.ini:6: run\.name = '\.\./\.\./x' contains '/': it names one folder" \
    "run.name with '..' and '/' is refused with its line" -- in_dir "$OUT/a/b" "$IOVSIM" run "$OUT/name.ini" -q
expect 2 "--set: run\.name = '\.' is not a folder of its own" "run.name = . is refused" -- \
    in_dir "$OUT/a/b" "$IOVSIM" run "$OUT/name.ini" --set run.name=. -q
expect 2 "--sweep: run\.name = '\.\.' is not a folder of its own" "a swept run.name is checked too" -- \
    in_dir "$OUT/a/b" "$IOVSIM" run "$OUT/name.ini" --sweep run.name=x,.. -q
[ ! -e "$OUT/x" ] && [ ! -e "$OUT/a/b/results" ] && ok "refused names write nothing" || bad "refused names write nothing"

# A NUL byte would end a line silently; an empty file would run the defaults.
printf '[workload]\nkind = mdq\n[run]\nduration_us = 1\000junk\n' >"$OUT/nul.ini"
expect 2 "nul\.ini:4: a NUL byte \(column 16\)" "a NUL byte in a workload file is refused with its line" -- \
    "$IOVSIM" run "$OUT/nul.ini" --out "$OUT/r"
: >"$OUT/empty.ini"
expect 2 "empty\.ini: no settings \(the file is empty" "an empty workload file is refused" -- \
    "$IOVSIM" run "$OUT/empty.ini" --out "$OUT/r"
printf '; a comment\n[workload]\n' >"$OUT/bare.ini"
expect 2 "bare\.ini: no settings" "so is one of comments and a section header" -- \
    "$IOVSIM" run "$OUT/bare.ini" --out "$OUT/r"
[ ! -e "$OUT/r" ] && ok "refused runs create no results folder" || bad "refused runs create no results folder"

# A real sweep: 2 seeds x 2 kernels.
expect 0 "" "sweep runs" -- "$IOVSIM" run "$DATA/small.ini" --out "$OUT/a" -q
csv="$OUT/a/results.csv"
if [ -f "$csv" ] && [ "$(wc -l <"$csv")" = 5 ] &&
    head -n 1 "$csv" | grep -q '^run.seed,run.kernel,status,.*mdq_sojourn_ns_mean.*,error$' &&
    [ "$(grep -c ',ok,' "$csv")" = 4 ]; then
    ok "results.csv has the axes, status, metrics and error columns, a row per point"
else
    bad "results.csv layout"; cat "$csv" 2>/dev/null | head -n 3
fi
[ -f "$OUT/a/points/0000/stats.txt" ] && [ -f "$OUT/a/points/0003/params.txt" ] &&
    ok "each point has stats.txt and params.txt" || bad "point files"

# The two kernels agree on the events and the results of a point.
if cmp -s <(sed -n 2p "$csv" | cut -d, -f3-) <(sed -n 3p "$csv" | cut -d, -f3-) &&
    [ "$(grep '^sim.events' "$OUT/a/points/0000/stats.txt")" = "$(grep '^sim.events' "$OUT/a/points/0001/stats.txt")" ]; then
    ok "native and systemc kernels give the same metrics and event count"
else
    bad "native and systemc kernels differ"; sed -n 2,3p "$csv"
fi

# Determinism: the same sweep again, in parallel, gives byte-identical files.
expect 0 "" "sweep with -j 2" -- "$IOVSIM" run "$DATA/small.ini" --out "$OUT/b" -j 2 -q
if cmp -s "$OUT/a/results.csv" "$OUT/b/results.csv" &&
    cmp -s "$OUT/a/points/0002/stats.txt" "$OUT/b/points/0002/stats.txt"; then
    ok "same inputs and seed give byte-identical results (-j 1 and -j 2)"
else
    bad "results differ between identical runs"
fi

# --set fixes a swept parameter (one axis left); --sweep adds one.
expect 0 "" "--set removes an axis" -- "$IOVSIM" run "$DATA/small.ini" --set run.kernel=native --out "$OUT/c" -q
[ "$(head -n 1 "$OUT/c/results.csv" | cut -d, -f1-2)" = "run.seed,status" ] && [ "$(wc -l <"$OUT/c/results.csv")" = 3 ] &&
    ok "--set on a swept parameter fixes it" || bad "--set on a swept parameter"
expect 0 "" "--sweep replaces an axis" -- "$IOVSIM" run "$DATA/small.ini" --sweep "run.seed=1..4" --set run.kernel=native --out "$OUT/d" -q
[ "$(wc -l <"$OUT/d/results.csv")" = 5 ] && ok "--sweep 1..4 gives four points" || bad "--sweep range"

# --resume: remove one point's result, run again; only that point runs, same CSV.
rm -f "$OUT/b/points/0001/result.txt"
expect 0 "resuming: 3 of 4" "--resume skips finished points" -- "$IOVSIM" run "$DATA/small.ini" --out "$OUT/b" --resume
cmp -s "$OUT/a/results.csv" "$OUT/b/results.csv" && ok "--resume finishes with the same results.csv" ||
    bad "--resume results differ"

# Two runs on one --out: the second is refused while the first holds the folder's lock
# (they raced on fixed temporary names: a spurious 'cannot rename' and exit 1). Points
# run one by one (--point, as the listed lines and Slurm tasks do) share the folder.
if command -v flock >/dev/null; then
    mkdir -p "$OUT/busy"
    exec 9>"$OUT/busy/.lock"
    flock -x 9
    expect 2 "$OUT/busy is in use by another iovsim run \(holding $OUT/busy/\.lock\): wait for it" \
        "a run into a folder another run holds is refused" -- "$IOVSIM" run "$DATA/small.ini" --out "$OUT/busy" -q
    expect 2 "is in use by another iovsim run" "so is a single point" -- \
        "$IOVSIM" run "$DATA/small.ini" --out "$OUT/busy" --point 1 -q
    flock -s 9
    expect 0 "" "a single point runs beside other single points" -- \
        "$IOVSIM" run "$DATA/small.ini" --out "$OUT/busy" --point 1 -q
    expect 2 "is in use by another iovsim run" "a whole sweep does not" -- \
        "$IOVSIM" run "$DATA/small.ini" --out "$OUT/busy" -q
    exec 9>&-
    expect 0 "" "once the folder is free, the run goes ahead" -- "$IOVSIM" run "$DATA/small.ini" --out "$OUT/busy" -q
else
    echo "SKIP: no flock(1) to hold a results folder's lock"
fi
long=(--set run.kernel=native --set mdq.arrival_rate_mpps=100 --set mdq.service_ns=5 --set run.duration_us=200000)
"$IOVSIM" run "$DATA/small.ini" "${long[@]}" --out "$OUT/two" -q 2>"$OUT/two.err" &
first=$!
for _ in $(seq 200); do [ -s "$OUT/two/.lock" ] && break; sleep 0.05; done
expect 2 "$OUT/two is in use by another iovsim run \(pid $first, holding" \
    "a second run on one --out is refused, naming the first" -- "$IOVSIM" run "$DATA/small.ini" "${long[@]}" --out "$OUT/two" -q
wait "$first"
check_first=$?
[ "$check_first" = 0 ] && [ ! -s "$OUT/two.err" ] && [ "$(grep -c ',ok,' "$OUT/two/results.csv")" = 2 ] &&
    ok "the first run finishes undisturbed" || bad "the first run finishes undisturbed (exit $check_first)"

# A point that cannot write its files stops the sweep there (a full disk failed every
# point after it the same way): exit 2, no point after it started; --resume finishes.
mkdir -p "$OUT/wf/points/0001/stats.txt" # a folder where the file goes: its rename fails
expect 2 "stopped: point 1 \(run\.seed=1, run\.kernel=systemc\) could not write its files \(above\); 2 of 4 points not run" \
    "a failed write stops the sweep" -- "$IOVSIM" run "$DATA/small.ini" --out "$OUT/wf" -q
grep -q "cannot rename $OUT/wf/points/0001/stats\.txt\.[0-9]*\.tmp to $OUT/wf/points/0001/stats\.txt: Is a directory" "$OUT/err" &&
    [ ! -e "$OUT/wf/points/0002" ] && [ ! -e "$OUT/wf/results.csv" ] &&
    ok "it names the failed write and starts no other point" || bad "it names the failed write and starts no other point"
rmdir "$OUT/wf/points/0001/stats.txt"
expect 0 "resuming: 1 of 4" "--resume runs the rest once the folder can be written" -- \
    "$IOVSIM" run "$DATA/small.ini" --out "$OUT/wf" --resume
cmp -s "$OUT/a/results.csv" "$OUT/wf/results.csv" && ok "and gives the same results.csv" || bad "resumed results differ"
# A full disk: a small file system of its own where a private mount namespace is allowed.
printf '[workload]\nkind = mdq\n[run]\nkernel = native\nduration_us = 10\nwarmup_us = 0\n[sweep]\nrun.seed = 1..390\n' >"$OUT/full.ini"
mkdir -p "$OUT/full"
if unshare -rm true 2>/dev/null; then
    unshare -rm sh -c 'mount -t tmpfs -o size=256k tmpfs "$1" || exit 9
        "$2" run "$3" --out "$1/out" -q -j 2; echo "exit $?"; ls "$1/out/points" | wc -l' \
        sh "$OUT/full" "$IOVSIM" "$OUT/full.ini" >"$OUT/out" 2>"$OUT/err"
    grep -qx 'exit 2' "$OUT/out" && grep -q 'No space left on device' "$OUT/err" &&
        grep -q 'stopped: point [0-9]* (run.seed=[0-9]*) could not write its files' "$OUT/err" &&
        [ "$(tail -n 1 "$OUT/out")" -lt 100 ] &&
        ok "a full disk stops the sweep at the first point that cannot write" ||
        bad "a full disk stops the sweep at the first point that cannot write"
    expect 2 "cannot write in $OUT/full/out: $OUT/full/out/\.lock: Read-only file system" \
        "a read-only results folder is refused before any point runs" -- \
        unshare -rm sh -c 'mount -t tmpfs -o size=64k tmpfs "$1" && mkdir "$1/out" &&
            mount -o remount,ro "$1" && exec "$2" run "$3" --out "$1/out" -q' sh "$OUT/full" "$IOVSIM" "$OUT/full.ini"
else
    echo "SKIP: no private mount namespace (unshare -rm) for a full file system"
fi

# A point over its time limit is recorded as failed, and the run exits 1.
expect 1 "timed out" "a point over run.timeout_s fails with exit 1" -- \
    "$IOVSIM" run "$DATA/small.ini" --set run.kernel=native --set run.seed=1 \
    --set mdq.arrival_rate_mpps=1000 --set mdq.service_ns=0.5 --set run.duration_us=1e9 \
    --set run.timeout_s=1 --out "$OUT/t" -q
grep -Eq '(^|,)error,.*timed out' "$OUT/t/results.csv" 2>/dev/null && ok "the failed point's row says why" ||
    bad "failed point row"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
