/* The ten I/O paths as tables (path.h). Reading a table top to bottom is reading what
 * one packet costs on that path; defaults of the costs are in the platform file with
 * their sources. */
#include "host/iopath/path.h"

#include <assert.h>
#include <stddef.h>

#include "host/cpu.h"
#include "host/hv.h"
#include "host/nicdrv.h"

#define END {PATH_OP_END, 0, 0, 0, 0}
#define RUN(c) {PATH_OP_RUN, PATH_PER_PKT, (c), 0, 0}
#define RUN_RUN(c) {PATH_OP_RUN, PATH_PER_RUN, (c), 0, 0}
#define RUN_WAKE(c) {PATH_OP_RUN, PATH_PER_WAKE, (c), 0, 0}
#define COPY {PATH_OP_COPY, PATH_PER_PKT, 0, 0, 0}
#define GRANT_COPY {PATH_OP_GRANT_COPY, PATH_PER_PKT, 0, 0, 0}
#define GRANT_COPY_HEAD(len) {PATH_OP_GRANT_COPY, PATH_PER_PKT, (len), 0, 0}
#define GRANT_UNMAP {PATH_OP_GRANT_UNMAP, PATH_PER_PKT, 0, 0, 0}
#define GRANT_UNMAP_RUN {PATH_OP_GRANT_UNMAP, PATH_PER_RUN, 0, 0, 0}
#define ON_FREE(s, how) {PATH_OP_ON_FREE, PATH_PER_PKT, (s), (how), 0}
#define EXIT(r) {PATH_OP_EXIT, PATH_PER_PKT, (r), 0, 0}
#define EXIT_RUN(r) {PATH_OP_EXIT, PATH_PER_RUN, (r), 0, 0}
#define EXIT_WAKE_N(r, n) {PATH_OP_EXIT, PATH_PER_WAKE, (r), 0, (n)}
#define SWITCH {PATH_OP_SWITCH, PATH_PER_PKT, 0, 0, 0}
#define TO_STAGE(s, how) {PATH_OP_TO_STAGE, PATH_PER_PKT, (s), (how), 0}
#define COMPLETE(s, how) {PATH_OP_COMPLETE, PATH_PER_PKT, (s), (how), 0}
#define TO_NIC {PATH_OP_TO_NIC, PATH_PER_PKT, 0, 0, 0}
#define DELIVER {PATH_OP_DELIVER, PATH_PER_PKT, 0, 0, 0}
#define TCP_ACK {PATH_OP_TCP_ACK, PATH_PER_PKT, 0, 0, 0}
#define SOCK_COPY {PATH_OP_SOCK_COPY, PATH_PER_PKT, 0, 0, 0}
#define SEGMENT_UNLESS(off) {PATH_OP_SEGMENT, PATH_PER_PKT, (off), 0, 0}
#define GRO {PATH_OP_GRO, PATH_PER_PKT, PATH_OFF_GRO, 0, 0}
/* The socket's backlog (path.h, PATH_OP_BACKLOG). */
#define BACKLOG(s) {PATH_OP_BACKLOG, PATH_PER_PKT, (s), 0, 0}
#define BACKLOG_RCV {PATH_OP_BACKLOG_RCV, PATH_PER_PKT, PATH_OFF_BACKLOG_ACK_DEFER, 0, 0}
#define RECV_END {PATH_OP_RECV_END, PATH_PER_PKT, PATH_OFF_BACKLOG_ACK_DEFER, 0, 0}
/* The stack has queued the packet on its socket: stage s, the application's recvmsg,
 * takes it from there. */
#define TO_SOCK(s) TO_STAGE(s, PATH_NOTIFY_SOCK)
/* The application's recvmsg, in process context on its own thread: Linux's receiver
 * copies in tcp_recvmsg (udp_recvmsg), from the socket's queue, not in the softirq that
 * queued the packet (tcp_rcv_established -> tcp_queue_rcv -> sk_data_ready). On the
 * interrupts' core (a VM's one vCPU, native's default) the engine runs it inline, in the
 * softirq's turn (engine.c, push, says why); on a core of its own (native, place.app =
 * own) beside the softirq, woken there. */
#define RECVMSG(who_)                                                                    \
    {.name = "recvmsg", .place = PATH_PLACE_APP, .who = (who_),                            \
     .steps = {BACKLOG_RCV, SOCK_COPY, RECV_END, DELIVER, END}}
/* Handing a packet to a device that takes a partial checksum only with offload `off`:
 * without it the kernel fills it first (validate_xmit_skb -> skb_checksum_help; for the
 * frames software segmentation just cut, skb_segment as it cuts them). */
#define CSUM_UNLESS(off) {PATH_OP_CSUM, PATH_PER_PKT, (off), 0, 0}
/* QEMU's e1000 fills the checksum the guest's driver asked for in a context descriptor
 * (TXSM), in its own C loop: xmit_seg -> putsum -> net_checksum_add, per frame. */
#define CSUM_BY_QEMU {PATH_OP_CSUM, PATH_PER_PKT, PATH_OFF_NONE, PATH_CSUM_BY_EMU, 0}
/* Into QEMU's e1000 from a tap that carries no offloads: a partial checksum (frames the
 * tap cut from a merged segment) is filled by the host kernel before the tap, and the
 * e1000 marks every received descriptor IXSM (e1000_receive_iov), which the guest's
 * driver takes as "not checked" (e1000_rx_checksum): the guest checks every frame. */
#define CSUM_E1000_RX {PATH_OP_CSUM, PATH_PER_PKT, PATH_OFF_NONE, PATH_CSUM_NO_RX_STATE, 0}

/* Native, passthrough and SR-IOV share their stages: the application's stack over a
 * NIC driver (the driver model charges its own cycles, doorbells, interrupts and polls
 * on the same core); only who owns the function and how interrupts arrive differ.
 * Segments go to the driver whole: it hands them to the NIC's TSO, or the stack
 * segments them first when the driver has none (the engine's TO_NIC). Received frames
 * are merged by GRO in the driver's poll (napi_gro_receive) before the stack.
 * Checksums: with the driver's offload (nicdrv.csum, vfdrv.csum) the NIC fills and checks
 * them; without, the engine's SOCK_COPY (a datagram's, in the copy), TO_NIC (a TCP
 * segment's frames, validate_xmit_skb) and GRO or SOCK_COPY on receive do it. */
#define DIRECT_STAGES(who_)                                                              \
    .tx_entry = 0, .rx_entry = 1, .switch_entry = PATH_NO_STAGE, .nstages = 3,             \
    .stages = {                                                                          \
        {.name = "app-tx", .place = PATH_PLACE_APP, .who = (who_),                        \
         .steps = {RUN(PATH_COST_STACK_TX), SOCK_COPY, TO_NIC, END}},                     \
        {.name = "app-rx", .place = PATH_PLACE_VCPU, .who = (who_), .urgent = true,       \
         .steps = {GRO, BACKLOG(2), RUN(PATH_COST_STACK_RX), TCP_ACK, TO_SOCK(2), END}},   \
        RECVMSG(who_),                                                                   \
    }

