#include "sim/alloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Says why before the abort, so a user sees more than a core dump. */
static void out_of_memory(void)
{
    fputs("iovsim: out of memory\n", stderr);
    abort();
}

void *sim_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *sim_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *sim_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *sim_xreallocarray(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        out_of_memory();
    return sim_xrealloc(p, n * size);
}

char *sim_xstrdup(const char *s) { return sim_xstrndup(s, strlen(s)); }

char *sim_xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = sim_xmalloc(len + 1);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *sim_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        out_of_memory();
    char *s = sim_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

FILE *sim_xopen_memstream(char **buf, size_t *len)
{
    FILE *f = open_memstream(buf, len);
    if (!f)
        out_of_memory();
    return f;
}
