# Shared by the command-line test scripts: sourced as
#     . "$(dirname "$0")/lib.sh" NAME
# It sets IOVSIM (the program under test) and TOP (the source folder) from the test
# environment, makes a scratch folder OUT removed on exit, and defines the counters
# and helpers: ok, bad, expect. A script ends with
#     echo "$pass passed, $fail failed"; [ "$fail" = 0 ]
IOVSIM=${IOVSIM:-./iovsim}
TOP=${TOP_SRCDIR:-.}
OUT=$(mktemp -d "${TMPDIR:-/tmp}/iovsim-${1:-test}.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "PASS: $1"; }
bad() {
    fail=$((fail + 1))
    echo "FAIL: $1"
    if [ -f "$OUT/err" ]; then sed 's/^/    stderr: /' "$OUT/err" | head -n 8; fi
}

# expect STATUS PATTERN DESCRIPTION -- COMMAND...: the command exits with STATUS and
# its stderr or stdout matches the extended regular expression PATTERN (if not empty).
expect() {
    local want=$1 pattern=$2 what=$3
    shift 4
    "$@" >"$OUT/out" 2>"$OUT/err"
    local got=$?
    if [ "$got" != "$want" ]; then
        bad "$what (exit $got, wanted $want)"
    elif [ -n "$pattern" ] && ! grep -Eq -- "$pattern" "$OUT/err" "$OUT/out"; then
        bad "$what (output lacks /$pattern/)"
    else
        ok "$what"
    fi
}

# csv_col FILE NAME: the values of column NAME of a results.csv, one per line.
csv_col() { awk -F, -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next } c { print $c }' "$1"; }
# stat_of FILE NAME: the value of statistic NAME in a point's stats.txt.
stat_of() { awk -v n="$2" '$1 == n { print $2 }' "$1"; }
# cmp_num A OP B: whether A < B or A > B (OP is < or >), as numbers.
cmp_num() { awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN { exit !(op == "<" ? a < b : a > b) }'; }
