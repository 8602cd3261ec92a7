/* How one piece of software tells another that work waits for it, and what that costs:
 * the mechanisms KVM, QEMU and Xen use between a guest, the host's threads and a driver
 * domain, shared by every path engine (host/iopath, host/blkpath). A notification is
 * called for only when the receiver sleeps; whether it does is the engine's business.
 *
 *   ioeventfd  a guest's kick: an exit handled in the host kernel (HV_EXIT_MMIO_KERNEL),
 *              the ioeventfd signal (the hypervisor's cycles), then the receiving
 *              thread's wake-up on its core (its idle-state exit, cpu.wakeup_cycles)
 *   wake       host context to a host thread: the signal on the sender's core, the
 *              receiver's wake-up
 *   irqfd      host thread to a guest: the signal, then a virtual interrupt to the
 *              receiving vCPU and its EOI (host/irqdeliver.h), no earlier than a given time
 *   evtchn     Xen: a hypercall by the sender (an exit), an upcall to the receiving
 *              domain's vCPU (no EOI: the callback vector); a receiving thread is woken
 *              after it
 *   guest_ipi  a guest's thread on one vCPU to a thread on another vCPU of the same VM:
 *              the sender's try_to_wake_up (as wake's signal), which sends no IPI when
 *              the target vCPU's idle loop polls (guest.haltpoll sets
 *              TIF_POLLING_NRFLAG: the wakelist's set_nr_if_polling, resched_curr's
 *              set_nr_and_not_polling only set need_resched), else an IPI (hv_guest_ipi:
 *              a KVM guest's exits, a Xen guest's goes on an event channel); the
 *              receiver's wake-up is its halt's (host/halt.h)
 *
 * The sender's part runs on its core (urgent when it is interrupt work); the receiver's
 * on the receiver's. */
#ifndef HOST_NOTIFY_H
#define HOST_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "host/cpu.h"
#include "host/irqdeliver.h"

typedef enum host_notify {
    HOST_NOTIFY_NONE = 0,
    HOST_NOTIFY_IOEVENTFD,
    HOST_NOTIFY_WAKE,
    HOST_NOTIFY_IRQFD,
    HOST_NOTIFY_EVTCHN,
    HOST_NOTIFY_GUEST_IPI,
} host_notify;

/* One end of a notification: the core its software runs on, for whom, in interrupt
 * context or not; `thread` (the receiver only) says a thread must be woken after an
 * upcall; `xen` (the sender only) that it is a Xen guest, whose IPIs are event
 * channels. */
typedef struct notify_end {
    unsigned core;
    cpu_who who;
    bool urgent;
    bool thread;
    bool xen;
} notify_end;

typedef struct notify_result {
    uint64_t sender_ps;   /* when the sender goes on */
    uint64_t receiver_ps; /* when the receiver can take the work */
    bool irq;             /* a virtual interrupt or upcall was delivered */
} notify_result;

/* `how` from the sender at t_ps; an irqfd's interrupt comes no earlier than
 * irq_not_before_ps (an emulated device's interrupt throttle). */
notify_result host_notify_send(const irq_env *e, host_notify how, notify_end from, notify_end to,
                               uint64_t t_ps, uint64_t irq_not_before_ps);

#endif
