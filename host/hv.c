#include "host/hv.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "host/halt.h"
#include "sim/alloc.h"

/* The hv.* parameters. */
enum { IRQ_BY_EXIT, IRQ_POSTED }; /* hv.irq_delivery, in its choices' order */
typedef struct hv_cfg {
    uint64_t exit_cycles[HV_EXIT_REASONS];
    uint64_t ioeventfd_cycles;
    uint64_t irq_forward_cycles;
    uint8_t irq_delivery;
} hv_cfg;

struct hv {
    cpu *cpu;
    hv_cfg cfg;
    uint64_t exits[HV_EXIT_REASONS];
    uint64_t posted, injected;
    halt *halt;
    hv_refill_fn refill;
    void *refill_ctx;
    uint64_t misdirected, ipis; /* interrupts forwarded from another core, IPIs sent */
    uint64_t guest_ipis;        /* IPIs a guest sent to another of its vCPUs */
};

static const char *const exit_names[HV_EXIT_REASONS] = {
    "mmio_user", "mmio_kernel", "hypercall", "extint", "eoi", "ipi", "config", "timer", "msr",
    "hlt",
};

#define EXIT_COST(name, def, reason, doc)                                                     \
    {name, SIM_PARAM_UINT, def, "0..10000000", "cycles", doc,                                  \
     SIM_AT(hv_cfg, exit_cycles[reason])}

static const sim_param_def hv_params[] = {
    EXIT_COST("hv.mmio_user_exit_cycles", "6732", HV_EXIT_MMIO_USER,
              "I/O exit handled in host user space (device model), round trip"),
    EXIT_COST("hv.mmio_kernel_exit_cycles", "2565", HV_EXIT_MMIO_KERNEL,
              "I/O exit handled in the host kernel, round trip"),
    EXIT_COST("hv.hypercall_cycles", "1300", HV_EXIT_HYPERCALL, "Null hypercall, round trip"),
    EXIT_COST("hv.extint_exit_cycles", "2565", HV_EXIT_EXTINT,
              "Exit for a physical interrupt and injection of the virtual one"),
    EXIT_COST("hv.eoi_exit_cycles", "1556", HV_EXIT_EOI,
              "Virtual EOI: the guest acknowledges an injected interrupt"),
    EXIT_COST("hv.ipi_cycles", "3102", HV_EXIT_IPI,
              "Virtual IPI; also the sender's part of the IPI with which the host kicks a vCPU "
              "for an interrupt that landed on another core"),
    EXIT_COST("hv.config_exit_cycles", "6732", HV_EXIT_CONFIG,
              "Configuration-space access of an assigned device, trapped and handled in host "
              "user space"),
    EXIT_COST("hv.timer_exit_cycles", "2565", HV_EXIT_TIMER,
              "The guest's LAPIC timer deadline expires while it runs: the VMX preemption-timer "
              "exit (or the host's hrtimer interrupt) and the timer interrupt injected on entry"),
    EXIT_COST("hv.msr_exit_cycles", "2565", HV_EXIT_MSR,
              "A guest write of MSR_IA32_TSC_DEADLINE, trapped and handled in the host kernel"),
    EXIT_COST("hv.hlt_exit_cycles", "2565", HV_EXIT_HLT,
              "The guest's HLT, trapped and handled in the host kernel (kvm_emulate_halt), "
              "round trip"),
    {"hv.ioeventfd_cycles", SIM_PARAM_UINT, "560", "0..10000000", "cycles",
     "ioeventfd signal waking a host thread after a kernel-handled exit",
     SIM_AT(hv_cfg, ioeventfd_cycles)},
    {"hv.irq_forward_cycles", SIM_PARAM_UINT, "1265", "0..10000000", "cycles",
     "The host's handler of a VM's remapped interrupt that landed on a core not running the "
     "VM (interrupt entry, vfio_msihandler, eventfd_signal, irqfd_wakeup, kvm_set_msi) up to "
     "its kick of the vCPU",
     SIM_AT(hv_cfg, irq_forward_cycles)},
    {"hv.irq_delivery", SIM_PARAM_ENUM, "exit", "exit|posted", "",
     "Interrupts to a running vCPU: exit (an external-interrupt exit injects them, the guest's "
     "EOI exits again) or posted (posted interrupts through the IOMMU's interrupt remapping and "
     "APIC virtualization: no exit)",
     SIM_AT(hv_cfg, irq_delivery)},
};

void hv_register_params(sim_params *p)
{
    sim_params_add_table(p, hv_params, SIM_TABLE_LEN(hv_params));
    halt_register_params(p);
}

const char *hv_exit_name(hv_exit_reason r) { return r < HV_EXIT_REASONS ? exit_names[r] : "?"; }

