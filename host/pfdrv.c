#include "host/pfdrv.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "host/pciiov.h"
#include "models/nic/nic_regs.h"
#include "sim/alloc.h"

/* The driver's parameters (pfdrv_params) as one call loads them. */
typedef struct pfdrv_cfg {
    uint32_t vfs;
    const char *vf_mac_base;
    uint16_t vf_vlan;
    bool vf_spoofchk, vf_trust;
    double vf_rate_gbps;
} pfdrv_cfg;

static const sim_param_def pfdrv_params[] = {
    {"nic.vfs", SIM_PARAM_UINT, "0", "0..256", "VFs",
     "VFs the PF driver enables at start (writes NumVFs and VF Enable)", SIM_AT(pfdrv_cfg, vfs)},
    {"nic.vf_mac_base", SIM_PARAM_STRING, "02:00:00:00:01:00", NULL, "",
     "VF i gets this MAC + i when the PF driver enables VFs (unicast)",
     SIM_AT(pfdrv_cfg, vf_mac_base)},
    {"nic.vf_vlan", SIM_PARAM_UINT, "0", "0..4094", "", "Port VLAN of every VF (0: untagged)",
     SIM_AT(pfdrv_cfg, vf_vlan)},
    {"nic.vf_spoofchk", SIM_PARAM_BOOL, "true", NULL, "",
     "Anti-spoofing of VF transmit source MACs (Linux default: on)",
     SIM_AT(pfdrv_cfg, vf_spoofchk)},
    {"nic.vf_trust", SIM_PARAM_BOOL, "false", NULL, "", "VFs trusted to change their own MAC",
     SIM_AT(pfdrv_cfg, vf_trust)},
    {"nic.vf_rate_gbps", SIM_PARAM_DOUBLE, "0", "0..1600", "Gbps",
     "Transmit rate limit of every VF in Gb/s of host-side bytes (0: none)",
     SIM_AT(pfdrv_cfg, vf_rate_gbps)},
};

struct pfdrv {
    sim_kernel *kernel;
    nic *nic;
    pcie_cfg_bus *bus;
    uint16_t pf_rid;
    uint64_t mmio_base, mmio_bytes; /* the window the PF's (and the VFs') BARs are in */
    uint16_t sriov; /* the capability's offset, found when binding; 0: none */
    pci_iov iov;    /* the PCI core's view of the PF */
    pfdrv_cfg cfg;
    uint64_t vf_mac_base;
    nic_caps caps; /* what the driver knows of its hardware */
    uint64_t errors;
    char last_error[256];
};

void pfdrv_register_params(sim_params *p)
{
    sim_params_add_table(p, pfdrv_params, SIM_TABLE_LEN(pfdrv_params));
}

unsigned pfdrv_vfs(const sim_params *p)
{
    pfdrv_cfg c;
    sim_params_load_table(p, pfdrv_params, SIM_TABLE_LEN(pfdrv_params), &c);
    return c.vfs;
}

/* The queue pool's rule, before a run (pfdrv_check_vfs) and when enabling VFs: the
 * PF's queue pairs and vfs VFs' (`what` says where vfs comes from) fit in the pool. */
static int check_pool(const nic_caps *k, const char *what, unsigned vfs, sim_err *e)
{
    unsigned pfq = k->pf_queues, qpv = k->queues_per_vf, total = k->total_queues;
    unsigned long long need = (unsigned long long)pfq + (unsigned long long)vfs * qpv;
    if (need <= total)
        return 0;
    return sim_err_set(e,
                       "more queues than the pool holds: nic.pf_queues + %s x "
                       "nic.queues_per_vf = %u + %u x %u = %llu queue pairs, "
                       "nic.total_queues = %u (at most %u VFs fit)",
                       what, pfq, vfs, qpv, need, total, pfq <= total ? (total - pfq) / qpv : 0);
}

int pfdrv_check_vfs(const sim_params *p, const char *what, unsigned vfs, sim_err *e)
{
    nic_caps k = nic_caps_of(p);
    if (vfs > k.max_vfs)
        return sim_err_set(e, "%s = %u: NumVFs above TotalVFs (nic.max_vfs = %u)", what, vfs,
                           k.max_vfs);
    return check_pool(&k, what, vfs, e);
}

