/* The hypervisor's costs: a VM exit is a number of cycles the hypervisor runs on the
 * vCPU's core (the vCPU makes no progress meanwhile), counted by reason. Interrupt
 * delivery to a running vCPU is either exit-based (the physical interrupt forces an
 * exit, the virtual interrupt is injected on entry, and the guest's EOI exits again)
 * or posted through interrupt remapping (no exit while the vCPU runs).
 *
 * Defaults are KVM on x86 as measured by Dall et al. (ISCA 2016; USENIX ATC 2017) on a
 * Xeon E5-2450; the platform file cites them per parameter. */
#ifndef HOST_HV_H
#define HOST_HV_H

#include <stdbool.h>
#include <stdint.h>

#include "host/cpu.h"
#include "sim/params.h"
#include "sim/stats.h"

typedef enum hv_exit_reason {
    HV_EXIT_MMIO_USER,   /* a trapped device-register access handled in host user space */
    HV_EXIT_MMIO_KERNEL, /* a trapped access handled in the host kernel (ioeventfd kick) */
    HV_EXIT_HYPERCALL,   /* a hypercall (event channel notify, grant operations) */
    HV_EXIT_EXTINT,      /* a physical interrupt for the VM arrived while it ran */
    HV_EXIT_EOI,         /* the guest acknowledged a virtual interrupt */
    HV_EXIT_IPI,         /* the guest sent an inter-processor interrupt */
    HV_EXIT_CONFIG,      /* a configuration-space access of an assigned device */
    HV_EXIT_TIMER,       /* the guest's timer deadline expired while it ran (host/vtick.h) */
    HV_EXIT_MSR,         /* a model-specific register write handled in the host kernel (the
                            guest re-arming its TSC deadline) */
    HV_EXIT_HLT,         /* the guest halted: nothing to run (host/halt.h) */
    HV_EXIT_REASONS
} hv_exit_reason;

typedef struct hv hv;
struct halt;

void hv_register_params(sim_params *p);
hv *hv_create(const sim_params *p, sim_stats *stats, cpu *c);
void hv_destroy(hv *h);
/* vCPUs halt when idle (host/halt.h): a virtual interrupt to a halted vCPU wakes it
 * (hv_deliver_irq) and is injected on entry, with no exit. NULL: they never halt. */
void hv_set_halt(hv *h, struct halt *w);
struct halt *hv_halt(const hv *h);
/* When the guest (or a native thread) refills its caches and TLB. */
typedef enum hv_refill_why {
    HV_REFILL_EXIT,        /* back in the guest after a VM exit */
    HV_REFILL_EXIT_URGENT, /* the same, after an exit booked as interrupt work */
    HV_REFILL_WAKE,        /* a halted vCPU or a blocked thread runs again */
} hv_refill_why;
/* The cache and TLB refill (host/noise.h): fn gives the guest cycles it costs on `core`
 * (0: none on this occasion). NULL (the default): no refill. */
typedef uint64_t (*hv_refill_fn)(void *ctx, unsigned core, hv_refill_why why);
void hv_set_refill(hv *h, hv_refill_fn fn, void *ctx);
/* The guest on `core` refills from t_ps on (CPU_GUEST, booked as drawn: cpu_run_drawn;
 * after an urgent exit as interrupt work); returns when it is done, t_ps without a
 * refill. hv_exit and
 * hv_exit_urgent call it after every exit but the HLT exit, halt_wake after a wake-up. */
uint64_t hv_refill(hv *h, unsigned core, uint64_t t_ps, hv_refill_why why);

const char *hv_exit_name(hv_exit_reason r);
uint64_t hv_exit_cycles(const hv *h, hv_exit_reason r);
/* The vCPU on `core` exits for `r` at t_ps: the hypervisor's cycles run on the core;
 * returns when the vCPU resumes. */
uint64_t hv_exit(hv *h, unsigned core, uint64_t t_ps, hv_exit_reason r);
/* The same for an exit taken in interrupt context (the guest's interrupt handler
 * touching an emulated register): it preempts the vCPU's thread work (cpu_run_urgent). */
