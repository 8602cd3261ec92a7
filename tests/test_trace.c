/* DMA traces (traces/): the format round trip, the text form, every kind of bad input
 * refused with the file and record named, the fuzzer's corpus replayed through the
 * reader, the Linux tracepoint importer on realistic lines, and recording a run then
 * replaying it: timed on the same configuration reproduces its IOTLB hit and miss
 * counts exactly; fast replay walks for the same pages and, with one request in flight,
 * gives the same hit rate. */
#include <check.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "sim/run.h"
#include "systems/kinds.h"
#include "tests/rig.h"
#include "traces/trace.h"
#include "traces/trace_linux.h"
#include "traces/trace_text.h"

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/iovsim-trace.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *tmp(const char *name)
{
    static char paths[8][512];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

static trace_rec dma(uint64_t t, uint8_t op, uint64_t addr, uint32_t len)
{
    return (trace_rec){.time_ps = t, .ahead_ps = 212000, .op = op, .rid = 0x0100, .domain = 1,
                       .addr = addr, .len = len};
}

/* A bit of everything the format holds. */
static size_t sample_records(trace_rec *r, size_t max)
{
    size_t n = 0;
    r[n++] = (trace_rec){.op = TRACE_OP_MAP, .rid = 0x0100, .domain = 1, .addr = 1ull << 32,
                         .aux = 1ull << 33, .len = 65536, .flags = TRACE_F_MAP_READ | TRACE_F_MAP_WRITE};
    for (uint64_t i = 0; n + 6 < max; i++) {
        trace_rec d = dma(1000 * i, (i & 3) ? TRACE_OP_READ : TRACE_OP_WRITE,
                          (1ull << 32) + (i * 64) % 65536, 64);
        if (i % 97 == 0) {
            d.flags = TRACE_F_PASID;
            d.pasid = (uint32_t)(i % (1u << 20));
        }
        r[n++] = d;
    }
    uint64_t t = r[n - 1].time_ps + 5;
    r[n++] = (trace_rec){.time_ps = t, .op = TRACE_OP_MSI, .rid = 0x0101, .addr = 0xFEE00000,
                         .len = 4, .aux = 0x4041};
    r[n++] = (trace_rec){.time_ps = t, .op = TRACE_OP_UNMAP, .rid = 0x0100, .domain = 1,
                         .addr = 1ull << 32, .len = 65536};
    r[n++] = (trace_rec){.time_ps = t + 1, .ahead_ps = 50, .op = TRACE_OP_INV, .domain = 1,
                         .addr = 1ull << 32, .len = 65536,
                         .flags = TRACE_INV_IOTLB_PAGE | TRACE_F_INV_KEEP | TRACE_F_INV_CHAIN};
    r[n++] = (trace_rec){.time_ps = t + 1, .ahead_ps = 50, .op = TRACE_OP_INV, .rid = 0x0100,
                         .flags = TRACE_INV_DEVTLB};
    r[n++] = (trace_rec){.time_ps = t + 2, .op = TRACE_OP_INV, .addr = 17,
                         .flags = TRACE_INV_IEC_INDEX};
    r[n++] = (trace_rec){.time_ps = t + 3, .op = TRACE_OP_INV, .domain = 3,
                         .flags = TRACE_INV_IOTLB_DOMAIN};
    return n;
}

static const char params_text[] = "run.seed = 1\nworkload.kind = dma\n";

static void write_trace(const char *path, const trace_rec *r, size_t n)
{
    sim_err e;
    trace_writer *w = trace_writer_open(path, 0, "iovsim test", params_text, strlen(params_text), &e);
    ck_assert_msg(w != NULL, "%s", e.msg);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(trace_writer_put(w, &r[i], &e) == 0, "%s", e.msg);
    ck_assert_msg(trace_writer_close(w, &e) == 0, "%s", e.msg);
}

START_TEST(test_round_trip)
{
    make_tmpdir();
    static trace_rec r[5000];
    size_t n = sample_records(r, 5000);
    const char *path = tmp("rt.dmat.gz");
    write_trace(path, r, n);
    sim_err e;
    trace_reader *rd = trace_reader_open(path, &e);
    ck_assert_msg(rd != NULL, "%s", e.msg);
    ck_assert_uint_eq(trace_reader_version(rd), TRACE_VERSION);
    ck_assert_str_eq(trace_reader_creator(rd), "iovsim test");
    size_t plen;
    ck_assert_str_eq(trace_reader_params(rd, &plen), params_text);
    ck_assert_uint_eq(plen, strlen(params_text));
    size_t got = 0;
    const trace_rec *x;
    while ((x = trace_reader_next(rd)) != NULL) {
        ck_assert_msg(got < n && memcmp(x, &r[got], sizeof *x) == 0, "record %zu differs", got);
        got++;
    }
    ck_assert_msg(trace_reader_error(rd) == NULL, "%s", trace_reader_error(rd));
    ck_assert_uint_eq(got, n);
    ck_assert_uint_eq(trace_reader_count(rd), n);
    trace_reader_close(rd);
    /* Nothing is left behind but the trace itself. */
    DIR *d = opendir(tmpdir);
    int files = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        files += de->d_name[0] != '.';
    closedir(d);
    ck_assert_int_eq(files, 1);
    /* The same records give the same bytes. */
    const char *again = tmp("rt2.dmat.gz");
    write_trace(again, r, n);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", path, again);
    ck_assert_int_eq(system(cmd), 0);
    remove_tmpdir();
}
END_TEST

START_TEST(test_text_form)
{
    static trace_rec r[300];
    size_t n = sample_records(r, 300);
    for (size_t i = 0; i < n; i++) {
        char line[TRACE_TEXT_MAX], why[256];
        trace_rec_format(&r[i], line, sizeof line);
        trace_rec back;
        ck_assert_msg(trace_rec_parse(line, &back, why, sizeof why) == 0, "'%s': %s", line, why);
        ck_assert_msg(memcmp(&back, &r[i], sizeof back) == 0, "'%s' parses to another record", line);
    }
    char line[TRACE_TEXT_MAX];
    trace_rec_format(&r[0], line, sizeof line);
    ck_assert_str_eq(line, "0 0 map 01:00.0 - 1 0x100000000 65536 0x200000000 rw");
    trace_rec_format(&r[1], line, sizeof line);
    ck_assert_str_eq(line, "0 212000 write 01:00.0 0 1 0x100000000 64 0x0 -");
    trace_rec_format(&r[n - 4], line, sizeof line);
    ck_assert_ptr_nonnull(strstr(line, " inv 00:00.0 - 1 0x100000000 65536 0x0 iotlb-page,keep,chain"));
    trace_rec x;
    char why[256];
    ck_assert_int_eq(trace_rec_parse("1 2 read 01:00.0 - 1 0x10 64 0x0", &x, why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "fields"));
    ck_assert_int_eq(trace_rec_parse("1 2 reed 01:00.0 - 1 0x10 64 0x0 -", &x, why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "operation 'reed'"));
    ck_assert_int_eq(trace_rec_parse("1 2 read 01:20.0 - 1 0x10 64 0x0 -", &x, why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "requester id"));
    ck_assert_int_eq(trace_rec_parse("99999999999999999999 2 read 01:00.0 - 1 0x10 64 0x0 -", &x,
                                     why, sizeof why), -1);
    ck_assert_ptr_nonnull(strstr(why, "time_ps"));
    uint16_t rid;
    ck_assert_int_eq(trace_rid_parse("0000:03:00.1", &rid), 0);
    ck_assert_uint_eq(rid, 0x0301);
    ck_assert_int_eq(trace_rid_parse("3:1f.7", &rid), 0);
    ck_assert_uint_eq(rid, 0x03ff);
    ck_assert_int_eq(trace_rid_parse("03:00.8", &rid), -1);
}
END_TEST

/* ---- bad input ---------------------------------------------------------------------- */

/* Writes header and records as given (no checks), gzip-compressed or plain. */
static void write_raw(const char *path, const uint8_t *hdr, size_t hdr_len, const trace_rec *r,
                      size_t n, bool compress)
{
    if (compress) {
        gzFile g = gzopen(path, "wb1");
        ck_assert_ptr_nonnull(g);
        if (hdr_len)
            ck_assert_int_eq(gzwrite(g, hdr, (unsigned)hdr_len), (int)hdr_len);
        if (n)
            ck_assert_int_eq(gzwrite(g, r, (unsigned)(n * sizeof *r)), (int)(n * sizeof *r));
        ck_assert_int_eq(gzclose(g), Z_OK);
    } else {
        FILE *f = fopen(path, "wb");
        ck_assert_ptr_nonnull(f);
        if (hdr_len)
            fwrite(hdr, 1, hdr_len, f);
        if (n)
            fwrite(r, sizeof *r, n, f);
        fclose(f);
    }
}

static size_t header(uint8_t *h, unsigned version, unsigned rec_bytes, uint32_t flags,
                     uint32_t params_bytes)
{
    memcpy(h, TRACE_MAGIC, 8);
    h[8] = (uint8_t)version;
    h[9] = (uint8_t)(version >> 8);
    h[10] = (uint8_t)rec_bytes;
    h[11] = (uint8_t)(rec_bytes >> 8);
    for (int i = 0; i < 4; i++) {
        h[12 + i] = (uint8_t)(flags >> (8 * i));
        h[16 + i] = 0;
        h[20 + i] = (uint8_t)(params_bytes >> (8 * i));
    }
    return 24;
}

static uint64_t records_hash;

/* Reads path to its end; returns the error (NULL if none) and the records delivered
 * (records_hash gets a hash of their bytes). */
static const char *read_all(const char *path, uint64_t *count, char *msg, size_t len)
{
    sim_err e;
    trace_reader *r = trace_reader_open(path, &e);
    *count = 0;
    if (!r) {
        snprintf(msg, len, "%s", e.msg);
        return msg;
    }
    const trace_rec *recs;
    size_t n;
    records_hash = 0xcbf29ce484222325ull;
    while ((n = trace_reader_block(r, &recs)) > 0)
        for (size_t i = 0; i < n * sizeof *recs; i++)
            records_hash = (records_hash ^ ((const uint8_t *)recs)[i]) * 0x100000001b3ull;
    *count = trace_reader_count(r);
    const char *err = trace_reader_error(r);
    if (err)
        snprintf(msg, len, "%s", err);
    trace_reader_close(r);
    return err ? msg : NULL;
}

typedef struct bad_case {
    const char *what;
    trace_rec rec;  /* placed as record 2, after two good reads */
    const char *expect;
} bad_case;

static const bad_case bad_cases[] = {
    {"unknown op", {.time_ps = 5, .op = 9, .len = 64}, "record 2: unknown operation 9"},
    {"op 0", {.time_ps = 5, .op = 0, .len = 64}, "record 2: unknown operation 0"},
    {"zero-length read", {.time_ps = 5, .op = TRACE_OP_READ}, "record 2: read of length 0"},
    {"zero-length write", {.time_ps = 5, .op = TRACE_OP_WRITE}, "record 2: write of length 0"},
    {"time backwards", {.time_ps = 1, .op = TRACE_OP_READ, .len = 64},
     "record 2: time 1 ps goes backwards (the record before is at 2 ps)"},
    {"address overflow", {.time_ps = 5, .op = TRACE_OP_READ, .addr = UINT64_MAX - 10, .len = 64},
     "record 2: read of 64 bytes at 0xfffffffffffffff5 runs past 2^64"},
    {"ahead overflow", {.time_ps = 5, .ahead_ps = UINT64_MAX, .op = TRACE_OP_READ, .len = 8},
     "overflows"},
    {"reserved", {.time_ps = 5, .op = TRACE_OP_READ, .len = 8, .reserved = 1}, "reserved field"},
    {"read flags", {.time_ps = 5, .op = TRACE_OP_READ, .len = 8, .flags = 0x01}, "unknown flags"},
    {"wide pasid", {.time_ps = 5, .op = TRACE_OP_READ, .len = 8, .flags = TRACE_F_PASID, .pasid = 1u << 20},
     "PASIDs are 20 bits"},
    {"pasid without flag", {.time_ps = 5, .op = TRACE_OP_READ, .len = 8, .pasid = 3}, "no PASID flag"},
    {"read aux", {.time_ps = 5, .op = TRACE_OP_READ, .len = 8, .aux = 1}, "non-zero aux"},
    {"map without rights", {.time_ps = 5, .op = TRACE_OP_MAP, .len = 4096}, "neither read nor write"},
    {"map host overflow", {.time_ps = 5, .op = TRACE_OP_MAP, .len = 4096, .aux = UINT64_MAX, .flags = 1},
     "to host 0xffffffffffffffff runs past 2^64"},
    {"zero-length unmap", {.time_ps = 5, .op = TRACE_OP_UNMAP}, "unmap of length 0"},
    {"msi length", {.time_ps = 5, .op = TRACE_OP_MSI, .addr = 0xFEE00000, .len = 8}, "msi of 8 bytes"},
    {"msi data", {.time_ps = 5, .op = TRACE_OP_MSI, .addr = 0xFEE00000, .len = 4, .aux = 1ull << 32},
     "wider than 32 bits"},
    {"msi alignment", {.time_ps = 5, .op = TRACE_OP_MSI, .addr = 0xFEE00001, .len = 4}, "not DW-aligned"},
    {"inv kind", {.time_ps = 5, .op = TRACE_OP_INV, .flags = 12}, "unknown invalidation kind 12"},
    {"inv fields", {.time_ps = 5, .op = TRACE_OP_INV, .flags = TRACE_INV_IOTLB_GLOBAL, .len = 4},
     "has no use for"},
    {"inv keep", {.time_ps = 5, .op = TRACE_OP_INV, .flags = TRACE_INV_IOTLB_DOMAIN | TRACE_F_INV_KEEP},
     "keep-tables"},
    {"page inv without range", {.time_ps = 5, .op = TRACE_OP_INV, .flags = TRACE_INV_IOTLB_PAGE},
     "inv of length 0"},
    {"iec index", {.time_ps = 5, .op = TRACE_OP_INV, .flags = TRACE_INV_IEC_INDEX, .addr = 65536},
     "past 65535"},
};

START_TEST(test_bad_record)
{
    make_tmpdir();
    const bad_case *c = &bad_cases[_i];
    trace_rec r[4] = {dma(1, TRACE_OP_READ, 0x1000, 64), dma(2, TRACE_OP_READ, 0x1040, 64), c->rec,
                      dma(9, TRACE_OP_READ, 0x1080, 64)};
    r[0].ahead_ps = r[1].ahead_ps = r[3].ahead_ps = 0;
    uint8_t h[24];
    size_t hl = header(h, 1, 48, 0, 0);
    for (int compress = 0; compress < 2; compress++) {
        const char *path = tmp(compress ? "bad.dmat.gz" : "bad.dmat");
        write_raw(path, h, hl, r, 4, compress);
        uint64_t count;
        char msg[1100];
        const char *err = read_all(path, &count, msg, sizeof msg);
        ck_assert_msg(err != NULL, "%s: accepted", c->what);
        ck_assert_msg(strstr(err, path) == err, "%s: '%s' does not start with the file", c->what, err);
        ck_assert_msg(strstr(err, c->expect) != NULL, "%s: '%s' lacks '%s'", c->what, err, c->expect);
        ck_assert_msg(strstr(err, "record 2:") != NULL, "%s: '%s' names no record 2", c->what, err);
        ck_assert_uint_eq(count, 2);
    }
    /* The writer refuses what the reader refuses. */
    sim_err e;
    trace_writer *w = trace_writer_open(tmp("w.dmat.gz"), 0, "t", "", 0, &e);
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(trace_writer_put(w, &r[0], &e), 0);
    ck_assert_int_eq(trace_writer_put(w, &r[1], &e), 0);
    ck_assert_int_eq(trace_writer_put(w, &r[2], &e), -1);
    ck_assert_msg(strstr(e.msg, c->expect) != NULL, "writer: '%s'", e.msg);
    ck_assert_int_eq(trace_writer_close(w, &e), -1);
    ck_assert_int_ne(access(tmp("w.dmat.gz"), F_OK), 0);
    remove_tmpdir();
}
END_TEST

START_TEST(test_bad_chain)
{
    make_tmpdir();
    uint8_t h[24];
    size_t hl = header(h, 1, 48, 0, 0);
    trace_rec chain = {.time_ps = 3, .op = TRACE_OP_INV, .flags = TRACE_INV_IOTLB_GLOBAL | TRACE_F_INV_CHAIN};
    trace_rec r[3] = {chain, dma(4, TRACE_OP_READ, 0, 64), chain};
    uint64_t count;
    char msg[1100];
    write_raw(tmp("c1.dmat.gz"), h, hl, r, 2, true);
    ck_assert_ptr_nonnull(strstr(read_all(tmp("c1.dmat.gz"), &count, msg, sizeof msg),
                                 "record 1: read where the chained invalidation"));
    write_raw(tmp("c2.dmat.gz"), h, hl, &r[2], 1, true);
    ck_assert_ptr_nonnull(strstr(read_all(tmp("c2.dmat.gz"), &count, msg, sizeof msg),
                                 "ends inside a chained invalidation"));
    trace_rec later = chain;
    later.time_ps = 4;
    later.flags = TRACE_INV_IOTLB_GLOBAL;
    trace_rec r2[2] = {chain, later};
    write_raw(tmp("c3.dmat.gz"), h, hl, r2, 2, true);
    ck_assert_ptr_nonnull(strstr(read_all(tmp("c3.dmat.gz"), &count, msg, sizeof msg),
                                 "record 1: chained invalidation at 4+0 ps"));
    remove_tmpdir();
}
END_TEST

START_TEST(test_bad_header)
{
    make_tmpdir();
    uint8_t h[64];
    trace_rec ok = dma(1, TRACE_OP_READ, 0, 64);
    uint64_t count;
    char msg[1100];
    struct {
        const char *what;
        size_t len;
        const char *expect;
    } cases[] = {
        {"wrong magic", 24, "not an iovsim DMA trace (bad magic)"},
        {"future version", 24, "format version 2 is newer than this iovsim reads (1)"},
        {"record size", 24, "records of 40 bytes"},
        {"header flags", 24, "unknown header flags 0x00000100"},
        {"huge params", 24, "parameters of 4294967295 bytes"},
        {"truncated params", 24, "truncated header"},
        {"empty", 0, "empty file"},
        {"short header", 12, "truncated header"},
        {"version 0", 24, "format version 0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        header(h, 1, 48, 0, 0);
        switch (i) {
        case 0: h[3] = 'X'; break;
        case 1: header(h, 2, 48, 0, 0); break;
        case 2: header(h, 1, 40, 0, 0); break;
        case 3: header(h, 1, 48, 0x100, 0); break;
        case 4: header(h, 1, 48, 0, UINT32_MAX); break;
        case 5: header(h, 1, 48, 0, 100); break;
        case 8: header(h, 0, 48, 0, 0); break;
        default: break;
        }
        for (int compress = 0; compress < 2; compress++) {
            const char *path = tmp("h.dmat.gz");
            bool no_records = i == 5 || i == 6 || i == 7;
            write_raw(path, h, cases[i].len, no_records ? NULL : &ok, no_records ? 0 : 1, compress);
            const char *err = read_all(path, &count, msg, sizeof msg);
            ck_assert_msg(err && strstr(err, cases[i].expect) && strstr(err, path) == err,
                          "%s: '%s'", cases[i].what, err ? err : "accepted");
        }
    }
    ck_assert_ptr_nonnull(strstr(read_all(tmp("none.dmat.gz"), &count, msg, sizeof msg),
                                 "cannot open"));
    remove_tmpdir();
}
END_TEST

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*len ? *len : 1);
    ck_assert_uint_eq(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

static void spit(const char *path, const uint8_t *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b, 1, len, f), len);
    fclose(f);
}

