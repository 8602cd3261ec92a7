/* DMA traces (.dmat.gz): the file format, a streaming reader and writer, and the text
 * form of a record. The layout, byte for byte, is in docs/trace-format.md.
 *
 * A trace is a gzip stream (zlib) of a header and fixed-size records:
 *   header   magic "IOVSDMAT", format version, record size, flags, the creating
 *            program ("iovsim 0.1") and the parameters of the run that produced it
 *            (params.txt text), both length-prefixed
 *   records  48 bytes each, little-endian on disk whatever the host
 * Reading and writing stream through a fixed buffer, so memory does not grow with the
 * trace and traces larger than RAM work.
 *
 * Time. time_ps is when the record was issued on the simulated clock and never goes
 * backwards. Loosely timed models book work ahead of the clock (a request's arrival at
 * the root complex is known when the device issues it), so a record also carries
 * ahead_ps: the operation takes effect at time_ps + ahead_ps. Arrival times alone are
 * not in order; booking times are, and replaying records in booking order with the
 * same arrival times hands the IOMMU the very sequence of calls the recorded run made,
 * which is what makes a timed replay reproduce it exactly. Imported traces have
 * ahead_ps = 0.
 *
 * Every record is checked when read and when written (trace_rec_check): an impossible
 * field (unknown operation or flag, zero-length DMA, time going backwards, an address
 * range past 2^64, non-zero reserved bits, ...) stops the reader with a message naming
 * the file and the record's index (counting from 0). A reader never crashes on input. */
#ifndef TRACES_TRACE_H
#define TRACES_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/err.h"

#define TRACE_MAGIC "IOVSDMAT" /* 8 bytes on disk, no terminator */
#define TRACE_MAGIC_BYTES 8u
#define TRACE_VERSION 1u
#define TRACE_REC_BYTES 48u
/* Limits a reader enforces before it allocates: a header claiming more is corrupt. */
#define TRACE_CREATOR_MAX_BYTES 256u
#define TRACE_PARAMS_MAX_BYTES (16u << 20)
/* Every writer compresses at this level, so the same records always give the same
 * bytes (text round trips are byte-identical). Level 1 writes about 4x faster than the
 * default 6, files are 3% larger, and it also inflates faster. */
#define TRACE_GZ_LEVEL 1

/* Header flags. */
#define TRACE_HDR_IMPORTED 0x1u /* converted from another tool's output (times rebased) */
#define TRACE_HDR_KNOWN 0x1u

enum trace_op {
    TRACE_OP_READ = 1,  /* device reads [addr, addr + len) (an MRd at the root complex) */
    TRACE_OP_WRITE = 2, /* device writes [addr, addr + len) (an MWr) */
    TRACE_OP_MAP = 3,   /* the host maps device range [addr, addr + len) to host aux */
    TRACE_OP_UNMAP = 4, /* the host unmaps [addr, addr + len) (no invalidation by itself) */
    TRACE_OP_INV = 5,   /* one invalidation descriptor (flags: kind, hints) */
    TRACE_OP_MSI = 6,   /* an MSI: a 4-byte write of data aux to addr */
};
#define TRACE_OP_FIRST TRACE_OP_READ
#define TRACE_OP_LAST TRACE_OP_MSI

/* Flags, by operation. */
#define TRACE_F_PASID 0x80u       /* read/write: the pasid field is valid (< 2^20) */
#define TRACE_F_MAP_READ 0x01u    /* map: the device may read */
#define TRACE_F_MAP_WRITE 0x02u   /* map: the device may write */
#define TRACE_F_INV_KIND 0x0Fu    /* inv: enum trace_inv_kind */
#define TRACE_F_INV_KEEP 0x10u    /* inv (iotlb-page): keep the paging-structure caches */
#define TRACE_F_INV_CHAIN 0x20u   /* inv: the next record is the next descriptor of the
                                     same submission (one wait covers them all) */

/* Invalidation kinds, in the order of models/iommu/iommu.h's iommu_inv_kind. */
enum trace_inv_kind {
    TRACE_INV_IOTLB_GLOBAL = 0,
    TRACE_INV_IOTLB_DOMAIN = 1,
    TRACE_INV_IOTLB_PAGE = 2, /* domain's entries overlapping [addr, addr + len) */
    TRACE_INV_CTX_GLOBAL = 3,
    TRACE_INV_CTX_DOMAIN = 4,
    TRACE_INV_CTX_DEVICE = 5, /* requester rid's context entry */
    TRACE_INV_DEVTLB = 6,     /* rid's device TLB over [addr, addr + len); len 0: all */
    TRACE_INV_IEC_GLOBAL = 7,
    TRACE_INV_IEC_INDEX = 8, /* interrupt entry addr (< 65536) */
};
#define TRACE_INV_KINDS 9u

/* One record, in memory exactly as on disk on a little-endian host (natural alignment,
 * no padding), so the reader decodes by copying. */
typedef struct trace_rec {
    uint64_t time_ps;  /* when issued; never decreases along the file */
    uint64_t ahead_ps; /* takes effect at time_ps + ahead_ps */
    uint64_t addr;     /* device address (IOVA, or physical without an IOMMU) */
    uint64_t aux;      /* map: host physical address; msi: data (< 2^32); else 0 */
    uint32_t len;      /* bytes (msi: 4; inv: range, 0 when the kind has none) */
    uint32_t pasid;    /* with TRACE_F_PASID, else 0 */
    uint16_t rid;      /* requester id: bus << 8 | device << 3 | function */
    uint16_t domain;   /* the requester's domain id, 0 when none or unknown */
    uint8_t op;        /* enum trace_op */
    uint8_t flags;     /* TRACE_F_* */
    uint16_t reserved; /* 0 */
} trace_rec;

