#include "host/pcache.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "sim/alloc.h"

typedef struct pcache_cfg {
    uint64_t bytes, dirty_bg_bytes, dirty_bytes, ra_bytes;
    uint32_t dirty_bg_ratio, dirty_ratio;
    double resident_pct;
    uint64_t call_cycles, page_cycles;
} pcache_cfg;

static const sim_param_def pcache_params[] = {
    {"pagecache.bytes", SIM_PARAM_UINT, "8GiB", "16MiB..56GiB", "bytes",
     "img.cache = writeback: the host memory the page cache may hold the images' pages in "
     "(assumed: what a host keeps besides its VMs' memory)",
     SIM_AT(pcache_cfg, bytes)},
    {"pagecache.dirty_background_ratio", SIM_PARAM_UINT, "10", "1..100", "%",
     "Dirty pages, as a share of pagecache.bytes, above which the flusher writes them back "
     "(vm.dirty_background_ratio; mm/page-writeback.c: dirty_background_ratio = 10)",
     SIM_AT(pcache_cfg, dirty_bg_ratio)},
    {"pagecache.dirty_ratio", SIM_PARAM_UINT, "20", "1..100", "%",
     "Dirty and writeback pages, as a share of pagecache.bytes, above which a writer waits "
     "for writeback (vm.dirty_ratio; mm/page-writeback.c: vm_dirty_ratio = 20)",
     SIM_AT(pcache_cfg, dirty_ratio)},
    {"pagecache.dirty_background_bytes", SIM_PARAM_UINT, "0", "0..56GiB", "bytes",
     "The background threshold in bytes instead of the ratio (vm.dirty_background_bytes); "
     "0: the ratio",
     SIM_AT(pcache_cfg, dirty_bg_bytes)},
    {"pagecache.dirty_bytes", SIM_PARAM_UINT, "0", "0..56GiB", "bytes",
     "The writers' limit in bytes instead of the ratio (vm.dirty_bytes); 0: the ratio",
     SIM_AT(pcache_cfg, dirty_bytes)},
    {"pagecache.read_ahead_bytes", SIM_PARAM_UINT, "128KiB", "0..16MiB", "bytes",
     "The largest readahead window of a sequential reader (the drive's read_ahead_kb; "
     "include/linux/mm.h: VM_READAHEAD_PAGES, 128 KiB); 0: no readahead",
     SIM_AT(pcache_cfg, ra_bytes)},
    {"pagecache.resident_pct", SIM_PARAM_DOUBLE, "0", "0..100", "%",
     "Initial condition: the share of each image in the cache at the start, clean (its first "
     "pages, as if read before the run); 0: cold",
     SIM_AT(pcache_cfg, resident_pct)},
    {"pagecache.call_cycles", SIM_PARAM_UINT, "1200", "0..1e8", "cycles",
     "A buffered read or write the cache serves: the system call's crossing and the file's "
     "read_iter or write_iter",
     SIM_AT(pcache_cfg, call_cycles)},
    {"pagecache.page_cycles", SIM_PARAM_UINT, "250", "0..1e8", "cycles",
     "Per page looked up, written, or ended in a read or writeback: the mapping's xarray walk, "
     "the folio's reference and flags",
     SIM_AT(pcache_cfg, page_cycles)},
};

enum {
    PG_UPTODATE = 1,
    PG_PENDING = 2,   /* its read from the drive is in flight */
    PG_DIRTY = 4,
    PG_WRITEBACK = 8,
    PG_RA_MARK = 16,  /* PG_readahead: reaching it starts the next window */
};

#define NO_SLOT UINT32_MAX

typedef struct pc_page {
    uint64_t key; /* vm << KEY_VM_SHIFT | page index */
    uint32_t lru_prev, lru_next;
    uint32_t dirty_prev, dirty_next;
    uint8_t flags;
} pc_page;

#define KEY_VM_SHIFT 40 /* 2^40 pages: 4 PiB an image, above img.bytes' range */

/* file_ra_state: the window [start, start + size), its marked page at start + size -
 * async; next: the page after the previous read (ra->prev_pos's). */
typedef struct pc_ra {
    uint64_t start, size, async, next;
    bool seen;
} pc_ra;

