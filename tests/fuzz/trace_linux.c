/* libFuzzer harness for the import of Linux's iommu tracepoints (`make fuzz`): the input
 * is a `trace-cmd report` / `perf script` / ftrace text, given to trace_linux_import, the
 * function `iovsim trace import --from linux` calls (over a FILE, as there). The first
 * byte picks the options (touch none, read or write; the requester), the rest is the
 * text, so the DMA records that `touch` adds are fuzzed too. The trace the importer says
 * it wrote must read back with as many records as it counted and no error. */
#include "tests/fuzz/fuzz_util.h"
#include "traces/trace_linux.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static const int touch[4] = {0, TRACE_OP_READ, TRACE_OP_WRITE, 0};
    trace_linux_opts o = {
        .rid = (uint16_t)(0x0100 + (data[0] >> 4)), .domain = 1, .touch = touch[data[0] & 3]};
    FILE *in = fmemopen((void *)(data + 1), size - 1, "r");
    if (!in)
        abort();
    char out[128];
    snprintf(out, sizeof out, "%s/l.dmat.gz", fuzz_scratch());
    sim_err e;
    trace_linux_stats st;
    int rc = trace_linux_import(in, "fuzz", out, &o, &st, &e);
    fclose(in);
    if (rc < 0) {
        fuzz_check_refused(&e, out);
        return 0;
    }
    fuzz_check_trace(out, st.records);
    unlink(out);
    return 0;
}
