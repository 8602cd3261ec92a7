#include "traces/trace_linux.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "sim/text.h"
#include "traces/trace.h"

/* Buffers larger than the format's 32-bit lengths become several records. */
#define CHUNK_BYTES (1ull << 30)
/* The most one map or unmap line may cover (TRACE_LINUX_MAX_EVENT_BYTES) in records. */
_Static_assert(TRACE_LINUX_MAX_EVENT_BYTES / CHUNK_BYTES == 1024, "1 TiB is 1024 records");

enum event { EV_NONE, EV_MAP, EV_UNMAP, EV_FAULT };

static bool lit(const char **p, const char *s)
{
    size_t n = strlen(s);
    if (strncmp(*p, s, n))
        return false;
    *p += n;
    return true;
}

/* "0x" and 1..16 hex digits. */
static bool hex64(const char **p, uint64_t *v)
{
    const char *s = *p;
    if (!lit(&s, "0x") || !sim_text_parse_u64(&s, 16, v))
        return false;
    *p = s;
    return true;
}

static bool dec64(const char **p, uint64_t *v) { return sim_text_parse_u64(p, 10, v); }

static bool at_end(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return !*s;
}

/* The token ending just before `end` (spaces skipped): [*start, result). */
static const char *token_before(const char *line, const char *end, const char **start)
{
    while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    const char *b = end;
    while (b > line && b[-1] != ' ' && b[-1] != '\t')
        b--;
    *start = b;
    return end;
}

static enum event event_name(const char *b, const char *end)
{
    if (end - b < 2 || end[-1] != ':')
        return EV_NONE;
    size_t n = (size_t)(end - b) - 1;
    if (n > 6 && !strncmp(b, "iommu:", 6)) {
        b += 6;
        n -= 6;
    }
    if (n == 3 && !strncmp(b, "map", 3))
        return EV_MAP;
    if (n == 5 && !strncmp(b, "unmap", 5))
        return EV_UNMAP;
    if (n == 13 && !strncmp(b, "io_page_fault", 13))
        return EV_FAULT;
    return EV_NONE;
}

/* "SECONDS.FRACTION" with an optional ':' into picoseconds (128-bit: uptimes past 213
 * days do not fit 64 bits before rebasing). */
static bool timestamp(const char *b, const char *end, unsigned __int128 *ps)
{
    if (end > b && end[-1] == ':')
        end--;
    uint64_t sec = 0;
    const char *s = b;
    if (!dec64(&s, &sec) || s >= end || *s != '.')
        return false;
    s++;
    uint64_t frac = 0;
    int digits = 0;
    while (s < end && *s >= '0' && *s <= '9' && digits < 12) {
        frac = frac * 10 + (uint64_t)(*s++ - '0');
        digits++;
    }
    if (s != end || !digits)
        return false;
    while (digits++ < 12)
        frac *= 10;
    *ps = (unsigned __int128)sec * 1000000000000ull + frac;
    return true;
}

typedef struct importer {
    const char *name;
    const trace_linux_opts *o;
    trace_linux_stats *st;
    trace_writer *w;
    bool have_base;
    unsigned __int128 base_ps, last_ps;
    uint64_t lineno;
    sim_err *e;
} importer;

static int put(importer *im, const trace_rec *r)
{
    sim_err we;
    if (trace_writer_put(im->w, r, &we) < 0)
        return sim_err_set(im->e, "%s:%" PRIu64 ": %s", im->name, im->lineno, we.msg);
    im->st->records++;
    return 0;
}

/* Records of `op` over [addr, addr + bytes), at most CHUNK_BYTES each. */
static int put_range(importer *im, trace_rec r, uint64_t bytes)
{
    uint64_t aux = r.aux;
    for (uint64_t done = 0; done < bytes;) {
        uint64_t n = bytes - done < CHUNK_BYTES ? bytes - done : CHUNK_BYTES;
        r.len = (uint32_t)n;
        if (r.op == TRACE_OP_MAP)
            r.aux = aux + done;
        if (put(im, &r) < 0)
            return -1;
        r.addr += n;
        done += n;
    }
    return 0;
}

