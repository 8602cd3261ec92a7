/* Intel Virtualization Technology for Directed I/O (VT-d) Architecture Specification:
 * register offsets, in-memory structure layouts and fault reason codes, named after
 * the specification (section numbers of Rev. 3.x/4.x; the legacy-mode formats used
 * here are unchanged since Rev. 1.3). Only what the model reads or writes is here.
 *
 * Entries are little-endian 64-bit words in host memory (models/mem/physmem.h). */
#ifndef MODELS_IOMMU_IOMMU_REGS_H
#define MODELS_IOMMU_IOMMU_REGS_H

#include <stdint.h>

/* ---- Remapping hardware registers (10.4) ------------------------------------------ */
#define VTD_VER_REG 0x000    /* 32: version */
#define VTD_CAP_REG 0x008    /* 64: capabilities */
#define VTD_ECAP_REG 0x010   /* 64: extended capabilities */
#define VTD_GCMD_REG 0x018   /* 32: global command (write-only: reads 0) */
#define VTD_GSTS_REG 0x01C   /* 32: global status */
#define VTD_RTADDR_REG 0x020 /* 64: root table address */
#define VTD_FSTS_REG 0x034   /* 32: fault status */
#define VTD_FECTL_REG 0x038  /* 32: fault event control */
#define VTD_IQH_REG 0x080    /* 64: invalidation queue head */
#define VTD_IQT_REG 0x088    /* 64: invalidation queue tail */
#define VTD_IQA_REG 0x090    /* 64: invalidation queue address */
#define VTD_ICS_REG 0x09C    /* 32: invalidation completion status */
#define VTD_IRTA_REG 0x0B8   /* 64: interrupt remapping table address */
#define VTD_FRCD_BYTES 16u   /* a fault recording register; CAP.FRO gives the first */

/* CAP_REG. */
#define VTD_CAP_ND_64K 6ull           /* bits 2:0: 16-bit domain ids */
#define VTD_CAP_SAGAW_SHIFT 8         /* bits 12:8: bit 1 39-bit, 2 48-bit, 3 57-bit tables */
#define VTD_CAP_MGAW_SHIFT 16         /* bits 21:16: address width - 1 */
#define VTD_CAP_FRO_SHIFT 24          /* bits 33:24: first FRCD, in 16-byte units */
#define VTD_CAP_SLLPS_2M (1ull << 34) /* second-level 2 MiB pages */
#define VTD_CAP_SLLPS_1G (1ull << 35) /* second-level 1 GiB pages */
#define VTD_CAP_PSI (1ull << 39)      /* page-selective invalidation */
#define VTD_CAP_NFR_SHIFT 40          /* bits 47:40: fault recording registers - 1 */
#define VTD_CAP_MAMV_SHIFT 48         /* bits 53:48: largest address mask value */
#define VTD_CAP_DWD (1ull << 54)      /* write draining */
#define VTD_CAP_DRD (1ull << 55)      /* read draining */
/* ECAP_REG. */
#define VTD_ECAP_QI (1ull << 1) /* queued invalidation */
#define VTD_ECAP_DT (1ull << 2) /* device-TLBs (ATS) */
#define VTD_ECAP_IR (1ull << 3) /* interrupt remapping */
#define VTD_ECAP_PT (1ull << 6) /* pass-through */
/* Scalable mode (ECAP bits as Linux's iommu.h reads them: ecap_nest, ecap_pss,
 * ecap_pasid, ecap_smts, ecap_slts, ecap_flts). */
#define VTD_ECAP_NEST (1ull << 26)  /* nested translation */
#define VTD_ECAP_PSS_SHIFT 35       /* bits 39:35: PASID bits supported - 1 */
#define VTD_ECAP_PASID (1ull << 40) /* PASID support */
#define VTD_ECAP_SMTS (1ull << 43)  /* scalable-mode translation */
#define VTD_ECAP_SLTS (1ull << 46)  /* second-level translation */
#define VTD_ECAP_FLTS (1ull << 47)  /* first-level translation */

