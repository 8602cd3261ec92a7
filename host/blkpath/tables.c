/* The storage paths as tables (path.h). Reading a table top to bottom is reading what
 * one request costs on that path; the costs' defaults are in the platform file with
 * their sources. */
#include "host/blkpath/path.h"

#include <assert.h>
#include <stddef.h>

#include "host/cpu.h"
#include "host/hv.h"

#define END {BLK_OP_END, 0, 0, 0, 0}
#define RUN(c) {BLK_OP_RUN, BLK_PER_REQ, (c), 0, 0}
#define RUN_RUN(c) {BLK_OP_RUN, BLK_PER_RUN, (c), 0, 0}
#define RUN_WAKE(c) {BLK_OP_RUN, BLK_PER_WAKE, (c), 0, 0}
#define EXIT_N(r, n) {BLK_OP_EXIT, BLK_PER_REQ, (r), 0, (n)}
#define EXIT_WAKE_N(r, n) {BLK_OP_EXIT, BLK_PER_WAKE, (r), 0, (n)}
#define TO_STAGE(s, how) {BLK_OP_TO_STAGE, BLK_PER_REQ, (s), (how), 0}
#define DEV_SUBMIT(s) {BLK_OP_DEV_SUBMIT, BLK_PER_REQ, (s), 0, 0}
#define IMG_MAP {BLK_OP_IMG_MAP, BLK_PER_REQ, 0, 0, 0}
#define GRANT_MAP {BLK_OP_GRANT_MAP, BLK_PER_REQ, 0, 0, 0}
#define GRANT_UNMAP {BLK_OP_GRANT_UNMAP, BLK_PER_REQ, 0, 0, 0}
/* blkfront's copy through persistent grant pages: a write's data before the request
 * goes (blkif_setup_rw_req_grant), a read's after it came back (blkif_completion). */
#define PGRANT_COPY_WRITE {BLK_OP_PGRANT_COPY, BLK_PER_REQ, 1, 0, 0}
#define PGRANT_COPY_READ {BLK_OP_PGRANT_COPY, BLK_PER_REQ, 0, 0, 0}
#define DONE {BLK_OP_DONE, BLK_PER_REQ, 0, 0, 0}
#define IMG_DONE {BLK_OP_IMG_DONE, BLK_PER_REQ, 0, 0, 0}

/* Native, passthrough and SR-IOV: the job's stack over an NVMe driver on the same core
 * (the driver charges its own submission, interrupt and completion cycles). */
#define DIRECT_STAGES                                                                      \
    .nstages = 2, .stages = {                                                              \
        {.name = "job-submit", .place = BLK_PLACE_JOB, .who = CPU_GUEST,                  \
         .steps = {RUN(BLK_COST_SUBMIT), DEV_SUBMIT(1), END}},                             \
        {.name = "job-complete", .place = BLK_PLACE_JOB_IRQ, .who = CPU_GUEST,            \
         .steps = {RUN(BLK_COST_COMPLETE), DONE, END}},                                    \
    }

/* The host's part of a back end's I/O on its image file (aio=native, cache=none: an
 * io_submit of O_DIRECT I/O, the file system's mapping, the block layer, the host's
 * NVMe driver), and of its completion (the aio event, eventfd). With img.cache =
 * writeback the image step serves what the host's page cache holds, and the completion
 * fills the cache and copies a read's pages out first (engine.c). */
#define HOST_IO(next) IMG_MAP, RUN(BLK_COST_HOST_SUBMIT), DEV_SUBMIT(next)
#define HOST_COMPLETE(next)                                                                \
    {.name = "host-complete", .place = BLK_PLACE_HOST_IRQ, .who = CPU_HOST,               \
     .steps = {IMG_DONE, RUN(BLK_COST_HOST_COMPLETE), TO_STAGE((next), BLK_NOTIFY_WAKE), END}}

