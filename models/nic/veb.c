#include "models/nic/veb.h"

#include <assert.h>
#include <stdlib.h>

#include "sim/alloc.h"

typedef struct veb_slot {
    uint64_t mac; /* 0: empty */
    uint16_t vlan;
    int pool;
} veb_slot;

struct nic_veb {
    unsigned pools;
    uint64_t *mac; /* per pool, 0 when unset */
    uint16_t *vlan;
    veb_slot *table;
    uint32_t mask; /* table size - 1, a power of two at least twice the pools */
};

static uint32_t hash(uint64_t mac, uint16_t vlan)
{
    uint64_t h = (mac ^ ((uint64_t)vlan << 48)) * 0x9e3779b97f4a7c15ull;
    return (uint32_t)(h >> 32);
}

static void rebuild(nic_veb *v)
{
    for (uint32_t i = 0; i <= v->mask; i++)
        v->table[i].mac = 0;
    for (unsigned p = 0; p < v->pools; p++) {
        if (!v->mac[p])
            continue;
        uint32_t i = hash(v->mac[p], v->vlan[p]) & v->mask;
        while (v->table[i].mac) {
            /* A second pool with the same address in the same VLAN never wins: the
             * first (lowest) pool keeps it, as a filter table with one entry would. */
            if (v->table[i].mac == v->mac[p] && v->table[i].vlan == v->vlan[p])
                goto next;
            i = (i + 1) & v->mask;
        }
        v->table[i] = (veb_slot){v->mac[p], v->vlan[p], (int)p};
    next:;
    }
}

nic_veb *nic_veb_create(unsigned pools)
{
    nic_veb *v = sim_xcalloc(1, sizeof *v);
    v->pools = pools;
    v->mac = sim_xcalloc(pools, sizeof *v->mac);
    v->vlan = sim_xcalloc(pools, sizeof *v->vlan);
    uint32_t size = 16;
    while (size < 2u * pools)
        size <<= 1;
    v->table = sim_xcalloc(size, sizeof *v->table);
    v->mask = size - 1;
    return v;
}

void nic_veb_destroy(nic_veb *v)
{
    if (!v)
        return;
    free(v->mac);
    free(v->vlan);
    free(v->table);
    free(v);
}

void nic_veb_set(nic_veb *v, unsigned pool, uint64_t mac, uint16_t vlan)
{
    assert(pool < v->pools);
    if (v->mac[pool] == mac && v->vlan[pool] == vlan)
        return;
    v->mac[pool] = mac;
    v->vlan[pool] = vlan;
    rebuild(v);
}

int nic_veb_lookup(const nic_veb *v, uint64_t mac, uint16_t vlan)
{
    uint32_t i = hash(mac, vlan) & v->mask;
    while (v->table[i].mac) {
        if (v->table[i].mac == mac && v->table[i].vlan == vlan)
            return v->table[i].pool;
        i = (i + 1) & v->mask;
    }
    return -1;
}

unsigned nic_veb_flood(const nic_veb *v, uint16_t vlan, unsigned *pools, unsigned max)
{
    unsigned n = 0;
    for (unsigned p = 0; p < v->pools; p++) {
        if (!v->mac[p] || v->vlan[p] != vlan)
            continue;
        if (n < max)
            pools[n] = p;
        n++;
    }
    return n;
}
