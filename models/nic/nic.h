/* A multi-queue SR-IOV Ethernet controller of the 82599 / X710 / E810 class.
 *
 * Functions. The PF is function 0; VF i is function 1 + i. The PF's configuration space
 * carries the SR-IOV extended capability (models/pcie/sriov.h: TotalVFs = nic.max_vfs,
 * First VF Offset, VF Stride, VF BAR0/BAR3). VFs exist only while VF Enable is set:
 * setting it creates NumVFs functions, each with its own configuration space (with
 * MSI-X), attached to the configuration bus at PF RID + First VF Offset + i x VF
 * Stride, its own DMA engine (requester ID) on the NIC's one PCIe link, its own BAR
 * window and MSI-X table; clearing it removes them. Queue pairs come from one pool
 * (nic.total_queues): the PF keeps nic.pf_queues, each VF gets nic.queues_per_vf;
 * enabling more VFs than the pool holds is refused.
 *
 * Registers (models/nic/regs.c, offsets and fields in nic_regs.h): per function the
 * queues' tail and head registers, interrupt enables and the MSI-X table; the PF's
 * administration of each VF's pool (MAC address, port VLAN, anti-spoofing, trust, rate
 * limit, link state) and the PF-VF mailbox (models/nic/mbx.c), whose messages take
 * effect nic.mbx_latency_us after they are sent. Software that drives them, the PF
 * driver and the queue pairs' drivers, is in host/ (pfdrv.h, nicdrv.h).
 *
 * Data path (models/nic/queue.c). Descriptor rings live in host memory (nic_ring);
 * the driver writes a tail register by MMIO, the NIC fetches descriptors in bursts,
 * reads packet data (split by MRRS), arbitrates among queues (deficit round robin
 * shaped by the VFs' rate limits: a VF whose token bucket is empty sits out, so each
 * gets the lesser of its limit and its fair share), checks the source
 * MAC of VF traffic (anti-spoofing), and sends the frame on the wire at nic.line_gbps
 * or, when the embedded switch (VEB) finds the destination on this port, turns it
 * around to the receive side without touching the wire. Received frames are
 * classified by destination MAC and VLAN to a pool (broadcast and multicast to every
 * pool of the VLAN, unknown unicast to the PF), held in the on-chip packet buffer,
 * written to the buffer of the queue's next descriptor with MPS-sized writes, and
 * written back. Descriptor write-backs are batched (nic.wb_threshold,
 * nic.rx_wb_threshold) or replaced by a head write-back; every queue pair's vector
 * raises an MSI-X after nic.itr_pkts completions or nic.itr_us after the first,
 * flushing pending write-backs first.
 *
 * Frame sizes: nic_pkt.len_bytes is the Ethernet frame with its 4-byte FCS (64 ..
 * 1518 untagged, the IEEE 802.3 convention). The host side moves the frame without
 * the FCS (the MAC appends it on transmit and strips it on receive, as ixgbe
 * configures the 82599), so a 64-byte frame is a 60-byte DMA. On the wire each frame
 * also takes 8 bytes of preamble and SFD and nic.ifg_bytes of inter-frame gap; a
 * shorter frame is padded to 64 bytes.
 * Throughput counts the host-side bytes (frame without FCS), the convention of the
 * pcie-bench NIC model this model is calibrated against.
 *
 * Timing is by reservation: a packet's descriptor fetch, data DMA, wire time and
 * write-back are reserved when the NIC processes it; kernel events happen only where
 * the NIC must act later (a doorbell or descriptor fetch arriving at an idle queue, a
 * frame arriving from the wire or the VEB, an interrupt moderation timer, a mailbox
 * message), all kept in one model-owned queue behind one kernel event.
 *
 * Guest and driver mistakes are counted device errors, never fatal: a tail beyond the
 * ring, an access to an unknown register, a VF administration value the device cannot
 * take, a refused SR-IOV capability write, a transmit descriptor whose length exceeds
 * the largest frame (dropped), a TX buffer whose DMA read is refused
 * (Unsupported Request, e.g. unmapped in the IOMMU: the packet is dropped). Refused
 * receive DMA writes are posted and the NIC never learns of them; they show in the
 * root complex's rc.unsupported_requests. */
#ifndef MODELS_NIC_NIC_H
#define MODELS_NIC_NIC_H

#include <stdbool.h>
#include <stdint.h>

#include "models/pcie/cfgspace.h"
#include "models/pcie/link.h"
#include "models/pcie/rc.h"
#include "sim/err.h"
#include "sim/kernel.h"
#include "sim/params.h"
#include "sim/breakdown.h"
#include "sim/stats.h"

