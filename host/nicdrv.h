/* The NIC driver model: one queue pair of a PF or VF driver (the host's ixgbe, or a
 * guest's ixgbevf on an assigned VF) as the work it does and the device accesses it
 * makes, parameters of the driver rather than code paths.
 *
 * Roles. The same code runs as two drivers with a parameter set each (nic_drv_role):
 * the PF driver, Linux ixgbe (nicdrv.*: a native application's, the host's, a driver
 * domain's, or a guest's the PF is passed through to), and the guest VF driver, Linux
 * ixgbevf (vfdrv.*: an SR-IOV guest's). The names below say nicdrv.*; a VF-role queue
 * reads the same names under vfdrv.*. A third interrupt-driven role is a guest's
 * virtio-net on the virtqueues a vDPA device serves (NIC_DRV_VIRTIO): its per-packet
 * costs and transmit offloads are virtio.* (the same driver's as on the paravirtual
 * path), the rest of its NAPI driver nicdrv.*; it has no interrupt moderation (a
 * virtqueue interrupts at every used buffer while callbacks are on), and re-enabling
 * its interrupt is a store to the ring's event index, not a register write (the device
 * reads it as it completes; the model lets the device see it at once).
 *
 * Transmit: the stack hands packets to the driver (nic_drvq_xmit, or an endless
 * backlog with nic_drvq_set_saturate); the driver fills descriptors and writes the
 * tail register once per nicdrv.tx_batch packets (1: a tail write per packet, as Linux
 * without xmit_more), optionally reading the head register after every
 * nicdrv.tx_head_read_pkts packets. Receive: buffers are posted nicdrv.rx_refill at a
 * time, one tail write each. Completions: NAPI. The queue pair's MSI-X vector raises
 * an interrupt (auto-masked by the NIC); after nicdrv.irq_latency_ns the driver polls:
 * it reclaims transmitted descriptors, takes up to nicdrv.napi_budget received
 * packets, refills, posts backlog; with budget left it re-enables the vector (an EIMS
 * register write), otherwise it polls again after nicdrv.poll_ns. A descriptor is seen
 * done when its write-back has reached memory (nic_desc.wb_ps <= the poll's time).
 * Interrupt moderation (nicdrv.itr): adaptive, the driver computes the vector's interval
 * before that re-enable from the packets and bytes since the last one (host/nicitr.h)
 * and writes it to the vector's EITR when it changed; static, it never writes EITR and
 * the NIC's default moderation (nic.itr_us, nic.itr_pkts) applies.
 *
 * CPU cost. Every step counts cycles (nicdrv.*_cycles) and MMIO read stalls. There is
 * no processor model inside this module: the driver's work takes no simulated time
 * unless a CPU is attached with nic_drvq_set_cpu, which is the seam where a core model
 * (host/cpu.h cpu_run) reserves a core for those cycles and stalls; the driver
 * then continues at the time the hook returns, so its doorbells and re-enables move
 * later when the core is busy.
 *
 * Poll mode (NIC_DRV_PMD: DPDK's PMD, pmd.*). The driver takes no interrupt: it leaves
 * its vector disabled, and a loop on its core looks at its rings' done bits every
 * pmd.loop_ns while it finds nothing (rte_eth_rx_burst and rte_eth_tx_burst returning
 * 0). The model runs only the looks that find something: a ring's write-back tells the
 * driver when it becomes visible (nic_ring.on_wb), and the poll runs at the loop's first
 * look from then; a poll that took a whole burst (pmd.burst) looks again at once. The
 * spans in between are spin time on the core (nic_drvq_set_spin). */
#ifndef HOST_NICDRV_H
#define HOST_NICDRV_H

#include <stdbool.h>
#include <stdint.h>

#include "host/dmaapi.h"
#include "models/mem/mem.h"
#include "models/nic/nic.h"
#include "models/pcie/rc.h"
#include "sim/err.h"
#include "sim/kernel.h"
#include "sim/params.h"
#include "sim/stats.h"

typedef struct nic_drvq nic_drvq;

