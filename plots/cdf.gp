# Cumulative distribution of a histogram: one step curve per series.
set style data steps
set yrange [0:1.02]
set ytics 0.1
