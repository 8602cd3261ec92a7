#!/bin/sh
# make validate: runs every validation program (VALIDATORS in Makefile.am) and gathers
# their tables into one report, printed and kept in REPORT. A program prints one row
# per comparison ending in the word pass or FAIL, and exits 0 only when every row
# passes; its other lines (headers, notes) are kept as they are. A validation joins
# the report by being appended to VALIDATORS.
#   usage: validate.sh REPORT PROGRAM...
# Exit status 0 when every program ran, printed rows and passed them all; else 1.
set -u
report=$1
shift
out=$(mktemp "${TMPDIR:-/tmp}/iovsim-validate.XXXXXX")
summary=$(mktemp "${TMPDIR:-/tmp}/iovsim-validate.XXXXXX")
trap 'rm -f "$out" "$summary"' EXIT
total_rows=0
total_fail=0
bad=0
exec 3>"$report"
echo "iovsim validation against published figures" >&3
for prog in "$@"; do
    printf '\n== %s\n' "$prog" >&3
    case $prog in
    /*) "$prog" >"$out" 2>&1 ;;
    *) "./$prog" >"$out" 2>&1 ;;
    esac
    status=$?
    cat "$out" >&3
    rows=$(awk '$NF == "pass" || $NF == "FAIL" { n++ } END { print n + 0 }' "$out")
    fails=$(awk '$NF == "FAIL" { n++ } END { print n + 0 }' "$out")
    total_rows=$((total_rows + rows))
    total_fail=$((total_fail + fails))
    verdict=pass
    if [ "$status" != 0 ] || [ "$fails" != 0 ] || [ "$rows" = 0 ]; then
        verdict=FAIL
        bad=1
    fi
    printf '%-34s %5d rows %5d pass %5d FAIL  exit %-3d %s\n' "$prog" "$rows" \
        $((rows - fails)) "$fails" "$status" "$verdict" >>"$summary"
done
printf '\n== summary\n' >&3
cat "$summary" >&3
printf '%-34s %5d rows %5d pass %5d FAIL\n' total "$total_rows" $((total_rows - total_fail)) \
    "$total_fail" >&3
exec 3>&-
cat "$report"
[ "$bad" = 0 ]
