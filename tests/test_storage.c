/* The storage paths (workload.kind = storage): what each path's table says one request
 * costs shows in the counters (exits of an emulated AHCI disk, virtio-blk's kicks and
 * their suppression by the iothread's polling, Xen's grant operations with and without
 * persistent grants), a back end's image maps a VM's sector to the right place on the
 * drive, QEMU's null-co back end reaches no device, a VF's requests reach only its
 * own namespace, and the host's page cache (img.cache = writeback) serves reads it holds
 * and writes below its limits without the drive, reads ahead of sequential readers and
 * holds writers to the drive's rate past its dirty limit. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "host/blkimg.h"
#include "tests/rig.h"

typedef struct stfx {
    rig r;
    void *sys;
} stfx;

static void stfx_params(stfx *f, const char *path)
{
    rig_init(&f->r);
    rig_set(&f->r, "workload.kind", "storage");
    rig_set(&f->r, "run.kernel", "native");
    rig_set(&f->r, "storage.path", path);
    rig_set(&f->r, "pcie.lanes", "4");
    rig_set(&f->r, "cpu.cores", "8");
}

/* Builds, runs warm_us, measures dur_us. */
static void stfx_run(stfx *f, double warm_us, double dur_us)
{
    sim_err e = {{0}};
    ck_assert_msg(systems_ops.check(f->r.p, &e) == 0, "%s", e.msg);
    sim_ctx ctx = rig_start(&f->r);
    f->sys = sys_kind_storage.build(&ctx, NULL, &e);
    ck_assert_msg(f->sys, "%s", e.msg);
    rig_run(&f->r, warm_us, dur_us);
}

static double st(stfx *f, const char *name) { return rig_stat(&f->r, name); }

static void stfx_free(stfx *f)
{
    sys_kind_storage.destroy(f->sys);
    rig_free(&f->r);
}

/* I/Os completed in the window. */
static double ios(stfx *f) { return st(f, "storage.reads") + st(f, "storage.writes"); }

/* An I/O at the window's edges may have paid part of its steps outside it. */
static void assert_per_io(stfx *f, const char *counter, double want)
{
    double n = ios(f), c = st(f, counter);
    ck_assert_msg(n > 20, "only %g I/Os", n);
    ck_assert_msg(fabs(c - want * n) <= want * 2 + 1, "%s = %g for %g I/Os: wanted %g each",
                  counter, c, n, want);
}

/* AHCI, one command per interrupt: libahci's 2 register writes to issue it and the
 * handler's 5 accesses, each a trap to QEMU in user space; nothing kicks in the kernel. */
START_TEST(test_emulated_exits)
{
    stfx f;
    stfx_params(&f, "emulated");
    stfx_run(&f, 500, 3000);
    assert_per_io(&f, "hv.exits.mmio_user", 7);
    ck_assert_double_eq(st(&f, "hv.exits.mmio_kernel"), 0);
    ck_assert_double_eq(st(&f, "storage.errors"), 0);
    stfx_free(&f);
}
END_TEST

/* virtio-blk at queue depth 1 with the iothread's polling off: a kick (an ioeventfd exit)
 * per request and an interrupt per completion. With its polling on and 32 requests in
 * flight the iothread sees them without kicks. */
START_TEST(test_paravirt_kicks)
{
    stfx f;
    stfx_params(&f, "paravirt");
    rig_set(&f.r, "qemu.poll_ns", "0");
    stfx_run(&f, 500, 3000);
    assert_per_io(&f, "hv.exits.mmio_kernel", 1);
    ck_assert_double_eq(st(&f, "hv.exits.mmio_user"), 0);
    double n = ios(&f), irqs = st(&f, "blkpath.irqs");
    ck_assert(fabs(irqs - n) <= 2);
    stfx_free(&f);

    stfx_params(&f, "paravirt");
    rig_set(&f.r, "storage.iodepth", "32");
    stfx_run(&f, 500, 2000);
    ck_assert(ios(&f) > 100);
    ck_assert(st(&f, "hv.exits.mmio_kernel") < 0.05 * ios(&f));
    ck_assert(st(&f, "blkpath.notifies_suppressed") > 0.9 * ios(&f));
    /* The guest sleeps between its completions' batches: some still need an interrupt. */
    ck_assert(st(&f, "blkpath.irqs") > 0);
    stfx_free(&f);
}
END_TEST

/* The iothread's polling trades its core's time for latency: at queue depth 1 a request
 * it catches while polling costs no kick and no wake-up, so its I/Os finish sooner than
 * without polling (a write to the drive here: the window adapts to the waits) and its
 * core is busier. */
