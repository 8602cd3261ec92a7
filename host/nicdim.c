/* net_dim (Linux lib/dim/net_dim.c and dim.c) over simulated time: nicdim.h. */
#include "host/nicdim.h"

#define DIM_PROFILES 5
#define DIM_NEVENTS 64u /* events between two decisions (include/linux/dim.h) */
#define DIM_DEF_PROFILE 1

enum { DIM_START_MEASURE, DIM_MEASURE_IN_PROGRESS };
enum { DIM_PARKING_ON_TOP, DIM_PARKING_TIRED, DIM_GOING_RIGHT, DIM_GOING_LEFT };
enum { DIM_STATS_WORSE, DIM_STATS_SAME, DIM_STATS_BETTER };
enum { DIM_STEPPED, DIM_TOO_TIRED, DIM_ON_EDGE };

typedef struct profile {
    uint16_t usec, pkts;
} profile;

/* [tx][from_cqe][ix]: NET_DIM_{RX,TX}_{EQE,CQE}_PROFILES. */
static const profile profiles[2][2][DIM_PROFILES] = {
    {{{1, 256}, {8, 256}, {64, 256}, {128, 256}, {256, 256}},
     {{2, 256}, {8, 128}, {16, 64}, {32, 64}, {64, 64}}},
    {{{1, 128}, {8, 128}, {32, 128}, {64, 128}, {128, 128}},
     {{5, 128}, {8, 64}, {16, 32}, {32, 32}, {64, 32}}},
};

void nic_dim_init(nic_dim *d, bool tx, bool from_cqe)
{
    *d = (nic_dim){.tx = tx, .from_cqe = from_cqe, .profile_ix = DIM_DEF_PROFILE,
                   .tune_state = DIM_GOING_RIGHT};
}

static const profile *current(const nic_dim *d)
{
    return &profiles[d->tx][d->from_cqe][d->profile_ix];
}

uint32_t nic_dim_usec(const nic_dim *d) { return current(d)->usec; }
uint32_t nic_dim_pkts(const nic_dim *d) { return current(d)->pkts; }

static int dim_step(nic_dim *d)
{
    if (d->tired == DIM_PROFILES * 2)
        return DIM_TOO_TIRED;
    switch (d->tune_state) {
    case DIM_GOING_RIGHT:
        if (d->profile_ix == DIM_PROFILES - 1)
            return DIM_ON_EDGE;
        d->profile_ix++;
        d->steps_right++;
        break;
    case DIM_GOING_LEFT:
        if (d->profile_ix == 0)
            return DIM_ON_EDGE;
        d->profile_ix--;
        d->steps_left++;
        break;
    default: break;
    }
    d->tired++;
    return DIM_STEPPED;
}

static void exit_parking(nic_dim *d)
{
    d->tune_state = d->profile_ix ? DIM_GOING_LEFT : DIM_GOING_RIGHT;
    dim_step(d);
}

static bool significant(uint64_t val, uint64_t ref)
{
    uint64_t diff = val > ref ? val - ref : ref - val;
    return ref && 100 * diff / ref > 10;
}

/* net_dim_stats_compare: bytes first, then packets, then fewer events. */
static int compare(const nic_dim_stats *curr, const nic_dim_stats *prev)
{
    if (!prev->bpms)
        return curr->bpms ? DIM_STATS_BETTER : DIM_STATS_SAME;
    if (significant(curr->bpms, prev->bpms))
        return curr->bpms > prev->bpms ? DIM_STATS_BETTER : DIM_STATS_WORSE;
    if (!prev->ppms)
        return curr->ppms ? DIM_STATS_BETTER : DIM_STATS_SAME;
    if (significant(curr->ppms, prev->ppms))
        return curr->ppms > prev->ppms ? DIM_STATS_BETTER : DIM_STATS_WORSE;
    if (!prev->epms)
        return DIM_STATS_SAME;
    if (significant(curr->epms, prev->epms))
        return curr->epms < prev->epms ? DIM_STATS_BETTER : DIM_STATS_WORSE;
    return DIM_STATS_SAME;
}

static bool on_top(const nic_dim *d)
{
    switch (d->tune_state) {
    case DIM_PARKING_ON_TOP:
    case DIM_PARKING_TIRED: return true;
    case DIM_GOING_RIGHT: return d->steps_left > 1 && d->steps_right == 1;
    default: return d->steps_right > 1 && d->steps_left == 1;
    }
}

static void turn(nic_dim *d)
{
    if (d->tune_state == DIM_GOING_RIGHT) {
        d->tune_state = DIM_GOING_LEFT;
        d->steps_left = 0;
    } else if (d->tune_state == DIM_GOING_LEFT) {
        d->tune_state = DIM_GOING_RIGHT;
        d->steps_right = 0;
    }
}

static void park_on_top(nic_dim *d)
{
    d->steps_right = d->steps_left = d->tired = 0;
    d->tune_state = DIM_PARKING_ON_TOP;
}

static void park_tired(nic_dim *d)
{
    d->steps_right = d->steps_left = 0;
    d->tune_state = DIM_PARKING_TIRED;
}

/* net_dim_decision: true when the profile changed. */
static bool decide(nic_dim *d, const nic_dim_stats *curr)
{
    int prev_state = d->tune_state, prev_ix = d->profile_ix;
    switch (d->tune_state) {
    case DIM_PARKING_ON_TOP:
        if (compare(curr, &d->prev) != DIM_STATS_SAME)
            exit_parking(d);
        break;
    case DIM_PARKING_TIRED:
        if (!--d->tired)
            exit_parking(d);
        break;
    default:
        if (compare(curr, &d->prev) != DIM_STATS_BETTER)
            turn(d);
        if (on_top(d)) {
            park_on_top(d);
            break;
        }
        switch (dim_step(d)) {
        case DIM_ON_EDGE: park_on_top(d); break;
        case DIM_TOO_TIRED: park_tired(d); break;
        }
        break;
    }
    if (prev_state != DIM_PARKING_ON_TOP || d->tune_state != DIM_PARKING_ON_TOP)
        d->prev = *curr;
    return d->profile_ix != prev_ix;
}

static uint64_t per_ms(uint64_t n, uint64_t us) { return (n * 1000 + us - 1) / us; }

bool nic_dim_sample(nic_dim *d, uint64_t t_ps, uint64_t events, uint64_t pkts, uint64_t bytes)
{
    if (d->state == DIM_MEASURE_IN_PROGRESS) {
        if (events - d->start_events < DIM_NEVENTS)
            return false;
        /* dim_calc_stats; an interval shorter than a microsecond counts as one. */
        uint64_t us = (t_ps - d->start_ps) / 1000000u;
        if (!us)
            us = 1;
        nic_dim_stats curr = {per_ms(pkts - d->start_pkts, us), per_ms(bytes - d->start_bytes, us),
                              per_ms(DIM_NEVENTS, us)};
        if (decide(d, &curr)) {
            /* DIM_APPLY_NEW_PROFILE: the next poll, after the work item applied it,
             * starts the next measurement. */
            d->state = DIM_START_MEASURE;
            return true;
        }
    }
    d->start_events = events;
    d->start_pkts = pkts;
    d->start_bytes = bytes;
    d->start_ps = t_ps;
    d->state = DIM_MEASURE_IN_PROGRESS;
    return false;
}
