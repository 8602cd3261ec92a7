#include "models/pcie/dma.h"

#include <assert.h>
#include <stdlib.h>

#include "sim/alloc.h"

struct pcie_dma {
    pcie_link *link;
    pcie_rc *rc;
    uint16_t rid;
    /* Tag pool: the times each tag becomes free again, sorted, in a ring that starts at
     * tag_head, so a read request takes the tag that frees first. A request's tag frees
     * when its completions are in, which is mostly after every other tag's: put back at
     * the end of the ring, it moves nothing (a heap moved it through every level). */
    uint64_t *tag_free_ps;
    uint32_t tags, tag_head;
    uint32_t mps_bytes, mrrs_bytes;
};

pcie_dma *pcie_dma_create(pcie_link *link, pcie_rc *rc, uint16_t rid, uint32_t tags)
{
    assert(tags > 0);
    pcie_dma *d = sim_xcalloc(1, sizeof *d);
    d->link = link;
    d->rc = rc;
    d->rid = rid;
    d->tags = tags;
    d->mps_bytes = pcie_link_config(link)->mps_bytes;
    d->mrrs_bytes = pcie_link_config(link)->mrrs_bytes;
    d->tag_free_ps = sim_xcalloc(tags, sizeof *d->tag_free_ps);
    return d;
}

void pcie_dma_destroy(pcie_dma *d)
{
    if (!d)
        return;
    free(d->tag_free_ps);
    free(d);
}

uint16_t pcie_dma_rid(const pcie_dma *d) { return d->rid; }

void pcie_dma_set_limits(pcie_dma *d, uint32_t mps_bytes, uint32_t mrrs_bytes)
{
    d->mps_bytes = mps_bytes;
    d->mrrs_bytes = mrrs_bytes;
}

/* The earliest free tag (the ring's head) is taken and frees again at free_ps: its slot
 * becomes the ring's last, and free_ps moves down past the times later than it. */
static void tag_replace_min(pcie_dma *d, uint64_t free_ps)
{
    uint64_t *h = d->tag_free_ps;
    uint32_t n = d->tags, i = d->tag_head;
    d->tag_head = i + 1 == n ? 0 : i + 1;
    while (i != d->tag_head) {
        uint32_t prev = i == 0 ? n - 1 : i - 1;
        if (h[prev] <= free_ps)
            break;
        h[i] = h[prev];
        i = prev;
    }
    h[i] = free_ps;
}

/* The bytes a PASID adds to a request of chunk c (none without one). */
static inline uint32_t pasid_bytes(const pcie_dma *d, enum pcie_tlp_type t, const pcie_chunk *c,
                                   uint32_t pasid)
{
    if (pasid == PCIE_NO_PASID)
        return 0;
    return pcie_tlp_pasid_bytes(pcie_link_config(d->link), t, c->addr, c->len_bytes);
}

static inline uint64_t dma_read(pcie_dma *d, uint64_t t_ps, uint64_t addr, uint64_t len,
                                uint8_t *buf, uint32_t pasid, bool *ur)
{
    pcie_split s;
    pcie_split_read_init(&s, addr, len, d->mrrs_bytes);
    pcie_chunk c;
    uint64_t done = t_ps;
    bool any_ur = false;
    while (pcie_split_next(&s, &c)) {
        uint64_t first_free = d->tag_free_ps[d->tag_head];
        uint64_t go = first_free > t_ps ? first_free : t_ps;
        uint64_t at_rc = pcie_link_send_prefixed(d->link, PCIE_UP, go, PCIE_TLP_MRD, c.addr,
                                                 c.len_bytes,
                                                 pasid_bytes(d, PCIE_TLP_MRD, &c, pasid));
        bool blocked;
        uint64_t back = pcie_rc_read_pasid(d->rc, at_rc, d->rid, pasid, c.addr, c.len_bytes,
                                           buf ? buf + (c.addr - addr) : NULL, &blocked);
        any_ur |= blocked;
        tag_replace_min(d, back);
        if (back > done)
            done = back;
    }
    if (ur)
        *ur = any_ur || pcie_split_wraps(addr, len);
    return done;
}

uint64_t pcie_dma_read(pcie_dma *d, uint64_t t_ps, uint64_t addr, uint64_t len, bool *ur)
{
    return dma_read(d, t_ps, addr, len, NULL, PCIE_NO_PASID, ur);
}

uint64_t pcie_dma_read_pasid(pcie_dma *d, uint64_t t_ps, uint64_t addr, uint64_t len,
                             uint32_t pasid, bool *ur)
{
    return dma_read(d, t_ps, addr, len, NULL, pasid, ur);
}

uint64_t pcie_dma_read_into(pcie_dma *d, uint64_t t_ps, uint64_t addr, uint64_t len, void *buf,
                            bool *ur)
{
    return dma_read(d, t_ps, addr, len, buf, PCIE_NO_PASID, ur);
}

static inline uint64_t dma_write(pcie_dma *d, uint64_t t_ps, uint64_t addr, uint64_t len,
                                 const uint8_t *buf, uint32_t pasid)
{
    pcie_split s;
    pcie_split_write_init(&s, addr, len, d->mps_bytes);
    pcie_chunk c;
    uint64_t done = t_ps;
    while (pcie_split_next(&s, &c)) {
        uint64_t at_rc = pcie_link_send_prefixed(d->link, PCIE_UP, t_ps, PCIE_TLP_MWR, c.addr,
                                                 c.len_bytes,
                                                 pasid_bytes(d, PCIE_TLP_MWR, &c, pasid));
        uint64_t accepted = pcie_rc_write_pasid(d->rc, at_rc, d->rid, pasid, c.addr, c.len_bytes,
                                                buf ? buf + (c.addr - addr) : NULL);
        if (accepted > done)
            done = accepted;
    }
    return done;
}

uint64_t pcie_dma_write(pcie_dma *d, uint64_t t_ps, uint64_t addr, uint64_t len)
{
    return dma_write(d, t_ps, addr, len, NULL, PCIE_NO_PASID);
}

uint64_t pcie_dma_write_pasid(pcie_dma *d, uint64_t t_ps, uint64_t addr, uint64_t len,
                              uint32_t pasid)
{
    return dma_write(d, t_ps, addr, len, NULL, pasid);
}

uint64_t pcie_dma_write_from(pcie_dma *d, uint64_t t_ps, uint64_t addr, uint64_t len,
                             const void *buf)
{
    return dma_write(d, t_ps, addr, len, buf, PCIE_NO_PASID);
}

uint64_t pcie_dma_msi(pcie_dma *d, uint64_t t_ps, uint64_t addr, uint32_t data)
{
    uint64_t at_rc = pcie_link_send(d->link, PCIE_UP, t_ps, PCIE_TLP_MWR, addr, 4);
    return pcie_rc_write(d->rc, at_rc, d->rid, addr, 4, data);
}
