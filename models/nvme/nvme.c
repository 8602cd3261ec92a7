/* The NVMe drive's core: parameters, the primary's configuration space and the VFs
 * (secondary controllers) its SR-IOV capability asks for, the virtualization resource
 * pools, namespace attachment, statistics and the timed-action queue. Registers are
 * decoded in regs.c, admin commands in admin.c, the data path in io.c. */
#include "models/nvme/nvme_impl.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/pcie/cfgspace_regs.h"
#include "models/pcie/endpoint.h"
#include "sim/alloc.h"

/* ---------------------------------------------------------------- parameters */

static const sim_param_def nvme_params[] = {
    {"nvme.max_vfs", SIM_PARAM_UINT, "32", "0..127", "VFs",
     "SR-IOV TotalVFs of the drive: its secondary controllers (the Secondary Controller List "
     "holds at most 127)",
     SIM_AT(nvme_cfg, max_vfs)},
    {"nvme.vf_offset", SIM_PARAM_UINT, "1", "1..65535", "",
     "SR-IOV First VF Offset: VF 0's routing ID minus the PF's", SIM_AT(nvme_cfg, vf_offset)},
    {"nvme.vf_stride", SIM_PARAM_UINT, "1", "1..256", "",
     "SR-IOV VF Stride between consecutive VFs' routing IDs", SIM_AT(nvme_cfg, vf_stride)},
    {"nvme.pf_queues", SIM_PARAM_UINT, "65", "2..128", "queue pairs",
     "Private queue pairs of the primary controller, its admin queue pair included (VQPRT)",
     SIM_AT(nvme_cfg, pf_queues)},
    {"nvme.pf_vectors", SIM_PARAM_UINT, "65", "1..256", "vectors",
     "Private interrupt vectors of the primary controller (VIPRT): its MSI-X Table Size",
     SIM_AT(nvme_cfg, pf_vectors)},
    {"nvme.flex_queues", SIM_PARAM_UINT, "256", "0..65535", "queue pairs",
     "Flexible queue pairs the primary assigns to secondary controllers (VQFRT)",
     SIM_AT(nvme_cfg, flex_queues)},
    {"nvme.flex_vectors", SIM_PARAM_UINT, "256", "0..65535", "vectors",
     "Flexible interrupt vectors the primary assigns to secondary controllers (VIFRT)",
     SIM_AT(nvme_cfg, flex_vectors)},
    {"nvme.vf_max_queues", SIM_PARAM_UINT, "9", "2..128", "queue pairs",
     "Most flexible queue pairs one secondary controller may have, admin included (VQFRSM)",
     SIM_AT(nvme_cfg, vf_max_queues)},
    {"nvme.vf_max_vectors", SIM_PARAM_UINT, "9", "1..256", "vectors",
     "Most flexible vectors one secondary controller may have (VIFRSM): a VF's MSI-X Table "
     "Size",
     SIM_AT(nvme_cfg, vf_max_vectors)},
    {"nvme.max_queue_entries", SIM_PARAM_UINT, "16384", "2..65536", "entries",
     "Largest queue the controller supports (CAP.MQES + 1)", SIM_AT(nvme_cfg, mqes_entries)},
    {"nvme.namespaces", SIM_PARAM_UINT, "1", "1..1024", "namespaces",
     "Namespaces: equal slices of the media, attached to the primary at power-on",
     SIM_AT(nvme_cfg, namespaces)},
    {"nvme.lba_bytes", SIM_PARAM_UINT, "512", "512..4096", "bytes",
     "Logical block size of every namespace (LBA format 0)", SIM_AT(nvme_cfg, lba_bytes)},
    {"nvme.max_transfer_bytes", SIM_PARAM_UINT, "512KiB", "8KiB..1GiB", "bytes",
     "Largest data transfer of one command (MDTS, a power of two of 4 KiB pages; 4 KiB would read as MDTS 0, no limit)",
     SIM_AT(nvme_cfg, mdts_bytes)},
    {"nvme.mps_supported_bytes", SIM_PARAM_UINT, "512", "128..4096", "bytes",
     "Max_Payload_Size Supported in Device Capabilities", SIM_AT(nvme_cfg, mps_supported_bytes)},
    {"nvme.mmio_read_ns", SIM_PARAM_DOUBLE, "100", "0..1e6", "ns",
     "Time the controller takes to answer a register read (as nic.mmio_read_ns)",
     SIM_AT(nvme_cfg, mmio_read_ps)},
    {"nvme.mmio_base_addr", SIM_PARAM_UINT, "0x380000000000", "4GiB..4096TiB", "bytes",
     "Where the drive's 64-bit BARs are placed", SIM_AT(nvme_cfg, mmio_base_addr)},
};

