/* The metric reference (see app/metrics.h): what points of every kind register, merged
 * in registration order, written as text or Markdown. */
#include "app/metrics.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"
#include "sim/run.h"
#include "sim/stats.h"
#include "sim/text.h"
#include "systems/kinds.h"

/* A kind's builds: bit 0 of a mask is its defaults, bit v its variant v. */
#define MAX_KINDS 16
#define MAX_BUILDS 32

typedef struct ref_entry {
    size_t id;  /* in order of creation: how a kind's order names it */
    char *name; /* a family's with N for its number */
    char *type, *unit, *desc;
    bool metric;
    uint32_t seen[MAX_KINDS]; /* the builds of each kind that registered it */
} ref_entry;

/* A list of entry ids in an order. */
typedef struct id_list {
    size_t *v;
    size_t n, cap;
} id_list;

/* Entries in an order that keeps every build's registration order (the statistics are
 * listed in it); each kind's own order too, which its metrics keep (results.csv's). */
struct app_metric_ref {
    ref_entry *v;
    size_t n, cap;
    id_list order[MAX_KINDS];
    size_t kinds;
    const sys_kind *kind[MAX_KINDS];
    size_t builds[MAX_KINDS]; /* the defaults and the variants */
};

/* ---- what one build registered ------------------------------------------------------- */

typedef struct built {
    ref_entry *v;
    size_t n, cap;
} built;

static void entry_free(ref_entry *x)
{
    free(x->name);
    free(x->type);
    free(x->unit);
    free(x->desc);
}

static void on_stat(const sim_stat_info *i, void *ctx)
{
    built *b = ctx;
    if (b->n == b->cap)
        b->v = sim_xreallocarray(b->v, b->cap = b->cap ? 2 * b->cap : 256, sizeof *b->v);
    b->v[b->n++] = (ref_entry){.name = sim_xstrdup(i->name), .type = sim_xstrdup(i->type),
                               .unit = sim_xstrdup(i->unit), .desc = sim_xstrdup(i->desc),
                               .metric = i->metric};
}

static void on_built(const sim_stats *s, void *ctx) { sim_stats_foreach(s, on_stat, ctx); }

/* The name with every run of digits as N ("cpu.core12.util" -> "cpu.coreN.util"). */
static char *family_name(const char *name)
{
    char *out = sim_xmalloc(strlen(name) + 1);
    size_t o = 0;
    for (const char *s = name; *s;) {
        if (isdigit((unsigned char)*s)) {
            out[o++] = 'N';
            while (isdigit((unsigned char)*s))
                s++;
        } else {
            out[o++] = *s++;
        }
    }
    out[o] = '\0';
    return out;
}

static bool same_kind_of_stat(const ref_entry *a, const ref_entry *b)
{
    return !strcmp(a->desc, b->desc) && !strcmp(a->type, b->type) &&
           !strcmp(a->unit, b->unit) && a->metric == b->metric;
}

/* Statistics that differ only by their numbers and say the same are one family: the
 * first takes the family's name, the others are dropped. */
static void fold_families(built *b)
{
    char **fam = sim_xcalloc(b->n ? b->n : 1, sizeof *fam);
    for (size_t i = 0; i < b->n; i++)
        fam[i] = family_name(b->v[i].name);
    bool *drop = sim_xcalloc(b->n ? b->n : 1, sizeof *drop);
    for (size_t i = 0; i < b->n; i++) {
        if (drop[i] || !strcmp(fam[i], b->v[i].name))
            continue;
        bool family = false;
        for (size_t j = i + 1; j < b->n; j++)
            if (!drop[j] && !strcmp(fam[i], fam[j]) && same_kind_of_stat(&b->v[i], &b->v[j]))
                family = drop[j] = true;
        if (family) {
            free(b->v[i].name);
            b->v[i].name = fam[i];
            fam[i] = NULL;
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < b->n; i++) {
        free(fam[i]);
        if (drop[i])
            entry_free(&b->v[i]);
        else
            b->v[kept++] = b->v[i];
    }
    b->n = kept;
    free(fam);
    free(drop);
}

/* ---- merging the builds ---------------------------------------------------------------- */

static size_t find_entry(const app_metric_ref *r, const ref_entry *x)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->v[i].name, x->name) && same_kind_of_stat(&r->v[i], x))
            return i;
    return SIZE_MAX;
}