_Static_assert(sizeof(trace_rec) == TRACE_REC_BYTES, "trace_rec must be 48 packed bytes");

/* ---- checks --------------------------------------------------------------------- */

/* Whether r is a chained invalidation: the record after it must continue its
 * submission (a trace may not end with one). */
bool trace_rec_chains(const trace_rec *r);
/* 0 when r can follow prev (NULL for a first record); otherwise -1 with what is
 * impossible about it in why (no file or index: the caller adds those). */
int trace_rec_check(const trace_rec *r, const trace_rec *prev, char *why, size_t why_len);

const char *trace_op_name(unsigned op); /* "read", ..., "?" */
const char *trace_inv_kind_name(unsigned kind);

/* ---- reading -------------------------------------------------------------------- */

typedef struct trace_reader trace_reader;

/* Opens and checks the header. NULL with *e set ("FILE: not an iovsim DMA trace (bad
 * magic)", "FILE: format version 9 is newer than this iovsim reads (1)", ...). An
 * uncompressed file with the same bytes is read too (zlib's transparent mode). */
trace_reader *trace_reader_open(const char *path, sim_err *e);
/* The same over an open descriptor (taken over: closed by trace_reader_close); `name`
 * is what messages call it. */
trace_reader *trace_reader_open_fd(int fd, const char *name, sim_err *e);
void trace_reader_close(trace_reader *r);

/* The next block of checked records (at most a few thousand): *recs points into the
 * reader's buffer until the next call. Returns the count, 0 at the end or on an error;
 * after 0, trace_reader_error says which. Records before a bad one are delivered. */
size_t trace_reader_block(trace_reader *r, const trace_rec **recs);
/* One record at a time over the same buffer (NULL at the end or on an error). */
const trace_rec *trace_reader_next(trace_reader *r);
/* NULL while all is well or at a clean end; else the message ("FILE: record 12: read of
 * length 0", "FILE: truncated: record 7 has 20 of 48 bytes", "FILE: corrupt compressed
 * data after record 3: incorrect data check"). */
const char *trace_reader_error(const trace_reader *r);
/* Records delivered so far. */
uint64_t trace_reader_count(const trace_reader *r);

unsigned trace_reader_version(const trace_reader *r);
uint32_t trace_reader_flags(const trace_reader *r);
const char *trace_reader_creator(const trace_reader *r); /* NUL-terminated copy */
/* The parameters text (params_bytes bytes; also NUL-terminated). */
const char *trace_reader_params(const trace_reader *r, size_t *params_bytes);
const char *trace_reader_name(const trace_reader *r);

/* ---- writing -------------------------------------------------------------------- */

typedef struct trace_writer trace_writer;

/* Creates PATH.tmp.<pid> and writes the header; trace_writer_close renames it to PATH,
 * so a run that dies leaves no partial trace under the real name. A file that cannot
 * be created, written or renamed is also noted as the process's write failure
 * (sim_files_note_failure), which stops a sweep at that point. */
trace_writer *trace_writer_open(const char *path, uint32_t flags, const char *creator,
                                const char *params, size_t params_bytes, sim_err *e);
/* Checks and appends a record. -1 with the reason (kept; later calls fail too) when the
 * record is impossible or the write failed. */
int trace_writer_put(trace_writer *w, const trace_rec *r, sim_err *e);
uint64_t trace_writer_count(const trace_writer *w);
/* Finishes the stream and renames the file into place. -1 with *e set on any failure
 * so far (the temporary file is removed). Frees w either way. */
int trace_writer_close(trace_writer *w, sim_err *e);
/* Drops everything written (removes the temporary file) and frees w. */
void trace_writer_abort(trace_writer *w);

/* ---- text form ---------------------------------------------------------------------
 * One record a line, fields separated by one space:
 *   TIME_PS AHEAD_PS OP RID PASID DOMAIN ADDR LEN AUX FLAGS
 *   0 0 map 01:00.0 - 1 0x100000000 65536 0x100000000 rw
 *   1200 212000 read 01:00.0 - 1 0x100000040 64 0x0 -
 * RID is bus:device.function in hex, PASID '-' or decimal, ADDR and AUX hex, FLAGS '-'
 * or comma-separated words (map: r, w, rw; inv: the kind, then keep, chain; read and
 * write carry the PASID in its column). */

/* Writes the line (no newline) into buf; returns its length. 160 bytes always suffice. */
#define TRACE_TEXT_MAX 160u
size_t trace_rec_format(const trace_rec *r, char *buf, size_t len);
/* Parses one line (no newline). 0, or -1 with what is wrong in why. The record's
 * fields are not checked against each other here (trace_rec_check does that). */
int trace_rec_parse(const char *line, trace_rec *r, char *why, size_t why_len);

/* Requester ids as bus:device.function ("01:00.0"): parse accepts an optional PCI
 * segment ("0000:01:00.0"). */
void trace_rid_format(uint16_t rid, char buf[8]);
int trace_rid_parse(const char *s, uint16_t *rid);

#endif
