/* The paths workload's live migration (io.migrate_at_ms) and failover pairs
 * (io.standby): what the management, QEMU and the guest do around the pre-copy engine
 * (host/migrate.h), in time (docs/migration-model.md).
 *
 * With a failover pair, at io.migrate_at_ms QEMU asks the guest to unplug the VF
 * (virtio-net's failover_unplug_primary). When the guest's VF driver begins its remove,
 * net_failover sends through the standby (failover_unplug_at: remove_ps); frames that
 * still reach the VF are lost. When the unplug is complete the host clears the VF's
 * address (the migration script of Linux's Documentation/networking/net_failover.rst:
 * `ip link set $PF vf $VF_NUM mac $ZERO_MAC`), so the NIC's switch no longer steers the
 * VM's frames to the VF and they reach the host's switch and the standby. QEMU's
 * wait-unplug sees it at its next look and the pre-copy starts. At the stop the VM's
 * lanes stop (their frames are lost, their clients' timers stand still); at the resume
 * they run again, and QEMU plugs a VF back (on the destination, the VM's failover
 * primary, plugged when the guest's virtio-net features are loaded: failover_add_primary):
 * the host gives it the VM's address, the guest enumerates it, probes it (each
 * configuration access an exit, vpci_probe, then failover.probe_ms), and net_failover
 * sends through it again.
 *
 * The destination is these same models: the VM resumes on the platform it left, its
 * caches and the VF's queues as they were (the destination's VF configured as the
 * source's was). Without a standby, a VM on a VF is migrated with the VF kept (its DMA
 * tracked by the IOMMU's dirty bits, migrate.iommu_dirty, or not: migrate.untracked_vf),
 * a vDPA VM the same way (vhost-vdpa suspends the device at the stop and the guest's
 * virtio rings go on from their saved indices on the destination), and a paravirt VM
 * with its vhost device's writes logged; none is unplugged.
 *
 * Phases are marked in the point's events.csv (sim_stats_mark): unplug, failover,
 * unplugged, migrate, stop, resume, replug, primary. One kernel event for the phases
 * and the migration's own. */
#include "systems/paths_migrate.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/failover.h"
#include "host/migrate.h"
#include "host/pfdrv.h"
#include "host/vpci.h"
#include "sim/alloc.h"

typedef enum pm_phase {
    PM_UNPLUG,   /* QEMU asks the guest to unplug the VF */
    PM_FAILOVER, /* the VF driver's remove begins: net_failover sends on the standby */
    PM_GONE,     /* the unplug is complete: the host clears the VF's address */
    PM_START,    /* QEMU's wait-unplug sees it: the pre-copy starts */
    PM_STOP,     /* the VM stops */
    PM_RESUME,   /* the VM runs on the destination */
    PM_PLUGGED,  /* the VF is enumerated: the guest probes it */
    PM_UP,       /* its driver is up: net_failover sends on it again */
    PM_IDLE,
} pm_phase;

struct paths_migration {
    paths_migration_env env;
    failover_cfg fo;
    migrate *m;
    pfdrv *pf;
    sim_event *ev;
    pm_phase next;
    uint64_t next_ps;
    failover_unplug unplug;
    failover_plug plug;
    unsigned vf_src;
    bool failover; /* a failover pair: unplugged and plugged back */
    bool vf_out;   /* its VF is unplugged (from the remove to its driver up again) */
    /* When the application left the primary and came back (0: not yet). */
    uint64_t standby_from_ps, standby_to_ps;
    struct total_ctx *total_ctx; /* register_metrics' */
};

static void at(paths_migration *pm, pm_phase ph, uint64_t t)
{
    pm->next = ph;
    pm->next_ps = t;
    uint64_t now = sim_now_ps(pm->env.io->kernel);
    sim_event_notify_at(pm->ev, t > now ? t : now);
}

/* Lane a of the application and its standby (a failover pair's second lane). */
static iopath_lane *primary(paths_migration *pm, unsigned a) { return &pm->env.io->lane[a]; }
static iopath_lane *standby(paths_migration *pm, unsigned a)
{
    return &pm->env.io->lane[pm->env.napp + a];
}

static void set_running(paths_migration *pm, bool running, uint64_t t)
{
    iopath *io = pm->env.io;
    for (unsigned i = 0; i < io->nlanes; i++) {
        /* The unplugged VF stays stopped until its driver is up again. */
        if (pm->vf_out && i < pm->env.napp && running)
            continue;
        iopath_lane_set_running(io, &io->lane[i], running, t);
    }
}

