/* Parameter tables (sim/params.h): a module's rows registered in one call, checked
 * for contradictions as they are, and its values loaded into its config struct, times
 * converted to ps. */
#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "sim/params.h"
#include "sim/params_impl.h"

#define bad_row(name, ...) params_misuse("parameter table row", name, __VA_ARGS__)

/* A table row that contradicts itself is a bug in the module that declares it, met the
 * first time the table is registered (every run and every test registers every table).
 * It is refused whether or not asserts are compiled in, and the message names the row,
 * so it points at the line to fix. */

/* Reads a table row's default or one end of its range (`what` says which) as a value
 * of q. */
static pval table_value(const param *q, const char *text, const char *what)
{
    pval v;
    sim_err e;
    if (params_parse_value(q, text, NULL, &v, &e) < 0)
        bad_row(q->name, "the %s does not read as a value of the row: %s", what, e.msg);
    return v;
}

/* Sets q's range from "MIN..MAX" (either end may be empty: the type's limit). */
static void table_range(param *q, const char *range)
{
    switch (q->type) {
    case SIM_PARAM_INT:
        q->min.i = INT64_MIN;
        q->max.i = INT64_MAX;
        break;
    case SIM_PARAM_UINT:
        q->min.u = 0;
        q->max.u = UINT64_MAX;
        break;
    default:
        q->min.d = -DBL_MAX;
        q->max.d = DBL_MAX;
        break;
    }
    if (!range)
        return;
    const char *dots = strstr(range, "..");
    if (!dots)
        bad_row(q->name, "range \"%s\" is not MIN..MAX", range);
    char lo[64];
    size_t n = (size_t)(dots - range);
    if (n >= sizeof lo)
        bad_row(q->name, "range \"%s\" has a minimum too long to be a number", range);
    memcpy(lo, range, n);
    lo[n] = '\0';
    /* Both ends are read against the type's limits; q's own range is set after. */
    pval min = q->min, max = q->max;
    if (lo[0])
        min = table_value(q, lo, "range's minimum");
    if (dots[2])
        max = table_value(q, dots + 2, "range's maximum");
    bool inverted = q->type == SIM_PARAM_INT    ? min.i > max.i
                    : q->type == SIM_PARAM_UINT ? min.u > max.u
                                                : min.d > max.d;
    if (inverted)
        bad_row(q->name, "range \"%s\" has its minimum above its maximum", range);
    q->min = min;
    q->max = max;
}

static const unit_def *time_unit(const param *q)
{
    const unit_def *u = q->unit_def;
    return u && u->fam == FAM_TIME ? u : NULL;
}

/* The largest value a field can hold; 0 for fields that are not unsigned. */
static uint64_t field_umax(sim_field_kind f)
{
    switch (f) {
    case SIM_FIELD_U8: return UINT8_MAX;
    case SIM_FIELD_U16: return UINT16_MAX;
    case SIM_FIELD_U32: return UINT32_MAX;
    case SIM_FIELD_U64: return UINT64_MAX;
    default: return 0;
    }
}

/* A time lands in an integer field in ps: a uint64_t, or an int64_t for an int (which
 * may be negative), and its range in ps must fit an int64_t. A double time is rounded
 * with llround, whose result is a signed 64-bit number, and two such times (warm-up
 * plus duration, now plus a delay) add up without wrapping a uint64_t. Why the row
 * cannot land in field f, or NULL when it can. */
static const char *time_misfit(const param *q, const unit_def *tu, sim_field_kind f)
{
    const int64_t k = (int64_t)tu->factor;
    switch (q->type) {
    case SIM_PARAM_UINT:
        if (f != SIM_FIELD_U64)
            return "a time lands in a uint64_t field in ps";
        return q->max.u > (uint64_t)(INT64_MAX / k) ? "its maximum is 2^63 ps or more" : NULL;
    case SIM_PARAM_INT:
        if (f != SIM_FIELD_I64)
            return "a signed time lands in an int64_t field in ps";
        if (q->max.i > INT64_MAX / k)
            return "its maximum is 2^63 ps or more";
        return q->min.i < INT64_MIN / k ? "its minimum is below -2^63 ps" : NULL;
    case SIM_PARAM_DOUBLE:
        if (f != SIM_FIELD_U64)
            return "a time lands in a double field in its own unit or a uint64_t field in ps";
        if (q->min.d < 0)
            return "a negative time cannot land in a uint64_t field";
        return q->max.d * (double)k >= 9223372036854775808.0 ? "its maximum is 2^63 ps or more"
                                                             : NULL;
    default: return NULL;
    }
}

