#!/usr/bin/env bash
# The storage workload from the command line: configurations the drive or the paths
# cannot take are refused before the run (exit 2) with a message that names them; each
# built path runs and writes the storage metrics; the shipped comparison runs whole,
# draws its plots and writes its summary. Run by `make check` (IOVSIM and TOP_SRCDIR
# come from the test environment).
set -u
. "$(dirname "$0")/lib.sh" cli-storage

cat >"$OUT/st.ini" <<'INI'
include = TOP/workloads/platforms/xeon-e5v4-gen3x8.ini
include = TOP/workloads/platforms/ssd-pm1733.ini
[workload]
kind = storage
[run]
kernel = native
warmup_us = 1000
duration_us = 1000
[pcie]
lanes = 4
[cpu]
cores = 24
[nvme]
namespaces = 8
[storage]
iodepth = 8
INI
sed -i "s|TOP/|$TOP/|" "$OUT/st.ini"
W="$OUT/st.ini"

# The drive's SR-IOV resource pool: 4 VMs x (4 jobs + an admin pair) = 20 queue pairs.
expect 0 "" "four VFs that use the whole flexible pool" -- \
    "$IOVSIM" run "$W" --set storage.path=sriov --set storage.vms=4 --set storage.jobs=4 \
    --set nvme.flex_queues=20 --set nvme.flex_vectors=20 --out "$OUT/pool" -q
expect 2 "storage\.vms = 5 VFs x 5 queue pairs and vectors over-commit the drive's flexible resources \(nvme\.flex_queues = 20" \
    "a fifth VF over-commits the pool" -- "$IOVSIM" run "$W" --set storage.path=sriov \
    --set storage.vms=5 --set storage.jobs=4 --set nvme.flex_queues=20 --set nvme.flex_vectors=20 \
    --out "$OUT/r" -q
expect 2 "storage\.jobs = 9 needs 10 queue pairs and 10 vectors per VF.*nvme\.vf_max_queues = 9" \
    "more queues than a VF may have" -- "$IOVSIM" run "$W" --set storage.path=sriov \
    --set storage.jobs=9 --out "$OUT/r" -q
# A virtual disk's queues: an AHCI port's 32 slots for all of a VM's jobs, Xen's 4 rings.
expect 2 "storage\.path = emulated: a queue of the virtual disk takes 32 requests at once; 2 job\(s\) on it at storage\.iodepth = 32 would keep 64" \
    "two jobs over-fill an AHCI port" -- "$IOVSIM" run "$W" --set storage.path=emulated \
    --set storage.jobs=2 --set storage.iodepth=32 --out "$OUT/r" -q
expect 0 "" "four jobs on four blkfront rings (a driver domain of 4 CPUs)" -- "$IOVSIM" run "$W" \
    --set storage.path=devdomain --set storage.jobs=4 --set storage.iodepth=32 \
    --set storage.host_cores=4 --set run.duration_us=200 --out "$OUT/ring" -q
expect 2 "storage\.path = devdomain: a queue of the virtual disk takes 32 requests at once; 2 job\(s\) on it" \
    "blkback offers a ring per CPU of its domain" -- "$IOVSIM" run "$W" \
    --set storage.path=devdomain --set storage.jobs=4 --set storage.iodepth=32 --out "$OUT/r" -q
expect 2 "storage\.vms = 16 on storage\.host_cores = 2: up to 8 back ends share a host queue" \
    "back ends over-fill their core's host queue" -- "$IOVSIM" run "$W" \
    --set storage.path=paravirt --set storage.vms=16 --set storage.iodepth=256 \
    --set cpu.cores=20 --out "$OUT/r" -q
expect 2 "storage\.vms = 9: each VM needs a namespace of its own, nvme\.namespaces = 8" \
    "a namespace per VF" -- "$IOVSIM" run "$W" --set storage.path=sriov --set storage.vms=9 \
    --out "$OUT/r" -q
expect 2 "4 images of img\.bytes = 2199023255552 do not fit the drive's namespace" \
    "images larger than the namespace" -- "$IOVSIM" run "$W" --set storage.path=paravirt \
    --set storage.vms=4 --set img.bytes=2TiB --out "$OUT/r" -q
expect 2 "passthrough assigns the whole drive to one VM: storage\.vms = 2" \
    "passthrough with two VMs" -- "$IOVSIM" run "$W" --set storage.path=passthrough \
    --set storage.vms=2 --out "$OUT/r" -q
expect 2 "storage\.iodepth = 1024: a queue of 1024 entries takes at most 1023" "iodepth above the queue" -- \
    "$IOVSIM" run "$W" --set storage.iodepth=1024 --out "$OUT/r" -q
expect 2 "storage\.bs_bytes = 1000: a multiple of nvme\.lba_bytes = 512" "a block size off the LBA" -- \
    "$IOVSIM" run "$W" --set storage.bs_bytes=1000 --out "$OUT/r" -q
expect 2 "need 26 cores; cpu\.cores = 24" "more jobs than cores" -- \
    "$IOVSIM" run "$W" --set storage.path=sriov --set storage.vms=8 --set storage.jobs=3 --out "$OUT/r" -q
expect 2 "img\.cache = writeback with storage\.path = devdomain: Xen's blkback submits bios to the device, not through the host's page cache" \
    "Xen's blkback with the host's page cache" -- "$IOVSIM" run "$W" --set storage.path=devdomain \
    --set img.cache=writeback --out "$OUT/r" -q
