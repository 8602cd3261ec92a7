#!/usr/bin/env bash
# io.path = siov (Scalable IOV) on the Sapphire Rapids platform, against sriov: each
# VM's interface is PF queue pairs tagged with its PASID. Its throughput is SR-IOV's at
# 64 bytes and MTU (HD-IOV, EuroSys 2024: "similar performance as SR-IOV"), its DMA
# goes through PASID entries without a fault, no exit per packet (the slow path's exits
# are at set-up), every upstream request a DW longer on the wire than SR-IOV's, a DPDK
# application on it takes no interrupt, and it is refused without the IOMMU's scalable
# mode. Run by `make check`.
set -u
. "$(dirname "$0")/lib.sh" siov

W="$OUT/s.ini"
cat >"$W" <<EOF2
include = $TOP/workloads/platforms/spr-gen5x16.ini
[workload]
kind = paths
[iommu]
scalable = true
[traffic]
vms = 2
[run]
kernel = native
warmup_us = 400
duration_us = 1000
[sweep]
traffic.packet_bytes = 64, 1518
io.path = sriov, siov
EOF2
expect 0 "" "sriov and siov stream" -- "$IOVSIM" run "$W" --out "$OUT/s" -q --no-plots
R="$OUT/s/results.csv"
path=($(csv_col "$R" io.path)) gbps=($(csv_col "$R" throughput_gbps))
exits=($(csv_col "$R" exits_per_sec)) faults=($(csv_col "$R" iommu_faults))
[ "${path[0]}" = sriov ] && [ "${path[1]}" = siov ] && ok "sweep order" || bad "order ${path[*]}"
for k in 0 2; do
    r=$(awk -v a="${gbps[k + 1]}" -v b="${gbps[k]}" 'BEGIN { printf "%.3f", a / b }')
    cmp_num "$r" ">" 0.95 && cmp_num "$r" "<" 1.05 &&
        ok "siov's throughput is sriov's (${gbps[k + 1]} vs ${gbps[k]} Gb/s)" ||
        bad "siov ${gbps[k + 1]} vs sriov ${gbps[k]} Gb/s"
    # The timer's exits only, as SR-IOV's with posted interrupts.
    cmp_num "${exits[k + 1]}" "<" "$(awk -v e="${exits[k]}" 'BEGIN { print e * 1.05 + 1000 }')" &&
        ok "no exit per packet (${exits[k + 1]} exits/s; sriov ${exits[k]})" ||
        bad "siov ${exits[k + 1]} exits/s, sriov ${exits[k]}"
    [ "${faults[k + 1]}" = 0 ] && ok "no IOMMU fault" || bad "${faults[k + 1]} faults"
done
# 64 bytes: points 0 (sriov) and 1 (siov).
P0="$OUT/s/points/0000/stats.txt" P1="$OUT/s/points/0001/stats.txt"
for s in hv.exits.mmio_user hv.exits.config siov.vdcm_accesses iommu.faults_total; do
    v=$(stat_of "$P1" "$s")
    [ "${v:-x}" = 0 ] && ok "$s during traffic: none" || bad "$s = ${v:-missing}"
done
v=$(stat_of "$P1" iommu.pasid_hits)
cmp_num "${v:-0}" ">" 1000 && ok "DMA through PASID entries ($v PASID-cache hits)" ||
    bad "iommu.pasid_hits = ${v:-missing}"
# Upstream TLPs a DW longer: bytes per TLP, siov less sriov, between 3.5 and 4 (MSI
# writes carry no PASID).
d=$(awk -v w1="$(stat_of "$P1" pcie.up.wire_bytes)" -v t1="$(stat_of "$P1" pcie.up.tlps)" \
    -v w0="$(stat_of "$P0" pcie.up.wire_bytes)" -v t0="$(stat_of "$P0" pcie.up.tlps)" \
    'BEGIN { printf "%.3f", w1 / t1 - w0 / t0 }')
cmp_num "$d" ">" 3.5 && cmp_num "$d" "<" 4.001 &&
    ok "the PASID prefix: $d more bytes per upstream TLP" ||
    bad "$d bytes more per upstream TLP"

# A DPDK application on its interface takes no interrupt and spins.
expect 0 "" "poll mode on siov" -- "$IOVSIM" run "$W" --out "$OUT/p" -q --no-plots \
    --set traffic.pattern=rr --set io.path=siov --set guest.driver=poll \
    --set traffic.packet_bytes=64
i=$(csv_col "$OUT/p/results.csv" irqs_per_sec) u=$(csv_col "$OUT/p/results.csv" vm_cpu_util)
[ "$i" = 0 ] && ok "no interrupt in poll mode" || bad "irqs_per_sec = $i"
cmp_num "$u" ">" 0.99 && ok "the vCPU spins ($u)" || bad "vm_cpu_util = $u"

# Refusals.
expect 2 "io.path = siov needs the IOMMU in scalable mode \(iommu.scalable = true\)" \
    "siov without scalable mode is refused" -- \
    "$IOVSIM" run "$W" --out "$OUT/x" -q --no-plots --set io.path=siov --set iommu.scalable=false
expect 2 "but the device has 128 \(nic.total_queues = 128" \
    "more ADI queue pairs than the device's pool holds are refused" -- \
    "$IOVSIM" run "$W" --out "$OUT/x" -q --no-plots --set io.path=siov --set traffic.vms=64 \
    --set io.queues=2
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
