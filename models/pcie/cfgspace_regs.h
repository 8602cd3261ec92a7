/* PCI Express configuration space register map: offsets and fields named after the
 * PCI Express Base Specification (type 0 header, capability structures, extended
 * capabilities) and the PCI Local Bus Specification it inherits the header from.
 *
 * Offsets inside a capability are relative to the capability's own offset, as the
 * spec lists them. Field masks are in place (not shifted); where software has to
 * extract a number, a _SHIFT gives the field's lowest bit.
 *
 * Only values live here; which bits are writable, write-1-to-clear or hardwired is
 * decided in cfgspace.c (and by the device models for their own capabilities). */
#ifndef MODELS_PCIE_CFGSPACE_REGS_H
#define MODELS_PCIE_CFGSPACE_REGS_H

#include <stdint.h>

/* ---------------------------------------------------------------- sizes */

#define PCIE_CFG_SIZE              4096u /* PCI Express: 4 KiB per function */
#define PCIE_CFG_LEGACY_SIZE       256u  /* the PCI-compatible region */
#define PCIE_CFG_HEADER_SIZE       64u   /* the type 0 header */

/* ---------------------------------------------------------------- type 0 header */

#define PCIE_CFG_VENDOR_ID         0x00  /* 16 bits, RO; FFFFh is never a valid vendor */
#define PCIE_CFG_DEVICE_ID         0x02  /* 16 bits, RO */
#define PCIE_CFG_COMMAND           0x04  /* 16 bits */
#define PCIE_CFG_STATUS            0x06  /* 16 bits */
#define PCIE_CFG_REVISION_ID       0x08  /* 8 bits, RO */
#define PCIE_CFG_CLASS_CODE        0x09  /* 24 bits, RO: programming interface, sub-class, base class */
#define PCIE_CFG_PROG_IF           0x09
#define PCIE_CFG_SUB_CLASS         0x0a
#define PCIE_CFG_BASE_CLASS        0x0b
#define PCIE_CFG_CACHE_LINE_SIZE   0x0c  /* 8 bits, RW (no effect on PCI Express) */
#define PCIE_CFG_LATENCY_TIMER     0x0d  /* 8 bits, hardwired 0 on PCI Express */
#define PCIE_CFG_HEADER_TYPE       0x0e  /* 8 bits, RO */
#define PCIE_CFG_BIST              0x0f  /* 8 bits */
#define PCIE_CFG_BAR0              0x10  /* Base Address Registers, 32 bits each */
#define PCIE_CFG_BAR1              0x14
#define PCIE_CFG_BAR2              0x18
#define PCIE_CFG_BAR3              0x1c
#define PCIE_CFG_BAR4              0x20
#define PCIE_CFG_BAR5              0x24
#define PCIE_CFG_BAR(i)            (PCIE_CFG_BAR0 + 4u * (unsigned)(i))
#define PCIE_CFG_NUM_BARS          6
#define PCIE_CFG_CARDBUS_CIS       0x28  /* 32 bits, hardwired 0 on PCI Express */
#define PCIE_CFG_SUBSYSTEM_VENDOR_ID 0x2c /* 16 bits, RO (HwInit) */
#define PCIE_CFG_SUBSYSTEM_ID      0x2e  /* 16 bits, RO (HwInit) */
#define PCIE_CFG_EXPANSION_ROM     0x30  /* Expansion ROM Base Address, 32 bits */
#define PCIE_CFG_CAP_PTR           0x34  /* Capabilities Pointer, 8 bits, RO */
#define PCIE_CFG_INTERRUPT_LINE    0x3c  /* 8 bits, RW (software scratch) */
#define PCIE_CFG_INTERRUPT_PIN     0x3d  /* 8 bits, RO: 0 none, 1..4 INTA..INTD */
#define PCIE_CFG_MIN_GNT           0x3e  /* 8 bits, hardwired 0 on PCI Express */
#define PCIE_CFG_MAX_LAT           0x3f  /* 8 bits, hardwired 0 on PCI Express */

