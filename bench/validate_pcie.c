/* validate-pcie: the DMA micro-benchmark against published PCIe figures.
 *
 * Bandwidth: the simulated payload rate with ample outstanding requests against the
 * analytic model of Neugebauer et al., SIGCOMM 2018 (pcie-bench), for the paper's
 * configuration (where the paper's printed numbers are also checked) and for other
 * generations, widths, MPS and MRRS values. Tolerance 2%.
 * Latency: a 64-byte DMA read on the Xeon E5-2630 v4 platform against pcie-bench's
 * measurement (546 ns warm, 600 ns cold, median). Tolerance 10%.
 *
 * Every point runs on the native kernel in this process. Exit status 0 when every row
 * passes, 1 otherwise, 2 on a bad command line or configuration. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/validate_table.h"
#include "models/pcie/tlp.h"
#include "sim/run.h"
#include "systems/kinds.h"

#define BW_TOLERANCE 0.02
#define LAT_TOLERANCE 0.10







static const char *op_names[] = {"read", "write", "rw"};

/* One bandwidth row: simulate, compare to the analytic model (or to `printed` when
 * it is > 0: the paper's own figure). */
static void bandwidth(unsigned gen, unsigned lanes, unsigned mps, unsigned mrrs, int op,
                      unsigned size, double printed)
{
    sim_params *p = val_registry();
    char buf[64];
    val_set(p, "workload.kind", "dma");
    val_set(p, "run.kernel", "native");
    snprintf(buf, sizeof buf, "%u", gen);
    val_set(p, "pcie.gen", buf);
    snprintf(buf, sizeof buf, "%u", lanes);
    val_set(p, "pcie.lanes", buf);
    snprintf(buf, sizeof buf, "%u", mps);
    val_set(p, "pcie.mps_bytes", buf);
    snprintf(buf, sizeof buf, "%u", mrrs);
    val_set(p, "pcie.mrrs_bytes", buf);
    snprintf(buf, sizeof buf, "%u", size);
    val_set(p, "dma.size_bytes", buf);
    val_set(p, "dma.window_bytes", "1MiB");
    val_set(p, "dma.op", op_names[op]);
    /* Ample requests in flight: the bandwidth-delay product of the widest link. */
    val_set(p, "pcie.tags", "4096");
    val_set(p, "dma.outstanding", "4096");
    /* Enough transfers for the rate to settle whatever the link speed. */
    double payload_gbps = pcie_link_tlp_gbps(&(pcie_link_cfg){gen, lanes, mps, mrrs, 64, 64, false, false});
    double us = 2000.0 * 8.0 * size / payload_gbps / 1000.0 * 20.0;
    if (us < 20)
        us = 20;
    snprintf(buf, sizeof buf, "%.3f", us);
    val_set(p, "run.duration_us", buf);
    val_set(p, "run.warmup_us", "10");

    pcie_link_cfg cfg = {.gen = gen, .lanes = lanes, .mps_bytes = mps, .mrrs_bytes = mrrs,
                         .rcb_bytes = 64, .addr_bits = 64};
    double model = pcie_model_dma_gbps(&cfg, op == 0 ? PCIE_DMA_READ : op == 1 ? PCIE_DMA_WRITE : PCIE_DMA_RW, size);
    double sim = val_run_metric(p, "dma_gbps");
    char what[128];
    snprintf(what, sizeof what, "Gen%u x%-2u MPS %4u MRRS %4u %-5s %5u B %s", gen, lanes, mps, mrrs,
             op_names[op], size, printed > 0 ? "(paper)" : "(model)");
    val_row(what, printed > 0 ? printed : model, sim, BW_TOLERANCE);
    sim_params_destroy(p);
}

static void latency(const char *cache, double measured)
{
    sim_params *p = val_registry();
    val_set(p, "workload.kind", "dma");
    val_set(p, "run.kernel", "native");
    val_set(p, "dma.op", "read");
    val_set(p, "dma.size_bytes", "64");
    val_set(p, "dma.outstanding", "1");
    val_set(p, "dma.cache", cache);
    val_set(p, "run.duration_us", "200");
    val_set(p, "run.warmup_us", "10");
    char what[128];
    snprintf(what, sizeof what, "64 B DMA read latency p50, %s (ns)", cache);
    val_row(what, measured, val_run_metric(p, "dma_latency_ns_p50"), LAT_TOLERANCE);
    sim_params_destroy(p);
}

int main(int argc, char **argv)
{
    val_init("validate-pcie");
    bool quick = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = true;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            puts("usage: validate-pcie [--quick]\n\n"
                 "Compares the simulated DMA bandwidth with the pcie-bench analytic model\n"
                 "(SIGCOMM 2018) across generations, widths, MPS and MRRS, and the 64-byte\n"
                 "read latency with pcie-bench's measurement on a Xeon E5-2630 v4.\n"
                 "--quick checks a subset (what make check runs). Exit 1 if a row fails.");
            return 0;
        } else {
            fprintf(stderr, "validate-pcie: unknown argument '%s'\n", argv[i]);
            return 2;
        }
    }
    printf("%-46s %10s %10s %9s\n", "check", "reference", "simulated", "deviation");

    /* The paper's printed figures, Gen3 x8, MPS 256, MRRS 512. */
    static const unsigned sizes[] = {64, 128, 256};
    static const double paper[3][3] = {
        {44.10, 50.06, 53.69}, /* read */
        {42.10, 48.75, 52.92}, /* write */
        {33.08, 42.10, 48.75}, /* read+write, each direction */
    };
    for (int op = 0; op < 3; op++)
        for (int s = 0; s < 3; s++)
            bandwidth(3, 8, 256, 512, op, sizes[s], paper[op][s]);

    /* The model across sizes at the paper's configuration. */
    static const unsigned more_sizes[] = {96, 512, 1000, 1500, 2048, 4096};
    for (int op = 0; op < 3; op++)
        for (size_t s = 0; s < sizeof more_sizes / sizeof *more_sizes; s++)
            if (!quick || more_sizes[s] == 1500 || more_sizes[s] == 4096)
                bandwidth(3, 8, 256, 512, op, more_sizes[s], 0);

    /* Other generations, widths, MPS and MRRS. */
    static const struct {
        unsigned gen, lanes, mps, mrrs;
    } cfgs[] = {
        {1, 1, 128, 512}, {1, 4, 256, 512},   {2, 4, 128, 128},  {2, 8, 512, 1024},
        {3, 1, 128, 4096}, {3, 16, 256, 512}, {3, 4, 512, 256},  {4, 8, 256, 512},
        {4, 16, 512, 2048}, {5, 4, 128, 512}, {5, 16, 256, 4096}, {6, 8, 256, 512},
        {6, 16, 512, 1024}, {3, 12, 1024, 4096}, {2, 32, 4096, 4096},
    };
    static const unsigned cfg_sizes[] = {64, 256, 1500};
    size_t n_cfgs = sizeof cfgs / sizeof *cfgs;
    for (size_t c = 0; c < n_cfgs; c++)
        for (int op = 0; op < 3; op++)
            for (size_t s = 0; s < 3; s++)
                if (!quick || (c % 3 == (size_t)op && s != 1))
                    bandwidth(cfgs[c].gen, cfgs[c].lanes, cfgs[c].mps, cfgs[c].mrrs, op,
                              cfg_sizes[s], 0);

    /* pcie-bench's measurements on the Xeon E5-2630 v4 (Gen3 x8), median. */
    latency("warm", 546.0);
    latency("cold", 600.0);

    return val_finish();
}
