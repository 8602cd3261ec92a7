#!/usr/bin/env bash
# Command-line tests of a sweep's axes and what is made of its results: zipped axes
# (and the refusal of uneven ones, naming file:line). Run by `make check` (IOVSIM and
# TOP_SRCDIR come from the environment).
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

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
