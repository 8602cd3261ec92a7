#include "host/hv.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

struct hv {
    cpu *cpu;
    uint64_t cost[HV_EXIT_REASONS];
    uint64_t ioeventfd_cycles;
    bool posted_mode;
    uint64_t exits[HV_EXIT_REASONS];
    uint64_t posted, injected;
};

static const char *const exit_names[HV_EXIT_REASONS] = {
    "mmio_user", "mmio_kernel", "hypercall", "extint", "eoi", "ipi", "config",
};
static const char *const exit_params[HV_EXIT_REASONS] = {
    "hv.mmio_user_exit_cycles", "hv.mmio_kernel_exit_cycles", "hv.hypercall_cycles",
    "hv.extint_exit_cycles",    "hv.eoi_exit_cycles",         "hv.ipi_cycles",
    "hv.config_exit_cycles",
};

void hv_register_params(sim_params *p)
{
    sim_params_add_uint(p, "hv.mmio_user_exit_cycles", 6732, 0, 10000000, "cycles",
                        "I/O exit handled in host user space (device model), round trip");
    sim_params_add_uint(p, "hv.mmio_kernel_exit_cycles", 2565, 0, 10000000, "cycles",
                        "I/O exit handled in the host kernel, round trip");
    sim_params_add_uint(p, "hv.hypercall_cycles", 1300, 0, 10000000, "cycles",
                        "Null hypercall, round trip");
    sim_params_add_uint(p, "hv.extint_exit_cycles", 2565, 0, 10000000, "cycles",
                        "Exit for a physical interrupt and injection of the virtual one");
    sim_params_add_uint(p, "hv.eoi_exit_cycles", 1556, 0, 10000000, "cycles",
                        "Virtual EOI: the guest acknowledges an injected interrupt");
    sim_params_add_uint(p, "hv.ipi_cycles", 3102, 0, 10000000, "cycles", "Virtual IPI");
    sim_params_add_uint(p, "hv.config_exit_cycles", 6732, 0, 10000000, "cycles",
                        "Configuration-space access of an assigned device, trapped and "
                        "handled in host user space");
    sim_params_add_uint(p, "hv.ioeventfd_cycles", 560, 0, 10000000, "cycles",
                        "ioeventfd signal waking a host thread after a kernel-handled exit");
    sim_params_add_enum(p, "hv.irq_delivery", "exit", "exit|posted",
                        "Interrupts to a running vCPU: exit (an external-interrupt exit injects "
                        "them, the guest's EOI exits again) or posted (posted interrupts through "
                        "the IOMMU's interrupt remapping and APIC virtualization: no exit)");
}

const char *hv_exit_name(hv_exit_reason r) { return r < HV_EXIT_REASONS ? exit_names[r] : "?"; }

hv *hv_create(const sim_params *p, sim_stats *stats, cpu *c)
{
    hv *h = calloc(1, sizeof *h);
    assert(h);
    h->cpu = c;
    for (int r = 0; r < HV_EXIT_REASONS; r++) {
        h->cost[r] = sim_params_uint(p, exit_params[r]);
        char name[64], desc[96];
        snprintf(name, sizeof name, "hv.exits.%s", exit_names[r]);
        snprintf(desc, sizeof desc, "VM exits: %s", exit_names[r]);
        sim_stats_counter(stats, name, &h->exits[r], desc);
    }
    h->ioeventfd_cycles = sim_params_uint(p, "hv.ioeventfd_cycles");
    h->posted_mode = sim_params_enum_index(p, "hv.irq_delivery") == 1;
    sim_stats_counter(stats, "hv.irqs_injected", &h->injected, "virtual interrupts injected by exits");
    sim_stats_counter(stats, "hv.irqs_posted", &h->posted, "virtual interrupts posted without an exit");
    return h;
}

void hv_destroy(hv *h) { free(h); }

uint64_t hv_exit_cycles(const hv *h, hv_exit_reason r)
{
    assert(r < HV_EXIT_REASONS);
    return h->cost[r];
}

uint64_t hv_ioeventfd_cycles(const hv *h) { return h->ioeventfd_cycles; }
bool hv_posted(const hv *h) { return h->posted_mode; }
uint64_t hv_irqs_injected(const hv *h) { return h->injected; }
uint64_t hv_irqs_posted(const hv *h) { return h->posted; }

uint64_t hv_exit(hv *h, unsigned core, uint64_t t_ps, hv_exit_reason r)
{
    assert(r < HV_EXIT_REASONS);
    h->exits[r]++;
    return cpu_run(h->cpu, core, t_ps, h->cost[r], CPU_HYPERVISOR);
}

uint64_t hv_exit_urgent(hv *h, unsigned core, uint64_t t_ps, hv_exit_reason r)
{
    assert(r < HV_EXIT_REASONS);
    h->exits[r]++;
    return cpu_run_urgent(h->cpu, core, t_ps, h->cost[r], CPU_HYPERVISOR);
}

uint64_t hv_deliver_irq(hv *h, unsigned core, uint64_t t_ps, bool posted)
{
    if (posted) {
        /* The IOMMU sets the PIR bit and the notification vector is processed by the
         * CPU without leaving guest mode (Intel SDM Vol. 3 29.6). */
        h->posted++;
        return t_ps;
    }
    h->injected++;
    return hv_exit_urgent(h, core, t_ps, HV_EXIT_EXTINT);
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