#define NIC_PF 0u
#define NIC_FN_OF_VF(vf) (1u + (vf))
#define NIC_DESC_BYTES 16u
#define NIC_FCS_BYTES 4u
#define NIC_PREAMBLE_BYTES 8u /* 7 bytes of preamble + the start-of-frame delimiter */
#define NIC_MIN_FRAME_BYTES 64u
#define NIC_NOT_DONE UINT64_MAX
#define NIC_MAC_BROADCAST 0xffffffffffffull
#define NIC_VLAN_MAX 4094u

/* A MAC address in the low 48 bits, first octet in bits 47:40. The I/G bit (bit 0 of
 * the first octet) marks group (multicast, broadcast) addresses. */
static inline bool nic_mac_is_group(uint64_t mac) { return (mac >> 40) & 1u; }
static inline bool nic_mac_is_unicast(uint64_t mac)
{
    return mac != 0 && mac <= NIC_MAC_BROADCAST && !nic_mac_is_group(mac);
}
/* "aa:bb:cc:dd:ee:ff" -> 0 and *mac; -1 on a malformed address. */
int nic_mac_parse(const char *text, uint64_t *mac);
/* Writes "aa:bb:cc:dd:ee:ff" (18 bytes with the terminator). */
void nic_mac_format(uint64_t mac, char buf[18]);

typedef enum nic_pkt_kind {
    NIC_PKT_DATA = 0,     /* one-way traffic */
    NIC_PKT_REQUEST = 1,  /* the link partner answers it */
    NIC_PKT_RESPONSE = 2, /* the answer; born_ps is the request's */
    NIC_PKT_ACK = 3,      /* a pure TCP acknowledgement of a TCP-like stream's data */
} nic_pkt_kind;

/* A frame's headers and bookkeeping; the payload bytes themselves are not simulated. */
typedef struct nic_pkt {
    uint64_t dst_mac, src_mac;
    uint64_t born_ps;   /* when the sender created it (latency) */
    uint32_t flow;      /* flow hash: receive side scaling spreads flows over queues */
    uint16_t len_bytes; /* the Ethernet frame including FCS */
    uint16_t vlan;      /* 802.1Q VLAN ID; 0 = untagged */
    uint8_t kind;       /* nic_pkt_kind */
    uint32_t trace_id;  /* trace.timeline's id of a followed packet; 0: not followed */
    /* A TCP-like stream's sequence, in frames: a data frame's number in its flow, from
     * 1 (a segment's: its last frame's); an acknowledgement's, the last frame its
     * receiver took, frames below it that never came counting as lost. 0 elsewhere. */
    uint32_t seq;
    /* An acknowledgement's: the last frame of its stream the receiving application has
     * read, where the receive window it advertises starts (the buffer's free space
     * counts from what is read, not from what is acknowledged); 0 elsewhere. */
    uint32_t read_seq;
} nic_pkt;
_Static_assert(sizeof(nic_pkt) == 48, "a frame's record stays six words (rings copy it)");

/* Host-side bytes of a frame: without its FCS, which the NIC adds and strips. */
static inline uint32_t nic_pkt_host_bytes(uint16_t len_bytes)
{
    return len_bytes > NIC_FCS_BYTES ? len_bytes - NIC_FCS_BYTES : 0u;
}

/* Descriptor status written back by the NIC. */
#define NIC_DESC_OK 0u
#define NIC_DESC_ERR_DMA 1u   /* the buffer's DMA was refused (Unsupported Request) */
#define NIC_DESC_ERR_SPOOF 2u /* dropped by the anti-spoofing check */
#define NIC_DESC_ERR_LINK 3u  /* dropped: the VF's link is administratively down */
#define NIC_DESC_ERR_LEN 4u   /* a length no frame can have (above nic.max_frame_bytes) */

/* One 16-byte descriptor slot in host memory: what the driver writes (buffer address;
 * for transmit, the frame in that buffer) and what the NIC writes back (wb_ps, status,
 * and for receive the frame). wb_ps plays the Descriptor Done bit: the time the
 * write-back reached host memory, NIC_NOT_DONE before; software sees the descriptor
 * done at any time t >= wb_ps. */
typedef struct nic_desc {
    uint64_t buf_addr;
    uint64_t wb_ps;
    nic_pkt pkt;
    uint8_t status;
} nic_desc;

/* Told of a write-back into a ring: it is visible in host memory from wb_ps on (which
 * may lie ahead of the clock). A poll-mode driver spinning on the ring's done bits sees
 * it at its first look from then, so the model need not run every look. */
