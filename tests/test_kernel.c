/* Unit tests of sim/kernel.h on both backends.
 *
 * Check runs every test in its own forked child (CK_FORK, the default), which the
 * SystemC backend needs: SystemC elaborates once per process. Most tests are loop
 * tests over the two kernel kinds; the last ones use one SystemC kernel and one native
 * kernel in the same child.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/kernel.h"
#include "sim/rng.h"

#define NS SIM_PS_PER_NS
#define MAX_LOG 512

/* ---- a probe: an event whose callback logs (id, now) and then runs a hook ---------- */

typedef struct probe probe;
typedef struct scene {
    sim_kernel *k;
    int n;
    int id[MAX_LOG];
    uint64_t at[MAX_LOG];
    int last_id;   /* the id of the last callback that ran */
    bool done;     /* one-shot flag shared by the hooks of a test */
    probe *extra;  /* free for the hooks of a test */
    int nextra;
} scene;

struct probe {
    scene *sc;
    int id;
    sim_event *ev;
    void (*hook)(probe *p);
    probe *other;
    uint64_t arg;
    int fires;
    bool pending_in_cb;      /* sim_event_pending(own event) seen inside the callback */
    uint64_t when_in_cb;     /* sim_event_when_ps(own event) seen inside the callback */
    bool flag;
};

static void on_probe(void *ctx)
{
    probe *p = ctx;
    scene *sc = p->sc;
    ck_assert_int_lt(sc->n, MAX_LOG);
    sc->id[sc->n] = p->id;
    sc->at[sc->n] = sim_now_ps(sc->k);
    sc->n++;
    sc->last_id = p->id;
    p->fires++;
    p->pending_in_cb = sim_event_pending(p->ev);
    p->when_in_cb = sim_event_when_ps(p->ev);
    if (p->hook)
        p->hook(p);
}

static sim_kernel *make_kernel(int kind)
{
    sim_err err = { { 0 } };
    sim_kernel *k = sim_kernel_create((sim_kernel_kind)kind, &err);
    ck_assert_msg(k != NULL, "creating the %s kernel: %s", sim_kernel_kind_name(kind), err.msg);
    ck_assert_str_eq(sim_kernel_error(k), "");
    ck_assert_int_eq(sim_kernel_get_kind(k), kind);
    return k;
}

static void probe_init(scene *sc, probe *p, int id, void (*hook)(probe *))
{
    char name[32];
    snprintf(name, sizeof name, "probe%d", id);
    *p = (probe){ .sc = sc, .id = id, .hook = hook };
    p->ev = sim_event_create(sc->k, name, on_probe, p);
    ck_assert_ptr_nonnull(p->ev);
}

/* Index in the log of the k-th firing (0-based) of id, -1 when there is none. */
static int log_find(const scene *sc, int id, int kth)
{
    for (int i = 0; i < sc->n; i++)
        if (sc->id[i] == id && kth-- == 0)
            return i;
    return -1;
}

/* ---- ordering, now, zero delay ------------------------------------------------------ */

START_TEST(test_order_and_now)
{
    scene sc = { .k = make_kernel(_i) };
    probe p[5];
    for (int i = 0; i < 5; i++)
        probe_init(&sc, &p[i], i, NULL);
    sim_event_notify(p[0].ev, 30 * NS);
    sim_event_notify(p[1].ev, 10 * NS);
    sim_event_notify_at(p[2].ev, 20 * NS);
    sim_event_notify(p[3].ev, 20 * NS);
    sim_event_notify_at(p[4].ev, 5 * NS);
    ck_assert_int_eq(sim_kernel_run(sc.k), SIM_RUN_IDLE);
    ck_assert_int_eq(sc.n, 5);
    static const uint64_t want[5] = { 30 * NS, 10 * NS, 20 * NS, 20 * NS, 5 * NS };
    for (int i = 0; i < sc.n; i++) {
        ck_assert_uint_eq(sc.at[i], want[sc.id[i]]); /* now() inside the callback */
        if (i > 0)
            ck_assert_uint_le(sc.at[i - 1], sc.at[i]);
    }
    ck_assert_int_eq(sc.id[0], 4);
    ck_assert_int_eq(sc.id[1], 1);
    ck_assert_int_eq(sc.id[4], 0);
    ck_assert_uint_eq(sim_now_ps(sc.k), 30 * NS);
    ck_assert_uint_eq(sim_kernel_events(sc.k), 5);
    ck_assert_str_eq(sim_kernel_error(sc.k), "");
    sim_kernel_destroy(sc.k);
}
END_TEST

/* Notifies the other probe and itself with zero delay (once), then marks that the
 * callback has returned from those calls. */
static void hook_zero(probe *p)
{
    if (p->sc->done)
        return;
    p->sc->done = true;
    sim_event_notify(p->other->ev, 0);
    sim_event_notify(p->ev, 0);
    ck_assert(sim_event_pending(p->other->ev));
    ck_assert_uint_eq(sim_event_when_ps(p->other->ev), 100 * NS);
    p->flag = true;
}

static void hook_check_returned(probe *p)
{
    ck_assert_msg(p->other->flag, "zero-delay callback ran before the notifier returned");
}

START_TEST(test_zero_delay)
{
    scene sc = { .k = make_kernel(_i) };
    probe a, b;
    probe_init(&sc, &a, 0, hook_zero);
    probe_init(&sc, &b, 1, hook_check_returned);
    a.other = &b;
    b.other = &a;
    sim_event_notify(a.ev, 100 * NS);
    ck_assert_int_eq(sim_kernel_run(sc.k), SIM_RUN_IDLE);
    ck_assert_int_eq(sc.n, 3);
    ck_assert_int_eq(sc.id[0], 0);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(sc.at[i], 100 * NS);
    ck_assert_int_eq(a.fires, 2);
    ck_assert_int_eq(b.fires, 1);
    ck_assert_uint_eq(sim_now_ps(sc.k), 100 * NS);
    ck_assert_uint_eq(sim_kernel_events(sc.k), 3);

    /* Between runs, a zero delay fires at the current time in the next run. */
    sim_event_notify(b.ev, 0);
    ck_assert_uint_eq(sim_event_when_ps(b.ev), 100 * NS);
    ck_assert_int_eq(sim_kernel_run_until(sc.k, 100 * NS), SIM_RUN_IDLE);
    ck_assert_int_eq(b.fires, 2);
    ck_assert_uint_eq(sim_now_ps(sc.k), 100 * NS);
    sim_kernel_destroy(sc.k);
}
END_TEST