START_TEST(test_paravirt_polling)
{
    double lat[2], busy[2], exits[2];
    for (int poll = 0; poll < 2; poll++) {
        stfx f;
        stfx_params(&f, "paravirt");
        rig_set(&f.r, "storage.rw", "randwrite");
        rig_set(&f.r, "qemu.poll_ns", poll ? "32768" : "0");
        stfx_run(&f, 500, 3000);
        ck_assert(ios(&f) > 20);
        lat[poll] = st(&f, "storage.latency_ps.mean");
        busy[poll] = st(&f, "cpu.core0.busy_ps") + st(&f, "cpu.core1.busy_ps");
        exits[poll] = st(&f, "hv.exits.mmio_kernel") / ios(&f);
        stfx_free(&f);
    }
    ck_assert_msg(lat[1] < lat[0], "latency with polling %g ps, without %g ps", lat[1], lat[0]);
    ck_assert_msg(busy[1] > busy[0], "host cores busy %g ps with polling, %g without", busy[1],
                  busy[0]);
    ck_assert_msg(exits[1] < exits[0], "kicks per I/O %g with polling, %g without", exits[1],
                  exits[0]);
}
END_TEST

/* Xen: persistent grants cost blkfront a copy per request and no grant operation;
 * without them blkback maps and unmaps each request's page, a TLB flush each. */
START_TEST(test_devdomain_grants)
{
    stfx f;
    stfx_params(&f, "devdomain");
    stfx_run(&f, 500, 3000);
    ck_assert_double_eq(st(&f, "blkpath.grant_maps"), 0);
    assert_per_io(&f, "blkpath.copies", 1);
    stfx_free(&f);

    stfx_params(&f, "devdomain");
    rig_set(&f.r, "xen.blk_persistent", "false");
    stfx_run(&f, 500, 3000);
    ck_assert_double_eq(st(&f, "blkpath.copies"), 0);
    assert_per_io(&f, "blkpath.grant_maps", 1);
    assert_per_io(&f, "blkpath.grant_unmaps", 1);
    assert_per_io(&f, "blkpath.gnttab_flushes", 1);
    stfx_free(&f);
}
END_TEST

/* QEMU's null-co: requests complete in QEMU, the drive sees none. */
START_TEST(test_null_backend)
{
    stfx f;
    stfx_params(&f, "paravirt");
    rig_set(&f.r, "img.kind", "null");
    stfx_run(&f, 500, 2000);
    ck_assert(ios(&f) > 50);
    ck_assert_double_eq(st(&f, "nvme.pf.reads"), 0);
    ck_assert_double_eq(st(&f, "flash.reads"), 0);
    stfx_free(&f);
}
END_TEST

/* VM i's sector N is byte N x 512 of its image, which starts at i x img.bytes of the
 * namespace: the drive's block (i x img.bytes + N x 512) / its block size. */
START_TEST(test_image_mapping)
{
    sim_params *p = rig_registry();
    rig_param_set(p, "img.bytes", "1GiB");
    blk_img *g = blk_img_create(p, 4, 4096);
    uint64_t dev;
    uint32_t nlb;
    ck_assert(blk_img_map(g, 3, 8 * 1000, 8, &dev, &nlb));
    ck_assert_uint_eq(dev, (3ull * (1u << 30) + 8000ull * 512) / 4096);
    ck_assert_uint_eq(nlb, 1);
    ck_assert(blk_img_map(g, 0, 0, 16, &dev, &nlb) && dev == 0 && nlb == 2);
    /* Past the image's end, or not on the drive's blocks: refused. */
    uint64_t sectors = (1ull << 30) / 512;
    ck_assert(!blk_img_map(g, 1, sectors - 4, 8, &dev, &nlb));
    ck_assert(!blk_img_map(g, 1, 1, 8, &dev, &nlb));
    ck_assert(!blk_img_map(g, 4, 0, 8, &dev, &nlb));
    blk_img_destroy(g);
    blk_img *g512 = blk_img_create(p, 2, 512);
    ck_assert(blk_img_map(g512, 1, 7, 1, &dev, &nlb) && dev == (1ull << 30) / 512 + 7 && nlb == 1);
    blk_img_destroy(g512);
    sim_params_destroy(p);
}
END_TEST

/* SR-IOV: each VM's requests go to its own VF and its own namespace; the VFs' drivers
 * complete them without error. */
START_TEST(test_sriov_vfs_carry_their_vms)
{
    stfx f;
    stfx_params(&f, "sriov");
    rig_set(&f.r, "storage.vms", "2");
    rig_set(&f.r, "nvme.namespaces", "2");
    rig_set(&f.r, "storage.iodepth", "4");
    stfx_run(&f, 1000, 2000);
    ck_assert(st(&f, "nvme.vf0.reads") > 20 && st(&f, "nvme.vf1.reads") > 20);
    ck_assert_double_eq(st(&f, "nvme.pf.reads"), 0);
    ck_assert_double_eq(st(&f, "nvme.vf0.cmd_errors") + st(&f, "nvme.vf1.cmd_errors"), 0);
    ck_assert_double_eq(st(&f, "storage.errors"), 0);
    stfx_free(&f);
}
END_TEST