hv *hv_create(const sim_params *p, sim_stats *stats, cpu *c)
{
    hv *h = sim_xcalloc(1, sizeof *h);
    h->cpu = c;
    sim_params_load_table(p, hv_params, SIM_TABLE_LEN(hv_params), &h->cfg);
    for (int r = 0; r < HV_EXIT_REASONS; r++) {
        char name[64], desc[96];
        snprintf(name, sizeof name, "hv.exits.%s", exit_names[r]);
        snprintf(desc, sizeof desc, "VM exits: %s", exit_names[r]);
        sim_stats_counter(stats, name, &h->exits[r], desc);
    }
    sim_stats_counter(stats, "hv.irqs_injected", &h->injected, "virtual interrupts injected by exits");
    sim_stats_counter(stats, "hv.irqs_posted", &h->posted, "virtual interrupts posted without an exit");
    sim_stats_counter(stats, "hv.irqs_misdirected", &h->misdirected,
                      "VMs' interrupts that landed on a core other than their vCPU's");
    sim_stats_counter(stats, "hv.ipis_sent", &h->ipis, "IPIs the host sent to kick a vCPU");
    sim_stats_counter(stats, "hv.guest_ipis", &h->guest_ipis,
                      "IPIs guests sent to another of their vCPUs (reschedule IPIs): a KVM "
                      "guest's each an ipi exit, a Xen guest's an event channel's hypercall");
    return h;
}

void hv_destroy(hv *h) { free(h); }

void hv_set_halt(hv *h, halt *w) { h->halt = w; }
halt *hv_halt(const hv *h) { return h->halt; }

void hv_set_refill(hv *h, hv_refill_fn fn, void *ctx)
{
    h->refill = fn;
    h->refill_ctx = ctx;
}

uint64_t hv_refill(hv *h, unsigned core, uint64_t t_ps, hv_refill_why why)
{
    uint64_t cycles = h->refill ? h->refill(h->refill_ctx, core, why) : 0;
    if (!cycles)
        return t_ps;
    return cpu_run_drawn(h->cpu, core, t_ps, cycles, CPU_GUEST, why == HV_REFILL_EXIT_URGENT);
}

uint64_t hv_exit_cycles(const hv *h, hv_exit_reason r)
{
    assert(r < HV_EXIT_REASONS);
    return h->cfg.exit_cycles[r];
}

uint64_t hv_ioeventfd_cycles(const hv *h) { return h->cfg.ioeventfd_cycles; }
bool hv_posted(const hv *h) { return h->cfg.irq_delivery == IRQ_POSTED; }
uint64_t hv_irqs_injected(const hv *h) { return h->injected; }
uint64_t hv_irqs_posted(const hv *h) { return h->posted; }
uint64_t hv_irqs_misdirected(const hv *h) { return h->misdirected; }
uint64_t hv_ipis_sent(const hv *h) { return h->ipis; }
uint64_t hv_guest_ipis(const hv *h) { return h->guest_ipis; }

uint64_t hv_exit(hv *h, unsigned core, uint64_t t_ps, hv_exit_reason r)
{
    assert(r < HV_EXIT_REASONS);
    h->exits[r]++;
    uint64_t t = cpu_run(h->cpu, core, t_ps, h->cfg.exit_cycles[r], CPU_HYPERVISOR);
    cpu_timeline_instant(h->cpu, core, exit_names[r], t, h->cfg.exit_cycles[r]);
    /* A halted vCPU refills when it is woken (halt_wake), not when it halts. */
    return r == HV_EXIT_HLT ? t : hv_refill(h, core, t, HV_REFILL_EXIT);
}

uint64_t hv_exit_urgent(hv *h, unsigned core, uint64_t t_ps, hv_exit_reason r)
{
    assert(r < HV_EXIT_REASONS);
    h->exits[r]++;
    uint64_t t = cpu_run_urgent(h->cpu, core, t_ps, h->cfg.exit_cycles[r], CPU_HYPERVISOR);
    cpu_timeline_instant(h->cpu, core, exit_names[r], t, h->cfg.exit_cycles[r]);
    return r == HV_EXIT_HLT ? t : hv_refill(h, core, t, HV_REFILL_EXIT_URGENT);
}

uint64_t hv_exit_user(hv *h, unsigned core, uint64_t t_ps, uint64_t emulation_cycles)
{
    uint64_t t = hv_exit(h, core, t_ps, HV_EXIT_MMIO_USER);
    return cpu_run(h->cpu, core, t, emulation_cycles, CPU_HOST);
}

