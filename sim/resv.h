/* A reserved resource's timeline: when it is busy up to, and the idle gaps it left
 * behind. Loosely-timed models book work ahead of the clock (a completion's wire time
 * is booked when its request is handled), so bookings arrive out of time order. With a
 * plain busy_until, a request that is ready early but booked late waits behind work
 * booked for later, and the idle time before that work is lost; here it takes the
 * first earlier gap it fits in. Up to SIM_RESV_GAPS gaps are kept (the earliest are
 * forgotten first), which bounds the cost of a booking and stays deterministic. With
 * work booked microseconds ahead the earliest gaps can be the nearest future ones, so
 * too few distort results: 8 moved throughput by up to half and latency by tens of
 * times in the paths workload's many-VM streams; 64 gives what 256 do. */
#ifndef SIM_RESV_H
#define SIM_RESV_H

#include <stdint.h>
#include <string.h>

#define SIM_RESV_GAPS 64

typedef struct sim_resv_gap {
    uint64_t start_ps, end_ps;
} sim_resv_gap;

/* The gaps are gap[first .. first + ngaps): forgetting the earliest moves first on
 * instead of every other gap down (on a lightly loaded resource every booking leaves a
 * gap, so the array is always full and every booking forgot one); they move back to
 * the start of the array when they reach its end, once per SIM_RESV_GAPS forgotten. */
typedef struct sim_resv {
    uint64_t busy_until_ps;
    uint32_t first, ngaps;
    sim_resv_gap gap[2 * SIM_RESV_GAPS]; /* idle intervals before busy_until, sorted, disjoint */
} sim_resv;

/* The i-th gap (0: the earliest kept), i < ngaps. */
static inline const sim_resv_gap *sim_resv_gap_at(const sim_resv *r, uint32_t i)
{
    return &r->gap[r->first + i];
}

static inline void sim_resv_add_gap(sim_resv *r, uint32_t at, uint64_t start, uint64_t end)
{
    if (end <= start)
        return;
    if (r->ngaps == SIM_RESV_GAPS) {
        /* Forget the earliest gap: it is the least likely to be of use. */
        if (at == 0)
            return;
        r->first++;
        r->ngaps--;
        at--;
    }
    if (r->first + r->ngaps == 2 * SIM_RESV_GAPS) {
        memmove(r->gap, r->gap + r->first, r->ngaps * sizeof r->gap[0]);
        r->first = 0;
    }
    sim_resv_gap *g = r->gap + r->first;
    for (uint32_t i = r->ngaps; i > at; i--)
        g[i] = g[i - 1];
    g[at].start_ps = start;
    g[at].end_ps = end;
    r->ngaps++;
}

/* Books dur_ps of the resource no earlier than ready_ps; returns the start. */
static inline uint64_t sim_resv_book(sim_resv *r, uint64_t ready_ps, uint64_t dur_ps)
{
    if (ready_ps < r->busy_until_ps) {
        sim_resv_gap *g = r->gap + r->first;
        /* Gaps are sorted: if the booking would end past the last gap's end, none fits
         * (the common case on a saturated resource, whose gaps lie in the past). */
        uint32_t n = r->ngaps && ready_ps + dur_ps <= g[r->ngaps - 1].end_ps ? r->ngaps : 0;
        /* Gaps that end before ready_ps + dur_ps cannot hold it: skip them by bisection
         * (their ends increase), the older ones mostly lie in the past. */
        uint32_t lo = 0, hi = n;
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            if (g[mid].end_ps < ready_ps + dur_ps)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (uint32_t i = lo; i < n; i++) {
            uint64_t s = g[i].start_ps > ready_ps ? g[i].start_ps : ready_ps;
            uint64_t gend = g[i].end_ps;
            if (s + dur_ps > gend)
                continue;
            uint64_t gstart = g[i].start_ps;
            /* Remove the gap, put back what is left on either side. */
            for (uint32_t j = i + 1; j < r->ngaps; j++)
                g[j - 1] = g[j];
            r->ngaps--;
            sim_resv_add_gap(r, i, s + dur_ps, gend);
            sim_resv_add_gap(r, i, gstart, s);
            return s;
        }
        uint64_t s = r->busy_until_ps;
        r->busy_until_ps = s + dur_ps;
        return s;
    }
    sim_resv_add_gap(r, r->ngaps, r->busy_until_ps, ready_ps);
    r->busy_until_ps = ready_ps + dur_ps;
    return ready_ps;
}

#endif
