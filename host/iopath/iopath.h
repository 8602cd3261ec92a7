/* The I/O path engine: the software of one machine (the host, its hypervisor and its
 * guests) running one path table (path.h) over the hardware models: the cores
 * (host/cpu.h), exits and interrupt delivery (host/hv.h), the virtual switch, the NIC
 * through its driver queues (host/nicdrv.h), and the IOMMU's interrupt remapping. The
 * workload (systems/paths.c) builds the platform, fills this structure (the VMs and
 * where they run, every driver queue with its interrupt route), calls
 * iopath_build_stages and iopath_start, and reads the counters for its metrics.
 *
 * Threads. A stage with its own thread (a vCPU's receive work, a back-end) is a
 * bounded queue and one kernel event. When it runs it takes the items that are ready,
 * up to the NAPI budget and at most `quantum_ps` of work booked ahead of the clock,
 * and executes each item's steps at its own running time: every step is a reservation
 * (cores through the CPU model, exits through the hypervisor model, the NIC through
 * its driver), so a packet crossing a stage costs one event per batch, not per step.
 * Stages that run inline (the host's switch in the PF driver's receive poll, a guest's
 * receive work in its own driver's poll) and the sender run in their caller's context.
 *
 * Notifications. A hand-off to a sleeping stage pays its notification: the producer's
 * part on the producer's core (an exit, a hypercall, a signal) and the consumer's part
 * on the consumer's core (a virtual interrupt, a wake-up) before the consumer runs. A
 * stage still running (its last activation has not ended by the item's time) takes
 * the item without one: this is virtio's event index, Xen's check-notify, NAPI's
 * masked interrupts.
 *
 * Backpressure. Queues are bounded. The sender holds credits for its ring's slots and
 * stops when none is left; the stage that frees slots (the consumer, or the guest's
 * completion handler) wakes it. A stage that posts to a NIC queue holding `txq_limit`
 * packets (in its ring, not yet reclaimed, and in the driver's backlog) stops and tries
 * again after `retry_ps`. A back-end thread (vhost, QEMU's device model, netback) whose
 * next item would not fit the guest's ring it fills stops until that ring's consumer
 * ends a poll (the guest's refill and its notification) or an item is handed to it
 * while it runs: vhost's handle_rx
 * stops when get_rx_bufs finds too few buffers, QEMU polls the tap only while its
 * device can receive (qemu_can_receive_packet), netback only while
 * xenvif_rx_ring_slots_available; what waits stays in the thread's own queue (the tap's,
 * netback's), which drops when full. Other full queues drop (a receive ring without
 * buffers, a socket's, a poll-mode switch's enqueue into a full virtqueue: DPDK's
 * rte_vhost_enqueue_burst takes what fits), and the drops are counted. */
#ifndef HOST_IOPATH_IOPATH_H
#define HOST_IOPATH_IOPATH_H

#include <stdbool.h>
#include <stdint.h>

#include "host/cpu.h"
#include "host/halt.h"
#include "host/hv.h"
#include "host/iopath/path.h"
#include "host/nicdrv.h"
#include "host/vswitch.h"
#include "models/iommu/irq_remap.h"
#include "models/nic/nic.h"
#include "sim/breakdown.h"
#include "sim/rng.h"
#include "sim/kernel.h"
#include "sim/stats.h"

typedef struct iopath iopath;
typedef struct iopath_lane iopath_lane;

/* The traffic the applications make (traffic.pattern). */
typedef enum iopath_pattern {
    IOPATH_STREAM_TX,
    IOPATH_STREAM_RX,
    IOPATH_BIDIR,
    IOPATH_RR,
    IOPATH_INTER_VM,
} iopath_pattern;

