#include "traces/trace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "sim/files.h"
#include "sim/le.h"
#include "sim/text.h"

/* The on-disk layout is the in-memory one on a little-endian host; the offsets are the
 * contract with docs/trace-format.md. */
_Static_assert(offsetof(trace_rec, time_ps) == 0, "layout");
_Static_assert(offsetof(trace_rec, ahead_ps) == 8, "layout");
_Static_assert(offsetof(trace_rec, addr) == 16, "layout");
_Static_assert(offsetof(trace_rec, aux) == 24, "layout");
_Static_assert(offsetof(trace_rec, len) == 32, "layout");
_Static_assert(offsetof(trace_rec, pasid) == 36, "layout");
_Static_assert(offsetof(trace_rec, rid) == 40, "layout");
_Static_assert(offsetof(trace_rec, domain) == 42, "layout");
_Static_assert(offsetof(trace_rec, op) == 44, "layout");
_Static_assert(offsetof(trace_rec, flags) == 45, "layout");
_Static_assert(offsetof(trace_rec, reserved) == 46, "layout");

/* The fixed part of the header; creator and params text follow it. */
typedef struct trace_disk_header {
    uint8_t magic[TRACE_MAGIC_BYTES];
    uint16_t version;
    uint16_t record_bytes;
    uint32_t flags;
    uint32_t creator_bytes;
    uint32_t params_bytes;
} trace_disk_header;
_Static_assert(sizeof(trace_disk_header) == 24, "header must be 24 packed bytes");
_Static_assert(offsetof(trace_disk_header, version) == 8, "layout");
_Static_assert(offsetof(trace_disk_header, flags) == 12, "layout");
_Static_assert(offsetof(trace_disk_header, params_bytes) == 20, "layout");

#define HOST_IS_LE (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

/* Records per read: 96 KiB, a few times zlib's own buffer, so each gzread call moves a
 * lot of data, and small enough to stay in L2. */
#define BLOCK_RECS 2048u
/* Files below this size get zlib's default buffers and small blocks: opening costs
 * ~1 MiB of buffers otherwise, which dominates reading a small trace (and fuzzing). */
#define SMALL_FILE_BYTES (64u << 10)
#define SMALL_BLOCK_RECS 128u
/* zlib's buffer (gzbuffer): 4x the 8 KiB default, so fewer read system calls, and at
 * most half a block, so zlib inflates straight into the block instead of into its own
 * buffer and copying (measured: larger buffers are no faster). */
#define GZ_IO_BYTES (32u << 10)
_Static_assert(BLOCK_RECS * sizeof(trace_rec) >= 2 * GZ_IO_BYTES, "blocks inflate directly");
/* A writer hands zlib whole chunks of this size, so the compressed bytes depend only on
 * the records, never on how they were handed in. */
#define WRITE_CHUNK_BYTES (64u << 10)

static void swap_rec(trace_rec *r)
{
    r->time_ps = __builtin_bswap64(r->time_ps);
    r->ahead_ps = __builtin_bswap64(r->ahead_ps);
    r->addr = __builtin_bswap64(r->addr);
    r->aux = __builtin_bswap64(r->aux);
    r->len = __builtin_bswap32(r->len);
    r->pasid = __builtin_bswap32(r->pasid);
    r->rid = __builtin_bswap16(r->rid);
    r->domain = __builtin_bswap16(r->domain);
    r->reserved = __builtin_bswap16(r->reserved);
}

/* ---- checks ------------------------------------------------------------------------ */

static const char *const op_names[] = {"?", "read", "write", "map", "unmap", "inv", "msi"};
static const char *const inv_names[TRACE_INV_KINDS] = {
    "iotlb-global", "iotlb-domain", "iotlb-page", "ctx-global", "ctx-domain",
    "ctx-device",   "devtlb",       "iec-global", "iec-index",
};

const char *trace_op_name(unsigned op)
{
    return op >= TRACE_OP_FIRST && op <= TRACE_OP_LAST ? op_names[op] : "?";
}

const char *trace_inv_kind_name(unsigned kind) { return kind < TRACE_INV_KINDS ? inv_names[kind] : "?"; }

enum check_code {
    C_OK = 0,
    C_TIME,
    C_AHEAD,
    C_RESERVED,
    C_OP,
    C_FLAGS,
    C_PASID,
    C_LEN0,
    C_RANGE,
    C_AUX,
    C_HPA_RANGE,
    C_RIGHTS,
    C_MSI_LEN,
    C_MSI_ALIGN,
    C_MSI_DATA,
    C_INV_KIND,
    C_INV_KEEP,
    C_INV_FIELDS,
    C_IEC_INDEX,
    C_CHAIN_OP,
    C_CHAIN_TIME,
};

/* [addr, addr + len) stays below 2^64 (len >= 1). */
static inline bool range_ok(uint64_t addr, uint64_t len) { return len - 1 <= UINT64_MAX - addr; }

