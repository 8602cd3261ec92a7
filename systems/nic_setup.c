#include "systems/nic_setup.h"

#include "host/nicdrv.h"
#include "host/pfdrv.h"
#include "models/nic/partner.h"

int nic_setup_check(const sim_params *p, sim_err *e)
{
    if (platform_check(p, e) < 0 || nic_check(p, PLATFORM_DEVICE_RID, e) < 0 ||
        nic_drv_check(p, e) < 0 || nic_partner_check(p, e) < 0)
        return -1;
    return 0;
}

int nic_setup_plug(platform *pf, const sim_ctx *ctx, unsigned vfs, nic **out, sim_err *e)
{
    const sim_params *p = ctx->params;
    nic_env env = {ctx->kernel, ctx->stats, pf->link, pf->rc, pf->bus, PLATFORM_DEVICE_RID};
    *out = nic_create(p, &env, e);
    if (!*out)
        return -1;
    if (pf->obs.nic_wire)
        nic_set_wire_tap(*out, pf->obs.nic_wire, pf->obs.nic_wire_ctx);
    if (pf->obs.timeline)
        nic_set_timeline(*out, pf->obs.timeline);
    uint64_t mmio_base = nic_caps_of(p).mmio_base;
    if (!platform_boot(pf, mmio_base, PLATFORM_MMIO_WINDOW_BYTES, e))
        return -1;
    pfdrv_env drv = {ctx->kernel,         *out,      pf->bus,
                     PLATFORM_DEVICE_RID, mmio_base, PLATFORM_MMIO_WINDOW_BYTES};
    if (vfs && pfdrv_sriov_configure(p, &drv, vfs, e) < 0)
        return -1;
    return 0;
}
