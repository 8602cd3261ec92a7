#include "app/trace_cmd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/strlist.h"
#include "sim/alloc.h"
#include "traces/trace.h"
#include "traces/trace_linux.h"
#include "traces/trace_text.h"

#define EXIT_BAD 2

const char trace_cmd_help_text[] =
    "usage: iovsim trace info FILE\n"
    "       iovsim trace cat FILE\n"
    "       iovsim trace import [--from linux|text] [--rid BB:DD.F] [--domain N]\n"
    "                           [--touch none|read|write] INPUT OUTPUT\n"
    "\n"
    "DMA traces (.dmat.gz, docs/trace-format.md): recorded from a run with\n"
    "--set trace.record=FILE, replayed with workload.kind = trace (trace.file,\n"
    "trace.timing = timed | fast).\n"
    "\n"
    "  info    records by operation, time span, requesters, footprint (distinct 4 KiB pages\n"
    "          DMA touched) and a histogram of DMA sizes\n"
    "  cat     the trace as text: the header, then one record a line\n"
    "          (time_ps ahead_ps op rid pasid domain addr len aux flags)\n"
    "  import  INPUT ('-' for standard input) into the trace OUTPUT, from\n"
    "          text   what 'iovsim trace cat' prints (the round trip gives the same file\n"
    "                 byte for byte), or\n"
    "          linux  what 'trace-cmd report' or 'perf script' print for the iommu:map,\n"
    "                 iommu:unmap and iommu:io_page_fault tracepoints\n"
    "          (default: text when the input starts with '" TRACE_TEXT_FIRST_LINE "1', else\n"
    "          linux). For linux input: --rid and --domain (default 01:00.0 and 1) go on map\n"
    "          and unmap records, which the kernel's tracepoints print without a device;\n"
    "          --touch read|write adds a DMA over each mapped buffer.\n"
    "\n"
    "Exit status: 0 done, 2 bad usage, or a trace or input that is refused (truncated,\n"
    "corrupt, wrong magic, newer format, an impossible record: the message names the file\n"
    "and the record or line).\n";

static int usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "iovsim: trace ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'iovsim trace --help'.\n");
    return EXIT_BAD;
}

/* ---- info ------------------------------------------------------------------------------ */

/* Distinct 4 KiB pages as runs of pages [first, last]: a DMA adds one run whatever its
 * length (a 4 GiB read is one run, not a million pages), and the runs are sorted and
 * merged whenever the array fills, so memory follows the footprint's fragments. */
typedef struct page_run {
    uint64_t first, last;
} page_run;

typedef struct page_runs {
    page_run *r;
    size_t n, cap;
} page_runs;

