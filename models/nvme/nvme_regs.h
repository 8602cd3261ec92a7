/* NVMe controller registers, queue entry formats, opcodes and status codes, named and
 * laid out as the NVM Express Base Specification 1.4 (June 2019) gives them; section
 * numbers below are that document's. Entries in host memory are little-endian bytes:
 * the model reads and writes them through these offsets, never as C structs. */
#ifndef MODELS_NVME_NVME_REGS_H
#define MODELS_NVME_NVME_REGS_H

#include <stdint.h>

/* ---- Identity ------------------------------------------------------------------------ */

#define NVME_VENDOR_ID 0x144du     /* a Samsung-class PF (vendor ID of the drive family) */
#define NVME_PF_DEVICE_ID 0xa824u
#define NVME_VF_DEVICE_ID 0xa824u
#define NVME_CLASS_CODE 0x010802u  /* mass storage, NVM controller, NVM Express I/O */
#define NVME_VERSION 0x00010400u   /* VS: 1.4.0 */

/* ---- BAR0 (3.1): registers, doorbells, then the MSI-X table and PBA -------------------- */

#define NVME_BAR_REGS 0u
#define NVME_BAR0_BYTES 0x4000u
#define NVME_REG_CAP 0x00u   /* Controller Capabilities, 64 bits */
#define NVME_REG_VS 0x08u    /* Version */
#define NVME_REG_INTMS 0x0cu /* Interrupt Mask Set (pin and MSI only) */
#define NVME_REG_INTMC 0x10u /* Interrupt Mask Clear */
#define NVME_REG_CC 0x14u    /* Controller Configuration */
#define NVME_REG_CSTS 0x1cu  /* Controller Status */
#define NVME_REG_AQA 0x24u   /* Admin Queue Attributes */
#define NVME_REG_ASQ 0x28u   /* Admin Submission Queue Base Address, 64 bits */
#define NVME_REG_ACQ 0x30u   /* Admin Completion Queue Base Address, 64 bits */
#define NVME_REG_DBS 0x1000u /* doorbells: SQ y tail at DBS + 2y x stride, CQ y head next */
#define NVME_DSTRD 0u        /* CAP.DSTRD: doorbells 4 << 0 bytes apart */
#define NVME_DB_STRIDE_BYTES (4u << NVME_DSTRD)
#define NVME_MSIX_TABLE_OFFSET 0x2000u
#define NVME_MSIX_PBA_OFFSET 0x3000u
#define NVME_MAX_VECTORS 256u /* the MSI-X table's room in BAR0: 256 entries of 16 bytes */
#define NVME_MAX_QUEUES 128u  /* queue IDs 0..127: their doorbells fit below the table */
_Static_assert(NVME_REG_DBS + 2u * NVME_MAX_QUEUES * NVME_DB_STRIDE_BYTES <= NVME_MSIX_TABLE_OFFSET,
               "doorbells end before the MSI-X table");
_Static_assert(NVME_MSIX_TABLE_OFFSET + 16u * NVME_MAX_VECTORS <= NVME_MSIX_PBA_OFFSET,
               "the MSI-X table ends before the PBA");

/* CAP (3.1.1) */
#define NVME_CAP_MQES(v) ((uint64_t)(v) & 0xffffu)   /* Maximum Queue Entries Supported, 0's based */
#define NVME_CAP_CQR (1ull << 16)                    /* Contiguous Queues Required */
#define NVME_CAP_TO(v) ((uint64_t)((v) & 0xffu) << 24) /* Timeout, 500 ms units */
#define NVME_CAP_DSTRD(v) ((uint64_t)((v) & 0xfu) << 32)
#define NVME_CAP_CSS_NVM (1ull << 37)               /* NVM command set */
#define NVME_CAP_MPSMIN(v) ((uint64_t)((v) & 0xfu) << 48) /* 2 ^ (12 + MPSMIN) */
#define NVME_CAP_MPSMAX(v) ((uint64_t)((v) & 0xfu) << 52)