/* Why a row's field cannot hold every value its range allows, or NULL when it can. */
static const char *field_misfit(const param *q, sim_field_kind f)
{
    if (f == SIM_FIELD_NOWHERE)
        return NULL;
    const unit_def *tu = time_unit(q);
    if (tu && params_is_numeric(q->type) && !(q->type == SIM_PARAM_DOUBLE && f == SIM_FIELD_DOUBLE))
        return time_misfit(q, tu, f);
    switch (q->type) {
    case SIM_PARAM_BOOL: return f == SIM_FIELD_BOOL ? NULL : "a boolean lands in a bool field";
    case SIM_PARAM_STRING:
        return f == SIM_FIELD_STRING ? NULL : "a string lands in a const char * field";
    case SIM_PARAM_ENUM:
        return field_umax(f) >= q->n_choices || f == SIM_FIELD_I32 || f == SIM_FIELD_I64
                   ? NULL
                   : "the field cannot hold the index of every choice";
    case SIM_PARAM_UINT:
        return (field_umax(f) && field_umax(f) >= q->max.u) ||
                       (f == SIM_FIELD_I64 && q->max.u <= (uint64_t)INT64_MAX)
                   ? NULL
                   : "the field cannot hold its maximum";
    case SIM_PARAM_INT:
        if (f == SIM_FIELD_I64 ||
            (f == SIM_FIELD_I32 && q->min.i >= INT32_MIN && q->max.i <= INT32_MAX))
            return NULL;
        return "an int lands in an int64_t field, or an int32_t one its range fits";
    case SIM_PARAM_DOUBLE:
        return f == SIM_FIELD_DOUBLE ? NULL : "a double that is not a time lands in a double field";
    }
    return "unknown type";
}

void sim_params_add_table(sim_params *p, const sim_param_def *defs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const sim_param_def *d = &defs[i];
        if (!d->def)
            bad_row(d->name, "no default");
        if (d->field == SIM_FIELD_NONE)
            bad_row(d->name, "no field: a row says where its value lands (SIM_AT) or that it "
                             "is not loaded (SIM_NOWHERE)");
        switch (d->type) {
        case SIM_PARAM_ENUM:
            if (!d->range || *d->unit)
                bad_row(d->name, "an enum lists its choices as its range and has no unit");
            sim_params_add_enum(p, d->name, d->def, d->range, d->doc);
            break;
        case SIM_PARAM_STRING:
            if (d->range || *d->unit)
                bad_row(d->name, "a string has no range and no unit");
            sim_params_add_string(p, d->name, d->def, d->doc);
            break;
        case SIM_PARAM_BOOL: {
            bool b = false;
            if (d->range || *d->unit)
                bad_row(d->name, "a boolean has no range and no unit");
            if (params_parse_bool(d->def, &b) < 0)
                bad_row(d->name, "a boolean's default is true or false, not \"%s\"", d->def);
            sim_params_add_bool(p, d->name, b, d->doc);
            break;
        }
        default: {
            param *q = params_add(p, d->name, d->type, d->unit, d->doc);
            table_range(q, d->range);
            q->def = q->cur = table_value(q, d->def, "default");
            break;
        }
        }
        const char *why = field_misfit(params_lookup(p, d->name), d->field);
        if (why)
            bad_row(d->name, "its field cannot hold its values: %s", why);
    }
}

static void store_unsigned(void *at, sim_field_kind f, uint64_t v)
{
    switch (f) {
    case SIM_FIELD_U8: *(uint8_t *)at = (uint8_t)v; break;
    case SIM_FIELD_U16: *(uint16_t *)at = (uint16_t)v; break;
    case SIM_FIELD_U32: *(uint32_t *)at = (uint32_t)v; break;
    case SIM_FIELD_U64: *(uint64_t *)at = v; break;
    case SIM_FIELD_I32: *(int32_t *)at = (int32_t)v; break;
    case SIM_FIELD_I64: *(int64_t *)at = (int64_t)v; break;
    default: assert(!"not an integer field");
    }
}

void sim_params_load_table(const sim_params *p, const sim_param_def *defs, size_t n, void *cfg)
{
    for (size_t i = 0; i < n; i++) {
        const sim_param_def *d = &defs[i];
        if (d->field == SIM_FIELD_NOWHERE)
            continue;
        const param *q = params_must_exist(p, d->name);
        void *at = (char *)cfg + d->offset;
        const unit_def *tu = time_unit(q);
        switch (q->type) {
        case SIM_PARAM_BOOL: *(bool *)at = q->cur.b; break;
        case SIM_PARAM_STRING: *(const char **)at = q->s_cur; break;
        case SIM_PARAM_ENUM: store_unsigned(at, d->field, q->cur.e); break;
        case SIM_PARAM_UINT: store_unsigned(at, d->field, tu ? q->cur.u * tu->factor : q->cur.u); break;
        case SIM_PARAM_INT:
            if (d->field == SIM_FIELD_I32)
                *(int32_t *)at = (int32_t)q->cur.i;
            else
                *(int64_t *)at = tu ? q->cur.i * (int64_t)tu->factor : q->cur.i;
            break;
        case SIM_PARAM_DOUBLE:
            if (d->field == SIM_FIELD_DOUBLE)
                *(double *)at = q->cur.d;
            else
                *(uint64_t *)at = (uint64_t)llround(q->cur.d * (double)tu->factor);
            break;
        }
    }
}
