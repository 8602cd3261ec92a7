#!/usr/bin/env bash
# What the command line says when a user searches or mistypes: params by any part of a
# name, suggestions for options and for every unknown parameter of a file, conflicts
# between parameters naming where each value was set, plot's exit status. Run by
# `make check`.
set -u
. "$(dirname "$0")/lib.sh" messages

# params finds a word anywhere in a name, not only at its start.
expect 0 "iommu\.iotlb_entries" "params iotlb finds iommu.iotlb_*" -- "$IOVSIM" params iotlb
expect 0 "" "params iotlb lists no parameter without iotlb" -- "$IOVSIM" params iotlb
if tail -n +2 "$OUT/out" | grep -v iotlb | grep -q .; then
    bad "params iotlb lists only names containing iotlb"
else
    ok "params iotlb lists only names containing iotlb"
fi
expect 0 "contains WORD" "params --help says it matches any part of a name" -- "$IOVSIM" params --help
expect 2 "no parameter name contains 'zzqq'" "params with a word no name contains" -- \
    "$IOVSIM" params zzqq

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
