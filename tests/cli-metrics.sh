#!/usr/bin/env bash
# Metrics users can trust: utilisations never above 1 (work booked ahead of the clock
# counts where it lies in the window). Run by `make check`.
set -u
. "$(dirname "$0")/lib.sh" metrics

# Every utilisation of a point's stats.txt and results.csv is at most 1.
utils_at_most_1() {
    awk '($1 ~ /(^|[._])util$/) && $2 + 0 > 1 { print; bad = 1 } END { exit bad }' "$1/points/0000/stats.txt"
}

# A 4 KiB DMA read saturates the downstream direction: its utilisation was 1.001.
printf '[workload]\nkind = dma\n[dma]\nsize_bytes = 4096\nop = read\n[run]\nkernel = native\nwarmup_us = 5\nduration_us = 50\n' >"$OUT/dma.ini"
expect 0 "" "a 4 KiB DMA read runs" -- "$IOVSIM" run "$OUT/dma.ini" --out "$OUT/dma" -q --no-plots
utils_at_most_1 "$OUT/dma" && ok "its pcie_*_util are at most 1" || bad "its pcie_*_util are at most 1"
grep -q "^pcie_down_util  *1  " "$OUT/dma/points/0000/stats.txt" &&
    ok "and the saturated direction reads 1" || bad "and the saturated direction reads 1"

# A native thread sending 64-byte frames keeps its core busy: its utilisation was 1.002.
expect 0 "" "a paths point with a saturated core runs" -- \
    "$IOVSIM" run "$TOP/tests/regress/paths.ini" --point 0 --out "$OUT/paths" -q
utils_at_most_1 "$OUT/paths" && ok "its cpu.coreN.util and vm_cpu_util are at most 1" ||
    bad "its cpu.coreN.util and vm_cpu_util are at most 1"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
