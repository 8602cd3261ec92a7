/* An NVMe SSD controller with SR-IOV (NVM Express Base Specification 1.4; registers,
 * entry formats and codes in nvme_regs.h), in front of the flash media of
 * models/flash/flash.h.
 *
 * Functions. The PF is the primary controller (controller ID 0); VF i is secondary
 * controller i + 1 at routing ID PF + First VF Offset + i x VF Stride, present while the
 * PF's SR-IOV capability (models/pcie/sriov.h) has VF Enable set. Every function has
 * its own BAR0 (registers, doorbells, MSI-X table and PBA), its own DMA engine
 * (requester ID) on the drive's one PCIe link, and its own queues and vectors.
 *
 * Virtualization (8.5): queue pairs (VQ resources, the admin queue pair included) and
 * interrupt vectors (VI resources) come from pools. The primary keeps nvme.pf_queues
 * and nvme.pf_vectors of its own (private); nvme.flex_queues and nvme.flex_vectors
 * are flexible, assigned to secondary controllers by the primary's Virtualization
 * Management command (Secondary Controller Assign, at most nvme.vf_max_queues and
 * nvme.vf_max_vectors each, only while the secondary is Offline). A secondary works
 * once Online (it needs at least 2 VQ and 1 VI resources); a host that enables an
 * Offline secondary finds Controller Fatal Status set and its register writes ignored
 * (QEMU's nvme_ctrl_reset and nvme_mmio_write). An assignment above the per-secondary
 * maximum is refused with Invalid Number of Controller Resources, one the pool cannot
 * cover with Invalid Resource Identifier (QEMU's nvme_assign_virt_res_to_sec); neither
 * changes anything.
 *
 * Namespaces: nvme.namespaces equal slices of the media, of nvme.lba_bytes blocks,
 * attached at power-on to the primary only. The primary's Namespace Attachment command
 * attaches or detaches them to or from any controller; a controller can address only the
 * namespaces attached to it (Invalid Namespace or Format otherwise), and block N of a
 * namespace is media byte (namespace start + N x nvme.lba_bytes).
 *
 * Queues and commands: submission and completion queues are rings in host memory whose
 * entries are real bytes (models/mem/physmem.h): the controller reads submission
 * entries and PRP lists with DMA that carries their contents, and writes completion
 * entries the same way, with the phase tag the host polls. A submission queue tail
 * doorbell makes the controller fetch the new entries (one DMA read, two when they wrap)
 * at the doorbell's arrival. Read: the media read (flash_read), then, when the media
 * has the data, the data written to the PRP pages (MPS-sized posted writes), then the
 * completion. Write: the data read
 * from the PRP pages (MRRS-sized reads), the media write (flash_write: the write buffer
 * or the program), then the completion. Flush: flash_flush. A PRP list is read when the
 * data spans more than two pages. A completion entry is posted in the order commands
 * complete, no earlier than the data it reports on reaches memory; its bytes land one
 * link-and-root-complex traversal after the command's completion (later under
 * contention, when the host sees them before the DMA's booked arrival). A completion
 * queue that is full holds further entries until its head doorbell frees room.
 *
 * Interrupts: each completion queue created with interrupts enabled signals its MSI-X
 * vector after each completion, or, where software set Interrupt Coalescing (Feature
 * 08h: a threshold of entries and a time in 100 us units) and did not disable it for
 * the vector (Feature 09h), after the threshold's entries or the time after the first,
 * whichever comes first; the admin queue's is never coalesced. Masked vectors hold the
 * message pending (models/pcie/msix.h).
 *
 * Timing is by reservation: kernel events only where the controller must act later
 * (a submission doorbell's arrival, a Read's data ready in the controller, a command's
 * completion, a coalescing timer), in one model-owned queue behind one kernel event. A
 * Read's data transfer is booked when its data is ready, not at the fetch: booked far
 * ahead, transfers would take the link in fetch order and leave it idle between them. Admin commands take their DMA and no
 * firmware time (configuration happens before a measurement window); I/O commands
 * take the media's time and their DMA.
 *
 * Host and guest mistakes are counted, never fatal: a doorbell for no queue or beyond
 * its ring (bad_doorbell), a register access that hits nothing (bad_mmio), a command
 * with a bad opcode, field, namespace, LBA range or PRP offset (completed with that
 * status, counted in cmd_errors), DMA refused by the IOMMU (a Write's data read:
 * Data Transfer Error; a Read's posted data writes are dropped by the root complex,
 * which counts them, and the command completes). */
#ifndef MODELS_NVME_NVME_H
#define MODELS_NVME_NVME_H

#include <stdbool.h>
#include <stdint.h>

#include "models/pcie/cfgspace.h"
#include "models/pcie/link.h"
#include "models/pcie/rc.h"
#include "sim/err.h"
#include "sim/kernel.h"
#include "sim/params.h"
#include "sim/stats.h"