/* What Xen's split driver has on every path through a driver domain (devdomain,
 * vmdq), stage numbers shared: 0 netfront's transmit, 1 netback's (the paths' own),
 * 2 netfront's completion handler, 3 the driver domain's PF poll of its queues with the
 * bridge, 4 netback's receive, 5 netfront's receive; netback's dealloc thread comes
 * after the paths' own stages (XEN_NETBACK_TX_STEPS names it), and the guest's recvmsg
 * after that (XEN_FRONT_RX names it). */
#define XEN_DESC                                                                           \
    .nic_owner = PATH_NIC_DDOM, .tx_entry = 0, .rx_entry = 3, .switch_entry = 4,           \
    .switch_notify = PATH_NOTIFY_WAKE, .sender_ring = PATH_COST_XEN_RING,                  \
    .sender_tso = PATH_OFF_XEN_GSO, .sender_csum = PATH_OFF_XEN_CSUM, .backend_place = 0
#define XEN_FRONT_TX                                                                       \
    {.name = "front-tx", .place = PATH_PLACE_VCPU, .who = CPU_GUEST,                      \
     .steps = {RUN(PATH_COST_STACK_TX), SOCK_COPY, SEGMENT_UNLESS(PATH_OFF_XEN_GSO),       \
               CSUM_UNLESS(PATH_OFF_XEN_CSUM), RUN(PATH_COST_XEN_FRONT_TX),                \
               TO_STAGE(1, PATH_NOTIFY_EVTCHN), END}}
#define XEN_FRONT_TXCLEAN                                                                  \
    {.name = "front-txclean", .urgent = true, .place = PATH_PLACE_VCPU, .who = CPU_GUEST, \
     .ring = PATH_COST_XEN_RING, .frees_tx_slot = true,                                   \
     .steps = {RUN_WAKE(PATH_COST_GUEST_IRQ), RUN(PATH_COST_XEN_FRONT_CLEAN), END}}
#define XEN_DDOM_RX                                                                        \
    {.name = "ddom-rx", .urgent = true, .place = PATH_PLACE_HOST, .who = CPU_HOST,        \
     .steps = {GRO, SWITCH, END}}
/* netback's transmit (xenvif_tx_action): one grant-copy hypercall per batch
 * (gnttab_batch_copy); per packet its own work and a grant copy of the first
 * xen.tx_copy_bytes into the skb's linear area, the rest grant-mapped as frags
 * (xenvif_tx_build_gops, XEN_NETBACK_TX_COPY_LEN; gnttab_map_refs once per batch that
 * maps); then `fwd` (XEN_BRIDGE, or nothing) and the PF driver. A packet that fit the
 * copy is answered at once (xenvif_tx_submit: xenvif_idx_release); a mapped one when
 * the PF driver frees its skb (xenvif_zerocopy_callback), by the dealloc thread, stage
 * `dealloc`, woken for it. */
#define XEN_NETBACK_TX_STEPS(dealloc, fwd)                                                 \
    {EXIT_RUN(HV_EXIT_HYPERCALL), RUN(PATH_COST_XEN_BACK_PKT),                             \
     GRANT_COPY_HEAD(PATH_COST_XEN_TX_COPY), fwd TO_NIC,                                   \
     ON_FREE((dealloc), PATH_NOTIFY_WAKE), COMPLETE(2, PATH_NOTIFY_EVTCHN), END}
/* netback's dealloc thread (xenvif_dealloc_kthread, xenvif_tx_dealloc_action): per
 * run, its loop and one unmap hypercall for everything freed so far (gnttab_unmap_refs:
 * the hypervisor's unmaps with their TLB flushes); per packet the response
 * (xenvif_idx_release: make_tx_response, push_tx_responses), which raises netfront's
 * event only if netfront sleeps. A packet freed while the batch runs is unmapped on
 * its own (GRANT_UNMAP per packet). */
#define XEN_BRIDGE SWITCH,
#define XEN_NETBACK_DEALLOC                                                                \
    {.name = "netback-dealloc", .place = PATH_PLACE_BACKEND, .who = CPU_HOST,             \
     .ring = PATH_COST_XEN_RING,                                                          \
     .steps = {RUN_RUN(PATH_COST_XEN_DEALLOC_RUN), EXIT_RUN(HV_EXIT_HYPERCALL),             \
               GRANT_UNMAP_RUN, GRANT_UNMAP, RUN(PATH_COST_XEN_DEALLOC_PKT),                \
               COMPLETE(2, PATH_NOTIFY_EVTCHN), END}}
/* netback's receive (xenvif_rx_action). A partial checksum (a frame from another guest
 * of the driver domain) goes on to netfront as csum_blank when netfront takes them
 * (feature-no-csum-offload 0: vif->ip_csum); else the vif has no checksum offload and
 * the driver domain fills it before netback (validate_xmit_skb on the vif: charged here,
 * on netback's thread). A checked one always goes as data_validated
 * (xenvif_rx_data_slot: CHECKSUM_UNNECESSARY). */
#define XEN_NETBACK_RX                                                                     \
    {.name = "netback-rx", .place = PATH_PLACE_BACKEND, .who = CPU_HOST,                  \
     .ring = PATH_COST_XEN_RING,                                                          \
     .steps = {EXIT_RUN(HV_EXIT_HYPERCALL), SEGMENT_UNLESS(PATH_OFF_XEN_GSO),              \
               CSUM_UNLESS(PATH_OFF_XEN_CSUM), RUN(PATH_COST_XEN_BACK_PKT), GRANT_COPY,    \
               TO_STAGE(5, PATH_NOTIFY_EVTCHN), END}}
#define XEN_FRONT_RX(sock)                                                                 \
    {.name = "front-rx", .urgent = true, .place = PATH_PLACE_VCPU, .who = CPU_GUEST,      \
     .ring = PATH_COST_XEN_RING,                                                          \
     .steps = {RUN_WAKE(PATH_COST_GUEST_IRQ), RUN_RUN(PATH_COST_GUEST_POLL),              \
               RUN(PATH_COST_XEN_FRONT_RX), GRO, RUN(PATH_COST_STACK_RX), TCP_ACK,          \
               TO_SOCK(sock), END}}

/* vhost-user's switch (OVS-DPDK, described at PATH_VHOSTUSER below), whatever runs in
 * the guest: the path's shape, and stages 1 to 3, the PMD threads' dequeue and switch
 * to the PF, the PF's receive, and the enqueue into the guest's ring, which tells the
 * guest by `call` (stage 4 is the guest's receive; a kernel guest's recvmsg, 5). */
