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

/* Extended Interrupt Throttle, one per MSI-X vector (82599 EITR at 820h + 4 x vector, a
 * VF's VTEITR at the same offsets; the PF's vectors from 24 on continue the run here
 * instead of the 82599's second array at 12300h). ITR Interval, bits 11:3, in 2 us units
 * at 10 GbE (Linux: IXGBE_EITR_ITR_INT_MASK 0x00000FF8, the driver's value is the
 * interval in us shifted left 2): the least time between two interrupts of the vector
 * (models/nic/queue.c). CNT_WDIS: the write leaves the running interval counter alone;
 * without it the counter is cleared and a pending interrupt may fire at once (ixgbe and
 * ixgbevf always set it). Until software writes it, a vector keeps the device's default
 * moderation (nic.itr_us, nic.itr_pkts); LLI_MOD (low latency interrupts) is not modelled. */
#define NIC_REG_EITR(v) (0x0820u + 4u * (uint32_t)(v))
#define NIC_EITR_INTERVAL_MASK 0x00000ff8u
#define NIC_EITR_CNT_WDIS 0x80000000u
/* The interval of an EITR value in ps: bits 11:3 count 2 us, so (value & mask) >> 2 us. */
#define NIC_EITR_INTERVAL_PS(value) ((uint64_t)(((value) & NIC_EITR_INTERVAL_MASK) >> 2) * 1000000u)

/* Completion moderation of a vector's two completion queues, receive (dir 0) and transmit
 * (dir 1): a ConnectX-class device's per-CQ cq_period and cq_max_count with its period
 * mode (mlx5_ifc.h cqc; Linux mlx5_core_modify_cq_moderation, which reaches the device
 * through its command interface: one register write stands in for that command here).
 * PERIOD, bits 11:0, in us; MAX_COUNT, bits 27:12, completions (0: no count limit);
 * FROM_CQE, bit 31: the period runs from the first completion after the last interrupt
 * (else from the last interrupt of that queue). Once either is written the vector
 * moderates by them (models/nic/queue.c) and EITR and the default no longer apply. */
#define NIC_REG_CQMOD(v, dir) (0x0c00u + 8u * (uint32_t)(v) + 4u * (uint32_t)(dir))
#define NIC_CQMOD_PERIOD_MASK 0x00000fffu
#define NIC_CQMOD_COUNT_SHIFT 12u
#define NIC_CQMOD_COUNT_MASK 0x0ffff000u
#define NIC_CQMOD_FROM_CQE 0x80000000u
#define NIC_CQMOD_VALUE(usec, count, from_cqe)                                            \
    (((uint32_t)(usec) & NIC_CQMOD_PERIOD_MASK) |                                         \
     (((uint32_t)(count) << NIC_CQMOD_COUNT_SHIFT) & NIC_CQMOD_COUNT_MASK) |              \
     ((from_cqe) ? NIC_CQMOD_FROM_CQE : 0u))

/* Queue q's registers: a 0x40-byte block per queue pair. */
#define NIC_REG_QUEUE_BASE 0x1000u
#define NIC_REG_QUEUE_STRIDE 0x40u
#define NIC_REG_RDH(q) (NIC_REG_QUEUE_BASE + NIC_REG_QUEUE_STRIDE * (uint32_t)(q) + 0x00u)
#define NIC_REG_RDT(q) (NIC_REG_QUEUE_BASE + NIC_REG_QUEUE_STRIDE * (uint32_t)(q) + 0x08u)
#define NIC_REG_TDH(q) (NIC_REG_QUEUE_BASE + NIC_REG_QUEUE_STRIDE * (uint32_t)(q) + 0x10u)
#define NIC_REG_TDT(q) (NIC_REG_QUEUE_BASE + NIC_REG_QUEUE_STRIDE * (uint32_t)(q) + 0x18u)
/* QPASID: the PASID every DMA of the queue pair carries (descriptor fetches, data reads
 * and writes, write-backs and completions; not its interrupts), bits 19:0, when ENABLE
 * (bit 31) is set; written by the host's VDCM when it gives the pair to an assignable
 * device interface (Intel Scalable IOV: an E810's ADI is a set of the PF's queue pairs,
 * each tagged with the ADI's PASID). Reset (and when the pair changes hands): 0, no
 * PASID. The 82599 has no such register; the field widths are the PCIe PASID's. */
