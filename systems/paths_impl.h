/* Internals shared by the net system (net.c: platform, VMs, traffic, metrics), the path
 * engine (engine.c: stages, hand-offs, notifications, senders) and the virtual PCI
 * front of assigned functions (vpci.c). Not a public interface. */
#ifndef MODELS_PATHS_NET_IMPL_H
#define MODELS_PATHS_NET_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "host/cpu.h"
#include "host/hv.h"
#include "host/iopath/path.h"
#include "host/nicdrv.h"
#include "host/vswitch.h"
#include "models/iommu/iommu.h"
#include "models/mem/mem.h"
#include "models/mem/physmem.h"
#include "models/nic/nic.h"
#include "models/nic/partner.h"
#include "models/pcie/cfgspace.h"
#include "models/pcie/link.h"
#include "models/pcie/rc.h"
#include "sim/kernel.h"
#include "sim/params.h"
#include "sim/stats.h"

typedef struct net net;
typedef struct net_vm net_vm;

enum net_pattern { NET_STREAM_TX, NET_STREAM_RX, NET_BIDIR, NET_RR, NET_INTER_VM };

/* A packet (or a completion token) between stages. */
typedef struct net_item {
    nic_pkt pkt;
    uint64_t ready_ps; /* it may be taken no earlier */
    uint16_t vm;       /* the VM whose stage holds it */
    uint16_t src_vm;   /* the sending VM (completions, switch ingress); NET_FROM_WIRE */
    /* Who handed it over and how that hand-off notifies, for a notification found due
     * only later (the consumer caught up and slept before the item's time). */
    uint16_t pcore;
    uint8_t pwho, how;
    bool purgent;
} net_item;
#define NET_FROM_WIRE 0xffffu

/* One VM's instance of a stage that has its own thread: a bounded queue (the ring or
 * socket queue in front of it) and one kernel event. */
typedef struct net_stage {
    net *n;
    net_vm *vm;
    const path_stage *d;
    uint8_t id;
    unsigned core;
    net_item *q;
    uint32_t cap, head, len;
    sim_event *ev;
    uint64_t t_free;   /* the thread has worked up to here */
    uint64_t sleep_at; /* when it found its queue empty and went to sleep */
    uint64_t last_irq_ps;
    uint64_t irq_gap_ps;
    bool asleep, woken, blocked_nic, has_nic;
} net_stage;

/* The CPU seam of one NIC driver queue: where its cycles run, and the owner's context. */
typedef struct net_drvq {
    net *n;
    nic_drvq *q;
    net_vm *vm;        /* owning VM (assigned functions, native application); NULL: host */
    unsigned core;     /* where its polls and interrupts run */
    cpu_who who;
    bool via_hv;       /* its interrupts go to a VM (assigned function, driver domain) */
    unsigned irte;     /* interrupt remapping table index */
    uint64_t pd_addr;  /* posted-interrupt descriptor, when posted */
    /* A caller running the driver in its own context (a back-end posting to the PF's
     * queue) moves the cycles to its core; ahead_ps is work the engine did inline in the
     * driver's poll, so the driver goes on after it. */
    bool override;
    unsigned override_core;
    cpu_who override_who;
    bool override_urgent;
    uint64_t ahead_ps, last_ps;
    uint16_t rid;
} net_drvq;

typedef struct net_sender {
    sim_event *ev;
    uint64_t t_free;
    uint64_t next_ps, interval_ps; /* offered rate; interval 0: as fast as it goes */
    uint64_t dst_mac;
    uint32_t flow;
    uint32_t rr_due; /* rr: requests it may send now (responses received) */
    bool blocked, active;
} net_sender;

struct net_vm {
    net *n;
    unsigned idx;
    unsigned vcpu_core, backend_core;
    uint64_t mac;        /* the address its application sends from */
    uint16_t port;       /* virtual switch port */
    net_stage *stage[PATH_MAX_STAGES]; /* NULL for inline and sender stages */
    uint32_t tx_credits, tx_cap; /* the sender's ring slots */
    net_sender snd;
    net_drvq *own;       /* its own NIC queue (native, passthrough, SR-IOV) */
    unsigned fn;         /* its function (assigned paths) */
    uint64_t pd_addr;    /* its vCPU's posted-interrupt descriptor */
    uint64_t gpa_base;   /* its I/O memory (guest-physical = host-physical here) */
};

typedef struct net_counters {
    uint64_t sent;              /* packets the applications sent */
    uint64_t delivered, delivered_bytes; /* packets applications received */
    uint64_t copies, copy_bytes;
    uint64_t grant_copies;
    uint64_t switched;
    uint64_t notifies, notifies_suppressed;
    uint64_t irqs;              /* interrupts CPUs took: the host's and virtual ones */
    uint64_t irq_blocked;       /* interrupt messages the IOMMU blocked */
    uint64_t queue_drops;       /* a stage's queue (ring) was full */
    uint64_t xmit_drops;        /* the NIC driver's backlog refused a packet */
    uint64_t misdelivered;      /* reached an application that is not its destination */
    uint64_t sender_blocks;     /* the sender found its ring or NIC queue full */
    uint64_t cfg_passed, cfg_emulated, cfg_discarded; /* guest configuration accesses */
} net_counters;

struct net {
    const sim_params *params;
    sim_kernel *kernel;
    sim_stats *stats;
    const path_desc *path;
    enum net_pattern pattern;
    unsigned vms;
    uint32_t frame_bytes;
    double offered_gbps;
    uint64_t cost[PATH_COSTS];
    uint64_t quantum_ps, retry_ps;
    uint32_t budget, txq_limit, rr_outstanding;
    /* platform */
    mem *mem;
    mem_phys *pm;
    pcie_link *link;
    pcie_rc *rc;
    pcie_cfg_bus *bus;
    nic *nic;
    nic_partner *peer;
    iommu *iommu;
    cpu *cpu;
    hv *hv;
    vswitch *vsw;
    /* software */
    net_vm *vm;
    net_drvq **dq;     /* every driver queue, indexed by its interrupt remapping index */
    unsigned ndq;
    net_drvq **host_q; /* the host's (or driver domain's) PF queues */
    unsigned nhost_q, host_cores;
    nic_drv_counters *dctr;
    unsigned ndctr;
    net_counters c;
    sim_hist *lat;
};

/* engine.c */
int net_engine_build(net *n);
void net_engine_destroy(net *n);
void net_engine_start(net *n, uint64_t t_ps);
/* A frame a driver queue received, at t on the queue's core (its receive handler). */
void net_engine_rx(net *n, net_drvq *dq, const nic_pkt *p, uint64_t t_ps);
/* The CPU seam of every driver queue (nic_drv_cpu_fn). */
uint64_t net_drvq_cpu(void *ctx, uint64_t t_ps, uint64_t cycles, uint64_t stall_ps);
/* Interrupt delivery to the CPU that handles dq; returns when the handler may start. */
uint64_t net_deliver_virq(net *n, unsigned core, uint64_t t_ps);

/* vpci.c: the guest's probe of an assigned function through its virtual configuration
 * space; each access exits. Returns when the probe is done on the vCPU's core. */
uint64_t net_vpci_probe(net *n, net_vm *vm, unsigned fn, uint64_t t_ps);

#endif