/* ---- same-time order ----------------------------------------------------------------- */

/* Probe 0's hook at 50 ns: notifies probe 9 with zero delay, moves probe 8 (pending at
 * 80 ns) to now, cancels probe 3 and re-notifies it for now, and stops the run. */
static void hook_reorder(probe *p)
{
    probe *all = p->sc->extra;
    sim_event_notify(all[9].ev, 0);
    sim_event_notify_at(all[8].ev, 50 * NS);
    sim_event_cancel(all[3].ev);
    sim_event_notify(all[3].ev, 0);
    sim_kernel_stop(p->sc->k);
}

/* kernel.h's same-time order, the same on both backends: notifications due at one
 * time fire in the order they were made; a notification that moves an event earlier,
 * or follows a cancel, counts as made then; a callback's zero-delay notifications
 * come after everything already due; a stop holds the rest back in that order. */
START_TEST(test_same_time_order)
{
    scene sc = { .k = make_kernel(_i) };
    probe p[10];
    for (int i = 0; i < 10; i++)
        probe_init(&sc, &p[i], i, i == 0 ? hook_reorder : NULL);
    sc.extra = p;
    /* Made in the order 5 2 7 0 3 1 4 6 (all for 50 ns), 8 for 80 ns. */
    static const int made[] = { 5, 2, 7, 0, 3, 1, 4, 6 };
    for (size_t i = 0; i < sizeof made / sizeof made[0]; i++)
        sim_event_notify_at(p[made[i]].ev, 50 * NS);
    sim_event_notify_at(p[8].ev, 80 * NS);
    sim_event_notify_at(p[2].ev, 90 * NS); /* later: ignored, 2 keeps its place */

    ck_assert_int_eq(sim_kernel_run(sc.k), SIM_RUN_STOPPED);
    ck_assert_int_eq(sc.n, 4);
    ck_assert_int_eq(sc.last_id, 0);
    ck_assert_int_eq(sim_kernel_run(sc.k), SIM_RUN_IDLE);
    /* 1 4 6 were due before 0 ran; then 9, 8 and 3 in the order 0 notified them. */
    static const int want[] = { 5, 2, 7, 0, 1, 4, 6, 9, 8, 3 };
    ck_assert_int_eq(sc.n, 10);
    for (int i = 0; i < 10; i++) {
        ck_assert_msg(sc.id[i] == want[i], "%s kernel: firing %d is probe %d, wanted %d",
                      sim_kernel_kind_name(_i), i, sc.id[i], want[i]);
        ck_assert_uint_eq(sc.at[i], 50 * NS);
    }
    sim_kernel_destroy(sc.k);
}
END_TEST

/* ---- earlier wins, cancel, pending ---------------------------------------------------- */

/* At 10 ns: pulls the other probe (pending at 100 ns) to now, then tries to push it
 * later, which must be ignored. */
static void hook_pull_in(probe *p)
{
    sim_event_notify(p->other->ev, 0);
    sim_event_notify(p->other->ev, 500 * NS);
    ck_assert_uint_eq(sim_event_when_ps(p->other->ev), 10 * NS);
}

START_TEST(test_earlier_wins)
{
    scene sc = { .k = make_kernel(_i) };
    probe e, x, y;
    probe_init(&sc, &e, 0, NULL);
    probe_init(&sc, &x, 1, hook_pull_in);
    probe_init(&sc, &y, 2, NULL);
    x.other = &y;

    sim_event_notify(e.ev, 100 * NS);
    ck_assert_uint_eq(sim_event_when_ps(e.ev), 100 * NS);
    sim_event_notify(e.ev, 50 * NS);
    ck_assert_uint_eq(sim_event_when_ps(e.ev), 50 * NS);
    sim_event_notify(e.ev, 200 * NS);
    ck_assert_uint_eq(sim_event_when_ps(e.ev), 50 * NS);
    sim_event_notify_at(e.ev, 50 * NS);
    sim_event_notify_at(e.ev, 60 * NS);
    ck_assert_uint_eq(sim_event_when_ps(e.ev), 50 * NS);

    sim_event_notify(x.ev, 10 * NS);
    sim_event_notify(y.ev, 100 * NS);
    ck_assert_int_eq(sim_kernel_run(sc.k), SIM_RUN_IDLE);
    ck_assert_int_eq(e.fires, 1);
    ck_assert_int_eq(y.fires, 1);
    ck_assert_uint_eq(sc.at[log_find(&sc, 0, 0)], 50 * NS);
    ck_assert_uint_eq(sc.at[log_find(&sc, 2, 0)], 10 * NS);
    ck_assert_int_gt(log_find(&sc, 2, 0), log_find(&sc, 1, 0));
    ck_assert_uint_eq(sim_kernel_events(sc.k), 3);
    ck_assert_uint_eq(sim_now_ps(sc.k), 50 * NS);
    sim_kernel_destroy(sc.k);
}
END_TEST

/* Two probes due at the same time cancel each other: the first notified runs first
 * (kernel.h's same-time order) and wins. */
static void hook_cancel_other(probe *p) { sim_event_cancel(p->other->ev); }