/* GCMD_REG and GSTS_REG: a command bit and its status bit share a
 * position. Enables (TE, QIE, IRE, CFI) take the written value; SRTP and SIRTP are
 * one-shot: latch RTADDR_REG or IRTA_REG, reported by RTPS and IRTPS. */
#define VTD_GCMD_TE (1u << 31)    /* translation enable */
#define VTD_GCMD_SRTP (1u << 30)  /* set root table pointer */
#define VTD_GCMD_QIE (1u << 26)   /* queued invalidation enable */
#define VTD_GCMD_IRE (1u << 25)   /* interrupt remapping enable */
#define VTD_GCMD_SIRTP (1u << 24) /* set interrupt remapping table pointer */
#define VTD_GCMD_CFI (1u << 23)   /* compatibility format interrupts pass */
#define VTD_GCMD_ENABLES (VTD_GCMD_TE | VTD_GCMD_QIE | VTD_GCMD_IRE | VTD_GCMD_CFI)

/* RTADDR_REG: root table base in bits 63:12, translation table mode TTM in bits
 * 11:10 (00b legacy, 01b scalable: QEMU's VTD_RTADDR_SMT), latched by SRTP. */
#define VTD_RTADDR_ADDR_MASK 0xFFFFFFFFFFFFF000ull
#define VTD_RTADDR_TTM_MASK (3ull << 10)
#define VTD_RTADDR_TTM_SCALABLE (1ull << 10)

/* FSTS_REG. PFO and IQE are cleared by writing 1; PPF is set while any fault
 * recording register holds a fault; FRI is the index of the first one recorded then. */
#define VTD_FSTS_PFO (1u << 0) /* primary fault overflow: nothing is recorded while set */
#define VTD_FSTS_PPF (1u << 1) /* primary pending fault */
#define VTD_FSTS_IQE (1u << 4) /* invalidation queue error */
#define VTD_FSTS_FRI_SHIFT 8   /* bits 15:8 */
#define VTD_FSTS_FRI_MASK (0xFFu << 8)
/* FECTL_REG. */
#define VTD_FECTL_IM (1u << 31) /* interrupt mask */

/* IQH_REG, IQT_REG: descriptor index in bits 18:4. */
#define VTD_IQ_INDEX_SHIFT 4
#define VTD_IQ_INDEX_MASK 0x7FFF0ull
/* IQA_REG: base bits 63:12, queue size QS bits 2:0 (2^QS pages of 256
 * 128-bit descriptors). */
#define VTD_IQA_ADDR_MASK 0xFFFFFFFFFFFFF000ull
#define VTD_IQA_QS_MASK 7ull
#define VTD_IQ_DESCS_PER_PAGE 256u
/* ICS_REG. */
#define VTD_ICS_IWC (1u << 0) /* a wait descriptor with IF set completed */

/* IRTA_REG: table base (bits 63:12), EIME (bit 11), size S (bits 3:0): 2^(S+1)
 * entries. */
#define VTD_IRTA_ADDR_MASK 0xFFFFFFFFFFFFF000ull
#define VTD_IRTA_EIME (1ull << 11)
#define VTD_IRTA_S_MASK 0xFull

/* Fault recording register (10.4.14), as two 64-bit halves. Low: fault information
 * (the page address of a DMA fault; for an interrupt-remapping fault the interrupt
 * index in bits 63:48). High: source id, reason, type, and F, cleared by writing 1. */
#define VTD_FRCD_FI_MASK 0xFFFFFFFFFFFFF000ull
#define VTD_FRCD_FI_IRQ_SHIFT 48
#define VTD_FRCD_SID_MASK 0xFFFFull      /* high bits 15:0 (79:64) */
#define VTD_FRCD_PP (1ull << 31)         /* high bit 31 (95): PASID present */
#define VTD_FRCD_FR_SHIFT 32             /* high bits 39:32 (103:96) */
#define VTD_FRCD_PV_SHIFT 40             /* high bits 59:40 (123:104): PASID value */
#define VTD_FRCD_PV_MASK 0xFFFFFull
#define VTD_FRCD_T_READ (1ull << 62)     /* high bit 62 (126): 0 write, 1 read */
#define VTD_FRCD_F (1ull << 63)          /* high bit 63 (127): fault recorded */

