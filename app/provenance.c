#include "app/provenance.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/revision.h"
#include "app/strlist.h"
#include "app/sweep_emit.h"
#include "config.h"
#include "sim/alloc.h"
#include "sim/files.h"

#define COPY_FOLDER "workload"

const char *app_provenance_revision(void)
{
    return *IOVSIM_REVISION ? IOVSIM_REVISION : PACKAGE_VERSION;
}

struct app_provenance {
    char *command, *cwd, *program, *host, *start;
    app_strlist sets, sweeps;
    app_strlist keys, values; /* what the command adds */
};

/* The argument as a shell reads it back: bare when it holds nothing the shell treats
 * specially, else single-quoted. */
static void shell_word(FILE *f, const char *s)
{
    if (*s && !s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                           "_-+=.,:/@%")])
        fputs(s, f);
    else
        app_sweep_shell_quote(f, s);
}

static char *local_time_now(void)
{
    time_t t = time(NULL);
    struct tm tm;
    char buf[64];
    if (!localtime_r(&t, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S%z", &tm))
        snprintf(buf, sizeof buf, "%lld", (long long)t);
    return sim_xstrdup(buf);
}

/* A value on one line. */
static char *one_line(const char *s)
{
    char *d = sim_xstrdup(s);
    for (char *c = d; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    return d;
}

app_provenance *app_provenance_create(int argc, char *const *argv)
{
    app_provenance *p = sim_xcalloc(1, sizeof *p);
    p->start = local_time_now();
    size_t len = 0;
    FILE *f = sim_xopen_memstream(&p->command, &len);
    for (int i = 0; i < argc; i++) {
        if (i)
            fputc(' ', f);
        shell_word(f, argv[i]);
    }
    fclose(f);
    char *cmd = p->command;
    p->command = one_line(cmd);
    free(cmd);
    char *cwd = getcwd(NULL, 0);
    p->cwd = cwd ? cwd : sim_xstrdup("?");
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    p->program = sim_xstrdup(n > 0 ? exe : argc ? argv[0] : "iovsim");
    char host[256];
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "?");
    host[sizeof host - 1] = '\0';
    p->host = sim_xstrdup(host);
    return p;
}

void app_provenance_overrides(app_provenance *p, const char *const *sets, size_t n_sets,
                              const char *const *sweeps, size_t n_sweeps)
{
    for (size_t i = 0; i < n_sets; i++)
        app_strlist_push(&p->sets, one_line(sets[i]));
    for (size_t i = 0; i < n_sweeps; i++)
        app_strlist_push(&p->sweeps, one_line(sweeps[i]));
}

void app_provenance_destroy(app_provenance *p)
{
    if (!p)
        return;
    free(p->command);
    free(p->cwd);
    free(p->program);
    free(p->host);
    free(p->start);
    app_strlist_free(&p->sets);
    app_strlist_free(&p->sweeps);
    app_strlist_free(&p->keys);
    app_strlist_free(&p->values);
    free(p);
}

void app_provenance_add(app_provenance *p, const char *key, const char *fmt, ...)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = sim_xopen_memstream(&text, &len);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fclose(f);
    /* A key given again moves to the end with its new value (status last). */
    size_t i = app_strlist_find(&p->keys, key);
    if (i != SIZE_MAX) {
        free(p->keys.v[i]);
        free(p->values.v[i]);
        memmove(&p->keys.v[i], &p->keys.v[i + 1], (p->keys.n - i - 1) * sizeof *p->keys.v);
        memmove(&p->values.v[i], &p->values.v[i + 1], (p->keys.n - i - 1) * sizeof *p->values.v);
        p->keys.n--;
        p->values.n--;
    }
    app_strlist_push(&p->keys, sim_xstrdup(key));
    app_strlist_push(&p->values, one_line(text));
    free(text);
}

/* ---- earlier records ---- */

/* DIR/provenance.N.txt. */
static void earlier_path(const char *dir, unsigned n, char *buf, size_t len)
{
    snprintf(buf, len, "%s/provenance.%u.txt", dir, n);
}

/* The record's "earlier": every provenance.N.txt in DIR (they are numbered from 1 with
 * no gap). */
static void name_earlier(app_provenance *p, const char *dir)
{
    char list[1024] = "", path[4200];
    size_t used = 0;
    unsigned n = 1;
    for (;; n++) {
        earlier_path(dir, n, path, sizeof path);
        if (access(path, F_OK) != 0 || used >= sizeof list)
            break;
        used += (size_t)snprintf(list + used, sizeof list - used, "%sprovenance.%u.txt",
                                 n > 1 ? ", " : "", n);
    }
    if (n > 1)
        app_provenance_add(p, "earlier", "%s", list);
}

int app_provenance_keep(app_provenance *p, const char *dir, const char *record, sim_err *e)
{
    char own[4200], kept[4200];
    snprintf(own, sizeof own, "%s/" APP_PROVENANCE_FILE, dir);
    unsigned n = 1;
    do
        earlier_path(dir, n++, kept, sizeof kept);
    while (access(kept, F_OK) == 0);
    if (!strcmp(record, own)) {
        if (rename(own, kept) != 0)
            return sim_err_set(e, "cannot rename %s to %s: %s", own, kept, strerror(errno));
    } else if (sim_file_copy(record, kept, e) < 0) {
        return -1;
    }
    name_earlier(p, dir);
    return 0;
}

int app_provenance_keep_earlier(app_provenance *p, const char *dir, sim_err *e)
{
    char own[4200];
    snprintf(own, sizeof own, "%s/" APP_PROVENANCE_FILE, dir);
    if (access(own, F_OK) == 0)
        return app_provenance_keep(p, dir, own, e);
    name_earlier(p, dir);
    return 0;
}

int app_provenance_drop_earlier(const char *dir, sim_err *e)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        unsigned n;
        char tail[8], path[4200];
        if (sscanf(de->d_name, "provenance.%u.%7s", &n, tail) == 2 && !strcmp(tail, "txt")) {
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            rc = sim_remove_tree(path, e);
        }
    }
    closedir(d);
    return rc;
}

