/* vhost-vdpa's control path: vdpactl.h. */
#include "host/vdpactl.h"

/* No measurement of QEMU's virtio-pci emulation or of a vhost-vdpa ioctl was found:
 * both are assumptions, the first as the VDCM's (siov.vdcm_access_cycles), the second a
 * system call into vhost-vdpa and its parent driver's callback. */
static const sim_param_def vdpactl_params[] = {
    {"vdpa.ctrl_access_cycles", SIM_PARAM_UINT, "2000", "0..10000000", "cycles",
     "io.path = vdpa: QEMU's emulation of one trapped access of the virtio common "
     "configuration (virtio_pci_common_write or _read) after the exit to user space, at the "
     "device's bring-up; assumed, no measurement is known",
     SIM_AT(vdpactl_cfg, access_cycles)},
    {"vdpa.ioctl_cycles", SIM_PARAM_UINT, "5000", "0..100000000", "cycles",
     "io.path = vdpa: one ioctl QEMU makes on the vhost-vdpa device when the guest sets "
     "DRIVER_OK (vhost_vdpa_dev_start), its parent driver's firmware commands not "
     "included; assumed, no measurement is known",
     SIM_AT(vdpactl_cfg, ioctl_cycles)},
};

void vdpactl_register_params(sim_params *p)
{
    sim_params_add_table(p, vdpactl_params, SIM_TABLE_LEN(vdpactl_params));
}

vdpactl_cfg vdpactl_cfg_load(const sim_params *p)
{
    vdpactl_cfg c;
    sim_params_load_table(p, vdpactl_params, SIM_TABLE_LEN(vdpactl_params), &c);
    return c;
}

/* The driver's accesses to the device's common configuration (virtio_pci_modern_dev.c,
 * virtio.c virtio_dev_probe, virtio_net.c virtnet_probe): reset, status, both feature
 * words read and written through their selects, FEATURES_OK and its check, the
 * configuration vector; then each virtqueue's (vp_modern_setup_vq, vp_active_vq,
 * vp_modern_set_queue_enable); DRIVER_OK last, whose handler starts the vhost device. */
static const char *const device_accesses[] = {
    "device_status = 0",         "device_status |= ACKNOWLEDGE", "device_status |= DRIVER",
    "device_feature_select = 0", "device_feature",               "device_feature_select = 1",
    "device_feature",            "driver_feature_select = 0",    "driver_feature",
    "driver_feature_select = 1", "driver_feature",               "device_status |= FEATURES_OK",
    "device_status",             "msix_config",
};
static const char *const vq_accesses[] = {
    "queue_select",    "queue_size",      "queue_msix_vector", "queue_msix_vector",
    "queue_desc_lo",   "queue_desc_hi",   "queue_driver_lo",   "queue_driver_hi",
    "queue_device_lo", "queue_device_hi", "queue_notify_off",  "queue_enable",
};
static const char *const last_access = "device_status |= DRIVER_OK";

/* QEMU's ioctls from DRIVER_OK's handler (vhost_dev_start with vhost_vdpa's backend
 * ops): the features and the guest's memory in the device's IOTLB as one batch (one
 * region); each virtqueue's (vhost_virtqueue_start, vhost_vdpa_set_vring_ready); the
 * status last. */
static const char *const device_ioctls[] = {
    "VHOST_SET_FEATURES",
    "VHOST_IOTLB_BATCH_BEGIN",
    "VHOST_IOTLB_UPDATE",
    "VHOST_IOTLB_BATCH_END",
};
static const char *const vq_ioctls[] = {
    "VHOST_SET_VRING_NUM",  "VHOST_SET_VRING_BASE", "VHOST_SET_VRING_ADDR",
    "VHOST_SET_VRING_KICK", "VHOST_SET_VRING_CALL", "VHOST_VDPA_SET_VRING_ENABLE",
};
static const char *const last_ioctl = "VHOST_VDPA_SET_STATUS";

/* A sequence: the device's steps, each virtqueue's, and the last one. */
typedef struct seq {
    const char *const *dev, *const *vq, *last;
    unsigned n_dev, n_vq;
} seq;
#define SEQ(d, v, l) {(d), (v), (l), (unsigned)SIM_TABLE_LEN(d), (unsigned)SIM_TABLE_LEN(v)}
static const seq accesses = SEQ(device_accesses, vq_accesses, last_access);
static const seq ioctls = SEQ(device_ioctls, vq_ioctls, last_ioctl);

static unsigned seq_len(const seq *q, unsigned vqs) { return q->n_dev + vqs * q->n_vq + 1; }

static const char *seq_name(const seq *q, unsigned vqs, unsigned i)
{
    if (i < q->n_dev)
        return q->dev[i];
    if (i - q->n_dev < vqs * q->n_vq)
        return q->vq[(i - q->n_dev) % q->n_vq];
    return i + 1 == seq_len(q, vqs) ? q->last : "?";
}

unsigned vdpactl_accesses(unsigned vqs) { return seq_len(&accesses, vqs); }
unsigned vdpactl_ioctls(unsigned vqs) { return seq_len(&ioctls, vqs); }
const char *vdpactl_access_name(unsigned vqs, unsigned i) { return seq_name(&accesses, vqs, i); }
const char *vdpactl_ioctl_name(unsigned vqs, unsigned i) { return seq_name(&ioctls, vqs, i); }

uint64_t vdpactl_bring_up(const vdpactl_cfg *c, hv *h, cpu *cp, unsigned vcpu_core, unsigned vqs,
                          vdpactl_counters *ctr, uint64_t t_ps)
{
    uint64_t t = t_ps;
    unsigned n = vdpactl_accesses(vqs);
    ctr->accesses += n;
    for (unsigned a = 0; a < n; a++)
        t = hv_exit_user(h, vcpu_core, t, c->access_cycles);
    /* The last access's handler, still on the vCPU's thread, starts the device. */
    unsigned k = vdpactl_ioctls(vqs);
    ctr->ioctls += k;
    return cpu_run(cp, vcpu_core, t, c->ioctl_cycles * k, CPU_HOST);
}