/* Every cut is noticed; a flipped byte past the gzip header is noticed, or (when it
 * lands in a part of the Huffman tables no symbol uses) changes no record. */
START_TEST(test_truncated_and_corrupt)
{
    make_tmpdir();
    static trace_rec r[3000];
    size_t n = sample_records(r, 3000);
    const char *good = tmp("good.dmat.gz");
    write_trace(good, r, n);
    size_t len;
    uint8_t *b = slurp(good, &len);
    uint64_t count;
    char msg[1100];
    const char *cut = tmp("cut.dmat.gz");
    for (size_t keep = 0; keep < len; keep += keep < 64 ? 1 : 97) {
        spit(cut, b, keep);
        const char *err = read_all(cut, &count, msg, sizeof msg);
        ck_assert_msg(err != NULL, "cut at %zu of %zu accepted", keep, len);
        ck_assert_msg(strstr(err, cut) == err, "'%s'", err);
        ck_assert_msg(count < n, "cut at %zu delivered every record", keep);
    }
    spit(cut, b, len - 1);
    ck_assert_ptr_nonnull(strstr(read_all(cut, &count, msg, sizeof msg), "truncated"));
    ck_assert_ptr_null(read_all(good, &count, msg, sizeof msg));
    uint64_t good_hash = records_hash;
    int noticed = 0, same = 0;
    /* gzip header bytes 4..9 (time, flags, OS) are not checked by anyone: start at 10. */
    for (size_t at = 10; at < len; at += at < 200 ? 3 : 211) {
        b[at] ^= 0x20;
        spit(cut, b, len);
        b[at] ^= 0x20;
        const char *err = read_all(cut, &count, msg, sizeof msg);
        if (err) {
            ck_assert_msg(strstr(err, cut) == err, "'%s'", err);
            noticed++;
        } else {
            ck_assert_msg(count == n && records_hash == good_hash, "flip at %zu changed records "
                                                                   "unnoticed", at);
            same++;
        }
    }
    ck_assert_int_gt(noticed, 10 * same);
    /* A plain (uncompressed) trace cut inside a record names that record. */
    uint8_t h[24];
    size_t hl = header(h, 1, 48, 0, 0);
    write_raw(cut, h, hl, r, 3, false);
    uint8_t *p = slurp(cut, &len);
    spit(cut, p, len - 20);
    ck_assert_ptr_nonnull(strstr(read_all(cut, &count, msg, sizeof msg),
                                 "truncated: record 2 has 28 of 48 bytes"));
    ck_assert_uint_eq(count, 2);
    free(p);
    free(b);
    remove_tmpdir();
}
END_TEST