void nvme_register_params(sim_params *p)
{
    sim_params_add_table(p, nvme_params, SIM_TABLE_LEN(nvme_params));
}

static void nvme_cfg_load(const sim_params *p, nvme_cfg *c)
{
    memset(c, 0, sizeof *c);
    sim_params_load_table(p, nvme_params, SIM_TABLE_LEN(nvme_params), c);
    uint64_t slice = flash_capacity_of(p) / c->namespaces;
    c->ns_bytes = slice - slice % c->lba_bytes;
}

nvme_caps nvme_caps_of(const sim_params *p)
{
    nvme_cfg c;
    nvme_cfg_load(p, &c);
    return (nvme_caps){.max_vfs = c.max_vfs,
                       .pf_queues = c.pf_queues,
                       .pf_vectors = c.pf_vectors,
                       .flex_queues = c.flex_queues,
                       .flex_vectors = c.flex_vectors,
                       .vf_max_queues = c.vf_max_queues,
                       .vf_max_vectors = c.vf_max_vectors,
                       .max_queue_entries = c.mqes_entries,
                       .namespaces = c.namespaces,
                       .lba_bytes = c.lba_bytes,
                       .ns_bytes = c.ns_bytes,
                       .max_transfer_bytes = c.mdts_bytes,
                       .mmio_base_addr = c.mmio_base_addr};
}

static bool is_pow2(uint64_t v) { return v && !(v & (v - 1)); }

int nvme_check(const sim_params *p, uint16_t pf_rid, sim_err *e)
{
    nvme_cfg c;
    nvme_cfg_load(p, &c);
    if (c.pf_queues > NVME_MAX_QUEUES || c.vf_max_queues > NVME_MAX_QUEUES)
        return sim_err_set(e, "nvme.pf_queues = %u and nvme.vf_max_queues = %u: at most %u "
                              "queue pairs fit a function's doorbells", c.pf_queues,
                           c.vf_max_queues, NVME_MAX_QUEUES);
    if (c.pf_vectors > NVME_MAX_VECTORS || c.vf_max_vectors > NVME_MAX_VECTORS)
        return sim_err_set(e, "nvme.pf_vectors = %u and nvme.vf_max_vectors = %u: at most %u "
                              "vectors fit a function's MSI-X table", c.pf_vectors,
                           c.vf_max_vectors, NVME_MAX_VECTORS);
    if (!is_pow2(c.lba_bytes))
        return sim_err_set(e, "nvme.lba_bytes = %u is not a power of two", c.lba_bytes);
    if (!is_pow2(c.mdts_bytes))
        return sim_err_set(e, "nvme.max_transfer_bytes = %u is not a power of two (MDTS counts "
                              "powers of two of 4 KiB pages)", c.mdts_bytes);
    if (c.ns_bytes < c.mdts_bytes)
        return sim_err_set(e, "nvme.namespaces = %u slices the media (%llu bytes) into "
                              "namespaces smaller than one transfer (nvme.max_transfer_bytes = %u)",
                           c.namespaces, (unsigned long long)flash_capacity_of(p), c.mdts_bytes);
    if (c.max_vfs) {
        uint32_t last = pcie_sriov_rid(pf_rid, c.vf_offset, c.vf_stride, c.max_vfs - 1);
        if (last > 0xffff)
            return sim_err_set(e, "nvme.vf_offset = %u, nvme.vf_stride = %u and nvme.max_vfs = "
                                  "%u put the last VF at routing ID %x: beyond FFFFh",
                               c.vf_offset, c.vf_stride, c.max_vfs, (unsigned)last);
    }
    uint32_t mps = pcie_link_cfg_from_params(p).mps_bytes;
    if (mps > c.mps_supported_bytes)
        return sim_err_set(e, "pcie.mps_bytes = %u is above the drive's Max_Payload_Size "
                              "Supported (nvme.mps_supported_bytes = %u)", mps, c.mps_supported_bytes);
    return flash_check(p, e);
}

