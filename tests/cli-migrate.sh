#!/usr/bin/env bash
# workloads/migrate-sriov.ini, shrunk to a 64 MiB guest and short hot-plug times so a
# point takes a fifth of a simulated second: the phases come in QEMU's order, the
# stream moves from the VF to the virtio standby and back, the stop shows in the time
# series, a request-response client survives its lost response, the downtime grows with
# the dirtying rate under a cap on rounds, a VF left attached without dirty tracking
# is refused, a vDPA VM migrates with its device kept, and a TCP-like stream to a VM
# whose stop lost its window waits for its time-out. Run by `make check`.
set -u
. "$(dirname "$0")/lib.sh" migrate
W="$TOP/workloads/migrate-sriov.ini"
col() { awk -F, -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next } c { print $c }' "$1"; }
SMALL=(--set migrate.mem_bytes=64MiB --set migrate.max_bandwidth_mib_s=1024
       --set io.migrate_at_ms=20 --set failover.remove_ms=5 --set failover.unplug_poll_ms=5
       --set failover.enumerate_ms=10 --set failover.probe_ms=10
       --set run.warmup_us=1000 --set run.duration_us=200000 --set run.sample_us=5000
       --set run.kernel=native)

expect 0 "" "a streaming point migrates" -- "$IOVSIM" run "$W" "${SMALL[@]}" \
    --sweep traffic.pattern=stream_tx --sweep migrate.dirty_rate_mb_s=25 --out "$OUT/tx" -q
P="$OUT/tx/points/0000"
order=$(awk -F, 'NR > 1 { printf "%s ", $2 }' "$P/events.csv")
[ "$order" = "unplug failover unplugged migrate stop resume replug primary " ] &&
    ok "the phases in QEMU's order" || bad "phases: $order"
at() { awk -F, -v e="$1" '$2 == e { print $1; exit }' "$P/events.csv"; }
fo=$(at failover) stop=$(at stop) resume=$(at resume) up=$(at primary)
# Mean throughput of the rows wholly inside [a, b).
mean() {
    awk -F, -v a="$1" -v b="$2" -v s=5000 'NR > 1 && $1 - s >= a && $1 <= b { t += $2; n++ }
        END { if (n) printf "%.4f", t / n; else print "none" }' "$P/timeseries.csv"
}
on_vf=$(mean 0 "$fo") on_virtio=$(mean "$fo" "$stop") back=$(mean "$up" 1e12)
awk -v a="$on_vf" -v b="$on_virtio" -v c="$back" 'BEGIN { exit !(b > 0 && a > b && c > b) }' &&
    ok "the stream on the VF ($on_vf Gb/s), on virtio ($on_virtio), on the VF again ($back)" ||
    bad "VF $on_vf, virtio $on_virtio, VF again $back"
# The sample that holds the stop carries less than its neighbours.
dip=$(awk -F, -v t="$stop" 'NR > 1 && $1 >= t { print $2; exit }' "$P/timeseries.csv")
awk -v d="$dip" -v v="$on_virtio" 'BEGIN { exit !(d < v) }' &&
    ok "the stop shows in the time series ($dip against $on_virtio Gb/s)" ||
    bad "no dip at the stop: $dip against $on_virtio"
down=$(col "$OUT/tx/results.csv" migration_downtime_ms)
awk -v d="$down" -v a="$stop" -v b="$resume" 'BEGIN { exit !(d > 0 && (b - a) / 1000 - d < 1e-3 && d - (b - a) / 1000 < 1e-3) }' &&
    ok "the downtime ($down ms) is the stop to the resume" || bad "downtime $down, marks $stop..$resume"
[ -s "$OUT/tx/plots/throughput-time.png" ] && ok "the throughput-over-time plot is drawn" ||
    bad "no plots/throughput-time.png"

expect 0 "" "a request-response point migrates" -- "$IOVSIM" run "$W" "${SMALL[@]}" \
    --set run.duration_us=400000 --sweep traffic.pattern=rr --sweep migrate.dirty_rate_mb_s=25 \
    --out "$OUT/rr" -q --no-plots
R="$OUT/rr/points/0000"
resent=$(awk '$1 == "net.rto_resent" { print $2 }' "$R/stats.txt")
last=$(tail -1 "$R/timeseries.csv" | cut -d, -f3)
awk -v r="$resent" -v l="$last" 'BEGIN { exit !(r >= 1 && l > 0.1) }' &&
    ok "the client resends its lost request ($resent) and runs on ($last M/s at the end)" ||
    bad "resent $resent, last sample $last M/s"
grep -q "^rr, 64-byte frames, 1 VM:" "$OUT/rr/summary.txt" &&
    ok "the summary names rr's frames by traffic.rr_bytes" ||
    bad "summary: $(grep '^rr,' "$OUT/rr/summary.txt")"

# With a cap on rounds (Xen's way), what is left at the stop grows with the dirtying rate.
expect 0 "" "downtime against the dirtying rate" -- "$IOVSIM" run "$W" "${SMALL[@]}" \
    --set migrate.max_rounds=2 --set migrate.max_bandwidth_mib_s=256 --set run.sample_us=0 --set run.sample= \
    --sweep traffic.pattern=stream_tx --sweep migrate.dirty_rate_mb_s=0,50,100 \
    --out "$OUT/rate" -q --no-plots
