// The SystemC backend of sim/kernel.h: the only C++ file of the tree and the only one
// that includes <systemc>.
//
// kernel_native.c owns the public interface and forwards every call on a SystemC
// kernel to the sim_sc_* functions below. Each sim event is an sc_event with a method
// process statically sensitive to it (sc_spawn, dont_initialize): SystemC's scheduler
// decides what is due and when. SystemC cannot say whether an event is pending, and
// its notification rules differ from kernel.h in corners (a pending delta notification
// beats an earlier timed one; a process already triggered still runs after a cancel;
// sc_pause finishes the whole delta cycle), so the bridge keeps its own pending time
// per event and makes SystemC follow it.
//
// Same-time order. SystemC runs the processes of one delta cycle in an order it does
// not specify (2.3.4's timed-event heap is not stable), while kernel.h promises the
// order in which the notifications were made. So a triggered process does not call
// its callback: it puts its event on the due list (a heap on the notification's
// sequence number) and wakes one dispatcher process by a delta notification; the
// dispatcher, running in the next delta cycle when everything due in this one has
// been collected, calls the callbacks in sequence order. A callback's own same-time
// notifications carry later sequence numbers than anything already due, so they are
// collected and dispatched after it, as the native heap orders them.
//
// SystemC elaborates once per process and cannot restart after sc_stop, so a process
// gets one SystemC kernel, and stopping uses sc_pause.
//
// Every exported function catches every C++ exception: the message is kept for
// sim_kernel_error(), and a run returns SIM_RUN_ERROR.

#define SC_INCLUDE_DYNAMIC_PROCESSES
#include <systemc>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <queue>
#include <string>
#include <vector>

#include "sim/kernel_bridge.h"

using sc_core::sc_time;

struct sim_sc_event {
    // First member: the process's static sensitivity points here, which is also what
    // keeps the object reachable for leak checkers after the kernel is destroyed.
    sc_core::sc_event ev;
    struct sim_sc *sc;
    sim_event_fn fn;
    void *ctx;
    const char *name; // owned by kernel_native.c; for error messages
    uint64_t when_ps; // valid while pending
    uint64_t seq;     // the notification's place in the same-time order (valid while pending)
    bool pending;
};

// An event whose process SystemC triggered, waiting for the dispatcher. `seq` is the
// notification that triggered it: a later cancel or re-notification makes it stale.
struct sim_sc_due {
    uint64_t seq;
    sim_sc_event *e;
    bool operator>(const sim_sc_due &o) const { return seq > o.seq; }
};

// The parent of every event process. Without it, a process spawned from a callback
// becomes a child of the running process, and a chain of events each created by the
// previous one's callback grows names (and their cost) with its length.
namespace {
struct sim_sc_module : sc_core::sc_module {
    explicit sim_sc_module(sc_core::sc_module_name name) : sc_core::sc_module(name) {}
};
} // namespace

struct sim_sc {
    sc_core::sc_simcontext *simc;
    sim_sc_module *top; // left to SystemC at destroy, like the events
    uint64_t events;
    uint64_t npending; // events whose notification has not fired yet
    uint64_t seq;      // the next notification's sequence number
    bool in_run;
    bool stopping; // sim_kernel_stop was called in this run
    bool failed;   // SystemC threw; it cannot be trusted to run again
    std::vector<sim_sc_event *> all;
    // Triggered at the current time and not yet called back, lowest sequence first;
    // what a stop leaves here is dispatched first thing in the next run.
    std::priority_queue<sim_sc_due, std::vector<sim_sc_due>, std::greater<sim_sc_due>> due;
    sc_core::sc_event *dispatch_ev; // left to SystemC at destroy, like the events
    std::string err;
};

// SystemC keeps one simulation context per process and cannot be re-elaborated.
static bool g_sc_created;

static inline uint64_t now_ps(const sim_sc *sc) { return sc->simc->time_stamp().value(); }

static void fail(sim_sc *sc, const std::string &what, const char *detail)
{
    sc->failed = true;
    sc->err = "systemc kernel: " + what + ": " + detail;
    // A failure inside a callback ends the run as soon as SystemC lets it; the
    // callbacks still due in this delta cycle are held back as for a stop.
    if (sc->in_run) {
        sc->stopping = true;
        sc_core::sc_pause();
    }
}

// ---- firing ------------------------------------------------------------------------

// An event's method process body: collect, and let the dispatcher call back in order.
// A trigger is stale when the notification that caused it was cancelled (and perhaps
// replaced by a later one) after SystemC had already made the process runnable; the
// bridge's own pending time decides.
static void fire(sim_sc_event *e)
{
    sim_sc *sc = e->sc;
    if (!e->pending || e->when_ps != now_ps(sc))
        return;
    sc->due.push(sim_sc_due{ e->seq, e });
    sc->dispatch_ev->notify(sc_core::SC_ZERO_TIME);
}

