/* The parameter registry: a sorted array of typed entries. Lookups happen only while a
 * run is configured, so a binary search over names is all the speed needed, and the
 * array order is the listing order for free. */
#include "sim/params.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/alloc.h"
#include "sim/params_impl.h"
#include "sim/text.h"

/* ---- units ---- */

static const unit_def units[] = {
    {"ps", FAM_TIME, 1},
    {"ns", FAM_TIME, 1000},
    {"us", FAM_TIME, 1000000},
    {"ms", FAM_TIME, 1000000000},
    {"s", FAM_TIME, 1000000000000},
    {"bytes", FAM_SIZE, 1},
    {"B", FAM_SIZE, 1},
    {"KiB", FAM_SIZE, UINT64_C(1) << 10},
    {"MiB", FAM_SIZE, UINT64_C(1) << 20},
    {"GiB", FAM_SIZE, UINT64_C(1) << 30},
    {"TiB", FAM_SIZE, UINT64_C(1) << 40},
    {"KB", FAM_SIZE, 1000},
    {"MB", FAM_SIZE, 1000000},
    {"GB", FAM_SIZE, 1000000000},
    {"bps", FAM_RATE, 1},
    {"Kbps", FAM_RATE, 1000},
    {"Mbps", FAM_RATE, 1000000},
    {"Gbps", FAM_RATE, 1000000000},
    {"Tbps", FAM_RATE, 1000000000000},
    {"Hz", FAM_FREQ, 1},
    {"KHz", FAM_FREQ, 1000},
    {"kHz", FAM_FREQ, 1000}, /* the SI spelling; refusing it would only annoy */
    {"MHz", FAM_FREQ, 1000000},
    {"GHz", FAM_FREQ, 1000000000},
};

static const char *const family_names[] = {
    [FAM_LABEL] = "label", [FAM_TIME] = "time", [FAM_SIZE] = "size",
    [FAM_RATE] = "rate",   [FAM_FREQ] = "frequency",
};

const unit_def *params_find_unit(const char *s, size_t len)
{
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strlen(units[i].name) == len && memcmp(units[i].name, s, len) == 0)
            return &units[i];
    return NULL;
}

const char *params_type_name(sim_param_type t)
{
    switch (t) {
    case SIM_PARAM_INT: return "int";
    case SIM_PARAM_UINT: return "uint";
    case SIM_PARAM_DOUBLE: return "double";
    case SIM_PARAM_BOOL: return "bool";
    case SIM_PARAM_ENUM: return "enum";
    case SIM_PARAM_STRING: return "string";
    }
    return "?";
}

bool params_is_numeric(sim_param_type t)
{
    return t == SIM_PARAM_INT || t == SIM_PARAM_UINT || t == SIM_PARAM_DOUBLE;
}

/* ---- canonical number text ---- */

/* The shortest text that reads back as the same double, up to 15 digits; beyond that
 * the digits are floating-point noise (0.1 + 0.2) and %.15g drops them. Whole numbers
 * are written out in full: "%g" would turn 1000 into "1e+03". */
static void format_double(double v, char *buf, size_t len)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, len, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 15; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
    snprintf(buf, len, "%.15g", v);
}

void params_format_value(const param *q, pval v, char *buf, size_t len)
{
    switch (q->type) {
    case SIM_PARAM_INT: snprintf(buf, len, "%" PRId64, v.i); break;
    case SIM_PARAM_UINT: snprintf(buf, len, "%" PRIu64, v.u); break;
    case SIM_PARAM_DOUBLE: format_double(v.d, buf, len); break;
    case SIM_PARAM_BOOL: snprintf(buf, len, "%s", v.b ? "true" : "false"); break;
    case SIM_PARAM_ENUM: snprintf(buf, len, "%s", q->choices[v.e]); break;
    case SIM_PARAM_STRING: snprintf(buf, len, "%s", ""); break;
    }
}

/* ---- lookup ---- */

static int cmp_param(const void *a, const void *b)
{
    return strcmp(((const param *)a)->name, ((const param *)b)->name);
}