/* The fuzzer's corpus, and what it found: each file is read to its end without a crash;
 * files named ok-* are accepted, bad-* refused with a message naming them. */
START_TEST(test_corpus)
{
    const char *top = getenv("TOP_SRCDIR") ? getenv("TOP_SRCDIR") : ".";
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/data/trace-corpus", top);
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "no corpus at %s", dir);
    struct dirent *de;
    int files = 0, ok = 0, bad = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[2048], msg[1100];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        uint64_t count;
        const char *err = read_all(path, &count, msg, sizeof msg);
        files++;
        if (!strncmp(de->d_name, "ok-", 3)) {
            ck_assert_msg(err == NULL, "%s refused: %s", de->d_name, err);
            ok++;
        } else if (!strncmp(de->d_name, "bad-", 4)) {
            ck_assert_msg(err != NULL, "%s accepted", de->d_name);
            bad++;
        }
        if (err)
            ck_assert_msg(strstr(err, path) == err, "%s: message '%s' does not name it", de->d_name, err);
    }
    closedir(d);
    ck_assert_int_ge(files, 10);
    ck_assert_int_ge(ok, 2);
    ck_assert_int_ge(bad, 5);
}
END_TEST

/* ---- import ------------------------------------------------------------------------------ */

/* Lines as trace-cmd report (5.x and older kernels) and perf script print them. */
static const char linux_text[] =
    "cpus=4\n"
    "          <idle>-0     [002] d.h1.  4242.000001: irq_handler_entry: irq=27 name=eth0\n"
    "     kworker/2:1-101   [002] .....  4242.000010: map:                  IOMMU: iova=0x00000000fffff000 - 0x0000000100000000 paddr=0x000000012a3b4000 size=4096\n"
    "     kworker/2:1-101   [002] .....  4242.000011: map:                  IOMMU: iova=0x00000000ffffe000 paddr=0x000000012a3b6000 size=8192\n"
    "         swapper     0 [003]  4242.000020123: iommu:io_page_fault: IOMMU:ixgbe 0000:03:00.1 iova=0x00000000dead0000 flags=0x0001\n"
    "     kworker/2:1-101   [002] .....  4242.000030: unmap:                IOMMU: iova=0x00000000fffff000 - 0x0000000100000000 size=4096 unmapped_size=4096\n"
    "            perf  1234 [001]  4242.000031: iommu:unmap: IOMMU: iova=0x00000000ffffe000 size=8192 unmapped_size=8192\n"
    "     kworker/2:1-101   [002] .....  4242.000040: attach_device_to_domain: IOMMU: device=0000:03:00.0\n";