// The dispatcher process body: every due callback in notification order, until the
// list is empty or a callback stops the run (kernel.h promises the run returns right
// after the stopping callback; the rest wait for the next run, at the same time).
static void dispatch(sim_sc *sc)
{
    while (!sc->due.empty() && !sc->stopping) {
        sim_sc_due d = sc->due.top();
        sc->due.pop();
        sim_sc_event *e = d.e;
        if (!e->pending || e->seq != d.seq || e->when_ps != now_ps(sc))
            continue; // cancelled or re-notified since it was triggered
        // SystemC may hold a notification of an event only while the bridge has it
        // pending: notify_at cancels the old one only then, and a leftover delta
        // notification would make SystemC ignore a later timed one. The notification
        // this firing serves was made at least a delta cycle before the dispatcher
        // runs, so SystemC has delivered it and this cancel normally finds nothing; it
        // keeps the rule without relying on that.
        e->ev.cancel();
        e->pending = false;
        sc->npending--;
        sc->events++;
        e->fn(e->ctx);
    }
}

namespace {
struct fire_method {
    sim_sc_event *e;
    void operator()() const { fire(e); }
};
struct dispatch_method {
    sim_sc *sc;
    void operator()() const { dispatch(sc); }
};
} // namespace

// A method process under the kernel's module, run whenever `ev` is notified. The body's
// own type is spawned (no std::function in between: one indirect call less per firing).
template <class Body> static void spawn_method(sim_sc *sc, sc_core::sc_event *ev, Body body)
{
    sc_core::sc_spawn_options opt;
    opt.spawn_method();
    opt.dont_initialize();
    opt.set_sensitivity(ev);
    sc->simc->hierarchy_push(sc->top);
    try {
        sc_core::sc_spawn(body, nullptr, &opt);
    } catch (...) {
        sc->simc->hierarchy_pop();
        throw;
    }
    sc->simc->hierarchy_pop();
}

// ---- kernel ----------------------------------------------------------------------

static void configure_reports()
{
    using namespace sc_core;
    // Errors come back through sim_kernel_error, not on stdout; a fatal error must not
    // abort the program that embeds the simulator.
    sc_report_handler::set_actions(SC_ERROR, SC_THROW);
    sc_report_handler::set_actions(SC_FATAL, SC_THROW);
    // The run logic below may call sc_start for a step in which nothing happens.
    sc_report_handler::set_actions(SC_ID_NO_SC_START_ACTIVITY_, SC_DO_NOTHING);
}

sim_sc *sim_sc_create(sim_err *err)
{
    if (g_sc_created) {
        sim_err_set(err, "systemc kernel: only one per process (SystemC elaborates once and "
                         "cannot restart); run each SystemC simulation in its own process");
        return nullptr;
    }
    g_sc_created = true;
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
    try {
        configure_reports();
        sim_sc *sc = new sim_sc();
        sc->simc = sc_core::sc_get_curr_simcontext();
        sc->top = new sim_sc_module("iovsim_kernel");
        sc->dispatch_ev = new sc_core::sc_event();
        spawn_method(sc, sc->dispatch_ev, dispatch_method{ sc });
        // Times cross the bridge as raw values; that is exact only at 1 ps resolution,
        // SystemC's default (and fixed from here on).
        if (sc_core::sc_get_time_resolution() != sc_time(1, sc_core::SC_PS)) {
            delete sc;
            sim_err_set(err, "systemc kernel: time resolution is not 1 ps");
            return nullptr;
        }
        return sc;
    } catch (const std::exception &ex) {
        sim_err_set(err, "systemc kernel: %s", ex.what());
    } catch (...) {
        sim_err_set(err, "systemc kernel: unknown C++ exception while starting SystemC");
    }
    return nullptr;
}

// The SystemC context outlives the kernel (it lives until the process exits) and its
// processes keep pointers to the events, so events are cancelled and left to it rather
// than deleted; a process holds at most one SystemC kernel, so this is bounded.
void sim_sc_destroy(sim_sc *sc)
{
    for (sim_sc_event *e : sc->all) {
        try {
            e->ev.cancel();
        } catch (...) {
        }
        e->pending = false;
    }
    try {
        sc->dispatch_ev->cancel();
    } catch (...) {
    }
    delete sc;
}

sim_sc_event *sim_sc_event_create(sim_sc *sc, const char *name, sim_event_fn fn, void *ctx)
{
    try {
        // If sc_spawn throws, the event is left allocated: SystemC may already hold
        // a pointer to it.
        sim_sc_event *e = new sim_sc_event();
        e->sc = sc;
        e->fn = fn;
        e->ctx = ctx;
        e->name = name;
        spawn_method(sc, &e->ev, fire_method{ e });
        sc->all.push_back(e);
        return e;
    } catch (const std::exception &ex) {
        fail(sc, "creating an event", ex.what());
    } catch (...) {
        fail(sc, "creating an event", "unknown C++ exception");
    }
    return nullptr;
}

// ---- notifications -------------------------------------------------------------------