/* Where a packet's TCP/UDP checksum stands, as Linux's skb->ip_summed moves with it
 * from device to device. Software checksums cover each frame's TCP or UDP header and
 * payload (IOPATH_L4_OFFSET_BYTES on), at cpu.csum_bytes_per_cycle:
 * - PARTIAL (CHECKSUM_PARTIAL): left for a device to fill, and trusted by receivers
 *   on this machine that take it so. TCP sockets always send so (tcp_sendmsg's skbs); a
 *   device that takes none gets it filled first (PATH_OP_CSUM; TO_NIC without the NIC
 *   driver's offload: validate_xmit_skb, or skb_segment per frame); software
 *   segmentation leaves each new frame's checksum partial again (tcp4_gso_segment).
 * - FILL: a datagram whose socket fills it while copying from the application, as its
 *   device takes no partial checksum (ip_generic_getfrag: csum_and_copy_from_iter_full):
 *   the sender's SOCK_COPY copies and sums in one pass.
 * - NONE (CHECKSUM_NONE): filled, not checked: the receiver checks it, TCP-like frames
 *   in GRO (skb_gro_checksum_validate), else in the socket's copy (a datagram's in the
 *   same pass, skb_copy_and_csum_datagram_msg; a TCP segment's before it,
 *   tcp_checksum_complete).
 * - VALID (CHECKSUM_UNNECESSARY): checked, by the receiving NIC (its driver's offload)
 *   or in software. */
typedef enum iopath_csum {
    IOPATH_CSUM_PARTIAL = 0,
    IOPATH_CSUM_FILL,
    IOPATH_CSUM_NONE,
    IOPATH_CSUM_VALID,
} iopath_csum;

/* A packet (or a completion token) between stages: one frame, or a segment of
 * `frames` frames (TCP-like traffic with segmentation offloads): frames - 1 of
 * pkt.len_bytes and a last one of last_bytes. */
typedef struct iopath_item {
    nic_pkt pkt;
    uint16_t frames;     /* >= 1 */
    uint16_t last_bytes; /* the last frame's length (FCS included) */
    uint64_t ready_ps; /* it may be taken no earlier */
    uint16_t lane;     /* the lane whose stage holds it */
    uint16_t src_lane; /* the sending lane (completions, switch ingress); IOPATH_FROM_WIRE */
    /* Who handed it over and how that hand-off notifies, for a notification found due
     * only later (the consumer caught up and slept before the item's time). */
    uint16_t producer_core;
    uint8_t producer_who, notify; /* cpu_who, path_notify */
    bool producer_urgent;
    uint8_t csum;        /* iopath_csum */
    uint16_t grant_maps; /* pages of it a driver domain holds grant-mapped (GRANT_COPY with
                            a copy length) until a GRANT_UNMAP */
    bool backlog; /* the softirq put it on its socket's backlog (PATH_OP_BACKLOG): the
                     socket's part of the stack is still to run */
} iopath_item;
#define IOPATH_FROM_WIRE 0xffffu

/* Headers of a frame before its payload: Ethernet 14, IPv4 20, and UDP 8 or TCP 20 with
 * the timestamp option 12 (Linux's default: a 1448-byte MSS on a 1500-byte MTU). */
#define IOPATH_UDP_HDR_BYTES 42u
#define IOPATH_TCP_HDR_BYTES 66u
/* Where the TCP or UDP header begins, which the checksum covers from: after Ethernet's
 * 14 bytes and IPv4's 20. */
#define IOPATH_L4_OFFSET_BYTES 34u

/* A receiver's GRO (path.h, PATH_OP_GRO): the segments it is merging, one per flow,
 * and where its steps go on when one is flushed. */
#define IOPATH_GRO_FLOWS 8
typedef struct iopath_gro_flow {
    iopath_item it;
    uint64_t age; /* when it was started, in the receiver's order */
    bool held;
} iopath_gro_flow;

typedef struct iopath_gro {
    iopath_gro_flow flow[IOPATH_GRO_FLOWS];
    const path_stage *d;
    const struct path_step *resume;
    unsigned n;   /* flows held */
    uint64_t seq;
} iopath_gro;

/* One VM's instance of a stage that has its own thread: a bounded queue (the ring or
 * socket queue in front of it) and one kernel event. */