/* Counters of one function's driver (shared by its queue pairs). */
typedef struct nic_drv_counters {
    uint64_t irqs;        /* interrupts taken */
    uint64_t polls;       /* NAPI polls */
    uint64_t tx_posted;   /* packets put in the transmit ring */
    uint64_t tx_cleaned;  /* transmit descriptors reclaimed */
    uint64_t tx_errors;   /* reclaimed with an error status (DMA, spoof, link) */
    uint64_t rx_pkts;     /* received packets handed to the stack */
    uint64_t rx_bytes;    /* their host-side bytes */
    uint64_t doorbells;   /* tail writes (transmit and receive) */
    uint64_t irq_enables; /* EIMS writes re-enabling the vector */
    uint64_t mmio_reads;  /* head register reads */
    uint64_t stall_ps;    /* CPU time stalled on MMIO reads */
    uint64_t cycles;      /* driver cycles, every step */
    uint64_t qdisc_drops; /* packets refused: the transmit ring and backlog were full */
    uint64_t eitr_writes; /* interval changes written to the vector's EITR (nicdrv.itr) */
    uint64_t cqmod_writes; /* profile changes written to its CQ moderation (itr = dim) */
} nic_drv_counters;

/* Which driver a queue pair runs, and so which parameters it reads. */
typedef enum nic_drv_role {
    NIC_DRV_PF, /* ixgbe: nicdrv.* */
    NIC_DRV_VF, /* ixgbevf in a guest: vfdrv.* */
    NIC_DRV_PMD, /* DPDK's ixgbevf poll-mode driver in a guest, on its VF: pmd.* */
    NIC_DRV_VIRTIO, /* virtio-net in a guest, on virtqueues a vDPA device serves: virtio.* */
    NIC_DRV_ROLES
} nic_drv_role;

/* The driver's parameters (nicdrv.* or vfdrv.*) as one call loads them: times in ps. */
typedef struct nic_drv_cfg {
    uint32_t tx_batch, rx_refill, budget, tx_clean_budget, tx_head_pkts, rx_head_pkts;
    uint64_t irq_ps, poll_ps;
    uint64_t tx_cycles, rx_cycles, irq_cycles, poll_cycles, clean_cycles, mmio_cycles;
    uint32_t buf_bytes, qdisc_pkts;
    bool tso, csum, tx_touch; /* tso: the effective one (only with csum) */
    bool dim_rx_cqe;          /* itr = dim: the receive queue's period runs from a completion */
    uint8_t itr; /* nic_drv_itr */
    bool virtqueue;   /* the rings are virtqueues with event indexes (virtio-net):
                         re-enabling the vector is a store to memory, not a register
                         write, and transmit completions interrupt only at the event
                         index the driver sets, late (virtqueue_enable_cb_delayed) */
    bool poll;        /* poll mode (the PMD): no interrupt, a loop looking at the rings */
    uint64_t loop_ps; /* poll mode: one look at the rings that finds nothing */
} nic_drv_cfg;

/* nicdrv.itr, in its choices' order: the driver's interrupt moderation. */
typedef enum nic_drv_itr {
    NIC_DRV_ITR_ADAPTIVE, /* host/nicitr.h at every poll, written to EITR */
    NIC_DRV_ITR_STATIC,   /* EITR never written: the NIC's default moderation */
    NIC_DRV_ITR_DIM,      /* host/nicdim.h (mlx5e's net_dim) per completion queue, written
                             to the vector's CQ moderation */
    NIC_DRV_ITR_NONE,     /* none: EITR set to 0 at open (a virtqueue without
                             VIRTIO_NET_F_NOTF_COAL); no parameter chooses it */
} nic_drv_itr;

/* The NIC drivers' parameters: the queue pairs' of both roles (nicdrv.*, vfdrv.*) and
 * the PF driver's (host/pfdrv.h), so a system registers and checks them all with these
 * two calls. */
void nic_drv_register_params(sim_params *p);
nic_drv_cfg nic_drv_cfg_load(const sim_params *p, nic_drv_role role);
/* The parameter prefix of a role's ring, buffer and backlog settings: "nicdrv", "vfdrv"
 * or "pmd" (virtio-net's are "nicdrv"'s). */
const char *nic_drv_role_prefix(nic_drv_role role);
int nic_drv_check(const sim_params *p, sim_err *e);
/* A workload's frames of frame_bytes (the parameter `what` sets them): refused when the
 * NIC cannot carry them (nic_check_frame) or, less the FCS the NIC strips, they do not
 * fit one receive buffer of the role's driver. */
