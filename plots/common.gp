# The look shared by every iovsim figure. iovsim compiles the files of plots/ in and
# copies them into each generated .gp, so a figure can be edited and redrawn alone.
set encoding utf8
set border 3 lw 1.2 lc rgb '#444444'
set tics nomirror out scale 0.6
set grid xtics ytics lt 1 lw 0.8 lc rgb '#e3e3e3'
# The legend sits below the graph, where names can neither cover data nor each other.
set key below center horizontal Left reverse samplen 2.5 spacing 1.2 width 2 height 1 nobox
set format x '%g'
set format y '%g'
set title font ',13'
# Okabe-Ito colours (told apart by colour-blind readers) and a distinct point shape
# each, so series stay apart in grey too.
set linetype 1 lc rgb '#0072B2' lw 2 pt 7 ps 1.1
set linetype 2 lc rgb '#D55E00' lw 2 pt 5 ps 1.0
set linetype 3 lc rgb '#009E73' lw 2 pt 9 ps 1.3
set linetype 4 lc rgb '#CC79A7' lw 2 pt 11 ps 1.3
set linetype 5 lc rgb '#E69F00' lw 2 pt 13 ps 1.3
set linetype 6 lc rgb '#56B4E9' lw 2 pt 15 ps 1.2
set linetype 7 lc rgb '#000000' lw 2 pt 1 ps 1.3
set linetype 8 lc rgb '#999999' lw 2 pt 2 ps 1.3
# Two more, so a bar stacked from ten parts repeats no colour (Paul Tol's muted purple
# and olive, apart from the eight above).
set linetype 9 lc rgb '#882255' lw 2 pt 3 ps 1.3
set linetype 10 lc rgb '#999933' lw 2 pt 4 ps 1.3
set linetype cycle 10
# Reference lines (hline): dashed, in greys.
set style line 100 lc rgb '#333333' lw 1.5 dt 2
set style line 101 lc rgb '#777777' lw 1.5 dt 4
set style line 102 lc rgb '#333333' lw 1.5 dt 3