/* CC (3.1.5) */
#define NVME_CC_EN 0x1u
#define NVME_CC_MPS(cc) (((cc) >> 7) & 0xfu)      /* host page size 2 ^ (12 + MPS) */
#define NVME_CC_SHN(cc) (((cc) >> 14) & 0x3u)     /* shutdown notification */
#define NVME_CC_IOSQES(cc) (((cc) >> 16) & 0xfu)  /* I/O SQ entry size, log2 */
#define NVME_CC_IOCQES(cc) (((cc) >> 20) & 0xfu)  /* I/O CQ entry size, log2 */
#define NVME_CC_WMASK 0x00fffff1u                 /* EN, CSS, MPS, AMS, SHN, IOSQES, IOCQES */

/* CSTS (3.1.6) */
#define NVME_CSTS_RDY 0x1u
#define NVME_CSTS_CFS 0x2u                        /* Controller Fatal Status */
#define NVME_CSTS_SHST_COMPLETE (0x2u << 2)       /* shutdown processing complete */

/* AQA (3.1.8): sizes 0's based */
#define NVME_AQA_ASQS(v) ((v) & 0xfffu)
#define NVME_AQA_ACQS(v) (((v) >> 16) & 0xfffu)

/* ---- Queue entries (4.2, 4.6) ----------------------------------------------------------- */

#define NVME_SQE_BYTES 64u
#define NVME_CQE_BYTES 16u
#define NVME_SQES_LOG2 6u
#define NVME_CQES_LOG2 4u
_Static_assert(NVME_SQE_BYTES == 1u << NVME_SQES_LOG2 && NVME_CQE_BYTES == 1u << NVME_CQES_LOG2,
               "entry sizes are what CC.IOSQES and CC.IOCQES encode");

/* Submission entry: byte offsets of its DWORDs (Figure 104). */
#define NVME_SQE_CDW0 0u   /* opcode 7:0, fused 9:8, PSDT 15:14, command identifier 31:16 */
#define NVME_SQE_NSID 4u
#define NVME_SQE_PRP1 24u  /* Data Pointer: PRP Entry 1, 64 bits */
#define NVME_SQE_PRP2 32u  /* PRP Entry 2 or a PRP list pointer, 64 bits */
#define NVME_SQE_CDW10 40u
#define NVME_SQE_CDW11 44u
#define NVME_SQE_CDW12 48u
#define NVME_SQE_OPC(cdw0) ((cdw0) & 0xffu)
#define NVME_SQE_PSDT(cdw0) (((cdw0) >> 14) & 0x3u) /* 0: PRPs; SGLs are not supported */
#define NVME_SQE_CID(cdw0) ((cdw0) >> 16)

/* Completion entry: DWORD 0 command specific, DWORD 2 SQ head and SQ ID, DWORD 3
 * command identifier, phase tag and status (Figure 121). */
#define NVME_CQE_DW0 0u
#define NVME_CQE_SQHD 8u   /* 16 bits */
#define NVME_CQE_SQID 10u  /* 16 bits */
#define NVME_CQE_CID 12u   /* 16 bits */
#define NVME_CQE_STATUS 14u /* 16 bits: phase tag bit 0, status field 15:1 */
#define NVME_CQE_PHASE 0x1u
#define NVME_CQE_SF(sct, sc) ((uint16_t)((((sct) & 0x7u) << 8 | ((sc) & 0xffu)) << 1))
#define NVME_CQE_DNR 0x8000u

/* ---- Status codes (4.6.1.2) ------------------------------------------------------------- */

