#!/usr/bin/env bash
# trace.timeline: a run's timeline as Chrome trace-event JSON (what ui.perfetto.dev
# opens): it parses, has the core, PCIe, NIC and stage tracks, keeps to its window,
# follows one packet in trace.timeline_every, and a followed packet's flow visits the
# stages its path names, in order; the run's results do not change. Run by `make check`
# (jq comes with ./bootstrap).
set -u
. "$(dirname "$0")/lib.sh" timeline

if ! command -v jq >/dev/null 2>&1; then
    echo "jq is not installed (./bootstrap installs it): skipped"
    exit 77
fi
FLOW="$TOP/tests/data/timeline-flow.jq"
WL="$OUT/rr.ini"
cat >"$WL" <<EOT
include = $TOP/workloads/platforms/xeon-e5v4-gen3x8.ini
[workload]
kind = paths
[io]
path = paravirt
[traffic]
pattern = rr
packet_bytes = 64
[run]
kernel = native
warmup_us = 1000
duration_us = 200
[trace]
timeline = tl.json
timeline_from_us = 1000
timeline_to_us = 1100
timeline_every = 1
EOT
expect 0 "" "a run writing its timeline" -- "$IOVSIM" run "$WL" --out "$OUT/p" -q --no-plots
T="$OUT/p/points/0000/tl.json"
jq -e '.traceEvents | length > 100' "$T" >/dev/null && ok "the file parses as JSON with events" ||
    bad "the file does not parse: $(jq . "$T" 2>&1 | head -n 2)"
groups=$(jq -r '[.traceEvents[] | select(.ph == "M" and .name == "process_name") | .args.name] | join(",")' "$T")
[ "$groups" = "cores,pcie,iommu,nic,stages" ] && ok "tracks of cores, PCIe, the IOMMU, the NIC and stages" ||
    bad "groups: $groups"
jq -e '[.traceEvents[] | select(.ph == "X") | select(.ts + .dur < 1000 or .ts >= 1100)] | length == 0' "$T" >/dev/null &&
    ok "every slice overlaps the window" || bad "slices outside [1000, 1100) us"
jq -e '[.traceEvents[] | select(.ph == "X" and .name == "MWr")] | length > 0' "$T" >/dev/null &&
    ok "TLPs are slices on the link's tracks" || bad "no TLP slices"
jq -e '[.traceEvents[] | select(.ph == "i")] | length > 0 and all(.name | test("^(hlt|eoi|extint|hypercall|mmio_user|mmio_kernel|ipi|config|timer|msr)$"))' "$T" >/dev/null &&
    ok "VM exits are instants named by their reason" || bad "exit instants"
# The first packet born in the window: packets are numbered from the run's start, and
# the lowest id seen is the request in flight when the window opened (one at a time).
first_id() { jq '[.traceEvents[] | select(.ph == "s") | .id] | min + 1' "$1"; }
flow=$(jq -r --argjson id "$(first_id "$T")" -f "$FLOW" "$T")
want="guest-tx vhost-tx data read frame out frame in data write host-rx vhost-rx guest-rx"
[ "$flow" = "$want" ] && ok "paravirt: a request's flow visits its path's stages in order" ||
    bad "paravirt flow: $flow"

expect 0 "" "the same on SR-IOV" -- "$IOVSIM" run "$WL" --set io.path=sriov --out "$OUT/s" -q --no-plots
flow=$(jq -r --argjson id "$(first_id "$OUT/s/points/0000/tl.json")" -f "$FLOW" "$OUT/s/points/0000/tl.json")
[ "$flow" = "app-tx data read frame out frame in data write app-rx" ] &&
    ok "sriov: the guest's stages, the VF's queues and the wire" || bad "sriov flow: $flow"

