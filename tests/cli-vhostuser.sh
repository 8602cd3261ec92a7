#!/usr/bin/env bash
# io.path = vhostuser: virtio-net served by a poll-mode switch in host user space over a
# poll-mode PF driver (OVS-DPDK). The guest never kicks (no exit per packet), the host's
# PF takes no interrupt, the switch's core is busy all the time whatever the load (CPU
# counted as busy cores), the guest is interrupted through its call eventfd only when
# its NAPI sleeps, the switch's per-packet cost bounds what it forwards, and segments
# cross the port whole only when the switch offers TSO. A DPDK application in the guest
# (virtio PMD) takes no interrupt and no exit, its vCPU busy all the time, and its
# request-response is faster than the kernel's. Run by `make check`.
set -u
. "$(dirname "$0")/lib.sh" vhostuser

W="$OUT/v.ini"
cat >"$W" <<EOF2
include = $TOP/workloads/platforms/spr-gen5x16.ini
[workload]
kind = paths
[io]
path = vhostuser
[traffic]
packet_bytes = 64
vms = 2
[run]
kernel = native
warmup_us = 200
duration_us = 1000
[sweep]
traffic.pattern = stream_tx, stream_rx, rr
EOF2
expect 0 "" "vhostuser streams both ways and answers requests" -- \
    "$IOVSIM" run "$W" --out "$OUT/s" -q --no-plots
R="$OUT/s/results.csv"
mpps=($(csv_col "$R" throughput_mpps)) busy=($(csv_col "$R" cores_busy)) irqs=($(csv_col "$R" irqs_per_sec))
for i in 0 1 2; do
    cmp_num "${mpps[$i]}" ">" 0.1 && ok "point $i moves packets (${mpps[$i]} Mpps)" || bad "point $i: ${mpps[$i]} Mpps"
done
for i in 0 1 2; do
    P="$OUT/s/points/000$i/stats.txt"
    k=$(stat_of "$P" hv.exits.mmio_kernel) u=$(stat_of "$P" cpu.core0.util)
    [ "$k" = 0 ] && ok "point $i: no kick exits" || bad "point $i: $k kick exits"
    cmp_num "$u" ">" 0.99 && ok "point $i: the switch's core is busy ($u)" || bad "point $i: core0 util $u"
    for s in nic.pf.irqs nicdrv.pf.irqs; do
        v=$(stat_of "$P" "$s")
        [ "$v" = 0 ] && ok "point $i: $s none" || bad "point $i: $s = $v"
    done
done
# Two vCPUs and the switch's core, whatever they do.
awk -v b="${busy[2]}" 'BEGIN { exit !(b > 1.0 && b <= 3.0001) }' &&
    ok "request-response counts the switch's core among the busy ones (${busy[2]})" ||
    bad "cores_busy ${busy[2]}"
cmp_num "${irqs[2]}" ">" 1000 && ok "the guest is interrupted while its NAPI sleeps (${irqs[2]}/s)" ||
    bad "irqs_per_sec ${irqs[2]}"
cmp_num "${irqs[0]}" "<" 1 && ok "a transmitting guest takes no interrupt" || bad "stream_tx irqs ${irqs[0]}"

# The switch's per-packet cost bounds what one PMD core forwards to the guests.
expect 0 "" "a dearer switch" -- "$IOVSIM" run "$W" --out "$OUT/c" -q --no-plots \
    --set traffic.pattern=stream_rx --set vhostuser.switch_cycles=28000
m=$(csv_col "$OUT/c/results.csv" throughput_mpps)
cmp_num "$m" "<" 0.105 && cmp_num "$m" ">" 0.08 &&
    ok "28,000 cycles a packet at 2.8 GHz forward about 0.1 Mpps ($m)" || bad "$m Mpps"

# TCP-like messages: segmented in software unless the switch offers TSO to the guest
# and asks the PF for it (OVS-DPDK's userspace-tso-enable).
for tso in false true; do
    expect 0 "" "TCP-like stream, vhostuser.tso = $tso" -- "$IOVSIM" run "$W" --out "$OUT/t$tso" \
        -q --no-plots --set traffic.pattern=stream_tx --set traffic.msg_bytes=65536 \
        --set traffic.packet_bytes=1518 --set vhostuser.tso=$tso --set vhostuser.csum=$tso --set pmd.tso=$tso
