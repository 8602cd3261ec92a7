/* Register map and identity of the SR-IOV NIC model. The identity and BAR layout are
 * the Intel 82599's (82599 10 GbE Controller Datasheet, 331520, sections 9.3 and 9.4
 * for the PF's and VFs' configuration spaces); the per-queue register block keeps the
 * 82599's 0x40-byte stride and names (RDH/RDT/TDH/TDT, EIMS/EIMC) but one layout for
 * the PF and every VF, so a driver addresses its queues the same way on either.
 *
 * Offsets are relative to the function's BAR0 (registers) or BAR3 (MSI-X table and
 * PBA). Queue numbers are the function's own (0 .. its queue count - 1). */
#ifndef MODELS_NIC_NIC_REGS_H
#define MODELS_NIC_NIC_REGS_H

#include <stdint.h>

#define NIC_VENDOR_ID 0x8086u    /* Intel */
#define NIC_PF_DEVICE_ID 0x10fbu /* 82599ES SFP+ */
#define NIC_VF_DEVICE_ID 0x10edu /* 82599 Virtual Function */
#define NIC_CLASS_CODE 0x020000u /* network controller, Ethernet */

/* BARs (64-bit, prefetchable, as X710/E810-class parts expose them so they can sit above
 * 4 GiB). 82599: PF BAR0 128 KiB of registers, MSI-X in BAR3 (16 KiB); each VF has a
 * 16 KiB register BAR0 and a 16 KiB MSI-X BAR3, described once in the PF's SR-IOV
 * capability (VF BAR0, VF BAR3) and laid out VF after VF. */
#define NIC_BAR_REGS 0u
#define NIC_BAR_MSIX 3u
#define NIC_PF_BAR0_BYTES (128u * 1024u)
#define NIC_PF_BAR3_BYTES (16u * 1024u)
#define NIC_VF_BAR0_BYTES (16u * 1024u)
#define NIC_VF_BAR3_BYTES (16u * 1024u)
#define NIC_MSIX_TABLE_OFFSET 0x0000u
#define NIC_MSIX_PBA_OFFSET 0x2000u

/* Interrupt cause enables: one bit per MSI-X vector (82599 VTEIMS/VTEIMC). Firing a
 * vector clears its bit (auto-mask, EIAM); the driver sets it again when its poll is
 * done. */
#define NIC_REG_EIMS 0x0108u /* write 1s: enable those vectors */
#define NIC_REG_EIMC 0x010cu /* write 1s: disable those vectors */

/* Queue q's registers: a 0x40-byte block per queue pair. */
#define NIC_REG_QUEUE_BASE 0x1000u
#define NIC_REG_QUEUE_STRIDE 0x40u
#define NIC_REG_RDH(q) (NIC_REG_QUEUE_BASE + NIC_REG_QUEUE_STRIDE * (uint32_t)(q) + 0x00u)
#define NIC_REG_RDT(q) (NIC_REG_QUEUE_BASE + NIC_REG_QUEUE_STRIDE * (uint32_t)(q) + 0x08u)
#define NIC_REG_TDH(q) (NIC_REG_QUEUE_BASE + NIC_REG_QUEUE_STRIDE * (uint32_t)(q) + 0x10u)
#define NIC_REG_TDT(q) (NIC_REG_QUEUE_BASE + NIC_REG_QUEUE_STRIDE * (uint32_t)(q) + 0x18u)
#define NIC_REG_QUEUE_OF(off) (((off) - NIC_REG_QUEUE_BASE) / NIC_REG_QUEUE_STRIDE)
#define NIC_REG_IN_QUEUE(off) (((off) - NIC_REG_QUEUE_BASE) % NIC_REG_QUEUE_STRIDE)

/* MSI-X vectors per function: one per queue pair (TX and RX of a pair share it, as
 * ixgbe's combined channels do) plus one for the mailbox and other causes. The PF
 * table holds 64 entries (82599: MSI-X Table Size 63 + 1). */
#define NIC_PF_MSIX_VECTORS 64u

#endif
