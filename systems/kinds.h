/* The model layer seen from the command line: every model's parameters, and the
 * system one simulation point builds, chosen by `workload.kind`. */
#ifndef MODELS_SYSTEM_H
#define MODELS_SYSTEM_H

#include "sim/run.h"

extern const sim_model_ops system_ops;

/* The summary of a results folder that its workload kind provides (the net workload's
 * comparison of paths), for sim_sweep_opts.summarize; 0 when the kind has none. */
int system_summarize(const char *dir, char **text, sim_err *e);

#endif
