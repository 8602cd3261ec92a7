#!/usr/bin/env bash
# trace.pcap: the NIC's wire as a pcap file that tcpdump reads: every frame both ways,
# in time order, with the headers the model's frames imply (VLAN tags included), and
# as many frames each way as the link partner counted. Run by `make check` (tcpdump
# comes with ./bootstrap).
set -u
. "$(dirname "$0")/lib.sh" pcap

if ! command -v tcpdump >/dev/null 2>&1; then
    echo "tcpdump is not installed (./bootstrap installs it): skipped"
    exit 77
fi
WL="$OUT/rr.ini"
cat >"$WL" <<EOF
include = $TOP/workloads/platforms/xeon-e5v4-gen3x8.ini
[workload]
kind = paths
[io]
path = sriov
[nic]
vf_vlan = 10
[traffic]
pattern = rr
packet_bytes = 200
vms = 2
[run]
kernel = native
warmup_us = 0
duration_us = 1500
[trace]
pcap = wire.pcap
EOF
expect 0 "" "a run capturing its wire" -- "$IOVSIM" run "$WL" --out "$OUT/r" -q --no-plots
P="$OUT/r/points/0000"
stat() { awk -v n="$1" '$1 == n { print $2 }' "$P/stats.txt"; }
tcpdump -nn -e -tt --nano -r "$P/wire.pcap" >"$OUT/dump" 2>"$OUT/tcpdump-err"
[ $? = 0 ] && grep -q "link-type EN10MB" "$OUT/tcpdump-err" && ok "tcpdump reads it: Ethernet" ||
    bad "tcpdump reads it: $(head -n 2 "$OUT/tcpdump-err")"
awk '{ if ($1 + 0 < last) bad = 1; last = $1 + 0 } END { exit bad || NR == 0 }' "$OUT/dump" &&
    ok "frames in time order" || bad "frames out of time order"
# Requests leave in the VMs' VLAN 10 and answers come back in it; 200-byte frames are
# 196 bytes without FCS.
grep -q "length 196: vlan 10,.* > 10\.255\.255\.1\.5001: UDP" "$OUT/dump" &&
    grep -q "length 196: vlan 10,.* 10\.255\.255\.1\.5001 > .*: UDP" "$OUT/dump" &&
    ok "requests and responses with their VLAN, length and ports" || bad "frame contents: $(head -n 2 "$OUT/dump")"
# Within the window (its end is 1.5 ms: later bookings are in the file too), as many
# each way as the partner counted, but for the frames on the wire at the end, one a VM
# at most (each has one request outstanding): the capture stamps a frame at the port,
# the partner counts it sent when it leaves and received when it arrives.
end=0.0015
out=$(awk -v e=$end '$1 + 0 <= e && / > 10\.255\.255\.1\.5001:/' "$OUT/dump" | wc -l)
in=$(awk -v e=$end '$1 + 0 <= e && / 10\.255\.255\.1\.5001 > /' "$OUT/dump" | wc -l)
near() { [ "$1" -ge "$2" ] && [ "$1" -le "$(($2 + 2))" ] || { [ "$2" -ge "$1" ] && [ "$2" -le "$(($1 + 2))" ]; }; }
[ "$out" -gt 50 ] && near "$out" "$(stat peer.rx_frames)" && near "$in" "$(stat peer.tx_frames)" &&
    ok "as many frames each way as the partner counted ($out, $in)" ||
    bad "frames each way: $out to the partner ($(stat peer.rx_frames)), $in from it ($(stat peer.tx_frames))"
# The same on the other kernel.
expect 0 "" "the same run on SystemC" -- "$IOVSIM" run "$WL" --set run.kernel=systemc --out "$OUT/s" -q --no-plots
cmp -s "$P/wire.pcap" "$OUT/s/points/0000/wire.pcap" && ok "byte-identical on both kernels" ||
    bad "the capture differs between the kernels"

# A cap on what is kept.
expect 0 "wire\.pcap: [0-9]+ frames after the first 10 \(trace\.pcap_frames\) were not captured" \
    "trace.pcap_frames caps the capture, saying so" -- "$IOVSIM" run "$WL" --set trace.pcap_frames=10 \
    --out "$OUT/c" -q --no-plots
[ "$(tcpdump -r "$OUT/c/points/0000/wire.pcap" 2>/dev/null | wc -l)" = 10 ] && ok "... to that many frames" ||
    bad "the capped capture"
# VM to VM on the port: nothing on the wire; with trace.pcap_veb the switch's frames.
sed 's/^pattern = rr$/pattern = inter_vm/' "$WL" >"$OUT/iv.ini"
expect 0 "" "VM-to-VM traffic, the switch captured" -- "$IOVSIM" run "$OUT/iv.ini" --set trace.pcap_veb=true \
    --set run.duration_us=200 --out "$OUT/v" -q --no-plots
expect 0 "" "... and not" -- "$IOVSIM" run "$OUT/iv.ini" --set run.duration_us=200 --out "$OUT/w" -q --no-plots
veb=$(tcpdump -nn -r "$OUT/v/points/0000/wire.pcap" 2>/dev/null | grep -c "10\.0\.1\.[0-9]*\.[0-9]* > 10\.0\.1\.[0-9]*\.5001")
[ "$veb" -gt 10 ] && [ "$(tcpdump -r "$OUT/w/points/0000/wire.pcap" 2>/dev/null | wc -l)" = 0 ] &&
    ok "trace.pcap_veb adds the switch's VM-to-VM frames ($veb)" || bad "VEB capture: $veb"
expect 2 "trace\.pcap = x/wire\.pcap: a file name in each point's folder" "a path is refused" -- \
    "$IOVSIM" run "$WL" --set trace.pcap=x/wire.pcap --out "$OUT/x" -q
printf '[workload]\nkind = dma\n[trace]\npcap = w.pcap\n' >"$OUT/dma.ini"
expect 2 "trace\.pcap: workload\.kind = dma has no NIC" "a kind without a NIC is refused" -- \
    "$IOVSIM" run "$OUT/dma.ini" --out "$OUT/y" -q

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
