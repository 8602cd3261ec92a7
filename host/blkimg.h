/* The back ends' disk images: what an emulated disk, virtio-blk or blkback reads and
 * writes on the host for a VM. Each VM's disk is a raw image file of img.bytes on the
 * host's file system on the drive's namespace 1, preallocated and contiguous (its
 * extents laid out in order, as fallocate leaves a new file on an empty file system),
 * VM i's at byte i x img.bytes of the namespace. The VM sees a disk of img.bytes in
 * 512-byte sectors (the virtual devices' logical block); its sector N is the file's byte
 * N x 512, and the drive's block (i x img.bytes + N x 512) / the drive's block size.
 * The file system's per-I/O cost (its direct-I/O mapping) is the back end's
 * img.submit_cycles.
 *
 * img.cache says how QEMU opens the file: none (the default), O_DIRECT, every request
 * to the drive through the host's NVMe driver; writeback, buffered through the host's
 * page cache (host/pcache.h): reads the cache holds and every write complete in the back
 * end after a copy, misses and readahead read from the drive, a flusher writes dirty
 * pages back, a writer above the dirty limit waits (host/blkpath/cache.c). Only QEMU's
 * back ends read images through the host's file system; Xen's blkback submits bios to
 * the device (the storage kind refuses writeback with devdomain).
 *
 * img.kind = null stands for QEMU's null-co block driver: a request completes at once
 * with no I/O (its measurements isolate a virtual device's own cost). */
#ifndef HOST_BLKIMG_H
#define HOST_BLKIMG_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/err.h"
#include "sim/params.h"

#define BLK_IMG_SECTOR_BYTES 512u

typedef struct blk_img blk_img;

void blk_img_register_params(sim_params *p);
/* vms images within a namespace of ns_bytes in blocks of lba_bytes. */
int blk_img_check(const sim_params *p, unsigned vms, uint64_t ns_bytes, uint32_t lba_bytes,
                  sim_err *e);
blk_img *blk_img_create(const sim_params *p, unsigned vms, uint32_t dev_lba_bytes);
void blk_img_destroy(blk_img *g);
/* A VM's disk, in bytes. */
uint64_t blk_img_bytes(const blk_img *g);
bool blk_img_null(const blk_img *g);
/* img.cache = writeback on a raw image: the back end's I/O goes through the host's page
 * cache (host/pcache.h). */
bool blk_img_cached(const blk_img *g);
/* The drive's block of VM vm's sectors [slba, slba + nlb): false when they are not all
 * in its image, or do not start and end on the drive's blocks. */
bool blk_img_map(const blk_img *g, unsigned vm, uint64_t slba, uint32_t nlb, uint64_t *dev_slba,
                 uint32_t *dev_nlb);

#endif