START_TEST(test_linux_import)
{
    make_tmpdir();
    const char *in_path = tmp("linux.txt"), *out = tmp("linux.dmat.gz");
    spit(in_path, (const uint8_t *)linux_text, strlen(linux_text));
    FILE *in = fopen(in_path, "r");
    trace_linux_opts o = {.rid = 0x0300, .domain = 7, .touch = TRACE_OP_WRITE};
    trace_linux_stats st;
    sim_err e;
    ck_assert_msg(trace_linux_import(in, in_path, out, &o, &st, &e) == 0, "%s", e.msg);
    fclose(in);
    ck_assert_uint_eq(st.maps, 2);
    ck_assert_uint_eq(st.unmaps, 2);
    ck_assert_uint_eq(st.faults, 1);
    ck_assert_uint_eq(st.skipped, 3);
    ck_assert_uint_eq(st.records, 7);
    trace_reader *r = trace_reader_open(out, &e);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(trace_reader_flags(r), TRACE_HDR_IMPORTED);
    static const char *const expect[] = {
        "0 0 map 03:00.0 - 7 0xfffff000 4096 0x12a3b4000 rw",
        "0 0 write 03:00.0 - 7 0xfffff000 4096 0x0 -",
        "1000000 0 map 03:00.0 - 7 0xffffe000 8192 0x12a3b6000 rw",
        "1000000 0 write 03:00.0 - 7 0xffffe000 8192 0x0 -",
        "10123000 0 write 03:00.1 - 7 0xdead0000 4 0x0 -",
        "20000000 0 unmap 03:00.0 - 7 0xfffff000 4096 0x0 -",
        "21000000 0 unmap 03:00.0 - 7 0xffffe000 8192 0x0 -",
    };
    const trace_rec *x;
    size_t i = 0;
    while ((x = trace_reader_next(r)) != NULL) {
        char line[TRACE_TEXT_MAX];
        trace_rec_format(x, line, sizeof line);
        ck_assert_msg(i < 7, "extra record '%s'", line);
        ck_assert_str_eq(line, expect[i]);
        i++;
    }
    ck_assert_ptr_null(trace_reader_error(r));
    ck_assert_uint_eq(i, 7);
    trace_reader_close(r);

    /* A malformed iommu line, and time going backwards, name their line. */
    static const char *const bad[] = {
        "x-1 [000] 5.000000: map: IOMMU: iova=0x1000 paddr=zz size=4096\n",
        "x-1 [000] 5.000001: map: IOMMU: iova=0x1000 paddr=0x2000 size=4096\n"
        "x-1 [000] 5.000000: unmap: IOMMU: iova=0x1000 size=4096 unmapped_size=4096\n",
        "x-1 [000] soon: map: IOMMU: iova=0x1000 paddr=0x2000 size=4096\n",
    };
    static const char *const want[] = {":1: iommu:map line does not read", ":2: time goes backwards",
                                       ":1: no timestamp"};
    for (size_t k = 0; k < 3; k++) {
        spit(in_path, (const uint8_t *)bad[k], strlen(bad[k]));
        in = fopen(in_path, "r");
        ck_assert_int_eq(trace_linux_import(in, in_path, out, &o, &st, &e), -1);
        fclose(in);
        ck_assert_msg(strstr(e.msg, want[k]) != NULL, "'%s' lacks '%s'", e.msg, want[k]);
    }
    remove_tmpdir();
}
END_TEST