uint64_t hv_exit_urgent(hv *h, unsigned core, uint64_t t_ps, hv_exit_reason r);
/* A guest's access trapped to an emulator in host user space (QEMU, a vfio mdev's
 * driver behind it): the exit (HV_EXIT_MMIO_USER), then the emulator's
 * `emulation_cycles` on the vCPU's thread (host work on its core). Returns when the
 * vCPU resumes. */
uint64_t hv_exit_user(hv *h, unsigned core, uint64_t t_ps, uint64_t emulation_cycles);
/* Cycles of the ioeventfd signal that wakes a host thread after a kernel-handled exit. */
uint64_t hv_ioeventfd_cycles(const hv *h);
/* Whether interrupts reach running vCPUs posted (hv.irq_delivery = posted: posted
 * interrupts with APIC virtualization, for device interrupts through the IOMMU's
 * posted-format remapping entries and for the hypervisor's own virtual interrupts),
 * or by exits (exit: the external-interrupt exit and the EOI exit). */
bool hv_posted(const hv *h);

/* Deliver a virtual interrupt to the vCPU on `core` at t_ps. Exit-based: an external-
 * interrupt exit, the virtual interrupt injected on entry; posted (with APIC
 * virtualization): no exit. A halted vCPU is woken instead (halt_wake) and takes the
 * interrupt on entry, with no exit either way. Returns when the guest's interrupt handler can start.
 * Interrupt work preempts the vCPU's thread work (cpu_run_urgent), as does the EOI. */
uint64_t hv_deliver_irq(hv *h, unsigned core, uint64_t t_ps, bool posted);
/* Host work in interrupt context (a host tick, a kernel detour) comes to `core`, which
 * runs a vCPU, at t_ps: a running vCPU first takes an external-interrupt exit; a halted
 * one is in the host already, so its halt is settled and it stays halted, no exit.
 * Returns when the host's work can start; *exited (may be NULL) says whether it exited. */
uint64_t hv_host_irq_on_vcpu(hv *h, unsigned core, uint64_t t_ps, bool *exited);
/* A physical interrupt for a vCPU that landed at t_ps on land_core, not the vCPU's (its
 * remapping entry's destination, the host's affinity for the vector, names another core):
 * the host's handler runs there (hv.irq_forward_cycles; when land_core runs another VM's
 * vCPU, that vCPU's external-interrupt exit, whose cycles include the handler) and kicks
 * the vCPU with an IPI (the sender's part: hv.ipi_cycles). Returns when the IPI reaches the
 * vCPU's core, where hv_deliver_irq takes the exit it causes and injects the interrupt on
 * entry. Counted: a misdirected interrupt and an IPI sent. */
uint64_t hv_forward_irq(hv *h, unsigned land_core, bool land_in_vm, uint64_t t_ps);
/* A guest's IPI to its vCPU on to_core, the reschedule IPI of a wake-up, once the
 * sender's exit for it (HV_EXIT_IPI: the ICR write, hv.ipi_cycles; with `evtchn`, a Xen
 * guest, the event channel's HV_EXIT_HYPERCALL) has ended at t_ps: the target takes the
 * interrupt (hv_deliver_irq: woken if halted) and acknowledges it (hv_eoi; an upcall
 * needs none). Returns when the target's handler is done. Counted: hv.guest_ipis. */
uint64_t hv_guest_ipi(hv *h, unsigned to_core, uint64_t t_ps, bool evtchn);
/* The guest's handler acknowledges the interrupt at t_ps: an EOI exit unless the APIC
 * is virtualized (the posted-interrupt configuration). Returns when the guest goes on. */
uint64_t hv_eoi(hv *h, unsigned core, uint64_t t_ps, bool posted);

uint64_t hv_exits(const hv *h, hv_exit_reason r);
uint64_t hv_exits_total(const hv *h);
/* Virtual interrupts delivered so far (since the statistics started). */
uint64_t hv_irqs_injected(const hv *h);
uint64_t hv_irqs_posted(const hv *h);
uint64_t hv_irqs_misdirected(const hv *h);
uint64_t hv_ipis_sent(const hv *h);
uint64_t hv_guest_ipis(const hv *h);

#endif
