/* Private to the parameter registry (params.c, params_list.c, params_table.c): the
 * entries themselves and what the files share. */
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
    /* unit's entry in the units table (NULL: a label or none), found once at
     * registration: every table load reads it, a module's whole table per config */
    const struct unit_def *unit_def;
    char *doc;
    pval def, cur, min, max;
    char **choices; /* enum values, in registration order */
    size_t n_choices;
    char *s_def, *s_cur; /* string parameters */
    char *where;         /* where the current value was set (sim_params_set); NULL: default */
} param;

struct sim_params {
    param *v;
    size_t n, cap;
};

/* The units a value may carry (params.c's table): a family, and the factor to the
 * family's smallest unit, so every ratio is exact. */
typedef enum unit_family { FAM_LABEL, FAM_TIME, FAM_SIZE, FAM_RATE, FAM_FREQ } unit_family;

typedef struct unit_def {
    const char *name;
    unit_family fam;
    uint64_t factor;
} unit_def;

/* The unit spelled by s[0, len); NULL when none. */
const unit_def *params_find_unit(const char *s, size_t len);
bool params_is_numeric(sim_param_type t);

/* The entry of name; NULL when none. */
param *params_lookup(const sim_params *p, const char *name);
/* The entry of name, which must exist (else params_misuse). */
const param *params_must_exist(const sim_params *p, const char *name);
/* A new entry of name in its sorted place (a name registered twice or not typeable is
 * params_misuse). */
param *params_add(sim_params *p, const char *name, sim_param_type t, const char *unit,
                  const char *doc);
/* Text as a value of q (where: the setting's origin for messages, may be NULL). */
int params_parse_value(const param *q, const char *text, const char *where, pval *out, sim_err *e);
int params_parse_bool(const char *s, bool *out);

/* A parameter used against its registration (a name read that was never registered,
 * or with the wrong type; a name registered twice or not typeable; a row that
 * contradicts itself) is a bug in the module that does it, not a user error: it stops
 * the program with the name, whether or not asserts are compiled in. `what` is
 * "parameter" or "parameter table row". */
void params_misuse(const char *what, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

/* "uint", "enum", ... */
const char *params_type_name(sim_param_type t);
/* A value of q as canonical text (what results.csv holds), without the unit. */
void params_format_value(const param *q, pval v, char *buf, size_t len);

#endif
