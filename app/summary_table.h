/* What the kinds' views of a results folder share (summary_paths.c,
 * summary_storage.c): numbers that fit a column, the points a view showed, and the
 * frame around its tables.
 *
 * A view turns each finished point of its kind into a row at one cell of its tables,
 * found by the parameters the tables show. A swept parameter they do not show would
 * make several points one cell: when points differ only in such axes, the tables are
 * printed once for each combination of their values, named. The text ends by saying
 * what the tables leave out: axes that vary with the cells, points in no table, failed
 * points. */
#ifndef APP_SUMMARY_TABLE_H
#define APP_SUMMARY_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "app/results.h"

/* Engineering-style numbers of three significant digits that fit a column: 1.23M, 456k,
 * 7890, 7.89; "-" for none. */
void app_summary_table_num(char *buf, size_t len, double v);

/* Metric `name` of `point`, NaN when it has none; the point is then one the tables
 * showed (shown[point]). */
double app_summary_table_metric(const app_results *r, bool *shown, size_t point, const char *name);

/* The distinct values of the unsigned field at byte `off` of n rows of `size` bytes,
 * sorted, into out (room for n). Returns how many. */
size_t app_summary_table_distinct(const void *rows, size_t n, size_t size, size_t off,
                                  unsigned *out);

/* A kind's view: its rows (a struct of the kind's own, row_bytes each, holding its
 * point number at byte point_off) and its tables. */
typedef struct app_summary_view {
    const char *kind;   /* the workload.kind of the points it shows */
    const char *title;  /* "I/O paths compared": the first line, with the count of points */
    const char *legend; /* the second line, in brackets: what the numbers mean */
    size_t row_bytes, point_off;
    /* The row of finished point i of the kind into *row (zeroed; its point number is set
     * after); false leaves the point out (a parameter the tables need is missing). */
    bool (*row_of)(const app_results *r, size_t i, void *row);
    /* Orders rows by the cell they take; 0: the same cell (whatever their points). */
    int (*cmp_cell)(const void *a, const void *b);
    const char *const *shown_axes; /* the parameters the cells show, for no note */
    size_t n_shown_axes;
    /* Every table of n rows (those of one combination of the hidden axes' values) on t;
     * each point whose metrics it prints is marked in shown (app_summary_table_metric). */
    void (*tables)(FILE *t, const app_results *r, const void *rows, size_t n, bool *shown);
} app_summary_view;

/* The summary of the finished points of the kind in r as text: its length with *out
 * (malloc'd); 0, with *out NULL, when r holds none. Failed points are those of r that
 * did not finish, whatever their kind. */
int app_summary_table_write(const app_results *r, const app_summary_view *k, char **out);

#endif
