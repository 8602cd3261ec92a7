# Clustered bars: one group per x value, one bar per series.
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border rgb '#333333'
set boxwidth 0.9 relative
set grid noxtics ytics lt 1 lw 0.8 lc rgb '#e3e3e3'
set xtics scale 0
set yrange [0:*]
