/* The comparison a net sweep was run for, as text: for each traffic pattern the paths
 * side by side at one VM with the smallest and the largest packets swept, then the
 * aggregate throughput of each path against the number of VMs, TCP-like streams, queue
 * pairs, and latency against load. Everything comes from the results folder
 * (results.h), so it can be redrawn from any finished folder.
 *
 * A table cell is one point, found by the parameters the tables show (path, pattern,
 * frame size, VMs, datagrams or TCP-like, queue pairs, load); summary_table.h says
 * what becomes of a swept parameter they do not show. */
#include "app/summary.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/summary_table.h"
#include "host/iopath/path.h"
#include "sim/alloc.h"

typedef struct row {
    size_t point;
    int path, pattern;
    unsigned bytes, vms;
    unsigned msg, queues; /* traffic.msg_bytes (0: datagrams), io.queues (1 if not swept) */
    double load; /* traffic.offered_gbps, rr: traffic.rr_requests_per_s (0: as fast as it
                  * goes, rr: closed loop) */
} row;

/* The tables of one set of rows, and which points they showed (by point number). */
typedef struct view {
    FILE *t;
    const app_results *r;
    const row *rows;
    size_t nr;
    bool *shown;
} view;

static const char *const patterns[] = {"stream_tx", "stream_rx", "bidir", "rr", "inter_vm"};
#define PATTERN_RR 3 /* patterns[PATTERN_RR] is "rr" */
#define N_PATTERNS (sizeof patterns / sizeof patterns[0])

static int index_of(const char *v, const char *const *names, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        if (!strcmp(v, names[i]))
            return (int)i;
    return -1;
}

/* The path_kind that io.path = `v` names (the path tables' names), -1 for none. */
static int path_of(const char *v)
{
    for (int k = 0; v && k < PATH_KINDS; k++)
        if (!strcmp(v, path_kind_name((path_kind)k)))
            return k;
    return -1;
}

/* Metric `name` of the point of row w, which is then one the tables showed. */
static double metric(const view *v, const row *w, const char *name)
{
    return app_summary_table_metric(v->r, v->shown, w->point, name);
}

static void table_header(FILE *t)
{
    fprintf(t, "  %-12s %8s %8s %9s %9s %8s %8s %8s %9s %9s %7s\n", "path", "Gb/s", "Mpps",
            "p50 us", "p99 us", "guest", "hyperv", "host", "exits/s", "irqs/s", "drops");
    fprintf(t, "  %-12s %8s %8s %9s %9s %8s %8s %8s %9s %9s %7s\n", "", "", "", "", "",
            "cyc/pkt", "cyc/pkt", "cyc/pkt", "", "", "");
}

static void table_row(const view *v, const row *w)
{
    static const char *const m[] = {"throughput_gbps",      "throughput_mpps",    "latency_ns_p50",
                                    "latency_ns_p99",       "guest_cycles_per_pkt", "hv_cycles_per_pkt",
                                    "host_cycles_per_pkt",  "exits_per_sec",      "irqs_per_sec",
                                    "drops"};
    char c[10][16];
    for (size_t i = 0; i < 10; i++) {
        double x = metric(v, w, m[i]);
        if (i == 2 || i == 3)
            x /= 1000.0;
        app_summary_table_num(c[i], sizeof c[i], x);
    }
    fprintf(v->t, "  %-12s %8s %8s %9s %9s %8s %8s %8s %9s %9s %7s\n",
            path_kind_name((path_kind)w->path), c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            c[8], c[9]);
}

/* The distinct values of a row field, sorted. */
static size_t distinct(const row *rows, size_t n, size_t off, unsigned *out)
{
    return app_summary_table_distinct(rows, n, sizeof *rows, off, out);
}

/* The point of a path, pattern, frame size and VM count with datagrams or any TCP-like
 * message size (tcp), the queue pairs and the offered load (0: as fast as it goes). */