static int run_cmp(const void *a, const void *b)
{
    const page_run *x = a, *y = b;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* Sorts and merges overlapping or adjacent runs. */
static void runs_merge(page_runs *s)
{
    if (s->n < 2)
        return;
    qsort(s->r, s->n, sizeof *s->r, run_cmp);
    size_t k = 0;
    for (size_t i = 1; i < s->n; i++) {
        if (s->r[k].last == UINT64_MAX || s->r[i].first <= s->r[k].last + 1) {
            if (s->r[i].last > s->r[k].last)
                s->r[k].last = s->r[i].last;
        } else {
            s->r[++k] = s->r[i];
        }
    }
    s->n = k + 1;
}

static bool runs_add(page_runs *s, uint64_t first, uint64_t last)
{
    if (s->n) { /* the same pages as the last DMA, or the next ones: no new run */
        page_run *p = &s->r[s->n - 1];
        if (first >= p->first && first <= p->last + 1 && p->last != UINT64_MAX) {
            if (last > p->last)
                p->last = last;
            return true;
        }
    }
    if (s->n == s->cap) {
        runs_merge(s);
        if (2 * s->n >= s->cap) {
            size_t cap = s->cap ? 2 * s->cap : 1 << 12;
            page_run *r = realloc(s->r, cap * sizeof *r);
            if (!r)
                return false;
            s->r = r;
            s->cap = cap;
        }
    }
    s->r[s->n++] = (page_run){first, last};
    return true;
}

/* Distinct pages in the runs. */
static uint64_t runs_pages(page_runs *s)
{
    runs_merge(s);
    uint64_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += s->r[i].last - s->r[i].first + 1;
    return n;
}

typedef struct info {
    uint64_t ops[TRACE_OP_LAST + 1], bytes[TRACE_OP_LAST + 1];
    uint64_t *per_rid;    /* 65536 */
    uint16_t *domain_of;  /* 65536 */
    uint64_t sizes[33];   /* DMA lengths by power of two: [2^(k-1)+1, 2^k] */
    uint64_t first_ps, last_ps, last_effect_ps;
    page_runs pages;
    bool pages_oom;
} info;

static void account(info *in, const trace_rec *r)
{
    in->ops[r->op]++;
    /* An invalidation's requester field names a device only for device kinds. */
    if (r->op != TRACE_OP_INV) {
        in->per_rid[r->rid]++;
        if (r->domain)
            in->domain_of[r->rid] = r->domain;
    }
    if (r->time_ps + r->ahead_ps > in->last_effect_ps)
        in->last_effect_ps = r->time_ps + r->ahead_ps;
    in->last_ps = r->time_ps;
    if (r->op != TRACE_OP_READ && r->op != TRACE_OP_WRITE) {
        if (r->op == TRACE_OP_MAP || r->op == TRACE_OP_UNMAP)
            in->bytes[r->op] += r->len;
        return;
    }
    in->bytes[r->op] += r->len;
    unsigned k = 0;
    while (k < 32 && (1ull << k) < r->len)
        k++;
    in->sizes[k]++;
    if (!in->pages_oom && !runs_add(&in->pages, r->addr >> 12, (r->addr + (r->len - 1)) >> 12))
        in->pages_oom = true;
}

static void print_bytes(uint64_t b)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)b;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        printf("%" PRIu64 " B", b);
    else
        printf("%.1f %s", v, unit[u]);
}

