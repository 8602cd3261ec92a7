/* The parameter registry: every tunable is registered once with a dotted name
 * ("pcie.mps_bytes"), a type, a default, a unit, an allowed range or set of values and
 * a one-line doc. Workload files and the command line set values by text; models read
 * their values through tables (below) when they build. A parameter used against its
 * registration (read but never registered, or with the wrong type; registered twice)
 * is a programming error that stops the program with the parameter's name, not a user
 * error.
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

/* ---- Tables: a module's parameters declared once ------------------------------------
 *
 * A module lists its parameters in one table: each row says what the parameter is
 * (name, type, default, range, unit, doc) and where its value lands in the module's
 * configuration struct, so a name is typed once and the module reads its whole
 * configuration with one call:
 *
 *   static const sim_param_def mem_params[] = {
 *       {"mem.llc_bytes", SIM_PARAM_UINT, "25MiB", "0..16GiB", "bytes",
 *        "Last-level cache size", SIM_AT(mem_cfg, llc_bytes)},
 *       {"mem.llc_latency_ns", SIM_PARAM_DOUBLE, "80", "0..1e6", "ns",
 *        "Device access that hits the LLC", SIM_AT(mem_cfg, llc_latency_ps)},
 *   };
 *   sim_params_add_table(p, mem_params, SIM_TABLE_LEN(mem_params));      (register)
 *   sim_params_load_table(p, mem_params, SIM_TABLE_LEN(mem_params), &c); (read)
 *
 * `def` and the ends of `range` are written as a value would be ("256", "10Gbps",
 * "true", "strict"); a numeric range is "MIN..MAX" and either end may be left out (the
 * type's limit), an enum's range is its choices "a|b|c".
 *
 * Where values land: a numeric parameter of a time unit (ps ns us ms s) lands in an
 * integer field in picoseconds (rounded to the nearest) and in a double field in its
 * own unit; any other numeric parameter in its own unit; an enum as the index of its
 * value; a string as a pointer into the registry (valid while the sim_params lives).
 * A time's integer field is a uint64_t (an int64_t for an int parameter, which may be
 * negative) and its range in ps must fit an int64_t: below 2^63 ps, 106 days. The
 * field's type comes from the struct itself (SIM_AT). SIM_NOWHERE registers without
 * loading.
 *
 * A row that contradicts itself is a programming error, refused when the table is
 * registered (abort, with a message naming the row, whether or not asserts are
 * compiled in): no field named, a default or range end that does not read as a value
 * of the row, a minimum above the maximum, a field that cannot hold every value the
 * range allows. */
typedef enum sim_field_kind {
    SIM_FIELD_NONE = 0, /* a row without SIM_AT or SIM_NOWHERE: refused */
    SIM_FIELD_NOWHERE,  /* registered, not loaded */
    SIM_FIELD_BOOL,
    SIM_FIELD_U8,
    SIM_FIELD_U16,
    SIM_FIELD_U32,
    SIM_FIELD_U64,
    SIM_FIELD_I32,
    SIM_FIELD_I64,
    SIM_FIELD_DOUBLE,
    SIM_FIELD_STRING,
} sim_field_kind;

#define SIM_FIELD_KIND_OF(x)                                                                   \
    _Generic((x), bool: SIM_FIELD_BOOL, uint8_t: SIM_FIELD_U8, uint16_t: SIM_FIELD_U16,        \
             uint32_t: SIM_FIELD_U32, uint64_t: SIM_FIELD_U64, int32_t: SIM_FIELD_I32,         \
             int64_t: SIM_FIELD_I64, double: SIM_FIELD_DOUBLE, const char *: SIM_FIELD_STRING)
/* Where a row's value lands: member `member` of struct type `type`. */
#define SIM_AT(type, member)                                                                   \
    .offset = offsetof(type, member), .field = SIM_FIELD_KIND_OF(((type *)0)->member)
#define SIM_NOWHERE .offset = 0, .field = SIM_FIELD_NOWHERE
#define SIM_TABLE_LEN(t) (sizeof(t) / sizeof((t)[0]))

typedef struct sim_param_def {
    const char *name;
    sim_param_type type;
    const char *def;
    const char *range; /* "MIN..MAX", "a|b|c", or NULL (any value of the type) */
    const char *unit;  /* "" when dimensionless; booleans, enums and strings have none */
    const char *doc;
    size_t offset;
    sim_field_kind field;
} sim_param_def;

void sim_params_add_table(sim_params *p, const sim_param_def *defs, size_t n);
/* Writes every row's current value into the struct at `cfg`. */
void sim_params_load_table(const sim_params *p, const sim_param_def *defs, size_t n, void *cfg);

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
/* Where the current value of `name` was set: the `where` given to the sim_params_set
 * that stored it ("dma.ini:12", "--set", "--sweep"), or NULL for the default. */
const char *sim_params_where(const sim_params *p, const char *name);
/* For a message about several parameters (a conflict between values): appends, on a
 * line of its own each, the value and origin of every registered parameter the message
 * names ("\n  nic.vfs = 8 set at dc.ini:12", "... by default"), so the user finds the
 * lines to change. */
void sim_params_add_origins(const sim_params *p, sim_err *e);
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
/* Every parameter as "name = value" lines in name order (a point's params.txt, the
 * trace header's copy). */
void sim_params_write(const sim_params *p, FILE *f);
sim_param_type sim_params_type(const sim_params *p, const char *name);
const char *sim_params_unit(const sim_params *p, const char *name);

/* Registered parameters in name order. */
size_t sim_params_count(const sim_params *p);
const char *sim_params_name_at(const sim_params *p, size_t i);

/* The reference listing: every parameter whose name contains `word` ("" for all; "pcie."
 * lists a section, "iotlb" every IOTLB parameter) with type, default, unit, range or
 * choices and doc. Plain text for a terminal, or Markdown (the source of
 * docs/PARAMS.md). */
void sim_params_list(const sim_params *p, FILE *out, const char *word, bool markdown);
/* How many parameters sim_params_list lists for `word`. */
size_t sim_params_matching(const sim_params *p, const char *word);

#endif