int nic_drv_check_frame(const sim_params *p, nic_drv_role role, const char *what,
                        uint64_t frame_bytes, sim_err *e);
/* Registers c, the driver counters of NIC function fn, as nicdrv.pf.irqs, ... (the PF)
 * or nicdrv.vfN.irqs, ... (VF N); eitr_writes only when the role's moderation is
 * adaptive (a static driver writes none). */
void nic_drv_register_stats(nic_drv_counters *c, sim_stats *s, unsigned fn,
                            const sim_params *p, nic_drv_role role);

/* Host memory one queue pair of the role needs: two rings, the head write-back word, a
 * buffer per descriptor in each ring (nicdrv.buf_bytes), rounded up to 4 KiB. */
uint64_t nic_drvq_mem_bytes(const sim_params *p, nic_drv_role role);

typedef struct nic_drv_env {
    sim_kernel *kernel;
    pcie_rc *rc;
    nic *nic;
    mem *mem;        /* the stack's writes of transmit data warm the LLC; may be NULL */
    unsigned fn, q;  /* function (0 PF, 1 + i VF i) and queue pair */
    nic_drv_role role; /* whose parameters: the PF driver's or a guest VF driver's */
    uint64_t base;   /* device address of the queue pair's memory */
    uint64_t msi_addr;
    uint32_t msi_data; /* what the system's interrupt dispatch maps back to this queue */
    nic_drv_counters *ctr;
    /* The host's DMA API for the function in strict or lazy mode (NULL: the device is
     * given host addresses, pass-through or no IOMMU). With it the driver maps as Linux
     * mlx5e does: its rings once (dma_alloc_coherent), each receive page once when its
     * page pool takes it (page_pool_dma_map; pages are recycled, never unmapped), each
     * packet to send before it is posted (mlx5e_txwqe_build_dsegs: dma_map_single) and
     * unmapped when its descriptor is reclaimed (mlx5e_tx_dma_unmap). The DMA API's
     * cycles (IOVAs, table entries, strict invalidation waits) run on the driver's
     * core through the CPU seam. */
    iommu_dma *dma;
} nic_drv_env;

nic_drvq *nic_drvq_create(const sim_params *p, const nic_drv_env *env);
void nic_drvq_destroy(nic_drvq *q);

/* As the driver's probe does once per function: set MSI-X Enable in the function's
 * configuration space. */
void nic_drv_enable_msix(nic *n, unsigned fn);
/* A VF driver (fn) asks the PF for MAC address mac through the mailbox at t_ps (VFMBMEM,
 * VFMAILBOX.REQ in the VF's BAR0, as ixgbevf's set_mac_addr): the address is the VF's
 * from *done_ps (may be NULL) if the device grants it (nic_regs.h,
 * NIC_MBX_VF_SET_MAC_ADDR). -1, nothing sent, for a group address or a function that is
 * no VF. Its register writes reach the device at once, as the PF driver's do. */
int nic_drv_request_mac(nic *n, unsigned fn, uint64_t t_ps, uint64_t mac, uint64_t *done_ps);
/* Bring the queue pair up at t: program and unmask its MSI-X entry (BAR3 writes),
 * attach both rings, enable the vector (EIMS), post receive buffers. */
void nic_drvq_open(nic_drvq *q, uint64_t t_ps);

/* The queue pair's MSI-X message reached the root complex at t_ps (the system's
 * interrupt dispatch calls this). The poll runs nicdrv.irq_latency_ns later. */
void nic_drvq_irq(nic_drvq *q, uint64_t t_ps);

/* The stack sends one packet at t_ps (born_ps, flow, addresses and length set by the
 * caller): posted at once if the ring has room, else held in the backlog (at most
 * nicdrv.qdisc_pkts). Returns -1 when dropped. Consecutive calls at the same time are
 * one burst: call nic_drvq_flush after the burst to ring the doorbell for a partial
 * batch. */
int nic_drvq_xmit(nic_drvq *q, const nic_pkt *p, uint64_t t_ps);
/* The same for a TSO segment of `frames` frames (frames - 1 of p->len_bytes, the last of
 * last_bytes): the driver's per-packet work once, a descriptor per frame, which the NIC
 * sends as frames. -1 (nothing queued) if the driver has no TSO (nicdrv.tso) or the
 * segment needs more descriptors than the ring has (the effective TSO: nicdrv.tso with
 * nicdrv.csum). */
