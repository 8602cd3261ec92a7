#!/usr/bin/env bash
# net.breakdown: every application packet's latency broken down into where it went;
# on every path, for datagrams and round trips, every latency sample is broken down and
# the parts add up to the measured latency (within 1%); a TCP-like stream's segments
# are followed by their first frame; the run's other results do not change. Run by
# `make check`.
set -u
. "$(dirname "$0")/lib.sh" breakdown

WL="$OUT/bd.ini"
cat >"$WL" <<EOT
include = $TOP/workloads/platforms/xeon-e5v4-gen3x8.ini
[workload]
kind = paths
[traffic]
packet_bytes = 64
[net]
breakdown = true
[run]
kernel = native
warmup_us = 2000
duration_us = 1000
[sweep]
io.path = native, emulated, paravirt, devdomain, passthrough, sriov, vmdq
traffic.pattern = rr, stream_tx
EOT
expect 0 "" "a sweep of every path, broken down" -- "$IOVSIM" run "$WL" --out "$OUT/b" -q --no-plots
cats="guest hypervisor host nic pcie iommu memory wire remote wait"
awk -F, -v cats="$cats" '
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    {
        n = split(cats, c, " "); sum = 0
        for (k = 1; k <= n; k++)
            sum += $col["latency_ns_" c[k] "_mean"]
        lat = $col["latency_ns_mean"]
        what = $col["io.path"] " " $col["traffic.pattern"]
        if (!(lat > 0) || (sum - lat) ^ 2 > (0.01 * lat) ^ 2)
            { printf "FAIL: %s: parts %.1f, latency %.1f\n", what, sum, lat; bad++ }
        else
            printf "PASS: %s: the parts add up to the latency (%.1f ns)\n", what, lat
    }
    END { exit bad > 0 }' "$OUT/b/results.csv" >"$OUT/sums"
status=$?
cat "$OUT/sums"
pass=$((pass + $(grep -c '^PASS' "$OUT/sums"))) fail=$((fail + $(grep -c '^FAIL' "$OUT/sums")))
[ "$(grep -c '^PASS' "$OUT/sums")" = 14 ] && [ $status = 0 ] && ok "all 14 points checked" ||
    bad "all 14 points checked"
# The summary has a section of where a round trip goes.
# (a row per path: the total and its ten parts, each a number).
grep -A9 "rr, 64-byte frames, 1 VM: where a round trip goes" "$OUT/b/summary.txt" |
    awk '$1 ~ /^(native|emulated|paravirt|devdomain|passthrough|sriov|vmdq)$/ && NF == 12 {
             for (i = 2; i <= 12; i++) if ($i !~ /^[0-9.e+-]+$/) next
             rows++ }
         END { exit rows != 7 }' &&
    ok "summary.txt: where a round trip goes, path by path" ||
    bad "summary.txt has no breakdown section: $(grep -c 'where a round trip' "$OUT/b/summary.txt")"

# Every latency sample was broken down: none left out of the table, none lost.
short=0
for p in "$OUT"/b/points/*/; do
    n=$(awk '$1 == "net.breakdown.packets" { print $2 }' "$p/stats.txt")
    m=$(awk '$1 == "net.latency_ps.count" { print $2 }' "$p/stats.txt")
    [ "$n" = "$m" ] && [ "$n" -gt 0 ] || short=$((short + 1))
done
lost=$(cat "$OUT"/b/points/*/stats.txt | awk '$1 == "net.breakdown.lost" || $1 == "net.breakdown.overrun_ps" { s += $2 } END { print s + 0 }')
[ "$short" = 0 ] && [ "$lost" = 0 ] && ok "every latency sample is broken down, nothing lost or cut" ||
    bad "$short points with samples not broken down; lost or cut: $lost"
# A TCP-like stream: each segment by its first frame, nothing booked past completion.
expect 0 "" "TCP-like messages, emulated and SR-IOV" -- "$IOVSIM" run "$WL" --set traffic.pattern=stream_tx \
    --set traffic.msg_bytes=65536 --set traffic.packet_bytes=1518 --sweep io.path=emulated,sriov \
    --out "$OUT/t" -q --no-plots
tcp=$(cat "$OUT"/t/points/*/stats.txt | awk '$1 == "net.breakdown.packets" { p += $2 } $1 == "net.breakdown.overrun_ps" { o += $2 } END { print p + 0, o + 0 }')
[ "${tcp#* }" = 0 ] && [ "${tcp% *}" -gt 0 ] && ok "segments broken down, none past its completion ($tcp)" ||
    bad "TCP-like breakdown: packets and overrun $tcp"
# The NIC, the wire and the partner take the same time on every path with the NIC's
# own queues (the same frames, the same link).
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["traffic.pattern"] == "rr" { print $col["latency_ns_wire_mean"], $col["latency_ns_remote_mean"] }' \
    "$OUT/b/results.csv" | sort -u >"$OUT/fixed"
[ "$(wc -l <"$OUT/fixed")" = 1 ] && ok "wire and partner time are the same on every path ($(cat "$OUT/fixed"))" ||
    bad "wire and partner time differ: $(tr '\n' ';' <"$OUT/fixed")"
# IOTLB misses show as the IOMMU's part: 4 KiB guest pages over an 8-entry IOTLB.
expect 0 "" "SR-IOV with IOTLB misses" -- "$IOVSIM" run "$WL" --set io.path=sriov --set traffic.pattern=stream_tx \
    --set io.guest_page_bytes=4KiB --set iommu.iotlb_entries=8 --set iommu.iotlb_ways=8 --out "$OUT/m" -q --no-plots
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    { exit !($col["latency_ns_iommu_mean"] > 0 && $col["iotlb_hit_rate"] < 1) }' "$OUT/m/results.csv" &&
    ok "the IOMMU's part appears with IOTLB misses" || bad "no IOMMU part with IOTLB misses"

# Only looking: the run's other results are the same without it.
expect 0 "" "the same without the breakdown" -- "$IOVSIM" run "$WL" --set net.breakdown=false \
    --out "$OUT/n" -q --no-plots
cols='latency_ns_mean|latency_ns_p99|throughput_mpps|guest_cycles_per_pkt|hv_cycles_per_pkt'
pick() { awk -F, -v re="^($cols)$" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ re) keep[i] = 1 }
    { line = ""; for (i = 1; i <= NF; i++) if (i in keep) line = line $i ","; print line }' "$1"; }
cmp -s <(pick "$OUT/b/results.csv") <(pick "$OUT/n/results.csv") &&
    ok "latency, throughput and cycles are the same with and without" ||
    bad "results differ with the breakdown on"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
