/* libFuzzer harness for the workload loader (`make fuzz`). The input is a workload file,
 * optionally followed by a line "%%" and command-line overrides, one a line: "set X",
 * "sweep X" or "zip X" for --set X, --sweep X, --zip X. The file is written to a scratch
 * folder and loaded by path with app_workload_load, then the overrides go through
 * app_workload_overrides, against the registry `iovsim run` builds: the very calls and
 * order `iovsim run FILE --set ...` makes, includes (relative to the scratch folder) and
 * all. A workload that loads is then applied, point by point (the first few), to a copy
 * of the registry, which parses every value the way a run does. Errors must come back as
 * messages; nothing may crash, leak or hang. */
#include "tests/fuzz/fuzz_util.h" /* first: it asks for _GNU_SOURCE (memmem) */

#include "app/workload.h"
#include "sim/run.h"
#include "systems/kinds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OVERRIDES 8
#define MAX_POINTS 4

/* The overrides in text (the part after the mark, NUL-terminated), one a line, into
 * sets, sweeps and zips (pointers into text). Other lines are ignored. */
static void split_overrides(char *text, const char **sets, size_t *n_sets, const char **sweeps,
                            size_t *n_sweeps, const char **zips, size_t *n_zips)
{
    size_t n = 0;
    for (char *line = text; line && n < MAX_OVERRIDES; n++) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (!strncmp(line, "set ", 4))
            sets[(*n_sets)++] = line + 4;
        else if (!strncmp(line, "sweep ", 6))
            sweeps[(*n_sweeps)++] = line + 6;
        else if (!strncmp(line, "zip ", 4))
            zips[(*n_zips)++] = line + 4;
        line = nl ? nl + 1 : NULL;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The file is the bytes before the mark (NULs included); the overrides a
     * NUL-terminated copy of the rest, strings as argv's are. */
    const uint8_t *mark = memmem(data, size, "\n%%\n", 4);
    size_t file_len = mark ? (size_t)(mark - data) + 1 : size;
    size_t rest = mark ? size - file_len - 3 : 0;
    char *buf = malloc(rest + 1);
    if (!buf)
        abort();
    memcpy(buf, data + size - rest, rest);
    buf[rest] = '\0';
    const char *sets[MAX_OVERRIDES], *sweeps[MAX_OVERRIDES], *zips[MAX_OVERRIDES];
    size_t n_sets = 0, n_sweeps = 0, n_zips = 0;
    if (mark)
        split_overrides(buf, sets, &n_sets, sweeps, &n_sweeps, zips, &n_zips);
    char path[128];
    fuzz_write_file("w.ini", data, file_len, path, sizeof path);
    sim_params *reg = fuzz_registry();
    sim_err e = {{0}};
    app_workload *w = app_workload_load(path, reg, &e);
    if (w && app_workload_overrides(w, reg, sets, n_sets, sweeps, n_sweeps, zips, n_zips, &e) ==
                 0) {
        size_t points = app_workload_points(w);
        for (size_t i = 0; i < points && i < MAX_POINTS; i++) {
            sim_params *p = sim_params_clone(reg);
            app_workload_apply(w, i, p, &e);
            sim_params_destroy(p);
        }
    } else if (!e.msg[0]) {
        fprintf(stderr, "refused without a message\n");
        abort();
    }
    app_workload_destroy(w);
    free(buf);
    return 0;
}
