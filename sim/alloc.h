/* Allocation for code that runs while a simulation is configured or its results are
 * written (parsing, registries, result files): running out of memory there cannot be
 * recovered from, so these abort instead of returning NULL. A model's build may use
 * them too; nothing on a per-event path should allocate at all. */
#ifndef SIM_ALLOC_H
#define SIM_ALLOC_H

#include <stddef.h>
#include <stdio.h>

void *sim_xmalloc(size_t n);
void *sim_xcalloc(size_t n, size_t size);
void *sim_xrealloc(void *p, size_t n);
/* realloc of an array of n elements of `size` bytes, checked for overflow. */
void *sim_xreallocarray(void *p, size_t n, size_t size);
char *sim_xstrdup(const char *s);
char *sim_xstrndup(const char *s, size_t n);
char *sim_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* open_memstream: a stream that grows *buf (its length in *len); after fclose, *buf is
 * the text, which the caller frees. */
FILE *sim_xopen_memstream(char **buf, size_t *len);

#endif
