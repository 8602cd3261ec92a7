#!/usr/bin/env bash
# Metrics users can trust and look up: the reference (iovsim metrics, docs/METRICS.md)
# and utilisations never above 1 (work booked ahead of the clock counts where it lies in
# the window). Run by `make check`.
set -u
. "$(dirname "$0")/lib.sh" metrics

# ---- the reference ---------------------------------------------------------------------
if "$IOVSIM" metrics --markdown | cmp -s - "$TOP/docs/METRICS.md"; then
    ok "docs/METRICS.md is the current metric reference"
else
    bad "docs/METRICS.md is out of date: regenerate it with make docs/METRICS.md"
fi
expect 0 "workload\.kind = paths" "metrics lists the metrics of every kind" -- "$IOVSIM" metrics
for k in dma mdq nic paths trace; do
    grep -q "^workload\.kind = $k: " "$OUT/out" && ok "... kind $k" || bad "... kind $k"
done
grep -Eq "^  dma_gbps +Gb/s +" "$OUT/out" && ok "a metric has its unit" || bad "a metric has its unit"
# The metrics of the reference are the columns a run writes, kind by kind.
printf '[workload]\nkind = mdq\n[run]\nduration_us = 1\nwarmup_us = 0\n' >"$OUT/mdq.ini"
"$IOVSIM" run "$OUT/mdq.ini" --out "$OUT/mdq" -q --no-plots
"$IOVSIM" metrics mdq | awk 'NR > 2 && !NF { exit } NR > 2 { print $1 }' >"$OUT/ref-mdq"
head -n 1 "$OUT/mdq/results.csv" | tr , '\n' | grep '^mdq_' >"$OUT/csv-mdq"
cmp -s "$OUT/ref-mdq" "$OUT/csv-mdq" && ok "metrics mdq names results.csv's metric columns, in order" ||
    bad "metrics mdq names results.csv's metric columns, in order"
# With the IOMMU on, a DMA point writes the IOMMU's metrics too: all in the reference.
printf '[workload]\nkind = dma\n[iommu]\nmode = strict\n[run]\nkernel = native\nduration_us = 2\nwarmup_us = 0\n' >"$OUT/dma-iommu.ini"
"$IOVSIM" run "$OUT/dma-iommu.ini" --out "$OUT/dma-iommu" -q --no-plots
"$IOVSIM" metrics dma | awk 'NR > 2 && !NF { exit } NR > 2 { print $1 }' >"$OUT/ref-dma"
head -n 1 "$OUT/dma-iommu/results.csv" | tr , '\n' | grep -v '^status$\|^error$' >"$OUT/csv-dma"
[ -s "$OUT/csv-dma" ] && cmp -s "$OUT/ref-dma" "$OUT/csv-dma" &&
    ok "metrics dma names every metric column of a DMA run with the IOMMU on, in order" ||
    bad "metrics dma names every metric column of a DMA run with the IOMMU on, in order"
expect 0 "pcie\.up\.wire_wait_ps +counter" "a word finds the statistics of stats.txt too" -- \
    "$IOVSIM" metrics wire_wait
expect 0 "iotlb_hit_rate .*\(with iommu\.mode=strict\)" \
    "a metric only some settings produce says which" -- "$IOVSIM" metrics iotlb_hit
expect 0 "cpu\.coreN\.util" "a family of statistics is one line with N" -- "$IOVSIM" metrics --stats
expect 2 "no metric or statistic name contains 'dma_gpbs' \(did you mean 'dma_gbps'\?\)" \
    "a word that matches nothing gets the closest name" -- "$IOVSIM" metrics dma_gpbs
expect 0 "usage: iovsim metrics" "help metrics" -- "$IOVSIM" help metrics

# ---- utilisations --------------------------------------------------------------------
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
