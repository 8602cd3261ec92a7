#define _GNU_SOURCE /* tdestroy */
#include "host/vswitch.h"

#include <assert.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/alloc.h"

/* The MAC table is a libc binary search tree (tsearch) keyed by address: learning is
 * rare after warm-up, and a lookup is a few comparisons. */
typedef struct mac_entry {
    uint64_t mac;
    unsigned port;
} mac_entry;

/* The vswitch.* parameters. */
typedef struct vswitch_cfg {
    uint64_t pkt_cycles;
} vswitch_cfg;

static const sim_param_def vswitch_params[] = {
    {"vswitch.pkt_cycles", SIM_PARAM_UINT, "1000", "0..10000000", "cycles",
     "Virtual switch work per packet (lookup, learning, forwarding)",
     SIM_AT(vswitch_cfg, pkt_cycles)},
};

struct vswitch {
    unsigned ports;
    vswitch_cfg cfg;
    void *table;
    uint64_t forwarded, flooded, learned, dropped;
};

void vswitch_register_params(sim_params *p)
{
    sim_params_add_table(p, vswitch_params, SIM_TABLE_LEN(vswitch_params));
}

vswitch *vswitch_create(const sim_params *p, sim_stats *stats, const char *name, unsigned ports)
{
    vswitch *v = sim_xcalloc(1, sizeof *v);
    assert(ports > 0);
    v->ports = ports;
    sim_params_load_table(p, vswitch_params, SIM_TABLE_LEN(vswitch_params), &v->cfg);
    char n[96];
#define REG(field, desc)                                  \
    snprintf(n, sizeof n, "%s." #field, name);            \
    sim_stats_counter(stats, n, &v->field, desc)
    REG(forwarded, "frames forwarded to a known port");
    REG(flooded, "frames flooded (broadcast, multicast or unknown destination)");
    REG(learned, "source addresses learned or moved");
    REG(dropped, "frames dropped (destination is the ingress port)");
#undef REG
    return v;
}

void vswitch_destroy(vswitch *v)
{
    if (!v)
        return;
    tdestroy(v->table, free);
    free(v);
}

uint64_t vswitch_pkt_cycles(const vswitch *v) { return v->cfg.pkt_cycles; }
unsigned vswitch_ports(const vswitch *v) { return v->ports; }

static int cmp_mac(const void *a, const void *b)
{
    uint64_t x = ((const mac_entry *)a)->mac, y = ((const mac_entry *)b)->mac;
    return (x > y) - (x < y);
}

static uint64_t mac_key(const uint8_t m[6])
{
    uint64_t k = 0;
    for (int i = 0; i < 6; i++)
        k = (k << 8) | m[i];
    return k;
}

static void learn(vswitch *v, unsigned in_port, uint64_t mac)
{
    mac_entry key = {.mac = mac};
    mac_entry **found = tfind(&key, &v->table, cmp_mac);
    if (!found) {
        mac_entry *e = sim_xmalloc(sizeof *e);
        *e = (mac_entry){mac, in_port};
        found = tsearch(e, &v->table, cmp_mac);
        assert(found);
        v->learned++;
    } else if ((*found)->port != in_port) {
        (*found)->port = in_port;
        v->learned++;
    }
}

void vswitch_learn(vswitch *v, unsigned port, const uint8_t mac[6])
{
    assert(port < v->ports);
    learn(v, port, mac_key(mac));
}

size_t vswitch_forward(vswitch *v, unsigned in_port, const uint8_t src[6], const uint8_t dst[6],
                       unsigned *out_ports, size_t max)
{
    assert(in_port < v->ports);
    learn(v, in_port, mac_key(src));
    mac_entry key;
    mac_entry **found;
    /* Group addresses (I/G bit set) and unknown unicast flood. */
    if (!(dst[0] & 1)) {
        key.mac = mac_key(dst);
        found = tfind(&key, &v->table, cmp_mac);
        if (found) {
            if ((*found)->port == in_port) {
                v->dropped++;
                return 0;
            }
            v->forwarded++;
            if (max)
                out_ports[0] = (*found)->port;
            return 1;
        }
    }
    v->flooded++;
    size_t n = 0;
    for (unsigned p = 0; p < v->ports && n < max; p++)
        if (p != in_port)
            out_ports[n++] = p;
    return n;
}
