#!/usr/bin/env bash
# Command-line tests of a sweep's axes and what is made of its results: zipped axes
# (and the refusal of uneven ones, naming file:line), the paths summary of a sweep
# with an axis its tables do not show, results.json against results.csv, and diff's
# output and exit status. Run by `make check` (IOVSIM and TOP_SRCDIR come from the
# environment).
set -u
. "$(dirname "$0")/lib.sh" cli-axes
cd "$TOP" || exit 1

# ---- zip: axes that take their values together ----
# The IOTLB's ways must divide its entries: swept as a product, 8 entries with 16 ways
# would be refused; zipped, each size gets its own associativity.
cat >"$OUT/zip.ini" <<INI
include = $TOP/workloads/iotlb-replay.ini
[sweep]
zip = iommu.iotlb_entries, iommu.iotlb_ways
iommu.iotlb_entries = 8, 16, 32
iommu.iotlb_ways = 1, 2,
    4
INI
expect 0 "" "a zipped sweep runs" -- "$IOVSIM" run "$OUT/zip.ini" --out "$OUT/zip" -q --no-plots
if [ "$(cut -d, -f1,2 "$OUT/zip/results.csv" 2>/dev/null | tr '\n' ' ')" = \
    "iommu.iotlb_entries,iommu.iotlb_ways 8,1 16,2 32,4 " ]; then
    ok "zipped axes pair their values, one point per pair"
else
    bad "zipped axes pair their values"; head -n 4 "$OUT/zip/results.csv"
fi
expect 0 "" "--zip pairs axes from the command line" -- \
    "$IOVSIM" run workloads/iotlb-replay.ini --sweep iommu.iotlb_entries=64,128 \
    --sweep iommu.iotlb_ways=8,16 --zip iommu.iotlb_entries,iommu.iotlb_ways --out "$OUT/zipc" -q --no-plots
if [ "$(cut -d, -f1,2 "$OUT/zipc/results.csv" 2>/dev/null | tr '\n' ' ')" = \
    "iommu.iotlb_entries,iommu.iotlb_ways 64,8 128,16 " ]; then
    ok "--zip: one point per pair"
else
    bad "--zip: one point per pair"; head -n 4 "$OUT/zipc/results.csv"
fi
expect 2 "zip\.ini:3: zip: the axes it pairs need as many values each: 'iommu\.iotlb_entries' has 3 \(.*zip\.ini:4\), 'iommu\.iotlb_ways' has 2 \(--sweep\)" \
    "zipped axes of different lengths are refused, naming the zip's file:line and each axis's" -- \
    "$IOVSIM" run "$OUT/zip.ini" --sweep iommu.iotlb_ways=1,2 --out "$OUT/zipbad"
sed 's/^iommu.iotlb_ways = .*/iommu.iotlb_ways = 1, 2/; /^    4$/d' "$OUT/zip.ini" >"$OUT/zip-uneven.ini"
expect 2 "zip-uneven\.ini:3: zip: .*'iommu\.iotlb_entries' has 3 \(.*zip-uneven\.ini:4\), 'iommu\.iotlb_ways' has 2 \(.*zip-uneven\.ini:5\)" \
    "so are uneven axes in the file" -- "$IOVSIM" run "$OUT/zip-uneven.ini" --out "$OUT/zipbad"
expect 2 "--zip: 'iommu\.walkers' is not swept" "a zip of a parameter that is not swept is refused" -- \
    "$IOVSIM" run workloads/iotlb-replay.ini --zip iommu.iotlb_entries,iommu.walkers --out "$OUT/zipbad"
[ ! -e "$OUT/zipbad" ] && ok "refused zips create no results folder" || bad "refused zips create no results folder"
"$IOVSIM" run "$OUT/zip.ini" --zip iommu.iotlb_entries,iommu.iotlb_ways --out "$OUT/zipl" --list-points >"$OUT/list" 2>"$OUT/err"
if [ "$(wc -l <"$OUT/list")" = 3 ] && grep -q -- "--zip 'iommu.iotlb_entries,iommu.iotlb_ways' --out" "$OUT/list"; then
    ok "listed points carry --zip"
else
    bad "listed points carry --zip"; cat "$OUT/list"
fi