/* ---- Root entry (9.1): 128 bits, one per bus, 256 per 4 KiB root table ------------ */
#define VTD_ROOT_ENTRY_BYTES 16u
#define VTD_ROOT_ENTRY_P (1ull << 0)                  /* lo: present */
#define VTD_ROOT_ENTRY_CTP 0xFFFFFFFFFFFFF000ull      /* lo: context-table pointer */
#define VTD_ROOT_ENTRY_RSVD_LO 0x0000000000000FFEull  /* lo: reserved, must be 0 */

/* ---- Context entry (9.3): 128 bits, one per device/function, 256 per table -------- */
#define VTD_CONTEXT_ENTRY_BYTES 16u
#define VTD_CONTEXT_ENTRY_P (1ull << 0)               /* lo: present */
#define VTD_CONTEXT_ENTRY_FPD (1ull << 1)             /* lo: fault processing disable */
#define VTD_CONTEXT_ENTRY_TT_SHIFT 2                  /* lo: translation type, bits 3:2 */
#define VTD_CONTEXT_ENTRY_TT_MASK (3ull << 2)
#define VTD_CONTEXT_TT_MULTI_LEVEL 0u                 /* untranslated requests only */
#define VTD_CONTEXT_TT_DEV_IOTLB 1u                   /* also translation requests (ATS) */
#define VTD_CONTEXT_TT_PASS_THROUGH 2u                /* untranslated = host physical */
#define VTD_CONTEXT_ENTRY_SLPTPTR 0xFFFFFFFFFFFFF000ull /* lo: second-level table pointer */
#define VTD_CONTEXT_ENTRY_RSVD_LO 0x0000000000000FF0ull
#define VTD_CONTEXT_ENTRY_AW_MASK 7ull                /* hi: address width, bits 2:0 */
#define VTD_CONTEXT_AW_39 1u                          /* 3-level table */
#define VTD_CONTEXT_AW_48 2u                          /* 4-level table */
#define VTD_CONTEXT_AW_57 3u                          /* 5-level table */
#define VTD_CONTEXT_ENTRY_DID_SHIFT 8                 /* hi: domain identifier, bits 23:8 */
#define VTD_CONTEXT_ENTRY_DID_MASK (0xFFFFull << 8)
#define VTD_CONTEXT_ENTRY_RSVD_HI 0xFFFFFFFFFF000080ull

/* ---- Scalable mode (9.2, 9.4, 9.5, 9.6): Linux iommu.h and pasid.h, QEMU
 * intel_iommu_internal.h ------------------------------------------------------------ *
 * The root entry's two halves point to the lower (devfn 0..127) and upper (128..255)
 * scalable-mode context tables, present bit 0 each. */