/* Command */
#define PCIE_CMD_IO_SPACE          0x0001 /* I/O Space Enable */
#define PCIE_CMD_MEMORY_SPACE      0x0002 /* Memory Space Enable */
#define PCIE_CMD_BUS_MASTER        0x0004 /* Bus Master Enable */
#define PCIE_CMD_SPECIAL_CYCLES    0x0008 /* hardwired 0 on PCI Express */
#define PCIE_CMD_MWI_ENABLE        0x0010 /* hardwired 0 on PCI Express */
#define PCIE_CMD_VGA_PALETTE_SNOOP 0x0020 /* hardwired 0 on PCI Express */
#define PCIE_CMD_PARITY_ERROR_RESPONSE 0x0040
#define PCIE_CMD_IDSEL_STEPPING    0x0080 /* hardwired 0 on PCI Express */
#define PCIE_CMD_SERR_ENABLE       0x0100
#define PCIE_CMD_FAST_BACK_TO_BACK 0x0200 /* hardwired 0 on PCI Express */
#define PCIE_CMD_INTX_DISABLE      0x0400 /* Interrupt Disable */

/* Status */
#define PCIE_STS_IMMEDIATE_READINESS 0x0001
#define PCIE_STS_INTERRUPT         0x0008 /* Interrupt Status, RO */
#define PCIE_STS_CAP_LIST          0x0010 /* Capabilities List, RO */
#define PCIE_STS_66MHZ_CAPABLE     0x0020 /* hardwired 0 on PCI Express */
#define PCIE_STS_FAST_BACK_TO_BACK 0x0080 /* hardwired 0 on PCI Express */
#define PCIE_STS_MASTER_DATA_PARITY_ERROR 0x0100 /* RW1C */
#define PCIE_STS_DEVSEL_TIMING     0x0600 /* hardwired 0 on PCI Express */
#define PCIE_STS_SIGNALED_TARGET_ABORT 0x0800 /* RW1C */
#define PCIE_STS_RECEIVED_TARGET_ABORT 0x1000 /* RW1C */
#define PCIE_STS_RECEIVED_MASTER_ABORT 0x2000 /* RW1C */
#define PCIE_STS_SIGNALED_SYSTEM_ERROR 0x4000 /* RW1C */
#define PCIE_STS_DETECTED_PARITY_ERROR 0x8000 /* RW1C */
#define PCIE_STS_ERROR_BITS \
    (PCIE_STS_MASTER_DATA_PARITY_ERROR | PCIE_STS_SIGNALED_TARGET_ABORT | \
     PCIE_STS_RECEIVED_TARGET_ABORT | PCIE_STS_RECEIVED_MASTER_ABORT |    \
     PCIE_STS_SIGNALED_SYSTEM_ERROR | PCIE_STS_DETECTED_PARITY_ERROR)

/* Header Type */
#define PCIE_HDR_TYPE_LAYOUT       0x7f  /* header layout */
#define PCIE_HDR_TYPE_0            0x00  /* endpoint (type 0) */
#define PCIE_HDR_TYPE_1            0x01  /* PCI-to-PCI bridge (type 1) */
#define PCIE_HDR_TYPE_MULTI_FUNCTION 0x80 /* functions 1-7 may be present */

/* Base Address Register (memory) */
#define PCIE_BAR_IO_SPACE          0x00000001u /* Memory Space Indicator: 1 = I/O BAR */
#define PCIE_BAR_MEM_TYPE          0x00000006u
#define PCIE_BAR_MEM_TYPE_32       0x00000000u /* anywhere in 32-bit space */
#define PCIE_BAR_MEM_TYPE_64       0x00000004u /* anywhere in 64-bit space; uses two BARs */
#define PCIE_BAR_PREFETCHABLE      0x00000008u
#define PCIE_BAR_MEM_FLAGS         0x0000000fu /* read-only type bits */
#define PCIE_BAR_MEM_ADDR          0xfffffff0u
#define PCIE_BAR_MIN_MEM_SIZE      16u         /* the type bits take the low 4 address bits */

/* Expansion ROM Base Address */
#define PCIE_ROM_ENABLE            0x00000001u
#define PCIE_ROM_ADDR              0xfffff800u

/* ---------------------------------------------------------------- capability list */

