#include "traces/trace_record.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "host/dmaapi.h"
#include "models/pcie/rc.h"
#include "sim/alloc.h"
#include "sim/kernel.h"
#include "traces/trace.h"

struct trace_recorder {
    sim_kernel *kernel;
    trace_writer *w;
    char *path;
    /* The domain each requester was last mapped in (DMA API events carry it, root complex
     * requests do not): 128 KiB, indexed by requester id. */
    uint16_t domain_of[65536];
    uint64_t late;   /* requests booked before the clock (recorded at the clock) */
    bool failed;     /* the writer refused: stop recording, report at the end */
    sim_err err;
};

/* The trace.* parameters the recorder owns (replay's belong to its workload). */
typedef struct trace_record_cfg {
    const char *file; /* "" when not recording */
} trace_record_cfg;

static const sim_param_def trace_record_params[] = {
    {"trace.record", SIM_PARAM_STRING, "", NULL, "",
     "Record the DMA stream that reaches the root complex (and the DMA API's maps, unmaps and "
     "invalidations) into this .dmat.gz file; a relative path is a file name in the point's "
     "results folder",
     SIM_AT(trace_record_cfg, file)},
};

void trace_record_register_params(sim_params *p)
{
    sim_params_add_table(p, trace_record_params, SIM_TABLE_LEN(trace_record_params));
}

static const char *record_file(const sim_params *p)
{
    trace_record_cfg c;
    sim_params_load_table(p, trace_record_params, SIM_TABLE_LEN(trace_record_params), &c);
    return c.file;
}

int trace_record_check(const sim_params *p, sim_err *e)
{
    const char *file = record_file(p);
    if (!*file)
        return 0;
    const char *slash = strrchr(file, '/');
    if (file[0] != '/') {
        if (slash || !strcmp(file, ".") || !strcmp(file, ".."))
            return sim_err_set(e, "trace.record = %s: a relative path is a file name in each "
                                  "point's folder, without folders of its own (give an absolute "
                                  "path for a file elsewhere)",
                               file);
        return 0;
    }
    if (!slash[1])
        return sim_err_set(e, "trace.record = %s: names a folder, not a file", file);
    char *dir = slash == file ? sim_xstrdup("/") : sim_xstrndup(file, (size_t)(slash - file));
    struct stat st;
    int rc = 0;
    if (stat(dir, &st) != 0)
        rc = sim_err_set(e, "trace.record = %s: folder %s: %s", file, dir, strerror(errno));
    else if (!S_ISDIR(st.st_mode))
        rc = sim_err_set(e, "trace.record = %s: %s is not a folder", file, dir);
    else if (access(dir, W_OK) != 0)
        rc = sim_err_set(e, "trace.record = %s: cannot write in folder %s: %s", file, dir,
                         strerror(errno));
    free(dir);
    return rc;
}

const char *trace_record_outside_file(const sim_params *p)
{
    const char *file = record_file(p);
    return file[0] == '/' ? file : NULL;
}

static void put(trace_recorder *r, const trace_rec *x)
{
    if (r->failed)
        return;
    if (trace_writer_put(r->w, x, &r->err) < 0)
        r->failed = true;
}

/* Fills the common part: issued now, taking effect at t_ps. */
static void stamp(trace_recorder *r, trace_rec *x, uint64_t t_ps)
{
    uint64_t now = sim_now_ps(r->kernel);
    x->time_ps = now;
    if (t_ps >= now) {
        x->ahead_ps = t_ps - now;
    } else {
        /* A model booking in the past: keep the file in order, note the shift. */
        r->late++;
        x->ahead_ps = 0;
    }
}

void trace_recorder_on_request(void *ctx, pcie_rc_req kind, uint64_t t_ps, uint16_t rid,
                               uint64_t addr, uint32_t len, uint32_t msi_data)
{
    trace_recorder *r = ctx;
    trace_rec x = {.rid = rid, .domain = r->domain_of[rid], .addr = addr, .len = len};
    stamp(r, &x, t_ps);
    switch (kind) {
    case PCIE_RC_READ: x.op = TRACE_OP_READ; break;
    case PCIE_RC_WRITE: x.op = TRACE_OP_WRITE; break;
    case PCIE_RC_MSI:
        x.op = TRACE_OP_MSI;
        x.len = 4; /* an MSI is one DW whatever the caller passed */
        x.addr &= ~3ull;
        x.aux = msi_data;
        break;
    }
    if (x.len == 0)
        return; /* a zero-length read (a flush) moves nothing the format could describe */
    put(r, &x);
}

