/* Where packets' latency goes (see sim/breakdown.h). */
#include "sim/breakdown.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/alloc.h"

typedef struct bd_slot {
    uint32_t id; /* 0: free */
    uint64_t born_ps, cursor_ps;
    uint64_t part_ps[SIM_BREAKDOWN_MAX_CATS];
} bd_slot;

typedef struct bd_metric {
    const struct sim_breakdown *b;
    unsigned cat;
} bd_metric;

struct sim_breakdown {
    unsigned n;
    uint32_t current;
    bd_slot *slot;
    uint64_t packets, lost, overrun_ps;
    uint64_t sum_ps[SIM_BREAKDOWN_MAX_CATS];
    bd_metric m[SIM_BREAKDOWN_MAX_CATS];
};

static double m_mean_ns(const sim_stats *s, void *ctx)
{
    (void)s;
    const bd_metric *m = ctx;
    if (!m->b->packets)
        return NAN;
    return (double)m->b->sum_ps[m->cat] / (double)m->b->packets / 1000.0;
}

static double m_share(const sim_stats *s, void *ctx)
{
    (void)s;
    const bd_metric *m = ctx;
    double total = 0;
    for (unsigned c = 0; c < m->b->n; c++)
        total += (double)m->b->sum_ps[c];
    return total > 0 ? (double)m->b->sum_ps[m->cat] / total : NAN;
}

sim_breakdown *sim_breakdown_create(sim_stats *s, const char *prefix, const char *const *cats,
                                    const char *const *descs, unsigned n)
{
    assert(n >= 1 && n <= SIM_BREAKDOWN_MAX_CATS);
    sim_breakdown *b = sim_xcalloc(1, sizeof *b);
    b->n = n;
    b->slot = sim_xcalloc(SIM_BREAKDOWN_SLOTS, sizeof *b->slot);
    char name[96], desc[512];
    snprintf(name, sizeof name, "%s.packets", prefix);
    sim_stats_counter(s, name, &b->packets, "packets whose latency was broken down");
    snprintf(name, sizeof name, "%s.lost", prefix);
    sim_stats_counter(s, name, &b->lost,
                      "packets left out of the breakdown: another took their slot before they "
                      "completed (in flight, dropped, or merged into another's segment)");
    snprintf(name, sizeof name, "%s.overrun_ps", prefix);
    sim_stats_counter(s, name, &b->overrun_ps,
                      "parts reported past their packet's completion, cut back (ps): 0 unless "
                      "a component books a packet's work after it completed");
    for (unsigned c = 0; c < n; c++) {
        b->m[c] = (bd_metric){b, c};
        snprintf(name, sizeof name, "%s.%s_ps", prefix, cats[c]);
        snprintf(desc, sizeof desc, "summed %s time of the broken-down packets (ps)", cats[c]);
        sim_stats_counter(s, name, &b->sum_ps[c], desc);
        snprintf(name, sizeof name, "latency_ns_%s_mean", cats[c]);
        snprintf(desc, sizeof desc,
                 "%s; mean over the packets net.latency_ps counts that carry an id (every "
                 "packet the VMs' applications send, not the partner's; of a TCP-like "
                 "segment, the frame that arrives first): the categories add up to their "
                 "mean latency",
                 descs[c]);
        sim_stats_metric(s, name, "ns", m_mean_ns, &b->m[c], desc);
    }
    for (unsigned c = 0; c < n; c++) {
        snprintf(name, sizeof name, "latency_share_%s", cats[c]);
        snprintf(desc, sizeof desc, "latency_ns_%s_mean over the sum of the categories' means",
                 cats[c]);
        sim_stats_metric(s, name, "share (0..1)", m_share, &b->m[c], desc);
    }
    return b;
}

void sim_breakdown_destroy(sim_breakdown *b)
{
    if (!b)
        return;
    free(b->slot);
    free(b);
}

static bd_slot *slot_of(sim_breakdown *b, uint32_t id)
{
    bd_slot *e = &b->slot[id % SIM_BREAKDOWN_SLOTS];
    return e->id == id ? e : NULL;
}

void sim_breakdown_begin(sim_breakdown *b, uint32_t id, uint64_t born_ps)
{
    bd_slot *e = &b->slot[id % SIM_BREAKDOWN_SLOTS];
    if (e->id)
        b->lost++;
    *e = (bd_slot){.id = id, .born_ps = born_ps, .cursor_ps = born_ps};
}

void sim_breakdown_add(sim_breakdown *b, uint32_t id, unsigned cat, uint64_t start_ps,
                       uint64_t end_ps)
{
    bd_slot *e = slot_of(b, id);
    if (!e || end_ps <= e->cursor_ps)
        return;
    if (start_ps > e->cursor_ps) {
        e->part_ps[b->n - 1] += start_ps - e->cursor_ps;
        e->cursor_ps = start_ps;
    }
    e->part_ps[cat] += end_ps - e->cursor_ps;
    e->cursor_ps = end_ps;
}

void sim_breakdown_end(sim_breakdown *b, uint32_t id, uint64_t t_ps)
{
    bd_slot *e = slot_of(b, id);
    if (!e)
        return;
    /* Work reported past the completion (booked ahead of it) is not its latency: the
     * parts are cut back to t_ps, waiting first, then by category from the last (the
     * slot keeps no times per part); overrun_ps says how much. */
    if (e->cursor_ps > t_ps) {
        uint64_t over = e->cursor_ps - t_ps;
        b->overrun_ps += over;
        for (unsigned c = b->n; c-- > 0 && over;) {
            uint64_t cut = e->part_ps[c] < over ? e->part_ps[c] : over;
            e->part_ps[c] -= cut;
            over -= cut;
        }
    } else {
        e->part_ps[b->n - 1] += t_ps - e->cursor_ps;
    }
    for (unsigned c = 0; c < b->n; c++)
        b->sum_ps[c] += e->part_ps[c];
    b->packets++;
    e->id = 0;
}

void sim_breakdown_set_current(sim_breakdown *b, uint32_t id) { b->current = id; }
uint32_t sim_breakdown_current(const sim_breakdown *b) { return b->current; }

void sim_breakdown_add_current(sim_breakdown *b, unsigned cat, uint64_t start_ps, uint64_t end_ps)
{
    if (b->current)
        sim_breakdown_add(b, b->current, cat, start_ps, end_ps);
}