param *params_lookup(const sim_params *p, const char *name)
{
    param key = {.name = (char *)name};
    return p->n ? bsearch(&key, p->v, p->n, sizeof *p->v, cmp_param) : NULL;
}

void params_misuse(const char *what, const char *name, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "iovsim: %s '%s': ", what, name ? name : "(null)");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

const param *params_must_exist(const sim_params *p, const char *name)
{
    const param *q = params_lookup(p, name);
    if (!q)
        params_misuse("parameter", name, "read but never registered");
    return q;
}

static const param *must_get(const sim_params *p, const char *name, sim_param_type t)
{
    const param *q = params_must_exist(p, name);
    if (q->type != t)
        params_misuse("parameter", name, "read with the wrong type");
    return q;
}

/* ---- create, destroy, clone ---- */

sim_params *sim_params_create(void)
{
    sim_params *p = sim_xmalloc(sizeof *p);
    *p = (sim_params){0};
    return p;
}

static void free_param(param *q)
{
    free(q->name);
    free(q->unit);
    free(q->doc);
    for (size_t i = 0; i < q->n_choices; i++)
        free(q->choices[i]);
    free(q->choices);
    free(q->s_def);
    free(q->s_cur);
    free(q->where);
}

void sim_params_destroy(sim_params *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free_param(&p->v[i]);
    free(p->v);
    free(p);
}

static char *dup_or_null(const char *s)
{
    return s ? sim_xstrdup(s) : NULL;
}

sim_params *sim_params_clone(const sim_params *p)
{
    sim_params *c = sim_params_create();
    c->n = c->cap = p->n;
    c->v = sim_xmalloc(p->n * sizeof *c->v);
    for (size_t i = 0; i < p->n; i++) {
        const param *s = &p->v[i];
        param *d = &c->v[i];
        *d = *s;
        d->name = sim_xstrdup(s->name);
        d->unit = sim_xstrdup(s->unit);
        d->doc = sim_xstrdup(s->doc);
        d->s_def = dup_or_null(s->s_def);
        d->s_cur = dup_or_null(s->s_cur);
        d->where = dup_or_null(s->where);
        d->choices = s->n_choices ? sim_xmalloc(s->n_choices * sizeof *d->choices) : NULL;
        for (size_t k = 0; k < s->n_choices; k++)
            d->choices[k] = sim_xstrdup(s->choices[k]);
    }
    return c;
}

/* ---- registration ---- */

/* Lower-case dotted identifiers keep names typeable in INI keys and on command lines. */
static bool valid_name(const char *name)
{
    if (!islower((unsigned char)name[0]))
        return false;
    char prev = 0;
    for (const char *s = name; *s; prev = *s++) {
        bool ok = islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_' ||
                  (*s == '.' && prev != '.');
        if (!ok)
            return false;
    }
    return prev != '.';
}

/* Appends and moves the new entry back to its sorted place: registration happens a few
 * hundred times per process, so one insertion step per add is cheaper than any
 * cleverness. */
param *params_add(sim_params *p, const char *name, sim_param_type t, const char *unit,
                  const char *doc)
{
    if (!name || !valid_name(name))
        params_misuse("parameter", name, "a name is a lower-case dotted identifier");
    if (params_lookup(p, name))
        params_misuse("parameter", name, "registered twice");
    if (!unit || !doc)
        params_misuse("parameter", name, "registered without a unit or a doc line");
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 64;
        p->v = sim_xrealloc(p->v, p->cap * sizeof *p->v);
    }
    size_t i = p->n++;
    while (i > 0 && strcmp(p->v[i - 1].name, name) > 0) {
        p->v[i] = p->v[i - 1];
        i--;
    }
    param *q = &p->v[i];
    *q = (param){.name = sim_xstrdup(name),
                 .type = t,
                 .unit = sim_xstrdup(unit),
                 .unit_def = params_find_unit(unit, strlen(unit)),
                 .doc = sim_xstrdup(doc)};
    return q;
}