/* ---------------------------------------------------------------- errors, actions */

void nvme_set_error(nvme *n, uint64_t *counter, const char *fmt, ...)
{
    if (counter)
        (*counter)++;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(n->last_error, sizeof n->last_error, fmt, ap);
    va_end(ap);
}

uint64_t nvme_errors(const nvme *n) { return n->errors; }
const char *nvme_last_error(const nvme *n) { return n->last_error; }

void nvme_sched(nvme *n, uint64_t t_ps, enum nvme_act_kind kind, void *obj, uint32_t gen,
                uint32_t val)
{
    uint64_t now = sim_now_ps(n->kernel);
    if (t_ps < now)
        t_ps = now;
    if (sim_tq_push(n->acts, t_ps, obj, NVME_ACT_TAG(kind, gen, val)))
        sim_event_notify_at(n->ev, t_ps);
}

static void on_event(void *ctx)
{
    nvme *n = ctx;
    uint64_t now = sim_now_ps(n->kernel);
    sim_tq_item a;
    while (sim_tq_pop_due(n->acts, now, &a)) {
        uint32_t gen = NVME_ACT_GEN(a.tag), val = NVME_ACT_VAL(a.tag);
        switch (NVME_ACT_KIND(a.tag)) {
        case NVME_ACT_SQ_DB: {
            nvme_sq *sq = a.obj;
            if ((sq->gen & 0xfffffffu) == gen && sq->exists)
                nvme_sq_doorbell_arrived(sq, val, now);
            break;
        }
        case NVME_ACT_XFER:
            nvme_cmd_xfer(a.obj, now);
            break;
        case NVME_ACT_DONE:
            nvme_cmd_done(a.obj);
            break;
        case NVME_ACT_COALESCE: {
            nvme_ctrl *c = a.obj;
            if (c->present && val < c->nvec && (c->vec[val].gen & 0xfffffffu) == gen)
                nvme_vec_timer(c, val, now);
            break;
        }
        }
    }
    if (sim_tq_len(n->acts))
        sim_event_notify_at(n->ev, sim_tq_head_ps(n->acts));
}

/* ---------------------------------------------------------------- functions */

nvme_ctrl *nvme_ctrl_get(nvme *n, unsigned idx)
{
    return idx <= n->cfg.max_vfs && n->ctrl[idx].present ? &n->ctrl[idx] : NULL;
}

unsigned nvme_max_vfs(const nvme *n) { return n->cfg.max_vfs; }
unsigned nvme_num_vfs(const nvme *n) { return pcie_sriov_num_vfs(n->sriov); }
bool nvme_fn_present(const nvme *n, unsigned fn) { return fn <= n->cfg.max_vfs && n->ctrl[fn].present; }
pcie_cfg *nvme_fn_cfg(nvme *n, unsigned fn) { return nvme_fn_present(n, fn) ? n->ctrl[fn].cfg : NULL; }
uint16_t nvme_fn_rid(const nvme *n, unsigned fn) { return nvme_fn_present(n, fn) ? n->ctrl[fn].rid : 0; }
uint64_t nvme_mmio_read_latency_ps(const nvme *n) { return n->cfg.mmio_read_ps; }
unsigned nvme_flex_queues_assigned(const nvme *n) { return n->flex_q_used; }
unsigned nvme_flex_vectors_assigned(const nvme *n) { return n->flex_v_used; }
uint64_t nvme_media_busy_ps(const nvme *n) { return flash_die_busy_ps(n->media); }
unsigned nvme_media_dies(const nvme *n) { return flash_dies(n->media); }

