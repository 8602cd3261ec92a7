#!/usr/bin/env bash
# The Sapphire Rapids platform file (workloads/platforms/spr-gen5x16.ini) loads with
# every value known and in range, sets what it says it sets, and short points run on
# it: a PCIe Gen5 x16 link that carries more than 400 Gb/s of DMA writes, a VF's
# receive stream on the 200 GbE port, and the line filled both ways in poll mode. Run by `make check`.
set -u
. "$(dirname "$0")/lib.sh" platform-spr
PLAT="$TOP/workloads/platforms/spr-gen5x16.ini"
col() { awk -F, -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next } c { print $c }' "$1"; }

NET="$OUT/net.ini"
cat >"$NET" <<EOF2
include = $PLAT
[workload]
kind = paths
[io]
path = sriov
[traffic]
pattern = stream_rx
msg_bytes = 65536
packet_bytes = 1518
vms = 2
[run]
kernel = native
warmup_us = 50
duration_us = 200
EOF2

# iovsim config refuses an unknown name or a value out of range with exit 2.
expect 0 "" "the platform file loads" -- "$IOVSIM" config "$NET"
for want in "pcie.gen 5" "pcie.lanes 16" "nic.line_gbps 200" "mem.channels 8" "cpu.cores 32"; do
    name=${want% *} value=${want#* }
    awk -v n="$name" -v v="$value" -v f="spr-gen5x16.ini" \
        '$1 == n && $2 == v && index($0, f) { found = 1 } END { exit !found }' "$OUT/out" &&
        ok "$name = $value from the platform file" || bad "$name: $(grep "^$name " "$OUT/out")"
done

expect 0 "" "a VF's receive stream runs" -- "$IOVSIM" run "$NET" --out "$OUT/net" -q --no-plots
gbps=$(col "$OUT/net/results.csv" throughput_gbps)
awk -v g="$gbps" 'BEGIN { exit !(g > 10 && g <= 200) }' &&
    ok "it delivers within the 200 GbE line ($gbps Gb/s)" || bad "throughput $gbps Gb/s"

# DPDK applications on four VFs fill the 200 GbE line both ways with MTU frames (196.9
# Gb/s host-side): the port's transmit DMA window (its read tags x their size) covers the
# read round trip, as a NIC rated for 400 Gb/s must.
for dir in stream_tx stream_rx; do
    expect 0 "" "poll-mode $dir" -- "$IOVSIM" run "$NET" --out "$OUT/line-$dir" -q --no-plots \
        --set traffic.pattern=$dir --set traffic.msg_bytes=0 --set guest.driver=poll \
        --set traffic.vms=4 --set run.warmup_us=200 --set run.duration_us=300
    gbps=$(col "$OUT/line-$dir/results.csv" throughput_gbps)
    awk -v g="$gbps" 'BEGIN { exit !(g > 195 && g < 197) }' &&
        ok "$dir reaches the line ($gbps Gb/s)" || bad "$dir at $gbps Gb/s"
done

DMA="$OUT/dma.ini"
cat >"$DMA" <<EOF2
include = $PLAT
[workload]
kind = dma
[dma]
op = write
size_bytes = 4096
window_bytes = 16MiB
outstanding = 256
[run]
warmup_us = 10
duration_us = 50
EOF2
expect 0 "" "a DMA point runs" -- "$IOVSIM" run "$DMA" --out "$OUT/dma" -q --no-plots
gbps=$(col "$OUT/dma/results.csv" dma_gbps)
# Gen5 x16: 504 Gb/s raw, about 455 at the TLP layer with MPS 256, less DLLPs.
awk -v g="$gbps" 'BEGIN { exit !(g > 400 && g < 455) }' &&
    ok "the Gen5 x16 link carries $gbps Gb/s of 4 KiB writes" || bad "DMA writes at $gbps Gb/s"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