/* Two probes due at the same time: the first to run moves the other 30 ns later. */
static void hook_move_other(probe *p)
{
    if (p->sc->done)
        return;
    p->sc->done = true;
    sim_event_cancel(p->other->ev);
    ck_assert(!sim_event_pending(p->other->ev));
    sim_event_notify(p->other->ev, 30 * NS);
}

/* The first to run cancels the other and re-notifies it with zero delay; the other,
 * in that firing, notifies itself 10 ns later. */
static void hook_renotify_now(probe *p)
{
    if (!p->sc->done) {
        p->sc->done = true;
        sim_event_cancel(p->other->ev);
        sim_event_notify(p->other->ev, 0);
    } else if (p->fires == 1) {
        sim_event_notify(p->ev, 10 * NS);
    }
}

START_TEST(test_cancel)
{
    scene sc = { .k = make_kernel(_i) };
    probe e;
    probe_init(&sc, &e, 0, NULL);
    sim_event_cancel(e.ev); /* not pending: no effect */
    sim_event_notify(e.ev, 100 * NS);
    sim_event_cancel(e.ev);
    ck_assert(!sim_event_pending(e.ev));
    ck_assert_uint_eq(sim_event_when_ps(e.ev), SIM_TIME_MAX_PS);
    sim_event_cancel(e.ev);
    ck_assert_int_eq(sim_kernel_run(sc.k), SIM_RUN_IDLE);
    ck_assert_int_eq(e.fires, 0);
    ck_assert_uint_eq(sim_now_ps(sc.k), 0);
    sim_event_notify(e.ev, 100 * NS);
    ck_assert_int_eq(sim_kernel_run(sc.k), SIM_RUN_IDLE);
    ck_assert_int_eq(e.fires, 1);
    ck_assert_uint_eq(sim_now_ps(sc.k), 100 * NS);

    /* Mutual cancel at the same time: the first notified runs. */
    probe a, b;
    probe_init(&sc, &a, 1, hook_cancel_other);
    probe_init(&sc, &b, 2, hook_cancel_other);
    a.other = &b;
    b.other = &a;
    sim_event_notify(a.ev, 50 * NS);
    sim_event_notify(b.ev, 50 * NS);
    ck_assert_int_eq(sim_kernel_run(sc.k), SIM_RUN_IDLE);
    ck_assert_int_eq(a.fires, 1);
    ck_assert_int_eq(b.fires, 0);
    ck_assert_uint_eq(sim_now_ps(sc.k), 150 * NS);

    /* Cancel and re-notify later at the same time: the other runs only later. */
    probe c, d;
    probe_init(&sc, &c, 3, hook_move_other);
    probe_init(&sc, &d, 4, hook_move_other);
    c.other = &d;
    d.other = &c;
    sim_event_notify(c.ev, 50 * NS);
    sim_event_notify(d.ev, 50 * NS);
    int base = sc.n;
    ck_assert_int_eq(sim_kernel_run(sc.k), SIM_RUN_IDLE);
    ck_assert_int_eq(sc.n - base, 2);
    ck_assert_int_ne(sc.id[base], sc.id[base + 1]);
    ck_assert_int_eq(sc.id[base], 3); /* c was notified first */
    ck_assert_uint_eq(sc.at[base], 200 * NS);
    ck_assert_uint_eq(sc.at[base + 1], 230 * NS);

    /* Cancel and re-notify at the same time: the other runs once, after. */
    probe f, g;
    sc.done = false;
    probe_init(&sc, &f, 5, hook_renotify_now);
    probe_init(&sc, &g, 6, hook_renotify_now);
    f.other = &g;
    g.other = &f;
    sim_event_notify(f.ev, 10 * NS);
    sim_event_notify(g.ev, 10 * NS);
    base = sc.n;
    ck_assert_int_eq(sim_kernel_run(sc.k), SIM_RUN_IDLE);
    ck_assert_int_eq(sc.n - base, 3);
    ck_assert_int_eq(f.fires + g.fires, 3);
    ck_assert_int_ne(sc.id[base], sc.id[base + 1]);
    ck_assert_int_eq(sc.id[base + 1], sc.id[base + 2]);
    ck_assert_int_eq(sc.id[base], 5); /* f was notified first */
    ck_assert_int_eq(f.fires, 1);
    ck_assert_int_eq(g.fires, 2);
    ck_assert_uint_eq(sc.at[base + 1], 240 * NS);
    ck_assert_uint_eq(sc.at[base + 2], 250 * NS);
    ck_assert_uint_eq(sim_kernel_events(sc.k), 7);
    sim_kernel_destroy(sc.k);
}
END_TEST

START_TEST(test_pending_when)
{
    scene sc = { .k = make_kernel(_i) };
    probe e;
    probe_init(&sc, &e, 0, NULL);
    ck_assert(!sim_event_pending(e.ev));
    ck_assert_uint_eq(sim_event_when_ps(e.ev), SIM_TIME_MAX_PS);
    sim_event_notify(e.ev, 5 * NS);
    ck_assert(sim_event_pending(e.ev));
    ck_assert_uint_eq(sim_event_when_ps(e.ev), 5 * NS);
    ck_assert_int_eq(sim_kernel_run(sc.k), SIM_RUN_IDLE);
    ck_assert(!e.pending_in_cb);
    ck_assert_uint_eq(e.when_in_cb, SIM_TIME_MAX_PS);
    ck_assert(!sim_event_pending(e.ev));
    ck_assert_uint_eq(sim_event_when_ps(e.ev), SIM_TIME_MAX_PS);
    /* The delay is relative to now. */
    sim_event_notify(e.ev, 5 * NS);
    ck_assert_uint_eq(sim_event_when_ps(e.ev), 10 * NS);
    /* A delay past the end of time saturates; such an event is pending at the end. */
    sim_event_cancel(e.ev);
    sim_event_notify(e.ev, UINT64_MAX);
    ck_assert(sim_event_pending(e.ev));
    ck_assert_uint_eq(sim_event_when_ps(e.ev), SIM_TIME_MAX_PS);
    ck_assert_int_eq(sim_kernel_run_until(sc.k, SIM_PS_PER_MS), SIM_RUN_TIME);
    ck_assert_int_eq(e.fires, 1);
    ck_assert_uint_eq(sim_now_ps(sc.k), SIM_PS_PER_MS);
    ck_assert_int_eq(sim_kernel_run(sc.k), SIM_RUN_IDLE);
    ck_assert_int_eq(e.fires, 2);
    ck_assert_uint_eq(sim_now_ps(sc.k), SIM_TIME_MAX_PS);
    sim_kernel_destroy(sc.k);
}
END_TEST