static const row *find_load(const view *v, int path, int pattern, unsigned bytes, unsigned vms,
                            bool tcp, unsigned queues, double load)
{
    for (size_t i = 0; i < v->nr; i++) {
        const row *w = &v->rows[i];
        if (w->path == path && w->pattern == pattern && w->bytes == bytes && w->vms == vms &&
            (w->msg != 0) == tcp && w->queues == queues && w->load == load)
            return w;
    }
    return NULL;
}

static const row *find_at(const view *v, int path, int pattern, unsigned bytes, unsigned vms,
                          bool tcp, unsigned queues)
{
    return find_load(v, path, pattern, bytes, vms, tcp, queues, 0.0);
}

/* The datagram point (one queue pair) of a path, pattern, frame size and VM count. */
static const row *find(const view *v, int path, int pattern, unsigned bytes, unsigned vms)
{
    return find_at(v, path, pattern, bytes, vms, false, 1);
}

/* Aggregate throughput of each path against the number of VMs, largest frames. */
static void section_vms(const view *v, unsigned bytes, const unsigned *vmss, size_t nv)
{
    FILE *t = v->t;
    for (size_t pat = 0; pat < N_PATTERNS; pat++) {
        bool any = false;
        for (size_t i = 0; i < v->nr && !any; i++)
            any = v->rows[i].pattern == (int)pat && v->rows[i].bytes == bytes &&
                  v->rows[i].vms != vmss[0];
        if (!any)
            continue;
        fprintf(t,
                "\n%s, %u-byte frames: Gb/s (in brackets: how busy each VM's vCPU core "
                "is) against VMs:\n",
                patterns[pat], bytes);
        fprintf(t, "  %-12s", "path");
        for (size_t j = 0; j < nv; j++)
            fprintf(t, " %14u", vmss[j]);
        fprintf(t, "\n");
        for (int p = 0; p < PATH_KINDS; p++) {
            bool has = false;
            for (size_t j = 0; j < nv && !has; j++)
                has = find(v, p, (int)pat, bytes, vmss[j]) != NULL;
            if (!has)
                continue;
            fprintf(t, "  %-12s", path_kind_name((path_kind)p));
            for (size_t j = 0; j < nv; j++) {
                const row *w = find(v, p, (int)pat, bytes, vmss[j]);
                char cell[32] = "-";
                if (w)
                    snprintf(cell, sizeof cell, "%.3g (%.2f)", metric(v, w, "throughput_gbps"),
                             metric(v, w, "vm_cpu_util"));
                fprintf(t, " %14s", cell);
            }
            fprintf(t, "\n");
        }
    }
}

/* TCP-like streams (traffic.msg_bytes > 0): each path at one VM, one queue pair. */
static void section_tcp(const view *v, unsigned bytes, unsigned vms)
{
    for (size_t pat = 0; pat < N_PATTERNS; pat++) {
        bool any = false;
        for (int p = 0; p < PATH_KINDS && !any; p++)
            any = find_at(v, p, (int)pat, bytes, vms, true, 1) != NULL;
        if (!any)
            continue;
        fprintf(v->t, "\n%s, TCP-like messages in %u-byte frames with offloads, %u VM%s:\n",
                patterns[pat], bytes, vms, vms == 1 ? "" : "s");
        table_header(v->t);
        for (int p = 0; p < PATH_KINDS; p++) {
            const row *w = find_at(v, p, (int)pat, bytes, vms, true, 1);
            if (w)
                table_row(v, w);
        }
    }
}