#define VTD_SM_CTX_ENTRY_BYTES 32u                     /* 128 per 4 KiB table */
#define VTD_SM_CTX_DEVFNS 128u
#define VTD_SM_CTX_P (1ull << 0)                       /* val[0]: present */
#define VTD_SM_CTX_FPD (1ull << 1)
#define VTD_SM_CTX_DTE (1ull << 2)                     /* device-TLB (ATS) enable */
#define VTD_SM_CTX_PASIDE (1ull << 3)                  /* requests with PASID allowed */
#define VTD_SM_CTX_PDTS_SHIFT 9                        /* bits 11:9: 2^(PDTS+7) dir entries */
#define VTD_SM_CTX_PDTS_MASK (7ull << 9)
#define VTD_SM_CTX_PASIDDIR 0xFFFFFFFFFFFFF000ull      /* val[0]: PASID directory */
#define VTD_SM_CTX_RSVD0 0x00000000000001E0ull         /* QEMU's RSVD_VAL0 below the HAW */
#define VTD_SM_CTX_RID_PASID_MASK 0xFFFFFull           /* val[1] bits 19:0 */
#define VTD_SM_CTX_RSVD1 0xFFFFFFFFFFE00000ull         /* QEMU's RSVD_VAL1 */
/* PASID directory entry: 8 bytes, one per 64 PASIDs (PASID_PDE_SHIFT 6). */
#define VTD_PASID_DIR_ENTRY_BYTES 8u
#define VTD_PASID_PDE_SHIFT 6
#define VTD_PASID_DIR_P (1ull << 0)
#define VTD_PASID_DIR_FPD (1ull << 1)
#define VTD_PASID_DIR_TABLE 0xFFFFFFFFFFFFF000ull
/* PASID table entry: 512 bits (struct pasid_entry, u64 val[8]), 64 per 4 KiB table. */
#define VTD_PASID_ENTRY_BYTES 64u
#define VTD_PASID_TABLE_ENTRIES 64u
#define VTD_PASID_MAX 0x100000u                        /* 20-bit PASIDs */
#define VTD_PE_P (1ull << 0)                           /* val[0] */
#define VTD_PE_FPD (1ull << 1)
#define VTD_PE_AW_SHIFT 2                              /* bits 4:2: SL levels - 2 */
#define VTD_PE_AW_MASK (7ull << 2)
#define VTD_PE_PGTT_SHIFT 6                            /* bits 8:6 */
#define VTD_PE_PGTT_MASK (7ull << 6)
#define VTD_PE_SLPTPTR 0xFFFFFFFFFFFFF000ull
#define VTD_PE_DID_MASK 0xFFFFull                      /* val[1] bits 15:0 */
#define VTD_PE_FLPM_SHIFT 2                            /* val[2] bits 3:2: 0 4-level, 1 5-level */
#define VTD_PE_FLPM_MASK (3ull << 2)
#define VTD_PE_FLPTPTR 0xFFFFFFFFFFFFF000ull           /* val[2] */
#define VTD_PGTT_FL 1u     /* PASID_ENTRY_PGTT_FL_ONLY */
#define VTD_PGTT_SL 2u     /* PASID_ENTRY_PGTT_SL_ONLY */
#define VTD_PGTT_NESTED 3u /* PASID_ENTRY_PGTT_NESTED */
#define VTD_PGTT_PT 4u     /* PASID_ENTRY_PGTT_PT */

/* ---- First-level paging entries (9.7): the x86 format, 64 bits, 512 per table ----- */
#define VTD_FL_P (1ull << 0)
#define VTD_FL_RW (1ull << 1)
#define VTD_FL_US (1ull << 2)
#define VTD_FL_A (1ull << 5)
#define VTD_FL_D (1ull << 6)
#define VTD_FL_PS (1ull << 7)
#define VTD_FL_ADDR_MASK 0x000FFFFFFFFFF000ull

/* ---- Second-level paging entries (9.8): 64 bits, 512 per 4 KiB table -------------- */
#define VTD_SL_PTE_BYTES 8u
#define VTD_SL_LEVEL_BITS 9u
#define VTD_SL_R (1ull << 0)
#define VTD_SL_W (1ull << 1)
#define VTD_SL_X (1ull << 2)
#define VTD_SL_PS (1ull << 7)                          /* page size: leaf at level 2 or 3 */
#define VTD_SL_SNP (1ull << 11)
#define VTD_SL_ADDR_MASK 0x000FFFFFFFFFF000ull          /* bits 51:12 */
#define VTD_SL_TM (1ull << 62)
/* Reserved bits of a present entry that the walk checks: bits 61:52 (above the 52-bit
 * host address width; bit 62 is TM, bit 63 ignored), and for a large page the address
 * bits below its size. */
#define VTD_SL_RSVD_HIGH 0x3FF0000000000000ull