uint64_t nvme_fn_bar(const nvme *n, unsigned fn)
{
    if (!nvme_fn_present(n, fn))
        return 0;
    if (fn == NVME_PF)
        return pcie_cfg_bar_address(n->ctrl[NVME_PF].cfg, NVME_BAR_REGS);
    return pcie_sriov_vf_bar_address(n->sriov, NVME_BAR_REGS, fn - 1);
}

uint64_t nvme_doorbell_addr(const nvme *n, unsigned fn, unsigned qid, bool cq)
{
    uint64_t bar = nvme_fn_bar(n, fn);
    if (!bar || qid >= NVME_MAX_QUEUES)
        return 0;
    return bar + NVME_REG_DBS + (2u * qid + (cq ? 1u : 0u)) * NVME_DB_STRIDE_BYTES;
}

nvme_fn_counters nvme_fn_get_counters(const nvme *n, unsigned fn)
{
    nvme_fn_counters z = {0};
    return fn <= n->cfg.max_vfs ? n->ctr[fn] : z;
}

nvme_fn_counters nvme_get_counters(const nvme *n)
{
    nvme_fn_counters s = {0};
    _Static_assert(sizeof s % sizeof(uint64_t) == 0, "counters only");
    for (unsigned f = 0; f <= n->cfg.max_vfs; f++)
        sim_counters_add(&s, &n->ctr[f], sizeof s);
    return s;
}

/* ---------------------------------------------------------------- namespaces */

bool nvme_ns_attached(const nvme *n, unsigned nsid, unsigned ctrl)
{
    if (nsid < 1 || nsid > n->cfg.namespaces || ctrl > n->cfg.max_vfs)
        return false;
    return n->attached[(nsid - 1) * (1 + n->cfg.max_vfs) + ctrl];
}

void nvme_ns_set_attached(nvme *n, unsigned nsid, unsigned ctrl, bool on)
{
    assert(nsid >= 1 && nsid <= n->cfg.namespaces && ctrl <= n->cfg.max_vfs);
    n->attached[(nsid - 1) * (1 + n->cfg.max_vfs) + ctrl] = on;
}

/* ---------------------------------------------------------------- resource pools */

/* Secondary Controller Assign (8.5.2, modelled on QEMU's nvme_assign_virt_res_to_sec):
 * only while the secondary is Offline; at most the per-secondary maximum; the pool's
 * free resources must cover the increase. The count replaces the old one. */
uint16_t nvme_virt_assign(nvme *n, unsigned ctrl, unsigned rt, unsigned nr, uint32_t *dw0)
{
    const nvme_cfg *cf = &n->cfg;
    if (ctrl < 1 || ctrl > cf->max_vfs)
        return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INVALID_CTRL_ID);
    if (rt != NVME_VIRT_RT_VQ && rt != NVME_VIRT_RT_VI)
        return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INVALID_RESOURCE_ID);
    nvme_ctrl *s = &n->ctrl[ctrl];
    if (s->online)
        return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INVALID_SEC_CTRL_STATE);
    bool vq = rt == NVME_VIRT_RT_VQ;
    unsigned limit = vq ? cf->vf_max_queues : cf->vf_max_vectors;
    unsigned total = vq ? cf->flex_queues : cf->flex_vectors;
    unsigned *used = vq ? &n->flex_q_used : &n->flex_v_used;
    unsigned *have = vq ? &s->nvq : &s->nvi;
    if (nr > limit)
        return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INVALID_NUM_RESOURCES);
    if (nr > *have && nr - *have > total - *used)
        return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INVALID_RESOURCE_ID);
    *used = *used - *have + nr;
    *have = nr;
    *dw0 = nr;
    return 0;
}