/* Every capability structure starts with these two bytes. */
#define PCIE_CAP_ID                0x00  /* Capability ID, 8 bits */
#define PCIE_CAP_NEXT              0x01  /* Next Capability Pointer, 8 bits */
#define PCIE_CAP_PTR_MASK          0xfc  /* the two low bits are reserved */
#define PCIE_CAP_AREA_START        0x40  /* capabilities live after the header... */
#define PCIE_CAP_AREA_END          0x100 /* ...and in the PCI-compatible region */

#define PCIE_CAP_ID_PM             0x01  /* PCI Power Management Interface */
#define PCIE_CAP_ID_MSI            0x05  /* Message Signaled Interrupts */
#define PCIE_CAP_ID_VNDR           0x09  /* Vendor Specific */
#define PCIE_CAP_ID_EXP            0x10  /* PCI Express */
#define PCIE_CAP_ID_MSIX           0x11  /* MSI-X */

/* Power Management capability */
#define PCIE_PM_PMC                0x02  /* Power Management Capabilities, 16 bits, RO */
#define PCIE_PM_PMC_VERSION        0x0007
#define PCIE_PM_PMC_D1_SUPPORT     0x0200
#define PCIE_PM_PMC_D2_SUPPORT     0x0400
#define PCIE_PM_PMC_PME_SUPPORT    0xf800
#define PCIE_PM_PMCSR              0x04  /* Power Management Control/Status, 16 bits */
#define PCIE_PM_PMCSR_POWER_STATE  0x0003 /* RW: D0..D3hot */
#define PCIE_PM_PMCSR_NO_SOFT_RESET 0x0008
#define PCIE_PM_PMCSR_PME_ENABLE   0x0100
#define PCIE_PM_PMCSR_PME_STATUS   0x8000 /* RW1C */
#define PCIE_PM_SIZEOF             8

/* MSI capability (layout depends on 64-bit Address Capable) */
#define PCIE_MSI_MSG_CTRL          0x02  /* Message Control, 16 bits */
#define PCIE_MSI_MSG_CTRL_ENABLE   0x0001
#define PCIE_MSI_MSG_CTRL_MMC      0x000e /* Multiple Message Capable (log2), RO */
#define PCIE_MSI_MSG_CTRL_MME      0x0070 /* Multiple Message Enable (log2), RW */
#define PCIE_MSI_MSG_CTRL_64BIT    0x0080 /* 64-bit Address Capable */
#define PCIE_MSI_MSG_CTRL_PVM      0x0100 /* Per-Vector Masking Capable */
#define PCIE_MSI_MSG_ADDR          0x04  /* Message Address, 32 bits */
#define PCIE_MSI_MSG_UPPER_ADDR    0x08  /* Message Upper Address (64-bit only) */
#define PCIE_MSI_MSG_DATA_32       0x08  /* Message Data, 32-bit layout */
#define PCIE_MSI_MSG_DATA_64       0x0c  /* Message Data, 64-bit layout */
#define PCIE_MSI_MASK_BITS_64      0x10
#define PCIE_MSI_PENDING_BITS_64   0x14
#define PCIE_MSI_SIZEOF_64_PVM     0x18

/* PCI Express capability (version 2 layout) */
#define PCIE_EXP_CAP               0x02  /* PCI Express Capabilities, 16 bits, RO */
#define PCIE_EXP_CAP_VERSION       0x000f
#define PCIE_EXP_CAP_PORT_TYPE     0x00f0 /* Device/Port Type */
#define PCIE_EXP_CAP_PORT_TYPE_SHIFT 4
#define PCIE_EXP_CAP_SLOT_IMPLEMENTED 0x0100
#define PCIE_EXP_CAP_INT_MSG_NUM   0x3e00
#define PCIE_EXP_TYPE_ENDPOINT     0x0   /* PCI Express Endpoint */
#define PCIE_EXP_TYPE_LEGACY_ENDPOINT 0x1
#define PCIE_EXP_TYPE_ROOT_PORT    0x4
#define PCIE_EXP_TYPE_UPSTREAM     0x5   /* Upstream Port of a Switch */
#define PCIE_EXP_TYPE_DOWNSTREAM   0x6   /* Downstream Port of a Switch */
#define PCIE_EXP_TYPE_RC_ENDPOINT  0x9   /* Root Complex Integrated Endpoint */
#define PCIE_EXP_TYPE_RC_EVENT_COLLECTOR 0xa