/* ---- run_until, run, stop ------------------------------------------------------------- */

static void hook_notify_other_now(probe *p) { sim_event_notify(p->other->ev, 0); }

START_TEST(test_run_until_end)
{
    scene sc = { .k = make_kernel(_i) };
    probe p[6];
    for (int i = 0; i < 6; i++)
        probe_init(&sc, &p[i], i, NULL);
    /* 1 at 100, 2 at exactly the end (200) with a chain of two zero delays, 3 after. */
    p[2].hook = hook_notify_other_now;
    p[2].other = &p[4];
    p[4].hook = hook_notify_other_now;
    p[4].other = &p[5];
    sim_event_notify(p[1].ev, 100 * NS);
    sim_event_notify(p[2].ev, 200 * NS);
    sim_event_notify(p[3].ev, 300 * NS);
    ck_assert_int_eq(sim_kernel_run_until(sc.k, 200 * NS), SIM_RUN_TIME);
    ck_assert_uint_eq(sim_now_ps(sc.k), 200 * NS);
    ck_assert_int_eq(sc.n, 4);
    ck_assert_int_eq(p[1].fires + p[2].fires + p[4].fires + p[5].fires, 4);
    ck_assert_int_eq(p[3].fires, 0);
    ck_assert_uint_eq(sc.at[3], 200 * NS);
    ck_assert(sim_event_pending(p[3].ev));

    /* Nothing due: time still moves to the end. */
    ck_assert_int_eq(sim_kernel_run_until(sc.k, 250 * NS), SIM_RUN_TIME);
    ck_assert_uint_eq(sim_now_ps(sc.k), 250 * NS);
    ck_assert_int_eq(sc.n, 4);
    /* Same end again: nothing to do. */
    ck_assert_int_eq(sim_kernel_run_until(sc.k, 250 * NS), SIM_RUN_TIME);
    ck_assert_uint_eq(sim_now_ps(sc.k), 250 * NS);

    /* An end before now runs nothing and does not move time back. */
    ck_assert_int_eq(sim_kernel_run_until(sc.k, 10 * NS), SIM_RUN_TIME);
    ck_assert_uint_eq(sim_now_ps(sc.k), 250 * NS);

    /* Idle before the end: time stays at the last event. */
    ck_assert_int_eq(sim_kernel_run_until(sc.k, 1000 * NS), SIM_RUN_IDLE);
    ck_assert_uint_eq(sim_now_ps(sc.k), 300 * NS);
    ck_assert_int_eq(p[3].fires, 1);

    /* A notification at now, made between runs, runs in run_until(now). */
    sim_event_notify(p[0].ev, 0);
    ck_assert_int_eq(sim_kernel_run_until(sc.k, 300 * NS), SIM_RUN_IDLE);
    ck_assert_int_eq(p[0].fires, 1);
    ck_assert_uint_eq(sim_now_ps(sc.k), 300 * NS);
    ck_assert_int_eq(sim_kernel_run_until(sc.k, 10 * NS), SIM_RUN_IDLE);
    ck_assert_uint_eq(sim_now_ps(sc.k), 300 * NS);
    ck_assert_uint_eq(sim_kernel_events(sc.k), 6);
    sim_kernel_destroy(sc.k);
}
END_TEST

static void hook_periodic(probe *p) { sim_event_notify(p->ev, p->arg); }

START_TEST(test_run_until_resume)
{
    scene sc = { .k = make_kernel(_i) };
    probe t;
    probe_init(&sc, &t, 0, hook_periodic);
    t.arg = 10 * NS;
    sim_event_notify(t.ev, 10 * NS);
    ck_assert_int_eq(sim_kernel_run_until(sc.k, 55 * NS), SIM_RUN_TIME);
    ck_assert_int_eq(t.fires, 5);
    ck_assert_uint_eq(sim_now_ps(sc.k), 55 * NS);
    ck_assert_uint_eq(sim_event_when_ps(t.ev), 60 * NS);
    ck_assert_int_eq(sim_kernel_run_until(sc.k, 100 * NS), SIM_RUN_TIME);
    ck_assert_int_eq(t.fires, 10);
    ck_assert_uint_eq(sim_now_ps(sc.k), 100 * NS);
    ck_assert_uint_eq(sim_event_when_ps(t.ev), 110 * NS);
    /* Many short steps, each ending exactly on an event or between two. */
    for (uint64_t end = 105 * NS; end <= 200 * NS; end += 5 * NS) {
        ck_assert_int_eq(sim_kernel_run_until(sc.k, end), SIM_RUN_TIME);
        ck_assert_uint_eq(sim_now_ps(sc.k), end);
        ck_assert_int_eq(t.fires, (int)(end / (10 * NS)));
    }
    for (int i = 0; i < t.fires; i++)
        ck_assert_uint_eq(sc.at[i], (uint64_t)(i + 1) * 10 * NS);
    ck_assert_uint_eq(sim_kernel_events(sc.k), 20);
    sim_kernel_destroy(sc.k);
}
END_TEST

static void hook_chain(probe *p)
{
    if (p->other)
        sim_event_notify(p->other->ev, 10 * NS);
}

