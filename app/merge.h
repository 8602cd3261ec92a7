/* Merging results folders of one sweep: partial local runs, or points run on other
 * machines (`iovsim run FILE --out DIR --point N`) into one or several folders. */
#ifndef APP_MERGE_H
#define APP_MERGE_H

#include <stdbool.h>
#include <stddef.h>

#include "app/provenance.h"
#include "sim/err.h"

/* Fills OUT from `dirs`: every point's folder comes from the first of OUT, dirs...
 * where it finished (else the first where it failed), then OUT/sweep.txt, plots.ini
 * and results.csv are written (see app/results.h), with the sweep's settings and the
 * copy of its workload (app/identity.h, app/provenance.h) from the first folder that
 * has them, and the merge's record `p` (NULL: none) in OUT/provenance.txt. The folders
 * must hold the same sweep: points and settings. OUT is locked meanwhile. Returns 0
 * when every point finished, 1 when some failed or is missing (each listed on stderr),
 * 2 on bad folders (*e says which). Drawing is the caller's. */
int app_merge(const char *out, const char *const *dirs, size_t n_dirs, bool quiet,
              app_provenance *p, sim_err *e);

#endif