#define VHU_PATH                                                                           \
    .name = "vhostuser", .kind = PATH_VHOSTUSER, .nic_owner = PATH_NIC_HOST,                 \
    .host_pmd = true, .switch_cost = PATH_COST_VHU_SWITCH, .tx_entry = 0, .rx_entry = 2,     \
    .switch_entry = 3, .switch_notify = PATH_NOTIFY_NONE,                                    \
    .sender_ring = PATH_COST_VIRTIO_RING, .sender_tso = PATH_OFF_VHU_TSO,                    \
    .sender_csum = PATH_OFF_VHU_CSUM, .backend_place = 2
#define VHU_SWITCH_STAGES(call)                                                            \
    {.name = "pmd-dequeue", .place = PATH_PLACE_BACKEND, .who = CPU_HOST,                    \
     .ring = PATH_COST_VIRTIO_RING, .frees_tx_slot = true, .polls = true,                    \
     .steps = {RUN(PATH_COST_VHU_DEQUEUE), COPY, SWITCH, TO_NIC, END}},                      \
    {.name = "pmd-rx", .urgent = true, .place = PATH_PLACE_HOST, .who = CPU_HOST,            \
     .steps = {SWITCH, END}},                                                                \
    {.name = "pmd-enqueue", .place = PATH_PLACE_BACKEND, .who = CPU_HOST,                    \
     .ring = PATH_COST_VIRTIO_RING, .polls = true,                                           \
     .steps = {CSUM_UNLESS(PATH_OFF_VIRTIO_GUEST_CSUM), RUN(PATH_COST_VHU_ENQUEUE), COPY,    \
               TO_STAGE(4, (call)), END}}

