/* The storage paths as data: how one block request travels from a job's system call to
 * the drive and back, for each way a VM reaches storage. A path is a table of stages;
 * a stage is where a piece of the journey runs (the job's thread on its vCPU or core,
 * that vCPU's interrupt handler, the VM's back-end thread, the host's interrupt handler
 * of its NVMe driver) and the steps it takes there: cycles of a named cost, VM exits,
 * grant operations, copies, hand-offs to the next stage with a notification, the
 * submission to an NVMe driver, and the application's completion. One engine
 * (host/blkpath/engine.c) interprets every table; timing comes only from the models the
 * steps cross (cores, exits, interrupts, the driver, PCIe, the IOMMU, the media). This is
 * the block-request counterpart of the network paths' tables (host/iopath/path.h), with
 * the same notification mechanisms and costs.
 *
 * Entries: a request enters at stage 0 on the job's thread; the drive's completion of a
 * DEV_SUBMIT enters the stage the step names, in the interrupt handler of the driver's
 * queue (the job's vCPU for a VM's own driver, a host core for the host's). */
#ifndef HOST_BLKPATH_PATH_H
#define HOST_BLKPATH_PATH_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/params.h"

typedef enum blk_path_kind {
    BLK_PATH_NATIVE = 0,
    BLK_PATH_EMULATED,
    BLK_PATH_PARAVIRT,
    BLK_PATH_DEVDOMAIN,
    BLK_PATH_PASSTHROUGH,
    BLK_PATH_SRIOV,
    BLK_PATH_KINDS
} blk_path_kind;

/* Who drives the NVMe function the requests reach. */
typedef enum blk_dev_owner {
    BLK_DEV_APP,   /* native: the host's driver, a queue per job's core */
    BLK_DEV_VM,    /* the VM's own driver (passthrough: the PF; sriov: its VF) */
    BLK_DEV_HOST,  /* the host's (or driver domain's) driver, for the VMs' back ends */
} blk_dev_owner;

typedef enum blk_place {
    BLK_PLACE_JOB,     /* the job's thread on its core (a VM's vCPU) */
    BLK_PLACE_JOB_IRQ, /* that core's interrupt handler: a device's or a virtual interrupt */
    BLK_PLACE_BACKEND, /* the VM's back-end thread: QEMU's main loop or iothread, blkback */
    BLK_PLACE_HOST_IRQ, /* the host's interrupt handler of its driver's queue */
} blk_place;

typedef enum blk_op {
    BLK_OP_END = 0,
    BLK_OP_RUN,         /* cycles of cost `arg` */
    BLK_OP_EXIT,        /* the VM exits for reason `arg`, `n` (a cost giving a count) times */
    BLK_OP_TO_STAGE,    /* hand to stage `arg`, notified by `notify` */
    BLK_OP_DEV_SUBMIT,  /* to the NVMe driver (the owner's, blk_dev_owner); its completion
                           enters stage `arg` */
    BLK_OP_IMG_MAP,     /* the back end's image file: the VM's block number becomes the
                           image's place on the host's namespace (host/blkimg.h) */
    BLK_OP_GRANT_MAP,   /* Xen: the back end maps the request's pages (one operation per
                           page, one hypercall), unless the grants are persistent */
    BLK_OP_GRANT_UNMAP, /* and unmaps them (operations, a TLB flush), unless persistent */
    BLK_OP_PGRANT_COPY, /* Xen persistent grants: a copy of the request's data between its
                           pages and the persistent grant pages (blkfront's memcpy) */
    BLK_OP_DONE,        /* the application has the completion */
    BLK_OP_IMG_DONE,    /* the image's part of the drive's completion: with the host's page
                           cache (img.cache = writeback), a read's pages up to date and
                           copied to the back end's buffer; nothing with O_DIRECT */
} blk_op;

typedef enum blk_when {
    BLK_PER_REQ = 0, /* every request */
    BLK_PER_RUN,     /* once per activation of the stage (a batch) */
    BLK_PER_WAKE,    /* once per notification or interrupt that started the stage */
} blk_when;

/* How a hand-off tells the next stage (engine.c). A notification is sent only when the
 * receiver sleeps: a running or polling stage picks new requests up itself (virtio's
 * event index, Xen's RING_PUSH_..._AND_CHECK_NOTIFY). */
typedef enum blk_notify {
    BLK_NOTIFY_NONE = 0,  /* none: the same thread goes on (a trapped access's handler) */
    BLK_NOTIFY_IOEVENTFD, /* a guest's kick: an exit handled in the host kernel, an
                             ioeventfd signal, the back-end thread wakes */
    BLK_NOTIFY_WAKE,      /* host context to a host thread: a signal, a wake-up */
    BLK_NOTIFY_IRQFD,     /* host thread to a guest: irqfd, a virtual interrupt and EOI */
    BLK_NOTIFY_EVTCHN,    /* Xen event channel: a hypercall by the sender, an upcall to
                             the receiving domain (a thread's wake-up in the back end's) */
} blk_notify;