/* ---------------------------------------------------------------- the host's page cache */

/* paravirt with img.cache = writeback on a disk of img_bytes and a cache of cache_bytes
 * (NULL: img.cache = none), rw at depth qd. */
static void pc_params(stfx *f, const char *cache_bytes, const char *img_bytes, const char *rw,
                      const char *qd)
{
    stfx_params(f, "paravirt");
    rig_set(&f->r, "img.cache", cache_bytes ? "writeback" : "none");
    if (cache_bytes)
        rig_set(&f->r, "pagecache.bytes", cache_bytes);
    rig_set(&f->r, "img.bytes", img_bytes);
    rig_set(&f->r, "storage.rw", rw);
    rig_set(&f->r, "storage.iodepth", qd);
}

static double window_s(stfx *f) { return (double)sim_stats_elapsed_ps(f->r.s) / 1e12; }

/* An image the cache holds whole from the start: random reads reach no drive and
 * finish well before O_DIRECT's, which wait for the flash's read each. */
START_TEST(test_pcache_resident_reads)
{
    double lat[2];
    for (int cached = 0; cached < 2; cached++) {
        stfx f;
        pc_params(&f, cached ? "1GiB" : NULL, "64MiB", "randread", "1");
        if (cached)
            rig_set(&f.r, "pagecache.resident_pct", "100");
        stfx_run(&f, 500, 3000);
        ck_assert(ios(&f) > 20);
        lat[cached] = st(&f, "storage.latency_ps.mean");
        if (cached) {
            ck_assert_double_eq(st(&f, "nvme.pf.reads"), 0);
            ck_assert_double_eq(st(&f, "nvmedrv.host.submits"), 0);
            ck_assert_double_eq(st(&f, "pagecache.misses"), 0);
            /* One read may be in flight at either edge of the window. */
            ck_assert(fabs(st(&f, "pagecache.hits") - ios(&f)) <= 1);
        } else {
            ck_assert(st(&f, "nvme.pf.reads") > 20);
        }
        ck_assert_double_eq(st(&f, "storage.errors"), 0);
        stfx_free(&f);
    }
    ck_assert_msg(lat[1] < 0.5 * lat[0], "mean latency %g ps cached, %g ps with O_DIRECT", lat[1],
                  lat[0]);
}
END_TEST

/* An image four times the cache, the cache full from the start, random reads: whatever
 * the replacement, the resident pages are a quarter of the image's and each read's page
 * is uniform and independent of them, so a read hits with probability 1/4. The window's
 * reads are about 600 pages: the binomial's standard deviation is 0.018, the tolerance
 * of 0.05 nearly three of them; pages pinned by reads in flight (32 of 16,384) move the
 * rate by 0.2 %. */
START_TEST(test_pcache_hit_rate)
{
    stfx f;
    pc_params(&f, "64MiB", "256MiB", "randread", "32");
    rig_set(&f.r, "pagecache.resident_pct", "25");
    stfx_run(&f, 1000, 5000);
    double hits = st(&f, "pagecache.hits"), all = hits + st(&f, "pagecache.pending_hits") +
                                                  st(&f, "pagecache.misses");
    ck_assert_msg(all > 400, "only %g pages read", all);
    ck_assert_msg(fabs(hits / all - 0.25) < 0.05, "hit rate %g, capacity over image 0.25",
                  hits / all);
    ck_assert(st(&f, "pagecache.evictions") > 0);
    /* Misses are read from the drive, one request each (no readahead for random reads). */
    ck_assert(fabs(st(&f, "nvme.pf.reads") - st(&f, "pagecache.misses")) <= 32);
    ck_assert_double_eq(st(&f, "pagecache.readahead_pages"), 0);
    ck_assert_double_eq(st(&f, "storage.errors"), 0);
    stfx_free(&f);
}
END_TEST

/* Writes below the background threshold (10 % of 8 GiB) stay in the cache: the drive
 * sees none, and a write costs the guest's and QEMU's path and a copy, not the drive's
 * program into its buffer and the host's block layer both ways. */
