/* Provenance: how a results folder was made and from what, so a number in it can be
 * traced to its inputs.
 *
 *   DIR/provenance.txt   the record of the command that wrote the folder, key = value
 *                        lines (below); a point run on its own (--point N: a cluster
 *                        task) writes DIR/points/NNNN/provenance.txt instead, so tasks
 *                        writing one folder never share a file
 *   DIR/workload/        a copy of the workload file and of every file it includes, at
 *                        the same places relative to one another, so relative includes
 *                        resolve inside the copy (`iovsim run DIR/workload/...` runs it)
 *
 * The record's keys, in this order:
 *   command      the command line as given (quoted where the shell needs it)
 *   cwd          the folder it ran in (relative paths in the command are from there)
 *   program      this program's absolute path
 *   version      the package version
 *   revision     the source revision it was built from (git describe, "-dirty" for
 *                uncommitted changes), or the version when built from a release tarball
 *   host         the host name
 *   start, end   local time, ISO 8601 (no end while the command runs, or when it was
 *                interrupted)
 *   set.N, sweep.N  each --set and --sweep, in the order they apply (all --set first)
 *   file.N       the workload file (N = 1) and each file it includes, absolute
 *   file.N.copy  its copy, relative to DIR
 *   file.N.included_at  the line that included it (file:line)
 *   then what the command adds (points, status, ...; app_provenance_add).
 * Values are one line each (line breaks become spaces). */
#ifndef APP_PROVENANCE_H
#define APP_PROVENANCE_H

#include <stdbool.h>
#include <stddef.h>

#include "app/workload.h"
#include "sim/err.h"

#define APP_PROVENANCE_FILE "provenance.txt"

/* The revision as the record gives it: git describe of the build, else the version. */
const char *app_provenance_revision(void);

typedef struct app_provenance app_provenance;

/* A record started now, for the command line argc/argv (argv[0] the program as typed),
 * taken before getopt reorders it. */
app_provenance *app_provenance_create(int argc, char *const *argv);
/* The command's --set and --sweep, in the order they apply. */
void app_provenance_overrides(app_provenance *p, const char *const *sets, size_t n_sets,
                              const char *const *sweeps, size_t n_sweeps);
void app_provenance_destroy(app_provenance *p);

/* Adds a key the command reports after the fixed ones, e.g. points; a key added again
 * moves to the end with its new value. */
void app_provenance_add(app_provenance *p, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes the record for workload `w` (the files it read and the names of their copies;
 * NULL: none, a merge) to `path` whole; `ended` adds end = now. */
int app_provenance_write(const app_provenance *p, const app_workload *w, const char *path,
                         bool ended, sim_err *e);

/* The records of earlier runs into DIR: a run that keeps points they made (--resume,
 * a merge) keeps DIR/provenance.txt as provenance.N.txt (N from 1, the oldest first),
 * and a merge the records of the folders it takes points from too; the new record
 * names them all ("earlier"). A run that makes every point again drops them. */
int app_provenance_keep_earlier(app_provenance *p, const char *dir, sim_err *e);
/* Keeps the record at path `record` (DIR's own is moved, another folder's copied). */
int app_provenance_keep(app_provenance *p, const char *dir, const char *record, sim_err *e);
int app_provenance_drop_earlier(const char *dir, sim_err *e);

/* Copies the files `w` read into DIR/workload/ (built aside, then renamed into place).
 * `replace`: an existing copy is replaced; otherwise the first copy stays (single points
 * of one sweep run at once each offer theirs; all are copies of the same workload). */
int app_provenance_copy_workload(const app_workload *w, const char *dir, bool replace, sim_err *e);

#endif
