/* The PCI glue every endpoint function of a device model shares, beside its device core
 * (QEMU's split: the PCI glue, the device, the VF). No timing lives here.
 *
 * Configuration space. A function's space is built in the order that fixes its
 * capabilities' offsets: the header's memory BARs, the PCI Express capability (an
 * endpoint; Function Level Reset supported; Extended Tag Field supported where the
 * device sets it), MSI-X with its table and PBA in a BAR, and the
 * negotiated link's speed and width in Link Status. A PF's ARI and SR-IOV capabilities
 * are the caller's (pcie/sriov.h), after this.
 *
 * Device Control. A write asks for one of two things: Initiate Function Level Reset (the
 * bit reads 0: the request is the value written, PCIe 7.5.3.4), or new settings, of
 * which the PF's Max_Payload_Size and Max_Read_Request_Size govern the DMA engine of
 * every function of the device (a VF's fields are reserved, SR-IOV 3.5.4). */
#ifndef MODELS_PCIE_ENDPOINT_H
#define MODELS_PCIE_ENDPOINT_H

#include <stdbool.h>
#include <stdint.h>

#include "models/pcie/cfgspace.h"
#include "models/pcie/dma.h"
#include "models/pcie/link.h"

#define PCIE_ENDPOINT_MAX_BARS 2

typedef struct pcie_endpoint_bar {
    uint8_t index;
    uint64_t bytes;
    bool is_64bit, prefetchable;
} pcie_endpoint_bar;

typedef struct pcie_endpoint_info {
    uint16_t vendor_id, device_id; /* FFFFh for a VF (SR-IOV 3.4.1.1, 3.4.1.2) */
    uint32_t class_code;
    bool ext_tag;                  /* Extended Tag Field Supported (the models' PFs) */
    unsigned mps_supported_bytes;  /* Device Capabilities' Max_Payload_Size Supported */
    const pcie_link_cfg *link;     /* the device's link: its speed and width (not NULL) */
    pcie_endpoint_bar bars[PCIE_ENDPOINT_MAX_BARS]; /* a VF's are in its PF's SR-IOV cap */
    unsigned nbars;                /* at most PCIE_ENDPOINT_MAX_BARS */
    unsigned msix_vectors;
    uint8_t msix_bar;              /* the BAR of the MSI-X table and PBA */
    uint32_t msix_table_offset, msix_pba_offset;
} pcie_endpoint_info;

/* The function's configuration space, *exp_off its PCI Express capability's offset;
 * NULL (nothing kept) when a BAR or capability does not fit. */
pcie_cfg *pcie_endpoint_cfg_create(const pcie_endpoint_info *info, uint16_t *exp_off);

typedef enum {
    PCIE_DEVCTL_UNTOUCHED, /* the write did not reach Device Control */
    PCIE_DEVCTL_FLR,       /* Initiate Function Level Reset */
    PCIE_DEVCTL_SETTINGS,  /* other fields: MPS and MRRS among them */
} pcie_devctl_request;

/* What a configuration write w asks of the function whose Express capability is at
 * exp_off. */
pcie_devctl_request pcie_endpoint_devctl_request(const pcie_cfg_write_info *w, uint16_t exp_off);

/* A function's DMA engine follows its PF's Max_Payload_Size and Max_Read_Request_Size
 * (nothing while either reads 0 or dma is NULL). */
void pcie_endpoint_apply_pf_limits(pcie_dma *dma, const pcie_cfg *pf);

#endif
