/* The PF driver: host software bound to the NIC's PF (Linux's ixgbe with the PCI
 * core's SR-IOV support, pci_iov), which enables the VFs and administers them. It
 * reaches the device only as software does: configuration requests on the bus, and
 * register writes to the PF's BAR0.
 *
 * Enabling VFs (pfdrv_enable_vfs, as sriov_enable does): the OS's resource assignment
 * sizes each VF BAR of the PF's SR-IOV capability (all-ones, read back) and places it,
 * NumVFs x its size aligned to the region, after the PF's BARs in the NIC's MMIO
 * window; then NumVFs is written, then VF Enable with VF Memory Space Enable. Each VF
 * then gets its administrative settings through the PF's VF administration registers
 * (MAC nic.vf_mac_base + i, port VLAN nic.vf_vlan, nic.vf_spoofchk, nic.vf_trust, rate
 * nic.vf_rate_gbps; nic_regs.h), before any VF driver runs, and Bus Master Enable in its
 * Command register, as the VF driver's probe does.
 *
 * Administering a VF later (pfdrv_set_vf_*, `ip link set DEV vf N ...`): the new
 * setting goes to the VF through the PF-VF mailbox (PFMBMEM, PFMAILBOX.STS) and takes
 * effect when the VF has acknowledged it, nic.mbx_latency_us after t_ps (*done_ps).
 *
 * Timing: none of the driver's own. Its configuration requests and register writes
 * reach the device at once (nic_mmio_write at their time), not through the root
 * complex: the administrative path's PCIe cost is not modelled; the mailbox's latency
 * is the device's.
 *
 * Mistakes. What the driver can tell is wrong it refuses before touching the device,
 * as ixgbe and the PCI core do: more VFs than TotalVFs or the queue pool holds, VFs
 * already enabled, a VF that does not exist, a group MAC, a VLAN above 4094, a rate
 * above the line rate, an unknown link state. -1, counted (pfdrv_errors), the reason in
 * pfdrv_last_error. What reaches the device and is refused there the device counts
 * (nic.pf_driver_errors, nic.sriov_errors). */
#ifndef HOST_PFDRV_H
#define HOST_PFDRV_H

#include <stdbool.h>
#include <stdint.h>

#include "models/nic/nic.h"
#include "models/pcie/cfgspace.h"
#include "sim/err.h"
#include "sim/kernel.h"
#include "sim/params.h"

/* The driver's parameters keep the names they had when the NIC held them (nic.vfs,
 * nic.vf_mac_base, nic.vf_vlan, nic.vf_spoofchk, nic.vf_trust, nic.vf_rate_gbps);
 * nic_drv_register_params and nic_drv_check (host/nicdrv.h) call these. */
void pfdrv_register_params(sim_params *p);
/* nic.vfs within TotalVFs and the queue pool, VF MACs unicast and within their block,
 * the VF rate within the line rate (configuration errors). */
int pfdrv_check(const sim_params *p, sim_err *e);
/* The VFs the driver enables at start (nic.vfs). */
unsigned pfdrv_vfs(const sim_params *p);
/* vfs VFs (the parameter `what` asks for them) within TotalVFs and, with their queues
 * and the PF's, within the NIC's queue pool. pfdrv_check applies it to nic.vfs; a
 * workload that enables VFs of its own applies it to those. */
int pfdrv_check_vfs(const sim_params *p, const char *what, unsigned vfs, sim_err *e);

typedef struct pfdrv pfdrv;

/* Where the PF is: its device, its routing ID on the configuration bus, and the MMIO
 * window the OS placed its BARs in (the VFs' BARs go after them, in the same window). */
typedef struct pfdrv_env {
    sim_kernel *kernel;
    nic *nic;
    pcie_cfg_bus *bus;
    uint16_t pf_rid;
    uint64_t mmio_base, mmio_bytes;
} pfdrv_env;

