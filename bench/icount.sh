#!/usr/bin/env bash
# Host instructions per simulated packet (per transfer, round trip, trace record, I/O),
# counted by callgrind, so that two runs of one build give the same numbers, whatever the
# machine's load and clock: what a change to the simulator's speed is measured with
# (docs/performance.md), where host time would move. `make bench-icount` runs it.
#
# Each case is one point (the cases bench_paths, bench_dma, bench_nic and bench_trace
# time, and two storage points) run three times under valgrind --tool=callgrind,
# counting only the instructions executed inside sim_run_point (sim/run.c: build the
# system, simulate, write stats.txt and hists.txt, take it down; not the process's
# start-up, the workload's parsing or the sweep's own files): a 1 ns window for the
# set-up, then a short and a long window. The cost of a unit is the long run's
# instructions less the short run's over the units simulated in between, so set-up and
# start-up transients cancel. Windows are chosen so that difference covers at least
# ~1,000 units in every case.
#
# usage: icount.sh [--kernel native|systemc] [--only REGEX] [--time] [--keep DIR]
#                  [--list] [--check] [--help]
#   IOVSIM (environment): the program to measure (default ./iovsim); VALGRIND: valgrind
#   (default the one on PATH). The trace sample is found beside this script
#   (../traces/samples/).
# Exit status: 0; 1 when a case failed; 2 bad usage; 77 when valgrind is missing (the
# Automake convention for a skip).
set -u

usage() {
    cat <<'EOF'
usage: bench/icount.sh [--kernel native|systemc] [--only REGEX] [--time] [--keep DIR]
                       [--list] [--check] [--help]

Host instructions per simulated unit, counted by callgrind (valgrind): deterministic,
the same on every run. For each case (every io.path streaming MTU frames and in 64-byte
request-response, one point each of the dma, nic and trace kinds, and 4 KiB random
reads at queue depth 32 on two storage paths) it prints the instructions per unit, the
kernel events per unit and the set-up instructions of a point; the table's header
defines each column.

  --kernel K    simulation kernel: native (default, what the workloads use) or systemc
  --only REGEX  only the cases whose name matches REGEX (grep -E)
  --time        add host CPU time columns, from runs without valgrind (a window 20
                times the long one; these vary from run to run and machine to machine)
  --keep DIR    keep every run's callgrind output and results under DIR (for
                callgrind_annotate DIR/CASE/long/callgrind.out.*)
  --list        print the cases and their settings; run nothing
  --check       run each case's short window once without valgrind and check that
                it counts units (a quick test that the cases still run)
  --help        this text

Environment: IOVSIM, the program (default ./iovsim); VALGRIND (default valgrind).
Exit status: 0; 1 a case failed; 2 bad usage; 77 valgrind is missing.
EOF
}

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
IOVSIM=${IOVSIM:-./iovsim}
VALGRIND=${VALGRIND:-valgrind}
kernel=native
only=
timed=0
keep=
mode=measure
while [ $# -gt 0 ]; do
    case $1 in
    --kernel) kernel=${2:-}; shift ;;
    --only) only=${2:-}; shift ;;
    --time) timed=1 ;;
    --keep) keep=${2:-}; shift ;;
    --list) mode=list ;;
    --check) mode=check ;;
    -h | --help) usage; exit 0 ;;
    *) echo "icount.sh: unknown argument '$1' (--help lists them)" >&2; exit 2 ;;
    esac
    shift
done
case $kernel in native | systemc) ;; *)
    echo "icount.sh: --kernel takes native or systemc, not '$kernel'" >&2; exit 2 ;;
esac