/* A TCP-like stream's receiver (its socket): whose stream it is, the payload bytes it
 * took since its last acknowledgement (rcv_nxt - rcv_wup), the number of the last
 * frame it took (nic_pkt.seq), which its acknowledgements carry, and whether an
 * acknowledgement waits for the end of the backlog's run (TCP_ACK_DEFERRED). */
typedef struct iopath_rcv_flow {
    uint64_t src_mac;
    uint32_t flow, last_seq;
    uint32_t read_seq; /* the last frame the application has read (RECV_END) */
    uint32_t adv_read; /* the read_seq the last acknowledgement carried */
    uint32_t adv_seq;  /* the last_seq it acknowledged (Linux's rcv_wup) */
    uint32_t read_pending_seq; /* an inline reader's reads in this poll, not yet seen */
    bool read_pending;
    const void *read_by; /* the poll that ran that reader (inline_reads_end) */
    uint64_t unacked_bytes;
    bool ack_deferred;
} iopath_rcv_flow;

typedef struct iopath_stage {
    iopath *io;
    iopath_lane *lane;
    const path_stage *d;
    unsigned core;
    iopath_item *q;
    uint32_t cap, head, len;
    sim_event *ev;
    uint64_t t_free;   /* the thread has worked up to here */
    uint64_t sleep_at; /* when it found its queue empty and went to sleep */
    uint64_t awake_ps; /* when its last notification's wake-up ends: it runs from then */
    uint64_t wake_ps;  /* how long that wake-up took */
    uint64_t read_bytes; /* a reader's: copied in its current recvmsg call (RECV_END) */
    uint64_t last_irq_ps;
    uint64_t irq_gap_ps;
    uint32_t batch; /* items taken in the current software batch (0: none begun) */
    uint32_t batch_grant_ops; /* grant map or unmap operations in the current batch */
    iopath_gro gro;
    /* A back-end thread that fills a guest's ring (a TO_STAGE to a stage with a ring):
     * that stage, whose room it waits for; NULL for the others. And the other way: the
     * back-end that fills this stage's ring, woken when it takes an item. */
    struct iopath_stage *ring_out, *ring_in;
    bool segments_out; /* it cuts segments into frames in software before ring_out */
    bool asleep, woken, has_nic;
    bool blocked_nic;  /* stopped by a full NIC queue: it retries after retry_ps */
    bool blocked_ring; /* stopped by a full ring_out: woken when that stage's poll ends */
} iopath_stage;

/* The CPU seam of one NIC driver queue: where its cycles run, and the owner's context. */
typedef struct iopath_drvq {
    iopath *io;
    nic_drvq *q;
    iopath_lane *lane;  /* owning lane (assigned functions, native application), or the
                           lane a host queue serves (VMDq); NULL: host */
    unsigned core;     /* where its polls and interrupts run */
    cpu_who who;
    bool via_hv;       /* its interrupts go to a VM (assigned function, driver domain) */
    bool irq_dest_in_vm; /* its remapping entry's destination core runs a vCPU (io.irq_affinity) */
    bool csum;         /* its driver offloads checksums (nic_drvq_csum; iopath_build_stages) */
    bool poll;         /* its driver polls (nic_drvq_poll; iopath_build_stages) */
    /* A caller running the driver in its own context (a back-end posting to the PF's
     * queue) moves the cycles to its core; ahead_ps is work the engine did inline in the
     * driver's poll, so the driver goes on after it. */
    bool override;
    unsigned override_core;
    cpu_who override_who;
    bool override_urgent;
    uint64_t ahead_ps, last_ps;
    iopath_gro gro; /* GRO of the receive work inline in its poll */
    struct iopath_zc *zc; /* items waiting for their packet's free (zcopy.h); NULL: none */
} iopath_drvq;

