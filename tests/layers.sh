#!/usr/bin/env bash
# Dependencies point down (docs/ARCHITECTURE.md): every #include "dir/..." of a source
# file in sim/, models/, host/, traces/, systems/ or app/ must name its own folder or a
# lower layer. Folders of one rank (the IOMMU and the NIC) may not include each other.
# Run by `make check`.
set -u
. "$(dirname "$0")/lib.sh" layers
cd "$TOP" || exit 1

# The rank of the folder a path is in; empty for folders outside the layers.
rank() {
    case "$1" in
    sim/*) echo 0 ;;
    models/mem/*) echo 10 ;;
    models/pcie/*) echo 11 ;;
    models/iommu/* | models/nic/*) echo 12 ;;
    host/iopath/*) echo 21 ;;
    host/*) echo 20 ;;
    traces/*) echo 30 ;;
    systems/*) echo 31 ;;
    app/*) echo 40 ;;
    esac
}

checked=0
upward=0
while IFS= read -r f; do
    from=$(rank "$f")
    [ -n "$from" ] || continue
    checked=$((checked + 1))
    while IFS=: read -r line inc; do
        to=$(rank "$inc")
        [ -n "$to" ] || continue
        if [ "$to" -gt "$from" ] || { [ "$to" = "$from" ] && [ "$(dirname "$inc")" != "$(dirname "$f")" ]; }; then
            bad "$f:$line includes $inc, a layer above or beside it"
            upward=$((upward + 1))
        fi
    done < <(grep -n '^#include "' "$f" | sed 's/^\([0-9]*\):#include "\([^"]*\)".*/\1:\2/')
done < <(find sim models host traces systems app -name '*.[ch]' -o -name '*.cc' | sort)

if [ "$checked" -lt 50 ]; then
    bad "only $checked files found to check"
elif [ "$upward" = 0 ]; then
    ok "$checked files include only their own folder or layers below"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
