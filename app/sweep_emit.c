/* A sweep's points as command lines for other machines: one self-contained line per
 * point, and the Slurm job array that runs those lines. */
#include "app/sweep_emit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/files.h"

void app_sweep_absolute_dir(const char *dir, char *buf, size_t len)
{
    char *real = realpath(dir, NULL);
    if (real) {
        snprintf(buf, len, "%s", real);
        free(real);
        return;
    }
    char *cwd = dir[0] == '/' ? NULL : getcwd(NULL, 0);
    if (!cwd) {
        snprintf(buf, len, "%s", dir);
        return;
    }
    size_t n = strlen(cwd);
    snprintf(buf, len, "%s", cwd);
    if (n < len)
        snprintf(buf + n, len - n, "/%s", dir);
    free(cwd);
}

void app_sweep_shell_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

void app_sweep_write_points(const app_sweep_opts *o, size_t n_points, const char *out_abs,
                            FILE *f)
{
    for (size_t i = 0; i < n_points; i++) {
        fprintf(f, "%s --out ", o->command);
        app_sweep_shell_quote(f, out_abs);
        fprintf(f, " --point %zu\n", i);
    }
}

typedef struct slurm_layout {
    const app_workload *w;
    size_t n_points;
    const app_sweep_opts *o;
    const char *out_abs, *script, *points_path, *logs;
    size_t per_task, tasks;
} slurm_layout;

static int write_text_file(const char *path, void (*body)(const slurm_layout *, FILE *),
                           const slurm_layout *l, sim_err *e)
{
    sim_file sf;
    if (sim_file_open(&sf, path, e) < 0)
        return -1;
    body(l, sf.f);
    return sim_file_commit(&sf, e);
}

static void write_slurm_script(const slurm_layout *l, FILE *f)
{
    const char *name = app_workload_basename(l->w);
    fprintf(f, "#!/bin/bash\n");
    fprintf(f, "# Slurm job array for the iovsim workload %s: %zu points, %zu per array task.\n",
            app_workload_path(l->w) ? app_workload_path(l->w) : "(command line)", l->n_points,
            l->per_task);
    fprintf(f, "#   submit:             sbatch ");
    app_sweep_shell_quote(f, l->script);
    fprintf(f, "\n#   when all are done:  %s merge ", l->o->program);
    app_sweep_shell_quote(f, l->out_abs);
    fprintf(f, "   (results.csv and the plots)\n");
    fprintf(f, "# Array task T runs lines T*%zu+1 .. (T+1)*%zu of points.txt, one self-contained\n"
               "# command per point. Site options (partition, account, time limit) go below or\n"
               "# on the sbatch command line; a point's own host-time limit is run.timeout_s.\n",
            l->per_task, l->per_task);
    fprintf(f, "#SBATCH --job-name=iovsim-%s\n", *name ? name : "sweep");
    fprintf(f, "#SBATCH --array=0-%zu\n", l->tasks - 1);
    fprintf(f, "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n");
    /* Slurm neither creates the folder nor accepts spaces here: without a clean path
     * the logs go to Slurm's default place. */
    if (!strpbrk(l->logs, " \t\"'"))
        fprintf(f, "#SBATCH --output=%s/%%A_%%a.out\n", l->logs);
    fprintf(f, "set -u\npoints=");
    app_sweep_shell_quote(f, l->points_path);
    fprintf(f, "\nper_task=%zu\n", l->per_task);
    fprintf(f, "task=${SLURM_ARRAY_TASK_ID:?submit this script with sbatch: it is a job array}\n"
               "first=$((task * per_task + 1))\n"
               "last=$((first + per_task - 1))\n"
               "status=0\n"
               "while IFS= read -r cmd; do\n"
               "    eval \"$cmd\" </dev/null || status=1\n"
               "done < <(sed -n \"${first},${last}p\" \"$points\")\n"
               "exit \"$status\"\n");
}

static void write_points_body(const slurm_layout *l, FILE *f)
{
    app_sweep_write_points(l->o, l->n_points, l->out_abs, f);
}

int app_sweep_emit_slurm(const app_workload *w, size_t n_points, const app_sweep_opts *o,
                         const char *out_abs, sim_err *e)
{
    char dir_abs[4096], logs[4200], points_path[4200], script[4200];
    if (sim_mkdirs(o->slurm_dir, e) < 0)
        return -1;
    app_sweep_absolute_dir(o->slurm_dir, dir_abs, sizeof dir_abs);
    snprintf(logs, sizeof logs, "%s/logs", dir_abs);
    snprintf(points_path, sizeof points_path, "%s/points.txt", dir_abs);
    snprintf(script, sizeof script, "%s/iovsim.sbatch", dir_abs);
    if (sim_mkdirs(logs, e) < 0)
        return -1;
    /* Slurm caps array indices (MaxArraySize, 1001 by default): beyond, each task runs
     * several consecutive points. */
    size_t max_tasks = (size_t)(o->slurm_array_max ? o->slurm_array_max : 1000) + 1;
    size_t per_task = (n_points + max_tasks - 1) / max_tasks;
    if (per_task == 0)
        per_task = 1;
    slurm_layout l = {.w = w, .n_points = n_points, .o = o, .out_abs = out_abs,
                      .script = script, .points_path = points_path, .logs = logs,
                      .per_task = per_task, .tasks = (n_points + per_task - 1) / per_task};
    if (write_text_file(points_path, write_points_body, &l, e) < 0 ||
        write_text_file(script, write_slurm_script, &l, e) < 0)
        return -1;
    if (!o->quiet)
        printf("slurm: %s (%zu array task%s for %zu point%s)\nsubmit: sbatch %s\nthen:   %s "
               "merge %s\n",
               script, l.tasks, l.tasks == 1 ? "" : "s", n_points, n_points == 1 ? "" : "s",
               script, o->program, out_abs);
    return 0;
}
