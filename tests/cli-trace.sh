#!/usr/bin/env bash
# Command-line tests of DMA traces: `iovsim trace info|cat|import`, every bad input
# refused with exit 2 and a message naming the file and the record or line, a run
# recorded with --set trace.record and replayed with workload.kind = trace (timed: the
# same IOTLB hits and misses; fast: the same pages walked), the text round trip byte for
# byte, the Linux tracepoint importer, the sample traces and the IOTLB-size sweep over
# one of them. Run by `make check` (IOVSIM and TOP_SRCDIR come from the environment).
set -u
. "$(dirname "$0")/lib.sh" cli-trace
CORPUS="$TOP/tests/data/trace-corpus"
LINUX="$TOP/tests/data/trace-linux"
SAMPLES="$TOP/traces/samples"
WL="$TOP/workloads/iommu-window.ini"

check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

# A counter from a point's stats.txt, a metric from a results.csv's first row.
stat() { awk -v n="$2" '$1 == n { print $2 }' "$1/points/0000/stats.txt"; }
metric() { awk -F, -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i } NR == 2 { print $c }' "$1/results.csv"; }

expect 0 "usage: iovsim trace info FILE" "trace --help" -- "$IOVSIM" trace --help
expect 0 "iovsim trace import" "help trace" -- "$IOVSIM" help trace
expect 0 "trace info\|cat\|import" "the command list names trace" -- "$IOVSIM" --help
expect 2 "needs a command" "trace without a command" -- "$IOVSIM" trace
expect 2 "unknown command 'frob'" "trace with an unknown command" -- "$IOVSIM" trace frob
expect 2 "info: needs a trace FILE" "trace info without a file" -- "$IOVSIM" trace info
expect 2 "one trace FILE at a time" "trace cat with two files" -- "$IOVSIM" trace cat a b
expect 2 "none\.dmat\.gz: cannot open" "a missing trace" -- "$IOVSIM" trace info "$OUT/none.dmat.gz"
expect 2 "cannot read: Is a directory" "a folder is no trace" -- "$IOVSIM" trace info "$OUT"
printf '\037\213\010\000garbage' >"$OUT/cut.gz"
expect 2 "cut\.gz: truncated: the compressed stream ends before the trace header" \
    "a gzip stream cut inside its own header" -- "$IOVSIM" trace info "$OUT/cut.gz"
expect 2 "needs INPUT and OUTPUT" "import without files" -- "$IOVSIM" trace import
expect 2 "--touch takes none, read or write" "import with a bad --touch" -- \
    "$IOVSIM" trace import --touch maybe a b
expect 2 "--rid takes bus:device.function" "import with a bad --rid" -- "$IOVSIM" trace import --rid 1 a b

# Every kind of bad trace: exit 2 from info and cat, the file and what is wrong named.
while IFS='|' read -r file pattern; do
    expect 2 "$file: $pattern" "info refuses $file" -- "$IOVSIM" trace info "$CORPUS/$file"
    expect 2 "$file: $pattern" "cat refuses $file" -- "$IOVSIM" trace cat "$CORPUS/$file"
done <<'EOF'
bad-empty.dmat|empty file: no trace header
bad-magic.dmat.gz|not an iovsim DMA trace \(bad magic\)
bad-version.dmat.gz|format version 7 is newer than this iovsim reads \(1\)
bad-record-size.dmat.gz|header says records of 32 bytes; format 1 has 48
bad-header-flags.dmat.gz|unknown header flags 0x80000000
bad-params-huge.dmat.gz|corrupt header: parameters of 4294967295 bytes
bad-header-cut.dmat.gz|truncated header
bad-stream-cut.dmat.gz|truncated: the compressed stream ends after record 2
bad-crc.dmat.gz|corrupt compressed data: incorrect data check
bad-partial-record.dmat|truncated: record 3 has 20 of 48 bytes
bad-zero-length.dmat.gz|record 1: read of length 0
bad-time-backwards.dmat.gz|record 1: time 4 ps goes backwards
bad-unknown-op.dmat.gz|record 0: unknown operation 66
bad-overflow.dmat.gz|record 0: read of 64 bytes at 0xffffffffffffffe0 runs past 2\^64
bad-chain-end.dmat.gz|truncated: the trace ends inside a chained invalidation
bad-reserved.dmat.gz|record 0: reserved field is 0x0007
bad-pasid.dmat.gz|record 0: read with PASID 2097152
bad-msi.dmat.gz|record 0: msi of 8 bytes
EOF
# cat prints what comes before a bad record, then fails.
expect 2 "record 1" "cat stops at the bad record" -- "$IOVSIM" trace cat "$CORPUS/bad-zero-length.dmat.gz"
check "cat printed the good record before it" "grep -c '^1 0 read ' '$OUT/out' | grep -qx 1"

