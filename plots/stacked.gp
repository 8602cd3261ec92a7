# Stacked bars: one bar per x value, the series stacked in legend order.
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border rgb '#333333'
set boxwidth 0.7 relative
set grid noxtics ytics lt 1 lw 0.8 lc rgb '#e3e3e3'
set xtics scale 0
set yrange [0:*]
