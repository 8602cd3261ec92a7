/* The paths workload's own parameters (io.*, traffic.*, place.*, net.*) and their
 * cross-parameter check, shared by the workload's build (paths.c) and its parameter
 * file (paths_cfg.c). Private to systems/. */
#ifndef SYSTEMS_PATHS_IMPL_H
#define SYSTEMS_PATHS_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "host/iopath/path.h"
#include "host/nicdrv.h"
#include "sim/err.h"
#include "sim/params.h"

/* What the workload's own parameters set: the path, the traffic, the placement. */
typedef struct paths_cfg {
    uint32_t path; /* path_kind */
    bool nic_acs;
    uint64_t guest_page_bytes;
    uint32_t pattern; /* iopath_pattern */
    uint32_t packet_bytes, vms, queues, rr_bytes, rr_outstanding, rr_app_cycles, msg_bytes;
    uint32_t flows; /* per VM to the VMs (0: io.queues) */
    bool gso;
    uint32_t gso_max_bytes;
    uint64_t tsq_bytes, sndbuf_bytes;
    double offered_gbps, rr_requests_per_s;
    uint32_t arrivals; /* 0 paced, 1 poisson */
    uint32_t host_cores;
    uint32_t backend; /* 0 auto, 1 own, 2 vcpu, 3 host */
    uint32_t app;     /* 0 vcpu, 1 own */
    uint32_t irq_affinity; /* paths_irq_affinity */
    uint64_t quantum_ps;
    uint32_t txq_pkts;
    bool breakdown;
    uint32_t standby;       /* 0 none, 1 paravirt */
    uint64_t migrate_at_ps; /* 0: no migration */
    uint64_t rto_min_ps;
    uint64_t rcv_window_bytes;
    uint64_t recv_bytes;
    uint32_t poll; /* guest.driver: 0 kernel, 1 poll */
} paths_cfg;

/* io.irq_affinity, in its choices' order. */
typedef enum paths_irq_affinity {
    PATHS_IRQ_AUTO,
    PATHS_IRQ_VCPU,
    PATHS_IRQ_HOST,
    PATHS_IRQ_SPREAD,
} paths_irq_affinity;

void paths_register_params(sim_params *p);
paths_cfg paths_cfg_load(const sim_params *p);
/* Every combination the workload cannot build, refused with the parameters' names. */
int paths_check(const sim_params *p, sim_err *e);
/* Whose driver runs the path's NIC queues (the PF's or an SR-IOV guest's VF's). */
nic_drv_role paths_drv_role(const paths_cfg *c);
/* place.backend for path pd, auto resolved to the path's default: 1 own, 2 vcpu, 3 host. */
unsigned paths_backend_place(const paths_cfg *c, const path_desc *pd);
/* Whether the path's back-end threads take cores of their own, after the vCPUs' (place.backend
 * own, or auto where the path's default is its own): a VM application's own core
 * (place.app = own) comes after them. */
bool paths_backend_owns_cores(const paths_cfg *c);
/* VFs the PF driver enables: nic.vfs, or one per VM for SR-IOV when it is 0. */
unsigned paths_vfs_for(const sim_params *p, const paths_cfg *c);

#endif