/* Inserts `id` into `l` after position `prev` (SIZE_MAX: at the end); returns where. */
static size_t id_insert(id_list *l, size_t prev, size_t id)
{
    if (l->n == l->cap)
        l->v = sim_xreallocarray(l->v, l->cap = l->cap ? 2 * l->cap : 64, sizeof *l->v);
    size_t at = prev == SIZE_MAX ? l->n : prev + 1;
    memmove(&l->v[at + 1], &l->v[at], (l->n - at) * sizeof *l->v);
    l->v[at] = id;
    l->n++;
    return at;
}

static size_t id_find(const id_list *l, size_t id)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] == id)
            return i;
    return SIZE_MAX;
}

/* Each build's entries go in its order: one a list lacks goes right after the build's
 * previous entry, in the reference's order and in the kind's. */
static void merge(app_metric_ref *r, built *b, size_t kind, size_t build)
{
    size_t prev = SIZE_MAX, kprev = SIZE_MAX; /* the build's previous entry, both lists */
    id_list *ko = &r->order[kind];
    for (size_t i = 0; i < b->n; i++) {
        ref_entry *x = &b->v[i];
        size_t at = find_entry(r, x);
        if (at == SIZE_MAX) {
            if (r->n == r->cap)
                r->v = sim_xreallocarray(r->v, r->cap = r->cap ? 2 * r->cap : 256, sizeof *r->v);
            at = prev == SIZE_MAX ? r->n : prev + 1;
            memmove(&r->v[at + 1], &r->v[at], (r->n - at) * sizeof *r->v);
            r->v[at] = *x;
            r->v[at].id = r->n++;
        } else {
            entry_free(x);
        }
        ref_entry *e = &r->v[at];
        size_t k = id_find(ko, e->id);
        kprev = k == SIZE_MAX ? id_insert(ko, kprev, e->id) : k;
        e->seen[kind] |= 1u << build;
        prev = at;
    }
    b->n = 0;
}

/* Sets "NAME=VALUE, NAME=VALUE" on q. */
static int apply_variant(sim_params *q, const char *variant, const char *where, sim_err *e)
{
    char *text = sim_xstrdup(variant);
    int rc = 0;
    for (char *item = strtok(text, ","); item && rc == 0; item = strtok(NULL, ",")) {
        while (isspace((unsigned char)*item))
            item++;
        char *eq = strchr(item, '=');
        if (!eq)
            rc = sim_err_set(e, "%s: '%s' is not NAME=VALUE", where, item);
        else {
            *eq = '\0';
            rc = sim_params_set(q, item, eq + 1, where, e);
        }
    }
    free(text);
    return rc;
}

static int build_kind(app_metric_ref *r, const sim_params *registry, size_t k, sim_err *e)
{
    const sys_kind *kind = r->kind[k];
    built b = {0};
    int rc = 0;
    for (size_t v = 0; v < r->builds[k] && rc == 0; v++) {
        const char *variant = v ? kind->variants[v - 1] : "";
        char where[256];
        snprintf(where, sizeof where, "metric reference, kind %s%s%s", kind->name,
                 v ? ", variant " : "", variant);
        sim_params *q = sim_params_clone(registry);
        rc = sim_params_set(q, "workload.kind", kind->name, where, e);
        if (rc == 0)
            rc = apply_variant(q, variant, where, e);
        if (rc == 0 && sim_run_dry_build(&systems_ops, q, on_built, &b, e) < 0)
            rc = -1, sim_err_prefix(e, "%s", where);
        if (rc == 0) {
            fold_families(&b);
            merge(r, &b, k, v);
        }
        sim_params_destroy(q);
    }
    for (size_t i = 0; i < b.n; i++)
        entry_free(&b.v[i]);
    free(b.v);
    return rc;
}