#define NIC_REG_QPASID(q) (NIC_REG_QUEUE_BASE + NIC_REG_QUEUE_STRIDE * (uint32_t)(q) + 0x20u)
#define NIC_QPASID_ENABLE 0x80000000u
#define NIC_QPASID_MASK 0x000fffffu
/* QIMS: the queue pair's interrupts go to entry IMS (bits 7:0) of the PF's Interrupt
 * Message Store instead of its MSI-X vector, when ENABLE (bit 31) is set; written by the
 * host's VDCM with QPASID (an ADI's interrupts come from the IMS, so an ADI needs no
 * vector of the PF's 64-entry MSI-X table). Reset: 0, the MSI-X vector. */
#define NIC_REG_QIMS(q) (NIC_REG_QUEUE_BASE + NIC_REG_QUEUE_STRIDE * (uint32_t)(q) + 0x24u)
#define NIC_QIMS_ENABLE 0x80000000u
#define NIC_QIMS_ENTRY_MASK 0x000000ffu
/* The most queue pairs a PF can have (1152): its queue blocks stop where PFMBMEM starts,
 * lest its upper queue registers shadow the mailbox and VF administration blocks
 * (nic_check refuses more). */
#define NIC_PF_MAX_QUEUES ((NIC_REG_PFMBMEM(0, 0) - NIC_REG_QUEUE_BASE) / NIC_REG_QUEUE_STRIDE)

/* ---- The PF's administration of its VFs (PF BAR0) ----------------------------------
 *
 * Each VF's pool settings, one 32-byte block per VF. The 82599 spreads them over
 * register arrays sized for its 64 pools (RAL/RAH at A200h with the pool chosen in
 * MPSAR, VMVIR at 8000h, PFVFSPOOF at 8200h, the rate factor RTTBCNRC behind RTTDQSEL,
 * PFVFTE/PFVFRE, PFMAILBOX at 4B00h); the model gathers one VF's into one block so 256
 * VFs fit, keeping the 82599's names and fields where it has them. A PF driver write
 * takes effect at once; a value the device cannot take, or a VF that does not exist,
 * is refused and counted (nic.pf_driver_errors). */
#define NIC_REG_PFVF_BASE 0x18000u
#define NIC_REG_PFVF_STRIDE 0x20u
#define NIC_REG_PFVF(vf, r) (NIC_REG_PFVF_BASE + NIC_REG_PFVF_STRIDE * (uint32_t)(vf) + (r))
/* Receive address: the VF's MAC as a 48-bit number (first octet in bits 47:40), RAL
 * bits 31:0 then RAH bits 15:0 with Address Valid; writing RAH loads the address (AV
 * clear removes it). The address filters received frames to the pool (the VEB) and is
 * the one anti-spoofing allows as a source. */
#define NIC_PFVF_RAL 0x00u
#define NIC_PFVF_RAH 0x04u
#define NIC_PFVF_RAH_AV 0x80000000u
/* VM VLAN Insert: VLANA (bits 31:30) 01b inserts the default VLAN ID (bits 11:0) on
 * transmit and makes it the pool's port VLAN; any other action leaves the VF untagged.
 * VLAN ID 4095 is refused. */
#define NIC_PFVF_VMVIR 0x08u
#define NIC_VMVIR_VLANA_MASK 0xc0000000u
#define NIC_VMVIR_VLANA_DEFAULT 0x40000000u
#define NIC_VMVIR_VLAN_MASK 0x00000fffu
/* PFVFSPOOF's bits for this pool: MAC anti-spoofing (MACAS) of transmitted frames. */
#define NIC_PFVF_SPOOF 0x0cu
#define NIC_PFVF_SPOOF_MACAS 0x1u
/* Bit 0: the VF may replace an administratively set MAC through the mailbox (no 82599
 * register: Linux's trust, which the PF driver applies; the model's device does). */
