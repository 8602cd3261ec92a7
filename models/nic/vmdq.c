#include "models/nic/vmdq.h"

#include <assert.h>
#include <stdlib.h>

#include "models/nic/nic.h"
#include "models/nic/nic_impl.h"
#include "models/nic/nic_regs.h"
#include "models/nic/veb.h"
#include "sim/alloc.h"

typedef struct vmdq_filter {
    uint64_t mac; /* 0: not loaded */
    unsigned first, count;
} vmdq_filter;

struct nic_vmdq {
    unsigned nfilters, pf_queues, max_queues, loaded;
    vmdq_filter *f;
    int *pool_of; /* per PF queue: its filter, -1 when in none */
    nic_veb *by_mac; /* MAC to filter: the VEB's table with a filter as its pool, VLAN 0 */
    uint32_t *ral, *rah, *qsel; /* the registers as written (RAH: as loaded) */
};

nic_vmdq *nic_vmdq_create(unsigned filters, unsigned max_queues, unsigned pf_queues)
{
    assert(pf_queues <= max_queues);
    nic_vmdq *v = sim_xcalloc(1, sizeof *v);
    v->nfilters = filters;
    v->pf_queues = pf_queues;
    v->max_queues = max_queues;
    v->f = sim_xcalloc(filters, sizeof *v->f);
    v->pool_of = sim_xcalloc(max_queues ? max_queues : 1, sizeof *v->pool_of);
    for (unsigned q = 0; q < max_queues; q++)
        v->pool_of[q] = -1;
    v->by_mac = nic_veb_create(filters);
    v->ral = sim_xcalloc(filters, sizeof *v->ral);
    v->rah = sim_xcalloc(filters, sizeof *v->rah);
    v->qsel = sim_xcalloc(filters, sizeof *v->qsel);
    return v;
}

void nic_vmdq_set_queues(nic_vmdq *v, unsigned pf_queues)
{
    assert(pf_queues >= v->pf_queues && pf_queues <= v->max_queues);
    v->pf_queues = pf_queues;
}

void nic_vmdq_destroy(nic_vmdq *v)
{
    if (!v)
        return;
    nic_veb_destroy(v->by_mac);
    free(v->ral);
    free(v->rah);
    free(v->qsel);
    free(v->pool_of);
    free(v->f);
    free(v);
}

int nic_vmdq_set(nic_vmdq *v, unsigned i, uint64_t mac, unsigned first, unsigned count,
                 const char **why)
{
    assert(i < v->nfilters);
    if (mac) {
        int other = nic_veb_lookup(v->by_mac, mac, 0);
        if (!nic_mac_is_unicast(mac))
            *why = "a group address";
        else if (other >= 0 && (unsigned)other != i)
            *why = "an address another filter has";
        else if (!count)
            *why = "a pool without queues";
        else if (first >= v->pf_queues || count > v->pf_queues - first)
            *why = "queues beyond the PF's";
        else
            *why = NULL;
        for (unsigned q = first; !*why && q < first + count; q++)
            if (v->pool_of[q] >= 0 && (unsigned)v->pool_of[q] != i)
                *why = "a queue of another pool";
        if (*why)
            return -1;
    }
    vmdq_filter *f = &v->f[i];
    if (f->mac) {
        for (unsigned q = f->first; q < f->first + f->count; q++)
            v->pool_of[q] = -1;
        v->loaded--;
    }
    *f = mac ? (vmdq_filter){mac, first, count} : (vmdq_filter){0, 0, 0};
    if (mac) {
        for (unsigned q = first; q < first + count; q++)
            v->pool_of[q] = (int)i;
        v->loaded++;
    }
    nic_veb_set(v->by_mac, i, mac, 0);
    return 0;
}

int nic_vmdq_queue(const nic_vmdq *v, uint64_t mac, uint32_t flow)
{
    if (!v->loaded)
        return -1;
    int i = nic_veb_lookup(v->by_mac, mac, 0);
    if (i < 0)
        return -1;
    const vmdq_filter *f = &v->f[i];
    return (int)(f->first + flow % f->count);
}

bool nic_vmdq_in_pool(const nic_vmdq *v, unsigned q)
{
    return q < v->pf_queues && v->pool_of[q] >= 0;
}

unsigned nic_vmdq_filters(const nic_vmdq *v) { return v->loaded; }

/* ---------------------------------------------------------------- registers */

void nic_vmdq_reg_write(nic *n, unsigned i, uint32_t reg, uint32_t val)
{
    nic_vmdq *v = n->vmdq;
    switch (reg) {
    case NIC_VMDQ_RAL: v->ral[i] = val; return;
    case NIC_VMDQ_QSEL: v->qsel[i] = val; return;
    case NIC_VMDQ_RAH: break;
    default: return;
    }
    uint64_t mac = val & NIC_VMDQ_RAH_AV ? ((uint64_t)(val & 0xffffu) << 32) | v->ral[i] : 0;
    unsigned first = v->qsel[i] & 0xffffu, count = v->qsel[i] >> NIC_VMDQ_QSEL_COUNT_SHIFT;
    const char *why = NULL;
    if (nic_vmdq_set(v, i, mac, first, count, &why) < 0) {
        char m[18];
        nic_mac_format(mac, m);
        nic_set_error(n, &n->pf_driver_errors,
                      "VMDq: filter %u for %s to %u PF queues from %u refused: %s", i, m,
                      count, first, why);
        return;
    }
    v->rah[i] = mac ? val : 0;
    /* The default pool's RSS leaves the pools' queues out. */
    nic_fn_rx_map_update(&n->fns[NIC_PF]);
}

uint32_t nic_vmdq_reg_read(const nic *n, unsigned i, uint32_t reg)
{
    const nic_vmdq *v = n->vmdq;
    switch (reg) {
    case NIC_VMDQ_RAL: return v->ral[i];
    case NIC_VMDQ_RAH: return v->rah[i];
    case NIC_VMDQ_QSEL: return v->qsel[i];
    default: return 0;
    }
}