app_metric_ref *app_metric_ref_build(const sim_params *registry, sim_err *e)
{
    app_metric_ref *r = sim_xcalloc(1, sizeof *r);
    r->kinds = systems_kinds();
    if (r->kinds > MAX_KINDS) {
        sim_err_set(e, "the metric reference holds %d kinds, not %zu", MAX_KINDS, r->kinds);
        app_metric_ref_destroy(r);
        return NULL;
    }
    for (size_t k = 0; k < r->kinds; k++) {
        r->kind[k] = systems_kind_at(k);
        size_t n = 1;
        while (r->kind[k]->variants && r->kind[k]->variants[n - 1])
            n++;
        if (n > MAX_BUILDS) {
            sim_err_set(e, "kind %s: %zu variants, more than the %d the reference holds",
                        r->kind[k]->name, n - 1, MAX_BUILDS - 1);
            app_metric_ref_destroy(r);
            return NULL;
        }
        r->builds[k] = n;
        if (build_kind(r, registry, k, e) < 0) {
            app_metric_ref_destroy(r);
            return NULL;
        }
    }
    return r;
}

void app_metric_ref_destroy(app_metric_ref *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        entry_free(&r->v[i]);
    free(r->v);
    for (size_t k = 0; k < MAX_KINDS; k++)
        free(r->order[k].v);
    free(r);
}

/* ---- writing ------------------------------------------------------------------------- */

static bool kind_has(const ref_entry *x, size_t k) { return x->seen[k] != 0; }

static bool shows_metric(const app_metric_ref *r, const ref_entry *x, size_t k,
                         const app_metric_ref_opts *o)
{
    return x->metric && kind_has(x, k) &&
           (!*o->word || strstr(x->name, o->word) || !strcmp(r->kind[k]->name, o->word));
}

static bool shows_stat(const ref_entry *x, const app_metric_ref_opts *o)
{
    return !x->metric && (*o->word ? strstr(x->name, o->word) != NULL : o->stats);
}

/* Which of kind k's builds registered an entry, when not all did: "with A or B" (not at
 * the defaults), "not with C". The variants' text is code in Markdown. */
static void presence(const app_metric_ref *r, size_t k, uint32_t mask, bool md, char *buf,
                     size_t len)
{
    uint32_t all = (uint32_t)((2ull << (r->builds[k] - 1)) - 1);
    buf[0] = '\0';
    if (mask == all || !mask)
        return;
    bool in_defaults = mask & 1u;
    size_t used = (size_t)snprintf(buf, len, "%s", in_defaults ? "not with " : "with ");
    size_t listed = 0;
    for (size_t v = 1; v < r->builds[k] && used < len; v++) {
        if (((mask >> v) & 1u) == in_defaults)
            continue;
        used += (size_t)snprintf(buf + used, len - used, "%s%s%s%s", listed++ ? " or " : "",
                                 md ? "`" : "", r->kind[k]->variants[v - 1], md ? "`" : "");
    }
}

static void md_cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputc('\\', out);
        fputc(*s, out);
    }
}

static const char md_intro[] =
    "# Metrics\n"
    "\n"
    "What a run measures, generated from the code (`iovsim metrics --markdown`; regenerate\n"
    "with `make docs/METRICS.md`): the units and definitions are the strings the models\n"
    "register. Every value covers the measurement window, `run.duration_us` of simulated\n"
    "time after `run.warmup_us` (a trace replay that runs out of records ends it there):\n"
    "counts are of what happened in the window, rates are per second of it (Gb/s: bits\n"
    "per nanosecond), busy times count work where it lies in the window, not when it was\n"
    "booked, so a utilisation never exceeds 1. A latency with no sample is `nan` unless\n"
    "its definition says otherwise. A time series (`run.sample_us`; a point's\n"
    "`timeseries.csv`) computes the same definitions over each sample interval alone:\n"
    "read \"the window\" as \"the interval\".\n"
    "\n"
    "The metrics of a kind are the columns of `results.csv` (in this order) and lines of\n"
    "each point's `stats.txt` too; a component's metrics (the PCIe link's, the\n"
    "IOMMU's) join them when the kind builds the component. A note \"with SETTINGS\"\n"
    "means the defaults do not produce it and those settings (or others that build the\n"
    "same component) do; \"not with SETTINGS\" that those settings leave it out. `iovsim\n"
    "metrics WORD` lists the metrics and statistics whose name contains WORD.\n";

