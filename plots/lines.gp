# Lines with points: one curve per series, in x order.
set style data linespoints
