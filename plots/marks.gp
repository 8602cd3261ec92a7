# Marks: the events the points' models recorded (their events.csv), each a dashed
# vertical line at its time behind the curves, its label hanging from the top of the
# graph along the line, small and grey so it does not compete with the data.
set style arrow 100 nohead back lw 1 dt 2 lc rgb '#555555'
mark_font = ',8'
mark_colour = '#555555'