/* Secondary Controller Online / Offline (QEMU's nvme_virt_set_state): going Online
 * needs its VF to exist, 2 or more VQ and 1 or more VI resources; going Offline gives
 * its resources back to the pools. A change of state resets the secondary (an Offline
 * one reports Controller Fatal Status). */
uint16_t nvme_virt_set_online(nvme *n, unsigned ctrl, bool online)
{
    if (ctrl < 1 || ctrl > n->cfg.max_vfs)
        return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INVALID_CTRL_ID);
    nvme_ctrl *s = &n->ctrl[ctrl];
    if (online && (!s->present || s->nvq < 2 || s->nvi < 1))
        return nvme_status(NVME_SCT_CMD_SPECIFIC, NVME_SC_INVALID_SEC_CTRL_STATE);
    if (!online) {
        n->flex_q_used -= s->nvq;
        n->flex_v_used -= s->nvi;
        s->nvq = s->nvi = 0;
    }
    if (s->online != online) {
        s->online = online;
        if (s->present)
            nvme_ctrl_reset(s);
    }
    return 0;
}

void nvme_ctrl_size_vectors(nvme_ctrl *c)
{
    if (c->idx == NVME_PF || !c->cfg)
        return;
    unsigned size = c->nvi ? c->nvi : 1;
    uint8_t cap = pcie_cfg_find_capability(c->cfg, PCIE_CAP_ID_MSIX);
    uint16_t reg = (uint16_t)(cap + PCIE_MSIX_MSG_CTRL);
    uint32_t ctl = pcie_cfg_get(c->cfg, reg, 2) & ~(uint32_t)PCIE_MSIX_MSG_CTRL_TABLE_SIZE;
    pcie_cfg_set(c->cfg, reg, 2, ctl | (size - 1));
    c->nvec = size;
}

/* ---------------------------------------------------------------- statistics */