typedef void (*nic_ring_wb_fn)(void *ctx, uint64_t wb_ps);

/* A descriptor ring in host memory, owned by the driver. */
typedef struct nic_ring {
    uint64_t base_addr;    /* device address of descriptor 0 */
    uint32_t entries;      /* nic.ring_entries */
    uint64_t cq_addr;      /* nic.cqe_bytes > 0: device address of the ring's completion
                              queue, nic.ring_entries entries (0: none) */
    nic_desc *desc;
    uint64_t head_wb_addr; /* transmit head write-back location (nic.tx_head_wb) */
    nic_ring_wb_fn on_wb;  /* NULL: nobody watches it (an interrupt-driven driver) */
    void *on_wb_ctx;
    /* Used-buffer notification suppression by event index (a virtqueue with
     * VIRTIO_RING_F_EVENT_IDX): with event_idx set, a completion raises the queue's
     * vector only if it is completion number used_event since the ring was attached
     * (vring_need_event); `used` counts the completions. Off: every completion does. */
    bool event_idx;
    uint64_t used_event, used;
} nic_ring;

typedef enum nic_link_state {
    NIC_LINK_AUTO = 0,    /* follows the port */
    NIC_LINK_ENABLE = 1,  /* up whatever the port does */
    NIC_LINK_DISABLE = 2, /* down: the VF's frames are dropped and counted */
} nic_link_state;

/* Per-function counters (also registered as stats nic.pf.* and nic.vfN.*). Bytes are
 * host-side bytes (frames without FCS). */
typedef struct nic_fn_counters {
    uint64_t tx_frames, tx_bytes;        /* sent to the wire or turned around in the VEB */
    uint64_t rx_frames, rx_bytes;        /* written to host memory */
    uint64_t tx_desc_reads, tx_descs;    /* descriptor fetch reads, descriptors fetched */
    uint64_t rx_desc_reads, rx_descs;
    uint64_t tx_wb_writes, rx_wb_writes; /* descriptor or head write-backs */
    uint64_t doorbells;                  /* tail writes */
    uint64_t irqs;                       /* MSI-X messages sent */
    uint64_t spoof_drops;                /* transmit frames with a foreign source MAC */
    uint64_t link_drops;                 /* frames to or from a VF whose link is down */
    uint64_t rx_no_desc_drops;           /* received with no descriptor posted */
    uint64_t rx_overflow_drops;          /* the on-chip receive buffer was full */
    uint64_t dma_errors;                 /* transmit data or descriptor reads refused */
    uint64_t bad_tail;                   /* tail writes beyond the ring (ignored) */
    uint64_t bad_mmio;                   /* accesses to no register of the function */
    uint64_t bad_desc;                   /* transmit descriptors with an impossible length */
    uint64_t flrs;                       /* Function Level Resets */
    uint64_t mbx_busy;                   /* VF mailbox requests while one was pending (ignored) */
    uint64_t pcie_up_bytes, pcie_down_bytes; /* this function's TLP wire bytes */
} nic_fn_counters;

typedef struct nic nic;

/* What the NIC is plugged into. pf_rid is the PF's routing ID on cfg_bus. */
typedef struct nic_env {
    sim_kernel *kernel;
    sim_stats *stats;
    pcie_link *link;
    pcie_rc *rc;
    pcie_cfg_bus *bus;
    uint16_t pf_rid;
} nic_env;

void nic_register_params(sim_params *p);
/* Cross-parameter checks of the device's nic.* parameters: the PF's queues within the
 * pool and within its register map (NIC_PF_MAX_QUEUES), the last VF's routing ID
 * within FFFFh with the PF at pf_rid (where the system will attach it; none without
 * VFs), ring, fetch and write-back sizes, the PF's MAC unicast, the link's
 * Max_Payload_Size within what the device supports (configuration errors). The PF
 * driver's (nic.vfs, nic.vf_*) are pfdrv_check's. */
int nic_check(const sim_params *p, uint16_t pf_rid, sim_err *e);
/* A workload's frames of frame_bytes (the parameter `what` sets them): refused above
 * nic.max_frame_bytes or either on-chip packet buffer. */
int nic_check_frame(const sim_params *p, const char *what, uint64_t frame_bytes, sim_err *e);
/* A workload's offered load of gbps (the parameter `what`): refused above the line rate. */
int nic_check_offered(const sim_params *p, const char *what, double gbps, sim_err *e);

/* The device's dimensions as its parameters set them, before a device exists: what a
 * driver knows of its hardware, for its configuration checks and memory sizing. */