#define PCIE_EXP_DEVCAP            0x04  /* Device Capabilities, 32 bits, RO */
#define PCIE_EXP_DEVCAP_MPSS       0x00000007u /* Max_Payload_Size Supported */
#define PCIE_EXP_DEVCAP_PHANTOM    0x00000018u /* Phantom Functions Supported */
#define PCIE_EXP_DEVCAP_EXT_TAG    0x00000020u /* Extended Tag Field Supported */
#define PCIE_EXP_DEVCAP_L0S_LATENCY 0x000001c0u /* Endpoint L0s Acceptable Latency */
#define PCIE_EXP_DEVCAP_L1_LATENCY 0x00000e00u /* Endpoint L1 Acceptable Latency */
#define PCIE_EXP_DEVCAP_RBER       0x00008000u /* Role-Based Error Reporting */
#define PCIE_EXP_DEVCAP_FLR        0x10000000u /* Function Level Reset Capability */

#define PCIE_EXP_DEVCTL            0x08  /* Device Control, 16 bits */
#define PCIE_EXP_DEVCTL_CERE       0x0001 /* Correctable Error Reporting Enable */
#define PCIE_EXP_DEVCTL_NFERE      0x0002 /* Non-Fatal Error Reporting Enable */
#define PCIE_EXP_DEVCTL_FERE       0x0004 /* Fatal Error Reporting Enable */
#define PCIE_EXP_DEVCTL_URRE       0x0008 /* Unsupported Request Reporting Enable */
#define PCIE_EXP_DEVCTL_RELAXED_ORDERING 0x0010 /* Enable Relaxed Ordering; default 1 */
#define PCIE_EXP_DEVCTL_MPS        0x00e0 /* Max_Payload_Size, bits 7:5 */
#define PCIE_EXP_DEVCTL_MPS_SHIFT  5
#define PCIE_EXP_DEVCTL_EXT_TAG    0x0100 /* Extended Tag Field Enable */
#define PCIE_EXP_DEVCTL_PHANTOM    0x0200 /* Phantom Functions Enable */
#define PCIE_EXP_DEVCTL_AUX_PM     0x0400 /* Aux Power PM Enable */
#define PCIE_EXP_DEVCTL_NO_SNOOP   0x0800 /* Enable No Snoop; default 1 */
#define PCIE_EXP_DEVCTL_MRRS       0x7000 /* Max_Read_Request_Size, bits 14:12; default 010b */
#define PCIE_EXP_DEVCTL_MRRS_SHIFT 12
#define PCIE_EXP_DEVCTL_FLR        0x8000 /* Initiate Function Level Reset (endpoints) */

/* Max_Payload_Size Supported, Max_Payload_Size and Max_Read_Request_Size share one
 * encoding: n -> 128 << n bytes for n = 0 (128) .. 5 (4096); 6 and 7 are reserved. */
#define PCIE_EXP_SIZE_ENC_MAX      5
#define PCIE_EXP_SIZE_BYTES(n)     (128u << (n))

#define PCIE_EXP_DEVSTA            0x0a  /* Device Status, 16 bits */
#define PCIE_EXP_DEVSTA_CED        0x0001 /* Correctable Error Detected, RW1C */
#define PCIE_EXP_DEVSTA_NFED       0x0002 /* Non-Fatal Error Detected, RW1C */
#define PCIE_EXP_DEVSTA_FED        0x0004 /* Fatal Error Detected, RW1C */
#define PCIE_EXP_DEVSTA_URD        0x0008 /* Unsupported Request Detected, RW1C */
#define PCIE_EXP_DEVSTA_AUX_POWER  0x0010 /* AUX Power Detected, RO */
#define PCIE_EXP_DEVSTA_TRANS_PENDING 0x0020 /* Transactions Pending, RO */

#define PCIE_EXP_LNKCAP            0x0c  /* Link Capabilities, 32 bits, RO */
#define PCIE_EXP_LNKCAP_MLS        0x0000000fu /* Max Link Speed */
#define PCIE_EXP_LNKCAP_MLW        0x000003f0u /* Maximum Link Width */
#define PCIE_EXP_LNKCAP_MLW_SHIFT  4
#define PCIE_EXP_LNKCAP_ASPM       0x00000c00u /* ASPM Support */
#define PCIE_EXP_LNKCAP_PORT_NUMBER 0xff000000u

