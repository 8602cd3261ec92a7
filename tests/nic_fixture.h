/* A NIC on a Gen3 x8 link for the NIC tests: native kernel, host memory, link, root
 * complex, configuration bus, the NIC with its PF enumerated and BARs placed and the PF
 * driver bound (VFs are the test's to enable), MSI-X
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

#define FX_PF_RID 0x0100u
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
    sim_params *p;
    sim_kernel *k;
    sim_stats *st;
    mem *m;
    pcie_link *link;
    pcie_rc *rc;
    pcie_cfg_bus *bus;
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

static inline void fx_set(sim_params *p, const char *name, const char *value)
{
    sim_err e;
    ck_assert_msg(sim_params_set(p, name, value, "test", &e) == 0, "%s", e.msg);
}

static inline void nicfx_params(nicfx *f)
{
    memset(f, 0, sizeof *f);
    f->p = sim_params_create();
    sim_run_register_params(f->p);
    systems_ops.register_params(f->p);
    fx_set(f->p, "workload.kind", "nic");
    fx_set(f->p, "nic.max_vfs", "8");
    fx_set(f->p, "nic.total_queues", "32");
    fx_set(f->p, "nic.ring_entries", "64");
    fx_set(f->p, "nic.tx_desc_cache", "40");
    fx_set(f->p, "nicdrv.rx_refill", "8");
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
    ck_assert_msg(systems_ops.check(f->p, &e) == 0, "%s", e.msg);
    f->k = sim_kernel_create(SIM_KERNEL_NATIVE, &e);
    ck_assert(f->k);
    f->st = sim_stats_create();
    f->m = mem_create(f->p, f->st);
    f->link = pcie_link_create(f->p, f->st, "pcie");
    f->rc = pcie_rc_create(f->p, f->st, f->link, f->m);
    f->bus = pcie_cfg_bus_create();
    nic_env env = {f->k, f->st, f->link, f->rc, f->bus, FX_PF_RID};
    f->n = nic_create(f->p, &env, &e);
    ck_assert_msg(f->n, "%s", e.msg);
    uint16_t rids[4];
    size_t found = pcie_cfg_bus_enumerate(f->bus, 2, rids, 4);
    ck_assert_uint_eq(found, 1);
    ck_assert_uint_eq(pcie_cfg_bus_assign_bars(f->bus, rids, found,
                                               sim_params_uint(f->p, "nic.mmio_base_addr"),
                                               256ull << 20, NULL),
                      0);
    ck_assert(pcie_cfg_exp_set_mps_mrrs(nic_fn_cfg(f->n, NIC_PF), 256, 512));
    pfdrv_env pe = {f->k, f->n, f->bus, FX_PF_RID};
    f->pf = pfdrv_create(f->p, &pe);
    f->msi = calloc(FX_MAX_MSI, sizeof *f->msi);
    f->wire = calloc(FX_MAX_WIRE, sizeof *f->wire);
    f->wire_t = calloc(FX_MAX_WIRE, sizeof *f->wire_t);
    ck_assert(f->msi && f->wire && f->wire_t);
    pcie_rc_set_msi(f->rc, fx_on_msi, f);
    nic_set_wire_sink(f->n, fx_on_wire, f);
    f->next_base = 1ull << 32;
}

/* A driver queue pair on (fn, q), opened now; its MSI data is its index. */
static inline nic_drvq *nicfx_queue(nicfx *f, unsigned fn, unsigned q)
{
    ck_assert_uint_lt(f->nq, FX_MAX_Q);
    unsigned i = f->nq++;
    nic_drv_enable_msix(f->n, fn);
    nic_drv_env env = {.kernel = f->k,
                       .rc = f->rc,
                       .nic = f->n,
                       .mem = f->m,
                       .fn = fn,
                       .q = q,
                       .base = f->next_base,
                       .msi_addr = PCIE_MSI_BASE | ((uint64_t)i << 12),
                       .msi_data = i,
                       .ctr = &f->ctr[i]};
    f->next_base += nic_drvq_mem_bytes(f->p);
    f->q[i] = nic_drvq_create(f->p, &env);
    nic_drvq_open(f->q[i], sim_now_ps(f->k));
    return f->q[i];
}

static inline void nicfx_run_us(nicfx *f, double us)
{
    sim_kernel_run_until(f->k, sim_now_ps(f->k) + (uint64_t)(us * 1e6));
    nic_settle(f->n, sim_now_ps(f->k));
}

static inline nic_pkt fx_pkt(uint64_t dst, uint64_t src, uint16_t vlan, uint16_t len, uint32_t flow)
{
    nic_pkt p = {.dst_mac = dst, .src_mac = src, .len_bytes = len, .vlan = vlan, .flow = flow};
    return p;
}

static inline double fx_stat(nicfx *f, const char *name)
{
    double v = -1;
    ck_assert_msg(sim_stats_get(f->st, name, &v), "no stat %s", name);
    return v;
}

static inline void nicfx_destroy(nicfx *f)
{
    for (unsigned i = 0; i < f->nq; i++)
        nic_drvq_destroy(f->q[i]);
    pfdrv_destroy(f->pf);
    nic_destroy(f->n);
    pcie_cfg_bus_destroy(f->bus);
    pcie_rc_destroy(f->rc);
    pcie_link_destroy(f->link);
    mem_destroy(f->m);
    sim_stats_destroy(f->st);
    sim_kernel_destroy(f->k);
    sim_params_destroy(f->p);
    free(f->msi);
    free(f->wire);
    free(f->wire_t);
}

#endif