static const blk_path paths[BLK_PATH_KINDS] = {
    [BLK_PATH_NATIVE] = {.name = "native", .kind = BLK_PATH_NATIVE, .dev_owner = BLK_DEV_APP,
                         DIRECT_STAGES},
    [BLK_PATH_PASSTHROUGH] = {.name = "passthrough", .kind = BLK_PATH_PASSTHROUGH,
                              .dev_owner = BLK_DEV_VM, DIRECT_STAGES},
    [BLK_PATH_SRIOV] = {.name = "sriov", .kind = BLK_PATH_SRIOV, .dev_owner = BLK_DEV_VM,
                        DIRECT_STAGES},

    /* An AHCI disk emulated by QEMU without an iothread. The guest's libahci writes the
     * port's registers to issue the command (ahci_qc_issue): each access traps to QEMU
     * in user space, whose handler runs on the vCPU's thread: the command list, FIS and
     * PRDT read from guest memory, the I/O submitted to the image (check_cmd ->
     * handle_cmd -> dma_blk_io). QEMU's main loop takes the completion, posts the FIS
     * and raises the interrupt (irqfd); the guest's handler reads and clears the
     * interrupt status registers, each access a trap again. */
    /* One port's 32 command slots (AHCI 1.3.1, CAP.NCS; libahci's AHCI_MAX_CMDS) for
     * all of the VM's jobs. */
    [BLK_PATH_EMULATED] = {
        .name = "emulated", .kind = BLK_PATH_EMULATED, .dev_owner = BLK_DEV_HOST, .nstages = 5,
        .vq_slots = 32, .vq_queues = 1,
        .stages = {
            {.name = "guest-submit", .place = BLK_PLACE_JOB, .who = CPU_GUEST,
             .steps = {RUN(BLK_COST_SUBMIT), RUN(BLK_COST_AHCI_REQ),
                       EXIT_N(HV_EXIT_MMIO_USER, BLK_COST_AHCI_SUBMIT_EXITS),
                       TO_STAGE(1, BLK_NOTIFY_NONE), END}},
            {.name = "qemu-mmio", .place = BLK_PLACE_JOB, .who = CPU_HOST,
             .steps = {RUN(BLK_COST_QEMU_AHCI_CMD), HOST_IO(2), END}},
            HOST_COMPLETE(3),
            {.name = "qemu-done", .place = BLK_PLACE_BACKEND, .who = CPU_HOST,
             .steps = {RUN_RUN(BLK_COST_QEMU_RUN), RUN(BLK_COST_QEMU_AHCI_DONE),
                       TO_STAGE(4, BLK_NOTIFY_IRQFD), END}},
            {.name = "guest-complete", .place = BLK_PLACE_JOB_IRQ, .who = CPU_GUEST,
             .steps = {RUN_WAKE(BLK_COST_GUEST_IRQ),
                       EXIT_WAKE_N(HV_EXIT_MMIO_USER, BLK_COST_AHCI_IRQ_EXITS),
                       RUN(BLK_COST_AHCI_DONE), RUN(BLK_COST_COMPLETE), DONE, END}},
        }},

    /* virtio-blk with QEMU's iothread (aio=native): the guest's virtio_queue_rq adds the
     * request to the virtqueue and kicks (ioeventfd) unless the iothread runs or polls
     * (event index); the iothread pops what is queued (virtio_blk_handle_vq) and submits
     * it to the image; on completion it pushes the used entries and notifies by irqfd
     * unless the guest is still in its handler. */
    [BLK_PATH_PARAVIRT] = {
        .name = "paravirt", .kind = BLK_PATH_PARAVIRT, .dev_owner = BLK_DEV_HOST, .nstages = 5,
        /* A virtqueue per vCPU (QEMU's num-queues default since 5.2) of 256 entries
         * (queue-size, since 5.0), each request one (indirect) descriptor; virtio_blk
         * takes the virtqueue's size as its queue depth. */
        .vq_slots = 256,
        .stages = {
            {.name = "guest-submit", .place = BLK_PLACE_JOB, .who = CPU_GUEST,
             .steps = {RUN(BLK_COST_SUBMIT), RUN(BLK_COST_VIRTIO_REQ),
                       TO_STAGE(1, BLK_NOTIFY_IOEVENTFD), END}},
            {.name = "qemu-iothread", .place = BLK_PLACE_BACKEND, .who = CPU_HOST,
             .steps = {RUN_RUN(BLK_COST_QEMU_RUN), RUN(BLK_COST_QEMU_REQ), HOST_IO(2), END}},
            HOST_COMPLETE(3),
            {.name = "qemu-done", .place = BLK_PLACE_BACKEND, .who = CPU_HOST,
             .steps = {RUN_RUN(BLK_COST_QEMU_RUN), RUN(BLK_COST_QEMU_DONE),
                       TO_STAGE(4, BLK_NOTIFY_IRQFD), END}},
            {.name = "guest-complete", .place = BLK_PLACE_JOB_IRQ, .who = CPU_GUEST,
             .steps = {RUN_WAKE(BLK_COST_GUEST_IRQ), RUN(BLK_COST_VIRTIO_DONE),
                       RUN(BLK_COST_COMPLETE), DONE, END}},
        }},

    /* Xen's split block driver with the driver domain on the host's cores. blkfront
     * queues the request and notifies by event channel unless blkback is at work
     * (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY); blkback maps the request's grants
     * (xen_blkbk_map, unless persistent) and submits the bio; its completion unmaps them
     * and responds (end_block_io_op -> xen_blkbk_unmap_and_respond -> make_response)
     * with an event unless blkfront is at work; blkfront completes the request, copying
     * a read's data out of the persistent grant pages. */
    [BLK_PATH_DEVDOMAIN] = {
        .name = "devdomain", .kind = BLK_PATH_DEVDOMAIN, .dev_owner = BLK_DEV_HOST, .nstages = 4,
        /* Rings of one page (blkfront's max_ring_page_order 0: BLK_RING_SIZE 32), up to
         * 4 per disk (xen_blkif_max_queues) and no more than blkback offers, one per CPU
         * of the driver domain (xenblk_max_queues: num_online_cpus). */
        .vq_slots = 32, .vq_queues = 4, .vq_queues_by_backend = true,
        .stages = {
            {.name = "front-submit", .place = BLK_PLACE_JOB, .who = CPU_GUEST,
             .steps = {RUN(BLK_COST_SUBMIT), PGRANT_COPY_WRITE, RUN(BLK_COST_FRONT_REQ),
                       TO_STAGE(1, BLK_NOTIFY_EVTCHN), END}},
            {.name = "blkback", .place = BLK_PLACE_BACKEND, .who = CPU_HOST,
             .steps = {RUN_RUN(BLK_COST_BACK_RUN), RUN(BLK_COST_BACK_REQ), GRANT_MAP, IMG_MAP,
                       DEV_SUBMIT(2), END}},
            {.name = "blkback-done", .place = BLK_PLACE_HOST_IRQ, .who = CPU_HOST,
             .steps = {GRANT_UNMAP, RUN(BLK_COST_BACK_DONE), TO_STAGE(3, BLK_NOTIFY_EVTCHN),
                       END}},
            {.name = "front-complete", .place = BLK_PLACE_JOB_IRQ, .who = CPU_GUEST,
             .steps = {PGRANT_COPY_READ, RUN(BLK_COST_FRONT_DONE), RUN(BLK_COST_COMPLETE), DONE,
                       END}},
        }},
};

