/* A device's DMA engine: turns "read or write this buffer" into TLPs with the
 * function's requester ID, honouring MRRS/MPS splits, 4 KiB boundaries and the tag
 * limit on outstanding reads, and drives them through the link and the root complex.
 * Timing by reservation: a call returns when the transfer is done and schedules
 * nothing, so a DMA costs the caller at most one event (its completion). */
#ifndef MODELS_PCIE_DMA_H
#define MODELS_PCIE_DMA_H

#include <stdbool.h>
#include <stdint.h>

#include "models/pcie/link.h"
#include "models/pcie/rc.h"
#include "sim/stats.h"

typedef struct pcie_dma pcie_dma;

/* `tags`: outstanding non-posted requests allowed (pcie.tags). */
pcie_dma *pcie_dma_create(pcie_link *link, pcie_rc *rc, uint16_t rid, uint32_t tags);
void pcie_dma_destroy(pcie_dma *d);

/* Read [addr, addr+len) into the device, starting no earlier than t_ps: the time the
 * last completion has arrived. *ur (may be NULL) is set if any request was blocked, or
 * if the buffer runs past 2^64 (a guest's address: no request goes beyond, as none can
 * cross that 4 KiB boundary). Writes past 2^64 likewise stop there. */
uint64_t pcie_dma_read(pcie_dma *d, uint64_t t_ps, uint64_t addr, uint64_t len, bool *ur);
/* The same, and the bytes read are copied to buf (len bytes; the part of a refused
 * request is left alone) when the root complex has host memory's contents. */
uint64_t pcie_dma_read_into(pcie_dma *d, uint64_t t_ps, uint64_t addr, uint64_t len, void *buf,
                            bool *ur);
/* Write [addr, addr+len) from the device: the time host memory has accepted the last
 * byte (writes are posted: the device itself is free once its TLPs are on the wire). */
uint64_t pcie_dma_write(pcie_dma *d, uint64_t t_ps, uint64_t addr, uint64_t len);
/* The same, carrying buf's len bytes into host memory's contents (pcie_rc_write_from:
 * they change at once, ahead of the returned time). */
uint64_t pcie_dma_write_from(pcie_dma *d, uint64_t t_ps, uint64_t addr, uint64_t len,
                             const void *buf);
/* pcie_dma_read and pcie_dma_write for requests carrying a PASID (PCIE_NO_PASID: none,
 * the same as those): each request is the PASID's bytes longer on the wire
 * (pcie_tlp_pasid_bytes) and is translated with it. */
uint64_t pcie_dma_read_pasid(pcie_dma *d, uint64_t t_ps, uint64_t addr, uint64_t len,
                             uint32_t pasid, bool *ur);
uint64_t pcie_dma_write_pasid(pcie_dma *d, uint64_t t_ps, uint64_t addr, uint64_t len,
                              uint32_t pasid);
/* An MSI/MSI-X: a 4-byte MWr of `data` to `addr`, without a PASID. Returns its arrival at the root
 * complex (after which the interrupt hook runs). */
uint64_t pcie_dma_msi(pcie_dma *d, uint64_t t_ps, uint64_t addr, uint32_t data);

uint16_t pcie_dma_rid(const pcie_dma *d);
/* The function's Device Control MPS and MRRS, as system software programmed them
 * (until called: the link's configuration). */
void pcie_dma_set_limits(pcie_dma *d, uint32_t mps_bytes, uint32_t mrrs_bytes);

#endif