static void set_vf_mac(paths_migration *pm, uint64_t mac, uint64_t t)
{
    pfdrv_set_vf_mac(pm->pf, t, 0, mac, NULL);
}

static void enable_msix(void *ctx)
{
    paths_migration *pm = ctx;
    nic_drv_enable_msix(pm->env.nic, NIC_FN_OF_VF(0));
}

static void on_phase(void *ctx)
{
    paths_migration *pm = ctx;
    iopath *io = pm->env.io;
    uint64_t t = pm->next_ps;
    sim_stats *st = pm->env.stats;
    switch (pm->next) {
    case PM_UNPLUG:
        sim_stats_mark(st, t, "unplug");
        pm->unplug = failover_unplug_at(&pm->fo, t);
        at(pm, PM_FAILOVER, pm->unplug.remove_ps);
        break;
    case PM_FAILOVER:
        sim_stats_mark(st, t, "failover");
        for (unsigned a = 0; a < pm->env.napp; a++) {
            iopath_lane_failover(io, primary(pm, a), standby(pm, a), t);
            iopath_lane_set_running(io, primary(pm, a), false, t);
        }
        pm->standby_from_ps = t;
        pm->vf_out = true;
        at(pm, PM_GONE, pm->unplug.gone_ps);
        break;
    case PM_GONE:
        sim_stats_mark(st, t, "unplugged");
        set_vf_mac(pm, 0, t);
        migrate_detach(pm->m, pm->vf_src, t);
        at(pm, PM_START, pm->unplug.seen_ps);
        break;
    case PM_START: {
        sim_stats_mark(st, t, "migrate");
        sim_err e = {0};
        /* Checked at the build (paths_migration_create): a VF left attached is refused
         * there. */
        if (migrate_start(pm->m, t, &e) < 0)
            fprintf(stderr, "paths: the migration did not start: %s\n", e.msg);
        pm->next = PM_IDLE;
        break;
    }
    case PM_STOP:
        sim_stats_mark(st, t, "stop");
        pm->next = PM_IDLE;
        set_running(pm, false, t);
        break;
    case PM_RESUME:
        sim_stats_mark(st, t, "resume");
        pm->next = pm->failover ? PM_PLUGGED : PM_IDLE;
        set_running(pm, true, t);
        if (pm->failover) {
            /* The destination's host gives the VF the VM's address before QEMU plugs it. */
            set_vf_mac(pm, primary(pm, 0)->mac, t);
            sim_stats_mark(st, t, "replug");
            pm->plug = failover_plug_at(&pm->fo, t);
            at(pm, PM_PLUGGED, pm->plug.enumerated_ps);
        }
        break;
    case PM_PLUGGED: {
        iopath_lane *ln = primary(pm, 0);
        uint64_t done = vpci_probe(pm->env.hv, ln->vcpu_core,
                                   nic_fn_cfg(pm->env.nic, NIC_FN_OF_VF(0)), enable_msix, pm,
                                   pm->env.vpci, t);
        at(pm, PM_UP, pm->plug.up_ps + (done > t ? done - t : 0));
        break;
    }
    case PM_UP:
        sim_stats_mark(st, t, "primary");
        pm->next = PM_IDLE;
        pm->vf_out = false;
        for (unsigned a = 0; a < pm->env.napp; a++) {
            iopath_lane_set_running(io, primary(pm, a), true, t);
            iopath_lane_failover(io, standby(pm, a), primary(pm, a), t);
        }
        pm->standby_to_ps = t;
        break;
    case PM_IDLE: break;
    }
}

/* The engine's stop and resume, when it decides them (its time may be ahead). */
static void on_migration(void *ctx, migrate_state s, uint64_t t_ps)
{
    paths_migration *pm = ctx;
    at(pm, s == MIGRATE_STOPPED ? PM_STOP : PM_RESUME, t_ps);
}

/* How long the application was on the standby, up to now when it still is. */
static double m_standby_ms(const sim_stats *s, void *ctx)
{
    const paths_migration *pm = ctx;
    if (!pm->standby_from_ps)
        return 0;
    (void)s;
    uint64_t end = pm->standby_to_ps ? pm->standby_to_ps : sim_now_ps(pm->env.io->kernel);
    return (double)(end - pm->standby_from_ps) / (double)SIM_PS_PER_MS;
}

/* The migration's totals as metrics: a field of its result over a scale, NaN until the
 * VM runs on the destination. */
typedef struct total_metric {
    const char *name, *unit, *desc;
    size_t field; /* a uint64_t in migrate_result */
    double per_unit;
} total_metric;