const blk_path *blk_path_get(blk_path_kind k)
{
    assert(k < BLK_PATH_KINDS);
    return &paths[k];
}

int blk_path_vq_check(const blk_path *path, unsigned jobs, unsigned iodepth,
                      unsigned backend_cpus, sim_err *e)
{
    if (!path->vq_slots)
        return 0;
    unsigned queues = path->vq_queues && path->vq_queues < jobs ? path->vq_queues : jobs;
    if (path->vq_queues_by_backend && backend_cpus < queues)
        queues = backend_cpus ? backend_cpus : 1;
    unsigned per_queue = (jobs + queues - 1) / queues;
    if ((uint64_t)per_queue * iodepth <= path->vq_slots)
        return 0;
    return sim_err_set(e,
                       "storage.path = %s: a queue of the virtual disk takes %u requests at "
                       "once; %u job(s) on it at storage.iodepth = %u would keep %llu there (a "
                       "guest's block layer holds back the rest, which the model does not)",
                       path->name, path->vq_slots, per_queue, iodepth,
                       (unsigned long long)per_queue * iodepth);
}

bool blk_path_submits_from_backend(const blk_path *path)
{
    for (unsigned i = 0; i < path->nstages; i++)
        for (const blk_step *s = path->stages[i].steps; s->op != BLK_OP_END; s++)
            if (s->op == BLK_OP_DEV_SUBMIT)
                return path->stages[i].place == BLK_PLACE_BACKEND;
    return false;
}

/* ---------------------------------------------------------------- costs */

typedef struct blk_cost_cfg {
    uint64_t v[BLK_COSTS];
    bool persistent;
} blk_cost_cfg;

#define CYC(name, def, cost, doc)                                                          \
    {name, SIM_PARAM_UINT, def, "0..1e8", "cycles", doc, SIM_AT(blk_cost_cfg, v[cost])}
#define COUNT(name, def, cost, doc)                                                        \
    {name, SIM_PARAM_UINT, def, "0..1000", "accesses", doc, SIM_AT(blk_cost_cfg, v[cost])}

/* blk.submit_cycles and blk.complete_cycles are the storage kind's (the job's own stack);
 * the rest are the paths'. */