void sim_params_add_int(sim_params *p, const char *name, int64_t def, int64_t min, int64_t max,
                        const char *unit, const char *doc)
{
    if (!(min <= def && def <= max))
        params_misuse("parameter", name, "its default is outside its own range");
    param *q = params_add(p, name, SIM_PARAM_INT, unit, doc);
    q->def.i = q->cur.i = def;
    q->min.i = min;
    q->max.i = max;
}

void sim_params_add_uint(sim_params *p, const char *name, uint64_t def, uint64_t min,
                         uint64_t max, const char *unit, const char *doc)
{
    if (!(min <= def && def <= max))
        params_misuse("parameter", name, "its default is outside its own range");
    param *q = params_add(p, name, SIM_PARAM_UINT, unit, doc);
    q->def.u = q->cur.u = def;
    q->min.u = min;
    q->max.u = max;
}

void sim_params_add_double(sim_params *p, const char *name, double def, double min, double max,
                           const char *unit, const char *doc)
{
    if (!(isfinite(def) && min <= def && def <= max))
        params_misuse("parameter", name, "its default is outside its own range");
    param *q = params_add(p, name, SIM_PARAM_DOUBLE, unit, doc);
    q->def.d = q->cur.d = def;
    q->min.d = min;
    q->max.d = max;
}

void sim_params_add_bool(sim_params *p, const char *name, bool def, const char *doc)
{
    param *q = params_add(p, name, SIM_PARAM_BOOL, "", doc);
    q->def.b = q->cur.b = def;
}

void sim_params_add_enum(sim_params *p, const char *name, const char *def, const char *choices,
                         const char *doc)
{
    param *q = params_add(p, name, SIM_PARAM_ENUM, "", doc);
    for (const char *s = choices;;) {
        size_t len = strcspn(s, "|");
        if (len == 0)
            params_misuse("parameter", name, "an empty choice in \"%s\"", choices);
        q->choices = sim_xrealloc(q->choices, (q->n_choices + 1) * sizeof *q->choices);
        char *c = sim_xmalloc(len + 1);
        memcpy(c, s, len);
        c[len] = '\0';
        q->choices[q->n_choices++] = c;
        if (!s[len])
            break;
        s += len + 1;
    }
    bool found = false;
    for (size_t i = 0; i < q->n_choices && !found; i++)
        if (!strcmp(q->choices[i], def)) {
            q->def.e = q->cur.e = i;
            found = true;
        }
    if (!found)
        params_misuse("parameter", name, "its default \"%s\" is not one of \"%s\"", def, choices);
}

void sim_params_add_string(sim_params *p, const char *name, const char *def, const char *doc)
{
    param *q = params_add(p, name, SIM_PARAM_STRING, "", doc);
    q->s_def = sim_xstrdup(def);
    q->s_cur = sim_xstrdup(def);
}

bool sim_params_exists(const sim_params *p, const char *name)
{
    return params_lookup(p, name) != NULL;
}

/* ---- suggestions ---- */

static const char *after_last_dot(const char *s)
{
    const char *d = strrchr(s, '.');
    return d ? d + 1 : s;
}

static size_t typo_budget(size_t len)
{
    return len / 4 > 2 ? len / 4 : 2;
}

/* A candidate is close when the whole name is a few edits away, or when the part after
 * the last dot nearly matches (the right key under the wrong section: "link.mps_bytes").
 * The tail match is held to a stricter budget, so short tails do not match everything,
 * and ranks just behind a whole-name match of the same distance. */
const char *sim_params_suggest(const sim_params *p, const char *name)
{
    const char *tail = after_last_dot(name);
    size_t full_budget = typo_budget(strlen(name));
    size_t tail_budget = strlen(tail) / 4;
    const char *best = NULL;
    size_t best_score = SIZE_MAX;
    for (size_t i = 0; i < p->n; i++) {
        const char *cand = p->v[i].name;
        size_t score = SIZE_MAX;
        size_t d = sim_text_edit_distance(name, cand);
        if (d <= full_budget)
            score = 2 * d;
        size_t dt = sim_text_edit_distance(tail, after_last_dot(cand));
        if (dt <= tail_budget && 2 * dt + 1 < score)
            score = 2 * dt + 1;
        if (score < best_score) {
            best_score = score;
            best = cand;
        }
    }
    return best;
}

