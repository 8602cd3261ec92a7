/* The I/O paths as data. A path is a table of stages; a stage is where a piece of a
 * packet's journey runs (the VM's vCPU, the VM's back-end thread, or the host's stack
 * inline in the physical driver's poll) and the steps it takes there: cycles of a
 * named cost, copies, VM exits, grant copies, the virtual switch, hand-offs to the next
 * stage with a notification mechanism, completions back to the sender, the physical
 * NIC, delivery to the application. One engine (host/iopath/engine.c) interprets
 * every path; the timing comes only from the models the steps cross (cores, exits,
 * copies, the switch, the NIC, PCIe, the IOMMU), never from the path itself.
 *
 * Directions. The sender stage (tx_entry) runs once per packet the application sends;
 * rx_entry runs inline in the receive poll of the NIC queue that received a frame
 * (the host's PF driver, or the VM's own driver for assigned functions), or
 * lane_rx_entry in the poll of a PF queue the host drives for one lane (VMDq); a frame
 * the virtual switch hands to a VM enters at switch_entry. */
#ifndef HOST_IOPATH_PATH_H
#define HOST_IOPATH_PATH_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/params.h"

typedef enum path_kind {
    PATH_NATIVE = 0,
    PATH_EMULATED,
    PATH_PARAVIRT,
    PATH_DEVDOMAIN,
    PATH_PASSTHROUGH,
    PATH_SRIOV,
    PATH_VMDQ,
    PATH_VDPA,
    PATH_VHOSTUSER,
    PATH_SIOV,
    PATH_KINDS
} path_kind;

/* Who drives the physical function that carries the traffic. */
typedef enum path_nic_owner {
    PATH_NIC_APP,     /* native: each application thread has a PF queue pair, driven on its core */
    PATH_NIC_HOST,    /* the host's PF driver, behind the virtual switch */
    PATH_NIC_DDOM,    /* the driver domain's PF driver (a VM owning the PF), behind its switch */
    PATH_NIC_VM_PF,   /* the VM's own driver on the whole NIC (passthrough) */
    PATH_NIC_VM_VF,   /* the VM's own driver on its VF (SR-IOV; vDPA: virtio rings the VF
                         serves) */
    PATH_NIC_VM_ADI,  /* the VM's own driver on PF queue pairs tagged with its PASID, a
                         Scalable IOV assignable interface; the slow path is the host's */
} path_nic_owner;

typedef enum path_place {
    PATH_PLACE_VCPU,    /* the VM's vCPU; on native the core of the thread's queue, which
                           takes its interrupts (the thread's own too, unless place.app =
                           own) */
    PATH_PLACE_BACKEND, /* the VM's back-end thread: device model, vhost worker, netback */
    PATH_PLACE_HOST,    /* inline in the host's (or driver domain's) PF receive poll */
    PATH_PLACE_APP,     /* the application's thread: the VM's vCPU, or on native the core
                           place.app gives it (the queue's, or one of its own) */
} path_place;