# The IOMMU's walkers: a DMA benchmark in strict mode walks for its first touches.
printf '[workload]\nkind = dma\n[iommu]\nmode = strict\n[run]\nkernel = native\nwarmup_us = 0\nduration_us = 20\n[trace]\ntimeline = tl.json\n' >"$OUT/dma.ini"
expect 0 "" "a DMA run writing its timeline" -- "$IOVSIM" run "$OUT/dma.ini" --out "$OUT/d" -q --no-plots
walks=$(jq '[.traceEvents[] | select(.ph == "X" and .name == "walk")] | length' "$OUT/d/points/0000/tl.json")
# (At least as many as the window counted: the walks of time 0 come before the
# statistics start, and they are in the timeline.)
[ "$walks" -gt 0 ] && [ "$walks" -ge "$(awk '$1 == "iommu.walks" { print $2 }' "$OUT/d/points/0000/stats.txt")" ] &&
    ok "each page walk is a slice on its walker's track ($walks)" || bad "walk slices: $walks"

# Every flow starts ("s") at its earliest step and ends ("f") at its last, and the
# slices of one core track nest (urgent work has a track of its own).
jq -e '[.traceEvents[] | select(.ph == "s" or .ph == "t" or .ph == "f")] | group_by(.id)
    | all((min_by(.ts) | .ph == "s") and (length < 2 or (max_by(.ts) | .ph == "f")))' "$T" >/dev/null &&
    ok "each flow runs from its earliest step to its last" || bad "flow phases out of time order"
# (An SR-IOV stream: interrupts preempt the sender's thread work.)
expect 0 "" "an SR-IOV stream's timeline" -- "$IOVSIM" run "$WL" --set io.path=sriov \
    --set traffic.pattern=stream_tx --out "$OUT/st" -q --no-plots
jq -e '[.traceEvents[] | select(.ph == "X" and .pid == 1)] | group_by(.tid) | all(sort_by(.ts)
    | [range(1; length) as $i | .[$i - 1] as $a | .[$i] as $b
       | ($b.ts >= $a.ts + $a.dur - 1e-6) or ($b.ts + $b.dur <= $a.ts + $a.dur + 1e-6)] | all)' \
    "$OUT/st/points/0000/tl.json" >/dev/null &&
    ok "a core track's slices follow or nest in one another" || bad "overlapping slices on a core track"

# One packet in N is followed.
ids() { jq '[.traceEvents[] | select(.ph == "s") | .id] | length' "$1"; }
expect 0 "" "following one packet in 4" -- "$IOVSIM" run "$WL" --set trace.timeline_every=4 --out "$OUT/q" -q --no-plots
all=$(ids "$T") quarter=$(ids "$OUT/q/points/0000/tl.json")
[ "$all" -ge 4 ] && [ "$quarter" -le $(((all + 3) / 4)) ] && [ "$quarter" -ge $((all / 4)) ] &&
    ok "one in 4 ($quarter of $all)" || bad "followed: $quarter of $all"

# Watching changes nothing, on either kernel the file is the same, and it is off by default.
expect 0 "" "the run without a timeline" -- "$IOVSIM" run "$WL" --set trace.timeline= --out "$OUT/n" -q --no-plots
cmp -s "$OUT/p/results.csv" "$OUT/n/results.csv" && ok "results.csv is the same with and without" ||
    bad "results.csv differs with a timeline"
[ ! -e "$OUT/n/points/0000/tl.json" ] && ok "no file without trace.timeline" || bad "a file without trace.timeline"
expect 0 "" "the run on SystemC" -- "$IOVSIM" run "$WL" --set run.kernel=systemc --out "$OUT/c" -q --no-plots
cmp -s "$T" "$OUT/c/points/0000/tl.json" && ok "byte-identical on both kernels" || bad "the timeline differs between the kernels"

expect 2 "trace\.timeline = a/tl\.json: a file name in each point's folder" "a path is refused" -- \
    "$IOVSIM" run "$WL" --set trace.timeline=a/tl.json --out "$OUT/x1" -q
expect 2 "trace\.timeline_to_us = 900 is not after trace\.timeline_from_us = 1000" "an empty window is refused" -- \
    "$IOVSIM" run "$WL" --set trace.timeline_to_us=900 --out "$OUT/x2" -q

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
