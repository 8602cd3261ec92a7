/* summary.txt: a results folder described for people by its workload kind, when the
 * kind has a view of its own (the I/O paths side by side). Everything comes from the
 * folder (results.h), so a summary can be made again from any finished folder. */
#ifndef APP_SUMMARY_H
#define APP_SUMMARY_H

#include "app/results.h"
#include "sim/err.h"

/* The summary of the folder `dir` (a sweep writes it to summary.txt): its length with
 * *text (malloc'd); 0, with *text NULL, when its kind has none; -1 with *e set. */
int app_summarize(const char *dir, char **text, sim_err *e);

/* The views, one per kind that has one (summary.c lists them). */

/* workload.kind = paths: for each traffic pattern the paths side by side at one VM
 * with the smallest and largest packets, then throughput against VMs. 0, with *out
 * NULL, when r holds no finished point of the kind. */
int app_summary_paths(const app_results *r, char **out, sim_err *e);

/* workload.kind = storage: for each pattern and block size the paths side by side at
 * one VM, at every queue depth, with their CPU cycles per I/O at the deepest; then
 * throughput against VMs. 0, with *out NULL, when r holds no finished point of the
 * kind. */
int app_summary_storage(const app_results *r, char **out, sim_err *e);

#endif