/* Datagram throughput of each path against its queue pairs per VM, smallest frames. */
static void section_queues(const view *v, unsigned bytes, unsigned vms)
{
    FILE *t = v->t;
    unsigned *qs = sim_xcalloc(v->nr, sizeof *qs);
    size_t nq = distinct(v->rows, v->nr, offsetof(row, queues), qs);
    for (size_t pat = 0; nq > 1 && pat < N_PATTERNS; pat++) {
        bool any = false;
        for (int p = 0; p < PATH_KINDS && !any; p++)
            any = find_at(v, p, (int)pat, bytes, vms, false, qs[nq - 1]) != NULL;
        if (!any)
            continue;
        fprintf(t, "\n%s, %u-byte frames, %u VM%s: Mpps against queue pairs per VM:\n",
                patterns[pat], bytes, vms, vms == 1 ? "" : "s");
        fprintf(t, "  %-12s", "path");
        for (size_t j = 0; j < nq; j++)
            fprintf(t, " %8u", qs[j]);
        fprintf(t, "\n");
        for (int p = 0; p < PATH_KINDS; p++) {
            if (!find_at(v, p, (int)pat, bytes, vms, false, qs[0]))
                continue;
            fprintf(t, "  %-12s", path_kind_name((path_kind)p));
            for (size_t j = 0; j < nq; j++) {
                const row *w = find_at(v, p, (int)pat, bytes, vms, false, qs[j]);
                char cell[16] = "-";
                if (w)
                    app_summary_table_num(cell, sizeof cell, metric(v, w, "throughput_mpps"));
                fprintf(t, " %8s", cell);
            }
            fprintf(t, "\n");
        }
    }
    free(qs);
}

/* Where a closed-loop round trip goes (net.breakdown), each path at one frame size and
 * VM count: the mean parts in us, which add up to the mean round trip. */