struct pcache {
    pcache_cfg c;
    pcache_env env;
    uint32_t cap;   /* pages */
    pc_page *pg;    /* cap slots, then the LRU list's head and the dirty list's */
    uint32_t used;  /* slots handed out */
    uint32_t lru, dirty; /* the lists' heads */
    uint32_t *tab;  /* open addressing, linear probing: slot + 1, 0 empty */
    uint64_t mask;
    uint64_t limit_pages, bg_pages, ra_pages, max_io_pages, img_pages;
    uint64_t ndirty, nwb;
    pc_ra *ra; /* per VM */
    pcache_counters k;
};

void pcache_register_params(sim_params *p)
{
    sim_params_add_table(p, pcache_params, SIM_TABLE_LEN(pcache_params));
}

static pcache_cfg cfg_load(const sim_params *p)
{
    pcache_cfg c;
    sim_params_load_table(p, pcache_params, SIM_TABLE_LEN(pcache_params), &c);
    return c;
}

/* domain_dirty_limits: the _bytes forms win over the ratios; a background threshold at or
 * above the limit is half the limit. */
static void limits(const pcache_cfg *c, uint64_t *bg_pages, uint64_t *limit_pages)
{
    uint64_t cap = c->bytes / PCACHE_PAGE_BYTES;
    uint64_t lim = c->dirty_bytes ? (c->dirty_bytes + PCACHE_PAGE_BYTES - 1) / PCACHE_PAGE_BYTES
                                  : cap * c->dirty_ratio / 100;
    uint64_t bg = c->dirty_bg_bytes
                      ? (c->dirty_bg_bytes + PCACHE_PAGE_BYTES - 1) / PCACHE_PAGE_BYTES
                      : cap * c->dirty_bg_ratio / 100;
    if (bg >= lim)
        bg = lim / 2;
    *bg_pages = bg;
    *limit_pages = lim;
}

static uint64_t resident_pages(const pcache_cfg *c, uint64_t img_bytes)
{
    return (uint64_t)floor(c->resident_pct / 100.0 * (double)(img_bytes / PCACHE_PAGE_BYTES));
}

int pcache_check(const sim_params *p, const pcache_env *env, sim_err *e)
{
    pcache_cfg c = cfg_load(p);
    uint64_t bg, lim;
    limits(&c, &bg, &lim);
    uint64_t cap = c.bytes / PCACHE_PAGE_BYTES;
    /* What the cache cannot let go: dirty and writeback pages up to the limit, what the
     * requests in flight add past it or wait for, a readahead window per image. Deeper
     * readahead of many readers can pin more: a page that finds no room is read for its
     * request alone and counted (insert_failed). */
    uint64_t io_pages = env->io_bytes / PCACHE_PAGE_BYTES + 1;
    uint64_t ra = c.ra_bytes / PCACHE_PAGE_BYTES;
    uint64_t pin = lim + env->inflight * io_pages + env->vms * ra;
    if (pin >= cap)
        return sim_err_set(e,
                           "pagecache.bytes = %llu: the dirty limit (pagecache.dirty_ratio or "
                           "pagecache.dirty_bytes: %llu bytes), %llu requests in flight and "
                           "a readahead window per image can hold %llu bytes it cannot evict: "
                           "all of it",
                           (unsigned long long)c.bytes,
                           (unsigned long long)(lim * PCACHE_PAGE_BYTES),
                           (unsigned long long)env->inflight,
                           (unsigned long long)(pin * PCACHE_PAGE_BYTES));
    uint64_t res = resident_pages(&c, env->img_bytes) * env->vms;
    if (res > cap)
        return sim_err_set(e,
                           "pagecache.resident_pct = %g of %u images of img.bytes = %llu is %llu "
                           "bytes: more than pagecache.bytes = %llu",
                           c.resident_pct, env->vms, (unsigned long long)env->img_bytes,
                           (unsigned long long)(res * PCACHE_PAGE_BYTES),
                           (unsigned long long)c.bytes);
    return 0;
}

/* ---------------------------------------------------------------- the table */

static uint64_t key_of(unsigned vm, uint64_t idx) { return (uint64_t)vm << KEY_VM_SHIFT | idx; }

static uint64_t home(const pcache *pc, uint64_t key)
{
    /* splitmix64's finaliser: keys of one image are consecutive integers. */
    uint64_t z = key + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (z ^ (z >> 31)) & pc->mask;
}

static uint32_t find(const pcache *pc, unsigned vm, uint64_t idx)
{
    uint64_t key = key_of(vm, idx);
    for (uint64_t i = home(pc, key);; i = (i + 1) & pc->mask) {
        uint32_t v = pc->tab[i];
        if (!v)
            return NO_SLOT;
        if (pc->pg[v - 1].key == key)
            return v - 1;
    }
}

