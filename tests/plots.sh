#!/usr/bin/env bash
# Plots: [plot] sections drawn after a run and again with `iovsim plot DIR`, PNG and
# SVG beside their .gp and .dat; refused early when they name something unknown; a
# run without gnuplot still writes its CSV and says once how to get it. Run by
# `make check` (IOVSIM and TOP_SRCDIR come from the test environment).
set -u
. "$(dirname "$0")/lib.sh" plots
DATA="$TOP/tests/data/plots"

check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
is_svg() { grep -q '<svg' "$1" && tail -c 200 "$1" | grep -q '</svg>'; }

if ! command -v gnuplot >/dev/null 2>&1 || ! gnuplot -e 'set terminal pngcairo' 2>/dev/null; then
    echo "gnuplot with the pngcairo terminal is needed (Debian: gnuplot-nox; ./bootstrap installs it)"
    exit 1
fi

# ---- a run draws its plots -------------------------------------------------------
expect 0 "plots: .*sojourn" "a run draws the workload's plots" -- \
    "$IOVSIM" run "$DATA/mdq.ini" --out "$OUT/a" -j 2
P="$OUT/a/plots"
all=1
for name in sojourn percentiles sojourn-cdf; do
    for ext in gp dat; do [ -s "$P/$name.$ext" ] || all=0; done
    is_png "$P/$name.png" && is_svg "$P/$name.svg" || all=0
done
check "each plot has its .png, .svg, .gp and .dat" [ "$all" = 1 ]
check "format = png draws no svg" eval '[ -f "$P/kernels.png" ] && [ ! -e "$P/kernels.svg" ]'
check "the plot sections are kept in plots.ini" grep -q '^\[plot sojourn-cdf\]' "$OUT/a/plots.ini"
check "no gnuplot log is left after a clean draw" eval '! ls "$P"/*.log >/dev/null 2>&1'