int pfdrv_check(const sim_params *p, sim_err *e)
{
    pfdrv_cfg c;
    sim_params_load_table(p, pfdrv_params, SIM_TABLE_LEN(pfdrv_params), &c);
    if (pfdrv_check_vfs(p, "nic.vfs", c.vfs, e) < 0)
        return -1;
    nic_caps k = nic_caps_of(p);
    uint64_t mac;
    const char *vf_mac = c.vf_mac_base;
    if (nic_mac_parse(vf_mac, &mac) < 0)
        return sim_err_set(e, "nic.vf_mac_base = '%s' is not a MAC address (aa:bb:cc:dd:ee:ff)",
                           vf_mac);
    if (!nic_mac_is_unicast(mac))
        return sim_err_set(e, "nic.vf_mac_base = %s is not a unicast address: a VF MAC must be "
                              "unicast (the first octet's low bit is the group bit)", vf_mac);
    if ((mac & 0xffffffull) + k.max_vfs > 0x1000000ull)
        return sim_err_set(e, "nic.vf_mac_base = %s + nic.max_vfs runs past the address block "
                              "(the low three octets would wrap)", vf_mac);
    if (c.vf_rate_gbps > k.line_gbps)
        return sim_err_set(e, "nic.vf_rate_gbps = %g: a rate limit above the line rate "
                              "(nic.line_gbps = %g)", c.vf_rate_gbps, k.line_gbps);
    return 0;
}

static int fail(pfdrv *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(pfdrv *d, const char *fmt, ...)
{
    d->errors++;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->last_error, sizeof d->last_error, fmt, ap);
    va_end(ap);
    return -1;
}

uint64_t pfdrv_errors(const pfdrv *d) { return d->errors; }
const char *pfdrv_last_error(const pfdrv *d) { return d->last_error; }

pfdrv *pfdrv_create(const sim_params *p, const pfdrv_env *env)
{
    pfdrv *d = sim_xcalloc(1, sizeof *d);
    d->kernel = env->kernel;
    d->nic = env->nic;
    d->bus = env->bus;
    d->pf_rid = env->pf_rid;
    d->mmio_base = env->mmio_base;
    d->mmio_bytes = env->mmio_bytes;
    sim_params_load_table(p, pfdrv_params, SIM_TABLE_LEN(pfdrv_params), &d->cfg);
    nic_mac_parse(d->cfg.vf_mac_base, &d->vf_mac_base); /* pfdrv_check refused bad ones */
    d->caps = nic_caps_of(p);
    d->iov = (pci_iov){d->bus, d->pf_rid, d->mmio_base, d->mmio_bytes};
    /* The PCI core finds the capability when it enumerates the PF. */
    d->sriov = pci_iov_cap(&d->iov);
    return d;
}

void pfdrv_destroy(pfdrv *d) { free(d); }

/* ---------------------------------------------------------------- device access */

static void reg_write(pfdrv *d, uint64_t t_ps, uint32_t off, uint32_t v)
{
    nic_mmio_write(d->nic, t_ps, nic_reg_addr(d->nic, NIC_PF, off), 4, v);
}

/* VFs enabled, as the capability says. */
static unsigned vfs_enabled(pfdrv *d) { return pci_iov_num_vfs(&d->iov); }

/* ---------------------------------------------------------------- enabling VFs */

/* The administrative settings the PF driver gives VF vf before its driver loads. */
static void vf_defaults(pfdrv *d, uint64_t t, unsigned vf)
{
    const pfdrv_cfg *c = &d->cfg;
    uint64_t mac = d->vf_mac_base + vf;
    reg_write(d, t, NIC_REG_PFVF(vf, NIC_PFVF_RAL), (uint32_t)mac);
    reg_write(d, t, NIC_REG_PFVF(vf, NIC_PFVF_RAH), (uint32_t)(mac >> 32) | NIC_PFVF_RAH_AV);
    reg_write(d, t, NIC_REG_PFVF(vf, NIC_PFVF_VMVIR),
              c->vf_vlan ? NIC_VMVIR_VLANA_DEFAULT | c->vf_vlan : 0);
    reg_write(d, t, NIC_REG_PFVF(vf, NIC_PFVF_SPOOF), c->vf_spoofchk ? NIC_PFVF_SPOOF_MACAS : 0);
    reg_write(d, t, NIC_REG_PFVF(vf, NIC_PFVF_TRUST), c->vf_trust);
    reg_write(d, t, NIC_REG_PFVF(vf, NIC_PFVF_RATE), (uint32_t)llround(c->vf_rate_gbps * 1e6));
}