static const char md_stats_intro[] =
    "\n"
    "## Statistics (stats.txt)\n"
    "\n"
    "Every line of a point's `stats.txt` besides the metrics: `name  value  # description`.\n"
    "A histogram NAME (its samples' unit in brackets) is written as the lines NAME.count,\n"
    "NAME.mean, NAME.min, NAME.p50, NAME.p99, NAME.p999 and NAME.max, and its buckets go\n"
    "to `hists.txt`. A name with N is one line per core, function or queue, numbered from\n"
    "0. Kinds: the workload kinds whose points write the line.\n";

static void write_kind_heading(const app_metric_ref *r, size_t k, bool first, FILE *out,
                               bool md)
{
    if (md)
        fprintf(out, "\n## Kind `%s`: %s\n\n| Metric | Unit | Definition |\n"
                     "|--------|------|------------|\n",
                r->kind[k]->name, r->kind[k]->doc);
    else
        fprintf(out, "%sworkload.kind = %s: %s\n", first ? "" : "\n", r->kind[k]->name,
                r->kind[k]->doc);
}

static void write_metrics(const app_metric_ref *r, FILE *out, const app_metric_ref_opts *o)
{
    bool md = o->markdown, first = true;
    /* ids to entries */
    const ref_entry **by_id = sim_xcalloc(r->n ? r->n : 1, sizeof *by_id);
    for (size_t i = 0; i < r->n; i++)
        by_id[r->v[i].id] = &r->v[i];
    for (size_t k = 0; k < r->kinds; k++) {
        const id_list *ko = &r->order[k];
        int wn = 4, wu = 4;
        size_t shown = 0;
        for (size_t i = 0; i < ko->n; i++) {
            const ref_entry *x = by_id[ko->v[i]];
            if (!shows_metric(r, x, k, o))
                continue;
            shown++;
            wn = (int)strlen(x->name) > wn ? (int)strlen(x->name) : wn;
            wu = (int)strlen(x->unit) > wu ? (int)strlen(x->unit) : wu;
        }
        if (!shown)
            continue;
        write_kind_heading(r, k, first, out, md);
        first = false;
        if (!md)
            fprintf(out, "  %-*s  %-*s  %s\n", wn, "NAME", wu, "UNIT", "DEFINITION");
        for (size_t i = 0; i < ko->n; i++) {
            const ref_entry *x = by_id[ko->v[i]];
            if (!shows_metric(r, x, k, o))
                continue;
            char note[512];
            presence(r, k, x->seen[k], md, note, sizeof note);
            if (md) {
                fprintf(out, "| `%s` | ", x->name);
                md_cell(out, x->unit);
                fputs(" | ", out);
                md_cell(out, x->desc);
                if (*note) {
                    fputs(" (", out);
                    md_cell(out, note);
                    fputc(')', out);
                }
                fputs(" |\n", out);
            } else {
                fprintf(out, "  %-*s  %-*s  %s%s%s%s\n", wn, x->name, wu, x->unit, x->desc,
                        *note ? " (" : "", note, *note ? ")" : "");
            }
        }
    }
    free(by_id);
}

/* "histogram (ps)", "counter", ... */
static void type_text(const ref_entry *x, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s%s", x->type, *x->unit ? " (" : "", x->unit, *x->unit ? ")" : "");
}