typedef enum path_op {
    PATH_OP_END = 0,
    PATH_OP_RUN,        /* cycles of cost `arg` (times `n` if given) */
    PATH_OP_COPY,       /* memcpy of the packet's host-side bytes (cpu_copy_cycles) */
    PATH_OP_EXIT,       /* the VM this stage runs in exits for reason `arg` (hv_exit_reason) */
    PATH_OP_GRANT_COPY, /* Xen grant copy: the hypervisor checks the grant and copies; with
                           `arg` (a cost giving bytes) it copies only that many of the
                           packet's first bytes and grant-maps the rest, a map operation
                           per 4 KiB page (the item then holds the mappings), in one
                           map hypercall per batch that maps */
    PATH_OP_SWITCH,     /* the virtual switch: on to the uplink (next steps) or to a VM */
    PATH_OP_TO_STAGE,   /* hand to stage `arg` of the same VM, notified by `notify` */
    PATH_OP_COMPLETE,   /* a completion to stage `arg` of the sending VM, by `notify` */
    PATH_OP_TO_NIC,     /* post to a NIC transmit queue (the stage's function or the PF) */
    PATH_OP_DELIVER,    /* the application has the packet */
    PATH_OP_SOCK_COPY,  /* the socket's copy of the payload between the application and
                           the kernel (every path has it; not counted in copies) */
    PATH_OP_SEGMENT,    /* software segmentation (GSO) of a segment into its frames,
                           unless offload `arg` (path_offload) lets the next device take
                           whole segments: the steps after it run once per frame, but a
                           COMPLETE after it runs once, after the last frame */
    PATH_OP_GRO,        /* receive merging: frames of one TCP-like flow are held and the
                           steps after it run once per merged segment, when the stage's
                           activation (or the NIC driver's poll) ends, the flow changes or
                           the segment is full; a no-op without path offload GRO */
    PATH_OP_ON_FREE,    /* an item holding grant mappings goes on at stage `arg` of its
                           lane once the NIC driver has freed the packet that the last
                           TO_NIC posted (notified by `notify`); the steps after this one
                           run only for an item holding none */
    PATH_OP_GRANT_UNMAP, /* the hypervisor unmaps grant mappings: an operation each, and a
                            TLB flush per PATH_GNTTAB_UNMAP_BATCH of them in the stage's
                            batch (one unmap hypercall per batch: an EXIT step per run);
                            per packet the item's, per run those of every item ready in
                            the stage's queue (up to the budget) */
    PATH_OP_CSUM,       /* the packet is handed to a device that takes partial checksums
                           only with offload `arg` (path_offload): without it a partial
                           checksum is filled here in software, by the kernel's
                           csum_partial or as the flags in `notify` say (PATH_CSUM_*);
                           iopath.h (iopath_csum) says what moves with a packet and where
                           SOCK_COPY, GRO and TO_NIC compute or check a checksum */
    PATH_OP_TCP_ACK,    /* TCP's receive side after the stack took a segment of a TCP-like
                           stream: an acknowledgement goes down the receiving lane's
                           transmit path once more than one full segment is unacknowledged
                           and the window's right edge advances; else the reader's call
                           end sends it (engine.c, tcp_ack) */
    PATH_OP_BACKLOG,    /* the stack has found the socket: if its reader, stage `arg`, runs
                           on another core and holds the socket now (tcp_v4_rcv:
                           sock_owned_by_user), the softirq queues the packet on the
                           socket's backlog (tcp_add_backlog) and hands it to the reader,
                           which runs the socket's part of the stack for it
                           (BACKLOG_RCV); the steps after this one run only for a packet
                           the softirq keeps (engine.c, backlog) */
    PATH_OP_BACKLOG_RCV, /* the reader's side of BACKLOG: a packet from the backlog gets
                            the socket's part of the stack and TCP_ACK's acknowledgement
                            (tcp_v4_do_rcv in __release_sock), the acknowledgement deferred
                            to the end of the backlog's run with offload `arg` */
    PATH_OP_RECV_END,   /* the reader after its copy of a TCP-like stream's data: what it
                           read opens the receive window its acknowledgements offer, and
                           its recvmsg call returns once it has copied iopath.recv_bytes
                           or found nothing more (inline in the softirq: as the poll
                           ends): an acknowledgement left for it, or a window update if
                           the window had shrunk to half or less (tcp_cleanup_rbuf),
                           then release_sock runs what is on the backlog (BACKLOG_RCV's
                           work, the acknowledgement deferred with offload `arg`) and the
                           next call takes the socket again (engine.c, recv_end) */
} path_op;

/* PATH_OP_CSUM's flags (in its step's `notify`). */
#define PATH_CSUM_BY_EMU 1u      /* an emulator's own loop fills it (emu.csum_bytes_per_cycle) */
#define PATH_CSUM_NO_RX_STATE 2u /* the device tells its driver nothing of a checksum checked
                                    before it: the receiver checks it again */

/* Unmap operations Xen does between two TLB flushes (grant_table.c,
 * GNTTAB_UNMAP_BATCH_SIZE in gnttab_unmap_grant_ref). */