# ---- the summary names every axis that varies ----
# hv.irq_delivery is no column of the paths' tables: they are printed once for each of
# its values, named, and every point is in them (once only one row per path showed,
# with the first value).
NET="$TOP/tests/data/cli/net.ini"
expect 0 "" "a paths sweep with an axis the tables do not show runs" -- \
    "$IOVSIM" run "$NET" --set traffic.pattern=rr --sweep io.path=native,sriov --sweep traffic.vms=1,2 \
    --sweep hv.irq_delivery=exit,posted --out "$OUT/sum" --no-plots
sum="$OUT/sum/summary.txt"
if grep -q "^The tables do not show hv\.irq_delivery: they are printed once for each of its values" "$sum" 2>/dev/null &&
    [ "$(grep -c '^==== hv\.irq_delivery = exit ====$' "$sum")" = 1 ] &&
    [ "$(grep -c '^==== hv\.irq_delivery = posted ====$' "$sum")" = 1 ] &&
    [ "$(grep -c '^  sriov  ' "$sum")" = 4 ] && ! grep -q "^In the tables:" "$sum" &&
    grep -q '^==== hv\.irq_delivery = posted ====$' "$OUT/out"; then
    ok "the summary prints its tables once for each value of the hidden axis, named"
else
    bad "the summary prints its tables once for each value of the hidden axis, named"; cat "$sum"
fi
# Each group shows that group's own points: sriov's exits differ with the delivery.
awk '/^==== /{g=$4} /^rr, 64-byte frames, 1 VM:$/{t=1} /^$/{t=0} t && $1 == "sriov" {print g, $9}' "$sum" >"$OUT/exits"
if [ "$(wc -l <"$OUT/exits")" = 2 ] && [ "$(cut -d' ' -f2 "$OUT/exits" | sort -u | wc -l)" = 2 ]; then
    ok "each named table holds its own points"
else
    bad "each named table holds its own points"; cat "$OUT/exits"
fi
# A parameter that varies with the cells (here the run's length, one to each path) is
# named in a note, not split on; the note says how many points the tables show (the
# middle frame size is in none).
cat >"$OUT/follow.ini" <<INI
include = $NET
[sweep]
io.path = native, sriov
traffic.packet_bytes = 64, 256, 1518
run.duration_us = 100, 200
exclude = io.path=native, run.duration_us=200 | io.path=sriov, run.duration_us=100
INI
expect 0 "" "a sweep with a parameter that follows the paths runs" -- \
    "$IOVSIM" run "$OUT/follow.ini" --out "$OUT/follow" -q --no-plots
sum="$OUT/follow/summary.txt"
if ! grep -q "^====" "$sum" 2>/dev/null && grep -q '^stream_tx, 1518-byte frames, 1 VM:$' "$sum" &&
    grep -q '^Also swept but not shown, one value in each cell: run\.duration_us' "$sum" &&
    grep -q '^In the tables: 4 of the 6 points' "$sum"; then
    ok "the summary names what varies with its cells and counts the points it shows"
else
    bad "the summary names what varies with its cells and counts the points it shows"; cat "$sum"
fi

# ---- results.json: the rows of results.csv, typed ----
# Read with Python's json module where there is one (Debian's python3); the test says
# so when it cannot check.
json_matches_csv() {
    python3 - "$1" <<'PY'
import csv, json, math, sys
d = sys.argv[1]
j = json.load(open(d + "/results.json"))
rows = list(csv.DictReader(open(d + "/results.csv")))
assert len(j["points"]) == len(rows), "rows"
header = next(csv.reader(open(d + "/results.csv")))
assert header == j["parameters"] + ["status"] + j["metrics"] + ["error"], "columns"
for i, (p, r) in enumerate(zip(j["points"], rows)):
    assert p["point"] == i
    for name, v in p["parameters"].items():
        t = r[name]
        if isinstance(v, bool):
            assert t == ("true" if v else "false"), (name, t, v)
        elif isinstance(v, (int, float)):
            assert float(t) == v, (name, t, v)
        else:
            assert t == v, (name, t, v)
    assert p["status"] == r["status"]
    assert (p["error"] is None) == (r["status"] == "ok") and (p["error"] or "") == r["error"]
    for name in j["metrics"]:
        t = r[name]
        if t == "":
            assert name not in p["metrics"], name
        elif math.isnan(float(t)):
            assert p["metrics"][name] is None, name
        else:
            v = p["metrics"][name]
            assert isinstance(v, (int, float)) and not isinstance(v, bool) and float(t) == v, (name, t, v)
PY
}
if command -v python3 >/dev/null 2>&1; then
    for d in zip sum follow; do
        if json_matches_csv "$OUT/$d" 2>"$OUT/err"; then
            ok "results.json parses and holds results.csv's rows, typed ($d)"
        else
            bad "results.json parses and holds results.csv's rows, typed ($d)"
        fi
    done