/* The IOMMU driver's invalidation kinds, as the format numbers them. */
_Static_assert((int)IOMMU_INV_IOTLB_GLOBAL == (int)TRACE_INV_IOTLB_GLOBAL &&
                   (int)IOMMU_INV_IOTLB_PAGE == (int)TRACE_INV_IOTLB_PAGE &&
                   (int)IOMMU_INV_DEVTLB == (int)TRACE_INV_DEVTLB &&
                   (int)IOMMU_INV_IEC_INDEX == (int)TRACE_INV_IEC_INDEX,
               "trace_inv_kind follows iommu_inv_kind");

static void put_inv(trace_recorder *r, const iommu_dma_event *ev, const iommu_inv *v, bool chain)
{
    trace_rec x = {.op = TRACE_OP_INV, .rid = v->rid, .domain = v->did,
                   .flags = (uint8_t)v->kind};
    stamp(r, &x, ev->t_ps);
    switch (v->kind) {
    case IOMMU_INV_IOTLB_PAGE:
        x.addr = v->addr;
        x.len = v->bytes > UINT32_MAX ? UINT32_MAX & ~0xFFFu : (uint32_t)v->bytes;
        if (v->keep_tables)
            x.flags |= TRACE_F_INV_KEEP;
        break;
    case IOMMU_INV_DEVTLB:
        /* The whole device TLB (a range of 2^63 or more) is length 0. */
        if (v->bytes <= UINT32_MAX) {
            x.addr = v->addr;
            x.len = (uint32_t)v->bytes;
        }
        break;
    case IOMMU_INV_IEC_INDEX: x.addr = v->index; break;
    default: break;
    }
    if (chain)
        x.flags |= TRACE_F_INV_CHAIN;
    put(r, &x);
}

void trace_recorder_on_dma_api(void *ctx, const iommu_dma_event *ev)
{
    trace_recorder *r = ctx;
    if (ev->kind == IOMMU_DMA_EV_INVALIDATE) {
        for (size_t i = 0; i < ev->n_inv; i++)
            put_inv(r, ev, &ev->inv[i], i + 1 < ev->n_inv);
        return;
    }
    r->domain_of[ev->rid] = ev->did;
    /* The format's lengths are 32-bit: a larger range (a whole window mapped at once)
     * becomes consecutive records, which map and unmap exactly the same pages. */
    uint64_t done = 0;
    while (done < ev->bytes) {
        uint64_t n = ev->bytes - done > (1ull << 31) ? 1ull << 31 : ev->bytes - done;
        trace_rec x = {.rid = ev->rid, .domain = ev->did, .addr = ev->dev_addr + done,
                       .len = (uint32_t)n};
        stamp(r, &x, ev->t_ps);
        if (ev->kind == IOMMU_DMA_EV_MAP) {
            x.op = TRACE_OP_MAP;
            x.aux = ev->hpa + done;
            x.flags = TRACE_F_MAP_READ | TRACE_F_MAP_WRITE;
        } else {
            x.op = TRACE_OP_UNMAP;
        }
        put(r, &x);
        done += n;
    }
}

/* params.txt's text: every parameter, "name = value" a line, in name order. */
static char *params_text(const sim_params *p, size_t *len)
{
    char *s = NULL;
    FILE *f = sim_xopen_memstream(&s, len);
    sim_params_write(p, f);
    fclose(f);
    return s;
}

int trace_recorder_start(const sim_ctx *ctx, trace_recorder **out, sim_err *e)
{
    *out = NULL;
    const char *file = record_file(ctx->params);
    if (!*file)
        return 0;
    char *path = file[0] != '/' && ctx->dir ? sim_xasprintf("%s/%s", ctx->dir, file)
                                            : sim_xstrdup(file);
    size_t params_len = 0;
    char *params = params_text(ctx->params, &params_len);
    trace_writer *w = trace_writer_open(path, 0, "iovsim " PACKAGE_VERSION, params, params_len, e);
    free(params);
    if (!w) {
        sim_err_prefix(e, "trace.record");
        free(path);
        return -1;
    }
    trace_recorder *r = sim_xcalloc(1, sizeof *r);
    r->kernel = ctx->kernel;
    r->path = path;
    r->w = w;
    *out = r;
    return 0;
}

void trace_recorder_finish(trace_recorder *r)
{
    if (!r)
        return;
    if (sim_kernel_events(r->kernel) == 0) {
        /* The system was built but never ran (the plot check's dry build, a build that
         * failed): nothing to keep. */
        trace_writer_abort(r->w);
    } else if (r->failed) {
        fprintf(stderr, "iovsim: trace.record: %s; no trace written\n", r->err.msg);
        trace_writer_abort(r->w);
    } else if (trace_writer_close(r->w, &r->err) < 0) {
        fprintf(stderr, "iovsim: trace.record: %s\n", r->err.msg);
    } else if (r->late) {
        fprintf(stderr, "iovsim: trace.record: %s: %llu requests were booked before the clock "
                        "and are recorded at it\n",
                r->path, (unsigned long long)r->late);
    }
    free(r->path);
    free(r);
}