typedef struct iopath_sender {
    sim_event *ev;
    uint64_t t_free;
    uint64_t next_ps, interval_ps; /* offered rate; interval 0: as fast as it goes */
    bool poisson;    /* at an offered rate: exponential gaps of mean interval_ps */
    sim_rng gap_rng; /* their draws, a stream per lane */
    uint64_t dst_mac;
    uint32_t flow;
    uint32_t rr_due; /* rr: requests it may send now (responses received) */
    uint32_t msg_left_bytes; /* TCP-like: payload of the current message not yet sent */
    bool fill_csum; /* its datagrams' checksums are filled in the copy (IOPATH_CSUM_FILL) */
    /* The socket's memory (sk_wmem_alloc): what it sent and has not yet been freed,
     * bytes for TCP-like streams, SKB_TRUESIZE per frame for datagrams. */
    uint64_t wmem_bytes;
    bool wmem_blocked;        /* waiting for wmem_bytes to fall */
    uint64_t wmem_need_bytes; /* the packet it waits to send */
    uint64_t rto_due_ps;  /* its retransmission timer (io.rto_min_ps); 0: not armed */
    unsigned rto_backoff; /* time-outs since the last response: the time-out doubles */
    bool blocked, active;
} iopath_sender;

/* A lane is one queue of a VM (native: one thread of an application): a vCPU, its
 * queue pair (its ring in a virtual device, or its NIC queue), the back-end thread
 * serving that queue (a vhost worker per virtqueue pair, a netback queue), and the
 * sending thread pinned to that vCPU. A VM with io.queues queue pairs has that many
 * lanes, next to each other in iopath.lane; they share its address and switch port. */
struct iopath_lane {
    iopath *io;
    const path_desc *path; /* the table its stages and sender run (NULL at build: io.path) */
    unsigned idx;        /* in iopath.lane */
    unsigned vm, queue;  /* its VM, and which of the VM's queue pairs it is */
    unsigned vcpu_core, backend_core;
    unsigned app_core;   /* its application's thread (the sender, recvmsg): the vCPU's
                            core, or on native with place.app = own a core of its own */
    uint64_t mac;        /* its VM's address, which its application sends from */
    uint16_t port;       /* its VM's virtual switch port */
    iopath_stage *stage[PATH_MAX_STAGES]; /* NULL for inline and sender stages */
    uint32_t tx_credits, tx_cap; /* the sender's ring slots */
    iopath_sender snd;
    /* TCP's receive side, per stream the lane takes (a socket each). */
    iopath_rcv_flow *rcv;
    uint32_t n_rcv, cap_rcv;
    const void *reader_poll; /* the poll running the lane's inline reader now (push) */
    iopath_drvq *own;    /* its own NIC queue (native, passthrough, SR-IOV; VMDq: the PF
                            queue the driver domain drives for it) */
    unsigned fn;         /* its VM's function (assigned paths) */
    uint64_t pd_addr;    /* its vCPU's posted-interrupt descriptor */
    /* A failover pair (iopath_lane_failover): the member whose sender is the
     * application's now, when that is not this lane; NULL: this lane. */
    iopath_lane *app;
    bool stopped;          /* its VM does not run (iopath_lane_set_running) */
    uint64_t stopped_at_ps;
    sim_event *rto_ev;     /* its retransmission timer; NULL: none (io.rto_min_ps = 0) */
};

/* One hold of a VM's invalidation lock by a vCPU, [start_ps, end_ps): a trap's, or a
 * pass through the lock (a nested guest's map), an instant, start_ps = end_ps, so that
 * a hold booked after it that spans it can charge it its wait. */
typedef struct iopath_lock_hold {
    uint64_t start_ps, end_ps;
    uint8_t who;   /* its cpu_who */
    bool urgent;   /* it ran as interrupt work (the vCPU's softirq), not its thread's */
    bool waited;   /* a pass counted among viommu.lock_waits already */
} iopath_lock_hold;

/* The latest holds of a VM's invalidation lock by one vCPU, in a ring of `cap` (0 until
 * the first): what the VM's other vCPUs must not overlap, nor the vCPU's other context
 * (interrupt or thread: spin_lock_irqsave keeps them apart). Bookings run ahead of the
 * clock, a core's by up to about 150 us at the default net.quantum_ns (a trap holds
 * the lock for 6 to 11 us), further with a longer quantum: the ring starts at
 * IOPATH_LOCK_HOLDS and doubles rather than drop a hold that has not ended by the
 * clock. */
