/* The parameter reference (iovsim params, docs/PARAMS.md): every parameter with its
 * type, default, unit, range or choices and doc, as plain text or Markdown. */
#include "sim/params.h"

#include <stdio.h>
#include <string.h>

#include "sim/params_impl.h"

typedef struct row {
    const param *q;
    char def[160];
    char range[320];
} row;

static void describe(const param *q, row *r, bool markdown)
{
    r->q = q;
    char v[128];
    if (q->type == SIM_PARAM_STRING)
        snprintf(r->def, sizeof r->def, "%s", *q->s_def ? q->s_def : "\"\"");
    else {
        params_format_value(q, q->def, v, sizeof v);
        snprintf(r->def, sizeof r->def, "%s%s%s", v, *q->unit ? " " : "", q->unit);
    }
    char lo[64], hi[64];
    switch (q->type) {
    case SIM_PARAM_INT:
    case SIM_PARAM_UINT:
    case SIM_PARAM_DOUBLE:
        params_format_value(q, q->min, lo, sizeof lo);
        params_format_value(q, q->max, hi, sizeof hi);
        snprintf(r->range, sizeof r->range, "[%s, %s]", lo, hi);
        break;
    case SIM_PARAM_BOOL:
        snprintf(r->range, sizeof r->range, "%s", markdown ? "true, false" : "true|false");
        break;
    case SIM_PARAM_ENUM: {
        size_t used = 0;
        r->range[0] = '\0';
        /* '|' would split a Markdown table cell */
        for (size_t i = 0; i < q->n_choices && used < sizeof r->range; i++)
            used += (size_t)snprintf(r->range + used, sizeof r->range - used, "%s%s",
                                     i ? (markdown ? ", " : "|") : "", q->choices[i]);
        break;
    }
    case SIM_PARAM_STRING:
        snprintf(r->range, sizeof r->range, "%s", markdown ? "text" : "-");
        break;
    }
}

/* A word matches anywhere in the name: "iotlb" finds iommu.iotlb_entries. */
static bool matches(const param *q, const char *word)
{
    return strstr(q->name, word) != NULL;
}

size_t sim_params_matching(const sim_params *p, const char *word)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n; i++)
        n += matches(&p->v[i], word ? word : "");
    return n;
}

static void list_text(const sim_params *p, FILE *out, const char *word)
{
    int wn = 4, wd = 7, wr = 5;
    row r;
    for (size_t i = 0; i < p->n; i++) {
        if (!matches(&p->v[i], word))
            continue;
        describe(&p->v[i], &r, false);
        int n = (int)strlen(r.q->name), d = (int)strlen(r.def), g = (int)strlen(r.range);
        wn = n > wn ? n : wn;
        wd = d > wd ? d : wd;
        wr = g > wr ? g : wr;
    }
    fprintf(out, "%-*s  %-6s  %-*s  %-*s  %s\n", wn, "NAME", "TYPE", wd, "DEFAULT", wr, "RANGE",
            "DESCRIPTION");
    for (size_t i = 0; i < p->n; i++) {
        if (!matches(&p->v[i], word))
            continue;
        describe(&p->v[i], &r, false);
        fprintf(out, "%-*s  %-6s  %-*s  %-*s  %s\n", wn, r.q->name, params_type_name(r.q->type), wd,
                r.def, wr, r.range, r.q->doc);
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

static size_t section_len(const char *name)
{
    return strcspn(name, ".");
}

static void list_markdown(const sim_params *p, FILE *out, const char *word)
{
    fputs("# Parameters\n\n"
          "Set in a workload file (`[pcie]` then `mps_bytes = 256` sets `pcie.mps_bytes`) or\n"
          "with `--set name=value`. A number may carry any unit of its parameter's family\n"
          "(time ps ns us ms s; size bytes B KiB MiB GiB TiB KB MB GB; rate bps Kbps Mbps\n"
          "Gbps Tbps; frequency Hz KHz MHz GHz) and is converted.\n",
          out);
    const char *section = NULL;
    size_t slen = 0;
    row r;
    for (size_t i = 0; i < p->n; i++) {
        const param *q = &p->v[i];
        if (!matches(q, word))
            continue;
        size_t len = section_len(q->name);
        if (!section || len != slen || strncmp(section, q->name, len) != 0) {
            section = q->name;
            slen = len;
            fprintf(out, "\n## %.*s\n\n", (int)len, q->name);
            fputs("| Name | Type | Default | Range | Description |\n"
                  "|------|------|---------|-------|-------------|\n",
                  out);
        }
        describe(q, &r, true);
        fprintf(out, "| `%s` | %s | ", q->name, params_type_name(q->type));
        md_cell(out, r.def);
        fputs(" | ", out);
        md_cell(out, r.range);
        fputs(" | ", out);
        md_cell(out, q->doc);
        fputs(" |\n", out);
    }
}

void sim_params_list(const sim_params *p, FILE *out, const char *word, bool markdown)
{
    if (!word)
        word = "";
    if (markdown)
        list_markdown(p, out, word);
    else
        list_text(p, out, word);
}

