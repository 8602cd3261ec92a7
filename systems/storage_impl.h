/* What the storage kind's two files share (storage.c: the system; storage_cfg.c: its
 * parameters and the configurations it refuses). Not for other kinds. */
#ifndef SYSTEMS_STORAGE_IMPL_H
#define SYSTEMS_STORAGE_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "host/blkpath/path.h"
#include "host/pcache.h"
#include "sim/err.h"
#include "sim/params.h"

enum stor_rw { RW_RANDREAD, RW_RANDWRITE, RW_READ, RW_WRITE, RW_RANDRW };

typedef struct storage_cfg {
    uint32_t path; /* blk_path_kind */
    uint32_t rw, rwmix_read_pct, iodepth, jobs, vms, host_cores;
    uint64_t bs_bytes, span_bytes;
    double rate_iops;
    uint64_t submit_cycles, complete_cycles;
    double poll_ns; /* qemu.poll_ns */
} storage_cfg;

void storage_register_params(sim_params *p);
storage_cfg storage_cfg_load(const sim_params *p);
int storage_check(const sim_params *p, sim_err *e);

/* The VMs' requests go through a back end on the host (emulated, paravirt, devdomain). */
bool storage_via_backend(uint32_t path);
/* The jobs run in VMs (every path but native). */
bool storage_in_vm(uint32_t path);
/* The first job's core: after the host's cores when the jobs run in VMs. */
unsigned storage_first_job_core(const storage_cfg *c);
/* VM (native: group) i's memory. */
uint64_t storage_vm_base(const storage_cfg *c, unsigned i);
/* I/O queues of the driver the jobs' requests reach: the host's (native: one per job;
 * for the back ends: one per core, vCPUs' included, as Linux has one per CPU) or a
 * VM's (one per job). */
unsigned storage_drv_queues(const storage_cfg *c);
/* What the host's page cache is asked to hold (img.cache = writeback). */
pcache_env storage_pcache_env(const storage_cfg *c, const sim_params *p);

#endif
