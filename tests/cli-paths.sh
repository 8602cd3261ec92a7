#!/usr/bin/env bash
# The I/O paths from the command line: bad configurations are refused before anything
# runs (exit 2) with a message that names the problem, and every path runs a small
# point. Run by `make check` (IOVSIM and TOP_SRCDIR come from the test environment).
set -u
. "$(dirname "$0")/lib.sh" cli-paths
WL="$TOP/tests/data/cli/net.ini"

# refused PATTERN DESCRIPTION -- ARGS...: exit 2, the message, no results folder.
refused() {
    local pattern=$1 what=$2
    shift 3
    rm -rf "$OUT/r"
    "$IOVSIM" run "$WL" --out "$OUT/r" -q "$@" >"$OUT/out" 2>"$OUT/err"
    local rc=$?
    if [ "$rc" = 2 ] && grep -Eq -- "$pattern" "$OUT/err" && [ ! -e "$OUT/r" ]; then
        ok "$what"
    else
        bad "$what (exit $rc)"
    fi
}

refused "passthrough gives the whole NIC to one VM" "passthrough with two VMs is refused" -- \
    --set io.path=passthrough --set traffic.vms=2
refused "traffic.vms = 65 needs 65 VFs, but the NIC has nic.max_vfs = 64" \
    "sriov with more VMs than the NIC has VFs is refused" -- \
    --set io.path=sriov --set traffic.vms=65 --set nic.total_queues=2048
refused "needs 4 VFs, but the PF driver enables nic.vfs = 2" \
    "sriov with more VMs than enabled VFs is refused" -- \
    --set io.path=sriov --set traffic.vms=4 --set nic.vfs=2
refused "io\.path.*(hyperloop|value)" "an unknown path is refused" -- --set io.path=hyperloop
refused "IOMMU group" "a VF whose IOMMU group holds the host's PF is refused" -- \
    --set io.path=sriov --set io.nic_acs=false
refused "IOMMU group also holds its 8 VFs" "a PF whose group holds host VFs is refused" -- \
    --set io.path=passthrough --set io.nic_acs=false --set nic.vfs=8
refused "traffic\.packet_bytes = 1518 is above the NIC's largest frame \(nic\.max_frame_bytes = 1024\)" \
    "a frame the NIC cannot carry is refused" -- --set traffic.packet_bytes=1518 \
    --set nic.max_frame_bytes=1024
refused "traffic\.rr_bytes = 1518 does not fit a receive buffer \(nicdrv\.buf_bytes = 1024" \
    "a response larger than a receive buffer is refused" -- --set traffic.rr_bytes=1518 \
    --set nicdrv.buf_bytes=1024
refused "peer\.mac = '01:00:5e:00:00:01' is not a unicast MAC address" \
    "a multicast link partner is refused" -- --set peer.mac=01:00:5e:00:00:01
refused "point [0-9]+ .*traffic\.vms=2" "a bad point deep in a sweep names the point" -- \
    --set io.path=passthrough --sweep traffic.vms=1,2

# Every path runs, and its row says ok.
for path in native emulated paravirt devdomain passthrough sriov; do
    if "$IOVSIM" run "$WL" --out "$OUT/$path" -q --set io.path=$path >"$OUT/out" 2>"$OUT/err" &&
        grep -q '^ok,' "$OUT/$path/results.csv" &&
        head -n 1 "$OUT/$path/results.csv" | grep -q 'guest_cycles_per_pkt'; then
        ok "io.path = $path runs"
    else
        bad "io.path = $path runs"
    fi
done

# A sweep over paths prints the comparison and writes it to summary.txt; an exclude
# leaves out passthrough with two VMs instead of refusing the sweep.
cat >"$OUT/sweep.ini" <<EOF2
include = $(cd "$TOP" && pwd)/tests/data/cli/net.ini
[sweep]
io.path = native, passthrough, sriov
traffic.vms = 1, 2
exclude = io.path=passthrough, traffic.vms!=1
EOF2
if "$IOVSIM" run "$OUT/sweep.ini" --out "$OUT/sweep" --no-plots >"$OUT/out" 2>"$OUT/err" &&
    [ "$(grep -c ',ok,' "$OUT/sweep/results.csv")" = 5 ] &&
    grep -q '^  sriov ' "$OUT/sweep/summary.txt" && grep -q '^  passthrough ' "$OUT/sweep/summary.txt" &&
    grep -q 'stream_tx, 64-byte frames, 1 VM' "$OUT/out"; then
    ok "a sweep writes and prints the paths side by side"
else
    bad "a sweep writes and prints the paths side by side"
fi

# The link partner sends each VM traffic.flows flows, one per queue pair by default,
# whatever the path: a paravirtual VM behind four host cores receives its one flow on
# one of the host's PF queues (and its core), four flows on all four.
cat >"$OUT/flows.ini" <<EOF2
include = $(cd "$TOP" && pwd)/workloads/platforms/spr-gen5x16.ini
[workload]
kind = paths
[io]
path = paravirt
[place]
host_cores = 4
[traffic]
packet_bytes = 1518
pattern = stream_rx
[run]
kernel = native
warmup_us = 200
duration_us = 300
[sweep]
traffic.flows = 0, 4
EOF2
if "$IOVSIM" run "$OUT/flows.ini" --out "$OUT/flows" -q --no-plots >"$OUT/out" 2>"$OUT/err"; then
    u0=() u4=()
    for c in 0 1 2 3; do
        u0+=("$(stat_of "$OUT/flows/points/0000/stats.txt" cpu.core$c.util)")
        u4+=("$(stat_of "$OUT/flows/points/0001/stats.txt" cpu.core$c.util)")
    done
    awk -v a="${u0[*]}" -v b="${u4[*]}" 'BEGIN { split(a, x, " "); split(b, y, " ");
        ok = x[1] > 0.9 && x[2] == 0 && x[3] == 0 && x[4] == 0;
        for (i = 1; i <= 4; i++) ok = ok && y[i] > 0.9; exit !ok }' &&
        ok "one flow keeps one host core busy (${u0[*]}), four flows four (${u4[*]})" ||
        bad "host cores' util: one flow ${u0[*]}, four flows ${u4[*]}"
else
    bad "traffic.flows sweep runs: $(cat "$OUT/err")"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
