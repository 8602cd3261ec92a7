#include "sim/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int sim_err_set(sim_err *e, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void sim_err_prefix(sim_err *e, const char *fmt, ...)
{
    if (!e)
        return;
    char head[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    char out[sizeof e->msg];
    int n = snprintf(out, sizeof out, "%s: ", head);
    if (n < 0)
        return;
    size_t used = (size_t)n < sizeof out ? (size_t)n : sizeof out - 1;
    size_t len = strnlen(e->msg, sizeof e->msg);
    if (len > sizeof out - 1 - used)
        len = sizeof out - 1 - used;
    memcpy(out + used, e->msg, len);
    out[used + len] = '\0';
    memcpy(e->msg, out, sizeof out);
}

void sim_err_clear(sim_err *e)
{
    if (e)
        e->msg[0] = '\0';
}