/* ---- parsing values ---- */

/* Error text starts with `where` when there is one. */
static const char *where_sep(const char *where)
{
    return where && *where ? ": " : "";
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

static int unknown_error(const sim_params *p, const char *name, const char *where, sim_err *e)
{
    const char *near = sim_params_suggest(p, name);
    if (near)
        return sim_err_set(e, "%s%sunknown parameter '%s' (did you mean '%s'?)", nz(where),
                           where_sep(where), name, near);
    return sim_err_set(e, "%s%sunknown parameter '%s'", nz(where), where_sep(where), name);
}

/* Text trimmed of surrounding white space, copied into buf (values are short; a
 * longer one is refused as it cannot be a number anyway). */
static bool trim_copy(const char *text, char *buf, size_t len)
{
    while (isspace((unsigned char)*text))
        text++;
    size_t n = strlen(text);
    while (n > 0 && isspace((unsigned char)text[n - 1]))
        n--;
    if (n >= len)
        return false;
    memcpy(buf, text, n);
    buf[n] = '\0';
    return true;
}

/* A number read from text, converted to the parameter's unit. `exact` says the value is
 * an integer held without rounding in (neg, mag); `d` always holds it as a double. */
typedef struct number {
    bool exact;
    bool neg;
    uint64_t mag;
    double d;
} number;

typedef enum parse_status { PARSE_OK, PARSE_BAD, PARSE_WRONG_FAMILY } parse_status;

/* Reads "[sign]digits[.digits][e...][ws][unit]" or a plain "[sign]0x..." and converts it
 * to q's unit. strtod alone would accept "inf", "nan", hex floats and leading space;
 * those are ruled out before it runs. */
static parse_status parse_number_text(const param *q, const char *text, number *out,
                                      const unit_def **other)
{
    char buf[256];
    if (!trim_copy(text, buf, sizeof buf) || !buf[0])
        return PARSE_BAD;
    const char *s = buf;
    bool neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    *out = (number){.neg = neg};

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        if (!isxdigit((unsigned char)s[2]))
            return PARSE_BAD;
        char *end;
        errno = 0;
        uint64_t v = strtoull(s + 2, &end, 16);
        if (*end)
            return PARSE_BAD; /* hex is for plain numbers: "0x10B" would be ambiguous */
        out->exact = errno != ERANGE;
        out->mag = v;
        out->d = errno == ERANGE ? ldexp(1.0, 64) : (double)v;
        if (neg)
            out->d = -out->d;
        return PARSE_OK;
    }

    if (!(isdigit((unsigned char)s[0]) || (s[0] == '.' && isdigit((unsigned char)s[1]))))
        return PARSE_BAD;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (!isfinite(d))
        return PARSE_BAD;
    size_t digits = strspn(s, "0123456789");
    if (s + digits == end) { /* all digits: read exactly, beyond double precision */
        errno = 0;
        uint64_t v = strtoull(s, NULL, 10);
        out->exact = errno != ERANGE;
        out->mag = v;
    }
    out->d = neg ? -d : d;

    while (isspace((unsigned char)*end))
        end++;
    const unit_def *mine = q->unit_def;
    if (!*end)
        return PARSE_OK; /* bare: already in the parameter's unit */
    if (!mine) /* a label (or no unit): only the label itself may follow */
        return *q->unit && !strcmp(end, q->unit) ? PARSE_OK : PARSE_BAD;
    const unit_def *u = params_find_unit(end, strlen(end));
    if (!u)
        return PARSE_BAD;
    if (u->fam != mine->fam) {
        *other = u;
        return PARSE_WRONG_FAMILY;
    }
    if (u->factor == mine->factor)
        return PARSE_OK;
    /* Every factor is an integer, so an exact integer stays exact when the ratio is
     * whole; otherwise one multiplication and one division, in the order that keeps the
     * result the correctly rounded one for the usual cases (100 Mbps = 0.1 Gbps). */
    if (u->factor % mine->factor == 0) {
        uint64_t ratio = u->factor / mine->factor;
        if (out->exact && out->mag <= UINT64_MAX / ratio)
            out->mag *= ratio;
        else
            out->exact = false;
        out->d *= (double)ratio;
    } else {
        out->exact = false;
        if (mine->factor % u->factor == 0)
            out->d /= (double)(mine->factor / u->factor);
        else
            out->d = out->d * (double)u->factor / (double)mine->factor;
    }
    return PARSE_OK;
}