expect 2 "pagecache\.resident_pct = 50 of 1 images of img\.bytes = 1073741824 is 536870912 bytes: more than pagecache\.bytes = 268435456" \
    "an initial content larger than the page cache" -- "$IOVSIM" run "$W" --set storage.path=paravirt \
    --set img.cache=writeback --set img.bytes=1GiB --set pagecache.bytes=256MiB \
    --set pagecache.resident_pct=50 --out "$OUT/r" -q
[ ! -e "$OUT/r" ] && ok "refused runs create no results folder" || bad "refused runs create no results folder"

# The host's page cache under QEMU's back ends: a run with it completes I/O without error
# and reports its hit rate.
expect 0 "" "paravirt with img.cache = writeback" -- "$IOVSIM" run "$W" --set storage.path=paravirt \
    --set img.cache=writeback --set storage.rw=randrw --out "$OUT/wb" -q
if head -n 1 "$OUT/wb/results.csv" | grep -q pagecache_hit_rate &&
    grep -q '^storage\.errors  *0 ' "$OUT/wb/points/0000/stats.txt" &&
    grep -q '^pagecache\.write_pages  *[1-9]' "$OUT/wb/points/0000/stats.txt"; then
    ok "img.cache = writeback: pagecache_hit_rate in results.csv, writes in the cache, no error"
else
    bad "img.cache = writeback: results.csv or stats.txt"
fi

# Each built path runs, completes I/O with no error, and writes the metrics.
for path in native emulated paravirt devdomain passthrough sriov; do
    expect 0 "" "a small $path run" -- "$IOVSIM" run "$W" --set storage.path=$path --out "$OUT/$path" -q
    csv="$OUT/$path/results.csv"
    stats="$OUT/$path/points/0000/stats.txt"
    iops=$(awk -F, 'NR==1{for(i=1;i<=NF;i++) if($i=="iops") c=i} NR==2{print $c}' "$csv" 2>/dev/null)
    if head -n 1 "$csv" | grep -q 'iops.*mbps.*latency_ns_p50.*guest_cycles_per_io.*exits_per_sec.*media_util' &&
        awk -v v="${iops:-0}" 'BEGIN{exit !(v > 1000)}' &&
        grep -q '^storage\.errors  *0 ' "$stats" &&
        ! grep -Eq '^(nvmedrv\.[a-z0-9]+\.errors|blkpath\.dev_errors|blkpath\.submit_refused) +[1-9]' "$stats"; then
        ok "$path: results.csv has the storage metrics, I/O ran ($iops IOPS), no error"
    else
        bad "$path: metrics, I/O or errors ($iops IOPS)"; head -n 2 "$csv" 2>/dev/null
        grep '^storage\.errors' "$stats" 2>/dev/null
    fi
done
# A VM's I/O costs exits (its interrupts, its halts); bare metal's none; an emulated
# disk's register accesses the most, per I/O.
ex() {
    awk -F, 'NR==1{for(i=1;i<=NF;i++) c[$i]=i} NR==2{printf "%.3f", $c["exits_per_sec"] / $c["iops"]}' \
        "$OUT/$1/results.csv"
}
if awk -v n="$(ex native)" -v s="$(ex sriov)" -v e="$(ex emulated)" 'BEGIN{exit !(n == 0 && s > 0 && e > s)}'; then
    ok "exits per I/O: none on bare metal, some under sriov, more for the emulated disk"
else
    bad "exits per I/O: native $(ex native), sriov $(ex sriov), emulated $(ex emulated)"
fi

# The shipped comparison runs whole and draws its plots.
expect 0 "" "workloads/compare-storage.ini runs" -- "$IOVSIM" run "$TOP/workloads/compare-storage.ini" \
    --set run.kernel=native --out "$OUT/cmp" -q -j 2
if command -v gnuplot >/dev/null 2>&1; then
    n=$(ls "$OUT/cmp/plots/"*.png 2>/dev/null | wc -l)
    [ "$n" -ge 4 ] && ok "compare-storage draws its $n plots" || bad "compare-storage drew $n plots"
fi
# Its summary names every path and gives the IOPS results.csv has (as it rounds them).
fig=$(awk -F, 'NR==1{for(i=1;i<=NF;i++) c[$i]=i; next} $c["storage.path"]=="sriov" &&
    $c["storage.rw"]=="randread" && $c["storage.iodepth"]==32 && $c["storage.vms"]==1 {
    v=$c["iops"]; if (v>=1e6) printf "%.3gM", v/1e6; else if (v>=1e4) printf "%.3gk", v/1e3
    else if (v>=1e3) printf "%.0f", int(v/10+0.5)*10; else printf "%.3g", v}' "$OUT/cmp/results.csv")
sum="$OUT/cmp/summary.txt"
got=$(grep -A9 '^randread, 4 KiB blocks, 1 VM: IOPS' "$sum" | awk '$1=="sriov"{print $5; exit}')
n=0
for path in native emulated paravirt devdomain passthrough sriov; do grep -q "^  $path " "$sum" && n=$((n+1)); done
[ "$n" = 6 ] && [ -n "$fig" ] && [ "$got" = "$fig" ] && ok "summary.txt: every path, sriov's $fig IOPS at depth 32" ||
    bad "summary.txt: $n of 6 paths, sriov at depth 32 '$got' against results.csv's '$fig'"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