/* Binds to the PF, which the system has enumerated (BARs placed, MPS/MRRS set). */
pfdrv *pfdrv_create(const sim_params *p, const pfdrv_env *env);
void pfdrv_destroy(pfdrv *d);

int pfdrv_enable_vfs(pfdrv *d, unsigned num_vfs);
/* Clears VF Enable and VF Memory Space Enable: every VF disappears. */
void pfdrv_disable_vfs(pfdrv *d);

/* As a system brings the NIC up: bind, enable num_vfs VFs, unbind (the VFs and their
 * settings stay). -1 with the driver's reason in *e. */
int pfdrv_sriov_configure(const sim_params *p, const pfdrv_env *env, unsigned num_vfs,
                          sim_err *e);

/* VF vf's settings through the mailbox, sent at t_ps; *done_ps (may be NULL) when it
 * takes effect. A MAC of 0 removes the VF's address (its switch entry). */
int pfdrv_set_vf_mac(pfdrv *d, uint64_t t_ps, unsigned vf, uint64_t mac, uint64_t *done_ps);
int pfdrv_set_vf_vlan(pfdrv *d, uint64_t t_ps, unsigned vf, uint16_t vlan, uint64_t *done_ps);
int pfdrv_set_vf_spoofchk(pfdrv *d, uint64_t t_ps, unsigned vf, bool on, uint64_t *done_ps);
int pfdrv_set_vf_trust(pfdrv *d, uint64_t t_ps, unsigned vf, bool on, uint64_t *done_ps);
/* Transmit rate limit in Gb/s of host-side bytes (kept to 1 kb/s, the register's
 * unit); 0 removes it. */
int pfdrv_set_vf_rate(pfdrv *d, uint64_t t_ps, unsigned vf, double gbps, uint64_t *done_ps);
int pfdrv_set_vf_link(pfdrv *d, uint64_t t_ps, unsigned vf, nic_link_state s, uint64_t *done_ps);

/* VMDq pool `pool` (a receive address filter of the PF, models/nic/vmdq.h): received
 * unicast frames to mac go to the PF's queue pairs first_q .. first_q + nq - 1, RSS
 * among them (ixgbe_fwd_add gives a macvlan device a pool this way; a driver domain a
 * guest). Register writes at t_ps that take effect at once; what the device refuses
 * (queues of another pool, an address another pool has) it counts in
 * nic.pf_driver_errors. */
int pfdrv_set_pool(pfdrv *d, uint64_t t_ps, unsigned pool, uint64_t mac, unsigned first_q,
                   unsigned nq);

/* Scalable IOV (ice's VDCM giving queue pairs to an assignable interface): the PF's
 * queue pair q's DMA carries `pasid` from now on (QPASID, nic_regs.h); PCIE_NO_PASID
 * takes it back. A register write at t_ps, at once; a PASID beyond 20 bits or a queue
 * the PF does not have is refused. */
int pfdrv_set_queue_pasid(pfdrv *d, uint64_t t_ps, unsigned q, uint32_t pasid);
/* Scalable IOV: count more queue pairs from the device's pool for assignable interfaces,
 * after the PF's own (nic_pf_add_queues; ice's VDCM takes an ADI's queues from the PF's
 * queue space); refused with VFs enabled or beyond the pool. */
int pfdrv_add_adi_queues(pfdrv *d, unsigned count);
/* Scalable IOV: queue pair q's interrupts go to entry `entry` of the PF's Interrupt
 * Message Store (QIMS, nic_regs.h) from now on, whose message and controls the ADI's
 * vector then uses; a register write at t_ps. An entry beyond the store, or a queue the
 * PF does not have, is refused. */
int pfdrv_set_queue_ims(pfdrv *d, uint64_t t_ps, unsigned q, unsigned entry);
/* Requests the driver refused so far, and the last reason ("" when none). */
uint64_t pfdrv_errors(const pfdrv *d);
const char *pfdrv_last_error(const pfdrv *d);

#endif
