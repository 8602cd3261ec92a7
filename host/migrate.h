/* Pre-copy live migration of one VM's memory, as QEMU does it (migration/migration.c,
 * migration/ram.c), timed on the simulation kernel.
 *
 * Semantics. Guest memory is migrate.mem_bytes in pages of migrate.page_bytes. Two
 * bitmaps: the dirty log (KVM's bitmap and vhost's log: pages written since the last
 * sync) and the migration bitmap (pages still to send). A sync ORs the log into the
 * migration bitmap and clears the log; sending a page clears its bit in the migration
 * bitmap only. So a page written after a sync is sent again after the next one, even if
 * it was sent in between. (QEMU clears KVM's log lazily, per 1 GiB chunk just before the
 * chunk's first page is sent, and so skips some of these resends; not modelled: the model
 * resends a little more.) Pages go out in address order from where the last send
 * stopped, wrapping (QEMU's last_seen_block/last_page).
 *
 * Timing, from migrate_start at t0:
 *   setup     dirty logging starts (migrate.sync_us_per_gib x the memory size: the
 *             memslot walk; with KVM_DIRTY_LOG_INITIALLY_SET no page is protected) and
 *             every page is marked to send: round 1 starts.
 *   active    the migration thread sends in rate-limit windows of 100 ms (QEMU's
 *             BUFFER_DELAY): at most max-bandwidth x 100 ms per window (whole pages, the
 *             last one may overshoot as QEMU's check before each page does), in bursts
 *             at the channel's rate (migrate.link_gbps) of at most 50 ms (ram.c MAX_WAIT),
 *             then it waits for the window's end. At each window's end it measures the
 *             bandwidth (bytes sent / time the window took, syncs included) and sets the
 *             threshold = bandwidth x downtime-limit (migration_update_counters); none is
 *             set before the first window ends. When the bytes still to send fall below
 *             the threshold, it syncs (a round ends; cost: sync_us_per_gib x memory +
 *             reprotect_ns_per_page x pages found dirty, sending waits), and if the bytes
 *             to send are still below the threshold (or none), or migrate.max_rounds
 *             rounds are done, it completes; else the next round starts. With
 *             auto-converge and migrate.throttle_sync_ms a sync also comes that often
 *             after round 1 (QEMU 9.2's periodic sync).
 *   stop      the vCPUs stop; a last sync (its cost); the rest of the dirty pages and
 *             migrate.device_state_bytes go unthrottled at the channel's rate; the last
 *             byte arrives migrate.latency_us later, and the VM runs on the destination.
 *             Downtime is the stop to that time; total time is t0 to it.
 * Bytes on the channel: every page costs page_bytes + migrate.page_header_bytes.
 *
 * Auto-converge (migration_trigger_throttle, mig_throttle_guest_down): at a sync at least
 * 1 s after the last evaluation, if the pages newly dirtied since it exceed
 * throttle_trigger_pct % of the bytes sent since it, twice in a row, the vCPUs are
 * throttled to throttle_initial_pct % and by throttle_increment_pct more at each later
 * trigger, at most throttle_max_pct. A throttled vCPU runs (100 - pct) % of the time
 * (cpu-throttle.c), so the synthetic source dirties that much slower; a workload that
 * writes memory itself reads migrate_cpu_share. The throttle ends when the VM stops.
 *
 * Dirtying. Writes are logged when reported, at the page granularity, whatever their
 * t_ps (a write booked ahead of the clock counts as made now); writes before the start
 * and during setup need no logging (round 1 sends every page), writes reported for a time
 * at or after the stop are not logged and are counted (a workload should stop writing:
 * migrate_vm_running). The synthetic source writes migrate.dirty_rate_mb_s over a working
 * set of migrate.dirty_set_bytes from guest address 0, page after page, wrapping, so its
 * unique dirty rate is its rate while the set is not covered.
 *
 * Devices' DMA writes (migrate_dma) are logged when their source is tracked: vhost (its
 * log of 4 KiB pages, VHOST_F_LOG_ALL) always; a VF only with IOMMU dirty tracking
 * (migrate.iommu_dirty: the IOPTEs' dirty bits, at migrate.iommu_page_bytes: a write
 * dirties the whole IOMMU page). A VF neither tracked nor unplugged (migrate_detach)
 * before the start follows migrate.untracked_vf: refuse (migrate_check fails, as QEMU's
 * migration blocker does), all_dirty (QEMU with enable-migration=on: every page is dirty
 * at every sync, so the migration converges only by max_rounds), or lose (its writes are
 * not logged but counted, and a page it wrote after the page's last send is counted as
 * lost at the end: the destination has an old copy).
 *
 * Statistics (migrate.*) are the migration's totals from its start, whatever the
 * warm-up; migrate.round_bytes and migrate.round_dirty_rate have a sample per round.
 *
 * Events: one kernel event, for the migration thread's next step. */
#ifndef HOST_MIGRATE_H
#define HOST_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/err.h"
#include "sim/kernel.h"
#include "sim/params.h"
#include "sim/stats.h"