int pfdrv_enable_vfs(pfdrv *d, unsigned num_vfs)
{
    const nic_caps *k = &d->caps;
    if (!d->sriov)
        return fail(d, "PF driver: the PF has no SR-IOV capability");
    if (vfs_enabled(d))
        return fail(d, "PF driver: %u VFs are already enabled; disable them first",
                    vfs_enabled(d));
    unsigned total = pci_iov_total_vfs(&d->iov);
    if (num_vfs > total)
        return fail(d, "PF driver: cannot enable %u VFs: NumVFs above TotalVFs = %u "
                       "(nic.max_vfs)", num_vfs, total);
    sim_err e;
    if (check_pool(k, "NumVFs", num_vfs, &e) < 0)
        return fail(d, "PF driver: cannot enable %u VFs: %s", num_vfs, e.msg);
    if (pci_iov_enable(&d->iov, num_vfs, &e) < 0)
        return fail(d, "PF driver: %s%s%s%s", e.msg, *nic_last_error(d->nic) ? " (" : "",
                    nic_last_error(d->nic), *nic_last_error(d->nic) ? ")" : "");
    uint64_t t = sim_now_ps(d->kernel);
    for (unsigned i = 0; i < num_vfs; i++)
        vf_defaults(d, t, i);
    return 0;
}

void pfdrv_disable_vfs(pfdrv *d) { pci_iov_disable(&d->iov); }

int pfdrv_sriov_configure(const sim_params *p, const pfdrv_env *env, unsigned num_vfs,
                          sim_err *e)
{
    pfdrv *d = pfdrv_create(p, env);
    int rc = pfdrv_enable_vfs(d, num_vfs);
    if (rc < 0)
        sim_err_set(e, "%s", d->last_error);
    pfdrv_destroy(d);
    return rc;
}

/* ---------------------------------------------------------------- administration */

/* One message to VF vf: (NIC_PFVF_* register, value) pairs. */
static int send(pfdrv *d, uint64_t t_ps, unsigned vf, const uint32_t *pairs, unsigned n,
                uint64_t *done_ps)
{
    unsigned num = vfs_enabled(d);
    if (vf >= num)
        return fail(d, "PF driver: VF %u does not exist (%u VFs enabled)", vf, num);
    assert(1 + 2 * n <= NIC_MBX_WORDS);
    reg_write(d, t_ps, NIC_REG_PFMBMEM(vf, 0), NIC_MBX_PF_SET_REGS | n << NIC_MBX_COUNT_SHIFT);
    for (unsigned k = 0; k < 2 * n; k++)
        reg_write(d, t_ps, NIC_REG_PFMBMEM(vf, 1 + k), pairs[k]);
    reg_write(d, t_ps, NIC_REG_PFVF(vf, NIC_PFVF_PFMAILBOX), NIC_PFMAILBOX_STS);
    if (done_ps)
        *done_ps = t_ps + nic_mbx_latency_ps(d->nic);
    return 0;
}

int pfdrv_set_vf_mac(pfdrv *d, uint64_t t_ps, unsigned vf, uint64_t mac, uint64_t *done_ps)
{
    /* A zero address removes the VF's (ixgbe_ndo_set_vf_mac: ixgbe_del_mac_filter), as a
     * host does once a VF is unplugged for a migration. */
    if (mac && !nic_mac_is_unicast(mac)) {
        char m[18];
        nic_mac_format(mac, m);
        return fail(d, "PF driver: VF %u MAC %s is not unicast", vf, m);
    }
    const uint32_t pairs[] = {NIC_PFVF_RAL, (uint32_t)mac, NIC_PFVF_RAH,
                              (uint32_t)(mac >> 32) | (mac ? NIC_PFVF_RAH_AV : 0)};
    return send(d, t_ps, vf, pairs, 2, done_ps);
}

int pfdrv_set_vf_vlan(pfdrv *d, uint64_t t_ps, unsigned vf, uint16_t vlan, uint64_t *done_ps)
{
    if (vlan > NIC_VLAN_MAX)
        return fail(d, "PF driver: VF %u VLAN %u above %u", vf, vlan, NIC_VLAN_MAX);
    const uint32_t pairs[] = {NIC_PFVF_VMVIR, vlan ? NIC_VMVIR_VLANA_DEFAULT | vlan : 0};
    return send(d, t_ps, vf, pairs, 1, done_ps);
}

int pfdrv_set_vf_spoofchk(pfdrv *d, uint64_t t_ps, unsigned vf, bool on, uint64_t *done_ps)
{
    const uint32_t pairs[] = {NIC_PFVF_SPOOF, on ? NIC_PFVF_SPOOF_MACAS : 0};
    return send(d, t_ps, vf, pairs, 1, done_ps);
}

int pfdrv_set_vf_trust(pfdrv *d, uint64_t t_ps, unsigned vf, bool on, uint64_t *done_ps)
{
    const uint32_t pairs[] = {NIC_PFVF_TRUST, on};
    return send(d, t_ps, vf, pairs, 1, done_ps);
}