#define IOPATH_LOCK_HOLDS 32
typedef struct iopath_lock_holds {
    iopath_lock_hold *ring;
    uint32_t cap, next; /* next: the slot the next hold replaces, the oldest */
} iopath_lock_holds;

typedef struct iopath_counters {
    uint64_t sent;              /* packets the applications sent */
    uint64_t delivered, delivered_bytes; /* packets applications received */
    uint64_t copies, copy_bytes;
    uint64_t segments;          /* segments of more than one frame the senders made */
    uint64_t sw_segmented;      /* frames made by software segmentation (GSO) */
    uint64_t tso_segments;      /* segments handed to a NIC's TSO */
    uint64_t gro_merged;        /* received frames GRO merged into a held segment */
    uint64_t gro_flushes;       /* segments GRO passed up */
    uint64_t grant_copies;
    uint64_t grant_maps, grant_unmaps; /* grant map and unmap operations */
    uint64_t gnttab_flushes;    /* TLB flushes of grant unmap hypercalls */
    uint64_t freed_handoffs;    /* items handed on when the NIC driver freed their packet */
    uint64_t switched;
    uint64_t notifies, notifies_suppressed;
    uint64_t slot_notifies;     /* notifications of a stage that gives senders their ring
                                   slots back (a completion handler, vhost's transmit) */
    uint64_t batches;           /* software batches stage threads began (NAPI polls, runs) */
    uint64_t irqs;              /* interrupts CPUs took: the host's and virtual ones */
    uint64_t irq_blocked;       /* interrupt messages the IOMMU blocked */
    uint64_t queue_drops;       /* a stage's queue (ring) was full */
    uint64_t xmit_drops;        /* the NIC driver's backlog refused a packet */
    uint64_t misdelivered;      /* reached an application that is not its destination */
    uint64_t sender_blocks;     /* the sender found its ring or NIC queue full */
    uint64_t stopped_drops;     /* frames that reached a VM that was not running */
    uint64_t rto_timeouts;      /* retransmission time-outs of closed-loop clients */
    uint64_t rto_resent;        /* requests they sent again */
    uint64_t viommu_map_traps, viommu_unmap_traps; /* guests' trapped vIOMMU invalidations */
    uint64_t viommu_lock_takes;   /* ... and maps, each taking its VM's lock */
    uint64_t viommu_lock_waits;   /* ... of them, those that found it held */
    uint64_t viommu_lock_wait_ps; /* the time their vCPUs spun on it */
    uint64_t viommu_lock_overlap_ps; /* the time holds overlapped (noise) */
    uint64_t acks_sent;         /* pure TCP acknowledgements receivers sent */
    uint64_t window_updates;    /* ... of them a reader sent for the window it freed */
    uint64_t ack_drops;         /* ... that found the lane's transmit ring full */
    uint64_t acks_received;     /* pure TCP acknowledgements from the link partner taken */
    uint64_t backlogged;        /* packets the softirq put on the backlog of a held socket */
} iopath_counters;

