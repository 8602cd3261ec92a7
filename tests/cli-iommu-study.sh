#!/usr/bin/env bash
# Command-line tests of the host DMA API in the paths kind (iommu.mode strict and lazy
# for a native application's PF queues, host/nicdrv.h): strict invalidates once per
# transmit unmap, lazy flushes once per iommu.lazy_batch unmaps, 2 MiB pages take far
# fewer page walks per MiB than 4 KiB at the same rate, off and pt build no DMA API and
# give the same results, a small root complex write buffer (rc.write_buffer_lines) makes
# receive lose throughput at 200 Gb/s with 4 KiB pages and not at 100, and a poll-mode
# driver is refused with strict. Short points of workloads/iommu-200g.ini. Run by `make check` (IOVSIM and TOP_SRCDIR come from the
# environment).
set -u
. "$(dirname "$0")/lib.sh" cli-iommu-study
WL="$TOP/workloads/iommu-200g.ini"
stat() { awk -v n="$2" '$1 == n { print $2 }' "$1/points/0000/stats.txt"; }
metric() {
    awk -F, -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next }
        { print $c; exit }' "$1/results.csv"
}
# One point: pattern, mode, page size, offered rate; extra --set arguments after, and
# WBUF the root complex's write buffer (the platform's unless set).
point() {
    local dir=$1 pattern=$2 mode=$3 page=$4 rate=$5
    shift 5
    "$IOVSIM" run "$WL" -q --no-plots --out "$dir" --set run.warmup_us=100 \
        --set run.duration_us=200 --sweep traffic.pattern="$pattern" --sweep nic.line_gbps=200 \
        --sweep iommu.mode="$mode" --sweep iommu.page_bytes="$page" \
        --sweep traffic.offered_gbps="$rate" --sweep rc.write_buffer_lines="${WBUF:-368}" \
        "$@" 2>"$OUT/err"
}

if point "$OUT/strict" stream_tx strict 4096 0; then
    u=$(stat "$OUT/strict" dmaapi.unmaps); i=$(stat "$OUT/strict" dmaapi.strict_invs)
    f=$(stat "$OUT/strict" dmaapi.flushes); m=$(stat "$OUT/strict" dmaapi.maps)
    # Counted over the window: a packet mapped before it may be unmapped in it.
    if [ -n "$u" ] && [ "$u" -gt 0 ] && [ "$u" = "$i" ] && [ "$f" = 0 ] &&
        [ "$m" -ge $((u - u / 50 - 2)) ]; then
        ok "strict: one invalidation per transmit unmap ($u unmaps, $i invalidations)"
    else
        bad "strict: unmaps $u, invalidations $i, flushes $f, maps $m"
    fi
    [ "$(metric "$OUT/strict" iommu_faults)" = 0 ] && ok "strict: the device never faults" ||
        bad "strict: faults $(metric "$OUT/strict" iommu_faults)"
else
    bad "a strict transmit point runs"
fi

if point "$OUT/lazy" stream_tx lazy 4096 0 --set iommu.lazy_batch=8; then
    u=$(stat "$OUT/lazy" dmaapi.unmaps); i=$(stat "$OUT/lazy" dmaapi.strict_invs)
    f=$(stat "$OUT/lazy" dmaapi.flushes)
    # Flushes at every 8th unmap; the window cuts one batch at each end.
    if [ -n "$f" ] && [ "$f" -gt 0 ] && [ "$i" = 0 ] && [ $((u / 8 - f)) -le 1 ] &&
        [ $((f - u / 8)) -le 1 ]; then
        ok "lazy: a flush per iommu.lazy_batch unmaps ($u unmaps, $f flushes)"
    else
        bad "lazy: unmaps $u, flushes $f, strict invalidations $i"
    fi
else
    bad "a lazy transmit point runs"
fi

# The receive buffers' walks (the device's writes) are what a hugepage-backed page pool
# removes; the acknowledgements the receivers send are still mapped in 4 KiB pages.
if point "$OUT/p4k" stream_rx lazy 4096 100 && point "$OUT/p2m" stream_rx lazy 2MiB 100; then
    a=$(stat "$OUT/p4k" iommu.walks_write); b=$(stat "$OUT/p2m" iommu.walks_write)
    w=$(metric "$OUT/p4k" iotlb_walks_per_mib); v=$(metric "$OUT/p2m" iotlb_walks_per_mib)
    if awk -v a="$a" -v b="$b" -v w="$w" -v v="$v" \
        'BEGIN { exit !(a > 100 && b < 0.1 * a && v < w) }'; then
        ok "2 MiB pages: far fewer receive-buffer walks than 4 KiB at 100 Gb/s ($b against $a)"
    else
        bad "walks by writes: 4 KiB $a, 2 MiB $b; per MiB: $w, $v"
    fi
else
    bad "receive points with 4 KiB and 2 MiB pages run"
fi

if point "$OUT/off" stream_rx off 4096 100 && point "$OUT/pt" stream_rx pt 4096 100; then
    if grep -q '^dmaapi\.' "$OUT/off/points/0000/stats.txt" "$OUT/pt/points/0000/stats.txt"; then
        bad "off and pt build no DMA API"
    else
        ok "off and pt build no DMA API"
    fi
    if cmp -s <(grep -v '^iommu\.mode' "$OUT/off/points/0000/stats.txt") \
        <(grep -v '^iommu\.mode' "$OUT/pt/points/0000/stats.txt") &&
        [ "$(metric "$OUT/off" throughput_gbps)" = "$(metric "$OUT/pt" throughput_gbps)" ]; then
        ok "off and pt: the same results (the PF in pass-through)"
    else
        bad "off and pt differ"
    fi
else
    bad "off and pt points run"
fi

# The IOTLB wall: with 92 lines a write waiting for its walk holds back the writes
# behind it until the buffer is full, so receive at 200 Gb/s with 4 KiB pages loses
# throughput against 368 lines, and at 100 Gb/s, below the wall, it does not.
if point "$OUT/w368" stream_rx lazy 4096 200 && WBUF=92 point "$OUT/w92" stream_rx lazy 4096 200 &&
    WBUF=92 point "$OUT/w92low" stream_rx lazy 4096 100; then
    a=$(metric "$OUT/w368" throughput_gbps); b=$(metric "$OUT/w92" throughput_gbps)
    c=$(metric "$OUT/w92low" throughput_gbps); w=$(stat "$OUT/w92" rc.write_buffer_waits)
    if awk -v a="$a" -v b="$b" -v c="$c" -v w="$w" \
        'BEGIN { exit !(b < 0.9 * a && c > 95 && w > 0) }'; then
        ok "a 92-line write buffer: receive at $b Gb/s against $a with 368 lines; $c at 100"
    else
        bad "write buffer: 368 lines $a Gb/s, 92 lines $b (at 100: $c), waits $w"
    fi
else
    bad "receive points with two write buffers run"
fi

expect 2 "guest\.driver = poll with iommu\.mode = strict" \
    "a poll-mode driver with strict is refused" -- \
    "$IOVSIM" run "$WL" -q --no-plots --out "$OUT/r" --set guest.driver=poll \
    --set traffic.msg_bytes=0 --sweep iommu.mode=strict --sweep traffic.pattern=stream_tx --sweep nic.line_gbps=200 \
    --sweep iommu.page_bytes=4096 --sweep traffic.offered_gbps=0

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
