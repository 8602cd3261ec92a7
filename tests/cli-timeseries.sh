#!/usr/bin/env bash
# Time series (run.sample_us, run.sample): a point's timeseries.csv holds each interval
# alone, so rates average back to the window's value, utilisations stay within 1, and
# a run sampled or not gives the same results; the timeseries plot draws it, with the
# marks of a point's events.csv; bad settings are refused with messages. Run by `make
# check`.
set -u
. "$(dirname "$0")/lib.sh" timeseries

WL="$OUT/rr.ini"
cat >"$WL" <<EOF
include = $TOP/workloads/platforms/xeon-e5v4-gen3x8.ini
[workload]
kind = paths
[io]
path = sriov
[traffic]
pattern = stream_tx
packet_bytes = 1518
vms = 2
[run]
kernel = native
warmup_us = 20
duration_us = 200
EOF
col() { awk -F, -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next } c { print $c }' "$1"; }

expect 0 "" "a sampled run" -- "$IOVSIM" run "$WL" --set run.sample_us=25 \
    --set run.sample="throughput_gbps, pcie_up_util, vm_cpu_util, net.delivered" \
    --out "$OUT/s" -q --no-plots
TS="$OUT/s/points/0000/timeseries.csv"
[ "$(head -n 1 "$TS")" = "time_us,throughput_gbps,pcie_up_util,vm_cpu_util,net.delivered" ] &&
    ok "the header: time, then the sampled names in order" || bad "timeseries.csv header: $(head -n 1 "$TS")"
[ "$(($(wc -l <"$TS") - 1))" = 8 ] && ok "one row per 25 us of the 200 us window" ||
    bad "rows: $(($(wc -l <"$TS") - 1))"
[ "$(col "$TS" time_us | head -n 1)" = 45 ] && [ "$(col "$TS" time_us | tail -n 1)" = 220 ] &&
    ok "time_us is each interval's end" || bad "time_us: $(col "$TS" time_us | tr '\n' ' ')"
whole=$(col "$OUT/s/results.csv" throughput_gbps)
mean=$(col "$TS" throughput_gbps | awk '{ s += $1 } END { printf "%.9g", s / NR }')
awk -v a="$whole" -v b="$mean" 'BEGIN { exit !(a > 0 && (a - b) ^ 2 <= (1e-6 * a) ^ 2) }' &&
    ok "the intervals' throughput averages to the window's ($mean, $whole)" ||
    bad "the intervals' throughput averages to the window's ($mean, $whole)"
sum=$(col "$TS" net.delivered | awk '{ s += $1 } END { print s }')
[ "$sum" = "$(awk '$1 == "net.delivered" { print $2 }' "$OUT/s/points/0000/stats.txt")" ] &&
    ok "a counter's intervals add up to its window total" || bad "net.delivered intervals add to $sum"
col "$TS" pcie_up_util | awk '{ if ($1 < 0 || $1 > 1) bad = 1; if ($1 > 0) seen = 1 } END { exit bad || !seen }' &&
    ok "a utilisation stays within [0, 1] in every interval" || bad "pcie_up_util rows: $(col "$TS" pcie_up_util | tr '\n' ' ')"

# A window that does not divide into intervals ends with a shorter one, its work in it.
expect 0 "" "a window of 200 us in 30 us intervals" -- "$IOVSIM" run "$WL" --set run.sample_us=30 \
    --set run.sample=pcie_up_util --out "$OUT/odd" -q --no-plots
last=$(tail -n 1 "$OUT/odd/points/0000/timeseries.csv")
[ "${last%%,*}" = 220 ] && awk -v v="${last#*,}" 'BEGIN { exit !(v > 0 && v <= 1) }' &&
    ok "the last, 20 us interval has its utilisation ($last)" || bad "the last interval: $last"

# Sampling only reads: the results are the same without it.
expect 0 "" "the same run without sampling" -- "$IOVSIM" run "$WL" --out "$OUT/n" -q --no-plots
diff <(cut -d, -f1- "$OUT/s/results.csv") <(cut -d, -f1- "$OUT/n/results.csv") >/dev/null &&
    ok "results.csv is the same sampled or not" || bad "results.csv differs sampled and not"

