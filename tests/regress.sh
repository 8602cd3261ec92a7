#!/usr/bin/env bash
# The regression scenarios of tests/regress/ (each NAME.ini against NAME.expect), then
# the mechanism itself: a changed value fails, `regress --update` rewrites and reports
# it, a point without expectations fails, bad expect files are refused with file:line;
# and the validation report of `make validate`. Run by `make check`.
set -u
. "$(dirname "$0")/lib.sh" regress

check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

expect() {
    local want=$1 pattern=$2 what=$3
    shift 4
    "$@" >"$OUT/out" 2>&1
    local got=$?
    if [ "$got" != "$want" ]; then
        bad "$what (exit $got, wanted $want)"
    elif [ -n "$pattern" ] && ! grep -Eq -- "$pattern" "$OUT/out"; then
        bad "$what (output lacks /$pattern/)"
    else
        ok "$what"
    fi
}

# ---- the suite -----------------------------------------------------------------------
# Scenarios run from the top of the source tree (a trace scenario's trace.file is
# relative to it).
expect 0 "regress: [0-9]+ scenarios, [0-9]+ checks, [0-9]+ passed, 0 failed" \
    "the scenarios of tests/regress/ match their expected metrics" -- \
    sh -c 'cd "$1" && exec "$2" regress -j 2 --out "$3" tests/regress/*.ini' - \
    "$TOP" "$IOVSIM" "$OUT/suite"
cat "$OUT/out" | grep -v '^pass ' || true

# ---- the mechanism, on a copy ------------------------------------------------------------
S="$OUT/s"
mkdir -p "$S"
cat >"$S/tiny.ini" <<'INI'
[workload]
kind = mdq
[mdq]
service_ns = 500
[run]
kernel = native
duration_us = 2000
warmup_us = 100
[sweep]
mdq.arrival_rate_mpps = 0.5, 1
INI
expect 1 "tiny\.expect is missing" "a scenario without an expect file fails" -- \
    "$IOVSIM" regress --out "$OUT/r" "$S/tiny.ini"
expect 0 "added mdq.arrival_rate_mpps=1 mdq_sojourn_ns_mean" "--update writes the expect file" -- \
    "$IOVSIM" regress --update --out "$OUT/r" "$S/tiny.ini"
check "... with a row per point and metric" \
    eval '[ "$(grep -vc "^#" "$S/tiny.expect")" = 12 ]'
expect 0 "12 checks, 12 passed, 0 failed" "a fresh expect file passes" -- \
    "$IOVSIM" regress --out "$OUT/r" "$S/tiny.ini"

# A changed expectation fails, naming the row and how far off it is.
sed -i 's/^\(mdq.arrival_rate_mpps=1 *mdq_sojourn_ns_mean *\)[0-9.]*/\1700/' "$S/tiny.expect"
expect 1 "FAIL  tiny  mdq.arrival_rate_mpps=1  mdq_sojourn_ns_mean = .*expected 700.*off by" \
    "a value outside its tolerance fails" -- "$IOVSIM" regress --out "$OUT/r" "$S/tiny.ini"
sed -i 's/^\(mdq.arrival_rate_mpps=1 *mdq_sojourn_ns_mean *700 *\)[^ ]*$/\130%/' "$S/tiny.expect"
expect 0 "" "a wider tolerance lets it pass" -- "$IOVSIM" regress --out "$OUT/r" "$S/tiny.ini"
sed -i 's/ 30%$/ 0.001%/' "$S/tiny.expect"
echo "# a note that must survive" >>"$S/tiny.expect"
echo "mdq.arrival_rate_mpps=1 mdq_sojourn_ns_mean @mdq_sojourn_ns_theory 10%" >>"$S/tiny.expect"
expect 0 "tiny: mdq.arrival_rate_mpps=1 mdq_sojourn_ns_mean: 700 -> [0-9.]+" \
    "--update prints each change" -- "$IOVSIM" regress --update --out "$OUT/r" "$S/tiny.ini"
check "--update keeps comments, @ rows and tolerances" \
    eval 'grep -q "^# a note that must survive" "$S/tiny.expect" &&
          grep -q "@mdq_sojourn_ns_theory 10%" "$S/tiny.expect" &&
          [ "$(grep -c " 0.001%$" "$S/tiny.expect")" = 12 ]'
expect 0 "13 checks, 13 passed" "after --update every row passes" -- \
    "$IOVSIM" regress --out "$OUT/r" "$S/tiny.ini"
sed -i '0,/^mdq/s/  */ /g' "$S/tiny.expect"
cp "$S/tiny.expect" "$S/before"
expect 0 "tiny\.expect unchanged" "--update with nothing new says unchanged" -- \
    "$IOVSIM" regress --update --out "$OUT/r" "$S/tiny.ini"
check "... and leaves the file byte for byte as its author laid it out" cmp "$S/before" "$S/tiny.expect"
sed -i 's/@mdq_sojourn_ns_theory 10%/@mdq_sojourn_ns_theory 0.0001%/' "$S/tiny.expect"
expect 1 "FAIL .*expected @mdq_sojourn_ns_theory" "an @METRIC row compares with the other metric" -- \
    "$IOVSIM" regress --out "$OUT/r" "$S/tiny.ini"