/* ---- Fault recording (7.2.1, 10.4.14) and reason codes (Appendix A / 7.1.3) ------- */
enum vtd_fault_reason {
    VTD_FR_ROOT_ENTRY_P = 0x1,       /* present field of the root entry is clear */
    VTD_FR_CONTEXT_ENTRY_P = 0x2,    /* present field of the context entry is clear */
    VTD_FR_CONTEXT_ENTRY_INV = 0x3,  /* invalid programming of a context entry */
    VTD_FR_ADDR_BEYOND_MGAW = 0x4,   /* input address above 2^AW - 1 */
    VTD_FR_WRITE = 0x5,              /* write to a page without write permission */
    VTD_FR_READ = 0x6,               /* read of a page without read permission */
    VTD_FR_PAGING_ENTRY_INV = 0x7,   /* error accessing a second-level paging entry */
    VTD_FR_ROOT_TABLE_INV = 0x8,     /* error accessing the root table */
    VTD_FR_CONTEXT_TABLE_INV = 0x9,  /* error accessing a context table */
    VTD_FR_ROOT_ENTRY_RSVD = 0xA,    /* non-zero reserved field in a root entry */
    VTD_FR_CONTEXT_ENTRY_RSVD = 0xB, /* non-zero reserved field in a context entry */
    VTD_FR_PAGING_ENTRY_RSVD = 0xC,  /* non-zero reserved field in a paging entry */
    VTD_FR_CONTEXT_ENTRY_TT = 0xD,   /* request blocked by the context entry's TT */
    /* interrupt remapping */
    VTD_FR_IR_REQ_RSVD = 0x20,   /* reserved field set in the interrupt request */
    VTD_FR_IR_INDEX_OVER = 0x21, /* interrupt index beyond the table (IRTA.S) */
    VTD_FR_IR_ENTRY_P = 0x22,    /* present field of the IRTE is clear */
    VTD_FR_IR_ROOT_INVAL = 0x23, /* error accessing the interrupt remapping table */
    VTD_FR_IR_IRTE_RSVD = 0x24,  /* non-zero reserved field in a present IRTE */
    VTD_FR_IR_REQ_COMPAT = 0x25, /* compatibility-format interrupt blocked */
    VTD_FR_IR_SID_ERR = 0x26,    /* source-id validation failed */
    /* Scalable mode (0x30 up), named as Linux's dmar.c dma_remap_sm_fault_reasons does
     * (the specification's SCT.*, SPD.*, SPT.*, SFL.*, SSL.*, SGN.* conditions). */
    VTD_FR_SM_ROOT_ENTRY_P = 0x39,     /* present bit in root entry is clear */
    VTD_FR_SM_ROOT_ENTRY_RSVD = 0x3A,  /* non-zero reserved field in root entry */
    VTD_FR_SM_CTX_ENTRY_P = 0x41,      /* present bit in context entry is clear */
    VTD_FR_SM_CTX_ENTRY_RSVD = 0x42,   /* non-zero reserved field in the context entry */
    VTD_FR_SM_CTX_PASIDE = 0x45,       /* PASID enable field in context entry is clear */
    VTD_FR_SM_CTX_PASID_MAX = 0x46,    /* PASID is larger than the max in context entry */
    VTD_FR_SM_PDE_P = 0x51,            /* present bit in PASID directory entry is clear */
    VTD_FR_SM_PDE_RSVD = 0x52,         /* non-zero reserved field in PASID directory entry */
    VTD_FR_SM_PE_P = 0x59,             /* present bit in PASID table entry is clear */
    VTD_FR_SM_PE_INV = 0x5B,           /* invalid scalable-mode PASID table entry */
    VTD_FR_SM_FL_P = 0x71,             /* present bit in first-level paging entry is clear */
    VTD_FR_SM_FL_RSVD = 0x72,          /* non-zero reserved field in first-level entry */
    VTD_FR_SM_NESTED_FL_ROOT = 0x75,   /* nested: FL-PML4 not readable through second level */
    VTD_FR_SM_NESTED_FL_READ = 0x76,   /* nested: FL entry not readable through second level */
    VTD_FR_SM_SL_PERM = 0x79,          /* read/write permission error in second-level entry */
    VTD_FR_SM_SL_RSVD = 0x7A,          /* non-zero reserved field in second-level entry */
    VTD_FR_SM_NON_CANONICAL = 0x80,    /* address in first-level translation not canonical */
    VTD_FR_SM_FL_US = 0x81,            /* U/S clear for a first-level user request */
    VTD_FR_SM_ADDR_BEYOND = 0x83,      /* address beyond the DMA hardware maximum */
    VTD_FR_SM_WRITE = 0x85,            /* no write permission for a write request */
    VTD_FR_SM_READ = 0x86,             /* no read permission for a read request */
};

