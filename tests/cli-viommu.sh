#!/usr/bin/env bash
# A guest vIOMMU over a VM's VF. Caching mode (QEMU's intel-iommu): every guest map and
# unmap of a sent packet traps (one exit each, no more), the device's addresses are the
# guest's IOVAs (the host IOTLB misses on them, and nothing faults), sending collapses
# while receiving through a recycled page pool does not. Nested: maps trap nothing, the
# lazy flushes do, and a walk reads both levels; the same on a Scalable IOV ADI, by its
# PASID, on the whole NIC (passthrough) and on a vDPA VF; a nested guest booted strict
# traps an invalidation per packet sent, and receiving on two queues once per unmap,
# whichever queue made it; a VM's vCPUs take turns on its invalidation lock. The paths
# without an assigned function, a DPDK guest, nested without scalable mode and caching
# mode on an ADI are refused. Run by `make check`.
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

# Nested: the guest's table is the first level over the VM's second, in hardware. Its
# maps trap nothing, only its lazy flushes do; a walk reads both levels.
N="$OUT/n.ini"
sed -e 's/^viommu.mode = none, caching$/viommu.mode = caching, nested/' \
    -e 's/^traffic.pattern = stream_tx, stream_rx$/traffic.pattern = stream_tx/' "$W" >"$N"
printf '[iommu]\nscalable = true\n' >>"$N"
# The host's unmaps carry the invalidation hint here, as the nested guest's PASID-based
# flushes do, so that both modes' walks run over caches that invalidations leave alone:
# without it (Linux before 6.18) every caching-mode unmap empties the walk caches on its
# path, and a single-level walk reads nearly every level again.
hint=(--set iommu.iotlb_inv_hint=true)
expect 0 "" "caching mode and nested on a scalable-mode IOMMU" -- \
    "$IOVSIM" run "$N" --out "$OUT/n" -q --no-plots "${hint[@]}"
C="$OUT/n/points/0000/stats.txt" S="$OUT/n/points/0001/stats.txt"
mt=$(stat_of "$S" viommu.map_traps) ut=$(stat_of "$S" viommu.unmap_traps) sent=$(stat_of "$S" net.sent)
[ "$mt" = 0 ] && [ "$ut" -gt 0 ] && [ "$ut" -lt $((sent / 100 + 2)) ] &&
    ok "nested: no map traps, $ut flushes for $sent packets" || bad "nested traps: $mt, $ut for $sent"
rpw() { awk -v r="$(stat_of "$1" iommu.walk_reads)" -v w="$(stat_of "$1" iommu.walks)" \
    'BEGIN { printf "%.2f", w ? r / w : 0 }'; }
cmp_num "$(rpw "$S")" ">" "$(rpw "$C")" &&
    ok "a nested walk reads more than a single-level one ($(rpw "$S") against $(rpw "$C") a walk)" ||
    bad "reads per walk: nested $(rpw "$S"), caching mode $(rpw "$C")"
# Caching mode without the hint: each packet's unmap empties the walk caches on its path,
# so the next walk reads (nearly) all four levels of the second-level table.
expect 0 "" "caching mode, invalidations without the hint" -- "$IOVSIM" run "$N" \
    --out "$OUT/n0" -q --no-plots --set viommu.mode=caching
C0="$OUT/n0/points/0000/stats.txt"
cmp_num "$(rpw "$C0")" ">" 3 &&
    ok "without the hint a caching-mode walk reads $(rpw "$C0") entries (with it $(rpw "$C"))" ||
    bad "without the hint a caching-mode walk reads $(rpw "$C0") entries"
# A nested guest's strict unmaps are PASID-based invalidations of its first level, which
# carry the hint whatever the host's second-level ones do.
for h in false true; do
    expect 0 "" "a strict nested guest, iommu.iotlb_inv_hint = $h" -- "$IOVSIM" run "$N" \
        --out "$OUT/ns-$h" -q --no-plots --set viommu.mode=nested --set viommu.dma=strict \
        --set iommu.iotlb_inv_hint=$h