static void tab_add(pcache *pc, uint32_t slot)
{
    uint64_t i = home(pc, pc->pg[slot].key);
    while (pc->tab[i])
        i = (i + 1) & pc->mask;
    pc->tab[i] = slot + 1;
}

/* Linear probing's deletion by backward shift: no tombstones. */
static void tab_del(pcache *pc, uint32_t slot)
{
    uint64_t i = home(pc, pc->pg[slot].key);
    while (pc->tab[i] != slot + 1)
        i = (i + 1) & pc->mask;
    for (uint64_t j = i;;) {
        j = (j + 1) & pc->mask;
        if (!pc->tab[j])
            break;
        uint64_t h = home(pc, pc->pg[pc->tab[j] - 1].key);
        bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
        if (stays)
            continue;
        pc->tab[i] = pc->tab[j];
        i = j;
    }
    pc->tab[i] = 0;
}

/* ---------------------------------------------------------------- lists */

static void lru_del(pcache *pc, uint32_t s)
{
    pc_page *g = &pc->pg[s];
    pc->pg[g->lru_prev].lru_next = g->lru_next;
    pc->pg[g->lru_next].lru_prev = g->lru_prev;
}

static void lru_add_head(pcache *pc, uint32_t s)
{
    pc_page *h = &pc->pg[pc->lru];
    pc->pg[s].lru_prev = pc->lru;
    pc->pg[s].lru_next = h->lru_next;
    pc->pg[h->lru_next].lru_prev = s;
    h->lru_next = s;
}

static void touch(pcache *pc, uint32_t s)
{
    lru_del(pc, s);
    lru_add_head(pc, s);
}

static void dirty_del(pcache *pc, uint32_t s)
{
    pc_page *g = &pc->pg[s];
    pc->pg[g->dirty_prev].dirty_next = g->dirty_next;
    pc->pg[g->dirty_next].dirty_prev = g->dirty_prev;
}

/* At the tail: the newest; at the head (oldest first): a page whose writeback failed. */
static void dirty_add(pcache *pc, uint32_t s, bool oldest)
{
    uint32_t before = oldest ? pc->pg[pc->dirty].dirty_next : pc->dirty;
    uint32_t after = pc->pg[before].dirty_prev;
    pc->pg[s].dirty_prev = after;
    pc->pg[s].dirty_next = before;
    pc->pg[after].dirty_next = s;
    pc->pg[before].dirty_prev = s;
}

static void note_dirty(pcache *pc)
{
    uint64_t b = (pc->ndirty + pc->nwb) * PCACHE_PAGE_BYTES;
    if (b > pc->k.dirty_max_bytes)
        pc->k.dirty_max_bytes = b;
}

/* A slot for a new page: a free one, else the clean page at the LRU's tail. Pages that
 * cannot go are moved to the head as the search passes them. */
static uint32_t take_slot(pcache *pc)
{
    if (pc->used < pc->cap)
        return pc->used++;
    for (uint32_t n = 0; n < pc->cap; n++) {
        uint32_t s = pc->pg[pc->lru].lru_prev;
        if ((pc->pg[s].flags & ~PG_RA_MARK) == PG_UPTODATE) {
            lru_del(pc, s);
            tab_del(pc, s);
            pc->k.evictions++;
            return s;
        }
        touch(pc, s);
    }
    return NO_SLOT;
}

static uint32_t insert(pcache *pc, unsigned vm, uint64_t idx, uint8_t flags)
{
    uint32_t s = take_slot(pc);
    if (s == NO_SLOT) {
        pc->k.insert_failed++;
        return NO_SLOT;
    }
    pc->pg[s] = (pc_page){.key = key_of(vm, idx), .flags = flags};
    tab_add(pc, s);
    lru_add_head(pc, s);
    return s;
}

/* ---------------------------------------------------------------- life */