static int cmd_info(const char *path)
{
    sim_err e;
    trace_reader *r = trace_reader_open(path, &e);
    if (!r) {
        fprintf(stderr, "iovsim: trace info: %s\n", e.msg);
        return EXIT_BAD;
    }
    info in = {0};
    in.per_rid = sim_xcalloc(65536, sizeof *in.per_rid);
    in.domain_of = sim_xcalloc(65536, sizeof *in.domain_of);
    const trace_rec *recs;
    size_t n;
    bool first = true;
    while ((n = trace_reader_block(r, &recs)) > 0) {
        if (first) {
            in.first_ps = recs[0].time_ps;
            first = false;
        }
        for (size_t i = 0; i < n; i++)
            account(&in, &recs[i]);
    }
    int rc = 0;
    if (trace_reader_error(r)) {
        fprintf(stderr, "iovsim: trace info: %s\n", trace_reader_error(r));
        rc = EXIT_BAD;
    } else {
        size_t params_len;
        const char *params = trace_reader_params(r, &params_len);
        size_t lines = 0;
        for (size_t i = 0; i < params_len; i++)
            lines += params[i] == '\n';
        if (params_len && params[params_len - 1] != '\n')
            lines++;
        uint64_t total = trace_reader_count(r);
        printf("file: %s\nformat: %u\ncreator: %s\nflags: 0x%08" PRIx32 "%s\n", path,
               trace_reader_version(r), trace_reader_creator(r), trace_reader_flags(r),
               (trace_reader_flags(r) & TRACE_HDR_IMPORTED) ? " (imported)" : "");
        printf("params: %zu lines (iovsim trace cat shows them)\n", lines);
        printf("records: %" PRIu64 "\n", total);
        for (unsigned op = TRACE_OP_FIRST; op <= TRACE_OP_LAST; op++) {
            printf("  %-6s %" PRIu64, trace_op_name(op), in.ops[op]);
            if (op == TRACE_OP_READ || op == TRACE_OP_WRITE || op == TRACE_OP_MAP ||
                op == TRACE_OP_UNMAP) {
                printf(" (");
                print_bytes(in.bytes[op]);
                printf(")");
            }
            printf("\n");
        }
        if (total)
            printf("time: %" PRIu64 " ps to %" PRIu64 " ps (span %.6f us; the last takes effect "
                   "at %" PRIu64 " ps)\n",
                   in.first_ps, in.last_ps, (double)(in.last_ps - in.first_ps) / 1e6,
                   in.last_effect_ps);
        size_t rids = 0;
        for (size_t i = 0; i < 65536; i++)
            rids += in.per_rid[i] != 0;
        printf("requesters: %zu\n", rids);
        size_t shown = 0;
        for (size_t i = 0; i < 65536 && shown < 32; i++)
            if (in.per_rid[i]) {
                char rid[8];
                trace_rid_format((uint16_t)i, rid);
                printf("  %s %" PRIu64 " records", rid, in.per_rid[i]);
                if (in.domain_of[i])
                    printf(", domain %u", (unsigned)in.domain_of[i]);
                printf("\n");
                shown++;
            }
        if (rids > shown)
            printf("  ... %zu more\n", rids - shown);
        uint64_t pages = runs_pages(&in.pages);
        printf("footprint: %s%" PRIu64 " distinct 4 KiB pages touched by DMA (",
               in.pages_oom ? "at least " : "", pages);
        print_bytes(pages < (1ull << 52) ? pages * 4096 : UINT64_MAX);
        printf(")\n");
        printf("DMA sizes (bytes: records):\n");
        for (unsigned k = 0; k < 33; k++) {
            if (!in.sizes[k])
                continue;
            uint64_t hi = 1ull << k, lo = k ? (hi >> 1) + 1 : 1;
            if (lo == hi)
                printf("  %" PRIu64 ": %" PRIu64 "\n", hi, in.sizes[k]);
            else
                printf("  %" PRIu64 "-%" PRIu64 ": %" PRIu64 "\n", lo, hi, in.sizes[k]);
        }
    }
    free(in.pages.r);
    free(in.per_rid);
    free(in.domain_of);
    trace_reader_close(r);
    return rc;
}

/* ---- cat, import --------------------------------------------------------------------- */

static int cmd_cat(const char *path)
{
    sim_err e;
    trace_reader *r = trace_reader_open(path, &e);
    if (!r) {
        fprintf(stderr, "iovsim: trace cat: %s\n", e.msg);
        return EXIT_BAD;
    }
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    int rc = trace_text_write(r, stdout, &e);
    fflush(stdout);
    setvbuf(stdout, NULL, _IOLBF, 0);
    trace_reader_close(r);
    if (rc < 0) {
        fprintf(stderr, "iovsim: trace cat: %s\n", e.msg);
        return EXIT_BAD;
    }
    return 0;
}