done
NS0="$OUT/ns-false/points/0000/stats.txt" NS1="$OUT/ns-true/points/0000/stats.txt"
r0=$(stat_of "$NS0" iommu.walk_reads) r1=$(stat_of "$NS1" iommu.walk_reads)
[ "$(stat_of "$NS0" iommu.inv_piotlb)" -gt 0 ] && [ "$r0" = "$r1" ] &&
    ok "a strict nested guest's walks read as much with the host's hint as without ($r0)" ||
    bad "strict nested guest: $r0 walk reads without the host's hint, $r1 with it"
# The VM's queues share its domain: each trapped invalidation is the queue's own that
# submitted it, so a strict guest receiving on two queues traps once per unmap (one per
# acknowledgement sent), not once per queue.
expect 0 "" "a strict nested guest receiving on two queues" -- "$IOVSIM" run "$N" \
    --out "$OUT/nq" -q --no-plots --set viommu.mode=nested --set viommu.dma=strict \
    --set traffic.pattern=stream_rx --set traffic.msg_bytes=65536 --set io.queues=2
NQ="$OUT/nq/points/0000/stats.txt"
ut=$(stat_of "$NQ" viommu.unmap_traps) acks=$(stat_of "$NQ" net.acks_sent)
[ "$acks" -gt 0 ] && awk -v u="$ut" -v a="$acks" 'BEGIN { exit !(u >= a && u <= a + 4) }' &&
    ok "two queues trap once per unmap ($ut traps, $acks acknowledgements)" ||
    bad "two queues: $ut unmap traps for $acks acknowledgements"
ng=($(csv_col "$OUT/n/results.csv" throughput_gbps))
cmp_num "${ng[1]}" ">" "$(awk -v g="${ng[0]}" 'BEGIN { print 4 * g }')" &&
    cmp_num "${ng[1]}" "<" "${gbps[0]}" &&
    ok "nested sends between caching mode and none (${ng[1]} Gb/s)" || bad "nested ${ng[1]} Gb/s"
expect 2 "iommu.scalable = true" "nested without scalable mode is refused" -- \
    "$IOVSIM" run "$W" --out "$OUT/z" -q --no-plots --set viommu.mode=nested

# A VM's vCPUs invalidate one at a time (viommu.inv_lock): the guest holds its domain's
# lock across each trap. In caching mode every packet sent traps twice, about 10 us each,
# so a VM sends no faster on two queues than on one, and much slower than two queues
# without the lock; one vCPU never waits for its own traps, and its interrupt's traps
# (the transmit completions' unmaps) do not overlap its thread's (the sends' maps): the
# lock's holds fit in the window.
# Without cost noise, so that the margins are the mechanism's.
quiet=(--set noise.cost_sigma=0 --set noise.refill=false --set noise.detours=false)
for q in 1 2; do
    for l in true false; do
        expect 0 "" "caching mode sending on $q queue(s), viommu.inv_lock = $l" -- \
            "$IOVSIM" run "$W" --out "$OUT/lk$q$l" -q --no-plots --set viommu.mode=caching \
            --sweep traffic.pattern=stream_tx --set io.queues=$q --set viommu.inv_lock=$l \
            "${quiet[@]}"
    done
done
lk() { csv_col "$OUT/lk$1/results.csv" throughput_mpps; }
w1=$(stat_of "$OUT/lk1true/points/0000/stats.txt" viommu.lock_waits)
w2=$(stat_of "$OUT/lk2true/points/0000/stats.txt" viommu.lock_waits)
[ "$w1" = 0 ] && [ "$(lk 1true)" = "$(lk 1false)" ] &&
    ok "one vCPU never waits for its own traps ($(lk 1true) Mpps with the lock and without)" ||
    bad "one queue: $w1 lock waits, $(lk 1true) Mpps with the lock, $(lk 1false) without"