static const path_desc paths[PATH_KINDS] = {
    [PATH_NATIVE] = {.name = "native", .kind = PATH_NATIVE, .nic_owner = PATH_NIC_APP,
                     DIRECT_STAGES(CPU_GUEST)},
    [PATH_PASSTHROUGH] = {.name = "passthrough", .kind = PATH_PASSTHROUGH,
                          .nic_owner = PATH_NIC_VM_PF, DIRECT_STAGES(CPU_GUEST)},
    [PATH_SRIOV] = {.name = "sriov", .kind = PATH_SRIOV, .nic_owner = PATH_NIC_VM_VF,
                    DIRECT_STAGES(CPU_GUEST)},
    /* vDPA (kernel vhost-vdpa over a NIC's virtio data path, mlx5_vdpa): the guest runs
     * virtio-net, and the virtqueues it posts to are served by the NIC itself, on a VF.
     * The host's vhost-vdpa and the NIC's vDPA driver only set the device up (rings'
     * addresses, features, the VM's memory in the VF's IOMMU domain); per packet the
     * host does nothing: the guest's kick is a store to the device's notification page,
     * mapped into the guest (mlx5_get_vq_notification), and the device's interrupt is
     * posted to the vCPU ("vdpa/mlx5: Support interrupt bypassing", 2023). So the stages
     * are SR-IOV's; what differs is the driver on them, virtio-net (systems/paths.c,
     * iopath_virtio_drv_cfg). */
    [PATH_VDPA] = {.name = "vdpa", .kind = PATH_VDPA, .nic_owner = PATH_NIC_VM_VF,
                   DIRECT_STAGES(CPU_GUEST)},
    /* Scalable IOV (Intel SIOV, an E810's ADIs): the VM's VF driver (iavf) drives PF
     * queue pairs that the host's VDCM tagged with the VM's PASID; doorbells go to the
     * PF's registers mapped into the guest, DMA is translated by the PASID's entry,
     * interrupts are posted: per packet the stages are SR-IOV's. Only the slow path
     * (configuration space, the virtchnl mailbox) exits, at set-up (host/vdcm.h). */
    [PATH_SIOV] = {.name = "siov", .kind = PATH_SIOV, .nic_owner = PATH_NIC_VM_ADI,
                   DIRECT_STAGES(CPU_GUEST)},

    /* e1000 emulated in host user space (QEMU): every register access of the guest's
     * driver traps to user space. Transmit: one TDT write per packet; the device model
     * copies the frame out of guest memory and writes it to the tap device, where the
     * host stack and the bridge take it to the PF. Completions raise an interrupt whose
     * handler reads and writes registers (more exits). Receive: the device model reads
     * the tap device, copies into a guest buffer, interrupts; the guest refills with a
     * RDT write per poll.
     * Segments: the guest's e1000 driver posts TSO segments (emu.tso); QEMU's e1000
     * segments them itself (process_tx_desc, xmit_seg) and writes each frame to the
     * tap device, which carries no offloads for it, so received segments reach the
     * device model as frames and the guest's GRO merges them again.
     * Checksums: the guest's driver leaves them to the device (emu.csum: e1000_tx_csum
     * writes a context descriptor), and QEMU fills them in software, frame by frame;
     * received frames always reach the guest unchecked (CSUM_E1000_RX). */
    [PATH_EMULATED] = {
        .name = "emulated", .kind = PATH_EMULATED, .nic_owner = PATH_NIC_HOST,
        .tx_entry = 0, .rx_entry = 3, .switch_entry = 4, .switch_notify = PATH_NOTIFY_WAKE,
        .sender_ring = PATH_COST_EMU_RING, .sender_tso = PATH_OFF_EMU_TSO,
        .sender_csum = PATH_OFF_EMU_CSUM, .backend_place = 1,
        .nstages = 7,
        .stages = {
            {.name = "guest-tx", .place = PATH_PLACE_VCPU, .who = CPU_GUEST,
             .steps = {RUN(PATH_COST_STACK_TX), SOCK_COPY, SEGMENT_UNLESS(PATH_OFF_EMU_TSO),
                       CSUM_UNLESS(PATH_OFF_EMU_CSUM), RUN(PATH_COST_E1000_TX),
                       EXIT(HV_EXIT_MMIO_USER), TO_STAGE(1, PATH_NOTIFY_NONE), END}},
            {.name = "devmodel-tx", .place = PATH_PLACE_BACKEND, .who = CPU_HOST,
             .ring = PATH_COST_EMU_RING,
             .steps = {RUN(PATH_COST_EMU_PKT), COPY, SEGMENT_UNLESS(PATH_OFF_NONE), CSUM_BY_QEMU,
                       RUN(PATH_COST_EMU_TAP), SWITCH, TO_NIC, COMPLETE(2, PATH_NOTIFY_IRQFD),
                       END}},
            {.name = "guest-txclean", .urgent = true, .place = PATH_PLACE_VCPU, .who = CPU_GUEST,
             .ring = PATH_COST_EMU_RING, .irq_gap = PATH_COST_EMU_ITR_PS, .frees_tx_slot = true,
             .steps = {RUN_WAKE(PATH_COST_GUEST_IRQ),
                       EXIT_WAKE_N(HV_EXIT_MMIO_USER, PATH_COST_EMU_IRQ_EXITS),
                       RUN(PATH_COST_E1000_CLEAN), END}},
            {.name = "host-rx", .urgent = true, .place = PATH_PLACE_HOST, .who = CPU_HOST,
             .steps = {GRO, SWITCH, END}},
            {.name = "devmodel-rx", .place = PATH_PLACE_BACKEND, .who = CPU_HOST,
             .ring = PATH_COST_TAP_QUEUE, /* what it reads: the tap's queue */
             .steps = {SEGMENT_UNLESS(PATH_OFF_NONE), CSUM_E1000_RX, RUN(PATH_COST_EMU_TAP),
                       RUN(PATH_COST_EMU_PKT), COPY, TO_STAGE(5, PATH_NOTIFY_IRQFD), END}},
            {.name = "guest-rx", .urgent = true, .place = PATH_PLACE_VCPU, .who = CPU_GUEST,
             .ring = PATH_COST_EMU_RING, .irq_gap = PATH_COST_EMU_ITR_PS,
             .steps = {RUN_WAKE(PATH_COST_GUEST_IRQ),
                       EXIT_WAKE_N(HV_EXIT_MMIO_USER, PATH_COST_EMU_IRQ_EXITS),
                       RUN_RUN(PATH_COST_GUEST_POLL), EXIT_RUN(HV_EXIT_MMIO_USER),
                       RUN(PATH_COST_E1000_RX), GRO, RUN(PATH_COST_STACK_RX), TCP_ACK,
                       TO_SOCK(6), END}},
            RECVMSG(CPU_GUEST),
        }},

    /* virtio-net with vhost-net: rings in guest memory, a vhost worker thread in the
     * host kernel per device. The guest kicks through an ioeventfd (an exit handled in
     * the kernel) only when vhost sleeps (event index); vhost copies between the rings
     * and the tap's socket buffers and interrupts the guest through an irqfd only when
     * the guest asked for it (its NAPI is not polling). The guest reclaims transmitted
     * buffers in its next transmit, without an interrupt.
     * Segments: with VIRTIO_NET_F_HOST_TSO4 (virtio.host_tso) the guest posts whole
     * segments, which vhost copies once and the host's PF driver hands to the NIC's TSO;
     * received frames are merged by the host's GRO and, with VIRTIO_NET_F_GUEST_TSO4
     * (virtio.guest_tso, mergeable receive buffers), reach the guest as segments;
     * without it the tap device segments them again.
     * Checksums: with VIRTIO_NET_F_CSUM (virtio.csum) the guest leaves them partial and
     * the host's PF fills them; with VIRTIO_NET_F_GUEST_CSUM (virtio.guest_csum) a partial
     * one reaches the guest as NEEDS_CSUM, which it trusts, else the host fills it before
     * the tap (no TUN_F_CSUM). A checked one reaches it as DATA_VALID either way
     * (tun_put_user; virtnet_probe sets NETIF_F_RXCSUM regardless since 604141c036e1). */
    [PATH_PARAVIRT] = {
        .name = "paravirt", .kind = PATH_PARAVIRT, .nic_owner = PATH_NIC_HOST,
        .tx_entry = 0, .rx_entry = 2, .switch_entry = 3, .switch_notify = PATH_NOTIFY_WAKE,
        .sender_ring = PATH_COST_VIRTIO_RING, .sender_tso = PATH_OFF_VIRTIO_HOST_TSO,
        .sender_csum = PATH_OFF_VIRTIO_CSUM, .backend_place = 0, .nstages = 6,
        .stages = {
            {.name = "guest-tx", .place = PATH_PLACE_VCPU, .who = CPU_GUEST,
             .steps = {RUN(PATH_COST_STACK_TX), SOCK_COPY,
                       SEGMENT_UNLESS(PATH_OFF_VIRTIO_HOST_TSO),
                       CSUM_UNLESS(PATH_OFF_VIRTIO_CSUM), RUN(PATH_COST_VIRTIO_TX),
                       TO_STAGE(1, PATH_NOTIFY_IOEVENTFD), END}},
            {.name = "vhost-tx", .place = PATH_PLACE_BACKEND, .who = CPU_HOST,
             .ring = PATH_COST_VIRTIO_RING, .frees_tx_slot = true,
             .steps = {RUN_RUN(PATH_COST_VHOST_RUN), RUN(PATH_COST_VHOST_PKT), COPY, SWITCH,
                       TO_NIC, END}},
            {.name = "host-rx", .urgent = true, .place = PATH_PLACE_HOST, .who = CPU_HOST,
             .steps = {GRO, SWITCH, END}},
            {.name = "vhost-rx", .place = PATH_PLACE_BACKEND, .who = CPU_HOST,
             .ring = PATH_COST_TAP_QUEUE, /* what it reads: the tap's queue */
             .steps = {RUN_RUN(PATH_COST_VHOST_RUN), SEGMENT_UNLESS(PATH_OFF_VIRTIO_GUEST_TSO),
                       CSUM_UNLESS(PATH_OFF_VIRTIO_GUEST_CSUM), RUN(PATH_COST_VHOST_PKT), COPY,
                       TO_STAGE(4, PATH_NOTIFY_IRQFD), END}},
            {.name = "guest-rx", .urgent = true, .place = PATH_PLACE_VCPU, .who = CPU_GUEST,
             .ring = PATH_COST_VIRTIO_RING,
             .steps = {RUN_WAKE(PATH_COST_GUEST_IRQ), RUN_RUN(PATH_COST_GUEST_POLL),
                       RUN(PATH_COST_VIRTIO_RX), GRO, RUN(PATH_COST_STACK_RX), TCP_ACK,
                       TO_SOCK(5), END}},
            RECVMSG(CPU_GUEST),
        }},

    /* vhost-user with a poll-mode switch in host user space (OVS-DPDK): the guest's
     * virtio-net rings are served by the switch's PMD threads on the host's cores, which
     * also drive the PF with DPDK's poll-mode driver (host_pmd). The switch disables
     * the guest's kicks (rte_vhost_enable_guest_notification(vid, q, 0), as DPDK's vhost
     * PMD does in new_device) and polls: no exit, no wake-up. Per packet a PMD thread
     * dequeues (rte_vhost_dequeue_burst: descriptors, a copy into an mbuf), switches
     * (vhostuser.switch_cycles: the userspace datapath's lookup and actions) and posts
     * a burst to the PF (tx_burst, one doorbell per run); a frame the PF's PMD takes
     * in is switched and enqueued into the guest's ring (rte_vhost_enqueue_burst, a
     * copy), and the guest is interrupted through its call eventfd (vhost_vring_call:
     * a write the PMD thread makes, an irqfd) only when its NAPI sleeps. Segments cross
     * the port only with vhostuser.tso (OVS's userspace-tso-enable, off by default: the
     * guest segments), partial checksums with vhostuser.csum (on since OVS 3.2.0). */
    [PATH_VHOSTUSER] = {
        VHU_PATH, .nstages = 6,
        .stages = {
            {.name = "guest-tx", .place = PATH_PLACE_VCPU, .who = CPU_GUEST,
             .steps = {RUN(PATH_COST_STACK_TX), SOCK_COPY, SEGMENT_UNLESS(PATH_OFF_VHU_TSO),
                       CSUM_UNLESS(PATH_OFF_VHU_CSUM), RUN(PATH_COST_VIRTIO_TX),
                       TO_STAGE(1, PATH_NOTIFY_NONE), END}},
            VHU_SWITCH_STAGES(PATH_NOTIFY_IRQFD),
            {.name = "guest-rx", .urgent = true, .place = PATH_PLACE_VCPU, .who = CPU_GUEST,
             .ring = PATH_COST_VIRTIO_RING,
             .steps = {RUN_WAKE(PATH_COST_GUEST_IRQ), RUN_RUN(PATH_COST_GUEST_POLL),
                       RUN(PATH_COST_VIRTIO_RX), GRO, RUN(PATH_COST_STACK_RX), TCP_ACK,
                       TO_SOCK(5), END}},
            RECVMSG(CPU_GUEST),
        }},

    /* Xen split driver: netfront grants its buffers and signals netback over an event
     * channel (a hypercall) unless netback is still working the ring; netback in the
     * driver domain grant-copies a packet's head and grant-maps the rest
     * (XEN_NETBACK_TX_STEPS), bridges to the PF driver, and answers with responses and an
     * event (a hypercall, a virtual interrupt in the guest): at once for a packet it
     * copied whole, from its dealloc thread once the PF driver freed a mapped one. Receive: the driver
     * domain's PF driver and bridge hand frames to netback, which grant-copies into
     * buffers the guest posted and signals.
     * Segments: with feature-gso-tcpv4 (xen.gso) netfront and netback pass whole
     * segments both ways, a grant copy per 4 KiB page of them.
     * Checksums: with xen.csum netfront leaves its own partial (csum_blank) for the PF to
     * fill and takes partial ones (XEN_NETBACK_RX); checked frames come data_validated. */
    [PATH_DEVDOMAIN] = {
        .name = "devdomain", .kind = PATH_DEVDOMAIN, XEN_DESC, .nstages = 8,
        .stages = {
            XEN_FRONT_TX,
            {.name = "netback-tx", .place = PATH_PLACE_BACKEND, .who = CPU_HOST,
             .ring = PATH_COST_XEN_RING, .steps = XEN_NETBACK_TX_STEPS(6, XEN_BRIDGE)},
            XEN_FRONT_TXCLEAN,
            XEN_DDOM_RX,
            XEN_NETBACK_RX,
            XEN_FRONT_RX(7),
            XEN_NETBACK_DEALLOC,
            RECVMSG(CPU_GUEST),
        }},

    /* Xen's split driver over a multi-queue NIC (Santos et al., USENIX ATC 2008; Intel's
     * VMDq): the driver domain's PF driver gives each guest's lane a PF queue pair and
     * the NIC a MAC filter for the guest (models/nic/vmdq.h), so a received frame is in
     * its guest's queue already: the driver domain's poll of that queue hands it to
     * netback without the bridge (ddom-vmq-rx), and netback posts a guest's frames to
     * the guest's own transmit queue (TO_NIC takes the lane's queue), no bridge either.
     * The grant copies stay. The driver domain's default queues (ddom-rx: broadcast and
     * unknown unicast) keep the bridge. */
    [PATH_VMDQ] = {
        .name = "vmdq", .kind = PATH_VMDQ, XEN_DESC, .lane_rx_entry = 6, .nstages = 9,
        .stages = {
            XEN_FRONT_TX,
            {.name = "netback-tx", .place = PATH_PLACE_BACKEND, .who = CPU_HOST,
             .ring = PATH_COST_XEN_RING, .steps = XEN_NETBACK_TX_STEPS(7, )},
            XEN_FRONT_TXCLEAN,
            XEN_DDOM_RX,
            XEN_NETBACK_RX,
            XEN_FRONT_RX(8),
            {.name = "ddom-vmq-rx", .urgent = true, .place = PATH_PLACE_HOST, .who = CPU_HOST,
             .steps = {GRO, TO_STAGE(4, PATH_NOTIFY_WAKE), END}},
            XEN_NETBACK_DEALLOC,
            RECVMSG(CPU_GUEST),
        }},
};