#define PATH_GNTTAB_UNMAP_BATCH 32u

/* Offloads a path's steps depend on, each a switch (path_offloads_load). */
typedef enum path_offload {
    PATH_OFF_NONE = 0,        /* none: a SEGMENT with it always segments */
    PATH_OFF_GRO,             /* net.gro */
    PATH_OFF_VIRTIO_HOST_TSO, /* virtio.host_tso: the device takes segments from the guest */
    PATH_OFF_VIRTIO_GUEST_TSO, /* virtio.guest_tso: the guest takes segments */
    PATH_OFF_XEN_GSO,         /* xen.gso: netfront and netback pass segments both ways */
    PATH_OFF_EMU_TSO,         /* emu.tso: the guest's e1000 driver posts segments */
    PATH_OFF_VIRTIO_CSUM,     /* virtio.csum: the device takes partial checksums from the guest */
    PATH_OFF_VIRTIO_GUEST_CSUM, /* virtio.guest_csum: the guest takes partial checksums */
    PATH_OFF_XEN_CSUM,        /* xen.csum: netfront and netback pass partial checksums */
    PATH_OFF_EMU_CSUM,        /* emu.csum: the guest's e1000 driver leaves them to the device */
    PATH_OFF_VHU_TSO,         /* vhostuser.tso: the vhost-user port takes segments */
    PATH_OFF_VHU_CSUM,        /* vhostuser.csum: the vhost-user port takes partial checksums */
    PATH_OFF_BACKLOG_ACK_DEFER, /* net.backlog_ack_defer: one acknowledgement per backlog run */
    PATH_OFFLOADS
} path_offload;

typedef enum path_when {
    PATH_PER_PKT = 0, /* every packet */
    PATH_PER_RUN,     /* once per activation of the stage (a batch of packets) */
    PATH_PER_WAKE,    /* once per notification that woke the stage */
} path_when;

/* How a hand-off tells the next stage, and what that costs (engine.c). A notification
 * is sent only when the receiver sleeps: a stage that is running picks new items up
 * itself (virtio's event index, Xen's RING_PUSH_..._CHECK_NOTIFY, NAPI's disabled
 * interrupts). */
typedef enum path_notify {
    PATH_NOTIFY_NONE = 0, /* nothing more: the exit before the hand-off was the signal */
    PATH_NOTIFY_IOEVENTFD, /* guest kick: exit handled in the host kernel, ioeventfd signal,
                              the back-end thread wakes */
    PATH_NOTIFY_WAKE,     /* host thread to host thread: signal, wake-up */
    PATH_NOTIFY_IRQFD,    /* host thread to guest: irqfd signal, virtual interrupt (exit or
                             posted) and its EOI */
    PATH_NOTIFY_EVTCHN,   /* Xen event channel: a hypercall by the sender, a virtual
                             interrupt to the receiving domain (and its thread's wake-up) */
    PATH_NOTIFY_GUEST_IPI, /* a guest's thread to a thread on another of its vCPUs: the
                              reschedule IPI, unless the target's idle loop polls */
    PATH_NOTIFY_SOCK,     /* the stack to a socket's reader blocked in recvmsg
                             (sk_data_ready: sock_def_readable -> try_to_wake_up): on the
                             reader's core nothing more (engine.c, push); on another
                             core the wake-up PATH_NOTIFY_WAKE makes (native), a
                             guest's PATH_NOTIFY_GUEST_IPI */
} path_notify;
/* The mechanisms are host/notify.h's, value for value. */
#define PATH_NOTIFY_IS_HOST(x) ((int)PATH_NOTIFY_##x == (int)HOST_NOTIFY_##x)

/* Named costs: each is a parameter (paths.c registers the ones paths own; the others
 * belong to the NIC driver, the CPU or the hypervisor model). */
