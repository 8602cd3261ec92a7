/* The comparison a storage sweep was run for, as text: for each pattern and block size
 * swept, the paths side by side at one VM, throughput and latency at every queue depth,
 * then where the CPU cycles of an I/O go at the deepest; then the throughput of each
 * path against the number of VMs. Everything comes from the results folder
 * (results.h), so it can be redrawn from any finished folder.
 *
 * A table cell is one point, found by the parameters the tables show (path, pattern,
 * block size, queue depth, VMs); summary_table.h says what becomes of a swept parameter
 * they do not show (storage.jobs, storage.rate_iops, any other). */
#include "app/summary.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/plot_data.h"
#include "app/summary_table.h"
#include "host/blkpath/path.h"
#include "sim/alloc.h"

/* From this block size on, throughput is in MB/s rather than I/Os per second. */
#define BIG_BLOCK_BYTES (64u * 1024u)
#define ANY UINT_MAX /* values(): any value of a field */

typedef struct row {
    size_t point;
    int path;         /* blk_path_kind */
    unsigned rw;      /* storage.rw: the first point with its value */
    const char *rw_s; /* its name (the results' copy) */
    unsigned bs, depth, vms;
} row;

/* The tables of one set of rows, and which points they showed (by point number). */
typedef struct view {
    FILE *t;
    const app_results *r;
    const row *rows;
    size_t nr;
    bool *shown;
} view;

static const char *path_name(int p) { return blk_path_get((blk_path_kind)p)->name; }

/* The blk_path_kind that storage.path = `v` names, -1 for none. */
static int path_of(const char *v)
{
    for (int k = 0; v && k < BLK_PATH_KINDS; k++)
        if (!strcmp(v, path_name(k)))
            return k;
    return -1;
}

static double metric(const view *v, const row *w, const char *name)
{
    return app_summary_table_metric(v->r, v->shown, w->point, name);
}

/* Throughput as the tables give it for the block size: IOPS, or MB/s for big blocks. */
static const char *tput_metric(unsigned bs) { return bs >= BIG_BLOCK_BYTES ? "mbps" : "iops"; }

static const char *tput_head(unsigned bs) { return bs >= BIG_BLOCK_BYTES ? "MB/s" : "IOPS"; }

static const char *plural(unsigned n) { return n == 1 ? "" : "s"; }

static const row *find(const view *v, int path, unsigned rw, unsigned bs, unsigned depth,
                       unsigned vms)
{
    for (size_t i = 0; i < v->nr; i++) {
        const row *w = &v->rows[i];
        if (w->path == path && w->rw == rw && w->bs == bs && w->depth == depth && w->vms == vms)
            return w;
    }
    return NULL;
}

/* The distinct values of a field (at byte off of a row), sorted, into out (room for
 * v->nr), over the rows of a pattern, block size and VM count (ANY: whichever). */
static size_t values(const view *v, size_t off, unsigned rw, unsigned bs, unsigned vms,
                     unsigned *out)
{
    row *sel = sim_xcalloc(v->nr ? v->nr : 1, sizeof *sel);
    size_t n = 0;
    for (size_t i = 0; i < v->nr; i++) {
        const row *w = &v->rows[i];
        if ((rw == ANY || w->rw == rw) && (bs == ANY || w->bs == bs) &&
            (vms == ANY || w->vms == vms))
            sel[n++] = *w;
    }
    size_t k = app_summary_table_distinct(sel, n, sizeof *sel, off, out);
    free(sel);
    return k;
}

/* "randread, 4 KiB blocks": what the tables of a pattern and block size are about. */
static void about(const view *v, unsigned rw, unsigned bs, char *buf, size_t len)
{
    const char *name = "?";
    for (size_t i = 0; i < v->nr; i++)
        if (v->rows[i].rw == rw)
            name = v->rows[i].rw_s;
    char b[32];
    if (!app_plot_data_bytes_text(bs, b, sizeof b))
        snprintf(b, sizeof b, "%u-byte", bs);
    snprintf(buf, len, "%s, %s blocks", name, b);
}

