/* Periodic timer ticks: the fixed CPU cost every busy CPU pays whether or not it moves
 * packets, so total CPU grows with the number of VMs at a constant offered load.
 *
 * Timing. Every tick.guest_hz a busy vCPU takes its guest kernel's scheduler tick
 * (tick_sched_timer: update_process_times, scheduler_tick, RCU, timer wheel), and every
 * tick.host_hz each busy core takes the host kernel's. Both run as urgent work on their
 * core (cpu_run_urgent, hv_exit_urgent): they preempt what the core runs, as the timer
 * interrupt does. In a VM the guest's tick costs exits, as KVM on x86 with the guest's
 * LAPIC timer in TSC-deadline mode takes them:
 *   delivery  the deadline expires while the guest runs: a VMX preemption-timer exit
 *             (kvm_lapic_expired_hv_timer, apic_timer_expired; or the host's hrtimer
 *             and an external-interrupt exit without the preemption timer), the timer
 *             interrupt injected on entry (HV_EXIT_TIMER). With tick.guest_timer =
 *             posted (KVM's pi_inject_timer: a housekeeping CPU's hrtimer posts the
 *             interrupt, kvm_use_posted_timer_interrupt) there is no exit on the
 *             vCPU's core; the housekeeping CPU's share is not modelled.
 *   EOI       the guest's handler acknowledges the LAPIC: an exit unless the APIC is
 *             virtualized (hv_eoi: hv.irq_delivery = posted means APICv).
 *   re-arm    the handler programs the next deadline, a WRMSR to MSR_IA32_TSC_DEADLINE:
 *             an exit handled in the kernel (kvm_set_lapic_tscdeadline_msr, through
 *             handle_fastpath_set_tscdeadline with the preemption timer; HV_EXIT_MSR).
 * The host's tick on a core that runs a vCPU interrupts the guest: an external-interrupt
 * exit (HV_EXIT_EXTINT) before the host's handler. A native application thread's core
 * takes only the host kernel's tick, which is that application's own kernel: its cycles
 * count as the application's (CPU_GUEST), as the native driver's do.
 *
 * Which CPUs tick (CONFIG_NO_HZ_IDLE). An idle CPU stops its tick when it expects to
 * sleep longer than a tick period (the idle governor decides before tick_nohz_idle_stop_
 * tick); a CPU that ran anything within the last period keeps it. So a tick is taken if
 * its core ran work other than ticks since one period before it, else it is skipped
 * (counted in tick.stopped). A guest without a cpuidle driver stops its tick whenever
 * it halts (guest.nohz_idle, host/halt.h): a halted vCPU takes no tick either.
 *
 * Phases. Each guest's tick phase is set when it boots, unrelated to other guests';
 * VM i's is i/N of a period (N VMs), so a window shorter than a period sees the long-run
 * average number of ticks. Host cores take phases c x 0.618... periods (modulo one,
 * the golden-ratio sequence), spread evenly over any run of consecutive cores. (Linux
 * itself aligns a machine's ticks unless booted with skew_tick=1.) Counters count the
 * measured window only: ticks over a window of W seconds per busy vCPU are W x
 * tick.guest_hz within one.
 *
 * Events: one kernel event for all ticks; the ticks due at one time run in a fixed
 * order (guests by VM, then host cores by index), so both kernels agree. */
#ifndef HOST_VTICK_H
#define HOST_VTICK_H

#include <stdbool.h>
#include <stdint.h>

#include "host/cpu.h"
#include "host/hv.h"
#include "sim/err.h"
#include "sim/kernel.h"
#include "sim/params.h"
#include "sim/stats.h"

typedef struct vtick vtick;

void vtick_register_params(sim_params *p);
/* Settings that contradict each other (a posted timer without APIC virtualization). */
int vtick_check(const sim_params *p, sim_err *e);
vtick *vtick_create(const sim_params *p, sim_stats *stats, sim_kernel *k, cpu *c, hv *h);
void vtick_destroy(vtick *t);

/* A VM's vCPU runs on `core`: it takes its guest's ticks (with their exits), and the
 * host's ticks on the core interrupt it. Call once per vCPU, in VM order, before
 * vtick_start. */
void vtick_add_vcpu(vtick *t, unsigned core);
/* A native application thread runs on `core`: the host's tick there is its kernel's. */
void vtick_set_app_core(vtick *t, unsigned core);
/* Ticks run from t_ps on, each at its phase. */
void vtick_start(vtick *t, uint64_t t_ps);

/* Ticks taken since the statistics started. */
uint64_t vtick_guest_ticks(const vtick *t);
uint64_t vtick_host_ticks(const vtick *t);

#endif
