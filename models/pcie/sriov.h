/* The SR-IOV extended capability (PCI Express Single Root I/O Virtualization and
 * Sharing 1.1, chapter 3) as a piece any device model adds to a function's
 * configuration space to make it a physical function. The capability owns its
 * registers and their rules; the device owns its VFs and is called back to create and
 * remove them (QEMU's split: PCI glue here, device core and VF state in the device).
 *
 * Registers and rules:
 *   TotalVFs = InitialVFs, First VF Offset, VF Stride, VF Device ID, Supported Page
 *   Sizes: read-only, from pcie_sriov_info. System Page Size: writable within the
 *   supported sizes (no effect on the model's BAR placement).
 *   NumVFs: writable while VF Enable is clear; a write that would change it while VF
 *   Enable is set is undone and reported (3.3.7 leaves the result undefined).
 *   VF Enable 0 -> 1: refused (reads back 0, reported) when NumVFs exceeds TotalVFs or
 *   the device does not admit NumVFs VFs (ops.admit); otherwise VF i = 0 .. NumVFs - 1
 *   is created at routing ID PF + First VF Offset + i x VF Stride (ops.create_vf); a VF
 *   that cannot be created (a routing ID above FFFFh or taken) undoes those made and
 *   refuses VF Enable. VF Enable 1 -> 0 removes every VF (ops.remove_vf, VF 0 first).
 *   VF Memory Space Enable: VF BAR decoding (pcie_sriov_vf_decode) on or off.
 *   VF BAR0..5: BAR-format registers whose size is one VF's; VF i's BAR n lies at
 *   VF BARn + i x its size.
 *   ARI Capable Hierarchy: writable, no effect (First VF Offset and VF Stride do not
 *   depend on it here).
 *
 * Refusals are software mistakes: never fatal, reported to the device (ops.refused)
 * with a message, for it to count. No timing lives here: the spec's 100 ms before VFs
 * answer after VF Enable is not modelled. */
#ifndef MODELS_PCIE_SRIOV_H
#define MODELS_PCIE_SRIOV_H

#include <stdbool.h>
#include <stdint.h>

#include "models/pcie/cfgspace.h"

typedef struct pcie_sriov pcie_sriov;

/* The device's side. ctx is what pcie_sriov_create was given. */
typedef struct pcie_sriov_ops {
    /* VF Enable is being set with num_vfs VFs (within TotalVFs): false refuses it, the
     * device having counted and said why (its own resources, such as a queue pool).
     * May be NULL: every count is admitted. */
    bool (*admit)(void *ctx, unsigned num_vfs);
    /* Create VF vf at routing ID rid: its configuration space attached to the bus there,
     * its state. False when it cannot (the routing ID is taken). */
    bool (*create_vf)(void *ctx, unsigned vf, uint16_t rid);
    /* Remove VF vf: its configuration space detached and destroyed, its state gone. */
    void (*remove_vf)(void *ctx, unsigned vf);
    /* A write the capability refused, with the reason ("SR-IOV: ..."). */
    void (*refused)(void *ctx, const char *msg);
} pcie_sriov_ops;

typedef struct pcie_sriov_bar {
    uint64_t size_bytes; /* per VF; 0: not implemented */
    bool is_64bit, prefetchable;
} pcie_sriov_bar;

typedef struct pcie_sriov_info {
    uint16_t total_vfs; /* TotalVFs and InitialVFs */
    uint16_t first_vf_offset, vf_stride;
    uint16_t vf_device_id;
    uint32_t supported_page_sizes; /* bit n: pages of 4 KiB << n; bit 0 must be set */
    pcie_sriov_bar vf_bar[PCIE_CFG_NUM_BARS]; /* a 64-bit BAR also takes the next slot */
} pcie_sriov_info;

/* Appends the capability to pf's extended capabilities and installs its write
 * handlers. NULL (pf unchanged but for a capability that may have been appended) when
 * it does not fit or a VF BAR is malformed. */
pcie_sriov *pcie_sriov_create(pcie_cfg *pf, const pcie_sriov_info *info,
                              const pcie_sriov_ops *ops, void *ctx);
/* Removes the VFs (ops.remove_vf, as clearing VF Enable) and frees the capability's
 * state. Its handlers stay installed in pf's space, which must not be written again:
 * destroy pf next. */
void pcie_sriov_destroy(pcie_sriov *s);
/* The PF's Function Level Reset or conventional reset: its VFs are removed and the
 * capability forgets VF Enable, VF MSE and the VF BARs (the PF's pcie_cfg_reset
 * returns the registers; this is the state kept beside them). */
void pcie_sriov_reset(pcie_sriov *s);

uint16_t pcie_sriov_offset(const pcie_sriov *s); /* of the capability in pf's space */
/* VFs that exist: VF Enable set and accepted. */
unsigned pcie_sriov_num_vfs(const pcie_sriov *s);
/* Address of VF vf's BAR bar: VF BARn + vf x its size; 0 when that VF BAR is not
 * implemented or not programmed. */
uint64_t pcie_sriov_vf_bar_address(const pcie_sriov *s, unsigned bar, unsigned vf);
/* Whether an existing VF claims memory address addr: VF Memory Space Enable is set
 * and addr falls in one of its BARs. On a hit, the VF, the BAR and the offset in it. */
bool pcie_sriov_vf_decode(const pcie_sriov *s, uint64_t addr, unsigned *vf, unsigned *bar,
                          uint64_t *off);

/* VF vf's routing ID as system software computes it from the capability (Linux's
 * pci_iov_virtfn_bus/devfn); above FFFFh the VF cannot exist. */
static inline uint32_t pcie_sriov_rid(uint16_t pf_rid, unsigned first_vf_offset,
                                      unsigned vf_stride, unsigned vf)
{
    return (uint32_t)pf_rid + first_vf_offset + vf * vf_stride;
}

#endif