static void register_fn_stats(nvme *n, unsigned fn)
{
    if (n->ctr_registered[fn])
        return;
    n->ctr_registered[fn] = true;
    char pre[32], name[96];
    if (fn == NVME_PF)
        snprintf(pre, sizeof pre, "nvme.pf");
    else
        snprintf(pre, sizeof pre, "nvme.vf%u", fn - 1);
    nvme_fn_counters *c = &n->ctr[fn];
#define C(field, desc)                                                                         \
    snprintf(name, sizeof name, "%s." #field, pre);                                            \
    sim_stats_counter(n->stats, name, &c->field, desc)
    C(reads, "Read commands completed");
    C(writes, "Write commands completed");
    C(flushes, "Flush commands completed");
    C(read_bytes, "bytes read by Read commands");
    C(write_bytes, "bytes written by Write commands");
    C(admin_cmds, "admin commands completed");
    C(sqe_fetches, "submission entry fetch reads");
    C(prp_list_reads, "PRP list reads");
    C(cqes, "completion entries posted");
    C(irqs, "MSI-X messages sent");
    C(doorbells, "doorbell writes");
    C(cq_full_waits, "completions held by a full completion queue");
    C(cmd_errors, "commands completed with an error status");
    C(dma_errors, "data or PRP list reads refused (Unsupported Request)");
    C(bad_doorbell, "doorbell writes for no queue or beyond its ring (ignored)");
    C(bad_mmio, "register accesses that hit no register");
    C(offline_mmio, "register accesses to an Offline secondary controller (ignored)");
    C(fatal, "Controller Fatal Status raised (a bad admin queue, a refused queue fetch)");
#undef C
}

/* ---------------------------------------------------------------- functions' set-up */

/* A function's configuration space: the PF's with BAR0 (registers, doorbells, the MSI-X
 * table and PBA), a VF's with its BAR in the PF's SR-IOV capability. */
static pcie_cfg *fn_cfg_create(nvme *n, nvme_ctrl *c, uint16_t vendor, uint16_t device,
                               unsigned vectors, bool pf)
{
    pcie_endpoint_info info = {.vendor_id = vendor,
                               .device_id = device,
                               .class_code = NVME_CLASS_CODE,
                               .ext_tag = pf,
                               .mps_supported_bytes = n->cfg.mps_supported_bytes,
                               .link = pcie_link_config(n->link),
                               .bars = {{NVME_BAR_REGS, NVME_BAR0_BYTES, true, false}},
                               .nbars = pf ? 1 : 0,
                               .msix_vectors = vectors,
                               .msix_bar = NVME_BAR_REGS,
                               .msix_table_offset = NVME_MSIX_TABLE_OFFSET,
                               .msix_pba_offset = NVME_MSIX_PBA_OFFSET};
    return pcie_endpoint_cfg_create(&info, &c->exp);
}

static void fn_set_limits(nvme *n, nvme_ctrl *c)
{
    pcie_endpoint_apply_pf_limits(c->dma, n->ctrl[NVME_PF].cfg);
}

/* Device Control written: Initiate FLR resets the function (its controller, its
 * configuration space); the PF's MPS and MRRS govern every function's DMA. */
static void on_devctl(pcie_cfg *cfg, const pcie_cfg_write_info *w, void *ctx)
{
    (void)cfg;
    nvme_ctrl *c = ctx;
    nvme *n = c->nvme;
    pcie_devctl_request req = pcie_endpoint_devctl_request(w, c->exp);
    if (req == PCIE_DEVCTL_UNTOUCHED)
        return;
    if (req == PCIE_DEVCTL_FLR) {
        if (c->idx == NVME_PF)
            pcie_sriov_reset(n->sriov);
        nvme_ctrl_reset(c);
        pcie_cfg_reset(c->cfg);
        fn_set_limits(n, c);
        return;
    }
    if (c->idx != NVME_PF)
        return;
    for (unsigned f = 0; f <= n->cfg.max_vfs; f++)
        if (n->ctrl[f].present)
            fn_set_limits(n, &n->ctrl[f]);
}

/* MSI-X Enable set or Function Mask cleared: the messages held pending go now (PCIe
 * 6.1.4.5: a pending message is sent whenever it becomes unmasked). */
static void on_msix_ctrl(pcie_cfg *cfg, const pcie_cfg_write_info *w, void *ctx)
{
    (void)w;
    nvme_ctrl *c = ctx;
    if (!pcie_cfg_msix_enabled(cfg) || pcie_cfg_msix_function_masked(cfg))
        return;
    uint64_t now = sim_now_ps(c->nvme->kernel);
    for (unsigned v = 0; v < c->nvec; v++)
        if (c->msix[v].pending)
            nvme_vec_unmasked(c, v, now);
}

/* A function's controller state: registers at reset, queues and vectors. */
static void ctrl_attach(nvme *n, nvme_ctrl *c, pcie_cfg *cfg, uint16_t rid)
{
    c->cfg = cfg;
    c->rid = rid;
    c->dma = pcie_dma_create(n->link, n->rc, rid, n->cfg.tags);
    c->present = true;
    pcie_cfg_set_write_handler(cfg, (uint16_t)(c->exp + PCIE_EXP_DEVCTL), 2, on_devctl, c);
    uint8_t msix = pcie_cfg_find_capability(cfg, PCIE_CAP_ID_MSIX);
    pcie_cfg_set_write_handler(cfg, (uint16_t)(msix + PCIE_MSIX_MSG_CTRL), 2, on_msix_ctrl, c);
    fn_set_limits(n, c);
    nvme_ctrl_reset(c);
    register_fn_stats(n, c->idx);
}

static bool vf_create(void *ctx, unsigned i, uint16_t rid)
{
    nvme *n = ctx;
    nvme_ctrl *c = &n->ctrl[1 + i];
    /* A VF's Vendor and Device ID read FFFFh (SR-IOV 3.4.1.1, 3.4.1.2). */
    pcie_cfg *cfg = fn_cfg_create(n, c, 0xffff, 0xffff, n->cfg.vf_max_vectors, false);
    if (!cfg)
        return false;
    if (!pcie_cfg_bus_attach(n->bus, rid, cfg)) {
        pcie_cfg_destroy(cfg);
        return false;
    }
    ctrl_attach(n, c, cfg, rid);
    return true;
}

static void vf_remove(void *ctx, unsigned i)
{
    nvme *n = ctx;
    nvme_ctrl *c = &n->ctrl[1 + i];
    /* A VF that goes away takes its secondary Offline (QEMU's
     * nvme_sriov_post_write_config). */
    nvme_virt_set_online(n, 1 + i, false);
    nvme_queues_drop(c);
    pcie_cfg_destroy(c->cfg); /* detaches it from the bus */
    pcie_dma_destroy(c->dma);
    c->cfg = NULL;
    c->dma = NULL;
    c->present = false;
    c->gen++;
}

static void sriov_refused(void *ctx, const char *msg)
{
    nvme *n = ctx;
    nvme_set_error(n, &n->errors, "%s", msg);
}

/* VF Enable admits any count up to TotalVFs: a VF's resources are the Virtualization
 * Management command's business, and an Offline VF simply does not start. */
static const pcie_sriov_ops vf_ops = {NULL, vf_create, vf_remove, sriov_refused};

static int build_pf(nvme *n, sim_err *e)
{
    const nvme_cfg *cf = &n->cfg;
    nvme_ctrl *c = &n->ctrl[NVME_PF];
    pcie_cfg *cfg = fn_cfg_create(n, c, NVME_VENDOR_ID, NVME_PF_DEVICE_ID, cf->pf_vectors, true);
    if (!cfg)
        return sim_err_set(e, "nvme: cannot build the PF's configuration space");
    pcie_cfg_add_ext_capability(cfg, PCIE_EXT_CAP_ID_ARI, PCIE_ARI_VERSION, PCIE_ARI_SIZEOF);
    pcie_sriov_info si = {.total_vfs = (uint16_t)cf->max_vfs,
                          .first_vf_offset = (uint16_t)cf->vf_offset,
                          .vf_stride = (uint16_t)cf->vf_stride,
                          .vf_device_id = NVME_VF_DEVICE_ID,
                          .supported_page_sizes = 0x1};
    si.vf_bar[NVME_BAR_REGS] = (pcie_sriov_bar){NVME_BAR0_BYTES, true, false};
    n->sriov = pcie_sriov_create(cfg, &si, &vf_ops, n);
    if (!n->sriov) {
        pcie_cfg_destroy(cfg);
        return sim_err_set(e, "nvme: no room for the SR-IOV capability");
    }
    if (!pcie_cfg_bus_attach(n->bus, n->pf_rid, cfg)) {
        pcie_sriov_destroy(n->sriov);
        n->sriov = NULL;
        pcie_cfg_destroy(cfg);
        return sim_err_set(e, "nvme: routing ID %04x is taken", (unsigned)n->pf_rid);
    }
    pcie_cfg_register_stats(cfg, n->stats, "nvme.pf.cfg");
    c->nvq = cf->pf_queues;
    c->nvi = cf->pf_vectors;
    c->online = true;
    ctrl_attach(n, c, cfg, n->pf_rid);
    return 0;
}

static void register_device_stats(nvme *n)
{
    sim_stats_counter(n->stats, "nvme.sriov_errors", &n->errors,
                      "SR-IOV capability writes the drive refused");
    sim_stats_counter(n->stats, "nvme.bad_mmio", &n->bad_mmio,
                      "register accesses that decoded to no function");
}

nvme *nvme_create(const sim_params *p, const nvme_env *env, sim_err *e)
{
    nvme *n = sim_xcalloc(1, sizeof *n);
    n->kernel = env->kernel;
    n->stats = env->stats;
    n->link = env->link;
    n->rc = env->rc;
    n->bus = env->bus;
    n->pf_rid = env->pf_rid;
    nvme_cfg_load(p, &n->cfg);
    pcie_link_params lp = pcie_link_params_load(p);
    n->cfg.tags = lp.tags;
    /* A completion entry's bytes are in memory one traversal of the link and the root
     * complex after the controller sends them (uncontended). */
    n->cqe_visible_ps = lp.latency_ps + pcie_rc_latency_ps(n->rc);
    unsigned nfn = 1 + n->cfg.max_vfs;
    n->ctrl = sim_xcalloc(nfn, sizeof *n->ctrl);
    n->ctr = sim_xcalloc(nfn, sizeof *n->ctr);
    n->ctr_registered = sim_xcalloc(nfn, sizeof *n->ctr_registered);
    n->attached = sim_xcalloc((size_t)n->cfg.namespaces * nfn, sizeof *n->attached);
    for (unsigned f = 0; f < nfn; f++) {
        nvme_ctrl *c = &n->ctrl[f];
        c->nvme = n;
        c->idx = f;
        c->ctr = &n->ctr[f];
        unsigned nvec = f == NVME_PF ? n->cfg.pf_vectors : n->cfg.vf_max_vectors;
        c->msix = sim_xcalloc(nvec, sizeof *c->msix);
        c->vec = sim_xcalloc(nvec, sizeof *c->vec);
        c->nvec = nvec;
    }
    for (unsigned ns = 1; ns <= n->cfg.namespaces; ns++)
        nvme_ns_set_attached(n, ns, NVME_PF, true);
    /* A transfer within MDTS spans at most MDTS / 4 KiB pages, one more when it starts
     * inside a page. */
    n->max_pages = n->cfg.mdts_bytes / 4096u + 1;
    n->prp_addr = sim_xcalloc(n->max_pages, sizeof *n->prp_addr);
    n->prp_len = sim_xcalloc(n->max_pages, sizeof *n->prp_len);
    n->media = flash_create(p, n->stats);
    n->ev = sim_event_create(n->kernel, "nvme", on_event, n);
    n->acts = sim_tq_create();
    register_device_stats(n);
    if (build_pf(n, e) < 0) {
        nvme_destroy(n);
        return NULL;
    }
    return n;
}

void nvme_destroy(nvme *n)
{
    if (!n)
        return;
    pcie_sriov_destroy(n->sriov);
    nvme_ctrl *pf = &n->ctrl[NVME_PF];
    if (pf->present)
        nvme_queues_drop(pf);
    pcie_dma_destroy(pf->dma);
    pcie_cfg_destroy(pf->cfg);
    for (size_t i = 0; i < sim_tq_len(n->acts); i++) {
        sim_tq_item a = sim_tq_item_at(n->acts, i);
        if (NVME_ACT_KIND(a.tag) == NVME_ACT_DONE || NVME_ACT_KIND(a.tag) == NVME_ACT_XFER)
            nvme_cmd_free_mem(a.obj);
    }
    while (n->free_cmds) {
        nvme_cmd *c = n->free_cmds;
        n->free_cmds = c->next;
        nvme_cmd_free_mem(c);
    }
    for (unsigned f = 0; f <= n->cfg.max_vfs; f++) {
        free(n->ctrl[f].msix);
        free(n->ctrl[f].vec);
    }
    sim_tq_destroy(n->acts);
    flash_destroy(n->media);
    free(n->sqe_buf);
    free(n->prp_addr);
    free(n->prp_len);
    free(n->ctrl);
    free(n->ctr);
    free(n->ctr_registered);
    free(n->attached);
    free(n);
}