START_TEST(test_text_import_round_trip)
{
    make_tmpdir();
    static trace_rec r[2000];
    size_t n = sample_records(r, 2000);
    const char *a = tmp("a.dmat.gz"), *txt = tmp("a.txt"), *b = tmp("b.dmat.gz");
    sim_err e;
    static const char odd[] = "x = 1\ny = \x01\\\nz"; /* a control byte, a backslash, no final newline */
    trace_writer *w = trace_writer_open(a, 0, "iovsim \\odd\tname", odd, sizeof odd - 1, &e);
    ck_assert_ptr_nonnull(w);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(trace_writer_put(w, &r[i], &e), 0);
    ck_assert_int_eq(trace_writer_close(w, &e), 0);
    trace_reader *rd = trace_reader_open(a, &e);
    FILE *f = fopen(txt, "w");
    ck_assert_int_eq(trace_text_write(rd, f, &e), 0);
    fclose(f);
    trace_reader_close(rd);
    f = fopen(txt, "r");
    uint64_t records;
    ck_assert_msg(trace_text_import(f, txt, b, &records, &e) == 0, "%s", e.msg);
    fclose(f);
    ck_assert_uint_eq(records, n);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
    ck_assert_int_eq(system(cmd), 0);
    /* A bad record line names its line. */
    static const char text[] = "# iovsim DMA trace, format 1\n0 0 read 01:00.0 - 1 0x0 64 0x0 -\n"
                               "5 0 read 01:00.0 - 1 0x0 0 0x0 -\n";
    spit(txt, (const uint8_t *)text, strlen(text));
    f = fopen(txt, "r");
    ck_assert_int_eq(trace_text_import(f, txt, b, &records, &e), -1);
    fclose(f);
    ck_assert_msg(strstr(e.msg, "a.txt:3: read of length 0") != NULL, "%s", e.msg);
    remove_tmpdir();
}
END_TEST

