/* A PCIe link: two directions, each a reservation (busy_until) that a TLP occupies
 * for its wire bytes at the TLP rate (raw rate less the DLLP and SKP share, see
 * docs/pcie-model.md), then a fixed PHY/propagation latency, behind the receiver's
 * flow-control credits.
 *
 * Flow control. Each direction's receiver advertises posted, non-posted and
 * completion credits (header: one per TLP; data: one per 16 bytes). A TLP without
 * enough credit waits until enough come back; credits return pcie.fc_update_ns after
 * the TLP arrived (the receiver consumes it and an UpdateFC DLLP travels back; the
 * DLLP's bandwidth is already in the rate share). Because the return times
 * are known when a TLP is booked, the returns of each class are kept in a heap on
 * their time and no event is needed.
 * An endpoint advertises infinite completion credits (Base Spec 2.6.1), so
 * completions to the device never wait.
 *
 * Bookings may come out of time order (work is booked ahead of the clock), so each
 * direction is a sim_resv: a TLP ready early takes an idle gap left before TLPs booked
 * for later, instead of queueing behind them.
 *
 * The link is timing only: what a TLP does at the far end is the caller's business. */
#ifndef MODELS_PCIE_LINK_H
#define MODELS_PCIE_LINK_H

#include <stdint.h>

#include "models/pcie/tlp.h"
#include "sim/err.h"
#include "sim/params.h"
#include "sim/breakdown.h"
#include "sim/stats.h"
#include "sim/timeline.h"

typedef enum pcie_dir {
    PCIE_UP = 0,   /* device -> root complex */
    PCIE_DOWN = 1, /* root complex -> device */
} pcie_dir;

typedef struct pcie_link pcie_link;

/* Everything the pcie.* parameters say: the link the TLP arithmetic sees, what the timed
 * link adds (latencies, flow-control credits; a credit limit of 0 is infinite) and the
 * requesters' tag count, which the link does not use but the DMA engines and the NIC
 * read from here. */
typedef struct pcie_link_params {
    pcie_link_cfg cfg;
    uint32_t tags;
    uint64_t latency_ps;
    uint64_t fc_update_ps;
    /* credits the root port advertises (upstream TLPs) and the device (downstream) */
    uint32_t rc_ph_credits, rc_pd_credits, rc_nph_credits;
    uint32_t dev_ph_credits, dev_pd_credits, dev_nph_credits;
} pcie_link_params;

void pcie_link_register_params(sim_params *p);
int pcie_link_check(const sim_params *p, sim_err *e);
pcie_link_params pcie_link_params_load(const sim_params *p);
/* The pcie_link_cfg the parameters describe (pcie_link_params_load(p).cfg). */
pcie_link_cfg pcie_link_cfg_from_params(const sim_params *p);

/* `name` prefixes the stats ("pcie" gives pcie.up.tlps, ...). */
pcie_link *pcie_link_create(const sim_params *p, sim_stats *stats, const char *name);
void pcie_link_destroy(pcie_link *l);
/* trace.timeline: every TLP from now on is a slice, named by its type, from its start
 * on the wire for its occupancy, on the track of its direction in group `name`. */
void pcie_link_set_timeline(pcie_link *l, sim_timeline *tl, const char *name);
/* net.breakdown: a TLP sent while a device moves a numbered packet
 * (sim_breakdown_current) joins its breakdown as `cat`, from its start on the wire to
 * its arrival. */
void pcie_link_set_breakdown(pcie_link *l, sim_breakdown *bd, unsigned cat);
const pcie_link_cfg *pcie_link_config(const pcie_link *l);

/* Sends one TLP on direction d, ready at ready_ps: waits for credit and for the wire,
 * reserves the wire. `addr` and `len_bytes` are the request's (or, for a completion,
 * the data's) address and length. Returns the time its last bit has arrived at the
 * receiver. */
uint64_t pcie_link_send(pcie_link *l, pcie_dir d, uint64_t ready_ps, enum pcie_tlp_type t,
                        uint64_t addr, uint32_t len_bytes);

/* The same, also giving the time the TLP started on the wire (NULL allowed): TLPs
 * that must stay in order (the completions of one request) pass the previous start as
 * the next one's earliest ready time, since a TLP may fill an idle gap on the wire
 * left before TLPs booked earlier. */
uint64_t pcie_link_send_ex(pcie_link *l, pcie_dir d, uint64_t ready_ps, enum pcie_tlp_type t,
                           uint64_t addr, uint32_t len_bytes, uint64_t *start_ps);

/* pcie_link_send for a TLP with prefix_bytes more on the wire than its type, address and
 * length give (a PASID's: pcie_tlp_pasid_bytes), counted in wire_bytes, in the wire's
 * occupancy and in header credits as part of the TLP. */
uint64_t pcie_link_send_prefixed(pcie_link *l, pcie_dir d, uint64_t ready_ps,
                                 enum pcie_tlp_type t, uint64_t addr, uint32_t len_bytes,
                                 uint32_t prefix_bytes);

/* Time up to which direction d's wire is booked. */
uint64_t pcie_link_busy_until_ps(const pcie_link *l, pcie_dir d);

#endif
