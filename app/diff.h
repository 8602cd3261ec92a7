/* `iovsim diff A B [--tolerance X] [--all]`: the metrics of two results folders side by
 * side at the points they share, with the relative change of each. Points are matched
 * by their values of every parameter either folder sweeps (one that a folder does not
 * sweep takes its fixed value there, from params.txt), so a sweep can be compared with
 * a part of it, or with the same sweep under another fixed setting (which the output
 * names first). Returns the exit status: 0 no change beyond the tolerance, 1 some
 * change beyond it (a metric or a finished point in one folder only counts as one),
 * 2 bad usage, a folder that is not a results folder, or folders that share no point. */
#ifndef APP_DIFF_H
#define APP_DIFF_H

extern const char app_diff_help_text[];

/* argv[0] is "diff". */
int app_diff_main(int argc, char **argv);

#endif
