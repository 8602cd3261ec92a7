/* The workload kinds: what one simulation point builds, chosen by workload.kind. Each
 * kind is one file of systems/ that defines a sys_kind; the table in kinds.c lists
 * them (the first is the default). Adding a kind is that file and a line there.
 *
 * The model layer seen from the command line (systems_ops, for sim_run_point and the
 * sweep): every component's parameters and every kind's own are registered whatever
 * the kind, so `iovsim params` lists them all and a workload file is checked against
 * the whole registry; a point builds the kind its parameters name, with the run's
 * observers (trace.record) passed in. */
#ifndef SYSTEMS_KINDS_H
#define SYSTEMS_KINDS_H

#include "sim/run.h"
#include "systems/platform.h"

typedef struct sys_kind {
    const char *name;
    const char *doc; /* what a point of this kind simulates, for workload.kind's doc */
    /* The kind's own parameters (components register theirs in kinds.c). May be NULL. */
    void (*register_params)(sim_params *p);
    /* Cross-parameter checks, the platform's and the components' included; a failure
     * is a configuration error (exit 2). */
    int (*check)(const sim_params *p, sim_err *e);
    /* Creates the system (models, host software, traffic), registers its statistics and
     * metrics and schedules its first events. NULL with *e set on failure. */
    void *(*build)(const sim_ctx *ctx, const sys_observers *obs, sim_err *e);
    void (*destroy)(void *system);
    /* For the metric reference (iovsim metrics, docs/METRICS.md), which builds a point of
     * every kind with its defaults and then with each of these: the settings under which
     * the kind registers statistics or metrics the defaults do not ("iommu.mode=strict",
     * several joined by ", "), so the reference says when each is there. NULL-ended; may
     * be NULL. */
    const char *const *variants;
    bool has_nic; /* builds the NIC (nic_setup.h): trace.pcap has a wire to capture */
} sys_kind;

extern const sys_kind sys_kind_dma;   /* systems/dma.c */
extern const sys_kind sys_kind_mdq;   /* systems/mdq.c */
extern const sys_kind sys_kind_nic;   /* systems/nic.c */
extern const sys_kind sys_kind_paths; /* systems/paths.c */

/* A built paths system's parts (system: what sys_kind_paths.build returned), for tests
 * that play a misbehaving guest or host against the whole path
 * (tests/test_guest_attacks.c): the platform, the NIC, the engine's state (lanes,
 * their driver queues and posted-interrupt descriptors, the hypervisor) and the
 * guests' configuration-access counters. Runs never call it. */
typedef struct paths_parts {
    platform *pf;
    struct nic *nic;
    struct iopath *io;
    struct vpci_counters *vpci;
} paths_parts;
paths_parts paths_parts_of(void *system);
extern const sys_kind sys_kind_trace; /* systems/trace_replay.c */
extern const sys_kind sys_kind_storage; /* systems/storage.c */

extern const sim_model_ops systems_ops;

/* The kinds in the order of workload.kind's choices (the first is the default). */
size_t systems_kinds(void);
const sys_kind *systems_kind_at(size_t i);

#endif