# The cases: NAME KIND UNIT SHORT_US LONG_US SETTINGS... Paths as bench_paths runs them
# (a 10 GbE port, 20 cores; MTU streams from 8 VMs where the path shares the NIC, from
# one for native and passthrough; vmdq's driver domain needs a PF queue per VM besides
# its own, siov's ADIs a PF queue each and scalable mode); the nic case is bench_nic's
# sriov-mtu-tx, the dma case one of bench_dma's, the trace case the 1 MiB walk-bound
# sample (bench_trace's second trace); the storage
# cases fio-like 4 KiB random reads at queue depth 32 from one job in one VM, on the
# storage kind's default drive, through a VF (sriov) and through virtio-blk (paravirt).
P="nic.line_gbps=10 cpu.cores=20"
MTU="traffic.pattern=stream_tx traffic.packet_bytes=1518"
RR="traffic.pattern=rr traffic.packet_bytes=64 traffic.vms=1"
SIOV="iommu.scalable=true nic.pf_queues=32"
NIC="nic.total_queues=256 nic.vfs=64 nic.pf_queues=2 vfdrv.rx_refill=32 vfdrv.itr=static"
NIC+=" nicload.vms=8 nicload.queue_pairs=2 nicload.frame_bytes=1518 nicload.direction=tx"
STO="storage.rw=randread storage.bs_bytes=4096 storage.iodepth=32 storage.vms=1"
TRACE="trace.timing=fast trace.outstanding=32 iommu.mode=strict"
trace=$top/traces/samples/iotlb-random-1mib.dmat.gz
cases() {
    cat <<EOF
native-mtu-tx        paths   pkt 1000 4000  $P io.path=native $MTU traffic.vms=1
emulated-mtu-tx      paths   pkt 1000 4000  $P io.path=emulated $MTU traffic.vms=8
paravirt-mtu-tx      paths   pkt 1000 4000  $P io.path=paravirt $MTU traffic.vms=8
devdomain-mtu-tx     paths   pkt 1000 4000  $P io.path=devdomain $MTU traffic.vms=8
passthrough-mtu-tx   paths   pkt 1000 4000  $P io.path=passthrough $MTU traffic.vms=1
sriov-mtu-tx         paths   pkt 1000 4000  $P io.path=sriov $MTU traffic.vms=8
vmdq-mtu-tx          paths   pkt 1000 4000  $P io.path=vmdq nic.pf_queues=32 $MTU traffic.vms=8
vdpa-mtu-tx          paths   pkt 1000 4000  $P io.path=vdpa $MTU traffic.vms=8
vhostuser-mtu-tx     paths   pkt 1000 4000  $P io.path=vhostuser $MTU traffic.vms=8
siov-mtu-tx          paths   pkt 1000 4000  $P io.path=siov $SIOV $MTU traffic.vms=8
native-64-rr         paths   rr  5000 65000 $P io.path=native $RR
emulated-64-rr       paths   rr  5000 65000 $P io.path=emulated $RR
paravirt-64-rr       paths   rr  5000 65000 $P io.path=paravirt $RR
devdomain-64-rr      paths   rr  5000 65000 $P io.path=devdomain $RR
passthrough-64-rr    paths   rr  5000 65000 $P io.path=passthrough $RR
sriov-64-rr          paths   rr  5000 65000 $P io.path=sriov $RR
vmdq-64-rr           paths   rr  5000 65000 $P io.path=vmdq $RR
vdpa-64-rr           paths   rr  5000 65000 $P io.path=vdpa $RR
vhostuser-64-rr      paths   rr  5000 65000 $P io.path=vhostuser $RR
siov-64-rr           paths   rr  5000 65000 $P io.path=siov $SIOV $RR
dma-64-read          dma     dma 20   50    dma.op=read dma.size_bytes=64 dma.outstanding=256
nic-sriov-mtu-tx     nic     pkt 200  1000  $NIC
trace-1mib-walks     trace   rec 20   100   trace.file=$trace $TRACE
sriov-4k-randread    storage io  1000 10000 storage.path=sriov $STO
paravirt-4k-randread storage io  1000 10000 storage.path=paravirt $STO
EOF
}

selected() {
    if [ -n "$only" ]; then cases | grep -E -- "^[^ ]*($only)" ; else cases; fi
}

if [ "$mode" = list ]; then
    echo "# case kind unit short_us long_us settings" \
        "(and in every case run.kernel=$kernel run.warmup_us=0 run.timeout_s=0)"
    selected
    exit 0
fi
if [ -z "$(selected)" ]; then
    echo "icount.sh: no case matches '$only' (--list shows them)" >&2
    exit 2
fi
if [ "$mode" = measure ] && ! command -v "$VALGRIND" >/dev/null 2>&1; then
    echo "icount.sh: no $VALGRIND, so host instructions cannot be counted;" \
        "install valgrind (Debian: apt-get install valgrind) and run again. Skipped." >&2
    exit 77