static int bad_line(importer *im, const char *what)
{
    return sim_err_set(im->e, "%s:%" PRIu64 ": %s", im->name, im->lineno, what);
}

/* A map or unmap of `bytes` at iova (and, for a map, to paddr) that the format can
 * hold: below 2^64, and no more than one event may expand to. */
static int check_range(importer *im, const char *ev, uint64_t iova, uint64_t bytes,
                       const uint64_t *paddr)
{
    if (bytes - 1 > UINT64_MAX - iova)
        return sim_err_set(im->e, "%s:%" PRIu64 ": iommu:%s of %" PRIu64 " bytes at iova 0x%" PRIx64
                                  " runs past 2^64",
                           im->name, im->lineno, ev, bytes, iova);
    if (paddr && bytes - 1 > UINT64_MAX - *paddr)
        return sim_err_set(im->e, "%s:%" PRIu64 ": iommu:%s of %" PRIu64 " bytes to paddr 0x%" PRIx64
                                  " runs past 2^64",
                           im->name, im->lineno, ev, bytes, *paddr);
    if (bytes > TRACE_LINUX_MAX_EVENT_BYTES)
        return sim_err_set(im->e, "%s:%" PRIu64 ": iommu:%s of %" PRIu64 " bytes is more than "
                                  "one line may cover (%llu bytes, 1 TiB: %llu records of 1 GiB)",
                           im->name, im->lineno, ev, bytes, TRACE_LINUX_MAX_EVENT_BYTES,
                           TRACE_LINUX_MAX_EVENT_BYTES / CHUNK_BYTES);
    return 0;
}

static int parse_event(importer *im, enum event ev, const char *payload, uint64_t t_ps)
{
    const char *p = payload;
    uint64_t iova, end_iova, paddr, size, unmapped, flags;
    trace_rec r = {.time_ps = t_ps, .rid = im->o->rid, .domain = im->o->domain};
    switch (ev) {
    case EV_MAP:
        if (!lit(&p, " iova=") || !hex64(&p, &iova))
            return bad_line(im, "iommu:map without 'iova=0x...'");
        if (lit(&p, " - ") && !hex64(&p, &end_iova))
            return bad_line(im, "iommu:map with a bad end address after 'iova=0x... - '");
        if (!lit(&p, " paddr=") || !hex64(&p, &paddr) || !lit(&p, " size=") || !dec64(&p, &size) ||
            !at_end(p))
            return bad_line(im, "iommu:map line does not read 'iova=0x... [- 0x...] "
                                "paddr=0x... size=N'");
        im->st->maps++;
        if (!size) {
            im->st->skipped++;
            return 0;
        }
        if (check_range(im, "map", iova, size, &paddr) < 0)
            return -1;
        r.op = TRACE_OP_MAP;
        r.addr = iova;
        r.aux = paddr;
        r.flags = TRACE_F_MAP_READ | TRACE_F_MAP_WRITE;
        if (put_range(im, r, size) < 0)
            return -1;
        if (im->o->touch) {
            trace_rec d = {.time_ps = t_ps, .rid = im->o->rid, .domain = im->o->domain,
                           .op = (uint8_t)im->o->touch, .addr = iova};
            return put_range(im, d, size);
        }
        return 0;
    case EV_UNMAP:
        if (!lit(&p, " iova=") || !hex64(&p, &iova))
            return bad_line(im, "iommu:unmap without 'iova=0x...'");
        if (lit(&p, " - ") && !hex64(&p, &end_iova))
            return bad_line(im, "iommu:unmap with a bad end address after 'iova=0x... - '");
        if (!lit(&p, " size=") || !dec64(&p, &size) || !lit(&p, " unmapped_size=") ||
            !dec64(&p, &unmapped) || !at_end(p))
            return bad_line(im, "iommu:unmap line does not read 'iova=0x... [- 0x...] size=N "
                                "unmapped_size=N'");
        im->st->unmaps++;
        if (!unmapped) {
            im->st->skipped++;
            return 0;
        }
        if (check_range(im, "unmap", iova, unmapped, NULL) < 0)
            return -1;
        r.op = TRACE_OP_UNMAP;
        r.addr = iova;
        return put_range(im, r, unmapped);
    case EV_FAULT: {
        /* "IOMMU:%s %s iova=..." : driver and device, either possibly empty. */
        const char *at = strstr(p, " iova=");
        if (!at)
            return bad_line(im, "iommu:io_page_fault without 'iova=0x...'");
        const char *q = at;
        if (!lit(&q, " iova=") || !hex64(&q, &iova) || !lit(&q, " flags=") || !hex64(&q, &flags) ||
            !at_end(q))
            return bad_line(im, "iommu:io_page_fault line does not read 'DRIVER DEVICE "
                                "iova=0x... flags=0x...'");
        const char *dev;
        token_before(p, at, &dev);
        char name[64];
        size_t n = (size_t)(at - dev);
        uint16_t rid = im->o->rid;
        if (n && n < sizeof name) {
            memcpy(name, dev, n);
            name[n] = '\0';
            if (trace_rid_parse(name, &rid) < 0)
                rid = im->o->rid; /* not a PCI device name */
        }
        im->st->faults++;
        r.op = (flags & 1) ? TRACE_OP_WRITE : TRACE_OP_READ;
        r.rid = rid;
        r.addr = iova;
        r.len = iova > UINT64_MAX - 3 ? (uint32_t)(UINT64_MAX - iova + 1) : 4;
        return put(im, &r);
    }
    default: return 0;
    }
}