/* The costs the paths own, each landing in its slot of the cost array (path_costs_load):
 * cycles, counts, ring sizes, and the e1000 interrupt throttle in ps. */
typedef struct cost_array {
    uint64_t v[PATH_COSTS];
} cost_array;

#define CYC(name, def, cost, doc)                                                              \
    {name, SIM_PARAM_UINT, def, "0..1073741824", "cycles", doc, SIM_AT(cost_array, v[cost])}

static const sim_param_def cost_params[] = {
    /* the network stack above the NIC driver */
    CYC("net.stack_tx_cycles", "2230", PATH_COST_STACK_TX,
        "Network stack work to send one packet from a socket, above the NIC driver (the "
        "application's or the guest's kernel)"),
    CYC("net.stack_rx_cycles", "2000", PATH_COST_STACK_RX,
        "Network stack work to receive one packet into a socket, above the NIC driver"),
    CYC("net.sock_rcv_cycles", "600", PATH_COST_SOCK_RCV,
        "Of net.stack_rx_cycles, the socket's own part (tcp_v4_do_rcv: tcp_rcv_established, the "
        "receive queue, the acknowledgement check), which a reader on another core that holds "
        "the socket runs itself for a packet the softirq put on the socket's backlog"),
    CYC("net.backlog_add_cycles", "80", PATH_COST_BACKLOG_ADD,
        "The softirq's work to put a packet on the backlog of a socket its reader holds "
        "(tcp_add_backlog), instead of net.sock_rcv_cycles"),
    CYC("net.ack_tx_cycles", "2230", PATH_COST_ACK_TX,
        "Network stack work to send one pure TCP acknowledgement from the receive path, above "
        "the NIC driver (tcp_send_ack to dev_queue_xmit: no system call, no copy)"),
    /* vhost (the guest's virtio-net driver is host/nicdrv's NIC_DRV_VIRTIO role) */
    CYC("virtio.vhost_run_cycles", "500", PATH_COST_VHOST_RUN,
        "vhost worker per activation: disable notifications, poll the ring, re-enable and check"),
    CYC("virtio.vhost_pkt_cycles", "1000", PATH_COST_VHOST_PKT,
        "vhost-net per packet besides the copy: descriptor translation, tap socket, used ring"),
    {"virtio.ring_entries", SIM_PARAM_UINT, "256", "2..32768", "entries",
     "virtio-net virtqueue size (each direction)", SIM_AT(cost_array, v[PATH_COST_VIRTIO_RING])},
    {"vswitch.tap_queue_pkts", SIM_PARAM_UINT, "500", "1..1000000", "packets",
     "A VM's tap device: packets (frames or merged segments) the host's switch may queue "
     "for its reader, vhost-net or QEMU's device model, before the tap drops (the tap's "
     "tx_queue_len: TUN_READQ_SIZE, include/uapi/linux/if_tun.h, which tun_setup gives it)",
     SIM_AT(cost_array, v[PATH_COST_TAP_QUEUE])},
    /* the emulated e1000 and its device model */
    CYC("emu.guest_tx_cycles", "400", PATH_COST_E1000_TX,
        "e1000 guest driver: post one packet (descriptor, context)"),
    CYC("emu.guest_rx_cycles", "500", PATH_COST_E1000_RX,
        "e1000 guest driver: take one received packet"),
    CYC("emu.guest_clean_cycles", "60", PATH_COST_E1000_CLEAN,
        "e1000 guest driver: reclaim one transmitted descriptor"),
    CYC("emu.pkt_cycles", "5000", PATH_COST_EMU_PKT,
        "Device model per packet: descriptor emulation through the guest memory map, offload "
        "emulation, the emulator's net layer"),
    CYC("emu.tap_cycles", "3000", PATH_COST_EMU_TAP,
        "Device model per packet: the read or write system call on the tap device and the tap "
        "driver"),
    {"emu.irq_reg_exits", SIM_PARAM_UINT, "5", "0..1000", "accesses",
     "Register accesses of the guest's e1000 interrupt handling, each an exit to user space",
     SIM_AT(cost_array, v[PATH_COST_EMU_IRQ_EXITS])},
    {"emu.ring_entries", SIM_PARAM_UINT, "256", "8..4096", "descriptors",
     "e1000 descriptor ring size (each direction)", SIM_AT(cost_array, v[PATH_COST_EMU_RING])},
    {"emu.itr_ns", SIM_PARAM_UINT, "50000", "0..1000000000", "ns",
     "e1000 interrupt throttling: least time between two interrupts",
     SIM_AT(cost_array, v[PATH_COST_EMU_ITR_PS])},
    /* Xen netfront and netback */
    CYC("xen.front_tx_cycles", "800", PATH_COST_XEN_FRONT_TX,
        "netfront: grant a buffer and post one transmit request"),
    CYC("xen.front_rx_cycles", "900", PATH_COST_XEN_FRONT_RX,
        "netfront: take one receive response, end the grant, re-grant and post a buffer"),
    CYC("xen.front_clean_cycles", "300", PATH_COST_XEN_FRONT_CLEAN,
        "netfront: reclaim one transmitted buffer (end its grant)"),
    CYC("xen.back_pkt_cycles", "860", PATH_COST_XEN_BACK_PKT,
        "netback per packet besides the grant copy: ring requests and responses, the skb"),
    CYC("xen.gcopy_op_cycles", "1100", PATH_COST_XEN_GCOPY_OP,
        "Hypervisor per grant copy operation besides the copy: grant and page checks"),
    {"xen.ring_entries", SIM_PARAM_UINT, "256", "2..32768", "entries",
     "netfront/netback ring size (one 4 KiB page: 256)", SIM_AT(cost_array, v[PATH_COST_XEN_RING])},
    {"xen.tx_copy_bytes", SIM_PARAM_UINT, "128", "0..65535", "bytes",
     "netback transmit: bytes of a packet grant-copied into the skb (XEN_NETBACK_TX_COPY_LEN); "
     "the rest is grant-mapped", SIM_AT(cost_array, v[PATH_COST_XEN_TX_COPY])},
    CYC("xen.gmap_op_cycles", "1400", PATH_COST_XEN_GMAP_OP,
        "Hypervisor per grant map operation (GNTTABOP_map_grant_ref): grant checks, pin, the "
        "mapping and its handle"),
    CYC("xen.gunmap_op_cycles", "1100", PATH_COST_XEN_GUNMAP_OP,
        "Hypervisor per grant unmap operation (GNTTABOP_unmap_grant_ref) besides the TLB flush"),
    CYC("xen.gnttab_flush_cycles", "2000", PATH_COST_XEN_GNT_FLUSH,
        "Hypervisor TLB flush after up to 32 grant unmap operations of one hypercall "
        "(gnttab_unmap_grant_ref, GNTTAB_UNMAP_BATCH_SIZE)"),
    CYC("xen.dealloc_run_cycles", "300", PATH_COST_XEN_DEALLOC_RUN,
        "netback's dealloc thread per run: wake-up loop, the dealloc ring, the unmap call "
        "(xenvif_tx_dealloc_action)"),
    CYC("xen.dealloc_pkt_cycles", "300", PATH_COST_XEN_DEALLOC_PKT,
        "netback's dealloc thread per packet: the unmap op, the pending slot and the tx response "
        "(xenvif_idx_release)"),
    /* segmentation and receive merging in the stack */
    CYC("net.gso_frame_cycles", "1100", PATH_COST_GSO_FRAME,
        "Software segmentation (skb_segment) per frame it makes, when the next device takes "
        "no segments"),
    CYC("net.gro_pkt_cycles", "94", PATH_COST_GRO_PKT,
        "GRO per packet it receives, a frame or a segment a virtual device passes whole "
        "(dev_gro_receive, tcp4_gro_receive, skb_gro_receive; 26 ns at 3.6 GHz measured by J. "
        "Brouer with GRO on and off, xdp-project areas/cpumap/cpumap02-optimizations.org)"),
    /* vhost-user and a poll-mode switch (OVS-DPDK) */
    CYC("vhostuser.dequeue_cycles", "99", PATH_COST_VHU_DEQUEUE,
        "A switch's PMD thread per packet it takes from a guest's ring besides the copy "
        "(rte_vhost_dequeue_burst: descriptors, mbuf; assumed equal to the enqueue's)"),
    CYC("vhostuser.enqueue_cycles", "99", PATH_COST_VHU_ENQUEUE,
        "A switch's PMD thread per packet it puts in a guest's ring besides the copy "
        "(rte_vhost_enqueue_burst: about 167 cycles at 64 bytes with the copy, DPDK commit "
        "e7ef688562, less the copy's 68 at cpu.copy_*)"),
    CYC("vhostuser.switch_cycles", "163", PATH_COST_VHU_SWITCH,
        "The userspace datapath per packet besides the PMD's receive and transmit: parse, "
        "flow cache lookup, actions (OVS-DPDK 2.14 forwards 11.0 Mpps phy to phy on one 2.4 GHz "
        "core, 218 cycles a packet (Tu et al., SIGCOMM 2021), less pmd.rx_cycles and "
        "pmd.tx_cycles)"),
    /* a DPDK application over a poll-mode driver */
    CYC("pmd.app_cycles", "6", PATH_COST_PMD_APP,
        "A DPDK application's own work per packet it sends or receives, the poll-mode "
        "driver's apart (a forwarder that touches one byte of each: 6 cycles, the ixy "
        "paper's DPDK profile on an 82599)"),
};