fi
[ "$mode" = measure ] && VALGRIND=$(command -v "$VALGRIND")
case $IOVSIM in */*) ;; *) IOVSIM=./$IOVSIM ;; esac
if [ ! -x "$IOVSIM" ]; then
    echo "icount.sh: no program $IOVSIM (build it with make, or set IOVSIM)" >&2
    exit 2
fi

# Every path the runs see has the same length wherever they run (a folder in /tmp, not
# TMPDIR; the program and the trace linked into it): the string functions' instruction
# counts depend on where the strings lie, and longer arguments move them.
work=$(mktemp -d /tmp/iovsim-icount.XXXXXX)
trap 'rm -rf "$work"' EXIT
ln -s "$(cd "$(dirname "$IOVSIM")" && pwd)/$(basename "$IOVSIM")" "$work/iovsim"
IOVSIM=$work/iovsim
ln -s "$trace" "$work/trace.dmat.gz"
trace=$work/trace.dmat.gz

# run KIND DIR DURATION_US VALGRIND(0|1) SETTINGS...: one point into DIR/out; 0 when
# it ran and its result says ok.
run() {
    local kind=$1 dir=$2 dur=$3 vg=$4
    shift 4
    local sets=() s
    for s in "$@" run.kernel="$kernel" run.warmup_us=0 run.timeout_s=0 \
        run.duration_us="$dur"; do
        sets+=(--set "$s")
    done
    mkdir -p "$dir"
    printf '[workload]\nkind = %s\n' "$kind" >"$dir/point.ini"
    local cmd=("$IOVSIM" run "$dir/point.ini" "${sets[@]}" --out "$dir/out" -q --no-plots -j 1)
    if [ "$vg" = 1 ]; then
        cmd=("$VALGRIND" --tool=callgrind --toggle-collect=sim_run_point --trace-children=yes
            "--callgrind-out-file=$dir/callgrind.out.%p" "--log-file=$dir/valgrind.log"
            "${cmd[@]}")
    fi
    # The same environment wherever it runs (make adds variables, shells differ): the
    # environment moves the stack, and with it the arguments.
    cmd=(env -i PATH=/usr/bin:/bin LC_ALL=C SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 "${cmd[@]}")
    # The CPU time (user and system) of the command and its children, in seconds.
    local TIMEFORMAT='%3U %3S'
    { time "${cmd[@]}" >"$dir/stdout" 2>"$dir/stderr"; } 2>"$dir/cpu" &&
        grep -q '^status	ok' "$dir/out/points/0000/result.txt" 2>/dev/null
}

# Instructions a run counted, summed over its processes. A forked child's count starts
# from its parent's, so counting everything would count the parent's start-up twice;
# with collection only inside sim_run_point, which only the point's child runs, the
# parent's file holds 0 and the child's the point alone.
instr() {
    awk '/^summary:/ { n += $2 } END { printf "%.0f\n", n }' "$1"/callgrind.out.*
}

stat_of() { awk -v k="$2" '$1 == k { print $2; exit }' "$1/out/points/0000/stats.txt"; }
metric_of() { awk -v k="$2" '$1 == "metric" && $2 == k { print $3; exit }' \
    "$1/out/points/0000/result.txt"; }
cpu_s() { awk '{ print $1 + $2; exit }' "$1/cpu"; }

# timed KIND DIR DURATION_US SETTINGS...: the point run three times without valgrind
# into DIR/1..3; DIR/cpu keeps the least CPU time, the one least disturbed by the rest
# of the machine.
timed() {
    local kind=$1 dir=$2 dur=$3 i
    shift 3
    for i in 1 2 3; do
        run "$kind" "$dir/$i" "$dur" 0 "$@" || return 1
    done
    for i in 1 2 3; do cpu_s "$dir/$i"; done | sort -g | head -n 1 | awk '{ print $1, 0 }' \
        >"$dir/cpu"
}

# units KIND DIR DURATION_US: simulated units of a run (the header defines them).
units() {
    case $1 in
    paths) stat_of "$2" net.latency_ps.count ;;
    dma) echo "$(stat_of "$2" dma.reads) $(stat_of "$2" dma.writes)" |
        awk '{ printf "%.0f\n", $1 + $2 }' ;;
    nic) echo "$(metric_of "$2" throughput_mpps) $3" | awk '{ printf "%.0f\n", $1 * $2 }' ;;
    trace) metric_of "$2" trace_records | awk '{ printf "%.0f\n", $1 }' ;;
    storage) echo "$(stat_of "$2" storage.reads) $(stat_of "$2" storage.writes)" |
        awk '{ printf "%.0f\n", $1 + $2 }' ;;
    esac
}

fail=0
if [ "$mode" = check ]; then
    while read -r name kind unit short long settings; do
        d=$work/$name
        # shellcheck disable=SC2086 # settings are words
        if ! run "$kind" "$d" "$short" 0 $settings; then
            echo "FAIL $name: the point did not run:"; sed 's/^/    /' "$d/stderr" | head -5
            fail=1
            continue
        fi
        n=$(units "$kind" "$d" "$short")
        if [ -n "$n" ] && [ "$n" -gt 0 ] 2>/dev/null; then
            echo "ok   $name: $n $unit in ${short} us"
        else
            echo "FAIL $name: no $unit counted in ${short} us"
            fail=1
        fi
    done < <(selected)
    exit $fail
fi

cat <<EOF
# Host instructions per simulated unit: $("$IOVSIM" --version 2>/dev/null), run.kernel = $kernel,
# $("$VALGRIND" --version) callgrind. Instructions are those executed inside sim_run_point
# (build the system, simulate, write stats.txt and hists.txt, take it down), every
# point run without warm-up (run.warmup_us = 0, so its window starts at 0):
#   setup_M      millions of instructions of a point with a 1 ns window (run.duration_us = 0.001)
#   short, long  the windows (us) of the two measured runs
#   units        units simulated in the long window less those in the short one:
#                  pkt  paths: frames that arrived at the link partner
#                       (stats.txt net.latency_ps.count); nic: frames of the workload's
#                       direction (result.txt throughput_mpps x the window)
#                  rr   round trips completed, a 64-byte request and its response
#                       (stats.txt net.latency_ps.count)
#                  dma  DMA transfers completed (stats.txt dma.reads + dma.writes)
#                  rec  trace records replayed (result.txt trace_records)
#                  io   I/Os the applications completed (stats.txt storage.reads +
#                       storage.writes)
#   instr/unit   (instructions of the long run - the short run's) / units
#   events/unit  (stats.txt sim.events of the long run - the short run's) / units: kernel callbacks
EOF
[ "$timed" = 1 ] && cat <<EOF
#   host CPU time (user + system of the whole iovsim run, the least of three runs)
#   without valgrind; these vary from run to run and machine to machine:
#   cpu_ns/unit  (CPU time of a window 20 times the long one - the short run's) / the
#                units simulated in between
#   units/cpu_s  its inverse: simulated units per second of one host core
#   run_ms       CPU time of the whole run of a 1 ns point: process start-up, parsing,
#                the point's set-up and its files
EOF
hdr=$(printf '%-20s %-7s %-4s %6s %6s %7s %11s %11s %9s' case kind unit short long units \
    instr/unit events/unit setup_M)
[ "$timed" = 1 ] && hdr+=$(printf ' %11s %11s %6s' cpu_ns/unit units/cpu_s run_ms)
echo "$hdr"

while read -r name kind unit short long settings; do
    d=$work/$name
    ok=1
    for w in setup:0.001 short:$short long:$long; do
        # shellcheck disable=SC2086 # settings are words
        if ! run "$kind" "$d/${w%%:*}" "${w#*:}" 1 $settings; then
            echo "icount.sh: $name, the ${w%%:*} run (${w#*:} us) failed:" >&2
            sed 's/^/    /' "$d/${w%%:*}/stderr" | head -5 >&2
            ok=0
            break
        fi
    done
    if [ "$ok" = 0 ]; then
        printf '%-20s %-7s %-4s %s\n' "$name" "$kind" "$unit" "FAILED"
        fail=1
        continue
    fi
    du=$(($(units "$kind" "$d/long" "$long") - $(units "$kind" "$d/short" "$short")))
    row=$(awk -v name="$name" -v kind="$kind" -v unit="$unit" -v s="$short" -v l="$long" \
        -v du="$du" -v is="$(instr "$d/setup")" -v ia="$(instr "$d/short")" \
        -v ib="$(instr "$d/long")" -v ea="$(stat_of "$d/short" sim.events)" \
        -v eb="$(stat_of "$d/long" sim.events)" 'BEGIN {
            printf "%-20s %-7s %-4s %6s %6s %7d %11s %11s %9.2f", name, kind, unit, s, l, du,
                (du > 0 ? sprintf("%.0f", (ib - ia) / du) : "-"),
                (du > 0 ? sprintf("%.3f", (eb - ea) / du) : "-"), is / 1e6 }')
    if [ "$timed" = 1 ]; then
        big=$(awk -v l="$long" 'BEGIN { printf "%g", 20 * l }')
        # shellcheck disable=SC2086 # settings are words
        if timed "$kind" "$d/time-setup" 0.001 $settings &&
            timed "$kind" "$d/time-short" "$short" $settings &&
            timed "$kind" "$d/time-long" "$big" $settings; then
            tu=$(($(units "$kind" "$d/time-long/1" "$big") -
                $(units "$kind" "$d/time-short/1" "$short")))
            row+=$(awk -v tu="$tu" -v ca="$(cpu_s "$d/time-short")" \
                -v cb="$(cpu_s "$d/time-long")" -v cs="$(cpu_s "$d/time-setup")" 'BEGIN {
                    ns = tu > 0 ? (cb - ca) * 1e9 / tu : 0
                    printf " %11.0f %11.0f %6.0f", ns, (ns > 0 ? 1e9 / ns : 0), cs * 1e3 }')
        else
            row+=" CPU time runs FAILED"
            fail=1
        fi
    fi
    echo "$row"
    if [ -n "$keep" ]; then
        mkdir -p "$keep" && rm -rf "${keep:?}/$name" && cp -r "$d" "$keep/$name"
    fi
    rm -rf "$d"
done < <(selected)
exit $fail