static int not_a_number(const param *q, const char *text, const char *where,
                        const unit_def *other, sim_err *e)
{
    if (other)
        return sim_err_set(e, "%s%sparameter '%s': '%s' is not a number of %s (%s is a %s unit)",
                           nz(where), where_sep(where), q->name, text, q->unit, other->name,
                           family_names[other->fam]);
    return sim_err_set(e, "%s%sparameter '%s': '%s' is not a number%s%s", nz(where),
                       where_sep(where), q->name, text, *q->unit ? " of " : "", q->unit);
}

static int out_of_range(const param *q, const char *value, const char *where, sim_err *e)
{
    char lo[64], hi[64];
    params_format_value(q, q->min, lo, sizeof lo);
    params_format_value(q, q->max, hi, sizeof hi);
    return sim_err_set(e, "%s%sparameter '%s' = %s is out of range [%s, %s]%s%s", nz(where),
                       where_sep(where), q->name, value, lo, hi, *q->unit ? " " : "", q->unit);
}

/* An integer parameter takes a converted value only when it is whole; the tolerance
 * forgives the rounding of a decimal fraction times a power of ten (0.1us in ps), a
 * few units in the last place, and no more (12345678901.4 is not whole). */
static bool whole(double d, double *r)
{
    *r = nearbyint(d);
    return fabs(d - *r) <= 8.0 * DBL_EPSILON * fmax(1.0, fabs(d));
}

static int parse_int(const param *q, const number *n, const char *text, const char *where,
                     pval *out, sim_err *e)
{
    char shown[64];
    if (n->exact) {
        if (n->neg && n->mag > 0) {
            snprintf(shown, sizeof shown, "-%" PRIu64, n->mag);
            if (q->type == SIM_PARAM_UINT || n->mag - 1 > (uint64_t)INT64_MAX)
                return out_of_range(q, shown, where, e);
            int64_t v = -(int64_t)(n->mag - 1) - 1;
            if (v < q->min.i || v > q->max.i)
                return out_of_range(q, shown, where, e);
            out->i = v;
            return 0;
        }
        snprintf(shown, sizeof shown, "%" PRIu64, n->mag);
        if (q->type == SIM_PARAM_UINT) {
            if (n->mag < q->min.u || n->mag > q->max.u)
                return out_of_range(q, shown, where, e);
            out->u = n->mag;
        } else {
            if (n->mag > (uint64_t)INT64_MAX || (int64_t)n->mag < q->min.i ||
                (int64_t)n->mag > q->max.i)
                return out_of_range(q, shown, where, e);
            out->i = (int64_t)n->mag;
        }
        return 0;
    }
    double r;
    if (!whole(n->d, &r))
        return sim_err_set(e, "%s%sparameter '%s': '%s' is not a whole number%s%s", nz(where),
                           where_sep(where), q->name, text, *q->unit ? " of " : "", q->unit);
    format_double(r, shown, sizeof shown);
    if (q->type == SIM_PARAM_UINT) {
        /* 2^64 as a double: anything at or above it cannot be held */
        if (r < 0 || r >= 18446744073709551616.0 || (uint64_t)r < q->min.u ||
            (uint64_t)r > q->max.u)
            return out_of_range(q, shown, where, e);
        out->u = (uint64_t)r;
    } else {
        if (r < -9223372036854775808.0 || r >= 9223372036854775808.0 || (int64_t)r < q->min.i ||
            (int64_t)r > q->max.i)
            return out_of_range(q, shown, where, e);
        out->i = (int64_t)r;
    }
    return 0;
}