/* The offload switches, each landing in its slot of the offload array. */
typedef struct offload_array {
    bool v[PATH_OFFLOADS];
} offload_array;

#define OFF(name, def, off, doc) {name, SIM_PARAM_BOOL, def, NULL, "", doc, SIM_AT(offload_array, v[off])}

static const sim_param_def offload_params[] = {
    OFF("net.gro", "true", PATH_OFF_GRO,
        "Receivers merge the frames of a TCP-like flow in their NAPI poll (napi_gro_receive) "
        "before the stack"),
    OFF("net.backlog_ack_defer", "true", PATH_OFF_BACKLOG_ACK_DEFER,
        "A reader that runs the backlog of its socket sends one acknowledgement for the whole "
        "run rather than one per segment that calls for it (tcp_backlog_ack_defer, on by "
        "default since Linux 6.7: commit 133c4c0d3717)"),
    OFF("virtio.guest_tso", "true", PATH_OFF_VIRTIO_GUEST_TSO,
        "VIRTIO_NET_F_GUEST_TSO4 negotiated (with mergeable receive buffers): the guest takes "
        "whole segments. Only with virtio.guest_csum"),
    OFF("xen.gso", "true", PATH_OFF_XEN_GSO,
        "feature-gso-tcpv4: netfront and netback pass whole segments both ways. Only with "
        "xen.csum"),
    OFF("emu.tso", "true", PATH_OFF_EMU_TSO,
        "The guest's e1000 driver posts TSO segments (NETIF_F_TSO); the device model segments. "
        "Only with emu.csum"),
    OFF("virtio.guest_csum", "true", PATH_OFF_VIRTIO_GUEST_CSUM,
        "VIRTIO_NET_F_GUEST_CSUM negotiated: the guest takes partial checksums as valid; false: "
        "the host fills them before the tap and the guest checks them (and virtio.guest_tso is "
        "off: it requires GUEST_CSUM)"),
    OFF("xen.csum", "true", PATH_OFF_XEN_CSUM,
        "netfront offloads checksums (NETIF_F_IP_CSUM, feature-no-csum-offload = 0): partial "
        "checksums cross the split driver both ways; false: netfront computes its own, the "
        "driver domain fills those it passes netfront (and xen.gso is off)"),
    OFF("vhostuser.tso", "false", PATH_OFF_VHU_TSO,
        "The switch offers VIRTIO_NET_F_HOST_TSO4 on its vhost-user ports (OVS's "
        "userspace-tso-enable, false by default). Only with vhostuser.csum"),
    OFF("vhostuser.csum", "true", PATH_OFF_VHU_CSUM,
        "The switch offers VIRTIO_NET_F_CSUM on its vhost-user ports (OVS's checksum "
        "offload, on by default since OVS 3.2.0); false: the guest fills its checksums"),
    OFF("emu.csum", "true", PATH_OFF_EMU_CSUM,
        "The guest's e1000 driver leaves transmit checksums to the device (NETIF_F_HW_CSUM), "
        "which the device model fills in software; false: the guest computes them (and emu.tso "
        "is off)"),
};