# Without run.sample every metric is sampled, then every gauge (what waits at the
# interval's end: the stages' queues, the NIC's receive pipeline).
expect 0 "" "every metric by default" -- "$IOVSIM" run "$WL" --set run.sample_us=100 \
    --out "$OUT/d" -q --no-plots
head -n 1 "$OUT/d/points/0000/timeseries.csv" | tr , '\n' | tail -n +2 >"$OUT/ts-cols"
"$IOVSIM" metrics paths | awk 'NR > 2 && !NF { exit } NR > 2 { print $1 }' >"$OUT/ref"
printf 'net.stage_queued\nnic.rx_queued_frames\nnet.vcpus_halted\nnet.vcpus_polling\nnet.vcpus_blocked\n' >>"$OUT/ref"
! grep -qvxf "$OUT/ref" "$OUT/ts-cols" && [ "$(wc -l <"$OUT/ts-cols")" -gt 10 ] &&
    [ "$(tail -n 5 "$OUT/ts-cols" | paste -sd ' ')" = "net.stage_queued nic.rx_queued_frames net.vcpus_halted net.vcpus_polling net.vcpus_blocked" ] &&
    ok "the default columns are the kind's metrics, then its gauges" ||
    bad "default columns: $(tr '\n' ' ' <"$OUT/ts-cols")"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "net.stage_queued") c = i; next }
    c && $c != int($c) { bad = 1 } END { exit bad || !c }' "$OUT/d/points/0000/timeseries.csv" &&
    ok "a gauge is a count at the interval's end" || bad "the gauge column"

# vCPU states: a paravirtual VM answering 3,000 requests a second idles between them;
# KVM's window (grown to at most 200 us) covers the first part of each gap and the vCPU
# sleeps for the rest. Halted is polling plus blocked at every interval's end.
expect 0 "" "vCPU states sampled" -- "$IOVSIM" run "$WL" --set io.path=paravirt \
    --set traffic.pattern=rr --set traffic.packet_bytes=64 --set traffic.vms=1 \
    --set traffic.rr_requests_per_s=3000 --set traffic.arrivals=poisson \
    --set run.duration_us=20000 --set run.warmup_us=2000 --set run.sample_us=50 \
    --set run.sample="net.vcpus_halted, net.vcpus_polling, net.vcpus_blocked" \
    --out "$OUT/v" -q --no-plots
awk -F, 'NR > 1 { if ($2 != $3 + $4) bad = 1; p += $3; b += $4; n++ }
    END { exit bad || !p || !b || p + b > n }' "$OUT/v/points/0000/timeseries.csv" &&
    ok "a VM's vCPU is seen polling at some interval ends and blocked at others" ||
    bad "vCPU states: $(awk -F, 'NR > 1 { p += $3; b += $4; n++ } END { print p, b, n }' "$OUT/v/points/0000/timeseries.csv")"

# The plot.
cat >>"$WL" <<EOF
sample_us = 25
sample = throughput_gbps, pcie_up_util
[plot rate]
kind = timeseries
y = throughput_gbps
EOF
expect 0 "" "a run with a timeseries plot" -- "$IOVSIM" run "$WL" --out "$OUT/p" -q
[ -s "$OUT/p/plots/rate.png" ] && [ "$(grep -c '^[0-9]' "$OUT/p/plots/rate.dat")" = 8 ] &&
    ok "the timeseries plot is drawn from the point's rows" || bad "the timeseries plot"
[ ! -e "$OUT/p/points/0000/events.csv" ] && ! grep -q 'set arrow' "$OUT/p/plots/rate.gp" &&
    ok "a model that records no marks leaves no events.csv and no marks" || bad "marks without events"

# Marks (no model records any yet: the file is written here as sim/run.c writes it).
GP="$OUT/p/plots/rate.gp"
printf 'time_us,event\n10,unplug\n120.5,failover\n120.5,vf_unplugged\n500,replug\n' \
    >"$OUT/p/points/0000/events.csv"
