/* libFuzzer harness for trace replay (`make fuzz`). The input is an options byte, then
 * a DMA trace (a .dmat.gz file or its uncompressed bytes, which the reader takes too).
 * The trace is written to the scratch folder and replayed as `iovsim run` replays one
 * (workload.kind = trace): the configuration check, then the point, on the native
 * kernel, for at most REPLAY_US of simulated time. The options byte picks iommu.mode
 * (bits 0-1), trace.timing (bit 2), trace.invalidate (bit 3) and trace.warm (bits 4-5),
 * so the fuzzer reaches every replay path. A trace the check refuses, or a run that
 * ends in an error, must say why in a message; nothing may crash, leak or hang. */
#include "tests/fuzz/fuzz_util.h"

#include "sim/run.h"
#include "systems/kinds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_US "20"

static void set(sim_params *p, const char *name, const char *value)
{
    sim_err e;
    if (sim_params_set(p, name, value, "fuzz", &e) < 0) {
        fprintf(stderr, "fuzz: cannot set %s = %s: %s\n", name, value, e.msg);
        abort();
    }
}

/* A message that says something. */
static void check_message(const sim_err *e, const char *what)
{
    if (!e->msg[0]) {
        fprintf(stderr, "fuzz: %s failed without a message\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char *const modes[] = {"off", "pt", "strict", "lazy"};
    static const char *const warm[] = {"auto", "warm", "cold", "auto"};
    uint8_t opt = data[0];
    char path[128];
    fuzz_write_file("r.dmat.gz", data + 1, size - 1, path, sizeof path);
    sim_params *p = sim_params_clone(fuzz_registry());
    set(p, "workload.kind", "trace");
    set(p, "trace.file", path);
    set(p, "run.kernel", "native");
    set(p, "run.warmup_us", "0");
    set(p, "run.duration_us", REPLAY_US);
    set(p, "iommu.mode", modes[opt & 3]);
    set(p, "trace.timing", opt & 4 ? "fast" : "timed");
    set(p, "trace.invalidate", opt & 8 ? "policy" : "recorded");
    set(p, "trace.warm", warm[(opt >> 4) & 3]);
    sim_err e = {{0}};
    if (systems_ops.check(p, &e) < 0) {
        check_message(&e, "the configuration check");
    } else {
        sim_point_result res;
        memset(&res, 0, sizeof res);
        if (sim_run_point(&systems_ops, p, NULL, &res, &e) < 0)
            check_message(&e, "the replay");
        sim_point_result_free(&res);
    }
    sim_params_destroy(p);
    unlink(path);
    return 0;
}
