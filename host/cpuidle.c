#include "host/cpuidle.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "sim/alloc.h"

/* The states of the platform (intel_idle's table), shallowest first. */
enum { STATE_C1, STATE_C1E, STATE_C3, STATE_C6, STATES };
static const char *const state_names[STATES] = {"C1", "C1E", "C3", "C6"};

/* menu.c's INTERVALS: the idle periods the typical interval is taken from. */
#define INTERVALS 8
#define DECAY 8

/* The cpuidle.* parameters: times in ps. */
typedef struct cpuidle_cfg {
    uint64_t exit_ps[STATES], residency_ps[STATES];
    uint32_t deepest; /* the deepest state enabled, an index in state_names */
    uint64_t tick_ps; /* the prediction with no history: the tick's period */
} cpuidle_cfg;

static const sim_param_def cpuidle_params[] = {
    {"cpuidle.deepest", SIM_PARAM_ENUM, "C1", "C1|C1E|C3|C6", "",
     "Deepest idle state the cores may enter (intel_idle.max_cstate, or a PM QoS latency "
     "limit that disables the deeper ones); C1 alone is how benchmark hosts are often set "
     "up, a stock kernel enables all of them",
     SIM_AT(cpuidle_cfg, deepest)},
    {"cpuidle.c1_exit_ns", SIM_PARAM_DOUBLE, "2000", "0..1e9", "ns", "C1: exit latency",
     SIM_AT(cpuidle_cfg, exit_ps[STATE_C1])},
    {"cpuidle.c1_residency_ns", SIM_PARAM_DOUBLE, "2000", "0..1e9", "ns",
     "C1: target residency, the shortest idle period it pays off for",
     SIM_AT(cpuidle_cfg, residency_ps[STATE_C1])},
    {"cpuidle.c1e_exit_ns", SIM_PARAM_DOUBLE, "10000", "0..1e9", "ns", "C1E: exit latency",
     SIM_AT(cpuidle_cfg, exit_ps[STATE_C1E])},
    {"cpuidle.c1e_residency_ns", SIM_PARAM_DOUBLE, "20000", "0..1e9", "ns",
     "C1E: target residency", SIM_AT(cpuidle_cfg, residency_ps[STATE_C1E])},
    {"cpuidle.c3_exit_ns", SIM_PARAM_DOUBLE, "40000", "0..1e9", "ns", "C3: exit latency",
     SIM_AT(cpuidle_cfg, exit_ps[STATE_C3])},
    {"cpuidle.c3_residency_ns", SIM_PARAM_DOUBLE, "100000", "0..1e9", "ns",
     "C3: target residency", SIM_AT(cpuidle_cfg, residency_ps[STATE_C3])},
    {"cpuidle.c6_exit_ns", SIM_PARAM_DOUBLE, "133000", "0..1e9", "ns", "C6: exit latency",
     SIM_AT(cpuidle_cfg, exit_ps[STATE_C6])},
    {"cpuidle.c6_residency_ns", SIM_PARAM_DOUBLE, "400000", "0..1e9", "ns",
     "C6: target residency", SIM_AT(cpuidle_cfg, residency_ps[STATE_C6])},
    {"cpuidle.tick_ns", SIM_PARAM_DOUBLE, "4000000", "1..1e12", "ns",
     "The governor's prediction for a core with no idle history yet: the scheduler "
     "tick's period (CONFIG_HZ 250)",
     SIM_AT(cpuidle_cfg, tick_ps)},
};

typedef struct core_hist {
    uint64_t intervals_ps[INTERVALS];
    unsigned n, next;   /* periods recorded (up to INTERVALS), the next slot */
    double avg_ps;      /* running average of the measured periods (n > 0) */
} core_hist;

struct cpuidle {
    cpuidle_cfg cfg;
    core_hist *core;
    unsigned ncores;
    /* The least prediction that makes a state deeper than C1 pay off (the least over
     * the enabled deeper states of their residency and exit latency, whichever is
     * larger); infinite with C1 alone. Below it pick needs no typical interval. */
    double deeper_from_ps;
    uint64_t entries[STATES];
};

void cpuidle_register_params(sim_params *p)
{
    sim_params_add_table(p, cpuidle_params, SIM_TABLE_LEN(cpuidle_params));
}