static const total_metric totals[] = {
    {"migration_downtime_ms", "ms",
     "the VM stopped, from the stop to running on the destination (NaN: the migration had not "
     "ended when the run did)",
     offsetof(migrate_result, downtime_ps), (double)SIM_PS_PER_MS},
    {"migration_s", "s",
     "the migration from its start (after the unplug) to the VM running on the destination",
     offsetof(migrate_result, total_ps), 1e12},
    {"migration_gib", "GiB", "bytes on the migration channel, page headers and resends included",
     offsetof(migrate_result, bytes_sent), 1024.0 * 1024 * 1024},
    {"migration_rounds", "rounds",
     "pre-copy rounds: from the start or a dirty-log sync to the next",
     offsetof(migrate_result, rounds), 1.0},
};
#define NTOTALS (sizeof totals / sizeof totals[0])

typedef struct total_ctx {
    const paths_migration *pm;
    const total_metric *t;
} total_ctx;

static double m_total(const sim_stats *s, void *ctx)
{
    (void)s;
    const total_ctx *c = ctx;
    if (migrate_get_state(c->pm->m) != MIGRATE_DONE)
        return NAN;
    uint64_t v;
    memcpy(&v, (const char *)migrate_get_result(c->pm->m) + c->t->field, sizeof v);
    return (double)v / c->t->per_unit;
}

static void register_metrics(paths_migration *pm, sim_stats *st)
{
    pm->total_ctx = sim_xcalloc(NTOTALS, sizeof *pm->total_ctx);
    for (size_t i = 0; i < NTOTALS; i++) {
        pm->total_ctx[i] = (total_ctx){pm, &totals[i]};
        sim_stats_metric(st, totals[i].name, totals[i].unit, m_total, &pm->total_ctx[i],
                         totals[i].desc);
    }
    if (pm->failover)
        sim_stats_metric(st, "standby_ms", "ms", m_standby_ms, pm,
                         "how long the application's traffic went through the failover "
                         "pair's standby (virtio-net): from the VF driver's remove to its "
                         "driver up again on the destination, or to now");
    iopath_counters *c = &pm->env.io->c;
    sim_stats_counter(st, "net.stopped_drops", &c->stopped_drops,
                      "frames that reached the VM while it did not run (the migration's "
                      "stop) or through its unplugged VF");
    sim_stats_counter(st, "net.rto_timeouts", &c->rto_timeouts,
                      "retransmission time-outs of closed-loop clients (net.rto_min_ms)");
    sim_stats_counter(st, "net.rto_resent", &c->rto_resent,
                      "requests the clients sent again after a time-out");
}

paths_migration *paths_migration_create(const paths_migration_env *env, sim_err *e)
{
    paths_migration *pm = sim_xcalloc(1, sizeof *pm);
    pm->env = *env;
    pm->fo = failover_cfg_load(env->params);
    pm->failover = env->napp < env->io->nlanes;
    pm->m = migrate_create(env->params, env->stats, env->io->kernel, e);
    if (!pm->m) {
        free(pm);
        return NULL;
    }
    bool vf = env->io->path->nic_owner == PATH_NIC_VM_VF;
    if (vf)
        pm->vf_src = migrate_add_source(pm->m, MIGRATE_SRC_VF,
                                        env->io->path->kind == PATH_VDPA
                                            ? "the VM's vDPA device (a VF)"
                                            : "the VM's VF");
    if (!vf || pm->failover)
        migrate_add_source(pm->m, MIGRATE_SRC_VHOST, "the VM's vhost-net");
    /* A VF that stays attached is refused now, as QEMU's blocker refuses the command;
     * one that the failover unplugs first is not. */
    if (!pm->failover && migrate_check(pm->m, e) < 0) {
        paths_migration_destroy(pm);
        return NULL;
    }
    migrate_set_observer(pm->m, on_migration, pm);
    pm->pf = pfdrv_create(env->params, &env->pfdrv);
    pm->ev = sim_event_create(env->io->kernel, "paths.migration", on_phase, pm);
    if (pm->failover)
        at(pm, PM_UNPLUG, env->at_ps);
    else
        at(pm, PM_START, env->at_ps);
    register_metrics(pm, env->stats);
    return pm;
}

void paths_migration_destroy(paths_migration *pm)
{
    if (!pm)
        return;
    if (pm->pf)
        pfdrv_destroy(pm->pf);
    migrate_destroy(pm->m);
    free(pm->total_ctx);
    free(pm);
}