# DMAs in the last page of the 64-bit address space: read, imported and replayed (the
# IOMMU faults them, beyond its address width), never split on past 2^64 (which once
# walked the whole address space); one that runs past 2^64 is refused where it is read.
printf '# iovsim DMA trace, format 1\n1000 0 read 01:00.0 - 1 0xfffffffffffff000 64 0x0 -\n2000 0 write 01:00.0 - 1 0xffffffffffffffc0 64 0x0 -\n' >"$OUT/top.txt"
expect 0 "" "import of DMAs in the last page of the address space" -- \
    "$IOVSIM" trace import "$OUT/top.txt" "$OUT/top.dmat.gz"
expect 0 "^footprint: 1 distinct" "info on them" -- "$IOVSIM" trace info "$OUT/top.dmat.gz"
expect 0 "" "their replay ends" -- timeout 60 "$IOVSIM" run "$WL" --set workload.kind=trace \
    --set trace.file="$OUT/top.dmat.gz" --set run.warmup_us=0 --set run.duration_us=10 \
    --set run.timeout_s=30 --set iommu.page_bytes=4KiB --out "$OUT/top" -q --no-plots
check "both are blocked as beyond the IOMMU's address width" \
    "[ \"\$(stat '$OUT/top' iommu.faults_total)\" = 2 ] && [ \"\$(stat '$OUT/top' trace.writes)\" = 1 ]"
# Found by fuzzing replay: one write of 1.5 GB in a 10 us run was split into six
# million parts before the run could end. Parts that would complete more than a run
# length after its end are not simulated; the record counts as cut.
printf '# iovsim DMA trace, format 1\n1000 0 write 01:00.0 - 1 0x100000 1577058560 0x0 -\n2000 0 write 01:00.0 - 1 0x100000 256 0x0 -\n' >"$OUT/huge.txt"
"$IOVSIM" trace import "$OUT/huge.txt" "$OUT/huge.dmat.gz" >/dev/null
expect 0 "" "a replay with a DMA of gigabytes ends" -- timeout 20 "$IOVSIM" run "$WL" \
    --set workload.kind=trace --set trace.file="$OUT/huge.dmat.gz" --set run.warmup_us=0 \
    --set run.duration_us=10 --set iommu.mode=off --out "$OUT/huge" -q --no-plots
check "the huge write is cut, the small one is not" \
    "[ \"\$(stat '$OUT/huge' trace.cut_dmas)\" = 1 ] && [ \"\$(stat '$OUT/huge' trace.writes)\" = 2 ] && [ \"\$(stat '$OUT/huge' trace.latency_ps.count)\" = 1 ]"
printf '# iovsim DMA trace, format 1\n1000 0 read 01:00.0 - 1 0xffffffffffffffe0 64 0x0 -\n' >"$OUT/past.txt"
expect 2 "past\.txt:2: read of 64 bytes at 0xffffffffffffffe0 runs past 2\^64" \
    "import refuses a DMA past 2^64, naming the line" -- "$IOVSIM" trace import "$OUT/past.txt" "$OUT/past.dmat.gz"

# info counts pages without expanding DMAs: 400 reads of 4 GiB each (1.6 TiB, 400M pages).
{ echo '# iovsim DMA trace, format 1'
  for i in $(seq 0 399); do printf '%d 0 read 01:00.0 - 1 0x%x 4294967295 0x0 -\n' "$i" $((i << 32)); done; } >"$OUT/huge.txt"
"$IOVSIM" trace import "$OUT/huge.txt" "$OUT/huge.dmat.gz" 2>"$OUT/err"
expect 0 "^footprint: 419430400 distinct 4 KiB pages touched by DMA \(1\.6 TiB\)" \
    "info on huge reads is quick" -- timeout 20 "$IOVSIM" trace info "$OUT/huge.dmat.gz"