struct iopath {
    /* set by the system before iopath_build_stages */
    sim_kernel *kernel;
    const path_desc *path;     /* every lane's table unless the lane names its own */
    const path_desc *host_path; /* the table the host's PF queues run (NULL at build: path) */
    unsigned switch_lane0;     /* the lane the virtual switch's port 1 leads to (port p:
                                  switch_lane0 + (p - 1) x queues) */
    uint64_t cost[PATH_COSTS]; /* path_costs_load */
    iopath_pattern pattern;
    unsigned vms;              /* VMs (native: applications) */
    unsigned queues;           /* queue pairs per VM, each a lane */
    unsigned nlanes;           /* vms x queues */
    uint32_t frame_bytes;
    /* TCP-like streams (msg_bytes > 0): the applications write messages of msg_bytes,
     * cut into frames of frame_bytes (IOPATH_TCP_HDR_BYTES of headers and the FCS
     * around the payload) and, with gso, into segments of up to gso_max_bytes that GRO
     * also merges up to; 0: every packet is one UDP-like frame. */
    uint32_t msg_bytes, gso_max_bytes;
    /* The window a TCP-like stream's receiver offers, in frames (the link partner's
     * streams; 0: none): its acknowledgements carry what the application has read. */
    uint32_t rcv_window_frames;
    uint64_t recv_bytes;       /* what a reader asks each recvmsg for; 0: no limit */
    uint64_t tsq_limit_bytes;  /* TCP Small Queues: bytes a socket has below TCP */
    uint64_t sndbuf_bytes;     /* a datagram socket's send buffer (truesize) */
    uint32_t nic_ring_entries; /* descriptors in each NIC ring */
    bool gso;
    bool off[PATH_OFFLOADS];   /* path_offloads_load */
    double emu_csum_bytes_per_cycle; /* path_emu_csum_bytes_per_cycle */
    uint64_t quantum_ps;       /* most work a thread books ahead per activation */
    uint64_t retry_ps;         /* a sender or stage stopped by a full NIC queue retries */
    uint32_t budget;           /* items a stage takes per activation (NAPI budget) */
    uint32_t txq_limit;        /* packets queued to a NIC queue before a sender stops */
    uint32_t rr_outstanding;   /* rr: requests each VM keeps in flight */
    uint32_t rr_app_cycles;    /* rr: the application's work per request */
    uint64_t viommu_map_cycles, viommu_unmap_cycles; /* a trapped vIOMMU invalidation's
                                                        host work (iopath_drvq_trap): after
                                                        a map, after an unmap (a nested
                                                        guest's: viommu.flush_cycles) */
    iopath_lock_holds *viommu_lock; /* a VM's invalidation lock (viommu.inv_lock): two
                                       per lane, its queue's vCPU's holds and its
                                       application vCPU's (place.app = own); NULL: none */
    uint64_t rto_min_ps;       /* rr: a closed-loop client's retransmission time-out; 0: none
                                  (no request is ever lost then) */
    cpu *cpu;
    hv *hv;
    halt *halt;                /* idle vCPUs and application threads halt; NULL: never */
    vswitch *vsw;              /* NULL when the path has no switch */
    iommu *iommu;              /* interrupt remapping and posting */
    iopath_lane *lane;         /* nlanes of them, VM by VM */
    iopath_drvq **dq;          /* every driver queue, indexed by its interrupt remapping index */
    unsigned ndq;
    iopath_drvq **host_q;      /* the host's (or driver domain's) PF queues */
    unsigned nhost_q;
    sim_hist *lat;             /* application latency, registered by the system */
    sim_timeline *tl;          /* trace.timeline, NULL when off (iopath_set_timeline) */
    unsigned *tl_stage;        /* per core: its track of followed packets' stages */
    sim_breakdown *bd;         /* net.breakdown, NULL when off (iopath_set_breakdown) */
    uint32_t next_id;          /* the last packet id given (timeline or breakdown on) */
    /* kept by the engine */
    /* TCP-like: payload per frame, frames per segment the stack builds, frames GRO
     * merges at most, and the frames of net.gso_max_bytes (GRO's limit on a host whose
     * rings do not cap it: the link partner's) */
    uint32_t mss_bytes, seg_frames, gro_frames, gso_max_frames;
    iopath_counters c;
};

/* trace.timeline: packets born from now on are numbered (an id in their nic_pkt) and
 * followed one in the timeline's `every`: their turns in stages are slices (group
 * "stages", a track per core); the CPU's, the NIC's and the link's own slices come
 * from those components. */
void iopath_set_timeline(iopath *io, sim_timeline *tl);
/* The categories of the latency breakdown (net.breakdown): the CPU work of a packet's
 * own steps by whom (cpu_who's order), the NIC's own part of its DMA, the PCIe link and
 * root complex, the IOMMU's translation, memory, the wire (both ways, propagation
 * included), the link partner's turnaround, and waiting. */