typedef enum path_cost {
    PATH_COST_NONE = 0,
    PATH_COST_STACK_TX,      /* net.stack_tx_cycles */
    PATH_COST_STACK_RX,      /* net.stack_rx_cycles */
    PATH_COST_ACK_TX,        /* net.ack_tx_cycles */
    PATH_COST_GUEST_IRQ,     /* nicdrv.irq_cycles: a guest's interrupt entry and handler */
    PATH_COST_GUEST_POLL,    /* nicdrv.poll_cycles: a NAPI poll's fixed part */
    PATH_COST_VIRTIO_TX,     /* virtio.tx_cycles */
    PATH_COST_VIRTIO_RX,     /* virtio.rx_cycles */
    PATH_COST_VHOST_RUN,     /* virtio.vhost_run_cycles */
    PATH_COST_VHOST_PKT,     /* virtio.vhost_pkt_cycles */
    PATH_COST_VIRTIO_RING,   /* virtio.ring_entries */
    PATH_COST_E1000_TX,      /* emu.guest_tx_cycles */
    PATH_COST_E1000_RX,      /* emu.guest_rx_cycles */
    PATH_COST_E1000_CLEAN,   /* emu.guest_clean_cycles */
    PATH_COST_EMU_PKT,       /* emu.pkt_cycles */
    PATH_COST_EMU_TAP,       /* emu.tap_cycles */
    PATH_COST_EMU_IRQ_EXITS, /* emu.irq_reg_exits */
    PATH_COST_EMU_RING,      /* emu.ring_entries */
    PATH_COST_EMU_ITR_PS,    /* emu.itr_ns, in ps */
    PATH_COST_XEN_FRONT_TX,  /* xen.front_tx_cycles */
    PATH_COST_XEN_FRONT_RX,  /* xen.front_rx_cycles */
    PATH_COST_XEN_FRONT_CLEAN, /* xen.front_clean_cycles */
    PATH_COST_XEN_BACK_PKT,  /* xen.back_pkt_cycles */
    PATH_COST_XEN_GCOPY_OP,  /* xen.gcopy_op_cycles */
    PATH_COST_XEN_RING,      /* xen.ring_entries */
    PATH_COST_XEN_TX_COPY,   /* xen.tx_copy_bytes */
    PATH_COST_XEN_GMAP_OP,   /* xen.gmap_op_cycles */
    PATH_COST_XEN_GUNMAP_OP, /* xen.gunmap_op_cycles */
    PATH_COST_XEN_GNT_FLUSH, /* xen.gnttab_flush_cycles */
    PATH_COST_XEN_DEALLOC_RUN, /* xen.dealloc_run_cycles */
    PATH_COST_XEN_DEALLOC_PKT, /* xen.dealloc_pkt_cycles */
    PATH_COST_GSO_FRAME,     /* net.gso_frame_cycles */
    PATH_COST_GRO_PKT,     /* net.gro_pkt_cycles */
    PATH_COST_PMD_APP,     /* pmd.app_cycles */
    PATH_COST_PMD_TX,      /* pmd.tx_cycles: a PMD's tx_burst per packet */
    PATH_COST_PMD_RX,      /* pmd.rx_cycles: a PMD's rx_burst per packet */
    PATH_COST_PMD_POLL,    /* pmd.poll_cycles: a loop turn that finds work */
    PATH_COST_VHU_DEQUEUE, /* vhostuser.dequeue_cycles */
    PATH_COST_VHU_ENQUEUE, /* vhostuser.enqueue_cycles */
    PATH_COST_VHU_SWITCH,  /* vhostuser.switch_cycles */
    PATH_COST_TAP_QUEUE,   /* vswitch.tap_queue_pkts */
    PATH_COST_SOCK_RCV,    /* net.sock_rcv_cycles: of STACK_RX, the socket's part */
    PATH_COST_BACKLOG_ADD, /* net.backlog_add_cycles */
    PATH_COSTS
} path_cost;

typedef struct path_step {
    uint8_t op;     /* path_op */
    uint8_t when;   /* path_when */
    uint8_t arg;    /* cost, exit reason or stage */
    uint8_t notify; /* path_notify (TO_STAGE, COMPLETE, ON_FREE); flags (CSUM) */
    uint8_t n;      /* a cost giving a repeat count (RUN, EXIT); 0: once */
} path_step;