static void section_breakdown(const view *v, unsigned bytes, unsigned vms)
{
    static const char *const parts[] = {"guest", "hypervisor", "host", "nic", "pcie",
                                        "iommu", "memory", "wire", "remote", "wait"};
    static const char *const heads[] = {"guest", "hyperv", "host", "NIC", "PCIe",
                                        "IOMMU", "memory", "wire", "partner", "waiting"};
    enum { N_PARTS = sizeof parts / sizeof parts[0] };
    _Static_assert(sizeof heads / sizeof heads[0] == N_PARTS, "a heading for each part");
    FILE *t = v->t;
    bool any = false;
    for (int p = 0; p < PATH_KINDS && !any; p++) {
        const row *w = find(v, p, PATTERN_RR, bytes, vms);
        double x;
        any = w && app_results_metric(v->r, w->point, "latency_ns_wait_mean", &x);
    }
    if (!any)
        return;
    fprintf(t, "\nrr, %u-byte frames, %u VM%s: where a round trip goes (mean us; net.breakdown):\n",
            bytes, vms, vms == 1 ? "" : "s");
    fprintf(t, "  %-12s %7s", "path", "total");
    for (size_t k = 0; k < N_PARTS; k++)
        fprintf(t, " %7s", heads[k]);
    fprintf(t, "\n");
    for (int p = 0; p < PATH_KINDS; p++) {
        const row *w = find(v, p, PATTERN_RR, bytes, vms);
        if (!w)
            continue;
        char cell[16];
        fprintf(t, "  %-12s", path_kind_name((path_kind)p));
        app_summary_table_num(cell, sizeof cell, metric(v, w, "latency_ns_mean") / 1000.0);
        fprintf(t, " %7s", cell);
        for (size_t k = 0; k < N_PARTS; k++) {
            char name[64];
            snprintf(name, sizeof name, "latency_ns_%s_mean", parts[k]);
            app_summary_table_num(cell, sizeof cell, metric(v, w, name) / 1000.0);
            fprintf(t, " %7s", cell);
        }
        fprintf(t, "\n");
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Latency against offered load: each path at one pattern, frame size and VM count, one
 * queue pair, datagrams or TCP-like messages (tcp), median and 99th percentile (us) at
 * every load swept for that pattern (offered Gb/s for streams, requests per second for
 * rr). */
static void section_load(const view *v, int pat, unsigned bytes, unsigned vms, bool tcp)
{
    FILE *t = v->t;
    double *loads = sim_xcalloc(v->nr, sizeof *loads);
    size_t nl = 0;
    for (size_t i = 0; i < v->nr; i++) {
        bool seen = v->rows[i].load == 0 || v->rows[i].pattern != pat;
        for (size_t j = 0; j < nl && !seen; j++)
            seen = loads[j] == v->rows[i].load;
        if (!seen)
            loads[nl++] = v->rows[i].load;
    }
    qsort(loads, nl, sizeof *loads, cmp_double);
    if (nl > 64)
        nl = 64;
    bool header = false;
    for (int p = 0; nl && p < PATH_KINDS; p++) {
        const row *at[64] = {NULL};
        bool any = false;
        for (size_t j = 0; j < nl; j++)
            if ((at[j] = find_load(v, p, pat, bytes, vms, tcp, 1, loads[j])))
                any = true;
        if (!any)
            continue;
        if (!header) {
            fprintf(t, "\n%s, %s%u-byte frames, %u VM%s: latency p50 / p99 (us) against %s:\n  %-12s",
                    patterns[pat], tcp ? "TCP-like messages in " : "", bytes, vms,
                    vms == 1 ? "" : "s",
                    pat == PATTERN_RR ? "requests per second, open loop" : "offered Gb/s", "path");
            for (size_t j = 0; j < nl; j++) {
                char l[16];
                app_summary_table_num(l, sizeof l, loads[j]);
                fprintf(t, " %13s", l);
            }
            fprintf(t, "\n");
            header = true;
        }
        fprintf(t, "  %-12s", path_kind_name((path_kind)p));
        for (size_t j = 0; j < nl; j++) {
            char a[16] = "-", b[16] = "-", cell[40];
            if (at[j]) {
                app_summary_table_num(a, sizeof a, metric(v, at[j], "latency_ns_p50") / 1000.0);
                app_summary_table_num(b, sizeof b, metric(v, at[j], "latency_ns_p99") / 1000.0);
            }
            snprintf(cell, sizeof cell, "%s/%s", a, b);
            fprintf(t, " %13s", cell);
        }
        fprintf(t, "\n");
    }
    free(loads);
}

/* Every table of the rows of v: for each pattern the paths side by side at the first
 * VM count with the smallest and the largest frames, then the sections. */
static void tables(const view *v)
{
    FILE *t = v->t;
    unsigned *sizes = sim_xcalloc(v->nr, sizeof *sizes), *vmss = sim_xcalloc(v->nr, sizeof *vmss);
    size_t ns = distinct(v->rows, v->nr, offsetof(row, bytes), sizes);
    size_t nv = distinct(v->rows, v->nr, offsetof(row, vms), vmss);
    unsigned pick[2] = {sizes[0], sizes[ns - 1]};
    for (size_t pat = 0; pat < N_PATTERNS; pat++)
        for (size_t k = 0; k < (ns > 1 ? 2u : 1u); k++) {
            bool any = false;
            for (int p = 0; p < PATH_KINDS && !any; p++)
                any = find(v, p, (int)pat, pick[k], vmss[0]) != NULL;
            if (!any)
                continue;
            fprintf(t, "\n%s, %u-byte frames, %u VM%s:\n", patterns[pat], pick[k], vmss[0],
                    vmss[0] == 1 ? "" : "s");
            table_header(t);
            for (int p = 0; p < PATH_KINDS; p++) {
                const row *w = find(v, p, (int)pat, pick[k], vmss[0]);
                if (w)
                    table_row(v, w);
            }
        }
    section_breakdown(v, sizes[0], vmss[0]);
    if (nv > 1)
        section_vms(v, sizes[ns - 1], vmss, nv);
    section_tcp(v, sizes[ns - 1], vmss[0]);
    section_queues(v, sizes[0], vmss[0]);
    for (size_t pat = 0; pat < N_PATTERNS; pat++)
        for (size_t k = 0; k < ns; k++)
            for (size_t j = 0; j < nv; j++)
                for (int tcp = 0; tcp < 2; tcp++)
                    section_load(v, (int)pat, sizes[k], vmss[j], tcp);
    free(sizes);
    free(vmss);
}

/* Every table of the rows of one combination of the hidden axes' values. */
static void paths_tables(FILE *t, const app_results *r, const void *rows, size_t n, bool *shown)
{
    view v = {t, r, rows, n, shown};
    tables(&v);
}

/* The row of a finished point of the kind. */
static bool row_of(const app_results *r, size_t i, void *out)
{
    row w = {.path = path_of(app_results_param(r, i, "io.path")),
             .pattern = index_of(app_results_param(r, i, "traffic.pattern"), patterns, N_PATTERNS)};
    const char *b = app_results_param(r, i, "traffic.packet_bytes");
    const char *v = app_results_param(r, i, "traffic.vms");
    if (w.path < 0 || w.pattern < 0 || !b || !v)
        return false;
    w.bytes = (unsigned)strtoul(b, NULL, 10);
    /* rr's frames are traffic.rr_bytes when it is set. */
    const char *rb = app_results_param(r, i, "traffic.rr_bytes");
    if (w.pattern == PATTERN_RR && rb && strtoul(rb, NULL, 10))
        w.bytes = (unsigned)strtoul(rb, NULL, 10);
    w.vms = (unsigned)strtoul(v, NULL, 10);
    const char *m = app_results_param(r, i, "traffic.msg_bytes");
    const char *q = app_results_param(r, i, "io.queues");
    w.msg = m ? (unsigned)strtoul(m, NULL, 10) : 0;
    w.queues = q ? (unsigned)strtoul(q, NULL, 10) : 1;
    const char *o = app_results_param(
        r, i, w.pattern == PATTERN_RR ? "traffic.rr_requests_per_s" : "traffic.offered_gbps");
    w.load = o ? strtod(o, NULL) : 0.0;
    *(row *)out = w;
    return true;
}

/* Orders rows by the cell they would take (the parameters the tables show). */
static int cmp_cell(const void *a, const void *b)
{
    const row *x = a, *y = b;
    if (x->path != y->path)
        return x->path < y->path ? -1 : 1;
    if (x->pattern != y->pattern)
        return x->pattern < y->pattern ? -1 : 1;
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes ? -1 : 1;
    if (x->vms != y->vms)
        return x->vms < y->vms ? -1 : 1;
    if ((x->msg != 0) != (y->msg != 0))
        return x->msg == 0 ? -1 : 1;
    if (x->queues != y->queues)
        return x->queues < y->queues ? -1 : 1;
    if (x->load != y->load)
        return x->load < y->load ? -1 : 1;
    return 0;
}

int app_summary_paths(const app_results *r, char **out, sim_err *e)
{
    (void)e;
    static const char *const shown[] = {"io.path",
                                        "traffic.pattern",
                                        "traffic.packet_bytes",
                                        "traffic.vms",
                                        "traffic.msg_bytes",
                                        "io.queues",
                                        "traffic.offered_gbps",
                                        "traffic.rr_requests_per_s"};
    static const app_summary_view view_paths = {
        .kind = "paths",
        .title = "I/O paths compared",
        .legend = "cycles per packet that arrived, split by who spent them; latency: request to "
                  "response for rr, partner to application for received traffic, application "
                  "to partner for sent traffic",
        .row_bytes = sizeof(row),
        .point_off = offsetof(row, point),
        .row_of = row_of,
        .cmp_cell = cmp_cell,
        .shown_axes = shown,
        .n_shown_axes = sizeof shown / sizeof shown[0],
        .tables = paths_tables,
    };
    return app_summary_table_write(r, &view_paths, out);
}
