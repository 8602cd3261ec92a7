#!/usr/bin/env bash
# Dependencies point down (docs/ARCHITECTURE.md): every #include "dir/..." of a source
# file in sim/, models/, host/, traces/, systems/ or app/ must name its own folder or a
# lower layer. Folders of one rank (the IOMMU and the NIC) may not include each other.
# Every source folder there has a rank; every project include names its folder (only
# autoconf's generated config.h has none; system headers use <>); a private header
# (*_impl.h) is included from its own folder only. Run by `make check`.
set -u
. "$(dirname "$0")/lib.sh" layers
cd "$TOP" || exit 1

# The rank of folder $1 into R; empty for folders outside the layers. A new source
# folder gets its line here (the test fails until it has one).
rank() {
    case "$1" in
    sim) R=0 ;;
    models/mem | models/flash) R=10 ;; # the SSD's media needs nothing of the host's memory
    models/pcie) R=11 ;;
    models/iommu | models/nic | models/nvme) R=12 ;;
    host) R=20 ;;
    host/iopath | host/blkpath) R=21 ;; # the path tables and their engines use host/, not the reverse
    traces) R=30 ;;
    systems) R=31 ;;
    app) R=40 ;;
    *) R= ;;
    esac
}

checked=0
broken=0
while IFS= read -r f; do
    dir=${f%/*}
    rank "$dir"
    from=$R
    if [ -z "$from" ]; then
        bad "$f: its folder $dir/ has no rank in tests/layers.sh (give it one)"
        broken=$((broken + 1))
        continue
    fi
    checked=$((checked + 1))
    while IFS=: read -r line kind inc; do
        to=
        [ "$inc" = "${inc#*/}" ] || { rank "${inc%/*}"; to=$R; }
        if [ "$kind" = '<' ]; then
            # <...> is for system headers; a project header there escapes the checks.
            [ -n "$to" ] || continue
            bad "$f:$line includes <$inc>: a project header in <>, write \"$inc\""
        elif [ "$inc" = config.h ]; then
            continue # autoconf's header, generated in the build folder
        elif [ "$inc" = "${inc#*/}" ]; then
            bad "$f:$line includes \"$inc\": a project include names its folder (\"$dir/$inc\"?)"
        elif [ -z "$to" ]; then
            bad "$f:$line includes \"$inc\": ${inc%/*}/ is not a folder of the layers"
        elif [ "$to" -gt "$from" ]; then
            bad "$f:$line includes \"$inc\": a layer above it"
        elif [ "$to" = "$from" ] && [ "${inc%/*}" != "$dir" ]; then
            bad "$f:$line includes \"$inc\": a folder beside it"
        elif [ "${inc%_impl.h}" != "$inc" ] && [ "${inc%/*}" != "$dir" ]; then
            bad "$f:$line includes \"$inc\": the private header of ${inc%/*}/ (only its own folder may)"
        else
            continue
        fi
        broken=$((broken + 1))
    done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' "$f" |
        sed 's/^\([0-9]*\):[[:space:]]*#[[:space:]]*include[[:space:]]*\([<"]\)\([^">]*\).*/\1:\2:\3/')
done < <(find sim models host traces systems app -name '*.[ch]' -o -name '*.cc' | sort)

if [ "$checked" -lt 50 ]; then
    bad "only $checked files found to check"
elif [ "$broken" = 0 ]; then
    ok "$checked files in ranked folders include only their own folder or layers below"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