sed -i '/@mdq_sojourn_ns_theory/d' "$S/tiny.expect"
echo "mdq.arrival_rate_mpps=1 mdq_sojourn_ns_p50 nan 1%" >>"$S/tiny.expect"
expect 1 "FAIL .*mdq_sojourn_ns_p50 = [0-9.]+ \(expected nan" \
    "a nan row (nothing to measure) fails on a number" -- "$IOVSIM" regress --out "$OUT/r" "$S/tiny.ini"
sed -i '/ nan 1%$/d' "$S/tiny.expect"

# A metric with nothing to measure (a TX-only NIC run has no latency samples) is nan, and
# nan matches nan: --update must neither report nor rewrite such a row.
printf '[workload]\nkind = nic\n[run]\nkernel = native\nwarmup_us = 10\nduration_us = 20\n' \
    >"$S/nanrow.ini"
expect 0 "added - latency_ns_p50 = nan" "--update writes a nan row" -- \
    "$IOVSIM" regress --update --out "$OUT/r" "$S/nanrow.ini"
sed -i 's/  */ /g' "$S/nanrow.expect"
cp "$S/nanrow.expect" "$S/nanrow.before"
expect 0 "nanrow\.expect unchanged" "--update on a nan row that is still nan says unchanged" -- \
    "$IOVSIM" regress --update --out "$OUT/r" "$S/nanrow.ini"
check "... and leaves the file byte for byte" cmp "$S/nanrow.before" "$S/nanrow.expect"
expect 0 "0 failed" "a nan row passes on nan" -- "$IOVSIM" regress --out "$OUT/r" "$S/nanrow.ini"

# A new point must get expectations before it counts as checked.
sed -i 's/^mdq.arrival_rate_mpps = 0.5, 1$/mdq.arrival_rate_mpps = 0.5, 1, 1.5/' "$S/tiny.ini"
expect 1 "FAIL  tiny  mdq.arrival_rate_mpps=1.5  has no expected values" \
    "a point without rows fails" -- "$IOVSIM" regress --out "$OUT/r" "$S/tiny.ini"
expect 0 "6 added" "--update adds the new point's metrics" -- \
    "$IOVSIM" regress --update --out "$OUT/r" "$S/tiny.ini"
sed -i 's/^mdq.arrival_rate_mpps = 0.5, 1, 1.5$/mdq.arrival_rate_mpps = 0.5, 1/' "$S/tiny.ini"
expect 1 "has no such point" "a row for a point the sweep lost fails" -- \
    "$IOVSIM" regress --out "$OUT/r" "$S/tiny.ini"
expect 0 "6 dropped" "--update drops it" -- "$IOVSIM" regress --update --out "$OUT/r" "$S/tiny.ini"

cp "$S/tiny.expect" "$S/good.expect"
echo "mdq.arrival_rate_mpps=1 mdq_sojourn_ns_mean 700" >>"$S/tiny.expect"
expect 2 "tiny\.expect:[0-9]+: want POINT METRIC EXPECTED TOLERANCE" \
    "a row with a missing field is refused with file:line" -- "$IOVSIM" regress --out "$OUT/r" "$S/tiny.ini"
cp "$S/good.expect" "$S/tiny.expect"
echo "mdq.arrival_rate_mpps=1 mdq_sojourn_ns_mean 700 5%%" >>"$S/tiny.expect"
expect 2 "tiny\.expect:[0-9]+: tolerance '5%%'" "a bad tolerance is refused with file:line" -- \
    "$IOVSIM" regress --out "$OUT/r" "$S/tiny.ini"
expect 2 "no scenario" "regress without a file" -- "$IOVSIM" regress
expect 0 "EXPECTED" "help regress" -- "$IOVSIM" help regress

# ---- make validate's report -----------------------------------------------------------
V="$OUT/v"
mkdir -p "$V"
printf '#!/bin/sh\necho "check reference simulated"\necho "a 1.0 1.0 pass"\necho "b 2.0 2.0 pass"\n' >"$V/good"
printf '#!/bin/sh\necho "c 1.0 3.0 FAIL"\necho "d 1.0 1.0 pass"\nexit 1\n' >"$V/bad"
printf '#!/bin/sh\necho "no rows at all"\n' >"$V/empty"
chmod +x "$V/good" "$V/bad" "$V/empty"
expect 0 "total +2 rows +2 pass +0 FAIL" "the validation report adds up the rows" -- \
    sh "$TOP/bench/validate.sh" "$V/report" "$V/good"
expect 1 "bad +2 rows +1 pass +1 FAIL .*FAIL" "a failing row fails the report" -- \
    sh "$TOP/bench/validate.sh" "$V/report" "$V/good" "$V/bad"
check "the report file holds every row" eval 'grep -q "^c 1.0 3.0 FAIL" "$V/report" && grep -q "^a 1.0 1.0 pass" "$V/report"'
expect 1 "empty +0 rows" "a program that prints no row fails the report" -- \
    sh "$TOP/bench/validate.sh" "$V/report" "$V/empty"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