int params_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (!strcasecmp(s, yes[i])) {
            *out = true;
            return 0;
        }
        if (!strcasecmp(s, no[i])) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

static int enum_error(const param *q, const char *text, const char *where, sim_err *e)
{
    char list[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < q->n_choices && used < sizeof list; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                                 q->choices[i]);
    return sim_err_set(e, "%s%sparameter '%s': '%s' is not one of %s", nz(where),
                       where_sep(where), q->name, text, list);
}

/* Parses text for q into *out (enum: index; string: left to the caller). */
int params_parse_value(const param *q, const char *text, const char *where, pval *out, sim_err *e)
{
    if (q->type == SIM_PARAM_STRING)
        return 0;
    char buf[256];
    if (!trim_copy(text, buf, sizeof buf))
        buf[0] = '\0'; /* too long to be any of these; the checks below refuse it */
    switch (q->type) {
    case SIM_PARAM_BOOL:
        if (params_parse_bool(buf, &out->b) < 0)
            return sim_err_set(e,
                               "%s%sparameter '%s': '%s' is not a boolean "
                               "(true/false, yes/no, on/off, 1/0)",
                               nz(where), where_sep(where), q->name, text);
        return 0;
    case SIM_PARAM_ENUM:
        for (size_t i = 0; i < q->n_choices; i++)
            if (!strcmp(buf, q->choices[i])) {
                out->e = i;
                return 0;
            }
        return enum_error(q, text, where, e);
    default:
        break;
    }
    number n;
    const unit_def *other = NULL;
    if (parse_number_text(q, text, &n, &other) != PARSE_OK)
        return not_a_number(q, buf[0] ? buf : text, where, other, e);
    if (q->type == SIM_PARAM_DOUBLE) {
        if (!isfinite(n.d) || n.d < q->min.d || n.d > q->max.d) {
            char shown[64];
            format_double(n.d, shown, sizeof shown);
            return out_of_range(q, shown, where, e);
        }
        out->d = n.d;
        return 0;
    }
    return parse_int(q, &n, buf, where, out, e);
}

int sim_params_check(const sim_params *p, const char *name, const char *text, const char *where,
                     sim_err *e)
{
    const param *q = params_lookup(p, name);
    if (!q)
        return unknown_error(p, name, where, e);
    pval v;
    return params_parse_value(q, text, where, &v, e);
}

int sim_params_set(sim_params *p, const char *name, const char *text, const char *where,
                   sim_err *e)
{
    param *q = params_lookup(p, name);
    if (!q)
        return unknown_error(p, name, where, e);
    pval v;
    if (params_parse_value(q, text, where, &v, e) < 0)
        return -1;
    if (q->type == SIM_PARAM_STRING) {
        char *s = sim_xstrdup(text);
        free(q->s_cur);
        q->s_cur = s;
    } else {
        q->cur = v;
    }
    char *w = where && *where ? sim_xstrdup(where) : NULL;
    free(q->where);
    q->where = w;
    return 0;
}

const char *sim_params_where(const sim_params *p, const char *name)
{
    return params_must_exist(p, name)->where;
}

/* A parameter name in running text: lower-case letters, digits, '_' and inner dots. */
static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

