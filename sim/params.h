/* The parameter registry: every tunable is registered once with a dotted name
 * ("pcie.mps_bytes"), a type, a default, a unit, an allowed range or set of values and
 * a one-line doc. Workload files and the command line set values by text; models read
 * typed values when they build. A getter on a name that was never registered, or with
 * the wrong type, is an internal error (assert), not a user error.
 *
 * Units. A numeric parameter has a unit string. When the unit belongs to a family
 * below, a value may carry any unit of that family and is converted to the
 * parameter's unit; a bare number is taken in the parameter's unit:
 *   time       ps ns us ms s
 *   size       bytes (also B), KiB MiB GiB TiB (powers of 1024), KB MB GB (powers of 1000)
 *   rate       bps Kbps Mbps Gbps Tbps (powers of 1000)
 *   frequency  Hz KHz MHz GHz
 * Any other unit ("cycles", "entries", "%") is a label: the value is a bare number,
 * or the number followed by exactly that label. Integer parameters refuse a value that
 * converts to a fraction ("1.5ns" for a ps parameter is fine, "1.5ps" is not).
 * Booleans take true/false, yes/no, on/off, 1/0. Enums take one of their values. */
#ifndef SIM_PARAMS_H
#define SIM_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/err.h"

typedef enum sim_param_type {
    SIM_PARAM_INT,
    SIM_PARAM_UINT,
    SIM_PARAM_DOUBLE,
    SIM_PARAM_BOOL,
    SIM_PARAM_ENUM,
    SIM_PARAM_STRING,
} sim_param_type;

typedef struct sim_params sim_params;

sim_params *sim_params_create(void);
void sim_params_destroy(sim_params *p);
/* A deep copy: registry and current values. */
sim_params *sim_params_clone(const sim_params *p);

/* Registration. Names are lower-case dotted identifiers; registering a name twice,
 * or a default outside its own range, is an assert. `unit` may be "" (dimensionless). */
void sim_params_add_int(sim_params *p, const char *name, int64_t def, int64_t min, int64_t max,
                        const char *unit, const char *doc);
void sim_params_add_uint(sim_params *p, const char *name, uint64_t def, uint64_t min,
                         uint64_t max, const char *unit, const char *doc);
void sim_params_add_double(sim_params *p, const char *name, double def, double min, double max,
                           const char *unit, const char *doc);
void sim_params_add_bool(sim_params *p, const char *name, bool def, const char *doc);
/* `choices` is "a|b|c"; `def` must be one of them. */
void sim_params_add_enum(sim_params *p, const char *name, const char *def, const char *choices,
                         const char *doc);
void sim_params_add_string(sim_params *p, const char *name, const char *def, const char *doc);

bool sim_params_exists(const sim_params *p, const char *name);
/* The registered name closest to `name` (edit distance, small enough to be a likely
 * typo), or NULL. */
const char *sim_params_suggest(const sim_params *p, const char *name);

/* Parse `text` for parameter `name` and store it. On failure returns -1 and the
 * message starts with `where` (e.g. "dma.ini:12" or "--set"), names the parameter and
 * says what is wrong: unknown parameter (with the suggestion), bad value, out of range
 * (with the range and unit). */
int sim_params_set(sim_params *p, const char *name, const char *text, const char *where,
                   sim_err *e);
/* The same checks without storing. */
int sim_params_check(const sim_params *p, const char *name, const char *text, const char *where,
                     sim_err *e);
/* Convert a numeric text with an optional unit to a double in the parameter's unit,
 * without range checks (used for sweep ranges). */
int sim_params_parse_number(const sim_params *p, const char *name, const char *text,
                            const char *where, double *out, sim_err *e);

int64_t sim_params_int(const sim_params *p, const char *name);
uint64_t sim_params_uint(const sim_params *p, const char *name);
double sim_params_double(const sim_params *p, const char *name);
bool sim_params_bool(const sim_params *p, const char *name);
const char *sim_params_enum(const sim_params *p, const char *name);
/* Position of the current value in the choices list. */
int sim_params_enum_index(const sim_params *p, const char *name);
const char *sim_params_string(const sim_params *p, const char *name);

/* The current value as canonical text, in the parameter's unit without the unit
 * (what results.csv columns hold): "4096", "0.25", "true", "native". */
void sim_params_format(const sim_params *p, const char *name, char *buf, size_t len);
sim_param_type sim_params_type(const sim_params *p, const char *name);
const char *sim_params_unit(const sim_params *p, const char *name);

/* Registered parameters in name order. */
size_t sim_params_count(const sim_params *p);
const char *sim_params_name_at(const sim_params *p, size_t i);

/* The reference listing: every parameter whose name starts with `prefix` ("" for all)
 * with type, default, unit, range or choices and doc. Plain text for a terminal, or
 * Markdown (the source of docs/PARAMS.md). */
void sim_params_list(const sim_params *p, FILE *out, const char *prefix, bool markdown);

#endif