/* ---- record and replay ----------------------------------------------------------------- */

static void run_point(sim_params *p, const char *dir)
{
    sim_err e = {{0}};
    ck_assert_msg(systems_ops.check(p, &e) == 0, "%s", e.msg);
    sim_point_result res;
    ck_assert_int_eq(mkdir(dir, 0777), 0);
    ck_assert_msg(sim_run_point(&systems_ops, p, dir, &res, &e) == 0, "%s", e.msg);
    sim_point_result_free(&res);
}

/* A counter from a point's stats.txt. */
static uint64_t stat_of(const char *dir, const char *name)
{
    char path[1024], line[1024];
    snprintf(path, sizeof path, "%s/stats.txt", dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = strlen(name);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, name, n) && line[n] == ' ') {
            fclose(f);
            return strtoull(line + n, NULL, 10);
        }
    fclose(f);
    ck_abort_msg("%s not in %s", name, path);
    return 0;
}

/* The configurations a recording is made in and replayed on. */
static const char *const configs[][12] = {
    /* a window mapped once, random reads: the IOTLB wall */
    {"iommu.mode", "strict", "dma.map", "window", "dma.pattern", "random", "dma.window_bytes", "1MiB",
     "dma.op", "read", NULL},
    /* map and unmap each transfer: page-selective invalidation and wait per unmap */
    {"iommu.mode", "strict", "dma.map", "transfer", "dma.pattern", "random", "dma.window_bytes",
     "256KiB", "dma.op", "rw", NULL},
    /* lazy: batched domain invalidations, stale entries until then */
    {"iommu.mode", "lazy", "dma.map", "transfer", "dma.pattern", "seq", "dma.window_bytes", "2MiB",
     "iommu.lazy_batch", "16", NULL},
    /* ATS: a device TLB, translation requests over the link, chained invalidations */
    {"iommu.mode", "strict", "dma.map", "transfer", "iommu.ats", "true", "dma.window_bytes", "512KiB",
     "dma.pattern", "random", NULL},
};