void sim_params_add_origins(const sim_params *p, sim_err *e)
{
    if (!e)
        return;
    enum { MAX_CITED = 12 };
    const param *cited[MAX_CITED];
    size_t n = 0;
    for (const char *s = e->msg; *s && n < MAX_CITED;) {
        if (!name_char(*s) || (s > e->msg && name_char(s[-1]))) {
            s++;
            continue;
        }
        size_t len = 0;
        while (name_char(s[len]))
            len++;
        while (len && s[len - 1] == '.')
            len--; /* the end of a sentence */
        char name[256];
        if (len && len < sizeof name) {
            memcpy(name, s, len);
            name[len] = '\0';
            const param *q = params_lookup(p, name);
            bool seen = false;
            for (size_t i = 0; i < n && !seen; i++)
                seen = cited[i] == q;
            if (q && !seen)
                cited[n++] = q;
        }
        s += len ? len : 1;
    }
    size_t used = strnlen(e->msg, sizeof e->msg);
    for (size_t i = 0; i < n && used < sizeof e->msg; i++) {
        char value[256];
        sim_params_format(p, cited[i]->name, value, sizeof value);
        const char *unit = cited[i]->type == SIM_PARAM_STRING ? "" : cited[i]->unit;
        int k = snprintf(e->msg + used, sizeof e->msg - used, "\n  %s = %s%s%s %s%s",
                         cited[i]->name, value, *unit ? " " : "", unit,
                         cited[i]->where ? "set at " : "by default",
                         cited[i]->where ? cited[i]->where : "");
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

int sim_params_parse_number(const sim_params *p, const char *name, const char *text,
                            const char *where, double *out, sim_err *e)
{
    const param *q = params_lookup(p, name);
    if (!q)
        return unknown_error(p, name, where, e);
    if (!params_is_numeric(q->type))
        return sim_err_set(e, "%s%sparameter '%s' is of type %s, not a number", nz(where),
                           where_sep(where), name, params_type_name(q->type));
    number n;
    const unit_def *other = NULL;
    char buf[256];
    if (parse_number_text(q, text, &n, &other) != PARSE_OK)
        return not_a_number(q, trim_copy(text, buf, sizeof buf) ? buf : text, where, other, e);
    *out = n.d;
    return 0;
}

/* ---- getters ---- */

int64_t sim_params_int(const sim_params *p, const char *name)
{
    return must_get(p, name, SIM_PARAM_INT)->cur.i;
}

uint64_t sim_params_uint(const sim_params *p, const char *name)
{
    return must_get(p, name, SIM_PARAM_UINT)->cur.u;
}

double sim_params_double(const sim_params *p, const char *name)
{
    return must_get(p, name, SIM_PARAM_DOUBLE)->cur.d;
}

bool sim_params_bool(const sim_params *p, const char *name)
{
    return must_get(p, name, SIM_PARAM_BOOL)->cur.b;
}

const char *sim_params_enum(const sim_params *p, const char *name)
{
    const param *q = must_get(p, name, SIM_PARAM_ENUM);
    return q->choices[q->cur.e];
}

int sim_params_enum_index(const sim_params *p, const char *name)
{
    return (int)must_get(p, name, SIM_PARAM_ENUM)->cur.e;
}

const char *sim_params_string(const sim_params *p, const char *name)
{
    return must_get(p, name, SIM_PARAM_STRING)->s_cur;
}

void sim_params_format(const sim_params *p, const char *name, char *buf, size_t len)
{
    const param *q = params_must_exist(p, name);
    if (q->type == SIM_PARAM_STRING)
        snprintf(buf, len, "%s", q->s_cur);
    else
        params_format_value(q, q->cur, buf, len);
}

void sim_params_write(const sim_params *p, FILE *f)
{
    for (size_t i = 0; i < p->n; i++) {
        char value[1024];
        sim_params_format(p, p->v[i].name, value, sizeof value);
        fprintf(f, "%s = %s\n", p->v[i].name, value);
    }
}

sim_param_type sim_params_type(const sim_params *p, const char *name)
{
    return params_must_exist(p, name)->type;
}

const char *sim_params_unit(const sim_params *p, const char *name)
{
    return params_must_exist(p, name)->unit;
}

size_t sim_params_count(const sim_params *p)
{
    return p->n;
}

const char *sim_params_name_at(const sim_params *p, size_t i)
{
    assert(i < p->n);
    return p->v[i].name;
}
