#include "app/axis.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"

/* A range that expands beyond this is a typo, not a plan. */
#define MAX_AXIS_VALUES 100000

static int parse_list(const sim_params *p, const char *name, const char *text, const char *where,
                      app_strlist *out, sim_err *e)
{
    for (const char *s = text;;) {
        size_t len = strcspn(s, ",");
        const char *v = s;
        size_t vlen = len;
        app_trim_span(&v, &vlen);
        if (!vlen)
            return sim_err_set(e, "%s: sweep axis '%s': empty value in list '%s'", where, name,
                               text);
        char *value = sim_xstrndup(v, vlen);
        app_strlist_push(out, value);
        if (sim_params_check(p, name, value, where, e) < 0)
            return -1;
        if (!s[len])
            return 0;
        s += len + 1;
    }
}

/* The word `word` standing alone in s (white space before it, white space or the end
 * after it), or NULL. */
static const char *find_word(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (const char *t = strstr(s, word); t; t = strstr(t + 1, word))
        if (t > s && isspace((unsigned char)t[-1]) &&
            (!t[n] || isspace((unsigned char)t[n])))
            return t;
    return NULL;
}

/* A plain positive factor for geometric ranges: no unit, nothing after it. */
static int parse_factor(const char *s, double *out)
{
    char *text = app_trimmed(s, strlen(s));
    char *end;
    errno = 0;
    double d = text[0] ? strtod(text, &end) : NAN;
    int rc = text[0] && !*end && isfinite(d) && isdigit((unsigned char)text[0]) ? 0 : -1;
    free(text);
    *out = d;
    return rc;
}

/* Generated values are written as plain numbers in the parameter's unit. Whole values
 * are written exactly (a ps count can pass 2^53's decimal digits in %g); others with
 * the shortest text that reads back the same, up to 15 digits. */
static char *format_generated(double v)
{
    double r = nearbyint(v);
    if (fabs(v - r) <= 8.0 * DBL_EPSILON * fmax(1.0, fabs(v)) && fabs(r) < 9.2e18)
        return sim_xasprintf("%" PRId64, (int64_t)r);
    char buf[64];
    for (int prec = 1; prec <= 15; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return sim_xstrdup(buf);
    }
    return sim_xasprintf("%.15g", v);
}

typedef struct range_spec {
    char *lo, *hi, *step, *factor; /* step and factor: at most one of them */
} range_spec;

static void range_spec_free(range_spec *r)
{
    free(r->lo);
    free(r->hi);
    free(r->step);
    free(r->factor);
}

/* "A..B", "A..B step S", "A..B *F" into pieces; -1 when a piece is missing. */
static int split_range(const char *text, const char *dots, range_spec *r)
{
    *r = (range_spec){0};
    r->lo = app_trimmed(text, (size_t)(dots - text));
    const char *rest = dots + 2;
    const char *star = strchr(rest, '*');
    const char *step = find_word(rest, "step");
    if (star && !step) {
        r->hi = app_trimmed(rest, (size_t)(star - rest));
        r->factor = app_trimmed(star + 1, strlen(star + 1));
    } else if (step && !star) {
        r->hi = app_trimmed(rest, (size_t)(step - rest));
        r->step = app_trimmed(step + 4, strlen(step + 4));
    } else if (!step && !star) {
        r->hi = app_trimmed(rest, strlen(rest));
    } else {
        return -1;
    }
    return r->lo[0] && r->hi[0] && (!r->step || r->step[0]) && (!r->factor || r->factor[0])
               ? 0
               : -1;
}

static int range_error(const char *where, const char *name, const char *text, const char *why,
                       sim_err *e)
{
    return sim_err_set(e, "%s: sweep axis '%s': range '%s' %s", where, name, text, why);
}

static int too_many_error(const char *where, const char *name, const char *text, sim_err *e)
{
    return sim_err_set(e, "%s: sweep axis '%s': range '%s' gives more than %d values", where,
                       name, text, MAX_AXIS_VALUES);
}

/* The values of a range, in the parameter's unit. Each is A + i*S (not a running sum, so
 * errors do not accumulate) or A * F^i; B is included when a value lands on it, with a
 * tolerance for the last bit of decimal steps (0.1..0.3 step 0.1 has three values). */
static int expand_range(const sim_params *p, const char *name, const char *text,
                        const char *dots, const char *where, app_strlist *out, sim_err *e)
{
    range_spec r;
    if (split_range(text, dots, &r) < 0) {
        range_spec_free(&r);
        return range_error(where, name, text,
                           "is not A..B, A..B step S or A..B *F (e.g. 64..1500 step 64, 1..64 *2)",
                           e);
    }
    double lo, hi, step = 1, factor = 0;
    int rc = -1;
    if (sim_params_parse_number(p, name, r.lo, where, &lo, e) < 0 ||
        sim_params_parse_number(p, name, r.hi, where, &hi, e) < 0 ||
        (r.step && sim_params_parse_number(p, name, r.step, where, &step, e) < 0))
        goto out;
    if (r.factor && parse_factor(r.factor, &factor) < 0) {
        range_error(where, name, text, "has a factor that is not a plain number", e);
        goto out;
    }
    if (lo > hi) {
        range_error(where, name, text, "is empty (its start is above its end)", e);
        goto out;
    }
    double slack = 1e-9;
    if (r.factor) {
        if (!(factor > 1)) {
            range_error(where, name, text, "needs a factor greater than 1", e);
            goto out;
        }
        if (!(lo > 0)) {
            range_error(where, name, text, "is geometric and must start above 0", e);
            goto out;
        }
        for (size_t i = 0;; i++) {
            double v = lo * pow(factor, (double)i);
            if (v > hi * (1 + slack))
                break;
            if (i >= MAX_AXIS_VALUES) {
                too_many_error(where, name, text, e);
                goto out;
            }
            app_strlist_push(out, format_generated(v));
        }
    } else {
        if (!(step > 0)) {
            range_error(where, name, text, "needs a step greater than 0", e);
            goto out;
        }
        double q = (hi - lo) / step;
        if (!(q < MAX_AXIS_VALUES)) {
            too_many_error(where, name, text, e);
            goto out;
        }
        size_t n = (size_t)floor(q + slack) + 1;
        for (size_t i = 0; i < n; i++)
            app_strlist_push(out, format_generated(lo + (double)i * step));
    }
    for (size_t i = 0; i < out->n; i++)
        if (sim_params_check(p, name, out->v[i], where, e) < 0)
            goto out;
    rc = 0;
out:
    range_spec_free(&r);
    return rc;
}

int app_axis_values(const sim_params *p, const char *name, const char *text, const char *where,
                    app_strlist *out, sim_err *e)
{
    if (!sim_params_exists(p, name))
        return sim_params_check(p, name, text, where, e); /* the unknown-name message */
    const char *v = text;
    size_t vlen = strlen(text);
    app_trim_span(&v, &vlen);
    if (!vlen)
        return sim_err_set(e, "%s: sweep axis '%s' has no values", where, name);
    char *body = sim_xstrndup(v, vlen);
    sim_param_type t = sim_params_type(p, name);
    bool numeric = t == SIM_PARAM_INT || t == SIM_PARAM_UINT || t == SIM_PARAM_DOUBLE;
    const char *dots = numeric ? strstr(body, "..") : NULL;
    int rc = dots ? expand_range(p, name, body, dots, where, out, e)
                  : parse_list(p, name, body, where, out, e);
    free(body);
    return rc;
}
