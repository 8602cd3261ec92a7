#!/usr/bin/env bash
# viommu.mode = caching: a guest vIOMMU (QEMU's intel-iommu with caching mode) over a VM's
# VF. Every guest map and unmap of a sent packet traps (one exit each, no more), the
# device's addresses are the guest's IOVAs (the host IOTLB misses on them, and nothing
# faults), sending collapses while receiving through a recycled page pool does not, and
# the paths without an assigned function and a DPDK guest are refused. Run by `make
# check`.
set -u
. "$(dirname "$0")/lib.sh" viommu

W="$OUT/v.ini"
cat >"$W" <<EOF2
include = $TOP/workloads/platforms/spr-gen5x16.ini
[workload]
kind = paths
[io]
path = sriov
[traffic]
packet_bytes = 1518
[run]
kernel = native
warmup_us = 200
duration_us = 1000
[sweep]
traffic.pattern = stream_tx, stream_rx
viommu.mode = none, caching
EOF2
expect 0 "" "a VF's streams with and without a guest vIOMMU" -- "$IOVSIM" run "$W" --out "$OUT/s" -q --no-plots
R="$OUT/s/results.csv"
gbps=($(csv_col "$R" throughput_gbps)) faults=($(csv_col "$R" iommu_faults)) miss=($(csv_col "$R" iotlb_misses))
# Points: tx none, tx caching, rx none, rx caching.
P="$OUT/s/points/0001/stats.txt"
x=$(stat_of "$P" hv.exits.mmio_user) m=$(stat_of "$P" viommu.map_traps) u=$(stat_of "$P" viommu.unmap_traps)
sent=$(stat_of "$P" net.sent)
[ -n "$m" ] && [ "$m" -gt 0 ] && [ "$x" = $((m + u)) ] &&
    ok "an exit per trapped invalidation ($x exits: $m after maps, $u after unmaps)" ||
    bad "exits $x, map traps $m, unmap traps $u"
awk -v m="$m" -v s="$sent" 'BEGIN { exit !(m >= 0.95 * s && m <= 1.05 * s + 2) }' &&
    ok "one map trap per packet sent ($m for $sent)" || bad "$m map traps for $sent packets"
[ "${faults[1]}" = 0 ] && [ "${faults[3]}" = 0 ] && ok "the device never faults" ||
    bad "faults ${faults[*]}"
cmp_num "${miss[1]}" ">" $((${miss[0]} + 50)) &&
    ok "the host IOTLB misses on the guest's IOVAs (${miss[1]} against ${miss[0]})" ||
    bad "IOTLB misses ${miss[*]}"
cmp_num "${gbps[1]}" "<" "$(awk -v g="${gbps[0]}" 'BEGIN { print g / 5 }')" &&
    ok "sending collapses under the traps (${gbps[1]} against ${gbps[0]} Gb/s)" ||
    bad "sending ${gbps[1]} against ${gbps[0]} Gb/s"
awk -v a="${gbps[3]}" -v b="${gbps[2]}" 'BEGIN { exit !(a > 0.95 * b) }' &&
    ok "receiving through the recycled page pool does not (${gbps[3]} against ${gbps[2]} Gb/s)" ||
    bad "receiving ${gbps[3]} against ${gbps[2]} Gb/s"
R2="$OUT/s/points/0003/stats.txt"
[ "$(stat_of "$R2" viommu.map_traps)" = 0 ] && ok "no map trap while receiving" ||
    bad "receive map traps $(stat_of "$R2" viommu.map_traps)"

expect 2 "passthrough, sriov or vdpa" "a path without an assigned function is refused" -- \
    "$IOVSIM" run "$W" --out "$OUT/x" -q --no-plots --set io.path=paravirt --set viommu.mode=caching
expect 2 "guest.driver = poll" "a DPDK guest is refused" -- \
    "$IOVSIM" run "$W" --out "$OUT/y" -q --no-plots --set guest.driver=poll --set viommu.mode=caching
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