static const sim_param_def cost_params[] = {
    CYC("img.submit_cycles", "2700", BLK_COST_HOST_SUBMIT,
        "A back end's I/O into the host kernel: io_submit, the file system's direct-I/O "
        "mapping of the image file, the block layer"),
    CYC("img.complete_cycles", "1400", BLK_COST_HOST_COMPLETE,
        "Its completion: the block layer's, the aio event and the eventfd signal to the back end"),
    CYC("vdev.guest_irq_cycles", "1000", BLK_COST_GUEST_IRQ,
        "A guest's interrupt entry and exit around a virtual disk's handler"),
    CYC("vblk.guest_req_cycles", "400", BLK_COST_VIRTIO_REQ,
        "virtio_queue_rq: the request's descriptors added to the virtqueue, the kick's check"),
    CYC("vblk.guest_done_cycles", "500", BLK_COST_VIRTIO_DONE,
        "virtblk_done per used entry: the request's completion to the block layer"),
    CYC("qemu.run_cycles", "2000", BLK_COST_QEMU_RUN,
        "QEMU's event loop per wake-up of a back end: aio_poll's dispatch to the handler"),
    CYC("qemu.vblk_req_cycles", "7800", BLK_COST_QEMU_REQ,
        "virtio-blk per request in QEMU: virtqueue_pop, virtio_blk_handle_request, the block "
        "layer's coroutine and the aio request"),
    CYC("qemu.vblk_done_cycles", "3900", BLK_COST_QEMU_DONE,
        "virtio-blk per completion in QEMU: virtio_blk_rw_complete, virtqueue_push, the "
        "irqfd's check"),
    CYC("ahci.guest_req_cycles", "1500", BLK_COST_AHCI_REQ,
        "libahci per command: ahci_qc_prep's command table and FIS, ahci_qc_issue"),
    CYC("ahci.guest_done_cycles", "800", BLK_COST_AHCI_DONE,
        "libahci per completed command: ata_qc_complete_multiple's share"),
    COUNT("ahci.submit_reg_exits", "2", BLK_COST_AHCI_SUBMIT_EXITS,
          "Register accesses libahci makes to issue a queued command (PxSACT, PxCI writes)"),
    COUNT("ahci.irq_reg_exits", "5", BLK_COST_AHCI_IRQ_EXITS,
          "Register accesses of libahci's interrupt handler (HOST_IRQ_STAT, PxIS read and "
          "clear, PxSACT)"),
    CYC("qemu.ahci_cmd_cycles", "8000", BLK_COST_QEMU_AHCI_CMD,
        "QEMU's AHCI per command: the command list, FIS and PRDT from guest memory, the "
        "block layer's request"),
    CYC("qemu.ahci_done_cycles", "4000", BLK_COST_QEMU_AHCI_DONE,
        "QEMU's AHCI per completion: the FIS written, the port's status, the interrupt raised"),
    CYC("xen.blkfront_req_cycles", "1000", BLK_COST_FRONT_REQ,
        "blkif_queue_rq per request: grant references and the ring entry"),
    CYC("xen.blkfront_done_cycles", "800", BLK_COST_FRONT_DONE,
        "blkif_interrupt per response: the request's completion"),
    CYC("xen.blkback_run_cycles", "1500", BLK_COST_BACK_RUN,
        "xen_blkif_schedule per wake-up: the ring's check"),
    CYC("xen.blkback_req_cycles", "2000", BLK_COST_BACK_REQ,
        "dispatch_rw_block_io per request: the pending request, the bio's build and submission"),
    CYC("xen.blkback_done_cycles", "1000", BLK_COST_BACK_DONE,
        "end_block_io_op and make_response per request"),
    {"xen.blk_persistent", SIM_PARAM_BOOL, "true", NULL, "",
     "blkfront and blkback keep grants mapped (feature-persistent): no map or unmap per "
     "request, a copy in blkfront instead",
     SIM_AT(blk_cost_cfg, persistent)},
};

void blk_path_register_params(sim_params *p)
{
    sim_params_add_table(p, cost_params, SIM_TABLE_LEN(cost_params));
}

void blk_path_costs_load(const sim_params *p, uint64_t cost[BLK_COSTS])
{
    blk_cost_cfg c = {.persistent = false};
    sim_params_load_table(p, cost_params, SIM_TABLE_LEN(cost_params), &c);
    for (unsigned i = 0; i < BLK_COSTS; i++)
        cost[i] = c.v[i];
}

void blk_path_grant_costs_load(const sim_params *p, blk_grant_costs *g)
{
    g->map_op_cycles = sim_params_uint(p, "xen.gmap_op_cycles");
    g->unmap_op_cycles = sim_params_uint(p, "xen.gunmap_op_cycles");
    g->flush_cycles = sim_params_uint(p, "xen.gnttab_flush_cycles");
}

bool blk_path_persistent_grants(const sim_params *p)
{
    blk_cost_cfg c = {.persistent = false};
    sim_params_load_table(p, cost_params, SIM_TABLE_LEN(cost_params), &c);
    return c.persistent;
}
