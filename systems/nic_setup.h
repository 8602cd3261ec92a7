/* The SR-IOV NIC plugged into the platform, for the kinds that drive it (nic, paths):
 * the checks of every component involved, and the bring-up a host does before traffic.
 *
 * Bring-up (nic_setup_plug) is at time 0: the NIC is attached at PLATFORM_DEVICE_RID,
 * the platform boots it (BARs in the MMIO window at nic.mmio_base_addr, MPS/MRRS), and
 * the PF driver enables the VFs asked for. The drivers' register writes that follow
 * land within NIC_SETUP_START_PS, when traffic may start. */
#ifndef SYSTEMS_NIC_SETUP_H
#define SYSTEMS_NIC_SETUP_H

#include "models/nic/nic.h"
#include "sim/run.h"
#include "systems/platform.h"

/* Traffic starts once the drivers' bring-up register writes have landed. */
#define NIC_SETUP_START_PS (2 * SIM_PS_PER_US)

/* The platform's, the NIC's (with the PF at PLATFORM_DEVICE_RID), its drivers' and the
 * link partner's cross-parameter checks (configuration errors, exit 2). */
int nic_setup_check(const sim_params *p, sim_err *e);

/* Creates the NIC on pf's bus into *out (set as soon as it exists, so the caller's
 * destroy frees it on failure), boots it and enables vfs VFs. -1 with *e set. */
int nic_setup_plug(platform *pf, const sim_ctx *ctx, unsigned vfs, nic **out, sim_err *e);

#endif