#define PCIE_EXP_LNKCTL            0x10  /* Link Control, 16 bits */
#define PCIE_EXP_LNKCTL_ASPMC      0x0003 /* ASPM Control */
#define PCIE_EXP_LNKCTL_RCB        0x0008 /* Read Completion Boundary: 0 = 64 B, 1 = 128 B */
#define PCIE_EXP_LNKCTL_LINK_DISABLE 0x0010 /* downstream ports only */
#define PCIE_EXP_LNKCTL_RETRAIN    0x0020 /* downstream ports only */
#define PCIE_EXP_LNKCTL_CCC        0x0040 /* Common Clock Configuration */
#define PCIE_EXP_LNKCTL_EXT_SYNCH  0x0080 /* Extended Synch */

#define PCIE_EXP_LNKSTA            0x12  /* Link Status, 16 bits */
#define PCIE_EXP_LNKSTA_CLS        0x000f /* Current Link Speed, bits 3:0 */
#define PCIE_EXP_LNKSTA_NLW        0x03f0 /* Negotiated Link Width, bits 9:4 */
#define PCIE_EXP_LNKSTA_NLW_SHIFT  4
#define PCIE_EXP_LNKSTA_LINK_TRAINING 0x0800
#define PCIE_EXP_LNKSTA_SLOT_CLOCK 0x1000 /* Slot Clock Configuration */
#define PCIE_EXP_LNKSTA_DLL_ACTIVE 0x2000 /* Data Link Layer Link Active */
#define PCIE_EXP_LNKSTA_LBMS       0x4000 /* Link Bandwidth Management Status */
#define PCIE_EXP_LNKSTA_LABS       0x8000 /* Link Autonomous Bandwidth Status */

/* Link speed encodings (Max Link Speed, Current Link Speed, Target Link Speed) index
 * the Supported Link Speeds Vector: 1 = 2.5 GT/s ... 6 = 64 GT/s. */
#define PCIE_LINK_SPEED_2_5GT      1
#define PCIE_LINK_SPEED_5GT        2
#define PCIE_LINK_SPEED_8GT        3
#define PCIE_LINK_SPEED_16GT       4
#define PCIE_LINK_SPEED_32GT       5
#define PCIE_LINK_SPEED_64GT       6
#define PCIE_LINK_WIDTH_MAX        32

#define PCIE_EXP_SLTCAP            0x14  /* Slot Capabilities (ports with a slot) */
#define PCIE_EXP_SLTCTL            0x18  /* Slot Control */
#define PCIE_EXP_SLTSTA            0x1a  /* Slot Status */
#define PCIE_EXP_RTCTL             0x1c  /* Root Control (root ports) */
#define PCIE_EXP_RTCAP             0x1e  /* Root Capabilities */
#define PCIE_EXP_RTSTA             0x20  /* Root Status */

#define PCIE_EXP_DEVCAP2           0x24  /* Device Capabilities 2, 32 bits, RO */
#define PCIE_EXP_DEVCAP2_CPL_TIMEOUT_RANGES 0x0000000fu
#define PCIE_EXP_DEVCAP2_CPL_TIMEOUT_DISABLE 0x00000010u
#define PCIE_EXP_DEVCAP2_ARI_FORWARDING 0x00000020u /* downstream ports */
#define PCIE_EXP_DEVCAP2_ATOMIC_ROUTING 0x00000040u
#define PCIE_EXP_DEVCAP2_ATOMIC_COMP32 0x00000080u
#define PCIE_EXP_DEVCAP2_ATOMIC_COMP64 0x00000100u
#define PCIE_EXP_DEVCAP2_ATOMIC_COMP128 0x00000200u
#define PCIE_EXP_DEVCAP2_LTR       0x00000800u
#define PCIE_EXP_DEVCAP2_TPH_COMPLETER 0x00003000u
#define PCIE_EXP_DEVCAP2_10BIT_TAG_COMPLETER 0x00010000u
#define PCIE_EXP_DEVCAP2_10BIT_TAG_REQUESTER 0x00020000u