#define PATH_MAX_STEPS 12
#define PATH_MAX_STAGES 9
#define PATH_NO_STAGE 0xffu

typedef struct path_stage {
    const char *name;
    uint8_t place;         /* path_place */
    uint8_t who;           /* cpu_who */
    uint8_t ring;          /* cost giving the stage's queue (ring) entries */
    uint8_t irq_gap;       /* cost giving the least time between its interrupts (ps) */
    bool frees_tx_slot;    /* taking an item here frees the sender's ring slot */
    bool urgent;           /* interrupt context (a handler, NAPI): preempts thread work */
    bool polls;            /* a poll-mode thread (a DPDK PMD): it never blocks, so it takes
                              an item when it comes, with no notification, and the time it
                              finds nothing is spin on its core */
    path_step steps[PATH_MAX_STEPS];
} path_stage;

typedef struct path_desc {
    const char *name;
    path_kind kind;
    uint8_t nic_owner;     /* path_nic_owner */
    uint8_t tx_entry;      /* the sender's stage */
    uint8_t rx_entry;      /* inline in the NIC queue's receive poll */
    uint8_t lane_rx_entry; /* nonzero: the NIC's owner (host, driver domain) also drives a PF
                              queue pair per lane, which the NIC's VMDq filter fills with
                              its VM's frames, and this stage runs inline in that queue's
                              poll (0, the sender's stage, is never a receive entry) */
    uint8_t switch_entry;  /* where the switch hands frames to a VM; PATH_NO_STAGE: none */
    uint8_t switch_notify; /* how that hand-off notifies */
    uint8_t sender_ring;   /* cost giving the sender's transmit ring; PATH_COST_NONE: the
                              sender posts to the NIC queue */
    uint8_t sender_tso;    /* offload letting the sender's ring take whole segments (one
                              slot each); without it a segment takes a slot per frame */
    uint8_t sender_csum;   /* offload letting the sender's ring take partial checksums; a
                              sender posting to a NIC queue asks the queue's driver */
    uint8_t backend_place; /* default back-end core: 0 its own, 1 the vCPU's, 2 the host's */
    uint8_t switch_cost;   /* cost of a packet through the switch; PATH_COST_NONE: the
                              kernel's (vswitch.pkt_cycles) */
    bool host_pmd;         /* the host drives the PF with a poll-mode driver (pmd.*) on
                              its cores, not the kernel's (nicdrv.*) */
    uint8_t nstages;
    path_stage stages[PATH_MAX_STAGES];
} path_desc;

const path_desc *path_get(path_kind k);
/* The path with a poll-mode driver under a DPDK application (guest.driver = poll):
 * native, passthrough, sriov, vdpa and siov have one; NULL for the others. */
const path_desc *path_get_poll(path_kind k);
const char *path_kind_name(path_kind k);
/* Registers the costs the paths own (net.stack_*, virtio.*, emu.*, xen.*). */
void path_register_params(sim_params *p);
/* Every cost's value from the parameters (cost[PATH_COST_NONE] = 0). */
void path_costs_load(const sim_params *p, uint64_t cost[PATH_COSTS]);
/* Every offload's switch (off[PATH_OFF_NONE] = false), a segmentation offload only with
 * the checksum offload it needs. */
void path_offloads_load(const sim_params *p, bool off[PATH_OFFLOADS]);
/* emu.csum_bytes_per_cycle: the rate of the checksums PATH_CSUM_BY_EMU fills. */
double path_emu_csum_bytes_per_cycle(const sim_params *p);

/* How many steps with `op` (and, for PATH_OP_EXIT, reason `arg`; -1 any) a packet goes
 * through per packet (PATH_PER_PKT steps, repeats counted) from stage `from` following
 * the hand-offs of the same direction (TO_STAGE; not COMPLETE, not the switch). Tests
 * compare what the engine did with this. */
unsigned path_count_per_pkt(const path_desc *d, uint8_t from, path_op op, int arg,
                            const uint64_t cost[PATH_COSTS]);

#endif
