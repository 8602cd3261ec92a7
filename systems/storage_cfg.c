/* The storage kind's parameters and the configurations it refuses (storage.c has the
 * system). */
#include "systems/storage_impl.h"

#include "host/blkimg.h"
#include "host/cpu.h"
#include "host/dmaapi.h"
#include "host/nvmedrv.h"
#include "models/nvme/nvme.h"
#include "systems/platform.h"

static const sim_param_def storage_params[] = {
    {"storage.path", SIM_PARAM_ENUM, "native",
     "native|emulated|paravirt|devdomain|passthrough|sriov", "",
     "How the VMs reach the NVMe drive: bare metal; an AHCI disk QEMU emulates; virtio-blk "
     "with a QEMU iothread; a Xen driver domain (blkfront, blkback); the whole drive assigned "
     "to one VM; a VF per VM. The first three reach a disk image on the host's namespace",
     SIM_AT(storage_cfg, path)},
    {"storage.rw", SIM_PARAM_ENUM, "randread", "randread|randwrite|read|write|randrw", "",
     "The jobs' pattern, as fio's rw", SIM_AT(storage_cfg, rw)},
    {"storage.rwmix_read_pct", SIM_PARAM_UINT, "70", "0..100", "%",
     "randrw: the share of reads (fio's rwmixread)", SIM_AT(storage_cfg, rwmix_read_pct)},
    {"storage.bs_bytes", SIM_PARAM_UINT, "4KiB", "512..16MiB", "bytes",
     "Bytes per I/O (fio's bs): a multiple of the disk's block, at most the drive's largest "
     "transfer",
     SIM_AT(storage_cfg, bs_bytes)},
    {"storage.iodepth", SIM_PARAM_UINT, "1", "1..4094", "I/Os",
     "I/Os each job keeps in flight (fio's iodepth)", SIM_AT(storage_cfg, iodepth)},
    {"storage.jobs", SIM_PARAM_UINT, "1", "1..64", "jobs",
     "Jobs per VM (native: per group), each a thread on a core of its own (a vCPU in a VM) "
     "with its own queue on the device it sees (fio's numjobs)",
     SIM_AT(storage_cfg, jobs)},
    {"storage.vms", SIM_PARAM_UINT, "1", "1..64", "VMs",
     "VMs, each with storage.jobs jobs and its own disk: a namespace under sriov, an image "
     "otherwise (native: groups of jobs on the host)",
     SIM_AT(storage_cfg, vms)},
    {"storage.rate_iops", SIM_PARAM_DOUBLE, "0", "0..1e9", "I/Os per second",
     "Each job's offered rate (fio's rate_iops), within its iodepth; 0: as fast as its "
     "iodepth allows",
     SIM_AT(storage_cfg, rate_iops)},
    {"storage.span_bytes", SIM_PARAM_UINT, "0", "0..1024TiB", "bytes",
     "The part of each VM's disk the jobs address (fio's size); 0: the whole disk",
     SIM_AT(storage_cfg, span_bytes)},
    {"storage.host_cores", SIM_PARAM_UINT, "2", "1..1024", "cores",
     "Cores kept for the host (its NVMe driver, the VMs' back ends) when the jobs run in "
     "VMs; the VMs' vCPUs take the cores after them",
     SIM_AT(storage_cfg, host_cores)},
    {"blk.submit_cycles", SIM_PARAM_UINT, "2700", "0..1e8", "cycles",
     "Per I/O before the driver: fio's and libaio's user part, io_submit's system call and "
     "the block layer's submission (bio, blk-mq tag and dispatch)",
     SIM_AT(storage_cfg, submit_cycles)},
    {"blk.complete_cycles", SIM_PARAM_UINT, "1400", "0..1e8", "cycles",
     "Per I/O after the driver: the block layer's completion, the aio event and "
     "io_getevents' return to fio (the blocked thread's wake-up is cpu.wakeup_cycles)",
     SIM_AT(storage_cfg, complete_cycles)},
    {"qemu.poll_ns", SIM_PARAM_DOUBLE, "32768", "0..1e9", "ns",
     "How long a QEMU iothread polls after its work before it sleeps (its poll-max-ns; "
     "notifications from the guest are off meanwhile)",
     SIM_AT(storage_cfg, poll_ns)},
};

void storage_register_params(sim_params *p)
{
    sim_params_add_table(p, storage_params, SIM_TABLE_LEN(storage_params));
}

storage_cfg storage_cfg_load(const sim_params *p)
{
    storage_cfg c;
    sim_params_load_table(p, storage_params, SIM_TABLE_LEN(storage_params), &c);
    return c;
}

bool storage_via_backend(uint32_t path)
{
    return blk_path_get((blk_path_kind)path)->dev_owner == BLK_DEV_HOST;
}

bool storage_in_vm(uint32_t path) { return path != BLK_PATH_NATIVE; }

unsigned storage_first_job_core(const storage_cfg *c)
{
    return storage_in_vm(c->path) ? c->host_cores : 0;
}

