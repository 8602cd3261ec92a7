#include "bench/bench_point.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/proc.h"
#include "systems/kinds.h"

/* Moves all len bytes through the pipe fd, out (write) or in (read), again after a
 * signal interrupts it; -1 on an error or when the pipe ends first. */
static int pipe_all(int fd, void *buf, size_t len, bool out)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = out ? write(fd, p, len) : read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int bench_fork(void (*fn)(void *ctx, void *out), void *ctx, void *out, size_t out_bytes, char *err,
               size_t err_len)
{
    memset(out, 0, out_bytes);
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(err, err_len, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = app_proc_fork();
    if (pid < 0) {
        snprintf(err, err_len, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        fn(ctx, out);
        _exit(pipe_all(fds[1], out, out_bytes, true) == 0 ? 0 : 1);
    }
    close(fds[1]);
    int got = pipe_all(fds[0], out, out_bytes, false);
    close(fds[0]);
    int status = 0;
    app_proc_wait(pid, &status);
    if (got == 0)
        return 0;
    memset(out, 0, out_bytes);
    if (WIFSIGNALED(status))
        snprintf(err, err_len, "the child was killed by signal %d", WTERMSIG(status));
    else
        snprintf(err, err_len, "the child exited with %d and no result",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return -1;
}

typedef struct point_job {
    const sim_model_ops *ops;
    const sim_params *p;
    const char *const *names;
    size_t n;
} point_job;

static void run_point(void *ctx, void *out)
{
    const point_job *j = ctx;
    bench_point *r = out;
    for (size_t i = 0; i < BENCH_MAX_METRICS; i++)
        r->metrics[i] = NAN;
    sim_err e = {{0}};
    sim_point_result res;
    if (sim_run_point(j->ops, j->p, NULL, &res, &e) == 0) {
        r->ok = 1;
        r->events = res.events;
        r->host_seconds = res.host_seconds;
        for (size_t i = 0; i < j->n && i < BENCH_MAX_METRICS; i++)
            for (size_t m = 0; m < res.metrics; m++)
                if (!strcmp(res.metric_names[m], j->names[i]))
                    r->metrics[i] = res.metric_values[m];
        sim_point_result_free(&res);
    } else {
        snprintf(r->err, sizeof r->err, "%s", e.msg);
    }
}

void bench_run_forked(const sim_model_ops *ops, const sim_params *p, const char *const *names,
                      size_t n, bench_point *out)
{
    point_job j = {ops, p, names, n};
    char err[sizeof out->err];
    if (bench_fork(run_point, &j, out, sizeof *out, err, sizeof err) < 0)
        memcpy(out->err, err, sizeof err);
}

int bench_run_metric(sim_params *p, const char *metric, bench_point *out, const char *what)
{
    const char *names[1] = {metric};
    bench_run_forked(&systems_ops, p, names, 1, out);
    sim_params_destroy(p);
    if (out->ok)
        return 0;
    fprintf(stderr, "%s: %s\n", what, out->err);
    return -1;
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
