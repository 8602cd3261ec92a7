/* A device interrupt that interrupt remapping let through (models/iommu/irq_remap.h),
 * brought to the core whose driver handles it: the part every driver of a device shares,
 * whatever the device (a NIC queue, an NVMe completion queue).
 *
 * A VM's queue (via_hv) takes a virtual interrupt: a posted one wakes its vCPU if it is
 * blocked (the wake-up vector) and the running vCPU drains the descriptor; one remapped
 * to another core is taken there by the host and forwarded with an IPI; then the virtual
 * interrupt is delivered (an external-interrupt exit, or posted with no exit; a halted
 * vCPU is woken) and acknowledged (an EOI exit unless the APIC is virtualized). A host
 * queue's interrupt wakes a blocked thread's core or an idle core; on a core that runs a
 * vCPU (the host's queue of the CPU a vCPU's thread submitted from) the vCPU exits
 * first (hv_host_irq_on_vcpu). The handler may start
 * at the returned time; nothing is counted here. */
#ifndef HOST_IRQDELIVER_H
#define HOST_IRQDELIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "host/cpu.h"
#include "host/halt.h"
#include "host/hv.h"
#include "models/iommu/iommu.h"
#include "models/iommu/irq_remap.h"

typedef struct irq_env {
    hv *hv;
    halt *halt;
    cpu *cpu;
    iommu *iommu;
} irq_env;

/* Who handles a queue's interrupt. */
typedef struct irq_target {
    unsigned core;   /* where its handler runs (a vCPU's core for a VM's queue) */
    bool via_hv;     /* a VM's queue: a virtual interrupt */
    bool dest_in_vm; /* its remapped destination core runs a vCPU (hv_forward_irq) */
    bool host_on_vcpu; /* a host queue whose core runs a vCPU: it takes an exit first */
} irq_target;

/* o is a delivered outcome (not IOMMU_IRQ_BLOCKED). */
uint64_t irq_deliver(const irq_env *e, const irq_target *tgt, const iommu_irq_outcome *o);
/* A virtual interrupt to the vCPU on `core` at t_ps and its EOI: when the guest's
 * handler may start. */
uint64_t irq_deliver_virq(const irq_env *e, unsigned core, uint64_t t_ps);
/* Before a thread woken at t_ps runs on `core`: the core's exit from its idle state if
 * it is idle. A vCPU halted there polls or spins instead: its idleness so far is booked
 * first (halt_settle), and a vCPU that never halts keeps its core running. */
uint64_t irq_wake_latency_ps(const irq_env *e, unsigned core, uint64_t t_ps);

#endif
