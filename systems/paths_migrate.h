/* The paths workload's live migration and failover pairs (paths_migrate.c says what
 * happens when). Private to systems/. */
#ifndef SYSTEMS_PATHS_MIGRATE_H
#define SYSTEMS_PATHS_MIGRATE_H

#include <stdint.h>

#include "host/hv.h"
#include "host/iopath/iopath.h"
#include "host/pfdrv.h"
#include "host/vpci.h"
#include "models/nic/nic.h"
#include "sim/err.h"
#include "sim/params.h"
#include "sim/stats.h"

typedef struct paths_migration paths_migration;

typedef struct paths_migration_env {
    const sim_params *params;
    sim_stats *stats;
    iopath *io;      /* its lanes built, its traffic started */
    unsigned napp;   /* the application lanes; a failover pair's standbys follow them */
    nic *nic;
    hv *hv;
    vpci_counters *vpci;
    pfdrv_env pfdrv; /* the host's PF driver, which sets the VF's address */
    uint64_t at_ps;  /* io.migrate_at_ms */
} paths_migration_env;

/* Plans the migration at env->at_ps; NULL with *e set when the migration would be
 * refused (a VF attached without dirty tracking, migrate.untracked_vf = refuse) or its
 * parameters contradict each other. */
paths_migration *paths_migration_create(const paths_migration_env *env, sim_err *e);
void paths_migration_destroy(paths_migration *pm);

#endif