static int import_line(importer *im, const char *line)
{
    /* The payload starts at "IOMMU:"; the token before it names the event. */
    for (const char *at = strstr(line, "IOMMU:"); at; at = strstr(at + 1, "IOMMU:")) {
        const char *b, *e = token_before(line, at, &b);
        enum event ev = event_name(b, e);
        if (ev == EV_NONE)
            continue;
        const char *tb, *te = token_before(line, b, &tb);
        unsigned __int128 ps;
        if (!timestamp(tb, te, &ps))
            return bad_line(im, "no timestamp (SECONDS.FRACTION:) before the event name");
        if (!im->have_base) {
            im->have_base = true;
            im->base_ps = im->last_ps = ps;
        }
        if (ps < im->last_ps)
            return bad_line(im, "time goes backwards: the input must be in time order (as "
                                "trace-cmd report and perf script print it)");
        if (ps - im->base_ps > UINT64_MAX)
            return bad_line(im, "the events span more than 2^64 ps (213 days)");
        im->last_ps = ps;
        return parse_event(im, ev, at + 6, (uint64_t)(ps - im->base_ps));
    }
    im->st->skipped++;
    return 0;
}

int trace_linux_import(FILE *in, const char *name, const char *out_path,
                       const trace_linux_opts *o, trace_linux_stats *st, sim_err *e)
{
    memset(st, 0, sizeof *st);
    char rid[8], params[512];
    trace_rid_format(o->rid, rid);
    int n = snprintf(params, sizeof params,
                     "import.format = linux iommu tracepoints\nimport.source = %.300s\n"
                     "import.rid = %s\nimport.domain = %u\nimport.touch = %s\n",
                     name, rid, (unsigned)o->domain,
                     o->touch == TRACE_OP_READ ? "read" : o->touch == TRACE_OP_WRITE ? "write" : "none");
    importer im = {.name = name, .o = o, .st = st, .e = e};
    im.w = trace_writer_open(out_path, TRACE_HDR_IMPORTED, "iovsim " PACKAGE_VERSION, params,
                             (size_t)n, e);
    if (!im.w)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, in)) >= 0) {
        im.lineno++;
        st->lines++;
        if (len && line[len - 1] == '\n')
            line[--len] = '\0';
        if (len && line[len - 1] == '\r')
            line[--len] = '\0';
        if (strlen(line) != (size_t)len)
            rc = bad_line(&im, "a NUL byte in the line: not trace-cmd or perf text");
        else
            rc = import_line(&im, line);
    }
    free(line);
    if (rc == 0 && ferror(in))
        rc = sim_err_set(e, "%s: read error: %s", name, strerror(errno));
    if (rc < 0) {
        trace_writer_abort(im.w);
        return -1;
    }
    return trace_writer_close(im.w, e);
}
