/* vCPUs and application threads that halt when idle, and what waking them costs.
 *
 * A vCPU (KVM on x86) with nothing to run executes HLT: a HLT exit (HV_EXIT_HLT's
 * round trip, booked when it halts; its re-entry is counted there, not at the resume),
 * then kvm_vcpu_halt polls for the vCPU's current window (its halt_poll_ns; the core
 * stays busy, hypervisor cycles), then kvm_vcpu_block sleeps (the core is idle). An
 * event for it (a virtual interrupt, an IOMMU-posted interrupt, a timer, a kick) ends
 * the halt: before the window is over the poll loop sees it (kvm_vcpu_check_block) and
 * the vCPU resumes at once; after, the vCPU's thread is woken (its core's exit from the
 * idle state it sank into, cpu_wake_ps, before it runs; cpu.wakeup_cycles on its core),
 * and a posted interrupt first takes the wake-up vector (pi_wakeup_handler,
 * hv.pi_wakeup_cycles). Either way the guest's own kernel then switches from its idle
 * task to the thread the event woke (cpu.wakeup_cycles, the guest's), as a native kernel
 * does, but for the guest's own tick (HALT_BY_TICK), which wakes no thread. The window
 * follows KVM's policy
 * (virt/kvm/kvm_main.c kvm_vcpu_halt): it starts at 0; a halt that ended after the
 * window but within hv.halt_poll_ns grows it (grow_halt_poll_ns: times _grow, at least
 * _grow_start, at most hv.halt_poll_ns); a halt longer than hv.halt_poll_ns shrinks it
 * (shrink_halt_poll_ns: divided by _shrink, 0 if _shrink is 0, 0 below _grow_start); a
 * halt that ended within the window leaves it.
 *
 * A native application thread with nothing to do blocks in its kernel: no exit, no
 * polling; an event wakes it with the scheduler's wake-up (its core's idle-state exit,
 * then cpu.wakeup_cycles, its own kernel's: CPU_GUEST).
 *
 * Timing is lazy: the vCPU (thread) on a core is idle from the end of the last work
 * booked on its core (cpu_busy_until_ps) to the event's time; halt_wake books the halt
 * in that gap when the event comes (halt_settle earlier, when a host tick is about to
 * run on the core). Only a vCPU whose core's work ended by the current time counts as
 * halted: an event booked ahead of the clock for a vCPU whose own work is booked past the
 * clock finds it running (whether it will idle before then is not known yet). Work
 * booked on the core in a settled halt's gap later is not moved.
 *
 * With guest.haltpoll the guest's idle loop polls first (cpuidle-haltpoll's governor,
 * drivers/cpuidle/governors/haltpoll.c): for its window (dev->poll_limit_ns) the vCPU
 * runs guest code (the guest's cycles) and an event ends the idleness with no exit at
 * all; when the window passes with nothing to run it executes HLT as above. The window
 * starts at 0 (the first idle period halts at once); after each HLT, a halt longer than
 * the window and at most guest.halt_poll_ns grows it (times _grow, at least
 * _grow_start, at most guest.halt_poll_ns), a longer one shrinks it when _allow_shrink
 * (divided by _shrink; 0 if _shrink is 0 or below _grow_start); a poll the event ended
 * leaves it (haltpoll_reflect -> adjust_poll_limit). KVM does not poll such a vCPU (the guest cleared
 * MSR_KVM_POLL_CONTROL: kvm_arch_no_poll).
 *
 * With hv.vcpu_halt = false nothing halts (the guest's idle loop spins: timing as if the
 * vCPU always ran; halt_spins says a host sees the vCPU's core busy all the time) and a
 * native thread is woken for free. */
#ifndef HOST_HALT_H
#define HOST_HALT_H

#include <stdbool.h>
#include <stdint.h>

#include "host/cpu.h"
#include "host/hv.h"
#include "sim/kernel.h"
#include "sim/params.h"
#include "sim/stats.h"

typedef struct halt halt;

