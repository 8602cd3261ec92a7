/* Private to the parameter registry (params.c, params_list.c): the entries themselves. */
#ifndef SIM_PARAMS_IMPL_H
#define SIM_PARAMS_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/params.h"

typedef union pval {
    int64_t i;
    uint64_t u;
    double d;
    bool b;
    size_t e; /* enum: index into choices */
} pval;

typedef struct param {
    char *name;
    sim_param_type type;
    char *unit; /* "" when dimensionless */
    char *doc;
    pval def, cur, min, max;
    char **choices; /* enum values, in registration order */
    size_t n_choices;
    char *s_def, *s_cur; /* string parameters */
} param;

struct sim_params {
    param *v;
    size_t n, cap;
};

/* "uint", "enum", ... */
const char *params_type_name(sim_param_type t);
/* A value of q as canonical text (what results.csv holds), without the unit. */
void params_format_value(const param *q, pval v, char *buf, size_t len);

#endif
