/* The model layer seen from the command line: every model's parameters, and the
 * system one simulation point builds, chosen by `workload.kind`. */
#ifndef MODELS_SYSTEM_H
#define MODELS_SYSTEM_H

#include "sim/run.h"

extern const sim_model_ops system_ops;


#endif