# The sample traces read through.
for f in "$SAMPLES"/*.dmat.gz; do
    expect 0 "^records: [1-9]" "info on the sample $(basename "$f")" -- "$IOVSIM" trace info "$f"
done
expect 0 "^  read +28475 " "info counts records by operation" -- \
    "$IOVSIM" trace info "$SAMPLES/iotlb-random-1mib.dmat.gz"
check "info gives requesters, footprint and sizes" \
    "grep -q '^  01:00.0 28476 records, domain 1' '$OUT/out' && grep -q '^footprint: 256 distinct 4 KiB pages' '$OUT/out' && grep -q '^  33-64: 28475' '$OUT/out'"

# Text round trip: cat, then import, gives the same file byte for byte (also from stdin).
for f in "$SAMPLES"/strict-transfer-rw.dmat.gz "$CORPUS"/ok-all-ops.dmat.gz "$CORPUS"/ok-imported.dmat.gz; do
    name=$(basename "$f")
    "$IOVSIM" trace cat "$f" >"$OUT/$name.txt" 2>"$OUT/err"
    expect 0 "" "import of the text of $name" -- "$IOVSIM" trace import "$OUT/$name.txt" "$OUT/$name"
    check "$name round-trips byte for byte" "cmp -s '$f' '$OUT/$name'"
done
"$IOVSIM" trace import - "$OUT/stdin.dmat.gz" <"$OUT/ok-all-ops.dmat.gz.txt" 2>"$OUT/err"
check "import reads standard input" "cmp -s '$CORPUS/ok-all-ops.dmat.gz' '$OUT/stdin.dmat.gz'"
printf '# iovsim DMA trace, format 1\n0 0 read 01:00.0 - 1 0x1000 64 0x0 -\n9 0 raed 01:00.0 - 1 0x1000 64 0x0 -\n' >"$OUT/bad.txt"
expect 2 "bad\.txt:3: bad operation 'raed'" "a bad text line is named" -- \
    "$IOVSIM" trace import "$OUT/bad.txt" "$OUT/bad.dmat.gz"
printf '# iovsim DMA trace, format 1\n9 0 read 01:00.0 - 1 0x1000 64 0x0 -\n5 0 read 01:00.0 - 1 0x1000 64 0x0 -\n' >"$OUT/bad.txt"
expect 2 "bad\.txt:3: time 5 ps goes backwards" "time going backwards in text is named" -- \
    "$IOVSIM" trace import --from text "$OUT/bad.txt" "$OUT/bad.dmat.gz"
# Found by fuzzing: header flags this iovsim does not know were refused by the writer,
# whose message named the output file, not the input's line.
printf '# iovsim DMA trace, format 1\n# flags: 0x00080000\n0 0 read 01:00.0 - 1 0x1000 64 0x0 -\n' >"$OUT/bad.txt"
expect 2 "bad\.txt:2: unknown header flags 0x00080000" "unknown header flags in text are named" -- \
    "$IOVSIM" trace import "$OUT/bad.txt" "$OUT/bad.dmat.gz"
check "a refused import leaves no file" "[ ! -e '$OUT/bad.dmat.gz' ] && ! ls '$OUT'/bad.dmat.gz.tmp.* >/dev/null 2>&1"
# Found by fuzzing: a trailing chained invalidation was refused by the writer's close,
# whose message named the output file.
printf '# iovsim DMA trace, format 1\n0 0 read 01:00.0 - 1 0x1000 64 0x0 -\n# a comment\n5 0 inv 01:00.0 - 1 0x1000 4096 0x0 iotlb-page,chain\n\n' >"$OUT/bad.txt"
expect 2 "bad\.txt:4: the last record is a chained invalidation" "a trailing chained invalidation in text is named" -- \
    "$IOVSIM" trace import "$OUT/bad.txt" "$OUT/bad.dmat.gz"

# Linux tracepoints, as trace-cmd report (5.x and 4.x kernels) and perf script print them.
expect 0 "4 maps, 4 unmaps, 1 faults, 3 other lines skipped; 9 records" "import of trace-cmd report text" -- \
    "$IOVSIM" trace import "$LINUX/trace-cmd.txt" "$OUT/tc.dmat.gz"
"$IOVSIM" trace cat "$OUT/tc.dmat.gz" >"$OUT/tc.txt"
check "maps, unmaps and the fault become records at their times" \
    "grep -qx '0 0 map 01:00.0 - 1 0xfffc0000 4096 0x11a2b3000 rw' '$OUT/tc.txt' && grep -qx '191000000 0 unmap 01:00.0 - 1 0xfffa0000 65536 0x0 -' '$OUT/tc.txt' && grep -qx '290000000 0 read 02:00.0 - 1 0xfffc0000 4 0x0 -' '$OUT/tc.txt'"
expect 0 "3 maps, 3 unmaps, 0 faults, 0 other lines skipped; 9 records" "import of perf script text, touching buffers" -- \
    "$IOVSIM" trace import --touch write --rid 03:00.0 --domain 4 "$LINUX/perf-script.txt" "$OUT/perf.dmat.gz"
"$IOVSIM" trace cat "$OUT/perf.dmat.gz" >"$OUT/perf.txt"
check "--touch adds a DMA over each mapped buffer, with --rid and --domain" \
    "grep -qx '2000000 0 write 03:00.0 - 4 0xfffe0000 8192 0x0 -' '$OUT/perf.txt'"
expect 0 "1 maps, 1 unmaps" "import of a 4.x kernel's format" -- "$IOVSIM" trace import "$LINUX/linux-4.x.txt" "$OUT/old.dmat.gz"
expect 2 "bad-line\.txt:2: iommu:map line does not read" "a malformed tracepoint line is named" -- \
    "$IOVSIM" trace import "$LINUX/bad-line.txt" "$OUT/bl.dmat.gz"
# A size that would expand into 2^34 records, and ranges past 2^64: refused by line.
tp='  kworker/5:1H-412   [005] ..... 98765.432110: map:      IOMMU: iova=0x%016x - 0x0000000000000000 paddr=0x0000000000000000 size=%s\n'
{ printf '%s\n' 'cpus=8'; printf "$tp" 0 18446744073709551615; } >"$OUT/huge-map.txt"
expect 2 "huge-map\.txt:2: iommu:map of 18446744073709551615 bytes is more than one line may cover \(1099511627776 bytes, 1 TiB" \
    "an absurd map size is refused with its line" -- timeout 60 "$IOVSIM" trace import "$OUT/huge-map.txt" "$OUT/hm.dmat.gz"
check "and leaves no file" "! ls '$OUT'/hm.dmat.gz* >/dev/null 2>&1"
printf "$tp" 0 1099511627776 >"$OUT/tib-map.txt"
expect 0 "; 1024 records" "a 1 TiB map is 1024 records" -- "$IOVSIM" trace import "$OUT/tib-map.txt" "$OUT/tib.dmat.gz"
printf "$tp" -4096 8192 >"$OUT/past-map.txt"
expect 2 "past-map\.txt:1: iommu:map of 8192 bytes at iova 0xfffffffffffff000 runs past 2\^64" \
    "a map past 2^64 is refused with its line" -- "$IOVSIM" trace import "$OUT/past-map.txt" "$OUT/pm.dmat.gz"
printf '  kworker/5:1H-412   [005] ..... 98765.432110: unmap:    IOMMU: iova=0xffffffffffffe000 - 0x0000000000000000 size=16384 unmapped_size=16384\n' >"$OUT/past-unmap.txt"
expect 2 "past-unmap\.txt:1: iommu:unmap of 16384 bytes at iova 0xffffffffffffe000 runs past 2\^64" \
    "an unmap past 2^64 is refused with its line" -- "$IOVSIM" trace import "$OUT/past-unmap.txt" "$OUT/pu.dmat.gz"
expect 0 "" "an imported trace replays (strict policy at each unmap)" -- \
    "$IOVSIM" run "$WL" --set workload.kind=trace --set trace.file="$OUT/perf.dmat.gz" \
    --set trace.invalidate=policy --set run.warmup_us=0 --set iommu.page_bytes=4KiB \
    --set dma.window_bytes=1MiB --out "$OUT/imp" -q --no-plots
# (records at time 0 come before the measurement starts, even with no warm-up)
check "its maps were mapped and its DMAs translated" \
    "[ \"\$(stat '$OUT/imp' trace.maps)\" = 2 ] && [ \"\$(stat '$OUT/imp' iommu.iotlb_misses)\" -gt 0 ] && [ \"\$(stat '$OUT/imp' iommu.invalidations)\" = 3 ] && [ \"\$(stat '$OUT/imp' rc.unsupported_requests)\" = 0 ]"

# Record a run, replay it timed on the same configuration: the same IOTLB hits and misses.
small=(--set dma.window_bytes=1MiB --set iommu.page_bytes=4KiB --set run.duration_us=40 --set run.warmup_us=4)
expect 0 "" "a run records its DMA stream" -- \
    "$IOVSIM" run "$WL" "${small[@]}" --set trace.record=rec.dmat.gz --out "$OUT/rec" -q
trace="$OUT/rec/points/0000/rec.dmat.gz"
check "the trace is in the point's folder, whole" \
    "[ -s '$trace' ] && ! ls '$OUT'/rec/points/0000/*.tmp.* >/dev/null 2>&1"
check "no trace in the current folder (the plot check's dry build records nothing)" \
    "[ ! -e rec.dmat.gz ] && ! ls rec.dmat.gz.tmp.* >/dev/null 2>&1"
expect 0 "creator: iovsim [0-9]" "the trace names its creator" -- "$IOVSIM" trace info "$trace"
check "the trace header holds the run's parameters" \
    "'$IOVSIM' trace cat '$trace' | grep -q '^#|dma.window_bytes = 1048576\$'"
expect 0 "" "the trace replays timed" -- \
    "$IOVSIM" run "$WL" "${small[@]}" --set workload.kind=trace --set trace.file="$trace" --out "$OUT/rep" -q --no-plots
for s in iommu.iotlb_hits iommu.iotlb_misses iommu.walks iommu.walks_merged rc.reads mem.llc_read_misses; do
    check "timed replay reproduces $s ($(stat "$OUT/rec" $s))" "[ '$(stat "$OUT/rec" $s)' = '$(stat "$OUT/rep" $s)' ]"
done
check "the recorded run missed in the IOTLB" "[ $(stat "$OUT/rec" iommu.iotlb_misses) -gt 300 ]"

# Fast replay over the whole trace walks for the same pages as a timed one.
for t in timed fast; do
    expect 0 "" "$t replay of the whole trace" -- "$IOVSIM" run "$WL" "${small[@]}" --set run.warmup_us=0 \
        --set run.duration_us=1e6 --set workload.kind=trace --set trace.file="$trace" --set trace.timing=$t \
        --set trace.outstanding=32 --out "$OUT/whole-$t" -q --no-plots
done
check "fast and timed replay walk for the same pages ($(stat "$OUT/whole-timed" iommu.walks))" \
    "[ '$(stat "$OUT/whole-timed" iommu.walks)' = '$(stat "$OUT/whole-fast" iommu.walks)' ]"
check "and serve the same share of look-ups without a walk ($(metric "$OUT/whole-fast" trace_iotlb_nowalk_rate))" \
    "[ '$(metric "$OUT/whole-timed" trace_iotlb_nowalk_rate)' = '$(metric "$OUT/whole-fast" trace_iotlb_nowalk_rate)' ]"

# A sample replayed timed gives the IOTLB counts of the run its README names (run again
# here without recording: the simulation is deterministic).
sample=(--set dma.window_bytes=256KiB --set iommu.page_bytes=4KiB --set dma.map=transfer --set dma.op=rw
    --set dma.size_bytes=1500 --set run.warmup_us=0 --set run.duration_us=200)
expect 0 "" "the run of strict-transfer-rw" -- "$IOVSIM" run "$WL" "${sample[@]}" --out "$OUT/s-run" -q
expect 0 "" "the replay of strict-transfer-rw" -- "$IOVSIM" run "$WL" "${sample[@]}" --set workload.kind=trace \
    --set trace.file="$SAMPLES/strict-transfer-rw.dmat.gz" --out "$OUT/s-rep" -q --no-plots
for s in iommu.iotlb_hits iommu.iotlb_misses iommu.invalidations iommu.walk_reads; do
    check "the sample reproduces its run's $s ($(stat "$OUT/s-run" $s))" "[ '$(stat "$OUT/s-run" $s)' = '$(stat "$OUT/s-rep" $s)' ]"
done
# Replayed with strict mode's own policy instead of its records, the same invalidations
# (without the hint, as the DMA API sends them) empty the same walk caches.
expect 0 "" "the policy replay of strict-transfer-rw" -- "$IOVSIM" run "$WL" "${sample[@]}" \
    --set workload.kind=trace --set trace.file="$SAMPLES/strict-transfer-rw.dmat.gz" \
    --set trace.invalidate=policy --out "$OUT/s-pol" -q --no-plots
check "a policy replay reads the walk entries its run did ($(stat "$OUT/s-run" iommu.walk_reads))" \
    "[ '$(stat "$OUT/s-run" iommu.walk_reads)' = '$(stat "$OUT/s-pol" iommu.walk_reads)' ]"

# Replays that cannot start: exit 2, nothing run.
expect 2 "workload\.kind = trace needs trace\.file" "a replay without trace.file" -- \
    "$IOVSIM" run "$WL" --set workload.kind=trace --out "$OUT/no1" -q
expect 2 "trace\.file: .*bad-time-backwards\.dmat\.gz: record 1: time 4 ps goes backwards" \
    "a replay of a bad trace names the file and record" -- \
    "$IOVSIM" run "$WL" --set workload.kind=trace --set trace.file="$CORPUS/bad-time-backwards.dmat.gz" --out "$OUT/no2" -q
expect 2 "trace\.file: .*bad-crc\.dmat\.gz: corrupt" "a replay of a corrupt trace is refused" -- \
    "$IOVSIM" run "$WL" --set workload.kind=trace --set trace.file="$CORPUS/bad-crc.dmat.gz" --out "$OUT/no3" -q
expect 2 "trace\.file: .*missing\.dmat\.gz: cannot open" "a replay of a missing trace is refused" -- \
    "$IOVSIM" run "$WL" --set workload.kind=trace --set trace.file="$OUT/missing.dmat.gz" --out "$OUT/no4" -q
check "refused replays create no results folder" "[ ! -e '$OUT/no1' ] && [ ! -e '$OUT/no2' ] && [ ! -e '$OUT/no3' ] && [ ! -e '$OUT/no4' ]"

# Recordings that cannot be kept are refused at the configuration check (exit 2): into a
# missing folder, into a folder under the point's, or one absolute file for many points
# (each point overwrote it; one trace survived).
expect 2 "trace\.record = /nonexistent/dir/x\.dmat\.gz: folder /nonexistent/dir: No such file" \
    "a recording into a missing folder is refused before the run" -- \
    "$IOVSIM" run "$WL" "${small[@]}" --set trace.record=/nonexistent/dir/x.dmat.gz --out "$OUT/no5" -q
expect 2 "trace\.record = sub/x\.dmat\.gz: a relative path is a file name in each point's folder" \
    "a relative recording path with a folder is refused" -- \
    "$IOVSIM" run "$WL" "${small[@]}" --set trace.record=sub/x.dmat.gz --out "$OUT/no6" -q
expect 2 "point 0 \(run\.seed=1\) and point 1 \(run\.seed=2\) would both write $OUT/abs\.dmat\.gz" \
    "one absolute recording for two points is refused" -- \
    "$IOVSIM" run "$WL" "${small[@]}" --sweep run.seed=1,2 --set trace.record="$OUT/abs.dmat.gz" --out "$OUT/no7" -q
check "refused recordings run nothing and write no trace" \
    "[ ! -e '$OUT/no5' ] && [ ! -e '$OUT/no6' ] && [ ! -e '$OUT/no7' ] && ! ls '$OUT'/abs.dmat.gz* >/dev/null 2>&1"
expect 0 "" "each point may record into an absolute file of its own" -- \
    "$IOVSIM" run "$WL" "${small[@]}" --set run.duration_us=5 \
    --sweep trace.record="$OUT/abs1.dmat.gz,$OUT/abs2.dmat.gz" --out "$OUT/abs" -q --no-plots
check "both traces are there" "[ -s '$OUT/abs1.dmat.gz' ] && [ -s '$OUT/abs2.dmat.gz' ]"

# The IOTLB-size sweep over a sample, shortened: the hit rate rises with the entries.
expect 0 "" "workloads/iotlb-replay.ini runs" -- "$IOVSIM" run "$TOP/workloads/iotlb-replay.ini" \
    --set trace.file="$SAMPLES/iotlb-random-1mib.dmat.gz" --sweep iommu.iotlb_entries=16,64,512 \
    --set iommu.iotlb_ways=8 --no-plots -j 2 --out "$OUT/sweep" -q
check "IOTLB hit rate rises with entries to all but the first touches" \
    "awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if (\$i == \"iotlb_hit_rate\") c = i; next } { r[NR] = \$c } END { exit !(r[2] < r[3] && r[3] < r[4] && r[2] < 0.05 && r[4] > 0.98) }' '$OUT/sweep/results.csv'"

echo "cli-trace: $pass passed, $fail failed"
[ "$fail" = 0 ]
