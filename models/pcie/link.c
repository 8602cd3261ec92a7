#include "models/pcie/link.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/alloc.h"
#include "sim/kernel.h"
#include "sim/resv.h"
#include "sim/timeline.h"
#include "sim/tq.h"

/* Flow-control classes (Base Spec 2.6.1). */
enum { FC_P, FC_NP, FC_CPL, FC_CLASSES };
#define FC_DATA_UNIT_BYTES 16u

/* One credit class of one receiver. A limit of 0 is infinite. Pending returns are a
 * timed queue (the tag: header credits in the high word, data credits in the low):
 * TLPs may be booked out of time order (a gap on the wire is filled after later TLPs
 * were booked), so returns are not in booking order. */
typedef struct fc_class {
    uint32_t hdr_limit, data_limit;
    uint32_t hdr_avail, data_avail;
    sim_tq *returns; /* NULL when both limits are infinite */
} fc_class;

typedef struct link_dir {
    sim_resv wire;
    uint64_t carry_as; /* sub-ps remainder of occupancy, so long runs sum exactly */
    bool fc_counted;   /* a class has a credit limit (by default none has: nothing to do) */
    fc_class fc[FC_CLASSES];
    /* stats */
    uint64_t tlps, wire_bytes, payload_bytes, credit_wait_ps, wire_wait_ps;
    sim_busy busy;
} link_dir;

struct pcie_link {
    pcie_link_cfg cfg;
    pcie_link_timing timing;
    /* In Non-Flit Mode a TLP's header depends only on its type and on whether its
     * address lies at or above 4 GiB: its wire bytes are these plus its data bytes
     * (pcie_tlp_wire_bytes, looked up once per type at creation). */
    bool flit;
    uint32_t nfm_fixed_bytes[PCIE_TLP_NTYPES][2];
    uint64_t latency_ps;
    uint64_t fc_update_ps;
    link_dir dir[2];
    sim_timeline *tl; /* trace.timeline, NULL when off */
    unsigned tl_track[2];
    sim_breakdown *bd; /* net.breakdown, NULL when off */
    unsigned bd_cat;
};

void pcie_link_set_breakdown(pcie_link *l, sim_breakdown *bd, unsigned cat)
{
    l->bd = bd;
    l->bd_cat = cat;
}

void pcie_link_set_timeline(pcie_link *l, sim_timeline *tl, const char *name)
{
    l->tl = tl;
    if (tl) {
        l->tl_track[PCIE_UP] = sim_timeline_track(tl, name, "upstream (device to host)");
        l->tl_track[PCIE_DOWN] = sim_timeline_track(tl, name, "downstream (host to device)");
    }
}

_Static_assert(PCIE_GEN_MAX == 6, "pcie.gen's range below says 1..6");

#define CREDITS(name, doc, field)                                                              \
    {name, SIM_PARAM_UINT, "0", "0..1048576", "credits", doc, SIM_AT(pcie_link_params, field)}
#define INFINITE_NOTE "(0: infinite, as the bandwidth model assumes)"