/* ---- the workload's files and their copies ---- */

typedef struct wfile {
    char *abs;  /* the folder resolved (realpath), the name as opened */
    char *copy; /* relative to DIR */
    const char *included_at;
} wfile;

/* `path` with its folder resolved: the name itself is kept, so a file that is a link
 * is copied where the include expects it. */
static char *resolved(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir =
        slash ? sim_xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : sim_xstrdup(".");
    char *real = realpath(dir, NULL);
    const char *base = slash ? slash + 1 : path;
    /* A folder gone since the file was read: the copy will say so. */
    char *abs = real ? sim_xasprintf("%s/%s", strcmp(real, "/") ? real : "", base)
                     : sim_xasprintf("%s%s", slash ? "" : "./", path);
    free(real);
    free(dir);
    return abs;
}

/* The files of `w`, each once, and where each is copied: below DIR/workload/ at its
 * path from the deepest folder that holds them all. */
static wfile *workload_files(const app_workload *w, size_t *n_out)
{
    size_t n = 0, total = app_workload_files(w);
    wfile *f = sim_xcalloc(total ? total : 1, sizeof *f);
    for (size_t i = 0; i < total; i++) {
        char *abs = resolved(app_workload_file_path(w, i));
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = !strcmp(f[k].abs, abs);
        if (seen) {
            free(abs);
            continue;
        }
        f[n++] = (wfile){abs, NULL, app_workload_file_included_at(w, i)};
    }
    /* The common folder: the first file's, cut back to a '/' where all agree. */
    const char *a = n ? f[0].abs : "";
    size_t root = n ? (size_t)(strrchr(a, '/') - a) : 0;
    for (size_t k = 1; k < n; k++) {
        const char *b = f[k].abs;
        size_t folder = (size_t)(strrchr(b, '/') - b), m = 0;
        while (m < root && m < folder && a[m] == b[m])
            m++;
        if ((m < root && a[m] != '/') || (m < folder && b[m] != '/'))
            while (m > 0 && a[--m] != '/') {
            }
        root = m;
    }
    for (size_t k = 0; k < n; k++)
        f[k].copy = sim_xasprintf(COPY_FOLDER "/%s", f[k].abs + root + 1);
    *n_out = n;
    return f;
}