pcache *pcache_create(const sim_params *p, const pcache_env *env, sim_stats *st)
{
    pcache *pc = sim_xcalloc(1, sizeof *pc);
    pc->c = cfg_load(p);
    pc->env = *env;
    pc->cap = (uint32_t)(pc->c.bytes / PCACHE_PAGE_BYTES);
    pc->pg = sim_xcalloc((size_t)pc->cap + 2, sizeof *pc->pg);
    pc->lru = pc->cap;
    pc->dirty = pc->cap + 1;
    pc->pg[pc->lru].lru_prev = pc->pg[pc->lru].lru_next = pc->lru;
    pc->pg[pc->dirty].dirty_prev = pc->pg[pc->dirty].dirty_next = pc->dirty;
    uint64_t slots = 1;
    while (slots < 2ull * pc->cap)
        slots <<= 1;
    pc->tab = sim_xcalloc(slots, sizeof *pc->tab);
    pc->mask = slots - 1;
    limits(&pc->c, &pc->bg_pages, &pc->limit_pages);
    pc->ra_pages = pc->c.ra_bytes / PCACHE_PAGE_BYTES;
    pc->max_io_pages = env->max_io_bytes / PCACHE_PAGE_BYTES;
    if (pc->max_io_pages == 0)
        pc->max_io_pages = 1;
    pc->img_pages = env->img_bytes / PCACHE_PAGE_BYTES;
    pc->ra = sim_xcalloc(env->vms ? env->vms : 1, sizeof *pc->ra);
    /* The images' first pages, in turns, so that no image's are all the oldest. */
    uint64_t res = resident_pages(&pc->c, env->img_bytes);
    for (uint64_t i = 0; i < res; i++)
        for (unsigned v = 0; v < env->vms; v++)
            if (pc->used < pc->cap)
                insert(pc, v, i, PG_UPTODATE);
    if (st) {
#define C(field, desc) sim_stats_counter(st, "pagecache." #field, &pc->k.field, desc)
        C(hits, "pages reads found up to date in the page cache");
        C(pending_hits, "pages reads found on their way from the drive (they waited for them)");
        C(misses, "pages reads did not find (read from the drive)");
        C(readahead_pages, "pages read ahead of the readers (sync windows past a request, "
                           "background windows)");
        C(fills, "reads from the drive for the page cache (a request's, or a readahead)");
        C(fill_pages, "pages those reads brought in");
        C(write_pages, "pages written into the page cache");
        C(evictions, "clean pages evicted for new ones (LRU)");
        C(wb_requests, "writeback requests the drive completed");
        C(wb_bytes, "bytes those requests wrote back");
        C(insert_failed, "pages the cache could not take (every page dirty or being read)");
        C(dirty_max_bytes, "the most dirty and writeback bytes at any change in the window");
#undef C
    }
    return pc;
}

void pcache_destroy(pcache *pc)
{
    if (!pc)
        return;
    free(pc->pg);
    free(pc->tab);
    free(pc->ra);
    free(pc);
}

uint64_t pcache_call_cycles(const pcache *pc) { return pc->c.call_cycles; }
uint64_t pcache_page_cycles(const pcache *pc) { return pc->c.page_cycles; }
pcache_counters pcache_get_counters(const pcache *pc) { return pc->k; }

/* ---------------------------------------------------------------- reads */

/* get_init_ra_size and get_next_ra_size (mm/readahead.c), in pages. */
static uint64_t ra_init(uint64_t req, uint64_t max)
{
    uint64_t s = 1;
    while (s < req)
        s <<= 1;
    if (s <= max / 32)
        s *= 4;
    else if (s <= max / 4)
        s *= 2;
    else
        s = max;
    return s < max ? s : max;
}

static uint64_t ra_next(uint64_t cur, uint64_t max)
{
    if (cur < max / 16)
        return 4 * cur;
    if (cur <= max / 2)
        return 2 * cur;
    return max;
}

/* The absent pages of [lo, hi) of vm's image from the first to the last, at most the
 * drive's largest request: inserted pending, as one read. `own` pages of it are the
 * request's own; the rest count as read ahead. */
static void plan_read(pcache *pc, unsigned vm, uint64_t lo, uint64_t hi, uint64_t own_lo,
                      uint64_t own_hi, pcache_span *out)
{
    if (hi > pc->img_pages)
        hi = pc->img_pages;
    while (lo < hi && find(pc, vm, lo) != NO_SLOT)
        lo++;
    if (hi > lo + pc->max_io_pages)
        hi = lo + pc->max_io_pages;
    while (hi > lo && find(pc, vm, hi - 1) != NO_SLOT)
        hi--;
    *out = (pcache_span){.vm = vm, .first = lo, .pages = (uint32_t)(hi - lo),
                         .addr = pc->env.mem_base};
    bool addr_set = false;
    for (uint64_t i = lo; i < hi; i++) {
        if (find(pc, vm, i) != NO_SLOT)
            continue;
        uint32_t s = insert(pc, vm, i, PG_PENDING);
        if (s != NO_SLOT && !addr_set) {
            out->addr = pc->env.mem_base + (uint64_t)s * PCACHE_PAGE_BYTES;
            addr_set = true;
        }
        if (i < own_lo || i >= own_hi)
            pc->k.readahead_pages++;
    }
    if (out->pages) {
        pc->k.fills++;
        pc->k.fill_pages += out->pages;
    }
}