uint64_t storage_vm_base(const storage_cfg *c, unsigned i)
{
    return storage_in_vm(c->path) ? PLATFORM_VM_BASE + (uint64_t)i * PLATFORM_VM_SPAN
                                  : PLATFORM_HOST_BASE + (uint64_t)i * PLATFORM_VM_SPAN;
}

unsigned storage_drv_queues(const storage_cfg *c)
{
    if (c->path == BLK_PATH_NATIVE)
        return c->vms * c->jobs;
    return storage_via_backend(c->path) ? c->host_cores + c->vms * c->jobs : c->jobs;
}

pcache_env storage_pcache_env(const storage_cfg *c, const sim_params *p)
{
    nvme_caps k = nvme_caps_of(p);
    blk_img *g = blk_img_create(p, c->vms, k.lba_bytes);
    pcache_env pe = {.vms = c->vms,
                     .img_bytes = blk_img_bytes(g),
                     .max_io_bytes = (uint32_t)k.max_transfer_bytes,
                     .io_bytes = (uint32_t)c->bs_bytes,
                     .inflight = (uint64_t)c->vms * c->jobs * c->iodepth,
                     .mem_base = PLATFORM_PCACHE_BASE};
    blk_img_destroy(g);
    return pe;
}

/* The host's page cache: QEMU's back ends only (Xen's blkback submits bios, no file),
 * its pages whole pages of the images, the page cache's own requests room in the host's
 * queues beside the VMs'. */
static int check_pcache(const storage_cfg *c, const sim_params *p, uint32_t entries,
                        unsigned per_core, sim_err *e)
{
    if (c->path == BLK_PATH_DEVDOMAIN)
        return sim_err_set(e, "img.cache = writeback with storage.path = devdomain: Xen's blkback "
                              "submits bios to the device, not through the host's page cache "
                              "(img.cache = none)");
    pcache_env pe = storage_pcache_env(c, p);
    if (pe.img_bytes % PCACHE_PAGE_BYTES)
        return sim_err_set(e, "img.bytes = %llu with img.cache = writeback: a multiple of the "
                              "page cache's %u-byte pages",
                           (unsigned long long)pe.img_bytes, PCACHE_PAGE_BYTES);
    /* A queue takes its back ends' requests and as many background readaheads, and the
     * flusher's writeback (blk-wbt's 8 at most, on the last host core). */
    uint64_t need = 2ull * per_core * c->jobs * c->iodepth + 8;
    if (need > entries - 1)
        return sim_err_set(e,
                           "img.cache = writeback: up to %llu requests on a host queue (the "
                           "back ends' storage.jobs = %u x storage.iodepth = %u, as many "
                           "readaheads and 8 writebacks), more than a queue of %u entries "
                           "holds (nvmedrv.queue_entries)",
                           (unsigned long long)need, c->jobs, c->iodepth, entries);
    return pcache_check(p, &pe, e);
}

/* The SR-IOV pools: each VF's queue pairs and vectors (an admin pair and vector, one per
 * job) within a VF's maximum, all of them within the drive's flexible resources; a
 * namespace per VM. */
static int check_sriov(const storage_cfg *c, const nvme_caps *k, sim_err *e)
{
    unsigned vq = c->jobs + 1, vi = c->jobs + 1;
    if (c->vms > k->max_vfs)
        return sim_err_set(e, "storage.vms = %u VFs: the drive has nvme.max_vfs = %u", c->vms,
                           k->max_vfs);
    if (c->vms > k->namespaces)
        return sim_err_set(e,
                           "storage.vms = %u: each VM needs a namespace of its own, "
                           "nvme.namespaces = %u",
                           c->vms, k->namespaces);
    if (vq > k->vf_max_queues || vi > k->vf_max_vectors)
        return sim_err_set(e,
                           "storage.jobs = %u needs %u queue pairs and %u vectors per VF "
                           "(an admin pair and vector included): above nvme.vf_max_queues = "
                           "%u or nvme.vf_max_vectors = %u",
                           c->jobs, vq, vi, k->vf_max_queues, k->vf_max_vectors);
    if ((uint64_t)vq * c->vms > k->flex_queues || (uint64_t)vi * c->vms > k->flex_vectors)
        return sim_err_set(e,
                           "storage.vms = %u VFs x %u queue pairs and vectors over-commit the "
                           "drive's flexible resources (nvme.flex_queues = %u, "
                           "nvme.flex_vectors = %u)",
                           c->vms, vq, k->flex_queues, k->flex_vectors);
    return 0;
}

