/* A NIC on the shared rig's platform (tests/rig.h: a Gen3 x8 link, host memory, root
 * complex, configuration bus, an IOMMU when iommu.mode asks) for the NIC tests: the NIC
 * booted as a run boots it and the PF driver bound (VFs are the test's to enable), MSI-X
 * messages recorded and dispatched to driver queue pairs, frames the NIC puts on the
 * wire recorded. Tests change parameters between nicfx_params and nicfx_build. */
#ifndef TESTS_NIC_FIXTURE_H
#define TESTS_NIC_FIXTURE_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "host/cpu.h"
#include "host/nicdrv.h"
#include "host/pfdrv.h"
#include "models/iommu/iommu.h"
#include "models/mem/mem.h"
#include "models/mem/physmem.h"
#include "models/nic/nic.h"
#include "models/nic/nic_regs.h"
#include "models/pcie/cfgspace.h"
#include "models/pcie/link.h"
#include "models/pcie/rc.h"
#include "sim/kernel.h"
#include "sim/run.h"
#include "systems/kinds.h"
#include "tests/rig.h"

#define FX_MAX_Q 64
#define FX_MAX_MSI 65536
#define FX_MAX_WIRE 65536

typedef struct fx_msi {
    uint16_t rid;
    uint64_t addr;
    uint32_t data;
    uint64_t t_ps;
} fx_msi;

typedef struct nicfx {
    rig r; /* the platform: f.r.pf->link, ->rc, ->bus, ->iommu (iommu.mode not off) */
    nic *n;
    pfdrv *pf; /* the PF driver, bound once the PF is enumerated */
    nic_drvq *q[FX_MAX_Q];
    nic_drv_counters ctr[FX_MAX_Q];
    unsigned nq;
    uint64_t next_base;
    fx_msi *msi;
    unsigned nmsi;
    nic_pkt *wire;
    uint64_t *wire_t;
    unsigned nwire;
} nicfx;

static inline void nicfx_params(nicfx *f)
{
    memset(f, 0, sizeof *f);
    rig_init(&f->r);
    rig_set(&f->r, "workload.kind", "nic");
    rig_set(&f->r, "nic.max_vfs", "8");
    rig_set(&f->r, "nic.total_queues", "32");
    rig_set(&f->r, "nic.ring_entries", "64");
    rig_set(&f->r, "nic.tx_desc_cache", "40");
    rig_set(&f->r, "nicdrv.rx_refill", "8");
    rig_set(&f->r, "vfdrv.rx_refill", "8");
}

static inline void fx_on_msi(void *ctx, uint16_t rid, uint64_t addr, uint32_t data, uint64_t t_ps)
{
    nicfx *f = ctx;
    if (f->nmsi < FX_MAX_MSI)
        f->msi[f->nmsi++] = (fx_msi){rid, addr, data, t_ps};
    if (data < f->nq)
        nic_drvq_irq(f->q[data], t_ps);
}

static inline void fx_on_wire(void *ctx, const nic_pkt *p, uint64_t arrival_ps)
{
    nicfx *f = ctx;
    if (f->nwire < FX_MAX_WIRE) {
        f->wire[f->nwire] = *p;
        f->wire_t[f->nwire++] = arrival_ps;
    }
}

static inline void nicfx_build(nicfx *f)
{
    sim_err e = {{0}};
    ck_assert_msg(systems_ops.check(f->r.p, &e) == 0, "%s", e.msg);
    rig_build(&f->r, false);
    platform *pf = f->r.pf;
    nic_env env = {f->r.k, f->r.s, pf->link, pf->rc, pf->bus, PLATFORM_DEVICE_RID};
    f->n = nic_create(f->r.p, &env, &e);
    ck_assert_msg(f->n, "%s", e.msg);
    uint64_t mmio_base = nic_caps_of(f->r.p).mmio_base;
    ck_assert_msg(platform_boot(pf, mmio_base, PLATFORM_MMIO_WINDOW_BYTES, &e), "%s", e.msg);
    pfdrv_env pe = {f->r.k, f->n, pf->bus, PLATFORM_DEVICE_RID, mmio_base,
                    PLATFORM_MMIO_WINDOW_BYTES};
    f->pf = pfdrv_create(f->r.p, &pe);
    f->msi = calloc(FX_MAX_MSI, sizeof *f->msi);
    f->wire = calloc(FX_MAX_WIRE, sizeof *f->wire);
    f->wire_t = calloc(FX_MAX_WIRE, sizeof *f->wire_t);
    ck_assert(f->msi && f->wire && f->wire_t);
    pcie_rc_set_msi(f->r.pf->rc, fx_on_msi, f);
    nic_set_wire_sink(f->n, fx_on_wire, f);
    f->next_base = 1ull << 32;
}

/* A driver queue pair on (fn, q), opened now; its MSI data is its index. The PF runs
 * the PF driver, a VF the guest VF driver, as in the systems. */
static inline nic_drvq *nicfx_queue(nicfx *f, unsigned fn, unsigned q)
{
    ck_assert_uint_lt(f->nq, FX_MAX_Q);
    unsigned i = f->nq++;
    nic_drv_role role = fn == NIC_PF ? NIC_DRV_PF : NIC_DRV_VF;
    nic_drv_enable_msix(f->n, fn);
    nic_drv_env env = {.kernel = f->r.k,
                       .rc = f->r.pf->rc,
                       .nic = f->n,
                       .mem = f->r.pf->mem,
                       .fn = fn,
                       .q = q,
                       .role = role,
                       .base = f->next_base,
                       .msi_addr = PCIE_MSI_BASE | ((uint64_t)i << 12),
                       .msi_data = i,
                       .ctr = &f->ctr[i]};
    f->next_base += nic_drvq_mem_bytes(f->r.p, role);
    f->q[i] = nic_drvq_create(f->r.p, &env);
    nic_drvq_open(f->q[i], sim_now_ps(f->r.k));
    return f->q[i];
}

static inline void nicfx_run_us(nicfx *f, double us)
{
    rig_run_until(&f->r, sim_now_ps(f->r.k) + (uint64_t)llround(us * SIM_PS_PER_US));
    nic_settle(f->n, sim_now_ps(f->r.k));
}

static inline nic_pkt fx_pkt(uint64_t dst, uint64_t src, uint16_t vlan, uint16_t len, uint32_t flow)
{
    nic_pkt p = {.dst_mac = dst, .src_mac = src, .len_bytes = len, .vlan = vlan, .flow = flow};
    return p;
}

static inline void nicfx_destroy(nicfx *f)
{
    for (unsigned i = 0; i < f->nq; i++)
        nic_drvq_destroy(f->q[i]);
    pfdrv_destroy(f->pf);
    nic_destroy(f->n);
    rig_free(&f->r);
    free(f->msi);
    free(f->wire);
    free(f->wire_t);
}

#endif
