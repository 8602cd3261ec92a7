#!/usr/bin/env bash
# Command-line tests of the IOMMU's configuration: impossible hardware is refused with
# exit 2 and a message naming the parameter; the IOTLB-wall sweep runs and shows the
# knee; a 32-bit device reaches a window above 4 GiB through remapping and through
# bounce buffers. Run by `make check` (IOVSIM and TOP_SRCDIR come from the environment).
set -u
. "$(dirname "$0")/lib.sh" cli-iommu
WL="$TOP/workloads/iommu-window.ini"

small=(--set dma.window_bytes=1MiB --set iommu.page_bytes=4096 --set run.duration_us=20 --set run.warmup_us=2)

expect 0 "iommu\.iotlb_ways" "params lists the IOMMU" -- "$IOVSIM" params iommu.
expect 2 "iommu\.iotlb_ways = 3 does not divide iommu\.iotlb_entries = 64" \
    "ways that do not divide the entries are refused" -- \
    "$IOVSIM" run "$WL" "${small[@]}" --set iommu.iotlb_ways=3 --out "$OUT/r"
expect 2 "iommu\.walkers = 0" "zero walkers are refused" -- \
    "$IOVSIM" run "$WL" "${small[@]}" --set iommu.walkers=0 --out "$OUT/r"
expect 2 "iommu\.page_bytes = 549755813888: a 4-level second-level table maps 4 KiB, 2 MiB or 1 GiB" \
    "a page size the table depth cannot map is refused" -- \
    "$IOVSIM" run "$WL" "${small[@]}" --set iommu.page_bytes=512GiB --out "$OUT/r"
expect 2 "iommu\.page_bytes = 8192" "a page size that is no VT-d page is refused" -- \
    "$IOVSIM" run "$WL" "${small[@]}" --set iommu.page_bytes=8KiB --out "$OUT/r"
expect 2 "superpage_1g = false" "1 GiB pages without the capability are refused" -- \
    "$IOVSIM" run "$WL" "${small[@]}" --set iommu.page_bytes=1GiB --set iommu.superpage_1g=false --out "$OUT/r"
expect 2 "iommu\.iotlb_ways.*does not divide" "a bad point anywhere in a sweep stops the sweep" -- \
    "$IOVSIM" run "$WL" --set run.duration_us=20 --sweep iommu.iotlb_ways=64,48 --out "$OUT/r"
[ ! -e "$OUT/r" ] && ok "refused runs create no results folder" || bad "refused runs create no results folder"

# The sweep, shortened: the knee is where the window passes 64 x 4 KiB.
expect 0 "" "the IOTLB-wall sweep runs" -- "$IOVSIM" run "$WL" --set run.duration_us=40 --set run.warmup_us=5 \
    --sweep dma.window_bytes=128KiB,64MiB -j 2 --out "$OUT/w" -q
csv="$OUT/w/results.csv"
if [ -f "$csv" ] && head -n 1 "$csv" | grep -q 'iotlb_hit_rate' && head -n 1 "$csv" | grep -q 'walk_latency_ns_p50' &&
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "dma_gbps") g = i; if ($i == "iommu.page_bytes") p = i; if ($i == "dma.window_bytes") w = i } next }
        { bw[$p "," $w] = $g }
        END { exit !(bw["4096,67108864"] < 0.5 * bw["4096,131072"] && bw["2097152,67108864"] > 0.98 * bw["2097152,131072"]) }' "$csv"; then
    ok "4 KiB pages lose most of the bandwidth past the IOTLB's reach, 2 MiB pages none"
else
    bad "IOTLB wall shape"; cat "$csv" 2>/dev/null | head -n 5
fi

# A 32-bit device and a window at 8 GiB: remapped (strict) and bounced (off).
for mode in strict off; do
    expect 0 "" "32-bit device, window above 4 GiB, iommu.mode=$mode" -- \
        "$IOVSIM" run "$WL" "${small[@]}" --set pcie.addr_bits=32 --set dma.base_addr=8GiB \
        --set iommu.mode=$mode --set dma.map=transfer --out "$OUT/b-$mode" -q
    grep -Eq '(^|,)ok,' "$OUT/b-$mode/results.csv" 2>/dev/null && ok "the $mode point finished" || bad "the $mode point"
done
grep -Eq '^dmaapi\.bounces +[1-9]' "$OUT/b-off/points/0000/stats.txt" 2>/dev/null &&
    ok "with the IOMMU off the host bounces" || bad "bounce counter"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
