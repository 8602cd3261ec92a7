#include "app/merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/identity.h"
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

/* Left out of a point's copy: hidden and temporary files, and result.txt, which
 * comes last. */
static bool not_copied_first(const char *name)
{
    return name[0] == '.' || ends_with(name, ".tmp") || !strcmp(name, "result.txt");
}

/* Copies a point's files, result.txt last: until it lands the point reads as not
 * (or not newly) finished, so an interrupted merge can simply run again. */
static int copy_point(const char *from, const char *to, sim_err *e)
{
    if (sim_copy_tree(from, to, not_copied_first, e) < 0)
        return -1;
    char a[4600], b[4600];
    snprintf(a, sizeof a, "%s/result.txt", from);
    snprintf(b, sizeof b, "%s/result.txt", to);
    return access(a, F_OK) == 0 ? sim_file_copy(a, b, e) : 0;
}

/* What a folder holds of its sweep besides the points travels with them: the first
 * folder that has each gives it. */
static int carry_sweep_files(const char *out, const source *src, size_t n_src, sim_err *e)
{
    static const char *const names[] = {"plots.ini", "params.txt", "config.txt", "workload"};
    char to[4200], from[4200];
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        snprintf(to, sizeof to, "%s/%s", out, names[k]);
        for (size_t i = 1; i < n_src && access(to, F_OK) != 0; i++) {
            snprintf(from, sizeof from, "%s/%s", src[i].dir, names[k]);
            struct stat st;
            if (stat(from, &st) != 0)
                continue;
            int rc = S_ISDIR(st.st_mode) ? sim_copy_tree(from, to, NULL, e)
                                         : sim_file_copy(from, to, e);
            if (rc < 0)
                return -1;
        }
    }
    return 0;
}

/* OUT/provenance.txt of the merge: OUT's earlier record and those of the folders it
 * took points from are kept beside it (provenance.N.txt, app/provenance.h). */
static int record_merge(app_provenance *p, const char *out, const source *src, size_t n_src,
                        const app_manifest *m, size_t missing, size_t failed, sim_err *e)
{
    if (!p)
        return 0;
    if (app_provenance_keep_earlier(p, out, e) < 0)
        return -1;
    char record[4200];
    for (size_t i = 1; i < n_src; i++) {
        snprintf(record, sizeof record, "%s/" APP_PROVENANCE_FILE, src[i].dir);
        if (src[i].taken && access(record, F_OK) == 0 &&
            app_provenance_keep(p, out, record, e) < 0)
            return -1;
    }
    app_provenance_add(p, "workload", "%s", app_manifest_workload(m));
    size_t n = 0;
    for (size_t i = 0; i < n_src; i++) {
        char key[32];
        snprintf(key, sizeof key, "merged.%zu", ++n);
        if (src[i].taken)
            app_provenance_add(p, key, "%s (%zu points%s)", src[i].dir, src[i].taken,
                               src[i].is_out ? ", already there" : "");
        else
            n--;
    }
    app_provenance_add(p, "points", "%zu", app_manifest_points(m));
    app_provenance_add(p, "points.missing", "%zu", missing);
    app_provenance_add(p, "points.failed", "%zu", failed);
    app_provenance_add(p, "status", "merged");
    snprintf(record, sizeof record, "%s/" APP_PROVENANCE_FILE, out);
    return app_provenance_write(p, NULL, record, true, e);
}

int app_merge(const char *out, const char *const *dirs, size_t n_dirs, bool quiet,
              app_provenance *prov, sim_err *e)
{
    source *src = sim_xcalloc(n_dirs + 1, sizeof *src);
    size_t n_src = 0;
    int rc = 2, lock_fd = -1;
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
        char why[1200];
        if (src[i].m && (!app_manifest_same(ref->m, src[i].m, why, sizeof why) ||
                         !app_identity_same_settings(ref->dir, src[i].dir, why, sizeof why))) {
            sim_err_set(e, "%s and %s hold different sweeps (%s)", ref->dir, src[i].dir, why);
            goto out;
        }
    }
    /* Nothing else may write OUT meanwhile: a run, its single points, another merge. */
    if (sim_mkdirs(out, e) < 0 || (lock_fd = app_results_lock(out, false, e)) < 0)
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

    if (carry_sweep_files(out, src, n_src, e) < 0 || app_results_write_csv(out, m, e) < 0 ||
        record_merge(prov, out, src, n_src, m, missing, failed, e) < 0)
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
    if (lock_fd >= 0)
        close(lock_fd);
    return rc;
}
