#include "bench/bench_point.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void child(const sim_model_ops *ops, const sim_params *p, const char *const *names,
                  size_t n, int fd)
{
    bench_point r;
    memset(&r, 0, sizeof r);
    for (size_t i = 0; i < BENCH_MAX_METRICS; i++)
        r.metrics[i] = NAN;
    sim_err e = {{0}};
    sim_point_result res;
    if (sim_run_point(ops, p, NULL, &res, &e) == 0) {
        r.ok = 1;
        r.events = res.events;
        r.host_seconds = res.host_seconds;
        for (size_t i = 0; i < n && i < BENCH_MAX_METRICS; i++)
            for (size_t m = 0; m < res.metrics; m++)
                if (!strcmp(res.metric_names[m], names[i]))
                    r.metrics[i] = res.metric_values[m];
        sim_point_result_free(&res);
    } else {
        snprintf(r.err, sizeof r.err, "%s", e.msg);
    }
    ssize_t w = write(fd, &r, sizeof r);
    _exit(w == (ssize_t)sizeof r ? 0 : 1);
}

void bench_run_forked(const sim_model_ops *ops, const sim_params *p, const char *const *names,
                      size_t n, bench_point *out)
{
    memset(out, 0, sizeof *out);
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(out->err, sizeof out->err, "pipe: %s", strerror(errno));
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(out->err, sizeof out->err, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        child(ops, p, names, n, fds[1]);
    }
    close(fds[1]);
    ssize_t got = read(fds[0], out, sizeof *out);
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    if (got != (ssize_t)sizeof *out) {
        memset(out, 0, sizeof *out);
        snprintf(out->err, sizeof out->err, "the point's process died (status %d)", status);
    }
}

sim_params *bench_registry(const sim_model_ops *ops)
{
    sim_params *p = sim_params_create();
    sim_run_register_params(p);
    ops->register_params(p);
    return p;
}

int bench_set(sim_params *p, const char *name, const char *value)
{
    sim_err e;
    if (sim_params_set(p, name, value, "benchmark", &e) < 0) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    return 0;
}