static const sim_param_def link_params[] = {
    {"pcie.gen", SIM_PARAM_UINT, "3", "1..6", "",
     "PCIe generation: 1-2 8b/10b, 3-5 128b/130b, 6 PAM4 flit mode",
     SIM_AT(pcie_link_params, cfg.gen)},
    {"pcie.lanes", SIM_PARAM_UINT, "8", "1..32", "lanes", "Link width: 1, 2, 4, 8, 12, 16 or 32",
     SIM_AT(pcie_link_params, cfg.lanes)},
    {"pcie.mps_bytes", SIM_PARAM_UINT, "256", "128..4096", "bytes",
     "Max_Payload_Size (Device Control): largest write or completion payload",
     SIM_AT(pcie_link_params, cfg.mps_bytes)},
    {"pcie.mrrs_bytes", SIM_PARAM_UINT, "512", "128..4096", "bytes",
     "Max_Read_Request_Size (Device Control): largest read request",
     SIM_AT(pcie_link_params, cfg.mrrs_bytes)},
    {"pcie.rcb_bytes", SIM_PARAM_UINT, "64", "64..128", "bytes",
     "Read Completion Boundary of the root complex: 64 or 128",
     SIM_AT(pcie_link_params, cfg.rcb_bytes)},
    {"pcie.tags", SIM_PARAM_UINT, "256", "1..4096", "tags",
     "Outstanding read requests per function: 32 (5-bit tags), 256 (8-bit), 768 (10-bit); "
     "larger values model an idealised requester",
     SIM_AT(pcie_link_params, tags)},
    {"pcie.ecrc", SIM_PARAM_BOOL, "false", NULL, "", "Append a 4-byte ECRC digest to every TLP",
     SIM_AT(pcie_link_params, cfg.ecrc)},
    {"pcie.addr_bits", SIM_PARAM_UINT, "64", "32..64", "bits",
     "DMA address width of the device: 32 or 64 (buffers above 4 GiB need 64 and 4 DW headers)",
     SIM_AT(pcie_link_params, cfg.addr_bits)},
    {"pcie.flit_mode", SIM_PARAM_BOOL, "false", NULL, "",
     "Flit Mode at generations 1-5 (generation 6 always uses it)",
     SIM_AT(pcie_link_params, cfg.flit_mode)},
    {"pcie.link_latency_ns", SIM_PARAM_DOUBLE, "90", "0..1e6", "ns",
     "One direction's fixed latency: both ports' PHY and data link layer plus the trace",
     SIM_AT(pcie_link_params, latency_ps)},
    {"pcie.fc_update_ns", SIM_PARAM_DOUBLE, "200", "0..1e6", "ns",
     "From a TLP's arrival until its credits are back at the sender (receiver processing and "
     "the UpdateFC DLLP)",
     SIM_AT(pcie_link_params, fc_update_ps)},
    CREDITS("pcie.rc_ph_credits", "Posted header credits the root port advertises " INFINITE_NOTE,
            rc_ph_credits),
    CREDITS("pcie.rc_pd_credits",
            "Posted data credits (16 bytes each) the root port advertises " INFINITE_NOTE,
            rc_pd_credits),
    CREDITS("pcie.rc_nph_credits",
            "Non-posted header credits the root port advertises " INFINITE_NOTE, rc_nph_credits),
    CREDITS("pcie.dev_ph_credits", "Posted header credits the device advertises " INFINITE_NOTE,
            dev_ph_credits),
    CREDITS("pcie.dev_pd_credits",
            "Posted data credits (16 bytes each) the device advertises " INFINITE_NOTE,
            dev_pd_credits),
    CREDITS("pcie.dev_nph_credits",
            "Non-posted header credits the device advertises " INFINITE_NOTE, dev_nph_credits),
};

void pcie_link_register_params(sim_params *p)
{
    sim_params_add_table(p, link_params, SIM_TABLE_LEN(link_params));
}

pcie_link_params pcie_link_params_load(const sim_params *p)
{
    pcie_link_params lp = {0};
    sim_params_load_table(p, link_params, SIM_TABLE_LEN(link_params), &lp);
    return lp;
}

pcie_link_cfg pcie_link_cfg_from_params(const sim_params *p) { return pcie_link_params_load(p).cfg; }

static int check_data_credits(const char *name, uint32_t credits, uint32_t mps, sim_err *e)
{
    if (credits && (uint64_t)credits * FC_DATA_UNIT_BYTES < mps)
        return sim_err_set(e, "%s = %u (%llu bytes) cannot hold one %u-byte TLP "
                              "(pcie.mps_bytes): the link would deadlock",
                           name, credits, (unsigned long long)credits * FC_DATA_UNIT_BYTES, mps);
    return 0;
}

int pcie_link_check(const sim_params *p, sim_err *e)
{
    pcie_link_params lp = pcie_link_params_load(p);
    const pcie_link_cfg *c = &lp.cfg;
    if (pcie_link_cfg_check(c, e) < 0)
        return -1;
    if (c->addr_bits != 32 && c->addr_bits != 64)
        return sim_err_set(e, "pcie.addr_bits = %u: must be 32 or 64", c->addr_bits);
    if (check_data_credits("pcie.rc_pd_credits", lp.rc_pd_credits, c->mps_bytes, e) < 0 ||
        check_data_credits("pcie.dev_pd_credits", lp.dev_pd_credits, c->mps_bytes, e) < 0)
        return -1;
    return 0;
}

static void fc_init(fc_class *fc, uint32_t hdr_limit, uint32_t data_limit)
{
    fc->hdr_limit = fc->hdr_avail = hdr_limit;
    fc->data_limit = fc->data_avail = data_limit;
    if (hdr_limit || data_limit)
        fc->returns = sim_tq_create();
}