d=$(col "$OUT/rate/results.csv" migration_downtime_ms | tr '\n' ' ')
awk -v d="$d" 'BEGIN { n = split(d, x, " "); exit !(n == 3 && x[1] < x[2] && x[2] < x[3]) }' &&
    ok "downtime grows with the dirtying rate ($d ms)" || bad "downtimes $d"

expect 2 "io.standby = paravirt pairs a VM's VF with a virtio-net standby" \
    "a standby without a VF is refused" -- \
    "$IOVSIM" run "$W" "${SMALL[@]}" --set io.path=paravirt --out "$OUT/bad1" -q
expect 2 "one VM is migrated" "more than one migrated VM is refused" -- \
    "$IOVSIM" run "$W" "${SMALL[@]}" --set traffic.vms=2 --out "$OUT/bad2" -q
expect 2 "migration refused: the VM's VF stays attached" "a VF without tracking is refused" -- \
    "$IOVSIM" run "$W" "${SMALL[@]}" --set io.standby=none --out "$OUT/refused" -q
expect 0 "" "or kept with the IOMMU's dirty bits" -- "$IOVSIM" run "$W" "${SMALL[@]}" \
    --set io.standby=none --set migrate.iommu_dirty=true --sweep traffic.pattern=stream_tx \
    --sweep migrate.dirty_rate_mb_s=25 --out "$OUT/kept" -q --no-plots
order=$(awk -F, 'NR > 1 { printf "%s ", $2 }' "$OUT/kept/points/0000/events.csv")
[ "$order" = "migrate stop resume " ] && ok "no unplug when the VF is kept" || bad "phases: $order"

# A virtio VM migrates with its vhost device's writes logged: nothing to unplug, and its
# client resends what the stop lost.
expect 0 "" "a paravirt VM migrates" -- "$IOVSIM" run "$W" "${SMALL[@]}" --set io.path=paravirt \
    --set io.standby=none --set run.duration_us=400000 --sweep traffic.pattern=rr \
    --sweep migrate.dirty_rate_mb_s=25 --out "$OUT/pv" -q --no-plots
order=$(awk -F, 'NR > 1 { printf "%s ", $2 }' "$OUT/pv/points/0000/events.csv")
last=$(tail -1 "$OUT/pv/points/0000/timeseries.csv" | cut -d, -f3)
[ "$order" = "migrate stop resume " ] && awk -v l="$last" 'BEGIN { exit !(l > 0.05) }' &&
    ok "it stops, resumes and runs on ($last M/s at the end)" || bad "phases: $order, last $last"

# A TCP-like stream to a migrating VM whose window the stop fills: every frame in
# flight is lost while the VM is stopped, no acknowledgement comes, and the sender
# waits for its retransmission time-out (net.rto_min_ms) before it goes on.
expect 0 "" "a TCP-like stream to a migrating VM" -- "$IOVSIM" run "$W" "${SMALL[@]}" \
    --set io.path=paravirt --set io.standby=none --set traffic.pattern=stream_rx \
    --set traffic.msg_bytes=65536 --set net.rcv_window_bytes=1MiB --set run.duration_us=400000 \
    --set migrate.dirty_rate_mb_s=25 --out "$OUT/rto" -q --no-plots
S="$OUT/rto/points/0000/stats.txt"
rto=$(stat_of "$S" peer.rto_expiries) lost=$(stat_of "$S" net.stopped_drops)
stop=$(awk -F, '$2 == "stop" { print $1 }' "$OUT/rto/points/0000/events.csv")
late=$(awk -F, -v s="$stop" 'NR > 1 && $1 > s + 150000 && $1 < s + 190000 { print $2 }' \
    "$OUT/rto/points/0000/timeseries.csv" | sort -n | tail -1)
end=$(tail -1 "$OUT/rto/points/0000/timeseries.csv" | cut -d, -f2)
[ "$rto" = 1 ] && awk -v l="$late" -v e="$end" -v n="$lost" \
    'BEGIN { exit !(l < 0.01 && e > 5 && n > 600 && n < 800) }' &&
    ok "$lost frames lost in the stop, nothing sent until the time-out, $end Gb/s after" ||
    bad "rto_expiries $rto, $lost lost, $late Gb/s waiting, $end Gb/s at the end"

# A vDPA VM keeps its device: the guest's virtio rings go on from their saved indices on
# the destination, its DMA logged by the IOMMU's dirty bits; untracked, it is refused.
expect 0 "" "a vDPA VM migrates with its device kept" -- "$IOVSIM" run "$W" "${SMALL[@]}" \
    --set io.path=vdpa --set io.standby=none --set migrate.iommu_dirty=true \
    --sweep traffic.pattern=stream_tx --sweep migrate.dirty_rate_mb_s=25 --out "$OUT/vdpa" -q \
    --no-plots
order=$(awk -F, 'NR > 1 { printf "%s ", $2 }' "$OUT/vdpa/points/0000/events.csv")
last=$(tail -1 "$OUT/vdpa/points/0000/timeseries.csv" | cut -d, -f2)
[ "$order" = "migrate stop resume " ] && awk -v l="$last" 'BEGIN { exit !(l > 1) }' &&
    ok "no unplug; it stops, resumes and streams on ($last Gb/s at the end)" ||
    bad "vdpa phases: $order, last $last"
expect 2 "nothing tracks the vDPA device's DMA writes" "a vDPA device without tracking is refused" \
    -- "$IOVSIM" run "$W" "${SMALL[@]}" --set io.path=vdpa --set io.standby=none \
    --out "$OUT/vdpa-refused" -q

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