START_TEST(test_run_idle)
{
    scene sc = { .k = make_kernel(_i) };
    ck_assert_int_eq(sim_kernel_run(sc.k), SIM_RUN_IDLE); /* nothing at all */
    ck_assert_uint_eq(sim_now_ps(sc.k), 0);
    probe p[3];
    for (int i = 0; i < 3; i++)
        probe_init(&sc, &p[i], i, hook_chain);
    p[0].other = &p[1];
    p[1].other = &p[2];
    sim_event_notify(p[0].ev, 10 * NS);
    ck_assert_int_eq(sim_kernel_run(sc.k), SIM_RUN_IDLE);
    ck_assert_uint_eq(sim_now_ps(sc.k), 30 * NS);
    ck_assert_int_eq(sc.n, 3);
    ck_assert_int_eq(sim_kernel_run(sc.k), SIM_RUN_IDLE);
    ck_assert_uint_eq(sim_now_ps(sc.k), 30 * NS);
    ck_assert_uint_eq(sim_kernel_events(sc.k), 3);
    sim_kernel_destroy(sc.k);
}
END_TEST

/* Periodic every 10 ns; on the second firing, makes the scene's extra probes due with
 * its third (notified after it, so the native backend runs them after it); on every
 * third firing, notifies `other` with zero delay and stops the kernel. */
static void hook_stopper(probe *p)
{
    sim_event_notify(p->ev, 10 * NS);
    if (p->fires == 2)
        for (int i = 0; i < p->sc->nextra; i++)
            sim_event_notify(p->sc->extra[i].ev, 10 * NS);
    if (p->fires % 3 == 0) {
        sim_event_notify(p->other->ev, 0);
        sim_kernel_stop(p->sc->k);
    }
}

START_TEST(test_stop)
{
    scene sc = { .k = make_kernel(_i) };
    probe s, q, y[3];
    probe_init(&sc, &s, 0, hook_stopper);
    probe_init(&sc, &q, 1, NULL);
    s.other = &q;
    for (int i = 0; i < 3; i++)
        probe_init(&sc, &y[i], 10 + i, NULL);
    sc.extra = y;
    sc.nextra = 3;
    sim_kernel_stop(sc.k); /* outside a run: no effect */
    sim_event_notify(s.ev, 10 * NS);

    ck_assert_int_eq(sim_kernel_run(sc.k), SIM_RUN_STOPPED);
    ck_assert_int_eq(sc.last_id, 0); /* the run returned right after the stopper */
    ck_assert_uint_eq(sim_now_ps(sc.k), 30 * NS);
    ck_assert_int_eq(s.fires, 3);
    ck_assert(sim_event_pending(q.ev));
    ck_assert_uint_eq(sim_event_when_ps(q.ev), 30 * NS);
    int held = 0;
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(y[i].fires + sim_event_pending(y[i].ev), 1);
        if (sim_event_pending(y[i].ev)) {
            ck_assert_uint_eq(sim_event_when_ps(y[i].ev), 30 * NS);
            held++;
        }
    }
    ck_assert_uint_eq(sim_kernel_events(sc.k), (uint64_t)sc.n);
    ck_assert_int_eq(held, 3); /* notified after the stopper's notification */
    /* Cancel one held-back event while stopped: it must not run. */
    if (held > 0) {
        for (int i = 0; i < 3; i++)
            if (sim_event_pending(y[i].ev)) {
                sim_event_cancel(y[i].ev);
                y[i].flag = true;
                break;
            }
    }

    /* Resume: the rest of 30 ns runs at 30 ns, then 40 ns. */
    ck_assert_int_eq(sim_kernel_run_until(sc.k, 45 * NS), SIM_RUN_TIME);
    ck_assert_uint_eq(sim_now_ps(sc.k), 45 * NS);
    ck_assert_int_eq(q.fires, 1);
    ck_assert_uint_eq(sc.at[log_find(&sc, 1, 0)], 30 * NS);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(y[i].fires, y[i].flag ? 0 : 1);
        if (y[i].fires)
            ck_assert_uint_eq(sc.at[log_find(&sc, 10 + i, 0)], 30 * NS);
    }
    ck_assert_int_eq(s.fires, 4);

    ck_assert_int_eq(sim_kernel_run(sc.k), SIM_RUN_STOPPED);
    ck_assert_uint_eq(sim_now_ps(sc.k), 60 * NS);
    ck_assert_int_eq(s.fires, 6);
    ck_assert_int_eq(sc.last_id, 0);
    ck_assert_int_eq(sim_kernel_run_until(sc.k, 60 * NS), SIM_RUN_TIME);
    ck_assert_int_eq(q.fires, 2);
    ck_assert_int_eq(sim_kernel_run_until(sc.k, 90 * NS), SIM_RUN_STOPPED);
    ck_assert_uint_eq(sim_now_ps(sc.k), 90 * NS);
    ck_assert_uint_eq(sim_kernel_events(sc.k), (uint64_t)sc.n);
    ck_assert_str_eq(sim_kernel_error(sc.k), "");
    sim_kernel_destroy(sc.k);
}
END_TEST

/* ---- events created during a run ---------------------------------------------------- */

typedef struct spawner {
    scene *sc;
    probe kids[40];
    int nkids;
} spawner;

static spawner g_spawner;

/* Each firing creates the next probe and notifies it 5 ns later (a chain of 10), and
 * the first firing also creates 29 more at once, due in reverse order. */
static void hook_spawn(probe *p)
{
    spawner *s = &g_spawner;
    if (p->id == 0) {
        for (int i = 0; i < 29; i++) {
            probe *c = &s->kids[s->nkids];
            probe_init(p->sc, c, 100 + i, NULL);
            s->nkids++;
            sim_event_notify(c->ev, (uint64_t)(29 - i) * NS);
        }
    }
    if (p->id >= 10)
        return;
    probe *c = &s->kids[s->nkids++];
    probe_init(p->sc, c, p->id + 1, hook_spawn);
    sim_event_notify(c->ev, 5 * NS);
}