typedef struct nic_caps {
    unsigned max_vfs; /* TotalVFs */
    unsigned total_queues, pf_queues, queues_per_vf;
    uint32_t ring_entries; /* every ring's length */
    double line_gbps;
    uint32_t ifg_bytes; /* inter-frame gap on the wire */
    uint64_t mmio_base; /* where the OS places the NIC's BARs (nic.mmio_base_addr) */
    /* descriptors per fetch and per write-back, head write-back, completions per vector */
    uint32_t tx_fetch, rx_fetch, tx_wb, rx_wb;
    bool tx_head_wb;
    uint32_t itr_pkts;
    /* descriptor formats: bytes the device reads per transmit and receive descriptor,
     * and per completion (0: written back in place, into the descriptor) */
    uint32_t tx_desc_bytes, rx_desc_bytes, cqe_bytes;
} nic_caps;
nic_caps nic_caps_of(const sim_params *p);
/* The same of a built device, without reading the parameters again. */
nic_caps nic_get_caps(const nic *n);

/* Creates the PF and attaches it to env->bus at env->pf_rid. The system then
 * enumerates and places the PF's BARs (pcie_cfg_bus_assign_bars) and the PF driver
 * enables VFs (host/pfdrv.h). NULL with *e set on failure. */
nic *nic_create(const sim_params *p, const nic_env *env, sim_err *e);
void nic_destroy(nic *n);

/* ---------------------------------------------------------------- functions */

unsigned nic_max_vfs(const nic *n);
/* VFs present (VF Enable set and accepted). */
unsigned nic_num_vfs(const nic *n);
bool nic_fn_present(const nic *n, unsigned fn);
pcie_cfg *nic_fn_cfg(nic *n, unsigned fn); /* NULL when absent */
uint16_t nic_fn_rid(const nic *n, unsigned fn);
unsigned nic_fn_queues(const nic *n, unsigned fn);
unsigned nic_fn_vectors(const nic *n, unsigned fn);
/* The vector of queue pair q: its MSI-X vector (< NIC_PF_MSIX_VECTORS), or, when the host
 * bound the pair to an entry of the PF's Interrupt Message Store (NIC_REG_QIMS),
 * NIC_PF_MSIX_VECTORS + that entry. */
unsigned nic_queue_vector(const nic *n, unsigned fn, unsigned q);
/* Scalable IOV: the PF takes count more queue pairs of the pool, after its own, for the
 * host to give to assignable interfaces (an E810's ADIs are PF queue pairs). 0, or -1
 * when VFs are enabled (they hold the pool after the PF's pairs), or the pool or the
 * PF's register map (NIC_PF_MAX_QUEUES) cannot hold them. Before the pairs are driven:
 * the new ones are reset. */
int nic_pf_add_queues(nic *n, unsigned count);
/* Address of the function's BAR (NIC_BAR_REGS or NIC_BAR_MSIX); 0 when absent. */
uint64_t nic_fn_bar(const nic *n, unsigned fn, unsigned bar);
uint64_t nic_fn_mac(const nic *n, unsigned fn);
uint16_t nic_fn_vlan(const nic *n, unsigned fn);
/* Whether the function's link is up (its state, and nothing else, decides). */
bool nic_fn_link_up(const nic *n, unsigned fn);
double nic_fn_rate_gbps(const nic *n, unsigned fn);
nic_fn_counters nic_fn_get_counters(const nic *n, unsigned fn);
/* Sums over the PF and every VF that has existed. */
nic_fn_counters nic_get_counters(const nic *n);
/* Transmitted frames are counted when they have left the NIC; frames booked on the
 * wire are counted as their departure passes, lazily. This brings the counts up to
 * now (call it at the edges of a measurement). */
void nic_settle(nic *n, uint64_t now);
/* Pool accounting: queue pairs in use (PF + present VFs) and in the pool. */
unsigned nic_queues_in_use(const nic *n);
unsigned nic_total_queues(const nic *n);
/* nic.ring_entries of a built device (nic_caps_of loads every nic.* parameter). */
uint32_t nic_ring_entries(const nic *n);

/* ---------------------------------------------------------------- registers */

/* A register write (MMIO that has crossed the link: t_ps is its arrival at the NIC).
 * Decodes the function by BAR window. Tail writes ring doorbells; EIMS/EIMC enable
 * and disable vectors; MSI-X table writes program entries. */
void nic_mmio_write(nic *n, uint64_t t_ps, uint64_t addr, uint32_t len, uint64_t value);
/* A register read at t_ps (TDH/RDH: how far the NIC has processed). The timing is the
 * caller's: pcie_rc_mmio_read with nic_mmio_read_latency_ps. */