static void apply_config(sim_params *p, size_t c)
{
    for (size_t i = 0; configs[c][i]; i += 2)
        rig_param_set(p, configs[c][i], configs[c][i + 1]);
    rig_param_set(p, "run.kernel", "native");
    rig_param_set(p, "dma.size_bytes", c == 0 ? "64" : "2048");
    rig_param_set(p, "dma.outstanding", "32");
    rig_param_set(p, "run.warmup_us", "3");
    rig_param_set(p, "run.duration_us", "30");
}

START_TEST(test_timed_replay_is_exact)
{
    make_tmpdir();
    const char *rec_dir = tmp("rec"), *rep_dir = tmp("rep");
    sim_params *p = rig_registry();
    apply_config(p, (size_t)_i);
    rig_param_set(p, "trace.record", "run.dmat.gz");
    run_point(p, rec_dir);
    char trace[600];
    snprintf(trace, sizeof trace, "%s/run.dmat.gz", rec_dir);
    ck_assert_int_eq(access(trace, R_OK), 0);

    sim_params *q = rig_registry();
    apply_config(q, (size_t)_i);
    rig_param_set(q, "workload.kind", "trace");
    rig_param_set(q, "trace.file", trace);
    run_point(q, rep_dir);
    static const char *const same[] = {"iommu.iotlb_hits",    "iommu.iotlb_misses", "iommu.walks",
                                       "iommu.walks_merged",  "iommu.invalidations", "iommu.ats_hits",
                                       "iommu.ats_requests",  "iommu.pwc_hits",     "rc.reads",
                                       "rc.writes",           "rc.completions",     "mem.llc_read_hits",
                                       "mem.llc_read_misses", "mem.dram_bytes"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        ck_assert_msg(stat_of(rec_dir, same[i]) == stat_of(rep_dir, same[i]),
                      "config %d: %s recorded %" PRIu64 ", replayed %" PRIu64, _i, same[i],
                      stat_of(rec_dir, same[i]), stat_of(rep_dir, same[i]));
    /* The paths each configuration is there for were taken. */
    ck_assert_uint_gt(stat_of(rec_dir, "iommu.iotlb_misses"), 100);
    if (_i == 0)
        ck_assert_uint_gt(stat_of(rec_dir, "iommu.iotlb_hits"), 100);
    else
        ck_assert_uint_gt(stat_of(rec_dir, "iommu.walks_merged"), 100);
    if (_i > 0)
        ck_assert_uint_gt(stat_of(rec_dir, "iommu.invalidations"), 2);
    if (_i == 3)
        ck_assert_uint_gt(stat_of(rec_dir, "iommu.inv_devtlb"), 50);
    sim_params_destroy(p);
    sim_params_destroy(q);
    remove_tmpdir();
}
END_TEST

/* Records a run with `outstanding` transfers in flight and replays its trace timed and
 * fast (as many in flight), from time 0 to the end of the trace. */
static void record_and_replay(const char *rec_dir, const char *timed, const char *fast,
                              const char *outstanding)
{
    sim_params *p = rig_registry();
    apply_config(p, 0);
    rig_param_set(p, "run.warmup_us", "0");
    rig_param_set(p, "run.duration_us", "60");
    rig_param_set(p, "dma.outstanding", outstanding);
    rig_param_set(p, "trace.record", "run.dmat.gz");
    run_point(p, rec_dir);
    sim_params_destroy(p);
    char trace[600];
    snprintf(trace, sizeof trace, "%s/run.dmat.gz", rec_dir);
    const char *dirs[] = {timed, fast};
    for (int i = 0; i < 2; i++) {
        sim_params *q = rig_registry();
        apply_config(q, 0);
        rig_param_set(q, "run.warmup_us", "0");
        rig_param_set(q, "run.duration_us", "100000"); /* the trace ends first */
        rig_param_set(q, "workload.kind", "trace");
        rig_param_set(q, "trace.file", trace);
        rig_param_set(q, "trace.timing", i ? "fast" : "timed");
        rig_param_set(q, "trace.outstanding", outstanding);
        run_point(q, dirs[i]);
        sim_params_destroy(q);
    }
}

START_TEST(test_fast_replay_hit_rate)
{
    make_tmpdir();
    /* One request in flight: no look-up can meet a walk in flight, in the run or in
     * either replay, so hits and misses (and the hit rate) are the same. */
    record_and_replay(tmp("rec1"), tmp("timed1"), tmp("fast1"), "1");
    ck_assert_uint_eq(stat_of(tmp("rec1"), "iommu.walks_merged"), 0);
    ck_assert_uint_gt(stat_of(tmp("rec1"), "iommu.iotlb_misses"), 40);
    ck_assert_uint_gt(stat_of(tmp("rec1"), "iommu.iotlb_hits"), 5);
    static const char *const exact[] = {"iommu.iotlb_hits", "iommu.iotlb_misses"};
    for (int i = 0; i < 2; i++) {
        ck_assert_uint_eq(stat_of(tmp("timed1"), exact[i]), stat_of(tmp("rec1"), exact[i]));
        ck_assert_uint_eq(stat_of(tmp("fast1"), exact[i]), stat_of(tmp("rec1"), exact[i]));
    }
    /* 32 in flight: timing decides which look-ups wait for a walk in flight (merged
     * misses, counted as misses) instead of hitting, never which pages are walked. The
     * first 32 requests are before the measurement in the run (issued at build) and in
     * the fast replay (issued at time 0) alike. */
    record_and_replay(tmp("rec32"), tmp("timed32"), tmp("fast32"), "32");
    ck_assert_uint_gt(stat_of(tmp("rec32"), "iommu.walks_merged"), 0);
    ck_assert_uint_eq(stat_of(tmp("timed32"), "iommu.iotlb_hits"), stat_of(tmp("rec32"), "iommu.iotlb_hits"));
    ck_assert_uint_eq(stat_of(tmp("fast32"), "iommu.walks"), stat_of(tmp("rec32"), "iommu.walks"));
    ck_assert_uint_eq(stat_of(tmp("fast32"), "iommu.iotlb_hits") + stat_of(tmp("fast32"), "iommu.iotlb_misses"),
                      stat_of(tmp("rec32"), "iommu.iotlb_hits") + stat_of(tmp("rec32"), "iommu.iotlb_misses"));
    remove_tmpdir();
}
END_TEST

static Suite *trace_suite(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("format");
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_text_form);
    tcase_add_loop_test(tc, test_bad_record, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(tc, test_bad_chain);
    tcase_add_test(tc, test_bad_header);
    tcase_add_test(tc, test_truncated_and_corrupt);
    tcase_add_test(tc, test_corpus);
    tcase_add_test(tc, test_linux_import);
    tcase_add_test(tc, test_text_import_round_trip);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    TCase *rp = tcase_create("replay");
    tcase_add_loop_test(rp, test_timed_replay_is_exact, 0, (int)(sizeof configs / sizeof configs[0]));
    tcase_add_test(rp, test_fast_replay_hit_rate);
    tcase_set_timeout(rp, 120);
    suite_add_tcase(s, rp);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(trace_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