enum nvme_sct { NVME_SCT_GENERIC = 0, NVME_SCT_CMD_SPECIFIC = 1 };
enum nvme_sc_generic {
    NVME_SC_SUCCESS = 0x00,
    NVME_SC_INVALID_OPCODE = 0x01,
    NVME_SC_INVALID_FIELD = 0x02,
    NVME_SC_DATA_XFER_ERROR = 0x04,
    NVME_SC_INVALID_NS = 0x0b,
    NVME_SC_CMD_SEQ_ERROR = 0x0c,
    NVME_SC_PRP_OFFSET_INVALID = 0x13,
    NVME_SC_LBA_RANGE = 0x80,
};
enum nvme_sc_cmd {
    NVME_SC_CQ_INVALID = 0x00,
    NVME_SC_QID_INVALID = 0x01,
    NVME_SC_QUEUE_SIZE = 0x02,
    NVME_SC_INVALID_VECTOR = 0x08,
    NVME_SC_INVALID_QUEUE_DELETION = 0x0c,
    NVME_SC_NS_ALREADY_ATTACHED = 0x18,
    NVME_SC_NS_NOT_ATTACHED = 0x1a,
    NVME_SC_CTRL_LIST_INVALID = 0x1c,
    NVME_SC_INVALID_CTRL_ID = 0x1f,
    NVME_SC_INVALID_SEC_CTRL_STATE = 0x20,
    NVME_SC_INVALID_NUM_RESOURCES = 0x21,
    NVME_SC_INVALID_RESOURCE_ID = 0x22,
};

/* ---- Admin commands (5) ----------------------------------------------------------------- */

enum nvme_admin_opc {
    NVME_ADM_DELETE_SQ = 0x00,
    NVME_ADM_CREATE_SQ = 0x01,
    NVME_ADM_DELETE_CQ = 0x04,
    NVME_ADM_CREATE_CQ = 0x05,
    NVME_ADM_IDENTIFY = 0x06,
    NVME_ADM_SET_FEATURES = 0x09,
    NVME_ADM_GET_FEATURES = 0x0a,
    NVME_ADM_NS_ATTACH = 0x15,
    NVME_ADM_VIRT_MGMT = 0x1c,
};

/* Create I/O CQ / SQ (5.3, 5.4): CDW10 QSIZE 31:16 (0's based) and QID 15:0; CQ's CDW11
 * IV 31:16, IEN bit 1, PC bit 0; SQ's CDW11 CQID 31:16, PC bit 0. */
#define NVME_CDW10_QID(v) ((v) & 0xffffu)
#define NVME_CDW10_QSIZE(v) ((v) >> 16)
#define NVME_CQ_CDW11_PC 0x1u
#define NVME_CQ_CDW11_IEN 0x2u
#define NVME_CQ_CDW11_IV(v) ((v) >> 16)
#define NVME_SQ_CDW11_PC 0x1u
#define NVME_SQ_CDW11_CQID(v) ((v) >> 16)

