#include "host/irqdeliver.h"

uint64_t irq_deliver_virq(const irq_env *e, unsigned core, uint64_t t_ps)
{
    bool posted = hv_posted(e->hv);
    uint64_t t = hv_deliver_irq(e->hv, core, t_ps, posted);
    /* The handler's EOI: an exit unless the APIC is virtualized. */
    return hv_eoi(e->hv, core, t, posted);
}

uint64_t irq_wake_latency_ps(const irq_env *e, unsigned core, uint64_t t_ps)
{
    if (halt_spins(e->halt, core))
        return 0;
    halt_settle(e->halt, core, t_ps);
    return cpu_wake_ps(e->cpu, core, t_ps);
}

uint64_t irq_deliver(const irq_env *e, const irq_target *tgt, const iommu_irq_outcome *o)
{
    uint64_t t = o->t_ps;
    if (o->kind == IOMMU_IRQ_POSTED) {
        iommu_pid_drain(e->iommu, o->pd_addr); /* the running vCPU takes the request */
        t = halt_wake(e->halt, tgt->core, t, HALT_BY_PI); /* a blocked one: wake-up vector */
    }
    if (tgt->via_hv) {
        /* Remapped to a core the vCPU does not run on: the host takes it there and kicks
         * the vCPU with an IPI, whose exit delivers it as a direct one would. */
        if (o->kind == IOMMU_IRQ_REMAPPED && o->dest != tgt->core)
            t = hv_forward_irq(e->hv, o->dest, tgt->dest_in_vm, t);
        return irq_deliver_virq(e, tgt->core, t);
    }
    if (tgt->host_on_vcpu)
        return hv_host_irq_on_vcpu(e->hv, tgt->core, t, NULL); /* the running vCPU exits */
    if (halt_idle(e->halt, tgt->core, t))
        return halt_wake(e->halt, tgt->core, t, HALT_BY_IRQ); /* a blocked thread's core */
    return t + irq_wake_latency_ps(e, tgt->core, t); /* an idle host core wakes */
}
