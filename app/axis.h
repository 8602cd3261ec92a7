/* The values of a sweep axis from the text a workload file or --sweep gives:
 *
 *   128, 256, 512          a comma list (any parameter type)
 *   64..1500 step 64       a range of a numeric parameter: A, A+S, ... up to B
 *   1..64 *2               A, A*F, A*F^2, ... up to B (F > 1, A > 0)
 *   1..8                   step 1
 *
 * Bounds and steps may carry units (4KiB, 250ns); generated values are written as
 * plain numbers in the parameter's unit. A range of more than 100000 values is refused
 * as a typo (a wrong unit, a missing zero in the step). */
#ifndef APP_AXIS_H
#define APP_AXIS_H

#include "app/strlist.h"
#include "sim/err.h"
#include "sim/params.h"

/* Appends the values of `text` for parameter `name` to `out`, each checked against
 * `p`; -1 with *e naming `where` (and what `out` holds then is to be freed). */
int app_axis_values(const sim_params *p, const char *name, const char *text, const char *where,
                    app_strlist *out, sim_err *e);

#endif