/* Each path at one VM count: throughput, median and p99 latency at every queue depth. */
static void table_depths(const view *v, const char *what, unsigned rw, unsigned bs, unsigned vms,
                         const unsigned *depths, size_t nd)
{
    FILE *t = v->t;
    fprintf(t, "\n%s, %u VM%s: %s and latency at each queue depth:\n", what, vms, plural(vms),
            tput_head(bs));
    fprintf(t, "  %-12s", "");
    for (size_t j = 0; j < nd; j++) {
        char l[32];
        snprintf(l, sizeof l, " iodepth %u ", depths[j]);
        /* Over the depth's three columns of 8 and the two spaces between them. */
        size_t width = 3 * 8 + 2, n = strlen(l), pad = n < width ? width - n : 0;
        fprintf(t, " %.*s%s%.*s", (int)(pad / 2), "-------------", l, (int)(pad - pad / 2),
                "-------------");
    }
    fprintf(t, "\n  %-12s", "path");
    for (size_t j = 0; j < nd; j++)
        fprintf(t, " %8s %8s %8s", tput_head(bs), "p50 us", "p99 us");
    fprintf(t, "\n");
    for (int p = 0; p < BLK_PATH_KINDS; p++) {
        bool any = false;
        for (size_t j = 0; j < nd && !any; j++)
            any = find(v, p, rw, bs, depths[j], vms) != NULL;
        if (!any)
            continue;
        fprintf(t, "  %-12s", path_name(p));
        for (size_t j = 0; j < nd; j++) {
            const row *w = find(v, p, rw, bs, depths[j], vms);
            char a[16] = "-", b[16] = "-", c[16] = "-";
            if (w) {
                app_summary_table_num(a, sizeof a, metric(v, w, tput_metric(bs)));
                app_summary_table_num(b, sizeof b, metric(v, w, "latency_ns_p50") / 1000.0);
                app_summary_table_num(c, sizeof c, metric(v, w, "latency_ns_p99") / 1000.0);
            }
            fprintf(t, " %8s %8s %8s", a, b, c);
        }
        fprintf(t, "\n");
    }
}

/* Each path at one queue depth and VM count: CPU cycles per I/O by who, VM exits. */
static void table_cycles(const view *v, const char *what, unsigned rw, unsigned bs, unsigned depth,
                         unsigned vms)
{
    static const char *const m[] = {"guest_cycles_per_io", "hv_cycles_per_io", "host_cycles_per_io",
                                    "exits_per_sec"};
    enum { N = sizeof m / sizeof m[0] };
    FILE *t = v->t;
    fprintf(t, "\n%s, %u VM%s, iodepth %u: CPU cycles per I/O by who spends them:\n", what, vms,
            plural(vms), depth);
    fprintf(t, "  %-12s %8s %8s %8s %9s\n", "path", "guest", "hyperv", "host", "exits/s");
    fprintf(t, "  %-12s %8s %8s %8s\n", "", "cyc/IO", "cyc/IO", "cyc/IO");
    for (int p = 0; p < BLK_PATH_KINDS; p++) {
        const row *w = find(v, p, rw, bs, depth, vms);
        if (!w)
            continue;
        char c[N][16];
        for (size_t i = 0; i < N; i++)
            app_summary_table_num(c[i], sizeof c[i], metric(v, w, m[i]));
        fprintf(t, "  %-12s %8s %8s %8s %9s\n", path_name(p), c[0], c[1], c[2], c[3]);
    }
}

/* Throughput of each path, all VMs together, against the VM counts, at one pattern,
 * block size and queue depth; the paths run at more than the first count only. */
static void table_vms(const view *v, const char *what, unsigned rw, unsigned bs, unsigned depth,
                      const unsigned *vmss, size_t nv)
{
    FILE *t = v->t;
    bool header = false;
    for (int p = 0; p < BLK_PATH_KINDS; p++) {
        bool more = false;
        for (size_t j = 1; j < nv && !more; j++)
            more = find(v, p, rw, bs, depth, vmss[j]) != NULL;
        if (!more)
            continue;
        if (!header) {
            fprintf(t, "\n%s, iodepth %u: %s, all VMs together, against VMs:\n  %-12s", what, depth,
                    tput_head(bs), "path");
            for (size_t j = 0; j < nv; j++)
                fprintf(t, " %8u", vmss[j]);
            fprintf(t, "\n");
            header = true;
        }
        fprintf(t, "  %-12s", path_name(p));
        for (size_t j = 0; j < nv; j++) {
            const row *w = find(v, p, rw, bs, depth, vmss[j]);
            char c[16] = "-";
            if (w)
                app_summary_table_num(c, sizeof c, metric(v, w, tput_metric(bs)));
            fprintf(t, " %8s", c);
        }
        fprintf(t, "\n");
    }
}

/* Every table of the rows of v: for each pattern and block size the paths at the first
 * VM count, then against VMs. */
