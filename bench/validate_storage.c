/* validate-storage: the storage paths (workload.kind = storage) and the drive against
 * published figures, on the platform file and the drive profile
 * (workloads/platforms/xeon-e5v4-gen3x8.ini, ssd-pm1733.ini) with only the source's
 * machine and load set on top. Each row says what it is:
 *
 *   calibration  a parameter was set from this figure: the row checks the arithmetic
 *                from parameter back to figure, not the model;
 *   validation   nothing was set from it;
 *   context      a figure the model does not meet yet, printed with its deviation and not
 *                counted: a known gap, named in docs/storage-model.md.
 *
 * Calibration (tolerance 10%):
 * - The Linux storage stack's CPU per interrupt-driven 4 KiB I/O, about 8,000 cycles:
 *   "NVMe: 2.8us, 9,100 cycles" (Intel's comparison in K. Busch, "Linux NVM-Express",
 *   2015), "AIO caps out in the 450k range per core" (SPDK issue #661, 2019: about 6,700
 *   cycles at 3 GHz). blk.*, nvmedrv.* and cpu.wakeup_cycles split it (the platform
 *   file). Native, one job at queue depth 1 (its thread blocks and is woken per I/O, as
 *   in the measurements), all cycles per I/O: 6,700 to 9,100.
 * - J. Fan, "hw/nvme: support irqfd / iothread / polling" (qemu-devel, Aug 2022; a Xeon
 *   Gold 6248R at 3.0 GHz, QEMU with KVM, -drive null-co, the guest's fio: libaio, 4 KiB
 *   random reads, one job): virtio-blk with an iothread reaches 256 KIOPS at queue depth
 *   64, which sets the iothread's work per request, qemu.vblk_req_cycles +
 *   qemu.vblk_done_cycles (+ qemu.run_cycles once per wake-up). Paravirt, img.kind =
 *   null, qemu.poll_ns = 0 (the series' plain rows), cpu.ghz = 3.0, posted interrupts
 *   (APICv, KVM's default on that CPU).
 *
 * Validation (tolerance 10%):
 * - The same series at queue depth 16: 260 KIOPS.
 * - Samsung PM1733 (hardwareluxx.de, the series' launch figures, Sept 2019; PCIe 4.0 x4):
 *   1,450 K random 4 KiB read IOPS; 6.4 GB/s sequential read. Native, pcie.gen = 4,
 *   8 jobs at queue depth 32 (random), 1 job at 32 (128 KiB sequential), 40 ms after
 *   20 ms of warm-up. Series maxima; the 3.84 TB model's own were not found.
 *
 * Context (known gaps, not counted):
 * - The series at queue depth 1 and 4 (59 and 185 KIOPS), and with the iothread polling
 *   (88 and 212 KIOPS): the model is faster, 4.8 us short a round trip at depth 1 and at
 *   the iothread's saturation already at depth 4; a latency that overlaps other
 *   requests is missing (depths 16 and 64 agree); its source is not identified.
 * - PM1733 random 4 KiB writes (260 K IOPS, steady state) and 3.8 GB/s sequential writes:
 *   the profile's media (128 dies, assumed) programs 1.7 times faster; its die count and
 *   whatever limits the drive's writes are not published.
 *
 * Every point runs on the native kernel in this process. Exit status 0 when every counted
 * row passes, 1 otherwise, 2 on a bad command line or configuration. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/validate_table.h"

#define TOLERANCE 0.10
#define PLATFORM "workloads/platforms/xeon-e5v4-gen3x8.ini"
#define DRIVE "workloads/platforms/ssd-pm1733.ini"

static char srcdir[1024] = ".";

static void load(sim_params *p, const char *file)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", srcdir, file);
    val_load(p, path);
}

/* A storage point on the platform and the drive: path, pattern, block, depth, jobs. */
static sim_params *point(const char *path, const char *rw, const char *bs, unsigned depth,
                         unsigned jobs, double warmup_us, double duration_us)
{
    sim_params *p = val_registry();
    load(p, PLATFORM);
    load(p, DRIVE);
    val_set(p, "workload.kind", "storage");
    val_set(p, "run.kernel", "native");
    val_set(p, "cpu.cores", "16");
    val_set(p, "pcie.lanes", "4");
    val_set(p, "storage.path", path);
    val_set(p, "storage.rw", rw);
    val_set(p, "storage.bs_bytes", bs);
    val_set_uint(p, "storage.iodepth", depth);
    val_set_uint(p, "storage.jobs", jobs);
    val_set_window(p, warmup_us, duration_us);
    return p;
}

