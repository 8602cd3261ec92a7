/* Linux's NVMe PCI driver (drivers/nvme/host/pci.c) bound to one function of the drive
 * (models/nvme/nvme.h): the host's driver on the PF, or a guest's on an assigned PF or
 * VF. It talks to the controller only as the specification allows: registers and
 * doorbells by MMIO through the root complex, queues and commands as bytes in memory.
 *
 * Probe (nvme_reset_work): the admin queue (AQA, ASQ, ACQ, CC.EN, then CSTS.RDY read),
 * Identify Controller and Namespace, Set Features Number of Queues for the I/O queues
 * wanted, then for each I/O queue Create I/O Completion Queue on its own MSI-X vector
 * (vector q for queue q, the admin queue on vector 0, as queue_irq_offset places them)
 * and Create I/O Submission Queue (nvme_create_io_queues); then the admin commands the
 * owner queued (a PF driver's Virtualization Management and Namespace Attachment). Each
 * admin command waits for its completion (the admin queue's interrupt). The ready
 * callback says when the driver is up, or why it is not.
 *
 * I/O (nvme_queue_rq): the 64-byte entry written at the queue's tail, PRPs from the
 * buffer (PRP1 and PRP2, or a PRP list from the slot's list page when the data spans
 * more than two pages: nvme_pci_setup_prps), and the tail doorbell written when the
 * request is the last of its batch (bd->last, nvme_write_sq_db). At most entries - 1
 * requests are outstanding on a queue (blk-mq's tags), so its rings never overflow.
 * Completion (nvme_irq -> nvme_process_cq): every entry whose phase tag is new, each
 * request completed through the done callback, then one head doorbell for them all.
 *
 * Costs: nvmedrv.submit_cycles per request (nvme_queue_rq with its DMA mapping),
 * nvmedrv.irq_cycles per interrupt (entry, nvme_irq, exit), nvmedrv.cqe_cycles per
 * completion entry (nvme_handle_cqe, the request's unmap and blk_mq_complete_request),
 * run through the owner's CPU hook on the queue's core; an interrupt's work is urgent.
 * The doorbells are posted MMIO writes from the end of that work. The block layer above
 * (blk-mq's submission and completion) is the caller's. */
#ifndef HOST_NVMEDRV_H
#define HOST_NVMEDRV_H

#include <stdbool.h>
#include <stdint.h>

#include "models/mem/physmem.h"
#include "models/nvme/nvme.h"
#include "models/pcie/rc.h"
#include "sim/kernel.h"
#include "sim/params.h"
#include "sim/stats.h"

#define NVME_DRV_MAX_QUEUES 64u

typedef struct nvme_drv nvme_drv;

/* Work of `cycles` for queue qid (0: the admin queue) from t_ps, urgent in interrupt
 * context: returns when it is done. */
typedef uint64_t (*nvme_drv_cpu_fn)(void *ctx, unsigned qid, uint64_t t_ps, uint64_t cycles,
                                    bool urgent);
/* A request completed at t_ps (its entry handled) with the entry's status field. */
typedef void (*nvme_drv_done_fn)(void *ctx, unsigned qid, uint64_t cookie, uint16_t status,
                                 uint64_t t_ps);
/* The probe ended at t_ps: error NULL when the driver is up. */
typedef void (*nvme_drv_ready_fn)(void *ctx, uint64_t t_ps, const char *error);

typedef struct nvme_drv_env {
    sim_kernel *kernel;
    nvme *dev;
    pcie_rc *rc;
    mem_phys *pm;
    unsigned fn;        /* the function it binds */
    uint32_t nsid;      /* the namespace its requests address */
    unsigned io_queues; /* wanted, 1 .. NVME_DRV_MAX_QUEUES */
    /* Its memory (queues, PRP lists, Identify data), as the function addresses it. */
    uint64_t mem_base, mem_bytes;
    /* MSI-X message of vector v: where the owner's interrupt routing expects it. */
    uint64_t msi_addr[NVME_DRV_MAX_QUEUES + 1];
    uint32_t msi_data[NVME_DRV_MAX_QUEUES + 1];
    nvme_drv_cpu_fn cpu;
    nvme_drv_done_fn done;
    nvme_drv_ready_fn ready;
    void *ctx;
    sim_stats *stats;         /* its counters as PREFIX.* (NULL: not registered) */
    const char *stats_prefix; /* "nvmedrv.host", "nvmedrv.vm0" */
} nvme_drv_env;

void nvme_drv_register_params(sim_params *p);
/* The memory a driver with `io_queues` queues needs (nvme_drv_env.mem_bytes), and the
 * entries of its I/O queues (nvmedrv.queue_entries capped by the drive's). */
uint64_t nvme_drv_mem_bytes(const sim_params *p, unsigned io_queues);
uint32_t nvme_drv_queue_entries(const sim_params *p);
nvme_drv *nvme_drv_create(const sim_params *p, const nvme_drv_env *env);
void nvme_drv_destroy(nvme_drv *d);

/* Admin commands the probe runs after the I/O queues exist, in order: a Virtualization
 * Management action (act, rt) on secondary controller `ctrl` with nr resources, or the
 * attachment of namespace nsid to controller `ctrl`. Call before nvme_drv_probe. */
void nvme_drv_queue_virt(nvme_drv *d, unsigned act, unsigned rt, unsigned ctrl, unsigned nr);
void nvme_drv_queue_attach(nvme_drv *d, uint32_t nsid, unsigned ctrl);
/* Starts the probe at t_ps (MSI-X must be enabled on the function, as pci_alloc_irq_vectors
 * does: nvme_drv_probe enables it). */
void nvme_drv_probe(nvme_drv *d, uint64_t t_ps);

/* I/O queues the controller granted (valid once ready), the namespace's blocks and
 * block size, the largest request. */
unsigned nvme_drv_io_queues(const nvme_drv *d);
uint64_t nvme_drv_ns_blocks(const nvme_drv *d);
uint32_t nvme_drv_lba_bytes(const nvme_drv *d);
uint64_t nvme_drv_max_transfer_bytes(const nvme_drv *d);
/* Requests queue qid can take now. */
unsigned nvme_drv_room(const nvme_drv *d, unsigned qid);

typedef struct nvme_drv_req {
    bool write;
    uint64_t slba;
    uint32_t nlb;
    uint64_t buf;    /* the data, contiguous, page aligned */
    uint64_t cookie; /* given back at completion */
} nvme_drv_req;

/* nvme_queue_rq on queue qid (1 ..) from t_ps; `last` ends a batch (rings the doorbell).
 * Returns when the driver's work is done; -1 as *ok false when the queue is full. */
uint64_t nvme_drv_submit(nvme_drv *d, unsigned qid, uint64_t t_ps, const nvme_drv_req *r,
                         bool last, bool *ok);
/* The handler of vector v starts at t_ps. Returns when it is done. */
uint64_t nvme_drv_irq(nvme_drv *d, unsigned v, uint64_t t_ps);

typedef struct nvme_drv_counters {
    uint64_t submits, completions, irqs, spurious_irqs, sq_doorbells, cq_doorbells, errors;
} nvme_drv_counters;
nvme_drv_counters nvme_drv_get_counters(const nvme_drv *d);

#endif