START_TEST(test_create_during_run)
{
    scene sc = { .k = make_kernel(_i) };
    g_spawner.sc = &sc;
    probe root;
    probe_init(&sc, &root, 0, hook_spawn);
    sim_event_notify(root.ev, 1 * NS);
    ck_assert_int_eq(sim_kernel_run(sc.k), SIM_RUN_IDLE);
    ck_assert_int_eq(sc.n, 40);
    ck_assert_uint_eq(sim_kernel_events(sc.k), 40);
    for (int id = 0; id <= 10; id++)
        ck_assert_uint_eq(sc.at[log_find(&sc, id, 0)], (1 + 5 * (uint64_t)id) * NS);
    for (int i = 0; i < 29; i++)
        ck_assert_uint_eq(sc.at[log_find(&sc, 100 + i, 0)], (1 + 29 - (uint64_t)i) * NS);
    for (int i = 1; i < sc.n; i++)
        ck_assert_uint_le(sc.at[i - 1], sc.at[i]);
    ck_assert_uint_eq(sim_now_ps(sc.k), 51 * NS);
    sim_kernel_destroy(sc.k);
}
END_TEST

/* A long chain of events, each created by the previous one's callback. The cost of
 * creating an event must not grow with the chain (on SystemC, a process spawned from a
 * callback would otherwise nest under the running one, and its name with it); a
 * quadratic cost shows as the test's timeout. */
#define CHAIN_LEN 20000

static int g_chain;

static void on_chain(void *ctx)
{
    sim_kernel *k = ctx;
    if (++g_chain < CHAIN_LEN)
        sim_event_notify(sim_event_create(k, "link", on_chain, k), 1);
}

START_TEST(test_create_chain)
{
    sim_kernel *k = make_kernel(_i);
    g_chain = 0;
    sim_event_notify(sim_event_create(k, "link", on_chain, k), 1);
    ck_assert_int_eq(sim_kernel_run(k), SIM_RUN_IDLE);
    ck_assert_int_eq(g_chain, CHAIN_LEN);
    ck_assert_uint_eq(sim_kernel_events(k), CHAIN_LEN);
    ck_assert_uint_eq(sim_now_ps(k), CHAIN_LEN);
    sim_kernel_destroy(k);
}
END_TEST

/* ---- errors and identity ------------------------------------------------------------ */

static void hook_nested_run(probe *p)
{
    ck_assert_int_eq(sim_kernel_run(p->sc->k), SIM_RUN_ERROR);
    ck_assert_str_ne(sim_kernel_error(p->sc->k), "");
}

START_TEST(test_nested_run_refused)
{
    scene sc = { .k = make_kernel(_i) };
    probe p;
    probe_init(&sc, &p, 0, hook_nested_run);
    sim_event_notify(p.ev, 1 * NS);
    ck_assert_int_eq(sim_kernel_run(sc.k), SIM_RUN_IDLE);
    ck_assert_int_eq(p.fires, 1);
    sim_kernel_destroy(sc.k);
}
END_TEST

START_TEST(test_names)
{
    ck_assert_str_eq(sim_kernel_kind_name(SIM_KERNEL_SYSTEMC), "systemc");
    ck_assert_str_eq(sim_kernel_kind_name(SIM_KERNEL_NATIVE), "native");
    sim_err err = { { 0 } };
    ck_assert_ptr_null(sim_kernel_create((sim_kernel_kind)7, &err));
    ck_assert_str_ne(err.msg, "");
}
END_TEST

START_TEST(test_second_systemc_refused)
{
    sim_err err = { { 0 } };
    sim_kernel *a = sim_kernel_create(SIM_KERNEL_SYSTEMC, &err);
    ck_assert_msg(a != NULL, "%s", err.msg);
    sim_kernel *b = sim_kernel_create(SIM_KERNEL_SYSTEMC, &err);
    ck_assert_ptr_null(b);
    ck_assert_msg(strstr(err.msg, "one per process") != NULL, "message: %s", err.msg);
    sim_kernel *n = sim_kernel_create(SIM_KERNEL_NATIVE, &err);
    ck_assert_ptr_nonnull(n);
    sim_kernel_destroy(n);
    sim_kernel_destroy(a);
    err.msg[0] = '\0';
    ck_assert_ptr_null(sim_kernel_create(SIM_KERNEL_SYSTEMC, &err));
    ck_assert_str_ne(err.msg, "");
}
END_TEST

/* ---- cross-check: one randomized model on both backends ------------------------------ *
 *
 * The model keeps same-time order out of its results, so that what it cross-checks is
 * the backends' timing, not their shared tie rule (test_same_time_order checks that):
 * time is split into slots of XC_M ps and each interacting process owns one residue
 * modulo XC_M, so no two of them ever fire at the same time; their rescheduling and
 * their notifications and cancels of each other keep every time on the target's own
 * residue. The clock processes share residue 0 and fire together in large groups, but
 * touch only their own event, so their order cannot change anything.
 */

#define XC_M 256u
#define XC_UNIQUE 200
#define XC_SPAWN 16
#define XC_CLOCK 48
#define XC_ALL (XC_UNIQUE + XC_SPAWN + XC_CLOCK)
#define XC_END (200 * SIM_PS_PER_US)

typedef struct xc_model xc_model;
typedef struct xc_proc {
    xc_model *m;
    sim_event *ev;
    sim_rng rng;
    int idx;
    uint64_t residue;
    bool clock;
    bool zero_follow;
    uint64_t fires;
    uint64_t hash;
} xc_proc;

struct xc_model {
    sim_kernel *k;
    xc_proc proc[XC_ALL];
    int nunique; /* interacting processes so far (the spawned ones join) */
    uint64_t bad;
    char first_bad[200];
};

static uint64_t xc_mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

