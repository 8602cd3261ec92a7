/* validate-iommu-study: the host DMA API in the paths kind (a native application's PF
 * queues mapped through the IOMMU, host/nicdrv.h) on the Sapphire Rapids platform,
 * against published measurements of the IOMMU at 100 and 200 Gb/s.
 *
 * Settings (rows labelled setting: the platform's parameters taken from these sources,
 * printed so the table says which numbers were used and which were not):
 * - Linux's lazy flush queue, IOVA_FQ_SIZE 256 (drivers/iommu/dma-iommu.c) ->
 *   iommu.lazy_batch.
 * - mlx5e's 2 KiB receive buffers at MTU 1500, two per 4 KiB page (Farshin's
 *   dissertation, KTH 2023, App. B.2) -> nicdrv.buf_bytes.
 *
 * Validation (nothing was set from these):
 * - Farshin et al., "Overcoming the IOTLB wall for multi-100-Gbps Linux-based
 *   networking", PeerJ CS 2023, read as chapter 4 of Farshin's dissertation: Ice Lake
 *   Gold 6346 and a 200 Gb/s ConnectX-6, Linux 5.15, lazy IOMMU (intel_iommu=on), iPerf
 *   over 384 connections, MTU 1500. Receive: without the IOMMU ~185 Gb/s at saturation,
 *   with it ~150 Gb/s (a drop of ~19%; "up to 20%" across MTUs); ~500 IOTLB misses per
 *   MiB, ~420 of them from the half-page receive buffers; 2 MiB mappings: "a modest 5%
 *   drop" at MTU 1500 and misses "reduced (by up to ~10x)". Transmit with TSO:
 *   "approximately constant ~300 misses per MiB". Tolerances: the throughput drop 10-25%
 *   (19% at MTU 1500, "up to 20%", a gap: see below); misses per MiB +-20% of the ~420
 *   of the buffers (the ~500 in all is a gap), +-1/3 of ~300 on transmit; 2 MiB pages a
 *   drop of at most 8% (5% measured) and at most 15% of 4 KiB's misses ("up to ~10x"
 *   fewer).
 * - Rubin et al., "Fast & Safe IO Memory Protection", SOSP 2024: strict mode at
 *   100 Gb/s (Cascade Lake, CX-5, 4 KiB MTU, DDIO off, 5 to 40 flows): "20-65% lower
 *   throughput".
 * - Neugebauer et al., SIGCOMM 2018 (pcie-bench data, A1c of the sources): with
 *   superpage mappings the IOMMU costs nothing.
 * The model is the SPR platform file as it is (its IOMMU hardware values are the
 * Broadwell calibration: no SPR or Ice Lake IOTLB figure is published), sixteen
 * application threads with TCP-like streams of MTU frames (workloads/iommu-200g.ini).
 * A figure the model does not reproduce is a gap row (printed with its deviation, not
 * checked, as validate-storage's known gaps): the table reports it rather than a
 * parameter tuned to it, and docs/iommu-model.md says why it differs.
 *
 * Exit 0 when every row passes, 1 otherwise, 2 on a bad command line or configuration. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/validate_table.h"

#define PLATFORM "workloads/platforms/spr-gen5x16.ini"
#define WARMUP_US 200.0
#define DURATION_US 1000.0

static char platform[1024] = PLATFORM;

typedef struct study_point {
    double gbps, walks_per_mib;
} study_point;

/* A native point as the study runs it: pattern, line rate, IOMMU mode and page size,
 * streams as fast as they go. */
static study_point run(const char *pattern, const char *line_gbps, const char *mode,
                       const char *page_bytes, const char *threads)
{
    sim_params *p = val_registry();
    val_load(p, platform);
    val_set(p, "workload.kind", "paths");
    val_set(p, "run.kernel", "native");
    val_set(p, "io.path", "native");
    val_set(p, "traffic.pattern", pattern);
    val_set(p, "traffic.vms", threads);
    val_set(p, "traffic.msg_bytes", "65536");
    val_set(p, "traffic.packet_bytes", "1518");
    val_set(p, "nic.line_gbps", line_gbps);
    val_set(p, "iommu.mode", mode);
    val_set(p, "iommu.page_bytes", page_bytes);
    val_set_window(p, WARMUP_US, DURATION_US);
    static const char *const names[] = {"throughput_gbps", "iotlb_walks_per_mib"};
    double v[2];
    val_run_values(p, 2, names, v);
    sim_params_destroy(p);
    return (study_point){v[0], v[1]};
}