#define NVME_PF 0u
#define NVME_FN_OF_VF(vf) (1u + (vf))

typedef struct nvme nvme;

/* What the drive is plugged into. pf_rid is the PF's routing ID on bus. */
typedef struct nvme_env {
    sim_kernel *kernel;
    sim_stats *stats;
    pcie_link *link;
    pcie_rc *rc;
    pcie_cfg_bus *bus;
    uint16_t pf_rid;
} nvme_env;

/* Per-function counters (also statistics nvme.pf.* and nvme.vfN.*). */
typedef struct nvme_fn_counters {
    uint64_t reads, writes, flushes;     /* I/O commands completed */
    uint64_t read_bytes, write_bytes;    /* data they moved */
    uint64_t admin_cmds;                 /* admin commands completed */
    uint64_t sqe_fetches;                /* submission entry fetch reads */
    uint64_t prp_list_reads;             /* PRP list reads */
    uint64_t cqes;                       /* completion entries posted */
    uint64_t irqs;                       /* MSI-X messages sent */
    uint64_t doorbells;                  /* doorbell writes */
    uint64_t cq_full_waits;              /* completions held by a full completion queue */
    uint64_t cmd_errors;                 /* commands completed with an error status */
    uint64_t dma_errors;                 /* data reads refused (Unsupported Request) */
    uint64_t bad_doorbell;               /* doorbells for no queue, or beyond the ring */
    uint64_t bad_mmio;                   /* accesses to no register */
    uint64_t offline_mmio;               /* accesses to an Offline secondary (ignored) */
    uint64_t fatal;                      /* Controller Fatal Status raised */
} nvme_fn_counters;

void nvme_register_params(sim_params *p);
/* Cross-parameter checks of nvme.*: pools, namespaces against the media's capacity,
 * the last VF's routing ID with the PF at pf_rid, the link's MPS. */
int nvme_check(const sim_params *p, uint16_t pf_rid, sim_err *e);

/* The drive's dimensions as its parameters set them, before a drive exists. */
typedef struct nvme_caps {
    unsigned max_vfs;
    unsigned pf_queues, pf_vectors;     /* private resources of the primary */
    unsigned flex_queues, flex_vectors; /* flexible pools */
    unsigned vf_max_queues, vf_max_vectors;
    unsigned max_queue_entries;         /* CAP.MQES + 1 */
    unsigned namespaces;
    uint32_t lba_bytes;
    uint64_t ns_bytes;                  /* each namespace's size */
    uint64_t max_transfer_bytes;        /* MDTS */
    uint64_t mmio_base_addr;
} nvme_caps;
nvme_caps nvme_caps_of(const sim_params *p);

/* Creates the PF (and the media) and attaches it to env->bus at env->pf_rid. The
 * system then places the BARs (platform_boot). NULL with *e set. */
nvme *nvme_create(const sim_params *p, const nvme_env *env, sim_err *e);
void nvme_destroy(nvme *n);

unsigned nvme_max_vfs(const nvme *n);
unsigned nvme_num_vfs(const nvme *n);
bool nvme_fn_present(const nvme *n, unsigned fn);
pcie_cfg *nvme_fn_cfg(nvme *n, unsigned fn); /* NULL when absent */
uint16_t nvme_fn_rid(const nvme *n, unsigned fn);
uint64_t nvme_fn_bar(const nvme *n, unsigned fn); /* BAR0's address; 0 when absent */
/* The doorbell of queue qid: its submission queue's tail, or its completion queue's head. */
uint64_t nvme_doorbell_addr(const nvme *n, unsigned fn, unsigned qid, bool cq);
nvme_fn_counters nvme_fn_get_counters(const nvme *n, unsigned fn);
/* Sums over every function that has existed. */
nvme_fn_counters nvme_get_counters(const nvme *n);
/* Flexible resources assigned to secondary controllers now (VQRFA, VIRFA). */
unsigned nvme_flex_queues_assigned(const nvme *n);
unsigned nvme_flex_vectors_assigned(const nvme *n);
/* The media's die busy time and dies (a utilisation over a window). */
uint64_t nvme_media_busy_ps(const nvme *n);
unsigned nvme_media_dies(const nvme *n);
/* Device-level refusals (SR-IOV capability writes) and the last message of any error
 * the drive recorded ("" when none). */
uint64_t nvme_errors(const nvme *n);
const char *nvme_last_error(const nvme *n);

/* A register write arriving at the drive at t_ps (decoded by BAR window). */
void nvme_mmio_write(nvme *n, uint64_t t_ps, uint64_t addr, uint32_t len, uint64_t value);
/* A register read at t_ps; its timing is the caller's (pcie_rc_mmio_read with
 * nvme_mmio_read_latency_ps). */
uint64_t nvme_mmio_read(nvme *n, uint64_t t_ps, uint64_t addr, uint32_t len);
uint64_t nvme_mmio_read_latency_ps(const nvme *n);

#endif