static void xc_check(xc_model *m, bool ok, const char *what, const xc_proc *p)
{
    if (ok)
        return;
    if (m->bad++ == 0)
        snprintf(m->first_bad, sizeof m->first_bad, "%s (process %d at %llu ps)", what, p->idx,
                 (unsigned long long)sim_now_ps(m->k));
}

/* The next time after now on residue r, k slots ahead (k >= 1). */
static uint64_t xc_slot(uint64_t now, uint64_t r, uint64_t k)
{
    return now - now % XC_M + k * XC_M + r;
}

static void xc_fire(void *ctx);

static void xc_start(xc_model *m, int idx, uint64_t residue, bool clock, uint64_t first_ps)
{
    xc_proc *p = &m->proc[idx];
    char name[32];
    snprintf(name, sizeof name, "xc%d", idx);
    *p = (xc_proc){ .m = m, .idx = idx, .residue = residue, .clock = clock };
    sim_rng_seed(&p->rng, 20240601, name);
    p->ev = sim_event_create(m->k, name, xc_fire, p);
    ck_assert_ptr_nonnull(p->ev);
    sim_event_notify_at(p->ev, first_ps);
}

/* Notify, re-time or cancel another interacting process. */
static void xc_touch(xc_proc *p, uint64_t now)
{
    xc_model *m = p->m;
    int j = (int)sim_rng_below(&p->rng, (uint64_t)m->nunique - 1);
    if (j >= p->idx)
        j++;
    xc_proc *q = &m->proc[j];
    uint64_t t = xc_slot(now, q->residue, 1 + sim_rng_below(&p->rng, 1000));
    uint64_t old = sim_event_when_ps(q->ev);
    switch (sim_rng_below(&p->rng, 8)) {
    case 0:
    case 1:
    case 2:
        sim_event_notify_at(q->ev, t);
        xc_check(m, sim_event_when_ps(q->ev) == (old < t ? old : t), "notify_at: earlier wins", p);
        break;
    case 3:
    case 4:
    case 5:
        sim_event_notify(q->ev, t - now);
        xc_check(m, sim_event_when_ps(q->ev) == (old < t ? old : t), "notify: earlier wins", p);
        break;
    case 6:
        sim_event_cancel(q->ev);
        sim_event_notify_at(q->ev, t);
        xc_check(m, sim_event_when_ps(q->ev) == t, "cancel then notify", p);
        break;
    default:
        sim_event_cancel(q->ev);
        xc_check(m, !sim_event_pending(q->ev), "cancel", p);
        break;
    }
}

static void xc_fire(void *ctx)
{
    xc_proc *p = ctx;
    xc_model *m = p->m;
    uint64_t now = sim_now_ps(m->k);
    p->fires++;
    p->hash = xc_mix(p->hash, now);
    xc_check(m, !sim_event_pending(p->ev), "own event pending in its callback", p);
    xc_check(m, now % XC_M == p->residue, "fired off its residue", p);
    if (p->clock) {
        /* Half on a fixed grid (all fire together), half on random slots. */
        uint64_t slots = p->idx % 2 ? 64 : 32 + sim_rng_below(&p->rng, 64);
        sim_event_notify(p->ev, slots * XC_M);
        return;
    }
    if (!p->zero_follow && sim_rng_below(&p->rng, 16) == 0) {
        p->zero_follow = true;
        sim_event_notify(p->ev, 0);
    } else {
        p->zero_follow = false;
        sim_event_notify_at(p->ev, xc_slot(now, p->residue, 1 + sim_rng_below(&p->rng, 1000)));
    }
    if (sim_rng_below(&p->rng, 4) == 0)
        xc_touch(p, now);
    if (p->idx == 0 && p->fires % 97 == 0)
        sim_kernel_stop(m->k);
    if (p->idx == 1 && p->fires % 50 == 0 && m->nunique < XC_UNIQUE + XC_SPAWN) {
        int n = m->nunique++;
        xc_start(m, n, (uint64_t)n + 1, false,
                 xc_slot(now, (uint64_t)n + 1, 1 + sim_rng_below(&p->rng, 100)));
    }
}

typedef struct xc_result {
    uint64_t events, now, runs_hash, stops, bad;
    uint64_t fires[XC_ALL], hash[XC_ALL], when[XC_ALL];
    int nunique;
    sim_run_status idle_status;
    uint64_t idle_now;
    char first_bad[200];
} xc_result;

static void xc_run(sim_kernel_kind kind, xc_result *r)
{
    static xc_model m;
    memset(&m, 0, sizeof m);
    m.k = make_kernel(kind);
    m.nunique = XC_UNIQUE;
    for (int i = 0; i < XC_UNIQUE; i++)
        xc_start(&m, i, (uint64_t)i + 1, false, (uint64_t)(i + 1) + XC_M * (1 + (uint64_t)i % 7));
    for (int i = 0; i < XC_CLOCK; i++)
        xc_start(&m, XC_UNIQUE + XC_SPAWN + i, 0, true, XC_M * (1 + (uint64_t)i % 3));

    /* Run in random steps; the stopper cuts some of them short. */
    sim_rng steps;
    sim_rng_seed(&steps, 7, "steps");
    memset(r, 0, sizeof *r);
    sim_run_status st;
    do {
        uint64_t now = sim_now_ps(m.k);
        uint64_t end = now + 1 + sim_rng_below(&steps, 20 * SIM_PS_PER_US);
        if (end > XC_END)
            end = XC_END;
        st = sim_kernel_run_until(m.k, end);
        ck_assert_msg(st == SIM_RUN_TIME || st == SIM_RUN_STOPPED, "%s: status %d (%s)",
                      sim_kernel_kind_name(kind), st, sim_kernel_error(m.k));
        if (st == SIM_RUN_TIME)
            ck_assert_uint_eq(sim_now_ps(m.k), end);
        else
            ck_assert_uint_le(sim_now_ps(m.k), end);
        r->stops += st == SIM_RUN_STOPPED;
        r->runs_hash = xc_mix(xc_mix(r->runs_hash, (uint64_t)st), sim_now_ps(m.k));
    } while (!(st == SIM_RUN_TIME && sim_now_ps(m.k) == XC_END));

    r->events = sim_kernel_events(m.k);
    r->now = sim_now_ps(m.k);
    r->bad = m.bad;
    r->nunique = m.nunique;
    memcpy(r->first_bad, m.first_bad, sizeof r->first_bad);
    for (int i = 0; i < XC_ALL; i++) {
        if (!m.proc[i].ev)
            continue;
        r->fires[i] = m.proc[i].fires;
        r->hash[i] = m.proc[i].hash;
        r->when[i] = sim_event_when_ps(m.proc[i].ev);
        sim_event_cancel(m.proc[i].ev);
    }
    r->idle_status = sim_kernel_run(m.k);
    r->idle_now = sim_now_ps(m.k);
    sim_kernel_destroy(m.k);
}