static void free_files(wfile *f, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        free(f[k].abs);
        free(f[k].copy);
    }
    free(f);
}

int app_provenance_copy_workload(const app_workload *w, const char *dir, bool replace, sim_err *e)
{
    size_t n;
    wfile *f = workload_files(w, &n);
    if (!n) {
        free(f);
        return 0;
    }
    char *tmp = sim_xasprintf("%s/." COPY_FOLDER ".%ld.tmp", dir, (long)getpid());
    char *final = sim_xasprintf("%s/" COPY_FOLDER, dir);
    int rc = sim_remove_tree(tmp, e);
    for (size_t k = 0; rc == 0 && k < n; k++) {
        char *to = sim_xasprintf("%s/%s", tmp, f[k].copy + strlen(COPY_FOLDER) + 1);
        char *folder = sim_xstrndup(to, (size_t)(strrchr(to, '/') - to));
        rc = sim_mkdirs(folder, e);
        if (rc == 0)
            rc = sim_file_copy(f[k].abs, to, e);
        free(folder);
        free(to);
    }
    if (rc == 0 && replace)
        rc = sim_remove_tree(final, e);
    if (rc == 0 && rename(tmp, final) != 0) {
        /* Another process's copy is in place (ENOTEMPTY, or EEXIST by POSIX). */
        if (replace || (errno != ENOTEMPTY && errno != EEXIST))
            rc = sim_err_set(e, "cannot rename %s to %s: %s", tmp, final, strerror(errno));
        sim_err ignored;
        sim_remove_tree(tmp, &ignored);
    }
    free(tmp);
    free(final);
    free_files(f, n);
    return rc;
}

/* ---- the record ---- */

int app_provenance_write(const app_provenance *p, const app_workload *w, const char *path,
                         bool ended, sim_err *e)
{
    sim_file sf;
    if (sim_file_open(&sf, path, e) < 0)
        return -1;
    FILE *o = sf.f;
    fputs("# iovsim provenance: how this results folder was made ('iovsim help run')\n", o);
    fprintf(o, "command = %s\ncwd = %s\nprogram = %s\n", p->command, p->cwd, p->program);
    fprintf(o, "version = %s\nrevision = %s\nhost = %s\n", PACKAGE_VERSION,
            app_provenance_revision(), p->host);
    fprintf(o, "start = %s\n", p->start);
    if (ended) {
        char *end = local_time_now();
        fprintf(o, "end = %s\n", end);
        free(end);
    }
    for (size_t i = 0; i < p->sets.n; i++)
        fprintf(o, "set.%zu = %s\n", i + 1, p->sets.v[i]);
    for (size_t i = 0; i < p->sweeps.n; i++)
        fprintf(o, "sweep.%zu = %s\n", i + 1, p->sweeps.v[i]);
    size_t n = 0;
    wfile *f = w ? workload_files(w, &n) : NULL;
    for (size_t k = 0; k < n; k++) {
        fprintf(o, "file.%zu = %s\nfile.%zu.copy = %s\n", k + 1, f[k].abs, k + 1, f[k].copy);
        if (f[k].included_at)
            fprintf(o, "file.%zu.included_at = %s\n", k + 1, f[k].included_at);
    }
    free_files(f, n);
    for (size_t i = 0; i < p->keys.n; i++)
        fprintf(o, "%s = %s\n", p->keys.v[i], p->values.v[i]);
    return sim_file_commit(&sf, e);
}
