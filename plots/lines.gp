# Lines with points: one curve per series, in x order.
set style data linespoints
# Headroom above the highest point, so a curve at the maximum stays off the border.
set offsets 0, 0, graph 0.05, 0