/* Fan's virtio-blk: null-co, 3.0 GHz, posted interrupts, one job at `depth`, in KIOPS. */
static double fan_virtio_kiops(unsigned depth, bool polling)
{
    sim_params *p = point("paravirt", "randread", "4KiB", depth, 1, 2000, 20000);
    val_set(p, "cpu.ghz", "3.0");
    val_set(p, "hv.irq_delivery", "posted");
    val_set(p, "img.kind", "null");
    if (!polling)
        val_set(p, "qemu.poll_ns", "0");
    return val_run_metric_once(p, "iops") / 1e3;
}

static void calibration(void)
{
    val_label("calibration");
    sim_params *p = point("native", "randread", "4KiB", 1, 1, 2000, 20000);
    static const char *const names[] = {"guest_cycles_per_io", "hv_cycles_per_io",
                                        "host_cycles_per_io"};
    double v[3];
    val_run_values(p, 3, names, v);
    sim_params_destroy(p);
    val_row_range("Linux stack, interrupt-driven 4 KiB I/O (cycles)", 6700, 9100,
                  v[0] + v[1] + v[2]);
    val_row("Fan: virtio-blk iothread, null-co, QD64 (KIOPS)", 256, fan_virtio_kiops(64, false),
            TOLERANCE);
}

static void validation(void)
{
    val_label("validation");
    val_row("Fan: virtio-blk iothread, null-co, QD16 (KIOPS)", 260, fan_virtio_kiops(16, false),
            TOLERANCE);
    sim_params *p = point("native", "randread", "4KiB", 32, 8, 20000, 40000);
    val_set(p, "pcie.gen", "4");
    double kiops = val_run_metric_once(p, "iops") / 1e3;
    val_row("PM1733: 4 KiB random reads (K IOPS)", 1450, kiops, TOLERANCE);
    p = point("native", "read", "128KiB", 32, 1, 20000, 40000);
    val_set(p, "pcie.gen", "4");
    double gbps = val_run_metric_once(p, "mbps") / 1e3;
    val_row("PM1733: 128 KiB sequential reads (GB/s)", 6.4, gbps, TOLERANCE);
}

static void context(void)
{
    val_label("context");
    val_row_context("Fan: virtio-blk iothread, null-co, QD1 (KIOPS)", 59,
                    fan_virtio_kiops(1, false));
    val_row_context("Fan: virtio-blk iothread, null-co, QD4 (KIOPS)", 185,
                    fan_virtio_kiops(4, false));
    val_row_context("Fan: virtio-blk polling, null-co, QD1 (KIOPS)", 88,
                    fan_virtio_kiops(1, true));
    val_row_context("Fan: virtio-blk polling, null-co, QD4 (KIOPS)", 212,
                    fan_virtio_kiops(4, true));
    sim_params *p = point("native", "randwrite", "4KiB", 32, 8, 20000, 40000);
    val_set(p, "pcie.gen", "4");
    double kiops = val_run_metric_once(p, "iops") / 1e3;
    val_row_context("PM1733: 4 KiB random writes, steady state (K IOPS)", 260, kiops);
    p = point("native", "write", "128KiB", 32, 1, 20000, 40000);
    val_set(p, "pcie.gen", "4");
    double gbps = val_run_metric_once(p, "mbps") / 1e3;
    val_row_context("PM1733: 128 KiB sequential writes (GB/s)", 3.8, gbps);
}

int main(int argc, char **argv)
{
    val_init("validate-storage");
    const char *top = getenv("TOP_SRCDIR");
    if (top)
        snprintf(srcdir, sizeof srcdir, "%s", top);
    if (argc > 1) {
        puts("usage: validate-storage\n\n"
             "Compares the storage paths and the drive with published figures (the Linux\n"
             "stack's cycles per I/O, QEMU's virtio-blk with an iothread, the PM1733's data\n"
             "sheet) on the platform file and the drive profile ($TOP_SRCDIR/workloads/\n"
             "platforms/, or from the current folder). Rows labelled calibration check\n"
             "figures parameters were set from; validation rows, figures nothing was set\n"
             "from; context rows, known gaps printed with their deviation and not checked.\n"
             "Exit 1 if a counted row fails.");
        return strcmp(argv[1], "-h") && strcmp(argv[1], "--help") ? 2 : 0;
    }
    printf("%-12s %-50s %13s %10s %9s\n", "kind", "check", "reference", "simulated", "deviation");
    calibration();
    validation();
    context();
    return val_finish();
}