/* ---- Invalidation queue descriptors (6.5.2): 128 bits ----------------------------- */
#define VTD_INV_DESC_BYTES 16u
#define VTD_INV_DESC_CC 0x1    /* context-cache invalidate */
#define VTD_INV_DESC_IOTLB 0x2 /* IOTLB invalidate */
#define VTD_INV_DESC_DEVICE 0x3 /* device-TLB invalidate */
#define VTD_INV_DESC_IEC 0x4   /* interrupt entry cache invalidate */
#define VTD_INV_DESC_WAIT 0x5  /* invalidation wait */
#define VTD_INV_DESC_PIOTLB 0x6 /* PASID-based IOTLB invalidate (Linux QI_EIOTLB_TYPE) */
#define VTD_INV_DESC_PC 0x7     /* PASID-cache invalidate (Linux QI_PC_TYPE) */
/* PASID-based IOTLB (qi_flush_piotlb): granularity in bits 5:4, DID 31:16, PASID
 * 51:32; hi: address, IH bit 6, AM bits 5:0, as the IOTLB descriptor's. */
#define VTD_PIOTLB_G_PASID 2u /* QI_GRAN_NONG_PASID: all of the PASID's entries */
#define VTD_PIOTLB_G_PAGE 3u  /* QI_GRAN_PSI_PASID: a range within the PASID */
#define VTD_INV_DESC_PASID_SHIFT 32
#define VTD_INV_DESC_PASID_MASK 0xFFFFFull
/* PASID cache (qi_flush_pasid_cache): granularity in bits 5:4, DID, PASID as above. */
#define VTD_PC_G_DOMAIN 0u /* QI_PC_ALL_PASIDS: the domain's entries */
#define VTD_PC_G_PASID 1u  /* QI_PC_PASID_SEL */
#define VTD_PC_G_GLOBAL 3u /* QI_PC_GLOBAL */
/* Granularity, bits 5:4 of the context-cache and IOTLB descriptors. */
#define VTD_INV_DESC_G_SHIFT 4
#define VTD_INV_G_GLOBAL 1u
#define VTD_INV_G_DOMAIN 2u
#define VTD_INV_G_PAGE 3u   /* IOTLB: page-selective-within-domain */
#define VTD_INV_G_DEVICE 3u /* context cache: device-selective */
#define VTD_INV_DESC_DID_SHIFT 16     /* bits 31:16 */
#define VTD_INV_DESC_CC_SID_SHIFT 32  /* bits 47:32 */
#define VTD_INV_DESC_IOTLB_DR (1ull << 6) /* drain reads */
#define VTD_INV_DESC_IOTLB_DW (1ull << 7) /* drain writes */
#define VTD_INV_DESC_IOTLB_AM_MASK 0x3Full /* hi: address mask, 2^AM pages */
#define VTD_INV_DESC_DEV_SID_SHIFT 32  /* device-TLB: source id, bits 47:32 */
#define VTD_INV_DESC_DEV_SIZE (1ull << 0) /* hi: S bit, range encoded in the address */
#define VTD_INV_DESC_WAIT_IF (1ull << 4)
#define VTD_INV_DESC_WAIT_SW (1ull << 5) /* status write: data (hi 32 of lo) to address */
#define VTD_INV_DESC_WAIT_FN (1ull << 6)
#define VTD_INV_DESC_WAIT_DATA_SHIFT 32