/* The emulator's own checksum rate. */
typedef struct rate_cfg {
    double emu_csum_bytes_per_cycle;
} rate_cfg;

static const sim_param_def rate_params[] = {
    {"emu.csum_bytes_per_cycle", SIM_PARAM_DOUBLE, "1.33", "0.01..1e12", "bytes",
     "Checksum rate of the device model's own code (QEMU's net_checksum_add), bytes per "
     "cycle (a rate so high that a packet costs no whole cycle makes it free)",
     SIM_AT(rate_cfg, emu_csum_bytes_per_cycle)},
};

const path_desc *path_get(path_kind k)
{
    assert(k < PATH_KINDS);
    return &paths[k];
}

/* A DPDK application (guest.driver = poll) on the function the path gives it: it builds
 * each packet in an mbuf and hands bursts to the poll-mode driver, whose loop takes what
 * arrives and gives it to the application. No socket, no kernel stack, no interrupt:
 * the driver model charges the bursts' cycles and spins the core between them. */
#define PMD_STAGES                                                                          \
    .tx_entry = 0, .rx_entry = 1, .switch_entry = PATH_NO_STAGE, .nstages = 2,                \
    .stages = {                                                                             \
        {.name = "app-tx", .place = PATH_PLACE_VCPU, .who = CPU_GUEST,                        \
         .steps = {RUN(PATH_COST_PMD_APP), TO_NIC, END}},                                    \
        {.name = "app-rx", .place = PATH_PLACE_VCPU, .who = CPU_GUEST,                        \
         .steps = {RUN(PATH_COST_PMD_APP), DELIVER, END}},                                   \
    }

static const path_desc poll_paths[PATH_KINDS] = {
    [PATH_NATIVE] = {.name = "native", .kind = PATH_NATIVE, .nic_owner = PATH_NIC_APP,
                     PMD_STAGES},
    [PATH_PASSTHROUGH] = {.name = "passthrough", .kind = PATH_PASSTHROUGH,
                          .nic_owner = PATH_NIC_VM_PF, PMD_STAGES},
    [PATH_SRIOV] = {.name = "sriov", .kind = PATH_SRIOV, .nic_owner = PATH_NIC_VM_VF,
                    PMD_STAGES},
    /* DPDK's virtio PMD on the vDPA device's rings (pmd.*: see docs/paths-model.md for
     * whose costs those are). */
    [PATH_VDPA] = {.name = "vdpa", .kind = PATH_VDPA, .nic_owner = PATH_NIC_VM_VF,
                   PMD_STAGES},
    /* DPDK's iavf PMD on the ADI's queue pairs. */
    [PATH_SIOV] = {.name = "siov", .kind = PATH_SIOV, .nic_owner = PATH_NIC_VM_ADI,
                   PMD_STAGES},
    /* vhost-user with DPDK's virtio PMD in the guest, testpmd's place in the PVP
     * benchmark: the switch's side is the vhostuser table's, the guest's a loop on its
     * vCPU that posts to its transmit virtqueue (virtio_xmit_pkts) and polls its receive
     * one (virtio_recv_pkts). No kick (the switch disabled them) and no call: the PMD
     * keeps its rings' interrupts off (VRING_AVAIL_F_NO_INTERRUPT, virtqueue_disable_intr),
     * so vhost_vring_call sends nothing. The PMD's costs are pmd.*, DPDK's vector PMD
     * standing in for virtio's, as for vdpa. The switch's stages are the kernel guest's. */
    [PATH_VHOSTUSER] = {
        VHU_PATH, .nstages = 5,
        .stages = {
            {.name = "app-tx", .place = PATH_PLACE_VCPU, .who = CPU_GUEST,
             .steps = {RUN(PATH_COST_PMD_APP), CSUM_UNLESS(PATH_OFF_VHU_CSUM),
                       RUN(PATH_COST_PMD_TX), TO_STAGE(1, PATH_NOTIFY_NONE), END}},
            VHU_SWITCH_STAGES(PATH_NOTIFY_NONE),
            {.name = "app-rx", .place = PATH_PLACE_VCPU, .who = CPU_GUEST,
             .ring = PATH_COST_VIRTIO_RING, .polls = true,
             .steps = {RUN_RUN(PATH_COST_PMD_POLL), RUN(PATH_COST_PMD_RX),
                       RUN(PATH_COST_PMD_APP), DELIVER, END}},
        }},
};

