#include "models/pcie/sriov.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/alloc.h"

struct pcie_sriov {
    pcie_cfg *pf;
    uint16_t cap; /* offset of the capability */
    pcie_sriov_info info;
    pcie_sriov_ops ops;
    void *ctx;
    unsigned num_vfs; /* VFs that exist */
    bool mse;         /* VF Memory Space Enable, as last written */
    /* VF BARn's address, kept as software writes the registers (every MMIO access of
     * a VF decodes through them), and log2 of one VF's share (a power of two, SR-IOV
     * 3.3.14), so decoding shifts and masks instead of dividing */
    uint64_t vf_bar[PCIE_CFG_NUM_BARS];
    uint8_t vf_bar_shift[PCIE_CFG_NUM_BARS];
};

static void refuse(pcie_sriov *s, const char *fmt, unsigned a, unsigned b)
{
    char msg[160];
    snprintf(msg, sizeof msg, fmt, a, b);
    if (s->ops.refused)
        s->ops.refused(s->ctx, msg);
}

static uint16_t reg(const pcie_sriov *s, unsigned off) { return (uint16_t)(s->cap + off); }

static void remove_vfs(pcie_sriov *s, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        s->ops.remove_vf(s->ctx, i);
}

/* VF Enable 0 -> 1: create NumVFs VFs, or none. */
static bool enable_vfs(pcie_sriov *s)
{
    unsigned num = pcie_cfg_get(s->pf, reg(s, PCIE_SRIOV_NUM_VFS), 2);
    if (num > s->info.total_vfs) {
        refuse(s, "SR-IOV: VF Enable with NumVFs = %u above TotalVFs = %u refused", num,
               s->info.total_vfs);
        return false;
    }
    if (s->ops.admit && !s->ops.admit(s->ctx, num))
        return false;
    uint16_t pf_rid = 0;
    if (num && !pcie_cfg_routing_id(s->pf, &pf_rid)) {
        refuse(s, "SR-IOV: VF Enable refused: the PF is on no bus", 0, 0);
        return false;
    }
    unsigned offset = pcie_cfg_get(s->pf, reg(s, PCIE_SRIOV_FIRST_VF_OFFSET), 2);
    unsigned stride = pcie_cfg_get(s->pf, reg(s, PCIE_SRIOV_VF_STRIDE), 2);
    for (unsigned i = 0; i < num; i++) {
        uint32_t rid = pcie_sriov_rid(pf_rid, offset, stride, i);
        if (rid > 0xffff || !s->ops.create_vf(s->ctx, i, (uint16_t)rid)) {
            remove_vfs(s, i);
            refuse(s, "SR-IOV: VF %u cannot take routing ID %04x", i, (unsigned)rid);
            return false;
        }
    }
    s->num_vfs = num;
    return true;
}

static void on_ctrl(pcie_cfg *c, const pcie_cfg_write_info *w, void *ctx)
{
    pcie_sriov *s = ctx;
    uint16_t r = reg(s, PCIE_SRIOV_CTRL);
    if (!pcie_cfg_write_touches(w, r, 2))
        return;
    uint32_t old = pcie_cfg_write_old(c, w, r, 2), now = pcie_cfg_get(c, r, 2);
    bool was = old & PCIE_SRIOV_CTRL_VF_ENABLE, is = now & PCIE_SRIOV_CTRL_VF_ENABLE;
    s->mse = now & PCIE_SRIOV_CTRL_VF_MSE;
    if (!was && is) {
        if (!enable_vfs(s))
            pcie_cfg_set(c, r, 2, now & ~(uint32_t)PCIE_SRIOV_CTRL_VF_ENABLE);
    } else if (was && !is) {
        remove_vfs(s, s->num_vfs);
        s->num_vfs = 0;
    }
}

static void on_num_vfs(pcie_cfg *c, const pcie_cfg_write_info *w, void *ctx)
{
    pcie_sriov *s = ctx;
    uint16_t r = reg(s, PCIE_SRIOV_NUM_VFS);
    if (!pcie_cfg_write_touches(w, r, 2))
        return;
    uint32_t old = pcie_cfg_write_old(c, w, r, 2);
    uint32_t ctrl = pcie_cfg_write_old(c, w, reg(s, PCIE_SRIOV_CTRL), 2);
    if ((ctrl & PCIE_SRIOV_CTRL_VF_ENABLE) && pcie_cfg_get(c, r, 2) != old) {
        pcie_cfg_set(c, r, 2, old);
        refuse(s, "SR-IOV: NumVFs written while VF Enable is set (ignored)", 0, 0);
    }
}

static void on_vf_bar(pcie_cfg *c, const pcie_cfg_write_info *w, void *ctx)
{
    (void)w;
    pcie_sriov *s = ctx;
    for (unsigned b = 0; b < PCIE_CFG_NUM_BARS; b++)
        if (s->info.vf_bar[b].size_bytes)
            s->vf_bar[b] = pcie_cfg_bar_reg_address(c, reg(s, PCIE_SRIOV_VF_BAR(b)),
                                                    s->info.vf_bar[b].is_64bit);
}