#define PCIE_EXP_DEVCTL2           0x28  /* Device Control 2, 16 bits */
#define PCIE_EXP_DEVCTL2_CPL_TIMEOUT_VALUE 0x000f
#define PCIE_EXP_DEVCTL2_CPL_TIMEOUT_DISABLE 0x0010
#define PCIE_EXP_DEVCTL2_ARI_FORWARDING 0x0020
#define PCIE_EXP_DEVCTL2_ATOMIC_REQUESTER 0x0040
#define PCIE_EXP_DEVCTL2_ATOMIC_EGRESS_BLOCK 0x0080
#define PCIE_EXP_DEVCTL2_IDO_REQUEST 0x0100
#define PCIE_EXP_DEVCTL2_IDO_COMPLETION 0x0200
#define PCIE_EXP_DEVCTL2_LTR       0x0400
#define PCIE_EXP_DEVCTL2_10BIT_TAG_REQUESTER 0x1000
#define PCIE_EXP_DEVCTL2_OBFF      0x6000

#define PCIE_EXP_DEVSTA2           0x2a  /* Device Status 2 */
#define PCIE_EXP_LNKCAP2           0x2c  /* Link Capabilities 2, 32 bits, RO */
#define PCIE_EXP_LNKCAP2_SLS       0x000000feu /* Supported Link Speeds Vector, bit n = speed n */
#define PCIE_EXP_LNKCTL2           0x30  /* Link Control 2, 16 bits */
#define PCIE_EXP_LNKCTL2_TLS       0x000f /* Target Link Speed */
#define PCIE_EXP_LNKCTL2_ENTER_COMPLIANCE 0x0010
#define PCIE_EXP_LNKCTL2_HASD      0x0020 /* Hardware Autonomous Speed Disable */
#define PCIE_EXP_LNKSTA2           0x32  /* Link Status 2 */
#define PCIE_EXP_SLTCAP2           0x34
#define PCIE_EXP_SLTCTL2           0x38
#define PCIE_EXP_SLTSTA2           0x3a
#define PCIE_EXP_SIZEOF            0x3c  /* version 2 structure, slot registers included */

/* MSI-X capability */
#define PCIE_MSIX_MSG_CTRL         0x02  /* Message Control, 16 bits */
#define PCIE_MSIX_MSG_CTRL_TABLE_SIZE 0x07ff /* Table Size, encoded N-1, RO */
#define PCIE_MSIX_MSG_CTRL_FUNCTION_MASK 0x4000
#define PCIE_MSIX_MSG_CTRL_ENABLE  0x8000 /* MSI-X Enable */
#define PCIE_MSIX_TABLE            0x04  /* Table Offset/Table BIR, 32 bits, RO */
#define PCIE_MSIX_PBA              0x08  /* PBA Offset/PBA BIR, 32 bits, RO */
#define PCIE_MSIX_BIR              0x00000007u /* BAR Indicator Register */
#define PCIE_MSIX_OFFSET           0xfffffff8u /* QWORD-aligned offset into that BAR */
#define PCIE_MSIX_SIZEOF           12
#define PCIE_MSIX_MAX_VECTORS      2048

/* MSI-X table entry, in the memory space of the BAR named by Table BIR. */
#define PCIE_MSIX_ENTRY_SIZE       16
#define PCIE_MSIX_ENTRY_MSG_ADDR   0x0   /* Message Address (DWORD aligned) */
#define PCIE_MSIX_ENTRY_MSG_UPPER_ADDR 0x4
#define PCIE_MSIX_ENTRY_MSG_DATA   0x8
#define PCIE_MSIX_ENTRY_VECTOR_CTRL 0xc
#define PCIE_MSIX_ENTRY_CTRL_MASK  0x00000001u /* Mask Bit; set at reset */
/* The Pending Bit Array holds one bit per vector, in QWORDs. */
#define PCIE_MSIX_PBA_BYTES(n)     ((((unsigned)(n) + 63u) / 64u) * 8u)

/* ---------------------------------------------------------------- extended capabilities */

/* The extended capability list starts at 100h; each structure starts with a 32-bit
 * header. No extended capabilities at all is a header of 0 at 100h. */