#define NIC_PFVF_TRUST 0x10u
/* Transmit rate limit in kb/s of host-side bytes, 0 for none, at most the line rate
 * (the 82599 holds a rate factor, line rate / limit, in RTTBCNRC). */
#define NIC_PFVF_RATE 0x14u
/* Link state (nic_link_state): 0 auto, 1 enable, 2 disable; 3 is refused (the 82599
 * stops a VF with PFVFTE/PFVFRE, Linux's ixgbe keeps auto/enable/disable). */
#define NIC_PFVF_LINK 0x18u
#define NIC_PFVF_LINK_MASK 0x3u
/* PFMAILBOX: writing STS sends the message in PFMBMEM to the VF. */
#define NIC_PFVF_PFMAILBOX 0x1cu
#define NIC_PFMAILBOX_STS 0x1u

/* ---- VMDq pools of the PF (PF BAR0; models/nic/vmdq.h) ------------------------------
 *
 * A receive address filter per block: RAL bits 31:0 and RAH bits 15:0 of the MAC (first
 * octet in bits 47:40), as the 82599's RAL/RAH; QSEL the pool's queue pairs, the PF's
 * queues [bits 15:0, + bits 31:16), standing for the 82599's pool select (MPSAR) and
 * the fixed pool layout of its VMDq mode (MRQC: 64 pools of 2 queues, 32 of 4). Writing
 * RAH with Address Valid loads the filter from RAL, RAH and QSEL; with AV clear it
 * removes it. 128 filters, as the 82599's receive address registers. The blocks sit
 * above the VF administration blocks of 256 VFs. */
#define NIC_REG_VMDQ_BASE 0x1c000u
#define NIC_REG_VMDQ_STRIDE 0x10u
#define NIC_VMDQ_FILTERS 128u
#define NIC_REG_VMDQ(i, r) (NIC_REG_VMDQ_BASE + NIC_REG_VMDQ_STRIDE * (uint32_t)(i) + (r))
#define NIC_VMDQ_RAL 0x00u
#define NIC_VMDQ_RAH 0x04u
#define NIC_VMDQ_RAH_AV 0x80000000u
#define NIC_VMDQ_QSEL 0x08u
#define NIC_VMDQ_QSEL_COUNT_SHIFT 16
_Static_assert(NIC_REG_PFVF(256, 0) <= NIC_REG_VMDQ_BASE &&
                   NIC_REG_VMDQ(NIC_VMDQ_FILTERS, 0) <= NIC_PF_BAR0_BYTES,
               "VMDq filters: above the VF blocks, inside BAR0");

/* ---- The Interrupt Message Store (PF BAR0) --------------------------------------------
 *
 * Intel Scalable IOV's device-specific store of interrupt messages (Intel Scalable I/O
 * Virtualization Technical Specification, 2018): vectors beyond the PCI MSI-X table, one
 * block each, in the PF's register space, which only the host programs (its VDCM, for
 * the ADI it gives the vector to). Each block holds what an MSI-X entry holds, in the
 * same layout (address, upper address, data, vector control: bit 0 masks and holds a
 * message pending until cleared), as Linux's proposed IMS irq chip stores "the interrupt
 * messages in an array in device memory" (drivers/irqchip/irq-ims-msi.c, Gleixner and
 * Dey, 2020-2021, written for Intel's DSA, idxd), and the vector's own controls, since an
 * ADI must not reach the PF's shared ones (EIMS, EITR, CQMOD): ENA enables the vector
 * (write 1; it clears itself when the vector fires, as EIMS's bit, the E810's
 * GLINT_DYN_CTL INTENA), ITR the EITR value, CQMOD the receive and transmit completion
 * moderation (the NIC_REG_CQMOD format). Unlike an MSI-X entry, an IMS message does not
 * depend on the function's MSI-X Enable. 256 vectors: one per queue pair of 128 VMDq
 * pools of two. */
