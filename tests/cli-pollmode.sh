#!/usr/bin/env bash
# guest.driver = poll: a DPDK application over its poll-mode driver on the VM's VF takes
# no interrupt (none is sent, remapped or injected), keeps its vCPU's core busy however
# little traffic there is, spends tens of cycles per packet where the kernel's stack
# spends thousands, and answers sooner; the paths that cannot give it a function of its
# own refuse it. Run by `make check`.
set -u
. "$(dirname "$0")/lib.sh" pollmode
col() { awk -F, -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next } c { print $c }' "$1"; }
stat() { awk -v n="$2" '$1 == n { print $2 }' "$1"; }

W="$OUT/p.ini"
cat >"$W" <<EOF2
include = $TOP/workloads/platforms/xeon-e5v4-gen3x8.ini
[workload]
kind = paths
[io]
path = sriov
[nic]
line_gbps = 10
[traffic]
packet_bytes = 64
[run]
kernel = native
warmup_us = 200
duration_us = 2000
[sweep]
traffic.pattern = rr, stream_tx
guest.driver = kernel, poll
EOF2
expect 0 "" "kernel and poll-mode points run" -- "$IOVSIM" run "$W" --out "$OUT/r" -q --no-plots
R="$OUT/r/results.csv"
drv=($(col "$R" guest.driver)) pat=($(col "$R" traffic.pattern))
util=($(col "$R" vm_cpu_util)) p50=($(col "$R" latency_ns_p50))
cyc=($(col "$R" guest_cycles_per_pkt)) mpps=($(col "$R" throughput_mpps))
# Points in sweep order: rr kernel, rr poll, stream_tx kernel, stream_tx poll.
[ "${pat[1]}" = rr ] && [ "${drv[1]}" = poll ] && ok "sweep order" || bad "order ${pat[*]} ${drv[*]}"
P="$OUT/r/points/0001/stats.txt"
for s in rc.msis nic.vf0.irqs nicdrv.vf0.irqs hv.irqs_injected hv.irqs_posted iommu.irq_remaps; do
    v=$(stat "$P" "$s")
    [ "$v" = 0 ] && ok "poll mode: $s = 0" || bad "poll mode: $s = $v"
done
k=$(stat "$OUT/r/points/0000/stats.txt" rc.msis)
[ "${k:-0}" -gt 0 ] && ok "the kernel driver's interrupts are counted there ($k)" || bad "kernel rc.msis $k"
awk -v p="${util[1]}" -v k="${util[0]}" 'BEGIN { exit !(p > 0.99 && k < 0.95) }' &&
    ok "one request in flight: the poll-mode core is busy (${util[1]}), the kernel's idles (${util[0]})" ||
    bad "vCPU busy: poll ${util[1]}, kernel ${util[0]}"
awk -v p="${p50[1]}" -v k="${p50[0]}" 'BEGIN { exit !(p < k) }' &&
    ok "a round trip takes less (${p50[1]} against ${p50[0]} ns)" || bad "p50 poll ${p50[1]}, kernel ${p50[0]}"
# The loop's own cost per sent packet: the application's 6, tx_burst's 20, a burst's
# share of a turn and a tail write, and the spinning between bursts.
awk -v p="${cyc[3]}" -v k="${cyc[2]}" 'BEGIN { exit !(p >= 26 && p < 200 && k > 1000) }' &&
    ok "sending costs ${cyc[3]} guest cycles a packet (kernel: ${cyc[2]})" ||
    bad "guest cycles per packet: poll ${cyc[3]}, kernel ${cyc[2]}"
# The NIC sends at the 10 GbE line, 14.88 Mpps of 64-byte frames, counted as they arrive
# at the partner (and as the NIC sends them).
sent=$(stat "$OUT/r/points/0003/stats.txt" nic.vf0.tx_frames)
awk -v s="$sent" -v p="${mpps[3]}" -v k="${mpps[2]}" \
    'BEGIN { exit !(p > 10 * k && p > 14.8 && p <= 14.881 && s / 2000 > 14.8 && s / 2000 <= 14.881) }' &&
    ok "64-byte frames at the 10 GbE line (${mpps[3]} Mpps, $sent sent in 2 ms; kernel: ${mpps[2]})" ||
    bad "poll ${mpps[3]} Mpps, $sent sent in 2 ms, kernel ${mpps[2]} Mpps"

expect 2 "guest.driver = poll runs a DPDK application on a function of its own" \
    "a path without a function of its own refuses it" -- \
    "$IOVSIM" run "$W" --set io.path=paravirt --sweep guest.driver=poll --out "$OUT/bad" -q
expect 2 "traffic.msg_bytes = 0" "TCP-like streams are refused" -- \
    "$IOVSIM" run "$W" --set traffic.msg_bytes=65536 --set traffic.packet_bytes=1518 \
    --sweep traffic.pattern=stream_tx \
    --sweep guest.driver=poll --out "$OUT/bad2" -q

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
