#include "host/notify.h"

static uint64_t run_on(cpu *c, notify_end end, uint64_t t, uint64_t cycles, cpu_who who)
{
    return cpu_run_as(c, end.core, t, cycles, who, end.urgent);
}

static uint64_t exit_on(hv *h, notify_end end, uint64_t t, hv_exit_reason r)
{
    return end.urgent ? hv_exit_urgent(h, end.core, t, r) : hv_exit(h, end.core, t, r);
}

/* The receiving thread wakes on its core at t. */
static uint64_t wake(const irq_env *e, notify_end to, uint64_t t)
{
    return run_on(e->cpu, to, t + irq_wake_latency_ps(e, to.core, t), cpu_wakeup_cycles(e->cpu),
                  to.who);
}

notify_result host_notify_send(const irq_env *e, host_notify how, notify_end from, notify_end to,
                               uint64_t t_ps, uint64_t irq_not_before_ps)
{
    notify_result r = {t_ps, t_ps, false};
    uint64_t t = t_ps;
    switch (how) {
    case HOST_NOTIFY_NONE: break;
    case HOST_NOTIFY_IOEVENTFD:
        t = exit_on(e->hv, from, t, HV_EXIT_MMIO_KERNEL);
        t = run_on(e->cpu, from, t, hv_ioeventfd_cycles(e->hv), CPU_HYPERVISOR);
        r.receiver_ps = wake(e, to, t);
        break;
    case HOST_NOTIFY_WAKE:
        t = run_on(e->cpu, from, t, hv_ioeventfd_cycles(e->hv), from.who);
        r.receiver_ps = wake(e, to, t);
        break;
    case HOST_NOTIFY_IRQFD:
        t = run_on(e->cpu, from, t, hv_ioeventfd_cycles(e->hv), from.who);
        r.receiver_ps = irq_deliver_virq(e, to.core, t > irq_not_before_ps ? t : irq_not_before_ps);
        r.irq = true;
        break;
    case HOST_NOTIFY_EVTCHN:
        /* The upcall is injected like a virtual interrupt, but through the domain's
         * callback vector, which the guest does not acknowledge at the local APIC
         * (Linux's sysvec_xen_hvm_callback acks only the per-vCPU upcall vector): no
         * EOI exit. */
        t = exit_on(e->hv, from, t, HV_EXIT_HYPERCALL);
        r.receiver_ps = hv_deliver_irq(e->hv, to.core, t, hv_posted(e->hv));
        r.irq = true;
        if (to.thread)
            r.receiver_ps = wake(e, to, r.receiver_ps);
        break;
    case HOST_NOTIFY_GUEST_IPI:
        /* The guest's try_to_wake_up, costed as a native waker's (wake). An idle CPU
         * that polls takes need_resched from memory (kernel/sched/core.c
         * set_nr_if_polling, set_nr_and_not_polling); any other gets an IPI. */
        t = run_on(e->cpu, from, t, hv_ioeventfd_cycles(e->hv), from.who);
        if (halt_guest_polls(e->halt, to.core, t)) {
            r.receiver_ps = halt_wake(e->halt, to.core, t, HALT_BY_TIMER);
            break;
        }
        t = exit_on(e->hv, from, t, from.xen ? HV_EXIT_HYPERCALL : HV_EXIT_IPI);
        r.receiver_ps = hv_guest_ipi(e->hv, to.core, t, from.xen);
        break;
    }
    r.sender_ps = t;
    return r;
}