#define NIC_PF_IMS_VECTORS 256u
#define NIC_REG_IMS_BASE 0x1d000u
#define NIC_REG_IMS_STRIDE 0x20u
#define NIC_REG_IMS(i, r) (NIC_REG_IMS_BASE + NIC_REG_IMS_STRIDE * (uint32_t)(i) + (r))
#define NIC_IMS_ADDR 0x00u  /* PCIE_MSIX_ENTRY_MSG_ADDR's place */
#define NIC_IMS_UADDR 0x04u /* PCIE_MSIX_ENTRY_MSG_UPPER_ADDR's */
#define NIC_IMS_DATA 0x08u  /* PCIE_MSIX_ENTRY_MSG_DATA's */
#define NIC_IMS_CTRL 0x0cu  /* PCIE_MSIX_ENTRY_VECTOR_CTRL's */
#define NIC_IMS_ENA 0x10u
#define NIC_IMS_ITR 0x14u
#define NIC_IMS_CQMOD(dir) (0x18u + 4u * (uint32_t)(dir))
_Static_assert(NIC_REG_VMDQ(NIC_VMDQ_FILTERS, 0) <= NIC_REG_IMS_BASE &&
                   NIC_REG_IMS(NIC_PF_IMS_VECTORS, 0) <= NIC_PF_BAR0_BYTES,
               "IMS: above the VMDq filters, inside BAR0");
_Static_assert(NIC_QIMS_ENTRY_MASK + 1 >= NIC_PF_IMS_VECTORS, "QIMS: names every IMS entry");

/* ---- The PF-VF mailbox ---------------------------------------------------------------
 *
 * 16 DWORDs of message memory per VF, shared by the two sides: the PF reaches VF n's as
 * PFMBMEM(n) in its BAR0, the VF its own as VFMBMEM in its BAR0 (82599 offsets).
 * Sending (PFMAILBOX.STS, VFMAILBOX.REQ) copies the message; it is carried out
 * nic.mbx_latency_us later, when the other side has acknowledged it (the ownership
 * bits PFU/VFU and the acknowledgement are not modelled one by one). A VF has one
 * request outstanding: VFMAILBOX.REQ written again before the PF has taken the last
 * message sends nothing (counted as nic.vfN.mbx_busy). Word 0 holds the
 * message type in bits 15:0 and, for NIC_MBX_PF_SET_REGS, a count in bits 23:16. */
#define NIC_MBX_WORDS 16u
#define NIC_REG_PFMBMEM(vf, w) (0x13000u + 0x40u * (uint32_t)(vf) + 4u * (uint32_t)(w))
#define NIC_REG_VFMBMEM(w) (0x0200u + 4u * (uint32_t)(w))
#define NIC_REG_VFMAILBOX 0x02fcu
#define NIC_VFMAILBOX_REQ 0x1u
#define NIC_MBX_TYPE_MASK 0xffffu
#define NIC_MBX_COUNT_SHIFT 16
/* VF to PF: ixgbe's IXGBE_VF_SET_MAC_ADDR, the address in words 1 (bits 31:0) and 2
 * (bits 47:32). Granted when the VF is trusted or no MAC was set administratively;
 * otherwise refused (nic.mbx_refused). */
#define NIC_MBX_VF_SET_MAC_ADDR 0x0002u
/* PF to VF: new administrative settings (ixgbe writes them itself and notifies the VF;
 * the model's message carries them): count pairs (a NIC_PFVF_* register, its value) in
 * words 1.., loaded into the VF's block when the VF has acknowledged. */
#define NIC_MBX_PF_SET_REGS 0x0100u

/* MSI-X vectors per function: one per queue pair (TX and RX of a pair share it, as
 * ixgbe's combined channels do) plus one for the mailbox and other causes. The PF
 * table holds 64 entries (82599: MSI-X Table Size 63 + 1). */
#define NIC_PF_MSIX_VECTORS 64u

#endif