/* The kinds that write an entry, each with the settings it needs when not all do. */
static void kinds_text(const app_metric_ref *r, const ref_entry *x, bool md, char *buf,
                       size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < r->kinds && used < len; k++) {
        if (!kind_has(x, k))
            continue;
        char note[512];
        presence(r, k, x->seen[k], md, note, sizeof note);
        used += (size_t)snprintf(buf + used, len - used, "%s%s%s%s%s", used ? ", " : "",
                                 r->kind[k]->name, *note ? " (" : "", note, *note ? ")" : "");
    }
}

static size_t section_len(const char *name) { return strcspn(name, "."); }

static void write_stats(const app_metric_ref *r, FILE *out, const app_metric_ref_opts *o,
                        bool after_metrics)
{
    bool md = o->markdown;
    int wn = 4, wt = 4;
    char type[128], kinds[2048];
    for (size_t i = 0; i < r->n; i++) {
        const ref_entry *x = &r->v[i];
        if (!shows_stat(x, o))
            continue;
        type_text(x, type, sizeof type);
        wn = (int)strlen(x->name) > wn ? (int)strlen(x->name) : wn;
        wt = (int)strlen(type) > wt ? (int)strlen(type) : wt;
    }
    if (md)
        fputs(md_stats_intro, out);
    else
        fprintf(out, "%sstatistics (stats.txt)\n  %-*s  %-*s  %s\n", after_metrics ? "\n" : "",
                wn, "NAME", wt, "TYPE", "DESCRIPTION [KINDS that write it]");
    /* A section (the name up to its first dot) at a time, in order of first appearance:
     * components shared by kinds come back in each kind's registration order. */
    bool *done = sim_xcalloc(r->n ? r->n : 1, sizeof *done);
    for (size_t s0 = 0; s0 < r->n; s0++) {
        if (done[s0] || !shows_stat(&r->v[s0], o))
            continue;
        const char *section = r->v[s0].name;
        size_t slen = section_len(section);
        if (md)
            fprintf(out, "\n### %.*s\n\n| Statistic | Type | Kinds | Description |\n"
                         "|-----------|------|-------|-------------|\n",
                    (int)slen, section);
        for (size_t i = s0; i < r->n; i++) {
            const ref_entry *x = &r->v[i];
            if (done[i] || !shows_stat(x, o) || section_len(x->name) != slen ||
                strncmp(x->name, section, slen) != 0)
                continue;
            done[i] = true;
            type_text(x, type, sizeof type);
            kinds_text(r, x, md, kinds, sizeof kinds);
            if (!md) {
                fprintf(out, "  %-*s  %-*s  %s [%s]\n", wn, x->name, wt, type, x->desc, kinds);
                continue;
            }
            fprintf(out, "| `%s` | ", x->name);
            md_cell(out, type);
            fputs(" | ", out);
            md_cell(out, kinds);
            fputs(" | ", out);
            md_cell(out, x->desc);
            fputs(" |\n", out);
        }
    }
    free(done);
}

size_t app_metric_ref_write(const app_metric_ref *r, FILE *out, const app_metric_ref_opts *o)
{
    size_t metrics = 0, stats = 0;
    for (size_t i = 0; i < r->n; i++) {
        for (size_t k = 0; k < r->kinds; k++)
            metrics += shows_metric(r, &r->v[i], k, o);
        stats += shows_stat(&r->v[i], o);
    }
    if (!metrics && !stats)
        return 0;
    if (o->markdown)
        fputs(md_intro, out);
    if (metrics)
        write_metrics(r, out, o);
    if (stats)
        write_stats(r, out, o, metrics > 0);
    return metrics + stats;
}

const char *app_metric_ref_suggest(const app_metric_ref *r, const char *word)
{
    const char **names = sim_xcalloc(r->n ? r->n : 1, sizeof *names);
    for (size_t i = 0; i < r->n; i++)
        names[i] = r->v[i].name;
    const char *near = sim_text_closest(word, names, r->n, strlen(word) / 3 + 1);
    free(names);
    return near;
}