static void mark(pcache *pc, unsigned vm, uint64_t idx)
{
    uint32_t s = find(pc, vm, idx);
    if (s != NO_SLOT)
        pc->pg[s].flags |= PG_RA_MARK;
}

void pcache_read(pcache *pc, unsigned vm, uint64_t first, uint32_t pages, pcache_read_plan *out)
{
    *out = (pcache_read_plan){.fill = {.vm = vm}, .async = {.vm = vm}};
    uint64_t end = first + pages, miss_lo = UINT64_MAX, marked = UINT64_MAX;
    for (uint64_t i = first; i < end; i++) {
        uint32_t s = find(pc, vm, i);
        if (s == NO_SLOT) {
            out->missing++;
            if (miss_lo == UINT64_MAX)
                miss_lo = i;
            continue;
        }
        pc_page *g = &pc->pg[s];
        if (g->flags & PG_PENDING)
            out->pending++;
        else
            out->hits++;
        if ((g->flags & PG_RA_MARK) && marked == UINT64_MAX) {
            g->flags &= (uint8_t)~PG_RA_MARK;
            marked = i;
        }
        touch(pc, s); /* mark_page_accessed */
    }
    pc->k.hits += out->hits;
    pc->k.pending_hits += out->pending;
    pc->k.misses += out->missing;
    pc_ra *ra = &pc->ra[vm];
    uint64_t max = pc->ra_pages;
    /* ondemand_readahead's sequential miss, index - prev_index <= 1: a read from where the
     * previous one ended (its last page, when it ended within it), or a page after. */
    bool seq = ra->seen && first + 1 >= ra->next && first <= ra->next + 1;
    if (out->missing) {
        uint64_t hi = end;
        if (max && (first == 0 || seq)) {
            bool caught_up = ra->size && (first == ra->start + ra->size - ra->async ||
                                          first == ra->start + ra->size);
            if (caught_up) {
                ra->start += ra->size;
                ra->size = ra_next(ra->size, max);
                ra->async = ra->size;
            } else {
                ra->start = first;
                ra->size = ra_init(pages, max);
                ra->async = ra->size > pages ? ra->size - pages : ra->size;
            }
            /* readit: a window all of it asynchronous (a request as large as the window)
             * has its marked page moved in, half way at the largest. */
            if (first == ra->start && ra->size == ra->async) {
                uint64_t add = ra_next(ra->size, max);
                if (ra->size + add <= max) {
                    ra->async = add;
                    ra->size += add;
                } else {
                    ra->size = max;
                    ra->async = max / 2;
                }
            }
            if (ra->start + ra->size > hi)
                hi = ra->start + ra->size;
        }
        plan_read(pc, vm, miss_lo, hi, first, end, &out->fill);
        if (max && (first == 0 || seq) && ra->async) {
            /* A marked page within this request is reached by it (filemap_get_pages'
             * filemap_readahead after the synchronous read): the next window goes too. */
            uint64_t m = ra->start + ra->size - ra->async;
            if (m >= first && m < end && marked == UINT64_MAX)
                marked = m;
            else
                mark(pc, vm, m);
        }
    }
    if (marked != UINT64_MAX && max) {
        /* page_cache_async_ra: the reader reached the marked page; the next window goes now,
         * in the background. */
        if (ra->size &&
            (marked == ra->start + ra->size - ra->async || marked == ra->start + ra->size)) {
            ra->start += ra->size;
            ra->size = ra_next(ra->size, max);
        } else {
            ra->start = marked + 1;
            ra->size = ra_next(pages + 1, max);
        }
        ra->async = ra->size;
        plan_read(pc, vm, ra->start, ra->start + ra->size, 0, 0, &out->async);
        mark(pc, vm, ra->start);
    }
    ra->next = end;
    ra->seen = true;
}

void pcache_read_done(pcache *pc, const pcache_span *sp)
{
    for (uint64_t i = sp->first; i < sp->first + sp->pages; i++) {
        uint32_t s = find(pc, sp->vm, i);
        if (s != NO_SLOT && (pc->pg[s].flags & PG_PENDING))
            pc->pg[s].flags = (uint8_t)((pc->pg[s].flags & ~PG_PENDING) | PG_UPTODATE);
    }
}

