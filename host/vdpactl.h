/* vhost-vdpa's control path: how a guest's virtio-net driver brings up a vDPA device
 * (io.path = vdpa), all of it before the first packet. The guest sees a virtio-net PCI
 * device QEMU emulates over the host's vhost-vdpa device; only the notification area
 * (the doorbells) is the device's own page mapped into the guest, and its interrupts go
 * to the VM. Everything else the driver touches traps to QEMU: the virtio common
 * configuration's registers, as the driver initialises the device (the virtio spec's
 * 3.1.1 sequence: virtio_dev_probe, virtnet_probe, vp_modern_find_vqs) and each
 * virtqueue (vp_modern_setup_vq: select, size, vector, the three ring addresses in two
 * halves each, notification offset, enable). When the driver sets DRIVER_OK, QEMU starts
 * the vhost device from that trapped write (vhost_net_start -> vhost_vdpa_dev_start):
 * ioctls on the vhost-vdpa file for the features, the guest's memory in the device's
 * IOTLB (one batch), and per virtqueue its size, base index, ring addresses, kick and
 * call eventfds and enable, then the status.
 *
 * Timing: each trapped access is an exit to host user space (hv's MMIO_USER) and then
 * QEMU's emulation, vdpa.ctrl_access_cycles of host work on the vCPU's thread; each ioctl
 * vdpa.ioctl_cycles there too (QEMU issues them from the DRIVER_OK write's handler). The
 * parent driver's own work behind the ioctls (a ConnectX's firmware commands creating
 * the virtqueue objects) is not modelled. None of it happens per packet: the control
 * path only moves when traffic can start. */
#ifndef HOST_VDPACTL_H
#define HOST_VDPACTL_H

#include <stdint.h>

#include "host/cpu.h"
#include "host/hv.h"
#include "sim/params.h"

typedef struct vdpactl_cfg {
    uint64_t access_cycles; /* vdpa.ctrl_access_cycles */
    uint64_t ioctl_cycles;  /* vdpa.ioctl_cycles */
} vdpactl_cfg;

/* What the control path did: trapped accesses and vhost-vdpa ioctls. */
typedef struct vdpactl_counters {
    uint64_t accesses, ioctls;
} vdpactl_counters;

void vdpactl_register_params(sim_params *p);
vdpactl_cfg vdpactl_cfg_load(const sim_params *p);

/* The trapped accesses and the ioctls of one device's bring-up with `vqs` virtqueues
 * (virtio-net: two per queue pair and the control queue). */
unsigned vdpactl_accesses(unsigned vqs);
unsigned vdpactl_ioctls(unsigned vqs);
/* The i-th access (register) and the i-th ioctl of that bring-up, in order ("?" past
 * the last). */
const char *vdpactl_access_name(unsigned vqs, unsigned i);
const char *vdpactl_ioctl_name(unsigned vqs, unsigned i);

/* The guest on vcpu_core brings its vDPA device up with `vqs` virtqueues from t_ps;
 * returns when its driver has set DRIVER_OK and QEMU has started the device. */
uint64_t vdpactl_bring_up(const vdpactl_cfg *c, hv *h, cpu *cp, unsigned vcpu_core, unsigned vqs,
                          vdpactl_counters *ctr, uint64_t t_ps);

#endif
