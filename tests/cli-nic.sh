#!/usr/bin/env bash
# The NIC workload from the command line: bad configurations are refused before the
# run (exit 2) with a message that names the problem; a small run succeeds and writes
# the NIC metrics. Run by `make check` (IOVSIM and TOP_SRCDIR come from the test
# environment).
set -u
. "$(dirname "$0")/lib.sh" cli-nic

cat >"$OUT/nic.ini" <<'INI'
[workload]
kind = nic
[run]
kernel = native
warmup_us = 20
duration_us = 50
[nic]
vfs = 4
[nicload]
vms = 4
queue_pairs = 2
frame_bytes = 1518
INI
W="$OUT/nic.ini"

expect 2 "nic\.vfs = 65: NumVFs above TotalVFs \(nic\.max_vfs = 64\)" "NumVFs above TotalVFs" -- \
    "$IOVSIM" run "$W" --set nic.vfs=65 --out "$OUT/r" -q
expect 2 "more queues than the pool holds.*nic\.total_queues = 128 \(at most 63 VFs fit\)" \
    "more queues than the pool holds" -- "$IOVSIM" run "$W" --set nic.vfs=64 --out "$OUT/r" -q
expect 2 "nic\.vf_mac_base = 01:00:5e:00:00:00 is not a unicast address" "VF MAC not unicast" -- \
    "$IOVSIM" run "$W" --set nic.vf_mac_base=01:00:5e:00:00:00 --out "$OUT/r" -q
expect 2 "nic\.vf_rate_gbps = 50: a rate limit above the line rate \(nic\.line_gbps = 40\)" \
    "rate limit above the line rate" -- "$IOVSIM" run "$W" --set nic.vf_rate_gbps=50 --out "$OUT/r" -q
expect 2 "nicload\.vms = 8 needs as many VFs.*nic\.vfs = 4" "more VMs than VFs" -- \
    "$IOVSIM" run "$W" --set nicload.vms=8 --out "$OUT/r" -q
expect 2 "nic\.vf_mac_base = 'zz' is not a MAC address" "malformed MAC" -- \
    "$IOVSIM" run "$W" --set nic.vf_mac_base=zz --out "$OUT/r" -q
# A bad point anywhere in a sweep stops the whole sweep before it runs.
expect 2 "NumVFs above TotalVFs" "a bad point in a sweep" -- \
    "$IOVSIM" run "$W" --sweep nic.vfs=4,100 --out "$OUT/r" -q
[ ! -e "$OUT/r" ] && ok "refused runs create no results folder" || bad "refused runs create no results folder"

expect 0 "" "a small SR-IOV run" -- "$IOVSIM" run "$W" --out "$OUT/ok" -q
csv="$OUT/ok/results.csv"
if [ -f "$csv" ] && head -n 1 "$csv" | grep -q 'throughput_gbps.*throughput_mpps.*drops.*tx_desc_reads.*doorbells.*irqs_per_sec.*pcie_up_bytes_per_pkt.*pcie_down_bytes_per_pkt' &&
    grep -Eq '(^|,)ok,' "$csv"; then
    ok "results.csv has the NIC metrics"
else
    bad "results.csv lacks the NIC metrics"; head -n 2 "$csv" 2>/dev/null
fi
if grep -q '^nic\.vf3\.tx_frames' "$OUT/ok/points/0000/stats.txt" 2>/dev/null &&
    grep -q '^nicdrv\.vf3\.irqs' "$OUT/ok/points/0000/stats.txt"; then
    ok "per-VF stats are written"
else
    bad "per-VF stats missing"
fi

# The shipped workloads load and pass their checks (one short point each).
expect 0 "" "workloads/nic-vfs.ini runs (one short point)" -- "$IOVSIM" run "$TOP/workloads/nic-vfs.ini" \
    --set run.duration_us=20 --set run.warmup_us=5 --set run.kernel=native \
    --sweep nicload.vms=8 --sweep nicload.direction=tx --out "$OUT/vfs" -q
expect 0 "" "workloads/nic-frames.ini runs (one short point)" -- "$IOVSIM" run "$TOP/workloads/nic-frames.ini" \
    --set run.duration_us=20 --set run.warmup_us=5 --set run.kernel=native \
    --sweep nicload.frame_bytes=1518 --out "$OUT/frames" -q

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
