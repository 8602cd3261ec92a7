#!/usr/bin/env bash
# trace.timeline: a run's timeline as Chrome trace-event JSON (what ui.perfetto.dev
# opens): it parses, has the core, PCIe, NIC and stage tracks, keeps to its window,
# follows one packet in trace.timeline_every, and a followed packet's flow visits the
# stages its path names, in order; it keeps to the rules of Perfetto's importer
# (tests/data/timeline-perfetto.jq: whole ns, slices that nest on each track, a queue's
# overlapping DMAs on lanes, version-2 flows bound to their own slices, sort indexes);
# the run's results do not change. Run by `make check` (jq comes with ./bootstrap).
set -u
. "$(dirname "$0")/lib.sh" timeline

if ! command -v jq >/dev/null 2>&1; then
    echo "jq is not installed (./bootstrap installs it): skipped"
    exit 77
fi
FLOW="$TOP/tests/data/timeline-flow.jq"
RULES="$TOP/tests/data/timeline-perfetto.jq"
# Each of Perfetto's rules on file $1 (called $2): broken by no event.
perfetto_rules() {
    local rules
    rules=$(jq -r -f "$RULES" "$1") && [ -n "$rules" ] || {
        bad "$2: the importer's rules did not run"
        return
    }
    while IFS=$'\t' read -r rule n example; do
        [ "$n" = 0 ] && ok "$2: $rule" || bad "$2: $rule: broken by $n events, e.g. $example"
    done <<<"$rules"
}
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
first_id() { jq '[.traceEvents[] | select(.bind_id) | .bind_id] | min + 1' "$1"; }
flow=$(jq -r --argjson id "$(first_id "$T")" -f "$FLOW" "$T")
want="guest-tx vhost-tx data read frame out frame in data write host-rx vhost-rx guest-rx recvmsg"
[ "$flow" = "$want" ] && ok "paravirt: a request's flow visits its path's stages in order" ||
    bad "paravirt flow: $flow"

expect 0 "" "the same on SR-IOV" -- "$IOVSIM" run "$WL" --set io.path=sriov --out "$OUT/s" -q --no-plots
flow=$(jq -r --argjson id "$(first_id "$OUT/s/points/0000/tl.json")" -f "$FLOW" "$OUT/s/points/0000/tl.json")
[ "$flow" = "app-tx data read frame out frame in data write app-rx recvmsg" ] &&
    ok "sriov: the guest's stages, the VF's queues and the wire" || bad "sriov flow: $flow"

# The IOMMU's walkers: a DMA benchmark in strict mode walks for its first touches.
printf '[workload]\nkind = dma\n[iommu]\nmode = strict\n[run]\nkernel = native\nwarmup_us = 0\nduration_us = 20\n[trace]\ntimeline = tl.json\n' >"$OUT/dma.ini"
expect 0 "" "a DMA run writing its timeline" -- "$IOVSIM" run "$OUT/dma.ini" --out "$OUT/d" -q --no-plots
walks=$(jq '[.traceEvents[] | select(.ph == "X" and .name == "walk")] | length' "$OUT/d/points/0000/tl.json")
# (At least as many as the window counted: the walks of time 0 come before the
# statistics start, and they are in the timeline.)
[ "$walks" -gt 0 ] && [ "$walks" -ge "$(awk '$1 == "iommu.walks" { print $2 }' "$OUT/d/points/0000/stats.txt")" ] &&
    ok "each page walk is a slice on its walker's track ($walks)" || bad "walk slices: $walks"

# What Perfetto's importer needs, on each of these timelines: a request-response run
# (paravirt, SR-IOV), a DMA benchmark, an SR-IOV stream (interrupts preempt the sender's
# thread work), an emulated stream (stages of two packets start together on a core),
# and a receive stream (a queue's DMAs overlap, dozens in flight).
expect 0 "" "an SR-IOV stream's timeline" -- "$IOVSIM" run "$WL" --set io.path=sriov \
    --set traffic.pattern=stream_tx --out "$OUT/st" -q --no-plots
expect 0 "" "an emulated stream's timeline" -- "$IOVSIM" run "$WL" --set io.path=emulated \
    --set traffic.pattern=stream_tx --out "$OUT/et" -q --no-plots
expect 0 "" "a receive stream's timeline" -- "$IOVSIM" run "$WL" --set io.path=sriov \
    --set traffic.pattern=stream_rx --out "$OUT/sr" -q --no-plots
for run in p s d st et sr; do
    perfetto_rules "$OUT/$run/points/0000/tl.json" "$run"
done
lanes=$(jq '[.traceEvents[] | select(.ph == "M" and .name == "thread_name" and (.args.name | test("^vf0 q0 rx( #[0-9]+)?$")))] | length' \
    "$OUT/sr/points/0000/tl.json")
[ "$lanes" -gt 1 ] && ok "a receive queue's overlapping DMAs are laid out on lanes ($lanes)" ||
    bad "receive queue lanes: $lanes"

# One packet in N is followed.
ids() { jq '[.traceEvents[] | select(.flow_out and (.flow_in | not))] | length' "$1"; }
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