/* The whole rule set as one branchy function the block loop inlines; the message for a
 * failure is built only when one happens. prev is NULL for the first record. */
static inline enum check_code rec_code(const trace_rec *r, const trace_rec *prev)
{
    if (prev) {
        if (r->time_ps < prev->time_ps)
            return C_TIME;
        if (prev->op == TRACE_OP_INV && (prev->flags & TRACE_F_INV_CHAIN)) {
            if (r->op != TRACE_OP_INV)
                return C_CHAIN_OP;
            if (r->time_ps != prev->time_ps || r->ahead_ps != prev->ahead_ps)
                return C_CHAIN_TIME;
        }
    }
    if (r->ahead_ps > UINT64_MAX - r->time_ps)
        return C_AHEAD;
    if (r->reserved)
        return C_RESERVED;
    switch (r->op) {
    case TRACE_OP_READ:
    case TRACE_OP_WRITE:
        if (r->flags & ~TRACE_F_PASID)
            return C_FLAGS;
        if ((r->flags & TRACE_F_PASID) ? r->pasid >= (1u << 20) : r->pasid != 0)
            return C_PASID;
        if (!r->len)
            return C_LEN0;
        if (!range_ok(r->addr, r->len))
            return C_RANGE;
        return r->aux ? C_AUX : C_OK;
    case TRACE_OP_MAP:
        if (r->flags & ~(TRACE_F_MAP_READ | TRACE_F_MAP_WRITE))
            return C_FLAGS;
        if (!r->flags)
            return C_RIGHTS;
        if (r->pasid)
            return C_PASID;
        if (!r->len)
            return C_LEN0;
        if (!range_ok(r->addr, r->len))
            return C_RANGE;
        return range_ok(r->aux, r->len) ? C_OK : C_HPA_RANGE;
    case TRACE_OP_UNMAP:
        if (r->flags)
            return C_FLAGS;
        if (r->pasid)
            return C_PASID;
        if (!r->len)
            return C_LEN0;
        if (!range_ok(r->addr, r->len))
            return C_RANGE;
        return r->aux ? C_AUX : C_OK;
    case TRACE_OP_INV: {
        if (r->flags & ~(TRACE_F_INV_KIND | TRACE_F_INV_KEEP | TRACE_F_INV_CHAIN))
            return C_FLAGS;
        if (r->pasid)
            return C_PASID;
        if (r->aux)
            return C_AUX;
        unsigned kind = r->flags & TRACE_F_INV_KIND;
        if (kind >= TRACE_INV_KINDS)
            return C_INV_KIND;
        if ((r->flags & TRACE_F_INV_KEEP) && kind != TRACE_INV_IOTLB_PAGE)
            return C_INV_KEEP;
        switch (kind) {
        case TRACE_INV_IOTLB_PAGE:
            if (!r->len)
                return C_LEN0;
            return range_ok(r->addr, r->len) ? C_OK : C_RANGE;
        case TRACE_INV_DEVTLB:
            if (!r->len)
                return r->addr ? C_INV_FIELDS : C_OK;
            return range_ok(r->addr, r->len) ? C_OK : C_RANGE;
        case TRACE_INV_IEC_INDEX:
            if (r->len)
                return C_INV_FIELDS;
            return r->addr > 0xFFFF ? C_IEC_INDEX : C_OK;
        default:
            return r->addr || r->len ? C_INV_FIELDS : C_OK;
        }
    }
    case TRACE_OP_MSI:
        if (r->flags)
            return C_FLAGS;
        if (r->pasid)
            return C_PASID;
        if (r->len != 4)
            return C_MSI_LEN;
        if (r->addr & 3)
            return C_MSI_ALIGN;
        if (!range_ok(r->addr, 4))
            return C_RANGE;
        return r->aux > UINT32_MAX ? C_MSI_DATA : C_OK;
    default:
        return C_OP;
    }
}

