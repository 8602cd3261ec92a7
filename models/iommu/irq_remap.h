/* Interrupt remapping (VT-d chapter 5): MSI and MSI-X writes in remappable format
 * carry an index (the "handle", plus the data's subhandle when SHV is set) into the
 * interrupt remapping table, 16-byte entries in host memory that the IOMMU reads
 * through the memory model (an interrupt entry cache in front, iommu.iec_entries).
 * The entry is checked against the request's source id, then either gives the
 * destination and vector (remapped format) or points to a 64-byte posted-interrupt
 * descriptor (posted format): the vector's bit is set in the descriptor's 256-bit
 * request bitmap and, unless a notification is outstanding (ON) or suppressed (SN),
 * ON is set and a notification event (the descriptor's vector to its destination) is
 * sent, so an interrupt reaches a running vCPU without a VM exit.
 *
 * A request that fails (compatibility format while remapping is on, an index beyond
 * the table, an entry not present or with reserved bits set, a source id that does not
 * match) is blocked, recorded as a fault with its reason code and counted.
 *
 * Where an interrupt ends up is reported to a callback (the hypervisor's or the CPU
 * model's), at the time the remapping was done. */
#ifndef MODELS_IOMMU_IRQ_REMAP_H
#define MODELS_IOMMU_IRQ_REMAP_H

#include <stdbool.h>
#include <stdint.h>

typedef struct iommu iommu;

typedef enum iommu_irq_kind {
    IOMMU_IRQ_REMAPPED, /* deliver vector to dest */
    IOMMU_IRQ_POSTED,   /* recorded in the descriptor at pd_addr; notify if `notify` */
    IOMMU_IRQ_COMPAT,   /* remapping off: compatibility format delivered as addressed */
    IOMMU_IRQ_BLOCKED,  /* fault_reason says why */
} iommu_irq_kind;

typedef struct iommu_irq_outcome {
    iommu_irq_kind kind;
    uint64_t t_ps;        /* when the IOMMU is done with it */
    uint16_t rid;         /* requester id of the MSI write */
    uint32_t index;       /* interrupt remapping table index (remappable format) */
    uint32_t dest;        /* destination APIC id (remapped, compat) */
    uint8_t vector;       /* vector (remapped, compat), virtual vector (posted) */
    uint64_t pd_addr;     /* posted: descriptor address */
    bool notify;          /* posted: a notification event must be sent */
    bool urgent;          /* posted: the IRTE's URG bit */
    uint8_t notify_vector; /* posted: the descriptor's NV */
    uint32_t notify_dest;  /* posted: the descriptor's NDST */
    uint8_t fault_reason;  /* blocked: enum vtd_fault_reason */
} iommu_irq_outcome;

typedef void (*iommu_irq_fn)(void *ctx, const iommu_irq_outcome *o);

/* Allocates a table of 2^(s+1) entries (s = 0..15, IRTA_REG.S) and turns remapping on. */
int iommu_irq_table_init(iommu *u, unsigned s);
/* The same with the smallest table that holds `entries` (at most 65536). */
int iommu_irq_table_init_for(iommu *u, uint32_t entries);
uint32_t iommu_irq_table_entries(const iommu *u);
/* Writes an entry in remapped format: source id `sid` is verified (SVT = 01b, SQ = 0). */
int iommu_irte_set_remapped(iommu *u, uint32_t index, uint16_t sid, uint32_t dest, uint8_t vector);
/* Writes an entry in posted format pointing to the descriptor at pd_addr. */
int iommu_irte_set_posted(iommu *u, uint32_t index, uint16_t sid, uint64_t pd_addr,
                          uint8_t vector, bool urgent);
/* Clears the present bit. The entry cache keeps a stale copy until an IEC
 * invalidation (IOMMU_INV_IEC_*, queued by the host: iommu_dma_qi_submit). */
void iommu_irte_clear(iommu *u, uint32_t index);

/* A posted-interrupt descriptor: allocated from the IOMMU driver's memory and
 * initialised with its notification vector and destination (0 when out of memory). */
uint64_t iommu_pid_create(iommu *u, uint8_t notify_vector, uint32_t notify_dest);
bool iommu_pid_pending(const iommu *u, uint64_t pd_addr, uint8_t vector);
bool iommu_pid_on(const iommu *u, uint64_t pd_addr);
/* What a vCPU's entry does: take the requests (returns how many bits were set) and
 * clear ON. */
unsigned iommu_pid_drain(iommu *u, uint64_t pd_addr);
void iommu_pid_set_sn(iommu *u, uint64_t pd_addr, bool suppress);

/* The address and data of a remappable-format MSI for `index` (no subhandle). */
uint64_t iommu_msi_addr(uint32_t index);

void iommu_set_irq_sink(iommu *u, iommu_irq_fn fn, void *ctx);
/* The root complex's MSI hook (pcie_msi_fn); ctx is the iommu. */
void iommu_msi(void *ctx, uint16_t rid, uint64_t addr, uint32_t data, uint64_t t_ps);

#endif