START_TEST(test_pcache_buffered_writes)
{
    double lat[2];
    for (int cached = 0; cached < 2; cached++) {
        stfx f;
        pc_params(&f, cached ? "8GiB" : NULL, "1GiB", "randwrite", "1");
        stfx_run(&f, 500, 3000);
        ck_assert(ios(&f) > 20);
        lat[cached] = st(&f, "storage.latency_ps.mean");
        if (cached) {
            ck_assert_double_eq(st(&f, "nvme.pf.writes"), 0);
            ck_assert_double_eq(st(&f, "nvmedrv.host.submits"), 0);
            ck_assert_double_eq(st(&f, "pagecache.wb_requests"), 0);
            ck_assert(fabs(st(&f, "pagecache.write_pages") - ios(&f)) <= 1);
        } else {
            ck_assert(st(&f, "nvme.pf.writes") > 20);
        }
        stfx_free(&f);
    }
    ck_assert_msg(lat[1] < 0.6 * lat[0], "mean latency %g ps cached, %g ps with O_DIRECT", lat[1],
                  lat[0]);
}
END_TEST

/* 128 KiB sequential writes into a 64 MiB cache: past the limit (20 %, 12.8 MiB) the
 * writer waits for writeback, so once there its bytes are the drive's (within 15 %: the
 * dirty pages' level moves within the window by up to the limit's headroom), well below
 * the rate the copies alone allow (the same writes into an 8 GiB cache; the cores copy
 * at 16 bytes a cycle here, so that the copies allow several times the drive's rate). */
START_TEST(test_pcache_dirty_limit)
{
    double mbps[2];
    for (int small = 0; small < 2; small++) {
        stfx f;
        pc_params(&f, small ? "64MiB" : "8GiB", "8GiB", "write", "4");
        rig_set(&f.r, "storage.bs_bytes", "128KiB");
        rig_set(&f.r, "cpu.copy_bytes_per_cycle", "16");
        stfx_run(&f, 3000, 5000);
        double el = window_s(&f);
        mbps[small] = st(&f, "storage.write_bytes") / el / 1e6;
        if (small) {
            double dev = st(&f, "nvme.pf.write_bytes") / el / 1e6;
            ck_assert_msg(dev > 500, "the drive wrote %g MB/s", dev);
            ck_assert_msg(fabs(mbps[1] - dev) < 0.15 * dev, "writer %g MB/s, drive %g MB/s",
                          mbps[1], dev);
            /* Requests of the drive's largest transfer, not the writer's blocks. */
            ck_assert(st(&f, "pagecache.wb_bytes") / st(&f, "pagecache.wb_requests") > 256 * 1024);
            /* The limit and what the writers in flight add past it. */
            ck_assert(st(&f, "pagecache.dirty_max_bytes") <= 64 * 1048576 / 5 + 4 * 131072);
            ck_assert(st(&f, "pagecache.dirty_max_bytes") > 64 * 1048576 / 10);
        } else {
            ck_assert_double_eq(st(&f, "nvme.pf.writes"), 0);
        }
        ck_assert_double_eq(st(&f, "storage.errors"), 0);
        stfx_free(&f);
    }
    ck_assert_msg(mbps[1] < 0.6 * mbps[0], "writer %g MB/s held at the limit, %g MB/s below it",
                  mbps[1], mbps[0]);
}
END_TEST

/* Sequential 4 KiB reads from a cold cache: readahead reads ahead of the reader in
 * requests larger than its blocks (windows growing to 128 KiB), so most reads find their
 * page. */
START_TEST(test_pcache_readahead)
{
    stfx f;
    pc_params(&f, "1GiB", "1GiB", "read", "1");
    stfx_run(&f, 500, 3000);
    double reads = st(&f, "nvme.pf.reads");
    ck_assert(reads > 0);
    ck_assert_msg(st(&f, "nvme.pf.read_bytes") / reads >= 16 * 4096, "%g bytes a drive read",
                  st(&f, "nvme.pf.read_bytes") / reads);
    ck_assert(st(&f, "pagecache.readahead_pages") > 0);
    ck_assert(reads < ios(&f) / 8);
    ck_assert(st(&f, "pagecache.hits") > 0.9 * ios(&f));
    ck_assert_double_eq(st(&f, "storage.errors"), 0);
    stfx_free(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("storage");
    TCase *tc = tcase_create("storage");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_emulated_exits);
    tcase_add_test(tc, test_paravirt_kicks);
    tcase_add_test(tc, test_paravirt_polling);
    tcase_add_test(tc, test_devdomain_grants);
    tcase_add_test(tc, test_null_backend);
    tcase_add_test(tc, test_image_mapping);
    tcase_add_test(tc, test_sriov_vfs_carry_their_vms);
    tcase_add_test(tc, test_pcache_resident_reads);
    tcase_add_test(tc, test_pcache_hit_rate);
    tcase_add_test(tc, test_pcache_buffered_writes);
    tcase_add_test(tc, test_pcache_dirty_limit);
    tcase_add_test(tc, test_pcache_readahead);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