#define PCIE_EXT_CAP_START         0x100
#define PCIE_EXT_CAP_HDR_ID        0x0000ffffu /* PCI Express Extended Capability ID */
#define PCIE_EXT_CAP_HDR_VERSION   0x000f0000u /* Capability Version */
#define PCIE_EXT_CAP_HDR_VERSION_SHIFT 16
#define PCIE_EXT_CAP_HDR_NEXT      0xfff00000u /* Next Capability Offset */
#define PCIE_EXT_CAP_HDR_NEXT_SHIFT 20
#define PCIE_EXT_CAP_HDR(id, ver, next)                                  \
    (((uint32_t)(id) & 0xffffu) | (((uint32_t)(ver) & 0xfu) << 16) |     \
     (((uint32_t)(next) & 0xfffu) << 20))
#define PCIE_EXT_CAP_HDR_ID_OF(h)      ((uint16_t)((h) & 0xffffu))
#define PCIE_EXT_CAP_HDR_VERSION_OF(h) ((unsigned)(((h) >> 16) & 0xfu))
/* The two low bits of the offset are reserved: mask them off. */
#define PCIE_EXT_CAP_HDR_NEXT_OF(h)    ((uint16_t)(((h) >> 20) & 0xffcu))

#define PCIE_EXT_CAP_ID_AER        0x0001 /* Advanced Error Reporting */
#define PCIE_EXT_CAP_ID_DSN        0x0003 /* Device Serial Number */
#define PCIE_EXT_CAP_ID_VNDR       0x000b /* Vendor-Specific Extended Capability */
#define PCIE_EXT_CAP_ID_ACS        0x000d /* Access Control Services */
#define PCIE_EXT_CAP_ID_ARI        0x000e /* Alternative Routing-ID Interpretation */
#define PCIE_EXT_CAP_ID_ATS        0x000f /* Address Translation Services */
#define PCIE_EXT_CAP_ID_SRIOV      0x0010 /* Single Root I/O Virtualization */
#define PCIE_EXT_CAP_ID_PRI        0x0013 /* Page Request Interface */
#define PCIE_EXT_CAP_ID_PASID      0x001b /* Process Address Space ID */

/* Advanced Error Reporting (endpoint layout) */
#define PCIE_AER_UNCOR_STATUS      0x04  /* RW1CS */
#define PCIE_AER_UNCOR_MASK        0x08
#define PCIE_AER_UNCOR_SEVERITY    0x0c
#define PCIE_AER_COR_STATUS        0x10  /* RW1CS */
#define PCIE_AER_COR_MASK          0x14
#define PCIE_AER_CAP_CTRL          0x18  /* Advanced Error Capabilities and Control */
#define PCIE_AER_HEADER_LOG        0x1c  /* 16 bytes */
#define PCIE_AER_SIZEOF            0x2c
#define PCIE_AER_VERSION           2

/* Access Control Services */
#define PCIE_ACS_CAP               0x04  /* ACS Capability, 16 bits */
#define PCIE_ACS_CTRL              0x06  /* ACS Control, 16 bits */
#define PCIE_ACS_SOURCE_VALIDATION 0x0001
#define PCIE_ACS_TRANSLATION_BLOCKING 0x0002
#define PCIE_ACS_P2P_REQUEST_REDIRECT 0x0004
#define PCIE_ACS_P2P_COMPLETION_REDIRECT 0x0008
#define PCIE_ACS_UPSTREAM_FORWARDING 0x0010
#define PCIE_ACS_P2P_EGRESS_CONTROL 0x0020
#define PCIE_ACS_DIRECT_TRANSLATED_P2P 0x0040
#define PCIE_ACS_SIZEOF            8
#define PCIE_ACS_VERSION           1

/* Alternative Routing-ID Interpretation */
#define PCIE_ARI_CAP               0x04  /* 16 bits */
#define PCIE_ARI_CAP_NEXT_FUNCTION 0xff00
#define PCIE_ARI_CTRL              0x06  /* 16 bits */
#define PCIE_ARI_SIZEOF            8
#define PCIE_ARI_VERSION           1

