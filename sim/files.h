/* Result files are written whole: into "<path>.<pid>.tmp", a name of this process's own,
 * then renamed over <path>, so a killed run never leaves a half-written file behind
 * (and --resume can trust what it finds), and processes writing into one folder never
 * share a temporary file.
 *
 * A process remembers its first failed write (sim_files_failure): a point runs in a
 * process of its own, and a sweep stops at a point that could not write its files (a
 * full disk fails every point after it the same way). */
#ifndef SIM_FILES_H
#define SIM_FILES_H

#include <stdbool.h>
#include <stdio.h>

#include "sim/err.h"

typedef struct sim_file {
    FILE *f;
    char path[4096];
    char tmp[4096 + 32];
} sim_file;

/* Opens the temporary file; -1 with *e set when it cannot. */
int sim_file_open(sim_file *sf, const char *path, sim_err *e);
/* Flushes, closes and renames into place; -1 with *e set on any write error (the
 * temporary file is removed). */
int sim_file_commit(sim_file *sf, sim_err *e);
/* Closes and removes the temporary file. */
void sim_file_abort(sim_file *sf);

/* The message of this process's first failed write (sim_file_open or _commit, or one
 * noted by another writer), or NULL. */
const char *sim_files_failure(void);
void sim_files_note_failure(const char *msg);

/* A file a point writes into its own folder, named by parameter `param`: a plain file
 * name (no folder of its own, not "." or ".."); -1 with *e set naming the parameter
 * otherwise. An empty name (the file is off) passes. */
int sim_point_file_name_check(const char *param, const char *file, sim_err *e);

/* mkdir -p; -1 with *e set naming the folder that could not be made. */
int sim_mkdirs(const char *path, sim_err *e);

/* Copies the file `from` to `to`, written whole as above. */
int sim_file_copy(const char *from, const char *to, sim_err *e);

/* cp -r: the folder `from` and what it holds (files and folders; other kinds, links
 * included, are left out, and so is every name `skip` (may be NULL) is true for) into
 * `to`, made as needed. */
int sim_copy_tree(const char *from, const char *to, bool (*skip)(const char *name), sim_err *e);

/* rm -r: `path` and, when it is a folder, everything under it (symbolic links are
 * removed, not followed). A path that does not exist is no error. */
int sim_remove_tree(const char *path, sim_err *e);

#endif
