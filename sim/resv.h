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

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define SIM_RESV_GAPS 64
/* How many of the latest gaps a booking looks back through before it bisects. */
#define SIM_RESV_SCAN 16

typedef struct sim_resv_gap {
    uint64_t start_ps, end_ps;
} sim_resv_gap;

/* The gaps are gap[first .. first + ngaps): forgetting the earliest moves first on
 * instead of every other gap down (on a lightly loaded resource every booking leaves a
 * gap, so the array is always full and every booking forgot one); they move back to
 * the start of the array when they reach its end, once per SIM_RESV_GAPS forgotten.
 * A booking that fills a gap (sim_resv_take) likewise moves only the gaps on the
 * shorter side of it, those before it by moving first. */
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

/* The kept gaps' start, with a free slot after the last: they move back to the start of
 * the array when they reach its end. */
static inline sim_resv_gap *sim_resv_room(sim_resv *r)
{
    if (r->first + r->ngaps == 2 * SIM_RESV_GAPS) {
        memmove(r->gap, r->gap + r->first, r->ngaps * sizeof r->gap[0]);
        r->first = 0;
    }
    return r->gap + r->first;
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
    sim_resv_gap *g = sim_resv_room(r);
    for (uint32_t i = r->ngaps; i > at; i--)
        g[i] = g[i - 1];
    g[at].start_ps = start;
    g[at].end_ps = end;
    r->ngaps++;
}

/* Gap i becomes two copies of itself, i and i + 1 (ngaps < SIM_RESV_GAPS): the fewer of
 * the gaps on either side move by a slot, those before down when there is a free slot
 * below them. Returns the gaps' start. */
static inline sim_resv_gap *sim_resv_dup(sim_resv *r, uint32_t i)
{
    uint32_t n = r->ngaps;
    sim_resv_gap *g;
    if (r->first > 0 && i + 1 < n - i) {
        g = r->gap + --r->first;
        for (uint32_t j = 0; j <= i; j++)
            g[j] = g[j + 1];
    } else {
        g = sim_resv_room(r);
        for (uint32_t j = n; j > i; j--)
            g[j] = g[j - 1];
    }
    r->ngaps++;
    return g;
}

/* Gap i loses [s, e), which lies inside it; what is left before and after stays a gap.
 * The same gaps as removing gap i and adding its two parts with sim_resv_add_gap (with
 * SIM_RESV_GAPS kept and both parts left, the earliest gap is forgotten, the part
 * before if gap i is the earliest), but in place: at most the gaps on one side of i
 * move, by one slot. */
static inline void sim_resv_take(sim_resv *r, uint32_t i, uint64_t s, uint64_t e)
{
    sim_resv_gap *g = r->gap + r->first;
    bool before = s > g[i].start_ps, after = g[i].end_ps > e;
    if (before && after) {
        if (r->ngaps == SIM_RESV_GAPS) {
            if (i == 0) {
                g[0].start_ps = e;
                return;
            }
            r->first++;
            r->ngaps--;
            i--;
        }
        g = sim_resv_dup(r, i);
        g[i].end_ps = s;
        g[i + 1].start_ps = e;
    } else if (before) {
        g[i].end_ps = s;
    } else if (after) {
        g[i].start_ps = e;
    } else if (i < r->ngaps - 1 - i) { /* removed: the gaps before it move up */
        for (uint32_t j = i; j > 0; j--)
            g[j] = g[j - 1];
        r->first++;
        r->ngaps--;
    } else { /* removed: the gaps after it move down */
        for (uint32_t j = i + 1; j < r->ngaps; j++)
            g[j - 1] = g[j];
        r->ngaps--;
    }
}

/* Where a booking of dur_ps no earlier than ready_ps (< busy_until_ps) goes: the index
 * of the earliest gap that holds it, *start_ps its start there, or r->ngaps for after
 * busy_until_ps. */
static inline uint32_t sim_resv_find(const sim_resv *r, uint64_t ready_ps, uint64_t dur_ps,
                                     uint64_t *start_ps)
{
    const sim_resv_gap *g = r->gap + r->first;
    /* Gaps are sorted: if the booking would end past the last gap's end, none fits (the
     * common case on a saturated resource, whose gaps lie in the past). */
    uint64_t need = ready_ps + dur_ps;
    uint32_t n = r->ngaps && need <= g[r->ngaps - 1].end_ps ? r->ngaps : 0;
    /* Gaps that end before ready_ps + dur_ps cannot hold it: skip them (their ends
     * increase). Those that can are mostly the last few, so the search looks back
     * through up to SIM_RESV_SCAN of them and bisects the rest only if they all can (a
     * bisection from the start took six comparisons where one or two do). */
    uint32_t lo = n, stop = n > SIM_RESV_SCAN ? n - SIM_RESV_SCAN : 0;
    while (lo > stop && g[lo - 1].end_ps >= need)
        lo--;
    if (lo == stop && stop > 0) {
        uint32_t hi = stop;
        lo = 0;
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            if (g[mid].end_ps < need)
                lo = mid + 1;
            else
                hi = mid;
        }
    }
    for (uint32_t i = lo; i < n; i++) {
        uint64_t s = g[i].start_ps > ready_ps ? g[i].start_ps : ready_ps;
        if (s + dur_ps <= g[i].end_ps) {
            *start_ps = s;
            return i;
        }
    }
    *start_ps = r->busy_until_ps;
    return r->ngaps;
}

/* Books dur_ps of the resource no earlier than ready_ps; returns the start. */
static inline uint64_t sim_resv_book(sim_resv *r, uint64_t ready_ps, uint64_t dur_ps)
{
    if (ready_ps < r->busy_until_ps) {
        uint64_t s;
        uint32_t i = sim_resv_find(r, ready_ps, dur_ps, &s);
        if (i < r->ngaps)
            sim_resv_take(r, i, s, s + dur_ps);
        else
            r->busy_until_ps = s + dur_ps;
        return s;
    }
    sim_resv_add_gap(r, r->ngaps, r->busy_until_ps, ready_ps);
    r->busy_until_ps = ready_ps + dur_ps;
    return ready_ps;
}

/* Where sim_resv_book would start dur_ps no earlier than ready_ps; books nothing. */
static inline uint64_t sim_resv_start(const sim_resv *r, uint64_t ready_ps, uint64_t dur_ps)
{
    uint64_t s = ready_ps;
    if (ready_ps < r->busy_until_ps)
        sim_resv_find(r, ready_ps, dur_ps, &s);
    return s;
}

#endif