int pfdrv_set_vf_rate(pfdrv *d, uint64_t t_ps, unsigned vf, double gbps, uint64_t *done_ps)
{
    if (!(gbps >= 0) || gbps > d->caps.line_gbps)
        return fail(d, "PF driver: VF %u rate limit %g Gb/s is above the line rate (%g Gb/s)", vf,
                    gbps, d->caps.line_gbps);
    const uint32_t pairs[] = {NIC_PFVF_RATE, (uint32_t)llround(gbps * 1e6)};
    return send(d, t_ps, vf, pairs, 1, done_ps);
}

int pfdrv_set_vf_link(pfdrv *d, uint64_t t_ps, unsigned vf, nic_link_state s, uint64_t *done_ps)
{
    if (s != NIC_LINK_AUTO && s != NIC_LINK_ENABLE && s != NIC_LINK_DISABLE)
        return fail(d, "PF driver: VF %u link state %d unknown", vf, (int)s);
    const uint32_t pairs[] = {NIC_PFVF_LINK, (uint32_t)s};
    return send(d, t_ps, vf, pairs, 1, done_ps);
}

/* ---------------------------------------------------------------- VMDq pools */

int pfdrv_set_queue_pasid(pfdrv *d, uint64_t t_ps, unsigned q, uint32_t pasid)
{
    unsigned nq = nic_fn_queues(d->nic, NIC_PF);
    if (q >= nq)
        return fail(d, "PF driver: queue pair %u for a PASID, but the PF has %u", q, nq);
    if (pasid != PCIE_NO_PASID && pasid > NIC_QPASID_MASK)
        return fail(d, "PF driver: PASID %u of queue pair %u is beyond 20 bits", pasid, q);
    reg_write(d, t_ps, NIC_REG_QPASID(q), pasid == PCIE_NO_PASID ? 0 : pasid | NIC_QPASID_ENABLE);
    return 0;
}

int pfdrv_add_adi_queues(pfdrv *d, unsigned count)
{
    if (nic_pf_add_queues(d->nic, count) < 0)
        return fail(d,
                    "PF driver: %u more queue pairs for assignable interfaces, but the PF "
                    "has %u, VFs %u, and the pool holds %u",
                    count, nic_fn_queues(d->nic, NIC_PF), nic_num_vfs(d->nic),
                    nic_total_queues(d->nic));
    return 0;
}

int pfdrv_set_queue_ims(pfdrv *d, uint64_t t_ps, unsigned q, unsigned entry)
{
    unsigned nq = nic_fn_queues(d->nic, NIC_PF);
    if (q >= nq)
        return fail(d, "PF driver: queue pair %u for an IMS entry, but the PF has %u", q, nq);
    if (entry >= NIC_PF_IMS_VECTORS)
        return fail(d, "PF driver: IMS entry %u of queue pair %u, but the store has %u", entry,
                    q, NIC_PF_IMS_VECTORS);
    reg_write(d, t_ps, NIC_REG_QIMS(q), entry | NIC_QIMS_ENABLE);
    return 0;
}

int pfdrv_set_pool(pfdrv *d, uint64_t t_ps, unsigned pool, uint64_t mac, unsigned first_q,
                   unsigned nq)
{
    unsigned pf_nq = nic_fn_queues(d->nic, NIC_PF);
    char m[18];
    nic_mac_format(mac, m);
    if (pool >= NIC_VMDQ_FILTERS)
        return fail(d, "PF driver: VMDq pool %u beyond the %u receive address filters", pool,
                    NIC_VMDQ_FILTERS);
    if (!nic_mac_is_unicast(mac))
        return fail(d, "PF driver: VMDq pool %u address %s is not unicast", pool, m);
    if (!nq || first_q >= pf_nq || nq > pf_nq - first_q)
        return fail(d, "PF driver: VMDq pool %u: %u queues from %u, but the PF has %u", pool, nq,
                    first_q, pf_nq);
    reg_write(d, t_ps, NIC_REG_VMDQ(pool, NIC_VMDQ_RAL), (uint32_t)mac);
    reg_write(d, t_ps, NIC_REG_VMDQ(pool, NIC_VMDQ_QSEL),
              first_q | nq << NIC_VMDQ_QSEL_COUNT_SHIFT);
    reg_write(d, t_ps, NIC_REG_VMDQ(pool, NIC_VMDQ_RAH),
              (uint32_t)(mac >> 32) | NIC_VMDQ_RAH_AV);
    return 0;
}