pcie_sriov *pcie_sriov_create(pcie_cfg *pf, const pcie_sriov_info *info,
                              const pcie_sriov_ops *ops, void *ctx)
{
    assert(ops && ops->create_vf && ops->remove_vf);
    uint16_t cap = pcie_cfg_add_ext_capability(pf, PCIE_EXT_CAP_ID_SRIOV, PCIE_SRIOV_VERSION,
                                               PCIE_SRIOV_SIZEOF);
    if (!cap)
        return NULL;
    pcie_sriov *s = sim_xcalloc(1, sizeof *s);
    *s = (pcie_sriov){.pf = pf, .cap = cap, .info = *info, .ops = *ops, .ctx = ctx};
    pcie_cfg_set(pf, reg(s, PCIE_SRIOV_INITIAL_VFS), 2, info->total_vfs);
    pcie_cfg_set(pf, reg(s, PCIE_SRIOV_TOTAL_VFS), 2, info->total_vfs);
    pcie_cfg_set(pf, reg(s, PCIE_SRIOV_FIRST_VF_OFFSET), 2, info->first_vf_offset);
    pcie_cfg_set(pf, reg(s, PCIE_SRIOV_VF_STRIDE), 2, info->vf_stride);
    pcie_cfg_set(pf, reg(s, PCIE_SRIOV_VF_DEVICE_ID), 2, info->vf_device_id);
    pcie_cfg_set(pf, reg(s, PCIE_SRIOV_SUPPORTED_PAGE_SIZES), 4, info->supported_page_sizes);
    pcie_cfg_set(pf, reg(s, PCIE_SRIOV_SYSTEM_PAGE_SIZE), 4, 0x1); /* 4 KiB */
    pcie_cfg_set_wmask(pf, reg(s, PCIE_SRIOV_SYSTEM_PAGE_SIZE), 4, info->supported_page_sizes);
    pcie_cfg_set_wmask(pf, reg(s, PCIE_SRIOV_CTRL), 2,
                       PCIE_SRIOV_CTRL_VF_ENABLE | PCIE_SRIOV_CTRL_VF_MSE |
                           PCIE_SRIOV_CTRL_ARI_HIERARCHY);
    pcie_cfg_set_wmask(pf, reg(s, PCIE_SRIOV_NUM_VFS), 2, 0xffff);
    for (unsigned b = 0; b < PCIE_CFG_NUM_BARS; b++)
        pcie_cfg_init_bar_reg(pf, reg(s, PCIE_SRIOV_VF_BAR(b)), 0, false, false);
    for (unsigned b = 0; b < PCIE_CFG_NUM_BARS; b++) {
        const pcie_sriov_bar *v = &info->vf_bar[b];
        if (v->size_bytes && (b + v->is_64bit >= PCIE_CFG_NUM_BARS ||
                              !pcie_cfg_init_bar_reg(pf, reg(s, PCIE_SRIOV_VF_BAR(b)),
                                                     v->size_bytes, v->is_64bit,
                                                     v->prefetchable))) {
            free(s);
            return NULL;
        }
        if (v->size_bytes) {
            assert((v->size_bytes & (v->size_bytes - 1)) == 0); /* the BAR register took it */
            s->vf_bar_shift[b] = (uint8_t)__builtin_ctzll(v->size_bytes);
        }
    }
    pcie_cfg_set_write_handler(pf, reg(s, PCIE_SRIOV_CTRL), 2, on_ctrl, s);
    pcie_cfg_set_write_handler(pf, reg(s, PCIE_SRIOV_NUM_VFS), 2, on_num_vfs, s);
    pcie_cfg_set_write_handler(pf, reg(s, PCIE_SRIOV_VF_BAR0), 4 * PCIE_CFG_NUM_BARS, on_vf_bar,
                               s);
    return s;
}

void pcie_sriov_destroy(pcie_sriov *s)
{
    if (!s)
        return;
    remove_vfs(s, s->num_vfs);
    free(s);
}

void pcie_sriov_reset(pcie_sriov *s)
{
    remove_vfs(s, s->num_vfs);
    s->num_vfs = 0;
    s->mse = false;
    for (unsigned b = 0; b < PCIE_CFG_NUM_BARS; b++)
        s->vf_bar[b] = 0;
}

uint16_t pcie_sriov_offset(const pcie_sriov *s) { return s->cap; }
unsigned pcie_sriov_num_vfs(const pcie_sriov *s) { return s->num_vfs; }

uint64_t pcie_sriov_vf_bar_address(const pcie_sriov *s, unsigned bar, unsigned vf)
{
    if (bar >= PCIE_CFG_NUM_BARS || !s->vf_bar[bar])
        return 0;
    return s->vf_bar[bar] + (uint64_t)vf * s->info.vf_bar[bar].size_bytes;
}

bool pcie_sriov_vf_decode(const pcie_sriov *s, uint64_t addr, unsigned *vf, unsigned *bar,
                          uint64_t *off)
{
    if (!s->num_vfs || !s->mse)
        return false;
    for (unsigned b = 0; b < PCIE_CFG_NUM_BARS; b++) {
        uint64_t base = s->vf_bar[b];
        if (!base || addr < base)
            continue;
        uint64_t d = addr - base, i = d >> s->vf_bar_shift[b];
        if (i < s->num_vfs) {
            *vf = (unsigned)i;
            *bar = b;
            *off = d & ((1ull << s->vf_bar_shift[b]) - 1);
            return true;
        }
    }
    return false;
}