void sim_sc_event_notify_at(sim_sc_event *e, uint64_t when_ps)
{
    if (e->pending && e->when_ps <= when_ps)
        return; // an equal or earlier pending one wins, keeping its place (and a due one)
    sim_sc *sc = e->sc;
    try {
        uint64_t now = now_ps(sc);
        if (e->pending)
            e->ev.cancel();
        else
            sc->npending++;
        e->pending = true;
        e->when_ps = when_ps;
        e->seq = sc->seq++;
        // A zero delay is a delta notification: same time, after the current callback.
        e->ev.notify(when_ps == now ? sc_core::SC_ZERO_TIME : sc_time::from_value(when_ps - now));
    } catch (const std::exception &ex) {
        fail(sc, std::string("notify of event '") + e->name + "'", ex.what());
    } catch (...) {
        fail(sc, std::string("notify of event '") + e->name + "'", "unknown C++ exception");
    }
}

void sim_sc_event_cancel(sim_sc_event *e)
{
    if (!e->pending)
        return;
    e->pending = false; // a due entry of it is skipped by the dispatcher
    e->sc->npending--;
    try {
        e->ev.cancel();
    } catch (const std::exception &ex) {
        fail(e->sc, std::string("cancel of event '") + e->name + "'", ex.what());
    } catch (...) {
        fail(e->sc, std::string("cancel of event '") + e->name + "'", "unknown C++ exception");
    }
}

bool sim_sc_event_pending(const sim_sc_event *e) { return e->pending; }

uint64_t sim_sc_event_when_ps(const sim_sc_event *e)
{
    return e->pending ? e->when_ps : SIM_TIME_MAX_PS;
}

uint64_t sim_sc_now_ps(const sim_sc *sc) { return now_ps(sc); }

// ---- running ------------------------------------------------------------------------

// Callbacks held back by a stop are dispatched first thing in the next run, at the
// same time.
static void resume_due(sim_sc *sc)
{
    if (!sc->due.empty())
        sc->dispatch_ev->notify(sc_core::SC_ZERO_TIME);
}

// True when something is to run at or before end_ps (now <= end_ps).
static bool activity_until(sim_sc *sc, uint64_t end_ps)
{
    if (sc_core::sc_pending_activity_at_current_time(sc->simc))
        return true;
    if (!sc_core::sc_pending_activity_at_future_time(sc->simc))
        return false;
    uint64_t gap = sc_core::sc_time_to_pending_activity(sc->simc).value();
    return gap <= end_ps - now_ps(sc);
}

// One sc_start; true when the run must end here (a stop or a failure).
static bool start(sim_sc *sc, uint64_t duration_ps, sc_core::sc_starvation_policy policy)
{
    sc_core::sc_start(sc_time::from_value(duration_ps), policy);
    return sc->stopping || sc->failed;
}

// sc_start(d) triggers the notifications at exactly now + d but holds back the delta
// cycle that would run their processes ("hold off on the delta for the until_t time"
// in sc_simcontext::simulate), and with SC_EXIT_ON_STARVATION it leaves the time at
// the last event when nothing is due before the end. So: one sc_start that stops on
// starvation, then single delta cycles while anything is runnable at the current time
// (this is where the end-time notifications and their zero-delay followers run), then,
// if notifications remain beyond end_ps, an empty sc_start that only moves the time.
static sim_run_status run_until(sim_sc *sc, uint64_t end_ps)
{
    resume_due(sc);
    uint64_t now = now_ps(sc);
    if (end_ps >= now) {
        if (activity_until(sc, end_ps) && start(sc, end_ps - now, sc_core::SC_EXIT_ON_STARVATION))
            return sc->failed ? SIM_RUN_ERROR : SIM_RUN_STOPPED;
        while (sc_core::sc_pending_activity_at_current_time(sc->simc))
            if (start(sc, 0, sc_core::SC_EXIT_ON_STARVATION))
                return sc->failed ? SIM_RUN_ERROR : SIM_RUN_STOPPED;
    }
    if (sc->npending == 0)
        return SIM_RUN_IDLE;
    now = now_ps(sc);
    if (end_ps > now && start(sc, end_ps - now, sc_core::SC_RUN_TO_TIME))
        return sc->failed ? SIM_RUN_ERROR : SIM_RUN_STOPPED;
    return SIM_RUN_TIME;
}

sim_run_status sim_sc_run_until(sim_sc *sc, uint64_t end_ps)
{
    if (sc->failed)
        return SIM_RUN_ERROR;
    sc->stopping = false;
    sc->in_run = true;
    sim_run_status st;
    try {
        st = run_until(sc, end_ps);
    } catch (const std::exception &ex) {
        fail(sc, "run", ex.what());
        st = SIM_RUN_ERROR;
    } catch (...) {
        fail(sc, "run", "unknown C++ exception");
        st = SIM_RUN_ERROR;
    }
    sc->in_run = false;
    sc->stopping = false;
    return st;
}

void sim_sc_stop(sim_sc *sc)
{
    if (!sc->in_run)
        return;
    sc->stopping = true;
    sc_core::sc_pause();
}

uint64_t sim_sc_events(const sim_sc *sc) { return sc->events; }

const char *sim_sc_error(const sim_sc *sc) { return sc->err.c_str(); }

// libsystemc refers to sc_main (its own main calls it); programs here keep their C
// main() and never call sc_elab_and_sim, so this is never run.
int sc_main(int, char *[]) { return 0; }