static int cmd_import(int argc, char **argv)
{
    const char *from = NULL, *in_path = NULL, *out_path = NULL;
    trace_linux_opts o = {.rid = 0x0100, .domain = 1, .touch = 0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--from") || !strcmp(a, "--rid") || !strcmp(a, "--domain") ||
            !strcmp(a, "--touch")) {
            if (!v)
                return usage("import: option '%s' needs a value", a);
            i++;
            if (!strcmp(a, "--from")) {
                if (strcmp(v, "linux") && strcmp(v, "text"))
                    return usage("import: --from takes linux or text, got '%s'", v);
                from = v;
            } else if (!strcmp(a, "--rid")) {
                if (trace_rid_parse(v, &o.rid) < 0)
                    return usage("import: --rid takes bus:device.function in hex (01:00.0), "
                                 "got '%s'",
                                 v);
            } else if (!strcmp(a, "--domain")) {
                char *end;
                unsigned long d = strtoul(v, &end, 10);
                if (!*v || *end || d < 1 || d > 65535)
                    return usage("import: --domain takes a domain id from 1 to 65535, got '%s'", v);
                o.domain = (uint16_t)d;
            } else {
                if (!strcmp(v, "none"))
                    o.touch = 0;
                else if (!strcmp(v, "read"))
                    o.touch = TRACE_OP_READ;
                else if (!strcmp(v, "write"))
                    o.touch = TRACE_OP_WRITE;
                else
                    return usage("import: --touch takes none, read or write, got '%s'", v);
            }
        } else if (a[0] == '-' && a[1]) {
            static const struct option import_opts[] = {
                {"from", required_argument, NULL, 'f'},   {"rid", required_argument, NULL, 'r'},
                {"domain", required_argument, NULL, 'd'}, {"touch", required_argument, NULL, 't'},
                {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
            char msg[512];
            app_unknown_option_text(msg, sizeof msg, "import", a, import_opts);
            return usage("%s", msg);
        } else if (!in_path) {
            in_path = a;
        } else if (!out_path) {
            out_path = a;
        } else {
            return usage("import: an input and an output; unexpected '%s'", a);
        }
    }
    if (!out_path)
        return usage("import: needs INPUT and OUTPUT%s", "");
    FILE *in = strcmp(in_path, "-") ? fopen(in_path, "r") : stdin;
    const char *name = strcmp(in_path, "-") ? in_path : "(standard input)";
    if (!in) {
        fprintf(stderr, "iovsim: trace import: %s: cannot open: %s\n", in_path, strerror(errno));
        return EXIT_BAD;
    }
    if (!from) {
        /* Decide by the first line, then put it back for the importer. */
        int c = getc(in);
        from = "linux";
        if (c == '#') {
            char head[sizeof TRACE_TEXT_FIRST_LINE];
            head[0] = '#';
            size_t n = fread(head + 1, 1, sizeof head - 2, in);
            head[n + 1] = '\0';
            if (!strcmp(head, TRACE_TEXT_FIRST_LINE))
                from = "text";
            if (in == stdin || fseek(in, 0, SEEK_SET) != 0) {
                /* Not seekable: push back what was read, last byte first. */
                for (size_t k = n + 1; k-- > 0;)
                    ungetc((unsigned char)head[k], in);
            }
        } else if (c != EOF) {
            ungetc(c, in);
        }
    }
    sim_err e;
    int rc;
    if (!strcmp(from, "text")) {
        uint64_t records;
        rc = trace_text_import(in, name, out_path, &records, &e);
    } else {
        trace_linux_stats st;
        rc = trace_linux_import(in, name, out_path, &o, &st, &e);
        if (rc == 0)
            fprintf(stderr, "iovsim: trace import: %" PRIu64 " lines: %" PRIu64 " maps, %" PRIu64
                            " unmaps, %" PRIu64 " faults, %" PRIu64 " other lines skipped; %" PRIu64
                            " records\n",
                    st.lines, st.maps, st.unmaps, st.faults, st.skipped, st.records);
    }
    if (in != stdin)
        fclose(in);
    if (rc < 0) {
        fprintf(stderr, "iovsim: trace import: %s\n", e.msg);
        return EXIT_BAD;
    }
    return 0;
}

int trace_cmd_main(int argc, char **argv)
{
    if (argc < 2)
        return usage("needs a command: info, cat or import%s", "");
    const char *cmd = argv[1];
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help") || !strcmp(argv[1], "help")) {
            fputs(trace_cmd_help_text, stdout);
            return 0;
        }
    if (!strcmp(cmd, "info") || !strcmp(cmd, "cat")) {
        if (argc != 3)
            return usage(argc < 3 ? "%s: needs a trace FILE" : "%s: one trace FILE at a time", cmd);
        if (argv[2][0] == '-' && argv[2][1])
            return usage("unknown option '%s'", argv[2]);
        return !strcmp(cmd, "info") ? cmd_info(argv[2]) : cmd_cat(argv[2]);
    }
    if (!strcmp(cmd, "import"))
        return cmd_import(argc - 1, argv + 1);
    return usage("unknown command '%s' (info, cat or import)", cmd);
}
