#!/usr/bin/env bash
# Results users can trust and trace: `iovsim config` (every parameter's value and
# origin, through includes), the provenance a results folder keeps, the refusal of an
# --out that holds another sweep (--resume, --force), progress and -q. Run by
# `make check` (IOVSIM and TOP_SRCDIR come from the test environment).
set -u
. "$(dirname "$0")/lib.sh" provenance
case $IOVSIM in /*) ;; *) IOVSIM="$PWD/$IOVSIM" ;; esac

check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
# has FILE REGEX: a line of FILE matches the extended regular expression.
has() { grep -Eq -- "$2" "$1"; }

# A workload that includes a platform file from a folder of its own: the platform sets
# pcie.mps_bytes (the workload sets it again) and run.seed to its default value.
mkdir -p "$OUT/wl/platforms"
printf '; a platform\n[pcie]\nmps_bytes = 128\n[run]\nseed = 1\n' >"$OUT/wl/platforms/p.ini"
printf 'include = platforms/p.ini\n[workload]\nkind = mdq\n[run]\nduration_us = 20\nwarmup_us = 0\n[pcie]\nmps_bytes = 256\n[sweep]\nmdq.service_ns = 5, 10, 20\n' \
    >"$OUT/wl/top.ini"
WL="$OUT/wl/top.ini"
PLAT="$OUT/wl/platforms/p.ini"

# ---- iovsim config ----------------------------------------------------------------
expect 0 "usage: iovsim config FILE" "help config" -- "$IOVSIM" help config
expect 0 "^# .*top\.ini, point 0 \(of 3\)" "config prints the first point" -- \
    "$IOVSIM" config "$WL" --set run.kernel=native
cp "$OUT/out" "$OUT/config"
check "a setting names the line of the workload file that made it" \
    has "$OUT/config" "^run\.duration_us +20 us +$WL:5$"
check "a setting replaced by a later file names both" \
    has "$OUT/config" "^pcie\.mps_bytes +256 bytes +$WL:8, over $PLAT:3$"
check "an included file's setting names that file and its line, even at the default value" \
    has "$OUT/config" "^run\.seed +1 +$PLAT:5$"
check "--set is the origin of what the command line set" \
    has "$OUT/config" "^run\.kernel +native +--set$"
check "what nothing set is a default" has "$OUT/config" "^run\.timeout_s +3600 s +default$"
check "a swept parameter shows its first value, marked" \
    has "$OUT/config" "^mdq\.service_ns +5 ns +$WL:10 \(swept\)$"
check "and is listed with its values after the table" \
    has "$OUT/config" "^mdq\.service_ns +$WL:10 +5, 10, 20 ns$"
expect 0 "^mdq\.service_ns +20 ns +--sweep \(swept\), over $WL:10$" "--point N and a --sweep that replaces an axis" -- \
    "$IOVSIM" config "$WL" --sweep mdq.service_ns=10,20 --point 1
expect 0 "^mdq\.service_ns +30 ns +--set, over $WL:10$" "a --set fixes a swept parameter" -- \
    "$IOVSIM" config "$WL" --set mdq.service_ns=30
expect 2 "config: --point 3: the workload has 3 points \(0 to 2\)" "config --point past the last" -- \
    "$IOVSIM" config "$WL" --point 3
expect 2 "^iovsim: --set: unknown parameter 'run\.sede' \(did you mean 'run\.seed'\?\)" "config refuses an unknown parameter" -- \
    "$IOVSIM" config "$WL" --set run.sede=1
expect 2 "config: no workload file given" "config without a file" -- "$IOVSIM" config
expect 2 "config: unknown option '--frob'" "config with an unknown option" -- "$IOVSIM" config "$WL" --frob

# ---- an --out that holds another sweep -------------------------------------------------
expect 0 "" "a first run" -- "$IOVSIM" run "$WL" --out "$OUT/r" -q
cp "$OUT/r/results.csv" "$OUT/r.csv"
cp "$OUT/r/provenance.txt" "$OUT/r.prov"
expect 2 "^iovsim: $OUT/r holds the results of another sweep \(this run against its params\.txt: mdq\.arrival_rate_mpps = 2 against 1\): use another --out folder, or --force to replace them$" \
    "another --set into the same --out is refused, naming the difference" -- \
    "$IOVSIM" run "$WL" --out "$OUT/r" -q --set mdq.arrival_rate_mpps=2
expect 2 "^iovsim: $OUT/r holds the results of another sweep \(this run against its sweep\.txt: 2 points against 3\): use another" \
    "so is another sweep" -- "$IOVSIM" run "$WL" --out "$OUT/r" -q --sweep mdq.service_ns=5,10
expect 2 "^iovsim: --resume: $OUT/r holds another sweep \(this run against its sweep\.txt: point 2 has mdq\.service_ns=30 against 20\): --resume continues the sweep a folder holds; use another --out folder, or --force to replace its results$" \
    "--resume of another sweep is refused" -- "$IOVSIM" run "$WL" --out "$OUT/r" -q --resume --sweep mdq.service_ns=5,10,30
check "a refused run leaves the folder as it was" \
    eval 'cmp -s "$OUT/r.csv" "$OUT/r/results.csv" && cmp -s "$OUT/r.prov" "$OUT/r/provenance.txt" && [ ! -e "$OUT/r/provenance.1.txt" ]'
rm "$OUT/r/points/0002/result.txt"
expect 0 "^resuming: 2 of 3 points already done$" "--resume continues the same sweep, with a longer run.timeout_s" -- \
    "$IOVSIM" run "$WL" --out "$OUT/r" --resume --set run.timeout_s=100
check "to the same results" eval 'cmp -s "$OUT/r.csv" "$OUT/r/results.csv" && [ -e "$OUT/r/provenance.1.txt" ]'
expect 0 "" "the same sweep again without --resume runs again" -- "$IOVSIM" run "$WL" --out "$OUT/r" -q
check "every point made again, the earlier records go" \
    eval '[ -e "$OUT/r/provenance.txt" ] && [ ! -e "$OUT/r/provenance.1.txt" ] && ! grep -q "^earlier" "$OUT/r/provenance.txt"'
expect 2 "run: --force replaces a folder's results: it goes with a whole run or --emit-slurm, not with --resume" \
    "--force with --resume" -- "$IOVSIM" run "$WL" --out "$OUT/r" --force --resume
expect 2 "not with --point" "--force with --point" -- "$IOVSIM" run "$WL" --out "$OUT/r" --force --point 0
mkdir -p "$OUT/r/plots" && : >"$OUT/r/plots/old.png" && : >"$OUT/r/notes.txt"
expect 0 "" "--force replaces another sweep's results" -- \
    "$IOVSIM" run "$WL" --out "$OUT/r" -q --force --sweep mdq.service_ns=5,10
check "leaving none of them (points, plots, earlier records), and the user's own files" \
    eval '[ "$(wc -l <"$OUT/r/results.csv")" = 3 ] && [ ! -e "$OUT/r/points/0002" ] && [ ! -e "$OUT/r/plots/old.png" ] &&
        [ ! -e "$OUT/r/provenance.1.txt" ] && [ -e "$OUT/r/notes.txt" ] && grep -q "^sweep.1 = mdq.service_ns=5,10$" "$OUT/r/provenance.txt"'
check "the folder keeps its sweep's settings, with their origins" \
    eval 'grep -q "^mdq\.arrival_rate_mpps = 1$" "$OUT/r/params.txt" && grep -Eq "^pcie\.mps_bytes +256 bytes +$WL:8, over $PLAT:3$" "$OUT/r/config.txt"'
# Variants made with --set and no --out met in the default folder, results/<name>.
in_dir() { (cd "$1" && shift && "$@"); }
expect 0 "" "a run into the default folder" -- in_dir "$OUT/wl" "$IOVSIM" run top.ini -q
expect 2 "^iovsim: results/top holds the results of another sweep \(this run against its params\.txt: run\.seed = 2 against 1\)" \
    "a variant with --set is refused there" -- in_dir "$OUT/wl" "$IOVSIM" run top.ini -q --set run.seed=2
rm "$OUT/wl/results/top/params.txt"
expect 0 "" "a folder of an older iovsim (no params.txt) is compared by its points" -- \
    in_dir "$OUT/wl" "$IOVSIM" run top.ini -q --set run.seed=2

# ---- provenance ---------------------------------------------------------------------
# key VALUE-OF: the value of a key = value line of a record.
key() { sed -n "s/^$2 = //p" "$1"; }
iso='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{4}$'
(cd "$OUT/wl" && "$IOVSIM" run top.ini --set run.kernel=native --out "$OUT/p" --sweep 'mdq.service_ns=5, 10' -q)
check "a run writes its record" [ -f "$OUT/p/provenance.txt" ]
R="$OUT/p/provenance.txt"
check "the command line as given, quoted where the shell needs it" \
    [ "$(key "$R" command)" = "$IOVSIM run top.ini --set run.kernel=native --out $OUT/p --sweep 'mdq.service_ns=5, 10' -q" ]
check "the folder it ran in, and the program" \
    eval '[ "$(key "$R" cwd)" = "$(cd "$OUT/wl" && pwd -P)" ] && [ "$(key "$R" program)" = "$(readlink -f "$IOVSIM")" ]'
check "the version and the revision, as --version gives them" \
    eval '"$IOVSIM" --version | grep -qxF "iovsim $(key "$R" version)$([ "$(key "$R" revision)" != "$(key "$R" version)" ] && echo " ($(key "$R" revision))")"'
check "the host" [ "$(key "$R" host)" = "$(uname -n)" ]
check "start and end times" eval '[[ $(key "$R" start) =~ $iso ]] && [[ $(key "$R" end) =~ $iso ]]'
check "each override" eval '[ "$(key "$R" set.1)" = run.kernel=native ] && [ "$(key "$R" sweep.1)" = "mdq.service_ns=5, 10" ]'
real_wl=$(cd "$OUT/wl" && pwd -P)
check "the workload file and the file it includes, with the including line" \
    eval '[ "$(key "$R" file.1)" = "$real_wl/top.ini" ] && [ "$(key "$R" file.2)" = "$real_wl/platforms/p.ini" ] &&
        [ "$(key "$R" file.2.included_at)" = top.ini:1 ]'
check "their copies keep the include structure" \
    eval '[ "$(key "$R" file.1.copy)" = workload/top.ini ] && [ "$(key "$R" file.2.copy)" = workload/platforms/p.ini ] &&
        cmp -s "$WL" "$OUT/p/workload/top.ini" && cmp -s "$PLAT" "$OUT/p/workload/platforms/p.ini"'
check "the points and how the run ended" \
    eval '[ "$(key "$R" points)" = 2 ] && [ "$(key "$R" points.run)" = 2 ] && [ "$(key "$R" points.failed)" = 0 ] &&
        [ "$(key "$R" status)" = finished ]'
"$IOVSIM" config "$OUT/p/workload/top.ini" --set run.kernel=native --sweep 'mdq.service_ns=5, 10' |
    awk 'NR > 1 { print $1, $2 }' >"$OUT/copy.cfg"
"$IOVSIM" config "$WL" --set run.kernel=native --sweep 'mdq.service_ns=5, 10' | awk 'NR > 1 { print $1, $2 }' >"$OUT/orig.cfg"
check "the copy gives the same parameters as the original" cmp -s "$OUT/orig.cfg" "$OUT/copy.cfg"

# Single points (cluster tasks) into one folder, at once: each records itself in its
# point's folder; the workload's copy is whole.
for i in 0 1 2; do "$IOVSIM" run "$WL" --out "$OUT/tasks" --point $i -q & done
wait
check "single points write no folder record" [ ! -e "$OUT/tasks/provenance.txt" ]
check "each point run alone has its own record" \
    eval 'for i in 0 1 2; do [ "$(key "$OUT/tasks/points/000$i/provenance.txt" point)" = $i ] &&
        [ "$(key "$OUT/tasks/points/000$i/provenance.txt" status)" = ok ] || exit 1; done'
check "and the workload's copy is whole, with no leftovers" \
    eval 'cmp -s "$WL" "$OUT/tasks/workload/top.ini" && cmp -s "$PLAT" "$OUT/tasks/workload/platforms/p.ini" &&
        [ -z "$(ls -A "$OUT/tasks" | grep tmp)" ]'

# A merge of points run in two folders keeps the sweep's settings, the workload's copy
# and the records of where its points came from; folders of other settings do not merge.
"$IOVSIM" run "$WL" --out "$OUT/half" --point 1 -q
expect 0 "" "merge" -- "$IOVSIM" merge "$OUT/m" "$OUT/tasks" "$OUT/half" -q
check "the merge records itself, naming the folders it took points from" \
    eval '[ "$(key "$OUT/m/provenance.txt" status)" = merged ] && [ "$(key "$OUT/m/provenance.txt" merged.1)" = "$OUT/tasks (3 points)" ] &&
        [ "$(key "$OUT/m/provenance.txt" workload)" = "$real_wl/top.ini" ] && [ ! -e "$OUT/m/provenance.1.txt" ]'
check "and carries the settings and the workload's copy" \
    eval 'cmp -s "$OUT/tasks/params.txt" "$OUT/m/params.txt" && cmp -s "$PLAT" "$OUT/m/workload/platforms/p.ini" &&
        [ "$(key "$OUT/m/points/0001/provenance.txt" point)" = 1 ]'
if command -v flock >/dev/null; then
    exec 9>"$OUT/m/.lock"
    flock -s 9
    expect 2 "^iovsim: $OUT/m is in use by another iovsim run" "a merge into a folder single points are writing is refused" -- \
        "$IOVSIM" merge "$OUT/m" -q
    exec 9>&-
fi
"$IOVSIM" run "$WL" --out "$OUT/other" --point 1 -q --set mdq.arrival_rate_mpps=2
expect 2 "^iovsim: $OUT/tasks and $OUT/other hold different sweeps \(params\.txt: mdq\.arrival_rate_mpps = 1 against 2\)$" \
    "folders of other settings are not merged" -- "$IOVSIM" merge "$OUT/m2" "$OUT/tasks" "$OUT/other"

# --resume keeps the points an earlier run finished, and that run's record.
rm "$OUT/p/points/0001/result.txt"
(cd "$OUT/wl" && "$IOVSIM" run top.ini --set run.kernel=native --out "$OUT/p" --sweep 'mdq.service_ns=5, 10' -q --resume)
check "a resumed run keeps the earlier record as provenance.1.txt" \
    eval '[ "$(key "$OUT/p/provenance.1.txt" points.run)" = 2 ] && [ "$(key "$R" points.kept)" = 1 ] &&
        [ "$(key "$R" points.run)" = 1 ] && [ "$(key "$R" earlier)" = provenance.1.txt ]'

expect 0 "" "a Slurm preparation" -- "$IOVSIM" run "$WL" --emit-slurm "$OUT/slurm" -q
check "records itself and copies the workload" \
    eval '[ "$(key "$OUT/slurm/provenance.txt" status)" = "prepared: the points run as Slurm array tasks, each recorded in its points/NNNN/provenance.txt" ] &&
        cmp -s "$PLAT" "$OUT/slurm/workload/platforms/p.ini"'

# ---- progress and -q ----------------------------------------------------------------------
expect 0 "^\[1/2 done, ~[0-9]+:[0-9]{2}:[0-9]{2} left\] point 0 \(mdq\.service_ns=5\) ok \([0-9.]+ s\)$" \
    "each finished point says how many are done and the time left" -- "$IOVSIM" run "$WL" --out "$OUT/fast" --sweep mdq.service_ns=5,10
check "(the last none)" grep -Eq "^\[2/2 done\] point 1 \(mdq\.service_ns=10\) ok" "$OUT/out"
# Points that each take a second (they time out): after the first of three, an estimate
# of the time left (its value depends on how loaded the machine is: only its form is
# checked).
expect 1 "" "a sweep of slow points" -- "$IOVSIM" run "$WL" --out "$OUT/slow" --set run.timeout_s=1 \
    --set run.duration_us=1e9 --set mdq.arrival_rate_mpps=1000 --set mdq.service_ns=0.5 --sweep run.seed=1..3
check "and how many failed, when some did" \
    eval 'grep -Eq "^\[1/3 done, 1 failed, ~[0-9]+:[0-9]{2}:[0-9]{2} left\] point 0 \(run\.seed=1\) failed \([0-9]+\.[0-9]{2} s\)$" "$OUT/out" &&
        grep -Eq "^\[2/3 done, 2 failed, ~[0-9]+:[0-9]{2}:[0-9]{2} left\] point 1 \(run\.seed=2\) failed" "$OUT/out" &&
        grep -Eq "^\[3/3 done, 3 failed\] point 2 \(run\.seed=3\) failed" "$OUT/out"'
check "and a failed point's error goes to stderr" \
    grep -q "^iovsim: point 1 (run.seed=2) failed: timed out after 1 s (run.timeout_s)$" "$OUT/err"
PDATA="$TOP/tests/data/plots"
expect 0 "" "-q prints nothing, not even the note of a plot the overrides leave empty" -- \
    "$IOVSIM" run "$PDATA/mdq.ini" --set run.kernel=systemc --out "$OUT/q1" -q
check "(nor that the plot was not drawn)" eval '[ ! -s "$OUT/out" ] && [ ! -s "$OUT/err" ]'
expect 0 "" "--no-plots" -- "$IOVSIM" run "$PDATA/mdq.ini" --set run.kernel=systemc --out "$OUT/q2" --no-plots
check "has no note of a plot it would not draw anyway" eval '! grep -q "note" "$OUT/err" && [ ! -s "$OUT/err" ]'

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
