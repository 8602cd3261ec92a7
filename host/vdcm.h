/* The host's VDCM (virtual device composition module; Intel's ice-vdcm, an mdev driver
 * of the E810's PF): the slow path of a Scalable IOV assignable device interface (ADI).
 * An ADI is a set of the PF's queue pairs tagged with a PASID (QPASID); the guest's VF
 * driver (iavf) rings their doorbells in the PF's registers, mapped into the guest, and
 * their DMA and interrupts go straight to the VM: no exit on the fast path. Everything
 * else the driver touches is emulated by the VDCM: the ADI's configuration space (an
 * mdev has none of its own; host/vpci.c's probe counts those exits) and its virtchnl
 * mailbox, through which iavf asks for resources, configures its queues, vectors, MAC
 * and RSS, and enables its queues.
 *
 * Timing: each mailbox request is VDCM_ACCESSES_PER_REQUEST trapped register accesses
 * of the guest's vCPU, each an exit handled in host user space (hv's MMIO_USER, as QEMU
 * forwards an access of a vfio mdev region to the kernel driver) and then the VDCM's
 * emulation, siov.vdcm_access_cycles of host work on the vCPU's thread. */
#ifndef HOST_VDCM_H
#define HOST_VDCM_H

#include <stdint.h>

#include "host/cpu.h"
#include "host/hv.h"
#include "sim/params.h"

/* A virtchnl request's trapped accesses: iavf_asq_send_command writes the send queue's
 * tail (ATQT) and reads its head (ATQH) to see the request taken, and
 * iavf_clean_arq_element reads the receive queue's head (ARQH) and writes its tail
 * (ARQT) to take the answer; the descriptors and buffers are guest memory. */
#define VDCM_ACCESSES_PER_REQUEST 4u

typedef struct vdcm_cfg {
    uint64_t access_cycles; /* siov.vdcm_access_cycles */
} vdcm_cfg;

/* What the VDCM emulated: mailbox requests and trapped accesses. */
typedef struct vdcm_counters {
    uint64_t requests, accesses;
} vdcm_counters;

void vdcm_register_params(sim_params *p);
vdcm_cfg vdcm_cfg_load(const sim_params *p);

/* The virtchnl requests iavf sends to bring an ADI up (vdcm_init_request_name names
 * them, in order). */
unsigned vdcm_init_requests(void);
const char *vdcm_init_request_name(unsigned i);

/* One trapped access of the ADI's emulated registers by the vCPU on vcpu_core at t_ps:
 * returns when the guest runs again. */
uint64_t vdcm_access(const vdcm_cfg *c, hv *h, unsigned vcpu_core, vdcm_counters *ctr,
                     uint64_t t_ps);
/* The guest's driver brings its ADI up: every request of vdcm_init_requests, one after
 * the other, from t_ps. Returns when the last answer is taken. */
uint64_t vdcm_adi_init(const vdcm_cfg *c, hv *h, unsigned vcpu_core, vdcm_counters *ctr,
                       uint64_t t_ps);

#endif
