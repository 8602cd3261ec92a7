/* libFuzzer harness for the text form of a DMA trace (`make fuzz`): the input is the
 * text that `iovsim trace import --from text` reads, given to trace_text_import, the
 * function that command calls (over a FILE, as there). A trace the importer says it
 * wrote must then read back through trace_reader with as many records and no error, and
 * print again through trace_text_write: an import may not produce a file the reader or
 * the printer refuses. */
#include "tests/fuzz/fuzz_util.h"
#include "traces/trace_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *in = fmemopen((void *)data, size, "r");
    if (!in)
        return 0; /* glibc refuses an empty buffer */
    char out[128];
    snprintf(out, sizeof out, "%s/t.dmat.gz", fuzz_scratch());
    sim_err e;
    uint64_t records = 0;
    int rc = trace_text_import(in, "fuzz", out, &records, &e);
    fclose(in);
    if (rc < 0) {
        fuzz_check_refused(&e, out);
        return 0;
    }
    fuzz_check_trace(out, records);
    trace_reader *r = trace_reader_open(out, &e);
    FILE *sink = fopen("/dev/null", "w");
    if (!r || !sink || trace_text_write(r, sink, &e) < 0)
        abort();
    fclose(sink);
    trace_reader_close(r);
    unlink(out);
    return 0;
}
