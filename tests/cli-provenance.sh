#!/usr/bin/env bash
# Results users can trust and trace: `iovsim config` (every parameter's value and
# origin, through includes), the provenance a results folder keeps, the refusal of an
# --out that holds another sweep (--resume, --force), progress and -q. Run by
# `make check` (IOVSIM and TOP_SRCDIR come from the test environment).
set -u
. "$(dirname "$0")/lib.sh" provenance

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

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
