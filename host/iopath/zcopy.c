/* Items waiting for their packet's free (zcopy.h). */
#include "host/iopath/zcopy.h"

#include <stdlib.h>

#include "sim/alloc.h"

iopath_zc *iopath_zc_create(uint32_t cap)
{
    iopath_zc *z = sim_xcalloc(1, sizeof *z);
    z->cap = cap ? cap : 1;
    z->w = sim_xcalloc(z->cap, sizeof *z->w);
    return z;
}

void iopath_zc_destroy(iopath_zc *z)
{
    if (!z)
        return;
    free(z->w);
    free(z);
}

bool iopath_zc_park(iopath_zc *z, const iopath_zc_wait *w)
{
    if (z->len == z->cap)
        return false;
    z->w[(z->head + z->len) % z->cap] = *w;
    z->len++;
    return true;
}

bool iopath_zc_take(iopath_zc *z, iopath_zc_wait *out)
{
    if (!z->len || z->w[z->head].end_bytes > z->freed_bytes)
        return false;
    *out = z->w[z->head];
    z->head = (z->head + 1) % z->cap;
    z->len--;
    return true;
}
