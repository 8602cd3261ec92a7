/* libFuzzer harness for the DMA trace reader (`make fuzz`): the input is a trace file,
 * gzip-compressed or not, given to trace_reader_open_fd, the entry point under
 * trace_reader_open, which replay (workload.kind = trace), `trace info` and `trace cat`
 * use, so every byte takes the path a user's file takes. zlib reads plain bytes
 * transparently, which lets the fuzzer reach the header and record checks without first
 * forging a CRC. Every record the
 * reader accepts must also survive the text form: format, parse, format again gives
 * the same line and the same record, and the writer's own check accepts it. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "traces/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("trace-fuzz", 0);
    if (fd < 0)
        abort();
    if (size && write(fd, data, size) != (ssize_t)size)
        abort();
    lseek(fd, 0, SEEK_SET);
    sim_err e;
    trace_reader *r = trace_reader_open_fd(fd, "fuzz", &e);
    if (!r)
        return 0;
    const trace_rec *recs;
    size_t n;
    trace_rec prev;
    int have_prev = 0;
    while ((n = trace_reader_block(r, &recs)) > 0) {
        for (size_t i = 0; i < n; i++) {
            char line[TRACE_TEXT_MAX], again[TRACE_TEXT_MAX], why[512];
            size_t k = trace_rec_format(&recs[i], line, sizeof line);
            if (k + 1 >= sizeof line)
                abort(); /* TRACE_TEXT_MAX is documented to suffice */
            trace_rec back;
            if (trace_rec_parse(line, &back, why, sizeof why) < 0)
                abort();
            if (memcmp(&back, &recs[i], sizeof back))
                abort();
            trace_rec_format(&back, again, sizeof again);
            if (strcmp(line, again))
                abort();
            if (trace_rec_check(&back, have_prev ? &prev : NULL, why, sizeof why) < 0)
                abort();
            prev = back;
            have_prev = 1;
        }
    }
    /* An error must name the file. */
    const char *err = trace_reader_error(r);
    if (err && strncmp(err, "fuzz: ", 6))
        abort();
    trace_reader_close(r);
    return 0;
}