bool pcache_ready(const pcache *pc, unsigned vm, uint64_t first, uint32_t pages)
{
    for (uint64_t i = first; i < first + pages; i++) {
        uint32_t s = find(pc, vm, i);
        if (s != NO_SLOT && (pc->pg[s].flags & PG_PENDING))
            return false;
    }
    return true;
}

/* ---------------------------------------------------------------- writes */

void pcache_write(pcache *pc, unsigned vm, uint64_t first, uint32_t pages)
{
    for (uint64_t i = first; i < first + pages; i++) {
        uint32_t s = find(pc, vm, i);
        if (s == NO_SLOT)
            s = insert(pc, vm, i, PG_UPTODATE);
        else
            touch(pc, s);
        if (s == NO_SLOT)
            continue;
        pc_page *g = &pc->pg[s];
        /* A write over a page on its way in leaves it written: the read's data is older. */
        g->flags = (uint8_t)((g->flags & ~PG_PENDING) | PG_UPTODATE);
        if (!(g->flags & PG_DIRTY)) {
            g->flags |= PG_DIRTY;
            dirty_add(pc, s, false);
            pc->ndirty++;
        }
        pc->k.write_pages++;
    }
    note_dirty(pc);
}

/* balance_dirty_pages counts dirty and writeback pages against the limit;
 * wb_over_bg_thresh counts the dirty ones against the background threshold. */
bool pcache_over_background(const pcache *pc) { return pc->ndirty > pc->bg_pages; }
bool pcache_over_limit(const pcache *pc) { return pc->ndirty + pc->nwb > pc->limit_pages; }
uint64_t pcache_dirty_bytes(const pcache *pc) { return (pc->ndirty + pc->nwb) * PCACHE_PAGE_BYTES; }

static bool wb_takes(const pcache *pc, unsigned vm, uint64_t idx)
{
    uint32_t s = find(pc, vm, idx);
    return s != NO_SLOT && (pc->pg[s].flags & (PG_DIRTY | PG_WRITEBACK)) == PG_DIRTY;
}

bool pcache_wb_next(pcache *pc, uint32_t max_pages, pcache_span *out)
{
    /* The oldest dirty page not under writeback (background writeback skips those). */
    uint32_t s = pc->pg[pc->dirty].dirty_next;
    while (s != pc->dirty && (pc->pg[s].flags & PG_WRITEBACK))
        s = pc->pg[s].dirty_next;
    if (max_pages > pc->max_io_pages)
        max_pages = (uint32_t)pc->max_io_pages;
    if (s == pc->dirty)
        return false;
    unsigned vm = (unsigned)(pc->pg[s].key >> KEY_VM_SHIFT);
    uint64_t idx = pc->pg[s].key & ((1ull << KEY_VM_SHIFT) - 1);
    uint64_t lo = idx, hi = idx + 1;
    while (hi - lo < max_pages && lo > 0 && wb_takes(pc, vm, lo - 1))
        lo--;
    while (hi - lo < max_pages && wb_takes(pc, vm, hi))
        hi++;
    *out = (pcache_span){.vm = vm, .first = lo, .pages = (uint32_t)(hi - lo),
                         .addr = pc->env.mem_base + (uint64_t)find(pc, vm, lo) * PCACHE_PAGE_BYTES};
    for (uint64_t i = lo; i < hi; i++) {
        uint32_t t = find(pc, vm, i);
        dirty_del(pc, t);
        pc->pg[t].flags = (uint8_t)((pc->pg[t].flags & ~PG_DIRTY) | PG_WRITEBACK);
        pc->ndirty--;
        pc->nwb++;
    }
    return true;
}

void pcache_wb_done(pcache *pc, const pcache_span *sp, bool written)
{
    for (uint64_t i = sp->first; i < sp->first + sp->pages; i++) {
        uint32_t s = find(pc, sp->vm, i);
        assert(s != NO_SLOT && (pc->pg[s].flags & PG_WRITEBACK));
        pc_page *g = &pc->pg[s];
        g->flags &= (uint8_t)~PG_WRITEBACK;
        pc->nwb--;
        if (!written && !(g->flags & PG_DIRTY)) {
            g->flags |= PG_DIRTY;
            dirty_add(pc, s, true);
            pc->ndirty++;
        }
    }
    if (written) {
        pc->k.wb_requests++;
        pc->k.wb_bytes += (uint64_t)sp->pages * PCACHE_PAGE_BYTES;
    }
}