/* What ends a halt. */
typedef enum halt_why {
    HALT_BY_IRQ,   /* a virtual interrupt injected (or posted by KVM itself: irqfd) */
    HALT_BY_PI,    /* an IOMMU-posted interrupt: the wake-up vector on the vCPU's core */
    HALT_BY_TIMER, /* the thread's timer, a kick from another thread */
    HALT_BY_TICK,  /* the guest's own scheduler tick: no thread is woken */
} halt_why;

void halt_register_params(sim_params *p);
/* The HLT exit is the hypervisor's (hv_exit). k gives the clock; NULL: every event is
 * taken as coming at the current time. */
halt *halt_create(const sim_params *p, sim_stats *stats, cpu *c, hv *v, sim_kernel *k);
void halt_destroy(halt *h);

/* A VM's vCPU runs on `core` (halts: HLT exit, polling, blocking); a native application
 * thread on `core` (blocks). Cores registered with neither never halt. */
void halt_add_vcpu(halt *h, unsigned core);
/* A VM's vCPU on `core` that runs no thread of its own, only the interrupts aimed at it
 * (the queue's vCPU when the application has a vCPU of its own): it halts as any
 * vCPU, but its idle task takes the interrupt and halts again, so a wake-up switches to
 * no thread and leaves the guest's tick stopped. */
void halt_add_irq_vcpu(halt *h, unsigned core);
void halt_add_thread(halt *h, unsigned core);
/* A thread on `core` that never blocks (a poll-mode driver's loop, DPDK's lcore): it
 * never halts, and a host sees its core busy all the time. */
void halt_add_spinner(halt *h, unsigned core);
/* Whether `core` was registered with halt_add_spinner. */
bool halt_is_spinner(const halt *h, unsigned core);
/* Whether `core` was registered (halt_add_vcpu, _thread or _spinner). */
bool halt_registered(const halt *h, unsigned core);
bool halt_enabled(const halt *h);
/* Whether the core spins when idle (a spinner's, or a vCPU's with halting off): a host
 * sees it busy all the time. */
bool halt_spins(const halt *h, unsigned core);

/* Whether the vCPU (thread) on `core` is halted at t: registered, halting on, and its
 * core's work ended before t. */
bool halt_idle(const halt *h, unsigned core, uint64_t t_ps);
/* An event for the vCPU (thread) on `core` at t: if it is halted, its halt is booked
 * (above) and this returns when it runs again; else t. h may be NULL. */
uint64_t halt_wake(halt *h, unsigned core, uint64_t t_ps, halt_why why);
/* Other work is about to run on a halted vCPU's core at now (a host tick): the halt so
 * far is booked first (the HLT exit, polling up to now), and the vCPU stays halted:
 * polling goes on after that work while the window lasts. */
void halt_settle(halt *h, unsigned core, uint64_t now_ps);

/* Whether the vCPU on `core` is halted at t (halt_idle) and polls rather than sleeps:
 * its guest's idle loop polls (guest.haltpoll) or KVM polls within the vCPU's window.
 * A query that books nothing (an observer's: time series): for a halt not yet booked
 * KVM's window is counted from the end of the HLT exit at its mean cost, the exit's
 * handling (the core busy) counted with the polling. A native thread never polls. */
bool halt_polls(const halt *h, unsigned core, uint64_t t_ps);

/* With guest.haltpoll: whether the vCPU on `core` is idle at t but its guest still
 * polls in its idle loop (no HLT yet), so it runs in guest mode: an interrupt or a timer
 * finds it running (an exit where delivery needs one), and a host interrupt exits it. */
bool halt_guest_polls(const halt *h, unsigned core, uint64_t t_ps);

/* Whether the guest on `core` has stopped its tick at t: it halted (HLT, not its own
 * polling) with guest.nohz_idle, so its scheduler tick does not fire until it wakes. */
bool halt_tick_stopped(const halt *h, unsigned core, uint64_t t_ps);

/* The vCPU's current poll window in KVM, and its guest's (ps). */
uint64_t halt_poll_window_ps(const halt *h, unsigned core);
uint64_t halt_guest_window_ps(const halt *h, unsigned core);
/* Time spent polling idle vCPUs, every core, since the statistics started: KVM's
 * polling and the guests' own (guest.haltpoll). */
uint64_t halt_polled_ps(const halt *h);

#endif