[ "$w2" -gt 0 ] && awk -v a="$(lk 2true)" -v b="$(lk 1true)" -v c="$(lk 2false)" \
    'BEGIN { exit !(a < 1.35 * b && a < 0.7 * c) }' &&
    ok "two queues take turns on the lock: $(lk 2true) Mpps, $(lk 1true) on one ($w2 waits)" ||
    bad "two queues with the lock: $(lk 2true) Mpps against $(lk 1true) on one, $w2 waits"
P2="$OUT/lk2true/points/0000"
hold_us=$(awk -F' = ' '$1 == "hv.mmio_user_exit_cycles" { x = $2 }
    $1 == "viommu.map_cycles" { m = $2 } $1 == "cpu.ghz" { g = $2 }
    END { print (x + m) / g / 1000 }' "$P2/params.txt")
holds_fit() { # POINT SPAN_US WHAT: the point's traps, each held at least hold_us, fit in
    # SPAN_US (its window and what its cores may book beyond it), and no two holds overlap
    local st="$1/stats.txt"
    local n=$(($(stat_of "$st" viommu.map_traps) + $(stat_of "$st" viommu.unmap_traps)))
    local o=$(stat_of "$st" viommu.lock_overlap_ps)
    [ "$o" = 0 ] &&
        awk -v n="$n" -v h="$hold_us" -v w="$2" 'BEGIN { exit !(n * h <= w + 2 * h) }' &&
        ok "$3: the holds fit in $2 us ($n traps of $hold_us us or more), none overlaps" ||
        bad "$3: $n traps of $hold_us us or more in $2 us, $o ps overlapping"
}
holds_fit "$P2" 1000 "two queues"
# Cores that book a whole millisecond ahead (net.quantum_ns) keep more holds ahead of the
# clock than a vCPU's first ring of them holds: none is forgotten. Traps are counted as
# they are booked, up to a quantum past the 4 ms window.
expect 0 "" "caching mode sending on 8 queues, a 1 ms quantum" -- \
    "$IOVSIM" run "$W" --out "$OUT/lkq" -q --no-plots --set viommu.mode=caching \
    --sweep traffic.pattern=stream_tx --set io.queues=8 --set nic.queues_per_vf=8 \
    --set net.quantum_ns=1000000 --set run.duration_us=4000 "${quiet[@]}"
holds_fit "$OUT/lkq/points/0000" 5000 "eight queues, a 1 ms quantum"
awk -v a="$(lk 2false)" -v b="$(lk 1false)" 'BEGIN { exit !(a > 1.7 * b) }' &&
    ok "without the lock two queues trap at once: $(lk 2false) Mpps against $(lk 1false)" ||
    bad "two queues without the lock: $(lk 2false) Mpps against $(lk 1false)"
# With place.app = own a queue's transmit map traps on the application's vCPU and its
# unmap on the queue's: two vCPUs of one lane, which take turns too.
for l in true false; do
    expect 0 "" "caching mode, 64 B round trips, the application on a vCPU of its own, lock $l" -- \
        "$IOVSIM" run "$W" --out "$OUT/lo$l" -q --no-plots --set viommu.mode=caching \
        --sweep traffic.pattern=rr --set traffic.packet_bytes=64 --set place.app=own \
        --set traffic.rr_outstanding=16 --set viommu.inv_lock=$l "${quiet[@]}"
done
wo=$(stat_of "$OUT/lotrue/points/0000/stats.txt" viommu.lock_waits)
lo() { csv_col "$OUT/lo$1/results.csv" throughput_mpps; }
[ "$wo" -gt 0 ] && awk -v a="$(lo true)" -v b="$(lo false)" 'BEGIN { exit !(a < 0.8 * b) }' &&
    ok "a lane's two vCPUs take turns: $(lo true) Mpps against $(lo false) ($wo waits)" ||
    bad "place.app = own: $(lo true) Mpps with the lock, $(lo false) without, $wo waits"
# A nested strict guest receiving on four queues: its unmaps trap, its maps pass through
# the lock. Neither there nor above do two holds overlap.
expect 0 "" "a nested strict guest receiving on four queues" -- \
    "$IOVSIM" run "$W" --out "$OUT/ln" -q --no-plots --set iommu.scalable=true \
    --sweep viommu.mode=nested --set viommu.dma=strict --sweep traffic.pattern=stream_rx \
    --set io.queues=4 --set nic.queues_per_vf=4 --set traffic.msg_bytes=65536 "${quiet[@]}"
for d in lotrue ln; do
    o=$(stat_of "$OUT/$d/points/0000/stats.txt" viommu.lock_overlap_ps)
    t=$(stat_of "$OUT/$d/points/0000/stats.txt" viommu.lock_takes)
    [ "$o" = 0 ] && [ "$t" -gt 0 ] && ok "$d: $t takes of the lock, no two holds overlap" ||
        bad "$d: $o ps of holds overlapping in $t takes"
done

# An ADI under a nested vIOMMU: its PASID's entry nests the guest's table; the guest's
# maps trap nothing and its DMA is walked through both levels without a fault.
expect 0 "" "an ADI's stream under a nested vIOMMU" -- "$IOVSIM" run "$W" --out "$OUT/a" -q \
    --no-plots --set io.path=siov --set iommu.scalable=true --sweep traffic.pattern=stream_tx \
    --sweep viommu.mode=nested
A="$OUT/a/points/0000/stats.txt"
nw=$(stat_of "$A" iommu.nested_walks) wr=$(stat_of "$A" iommu.walk_reads)
wk=$(stat_of "$A" iommu.walks) am=$(stat_of "$A" viommu.map_traps)
af=$(stat_of "$A" iommu.faults_total) ap=$(stat_of "$A" iommu.pasid_hits)
[ -n "$nw" ] && [ "$nw" -gt 0 ] && [ "$am" = 0 ] && [ "$af" = 0 ] && [ "$ap" -gt 0 ] &&
    awk -v r="$wr" -v w="$wk" 'BEGIN { exit !(w > 0 && r / w > 1.5) }' &&
    ok "an ADI's DMA walks nested by its PASID ($nw nested walks, $wr reads for $wk walks), no map trap, no fault" ||
    bad "ADI nested: nested walks $nw, reads $wr for $wk walks, map traps $am, faults $af, PASID hits $ap"
expect 2 "viommu.mode = caching on an ADI" "caching mode on an ADI is refused" -- \
    "$IOVSIM" run "$W" --out "$OUT/b" -q --no-plots --set io.path=siov --set iommu.scalable=true \
    --sweep traffic.pattern=stream_tx --sweep viommu.mode=caching

# The other functions a guest owns: the whole NIC (passthrough) and a vDPA VF. Caching
# mode traps a map per packet sent there too; nested walks both levels.
for path in passthrough vdpa; do
    expect 0 "" "$path under caching mode and nested" -- "$IOVSIM" run "$N" --out "$OUT/$path" -q \
        --no-plots --set io.path=$path "${hint[@]}"
    PC="$OUT/$path/points/0000/stats.txt" PN="$OUT/$path/points/0001/stats.txt"
    pm=$(stat_of "$PC" viommu.map_traps) ps=$(stat_of "$PC" net.sent)
    px=$(stat_of "$PC" hv.exits.mmio_user) pu=$(stat_of "$PC" viommu.unmap_traps)
    awk -v m="$pm" -v s="$ps" 'BEGIN { exit !(m >= 0.95 * s && m <= 1.05 * s + 2) }' &&
        [ "$px" = $((pm + pu)) ] &&
        ok "$path, caching mode: a trapped map per packet sent ($pm for $ps), an exit each" ||
        bad "$path, caching mode: $pm map traps for $ps packets, $px exits for $((pm + pu)) traps"
    cmp_num "$(rpw "$PN")" ">" "$(rpw "$PC")" &&
        [ "$(stat_of "$PN" viommu.map_traps)" = 0 ] && [ "$(stat_of "$PN" iommu.faults_total)" = 0 ] &&
        ok "$path, nested: no map trap, no fault, $(rpw "$PN") reads a walk against $(rpw "$PC")" ||
        bad "$path nested: reads a walk $(rpw "$PN") against $(rpw "$PC")"
done

# A nested guest booted strict (viommu.dma = strict) invalidates after every unmap, each
# trapped: a trap per packet the driver reclaimed (about one per packet sent, less those
# the window's end leaves in flight), where lazy traps once per flush, and it sends less.
# Caching mode cannot run lazy; a mode for a vIOMMU that is not there is refused.
expect 0 "" "a nested guest lazy and strict" -- "$IOVSIM" run "$N" --out "$OUT/d" -q --no-plots \
    --sweep viommu.mode=nested --sweep viommu.dma=lazy,strict
DL="$OUT/d/points/0000/stats.txt" DS="$OUT/d/points/0001/stats.txt"
ul=$(stat_of "$DL" viommu.unmap_traps) us=$(stat_of "$DS" viommu.unmap_traps)
ss=$(stat_of "$DS" net.sent) dg=($(csv_col "$OUT/d/results.csv" throughput_gbps))
sc=$(stat_of "$DS" nicdrv.vf0.tx_cleaned)
[ "$us" = "$sc" ] && awk -v u="$us" -v s="$ss" 'BEGIN { exit !(u >= 0.8 * s && u <= s) }' &&
    [ "$ul" -lt $((us / 50 + 2)) ] &&
    ok "strict traps an invalidation per packet reclaimed ($us, $ss sent), lazy $ul flushes" ||
    bad "strict $us unmap traps for $sc packets reclaimed, $ss sent; lazy $ul"
cmp_num "${dg[1]}" "<" "${dg[0]}" && ok "the strict guest sends less (${dg[1]} against ${dg[0]} Gb/s)" ||
    bad "strict ${dg[1]}, lazy ${dg[0]} Gb/s"
# Each of those traps costs the host viommu.flush_cycles (QEMU and iommufd), not caching
# mode's viommu.unmap_cycles.
expect 0 "" "a strict nested guest at two flush costs" -- "$IOVSIM" run "$N" --out "$OUT/fc" -q \
    --no-plots --sweep viommu.mode=nested --set viommu.dma=strict \
    --sweep viommu.flush_cycles=5000,50000 --set viommu.unmap_cycles=1
per_trap() { awk -v h="$(stat_of "$1" cpu.host_cycles)" -v u="$(stat_of "$1" viommu.unmap_traps)" \
    'BEGIN { printf "%.0f", u ? h / u : 0 }'; }
f1=$(per_trap "$OUT/fc/points/0000/stats.txt") f2=$(per_trap "$OUT/fc/points/0001/stats.txt")
awk -v a="$f1" -v b="$f2" 'BEGIN { d = b - a; exit !(d > 0.9 * 45000 && d < 1.1 * 45000) }' &&
    ok "a nested trap costs viommu.flush_cycles ($f1 and $f2 host cycles a trap)" ||
    bad "host cycles a trap: $f1 at 5000, $f2 at 50000"

expect 2 "runs strict on an IOMMU with caching mode" "a lazy guest in caching mode is refused" -- \
    "$IOVSIM" run "$W" --out "$OUT/e" -q --no-plots --set viommu.mode=caching --set viommu.dma=lazy
expect 2 "viommu.mode = none" "a guest mode without a vIOMMU is refused" -- \
    "$IOVSIM" run "$W" --out "$OUT/f" -q --no-plots --set viommu.mode=none --set viommu.dma=strict

expect 2 "passthrough, sriov, vdpa or siov" "a path without an assigned function is refused" -- \
    "$IOVSIM" run "$W" --out "$OUT/x" -q --no-plots --set io.path=paravirt --set viommu.mode=caching
expect 2 "guest.driver = poll" "a DPDK guest is refused" -- \
    "$IOVSIM" run "$W" --out "$OUT/y" -q --no-plots --set guest.driver=poll --set viommu.mode=caching
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
