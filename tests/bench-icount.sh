#!/usr/bin/env bash
# The instruction-count benchmark (bench/icount.sh) without valgrind, which would take
# minutes: its usage; that its cases cover every io.path, streaming and in
# request-response, and the dma, nic, trace and storage kinds; that each case still runs
# and counts its units (--check); and that it skips (77) without valgrind. Run by `make
# check` (IOVSIM and TOP_SRCDIR come from the environment).
set -u
. "$(dirname "$0")/lib.sh" bench-icount
icount=$TOP/bench/icount.sh

expect 0 "usage: bench/icount.sh" "--help prints the usage" -- "$icount" --help
expect 2 "unknown argument '--bogus'" "an unknown argument is refused" -- "$icount" --bogus
expect 2 "--kernel takes native or systemc" "an unknown kernel is refused" -- \
    "$icount" --kernel gem5
expect 2 "no case matches 'nothing-like-this'" "--only matching nothing is refused" -- \
    "$icount" --only nothing-like-this

expect 0 "" "--list prints the cases" -- "$icount" --list
paths=$("$IOVSIM" params io.path | awk '$1 == "io.path" { gsub(/\|/, " ", $4); print $4 }')
missing=
for p in $paths; do
    for t in mtu-tx 64-rr; do
        grep -q "^$p-$t " "$OUT/out" || missing+=" $p-$t"
    done
done
for k in dma nic trace storage; do
    awk -v k="$k" '$2 == k { f = 1 } END { exit !f }' "$OUT/out" || missing+=" kind $k"
done
if [ -n "$paths" ] && [ -z "$missing" ]; then
    ok "the cases cover every io.path ($paths), streaming and rr, and dma, nic, trace, storage"
else
    bad "cases missing:${missing:- (no io.path values from iovsim params)}"
fi

expect 0 "" "every case runs and counts its units (--check)" -- "$icount" --check
if [ "$(grep -c '^ok ' "$OUT/out")" = "$(grep -vc '^#' < <("$icount" --list))" ]; then
    ok "--check reports every case"
else
    bad "--check reports every case"; cat "$OUT/out"
fi

expect 77 "no /nonexistent/valgrind" "without valgrind it skips (77)" -- \
    env VALGRIND=/nonexistent/valgrind "$icount"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
