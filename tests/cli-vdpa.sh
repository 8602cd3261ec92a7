#!/usr/bin/env bash
# io.path = vdpa: the guest's virtio-net on virtqueues its VF serves. The host does no
# work per packet (paravirt's vhost does thousands of cycles), the guest's driver costs
# are virtio.*'s, interrupts are posted (no exit, no host handler), the transmit
# interrupt is asked for late (fewer interrupts than packets when streaming), the
# vector has no moderation (no EITR writes), and a DPDK application on the vDPA device
# takes no interrupt at all. Run by `make check`.
set -u
. "$(dirname "$0")/lib.sh" vdpa

W="$OUT/v.ini"
cat >"$W" <<EOF2
include = $TOP/workloads/platforms/spr-gen5x16.ini
[workload]
kind = paths
[traffic]
packet_bytes = 1518
vms = 2
[run]
kernel = native
warmup_us = 200
duration_us = 1000
[sweep]
io.path = vdpa, paravirt, sriov
EOF2
expect 0 "" "vdpa, paravirt and sriov stream" -- "$IOVSIM" run "$W" --out "$OUT/s" -q --no-plots \
    --set traffic.pattern=stream_tx
R="$OUT/s/results.csv"
path=($(csv_col "$R" io.path)) host=($(csv_col "$R" host_cycles_per_pkt)) irqs=($(csv_col "$R" irqs_per_sec))
mpps=($(csv_col "$R" throughput_mpps)) guest=($(csv_col "$R" guest_cycles_per_pkt))
[ "${path[0]}" = vdpa ] && [ "${path[1]}" = paravirt ] && ok "sweep order" || bad "order ${path[*]}"
# Host cycles that do not scale with packets (timer ticks) are a few per packet.
cmp_num "${host[0]}" "<" 10 && cmp_num "${host[1]}" ">" 1000 &&
    ok "no host work per packet on vdpa (${host[0]} cycles; paravirt ${host[1]})" ||
    bad "host cycles per packet: vdpa ${host[0]}, paravirt ${host[1]}"
cmp_num "${mpps[0]}" ">" 0.1 && ok "vdpa streams (${mpps[0]} Mpps)" || bad "vdpa ${mpps[0]} Mpps"
ratio=$(awk -v i="${irqs[0]}" -v m="${mpps[0]}" 'BEGIN { printf "%.3f", i / (m * 1e6) }')
cmp_num "$ratio" "<" 0.5 && ok "transmit interrupts asked for late ($ratio per packet)" ||
    bad "$ratio interrupts per packet"
P="$OUT/s/points/0000/stats.txt"
for s in hv.irqs_injected nicdrv.vf0.eitr_writes; do
    v=$(stat_of "$P" "$s")
    [ "${v:-0}" = 0 ] && ok "$s: none" || bad "$s = $v"
done
v=$(stat_of "$P" hv.irqs_posted)
cmp_num "${v:-0}" ">" 0 && ok "interrupts posted ($v)" || bad "hv.irqs_posted = ${v:-none}"

# The driver's per-packet work is virtio-net's (virtio.tx_cycles), also on vdpa.
expect 0 "" "a dearer virtio-net transmit" -- "$IOVSIM" run "$W" --out "$OUT/c" -q --no-plots \
    --set traffic.pattern=stream_tx --set virtio.tx_cycles=1600 --set io.path=vdpa
g=$(csv_col "$OUT/c/results.csv" guest_cycles_per_pkt)
d=$(awk -v a="$g" -v b="${guest[0]}" 'BEGIN { printf "%.0f", a - b }')
cmp_num "$d" ">" 900 && cmp_num "$d" "<" 1100 &&
    ok "virtio.tx_cycles + 1000 adds $d guest cycles per packet" || bad "added $d cycles ($g vs ${guest[0]})"

# A DPDK application over the vDPA device's rings takes no interrupt and spins.
expect 0 "" "poll mode on vdpa" -- "$IOVSIM" run "$W" --out "$OUT/p" -q --no-plots \
    --set traffic.pattern=rr --set io.path=vdpa --set guest.driver=poll --set traffic.packet_bytes=64
i=$(csv_col "$OUT/p/results.csv" irqs_per_sec) u=$(csv_col "$OUT/p/results.csv" vm_cpu_util)
[ "$i" = 0 ] && ok "no interrupt in poll mode" || bad "irqs_per_sec = $i"
cmp_num "$u" ">" 0.99 && ok "the vCPU spins ($u)" || bad "vm_cpu_util = $u"

# Refusals name the path.
expect 2 "io.path = vdpa gives each VM a VF" "a VM without a VF is refused" -- \
    "$IOVSIM" run "$W" --out "$OUT/x" -q --no-plots --set io.path=vdpa --set nic.vfs=1
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