enum {
    IOPATH_BD_GUEST = CPU_GUEST,
    IOPATH_BD_HYPERVISOR = CPU_HYPERVISOR,
    IOPATH_BD_HOST = CPU_HOST,
    IOPATH_BD_NIC,
    IOPATH_BD_PCIE,
    IOPATH_BD_IOMMU,
    IOPATH_BD_MEMORY,
    IOPATH_BD_WIRE,
    IOPATH_BD_REMOTE,
    IOPATH_BD_WAIT,
    IOPATH_BD_CATS
};
/* net.breakdown: packets the applications send from now on are numbered; what the CPU
 * books while their own steps run joins their breakdown (by whom: cpu_set_breakdown),
 * which completes where their latency is counted. */
void iopath_set_breakdown(iopath *io, sim_breakdown *bd);
/* Creates each VM's stage threads and sender (events and queues). */
void iopath_build_stages(iopath *io);
void iopath_destroy_stages(iopath *io);
/* The active senders start at t_ps (offered-rate senders staggered over one interval). */
void iopath_start(iopath *io, uint64_t t_ps);
/* A frame a driver queue received, at t on the queue's core (its receive handler,
 * nic_drv_rx_fn; ctx is the iopath_drvq). */
void iopath_drvq_rx(void *ctx, nic_drvq *q, const nic_pkt *p, uint64_t t_ps);
/* The queue's poll has ended at t (nic_drv_rx_done_fn): GRO passes up what it holds. */
void iopath_drvq_rx_done(void *ctx, nic_drvq *q, uint64_t t_ps);
/* The queue's poll reclaimed transmitted packets (nic_drv_tx_done_fn): the owning
 * application's socket frees them, and items waiting for those packets' free
 * (PATH_OP_ON_FREE) go on. */
void iopath_drvq_tx_done(void *ctx, nic_drvq *q, uint32_t frames, uint64_t bytes,
                         uint64_t t_ps);
/* net_failover's switch of an application between the two members of a pair (lanes of
 * one VM queue on two devices): from t the application's sender, its socket and its
 * requests in flight are `to`'s; what `from` still holds (packets in its rings, a
 * response on its way) completes to the application where it now is. Nothing when the
 * application is not on `from`. */
void iopath_lane_failover(iopath *io, iopath_lane *from, iopath_lane *to, uint64_t t_ps);
/* The lane's VM stops (a migration's stop-and-copy) or runs again at t: while stopped its
 * sender sends nothing, frames that reach its application are lost (counted), and its
 * retransmission timer stands still. */
void iopath_lane_set_running(iopath *io, iopath_lane *ln, bool running, uint64_t t_ps);
/* A poll-mode queue's loop spun idle over [from, to) on its core (nic_drv_spin_fn; ctx
 * is the iopath_drvq): the core's time, booked where nothing else runs. */
void iopath_drvq_spin(void *ctx, uint64_t from_ps, uint64_t to_ps);
/* The CPU seam of every driver queue (nic_drv_cpu_fn; ctx is the iopath_drvq). */
uint64_t iopath_drvq_cpu(void *ctx, uint64_t t_ps, uint64_t cycles, uint64_t stall_ps);
/* The trap seam (nic_drv_trap_fn; ctx is the iopath_drvq): a guest's invalidations of
 * its vIOMMU (host/viommu.h), each an exit to user space on the core the driver runs on
 * and the emulator's and VFIO's work there, io->viommu_map_cycles or _unmap_cycles, with
 * the VM's lock held (io->viommu_lock: a vCPU that finds it held spins first); maps
 * that trapped nothing wait for the lock. */
uint64_t iopath_drvq_trap(void *ctx, uint64_t t_ps, const nic_drv_dma_calls *calls);
/* Frees the rings of io->viommu_lock's n vCPUs and the array. */
void iopath_lock_free(iopath_lock_holds *locks, size_t n);
/* An interrupt message the IOMMU remapped or posted (iommu_irq_fn; ctx is the iopath):
 * delivered to the core of the queue its remapping index names. */
void iopath_on_irq(void *ctx, const iommu_irq_outcome *o);

#endif
