#include "host/vdcm.h"

/* No measurement of the VDCM's emulation is published (HD-IOV, EuroSys 2024, gives
 * only ratios): the default is an assumption, a few thousand cycles of kernel work
 * behind the vfio region access QEMU makes (the exit itself is hv.mmio_user_exit_cycles). */
static const sim_param_def vdcm_params[] = {
    {"siov.vdcm_access_cycles", SIM_PARAM_UINT, "2000", "0..10000000", "cycles",
     "io.path = siov: the host VDCM's emulation of one trapped access of an ADI's slow-path "
     "registers (its virtchnl mailbox), after the exit to user space; assumed, no "
     "measurement is known",
     SIM_AT(vdcm_cfg, access_cycles)},
};

void vdcm_register_params(sim_params *p)
{
    sim_params_add_table(p, vdcm_params, SIM_TABLE_LEN(vdcm_params));
}

vdcm_cfg vdcm_cfg_load(const sim_params *p)
{
    vdcm_cfg c;
    sim_params_load_table(p, vdcm_params, SIM_TABLE_LEN(vdcm_params), &c);
    return c;
}

/* iavf's bring-up (iavf_main.c: the init state machine, then iavf_open's
 * iavf_configure): the virtchnl opcodes, in the order it sends them. */
static const char *const init_requests[] = {
    "VIRTCHNL_OP_VERSION",        "VIRTCHNL_OP_GET_VF_RESOURCES", "VIRTCHNL_OP_CONFIG_VSI_QUEUES",
    "VIRTCHNL_OP_CONFIG_IRQ_MAP", "VIRTCHNL_OP_ADD_ETH_ADDR",     "VIRTCHNL_OP_CONFIG_RSS_KEY",
    "VIRTCHNL_OP_CONFIG_RSS_LUT", "VIRTCHNL_OP_ENABLE_QUEUES",
};

unsigned vdcm_init_requests(void) { return SIM_TABLE_LEN(init_requests); }

const char *vdcm_init_request_name(unsigned i)
{
    return i < SIM_TABLE_LEN(init_requests) ? init_requests[i] : "?";
}

uint64_t vdcm_access(const vdcm_cfg *c, hv *h, unsigned vcpu_core, vdcm_counters *ctr,
                     uint64_t t_ps)
{
    ctr->accesses++;
    return hv_exit_user(h, vcpu_core, t_ps, c->access_cycles);
}

uint64_t vdcm_adi_init(const vdcm_cfg *c, hv *h, unsigned vcpu_core, vdcm_counters *ctr,
                       uint64_t t_ps)
{
    uint64_t t = t_ps;
    for (unsigned r = 0; r < vdcm_init_requests(); r++) {
        ctr->requests++;
        for (unsigned a = 0; a < VDCM_ACCESSES_PER_REQUEST; a++)
            t = vdcm_access(c, h, vcpu_core, ctr, t);
    }
    return t;
}
