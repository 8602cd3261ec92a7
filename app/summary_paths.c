/* The comparison a net sweep was run for, as text: for each traffic pattern the paths
 * side by side at one VM with the smallest and the largest packets swept, then the
 * aggregate throughput of each path against the number of VMs. Everything comes from
 * the results folder (results.h), so it can be redrawn from any finished folder. */
#include "app/summary.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static double metric(const app_results *r, size_t pt, const char *name)
{
    double v;
    return app_results_metric(r, pt, name, &v) ? v : NAN;
}

/* Engineering-style numbers that fit a column: 1.23M, 456k, 7.89. */
static void num(char *buf, size_t len, double v)
{
    if (!isfinite(v))
        snprintf(buf, len, "-");
    else if (fabs(v) >= 1e6)
        snprintf(buf, len, "%.3gM", v / 1e6);
    else if (fabs(v) >= 1e4)
        snprintf(buf, len, "%.3gk", v / 1e3);
    else
        snprintf(buf, len, "%.3g", v);
}

static void table_header(FILE *t)
{
    fprintf(t, "  %-12s %8s %8s %9s %9s %8s %8s %8s %9s %9s %7s\n", "path", "Gb/s", "Mpps",
            "p50 us", "p99 us", "guest", "hyperv", "host", "exits/s", "irqs/s", "drops");
    fprintf(t, "  %-12s %8s %8s %9s %9s %8s %8s %8s %9s %9s %7s\n", "", "", "", "", "",
            "cyc/pkt", "cyc/pkt", "cyc/pkt", "", "", "");
}

static void table_row(FILE *t, const app_results *r, const row *w)
{
    static const char *const m[] = {"throughput_gbps",      "throughput_mpps",    "latency_ns_p50",
                                    "latency_ns_p99",       "guest_cycles_per_pkt", "hv_cycles_per_pkt",
                                    "host_cycles_per_pkt",  "exits_per_sec",      "irqs_per_sec",
                                    "drops"};
    char c[10][16];
    for (size_t i = 0; i < 10; i++) {
        double v = metric(r, w->point, m[i]);
        if (i == 2 || i == 3)
            v /= 1000.0;
        num(c[i], sizeof c[i], v);
    }
    fprintf(t, "  %-12s %8s %8s %9s %9s %8s %8s %8s %9s %9s %7s\n",
            path_kind_name((path_kind)w->path), c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            c[8], c[9]);
}

static int cmp_unsigned(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}

/* The distinct values of a row field, sorted. */
static size_t distinct(const row *rows, size_t n, size_t off, unsigned *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned v = *(const unsigned *)((const char *)&rows[i] + off);
        bool seen = false;
        for (size_t j = 0; j < k && !seen; j++)
            seen = out[j] == v;
        if (!seen)
            out[k++] = v;
    }
    qsort(out, k, sizeof *out, cmp_unsigned);
    return k;
}

/* The point of a path, pattern, frame size and VM count with datagrams or any TCP-like
 * message size (tcp), the queue pairs and the offered load (0: as fast as it goes). */
static const row *find_load(const row *rows, size_t n, int path, int pattern, unsigned bytes,
                            unsigned vms, bool tcp, unsigned queues, double load)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].path == path && rows[i].pattern == pattern && rows[i].bytes == bytes &&
            rows[i].vms == vms && (rows[i].msg != 0) == tcp && rows[i].queues == queues &&
            rows[i].load == load)
            return &rows[i];
    return NULL;
}

static const row *find_at(const row *rows, size_t n, int path, int pattern, unsigned bytes,
                          unsigned vms, bool tcp, unsigned queues)
{
    return find_load(rows, n, path, pattern, bytes, vms, tcp, queues, 0.0);
}

/* The datagram point (one queue pair) of a path, pattern, frame size and VM count. */
static const row *find(const row *rows, size_t n, int path, int pattern, unsigned bytes,
                       unsigned vms)
{
    return find_at(rows, n, path, pattern, bytes, vms, false, 1);
}

/* Aggregate throughput of each path against the number of VMs, largest frames. */
static void section_vms(FILE *t, const app_results *r, const row *rows, size_t nr,
                        unsigned bytes, const unsigned *vmss, size_t nv)
{
    for (size_t pat = 0; pat < N_PATTERNS; pat++) {
            bool any = false;
            for (size_t i = 0; i < nr && !any; i++)
                any = rows[i].pattern == (int)pat && rows[i].bytes == bytes && rows[i].vms != vmss[0];
            if (!any)
                continue;
            fprintf(t, "\n%s, %u-byte frames: Gb/s (in brackets: how busy each VM's vCPU core "
                    "is) against VMs:\n", patterns[pat], bytes);
            fprintf(t, "  %-12s", "path");
            for (size_t j = 0; j < nv; j++)
                fprintf(t, " %14u", vmss[j]);
            fprintf(t, "\n");
            for (int p = 0; p < PATH_KINDS; p++) {
                bool has = false;
                for (size_t j = 0; j < nv && !has; j++)
                    has = find(rows, nr, p, (int)pat, bytes, vmss[j]) != NULL;
                if (!has)
                    continue;
                fprintf(t, "  %-12s", path_kind_name((path_kind)p));
                for (size_t j = 0; j < nv; j++) {
                    const row *w = find(rows, nr, p, (int)pat, bytes, vmss[j]);
                    char cell[32] = "-";
                    if (w)
                        snprintf(cell, sizeof cell, "%.3g (%.2f)",
                                 metric(r, w->point, "throughput_gbps"),
                                 metric(r, w->point, "vm_cpu_util"));
                    fprintf(t, " %14s", cell);
                }
                fprintf(t, "\n");
            }
        }
}