else
    echo "note: no python3 here: results.json not read back"
fi
if grep -q '"iommu.iotlb_entries": 8, "iommu.iotlb_ways": 1}' "$OUT/zip/results.json" &&
    grep -q '"io.path": "sriov"' "$OUT/sum/results.json"; then
    ok "results.json: numbers as numbers, strings as strings"
else
    bad "results.json: numbers as numbers, strings as strings"; head -c 600 "$OUT/zip/results.json"
fi

# ---- diff: two folders side by side ----
for m in exit posted; do
    expect 0 "" "a run with hv.irq_delivery = $m" -- "$IOVSIM" run "$NET" --set traffic.pattern=rr \
        --sweep io.path=native,sriov,paravirt --set hv.irq_delivery=$m --out "$OUT/$m" -q --no-plots
done
expect 0 "3 shared points, 0 only in A, 0 only in B; [0-9]+ metric values compared, 0 differ" \
    "diff of a folder with itself: nothing differs, exit 0" -- "$IOVSIM" diff "$OUT/exit" "$OUT/exit"
expect 1 "exits_per_sec +80000 +60000 +-25%  !" "diff: a change beyond the tolerance, exit 1" -- \
    "$IOVSIM" diff "$OUT/exit" "$OUT/posted"
if grep -Eq "^  hv\.irq_delivery +exit -> posted$" "$OUT/out" && grep -q "^io.path=sriov$" "$OUT/out" &&
    ! grep -q "^io.path=native$" "$OUT/out"; then
    ok "diff names the fixed parameter that differs and only the points that changed"
else
    bad "diff names the fixed parameter that differs and only the points that changed"; cat "$OUT/out"
fi
expect 0 "0 beyond the tolerance of 60%" "diff: changes within --tolerance 60%, exit 0" -- \
    "$IOVSIM" diff "$OUT/exit" "$OUT/posted" --tolerance 60%
expect 1 "" "diff: --tolerance 0.1 (10%) is passed by -50%" -- \
    "$IOVSIM" diff --tolerance 0.1 "$OUT/exit" "$OUT/posted"
# Points are matched by every parameter either folder sweeps: the summary's folder
# sweeps the delivery and the VMs, this one fixes them; the shared points are equal.
expect 0 "2 shared points, 6 only in A, 1 only in B" "diff matches points across different sweeps" -- \
    "$IOVSIM" diff "$OUT/sum" "$OUT/posted"
if grep -q "^Only in B (.*posted):$" "$OUT/out" &&
    grep -q "^  io\.path=paravirt, traffic\.vms=1, hv\.irq_delivery=posted$" "$OUT/out" &&
    grep -q "^  io\.path=sriov, traffic\.vms=2, hv\.irq_delivery=exit$" "$OUT/out"; then
    ok "diff lists the points in one folder only"
else
    bad "diff lists the points in one folder only"; cat "$OUT/out"
fi
expect 2 "not an iovsim results folder" "diff of a folder that is not one: exit 2" -- \
    "$IOVSIM" diff "$OUT/exit" "$OUT/nothing"
expect 2 "--tolerance takes a relative change" "diff with a bad tolerance: exit 2" -- \
    "$IOVSIM" diff "$OUT/exit" "$OUT/posted" --tolerance 5x
expect 2 "share no point" "diff of folders that share no point: exit 2" -- \
    "$IOVSIM" diff "$OUT/exit" "$OUT/zip"
expect 0 "usage: iovsim diff A B" "iovsim help diff" -- "$IOVSIM" help diff

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