/* Named costs, each a parameter (tables.c registers them). */
typedef enum blk_cost {
    BLK_COST_NONE = 0,
    BLK_COST_SUBMIT,         /* blk.submit_cycles: the job, system call, block layer */
    BLK_COST_COMPLETE,       /* blk.complete_cycles: completion up to the job */
    BLK_COST_HOST_SUBMIT,    /* img.submit_cycles: a back end's I/O into the host's kernel */
    BLK_COST_HOST_COMPLETE,  /* img.complete_cycles: its completion back to the back end */
    BLK_COST_GUEST_IRQ,      /* vdev.guest_irq_cycles: a guest's interrupt entry and exit */
    BLK_COST_VIRTIO_REQ,     /* vblk.guest_req_cycles */
    BLK_COST_VIRTIO_DONE,    /* vblk.guest_done_cycles */
    BLK_COST_QEMU_RUN,       /* qemu.run_cycles */
    BLK_COST_QEMU_REQ,       /* qemu.vblk_req_cycles */
    BLK_COST_QEMU_DONE,      /* qemu.vblk_done_cycles */
    BLK_COST_AHCI_REQ,       /* ahci.guest_req_cycles */
    BLK_COST_AHCI_DONE,      /* ahci.guest_done_cycles */
    BLK_COST_AHCI_SUBMIT_EXITS, /* ahci.submit_reg_exits */
    BLK_COST_AHCI_IRQ_EXITS, /* ahci.irq_reg_exits */
    BLK_COST_QEMU_AHCI_CMD,  /* qemu.ahci_cmd_cycles */
    BLK_COST_QEMU_AHCI_DONE, /* qemu.ahci_done_cycles */
    BLK_COST_FRONT_REQ,      /* xen.blkfront_req_cycles */
    BLK_COST_FRONT_DONE,     /* xen.blkfront_done_cycles */
    BLK_COST_BACK_RUN,       /* xen.blkback_run_cycles */
    BLK_COST_BACK_REQ,       /* xen.blkback_req_cycles */
    BLK_COST_BACK_DONE,      /* xen.blkback_done_cycles */
    BLK_COSTS
} blk_cost;

typedef struct blk_step {
    uint8_t op;     /* blk_op */
    uint8_t when;   /* blk_when */
    uint8_t arg;    /* cost, exit reason or stage */
    uint8_t notify; /* blk_notify (TO_STAGE) */
    uint8_t n;      /* a cost giving a repeat count (EXIT); 0: once */
} blk_step;

#define BLK_MAX_STEPS 10
#define BLK_MAX_STAGES 8

typedef struct blk_stage {
    const char *name;
    uint8_t place; /* blk_place */
    uint8_t who;   /* cpu_who */
    blk_step steps[BLK_MAX_STEPS];
} blk_stage;

typedef struct blk_path {
    const char *name;
    blk_path_kind kind;
    uint8_t dev_owner; /* blk_dev_owner */
    /* A virtual disk's queues: the requests each takes at once (0: the guest drives an
     * NVMe function, whose queues are nvmedrv.queue_entries), and how many a VM's disk
     * has (0: one per job, a queue per vCPU), the jobs spread over them. The guest's
     * block layer would hold back requests beyond a queue's slots; the model refuses
     * such a depth instead (blk_path_vq_check). */
    uint16_t vq_slots;
    uint8_t vq_queues;
    bool vq_queues_by_backend; /* at most one per CPU of the back end's domain, too */
    uint8_t nstages;
    blk_stage stages[BLK_MAX_STAGES];
} blk_path;

const blk_path *blk_path_get(blk_path_kind k);
/* Whether the path's I/O reaches the driver from its back-end thread (whose core's queue
 * then takes the requests of every VM whose back end runs there). */
bool blk_path_submits_from_backend(const blk_path *path);
/* Whether jobs jobs per VM, iodepth each, fit the path's virtual queues (backend_cpus:
 * the back end's CPUs); else a message. */
int blk_path_vq_check(const blk_path *path, unsigned jobs, unsigned iodepth,
                      unsigned backend_cpus, sim_err *e);
void blk_path_register_params(sim_params *p);
/* Each named cost's value (cycles or a count), by blk_cost. */
void blk_path_costs_load(const sim_params *p, uint64_t cost[BLK_COSTS]);
/* Xen's grant operations, the hypervisor's costs whichever driver asks for them: the
 * parameters xen.gmap_op_cycles, xen.gunmap_op_cycles and xen.gnttab_flush_cycles, which
 * the network paths register with their sources (host/iopath/tables.c). */
typedef struct blk_grant_costs {
    uint64_t map_op_cycles, unmap_op_cycles, flush_cycles;
} blk_grant_costs;
void blk_path_grant_costs_load(const sim_params *p, blk_grant_costs *g);
/* Xen: whether blkfront and blkback use persistent grants (xen.blk_persistent). */
bool blk_path_persistent_grants(const sim_params *p);

#endif