static void explain(enum check_code c, const trace_rec *r, const trace_rec *prev, char *why,
                    size_t n)
{
    const char *op = trace_op_name(r->op);
    unsigned long long a = r->addr, l = r->len;
    switch (c) {
    case C_OK: snprintf(why, n, "no problem"); break;
    case C_TIME:
        snprintf(why, n, "time %" PRIu64 " ps goes backwards (the record before is at %" PRIu64
                         " ps)",
                 r->time_ps, prev->time_ps);
        break;
    case C_AHEAD:
        snprintf(why, n, "time %" PRIu64 " ps + ahead %" PRIu64 " ps overflows", r->time_ps,
                 r->ahead_ps);
        break;
    case C_RESERVED: snprintf(why, n, "reserved field is 0x%04x, not 0", r->reserved); break;
    case C_OP: snprintf(why, n, "unknown operation %u", r->op); break;
    case C_FLAGS: snprintf(why, n, "%s with unknown flags 0x%02x", op, r->flags); break;
    case C_PASID:
        snprintf(why, n, "%s with PASID %" PRIu32 "%s", op, r->pasid,
                 (r->flags & TRACE_F_PASID) ? " (PASIDs are 20 bits)"
                                            : " but no PASID flag");
        break;
    case C_LEN0: snprintf(why, n, "%s of length 0", op); break;
    case C_RANGE: snprintf(why, n, "%s of %llu bytes at 0x%llx runs past 2^64", op, l, a); break;
    case C_AUX: snprintf(why, n, "%s with non-zero aux 0x%" PRIx64, op, r->aux); break;
    case C_HPA_RANGE:
        snprintf(why, n, "map of %llu bytes to host 0x%" PRIx64 " runs past 2^64", l, r->aux);
        break;
    case C_RIGHTS: snprintf(why, n, "map that allows neither read nor write"); break;
    case C_MSI_LEN: snprintf(why, n, "msi of %llu bytes (an MSI writes 4)", l); break;
    case C_MSI_ALIGN: snprintf(why, n, "msi to 0x%llx, not DW-aligned", a); break;
    case C_MSI_DATA: snprintf(why, n, "msi data 0x%" PRIx64 " is wider than 32 bits", r->aux); break;
    case C_INV_KIND: snprintf(why, n, "unknown invalidation kind %u", r->flags & TRACE_F_INV_KIND); break;
    case C_INV_KEEP:
        snprintf(why, n, "%s invalidation with the keep-tables hint (page-selective only)",
                 trace_inv_kind_name(r->flags & TRACE_F_INV_KIND));
        break;
    case C_INV_FIELDS:
        snprintf(why, n, "%s invalidation with address 0x%llx and length %llu it has no use for",
                 trace_inv_kind_name(r->flags & TRACE_F_INV_KIND), a, l);
        break;
    case C_IEC_INDEX: snprintf(why, n, "interrupt entry index %llu is past 65535", a); break;
    case C_CHAIN_OP:
        snprintf(why, n, "%s where the chained invalidation before it needs another "
                         "invalidation", op);
        break;
    case C_CHAIN_TIME:
        snprintf(why, n, "chained invalidation at %" PRIu64 "+%" PRIu64 " ps, not at its "
                         "submission's %" PRIu64 "+%" PRIu64 " ps",
                 r->time_ps, r->ahead_ps, prev->time_ps, prev->ahead_ps);
        break;
    }
}

int trace_rec_check(const trace_rec *r, const trace_rec *prev, char *why, size_t why_len)
{
    enum check_code c = rec_code(r, prev);
    if (c == C_OK)
        return 0;
    explain(c, r, prev, why, why_len);
    return -1;
}

bool trace_rec_chains(const trace_rec *r)
{
    return r->op == TRACE_OP_INV && (r->flags & TRACE_F_INV_CHAIN);
}

static bool ends_in_chain(const trace_rec *last) { return last && trace_rec_chains(last); }

/* ---- reading ----------------------------------------------------------------------- */

struct trace_reader {
    gzFile gz;
    char *name;
    unsigned version;
    uint32_t flags;
    char *creator;
    char *params;
    size_t params_bytes;
    trace_rec *buf;
    size_t n, pos;  /* the block next() walks */
    size_t block_recs;
    uint64_t count; /* records delivered */
    trace_rec prev;
    bool have_prev;
    bool done;
    bool failed;
    sim_err err;
};

/* gzread until `want` bytes or the end; zlib returns short only at the end or on an
 * error, which the caller reads from gzerror. */