cpuidle *cpuidle_create(const sim_params *p, sim_stats *stats, unsigned cores)
{
    cpuidle *ci = sim_xcalloc(1, sizeof *ci);
    sim_params_load_table(p, cpuidle_params, SIM_TABLE_LEN(cpuidle_params), &ci->cfg);
    ci->ncores = cores;
    ci->core = sim_xcalloc(cores, sizeof *ci->core);
    ci->deeper_from_ps = HUGE_VAL;
    for (unsigned i = STATE_C1 + 1; i <= ci->cfg.deepest && i < STATES; i++) {
        uint64_t r = ci->cfg.residency_ps[i], x = ci->cfg.exit_ps[i];
        double from = (double)(r > x ? r : x);
        if (from < ci->deeper_from_ps)
            ci->deeper_from_ps = from;
    }
    for (unsigned s = 0; s < STATES; s++) {
        char name[48], desc[80];
        snprintf(name, sizeof name, "cpuidle.%s", state_names[s]);
        snprintf(desc, sizeof desc, "idle periods the cores spent in %s (ended by a wake-up)",
                 state_names[s]);
        sim_stats_counter(stats, name, &ci->entries[s], desc);
    }
    return ci;
}

void cpuidle_destroy(cpuidle *ci)
{
    if (!ci)
        return;
    free(ci->core);
    free(ci);
}

/* get_typical_interval: the mean of the recorded periods at or under a threshold when
 * their spread is small (variance <= 400 us^2, or mean^2 > 36 variance with at least
 * three quarters of the periods), lowering the threshold below the largest period while
 * more than three quarters remain; 0 when there is none. In ps (400 us^2 = 4e14 ps^2). */
static double typical_interval_ps(const core_hist *h)
{
    if (h->n < INTERVALS)
        return 0;
    uint64_t thresh = UINT64_MAX;
    for (;;) {
        double sum = 0;
        uint64_t max = 0;
        unsigned count = 0;
        for (unsigned i = 0; i < INTERVALS; i++)
            if (h->intervals_ps[i] <= thresh) {
                sum += (double)h->intervals_ps[i];
                count++;
                if (h->intervals_ps[i] > max)
                    max = h->intervals_ps[i];
            }
        if (!count || !max)
            return 0;
        double avg = sum / count, var = 0;
        for (unsigned i = 0; i < INTERVALS; i++)
            if (h->intervals_ps[i] <= thresh) {
                double d = (double)h->intervals_ps[i] - avg;
                var += d * d;
            }
        var /= count;
        if ((avg * avg > 36.0 * var && count * 4 >= INTERVALS * 3) || var <= 4e14)
            return avg;
        if (count * 4 <= INTERVALS * 3)
            return 0;
        thresh = max - 1;
    }
}

/* menu_select: the deepest enabled state that fits the predicted idle period. */
static unsigned pick(const cpuidle *ci, const core_hist *h)
{
    double predicted = h->n ? h->avg_ps : (double)ci->cfg.tick_ps;
    /* The typical interval only lowers the prediction: C1 it is whatever that is. */
    if (predicted < ci->deeper_from_ps)
        return STATE_C1;
    double typical = typical_interval_ps(h);
    if (typical > 0 && typical < predicted)
        predicted = typical;
    unsigned s = STATE_C1;
    for (unsigned i = STATE_C1 + 1; i <= ci->cfg.deepest && i < STATES; i++)
        if ((double)ci->cfg.residency_ps[i] <= predicted && (double)ci->cfg.exit_ps[i] <= predicted)
            s = i;
    return s;
}

uint64_t cpuidle_exit_ps(cpuidle *ci, unsigned core, uint64_t idle_ps)
{
    assert(core < ci->ncores);
    core_hist *h = &ci->core[core];
    unsigned s = pick(ci, h);
    ci->entries[s]++;
    /* menu_update: the period joins the history. */
    h->intervals_ps[h->next] = idle_ps;
    h->next = (h->next + 1) % INTERVALS;
    if (h->n < INTERVALS)
        h->n++;
    h->avg_ps = h->n == 1 ? (double)idle_ps : h->avg_ps + ((double)idle_ps - h->avg_ps) / DECAY;
    return ci->cfg.exit_ps[s];
}
