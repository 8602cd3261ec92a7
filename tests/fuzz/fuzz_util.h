/* Shared by the libFuzzer harnesses: a private scratch folder (in memory when /dev/shm
 * exists) for the files the code under test must read by path or write, and the check
 * that a trace an importer wrote reads back whole, or that a refusal names the input. */
#ifndef TESTS_FUZZ_FUZZ_UTIL_H
#define TESTS_FUZZ_FUZZ_UTIL_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/run.h"
#include "systems/kinds.h"
#include "traces/trace.h"

/* The registry `iovsim run` builds (the run's parameters and every model's), made once
 * per process. */
static inline sim_params *fuzz_registry(void)
{
    static sim_params *reg;
    if (!reg) {
        reg = sim_params_create();
        sim_run_register_params(reg);
        systems_ops.register_params(reg);
    }
    return reg;
}

/* The scratch folder, made once per process; removed at exit with what is in it. */
static char fuzz_dir[64];

static inline void fuzz_dir_remove(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fuzz_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz: could not remove %s\n", fuzz_dir);
}

static inline const char *fuzz_scratch(void)
{
    if (!fuzz_dir[0]) {
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/iovsim-fuzz.XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        if (!mkdtemp(fuzz_dir))
            abort();
        atexit(fuzz_dir_remove);
    }
    return fuzz_dir;
}

/* DIR/NAME with the given bytes; the path in `path`. */
static inline void fuzz_write_file(const char *name, const uint8_t *data, size_t size, char *path,
                            size_t path_len)
{
    snprintf(path, path_len, "%s/%s", fuzz_scratch(), name);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        abort();
}

/* A trace an importer reported as written must read back with `records` records and no
 * error: an importer may never write what the reader refuses. */
static inline void fuzz_check_trace(const char *path, uint64_t records)
{
    sim_err e;
    trace_reader *r = trace_reader_open(path, &e);
    if (!r) {
        fprintf(stderr, "imported trace does not open: %s\n", e.msg);
        abort();
    }
    const trace_rec *recs;
    while (trace_reader_block(r, &recs) > 0)
        ;
    if (trace_reader_error(r) || trace_reader_count(r) != records) {
        fprintf(stderr, "imported trace reads back wrong: %s (%llu of %llu records)\n",
                trace_reader_error(r) ? trace_reader_error(r) : "no error",
                (unsigned long long)trace_reader_count(r), (unsigned long long)records);
        abort();
    }
    trace_reader_close(r);
}

/* An importer that refused its input (named "fuzz" to it) must say so naming the input
 * and leave no file at out. */
static inline void fuzz_check_refused(const sim_err *e, const char *out)
{
    if (strncmp(e->msg, "fuzz:", 5)) {
        fprintf(stderr, "message without the input's name: %s\n", e->msg);
        abort();
    }
    if (access(out, F_OK) == 0) {
        fprintf(stderr, "a refused import left %s\n", out);
        abort();
    }
}

#endif