/* ---- Interrupt remapping (5.1) ---------------------------------------------------- */
/* Remappable-format MSI address (5.1.2.2): 0xFEE in 31:20, handle[14:0] in 19:5,
 * interrupt format 1 in bit 4, SHV in bit 3, handle[15] in bit 2. */
#define VTD_MSI_ADDR_IF (1u << 4)
#define VTD_MSI_ADDR_SHV (1u << 3)
#define VTD_MSI_ADDR_HANDLE_LO_SHIFT 5
#define VTD_MSI_ADDR_HANDLE_LO_MASK 0x7FFFu
#define VTD_MSI_ADDR_HANDLE_HI (1u << 2)
/* Compatibility-format MSI address (Intel SDM 10.11.1): destination in bits 19:12. */
#define VTD_MSI_ADDR_COMPAT_DEST_SHIFT 12

/* Interrupt Remapping Table Entry (9.9 remapped, 9.10 posted): 128 bits. */
#define VTD_IRTE_BYTES 16u
#define VTD_IRTE_P (1ull << 0)
#define VTD_IRTE_FPD (1ull << 1)
#define VTD_IRTE_DM (1ull << 2)  /* remapped: destination mode */
#define VTD_IRTE_RH (1ull << 3)  /* remapped: redirection hint */
#define VTD_IRTE_TM (1ull << 4)  /* remapped: trigger mode */
#define VTD_IRTE_DLM_SHIFT 5     /* remapped: delivery mode, bits 7:5 */
#define VTD_IRTE_URG (1ull << 14) /* posted: urgent */
#define VTD_IRTE_IM (1ull << 15) /* IRTE mode: 0 remapped, 1 posted */
#define VTD_IRTE_VECTOR_SHIFT 16 /* bits 23:16: vector (posted: virtual vector) */
#define VTD_IRTE_VECTOR_MASK (0xFFull << 16)
#define VTD_IRTE_DST_SHIFT 32    /* remapped: destination id, bits 63:32 */
#define VTD_IRTE_PDA_LO_SHIFT 38 /* posted: descriptor address bits 31:6 in 63:38 */
#define VTD_IRTE_RSVD_LO_REMAP 0x00000000FF007000ull  /* bits 31:24 and 14:12 */
#define VTD_IRTE_RSVD_LO_POSTED 0x0000003FFF0030FCull /* bits 37:24, 13:12 and 7:2 */
/* High 64 bits. */
#define VTD_IRTE_SID_MASK 0xFFFFull      /* source id, bits 79:64 */
#define VTD_IRTE_SQ_SHIFT 16             /* source-id qualifier, bits 81:80 */
#define VTD_IRTE_SVT_SHIFT 18            /* source validation type, bits 83:82 */
#define VTD_IRTE_SVT_NONE 0u
#define VTD_IRTE_SVT_SID 1u              /* verify requester id against SID/SQ */
#define VTD_IRTE_SVT_BUS 2u              /* verify the bus is in [SID 15:8, SID 7:0] */
#define VTD_IRTE_PDA_HI_SHIFT 32         /* posted: descriptor address bits 63:32 */

/* Posted-interrupt descriptor (9.11): 64 bytes, 64-byte aligned. */
#define VTD_PID_BYTES 64u
#define VTD_PID_PIR_OFF 0   /* bits 255:0: posted interrupt requests, one per vector */
#define VTD_PID_CTL_OFF 32  /* bits 319:256 */
#define VTD_PID_ON (1ull << 0)  /* outstanding notification */
#define VTD_PID_SN (1ull << 1)  /* suppress notification */
#define VTD_PID_NV_SHIFT 16     /* notification vector, bits 279:272 */
#define VTD_PID_NDST_SHIFT 32   /* notification destination, bits 319:288 */

#endif