const path_desc *path_get_poll(path_kind k)
{
    assert(k < PATH_KINDS);
    return poll_paths[k].name ? &poll_paths[k] : NULL;
}

const char *path_kind_name(path_kind k) { return k < PATH_KINDS ? paths[k].name : "?"; }

/* Whether a cost has a value: a row of cost_params, or one of those the NIC driver
 * model owns (host/nicdrv registers them; path_costs_load copies them in). */
static bool cost_has_source(path_cost c)
{
    /* A NIC driver role's parameters (path_costs_load). */
    if (c == PATH_COST_GUEST_IRQ || c == PATH_COST_GUEST_POLL || c == PATH_COST_VIRTIO_TX ||
        c == PATH_COST_VIRTIO_RX || c == PATH_COST_PMD_TX || c == PATH_COST_PMD_RX ||
        c == PATH_COST_PMD_POLL)
        return true;
    for (size_t i = 0; i < SIM_TABLE_LEN(cost_params); i++)
        if (cost_params[i].offset == offsetof(cost_array, v[c]))
            return true;
    return false;
}

void path_register_params(sim_params *p)
{
    sim_params_add_table(p, cost_params, SIM_TABLE_LEN(cost_params));
    sim_params_add_table(p, offload_params, SIM_TABLE_LEN(offload_params));
    sim_params_add_table(p, rate_params, SIM_TABLE_LEN(rate_params));
    for (int c = PATH_COST_NONE + 1; c < PATH_COSTS; c++)
        assert(cost_has_source((path_cost)c) && "every named cost is a parameter");
}

void path_offloads_load(const sim_params *p, bool off[PATH_OFFLOADS])
{
    for (int o = 0; o < PATH_OFFLOADS; o++)
        off[o] = false;
    sim_params_load_table(p, offload_params, SIM_TABLE_LEN(offload_params), off);
    nic_drv_cfg virtio = nic_drv_cfg_load(p, NIC_DRV_VIRTIO);
    off[PATH_OFF_VIRTIO_CSUM] = virtio.csum;
    off[PATH_OFF_VIRTIO_HOST_TSO] = virtio.tso;
    /* A segmentation offload needs the checksum offload of its direction: Linux drops TSO
     * from a device without one (netdev_fix_features: "Dropping TSO features since no
     * CSUM feature"), and the virtio spec makes HOST_TSO4 require CSUM (nic_drv_cfg_load
     * sees to that one) and GUEST_TSO4 GUEST_CSUM (5.1.3.1). */
    off[PATH_OFF_VIRTIO_GUEST_TSO] =
        off[PATH_OFF_VIRTIO_GUEST_TSO] && off[PATH_OFF_VIRTIO_GUEST_CSUM];
    off[PATH_OFF_XEN_GSO] = off[PATH_OFF_XEN_GSO] && off[PATH_OFF_XEN_CSUM];
    off[PATH_OFF_EMU_TSO] = off[PATH_OFF_EMU_TSO] && off[PATH_OFF_EMU_CSUM];
    off[PATH_OFF_VHU_TSO] = off[PATH_OFF_VHU_TSO] && off[PATH_OFF_VHU_CSUM];
}

double path_emu_csum_bytes_per_cycle(const sim_params *p)
{
    rate_cfg r;
    sim_params_load_table(p, rate_params, SIM_TABLE_LEN(rate_params), &r);
    return r.emu_csum_bytes_per_cycle;
}

void path_costs_load(const sim_params *p, uint64_t cost[PATH_COSTS])
{
    for (int c = 0; c < PATH_COSTS; c++)
        cost[c] = 0;
    sim_params_load_table(p, cost_params, SIM_TABLE_LEN(cost_params), cost);
    nic_drv_cfg drv = nic_drv_cfg_load(p, NIC_DRV_PF);
    cost[PATH_COST_GUEST_IRQ] = drv.irq_cycles;
    cost[PATH_COST_GUEST_POLL] = drv.poll_cycles;
    nic_drv_cfg virtio = nic_drv_cfg_load(p, NIC_DRV_VIRTIO);
    cost[PATH_COST_VIRTIO_TX] = virtio.tx_cycles;
    cost[PATH_COST_VIRTIO_RX] = virtio.rx_cycles;
    nic_drv_cfg pmd = nic_drv_cfg_load(p, NIC_DRV_PMD);
    cost[PATH_COST_PMD_TX] = pmd.tx_cycles;
    cost[PATH_COST_PMD_RX] = pmd.rx_cycles;
    cost[PATH_COST_PMD_POLL] = pmd.poll_cycles;
}

static unsigned count_stage(const path_desc *d, uint8_t s, path_op op, int arg,
                            const uint64_t cost[PATH_COSTS], unsigned depth)
{
    if (s >= d->nstages || depth > PATH_MAX_STAGES)
        return 0;
    unsigned n = 0;
    for (const path_step *st = d->stages[s].steps; st->op != PATH_OP_END; st++) {
        if (st->when != PATH_PER_PKT)
            continue;
        if (st->op == op && (arg < 0 || st->arg == arg))
            n += st->n ? (unsigned)cost[st->n] : 1u;
        if (st->op == PATH_OP_TO_STAGE)
            n += count_stage(d, st->arg, op, arg, cost, depth + 1);
    }
    return n;
}

unsigned path_count_per_pkt(const path_desc *d, uint8_t from, path_op op, int arg,
                            const uint64_t cost[PATH_COSTS])
{
    return count_stage(d, from, op, arg, cost, 0);
}