uint64_t hv_deliver_irq(hv *h, unsigned core, uint64_t t_ps, bool posted)
{
    if (halt_idle(h->halt, core, t_ps)) {
        /* kvm_vcpu_kick wakes the halted vCPU; the interrupt is in its PIR or injected on
         * entry. A guest that polls in its idle loop is running: it sees the interrupt,
         * through an exit unless it is posted. */
        bool in_guest = halt_guest_polls(h->halt, core, t_ps);
        posted ? h->posted++ : h->injected++;
        uint64_t t = halt_wake(h->halt, core, t_ps, HALT_BY_IRQ);
        return in_guest && !posted ? hv_exit_urgent(h, core, t, HV_EXIT_EXTINT) : t;
    }
    if (posted) {
        /* The IOMMU sets the PIR bit and the notification vector is processed by the
         * CPU without leaving guest mode (Intel SDM Vol. 3 29.6). */
        h->posted++;
        return t_ps;
    }
    h->injected++;
    return hv_exit_urgent(h, core, t_ps, HV_EXIT_EXTINT);
}

/* KVM's path for an MSI of an assigned device that lands where the vCPU is not running
 * (virt/kvm/eventfd.c irqfd_wakeup -> kvm_arch_set_irq_inatomic -> kvm_set_msi_irq;
 * arch/x86/kvm/lapic.c __apic_accept_irq -> kvm_vcpu_kick, which sends the reschedule
 * IPI, smp_send_reschedule, to the CPU the vCPU runs on). */
uint64_t hv_host_irq_on_vcpu(hv *h, unsigned core, uint64_t t_ps, bool *exited)
{
    bool idle = halt_idle(h->halt, core, t_ps);
    bool halted = idle && !halt_guest_polls(h->halt, core, t_ps);
    if (exited)
        *exited = !halted;
    if (idle) /* book its idleness so far; a polling guest goes on polling after the exit */
        halt_settle(h->halt, core, t_ps);
    if (halted)
        return t_ps;
    return hv_exit_urgent(h, core, t_ps, HV_EXIT_EXTINT);
}

uint64_t hv_forward_irq(hv *h, unsigned land_core, bool land_in_vm, uint64_t t_ps)
{
    h->misdirected++;
    h->ipis++;
    uint64_t t = land_in_vm ? hv_exit_urgent(h, land_core, t_ps, HV_EXIT_EXTINT)
                            : cpu_run_urgent(h->cpu, land_core, t_ps, h->cfg.irq_forward_cycles,
                                             CPU_HYPERVISOR);
    return cpu_run_urgent(h->cpu, land_core, t, h->cfg.exit_cycles[HV_EXIT_IPI], CPU_HYPERVISOR);
}

/* KVM's side of a guest's IPI (Linux arch/x86/kvm), after the sender's exit: the
 * x2APIC ICR write's (vmx.c handle_fastpath_set_x2apic_icr_irqoff -> lapic.c
 * kvm_x2apic_icr_write -> kvm_apic_send_ipi -> __apic_accept_irq) posts the vector to
 * the target (APICv) or injects it, and kicks it (kvm_vcpu_kick): a running target takes
 * it as any virtual interrupt, a blocked one is woken. The exit's round trip is Dall et
 * al.'s virtual IPI, measured from the send to the receiver's handling, so the target
 * takes it as the sender resumes (a running target's exit for it, where delivery takes
 * one, is counted on top; the targets here are halted). Intel's IPI virtualization
 * (Sapphire Rapids on; KVM's enable_ipiv) posts it from guest mode with no exit: not
 * modelled; the cover letter of the KVM series (Zeng Guang, 2021) measured a 16% shorter
 * x2APIC IPI. A Xen HVM guest's IPI is an event channel (arch/x86/xen/smp.c
 * xen_smp_send_reschedule -> xen_send_IPI_one -> notify_remote_via_irq): after the
 * hypercall, an upcall through the callback vector, which needs no EOI. */
uint64_t hv_guest_ipi(hv *h, unsigned to_core, uint64_t t_ps, bool evtchn)
{
    h->guest_ipis++;
    uint64_t at = hv_deliver_irq(h, to_core, t_ps, hv_posted(h));
    return evtchn ? at : hv_eoi(h, to_core, at, hv_posted(h));
}

uint64_t hv_eoi(hv *h, unsigned core, uint64_t t_ps, bool posted)
{
    return posted ? t_ps : hv_exit_urgent(h, core, t_ps, HV_EXIT_EOI);
}

uint64_t hv_exits(const hv *h, hv_exit_reason r) { return r < HV_EXIT_REASONS ? h->exits[r] : 0; }

uint64_t hv_exits_total(const hv *h)
{
    uint64_t n = 0;
    for (int r = 0; r < HV_EXIT_REASONS; r++)
        n += h->exits[r];
    return n;
}