/* Identify (5.15): CNS in CDW10 7:0, CNTID 31:16; 4 KiB of data to PRP1. */
#define NVME_IDENTIFY_BYTES 4096u
enum nvme_cns {
    NVME_CNS_NS = 0x00,
    NVME_CNS_CTRL = 0x01,
    NVME_CNS_ACTIVE_NS_LIST = 0x02,
    NVME_CNS_PRIMARY_CAPS = 0x14,
    NVME_CNS_SECONDARY_LIST = 0x15,
};
/* Identify Controller (Figure 247): byte offsets of the fields the model fills. */
#define NVME_IDC_VID 0u
#define NVME_IDC_MDTS 77u     /* max transfer 2 ^ MDTS x CAP.MPSMIN pages */
#define NVME_IDC_CMIC 76u     /* bit 1: two or more controllers in the subsystem */
#define NVME_IDC_CNTLID 78u
#define NVME_IDC_VER 80u
#define NVME_IDC_CNTRLTYPE 111u /* 1: I/O controller */
#define NVME_IDC_OACS 256u      /* bit 3 namespace management, bit 7 virtualization management */
#define NVME_IDC_SQES 512u
#define NVME_IDC_CQES 513u
#define NVME_IDC_NN 516u
#define NVME_OACS_NS_MGMT 0x0008u
#define NVME_OACS_VIRT_MGMT 0x0080u
/* Identify Namespace (Figure 245) */
#define NVME_IDNS_NSZE 0u
#define NVME_IDNS_NCAP 8u
#define NVME_IDNS_NUSE 16u
#define NVME_IDNS_NMIC 30u    /* bit 0: may be attached to two or more controllers */
#define NVME_IDNS_LBAF0 128u  /* LBA format 0: LBADS in bits 23:16 */
/* Primary Controller Capabilities (Figure 250) */
#define NVME_PCC_CNTLID 0u
#define NVME_PCC_CRT 4u       /* bit 0 VQ, bit 1 VI resources supported */
#define NVME_PCC_VQFRT 32u
#define NVME_PCC_VQRFA 36u
#define NVME_PCC_VQPRT 42u
#define NVME_PCC_VQFRSM 44u
#define NVME_PCC_VQGRAN 46u
#define NVME_PCC_VIFRT 64u
#define NVME_PCC_VIRFA 68u
#define NVME_PCC_VIPRT 74u
#define NVME_PCC_VIFRSM 76u
#define NVME_PCC_VIGRAN 78u
/* Secondary Controller List (Figure 251, 252): a count, then 32-byte entries from 32. */
#define NVME_SCL_ENTRIES 32u
#define NVME_SCL_ENTRY_BYTES 32u
#define NVME_SCE_SCID 0u
#define NVME_SCE_PCID 2u
#define NVME_SCE_SCS 4u       /* bit 0: Online */
#define NVME_SCE_VFN 8u
#define NVME_SCE_NVQ 10u
#define NVME_SCE_NVI 12u

/* Set / Get Features (5.21): FID in CDW10 7:0. */
enum nvme_fid {
    NVME_FID_NUM_QUEUES = 0x07,  /* CDW11: NCQR 31:16, NSQR 15:0, 0's based */
    NVME_FID_IRQ_COALESCE = 0x08, /* CDW11: TIME 15:8 (100 us units), THR 7:0 (0's based) */
    NVME_FID_IRQ_CONFIG = 0x09,   /* CDW11: CD bit 16 (coalescing disable), IV 15:0 */
};
#define NVME_COALESCE_TIME_UNIT_PS 100000000ull /* 100 microseconds */
#define NVME_IRQ_CONFIG_CD (1u << 16)

/* Namespace Attachment (5.20): CDW10 SEL 3:0 (0 attach, 1 detach); data: a controller
 * list, a 16-bit count then 16-bit identifiers. */
#define NVME_NS_ATTACH 0u
#define NVME_NS_DETACH 1u
#define NVME_CTRL_LIST_BYTES 4096u

/* Virtualization Management (5.22): CDW10 ACT 3:0, RT 10:8, CNTLID 31:16; CDW11 NR 15:0. */
enum nvme_virt_act {
    NVME_VIRT_PRIMARY_FLEX = 0x1,
    NVME_VIRT_SEC_OFFLINE = 0x7,
    NVME_VIRT_SEC_ASSIGN = 0x8,
    NVME_VIRT_SEC_ONLINE = 0x9,
};
enum nvme_virt_rt { NVME_VIRT_RT_VQ = 0, NVME_VIRT_RT_VI = 1 };
#define NVME_VIRT_ACT(cdw10) ((cdw10) & 0xfu)
#define NVME_VIRT_RT(cdw10) (((cdw10) >> 8) & 0x7u)
#define NVME_VIRT_CNTLID(cdw10) ((cdw10) >> 16)

/* ---- NVM commands (6) ------------------------------------------------------------------- */

enum nvme_io_opc { NVME_IO_FLUSH = 0x00, NVME_IO_WRITE = 0x01, NVME_IO_READ = 0x02 };
/* Read / Write: SLBA in CDW10-11, NLB (0's based) in CDW12 15:0. */
#define NVME_CDW12_NLB(v) ((v) & 0xffffu)

/* PRP entries (4.3): 8 bytes; list entries and PRP2 must be page aligned. */
#define NVME_PRP_BYTES 8u

#endif