static size_t read_full(gzFile gz, void *buf, size_t want)
{
    size_t got = 0;
    while (got < want) {
        unsigned chunk = want - got > (1u << 30) ? 1u << 30 : (unsigned)(want - got);
        int k = gzread(gz, (char *)buf + got, chunk);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    return got;
}

/* Z_OK, or zlib's error number with its message (a truncated stream is Z_BUF_ERROR,
 * "unexpected end of file"; a bad CRC or deflate data Z_DATA_ERROR). */
static int gz_status(gzFile gz, const char **msg)
{
    int errnum = Z_OK;
    const char *m = gzerror(gz, &errnum);
    if (errnum == Z_ERRNO)
        m = strerror(errno);
    /* zlib puts the name it was opened with in front ("<fd:4>: "); messages here name
     * the file themselves. */
    if (m && !strncmp(m, "<fd:", 4) && strstr(m, ">: "))
        m = strstr(m, ">: ") + 3;
    *msg = m ? m : "";
    return errnum;
}

static int fail_header(trace_reader *r, sim_err *e, const char *fmt, const char *detail)
{
    char what[600];
    snprintf(what, sizeof what, fmt, detail);
    sim_err_set(e, "%s: %s", r->name, what);
    return -1;
}

static int read_header(trace_reader *r, sim_err *e)
{
    uint8_t h[sizeof(trace_disk_header)];
    size_t got = read_full(r->gz, h, sizeof h);
    const char *zmsg;
    int zs = gz_status(r->gz, &zmsg);
    /* A small trace is inflated whole by the first read, so a bad CRC can show here. */
    if (zs == Z_ERRNO)
        return fail_header(r, e, "cannot read: %s", zmsg);
    if (zs != Z_OK && zs != Z_BUF_ERROR)
        return fail_header(r, e, "corrupt compressed data: %s", zmsg);
    if (got == 0)
        return fail_header(r, e, "%s", zs == Z_BUF_ERROR
                                            ? "truncated: the compressed stream ends before the "
                                              "trace header"
                                            : "empty file: no trace header");
    if (got >= TRACE_MAGIC_BYTES && memcmp(h, TRACE_MAGIC, TRACE_MAGIC_BYTES) != 0)
        return fail_header(r, e, "not an iovsim DMA trace (bad magic)%s", "");
    if (got < sizeof h)
        return fail_header(r, e, "truncated header (%s of 24 bytes)",
                           got < TRACE_MAGIC_BYTES ? "fewer than 8" : "fewer");
    r->version = (unsigned)sim_le_get(h + 8, 2);
    unsigned rec_bytes = (unsigned)sim_le_get(h + 10, 2);
    r->flags = (uint32_t)sim_le_get(h + 12, 4);
    uint32_t creator_bytes = (uint32_t)sim_le_get(h + 16, 4);
    uint32_t params_bytes = (uint32_t)sim_le_get(h + 20, 4);
    char num[64];
    if (r->version == 0)
        return fail_header(r, e, "format version 0 does not exist%s", "");
    if (r->version > TRACE_VERSION) {
        snprintf(num, sizeof num, "%u", r->version);
        return sim_err_set(e, "%s: format version %s is newer than this iovsim reads (%u): "
                              "use a newer iovsim",
                           r->name, num, TRACE_VERSION);
    }
    if (rec_bytes != TRACE_REC_BYTES) {
        snprintf(num, sizeof num, "%u", rec_bytes);
        return fail_header(r, e, "header says records of %s bytes; format 1 has 48", num);
    }
    if (r->flags & ~TRACE_HDR_KNOWN) {
        snprintf(num, sizeof num, "0x%08" PRIx32, r->flags);
        return fail_header(r, e, "unknown header flags %s (written by a newer iovsim?)", num);
    }
    if (creator_bytes > TRACE_CREATOR_MAX_BYTES) {
        snprintf(num, sizeof num, "%" PRIu32, creator_bytes);
        return fail_header(r, e, "corrupt header: creator of %s bytes (at most 256)", num);
    }
    if (params_bytes > TRACE_PARAMS_MAX_BYTES) {
        snprintf(num, sizeof num, "%" PRIu32, params_bytes);
        return fail_header(r, e, "corrupt header: parameters of %s bytes (at most 16 MiB)", num);
    }
    r->creator = malloc(creator_bytes + 1u);
    r->params = malloc(params_bytes + 1u);
    if (!r->creator || !r->params)
        return fail_header(r, e, "out of memory for the header%s", "");
    if (read_full(r->gz, r->creator, creator_bytes) != creator_bytes ||
        read_full(r->gz, r->params, params_bytes) != params_bytes) {
        zs = gz_status(r->gz, &zmsg);
        if (zs != Z_OK && zs != Z_BUF_ERROR)
            return fail_header(r, e, "corrupt compressed data: %s", zmsg);
        return fail_header(r, e, "truncated header (the creator or parameters text is cut "
                                 "short)%s", "");
    }
    r->creator[creator_bytes] = '\0';
    r->params[params_bytes] = '\0';
    r->params_bytes = params_bytes;
    return 0;
}

trace_reader *trace_reader_open_fd(int fd, const char *name, sim_err *e)
{
    trace_reader *r = calloc(1, sizeof *r);
    if (!r) {
        close(fd);
        sim_err_set(e, "%s: out of memory", name);
        return NULL;
    }
    struct stat st;
    bool small = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < SMALL_FILE_BYTES;
    r->block_recs = small ? SMALL_BLOCK_RECS : BLOCK_RECS;
    r->name = strdup(name);
    r->buf = malloc(r->block_recs * sizeof *r->buf);
    if (!r->name || !r->buf) {
        close(fd);
        sim_err_set(e, "%s: out of memory", name);
        trace_reader_close(r);
        return NULL;
    }
    r->gz = gzdopen(fd, "rb");
    if (!r->gz) {
        close(fd);
        sim_err_set(e, "%s: cannot read: %s", name, strerror(errno ? errno : ENOMEM));
        trace_reader_close(r);
        return NULL;
    }
    if (!small)
        gzbuffer(r->gz, GZ_IO_BYTES);
    if (read_header(r, e) < 0) {
        trace_reader_close(r);
        return NULL;
    }
    return r;
}

trace_reader *trace_reader_open(const char *path, sim_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        sim_err_set(e, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    int fd = dup(fileno(f));
    fclose(f);
    if (fd < 0) {
        sim_err_set(e, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    return trace_reader_open_fd(fd, path, e);
}

void trace_reader_close(trace_reader *r)
{
    if (!r)
        return;
    if (r->gz)
        gzclose(r->gz);
    free(r->name);
    free(r->creator);
    free(r->params);
    free(r->buf);
    free(r);
}

static void reader_fail(trace_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reader_fail(trace_reader *r, const char *fmt, ...)
{
    char what[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    sim_err_set(&r->err, "%s: %s", r->name, what);
    r->failed = true;
    r->done = true;
}

size_t trace_reader_block(trace_reader *r, const trace_rec **recs)
{
    *recs = r->buf;
    r->n = r->pos = 0;
    if (r->done)
        return 0;
    size_t want = r->block_recs * sizeof(trace_rec);
    size_t got = read_full(r->gz, r->buf, want);
    size_t n = got / sizeof(trace_rec);
    if (!HOST_IS_LE)
        for (size_t i = 0; i < n; i++)
            swap_rec(&r->buf[i]);
    const trace_rec *prev = r->have_prev ? &r->prev : NULL;
    for (size_t i = 0; i < n; i++) {
        enum check_code c = rec_code(&r->buf[i], prev);
        if (__builtin_expect(c != C_OK, 0)) {
            char why[512];
            explain(c, &r->buf[i], prev, why, sizeof why);
            reader_fail(r, "record %" PRIu64 ": %s", r->count + i, why);
            n = i;
            break;
        }
        prev = &r->buf[i];
    }
    if (n) {
        r->prev = r->buf[n - 1];
        r->have_prev = true;
    }
    r->count += n;
    r->n = n;
    if (!r->failed && got < want) {
        const char *zmsg;
        int zs = gz_status(r->gz, &zmsg);
        size_t partial = got % sizeof(trace_rec);
        if (zs == Z_ERRNO)
            reader_fail(r, "cannot read after record %" PRIu64 ": %s", r->count, zmsg);
        else if (zs == Z_BUF_ERROR)
            reader_fail(r, "truncated: the compressed stream ends after record %" PRIu64
                           "%s",
                        r->count, partial ? " and part of the next" : "");
        else if (zs != Z_OK)
            reader_fail(r, "corrupt compressed data after record %" PRIu64 ": %s", r->count, zmsg);
        else if (partial)
            reader_fail(r, "truncated: record %" PRIu64 " has %zu of 48 bytes", r->count, partial);
        else if (ends_in_chain(r->have_prev ? &r->prev : NULL))
            reader_fail(r, "truncated: the trace ends inside a chained invalidation (record %" PRIu64
                           ")",
                        r->count - 1);
        r->done = true;
    }
    return n;
}

const trace_rec *trace_reader_next(trace_reader *r)
{
    if (r->pos == r->n) {
        const trace_rec *recs;
        if (trace_reader_block(r, &recs) == 0)
            return NULL;
    }
    return &r->buf[r->pos++];
}

const char *trace_reader_error(const trace_reader *r) { return r->failed ? r->err.msg : NULL; }
uint64_t trace_reader_count(const trace_reader *r) { return r->count; }
unsigned trace_reader_version(const trace_reader *r) { return r->version; }
uint32_t trace_reader_flags(const trace_reader *r) { return r->flags; }
const char *trace_reader_creator(const trace_reader *r) { return r->creator; }
const char *trace_reader_name(const trace_reader *r) { return r->name; }

const char *trace_reader_params(const trace_reader *r, size_t *params_bytes)
{
    if (params_bytes)
        *params_bytes = r->params_bytes;
    return r->params;
}

/* ---- writing ----------------------------------------------------------------------- */

struct trace_writer {
    gzFile gz;
    char *path, *tmp;
    uint8_t *chunk;
    size_t used;
    uint64_t count;
    trace_rec prev;
    bool have_prev;
    bool failed;
    sim_err err;
};

static int flush_chunk(trace_writer *w)
{
    if (!w->used)
        return 0;
    if (gzwrite(w->gz, w->chunk, (unsigned)w->used) != (int)w->used) {
        const char *zmsg;
        gz_status(w->gz, &zmsg);
        sim_err_set(&w->err, "%s: write failed: %s", w->path, zmsg);
        sim_files_note_failure(w->err.msg);
        w->failed = true;
        return -1;
    }
    w->used = 0;
    return 0;
}

static int put_bytes(trace_writer *w, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        size_t k = WRITE_CHUNK_BYTES - w->used < n ? WRITE_CHUNK_BYTES - w->used : n;
        memcpy(w->chunk + w->used, b, k);
        w->used += k;
        b += k;
        n -= k;
        if (w->used == WRITE_CHUNK_BYTES && flush_chunk(w) < 0)
            return -1;
    }
    return 0;
}

trace_writer *trace_writer_open(const char *path, uint32_t flags, const char *creator,
                                const char *params, size_t params_bytes, sim_err *e)
{
    size_t creator_bytes = creator ? strlen(creator) : 0;
    if (creator_bytes > TRACE_CREATOR_MAX_BYTES || params_bytes > TRACE_PARAMS_MAX_BYTES ||
        (flags & ~TRACE_HDR_KNOWN)) {
        sim_err_set(e, "%s: %s", path,
                    (flags & ~TRACE_HDR_KNOWN) ? "unknown header flags"
                    : creator_bytes > TRACE_CREATOR_MAX_BYTES
                        ? "creator text longer than 256 bytes"
                        : "parameters text longer than 16 MiB");
        return NULL;
    }
    trace_writer *w = calloc(1, sizeof *w);
    if (!w) {
        sim_err_set(e, "%s: out of memory", path);
        return NULL;
    }
    size_t plen = strlen(path);
    w->path = strdup(path);
    w->tmp = malloc(plen + 32);
    w->chunk = malloc(WRITE_CHUNK_BYTES);
    if (!w->path || !w->tmp || !w->chunk) {
        sim_err_set(e, "%s: out of memory", path);
        trace_writer_abort(w);
        return NULL;
    }
    snprintf(w->tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    char mode[8];
    snprintf(mode, sizeof mode, "wb%d", TRACE_GZ_LEVEL);
    w->gz = gzopen(w->tmp, mode);
    if (!w->gz) {
        sim_err_set(e, "%s: cannot create: %s", w->tmp, strerror(errno ? errno : ENOMEM));
        sim_files_note_failure(e ? e->msg : w->tmp);
        free(w->tmp);
        w->tmp = NULL; /* nothing to remove */
        trace_writer_abort(w);
        return NULL;
    }
    gzbuffer(w->gz, GZ_IO_BYTES);
    uint8_t h[sizeof(trace_disk_header)];
    memcpy(h, TRACE_MAGIC, TRACE_MAGIC_BYTES);
    sim_le_put(h + 8, TRACE_VERSION, 2);
    sim_le_put(h + 10, TRACE_REC_BYTES, 2);
    sim_le_put(h + 12, flags, 4);
    sim_le_put(h + 16, creator_bytes, 4);
    sim_le_put(h + 20, params_bytes, 4);
    if (put_bytes(w, h, sizeof h) < 0 || put_bytes(w, creator, creator_bytes) < 0 ||
        put_bytes(w, params, params_bytes) < 0) {
        *e = w->err;
        trace_writer_abort(w);
        return NULL;
    }
    return w;
}

int trace_writer_put(trace_writer *w, const trace_rec *r, sim_err *e)
{
    if (w->failed) {
        if (e)
            *e = w->err;
        return -1;
    }
    const trace_rec *prev = w->have_prev ? &w->prev : NULL;
    enum check_code c = rec_code(r, prev);
    if (c != C_OK) {
        char why[512];
        explain(c, r, prev, why, sizeof why);
        sim_err_set(&w->err, "%s: record %" PRIu64 ": %s", w->path, w->count, why);
        w->failed = true;
        if (e)
            *e = w->err;
        return -1;
    }
    w->prev = *r;
    w->have_prev = true;
    w->count++;
    if (w->used + sizeof *r <= WRITE_CHUNK_BYTES && HOST_IS_LE) {
        memcpy(w->chunk + w->used, r, sizeof *r);
        w->used += sizeof *r;
        if (w->used == WRITE_CHUNK_BYTES && flush_chunk(w) < 0)
            goto failed;
        return 0;
    }
    trace_rec le = *r;
    if (!HOST_IS_LE)
        swap_rec(&le);
    if (put_bytes(w, &le, sizeof le) == 0)
        return 0;
failed:
    if (e)
        *e = w->err;
    return -1;
}

uint64_t trace_writer_count(const trace_writer *w) { return w->count; }

int trace_writer_close(trace_writer *w, sim_err *e)
{
    if (!w->failed && ends_in_chain(w->have_prev ? &w->prev : NULL)) {
        sim_err_set(&w->err, "%s: the last record is a chained invalidation with nothing after "
                             "it",
                    w->path);
        w->failed = true;
    }
    if (!w->failed)
        flush_chunk(w);
    int zs = gzclose(w->gz);
    w->gz = NULL;
    if (!w->failed && zs != Z_OK) {
        sim_err_set(&w->err, "%s: write failed at close (zlib error %d%s%s)", w->path, zs,
                    zs == Z_ERRNO ? ": " : "", zs == Z_ERRNO ? strerror(errno) : "");
        sim_files_note_failure(w->err.msg);
        w->failed = true;
    }
    if (!w->failed && rename(w->tmp, w->path) != 0) {
        sim_err_set(&w->err, "%s: cannot rename %s into place: %s", w->path, w->tmp,
                    strerror(errno));
        sim_files_note_failure(w->err.msg);
        w->failed = true;
    }
    int rc = 0;
    if (w->failed) {
        if (e)
            *e = w->err;
        rc = -1;
    }
    trace_writer_abort(w);
    return rc;
}

void trace_writer_abort(trace_writer *w)
{
    if (!w)
        return;
    if (w->gz)
        gzclose(w->gz);
    if (w->tmp)
        unlink(w->tmp); /* after a successful rename there is nothing left to remove */
    free(w->path);
    free(w->tmp);
    free(w->chunk);
    free(w);
}

/* ---- text form --------------------------------------------------------------------- */

void trace_rid_format(uint16_t rid, char buf[8])
{
    snprintf(buf, 8, "%02x:%02x.%x", (unsigned)(rid >> 8), (unsigned)((rid >> 3) & 0x1f),
             (unsigned)(rid & 7));
}

/* Exactly `digits` hex digits at s (or 1..digits when `at_most`); the value, or -1. */
static long hex_field(const char **s, unsigned digits, bool at_most)
{
    long v = 0;
    unsigned n = 0;
    while (n < digits && sim_text_hex_digit((unsigned char)(*s)[n]) >= 0) {
        v = v * 16 + sim_text_hex_digit((unsigned char)(*s)[n]);
        n++;
    }
    if (n == 0 || (!at_most && n != digits))
        return -1;
    *s += n;
    return v;
}

int trace_rid_parse(const char *s, uint16_t *rid)
{
    /* An optional 4-digit PCI segment in front: "0000:01:00.0". */
    if (strlen(s) > 5 && s[4] == ':' && strchr(s + 5, ':')) {
        const char *q = s;
        if (hex_field(&q, 4, false) < 0)
            return -1;
        s = q + 1;
    }
    long bus = hex_field(&s, 2, true);
    if (bus < 0 || *s++ != ':')
        return -1;
    long dev = hex_field(&s, 2, true);
    if (dev < 0 || dev > 0x1f || *s++ != '.')
        return -1;
    long fn = hex_field(&s, 1, false);
    if (fn < 0 || fn > 7 || *s)
        return -1;
    *rid = (uint16_t)((bus << 8) | (dev << 3) | fn);
    return 0;
}

static size_t flags_text(const trace_rec *r, char *buf, size_t n)
{
    switch (r->op) {
    case TRACE_OP_MAP:
        if (r->flags && !(r->flags & ~(TRACE_F_MAP_READ | TRACE_F_MAP_WRITE)))
            return (size_t)snprintf(buf, n, "%s%s", (r->flags & TRACE_F_MAP_READ) ? "r" : "",
                                    (r->flags & TRACE_F_MAP_WRITE) ? "w" : "");
        break;
    case TRACE_OP_INV:
        if ((r->flags & TRACE_F_INV_KIND) < TRACE_INV_KINDS &&
            !(r->flags & ~(TRACE_F_INV_KIND | TRACE_F_INV_KEEP | TRACE_F_INV_CHAIN)))
            return (size_t)snprintf(buf, n, "%s%s%s", inv_names[r->flags & TRACE_F_INV_KIND],
                                    (r->flags & TRACE_F_INV_KEEP) ? ",keep" : "",
                                    (r->flags & TRACE_F_INV_CHAIN) ? ",chain" : "");
        break;
    case TRACE_OP_READ:
    case TRACE_OP_WRITE:
        if (!(r->flags & ~TRACE_F_PASID))
            return (size_t)snprintf(buf, n, "-");
        break;
    default:
        if (!r->flags)
            return (size_t)snprintf(buf, n, "-");
        break;
    }
    /* Not a valid record (the writer and reader refuse these); shown raw. */
    return (size_t)snprintf(buf, n, "0x%02x", r->flags);
}

size_t trace_rec_format(const trace_rec *r, char *buf, size_t len)
{
    char rid[8], pasid[16], flags[48];
    trace_rid_format(r->rid, rid);
    if (r->flags & TRACE_F_PASID && (r->op == TRACE_OP_READ || r->op == TRACE_OP_WRITE))
        snprintf(pasid, sizeof pasid, "%" PRIu32, r->pasid);
    else
        snprintf(pasid, sizeof pasid, "-");
    flags_text(r, flags, sizeof flags);
    int n = snprintf(buf, len, "%" PRIu64 " %" PRIu64 " %s %s %s %u 0x%" PRIx64 " %" PRIu32
                               " 0x%" PRIx64 " %s",
                     r->time_ps, r->ahead_ps, trace_op_name(r->op), rid, pasid,
                     (unsigned)r->domain, r->addr, r->len, r->aux, flags);
    return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

/* Unsigned decimal or 0x-hex into *v, at most max. */
static int parse_u64(const char *s, uint64_t max, bool hex, uint64_t *v)
{
    if (hex) {
        if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
            return -1;
        s += 2;
    }
    uint64_t x;
    if (!sim_text_parse_u64(&s, hex ? 16 : 10, &x) || *s || x > max)
        return -1;
    *v = x;
    return 0;
}

static int parse_flags(trace_rec *r, const char *s)
{
    if (!strcmp(s, "-"))
        return r->op == TRACE_OP_MAP || r->op == TRACE_OP_INV ? -1 : 0;
    if (r->op == TRACE_OP_MAP) {
        if (!strcmp(s, "r"))
            r->flags = TRACE_F_MAP_READ;
        else if (!strcmp(s, "w"))
            r->flags = TRACE_F_MAP_WRITE;
        else if (!strcmp(s, "rw"))
            r->flags = TRACE_F_MAP_READ | TRACE_F_MAP_WRITE;
        else
            return -1;
        return 0;
    }
    if (r->op != TRACE_OP_INV)
        return -1;
    char word[48];
    size_t n = strcspn(s, ",");
    if (n >= sizeof word)
        return -1;
    memcpy(word, s, n);
    word[n] = '\0';
    unsigned kind = 0;
    while (kind < TRACE_INV_KINDS && strcmp(word, inv_names[kind]))
        kind++;
    if (kind == TRACE_INV_KINDS)
        return -1;
    r->flags = (uint8_t)kind;
    s += n;
    if (!strncmp(s, ",keep", 5)) {
        r->flags |= TRACE_F_INV_KEEP;
        s += 5;
    }
    if (!strncmp(s, ",chain", 6)) {
        r->flags |= TRACE_F_INV_CHAIN;
        s += 6;
    }
    return *s ? -1 : 0;
}

int trace_rec_parse(const char *line, trace_rec *r, char *why, size_t why_len)
{
    static const char *const names[] = {"time_ps", "ahead_ps", "operation", "requester id",
                                        "PASID",   "domain",   "address",   "length",
                                        "aux",     "flags"};
    char copy[TRACE_TEXT_MAX * 2];
    size_t len = strlen(line);
    if (len >= sizeof copy) {
        snprintf(why, why_len, "line longer than %zu characters", sizeof copy - 1);
        return -1;
    }
    memcpy(copy, line, len + 1);
    char *field[11];
    size_t n = 0;
    for (char *p = copy; *p;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (n == 11)
            break;
        field[n++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (*p)
            *p++ = '\0';
    }
    if (n != 10) {
        snprintf(why, why_len, "%s fields, a record has 10 (time_ps ahead_ps op rid pasid "
                               "domain addr len aux flags)",
                 n > 10 ? "more than 10" : n == 0 ? "no" : "too few");
        return -1;
    }
    memset(r, 0, sizeof *r);
    uint64_t v;
    size_t bad = SIZE_MAX;
    if (parse_u64(field[0], UINT64_MAX, false, &r->time_ps) < 0)
        bad = 0;
    else if (parse_u64(field[1], UINT64_MAX, false, &r->ahead_ps) < 0)
        bad = 1;
    else {
        unsigned op = TRACE_OP_FIRST;
        while (op <= TRACE_OP_LAST && strcmp(field[2], op_names[op]))
            op++;
        if (op > TRACE_OP_LAST)
            bad = 2;
        else
            r->op = (uint8_t)op;
    }
    if (bad == SIZE_MAX && trace_rid_parse(field[3], &r->rid) < 0)
        bad = 3;
    if (bad == SIZE_MAX && strcmp(field[4], "-")) {
        if (parse_u64(field[4], UINT32_MAX, false, &v) < 0 ||
            (r->op != TRACE_OP_READ && r->op != TRACE_OP_WRITE))
            bad = 4;
        else {
            r->pasid = (uint32_t)v;
            r->flags |= TRACE_F_PASID;
        }
    }
    if (bad == SIZE_MAX) {
        if (parse_u64(field[5], UINT16_MAX, false, &v) < 0)
            bad = 5;
        else
            r->domain = (uint16_t)v;
    }
    if (bad == SIZE_MAX && parse_u64(field[6], UINT64_MAX, true, &r->addr) < 0)
        bad = 6;
    if (bad == SIZE_MAX) {
        if (parse_u64(field[7], UINT32_MAX, false, &v) < 0)
            bad = 7;
        else
            r->len = (uint32_t)v;
    }
    if (bad == SIZE_MAX && parse_u64(field[8], UINT64_MAX, true, &r->aux) < 0)
        bad = 8;
    if (bad == SIZE_MAX && parse_flags(r, field[9]) < 0)
        bad = 9;
    if (bad != SIZE_MAX) {
        snprintf(why, why_len, "bad %s '%.40s'", names[bad], field[bad]);
        return -1;
    }
    return 0;
}
