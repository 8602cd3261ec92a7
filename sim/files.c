#define _XOPEN_SOURCE 700 /* nftw */
#include "sim/files.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char first_failure[sizeof(((sim_err *)0)->msg)];

const char *sim_files_failure(void) { return first_failure[0] ? first_failure : NULL; }

void sim_files_note_failure(const char *msg)
{
    if (!first_failure[0])
        snprintf(first_failure, sizeof first_failure, "%s", *msg ? msg : "a write failed");
}

/* sim_err_set that also notes the failure (e may be NULL). */
static int failed(sim_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int failed(sim_err *e, const char *fmt, ...)
{
    sim_err mine;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(mine.msg, sizeof mine.msg, fmt, ap);
    va_end(ap);
    sim_files_note_failure(mine.msg);
    if (e)
        *e = mine;
    return -1;
}

int sim_file_open(sim_file *sf, const char *path, sim_err *e)
{
    sf->f = NULL;
    if (strlen(path) >= sizeof sf->path)
        return sim_err_set(e, "%s: path too long", path);
    strcpy(sf->path, path);
    snprintf(sf->tmp, sizeof sf->tmp, "%s.%ld.tmp", path, (long)getpid());
    sf->f = fopen(sf->tmp, "w");
    if (!sf->f)
        return failed(e, "cannot write %s: %s", sf->tmp, strerror(errno));
    return 0;
}

int sim_file_commit(sim_file *sf, sim_err *e)
{
    int bad = ferror(sf->f);
    if (fclose(sf->f) != 0)
        bad = 1;
    sf->f = NULL;
    if (bad) {
        int err = errno;
        unlink(sf->tmp);
        return failed(e, "cannot write %s: %s", sf->path, strerror(err));
    }
    if (rename(sf->tmp, sf->path) != 0) {
        int err = errno;
        unlink(sf->tmp);
        return failed(e, "cannot rename %s to %s: %s", sf->tmp, sf->path, strerror(err));
    }
    return 0;
}

void sim_file_abort(sim_file *sf)
{
    if (sf->f) {
        fclose(sf->f);
        sf->f = NULL;
    }
    unlink(sf->tmp);
}

int sim_mkdirs(const char *path, sim_err *e)
{
    char buf[4096];
    if (!*path)
        return sim_err_set(e, "an empty folder name was given");
    if (strlen(path) >= sizeof buf)
        return sim_err_set(e, "%s: path too long", path);
    strcpy(buf, path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return sim_err_set(e, "cannot create folder %s: %s", buf, strerror(errno));
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return sim_err_set(e, "%s exists and is not a folder", path);
    return 0;
}

int sim_file_copy(const char *from, const char *to, sim_err *e)
{
    FILE *in = fopen(from, "rb");
    if (!in)
        return sim_err_set(e, "cannot read %s: %s", from, strerror(errno));
    sim_file sf;
    if (sim_file_open(&sf, to, e) < 0) {
        fclose(in);
        return -1;
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        fwrite(buf, 1, n, sf.f);
    int bad = ferror(in);
    fclose(in);
    if (bad) {
        sim_file_abort(&sf);
        return sim_err_set(e, "cannot read %s", from);
    }
    return sim_file_commit(&sf, e);
}

int sim_copy_tree(const char *from, const char *to, bool (*skip)(const char *name), sim_err *e)
{
    if (sim_mkdirs(to, e) < 0)
        return -1;
    DIR *d = opendir(from);
    if (!d)
        return sim_err_set(e, "cannot read %s: %s", from, strerror(errno));
    struct dirent *de;
    int rc = 0;
    char a[4096], b[4096];
    while (rc == 0 && (de = readdir(d)) != NULL) {
        struct stat st;
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || (skip && skip(de->d_name)))
            continue;
        snprintf(a, sizeof a, "%s/%s", from, de->d_name);
        snprintf(b, sizeof b, "%s/%s", to, de->d_name);
        if (lstat(a, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            rc = sim_copy_tree(a, b, skip, e);
        else if (S_ISREG(st.st_mode))
            rc = sim_file_copy(a, b, e);
    }
    closedir(d);
    return rc;
}

/* nftw passes no context: the first path that could not be removed, for the message. */
static char remove_failed[4096];
static int remove_failed_errno;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int rc = flag == FTW_DP ? rmdir(path) : unlink(path);
    if (rc != 0 && errno != ENOENT && !remove_failed[0]) {
        remove_failed_errno = errno;
        snprintf(remove_failed, sizeof remove_failed, "%s", path);
    }
    return 0;
}

int sim_remove_tree(const char *path, sim_err *e)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : sim_err_set(e, "cannot remove %s: %s", path, strerror(errno));
    remove_failed[0] = '\0';
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        return sim_err_set(e, "cannot remove %s: %s", path, strerror(errno));
    if (remove_failed[0])
        return sim_err_set(e, "cannot remove %s: %s", remove_failed, strerror(remove_failed_errno));
    return 0;
}

int sim_point_file_name_check(const char *param, const char *file, sim_err *e)
{
    if (*file && (strchr(file, '/') || !strcmp(file, ".") || !strcmp(file, "..")))
        return sim_err_set(e, "%s = %s: a file name in each point's folder, without folders",
                           param, file);
    return 0;
}