uint64_t nic_mmio_read(nic *n, uint64_t t_ps, uint64_t addr, uint32_t len);
uint64_t nic_mmio_read_latency_ps(const nic *n);
/* Register addresses of a function's queue q (for doorbells). */
uint64_t nic_reg_addr(const nic *n, unsigned fn, uint32_t reg_off);

/* The driver programmed queue pair q of fn (descriptor base and length registers) and
 * enabled it. Either ring may be NULL (that direction stays disabled). The rings must
 * have nic.ring_entries entries. -1 (counted as bad_mmio) for an absent queue. */
int nic_queue_attach(nic *n, unsigned fn, unsigned q, nic_ring *tx, nic_ring *rx);
/* The driver moved a ring's used_event to a completion the device has already made
 * (ring->used > used_event): as virtio's driver, finding more used after publishing the
 * event, takes them itself, the queue's vector is raised as for a completion at t_ps. */
void nic_queue_event_passed(nic *n, unsigned fn, unsigned q, uint64_t t_ps);

/* ---------------------------------------------------------------- the wire */

/* Called for every frame the NIC puts on the wire, with the time its last bit reaches
 * the link partner. */
typedef void (*nic_wire_fn)(void *ctx, const nic_pkt *p, uint64_t arrival_ps);
void nic_set_wire_sink(nic *n, nic_wire_fn fn, void *ctx);
/* A frame's last bit arrives from the wire at arrival_ps (>= now). */
void nic_wire_rx(nic *n, const nic_pkt *p, uint64_t arrival_ps);
/* An observer of the port (a capture, traces/pcap_record.h): every frame the NIC puts
 * on the wire (NIC_TAP_OUT, when its last bit leaves the port), every frame that
 * arrives from it (NIC_TAP_IN, when its last bit arrives), and every frame the
 * embedded switch turns around from one function to another (NIC_TAP_VEB, when it
 * reaches the receive side), in the order the model books them, which is not always
 * time order. It only looks. */
typedef enum nic_tap_point { NIC_TAP_OUT, NIC_TAP_IN, NIC_TAP_VEB } nic_tap_point;
typedef void (*nic_wire_tap_fn)(void *ctx, nic_tap_point at, const nic_pkt *p, uint64_t t_ps);
void nic_set_wire_tap(nic *n, nic_wire_tap_fn fn, void *ctx);
/* trace.timeline: in group "nic", a slice per frame on the wire out and in (its wire
 * time) and per frame a queue moves (a transmit queue's data read, a receive queue's
 * data write, from the descriptor's turn to the DMA's end), on a track per queue made
 * when it first moves a frame (an in-flight track: a queue's DMAs overlap); followed
 * packets joined to their flow. */
void nic_set_timeline(nic *n, sim_timeline *tl);
/* net.breakdown: a numbered packet's DMA (a queue's data read or write, from the
 * descriptor's turn to the DMA's end) joins its breakdown as category cat_nic, its
 * time on the wire (sent: from its first bit out to its last at the partner; received:
 * from its first bit out of the partner to its last in) as cat_wire. */
void nic_set_breakdown(nic *n, sim_breakdown *bd, unsigned cat_nic, unsigned cat_wire);
double nic_line_gbps(const nic *n);
/* Frames in the receive pipeline, accepted and waiting for their DMA, now. */
uint32_t nic_rx_queued_frames(const nic *n);
/* Wire time of a frame (with FCS) at the line rate: preamble + frame + IFG. */
uint64_t nic_frame_wire_ps(const nic *n, uint32_t frame_bytes);
uint64_t nic_wire_latency_ps(const nic *n);

/* ---------------------------------------------------------------- SR-IOV, mailbox */

/* VFs are enabled through the PF's SR-IOV capability (configuration writes) and
 * administered through the PF's VF administration registers and the PF-VF mailbox
 * (nic_regs.h); the PF driver that does so is host software (host/pfdrv.h). */

/* From a mailbox message's sending (PFMAILBOX.STS, VFMAILBOX.REQ) until it is carried
 * out: nic.mbx_latency_us. */
uint64_t nic_mbx_latency_ps(const nic *n);

/* What the device refused of its PF driver and of software writing the SR-IOV
 * capability (nic.pf_driver_errors + nic.sriov_errors), and the last such message, or
 * of the mailbox ("" when none). */
uint64_t nic_pf_errors(const nic *n);
const char *nic_last_error(const nic *n);

#endif