int nic_drvq_xmit_segment(nic_drvq *q, const nic_pkt *p, uint16_t frames, uint16_t last_bytes,
                          uint64_t t_ps);
bool nic_drvq_tso(const nic_drvq *q);
/* Whether the queue's driver polls (NIC_DRV_PMD): a caller posting to it rings the
 * doorbell once per burst of its own (nic_drvq_flush when the burst ends). */
bool nic_drvq_poll(const nic_drvq *q);
/* Whether the queue's driver offloads checksums (nicdrv.csum, vfdrv.csum): the NIC fills
 * those of partial packets it sends and checks those it receives. The driver model
 * moves no checksum state itself; the software above it (host/iopath) asks. */
bool nic_drvq_csum(const nic_drvq *q);
void nic_drvq_flush(nic_drvq *q, uint64_t t_ps);
/* An endless backlog of copies of tmpl (born_ps set at posting, flow counting up): the
 * driver refills the ring whenever it reclaims descriptors. */
void nic_drvq_set_saturate(nic_drvq *q, const nic_pkt *tmpl, uint64_t t_ps);

/* Received packets go to fn (called at the poll's time). */
typedef void (*nic_drv_rx_fn)(void *ctx, nic_drvq *q, const nic_pkt *p, uint64_t t_ps);
void nic_drvq_set_rx_handler(nic_drvq *q, nic_drv_rx_fn fn, void *ctx);
/* Called (with the rx handler's ctx) when a poll that took packets ends, at its time:
 * where GRO passes up what it merged (napi_complete_done). */
typedef void (*nic_drv_rx_done_fn)(void *ctx, nic_drvq *q, uint64_t t_ps);
void nic_drvq_set_rx_done(nic_drvq *q, nic_drv_rx_done_fn fn);
/* Called (with the rx handler's ctx) when a poll has reclaimed transmitted descriptors:
 * their count (frames) and host-side bytes. The stack frees those packets (their
 * socket counts them until then). */
typedef void (*nic_drv_tx_done_fn)(void *ctx, nic_drvq *q, uint32_t frames, uint64_t bytes,
                                   uint64_t t_ps);
void nic_drvq_set_tx_done(nic_drvq *q, nic_drv_tx_done_fn fn);

/* Poll mode: the driver's loop spun over [from_ps, to_ps) finding nothing (its core is
 * busy all the same); called before each poll that follows such a span. */
typedef void (*nic_drv_spin_fn)(void *ctx, uint64_t from_ps, uint64_t to_ps);
void nic_drvq_set_spin(nic_drvq *q, nic_drv_spin_fn fn);

/* The CPU seam: run `cycles` of driver work, then stall `stall_ps` on MMIO reads,
 * starting at t_ps; return when done. Without it the work takes no simulated time. */
typedef uint64_t (*nic_drv_cpu_fn)(void *ctx, uint64_t t_ps, uint64_t cycles, uint64_t stall_ps);
void nic_drvq_set_cpu(nic_drvq *q, nic_drv_cpu_fn fn, void *ctx);
/* What a queue's DMA API calls did on an emulated IOMMU (host/viommu.h): maps, and
 * invalidations submitted after maps and after unmaps, each a trapped write, with the
 * cycles of those submissions (descriptors, the spin on the wait; the calls' cycles
 * include them already). */
typedef struct nic_drv_dma_calls {
    uint64_t maps, map_invs, unmap_invs, submit_cycles;
} nic_drv_dma_calls;
/* The trap seam (with the CPU's ctx): the queue's DMA API calls that ended at t_ps did
 * `calls`; return when the guest goes on. Without it they cost only their DMA API
 * cycles. */
typedef uint64_t (*nic_drv_trap_fn)(void *ctx, uint64_t t_ps, const nic_drv_dma_calls *calls);
void nic_drvq_set_trap(nic_drvq *q, nic_drv_trap_fn fn);

unsigned nic_drvq_fn(const nic_drvq *q);
unsigned nic_drvq_queue(const nic_drvq *q);
/* Transmit descriptors in flight (posted, not reclaimed) and packets in the backlog. */
uint32_t nic_drvq_tx_inflight(const nic_drvq *q);
uint32_t nic_drvq_backlog(const nic_drvq *q);

#endif