int storage_check(const sim_params *p, sim_err *e)
{
    storage_cfg c = storage_cfg_load(p);
    if (platform_check(p, e) < 0 || nvme_check(p, PLATFORM_DEVICE_RID, e) < 0 ||
        iommu_dma_check(p, e) < 0)
        return -1;
    iommu_dma_cfg dc;
    iommu_dma_config(p, &dc);
    if (!storage_in_vm(c.path) || storage_via_backend(c.path))
        if (dc.mode >= IOMMU_DMA_STRICT)
            return sim_err_set(e, "iommu.mode strict or lazy: the host's NVMe driver maps its "
                                  "buffers in pass-through only so far (iommu.mode = off or pt)");
    nvme_caps k = nvme_caps_of(p);
    cpu_cfg cc = cpu_cfg_load(p);
    unsigned jobs = c.vms * c.jobs, need = storage_first_job_core(&c) + jobs;
    if (need > cc.cores)
        return sim_err_set(e,
                           "storage.vms = %u x storage.jobs = %u jobs%s need %u cores; "
                           "cpu.cores = %u",
                           c.vms, c.jobs, storage_in_vm(c.path) ? " after storage.host_cores" : "",
                           need, cc.cores);
    if (storage_drv_queues(&c) > NVME_DRV_MAX_QUEUES)
        return sim_err_set(e, "%u I/O queues for one driver: at most %u", storage_drv_queues(&c),
                           NVME_DRV_MAX_QUEUES);
    uint32_t block = storage_via_backend(c.path) ? BLK_IMG_SECTOR_BYTES : k.lba_bytes;
    if (c.bs_bytes % block || c.bs_bytes % k.lba_bytes || c.bs_bytes > k.max_transfer_bytes)
        return sim_err_set(e,
                           "storage.bs_bytes = %llu: a multiple of nvme.lba_bytes = %u and "
                           "at most nvme.max_transfer_bytes = %llu",
                           (unsigned long long)c.bs_bytes, k.lba_bytes,
                           (unsigned long long)k.max_transfer_bytes);
    uint32_t entries = nvme_drv_queue_entries(p);
    if (c.iodepth > entries - 1)
        return sim_err_set(e,
                           "storage.iodepth = %u: a queue of %u entries takes at most %u "
                           "(nvmedrv.queue_entries, capped by nvme.max_queue_entries)",
                           c.iodepth, entries, entries - 1);
    if (blk_path_vq_check(blk_path_get(c.path), c.jobs, c.iodepth, c.host_cores, e) < 0)
        return -1;
    /* Back ends share their core's host queue: VM i's is core i mod storage.host_cores. */
    unsigned per_core = (c.vms + c.host_cores - 1) / c.host_cores;
    if (blk_path_submits_from_backend(blk_path_get(c.path)) &&
        (uint64_t)per_core * c.jobs * c.iodepth > entries - 1)
        return sim_err_set(e,
                           "storage.vms = %u on storage.host_cores = %u: up to %u back ends "
                           "share a host queue, %u x storage.jobs = %u x storage.iodepth = %u "
                           "= %llu requests, more than a queue of %u entries holds (%u; "
                           "nvmedrv.queue_entries)",
                           c.vms, c.host_cores, per_core, per_core, c.jobs, c.iodepth,
                           (unsigned long long)per_core * c.jobs * c.iodepth, entries, entries - 1);
    if (storage_via_backend(c.path) && blk_img_check(p, c.vms, k.ns_bytes, k.lba_bytes, e) < 0)
        return -1;
    if (storage_via_backend(c.path)) {
        blk_img *g = blk_img_create(p, c.vms, k.lba_bytes);
        bool cached = blk_img_cached(g);
        blk_img_destroy(g);
        if (cached && check_pcache(&c, p, entries, per_core, e) < 0)
            return -1;
    }
    uint64_t disk = k.ns_bytes;
    if (storage_via_backend(c.path)) {
        blk_img *g = blk_img_create(p, c.vms, k.lba_bytes);
        disk = blk_img_bytes(g);
        blk_img_destroy(g);
    }
    if (c.span_bytes > disk || (c.span_bytes ? c.span_bytes : disk) < c.bs_bytes)
        return sim_err_set(e,
                           "storage.span_bytes = %llu: between storage.bs_bytes and the "
                           "VM's disk of %llu bytes",
                           (unsigned long long)c.span_bytes, (unsigned long long)disk);
    /* A VM's (native: the host's) memory holds its driver's queues and its jobs' buffers. */
    unsigned span_jobs = c.path == BLK_PATH_NATIVE ? jobs : c.jobs;
    uint64_t need_bytes = nvme_drv_mem_bytes(p, storage_drv_queues(&c)) +
                          (uint64_t)span_jobs * c.iodepth * c.bs_bytes;
    if (need_bytes > PLATFORM_VM_SPAN)
        return sim_err_set(e,
                           "storage.iodepth = %u x storage.bs_bytes = %llu per job and the "
                           "driver's queues need %llu bytes: more than a VM's %llu",
                           c.iodepth, (unsigned long long)c.bs_bytes,
                           (unsigned long long)need_bytes, (unsigned long long)PLATFORM_VM_SPAN);
    if (c.path == BLK_PATH_PASSTHROUGH && c.vms != 1)
        return sim_err_set(e,
                           "storage.path = passthrough assigns the whole drive to one VM: "
                           "storage.vms = %u",
                           c.vms);
    if (c.path == BLK_PATH_SRIOV)
        return check_sriov(&c, &k, e);
    return 0;
}