typedef struct migrate migrate;

typedef enum migrate_state {
    MIGRATE_IDLE,    /* not started */
    MIGRATE_SETUP,   /* dirty logging starting */
    MIGRATE_ACTIVE,  /* pre-copy rounds; the VM runs */
    MIGRATE_STOPPED, /* stop-and-copy: the VM does not run */
    MIGRATE_DONE,    /* the VM runs on the destination */
} migrate_state;

/* Who writes guest memory by DMA. */
typedef enum migrate_src_kind {
    MIGRATE_SRC_VHOST, /* virtio through vhost: logged */
    MIGRATE_SRC_VF,    /* an assigned VF: logged only with IOMMU dirty tracking */
} migrate_src_kind;

/* One pre-copy round: from the sync (or the setup) that started it to the one that ended
 * it. */
typedef struct migrate_round {
    uint64_t start_ps, end_ps;
    uint64_t to_send_bytes; /* the pages to send when it started (page_bytes each) */
    uint64_t sent_bytes;    /* on the channel during it, headers included */
    uint64_t dirtied_bytes; /* pages the sync that ended it added to the set to send */
    double dirty_rate;      /* dirtied_bytes per second of the round */
} migrate_round;

/* What a migration did, from its start (not zeroed with the statistics). */
typedef struct migrate_result {
    uint64_t start_ps, stop_ps, resume_ps;
    uint64_t total_ps, downtime_ps;
    uint64_t bytes_sent, pages_sent, final_bytes;
    uint64_t rounds, syncs, sync_ps;
    uint64_t expected_downtime_ps; /* QEMU's estimate at the last window with one */
    uint64_t threshold_bytes;      /* the last threshold */
    uint64_t throttle_pct, throttle_steps;
    uint64_t dma_untracked_bytes, lost_pages, late_write_bytes, bad_writes;
} migrate_result;

void migrate_register_params(sim_params *p);
/* Settings that contradict each other (a working set larger than the memory, a memory
 * that is not a whole number of pages). */
int migrate_params_check(const sim_params *p, sim_err *e);
/* NULL with *e set when migrate_params_check fails. */
migrate *migrate_create(const sim_params *p, sim_stats *stats, sim_kernel *k, sim_err *e);
void migrate_destroy(migrate *m);

/* A device that writes guest memory by DMA; returns its id for migrate_dma. */
unsigned migrate_add_source(migrate *m, migrate_src_kind kind, const char *name);
/* The device was hot-unplugged at t: it writes no more (a later write is counted as a
 * bad write and ignored). */
void migrate_detach(migrate *m, unsigned src, uint64_t t_ps);
/* Whether the migration may start: fails, naming the device, when a VF is attached,
 * untracked and migrate.untracked_vf = refuse. */
int migrate_check(const migrate *m, sim_err *e);
/* Told when the VM stops (MIGRATE_STOPPED, at the stop) and when it runs on the
 * destination (MIGRATE_DONE, at the resume), from the migration's event. */
typedef void (*migrate_observer_fn)(void *ctx, migrate_state st, uint64_t t_ps);
void migrate_set_observer(migrate *m, migrate_observer_fn fn, void *ctx);
/* Whether the parameters refuse a VF that stays attached (migrate_check's rule, before a
 * migration exists): no IOMMU dirty tracking and migrate.untracked_vf = refuse. */
bool migrate_refuses_attached_vf(const sim_params *p);
/* Starts at t (>= now): -1 with *e set (migrate_check, or already started). */
int migrate_start(migrate *m, uint64_t t_ps, sim_err *e);

/* The guest (its vCPUs) wrote [guest_addr, guest_addr + bytes) at t. */
void migrate_dirty(migrate *m, uint64_t guest_addr, uint64_t bytes, uint64_t t_ps);
/* Device `src` wrote [guest_addr, guest_addr + bytes) by DMA at t. */
void migrate_dma(migrate *m, unsigned src, uint64_t guest_addr, uint64_t bytes, uint64_t t_ps);
/* The synthetic source from t on: bytes_per_s over the first set_bytes of guest memory
 * (0: none). The parameters set it at create. */
void migrate_set_dirtying(migrate *m, double bytes_per_s, uint64_t set_bytes, uint64_t t_ps);

/* Whether the VM's vCPUs run at t: false from the stop to the resume on the destination.
 * Exact for t up to now; a later t is answered from what is decided so far. */
bool migrate_vm_running(const migrate *m, uint64_t t_ps);
/* The share of time a vCPU runs at t under auto-converge's throttle (1 when none). */
double migrate_cpu_share(const migrate *m, uint64_t t_ps);
migrate_state migrate_get_state(const migrate *m);
const migrate_result *migrate_get_result(const migrate *m);
size_t migrate_rounds(const migrate *m);
const migrate_round *migrate_round_at(const migrate *m, size_t i);
/* The threshold QEMU would compare with now, and the bytes still to send. */
uint64_t migrate_threshold_bytes(const migrate *m);
uint64_t migrate_pending_bytes(const migrate *m);

#endif