done
a=$(stat_of "$OUT/t"false/points/0000/stats.txt net.sw_segmented)
b=$(stat_of "$OUT/t"true/points/0000/stats.txt net.sw_segmented)
cmp_num "$a" ">" 0 && [ "$b" = 0 ] && ok "segmented in software without TSO ($a frames), not with it" ||
    bad "sw_segmented: $a without TSO, $b with"

# testpmd's place in the PVP benchmark: the guest's PMD polls its virtqueues.
expect 0 "" "a DPDK application in the guest" -- "$IOVSIM" run "$W" --out "$OUT/p" -q \
    --no-plots --set guest.driver=poll
P="$OUT/p/results.csv"
pm=($(csv_col "$P" throughput_mpps)) pirq=($(csv_col "$P" irqs_per_sec))
putil=($(csv_col "$P" vm_cpu_util)) plat=($(csv_col "$P" latency_ns_p50))
klat=($(csv_col "$R" latency_ns_p50))
for i in 0 1 2; do
    S="$OUT/p/points/000$i/stats.txt"
    x=$(( $(stat_of "$S" hv.exits.mmio_kernel) + $(stat_of "$S" hv.exits.mmio_user) + $(stat_of "$S" hv.exits.hlt) ))
    cmp_num "${pm[$i]}" ">" 0.1 && [ "${pirq[$i]}" = 0 ] && [ "$x" = 0 ] &&
        cmp_num "${putil[$i]}" ">" 0.999 &&
        ok "poll point $i: ${pm[$i]} Mpps, no interrupt, no I/O or halt exit, vCPUs busy (${putil[$i]})" ||
        bad "poll point $i: ${pm[$i]} Mpps, ${pirq[$i]} irqs/s, $x I/O and halt exits, util ${putil[$i]}"
done
cmp_num "${plat[2]}" "<" "${klat[2]}" &&
    ok "request-response: ${plat[2]} ns with the PMD against ${klat[2]} ns with the kernel's stack" ||
    bad "rr p50: poll ${plat[2]} ns, kernel ${klat[2]} ns"
# Every PMD thread spins, whether or not its queue gets packets: with four host cores and
# one VM's single flow, three of them find nothing, and still burn their cores, which
# count busy and whose cycles are the host's. A poll-mode guest that only sends spins
# too: its cycles per packet are its whole core's.
expect 0 "" "four PMD cores, one VM" -- "$IOVSIM" run "$W" --out "$OUT/m" -q --no-plots \
    --set traffic.vms=1 --set place.host_cores=4 --set traffic.pattern=stream_tx --set guest.driver=poll
M="$OUT/m/results.csv"
mb=$(csv_col "$M" cores_busy) mm=$(csv_col "$M" throughput_mpps)
mh=$(csv_col "$M" host_cycles_per_pkt) mg=$(csv_col "$M" guest_cycles_per_pkt)
ghz=$(awk -F" = " '$1 == "cpu.ghz" { print $2 }' "$OUT/m/points/0000/params.txt")
awk -v b="$mb" 'BEGIN { exit !(b > 4.999 && b < 5.001) }' &&
    ok "four PMD cores and the vCPU count busy ($mb)" || bad "cores_busy $mb"
awk -v h="$mh" -v g="$mg" -v m="$mm" -v ghz="$ghz" \
    'BEGIN { hc = h * m / (ghz * 1e3); gc = g * m / (ghz * 1e3);
             exit !(hc > 3.99 && hc < 4.01 && gc > 0.99 && gc < 1.01) }' &&
    ok "the host's cycles are four cores' ($mh a packet), the guest's one core's ($mg)" ||
    bad "host $mh, guest $mg cycles a packet at $mm Mpps, $ghz GHz"
expect 2 "guest.driver = poll" "a DPDK application on the emulated NIC is refused" -- \
    "$IOVSIM" run "$W" --out "$OUT/x" -q --no-plots --set guest.driver=poll --set io.path=emulated
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