/* TCP-like streams (traffic.msg_bytes > 0): each path at one VM, one queue pair. */
static void section_tcp(FILE *t, const app_results *r, const row *rows, size_t nr,
                        unsigned bytes, unsigned vms)
{
    for (size_t pat = 0; pat < N_PATTERNS; pat++) {
        bool any = false;
        for (int p = 0; p < PATH_KINDS && !any; p++)
            any = find_at(rows, nr, p, (int)pat, bytes, vms, true, 1) != NULL;
        if (!any)
            continue;
        fprintf(t, "\n%s, TCP-like messages in %u-byte frames with offloads, %u VM%s:\n",
                patterns[pat], bytes, vms, vms == 1 ? "" : "s");
        table_header(t);
        for (int p = 0; p < PATH_KINDS; p++) {
            const row *w = find_at(rows, nr, p, (int)pat, bytes, vms, true, 1);
            if (w)
                table_row(t, r, w);
        }
    }
}

/* Datagram throughput of each path against its queue pairs per VM, smallest frames. */
static void section_queues(FILE *t, const app_results *r, const row *rows, size_t nr,
                           unsigned bytes, unsigned vms)
{
    unsigned *qs = sim_xcalloc(nr, sizeof *qs);
    size_t nq = distinct(rows, nr, offsetof(row, queues), qs);
    for (size_t pat = 0; nq > 1 && pat < N_PATTERNS; pat++) {
        bool any = false;
        for (int p = 0; p < PATH_KINDS && !any; p++)
            any = find_at(rows, nr, p, (int)pat, bytes, vms, false, qs[nq - 1]) != NULL;
        if (!any)
            continue;
        fprintf(t, "\n%s, %u-byte frames, %u VM%s: Mpps against queue pairs per VM:\n",
                patterns[pat], bytes, vms, vms == 1 ? "" : "s");
        fprintf(t, "  %-12s", "path");
        for (size_t j = 0; j < nq; j++)
            fprintf(t, " %8u", qs[j]);
        fprintf(t, "\n");
        for (int p = 0; p < PATH_KINDS; p++) {
            if (!find_at(rows, nr, p, (int)pat, bytes, vms, false, qs[0]))
                continue;
            fprintf(t, "  %-12s", path_kind_name((path_kind)p));
            for (size_t j = 0; j < nq; j++) {
                const row *w = find_at(rows, nr, p, (int)pat, bytes, vms, false, qs[j]);
                char cell[16] = "-";
                if (w)
                    num(cell, sizeof cell, metric(r, w->point, "throughput_mpps"));
                fprintf(t, " %8s", cell);
            }
            fprintf(t, "\n");
        }
    }
    free(qs);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Latency against offered load: each path at one pattern, frame size and VM count, one
 * queue pair, median and 99th percentile (us) at every load swept for that pattern
 * (offered Gb/s for streams, requests per second for rr). */
static void section_load(FILE *t, const app_results *r, const row *rows, size_t nr, int pat,
                         unsigned bytes, unsigned vms)
{
    double *loads = sim_xcalloc(nr, sizeof *loads);
    size_t nl = 0;
    for (size_t i = 0; i < nr; i++) {
        bool seen = rows[i].load == 0 || rows[i].pattern != pat;
        for (size_t j = 0; j < nl && !seen; j++)
            seen = loads[j] == rows[i].load;
        if (!seen)
            loads[nl++] = rows[i].load;
    }
    qsort(loads, nl, sizeof *loads, cmp_double);
    if (nl > 64)
        nl = 64;
    bool header = false;
    for (int p = 0; nl && p < PATH_KINDS; p++) {
        const row *at[64] = {NULL};
        bool any = false;
        for (size_t j = 0; j < nl; j++)
            if ((at[j] = find_load(rows, nr, p, pat, bytes, vms, false, 1, loads[j])))
                any = true;
        if (!any)
            continue;
        if (!header) {
            fprintf(t, "\n%s, %u-byte frames, %u VM%s: latency p50 / p99 (us) against %s:\n  %-12s",
                    patterns[pat], bytes, vms, vms == 1 ? "" : "s",
                    pat == PATTERN_RR ? "requests per second, open loop" : "offered Gb/s", "path");
            for (size_t j = 0; j < nl; j++) {
                char l[16];
                num(l, sizeof l, loads[j]);
                fprintf(t, " %13s", l);
            }
            fprintf(t, "\n");
            header = true;
        }
        fprintf(t, "  %-12s", path_kind_name((path_kind)p));
        for (size_t j = 0; j < nl; j++) {
            char a[16] = "-", b[16] = "-", cell[40];
            if (at[j]) {
                num(a, sizeof a, metric(r, at[j]->point, "latency_ns_p50") / 1000.0);
                num(b, sizeof b, metric(r, at[j]->point, "latency_ns_p99") / 1000.0);
            }
            snprintf(cell, sizeof cell, "%s/%s", a, b);
            fprintf(t, " %13s", cell);
        }
        fprintf(t, "\n");
    }
    free(loads);
}

int app_summary_paths(const app_results *r, char **out, sim_err *e)
{
    size_t n = app_results_points(r), nr = 0;
    row *rows = sim_xcalloc(n, sizeof *rows);
    for (size_t i = 0; i < n; i++) {
        if (!app_results_ok(r, i))
            continue;
        const char *kind = app_results_param(r, i, "workload.kind");
        if (!kind || strcmp(kind, "paths"))
            continue;
        row w = {.point = i,
                 .path = path_of(app_results_param(r, i, "io.path")),
                 .pattern = index_of(app_results_param(r, i, "traffic.pattern"), patterns, N_PATTERNS)};
        const char *b = app_results_param(r, i, "traffic.packet_bytes");
        const char *v = app_results_param(r, i, "traffic.vms");
        if (w.path < 0 || w.pattern < 0 || !b || !v)
            continue;
        w.bytes = (unsigned)strtoul(b, NULL, 10);
        w.vms = (unsigned)strtoul(v, NULL, 10);
        const char *m = app_results_param(r, i, "traffic.msg_bytes");
        const char *q = app_results_param(r, i, "io.queues");
        w.msg = m ? (unsigned)strtoul(m, NULL, 10) : 0;
        w.queues = q ? (unsigned)strtoul(q, NULL, 10) : 1;
        const char *o = app_results_param(
            r, i, w.pattern == PATTERN_RR ? "traffic.rr_requests_per_s" : "traffic.offered_gbps");
        w.load = o ? strtod(o, NULL) : 0.0;
        rows[nr++] = w;
    }
    if (!nr) {
        free(rows);
        *out = NULL;
        return 0;
    }
    unsigned *sizes = sim_xcalloc(nr, sizeof *sizes), *vmss = sim_xcalloc(nr, sizeof *vmss);
    size_t ns = distinct(rows, nr, offsetof(row, bytes), sizes);
    size_t nv = distinct(rows, nr, offsetof(row, vms), vmss);
    char *text = NULL;
    size_t len = 0;
    FILE *t = sim_xopen_memstream(&text, &len);
    fprintf(t, "I/O paths compared: %zu points from %s\n", nr, app_results_dir(r));
    fprintf(t, "(cycles per packet that arrived, split by who spent them; latency: request to "
            "response for rr, partner to application for received traffic, application to "
            "partner for sent traffic)\n");
    unsigned pick[2] = {sizes[0], sizes[ns - 1]};
    for (size_t pat = 0; pat < N_PATTERNS; pat++)
        for (size_t k = 0; k < (ns > 1 ? 2u : 1u); k++) {
            bool any = false;
            for (int p = 0; p < PATH_KINDS && !any; p++)
                any = find(rows, nr, p, (int)pat, pick[k], vmss[0]) != NULL;
            if (!any)
                continue;
            fprintf(t, "\n%s, %u-byte frames, %u VM%s:\n", patterns[pat], pick[k], vmss[0],
                    vmss[0] == 1 ? "" : "s");
            table_header(t);
            for (int p = 0; p < PATH_KINDS; p++) {
                const row *w = find(rows, nr, p, (int)pat, pick[k], vmss[0]);
                if (w)
                    table_row(t, r, w);
            }
        }
    if (nv > 1)
        section_vms(t, r, rows, nr, sizes[ns - 1], vmss, nv);
    section_tcp(t, r, rows, nr, sizes[ns - 1], vmss[0]);
    section_queues(t, r, rows, nr, sizes[0], vmss[0]);
    for (size_t pat = 0; pat < N_PATTERNS; pat++)
        for (size_t k = 0; k < ns; k++)
            for (size_t v = 0; v < nv; v++)
                section_load(t, r, rows, nr, (int)pat, sizes[k], vmss[v]);
    free(sizes);
    free(vmss);
    free(rows);
    fclose(t);
    *out = text;
    return (int)len;
}