# The data: one block per series, x ascending, the where filter applied.
check "sojourn.dat: two curves (simulated, closed form) of five loads, in x order" \
    eval '[ "$(grep -c "^# index" "$P/sojourn.dat")" = 2 ] &&
          [ "$(grep -vc "^#\|^$" "$P/sojourn.dat")" = 10 ] &&
          awk "/^# index 0/{on=1;next} /^$/{on=0} on{print \$1}" "$P/sojourn.dat" | sort -c -g'
check "the legend names come from labels" grep -q "title 'closed form'" "$P/sojourn.gp"
check "a swept parameter the plot leaves free becomes its series" \
    eval 'grep -q "title .native." "$P/kernels.gp" && grep -q "title .systemc." "$P/kernels.gp"'
expect 0 "" "a window's length zipped with the load" -- "$IOVSIM" run "$DATA/mdq.ini" --out "$OUT/z" \
    -q --sweep run.kernel=native --sweep run.duration_us=1000,1000,2000,2000,2000 \
    --zip "mdq.arrival_rate_mpps, run.duration_us"
check "a swept parameter that follows x splits no curve" \
    eval '[ "$(grep -c "^# index" "$OUT/z/plots/kernels.dat")" = 1 ]'
check "the cdf ends at 1 for each of its five loads" \
    eval '[ "$(grep -c "^# index" "$P/sojourn-cdf.dat")" = 5 ] &&
          [ "$(awk "/^$/{print p} NF==2{p=\$2} END{print p}" "$P/sojourn-cdf.dat" | sort -u)" = 1 ]'
check "axis labels carry units" grep -q "set xlabel 'Arrival rate (million requests/s)'" "$P/sojourn.gp"
check "bars: one row per x value" eval '[ "$(grep -vc "^#" "$P/percentiles.dat")" = 5 ]'

# The generated files are standalone: gnuplot redraws them where they are.
rm -f "$P/sojourn.png" "$P/sojourn.svg"
check "cd plots && gnuplot NAME.gp redraws the images" \
    eval '(cd "$P" && gnuplot sojourn.gp) 2>"$OUT/err" && is_png "$P/sojourn.png" && is_svg "$P/sojourn.svg"'

# Deterministic: the same run gives the same plot files.
expect 0 "" "the same run again, -j 1" -- "$IOVSIM" run "$DATA/mdq.ini" --out "$OUT/b" -q
same=1
for f in "$P"/*.dat "$P"/*.gp; do
    sed "s|$OUT/a|DIR|g" "$f" >"$OUT/x1"
    sed "s|$OUT/b|DIR|g" "$OUT/b/plots/$(basename "$f")" >"$OUT/x2"
    cmp -s "$OUT/x1" "$OUT/x2" || same=0
done
check "identical runs give identical .gp and .dat files" [ "$same" = 1 ]

# Relative folders work as well as absolute ones.
expect 0 "plots: rel/plots/" "a relative --out draws its plots" -- \
    bash -c 'cd "$1" && "$2" run "$3" --out rel -q --no-plots && "$2" plot rel' _ "$OUT" "$IOVSIM" "$DATA/mdq.ini"
check "... into the relative folder" is_png "$OUT/rel/plots/sojourn.png"

# ---- iovsim plot DIR -------------------------------------------------------------
rm -rf "$P"
expect 0 "plots: .*sojourn-cdf" "iovsim plot DIR draws from plots.ini" -- "$IOVSIM" plot "$OUT/a"
check "the images are back" eval 'is_png "$P/sojourn.png" && is_svg "$P/percentiles.svg"'
expect 0 "utilization" "iovsim plot DIR FILE draws another plot file's figures" -- \
    "$IOVSIM" plot "$OUT/a" "$DATA/redraw.ini"
check "series_label fills in the parameter" grep -q "title '0.95 Mpps'" "$P/utilization.gp"
expect 2 "badredraw\.ini:4:.*mdq_utilisation.*mdq_utilization" \
    "iovsim plot with an unknown metric names file:line" -- \
    "$IOVSIM" plot "$OUT/a" "$DATA/badredraw.ini"
expect 2 "not an iovsim results folder" "iovsim plot on a folder without results" -- \
    "$IOVSIM" plot "$OUT"
expect 2 "no plot(s)?\.ini|results folder" "iovsim plot without plots.ini or a file" -- \
    "$IOVSIM" plot "$OUT/nowhere"
expect 0 "iovsim plot DIR" "help plot" -- "$IOVSIM" help plot

# ---- refused before anything runs ------------------------------------------------
expect 2 "badmetric\.ini:5:.*mdq_sojourn_ns_maen.*did you mean 'mdq_sojourn_ns_mean'" \
    "an unknown metric is refused with file:line" -- \
    "$IOVSIM" run "$DATA/badmetric.ini" --out "$OUT/r"
expect 2 "badwhere\.ini:6:.*mdq\.service_ns=400 matches no point" \
    "a where that no point matches is refused" -- \
    "$IOVSIM" run "$DATA/badwhere.ini" --out "$OUT/r"
expect 2 "badmetric\.ini:5" "--list-points checks the plots too" -- \
    "$IOVSIM" run "$DATA/badmetric.ini" --list-points --out "$OUT/r"
check "refused runs leave no results folder" [ ! -e "$OUT/r" ]
expect 2 "badmetric\.ini:5" "an unknown metric is refused with overrides too" -- \
    "$IOVSIM" run "$DATA/badmetric.ini" --set mdq.service_ns=400 --out "$OUT/r"

# A plot the command line's overrides leave without points is a note, not an error:
# the workload file itself is right.
expect 0 "note: .*run\.kernel=native matches no point.*will not be drawn" \
    "--set that empties a plot's where runs on, with a note" -- \
    "$IOVSIM" run "$DATA/mdq.ini" --set run.kernel=systemc --out "$OUT/o"
check "the other plots are drawn" \
    eval 'is_png "$OUT/o/plots/kernels.png" && [ ! -e "$OUT/o/plots/sojourn.png" ]'
check "the skipped plots are named at drawing time" grep -q "plot 'sojourn'.*not drawn" "$OUT/err"

# ---- without gnuplot --------------------------------------------------------------
expect 0 "" "a run without gnuplot still succeeds" -- \
    env IOVSIM_GNUPLOT=/nonexistent/gnuplot "$IOVSIM" run "$DATA/mdq.ini" --out "$OUT/n" -q
check "it writes results.csv, .gp and .dat but no image" \
    eval '[ -s "$OUT/n/results.csv" ] && [ -s "$OUT/n/plots/sojourn.gp" ] && [ -s "$OUT/n/plots/sojourn.dat" ] &&
          ! ls "$OUT/n/plots"/*.png >/dev/null 2>&1'
check "and says once how to install gnuplot" \
    eval '[ "$(grep -c "gnuplot-nox" "$OUT/err")" = 1 ] && grep -q "iovsim plot" "$OUT/err"'
expect 1 "gnuplot-nox" "iovsim plot without gnuplot exits 1" -- \
    env IOVSIM_GNUPLOT=/nonexistent/gnuplot "$IOVSIM" plot "$OUT/n"
expect 0 "" "--no-plots draws nothing" -- "$IOVSIM" run "$DATA/mdq.ini" --out "$OUT/np" -q --no-plots
check "--no-plots leaves no plots folder" [ ! -e "$OUT/np/plots" ]

# ---- the shipped workloads draw their plots ----------------------------------------
expect 0 "plots: .*throughput.*latency.*read-write" "workloads/dma.ini draws its plots" -- \
    "$IOVSIM" run "$TOP/workloads/dma.ini" --set run.duration_us=5 --set run.warmup_us=1 \
    --out "$OUT/dma" -j 2
check "the throughput plot has the link's TLP bandwidth as a reference line" \
    grep -q "57.88 with lines ls 100 title 'link TLP bandwidth" "$OUT/dma/plots/throughput.gp"
check "the throughput plot draws read, write and rw" \
    eval '[ "$(grep -c "^# index" "$OUT/dma/plots/throughput.dat")" = 3 ]'
check "its x axis is logarithmic with the sizes as tics" \
    eval 'grep -q "set logscale x 10" "$OUT/dma/plots/throughput.gp" &&
          grep -q "set xtics (.64. 64" "$OUT/dma/plots/throughput.gp"'

expect 0 "plots: .*window" "a byte-sized sweep draws" -- "$IOVSIM" run "$DATA/window.ini" --out "$OUT/w" -j 2
check "byte sizes read as KiB and MiB on the axis and in the legend" \
    eval 'grep -q "set xtics (.64 KiB. 65536, .1 MiB. 1048576, .4 MiB. 4194304)" "$OUT/w/plots/window.gp" &&
          grep -q "title .size_bytes=4 KiB." "$OUT/w/plots/window.gp" &&
          grep -q "title .size_bytes=64." "$OUT/w/plots/window.gp"'

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