/* Address Translation Services */
#define PCIE_ATS_CAP               0x04  /* 16 bits */
#define PCIE_ATS_CAP_INVALIDATE_QUEUE_DEPTH 0x001f
#define PCIE_ATS_CAP_PAGE_ALIGNED_REQUEST 0x0020
#define PCIE_ATS_CTRL              0x06  /* 16 bits */
#define PCIE_ATS_CTRL_STU          0x001f /* Smallest Translation Unit: 4 KiB << STU */
#define PCIE_ATS_CTRL_ENABLE       0x8000
#define PCIE_ATS_SIZEOF            8
#define PCIE_ATS_VERSION           1

/* Process Address Space ID */
#define PCIE_PASID_CAP             0x04  /* 16 bits */
#define PCIE_PASID_CAP_EXECUTE     0x0002
#define PCIE_PASID_CAP_PRIVILEGED  0x0004
#define PCIE_PASID_CAP_MAX_WIDTH   0x1f00
#define PCIE_PASID_CTRL            0x06  /* 16 bits */
#define PCIE_PASID_CTRL_ENABLE     0x0001
#define PCIE_PASID_CTRL_EXECUTE    0x0002
#define PCIE_PASID_CTRL_PRIVILEGED 0x0004
#define PCIE_PASID_SIZEOF          8
#define PCIE_PASID_VERSION         1

/* Single Root I/O Virtualization (in the PF's configuration space) */
#define PCIE_SRIOV_CAP             0x04  /* SR-IOV Capabilities, 32 bits */
#define PCIE_SRIOV_CAP_VF_MIGRATION 0x00000001u
#define PCIE_SRIOV_CAP_ARI_PRESERVED 0x00000002u
#define PCIE_SRIOV_CTRL            0x08  /* SR-IOV Control, 16 bits */
#define PCIE_SRIOV_CTRL_VF_ENABLE  0x0001
#define PCIE_SRIOV_CTRL_VF_MIGRATION 0x0002
#define PCIE_SRIOV_CTRL_VF_MIGRATION_INT 0x0004
#define PCIE_SRIOV_CTRL_VF_MSE     0x0008 /* VF Memory Space Enable */
#define PCIE_SRIOV_CTRL_ARI_HIERARCHY 0x0010 /* ARI Capable Hierarchy */
#define PCIE_SRIOV_STATUS          0x0a  /* 16 bits */
#define PCIE_SRIOV_INITIAL_VFS     0x0c  /* 16 bits, RO */
#define PCIE_SRIOV_TOTAL_VFS       0x0e  /* 16 bits, RO */
#define PCIE_SRIOV_NUM_VFS         0x10  /* 16 bits, RW */
#define PCIE_SRIOV_FUNC_DEP_LINK   0x12  /* 8 bits, RO */
#define PCIE_SRIOV_FIRST_VF_OFFSET 0x14  /* 16 bits, RO (may depend on NumVFs) */
#define PCIE_SRIOV_VF_STRIDE       0x16  /* 16 bits, RO (may depend on NumVFs) */
#define PCIE_SRIOV_VF_DEVICE_ID    0x1a  /* 16 bits, RO */
#define PCIE_SRIOV_SUPPORTED_PAGE_SIZES 0x1c /* 32 bits, RO */
#define PCIE_SRIOV_SYSTEM_PAGE_SIZE 0x20 /* 32 bits, RW */
#define PCIE_SRIOV_VF_BAR0         0x24  /* VF BAR0..5, BAR format, size per VF */
#define PCIE_SRIOV_VF_BAR(i)       (PCIE_SRIOV_VF_BAR0 + 4u * (unsigned)(i))
#define PCIE_SRIOV_VF_MIGRATION_STATE 0x3c
#define PCIE_SRIOV_SIZEOF          0x40
#define PCIE_SRIOV_VERSION         1

/* ---------------------------------------------------------------- ECAM */

/* Enhanced Configuration Access Mechanism: one 4 KiB page per function in a 256 MiB
 * window, offset = bus << 20 | device << 15 | function << 12 | register. */
#define PCIE_ECAM_BUS_SHIFT        20
#define PCIE_ECAM_DEV_SHIFT        15
#define PCIE_ECAM_FN_SHIFT         12
#define PCIE_ECAM_REG_MASK         0xfffu
#define PCIE_ECAM_WINDOW_BYTES     (1ull << 28)

#endif
