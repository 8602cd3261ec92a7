#include "host/blkimg.h"

#include <stdlib.h>

#include "sim/alloc.h"

typedef struct img_cfg {
    uint64_t bytes;
    uint32_t kind;
    uint32_t cache;
} img_cfg;

enum { IMG_RAW, IMG_NULL };
enum { IMG_CACHE_NONE, IMG_CACHE_WRITEBACK };

static const sim_param_def img_params[] = {
    {"img.bytes", SIM_PARAM_UINT, "64GiB", "1MiB..1024TiB", "bytes",
     "Each VM's disk image (a raw file, preallocated): the disk the VM sees",
     SIM_AT(img_cfg, bytes)},
    {"img.kind", SIM_PARAM_ENUM, "raw", "raw|null", "",
     "raw: a file on the drive (img.cache: how QEMU opens it); null: QEMU's null-co, every "
     "request done at once",
     SIM_AT(img_cfg, kind)},
    {"img.cache", SIM_PARAM_ENUM, "none", "none|writeback", "",
     "QEMU's cache mode of a raw image: none, O_DIRECT to the drive; writeback, through the "
     "host's page cache (pagecache.*); QEMU's back ends only (emulated, paravirt)",
     SIM_AT(img_cfg, cache)},
};

struct blk_img {
    img_cfg c;
    unsigned vms;
    uint32_t dev_lba_bytes;
};

void blk_img_register_params(sim_params *p)
{
    sim_params_add_table(p, img_params, SIM_TABLE_LEN(img_params));
}

static img_cfg img_cfg_load(const sim_params *p)
{
    img_cfg c;
    sim_params_load_table(p, img_params, SIM_TABLE_LEN(img_params), &c);
    return c;
}

int blk_img_check(const sim_params *p, unsigned vms, uint64_t ns_bytes, uint32_t lba_bytes,
                  sim_err *e)
{
    img_cfg c = img_cfg_load(p);
    if (c.bytes % lba_bytes || c.bytes % BLK_IMG_SECTOR_BYTES)
        return sim_err_set(e, "img.bytes = %llu: a multiple of the drive's blocks "
                              "(nvme.lba_bytes = %u)", (unsigned long long)c.bytes, lba_bytes);
    if (c.kind == IMG_RAW && (ns_bytes / c.bytes < vms))
        return sim_err_set(e, "%u images of img.bytes = %llu do not fit the drive's namespace of "
                              "%llu bytes", vms, (unsigned long long)c.bytes,
                           (unsigned long long)ns_bytes);
    return 0;
}

blk_img *blk_img_create(const sim_params *p, unsigned vms, uint32_t dev_lba_bytes)
{
    blk_img *g = sim_xcalloc(1, sizeof *g);
    g->c = img_cfg_load(p);
    g->vms = vms;
    g->dev_lba_bytes = dev_lba_bytes;
    return g;
}

void blk_img_destroy(blk_img *g) { free(g); }
uint64_t blk_img_bytes(const blk_img *g) { return g->c.bytes; }
bool blk_img_null(const blk_img *g) { return g->c.kind == IMG_NULL; }
bool blk_img_cached(const blk_img *g)
{
    return g->c.kind == IMG_RAW && g->c.cache == IMG_CACHE_WRITEBACK;
}

bool blk_img_map(const blk_img *g, unsigned vm, uint64_t slba, uint32_t nlb, uint64_t *dev_slba,
                 uint32_t *dev_nlb)
{
    uint64_t sectors = g->c.bytes / BLK_IMG_SECTOR_BYTES;
    if (vm >= g->vms || slba >= sectors || nlb > sectors - slba)
        return false;
    uint64_t off = (uint64_t)vm * g->c.bytes + slba * BLK_IMG_SECTOR_BYTES;
    uint64_t len = (uint64_t)nlb * BLK_IMG_SECTOR_BYTES;
    if (off % g->dev_lba_bytes || len % g->dev_lba_bytes)
        return false;
    *dev_slba = off / g->dev_lba_bytes;
    *dev_nlb = (uint32_t)(len / g->dev_lba_bytes);
    return true;
}