static void register_dir_stats(sim_stats *s, const char *name, const char *dname, link_dir *d)
{
    char n[128];
#define REG(field, desc)                                                   \
    snprintf(n, sizeof n, "%s.%s." #field, name, dname);                 \
    sim_stats_counter(s, n, &d->field, desc)
    REG(tlps, "TLPs sent");
    REG(wire_bytes, "bytes on the wire: framing, headers, data, digest");
    REG(payload_bytes, "data bytes carried by TLPs");
    snprintf(n, sizeof n, "%s.%s.busy_ps", name, dname);
    sim_stats_busy(s, n, &d->busy,
                   "time within the window the direction was occupied, DLLP and SKP share "
                   "included (ps)");
    REG(credit_wait_ps, "time TLPs waited for the receiver's flow-control credit (ps)");
    REG(wire_wait_ps, "time from TLPs' flow-control credit to their start on the wire (ps): "
                      "behind TLPs booked before them (also ones booked ahead of the clock for "
                      "later) and idle stretches the link's reservation could not use (too "
                      "short, or older than the 8 it keeps), so large even at low utilisation "
                      "when traffic is booked far ahead");
#undef REG
}

static double util_up(const sim_stats *s, void *ctx)
{
    const pcie_link *l = ctx;
    uint64_t el = sim_stats_elapsed_ps(s);
    return el ? (double)l->dir[PCIE_UP].busy.window_ps / (double)el : 0.0;
}

static double util_down(const sim_stats *s, void *ctx)
{
    const pcie_link *l = ctx;
    uint64_t el = sim_stats_elapsed_ps(s);
    return el ? (double)l->dir[PCIE_DOWN].busy.window_ps / (double)el : 0.0;
}

pcie_link *pcie_link_create(const sim_params *p, sim_stats *stats, const char *name)
{
    pcie_link *l = sim_xcalloc(1, sizeof *l);
    pcie_link_params lp = pcie_link_params_load(p);
    l->cfg = lp.cfg;
    pcie_link_timing_init(&l->timing, &l->cfg);
    l->flit = pcie_link_is_flit(&l->cfg);
    for (int t = 0; t < PCIE_TLP_NTYPES; t++)
        for (int above = 0; above < 2; above++)
            l->nfm_fixed_bytes[t][above] =
                pcie_tlp_wire_bytes(&l->cfg, t, 0, above ? PCIE_ADDR64_MIN : 0);
    l->latency_ps = lp.latency_ps;
    l->fc_update_ps = lp.fc_update_ps;
    /* Upstream TLPs land in the root port's buffers, downstream ones in the device's. */
    link_dir *up = &l->dir[PCIE_UP], *down = &l->dir[PCIE_DOWN];
    fc_init(&up->fc[FC_P], lp.rc_ph_credits, lp.rc_pd_credits);
    fc_init(&up->fc[FC_NP], lp.rc_nph_credits, 0);
    fc_init(&up->fc[FC_CPL], 0, 0);
    fc_init(&down->fc[FC_P], lp.dev_ph_credits, lp.dev_pd_credits);
    fc_init(&down->fc[FC_NP], lp.dev_nph_credits, 0);
    fc_init(&down->fc[FC_CPL], 0, 0);
    for (int c = 0; c < FC_CLASSES; c++) {
        up->fc_counted |= up->fc[c].returns != NULL;
        down->fc_counted |= down->fc[c].returns != NULL;
    }

    register_dir_stats(stats, name, "up", up);
    register_dir_stats(stats, name, "down", down);
    sim_stats_metric(stats, "pcie_up_util", "share (0..1)", util_up, l,
                     "share of the window the link's upstream direction (device to host) was "
                     "occupied by TLPs (and its DLLP and SKP share): pcie.up.busy_ps over the "
                     "window");
    sim_stats_metric(stats, "pcie_down_util", "share (0..1)", util_down, l,
                     "share of the window the link's downstream direction (host to device) "
                     "was occupied: pcie.down.busy_ps over the window");
    return l;
}

void pcie_link_destroy(pcie_link *l)
{
    if (!l)
        return;
    for (int d = 0; d < 2; d++)
        for (int c = 0; c < FC_CLASSES; c++)
            sim_tq_destroy(l->dir[d].fc[c].returns);
    free(l);
}

const pcie_link_cfg *pcie_link_config(const pcie_link *l) { return &l->cfg; }

uint64_t pcie_link_busy_until_ps(const pcie_link *l, pcie_dir d) { return l->dir[d].wire.busy_until_ps; }

static int fc_class_of(enum pcie_tlp_type t)
{
    switch (t) {
    case PCIE_TLP_MWR:
    case PCIE_TLP_MSG:
    case PCIE_TLP_MSGD: return FC_P;
    case PCIE_TLP_MRD: return FC_NP;
    default: return FC_CPL;
    }
}

/* Takes credits for a TLP ready at t; returns when it may go (t, or the time of the
 * return that made room). */
static uint64_t fc_acquire(fc_class *fc, uint64_t t, uint32_t hdr, uint32_t data)
{
    if (!fc->returns)
        return t; /* both limits infinite (the default): nothing to count */
    if (fc->hdr_limit == 0)
        hdr = 0;
    if (fc->data_limit == 0)
        data = 0;
    while (fc->hdr_avail < hdr || fc->data_avail < data) {
        /* The configuration check guarantees one TLP fits, so a return is pending. */
        sim_tq_item r;
        bool any = sim_tq_pop_due(fc->returns, UINT64_MAX, &r);
        assert(any);
        (void)any;
        if (r.t_ps > t)
            t = r.t_ps;
        fc->hdr_avail += (uint32_t)(r.tag >> 32);
        fc->data_avail += (uint32_t)r.tag;
    }
    fc->hdr_avail -= hdr;
    fc->data_avail -= data;
    return t;
}

static void fc_release_at(fc_class *fc, uint64_t at_ps, uint32_t hdr, uint32_t data)
{
    if (!fc->returns)
        return;
    if (fc->hdr_limit == 0)
        hdr = 0;
    if (fc->data_limit == 0)
        data = 0;
    if (hdr || data)
        sim_tq_push(fc->returns, at_ps, NULL, ((uint64_t)hdr << 32) | data);
}

/* The wire bytes of a TLP carrying data_bytes (pcie_tlp_data_bytes). */
static inline uint32_t link_wire_bytes(const pcie_link *l, enum pcie_tlp_type t, uint64_t addr,
                                       uint32_t len_bytes, uint32_t data_bytes)
{
    if (l->flit)
        return pcie_tlp_wire_bytes(&l->cfg, t, len_bytes, addr);
    return l->nfm_fixed_bytes[t][addr >= PCIE_ADDR64_MIN] + data_bytes;
}

/* pcie_link_send_ex, inlined into the entry points: most TLPs come through
 * pcie_link_send, which would otherwise be one more call per TLP. */
static inline uint64_t link_send(pcie_link *l, pcie_dir d, uint64_t ready_ps,
                                 enum pcie_tlp_type t, uint64_t addr, uint32_t len_bytes,
                                 uint64_t *start_ps, uint32_t prefix_bytes)
{
    link_dir *ld = &l->dir[d];
    uint32_t data = pcie_tlp_data_bytes(t, addr, len_bytes);
    uint32_t wire = link_wire_bytes(l, t, addr, len_bytes, data) + prefix_bytes;
    uint32_t data_credits = (data + FC_DATA_UNIT_BYTES - 1) / FC_DATA_UNIT_BYTES;
    fc_class *fc = NULL;
    uint64_t go = ready_ps;
    if (ld->fc_counted) {
        fc = &ld->fc[fc_class_of(t)];
        go = fc_acquire(fc, ready_ps, 1, data_credits);
        ld->credit_wait_ps += go - ready_ps;
    }
    uint64_t occupancy = pcie_tlp_occupancy_ps(&l->timing, wire, &ld->carry_as);
    uint64_t start = sim_resv_book(&ld->wire, go, occupancy);
    ld->wire_wait_ps += start - go;
    sim_busy_add(&ld->busy, start, occupancy);
    if (l->tl)
        sim_timeline_slice(l->tl, l->tl_track[d], pcie_tlp_type_name(t), start, occupancy, 0);
    if (start_ps)
        *start_ps = start;
    ld->tlps++;
    ld->wire_bytes += wire;
    ld->payload_bytes += data ? len_bytes : 0;
    uint64_t arrive = start + pcie_tlp_serial_ps(&l->timing, wire) + l->latency_ps;
    if (l->bd)
        sim_breakdown_add_current(l->bd, l->bd_cat, start, arrive);
    if (fc)
        fc_release_at(fc, arrive + l->fc_update_ps, 1, data_credits);
    return arrive;
}

uint64_t pcie_link_send(pcie_link *l, pcie_dir d, uint64_t ready_ps, enum pcie_tlp_type t,
                        uint64_t addr, uint32_t len_bytes)
{
    return link_send(l, d, ready_ps, t, addr, len_bytes, NULL, 0);
}

uint64_t pcie_link_send_prefixed(pcie_link *l, pcie_dir d, uint64_t ready_ps,
                                 enum pcie_tlp_type t, uint64_t addr, uint32_t len_bytes,
                                 uint32_t prefix_bytes)
{
    return link_send(l, d, ready_ps, t, addr, len_bytes, NULL, prefix_bytes);
}

uint64_t pcie_link_send_ex(pcie_link *l, pcie_dir d, uint64_t ready_ps, enum pcie_tlp_type t,
                           uint64_t addr, uint32_t len_bytes, uint64_t *start_ps)
{
    return link_send(l, d, ready_ps, t, addr, len_bytes, start_ps, 0);
}