START_TEST(test_cross_check)
{
    static xc_result nat, sys;
    xc_run(SIM_KERNEL_NATIVE, &nat);
    xc_run(SIM_KERNEL_SYSTEMC, &sys);
    ck_assert_msg(nat.bad == 0, "native: %llu bad checks, first: %s", (unsigned long long)nat.bad,
                  nat.first_bad);
    ck_assert_msg(sys.bad == 0, "systemc: %llu bad checks, first: %s", (unsigned long long)sys.bad,
                  sys.first_bad);
    ck_assert_uint_gt(nat.events, 100000);
    ck_assert_uint_gt(nat.stops, 5);
    ck_assert_int_eq(nat.nunique, XC_UNIQUE + XC_SPAWN);
    ck_assert_uint_eq(nat.events, sys.events);
    ck_assert_uint_eq(nat.now, XC_END);
    ck_assert_uint_eq(sys.now, XC_END);
    ck_assert_uint_eq(nat.stops, sys.stops);
    ck_assert_uint_eq(nat.runs_hash, sys.runs_hash);
    ck_assert_int_eq(nat.nunique, sys.nunique);
    uint64_t sum = 0;
    for (int i = 0; i < XC_ALL; i++) {
        ck_assert_msg(nat.fires[i] == sys.fires[i],
                      "process %d fired %llu times on native, %llu on systemc", i,
                      (unsigned long long)nat.fires[i], (unsigned long long)sys.fires[i]);
        ck_assert_msg(nat.hash[i] == sys.hash[i], "process %d fired at different times", i);
        ck_assert_msg(nat.when[i] == sys.when[i], "process %d pending at different times", i);
        sum += nat.fires[i];
    }
    ck_assert_uint_eq(sum, nat.events);
    ck_assert_int_eq(nat.idle_status, SIM_RUN_IDLE);
    ck_assert_int_eq(sys.idle_status, SIM_RUN_IDLE);
    ck_assert_uint_eq(nat.idle_now, XC_END);
    ck_assert_uint_eq(sys.idle_now, XC_END);
}
END_TEST

/* ---- the suite ------------------------------------------------------------------------ */

static Suite *kernel_suite(void)
{
    Suite *s = suite_create("kernel");
    /* Loop index = sim_kernel_kind: 0 SystemC, 1 native. */
    TCase *both = tcase_create("both backends");
    tcase_set_timeout(both, 30);
    tcase_add_loop_test(both, test_order_and_now, SIM_KERNEL_SYSTEMC, SIM_KERNEL_NATIVE + 1);
    tcase_add_loop_test(both, test_zero_delay, SIM_KERNEL_SYSTEMC, SIM_KERNEL_NATIVE + 1);
    tcase_add_loop_test(both, test_same_time_order, SIM_KERNEL_SYSTEMC, SIM_KERNEL_NATIVE + 1);
    tcase_add_loop_test(both, test_earlier_wins, SIM_KERNEL_SYSTEMC, SIM_KERNEL_NATIVE + 1);
    tcase_add_loop_test(both, test_cancel, SIM_KERNEL_SYSTEMC, SIM_KERNEL_NATIVE + 1);
    tcase_add_loop_test(both, test_pending_when, SIM_KERNEL_SYSTEMC, SIM_KERNEL_NATIVE + 1);
    tcase_add_loop_test(both, test_run_until_end, SIM_KERNEL_SYSTEMC, SIM_KERNEL_NATIVE + 1);
    tcase_add_loop_test(both, test_run_until_resume, SIM_KERNEL_SYSTEMC, SIM_KERNEL_NATIVE + 1);
    tcase_add_loop_test(both, test_run_idle, SIM_KERNEL_SYSTEMC, SIM_KERNEL_NATIVE + 1);
    tcase_add_loop_test(both, test_stop, SIM_KERNEL_SYSTEMC, SIM_KERNEL_NATIVE + 1);
    tcase_add_loop_test(both, test_create_during_run, SIM_KERNEL_SYSTEMC, SIM_KERNEL_NATIVE + 1);
    tcase_add_loop_test(both, test_create_chain, SIM_KERNEL_SYSTEMC, SIM_KERNEL_NATIVE + 1);
    tcase_add_loop_test(both, test_nested_run_refused, SIM_KERNEL_SYSTEMC, SIM_KERNEL_NATIVE + 1);
    suite_add_tcase(s, both);

    TCase *one = tcase_create("process rules");
    tcase_add_test(one, test_names);
    tcase_add_test(one, test_second_systemc_refused);
    suite_add_tcase(s, one);

    TCase *cross = tcase_create("cross-check");
    tcase_set_timeout(cross, 120); /* seconds; a sanitizer build is several times slower */
    tcase_add_test(cross, test_cross_check);
    suite_add_tcase(s, cross);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(kernel_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
