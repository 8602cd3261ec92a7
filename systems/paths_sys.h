/* The paths workload's state, shared by its build (paths.c) and its statistics
 * (paths_stats.c). Private to systems/. */
#ifndef SYSTEMS_PATHS_SYS_H
#define SYSTEMS_PATHS_SYS_H

#include "host/dmaapi.h"
#include "host/iopath/iopath.h"
#include "host/nicdrv.h"
#include "host/noise.h"
#include "host/vdcm.h"
#include "host/vdpactl.h"
#include "host/vpci.h"
#include "host/vtick.h"
#include "models/nic/nic.h"
#include "models/nic/partner.h"
#include "sim/breakdown.h"
#include "sim/stats.h"
#include "systems/paths_impl.h"
#include "systems/paths_migrate.h"
#include "systems/paths_viommu.h"
#include "systems/platform.h"

/* A point of the paths workload: the platform and devices, the software that runs on
 * them (the engine's state), and what the metrics read. */
typedef struct paths_sys {
    paths_cfg cfg;
    const sim_params *params;
    sim_stats *stats;
    platform *pf;
    nic *nic;
    nic_partner *peer;
    nic_drv_counters *drv_ctr; /* per function with a driver: the PF, then each VF */
    unsigned n_drv_ctr;
    vpci_counters vpci; /* the guests' configuration accesses */
    vdcm_counters vdcm; /* siov: what the host's VDCM emulated */
    vdpactl_counters vdpactl; /* vdpa: the devices' bring-up through QEMU and vhost-vdpa */
    iopath io;
    unsigned napp; /* lanes with an application: io.nlanes less a failover pair's standbys */
    vtick *tick; /* the busy CPUs' timer ticks */
    noise *noise; /* OS noise: detours on the cores, refill after exits */
    sim_breakdown *bd; /* net.breakdown, NULL when off */
    paths_migration *mig; /* io.migrate_at_ms; NULL: none */
    iommu_dma *pf_dma; /* the host's DMA API for the PF: iommu.mode strict or lazy */
    paths_viommu *viommu; /* the guests' vIOMMU (viommu.mode); NULL: none */
} paths_sys;

/* Registers the workload's statistics and metrics (net.*, the per-packet costs, the
 * cores, the gauges). */
void paths_register_stats(paths_sys *sys, sim_stats *st);
/* iotlb_walks_per_mib, where the host's DMA API maps (iommu.mode strict or lazy). */
void paths_register_walks_metric(paths_sys *sys);
/* The link partner received a frame the VMs sent (nic_partner_set_rx_observer). */
void paths_on_partner_rx(void *ctx, const nic_pkt *p, uint64_t arrival_ps);
/* net.breakdown's recorder, its categories in iopath's IOPATH_BD_* order. */
sim_breakdown *paths_breakdown_create(sim_stats *st);

#endif