expect 0 "plots: .*rate" "iovsim plot draws a point's marks with gnuplot" -- "$IOVSIM" plot "$OUT/p"
[ "$(grep -c '^set arrow from' "$GP")" = 2 ] &&
    grep -q "^set arrow from 120.5, graph 0 to 120.5, graph 1 as 100$" "$GP" &&
    grep -q "^set label 'failover, vf_unplugged' at 120.5, graph" "$GP" &&
    grep -q "^# Not drawn, after its point's run ended: 'replug' at 500 us$" "$GP" &&
    [ -s "$OUT/p/plots/rate.png" ] && [ ! -e "$OUT/p/plots/rate.log" ] &&
    ok "a dashed line per time, labels at one time joined, a mark after the run listed" ||
    bad "the marks in rate.gp: $(grep -i 'arrow\|label\|not drawn' "$GP" | tr '\n' ' ')"
lo=$(sed -n 's/^set xrange \[\([^:]*\):.*/\1/p' "$GP")
awk -v lo="$lo" 'BEGIN { exit !(lo != "" && lo < 10) }' &&
    ok "a mark in warm-up widens the time axis" || bad "a mark in warm-up: $(grep '^set xrange' "$GP")"
printf '[plot rate]\nkind = timeseries\ny = throughput_gbps\nmarks = false\n' >"$OUT/nomarks.ini"
expect 0 "plots: .*rate" "marks = false" -- "$IOVSIM" plot "$OUT/p" "$OUT/nomarks.ini"
! grep -q 'set arrow' "$GP" && ok "marks = false draws none" || bad "marks = false drew marks"
printf 'time_us,event\n10,unplug\n1o,stop\n' >"$OUT/p/points/0000/events.csv"
expect 2 "points/0000/events\.csv:3: wants TIME_US,EVENT.*'1o,stop'" \
    "a damaged events.csv refuses the plot, naming the file and line" -- "$IOVSIM" plot "$OUT/p"

# Refusals.
expect 2 "run\.sample is set but run\.sample_us is 0" "names without an interval" -- \
    "$IOVSIM" run "$WL" --set run.sample_us=0 --out "$OUT/x1" -q
expect 2 "run\.sample_us = 500 is longer than run\.duration_us = 200" "an interval longer than the window" -- \
    "$IOVSIM" run "$WL" --set run.sample_us=500 --out "$OUT/x2" -q
expect 2 "at most 100000" "too many intervals" -- \
    "$IOVSIM" run "$WL" --set run.sample_us=0.001 --out "$OUT/x3" -q
expect 2 "run\.sample = throughput_gbsp set at --set" \
    "an unknown name is refused before anything runs, where it was set" -- \
    "$IOVSIM" run "$WL" --set run.sample=throughput_gbsp --out "$OUT/x4" -q --no-plots
grep -q "no statistic is named 'throughput_gbsp' (did you mean 'throughput_gbps'?)" "$OUT/err" &&
    ok "... with the closest name" || bad "... with the closest name"
# A timeseries plot the workload itself cannot draw is refused (with --set only, it is
# a note: the file as written draws it).
sed '/^sample_us = 25$/d; /^sample = /d' "$WL" >"$OUT/nosample.ini"
expect 2 "plot 'rate': a timeseries plot draws the points' timeseries\.csv: set run\.sample_us" \
    "a timeseries plot without sampling" -- "$IOVSIM" run "$OUT/nosample.ini" --out "$OUT/x6" -q
sed 's/^sample = .*/sample = pcie_up_util/' "$WL" >"$OUT/other.ini"
expect 2 "plot 'rate': y = throughput_gbps is not sampled \(run\.sample = pcie_up_util\)" \
    "a timeseries plot of a column not sampled" -- "$IOVSIM" run "$OUT/other.ini" --out "$OUT/x7" -q
sed '/^sample = /d; s/^y = throughput_gbps$/y = throughput_gbsp/' "$WL" >"$OUT/typo.ini"
expect 2 "plot 'rate': no metric 'throughput_gbsp'" "every metric sampled: y must be a metric" -- \
    "$IOVSIM" run "$OUT/typo.ini" --out "$OUT/x8" -q
printf '[plot bad]\nkind = timeseries\nx = traffic.vms\ny = throughput_gbps\n' >>"$WL"
expect 2 "a timeseries plot's x is time" "a timeseries plot with an x" -- \
    "$IOVSIM" run "$WL" --out "$OUT/x5" -q

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
