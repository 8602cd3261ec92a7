#include "app/merge.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/results.h"
#include "sim/alloc.h"
#include "sim/files.h"

typedef struct source {
    const char *dir;
    app_manifest *m; /* NULL: OUT before its first merge */
    bool is_out;
    size_t taken;
} source;

static bool same_folder(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && !strcmp(s + a - b, tail);
}

/* Copies a point's files, result.txt last: until it lands the point reads as not
 * (or not newly) finished, so an interrupted merge can simply run again. */
static int copy_point(const char *from, const char *to, sim_err *e)
{
    if (sim_mkdirs(to, e) < 0)
        return -1;
    DIR *d = opendir(from);
    if (!d)
        return sim_err_set(e, "cannot read %s: %s", from, strerror(errno));
    struct dirent *de;
    int rc = 0;
    bool has_result = false;
    char a[4600], b[4600];
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || ends_with(de->d_name, ".tmp"))
            continue;
        if (!strcmp(de->d_name, "result.txt")) {
            has_result = true;
            continue;
        }
        snprintf(a, sizeof a, "%s/%s", from, de->d_name);
        struct stat st;
        if (stat(a, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        snprintf(b, sizeof b, "%s/%s", to, de->d_name);
        rc = sim_file_copy(a, b, e);
    }
    closedir(d);
    if (rc == 0 && has_result) {
        snprintf(a, sizeof a, "%s/result.txt", from);
        snprintf(b, sizeof b, "%s/result.txt", to);
        rc = sim_file_copy(a, b, e);
    }
    return rc;
}

int app_merge(const char *out, const char *const *dirs, size_t n_dirs, bool quiet, sim_err *e)
{
    source *src = sim_xcalloc(n_dirs + 1, sizeof *src);
    size_t n_src = 0;
    int rc = 2;
    sim_err ignored;
    /* OUT's own points count first: merging again must not replace what is there. */
    src[n_src++] = (source){out, app_manifest_read(out, &ignored), true, 0};
    for (size_t i = 0; i < n_dirs; i++) {
        if (same_folder(dirs[i], out))
            continue;
        app_manifest *m = app_manifest_read(dirs[i], e);
        if (!m)
            goto out;
        src[n_src++] = (source){dirs[i], m, false, 0};
    }
    const source *ref = NULL;
    for (size_t i = 0; i < n_src && !ref; i++)
        if (src[i].m)
            ref = &src[i];
    if (!ref) {
        app_manifest_read(out, e); /* says why OUT is not a results folder */
        goto out;
    }
    for (size_t i = 0; i < n_src; i++) {
        char why[512];
        if (src[i].m && !app_manifest_same(ref->m, src[i].m, why, sizeof why)) {
            sim_err_set(e, "%s and %s hold different sweeps (%s)", ref->dir, src[i].dir, why);
            goto out;
        }
    }
    if (sim_mkdirs(out, e) < 0)
        goto out;
    const app_manifest *m = ref->m;
    if (!src[0].m && app_manifest_write(m, out, e) < 0)
        goto out;

    size_t n_points = app_manifest_points(m), missing = 0, failed = 0;
    char missing_list[512] = "";
    size_t mused = 0;
    for (size_t p = 0; p < n_points; p++) {
        /* First choice: a finished point; else the first failed one, with its error. */
        const source *pick = NULL;
        bool pick_ok = false;
        char dir[4200];
        for (size_t i = 0; i < n_src && !pick_ok; i++) {
            if (!src[i].m && !src[i].is_out)
                continue;
            app_point_dir(src[i].dir, p, n_points, dir, sizeof dir);
            app_result_view v;
            if (!app_result_read(dir, m, p, &v, NULL, NULL) || !v.axes_match)
                continue;
            if (v.ok || !pick) {
                pick = &src[i];
                pick_ok = v.ok;
            }
        }
        if (!pick) {
            missing++;
            if (mused < sizeof missing_list)
                mused += (size_t)snprintf(missing_list + mused, sizeof missing_list - mused,
                                          "%s%zu", missing > 1 ? ", " : "", p);
            continue;
        }
        failed += !pick_ok;
        ((source *)pick)->taken++;
        if (pick->is_out)
            continue;
        char to[4200];
        app_point_dir(pick->dir, p, n_points, dir, sizeof dir);
        app_point_dir(out, p, n_points, to, sizeof to);
        if (copy_point(dir, to, e) < 0)
            goto out;
    }

    /* The plots travel with the points: the first folder that has them gives them. */
    char plots[4200], from[4200];
    snprintf(plots, sizeof plots, "%s/plots.ini", out);
    for (size_t i = 1; i < n_src && access(plots, F_OK) != 0; i++) {
        snprintf(from, sizeof from, "%s/plots.ini", src[i].dir);
        if (access(from, F_OK) == 0 && sim_file_copy(from, plots, e) < 0)
            goto out;
    }
    if (app_results_write_csv(out, m, e) < 0)
        goto out;
    if (missing)
        fprintf(stderr, "iovsim: merge: %zu of %zu points missing (not run anywhere): %s%s\n",
                missing, n_points, missing_list, mused >= sizeof missing_list ? "..." : "");
    if (failed)
        fprintf(stderr, "iovsim: merge: %zu point%s failed (see the error column of %s/results.csv)\n",
                failed, failed == 1 ? "" : "s", out);
    if (!quiet) {
        printf("merged: %s/results.csv (%zu points", out, n_points);
        for (size_t i = 0; i < n_src; i++)
            if (src[i].taken)
                printf("; %zu %s %s", src[i].taken, src[i].is_out ? "already in" : "from",
                       src[i].dir);
        printf(")\n");
    }
    rc = missing || failed ? 1 : 0;
out:
    for (size_t i = 0; i < n_src; i++)
        app_manifest_destroy(src[i].m);
    free(src);
    return rc;
}