static double param(const char *name)
{
    sim_params *p = val_registry();
    val_load(p, platform);
    double v = (double)sim_params_uint(p, name);
    sim_params_destroy(p);
    return v;
}

static void settings(void)
{
    val_label("setting");
    val_row("Linux IOVA_FQ_SIZE -> iommu.lazy_batch (unmaps)", 256, param("iommu.lazy_batch"), 0);
    val_row("mlx5e buffer at MTU 1500 -> nicdrv.buf_bytes", 2048, param("nicdrv.buf_bytes"), 0);
}

static void farshin_200g(void)
{
    val_label("validation");
    study_point off = run("stream_rx", "200", "off", "4096", "16");
    study_point lazy = run("stream_rx", "200", "lazy", "4096", "16");
    study_point huge = run("stream_rx", "200", "lazy", "2097152", "16");
    val_label("gap");
    /* ~150 against ~185 Gb/s: 19%; "up to 20%" over MTUs. */
    val_row_context("Farshin RX 200G lazy 4K: throughput drop vs off", 1.0 - 150.0 / 185.0,
                    1.0 - lazy.gbps / off.gbps);
    val_row_context("Farshin RX 200G lazy 4K: misses/MiB, all (~500)", 500, lazy.walks_per_mib);
    val_label("validation");
    /* ~420 of the ~500 from the half-page buffers, the part the model has (one walk
     * per receive page); the other 80-100 ("next level IOMMU entries, and the
     * interleaving of traffic on a large number of queues") it does not. */
    val_row_range("Farshin RX 200G lazy 4K: misses/MiB, buffers", 336, 504,
                  lazy.walks_per_mib);
    val_row_range("Farshin RX 200G lazy 2M: throughput drop vs off", 0.0, 0.08,
                  1.0 - huge.gbps / off.gbps);
    val_row_range("Farshin RX misses/MiB, 2M / 4K (<= ~1/10)", 0.0, 0.15,
                  huge.walks_per_mib / lazy.walks_per_mib);
    study_point tx = run("stream_tx", "200", "lazy", "4096", "16");
    /* "approximately constant ~300 misses per MiB", about one per 4 KiB sent: +-1/3 */
    val_row_range("Farshin TX 200G lazy 4K, TSO: misses/MiB", 200, 400, tx.walks_per_mib);
}

static void rubin_100g(void)
{
    /* Five flows, as the smallest of their runs (their figure is the 20-65% range over
     * 5 to 40 flows and ring sizes); MTU frames here, their 4 KiB MTU being beyond
     * traffic.packet_bytes, and DDIO left on. */
    study_point off = run("stream_rx", "100", "off", "4096", "5");
    study_point strict = run("stream_rx", "100", "strict", "4096", "5");
    val_label("gap");
    val_row_context("Rubin RX 100G strict 4K: drop vs off (20-65%)", 0.20,
                    1.0 - strict.gbps / off.gbps);
    val_label("validation");
    study_point sp = run("stream_rx", "100", "strict", "2097152", "5");
    val_row("pcie-bench A1c: superpages, strict / off Gb/s", 1.0, sp.gbps / off.gbps, 0.02);
}

int main(int argc, char **argv)
{
    val_init("validate-iommu-study");
    val_platform_args(argc, argv, PLATFORM,
                      "usage: validate-iommu-study [--platform FILE]\n\n"
                      "Compares native traffic through the host DMA API (iommu.mode strict\n"
                      "and lazy, 4 KiB and 2 MiB pages) at 100 and 200 GbE with Farshin et\n"
                      "al. (PeerJ CS 2023), Rubin et al. (SOSP 2024) and pcie-bench (SIGCOMM\n"
                      "2018), on the platform file (default: $TOP_SRCDIR/" PLATFORM ",\n"
                      "or from the current folder). Rows labelled setting show figures the\n"
                      "platform's parameters were set from; validation rows, figures nothing\n"
                      "was set from; gap rows, published figures the model does not reproduce\n"
                      "(docs/iommu-model.md says why), printed with their deviation and not\n"
                      "checked. Exit 1 if a validation row fails.",
                      platform, sizeof platform);
    printf("%-12s %-50s %13s %10s %9s\n", "kind", "check", "reference", "simulated", "deviation");
    settings();
    farshin_200g();
    rubin_100g();
    return val_finish();
}