static void tables(const view *v)
{
    size_t n = v->nr;
    unsigned *rws = sim_xcalloc(n, sizeof *rws), *bss = sim_xcalloc(n, sizeof *bss);
    unsigned *depths = sim_xcalloc(n, sizeof *depths), *vmss = sim_xcalloc(n, sizeof *vmss);
    size_t nrw = values(v, offsetof(row, rw), ANY, ANY, ANY, rws);
    size_t nbs = values(v, offsetof(row, bs), ANY, ANY, ANY, bss);
    size_t nv = values(v, offsetof(row, vms), ANY, ANY, ANY, vmss);
    char what[96];
    for (size_t i = 0; i < nrw; i++)
        for (size_t k = 0; k < nbs; k++) {
            size_t nd = values(v, offsetof(row, depth), rws[i], bss[k], vmss[0], depths);
            if (!nd)
                continue;
            about(v, rws[i], bss[k], what, sizeof what);
            table_depths(v, what, rws[i], bss[k], vmss[0], depths, nd);
            table_cycles(v, what, rws[i], bss[k], depths[nd - 1], vmss[0]);
        }
    for (size_t i = 0; nv > 1 && i < nrw; i++)
        for (size_t k = 0; k < nbs; k++) {
            size_t nd = values(v, offsetof(row, depth), rws[i], bss[k], ANY, depths);
            if (nd)
                about(v, rws[i], bss[k], what, sizeof what);
            for (size_t d = 0; d < nd; d++)
                table_vms(v, what, rws[i], bss[k], depths[d], vmss, nv);
        }
    free(rws);
    free(bss);
    free(depths);
    free(vmss);
}

static void storage_tables(FILE *t, const app_results *r, const void *rows, size_t n, bool *shown)
{
    view v = {t, r, rows, n, shown};
    tables(&v);
}

static unsigned uparam(const app_results *r, size_t i, const char *name, bool *ok)
{
    const char *s = app_results_param(r, i, name);
    *ok = *ok && s;
    return s ? (unsigned)strtoul(s, NULL, 10) : 0;
}

/* The row of a finished point of the kind. Its pattern's place is the first point that
 * has it, so the patterns come in the order the sweep has them. */
static bool row_of(const app_results *r, size_t i, void *out)
{
    bool ok = true;
    row w = {.path = path_of(app_results_param(r, i, "storage.path")),
             .rw_s = app_results_param(r, i, "storage.rw"),
             .bs = uparam(r, i, "storage.bs_bytes", &ok),
             .depth = uparam(r, i, "storage.iodepth", &ok),
             .vms = uparam(r, i, "storage.vms", &ok)};
    if (w.path < 0 || !w.rw_s || !ok)
        return false;
    for (w.rw = 0; w.rw < i; w.rw++) {
        const char *s = app_results_param(r, w.rw, "storage.rw");
        if (s && !strcmp(s, w.rw_s))
            break;
    }
    *(row *)out = w;
    return true;
}

/* Orders rows by the cell they would take (the parameters the tables show). */
static int cmp_cell(const void *a, const void *b)
{
    const row *x = a, *y = b;
    if (x->path != y->path)
        return x->path < y->path ? -1 : 1;
    if (x->rw != y->rw)
        return x->rw < y->rw ? -1 : 1;
    if (x->bs != y->bs)
        return x->bs < y->bs ? -1 : 1;
    if (x->depth != y->depth)
        return x->depth < y->depth ? -1 : 1;
    if (x->vms != y->vms)
        return x->vms < y->vms ? -1 : 1;
    return 0;
}

int app_summary_storage(const app_results *r, char **out, sim_err *e)
{
    (void)e;
    static const char *const shown[] = {"storage.path", "storage.rw", "storage.bs_bytes",
                                        "storage.iodepth", "storage.vms"};
    static const app_summary_view view_storage = {
        .kind = "storage",
        .title = "Storage paths compared",
        .legend = "IOPS and MB/s (10^6 bytes a second): every job of every VM together; "
                  "latency: an I/O's as the application sees it, submission to completion; "
                  "cycles per completed I/O, split by who spent them, the guest's being the "
                  "VMs' vCPUs' or, native, the applications' cores'",
        .row_bytes = sizeof(row),
        .point_off = offsetof(row, point),
        .row_of = row_of,
        .cmp_cell = cmp_cell,
        .shown_axes = shown,
        .n_shown_axes = sizeof shown / sizeof shown[0],
        .tables = storage_tables,
    };
    return app_summary_table_write(r, &view_storage, out);
}
